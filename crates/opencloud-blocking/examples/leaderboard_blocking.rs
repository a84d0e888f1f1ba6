//! The official guide's leaderboard scenario on an ordered data store, blocking.
//!
//! ```sh
//! OPENCLOUD_API_KEY=opencloud-emulator-dev-key OPENCLOUD_BASE_URL=http://127.0.0.1:7357 \
//! OPENCLOUD_UNIVERSE_ID=1 cargo run -p opencloud-blocking --example leaderboard_blocking
//! ```

use opencloud_blocking::{Client, Order};

fn main() -> Result<(), opencloud_blocking::Error> {
    let client = Client::from_env()?;
    let board = client.ordered_data_store("PlayerScores", "global");
    for (player, score) in [
        ("Ragdoll", 42),
        ("Balinese", 17),
        ("Tabby", 50),
        ("Siamese", 17),
    ] {
        board.entry(player).set(score)?;
    }
    board.entry("Balinese").increment(30)?;
    println!("rank  player  score");
    for (rank, e) in board
        .entries(|l| l.order(Order::Descending).max_page_size(10))
        .enumerate()
    {
        let e = e?;
        println!("{:>4}  {:<6}  {:>5}", rank + 1, e.id, e.value);
    }
    Ok(())
}
