//! Bulk work: export, import, migrate. Streaming with bounded queues (constant memory), concurrent
//! up to `--concurrency`, with progress bars on a terminal and every failure reported by key.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use opencloud_blocking::{
    Attributes, CreateEntry, DataStoreEntry, DataStoreName, EntryAddress, EntryKey, EntryWrite,
    GetEntry, ListEntries, ListScope, Operation, Scope, UpdateEntry, UserId,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::cli::{ExportArgs, ImportArgs, ImportMode, MigrateArgs};
use crate::ctx::{CliError, Ctx, exit};

/// One line of an export file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The scope.
    #[serde(default = "global")]
    pub scope: String,
    /// The key.
    pub key: String,
    /// The value.
    pub value: Value,
    /// Users (`users/N`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserId>,
    /// Attributes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Map<String, Value>>,
    /// Revision exported (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_id: Option<String>,
    /// Creation time (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create_time: Option<jiff::Timestamp>,
    /// Revision time (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_create_time: Option<jiff::Timestamp>,
}

fn global() -> String {
    "global".into()
}

impl Record {
    fn from_entry(e: DataStoreEntry) -> Self {
        Record {
            scope: e.scope_or_global().to_string(),
            key: e.id.clone(),
            value: e.value.unwrap_or(Value::Null),
            users: e.users,
            attributes: e.attributes.filter(|a| !a.is_empty()),
            revision_id: e.revision_id,
            create_time: e.create_time,
            revision_create_time: e.revision_create_time,
        }
    }
}

fn progress(ctx: &Ctx, len: Option<u64>, what: &str) -> ProgressBar {
    let pb = match len {
        Some(n) => ProgressBar::new(n),
        None => ProgressBar::new_spinner(),
    };
    pb.set_draw_target(if ctx.quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr()
    });
    let template = if len.is_some() {
        "{msg} [{bar:30}] {pos}/{len} {per_sec:0} eta {eta}"
    } else {
        "{spinner} {msg} {pos} entries, {per_sec:0}, {elapsed}"
    };
    pb.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    pb.set_message(what.to_string());
    pb
}

/// Counts and failures of a bulk run.
#[derive(Default)]
struct Tally {
    done: AtomicU64,
    skipped: AtomicU64,
    failed: AtomicU64,
}

impl Tally {
    fn fail(&self, pb: &ProgressBar, scope: &str, key: &str, why: &str) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        pb.suspend(|| eprintln!("failed: scope {scope:?} key {key:?}: {why}"));
    }

    fn finish(
        &self,
        ctx: &Ctx,
        pb: &ProgressBar,
        verb: &str,
        started: std::time::Instant,
    ) -> Result<(), CliError> {
        pb.finish_and_clear();
        let (done, skipped, failed) = (
            self.done.load(Ordering::Relaxed),
            self.skipped.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        );
        if !ctx.quiet {
            let secs = started.elapsed().as_secs_f64();
            eprintln!(
                "{verb} {done} entries in {secs:.1}s ({:.0}/s), {skipped} skipped, {failed} failed",
                done as f64 / secs.max(1e-9)
            );
        }
        if failed > 0 {
            return Err(CliError {
                code: exit::PARTIAL,
                message: format!("{failed} entries failed (each is listed above)"),
                sent: None,
                hint: None,
            });
        }
        Ok(())
    }
}

/// Streams every entry of a listing, fetched `concurrency` at a time, in listing order, to `sink`.
/// Entries deleted between listing and reading are counted as skipped.
fn for_each_entry(
    ctx: &Ctx,
    list: ListEntries,
    concurrency: usize,
    tally: &Tally,
    pb: &ProgressBar,
    mut sink: impl FnMut(DataStoreEntry) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let concurrency = concurrency.max(1);
    let data_store = list.data_store.clone();
    for page in ctx.client.pages(list.clone()) {
        let page = page.map_err(|e| CliError::api(e, ctx.describe(&list)))?;
        let keys = page.data_store_entries;
        let results: Vec<Mutex<Option<Result<DataStoreEntry, opencloud_blocking::Error>>>> =
            keys.iter().map(|_| Mutex::new(None)).collect();
        let next = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..concurrency.min(keys.len()) {
                s.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(k) = keys.get(i) else { break };
                        let result =
                            EntryKey::new(&k.id)
                                .map_err(opencloud_blocking::Error::from)
                                .and_then(|key| {
                                    Ok(EntryAddress::new(
                                        ctx.universe.clone(),
                                        data_store.clone(),
                                        key,
                                    )
                                    .in_scope(Scope::new(k.scope_or_global())?))
                                })
                                .and_then(|a| ctx.client.send(&GetEntry::new(a)));
                        *results[i].lock().expect("result slot") = Some(result);
                    }
                });
            }
        });
        for (k, slot) in keys.iter().zip(results) {
            match slot
                .into_inner()
                .expect("result slot")
                .expect("every key was read")
            {
                Ok(e) => sink(e)?,
                Err(e) if e.is_not_found() => {
                    tally.skipped.fetch_add(1, Ordering::Relaxed);
                }
                Err(e) => tally.fail(pb, k.scope_or_global(), &k.id, &e.to_string()),
            }
        }
    }
    Ok(())
}

