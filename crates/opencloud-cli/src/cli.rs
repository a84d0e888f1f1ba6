//! The command line, as clap definitions. `docs/cli.md` is generated from these.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Roblox Open Cloud data stores from the command line: every operation, bulk export, import and
/// migration, and a local emulator.
///
/// With no API key and no base URL, commands run against a local emulator kept under your data
/// directory, so you can try everything without a Roblox account.
#[derive(Debug, Parser)]
#[command(
    name = "opencloud",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command takes. They go before the command (`opencloud --output json entries get ...`):
/// `opencloud emulator` has an `--api-key` of its own.
#[derive(Debug, Args)]
pub struct Global {
    /// Open Cloud API key.
    #[arg(long, env = "OPENCLOUD_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Read the API key from a file (the first line).
    #[arg(long, conflicts_with = "api_key")]
    pub api_key_file: Option<PathBuf>,
    /// Universe (experience) id.
    #[arg(long, env = "OPENCLOUD_UNIVERSE_ID")]
    pub universe: Option<String>,
    /// Base URL of the API (https://apis.roblox.com, or an emulator's).
    #[arg(long, env = "OPENCLOUD_BASE_URL")]
    pub base_url: Option<String>,
    /// Output format: a table for people, or JSON (one document, or JSON lines for listings).
    #[arg(long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Print nothing but results and errors (no notes, no progress bars).
    #[arg(long, short)]
    pub quiet: bool,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns for people.
    Table,
    /// Stable JSON for scripts.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Data stores: list, delete, undelete, snapshot.
    #[command(subcommand)]
    Datastores(DatastoresCmd),
    /// Entries of a standard data store.
    #[command(subcommand)]
    Entries(EntriesCmd),
    /// Entries of an ordered data store (leaderboards).
    #[command(subcommand)]
    Ordered(OrderedCmd),
    /// Write every entry of a data store, with value and metadata, as JSON lines.
    Export(ExportArgs),
    /// Write entries from a JSON lines file (as written by `export`) into a data store.
    Import(ImportArgs),
    /// Pipe every entry of a data store through a command and write the results.
    Migrate(MigrateArgs),
    /// Run the emulator server in the foreground.
    Emulator(opencloud_emulator::ServeArgs),
    /// Start an in-memory emulator and run the guide's two scenarios through the real client.
    Demo,
    /// Print shell completions.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the CLI reference as Markdown (used to generate docs/cli.md).
    #[command(hide = true)]
    MarkdownHelp,
}

#[derive(Debug, Subcommand)]
pub enum DatastoresCmd {
    /// List data stores.
    List {
        /// Only names starting with this.
        #[arg(long)]
        prefix: Option<String>,
        /// Include data stores scheduled for deletion.
        #[arg(long)]
        show_deleted: bool,
    },
    /// Schedule a data store for deletion in 30 days.
    Delete {
        /// Data store name.
        name: String,
    },
    /// Restore a data store scheduled for deletion.
    Undelete {
        /// Data store name.
        name: String,
    },
    /// Snapshot every data store of the universe (at most once per UTC day).
    Snapshot,
}

/// Which data store and scope.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// Data store name.
    #[arg(long)]
    pub data_store: String,
    /// Scope (the default scope, `global`, when absent).
    #[arg(long)]
    pub scope: Option<String>,
}

