//! Differential tests: random sequences of operations against the emulator and against a
//! simple in-memory model must agree on every status, value, listing and revision count.

mod common;

use std::collections::BTreeMap;

use common::*;
use opencloud_core::wire::encode_component;
use proptest::prelude::*;
use serde_json::{Value, json};

#[derive(Debug, Clone)]
enum Op {
    Create(usize, usize, Value),
    Update(usize, usize, Value, bool),
    Increment(usize, usize, i64),
    Delete(usize, usize),
    Get(usize, usize),
    List(Option<usize>, &'static str, bool, u32),
    Revisions(usize, usize, u32),
}

const SCOPES: [&str; 2] = ["global", "s/1"];
const KEYS: [&str; 5] = ["a", "ab", "b", "b/c", "x@y"];

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-5i64..5).prop_map(|n| json!(n)),
        "[a-z]{0,3}".prop_map(|s| json!(s)),
        Just(json!({"k": [1, 2]}))
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let s = 0..SCOPES.len();
    let k = 0..KEYS.len();
    prop_oneof![
        (s.clone(), k.clone(), value()).prop_map(|(s, k, v)| Op::Create(s, k, v)),
        (s.clone(), k.clone(), value(), any::<bool>())
            .prop_map(|(s, k, v, a)| Op::Update(s, k, v, a)),
        (s.clone(), k.clone(), -3i64..4).prop_map(|(s, k, n)| Op::Increment(s, k, n)),
        (s.clone(), k.clone()).prop_map(|(s, k)| Op::Delete(s, k)),
        (s.clone(), k.clone()).prop_map(|(s, k)| Op::Get(s, k)),
        (
            proptest::option::of(s.clone()),
            prop_oneof![Just(""), Just("a"), Just("b")],
            any::<bool>(),
            1u32..4
        )
            .prop_map(|(s, p, d, n)| Op::List(s, p, d, n)),
        (s, k, 1u32..3).prop_map(|(s, k, n)| Op::Revisions(s, k, n)),
    ]
}

#[derive(Debug, Clone)]
struct Model {
    value: Value,
    deleted: bool,
    revisions: usize,
}

fn base(scope: usize) -> String {
    format!(
        "/cloud/v2/universes/1/data-stores/D/scopes/{}/entries",
        encode_component(SCOPES[scope])
    )
}

/// The `{entry_id}` segment for reads: keys with `@` need `@latest`.
fn read_id(key: &str) -> String {
    let enc = encode_component(key);
    if key.contains('@') {
        format!("{enc}@latest")
    } else {
        enc
    }
}

fn collect_pages(h: &Http, first: &str, field: &str) -> (u16, Vec<Value>) {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let url = match &token {
            Some(t) => format!("{first}&pageToken={t}"),
            None => first.to_string(),
        };
        let r = h.get(&url);
        if r.status != 200 {
            return (r.status, out);
        }
        out.extend(r.body[field].as_array().unwrap().iter().cloned());
        match r.body["nextPageToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => return (200, out),
        }
    }
}