fn listing(
    ctx: &Ctx,
    data_store: &str,
    scope: Option<&str>,
    all_scopes: bool,
) -> Result<ListEntries, CliError> {
    let name = DataStoreName::new(data_store).map_err(|e| CliError::input(e.to_string()))?;
    let scope = match (scope, all_scopes) {
        (_, true) => ListScope::All,
        (Some(s), false) => {
            ListScope::Scope(Scope::new(s).map_err(|e| CliError::input(e.to_string()))?)
        }
        (None, false) => ListScope::Default,
    };
    Ok(ListEntries::new(ctx.universe.clone(), name)
        .scope(scope)
        .max_page_size(256))
}

pub fn export(ctx: &Ctx, args: ExportArgs) -> Result<(), CliError> {
    let list = listing(
        ctx,
        &args.data_store,
        args.scope.as_deref(),
        args.all_scopes,
    )?;
    let out: Box<dyn Write> = match &args.file {
        Some(f) => Box::new(
            std::fs::File::create(f)
                .map_err(|e| CliError::other(format!("cannot create {}: {e}", f.display())))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let tally = Tally::default();
    let pb = progress(ctx, None, "exporting");
    let started = std::time::Instant::now();
    for_each_entry(ctx, list, args.concurrency, &tally, &pb, |e| {
        serde_json::to_writer(&mut out, &Record::from_entry(e))
            .map_err(|e| CliError::other(e.to_string()))?;
        out.write_all(b"\n")
            .map_err(|e| CliError::other(format!("cannot write the export: {e}")))?;
        tally.done.fetch_add(1, Ordering::Relaxed);
        pb.inc(1);
        Ok(())
    })?;
    out.flush()
        .map_err(|e| CliError::other(format!("cannot write the export: {e}")))?;
    tally.finish(ctx, &pb, "exported", started)
}

/// A write to perform: where, what, and how.
struct Job {
    scope: String,
    key: String,
    write: Result<EntryWrite, String>,
}

/// Where and how the writers write.
struct WriteTarget<'a> {
    data_store: &'a DataStoreName,
    mode: ImportMode,
    dry_run: bool,
    concurrency: usize,
}

/// Runs writes from a bounded queue on `target.concurrency` threads.
fn writers(
    ctx: &Ctx,
    target: WriteTarget<'_>,
    tally: &Tally,
    pb: &ProgressBar,
    jobs: Receiver<Job>,
) {
    let WriteTarget {
        data_store,
        mode,
        dry_run,
        concurrency,
    } = target;
    let jobs = Mutex::new(jobs);
    std::thread::scope(|s| {
        for _ in 0..concurrency.max(1) {
            s.spawn(|| {
                loop {
                    let Ok(job) = jobs.lock().expect("job queue").recv() else {
                        break;
                    };
                    let result = job.write.and_then(|w| {
                        let key = EntryKey::new(&job.key).map_err(|e| e.to_string())?;
                        let scope = Scope::new(&job.scope).map_err(|e| e.to_string())?;
                        let a = EntryAddress::new(ctx.universe.clone(), data_store.clone(), key)
                            .in_scope(scope);
                        if dry_run {
                            // Validate as the real write would, without sending it.
                            return CreateEntry::new(a, w)
                                .to_request(ctx.client.config())
                                .map(|_| ())
                                .map_err(|e| e.to_string());
                        }
                        match mode {
                            ImportMode::Create => {
                                ctx.client.send(&CreateEntry::new(a, w)).map(|_| ())
                            }
                            ImportMode::Overwrite => ctx
                                .client
                                .send(&UpdateEntry::new(a, w).allow_missing(true))
                                .map(|_| ()),
                        }
                        .map_err(|e| e.to_string())
                    });
                    match result {
                        Ok(()) => {
                            tally.done.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(why) => tally.fail(pb, &job.scope, &job.key, &why),
                    }
                    pb.inc(1);
                }
            });
        }
    });
}

/// Counts the lines of a file without holding it in memory.
fn count_lines(f: std::fs::File) -> std::io::Result<u64> {
    let mut reader = BufReader::with_capacity(1 << 16, f);
    let mut n = 0;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(n);
        }
        n += buf.iter().filter(|b| **b == b'\n').count() as u64;
        let len = buf.len();
        reader.consume(len);
    }
}

