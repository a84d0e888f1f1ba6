//! Build + parse cost of the core, next to plain `serde_json` parsing of the same bytes.
//! `cargo bench -p opencloud-core --bench core`

// criterion_group! generates undocumented functions.
#![allow(missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use opencloud_core::*;
use std::hint::black_box;

fn entry_json() -> Vec<u8> {
    serde_json::json!({
        "path": "universes/1234/data-stores/Inventory/entries/user_1",
        "createTime": "2024-01-01T00:00:00Z",
        "revisionId": "08DC3D3F43F9FCC1.0000000001.08DC3D3F43F9FCC1.01",
        "revisionCreateTime": "2024-01-01T00:00:00.123456Z",
        "state": "ACTIVE",
        "etag": "08DC3D3F43F9FCC1",
        "value": {"currency": 100, "items": ["sword", "shield", "potion"], "level": 12},
        "id": "user_1",
        "users": ["users/1"],
        "attributes": {"schema": 2}
    })
    .to_string()
    .into_bytes()
}

fn page_json(n: usize) -> Vec<u8> {
    let entries: Vec<_> = (0..n)
        .map(|i| serde_json::json!({"path": format!("universes/1234/data-stores/Inventory/entries/user_{i}"), "id": format!("user_{i}")}))
        .collect();
    serde_json::json!({"dataStoreEntries": entries, "nextPageToken": "eyJ2ZXJzaW9uIjoxLCJjdXJzb3IiOiIzIyJ9"}).to_string().into_bytes()
}

fn benches(c: &mut Criterion) {
    let cfg = Config::new(ApiKey::new("bench-key").unwrap());
    let addr = EntryAddress::new(
        UniverseId::from(1234),
        DataStoreName::new("Inventory").unwrap(),
        EntryKey::new("user_1").unwrap(),
    );
    let get = GetEntry::new(addr);
    let entry = entry_json();
    c.bench_function("get: build + parse", |b| {
        b.iter(|| {
            let req = get.to_request(&cfg).unwrap();
            black_box(req);
            let resp = http::Response::builder()
                .status(200)
                .body(entry.as_slice())
                .unwrap();
            black_box(get.parse(resp).unwrap())
        })
    });
    // The same call through the machine every client runs (a `Single` over an `Exchange`):
    // what the one-surface design costs over building and parsing by hand.
    let ctx = std::sync::Arc::new(Context::new(cfg.clone()));
    let now = jiff::Timestamp::from_second(1_700_000_000).unwrap();
    c.bench_function("get: the same through the Single machine", |b| {
        b.iter(|| {
            let mut m = Single::new(ctx.clone(), get.clone());
            let Action::Send(out) = m.step(Event::Start, now, 0.5) else {
                unreachable!()
            };
            black_box(out);
            let resp = http::Response::builder()
                .status(200)
                .body(entry.clone())
                .unwrap();
            match m.step(Event::Response(Ok(resp)), now, 0.5) {
                Action::Done(r) => black_box(r.unwrap()),
                _ => unreachable!(),
            }
        })
    });
    c.bench_function(
        "get: build + parse, owned body (the machine's input)",
        |b| {
            b.iter(|| {
                let req = get.to_request(&cfg).unwrap();
                black_box(req);
                let resp = http::Response::builder()
                    .status(200)
                    .body(entry.clone())
                    .unwrap();
                black_box(get.parse(resp).unwrap())
            })
        },
    );
    c.bench_function("get: serde_json::Value floor", |b| {
        b.iter(|| {
            black_box(serde_json::from_slice::<serde_json::Value>(black_box(&entry)).unwrap())
        })
    });
    let list = ListEntries::new(
        UniverseId::from(1234),
        DataStoreName::new("Inventory").unwrap(),
    )
    .max_page_size(256);
    let page = page_json(256);
    c.bench_function("list 256: build + parse", |b| {
        b.iter(|| {
            let req = list.to_request(&cfg).unwrap();
            black_box(req);
            let resp = http::Response::builder()
                .status(200)
                .body(page.as_slice())
                .unwrap();
            black_box(list.parse(resp).unwrap())
        })
    });
    c.bench_function("list 256: serde_json::Value floor", |b| {
        b.iter(|| black_box(serde_json::from_slice::<serde_json::Value>(black_box(&page)).unwrap()))
    });
}

criterion_group!(core, benches);
criterion_main!(core);
