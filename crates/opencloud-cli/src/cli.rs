//! The command line, as clap definitions. `docs/cli.md` is generated from these.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

/// The exit codes and environment variables, shown at the end of every `--help`.
pub const AFTER_HELP: &str = "\
Exit codes:
  0    success (also when a reader of the output went away, as with `| head`)
  1    anything else: files, the transform command, the embedded emulator
  2    the command line is wrong (usage)
  3    invalid input: a name, key, value or filter breaks a documented rule; nothing was sent
  4    the universe, data store or entry does not exist (404)
  5    the API key is missing or wrong (401) or lacks a scope (403)
  6    the service refused the request as it stands (400, 409)
  7    throttled, unavailable or unreachable after retries (429, 5xx, network)
  8    a bulk command finished but some entries failed; each is reported with its key
  9    a write may have been applied (5xx or a lost connection after sending): check before retrying
  130  a bulk command was interrupted (Ctrl-C); it says how to resume

Environment:
  OPENCLOUD_API_KEY        the API key (--api-key and --api-key-file win over it)
  OPENCLOUD_UNIVERSE_ID    the universe id (--universe)
  OPENCLOUD_BASE_URL       the API's base URL (--base-url)
  OPENCLOUD_EMULATOR_DIR   where the embedded emulator keeps its data
  OPENCLOUD_JOURNAL_DIR    where bulk jobs keep their journals
  RUST_LOG                 log filter for diagnostics on stderr (e.g. RUST_LOG=debug); the API key is never logged";

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
    max_term_width = 100,
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// How long one attempt may take, in seconds.
fn parse_timeout(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= 3600.0 => Ok(v),
        _ => Err(format!(
            "{s:?} is not a number of seconds between 0 and 3600"
        )),
    }
}

/// The client-side rate limit: `auto`, `off`, or requests per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimit {
    /// The budget of the target when it is known.
    Auto,
    /// No client-side limit.
    Off,
    /// This many requests per minute in each category.
    PerMinute(u64),
}

fn parse_rate_limit(s: &str) -> Result<RateLimit, String> {
    match s {
        "auto" => Ok(RateLimit::Auto),
        "off" => Ok(RateLimit::Off),
        n => match n.parse::<u64>() {
            Ok(v) if v > 0 => Ok(RateLimit::PerMinute(v)),
            _ => Err(format!(
                "{s:?} is not `auto`, `off` or a number of requests per minute above 0"
            )),
        },
    }
}

