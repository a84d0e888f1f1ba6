//! Tables for people, JSON for scripts. Output never panics: a closed pipe (`| head`) ends the
//! command quietly with exit 0, long cells are padded by hand (no formatting width limit), and
//! text from outside is printed with control characters escaped.

use std::io::Write;

use serde::Serialize;

use crate::cli::Output;
use crate::status;

/// Writes to stdout; a reader that went away ends the process quietly, as Unix tools do.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out
        .write_all(text.as_bytes())
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        status::eprint(&format!("error: cannot write the output: {e}"));
        std::process::exit(1);
    }
}

/// Prints one JSON document on one line.
pub fn json<T: Serialize + ?Sized>(value: &T) {
    match serde_json::to_string(value) {
        Ok(s) => print(&s),
        Err(e) => status::eprint(&format!("error: cannot serialize the output: {e}")),
    }
}

/// Columns wider than this do not widen the others' alignment (the cell is still printed whole).
const MAX_ALIGN: usize = 60;

fn pad(cell: &str, width: usize) -> String {
    let n = cell.chars().count();
    let mut s = String::with_capacity(cell.len() + width.saturating_sub(n));
    s.push_str(cell);
    for _ in n..width {
        s.push(' ');
    }
    s
}

/// A table printed as it comes: the column widths are set by the header and the first batch of
/// rows, so the first lines appear at once.
pub struct Table {
    header: Vec<String>,
    widths: Option<Vec<usize>>,
}

impl Table {
    /// A table with these columns.
    pub fn new(header: &[&str]) -> Self {
        Self {
            header: header.iter().map(|h| h.to_string()).collect(),
            widths: None,
        }
    }

    fn line(&self, cells: &[String]) {
        let widths = self.widths.as_deref().unwrap_or(&[]);
        let last = cells.len().saturating_sub(1);
        let s: Vec<String> = cells
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let c = status::escape(c);
                if i == last {
                    c
                } else {
                    pad(&c, widths.get(i).copied().unwrap_or(0))
                }
            })
            .collect();
        print(s.join("  ").trim_end());
    }

    /// Prints a batch of rows (the first batch prints the header too).
    pub fn rows(&mut self, rows: &[Vec<String>]) {
        if self.widths.is_none() {
            let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
            for r in rows {
                for (i, c) in r.iter().enumerate() {
                    let w = status::escape(c).chars().count().min(MAX_ALIGN);
                    match widths.get_mut(i) {
                        Some(x) => *x = (*x).max(w),
                        None => widths.push(w),
                    }
                }
            }
            self.widths = Some(widths);
            let header = self.header.clone();
            self.line(&header);
        }
        for r in rows {
            self.line(r);
        }
    }
}

/// Prints rows as aligned columns under a header.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    Table::new(header).rows(rows);
}

/// A JSON value for a table cell: strings bare, anything else compact JSON.
pub fn cell(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A listing printed page by page: a table, one JSON array, or JSON lines.
pub struct Listing {
    out: Output,
    table: Table,
    count: usize,
}

impl Listing {
    /// Starts a listing.
    pub fn new(out: Output, header: &[&str]) -> Self {
        Self {
            out,
            table: Table::new(header),
            count: 0,
        }
    }

    /// Prints a page of items.
    pub fn page<T>(
        &mut self,
        items: &[T],
        row: impl Fn(&T) -> Vec<String>,
        json: impl Fn(&T) -> serde_json::Value,
    ) {
        match self.out {
            Output::Table => self.table.rows(&items.iter().map(row).collect::<Vec<_>>()),
            Output::Jsonl => items.iter().for_each(|i| self::json(&json(i))),
            Output::Json => {
                for i in items {
                    let s = serde_json::to_string(&json(i)).unwrap_or_else(|_| "null".into());
                    print(&format!("{}{s}", if self.count == 0 { "[" } else { "," }));
                    self.count += 1;
                }
            }
        }
    }

    /// Ends the listing (closes the JSON array; prints the header of an empty table).
    pub fn finish(mut self) {
        match self.out {
            Output::Json if self.count == 0 => print("[]"),
            Output::Json => print("]"),
            Output::Table if self.table.widths.is_none() => self.table.rows(&[]),
            _ => {}
        }
    }
}

/// `println!` that ends quietly on a closed pipe (see [`print()`]).
#[macro_export]
macro_rules! outln {
    ($($t:tt)*) => { $crate::output::print(&format!($($t)*)) };
}
