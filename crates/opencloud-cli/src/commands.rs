//! The per-operation commands: data stores, entries, ordered entries.

use std::io::{IsTerminal, Read};
use std::path::Path;

use opencloud_blocking::{
    AsOfTime, Attributes, CreateEntry, CreateOrderedEntry, DataStoreEntry, DataStoreName,
    DeleteDataStore, DeleteEntry, DeleteOrderedEntry, EntryAddress, EntryKey, EntryWrite, GetEntry,
    GetOrderedEntry, IncrementEntry, IncrementOrderedEntry, ListDataStores, ListEntries,
    ListEntryRevisions, ListOrderedEntries, ListScope, Order, OrderedEntryId, OrderedRange,
    OrderedStore, Page, PageToken, PagedOperation, RevisionId, RevisionSelector, RevisionTimeRange,
    Scope, SnapshotDataStores, State, UndeleteDataStore, UpdateEntry, UpdateOrderedEntry, UserId,
};
use opencloud_blocking::{
    ListUserRestrictionLogs, ListUserRestrictions, PlaceId, RestrictionDuration, RestrictionWrite,
    UserRestriction,
};
use opencloud_blocking::{
    V1CreateOrderedEntry, V1DeleteEntry, V1DeleteOrderedEntry, V1EntryVersion, V1GetEntry,
    V1GetEntryVersion, V1GetOrderedEntry, V1IncrementEntry, V1IncrementOrderedEntry,
    V1ListDataStores, V1ListEntries, V1ListEntryVersions, V1ListOrderedEntries, V1SetEntry,
    V1UpdateOrderedEntry,
};
use opencloud_core::limits::MAX_VALUE_CHARS;
use serde_json::Value;

use crate::calls;
use crate::cli::{
    BansCmd, DatastoresCmd, EntriesCmd, MessagingCmd, MetaArgs, OrderedArgs, OrderedCmd, Output,
    PageArgs, PlaceArg, StoreArgs, V1Cmd, V1EntriesCmd, ValueArgs,
};
use crate::ctx::{CliError, Ctx, exit};
use crate::output::{self, Listing};
use crate::status;

fn input<T, E: std::fmt::Display>(r: Result<T, E>) -> Result<T, CliError> {
    r.map_err(|e| CliError::input(e.to_string()))
}

pub fn time(field: &str, s: &str) -> Result<jiff::Timestamp, CliError> {
    s.parse().map_err(|e| {
        CliError::input(format!(
            "invalid {field}: {s:?} is not an RFC 3339 time ({e})"
        ))
    })
}

fn address(ctx: &Ctx, s: &StoreArgs, key: &str) -> Result<EntryAddress, CliError> {
    let mut a = EntryAddress::new(
        ctx.universe.clone(),
        input(DataStoreName::new(&s.data_store))?,
        input(EntryKey::new(key))?,
    );
    if let Some(scope) = &s.scope {
        a = a.in_scope(input(Scope::new(scope))?);
    }
    Ok(a)
}

fn json_value(field: &str, s: &str) -> Result<Value, CliError> {
    serde_json::from_str(s).map_err(|e| {
        let shown: String = s.chars().take(80).collect();
        CliError::input(format!("invalid {field}: {:?}{} is not JSON ({e}); a string value is written with quotes, like '\"text\"'",
            status::escape(&shown), if s.chars().count() > 80 { "…" } else { "" }))
    })
}

/// Reads a value's text from a file or stdin, refusing more than the service accepts before
/// reading it all.
fn read_value_text(path: &Path) -> Result<String, CliError> {
    // The service's limit is in characters; a character is at least one byte, and at most
    // four, so more than 4× the limit in bytes is too long whatever it holds.
    let cap = (MAX_VALUE_CHARS as u64) * 4 + 1;
    let mut text = String::new();
    let result = if path.as_os_str() == "-" {
        std::io::stdin().lock().take(cap).read_to_string(&mut text)
    } else {
        std::fs::File::open(path)
            .and_then(|f| f.take(cap).read_to_string(&mut text))
            .map_err(|e| {
                if e.kind() == std::io::ErrorKind::NotFound {
                    std::io::Error::new(e.kind(), "file not found")
                } else {
                    e
                }
            })
    };
    result.map_err(|e| {
        CliError::input(format!(
            "cannot read the value from {}: {e}",
            if path.as_os_str() == "-" {
                "stdin".to_string()
            } else {
                path.display().to_string()
            }
        ))
    })?;
    if text.len() as u64 >= cap {
        return Err(CliError::input(format!(
            "value: more than {MAX_VALUE_CHARS} characters, the service's limit"
        )));
    }
    Ok(text)
}

