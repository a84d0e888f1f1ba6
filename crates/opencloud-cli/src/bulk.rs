//! Bulk work: export, import, migrate.
//!
//! - Reading is pipelined: one thread lists pages while a fixed pool of workers reads the listed
//!   entries, and the entries come out in listing order through a bounded window (memory flat).
//! - Every job keeps a journal (`journal.rs`) so `--resume` continues it without doing
//!   anything twice, and stops cleanly on Ctrl-C (`signal.rs`).
//! - An export ends with a trailer (entry count and checksum) and appears under its name only
//!   when complete; import checks the trailer and the repeated keys before writing anything.
//! - A migration writes in place with the etag it read, matches the transform's answers to
//!   entries by key, and never applies its transform twice to one entry.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, channel, sync_channel};

use md5::{Digest, Md5};
use opencloud_blocking::{
    Attributes, DataStoreEntry, DataStoreName, EntryAddress, EntryKey, EntryWrite, ListEntries,
    ListScope, Operation, Page, PageToken, PagedOperation, Scope, Settled, UpdateEntry, UserId,
    WriteFingerprint,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::calls::{self, WriteOutcome};
use crate::cli::{ExportArgs, ImportArgs, ImportMode, JournalArgs, MigrateArgs, OnDuplicate};
use crate::ctx::{CliError, Ctx, exit};
use crate::journal::{self, Journal, Outcome, Prior, Priors, Writing};
use crate::{signal, status};

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

/// The last line of an export: how many records precede it and their checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trailer {
    /// Always `opencloud-export`.
    pub format: String,
    /// The format's version (1).
    pub version: u32,
    /// The number of record lines.
    pub entries: u64,
    /// MD5 of every byte before the trailer line, in hex.
    pub md5: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrailerLine {
    trailer: Trailer,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn address(
    ctx: &Ctx,
    store: &DataStoreName,
    scope: &str,
    key: &str,
) -> Result<EntryAddress, String> {
    let key = EntryKey::new(key).map_err(|e| e.to_string())?;
    let scope = Scope::new(scope).map_err(|e| e.to_string())?;
    Ok(EntryAddress::new(ctx.universe.clone(), store.clone(), key).in_scope(scope))
}

fn record_write(r: &Record) -> Result<EntryWrite, String> {
    let mut w = EntryWrite::new(r.value.clone()).users(r.users.clone());
    if let Some(a) = &r.attributes {
        w = w.attributes(Attributes::new(a.clone()).map_err(|e| e.to_string())?);
    }
    Ok(w)
}

/// The counts of a run.
#[derive(Default)]
struct Tally {
    done: AtomicU64,
    skipped: AtomicU64,
    unchanged: AtomicU64,
    failed: AtomicU64,
    unknown: AtomicU64,
    /// Done in an earlier run (from the journal).
    earlier: AtomicU64,
    /// Left with an unknown outcome by an earlier run (from the journal), and left alone.
    earlier_unknown: AtomicU64,
    /// Lines left out because another line of the same key was chosen.
    duplicates: AtomicU64,
}

impl Tally {
    /// Counts an entry a resumed job leaves alone because of what the journal says: done
    /// earlier, or unknown since an earlier run (an entry this run already reported is not
    /// counted again).
    fn count_prior(&self, p: &Prior) {
        match p.outcome {
            Outcome::Unknown if p.reported => {}
            Outcome::Unknown => bump(&self.earlier_unknown),
            _ => bump(&self.earlier),
        }
    }
}

fn bump(a: &AtomicU64) {
    a.fetch_add(1, Ordering::Relaxed);
}

impl Tally {
    fn fail(&self, scope: &str, key: &str, why: &str) {
        bump(&self.failed);
        status::eprint(&format!(
            "failed: scope \"{}\" key \"{}\": {}",
            status::escape(scope),
            status::escape(key),
            status::escape(why)
        ));
    }

    fn unknown(&self, scope: &str, key: &str, why: &str) {
        bump(&self.unknown);
        status::eprint(&format!(
            "outcome unknown: scope \"{}\" key \"{}\" may have been written; check it before retrying: {}",
            status::escape(scope),
            status::escape(key),
            status::escape(why)
        ));
    }

    fn get(a: &AtomicU64) -> u64 {
        a.load(Ordering::Relaxed)
    }

    fn line(&self, verb: &str, started: std::time::Instant) -> String {
        let done = Self::get(&self.done);
        let secs = started.elapsed().as_secs_f64();
        let mut s = format!(
            "{verb} {done} entries in {secs:.1}s ({:.0}/s), {} skipped, {} failed",
            done as f64 / secs.max(1e-9),
            Self::get(&self.skipped),
            Self::get(&self.failed)
        );
        for (n, what) in [
            (Self::get(&self.unchanged), "unchanged"),
            (Self::get(&self.unknown), "with an unknown outcome"),
            (Self::get(&self.earlier), "done in an earlier run"),
            (
                Self::get(&self.earlier_unknown),
                "left with an unknown outcome by an earlier run",
            ),
            (Self::get(&self.duplicates), "repeated lines left out"),
        ] {
            if n > 0 {
                s.push_str(&format!(", {n} {what}"));
            }
        }
        s
    }

    /// The summary and the exit status of a job that keeps a journal.
    fn finish(
        &self,
        ctx: &Ctx,
        verb: &str,
        started: std::time::Instant,
        journal: Option<Journal>,
        fatal: Option<CliError>,
    ) -> Result<(), CliError> {
        status::clear_bar();
        let summary = self.line(verb, started);
        if !ctx.quiet || signal::interrupted() {
            status::eprint(&summary);
        }
        let where_ = journal
            .as_ref()
            .map(|j| format!("the journal is {}", j.path().display()));
        if let Some(j) = &journal {
            j.sync();
        }
        if signal::interrupted() {
            return Err(CliError::with_code(
                exit::INTERRUPTED,
                format!("interrupted: {summary}"),
            )
            .hint(match where_ {
                Some(w) => format!(
                    "{w}; run the same command again with --resume to finish the job (nothing done is redone)"
                ),
                None => "nothing was saved for a resume; run the command again".to_string(),
            }));
        }
        if let Some(mut e) = fatal {
            if let Some(w) = where_ {
                let h = e.hint.take().map(|h| format!("{h}; ")).unwrap_or_default();
                e.hint = Some(format!(
                    "{h}{w}; after fixing the cause, run the same command with --resume"
                ));
            }
            return Err(e);
        }
        let (failed, unknown) = (Self::get(&self.failed), Self::get(&self.unknown));
        if unknown > 0 {
            return Err(CliError::with_code(
                exit::UNKNOWN,
                format!(
                    "{unknown} writes may have been applied (listed above as \"outcome unknown\"); check those entries before writing them again"
                ),
            )
            .hint(match where_ {
                Some(w) => format!(
                    "{w}; --resume leaves those entries alone{}",
                    if failed > 0 {
                        " and retries the failed ones"
                    } else {
                        ""
                    }
                ),
                None => "nothing was saved for a resume".to_string(),
            }));
        }
        if failed > 0 {
            return Err(CliError::with_code(
                exit::PARTIAL,
                format!("{failed} entries failed (each is listed above)"),
            )
            .hint(match where_ {
                Some(w) => format!("{w}; --resume retries only the failed entries"),
                None => "run the command again for the failed entries".to_string(),
            }));
        }
        if let Some(j) = journal {
            j.remove()?;
        }
        Ok(())
    }
}

/// What the reading pipeline hands on.
enum Fetched {
    Entry(DataStoreEntry),
    /// Every entry of a page was handed on; the token of the next page (`None`: the last page).
    PageEnd(Option<String>),
    /// Listed, then deleted before it was read.
    Gone,
    /// Could not be read.
    Failed {
        scope: String,
        key: String,
        why: String,
    },
}

/// Lists `list` and reads every listed entry that `skip` does not exclude, on a fixed pool of
/// `concurrency` workers shared across pages while the next page is being listed, and hands
/// them to `sink` in listing order. At most `window` entries are in flight or waiting for their
/// turn, so memory does not grow with the store.
fn fetch_entries(
    ctx: &Ctx,
    list: ListEntries,
    concurrency: usize,
    skip: &(dyn Fn(&str, &str) -> bool + Sync),
    mut sink: impl FnMut(Fetched) -> Result<(), CliError>,
) -> Result<(), CliError> {
    let concurrency = concurrency.max(1);
    let window = (concurrency * 4).max(2 * 256);
    let data_store = list.data_store.clone();
    let abort = AtomicBool::new(false);
    let list_error: Mutex<Option<CliError>> = Mutex::new(None);
    type Job = (u64, Option<(String, String)>, Option<String>);
    let (job_tx, job_rx) = sync_channel::<Job>(concurrency * 2);
    let job_rx = Mutex::new(job_rx);
    let (res_tx, res_rx) = channel::<(u64, Fetched)>();
    let (slot_tx, slot_rx) = sync_channel::<()>(window);
    for _ in 0..window {
        let _ = slot_tx.send(());
    }
    std::thread::scope(|s| -> Result<(), CliError> {
        // The lister: pages in order, each key numbered, one slot of the window per key.
        let (abort, list_error) = (&abort, &list_error);
        let list_op = list.clone();
        s.spawn(move || {
            let mut seq = 0u64;
            for page in calls::pages(ctx, list_op.clone()) {
                let page = match page {
                    Ok(p) => p,
                    Err(e) => {
                        *list_error.lock().unwrap_or_else(|e| e.into_inner()) =
                            Some(CliError::api(e, ctx.describe(&list_op), None));
                        return;
                    }
                };
                let next = page.next_page_token().map(String::from);
                for k in page.data_store_entries {
                    let scope = k.scope_or_global().to_string();
                    if skip(&scope, &k.id) {
                        continue;
                    }
                    if signal::stopping() || abort.load(Ordering::Relaxed) {
                        return;
                    }
                    if slot_rx.recv().is_err()
                        || job_tx.send((seq, Some((scope, k.id)), None)).is_err()
                    {
                        return;
                    }
                    seq += 1;
                }
                if signal::stopping() || abort.load(Ordering::Relaxed) {
                    return;
                }
                if slot_rx.recv().is_err() || job_tx.send((seq, None, next)).is_err() {
                    return;
                }
                seq += 1;
            }
        });
        for _ in 0..concurrency {
            let (job_rx, res_tx, data_store) = (&job_rx, res_tx.clone(), &data_store);
            s.spawn(move || {
                loop {
                    let next = job_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok((seq, job, next_page)) = next else {
                        break;
                    };
                    if signal::stopping() || abort.load(Ordering::Relaxed) {
                        break;
                    }
                    let Some((scope, key)) = job else {
                        if res_tx.send((seq, Fetched::PageEnd(next_page))).is_err() {
                            break;
                        }
                        continue;
                    };
                    let fetched = match address(ctx, data_store, &scope, &key) {
                        Err(why) => Fetched::Failed { scope, key, why },
                        Ok(a) => match calls::get_entry(ctx, a) {
                            Ok(Some(e)) => Fetched::Entry(e),
                            Ok(None) => Fetched::Gone,
                            Err(e) => Fetched::Failed {
                                scope,
                                key,
                                why: e.to_string(),
                            },
                        },
                    };
                    if res_tx.send((seq, fetched)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(res_tx);
        let mut waiting: BTreeMap<u64, Fetched> = BTreeMap::new();
        let mut next = 0u64;
        for (seq, f) in res_rx {
            waiting.insert(seq, f);
            while let Some(f) = waiting.remove(&next) {
                next += 1;
                let _ = slot_tx.send(());
                if let Err(e) = sink(f) {
                    abort.store(true, Ordering::Relaxed);
                    drop(slot_tx);
                    return Err(e);
                }
            }
        }
        Ok(())
    })?;
    match list_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

fn store_name(s: &str) -> Result<DataStoreName, CliError> {
    DataStoreName::new(s).map_err(|e| CliError::input(e.to_string()))
}

fn listing(
    ctx: &Ctx,
    data_store: &DataStoreName,
    scope: Option<&str>,
) -> Result<ListEntries, CliError> {
    let scope = match scope {
        Some(s) => ListScope::Scope(Scope::new(s).map_err(|e| CliError::input(e.to_string()))?),
        None => ListScope::All,
    };
    Ok(ListEntries::new(ctx.universe.clone(), data_store.clone())
        .scope(scope)
        .max_page_size(256))
}

fn write_error(e: std::io::Error, what: &str) -> CliError {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        CliError::broken_pipe()
    } else {
        CliError::other(format!("cannot write {what}: {e}"))
    }
}

/// Counts and hashes what goes through it.
struct Hashing<W: Write> {
    inner: W,
    md5: Md5,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.md5.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Where an export to a file resumes: the journal's checkpoint.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ExportCheckpoint {
    /// The page to list next; `None` with `end` once the listing is complete.
    page: Option<String>,
    /// The bytes of the temporary file that hold complete pages.
    bytes: u64,
    /// The records in those bytes.
    entries: u64,
    /// The listing is complete: only the trailer is missing.
    #[serde(default)]
    end: bool,
}

/// Opens the temporary file of an export; on resume, keeps the bytes the checkpoint vouches for
/// (and their checksum) and drops the rest.
fn open_partial(
    tmp: &Path,
    at: Option<&ExportCheckpoint>,
) -> Result<(std::fs::File, Md5), CliError> {
    let fail = |e: std::io::Error| CliError::other(format!("cannot open {}: {e}", tmp.display()));
    let mut md5 = Md5::new();
    let Some(at) = at else {
        return Ok((std::fs::File::create(tmp).map_err(fail)?, md5));
    };
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(tmp)
        .map_err(fail)?;
    f.set_len(at.bytes.min(f.metadata().map_err(fail)?.len()))
        .map_err(fail)?;
    let mut kept = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(fail)?;
        if n == 0 {
            break;
        }
        md5.update(&buf[..n]);
        kept += n as u64;
    }
    if kept != at.bytes {
        return Err(CliError::other(format!(
            "{} is shorter than the journal says ({kept} of {} bytes)",
            tmp.display(),
            at.bytes
        ))
        .hint("delete the journal and that file, and export again"));
    }
    Ok((f, md5))
}

pub fn export(ctx: &Ctx, args: ExportArgs) -> Result<(), CliError> {
    let name = store_name(&args.data_store)?;
    let mut list = listing(ctx, &name, args.scope.as_deref())?;
    if args.journal.resume && args.file.is_none() {
        return Err(CliError::input(
            "--resume needs --file: an export to stdout cannot be continued",
        ));
    }
    if !args.allow_empty && !calls::store_exists(ctx, &name)? {
        return Err(CliError::with_code(
            exit::NOT_FOUND,
            format!(
                "the data store {:?} does not exist in universe {}",
                name.as_str(),
                ctx.universe
            ),
        )
        .hint(
            "`opencloud datastores list` shows the data stores; --allow-empty writes an empty export instead",
        ));
    }
    // A file is written under a temporary name beside it and renamed when complete; a journal
    // of checkpoints (one per page) lets --resume continue it.
    let mut at: Option<ExportCheckpoint> = None;
    let mut journal = None;
    let (temp, out, md5): (Option<(PathBuf, PathBuf)>, Box<dyn Write>, Md5) = match &args.file {
        Some(f) => {
            let file_name = f
                .file_name()
                .ok_or_else(|| CliError::input(format!("--file {} names no file", f.display())))?;
            let mut tmp_name = std::ffi::OsString::from(".");
            tmp_name.push(file_name);
            tmp_name.push(".partial");
            let tmp = f.with_file_name(tmp_name);
            let dir = f
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .map_or_else(
                    || std::env::current_dir().unwrap_or_default(),
                    Path::to_path_buf,
                );
            let header = serde_json::json!({
                "job": "export",
                "target": ctx.target,
                "universe": ctx.universe.as_str(),
                "dataStore": name.as_str(),
                "scope": args.scope,
                "file": std::fs::canonicalize(&dir).unwrap_or(dir).join(file_name).display().to_string(),
            });
            let path = args
                .journal
                .journal
                .clone()
                .unwrap_or_else(|| journal::default_path("export", &header));
            let (j, _, checkpoint) =
                Journal::open_with_checkpoint(&path, &header, args.journal.resume)?;
            at = checkpoint.and_then(|c| serde_json::from_value(c).ok());
            journal = Some(j);
            let (file, md5) = open_partial(&tmp, at.as_ref())?;
            (Some((tmp, f.clone())), Box::new(file), md5)
        }
        None => (None, Box::new(std::io::stdout().lock()), Md5::new()),
    };
    let mut out = Hashing {
        inner: BufWriter::with_capacity(1 << 16, out),
        md5,
        bytes: at.as_ref().map_or(0, |a| a.bytes),
    };
    if temp.is_some() {
        signal::install();
    }
    let tally = Tally::default();
    if let Some(a) = &at {
        tally.earlier.store(a.entries, Ordering::Relaxed);
        list.set_page_token(match &a.page {
            Some(t) => Some(PageToken::new(t.clone()).map_err(|e| CliError::other(e.to_string()))?),
            None => None,
        });
    }
    let pb = status::bar(ctx.quiet, None, "exporting");
    if !ctx.quiet && !ctx.budget_note.is_empty() {
        status::eprint(&format!("note: {}", ctx.budget_note));
    }
    let started = std::time::Instant::now();
    let mut line = Vec::with_capacity(1024);
    let mut count = at.as_ref().map_or(0, |a| a.entries);
    let listed_already = at.as_ref().is_some_and(|a| a.end);
    let result = if listed_already {
        Ok(())
    } else {
        fetch_entries(ctx, list, args.concurrency as usize, &|_, _| false, |f| {
            match f {
                Fetched::Entry(e) => {
                    line.clear();
                    serde_json::to_writer(&mut line, &Record::from_entry(e))
                        .map_err(|e| CliError::other(e.to_string()))?;
                    line.push(b'\n');
                    out.write_all(&line)
                        .map_err(|e| write_error(e, "the export"))?;
                    count += 1;
                    bump(&tally.done);
                    pb.inc(1);
                }
                Fetched::PageEnd(next) => {
                    // A checkpoint vouches only for complete pages without a failure.
                    if let Some(j) = &journal
                        && Tally::get(&tally.failed) == 0
                    {
                        out.flush().map_err(|e| write_error(e, "the export"))?;
                        let c = ExportCheckpoint {
                            end: next.is_none(),
                            page: next,
                            bytes: out.bytes,
                            entries: count,
                        };
                        j.checkpoint(
                            &serde_json::to_value(&c)
                                .map_err(|e| CliError::other(e.to_string()))?,
                        )?;
                    }
                }
                Fetched::Gone => bump(&tally.skipped),
                Fetched::Failed { scope, key, why } => tally.fail(&scope, &key, &why),
            }
            Ok(())
        })
    };
    let complete = result.is_ok() && !signal::stopping() && Tally::get(&tally.failed) == 0;
    let finished = result.and_then(|()| {
        if !complete {
            return Ok(());
        }
        let trailer = TrailerLine {
            trailer: Trailer {
                format: "opencloud-export".into(),
                version: 1,
                entries: count,
                md5: hex(&out.md5.clone().finalize()),
            },
        };
        let mut t = serde_json::to_vec(&trailer).map_err(|e| CliError::other(e.to_string()))?;
        t.push(b'\n');
        out.inner
            .write_all(&t)
            .and_then(|()| out.inner.flush())
            .map_err(|e| write_error(e, "the export"))?;
        if let Some((tmp, dest)) = &temp {
            std::fs::File::open(tmp)
                .and_then(|f| f.sync_all())
                .and_then(|()| std::fs::rename(tmp, dest))
                .map_err(|e| {
                    CliError::other(format!("cannot move the export to {}: {e}", dest.display()))
                })?;
        }
        Ok(())
    });
    let _ = out.flush();
    status::clear_bar();
    let summary = tally.line("exported", started);
    let resume_hint = |j: &Journal| {
        format!(
            "the journal is {}; run the same command again with --resume to continue",
            j.path().display()
        )
    };
    if signal::interrupted() {
        if let Some(j) = &journal {
            j.sync();
        }
        return Err(
            CliError::with_code(exit::INTERRUPTED, format!("interrupted: {summary}")).hint(match (
                &args.file, &journal,
            ) {
                (Some(f), Some(j)) => {
                    format!("{} was not written yet; {}", f.display(), resume_hint(j))
                }
                _ => "the output has no trailer, so import refuses it; run the export again"
                    .to_string(),
            }),
        );
    }
    if let Err(e) = finished {
        return Err(match &journal {
            Some(j) if e.code != exit::OK => {
                let h = e.hint.clone().map(|h| format!("{h}; ")).unwrap_or_default();
                CliError {
                    hint: Some(format!("{h}{}", resume_hint(j))),
                    ..e
                }
            }
            _ => e,
        });
    }
    if !ctx.quiet {
        status::eprint(&summary);
    }
    if Tally::get(&tally.failed) > 0 {
        return Err(CliError::with_code(
            exit::PARTIAL,
            format!(
                "{} entries could not be read (listed above): {}",
                Tally::get(&tally.failed),
                match &args.file {
                    Some(f) => format!("{} was not written", f.display()),
                    None => "the output has no trailer, so import refuses it".into(),
                }
            ),
        )
        .hint(match &journal {
            Some(j) => resume_hint(j),
            None => "run the export again".to_string(),
        }));
    }
    if let Some(j) = journal {
        j.remove()?;
    }
    Ok(())
}

/// What the first pass over an import file found.
struct Scan {
    records: u64,
    /// MD5 of the record lines (what a trailer's checksum covers).
    md5: String,
    trailer: Option<Trailer>,
    /// Per (scope, key): the line numbers of its first and last record, and how many.
    /// Keyed by [`key_id`], so memory is a few dozen bytes per key whatever its length.
    keys: HashMap<u128, (u64, u64, u32)>,
}

/// Reads the file once: every line must be a record (or the trailer, last); counts, hashes, and
/// notes every key's lines. Nothing is held but one entry per key.
fn scan(path: &Path) -> Result<Scan, CliError> {
    let f = std::fs::File::open(path)
        .map_err(|e| CliError::other(format!("cannot open {}: {e}", path.display())))?;
    let mut reader = BufReader::with_capacity(1 << 16, f);
    let mut md5 = Md5::new();
    let mut scan = Scan {
        records: 0,
        md5: String::new(),
        trailer: None,
        keys: HashMap::new(),
    };
    let mut bad: Vec<String> = Vec::new();
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        let read = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| CliError::other(format!("cannot read {}: {e}", path.display())))?;
        if read == 0 {
            break;
        }
        n += 1;
        let text = String::from_utf8_lossy(&buf);
        if text.trim().is_empty() {
            continue;
        }
        if scan.trailer.is_some() {
            bad.push(format!("line {n}: a line after the trailer"));
            continue;
        }
        if let Ok(t) = serde_json::from_str::<TrailerLine>(&text) {
            scan.trailer = Some(t.trailer);
            continue;
        }
        md5.update(&buf);
        match serde_json::from_str::<Record>(&text) {
            Ok(r) => {
                scan.records += 1;
                let e = scan
                    .keys
                    .entry(key_id(&r.scope, &r.key))
                    .or_insert((n, n, 0));
                e.1 = n;
                e.2 += 1;
            }
            Err(e) => bad.push(format!(
                "line {n}: not an export record ({e}){}",
                if buf.last() != Some(&b'\n') {
                    "; the file ends in the middle of a line"
                } else {
                    ""
                }
            )),
        }
    }
    if !bad.is_empty() {
        let more = bad.len().saturating_sub(10);
        let mut msg = format!(
            "{} has {} lines that are not export records, nothing was written:\n  {}",
            path.display(),
            bad.len(),
            bad.iter()
                .take(10)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n  ")
        );
        if more > 0 {
            msg.push_str(&format!("\n  … and {more} more"));
        }
        return Err(CliError::input(msg));
    }
    scan.md5 = hex(&md5.finalize());
    Ok(scan)
}

/// The trailer check: a missing or wrong trailer means a truncated or altered file.
fn check_trailer(path: &Path, scan: &Scan) -> Result<(), CliError> {
    let problem = match &scan.trailer {
        None => format!(
            "{} has no trailer line, so it may be cut short (an export ends with one holding the entry count and a checksum)",
            path.display()
        ),
        Some(t) if t.entries != scan.records => format!(
            "{} holds {} records but its trailer says {}: it is incomplete or was edited",
            path.display(),
            scan.records,
            t.entries
        ),
        Some(t) if !t.md5.eq_ignore_ascii_case(&scan.md5) => format!(
            "the checksum of {} does not match its trailer: it was changed or damaged",
            path.display()
        ),
        Some(_) => return Ok(()),
    };
    Err(CliError::input(format!("{problem}; nothing was written"))
        .hint("import it anyway with --ignore-trailer (for a file you wrote by hand)"))
}

/// An entry's identity in a file: a 128-bit hash of its scope and key (a collision among the
/// keys of one file is as likely as an MD5 collision).
fn key_id(scope: &str, key: &str) -> u128 {
    let mut h = Md5::new();
    h.update(scope.as_bytes());
    h.update([0u8]);
    h.update(key.as_bytes());
    u128::from_be_bytes(h.finalize().into())
}

/// Repeated keys: an error listing them (their names read again from the file), unless
/// `--on-duplicate` chose a line.
fn check_duplicates(
    path: &Path,
    scan: &Scan,
    on_duplicate: Option<OnDuplicate>,
) -> Result<(), CliError> {
    if on_duplicate.is_some() {
        return Ok(());
    }
    let mut repeats: Vec<(u64, u64, u32)> =
        scan.keys.values().filter(|v| v.2 > 1).copied().collect();
    if repeats.is_empty() {
        return Ok(());
    }
    repeats.sort_unstable();
    let wanted: HashMap<u64, usize> = repeats
        .iter()
        .take(20)
        .enumerate()
        .map(|(i, r)| (r.0, i))
        .collect();
    let mut names = vec![(String::new(), String::new()); wanted.len()];
    if let Ok(f) = std::fs::File::open(path) {
        for (n, line) in BufReader::new(f).lines().enumerate() {
            let Ok(line) = line else { break };
            if let Some(i) = wanted.get(&(n as u64 + 1))
                && let Ok(r) = serde_json::from_str::<Record>(&line)
            {
                names[*i] = (r.scope, r.key);
            }
        }
    }
    let shown: Vec<String> = repeats
        .iter()
        .zip(&names)
        .map(|((first, last, count), (scope, key))| {
            format!(
                "scope \"{}\" key \"{}\": {count} lines (first line {first}, last line {last})",
                status::escape(scope),
                status::escape(key)
            )
        })
        .collect();
    let mut msg = format!(
        "{} keys appear on more than one line; nothing was written:\n  {}",
        repeats.len(),
        shown.join("\n  ")
    );
    if repeats.len() > 20 {
        msg.push_str(&format!("\n  … and {} more", repeats.len() - 20));
    }
    Err(CliError::input(msg)
        .hint("choose which line wins with --on-duplicate first or --on-duplicate last"))
}

/// Copies stdin to a temporary file, so it can be checked before anything is written.
fn spool_stdin() -> Result<tempfile_path::TempPath, CliError> {
    let path = std::env::temp_dir().join(format!("opencloud-import-{}.jsonl", std::process::id()));
    let mut f = std::fs::File::create(&path)
        .map_err(|e| CliError::other(format!("cannot create {}: {e}", path.display())))?;
    let guard = tempfile_path::TempPath(path.clone());
    std::io::copy(&mut std::io::stdin().lock(), &mut f)
        .map_err(|e| CliError::other(format!("cannot read stdin: {e}")))?;
    Ok(guard)
}

mod tempfile_path {
    /// A file removed when dropped.
    pub struct TempPath(pub std::path::PathBuf);
    impl Drop for TempPath {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

fn journal_for(
    args: &JournalArgs,
    job: &str,
    header: &Value,
) -> Result<(Journal, Priors), CliError> {
    let path = args
        .journal
        .clone()
        .unwrap_or_else(|| journal::default_path(job, header));
    Journal::open(&path, header, args.resume)
}

/// One write of an import.
struct ImportJob {
    scope: String,
    key: String,
    write: Result<EntryWrite, String>,
}

pub fn import(ctx: &Ctx, args: ImportArgs) -> Result<(), CliError> {
    let data_store = store_name(&args.data_store)?;
    let _spooled;
    let path: PathBuf = if args.file.as_os_str() == "-" {
        let t = spool_stdin()?;
        let p = t.0.clone();
        _spooled = t;
        p
    } else {
        args.file.clone()
    };
    let scan = scan(&path)?;
    if !args.ignore_trailer {
        check_trailer(&args.file, &scan)?;
    }
    check_duplicates(&path, &scan, args.on_duplicate)?;
    let header = serde_json::json!({
        "job": "import",
        "target": ctx.target,
        "universe": ctx.universe.as_str(),
        "dataStore": data_store.as_str(),
        "mode": format!("{:?}", args.mode),
        "onDuplicate": args.on_duplicate.map(|d| format!("{d:?}")),
        "input": if args.file.as_os_str() == "-" { "-".to_string() } else {
            std::fs::canonicalize(&args.file).unwrap_or(args.file.clone()).display().to_string()
        },
        "md5": scan.md5,
    });
    let (journal, priors) = if args.dry_run {
        (None, Priors::new())
    } else {
        let (j, p) = journal_for(&args.journal, "import", &header)?;
        (Some(j), p)
    };
    signal::install();
    let tally = Tally::default();
    let pb = status::bar(
        ctx.quiet,
        Some(scan.records),
        if args.dry_run {
            "checking"
        } else {
            "importing"
        },
    );
    if !ctx.quiet && !ctx.budget_note.is_empty() && !args.dry_run {
        status::eprint(&format!("note: {}", ctx.budget_note));
    }
    let started = std::time::Instant::now();
    let f = std::fs::File::open(&path)
        .map_err(|e| CliError::other(format!("cannot open {}: {e}", path.display())))?;
    let reader = BufReader::with_capacity(1 << 16, f);
    let (tx, rx) = sync_channel::<ImportJob>(args.concurrency as usize * 4);
    let rx = Mutex::new(rx);
    let fatal: Mutex<Option<CliError>> = Mutex::new(None);
    std::thread::scope(|s| {
        for _ in 0..args.concurrency {
            let (rx, tally, pb, journal, data_store, fatal) =
                (&rx, &tally, &pb, &journal, &data_store, &fatal);
            let (mode, dry_run) = (args.mode, args.dry_run);
            s.spawn(move || {
                loop {
                    let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(job) = next else { break };
                    if signal::stopping() {
                        continue;
                    }
                    let outcome = import_one(ctx, data_store, mode, dry_run, &job);
                    let recorded = match &outcome {
                        WriteOutcome::Written => {
                            bump(&tally.done);
                            Outcome::Done
                        }
                        WriteOutcome::Exists => {
                            bump(&tally.skipped);
                            Outcome::Skipped
                        }
                        WriteOutcome::Unknown(why) => {
                            tally.unknown(&job.scope, &job.key, why);
                            Outcome::Unknown
                        }
                        WriteOutcome::Failed(why) => {
                            tally.fail(&job.scope, &job.key, why);
                            Outcome::Failed
                        }
                        WriteOutcome::Conflict => {
                            tally.fail(&job.scope, &job.key, "changed while importing");
                            Outcome::Failed
                        }
                    };
                    if let Some(j) = journal
                        && let Err(e) = j.record(&job.scope, &job.key, recorded, None)
                    {
                        *fatal.lock().unwrap_or_else(|e| e.into_inner()) = Some(e);
                        signal::stop();
                    }
                    pb.inc(1);
                }
            });
        }
        let mut n = 0u64;
        for line in reader.lines() {
            n += 1;
            if signal::stopping() {
                break;
            }
            let Ok(line) = line else { break };
            if line.trim().is_empty() {
                continue;
            }
            // The scan checked every line: anything but a record is the trailer.
            let Ok(r) = serde_json::from_str::<Record>(&line) else {
                continue;
            };
            let (first, last, _) = scan
                .keys
                .get(&key_id(&r.scope, &r.key))
                .copied()
                .unwrap_or((n, n, 1));
            let chosen = match args.on_duplicate {
                Some(OnDuplicate::Last) => last,
                _ => first,
            };
            if chosen != n {
                bump(&tally.duplicates);
                pb.inc(1);
                continue;
            }
            if let Some(p) = priors
                .get(&(r.scope.clone(), r.key.clone()))
                .filter(|p| p.outcome.is_final())
            {
                tally.count_prior(p);
                pb.inc(1);
                continue;
            }
            let write = record_write(&r);
            if tx
                .send(ImportJob {
                    scope: r.scope,
                    key: r.key,
                    write,
                })
                .is_err()
            {
                break;
            }
        }
        drop(tx);
    });
    let fatal = fatal.into_inner().unwrap_or_else(|e| e.into_inner());
    tally.finish(
        ctx,
        if args.dry_run {
            "checked (dry run, nothing written)"
        } else {
            "imported"
        },
        started,
        journal,
        fatal,
    )
}

fn import_one(
    ctx: &Ctx,
    data_store: &DataStoreName,
    mode: ImportMode,
    dry_run: bool,
    job: &ImportJob,
) -> WriteOutcome {
    let w = match &job.write {
        Ok(w) => w.clone(),
        Err(e) => return WriteOutcome::Failed(e.clone()),
    };
    let a = match address(ctx, data_store, &job.scope, &job.key) {
        Ok(a) => a,
        Err(e) => return WriteOutcome::Failed(e),
    };
    if dry_run {
        // Validate as the real write would, without sending it.
        return match UpdateEntry::new(a, w).to_request(ctx.client.config()) {
            Ok(_) => WriteOutcome::Written,
            Err(e) => WriteOutcome::Failed(e.to_string()),
        };
    }
    match mode {
        ImportMode::Overwrite => calls::overwrite(ctx, a, w),
        ImportMode::SkipExisting => calls::create(ctx, a, w),
        ImportMode::Create => match calls::create(ctx, a, w) {
            WriteOutcome::Exists => WriteOutcome::Failed(
                "the entry already exists (--mode create); --mode overwrite replaces it, --mode skip-existing leaves it"
                    .into(),
            ),
            other => other,
        },
    }
}

/// What the transform said about one entry.
#[derive(Debug, Clone)]
enum Action {
    Write(EntryWrite),
    Skip,
    Unchanged,
    /// The line names the entry but is not a valid answer.
    Invalid(String),
}

/// One line of the transform's output.
#[derive(Debug, Deserialize)]
struct OutLine {
    key: Option<String>,
    scope: Option<String>,
    value: Option<Value>,
    users: Option<Vec<UserId>>,
    attributes: Option<Map<String, Value>>,
    #[serde(default)]
    skip: bool,
    #[serde(default)]
    unchanged: bool,
}

/// An entry sent to the transform and not answered yet: what its answer is matched with.
#[derive(Debug, Clone)]
struct Pending {
    scope: String,
    etag: Option<String>,
    users: Vec<UserId>,
    attributes: Option<Map<String, Value>>,
    /// The revision read, without its value: what a guarded write is settled against when its
    /// answer is lost.
    revision: DataStoreEntry,
}

impl Pending {
    fn of(e: &DataStoreEntry) -> Self {
        let mut revision = DataStoreEntry::default();
        revision.path = e.path.clone();
        revision.id = e.id.clone();
        revision.revision_id = e.revision_id.clone();
        revision.revision_create_time = e.revision_create_time;
        revision.etag = e.etag.clone();
        Pending {
            scope: e.scope_or_global().to_string(),
            etag: e.etag.clone(),
            users: e.users.clone(),
            attributes: e.attributes.clone(),
            revision,
        }
    }
}

fn action(out: OutLine, base: &Pending) -> Action {
    match (out.skip, out.unchanged, out.value) {
        (true, true, _) => Action::Invalid("the line says both skip and unchanged".into()),
        (true, _, _) => Action::Skip,
        (_, true, _) => Action::Unchanged,
        (_, _, None) => Action::Invalid(
            "the line has no \"value\" (write {\"key\":K,\"skip\":true} to leave the entry out)"
                .into(),
        ),
        (_, _, Some(v)) => {
            let mut w = EntryWrite::new(v).users(out.users.unwrap_or_else(|| base.users.clone()));
            match out.attributes.or_else(|| base.attributes.clone()) {
                Some(a) if !a.is_empty() => match Attributes::new(a) {
                    Ok(a) => w = w.attributes(a),
                    Err(e) => return Action::Invalid(e.to_string()),
                },
                _ => {}
            }
            Action::Write(w)
        }
    }
}

/// Runs the transform on one entry alone (after a conflict, the entry is read and transformed
/// again); its answer must name that entry.
fn transform_one(command: &str, record: &Record, base: &Pending) -> Result<Action, String> {
    let mut child = spawn_transform(command).map_err(|e| e.message)?;
    let mut input = serde_json::to_vec(record).map_err(|e| e.to_string())?;
    input.push(b'\n');
    let mut stdin = child.stdin.take().ok_or("the transform has no stdin")?;
    let mut stdout = child.stdout.take().ok_or("the transform has no stdout")?;
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let mut text = String::new();
    let read = stdout.read_to_string(&mut text);
    let _ = writer.join();
    let status = child.wait().map_err(|e| e.to_string())?;
    read.map_err(|e| format!("cannot read the transform's output: {e}"))?;
    if !status.success() {
        return Err(format!("the transform exited with {status}"));
    }
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let [line] = lines.as_slice() else {
        return Err(format!(
            "the transform wrote {} lines for one entry",
            lines.len()
        ));
    };
    let out: OutLine = serde_json::from_str(line)
        .map_err(|e| format!("the transform wrote a line that is not an answer: {e}"))?;
    if out.key.as_deref() != Some(record.key.as_str())
        || out.scope.as_deref().is_some_and(|s| s != record.scope)
    {
        return Err("the transform's answer names another entry".into());
    }
    Ok(action(out, base))
}

fn spawn_transform(command: &str) -> Result<Child, CliError> {
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped());
    // Its own process group: Ctrl-C on the terminal stops the migration cleanly, and the
    // migration decides when the transform ends.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.spawn()
        .map_err(|e| CliError::other(format!("cannot run the transform {command:?}: {e}")))
}

/// One answered entry, for the writers.
struct MigrateJob {
    scope: String,
    key: String,
    base: Pending,
    action: Action,
}

/// Where the migration writes, and how.
struct MigrateTarget<'a> {
    ctx: &'a Ctx,
    from: &'a DataStoreName,
    to: &'a DataStoreName,
    in_place: bool,
    dry_run: bool,
    transform: &'a str,
    conflict_retries: u32,
    journal: Option<&'a Journal>,
    tally: &'a Tally,
}

impl MigrateTarget<'_> {
    /// Appends to the journal, if there is one; a journal that cannot be written stops the job.
    fn journal(&self, append: impl FnOnce(&Journal) -> Result<(), CliError>) {
        if let Some(j) = self.journal
            && let Err(e) = append(j)
        {
            status::eprint(&e.to_string());
            signal::stop();
        }
    }

    fn record(&self, scope: &str, key: &str, outcome: Outcome, etag: Option<&str>) {
        self.journal(|j| j.record(scope, key, outcome, etag));
    }

    /// Journals a guarded write about to be sent: its base and its fingerprint, which a resume
    /// after a crash settles it by.
    fn record_writing(&self, scope: &str, key: &str, base: &Pending, write: &EntryWrite) {
        let fingerprint = WriteFingerprint::of_write(write);
        self.journal(|j| {
            j.record_writing(
                scope,
                key,
                Writing {
                    etag: base.etag.as_deref(),
                    revision: base.revision.revision_id.as_deref(),
                    revision_time: base.revision.revision_create_time,
                    fingerprint: fingerprint.as_str(),
                },
            )
        });
    }

    /// Applies one answer: a guarded write in place (reading and transforming the entry again
    /// after a conflict, a bounded number of times), or an overwrite of the destination.
    fn apply(&self, job: MigrateJob) {
        let MigrateJob {
            scope,
            key,
            mut base,
            mut action,
        } = job;
        let t = self.tally;
        let mut rounds = 0;
        loop {
            let write = match action {
                Action::Skip => {
                    bump(&t.skipped);
                    return self.record(&scope, &key, Outcome::Skipped, None);
                }
                Action::Unchanged => {
                    bump(&t.unchanged);
                    return self.record(&scope, &key, Outcome::Unchanged, None);
                }
                Action::Invalid(why) => {
                    t.fail(&scope, &key, &format!("the transform's answer: {why}"));
                    return self.record(&scope, &key, Outcome::Failed, None);
                }
                Action::Write(w) => w,
            };
            let a = match address(self.ctx, self.to, &scope, &key) {
                Ok(a) => a,
                Err(why) => {
                    t.fail(&scope, &key, &why);
                    return self.record(&scope, &key, Outcome::Failed, None);
                }
            };
            let mut op = UpdateEntry::new(a.clone(), write.clone()).allow_missing(!self.in_place);
            if self.in_place {
                op.etag = base.etag.clone();
            }
            if self.dry_run {
                match op.to_request(self.ctx.client.config()) {
                    Ok(_) => bump(&t.done),
                    Err(e) => t.fail(&scope, &key, &e.to_string()),
                }
                return;
            }
            let outcome = if self.in_place {
                self.record_writing(&scope, &key, &base, &write);
                calls::guarded_write(self.ctx, &op, &base.revision)
            } else {
                calls::overwrite(self.ctx, a, write)
            };
            match outcome {
                WriteOutcome::Written | WriteOutcome::Exists => {
                    bump(&t.done);
                    return self.record(&scope, &key, Outcome::Done, None);
                }
                WriteOutcome::Unknown(why) => {
                    t.unknown(&scope, &key, &why);
                    return self.record(&scope, &key, Outcome::Unknown, None);
                }
                WriteOutcome::Failed(why) => {
                    t.fail(&scope, &key, &why);
                    return self.record(&scope, &key, Outcome::Failed, None);
                }
                WriteOutcome::Conflict => {}
            }
            // Someone else wrote the entry since it was read: read it again and transform
            // what is there now, so their write is kept.
            rounds += 1;
            if rounds > self.conflict_retries {
                t.fail(
                    &scope,
                    &key,
                    &format!(
                        "the entry changed under the migration {rounds} times (see --conflict-retries)"
                    ),
                );
                return self.record(&scope, &key, Outcome::Failed, None);
            }
            let current = address(self.ctx, self.from, &scope, &key)
                .map_err(|e| e.to_string())
                .and_then(|a| calls::get_entry(self.ctx, a).map_err(|e| e.to_string()));
            match current {
                Ok(None) => {
                    bump(&t.skipped);
                    status::eprint(&format!(
                        "note: scope \"{}\" key \"{}\" was deleted during the migration; left out",
                        status::escape(&scope),
                        status::escape(&key)
                    ));
                    return self.record(&scope, &key, Outcome::Skipped, None);
                }
                Ok(Some(e)) => {
                    base = Pending::of(&e);
                    action = match transform_one(self.transform, &Record::from_entry(e), &base) {
                        Ok(a) => a,
                        Err(why) => Action::Invalid(why),
                    };
                }
                Err(why) => {
                    t.fail(&scope, &key, &why);
                    return self.record(&scope, &key, Outcome::Failed, None);
                }
            }
        }
    }
}

/// For a resumed in-place migration: entries whose guarded write was sent but not answered
/// when the last run ended. If the entry's etag is still the one the write was guarded by, the
/// write did not land: the entry is redone. Otherwise the revision history says what became of
/// it (the core's `Settle`, by the fingerprint journaled before sending): the revision after the
/// base is the write's (done, not transformed again), another writer's (the guarded write
/// cannot have landed: the entry is redone from what is there now), or the history cannot tell
/// (outcome unknown, left alone and reported).
fn resolve_interrupted_writes(
    ctx: &Ctx,
    from: &DataStoreName,
    journal: &Journal,
    priors: &mut Priors,
    tally: &Tally,
) -> Result<(), CliError> {
    let open: Vec<((String, String), Prior)> = priors
        .iter()
        .filter(|(_, p)| p.outcome == Outcome::Writing)
        .map(|(k, p)| (k.clone(), p.clone()))
        .collect();
    for ((scope, key), prior) in open {
        let a = address(ctx, from, &scope, &key).map_err(CliError::input)?;
        let current = calls::get_entry(ctx, a.clone()).map_err(|e| CliError::api(e, None, None))?;
        if current.as_ref().and_then(|e| e.etag.as_deref()) == prior.etag.as_deref() {
            priors.remove(&(scope, key));
            continue;
        }
        let outcome = match (&prior.revision, &prior.fingerprint) {
            (Some((revision, time)), Some(f)) => match WriteFingerprint::parse(f) {
                Ok(f) => {
                    let mut base = DataStoreEntry::default();
                    base.revision_id = Some(revision.clone());
                    base.revision_create_time = *time;
                    calls::settle_by_fingerprint(ctx, a, base, f)
                }
                Err(e) => Err(format!("the journal's fingerprint is unreadable ({e})")),
            },
            _ => Err("the journal (from an older version) did not record what was sent".into()),
        };
        match outcome {
            Ok(Settled::Landed(_)) => {
                // Counted with the entries done in the earlier run when the listing reaches it.
                journal.record(&scope, &key, Outcome::Done, None)?;
                if let Some(p) = priors.get_mut(&(scope, key)) {
                    p.outcome = Outcome::Done;
                }
            }
            Ok(Settled::Superseded | Settled::NotLanded) => {
                // Not ours: someone else wrote it after the base (or it is gone). The guarded
                // write could not have landed after them, so transform what is there now.
                priors.remove(&(scope, key));
            }
            Ok(other) => {
                let why = format!("the revision history said {other:?}");
                unknown_on_resume(journal, priors, tally, scope, key, &why)?;
            }
            Err(why) => {
                let why = format!(
                    "the last run was cut off while writing it, it has changed since, and {why}"
                );
                unknown_on_resume(journal, priors, tally, scope, key, &why)?;
            }
        }
    }
    Ok(())
}

fn unknown_on_resume(
    journal: &Journal,
    priors: &mut Priors,
    tally: &Tally,
    scope: String,
    key: String,
    why: &str,
) -> Result<(), CliError> {
    tally.unknown(&scope, &key, why);
    journal.record(&scope, &key, Outcome::Unknown, None)?;
    if let Some(p) = priors.get_mut(&(scope, key)) {
        p.outcome = Outcome::Unknown;
        p.reported = true;
    }
    Ok(())
}

/// Finds the pending entry an answer names: by scope and key, or by key alone when only one
/// scope has it pending.
fn take_pending(
    pending: &Mutex<HashMap<String, Vec<Pending>>>,
    key: &str,
    scope: Option<&str>,
) -> Result<Pending, String> {
    let mut map = pending.lock().unwrap_or_else(|e| e.into_inner());
    let Some(list) = map.get_mut(key) else {
        return Err(format!(
            "the transform answered key \"{}\", which is not an entry waiting for an answer (unknown, or answered already)",
            status::escape(key)
        ));
    };
    let i = match scope {
        Some(s) => list.iter().position(|p| p.scope == s).ok_or_else(|| {
            format!(
                "the transform answered scope \"{}\" key \"{}\", which is not an entry waiting for an answer (unknown, or answered already)",
                status::escape(s),
                status::escape(key)
            )
        })?,
        None if list.len() == 1 => 0,
        None => {
            return Err(format!(
                "the transform answered key \"{}\" without a scope, and that key is waiting in {} scopes: name the scope in each line",
                status::escape(key),
                list.len()
            ));
        }
    };
    let p = list.swap_remove(i);
    if list.is_empty() {
        map.remove(key);
    }
    Ok(p)
}

/// Reads the transform's answers, matches each to its entry by key, and hands them to the
/// writers. An answer that names no waiting entry stops the job before anything more is
/// written.
fn read_answers(
    out: impl Read,
    pending: &Mutex<HashMap<String, Vec<Pending>>>,
    jobs: std::sync::mpsc::SyncSender<MigrateJob>,
    fatal: &Mutex<Option<CliError>>,
) {
    let fail = |msg: String| {
        let mut f = fatal.lock().unwrap_or_else(|e| e.into_inner());
        if f.is_none() {
            *f = Some(CliError::other(msg).hint(
                "each output line must name its entry: {\"key\":K,\"value\":V}, {\"key\":K,\"skip\":true} or {\"key\":K,\"unchanged\":true}, with \"scope\" when the job spans several scopes",
            ));
        }
        signal::stop();
    };
    for (n, line) in BufReader::new(out).lines().enumerate() {
        let Ok(line) = line else { break };
        if signal::stopping() || line.trim().is_empty() {
            // Keep reading, so the transform is never blocked on a full pipe.
            continue;
        }
        let out: OutLine = match serde_json::from_str(&line) {
            Ok(o) => o,
            Err(e) => {
                fail(format!(
                    "line {} of the transform's output is not an answer naming its entry ({e}): {}",
                    n + 1,
                    status::escape(&line.chars().take(200).collect::<String>())
                ));
                continue;
            }
        };
        let Some(key) = out.key.clone() else {
            fail(format!(
                "line {} of the transform's output names no \"key\": {}",
                n + 1,
                status::escape(&line.chars().take(200).collect::<String>())
            ));
            continue;
        };
        let base = match take_pending(pending, &key, out.scope.as_deref()) {
            Ok(p) => p,
            Err(why) => {
                fail(format!("line {} of the transform's output: {why}", n + 1));
                continue;
            }
        };
        let job = MigrateJob {
            scope: base.scope.clone(),
            key,
            action: action(out, &base),
            base,
        };
        if jobs.send(job).is_err() {
            break;
        }
    }
}

pub fn migrate(ctx: &Ctx, args: MigrateArgs) -> Result<(), CliError> {
    let from = store_name(&args.data_store)?;
    let to = store_name(&args.to)?;
    let in_place = from == to;
    let list = listing(ctx, &from, args.scope.as_deref())?;
    if !calls::store_exists(ctx, &from)? {
        return Err(CliError::with_code(
            exit::NOT_FOUND,
            format!(
                "the data store {:?} does not exist in universe {}",
                from.as_str(),
                ctx.universe
            ),
        )
        .hint("`opencloud datastores list` shows the data stores"));
    }
    let header = serde_json::json!({
        "job": "migrate",
        "target": ctx.target,
        "universe": ctx.universe.as_str(),
        "from": from.as_str(),
        "to": to.as_str(),
        "scope": args.scope,
        "transform": args.transform,
    });
    let tally = Tally::default();
    let (journal, mut priors) = if args.dry_run {
        (None, Priors::new())
    } else {
        let (j, p) = journal_for(&args.journal, "migrate", &header)?;
        (Some(j), p)
    };
    if let Some(j) = &journal {
        resolve_interrupted_writes(ctx, &from, j, &mut priors, &tally)?;
    }
    signal::install();
    let mut child = spawn_transform(&args.transform)?;
    let (Some(child_in), Some(child_out)) = (child.stdin.take(), child.stdout.take()) else {
        return Err(CliError::other("the transform has no stdin or stdout"));
    };
    let pb = status::bar(
        ctx.quiet,
        None,
        if args.dry_run {
            "transforming (dry run)"
        } else {
            "migrating"
        },
    );
    if !ctx.quiet && !ctx.budget_note.is_empty() && !args.dry_run {
        status::eprint(&format!("note: {}", ctx.budget_note));
    }
    let started = std::time::Instant::now();
    let pending: Mutex<HashMap<String, Vec<Pending>>> = Mutex::new(HashMap::new());
    let fatal: Mutex<Option<CliError>> = Mutex::new(None);
    let (job_tx, job_rx) = sync_channel::<MigrateJob>(args.concurrency as usize * 4);
    let job_rx: Mutex<Receiver<MigrateJob>> = Mutex::new(job_rx);
    let target = MigrateTarget {
        ctx,
        from: &from,
        to: &to,
        in_place,
        dry_run: args.dry_run,
        transform: &args.transform,
        conflict_retries: args.conflict_retries,
        journal: journal.as_ref(),
        tally: &tally,
    };
    let fed = std::thread::scope(|s| {
        let (pending, fatal, target, job_rx, pb) = (&pending, &fatal, &target, &job_rx, &pb);
        s.spawn(move || read_answers(child_out, pending, job_tx, fatal));
        for _ in 0..args.concurrency {
            s.spawn(move || {
                loop {
                    let next = job_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(job) = next else { break };
                    // After Ctrl-C or a fatal answer, queued answers are dropped (not
                    // journaled: a resume does them); writes in flight finish.
                    if signal::stopping() {
                        continue;
                    }
                    target.apply(job);
                    pb.inc(1);
                }
            });
        }
        let mut child_in = BufWriter::new(child_in);
        let mut line = Vec::with_capacity(1024);
        let skip = |scope: &str, key: &str| {
            priors
                .get(&(scope.to_string(), key.to_string()))
                .is_some_and(|p| {
                    let done = p.outcome.is_final();
                    if done {
                        tally.count_prior(p);
                    }
                    done
                })
        };
        let fed = fetch_entries(ctx, list, args.concurrency as usize, &skip, |f| {
            if signal::stopping() {
                return Ok(());
            }
            match f {
                Fetched::Entry(e) => {
                    let p = Pending::of(&e);
                    let key = e.id.clone();
                    line.clear();
                    serde_json::to_writer(&mut line, &Record::from_entry(e))
                        .map_err(|e| CliError::other(e.to_string()))?;
                    line.push(b'\n');
                    pending
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .entry(key)
                        .or_default()
                        .push(p);
                    child_in.write_all(&line).map_err(|e| {
                        CliError::other(format!(
                            "cannot write to the transform (did it exit?): {e}"
                        ))
                    })
                }
                Fetched::Gone => {
                    bump(&tally.skipped);
                    Ok(())
                }
                Fetched::PageEnd(_) => Ok(()),
                Fetched::Failed { scope, key, why } => {
                    tally.fail(&scope, &key, &why);
                    Ok(())
                }
            }
        });
        // End of input: the transform finishes its answers and exits. After Ctrl-C or a fatal
        // answer it is stopped instead.
        let _ = child_in.flush();
        drop(child_in);
        if signal::stopping() {
            let _ = child.kill();
        }
        fed
    });
    let exit_status = child.wait();
    let mut fatal = fatal.into_inner().unwrap_or_else(|e| e.into_inner());
    if fatal.is_none() {
        fatal = fed.err();
    }
    if fatal.is_none() && !signal::stopping() {
        match exit_status {
            Ok(s) if !s.success() => {
                fatal = Some(CliError::other(format!("the transform exited with {s}")));
            }
            Err(e) => fatal = Some(CliError::other(format!("the transform: {e}"))),
            Ok(_) => {}
        }
        let left = pending.into_inner().unwrap_or_else(|e| e.into_inner());
        let unanswered: usize = left.values().map(Vec::len).sum();
        if fatal.is_none() && unanswered > 0 {
            let some: Vec<String> = left
                .iter()
                .flat_map(|(k, v)| v.iter().map(move |p| (p.scope.clone(), k.clone())))
                .take(5)
                .map(|(s, k)| {
                    format!(
                        "scope \"{}\" key \"{}\"",
                        status::escape(&s),
                        status::escape(&k)
                    )
                })
                .collect();
            fatal = Some(CliError::other(format!(
                "the transform gave no answer for {unanswered} entries (such as {}); they were not written",
                some.join(", ")
            )));
        }
    }
    tally.finish(
        ctx,
        if args.dry_run {
            "transformed (dry run, nothing written)"
        } else {
            "migrated"
        },
        started,
        journal,
        fatal,
    )
}