fn run_standard(h: &Http, ops: &[Op]) -> Result<(), TestCaseError> {
    h.control("POST", "/_emulator/reset", None);
    let mut m: BTreeMap<(usize, usize), Model> = BTreeMap::new();
    for op in ops {
        match op.clone() {
            Op::Create(s, k, v) => {
                let r = h.post(
                    &format!("{}?id={}", base(s), encode_component(KEYS[k])),
                    json!({"value": v}),
                );
                let live = m.get(&(s, k)).is_some_and(|e| !e.deleted);
                if live {
                    prop_assert_eq!(r.status, 400, "{:?}", op);
                } else {
                    prop_assert_eq!(r.status, 200, "{:?}: {}", op, r.text);
                    prop_assert_eq!(&r.body["value"], &v);
                    let e = m.entry((s, k)).or_insert(Model {
                        value: Value::Null,
                        deleted: false,
                        revisions: 0,
                    });
                    e.value = v;
                    e.deleted = false;
                    e.revisions += 1;
                }
            }
            Op::Update(s, k, v, allow) => {
                let q = if allow { "?allowMissing=true" } else { "" };
                let id = if allow {
                    encode_component(KEYS[k])
                } else {
                    read_id(KEYS[k])
                };
                let r = h.patch(&format!("{}/{id}{q}", base(s)), json!({"value": v}));
                let live = m.get(&(s, k)).is_some_and(|e| !e.deleted);
                if !live && !allow {
                    prop_assert_eq!(r.status, 404, "{:?}", op);
                } else {
                    prop_assert_eq!(r.status, 200, "{:?}: {}", op, r.text);
                    let e = m.entry((s, k)).or_insert(Model {
                        value: Value::Null,
                        deleted: false,
                        revisions: 0,
                    });
                    e.value = v;
                    e.deleted = false;
                    e.revisions += 1;
                }
            }
            Op::Increment(s, k, n) => {
                let r = h.post(
                    &format!("{}/{}:increment", base(s), encode_component(KEYS[k])),
                    json!({"amount": n}),
                );
                let current = m
                    .get(&(s, k))
                    .filter(|e| !e.deleted)
                    .map(|e| e.value.clone());
                match current.as_ref().map(|v| v.as_i64()) {
                    Some(None) => prop_assert_eq!(r.status, 400, "{:?}: {}", op, r.text),
                    other => {
                        let next = other.flatten().unwrap_or(0) + n;
                        prop_assert_eq!(r.status, 200, "{:?}: {}", op, r.text);
                        prop_assert_eq!(&r.body["value"], &json!(next));
                        let e = m.entry((s, k)).or_insert(Model {
                            value: Value::Null,
                            deleted: false,
                            revisions: 0,
                        });
                        e.value = json!(next);
                        e.deleted = false;
                        e.revisions += 1;
                    }
                }
            }
            Op::Delete(s, k) => {
                let r = h.delete(&format!("{}/{}", base(s), read_id(KEYS[k])));
                match m.get_mut(&(s, k)).filter(|e| !e.deleted) {
                    Some(e) => {
                        prop_assert_eq!(r.status, 200, "{:?}: {}", op, r.text);
                        e.deleted = true;
                        e.revisions += 1;
                    }
                    None => prop_assert_eq!(r.status, 404, "{:?}", op),
                }
            }
            Op::Get(s, k) => {
                let r = h.get(&format!("{}/{}", base(s), read_id(KEYS[k])));
                match m.get(&(s, k)).filter(|e| !e.deleted) {
                    Some(e) => {
                        prop_assert_eq!(r.status, 200, "{:?}: {}", op, r.text);
                        prop_assert_eq!(&r.body["value"], &e.value);
                        prop_assert_eq!(r.body["id"].as_str(), Some(KEYS[k]));
                    }
                    None => prop_assert_eq!(r.status, 404, "{:?}", op),
                }
            }
            Op::List(scope, prefix, show_deleted, size) => {
                let coll = match scope {
                    Some(s) => base(s),
                    None => "/cloud/v2/universes/1/data-stores/D/scopes/-/entries".to_string(),
                };
                let filter = encode_component(&format!("id.startsWith(\"{prefix}\")"));
                let first =
                    format!("{coll}?maxPageSize={size}&filter={filter}&showDeleted={show_deleted}");
                let (status, items) = collect_pages(h, &first, "dataStoreEntries");
                // A data store that was never written does not exist yet.
                if m.is_empty() {
                    prop_assert!(status == 200 || status == 404);
                    continue;
                }
                prop_assert_eq!(status, 200);
                let got: Vec<(String, String)> = items
                    .iter()
                    .map(|e| {
                        let path = e["path"].as_str().unwrap();
                        let scope = path
                            .split("/scopes/")
                            .nth(1)
                            .map(|r| {
                                opencloud_core::wire::decode_component(r.split('/').next().unwrap())
                                    .unwrap()
                            })
                            .unwrap_or_else(|| "global".into());
                        (scope, e["id"].as_str().unwrap().to_string())
                    })
                    .collect();
                let mut want: Vec<(String, String)> = m
                    .iter()
                    .filter(|((s, k), e)| {
                        scope.is_none_or(|sc| sc == *s)
                            && KEYS[*k].starts_with(prefix)
                            && (show_deleted || !e.deleted)
                    })
                    .map(|((s, k), _)| (SCOPES[*s].to_string(), KEYS[*k].to_string()))
                    .collect();
                want.sort();
                prop_assert_eq!(got, want, "{:?}", op);
            }
            Op::Revisions(s, k, size) => {
                let first = format!(
                    "{}/{}:listRevisions?maxPageSize={size}",
                    base(s),
                    read_id(KEYS[k])
                );
                let (status, items) = collect_pages(h, &first, "dataStoreEntries");
                match m.get(&(s, k)) {
                    Some(e) => {
                        prop_assert_eq!(status, 200);
                        prop_assert_eq!(items.len(), e.revisions, "{:?}", op);
                        let deleted = items.last().map(|r| r["state"] == "DELETED");
                        prop_assert_eq!(deleted, Some(e.deleted));
                    }
                    None => prop_assert_eq!(status, 404, "{:?}", op),
                }
            }
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
enum OOp {
    Create(usize, i64),
    Update(usize, i64, bool),
    Increment(usize, i64),
    Delete(usize),
    Get(usize),
    List(bool, Option<i64>, Option<i64>, u32),
}

const IDS: [&str; 6] = ["ava", "bo", "cy", "di", "ed", "f/g"];

fn oop() -> impl Strategy<Value = OOp> {
    let i = 0..IDS.len();
    let v = -4i64..5;
    prop_oneof![
        (i.clone(), v.clone()).prop_map(|(i, v)| OOp::Create(i, v)),
        (i.clone(), v.clone(), any::<bool>()).prop_map(|(i, v, a)| OOp::Update(i, v, a)),
        (i.clone(), v.clone()).prop_map(|(i, v)| OOp::Increment(i, v)),
        i.clone().prop_map(OOp::Delete),
        i.prop_map(OOp::Get),
        (
            any::<bool>(),
            proptest::option::of(v.clone()),
            proptest::option::of(v),
            1u32..4
        )
            .prop_map(|(d, a, b, n)| OOp::List(d, a, b, n)),
    ]
}

fn run_ordered(h: &Http, ops: &[OOp]) -> Result<(), TestCaseError> {
    h.control("POST", "/_emulator/reset", None);
    let mut m: BTreeMap<usize, i64> = BTreeMap::new();
    let item = |i: usize| format!("{O}/{}", encode_component(IDS[i]));
    for op in ops {
        match op.clone() {
            OOp::Create(i, v) => {
                let r = h.post(
                    &format!("{O}?id={}", encode_component(IDS[i])),
                    json!({"value": v}),
                );
                match m.entry(i) {
                    std::collections::btree_map::Entry::Occupied(_) => {
                        prop_assert_eq!(r.status, 400)
                    }
                    std::collections::btree_map::Entry::Vacant(slot) => {
                        prop_assert_eq!(r.status, 200, "{}", r.text);
                        slot.insert(v);
                    }
                }
            }
            OOp::Update(i, v, allow) => {
                let q = if allow { "?allowMissing=true" } else { "" };
                let r = h.patch(&format!("{}{q}", item(i)), json!({"value": v}));
                if m.contains_key(&i) || allow {
                    prop_assert_eq!(r.status, 200);
                    m.insert(i, v);
                } else {
                    prop_assert_eq!(r.status, 404);
                }
            }
            OOp::Increment(i, n) => {
                let r = h.post(&format!("{}:increment", item(i)), json!({"amount": n}));
                let next = m.get(&i).copied().unwrap_or(0) + n;
                prop_assert_eq!(r.status, 200);
                prop_assert_eq!(&r.body["value"], &json!(next));
                m.insert(i, next);
            }
            OOp::Delete(i) => {
                let r = h.delete(&item(i));
                prop_assert_eq!(r.status, if m.remove(&i).is_some() { 200 } else { 404 });
            }
            OOp::Get(i) => {
                let r = h.get(&item(i));
                match m.get(&i) {
                    Some(v) => prop_assert_eq!((r.status, &r.body["value"]), (200, &json!(v))),
                    None => prop_assert_eq!(r.status, 404),
                }
            }
            OOp::List(desc, min, max, size) => {
                let (min, max) = match (min, max) {
                    (Some(a), Some(b)) if a > b => (Some(b), Some(a)),
                    other => other,
                };
                let range = opencloud_core::OrderedRange { min, max };
                let mut first = format!("{O}?maxPageSize={size}");
                if desc {
                    first.push_str("&orderBy=value%20desc");
                }
                if let Some(f) = range.render() {
                    first.push_str(&format!("&filter={}", encode_component(&f)));
                }
                let (status, items) = collect_pages(h, &first, "orderedDataStoreEntries");
                prop_assert_eq!(status, 200);
                let got: Vec<(String, i64)> = items
                    .iter()
                    .map(|e| {
                        (
                            e["id"].as_str().unwrap().to_string(),
                            e["value"].as_i64().unwrap(),
                        )
                    })
                    .collect();
                let mut want: Vec<(String, i64)> = m
                    .iter()
                    .filter(|(_, v)| min.is_none_or(|a| **v >= a) && max.is_none_or(|b| **v <= b))
                    .map(|(i, v)| (IDS[*i].to_string(), *v))
                    .collect();
                // Order by value, ties by id ascending, in both directions.
                want.sort_by(|a, b| {
                    if desc {
                        b.1.cmp(&a.1).then(a.0.cmp(&b.0))
                    } else {
                        a.1.cmp(&b.1).then(a.0.cmp(&b.0))
                    }
                });
                prop_assert_eq!(got, want, "{:?}", op);
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn standard_entries_match_the_model(ops in proptest::collection::vec(op(), 1..40)) {
        thread_local!(static H: Http = Http::unthrottled());
        H.with(|h| run_standard(h, &ops))?;
    }

    #[test]
    fn ordered_entries_match_the_model(ops in proptest::collection::vec(oop(), 1..40)) {
        thread_local!(static H: Http = Http::unthrottled());
        H.with(|h| run_ordered(h, &ops))?;
    }
}
