//! The journal of a bulk job: what happened to each entry, appended as JSON lines as it happens,
//! so that `--resume` continues an interrupted job without doing anything twice.
//!
//! The first line is a header naming the job (command, target, data stores, input checksum or
//! transform); `--resume` refuses a journal of another job. Each further line is one entry's
//! outcome. A guarded write is journaled as `writing` (with the etag and revision it is guarded
//! by, and the fingerprint of what it sends) before it is sent, and with its outcome after, so a
//! crash between the two is resolved on resume from the revision history instead of being
//! applied twice. The journal is removed when the job finishes with nothing
//! left to do.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ctx::CliError;

/// What happened to an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// A guarded write was about to be sent.
    Writing,
    /// Written.
    Done,
    /// Left out (the transform skipped it, or it already existed, or it was deleted meanwhile).
    Skipped,
    /// The transform said "no change".
    Unchanged,
    /// Not written; a resume tries it again.
    Failed,
    /// May have been applied; a resume does not touch it.
    Unknown,
}

impl Outcome {
    /// Whether a resume leaves this entry alone.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Outcome::Done | Outcome::Skipped | Outcome::Unchanged | Outcome::Unknown
        )
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Line {
    #[serde(rename = "s")]
    scope: String,
    #[serde(rename = "k")]
    key: String,
    #[serde(rename = "o")]
    outcome: Outcome,
    #[serde(rename = "e", default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    /// A pending guarded write: the base revision's id and time, and the write's fingerprint.
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    revision: Option<String>,
    #[serde(rename = "t", default, skip_serializing_if = "Option::is_none")]
    revision_time: Option<jiff::Timestamp>,
    #[serde(rename = "f", default, skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
}

/// What a resumed journal says about an entry: its last outcome, and for a pending guarded
/// write, what it was guarded by and what it sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prior {
    pub outcome: Outcome,
    pub etag: Option<String>,
    /// The base revision's id and time (journals written before they were recorded have none).
    pub revision: Option<(String, Option<jiff::Timestamp>)>,
    /// The fingerprint of the write (`WriteFingerprint::as_str`).
    pub fingerprint: Option<String>,
    /// Whether this run already reported the entry (an interrupted write it could not settle).
    pub reported: bool,
}

/// A guarded write about to be sent: what it is guarded by and what it sends.
#[derive(Debug, Clone, Copy)]
pub struct Writing<'a> {
    pub etag: Option<&'a str>,
    pub revision: Option<&'a str>,
    pub revision_time: Option<jiff::Timestamp>,
    pub fingerprint: &'a str,
}

/// The entries of a resumed job, by (scope, key).
pub type Priors = HashMap<(String, String), Prior>;

/// The last checkpoint line of a journal (`{"checkpoint": ...}`), for jobs that resume from a
/// position rather than by entry (export).
pub type Checkpoint = Option<Value>;

/// An open journal.
pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
}

/// Where journals go by default.
pub fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("OPENCLOUD_JOURNAL_DIR") {
        return PathBuf::from(d);
    }
    dirs::data_local_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("opencloud-rs")
        .join("journals")
}

