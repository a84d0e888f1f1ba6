//! What one GET costs, and whether that depends on how large the data store is or on how far
//! apart the keys read are.
//!
//! Starts an emulator in its own process (`opencloud emulator`, in memory, throttling off), seeds
//! a 10,000-entry and a 100,000-entry data store in it, then reads, `ROUNDS` times in turn, with
//! the blocking client on 16 threads:
//!
//! * every key of the small store;
//! * the first 10,000 keys of the large store (neighbours, as in the small one);
//! * every tenth key of the large store (10,000 reads spread over all of it);
//! * every key of the small store ten times (100,000 reads, a small working set);
//! * every key of the large store (100,000 reads, a large working set).
//!
//! For each it prints the median, over the rounds, of the wall time per GET and of the CPU time
//! per GET of each process (the emulator and the client), read from `/proc` (Linux; elsewhere
//! only wall time is printed). The CPU columns are what is worth comparing across rows: on a
//! shared machine the wall time drifts by a third between rounds.
//!
//! `cargo bench -p opencloud-cli --bench read_cost` (`-- --test` for one quick round)

mod common;

use std::time::Instant;

use common::{THREADS, client, on_threads, seed, start_emulator};
use opencloud_blocking::DataStoreHandle;

const ROUNDS: usize = 5;

/// User plus system CPU time of a process in microseconds, from `/proc/{pid}/stat` (fields 14
/// and 15, in clock ticks of 10 ms); `None` where there is no such file.
fn cpu_us(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * 10_000.0)
}

/// One row: its name, the store, how many GETs, and the key number of the i-th.
struct Pattern<'a> {
    name: &'static str,
    store: &'a DataStoreHandle,
    reads: usize,
    key: fn(usize) -> usize,
}

/// Per GET: wall µs, emulator CPU µs, client CPU µs.
fn measure(p: &Pattern<'_>, emulator: u32) -> [Option<f64>; 3] {
    let me = std::process::id();
    let (e0, c0) = (cpu_us(emulator), cpu_us(me));
    let start = Instant::now();
    on_threads(p.reads, |i| {
        p.store
            .entry(&format!("user_{:07}", (p.key)(i)))
            .get()
            .expect("get");
    });
    let n = p.reads as f64;
    let wall = start.elapsed().as_secs_f64() * 1e6 / n;
    let (e1, c1) = (cpu_us(emulator), cpu_us(me));
    let per = |a: Option<f64>, b: Option<f64>| Some((b? - a?) / n);
    [Some(wall), per(e0, e1), per(c0, c1)]
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied()
}

fn main() {
    let quick = std::env::args().any(|a| a == "--test");
    let rounds = if quick { 1 } else { ROUNDS };
    let (mut emulator, base) = start_emulator();
    let client = client(&base);
    let (small, large) = (client.data_store("Small"), client.data_store("Large"));
    seed(&small, 10_000);
    seed(&large, 100_000);
    let patterns = [
        Pattern {
            name: "small store, every key (10,000)",
            store: &small,
            reads: 10_000,
            key: |i| i,
        },
        Pattern {
            name: "large store, first 10,000 keys",
            store: &large,
            reads: 10_000,
            key: |i| i,
        },
        Pattern {
            name: "large store, every tenth key (10,000)",
            store: &large,
            reads: 10_000,
            key: |i| i * 10,
        },
        Pattern {
            name: "small store, every key ten times (100,000)",
            store: &small,
            reads: 100_000,
            key: |i| i % 10_000,
        },
        Pattern {
            name: "large store, every key (100,000)",
            store: &large,
            reads: 100_000,
            key: |i| i,
        },
    ];
    let mut figures: Vec<[Vec<f64>; 3]> = patterns.iter().map(|_| Default::default()).collect();
    for _ in 0..rounds {
        for (p, f) in patterns.iter().zip(&mut figures) {
            for (column, value) in f.iter_mut().zip(measure(p, emulator.id())) {
                column.extend(value);
            }
        }
    }
    let _ = emulator.kill();
    let _ = emulator.wait();
    let show = |v: &Vec<f64>| median(v.clone()).map_or("n/a".into(), |m| format!("{m:.1}"));
    println!(
        "| reads ({THREADS} threads, median of {rounds}) | wall µs / GET | emulator CPU µs / GET | client CPU µs / GET |"
    );
    println!("|---|---|---|---|");
    for (p, [wall, emu, cli]) in patterns.iter().zip(&figures) {
        println!(
            "| {} | {} | {} | {} |",
            p.name,
            show(wall),
            show(emu),
            show(cli)
        );
    }
}