/// The value's text as given: the argument, a file or stdin.
fn value_text(v: &ValueArgs) -> Result<String, CliError> {
    match (&v.value, &v.value_file) {
        (_, Some(p)) => read_value_text(p),
        (Some(s), None) if s == "-" => read_value_text(Path::new("-")),
        (Some(s), None) => Ok(s.clone()),
        (None, None) => Err(CliError::input("value: give it, or --value-file PATH")),
    }
}

fn value_of(v: &ValueArgs) -> Result<Value, CliError> {
    json_value("value", value_text(v)?.trim())
}

/// Users and attributes of a write.
fn meta_of(meta: &MetaArgs) -> Result<(Vec<UserId>, Option<Attributes>), CliError> {
    let users = meta.users.iter().copied().map(UserId).collect();
    let attributes = match &meta.attributes {
        Some(a) => Some(input(Attributes::from_value(json_value("attributes", a)?))?),
        None => None,
    };
    Ok((users, attributes))
}

fn write(value: &ValueArgs, meta: &MetaArgs) -> Result<EntryWrite, CliError> {
    let (users, attributes) = meta_of(meta)?;
    let mut w = EntryWrite::new(value_of(value)?).users(users);
    if let Some(a) = attributes {
        w = w.attributes(a);
    }
    Ok(w)
}

