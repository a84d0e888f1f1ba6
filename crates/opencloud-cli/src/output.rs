//! Tables for people, JSON for scripts.

use serde::Serialize;

use crate::cli::Output;

/// Prints one JSON document on one line.
pub fn json<T: Serialize + ?Sized>(value: &T) {
    println!("{}", serde_json::to_string(value).expect("serializable"));
}

/// Prints rows as aligned columns under a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let s: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c:<w$}", w = widths[i]))
            .collect();
        println!("{}", s.join("  ").trim_end());
    };
    line(header.iter().map(|h| h.to_string()).collect());
    for r in rows {
        line(r.clone());
    }
}

/// A JSON value for a table cell: strings bare, anything else compact JSON.
pub fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Prints either a table of `rows` or JSON lines of `items`.
pub fn listing<T: Serialize>(
    out: Output,
    header: &[&str],
    items: &[T],
    row: impl Fn(&T) -> Vec<String>,
) {
    match out {
        Output::Json => items.iter().for_each(|i| json(i)),
        Output::Table => table(header, &items.iter().map(row).collect::<Vec<_>>()),
    }
}
