//! The official guide's support-portal scenario: list the `Inventory` data store and add 10 to
//! every user's `currency`, without losing a concurrent write.
//!
//! ```sh
//! cargo run -p opencloud-emulator -- --listen 127.0.0.1:7357 &
//! OPENCLOUD_API_KEY=opencloud-emulator-dev-key OPENCLOUD_BASE_URL=http://127.0.0.1:7357 \
//! OPENCLOUD_UNIVERSE_ID=1 cargo run -p opencloud-async --example support_portal
//! ```

use futures_util::TryStreamExt;
use opencloud_async::Client;
use serde_json::{Value, json};

#[tokio::main]
async fn main() -> Result<(), opencloud_async::Error> {
    let client = Client::from_env()?;
    let inventory = client.data_store("Inventory");
    // Seed a few users if the store is empty (a fresh emulator).
    if inventory
        .entries(|l| l.max_page_size(1))
        .try_next()
        .await?
        .is_none()
    {
        for i in 1..=5 {
            inventory
                .entry(&format!("user_{i}"))
                .set(&json!({"currency": i * 100, "items": ["sword"]}))
                .await?;
        }
    }
    let keys: Vec<String> = inventory
        .entries(|l| l.max_page_size(100))
        .map_ok(|e| e.id)
        .try_collect()
        .await?;
    println!("{} users in Inventory", keys.len());
    for key in &keys {
        let updated = inventory
            .entry(key)
            .update_with(|v: Option<Value>| {
                let mut v = v.unwrap_or_else(|| json!({}));
                v["currency"] = json!(v["currency"].as_i64().unwrap_or(0) + 10);
                v
            })
            .await?;
        println!(
            "{key}: currency now {}",
            updated.value.unwrap_or_default()["currency"]
        );
    }
    Ok(())
}
