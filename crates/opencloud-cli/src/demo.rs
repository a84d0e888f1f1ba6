//! `opencloud demo`: the official guide's two scenarios, through the real client, over HTTP,
//! against an in-memory emulator on loopback.

use opencloud_blocking::{Client, Order};
use opencloud_core::JitterSource;
use opencloud_emulator::{BackgroundEmulator, DEV_API_KEY, EmulatorConfig};
use serde_json::{Value, json};

use crate::ctx::CliError;
use crate::output;

fn err(e: opencloud_blocking::Error) -> CliError {
    CliError::api(e, None, None)
}

pub fn run() -> Result<(), CliError> {
    let em = BackgroundEmulator::start(EmulatorConfig::unthrottled())
        .map_err(|e| CliError::other(format!("cannot start the emulator: {e}")))?;
    crate::outln!(
        "Started an in-memory Open Cloud emulator at {} (universe 1).\n",
        em.base_url()
    );
    let client = Client::builder()
        .api_key(DEV_API_KEY)
        .base_url(em.base_url())
        .universe(1)
        .build()
        .map_err(err)?;
    let mut rng = JitterSource::new(jiff::Timestamp::now().as_nanosecond() as u64);
    let mut roll = |n: u64| (rng.next_sample() * n as f64) as i64;

    // Scenario 1: a support portal fixes every player's inventory.
    crate::outln!("== Scenario 1: support portal (standard data store `Inventory`)");
    let inventory = client.data_store("Inventory");
    for i in 1..=25 {
        inventory
            .entry(&format!("user_{i:02}"))
            .set(&json!({"currency": roll(500), "items": ["sword"]}))
            .map_err(err)?;
    }
    crate::outln!("Filled Inventory with 25 users.");
    let mut keys = Vec::new();
    for (n, page) in client
        .pages(
            inventory
                .list()
                .map_err(|e| CliError::input(e.to_string()))?
                .max_page_size(10),
        )
        .enumerate()
    {
        let page = page.map_err(err)?;
        crate::outln!(
            "  page {}: {} entries",
            n + 1,
            page.data_store_entries.len()
        );
        keys.extend(page.data_store_entries.into_iter().map(|e| e.id));
    }
    let mut rows = Vec::new();
    for key in &keys {
        let entry = inventory.entry(key);
        let before = entry.get_json::<Value>().map_err(err)?["currency"]
            .as_i64()
            .unwrap_or(0);
        let after = entry
            .update_with(|v: Option<Value>| {
                let mut v = v.unwrap_or_else(|| json!({}));
                v["currency"] = json!(v["currency"].as_i64().unwrap_or(0) + 10);
                v
            })
            .map_err(err)?;
        let after = after.value.unwrap_or_default()["currency"]
            .as_i64()
            .unwrap_or(0);
        rows.push(vec![key.clone(), before.to_string(), after.to_string()]);
    }
    crate::outln!("Added 10 to every user's currency:\n");
    output::table(&["user", "before", "after"], &rows);

    // Scenario 2: a leaderboard on an ordered data store.
    crate::outln!("\n== Scenario 2: leaderboard (ordered data store `PlayerScores`)");
    let board = client.ordered_data_store("PlayerScores", "global");
    for name in ["Ragdoll", "Balinese", "Tabby", "Siamese"] {
        board.entry(name).set(1 + roll(50)).map_err(err)?;
    }
    let ranked: Vec<_> = board
        .entries(|l| l.order(Order::Descending))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    crate::outln!("Highest score first:\n");
    output::table(
        &["rank", "player", "score"],
        &ranked
            .iter()
            .enumerate()
            .map(|(i, e)| vec![(i + 1).to_string(), e.id.clone(), e.value.to_string()])
            .collect::<Vec<_>>(),
    );
    crate::outln!(
        "\n{} requests served by the emulator. Next: `opencloud --help`, or point OPENCLOUD_BASE_URL at `opencloud emulator`.",
        em.app().requests().len()
    );
    Ok(())
}