/// The default journal path of a job: named after the command and a hash of its header.
pub fn default_path(job: &str, header: &Value) -> PathBuf {
    let digest = Md5::digest(header.to_string().as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    default_dir().join(format!("{job}-{hex}.journal"))
}

fn io(path: &Path, what: &str, e: std::io::Error) -> CliError {
    CliError::other(format!("cannot {what} the journal {}: {e}", path.display()))
}

impl Journal {
    /// Starts a job's journal. Without `resume`, an existing journal is an unfinished job: an
    /// error says how to continue it. With `resume`, the journal must exist and be this job's.
    pub fn open(path: &Path, header: &Value, resume: bool) -> Result<(Self, Priors), CliError> {
        Self::open_with_checkpoint(path, header, resume).map(|(j, p, _)| (j, p))
    }

    /// [`Journal::open`], also returning the last checkpoint.
    pub fn open_with_checkpoint(
        path: &Path,
        header: &Value,
        resume: bool,
    ) -> Result<(Self, Priors, Checkpoint), CliError> {
        if !resume {
            if path.exists() {
                return Err(CliError::other(format!(
                    "an unfinished run of this job left its journal at {}",
                    path.display()
                ))
                .hint(format!(
                    "add --resume to continue it, or delete {} to start over",
                    path.display()
                )));
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| io(path, "create the directory of", e))?;
            }
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .map_err(|e| io(path, "create", e))?;
            let mut line = serde_json::to_vec(&serde_json::json!({ "journal": header }))
                .map_err(|e| CliError::other(e.to_string()))?;
            line.push(b'\n');
            f.write_all(&line).map_err(|e| io(path, "write", e))?;
            return Ok((
                Self {
                    path: path.to_path_buf(),
                    file: Mutex::new(f),
                },
                Priors::new(),
                None,
            ));
        }
        let f = File::open(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                CliError::other(format!(
                    "there is no journal to resume at {} (the job finished, or never started)",
                    path.display()
                ))
                .hint("run the command without --resume to start it")
            } else {
                io(path, "read", e)
            }
        })?;
        let mut reader = BufReader::new(f);
        let mut first = String::new();
        reader
            .read_line(&mut first)
            .map_err(|e| io(path, "read", e))?;
        let found: Value = serde_json::from_str(first.trim())
            .ok()
            .and_then(|v: Value| v.get("journal").cloned())
            .ok_or_else(|| CliError::other(format!("{} is not a job journal", path.display())))?;
        if &found != header {
            return Err(CliError::other(format!(
                "the journal {} belongs to another job: {found}",
                path.display()
            ))
            .hint("resume with the same command and options as the interrupted run"));
        }
        let mut priors = Priors::new();
        let mut checkpoint = None;
        // The offset just past the last complete line: a line cut by a crash is dropped.
        let mut good = first.len() as u64;
        let mut line = String::new();
        loop {
            line.clear();
            let n = reader
                .read_line(&mut line)
                .map_err(|e| io(path, "read", e))?;
            if n == 0 || !line.ends_with('\n') {
                break;
            }
            let l = match serde_json::from_str::<Line>(line.trim_end()) {
                Ok(l) => l,
                Err(_) => match serde_json::from_str::<Value>(line.trim_end())
                    .ok()
                    .and_then(|v| v.get("checkpoint").cloned())
                {
                    Some(c) => {
                        checkpoint = Some(c);
                        good += n as u64;
                        continue;
                    }
                    None => break,
                },
            };
            good += n as u64;
            priors.insert(
                (l.scope, l.key),
                Prior {
                    outcome: l.outcome,
                    etag: l.etag,
                    revision: l.revision.map(|r| (r, l.revision_time)),
                    fingerprint: l.fingerprint,
                    reported: false,
                },
            );
        }
        let mut f = OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| io(path, "open", e))?;
        f.set_len(good).map_err(|e| io(path, "repair", e))?;
        f.seek(SeekFrom::End(0)).map_err(|e| io(path, "open", e))?;
        Ok((
            Self {
                path: path.to_path_buf(),
                file: Mutex::new(f),
            },
            priors,
            checkpoint,
        ))
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry's outcome (one write call, so a crash cuts at most this line).
    pub fn record(
        &self,
        scope: &str,
        key: &str,
        outcome: Outcome,
        etag: Option<&str>,
    ) -> Result<(), CliError> {
        self.append(&Line {
            scope: scope.to_string(),
            key: key.to_string(),
            outcome,
            etag: etag.map(String::from),
            revision: None,
            revision_time: None,
            fingerprint: None,
        })
    }

    /// Appends that a guarded write is about to be sent.
    pub fn record_writing(&self, scope: &str, key: &str, w: Writing<'_>) -> Result<(), CliError> {
        self.append(&Line {
            scope: scope.to_string(),
            key: key.to_string(),
            outcome: Outcome::Writing,
            etag: w.etag.map(String::from),
            revision: w.revision.map(String::from),
            revision_time: w.revision_time,
            fingerprint: Some(w.fingerprint.to_string()),
        })
    }

    fn append(&self, l: &Line) -> Result<(), CliError> {
        let mut line = serde_json::to_vec(l).map_err(|e| CliError::other(e.to_string()))?;
        line.push(b'\n');
        self.file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .write_all(&line)
            .map_err(|e| io(&self.path, "write", e))
    }

    /// Appends a checkpoint: where a resume starts (flushed to disk first: it vouches for what
    /// was written before it).
    pub fn checkpoint(&self, at: &Value) -> Result<(), CliError> {
        let mut line = serde_json::to_vec(&serde_json::json!({ "checkpoint": at }))
            .map_err(|e| CliError::other(e.to_string()))?;
        line.push(b'\n');
        self.file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .write_all(&line)
            .map_err(|e| io(&self.path, "write", e))
    }

    /// Flushes it to disk (at the end of a run that leaves it).
    pub fn sync(&self) {
        let _ = self
            .file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .sync_all();
    }

    /// Removes it: the job is complete.
    pub fn remove(self) -> Result<(), CliError> {
        std::fs::remove_file(&self.path).map_err(|e| io(&self.path, "remove", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("oc-journal-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d.join("j.journal")
    }

    #[test]
    fn a_journal_resumes_with_its_outcomes_and_drops_a_cut_line() {
        let p = tmp("resume");
        let h = serde_json::json!({"job": "import", "x": 1});
        let (j, priors) = Journal::open(&p, &h, false).unwrap();
        assert!(priors.is_empty());
        j.record("global", "a", Outcome::Done, None).unwrap();
        j.record("global", "b", Outcome::Writing, Some("e1"))
            .unwrap();
        drop(j);
        // A crash cut the last line.
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"s\":\"global\",\"k\":\"c\",\"o\":\"do")
            .unwrap();
        drop(f);
        assert!(
            Journal::open(&p, &h, false).is_err(),
            "a journal is not overwritten"
        );
        let other = serde_json::json!({"job": "import", "x": 2});
        assert!(
            Journal::open(&p, &other, true).is_err(),
            "another job's journal"
        );
        let (j, priors) = Journal::open(&p, &h, true).unwrap();
        assert_eq!(priors.len(), 2);
        assert_eq!(
            priors[&("global".into(), "a".into())].outcome,
            Outcome::Done
        );
        assert_eq!(
            priors[&("global".into(), "b".into())].etag.as_deref(),
            Some("e1")
        );
        j.record("global", "c", Outcome::Done, None).unwrap();
        drop(j);
        let (j, priors) = Journal::open(&p, &h, true).unwrap();
        assert_eq!(
            priors.len(),
            3,
            "the cut line was dropped, the new one kept"
        );
        j.remove().unwrap();
        assert!(Journal::open(&p, &h, true).is_err());
    }
}
