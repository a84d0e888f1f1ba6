//! The official guide's leaderboard scenario on an ordered data store: record scores, then print
//! the top of the board, highest first.
//!
//! ```sh
//! OPENCLOUD_API_KEY=opencloud-emulator-dev-key OPENCLOUD_BASE_URL=http://127.0.0.1:7357 \
//! OPENCLOUD_UNIVERSE_ID=1 cargo run -p opencloud-async --example leaderboard
//! ```

use futures_util::TryStreamExt;
use opencloud_async::{Client, Order, OrderedRange};

#[tokio::main]
async fn main() -> Result<(), opencloud_async::Error> {
    let client = Client::from_env()?;
    let board = client.ordered_data_store("PlayerScores", "global");
    for (player, score) in [
        ("Ragdoll", 42),
        ("Balinese", 17),
        ("Tabby", 50),
        ("Siamese", 17),
    ] {
        board.entry(player).set(score).await?;
    }
    board.entry("Balinese").increment(30).await?;
    println!("rank  player  score");
    let top: Vec<_> = board
        .entries(|l| l.order(Order::Descending).max_page_size(10))
        .try_collect()
        .await?;
    for (rank, e) in top.iter().enumerate() {
        println!("{:>4}  {:<6}  {:>5}", rank + 1, e.id, e.value);
    }
    let at_least_40: Vec<_> = board
        .entries(|l| l.range(OrderedRange::new(Some(40), None).unwrap()))
        .try_collect()
        .await?;
    println!("{} players scored 40 or more", at_least_40.len());
    Ok(())
}