fn print_entry(ctx: &Ctx, e: &DataStoreEntry, value_only: bool) {
    match ctx.output {
        Output::Json | Output::Jsonl => output::json(e),
        Output::Table if value_only => output::print(
            &serde_json::to_string_pretty(e.value.as_ref().unwrap_or(&Value::Null))
                .unwrap_or_default(),
        ),
        Output::Table => {
            let rows = vec![
                vec!["key".into(), e.id.clone()],
                vec!["scope".into(), e.scope_or_global().to_string()],
                vec![
                    "value".into(),
                    e.value.as_ref().map(output::cell).unwrap_or_default(),
                ],
                vec!["revision".into(), e.revision_id.clone().unwrap_or_default()],
                vec![
                    "revision time".into(),
                    e.revision_create_time
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                ],
                vec![
                    "created".into(),
                    e.create_time.map(|t| t.to_string()).unwrap_or_default(),
                ],
                vec!["etag".into(), e.etag.clone().unwrap_or_default()],
                vec![
                    "users".into(),
                    e.users
                        .iter()
                        .map(|u| u.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                ],
                vec![
                    "attributes".into(),
                    e.attributes
                        .as_ref()
                        .map(|a| Value::Object(a.clone()).to_string())
                        .unwrap_or_default(),
                ],
            ];
            output::table(&["field", "value"], &rows);
        }
    }
}

/// The page size to ask for: `--page-size`, at most `--limit`.
fn page_size(p: &PageArgs, default: u32) -> Option<u32> {
    let n = p.page_size.unwrap_or(default);
    Some(match p.limit {
        Some(l) => n.min(u32::try_from(l.max(1)).unwrap_or(u32::MAX)),
        None => n,
    })
}

/// Streams a listing page by page, up to `--limit`; when it stops early at the end of a page,
/// says how to continue.
fn list_paged<O>(
    ctx: &Ctx,
    mut op: O,
    size: Option<u32>,
    p: &PageArgs,
    header: &[&str],
    row: impl Fn(&<O::Output as Page>::Item) -> Vec<String>,
    json: impl Fn(&<O::Output as Page>::Item) -> Value,
) -> Result<(), CliError>
where
    O: PagedOperation + Send + Sync + 'static,
    O::Output: Page + Send,
{
    if let Some(t) = &p.page_token {
        op.set_page_token(Some(input(PageToken::new(t.clone()))?));
    }
    let mut listing = Listing::new(ctx.output, header);
    let mut left = p.limit.unwrap_or(usize::MAX);
    for page in calls::pages(ctx, op.clone()) {
        let page = page.map_err(|e| CliError::api(e, ctx.describe(&op), None))?;
        let next = page.next_page_token().map(String::from);
        let items = page.into_items();
        let shown = items.len().min(left);
        listing.page(&items[..shown], &row, &json);
        left -= shown;
        if left == 0 {
            listing.finish();
            if !ctx.quiet {
                match (shown == items.len(), next) {
                    (true, Some(t)) => status::eprint(&format!(
                        "note: more items follow: add --page-size {} --page-token {t} to continue (a token works with the page size it came from)",
                        size.unwrap_or(0)
                    )),
                    (false, _) => status::eprint(
                        "note: more items follow: give --page-size the value of --limit to get a --page-token that continues",
                    ),
                    (true, None) => {}
                }
            }
            return Ok(());
        }
    }
    listing.finish();
    Ok(())
}

fn confirm(question: &str) -> Result<bool, CliError> {
    status::eprint(&format!("{question} [y/N] "));
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .map_err(|e| CliError::other(format!("cannot read the answer: {e}")))?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

pub fn datastores(ctx: &Ctx, cmd: DatastoresCmd) -> Result<(), CliError> {
    match cmd {
        DatastoresCmd::List {
            prefix,
            show_deleted,
            page,
        } => {
            let mut op = ListDataStores::new(ctx.universe.clone()).show_deleted(show_deleted);
            op.max_page_size = page_size(&page, 100);
            op.prefix = prefix;
            let size = op.max_page_size;
            list_paged(
                ctx,
                op,
                size,
                &page,
                &["name", "state", "created", "expires"],
                |d| {
                    vec![
                        d.id.clone(),
                        format!("{:?}", d.state).to_uppercase(),
                        d.create_time.map(|t| t.to_string()).unwrap_or_default(),
                        d.expire_time.map(|t| t.to_string()).unwrap_or_default(),
                    ]
                },
                |d| serde_json::to_value(d).unwrap_or(Value::Null),
            )?;
        }
        DatastoresCmd::Delete { name, yes } => {
            let name = input(DataStoreName::new(name))?;
            if !yes {
                if !std::io::stdin().is_terminal() {
                    return Err(CliError::input(format!(
                        "deleting the data store {:?} needs confirmation: add --yes",
                        name.as_str()
                    )));
                }
                if !confirm(&format!(
                    "Schedule the data store {:?} of universe {} for deletion (every entry, in 30 days)?",
                    name.as_str(),
                    ctx.universe
                ))? {
                    return Err(CliError::other("not deleted"));
                }
            }
            let d = ctx.send(&DeleteDataStore::new(ctx.universe.clone(), name))?;
            match ctx.output {
                Output::Json | Output::Jsonl => output::json(&d),
                Output::Table => output::print(&format!(
                    "{} is scheduled for deletion at {} (`opencloud datastores undelete` restores it until then)",
                    status::escape(&d.id),
                    d.expire_time.map(|t| t.to_string()).unwrap_or_default()
                )),
            }
        }
        DatastoresCmd::Undelete { name } => {
            let d = ctx.send(&UndeleteDataStore::new(
                ctx.universe.clone(),
                input(DataStoreName::new(name))?,
            ))?;
            match ctx.output {
                Output::Json | Output::Jsonl => output::json(&d),
                Output::Table => output::print(&format!("{} is restored", status::escape(&d.id))),
            }
        }
        DatastoresCmd::Snapshot => {
            let s = ctx.send(&SnapshotDataStores::new(ctx.universe.clone()))?;
            match ctx.output {
                Output::Json | Output::Jsonl => output::json(&s),
                Output::Table => output::print(&format!(
                    "{} (latest snapshot {})",
                    if s.new_snapshot_taken {
                        "snapshot taken"
                    } else {
                        "a snapshot was already taken today"
                    },
                    s.latest_snapshot_time
                        .map(|t| t.to_string())
                        .unwrap_or_default()
                )),
            }
        }
    }
    Ok(())
}

/// `entries restore`: the last revision that was not a deletion, written back.
fn restore(ctx: &Ctx, store: &StoreArgs, key: &str) -> Result<DataStoreEntry, CliError> {
    let a = address(ctx, store, key)?;
    match calls::get_entry(ctx, a.clone()) {
        Ok(Some(_)) => {
            return Err(CliError::with_code(
                exit::REFUSED,
                format!("the entry {:?} is not deleted: nothing to restore", status::escape(key)),
            )
            .hint("`opencloud entries revisions` lists its revisions; `entries get --revision` reads one"));
        }
        Ok(None) => {}
        Err(e) => return Err(CliError::api(e, None, None)),
    }
    let op = ListEntryRevisions::new(a.clone()).max_page_size(100);
    let mut last: Option<DataStoreEntry> = None;
    for r in calls::pages(ctx, op.clone()) {
        let page = r.map_err(|e| CliError::api(e, ctx.describe(&op), None))?;
        for rev in page.into_items() {
            if rev.state == State::Deleted {
                continue;
            }
            if last
                .as_ref()
                .is_none_or(|l| rev.revision_create_time > l.revision_create_time)
            {
                last = Some(rev);
            }
        }
    }
    let Some(rev) = last.and_then(|r| r.revision_id) else {
        return Err(CliError::with_code(
            exit::NOT_FOUND,
            format!(
                "the entry {:?} has no revision to restore",
                status::escape(key)
            ),
        ));
    };
    let old = ctx.send(
        &GetEntry::new(a.clone()).at(RevisionSelector::Revision(input(RevisionId::new(rev))?)),
    )?;
    let mut w = EntryWrite::new(old.value.clone().unwrap_or(Value::Null)).users(old.users.clone());
    if let Some(attrs) = old.attributes.clone().filter(|m| !m.is_empty()) {
        w = w.attributes(Attributes::new_unvalidated(attrs));
    }
    // Created only if still absent: a concurrent restore or write is not overwritten.
    ctx.send(&CreateEntry::new(a, w))
}

pub fn entries(ctx: &Ctx, cmd: EntriesCmd) -> Result<(), CliError> {
    match cmd {
        EntriesCmd::List {
            store,
            all_scopes,
            prefix,
            show_deleted,
            page,
        } => {
            let mut op = ListEntries::new(
                ctx.universe.clone(),
                input(DataStoreName::new(&store.data_store))?,
            )
            .show_deleted(show_deleted);
            op.max_page_size = page_size(&page, 256);
            op.prefix = prefix;
            op.scope = match (&store.scope, all_scopes) {
                (_, true) => ListScope::All,
                (Some(s), false) => ListScope::Scope(input(Scope::new(s))?),
                (None, false) => ListScope::Default,
            };
            let size = op.max_page_size;
            list_paged(ctx, op, size, &page, &["scope", "key"], key_row, key_json)?;
        }
        EntriesCmd::Get {
            store,
            key,
            revision,
            as_of,
        } => {
            let mut op = GetEntry::new(address(ctx, &store, &key)?);
            if let Some(r) = revision {
                op = op.at(RevisionSelector::Revision(input(RevisionId::new(r))?));
            }
            if let Some(t) = as_of {
                op = op.at(RevisionSelector::AsOf(input(AsOfTime::new(
                    time("as_of", &t)?,
                    jiff::Timestamp::now(),
                ))?));
            }
            print_entry(ctx, &ctx.send(&op)?, true);
        }
        EntriesCmd::Create {
            store,
            key,
            value,
            meta,
        } => {
            let e = ctx.send(&CreateEntry::new(
                address(ctx, &store, &key)?,
                write(&value, &meta)?,
            ))?;
            print_entry(ctx, &e, false);
        }
        EntriesCmd::Update {
            store,
            key,
            value,
            allow_missing,
            etag,
            meta,
        } => {
            let mut op = UpdateEntry::new(address(ctx, &store, &key)?, write(&value, &meta)?)
                .allow_missing(allow_missing);
            op.etag = etag;
            print_entry(ctx, &ctx.send(&op)?, false);
        }
        EntriesCmd::Delete { store, key } => delete_entry(ctx, &store, &key, Api::V2)?,
        EntriesCmd::Restore { store, key } => {
            let e = restore(ctx, &store, &key)?;
            print_entry(ctx, &e, false);
        }
        EntriesCmd::Increment {
            store,
            key,
            amount,
            meta,
        } => increment_entry(ctx, &store, &key, amount, &meta, Api::V2)?,
        EntriesCmd::Revisions {
            store,
            key,
            start,
            end,
            page,
        } => {
            let range = input(RevisionTimeRange::new(
                start.map(|s| time("start", &s)).transpose()?,
                end.map(|s| time("end", &s)).transpose()?,
            ))?;
            let mut op = ListEntryRevisions::new(address(ctx, &store, &key)?).range(range);
            op.max_page_size = page_size(&page, 100);
            let size = op.max_page_size;
            list_paged(
                ctx,
                op,
                size,
                &page,
                &["revision", "time", "state"],
                |r| {
                    vec![
                        r.revision_id.clone().unwrap_or_default(),
                        r.revision_create_time
                            .map(|t| t.to_string())
                            .unwrap_or_default(),
                        format!("{:?}", r.state).to_uppercase(),
                    ]
                },
                |r| serde_json::to_value(r).unwrap_or(Value::Null),
            )?;
        }
    }
    Ok(())
}

fn key_row(e: &DataStoreEntry) -> Vec<String> {
    vec![e.scope_or_global().to_string(), e.id.clone()]
}

fn key_json(e: &DataStoreEntry) -> Value {
    serde_json::json!({"scope": e.scope_or_global(), "key": e.id, "path": e.path})
}

/// `entries increment`, through v2 or v1.
fn increment_entry(
    ctx: &Ctx,
    store: &StoreArgs,
    key: &str,
    amount: i64,
    meta: &MetaArgs,
    api: Api,
) -> Result<(), CliError> {
    let (users, attributes) = meta_of(meta)?;
    let a = address(ctx, store, key)?;
    let e = match api {
        Api::V2 => {
            let mut op = IncrementEntry::new(a, amount).users(users);
            op.attributes = attributes;
            ctx.send(&op)?
        }
        Api::V1 => {
            let mut op = V1IncrementEntry::new(a, amount).users(users);
            op.attributes = attributes;
            ctx.send(&op)?
        }
    };
    print_entry(ctx, &e, ctx.output == Output::Table);
    Ok(())
}

/// `entries delete`, through v2 or v1: both leave a tombstone.
fn delete_entry(ctx: &Ctx, store: &StoreArgs, key: &str, api: Api) -> Result<(), CliError> {
    let a = address(ctx, store, key)?;
    match api {
        Api::V2 => ctx.send(&DeleteEntry::new(a))?,
        Api::V1 => ctx.send(&V1DeleteEntry::new(a))?,
    }
    match ctx.output {
        Output::Json | Output::Jsonl => output::json(&serde_json::json!({"deleted": key})),
        Output::Table => output::print(&format!(
            "{} is marked deleted (`opencloud entries restore` brings it back)",
            status::escape(key)
        )),
    }
    Ok(())
}

fn ordered_store(ctx: &Ctx, s: &OrderedArgs) -> Result<OrderedStore, CliError> {
    Ok(OrderedStore::new(
        ctx.universe.clone(),
        input(DataStoreName::new(&s.data_store))?,
        input(Scope::new(&s.scope))?,
    ))
}

fn print_ordered(ctx: &Ctx, e: &opencloud_blocking::OrderedEntry) {
    match ctx.output {
        Output::Json | Output::Jsonl => output::json(e),
        Output::Table => {
            output::table(&["id", "value"], &[vec![e.id.clone(), e.value.to_string()]])
        }
    }
}

/// Which API a command goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    V2,
    V1,
}

pub fn ordered(ctx: &Ctx, cmd: OrderedCmd) -> Result<(), CliError> {
    ordered_via(ctx, cmd, Api::V2)
}

fn ordered_via(ctx: &Ctx, cmd: OrderedCmd, api: Api) -> Result<(), CliError> {
    let item = |store: &OrderedArgs, id: String| -> Result<_, CliError> {
        Ok((ordered_store(ctx, store)?, input(OrderedEntryId::new(id))?))
    };
    let entry = match cmd {
        OrderedCmd::List {
            store,
            desc,
            min,
            max,
            page,
        } => {
            let s = ordered_store(ctx, &store)?;
            let order = if desc {
                Order::Descending
            } else {
                Order::Ascending
            };
            let range = input(OrderedRange::new(min, max))?;
            let size = page_size(&page, 100);
            let rank = std::cell::Cell::new(0usize);
            let header = &["rank", "id", "value"];
            let row = |e: &opencloud_blocking::OrderedEntry| {
                rank.set(rank.get() + 1);
                vec![rank.get().to_string(), e.id.clone(), e.value.to_string()]
            };
            let json = |e: &opencloud_blocking::OrderedEntry| {
                serde_json::to_value(e).unwrap_or(Value::Null)
            };
            return match api {
                Api::V2 => {
                    let mut op = ListOrderedEntries::new(s).order(order).range(range);
                    op.max_page_size = size;
                    list_paged(ctx, op, size, &page, header, row, json)
                }
                Api::V1 => {
                    let mut op = V1ListOrderedEntries::new(s).order(order).range(range);
                    op.max_page_size = size;
                    list_paged(ctx, op, size, &page, header, row, json)
                }
            };
        }
        OrderedCmd::Get { store, id } => {
            let (s, i) = item(&store, id)?;
            match api {
                Api::V2 => ctx.send(&GetOrderedEntry::new(s, i))?,
                Api::V1 => ctx.send(&V1GetOrderedEntry::new(s, i))?,
            }
        }
        OrderedCmd::Create { store, id, value } => {
            let (s, i) = item(&store, id)?;
            match api {
                Api::V2 => ctx.send(&CreateOrderedEntry::new(s, i, value))?,
                Api::V1 => ctx.send(&V1CreateOrderedEntry::new(s, i, value))?,
            }
        }
        OrderedCmd::Update {
            store,
            id,
            value,
            allow_missing,
        } => {
            let (s, i) = item(&store, id)?;
            match api {
                Api::V2 => {
                    ctx.send(&UpdateOrderedEntry::new(s, i, value).allow_missing(allow_missing))?
                }
                Api::V1 => {
                    ctx.send(&V1UpdateOrderedEntry::new(s, i, value).allow_missing(allow_missing))?
                }
            }
        }
        OrderedCmd::Increment { store, id, amount } => {
            let (s, i) = item(&store, id)?;
            match api {
                Api::V2 => ctx.send(&IncrementOrderedEntry::new(s, i, amount))?,
                Api::V1 => ctx.send(&V1IncrementOrderedEntry::new(s, i, amount))?,
            }
        }
        OrderedCmd::Delete { store, id } => {
            let (s, i) = item(&store, id.clone())?;
            match api {
                Api::V2 => ctx.send(&DeleteOrderedEntry::new(s, i))?,
                Api::V1 => ctx.send(&V1DeleteOrderedEntry::new(s, i))?,
            }
            match ctx.output {
                Output::Json | Output::Jsonl => output::json(&serde_json::json!({"deleted": id})),
                Output::Table => output::print(&format!("{} is deleted", status::escape(&id))),
            }
            return Ok(());
        }
    };
    print_ordered(ctx, &entry);
    Ok(())
}

fn print_version(ctx: &Ctx, v: &V1EntryVersion) {
    match ctx.output {
        Output::Json | Output::Jsonl => output::json(v),
        Output::Table => output::table(&["field", "value"], &version_rows(v)),
    }
}

fn version_rows(v: &V1EntryVersion) -> Vec<Vec<String>> {
    let time = |t: Option<jiff::Timestamp>| t.map(|t| t.to_string()).unwrap_or_default();
    vec![
        vec!["version".into(), v.version.clone()],
        vec!["deleted".into(), v.deleted.to_string()],
        vec!["bytes".into(), v.content_length.to_string()],
        vec!["written".into(), time(v.created_time)],
        vec!["entry created".into(), time(v.object_created_time)],
    ]
}

/// `opencloud v1 ...`: the legacy v1 APIs.
pub fn v1(ctx: &Ctx, cmd: V1Cmd) -> Result<(), CliError> {
    match cmd {
        V1Cmd::Stores { prefix, page } => {
            let mut op = V1ListDataStores::new(ctx.universe.clone());
            op.prefix = prefix;
            op.limit = page_size(&page, 100);
            let size = op.limit;
            list_paged(
                ctx,
                op,
                size,
                &page,
                &["name", "created"],
                |d| {
                    let created = d.create_time.map(|t| t.to_string()).unwrap_or_default();
                    vec![d.id.clone(), created]
                },
                |d| serde_json::json!({"name": d.id, "createdTime": d.create_time}),
            )
        }
        V1Cmd::Entries(cmd) => v1_entries(ctx, cmd),
        V1Cmd::Ordered(cmd) => ordered_via(ctx, cmd, Api::V1),
    }
}

fn v1_entries(ctx: &Ctx, cmd: V1EntriesCmd) -> Result<(), CliError> {
    match cmd {
        V1EntriesCmd::List {
            store,
            all_scopes,
            prefix,
            page,
        } => {
            let mut op = V1ListEntries::new(
                ctx.universe.clone(),
                input(DataStoreName::new(&store.data_store))?,
            )
            .all_scopes(all_scopes);
            if let Some(s) = &store.scope {
                op = op.scope(input(Scope::new(s))?);
            }
            op.prefix = prefix;
            op.limit = page_size(&page, 256);
            let size = op.limit;
            list_paged(ctx, op, size, &page, &["scope", "key"], key_row, key_json)
        }
        V1EntriesCmd::Get {
            store,
            key,
            version_id,
        } => {
            let a = address(ctx, &store, &key)?;
            let e = match version_id {
                Some(v) => ctx.send(&V1GetEntryVersion::new(a, input(RevisionId::new(v))?))?,
                None => ctx.send(&V1GetEntry::new(a))?,
            };
            print_entry(ctx, &e, true);
            Ok(())
        }
        V1EntriesCmd::Set {
            store,
            key,
            value,
            meta,
            exclusive_create,
            match_version,
        } => {
            // The bytes as given (checked to be JSON when the request is built), so the
            // checksum covers exactly what the user wrote.
            let text = value_text(&value)?;
            let (users, attributes) = meta_of(&meta)?;
            let mut op = V1SetEntry::from_json_bytes(
                address(ctx, &store, &key)?,
                text.trim().as_bytes().to_vec(),
            )
            .users(users)
            .exclusive_create(exclusive_create);
            if let Some(a) = attributes {
                op = op.attributes(a);
            }
            if let Some(v) = match_version {
                op = op.match_version(input(RevisionId::new(v))?);
            }
            print_version(ctx, &ctx.send(&op)?);
            Ok(())
        }
        V1EntriesCmd::Increment {
            store,
            key,
            amount,
            meta,
        } => increment_entry(ctx, &store, &key, amount, &meta, Api::V1),
        V1EntriesCmd::Delete { store, key } => delete_entry(ctx, &store, &key, Api::V1),
        V1EntriesCmd::Versions {
            store,
            key,
            start,
            end,
            desc,
            page,
        } => {
            let mut op = V1ListEntryVersions::new(address(ctx, &store, &key)?).order(if desc {
                Order::Descending
            } else {
                Order::Ascending
            });
            op.start_time = start.map(|s| time("start", &s)).transpose()?;
            op.end_time = end.map(|s| time("end", &s)).transpose()?;
            op.limit = page_size(&page, 100);
            let size = op.limit;
            list_paged(
                ctx,
                op,
                size,
                &page,
                &["version", "written", "deleted", "bytes"],
                |v| {
                    let written = v.created_time.map(|t| t.to_string()).unwrap_or_default();
                    vec![
                        v.version.clone(),
                        written,
                        v.deleted.to_string(),
                        v.content_length.to_string(),
                    ]
                },
                |v| serde_json::to_value(v).unwrap_or(Value::Null),
            )
        }
    }
}

/// A human duration: `30s`, `15m`, `12h`, `7d`, `2w`, or plain seconds.
pub fn parse_duration(s: &str) -> Result<RestrictionDuration, CliError> {
    let s = s.trim();
    let (digits, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let bad = || {
        CliError::input(format!(
            "invalid --duration {s:?}: use a whole number with s, m, h, d or w (e.g. 7d)"
        ))
    };
    let n: u64 = digits.parse().map_err(|_| bad())?;
    let per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        "w" => 604_800,
        _ => return Err(bad()),
    };
    let secs = n.checked_mul(per).filter(|s| *s > 0).ok_or_else(bad)?;
    input(RestrictionDuration::from_secs(secs))
}

fn restrictions(ctx: &Ctx, place: &PlaceArg) -> opencloud_blocking::UserRestrictionsHandle {
    match place.place {
        Some(p) => ctx.client.place(p).user_restrictions(),
        None => ctx.client.user_restrictions(),
    }
    .in_universe(ctx.universe.as_str())
}

fn print_restriction(ctx: &Ctx, r: &UserRestriction) {
    match ctx.output {
        Output::Json | Output::Jsonl => output::json(r),
        Output::Table => output::table(&RESTRICTION_HEADER, &[restriction_row(r)]),
    }
}

const RESTRICTION_HEADER: [&str; 6] =
    ["user", "active", "start", "duration", "reason", "inherited"];

fn restriction_row(r: &UserRestriction) -> Vec<String> {
    let g = r.game_join_restriction.clone().unwrap_or_default();
    vec![
        r.user.map(|u| u.0.to_string()).unwrap_or_default(),
        g.active.to_string(),
        g.start_time.map(|t| t.to_string()).unwrap_or_default(),
        g.duration
            .map(|d| format!("{}s", d.as_secs()))
            .unwrap_or_else(|| {
                if g.active {
                    "permanent".into()
                } else {
                    String::new()
                }
            }),
        status::escape(&g.display_reason),
        g.inherited.to_string(),
    ]
}

pub fn messaging(ctx: &Ctx, cmd: MessagingCmd) -> Result<(), CliError> {
    match cmd {
        MessagingCmd::Publish {
            topic,
            message,
            file,
        } => {
            let text = match (message.as_deref(), file) {
                (_, Some(path)) => read_value_text(&path)?,
                (Some("-"), None) => {
                    let mut t = String::new();
                    std::io::stdin()
                        .read_to_string(&mut t)
                        .map_err(|e| CliError::input(format!("cannot read stdin: {e}")))?;
                    t
                }
                (Some(m), None) => m.to_string(),
                (None, None) => return Err(CliError::input("give a message, `-` or --file")),
            };
            ctx.client
                .messaging()
                .in_universe(ctx.universe.as_str())
                .publish(&topic, text)
                .map_err(|e| CliError::api(e, None, None))?;
            if !ctx.quiet {
                status::eprint(&format!("published on {:?}", status::escape(&topic)));
            }
        }
    }
    Ok(())
}

pub fn bans(ctx: &Ctx, cmd: BansCmd) -> Result<(), CliError> {
    match cmd {
        BansCmd::List { place, page } => {
            let mut op = ListUserRestrictions::new(ctx.universe.clone());
            if let Some(p) = place.place {
                op = op.in_place(input(PlaceId::new(p.to_string()))?);
            }
            op.max_page_size = page_size(&page, 100);
            let size = op.max_page_size;
            list_paged(
                ctx,
                op,
                size,
                &page,
                &RESTRICTION_HEADER,
                restriction_row,
                |r| serde_json::to_value(r).unwrap_or(Value::Null),
            )?;
        }
        BansCmd::Get { user, place } => {
            let r = restrictions(ctx, &place)
                .get(UserId(user))
                .map_err(|e| CliError::api(e, None, None))?;
            print_restriction(ctx, &r);
        }
        BansCmd::Ban {
            user,
            duration,
            reason,
            private_reason,
            exclude_alt_accounts,
            yes,
            place,
        } => {
            let mut write = RestrictionWrite::ban().exclude_alt_accounts(exclude_alt_accounts);
            if let Some(d) = duration {
                write = write.duration(parse_duration(&d)?);
            }
            if let Some(r) = reason {
                write = write.display_reason(r);
            }
            if let Some(r) = private_reason {
                write = write.private_reason(r);
            }
            input(write.check())?;
            if !yes && std::io::stdin().is_terminal() {
                let question = format!(
                    "Ban user {user} in universe {}{}?",
                    ctx.universe,
                    place
                        .place
                        .map(|p| format!(", place {p}"))
                        .unwrap_or_default()
                );
                if !confirm(&question)? {
                    return Err(CliError::other("not banned"));
                }
            }
            let r = restrictions(ctx, &place)
                .ban(UserId(user), write)
                .map_err(|e| CliError::api(e, None, None))?;
            print_restriction(ctx, &r);
        }
        BansCmd::Unban { user, place } => {
            let r = restrictions(ctx, &place)
                .unban(UserId(user))
                .map_err(|e| CliError::api(e, None, None))?;
            print_restriction(ctx, &r);
        }
        BansCmd::Logs { user, place, page } => {
            let mut op = ListUserRestrictionLogs::new(ctx.universe.clone());
            if let Some(u) = user {
                op = op.user(UserId(u));
            }
            if let Some(p) = place.place {
                op = op.place(input(PlaceId::new(p.to_string()))?);
            }
            op.max_page_size = page_size(&page, 100);
            let size = op.max_page_size;
            list_paged(
                ctx,
                op,
                size,
                &page,
                &["time", "user", "place", "moderator", "active", "reason"],
                |l| {
                    vec![
                        l.create_time.map(|t| t.to_string()).unwrap_or_default(),
                        l.user.map(|u| u.0.to_string()).unwrap_or_default(),
                        l.place
                            .as_ref()
                            .map(|p| p.as_str().to_string())
                            .unwrap_or_default(),
                        l.moderator
                            .as_ref()
                            .map(|m| status::escape(&format!("{m:?}")))
                            .unwrap_or_default(),
                        l.active.to_string(),
                        status::escape(&l.display_reason),
                    ]
                },
                |l| serde_json::to_value(l).unwrap_or(Value::Null),
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod duration_tests {
    use super::parse_duration;

    #[test]
    fn human_durations_parse_with_checked_arithmetic() {
        for (text, secs) in [
            ("30s", 30),
            ("15m", 900),
            ("12h", 43_200),
            ("7d", 604_800),
            ("2w", 1_209_600),
            ("90", 90),
        ] {
            assert_eq!(parse_duration(text).unwrap().as_secs(), secs, "{text}");
        }
        for bad in [
            "",
            "d",
            "7x",
            "-1d",
            "1.5d",
            "99999999999999999999w",
            "18446744073709551615w",
            "0s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