/// Options every command takes, anywhere on the line (`opencloud entries get ... -o json`).
#[derive(Debug, Args)]
#[command(next_help_heading = "Global options")]
pub struct Global {
    /// Open Cloud API key [env: OPENCLOUD_API_KEY].
    #[arg(long, global = true, hide_env_values = true)]
    pub api_key: Option<String>,
    /// Read the API key from a file (its first line); wins over OPENCLOUD_API_KEY.
    #[arg(long, global = true, conflicts_with = "api_key", value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
    /// Universe (experience) id.
    #[arg(long, global = true, env = "OPENCLOUD_UNIVERSE_ID")]
    pub universe: Option<String>,
    /// Base URL of the API (`https://apis.roblox.com`, or an emulator's).
    #[arg(long, global = true, env = "OPENCLOUD_BASE_URL")]
    pub base_url: Option<String>,
    /// Allow a plain http:// base URL on a host that is not loopback (an emulator in another
    /// container); the API key then crosses the network in clear text.
    #[arg(long, global = true)]
    pub allow_http: bool,
    /// Output format: a table for people, one JSON document, or JSON lines (listings).
    #[arg(long, short = 'o', global = true, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Print nothing but results and errors (no notes, no progress bars).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Show each HTTP attempt, retry and wait on stderr (-vv adds debug logs).
    #[arg(long, short, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    /// Seconds one HTTP attempt may take.
    #[arg(long, global = true, default_value = "30", value_parser = parse_timeout, value_name = "SECONDS")]
    pub timeout: f64,
    /// Retries after a failed attempt (429, 5xx, network), with backoff; 0 disables them.
    #[arg(long, global = true, default_value_t = 7, value_parser = clap::value_parser!(u32).range(0..=50))]
    pub retries: u32,
    /// Client-side rate limit: `auto` (the budget of the service or of an emulator that announces
    /// it), `off`, or N requests per minute per category (the per-second user restriction
    /// budgets keep their documented limits).
    #[arg(long, global = true, default_value = "auto", value_parser = parse_rate_limit, value_name = "auto|off|N")]
    pub rate_limit: RateLimit,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns for people.
    Table,
    /// Stable JSON for scripts: one document (a listing is one array).
    Json,
    /// JSON lines: one document per line (listings stream).
    Jsonl,
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
    /// The legacy v1 data store APIs: the same entries, with v1's metadata headers, versions
    /// and content-md5 on every write and read.
    #[command(subcommand)]
    V1(V1Cmd),
    /// Publish messages to every live server of the universe.
    #[command(subcommand)]
    Messaging(MessagingCmd),
    /// Ban and unban players (user restrictions), universe-wide or in one place.
    #[command(subcommand)]
    Bans(BansCmd),
    /// Write every entry of a data store (every scope), with value and metadata, as JSON lines
    /// ending with a trailer (entry count and checksum).
    Export(ExportArgs),
    /// Write entries from a JSON lines file (as written by `export`) into a data store.
    Import(ImportArgs),
    /// Pipe every entry of a data store through a command and write the results.
    Migrate(MigrateArgs),
    /// Run the emulator server in the foreground (`opencloud emulator --help` lists its options).
    #[command(disable_help_flag = true)]
    Emulator {
        /// The emulator's options (see `opencloud emulator --help`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
        args: Vec<String>,
    },
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

/// `opencloud emulator`: parsed on its own, since its `--api-key` (repeatable) is not the global one.
#[derive(Debug, Parser)]
#[command(
    name = "opencloud emulator",
    about = "Run the emulator server in the foreground.",
    max_term_width = 100
)]
pub struct EmulatorCli {
    #[command(flatten)]
    pub args: opencloud_emulator::ServeArgs,
}

