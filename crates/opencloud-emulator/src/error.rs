//! The error of the emulator library's fallible functions.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::store::StoreError;

/// Why the emulator could not start, load its configuration or act.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// Storage failed (opening, migrating, a query).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The address is not loopback and `--allow-non-loopback` was not given.
    #[error("{0} is not a loopback address; pass --allow-non-loopback to listen on it")]
    NotLoopback(SocketAddr),
    /// The keys file could not be read.
    #[error("{path}: {source}")]
    KeysFileRead {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The keys file does not parse. The message never quotes the file: a line may hold a key.
    #[error("{path}: line {line}: {problem}")]
    KeysFile {
        /// The file.
        path: PathBuf,
        /// The 1-based line of the problem (0 when unknown).
        line: usize,
        /// What is wrong, without the line's text.
        problem: String,
    },
    /// A runtime or thread could not be started, or the server stopped unexpectedly.
    #[error("emulator runtime: {0}")]
    Runtime(String),
    /// Some other I/O failure.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl From<EmulatorError> for String {
    /// The message, for callers that report errors as text.
    fn from(e: EmulatorError) -> Self {
        e.to_string()
    }
}