/// Users and attributes for a write.
#[derive(Debug, Args, Clone)]
pub struct MetaArgs {
    /// A user id to tag (repeatable, at most 4); omitted users are cleared.
    #[arg(long = "user")]
    pub users: Vec<u64>,
    /// Attributes as a JSON object; omitted attributes are cleared.
    #[arg(long)]
    pub attributes: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum EntriesCmd {
    /// List entry keys.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// List every scope.
        #[arg(long, conflicts_with = "scope")]
        all_scopes: bool,
        /// Only keys starting with this.
        #[arg(long)]
        prefix: Option<String>,
        /// Include deleted entries.
        #[arg(long)]
        show_deleted: bool,
        /// Stop after this many keys.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Print an entry's value (the whole entry with --output json).
    Get {
        #[command(flatten)]
        store: StoreArgs,
        /// Entry key.
        key: String,
        /// Read this revision.
        #[arg(long, conflicts_with = "as_of")]
        revision: Option<String>,
        /// Read the revision current at this RFC 3339 time.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// Create an entry; fails if it exists.
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// Entry key.
        key: String,
        /// The value, as JSON (a string is '"text"').
        value: String,
        #[command(flatten)]
        meta: MetaArgs,
    },
    /// Replace an entry's value.
    Update {
        #[command(flatten)]
        store: StoreArgs,
        /// Entry key.
        key: String,
        /// The value, as JSON.
        value: String,
        /// Create the entry if it does not exist.
        #[arg(long)]
        allow_missing: bool,
        /// Only write if the entry still has this etag.
        #[arg(long)]
        etag: Option<String>,
        #[command(flatten)]
        meta: MetaArgs,
    },
    /// Mark an entry deleted (purged after 30 days).
    Delete {
        #[command(flatten)]
        store: StoreArgs,
        /// Entry key.
        key: String,
    },
    /// Add an integer to an entry's value (creating it).
    Increment {
        #[command(flatten)]
        store: StoreArgs,
        /// Entry key.
        key: String,
        /// The amount (may be negative).
        #[arg(allow_hyphen_values = true)]
        amount: i64,
        #[command(flatten)]
        meta: MetaArgs,
    },
    /// List an entry's revisions.
    Revisions {
        #[command(flatten)]
        store: StoreArgs,
        /// Entry key.
        key: String,
        /// Only revisions made at or after this RFC 3339 time.
        #[arg(long)]
        start: Option<String>,
        /// Only revisions made at or before this RFC 3339 time.
        #[arg(long)]
        end: Option<String>,
    },
}

/// Which ordered data store and scope.
#[derive(Debug, Args, Clone)]
pub struct OrderedArgs {
    /// Ordered data store name.
    #[arg(long)]
    pub data_store: String,
    /// Scope.
    #[arg(long, default_value = "global")]
    pub scope: String,
}

#[derive(Debug, Subcommand)]
pub enum OrderedCmd {
    /// List entries by value.
    List {
        #[command(flatten)]
        store: OrderedArgs,
        /// Highest value first.
        #[arg(long)]
        desc: bool,
        /// Only values at least this (0 is a real bound).
        #[arg(long, allow_hyphen_values = true)]
        min: Option<i64>,
        /// Only values at most this.
        #[arg(long, allow_hyphen_values = true)]
        max: Option<i64>,
        /// Stop after this many entries.
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Print an entry.
    Get {
        #[command(flatten)]
        store: OrderedArgs,
        /// Entry id.
        id: String,
    },
    /// Create an entry; fails if it exists.
    Create {
        #[command(flatten)]
        store: OrderedArgs,
        /// Entry id.
        id: String,
        /// The value (an integer).
        #[arg(allow_hyphen_values = true)]
        value: i64,
    },
    /// Set an entry's value.
    Update {
        #[command(flatten)]
        store: OrderedArgs,
        /// Entry id.
        id: String,
        /// The value (an integer).
        #[arg(allow_hyphen_values = true)]
        value: i64,
        /// Create the entry if it does not exist.
        #[arg(long)]
        allow_missing: bool,
    },
    /// Add to an entry's value (creating it).
    Increment {
        #[command(flatten)]
        store: OrderedArgs,
        /// Entry id.
        id: String,
        /// The amount (may be negative).
        #[arg(allow_hyphen_values = true)]
        amount: i64,
    },
    /// Delete an entry.
    Delete {
        #[command(flatten)]
        store: OrderedArgs,
        /// Entry id.
        id: String,
    },
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Data store name.
    #[arg(long)]
    pub data_store: String,
    /// Export one scope (the default scope when neither this nor --all-scopes is given).
    #[arg(long, conflicts_with = "all_scopes")]
    pub scope: Option<String>,
    /// Export every scope.
    #[arg(long)]
    pub all_scopes: bool,
    /// Write to this file instead of stdout.
    #[arg(long, short = 'f')]
    pub file: Option<PathBuf>,
    /// Entries read at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
}

/// How import writes entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportMode {
    /// Create each entry; one that exists is a failure.
    Create,
    /// Write each entry, replacing what is there.
    Overwrite,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Data store name.
    #[arg(long)]
    pub data_store: String,
    /// JSON lines file (`-` for stdin).
    pub file: PathBuf,
    /// Create only, or overwrite.
    #[arg(long, value_enum, default_value_t = ImportMode::Overwrite)]
    pub mode: ImportMode,
    /// Writes in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Read and check the file, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Source data store.
    #[arg(long)]
    pub data_store: String,
    /// Destination data store (may be the source).
    #[arg(long)]
    pub to: String,
    /// A shell command that reads one JSON entry per line on stdin and writes exactly one line
    /// per input line on stdout: the new entry (or just `{"value": ...}`), or `null` to skip it.
    #[arg(long)]
    pub transform: String,
    /// Migrate every scope (the default scope otherwise).
    #[arg(long)]
    pub all_scopes: bool,
    /// Entries in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Transform, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
}
