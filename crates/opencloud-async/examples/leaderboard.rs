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
    for (player, score) in [("Ava", 120), ("Bo", 95), ("Cy", 310), ("Di", 95)] {
        board.entry(player).set(score).await?;
    }
    board.entry("Bo").increment(30).await?;
    println!("rank  player  score");
    let top: Vec<_> = board
        .entries(|l| l.order(Order::Descending).max_page_size(10))
        .try_collect()
        .await?;
    for (rank, e) in top.iter().enumerate() {
        println!("{:>4}  {:<6}  {:>5}", rank + 1, e.id, e.value);
    }
    let over_100: Vec<_> = board
        .entries(|l| l.range(OrderedRange::new(Some(100), None).unwrap()))
        .try_collect()
        .await?;
    println!("{} players scored 100 or more", over_100.len());
    Ok(())
}