/// Paging of a listing.
#[derive(Debug, Args, Clone)]
pub struct PageArgs {
    /// Items per request (the service caps it).
    #[arg(long)]
    pub page_size: Option<u32>,
    /// Start at this page token (printed on stderr when --limit stops a listing early).
    #[arg(long, visible_alias = "cursor")]
    pub page_token: Option<String>,
    /// Stop after this many items.
    #[arg(long)]
    pub limit: Option<usize>,
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
        #[command(flatten)]
        page: PageArgs,
    },
    /// Schedule a data store for deletion in 30 days (asks on a terminal).
    Delete {
        /// Data store name.
        name: String,
        /// Do not ask for confirmation.
        #[arg(long, short)]
        yes: bool,
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

/// Where a value comes from.
#[derive(Debug, Args, Clone)]
pub struct ValueArgs {
    /// The value, as JSON (a string is '"text"'); `-` reads it from stdin.
    #[arg(allow_hyphen_values = true, required_unless_present = "value_file")]
    pub value: Option<String>,
    /// Read the value (JSON) from this file (`-` for stdin), up to the service's 4 MB limit.
    #[arg(long, conflicts_with = "value", value_name = "PATH")]
    pub value_file: Option<PathBuf>,
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
        #[command(flatten)]
        page: PageArgs,
    },
    /// Print an entry's value (the whole entry with -o json).
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
        #[command(flatten)]
        value: ValueArgs,
        #[command(flatten)]
        meta: MetaArgs,
    },
    /// Replace an entry's value.
    Update {
        #[command(flatten)]
        store: StoreArgs,
        /// Entry key.
        key: String,
        #[command(flatten)]
        value: ValueArgs,
        /// Create the entry if it does not exist.
        #[arg(long)]
        allow_missing: bool,
        /// Only write if the entry still has this etag (one starting with `-` works too).
        #[arg(long, allow_hyphen_values = true)]
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
    /// Undelete an entry: write back the value, users and attributes of its last revision
    /// that was not a deletion.
    Restore {
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
        #[command(flatten)]
        page: PageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum V1Cmd {
    /// List data stores (v1).
    Stores {
        /// Only names starting with this.
        #[arg(long)]
        prefix: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Entries of a standard data store, through v1.
    #[command(subcommand)]
    Entries(V1EntriesCmd),
    /// Entries of an ordered data store, through v1.
    #[command(subcommand)]
    Ordered(OrderedCmd),
}

#[derive(Debug, Subcommand)]
pub enum V1EntriesCmd {
    /// List entry keys (entries marked deleted are listed until they are purged).
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// List every scope.
        #[arg(long, conflicts_with = "scope")]
        all_scopes: bool,
        /// Only keys starting with this.
        #[arg(long)]
        prefix: Option<String>,
        #[command(flatten)]
        page: PageArgs,
    },
    /// Print an entry's value (the whole entry with -o json); the answer's content-md5 is
    /// checked.
    Get {
        #[command(flatten)]
        store: StoreArgs,
        /// Entry key.
        key: String,
        /// Read this version.
        #[arg(long, value_name = "VERSION")]
        version_id: Option<String>,
    },
    /// Write an entry's value (the bytes as given, with their content-md5); users and
    /// attributes not given are cleared.
    Set {
        #[command(flatten)]
        store: StoreArgs,
        /// Entry key.
        key: String,
        #[command(flatten)]
        value: ValueArgs,
        #[command(flatten)]
        meta: MetaArgs,
        /// Only write if the entry does not exist.
        #[arg(long, conflicts_with = "match_version")]
        exclusive_create: bool,
        /// Only write if the entry's current version is this one.
        #[arg(long)]
        match_version: Option<String>,
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
    /// Mark an entry deleted (purged after 30 days).
    Delete {
        #[command(flatten)]
        store: StoreArgs,
        /// Entry key.
        key: String,
    },
    /// List an entry's versions.
    Versions {
        #[command(flatten)]
        store: StoreArgs,
        /// Entry key.
        key: String,
        /// Only versions made at or after this RFC 3339 time.
        #[arg(long)]
        start: Option<String>,
        /// Only versions made at or before this RFC 3339 time.
        #[arg(long)]
        end: Option<String>,
        /// Newest first.
        #[arg(long)]
        desc: bool,
        #[command(flatten)]
        page: PageArgs,
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
        #[command(flatten)]
        page: PageArgs,
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

/// Options of the journal every bulk job keeps.
#[derive(Debug, Args, Clone)]
pub struct JournalArgs {
    /// Continue the interrupted job recorded in the journal (same command and options).
    #[arg(long)]
    pub resume: bool,
    /// The journal file (default: under OPENCLOUD_JOURNAL_DIR or the data directory, named
    /// after the job).
    #[arg(long, value_name = "PATH")]
    pub journal: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Data store name.
    #[arg(long)]
    pub data_store: String,
    /// Export only this scope (every scope by default; each line names its scope).
    #[arg(long)]
    pub scope: Option<String>,
    /// Write to this file (through a temporary file renamed on success) instead of stdout.
    #[arg(long, short = 'f')]
    pub file: Option<PathBuf>,
    /// Entries read at once (a fixed pool shared across pages).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// Write an empty export instead of failing when the data store does not exist.
    #[arg(long)]
    pub allow_empty: bool,
    /// (With --file.) The journal records a checkpoint per page, so --resume continues an
    /// interrupted export from the last complete page.
    #[command(flatten)]
    pub journal: JournalArgs,
}

/// How import writes entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportMode {
    /// Create each entry; one that exists is a failure.
    Create,
    /// Write each entry, replacing what is there.
    Overwrite,
    /// Create each entry; one that exists is left as it is (counted as skipped).
    SkipExisting,
}

/// Which line wins when a file repeats a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnDuplicate {
    /// The first line of the key.
    First,
    /// The last line of the key.
    Last,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Data store name.
    #[arg(long)]
    pub data_store: String,
    /// JSON lines file (`-` for stdin).
    pub file: PathBuf,
    /// create: only new entries (an existing one fails); overwrite: replace; skip-existing: only
    /// new entries, existing ones are left alone.
    #[arg(long, value_enum, default_value_t = ImportMode::Overwrite)]
    pub mode: ImportMode,
    /// When the file repeats a key (in one scope): by default the import fails before writing
    /// and lists the repeats; `first` or `last` picks that line and skips the others.
    #[arg(long, value_enum)]
    pub on_duplicate: Option<OnDuplicate>,
    /// Import a file whose trailer (entry count and checksum) is missing or does not match.
    #[arg(long)]
    pub ignore_trailer: bool,
    /// Writes in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// Read and check the file, write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub journal: JournalArgs,
}

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Source data store.
    #[arg(long)]
    pub data_store: String,
    /// Destination data store (may be the source: then every write is guarded by the etag read).
    #[arg(long)]
    pub to: String,
    /// Only this scope (every scope by default).
    #[arg(long)]
    pub scope: Option<String>,
    /// A shell command that reads entries as JSON lines on stdin and writes one line per entry,
    /// in any order, each naming its entry by "key" (and "scope" when the job spans more than
    /// one): {"key":K,"value":V} (users and attributes kept unless given), {"key":K,"skip":true}
    /// to leave it out, or {"key":K,"unchanged":true}.
    #[arg(long)]
    pub transform: String,
    /// Entries in flight at once.
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=256))]
    pub concurrency: u32,
    /// How many times an entry written concurrently by someone else is read and transformed
    /// again before it is reported as failed.
    #[arg(long, default_value_t = 5)]
    pub conflict_retries: u32,
    /// Transform, but write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub journal: JournalArgs,
}