fn record_write(r: &Record) -> Result<EntryWrite, String> {
    let mut w = EntryWrite::new(r.value.clone()).users(r.users.clone());
    if let Some(a) = &r.attributes {
        w = w.attributes(Attributes::new(a.clone()).map_err(|e| e.to_string())?);
    }
    Ok(w)
}

pub fn import(ctx: &Ctx, args: ImportArgs) -> Result<(), CliError> {
    let data_store =
        DataStoreName::new(&args.data_store).map_err(|e| CliError::input(e.to_string()))?;
    // For a file, count its lines first (streaming, constant memory) so the bar has a total
    // and an ETA; stdin can be read once only, so it gets a spinner.
    let (input, total): (Box<dyn BufRead>, Option<u64>) = if args.file.as_os_str() == "-" {
        (Box::new(BufReader::new(std::io::stdin().lock())), None)
    } else {
        let open = || {
            std::fs::File::open(&args.file)
                .map_err(|e| CliError::other(format!("cannot open {}: {e}", args.file.display())))
        };
        let lines = count_lines(open()?)
            .map_err(|e| CliError::other(format!("cannot read {}: {e}", args.file.display())))?;
        (
            Box::new(BufReader::with_capacity(1 << 16, open()?)),
            Some(lines),
        )
    };
    let tally = Tally::default();
    let pb = progress(
        ctx,
        total,
        if args.dry_run {
            "checking"
        } else {
            "importing"
        },
    );
    let started = std::time::Instant::now();
    let (tx, rx): (SyncSender<Job>, Receiver<Job>) = sync_channel(args.concurrency.max(1) * 4);
    std::thread::scope(|s| -> Result<(), CliError> {
        let (tally_ref, pb_ref) = (&tally, &pb);
        let data_store = &data_store;
        s.spawn(move || {
            writers(
                ctx,
                WriteTarget {
                    data_store,
                    mode: args.mode,
                    dry_run: args.dry_run,
                    concurrency: args.concurrency,
                },
                tally_ref,
                pb_ref,
                rx,
            )
        });
        for (n, line) in input.lines().enumerate() {
            let line =
                line.map_err(|e| CliError::other(format!("cannot read line {}: {e}", n + 1)))?;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<Record>(&line) {
                Ok(r) => {
                    let write = record_write(&r);
                    if tx
                        .send(Job {
                            scope: r.scope,
                            key: r.key,
                            write,
                        })
                        .is_err()
                    {
                        break;
                    }
                }
                Err(e) => {
                    let key = serde_json::from_str::<Value>(&line)
                        .ok()
                        .and_then(|v| v.get("key").and_then(Value::as_str).map(String::from))
                        .unwrap_or_default();
                    tally.fail(
                        &pb,
                        "?",
                        &key,
                        &format!("line {} is not an export record: {e}", n + 1),
                    );
                }
            }
        }
        drop(tx);
        Ok(())
    })?;
    tally.finish(
        ctx,
        &pb,
        if args.dry_run { "checked" } else { "imported" },
        started,
    )
}

