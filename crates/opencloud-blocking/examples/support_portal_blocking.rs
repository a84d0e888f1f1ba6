//! The official guide's support-portal scenario, blocking: list the `Inventory` data store and
//! add 10 to every user's `currency`, without losing a concurrent write.
//!
//! ```sh
//! OPENCLOUD_API_KEY=opencloud-emulator-dev-key OPENCLOUD_BASE_URL=http://127.0.0.1:7357 \
//! OPENCLOUD_UNIVERSE_ID=1 cargo run -p opencloud-blocking --example support_portal_blocking
//! ```

use opencloud_blocking::Client;
use serde_json::{Value, json};

fn main() -> Result<(), opencloud_blocking::Error> {
    let client = Client::from_env()?;
    let inventory = client.data_store("Inventory");
    if inventory
        .entries(|l| l.max_page_size(1))
        .next()
        .transpose()?
        .is_none()
    {
        for i in 1..=5 {
            inventory
                .entry(&format!("user_{i}"))
                .set(&json!({"currency": i * 100, "items": ["sword"]}))?;
        }
    }
    let keys: Vec<String> = inventory
        .entries(|l| l.max_page_size(100))
        .map(|e| e.map(|e| e.id))
        .collect::<Result<_, _>>()?;
    println!("{} users in Inventory", keys.len());
    for key in &keys {
        let updated = inventory.entry(key).update_with(|v: Option<Value>| {
            let mut v = v.unwrap_or_else(|| json!({}));
            v["currency"] = json!(v["currency"].as_i64().unwrap_or(0) + 10);
            v
        })?;
        println!(
            "{key}: currency now {}",
            updated.value.unwrap_or_default()["currency"]
        );
    }
    Ok(())
}