#[derive(Debug, Subcommand)]
pub enum MessagingCmd {
    /// Publish a message on a topic (servers subscribed with MessagingService receive it).
    Publish {
        /// The topic (at most 80 characters).
        topic: String,
        /// The message (at most 1,024 bytes); `-` reads it from stdin.
        #[arg(required_unless_present = "file", allow_hyphen_values = true)]
        message: Option<String>,
        /// Read the message from a file.
        #[arg(long, conflicts_with = "message")]
        file: Option<std::path::PathBuf>,
    },
}

/// A place, for place-level bans.
#[derive(Debug, Args, Clone)]
pub struct PlaceArg {
    /// A place of the universe (bans there apply only to it).
    #[arg(long)]
    pub place: Option<u64>,
}

#[derive(Debug, Subcommand)]
pub enum BansCmd {
    /// Every restriction (current and past bans).
    List {
        #[command(flatten)]
        place: PlaceArg,
        #[command(flatten)]
        page: PageArgs,
    },
    /// A user's restriction.
    Get {
        /// The user id.
        user: u64,
        #[command(flatten)]
        place: PlaceArg,
    },
    /// Ban a user.
    Ban {
        /// The user id.
        user: u64,
        /// How long: `30s`, `15m`, `12h`, `7d`, `2w`, or seconds; permanent when absent.
        #[arg(long)]
        duration: Option<String>,
        /// The reason the user sees (at most 400 characters).
        #[arg(long)]
        reason: Option<String>,
        /// The reason for your records, not shown to the user (at most 1,000 characters).
        #[arg(long)]
        private_reason: Option<String>,
        /// Leave the user's alt accounts unbanned.
        #[arg(long)]
        exclude_alt_accounts: bool,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        place: PlaceArg,
    },
    /// Lift a user's ban.
    Unban {
        /// The user id.
        user: u64,
        #[command(flatten)]
        place: PlaceArg,
    },
    /// The log of ban changes, newest first.
    Logs {
        /// Only this user's.
        #[arg(long)]
        user: Option<u64>,
        #[command(flatten)]
        place: PlaceArg,
        #[command(flatten)]
        page: PageArgs,
    },
}