pub fn migrate(ctx: &Ctx, args: MigrateArgs) -> Result<(), CliError> {
    let list = listing(ctx, &args.data_store, None, args.all_scopes)?;
    let to = DataStoreName::new(&args.to).map_err(|e| CliError::input(e.to_string()))?;
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(&args.transform)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| {
            CliError::other(format!(
                "cannot run the transform {:?}: {e}",
                args.transform
            ))
        })?;
    let mut child_in = BufWriter::new(child.stdin.take().expect("piped"));
    let child_out = BufReader::new(child.stdout.take().expect("piped"));
    let tally = Tally::default();
    let pb = progress(
        ctx,
        None,
        if args.dry_run {
            "transforming (dry run)"
        } else {
            "migrating"
        },
    );
    let started = std::time::Instant::now();
    // Keys in the order their lines went to the transform, to pair with its output lines. Not
    // bounded: a transform that answers only at the end of its input (`sort`) must not deadlock.
    let (key_tx, key_rx) = std::sync::mpsc::channel::<(String, String)>();
    let (job_tx, job_rx) = sync_channel::<Job>(args.concurrency.max(1) * 4);
    let transform_error: Mutex<Option<String>> = Mutex::new(None);
    let result = std::thread::scope(|s| -> Result<(), CliError> {
        let (tally_ref, pb_ref, to_ref) = (&tally, &pb, &to);
        s.spawn(move || {
            writers(
                ctx,
                WriteTarget {
                    data_store: to_ref,
                    mode: ImportMode::Overwrite,
                    dry_run: args.dry_run,
                    concurrency: args.concurrency,
                },
                tally_ref,
                pb_ref,
                job_rx,
            )
        });
        let terr = &transform_error;
        s.spawn(move || {
            let mut lines = child_out.lines();
            for (scope, key) in key_rx {
                let job = match lines.next() {
                    Some(Ok(line)) => match serde_json::from_str::<Value>(&line) {
                        Ok(Value::Null) => {
                            tally_ref.skipped.fetch_add(1, Ordering::Relaxed);
                            pb_ref.inc(1);
                            continue;
                        }
                        Ok(Value::Object(mut m)) => {
                            let scope = m
                                .remove("scope")
                                .and_then(|v| v.as_str().map(String::from))
                                .unwrap_or(scope);
                            let key = m
                                .remove("key")
                                .and_then(|v| v.as_str().map(String::from))
                                .unwrap_or(key);
                            let write = serde_json::from_value::<Record>(serde_json::json!({
                                "scope": scope, "key": key,
                                "value": m.remove("value").unwrap_or(Value::Null),
                                "users": m.remove("users").unwrap_or(Value::Array(vec![])),
                                "attributes": m.remove("attributes").unwrap_or(Value::Null),
                            }))
                            .map_err(|e| format!("the transform's output is not an entry: {e}"))
                            .and_then(|r| record_write(&r));
                            Job { scope, key, write }
                        }
                        Ok(other) => Job {
                            scope,
                            key,
                            write: Err(format!(
                                "the transform wrote {other}, not an object or null"
                            )),
                        },
                        Err(e) => Job {
                            scope,
                            key,
                            write: Err(format!("the transform wrote a line that is not JSON: {e}")),
                        },
                    },
                    Some(Err(e)) => Job {
                        scope,
                        key,
                        write: Err(format!("cannot read the transform's output: {e}")),
                    },
                    None => {
                        *terr.lock().expect("error slot") =
                            Some("the transform ended before answering every entry".into());
                        tally_ref.fail(
                            pb_ref,
                            &scope,
                            &key,
                            "the transform wrote no line for this entry",
                        );
                        continue;
                    }
                };
                if job_tx.send(job).is_err() {
                    break;
                }
            }
        });
        let fed = for_each_entry(ctx, list, args.concurrency, &tally, &pb, |e| {
            let record = Record::from_entry(e);
            key_tx
                .send((record.scope.clone(), record.key.clone()))
                .map_err(|_| CliError::other("the transform stopped"))?;
            serde_json::to_writer(&mut child_in, &record)
                .map_err(|e| CliError::other(e.to_string()))?;
            child_in
                .write_all(b"\n")
                .and_then(|_| child_in.flush())
                .map_err(|e| CliError::other(format!("cannot write to the transform: {e}")))
        });
        drop(child_in);
        drop(key_tx);
        fed
    });
    let status = child.wait().map_err(|e| CliError::other(e.to_string()))?;
    result?;
    if let Some(e) = transform_error.lock().expect("error slot").take() {
        return Err(CliError::other(e));
    }
    if !status.success() {
        return Err(CliError::other(format!(
            "the transform exited with {status}"
        )));
    }
    tally.finish(
        ctx,
        &pb,
        if args.dry_run {
            "transformed (dry run, nothing written)"
        } else {
            "migrated"
        },
        started,
    )
}
