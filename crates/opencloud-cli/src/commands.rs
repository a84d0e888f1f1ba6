//! The per-operation commands: data stores, entries, ordered entries.

use opencloud_blocking::{
    AsOfTime, Attributes, CreateEntry, CreateOrderedEntry, DataStoreEntry, DataStoreName,
    DeleteDataStore, DeleteEntry, DeleteOrderedEntry, EntryAddress, EntryKey, EntryWrite, GetEntry,
    GetOrderedEntry, IncrementEntry, IncrementOrderedEntry, ListDataStores, ListEntries,
    ListEntryRevisions, ListOrderedEntries, ListScope, Order, OrderedEntryId, OrderedRange,
    OrderedStore, RevisionId, RevisionSelector, RevisionTimeRange, Scope, SnapshotDataStores,
    UndeleteDataStore, UpdateEntry, UpdateOrderedEntry, UserId,
};
use serde_json::Value;

use crate::cli::{DatastoresCmd, EntriesCmd, MetaArgs, OrderedArgs, OrderedCmd, Output, StoreArgs};
use crate::ctx::{CliError, Ctx};
use crate::output;

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
        CliError::input(format!("invalid {field}: {s:?} is not JSON ({e}); a string value is written with quotes, like '\"text\"'"))
    })
}

fn write(value: &str, meta: &MetaArgs) -> Result<EntryWrite, CliError> {
    let mut w =
        EntryWrite::new(json_value("value", value)?).users(meta.users.iter().copied().map(UserId));
    if let Some(a) = &meta.attributes {
        w = w.attributes(input(Attributes::from_value(json_value("attributes", a)?))?);
    }
    Ok(w)
}

fn print_entry(ctx: &Ctx, e: &DataStoreEntry, value_only: bool) {
    match ctx.output {
        Output::Json => output::json(e),
        Output::Table if value_only => println!(
            "{}",
            serde_json::to_string_pretty(e.value.as_ref().unwrap_or(&Value::Null)).expect("json")
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

pub fn datastores(ctx: &Ctx, cmd: DatastoresCmd) -> Result<(), CliError> {
    match cmd {
        DatastoresCmd::List {
            prefix,
            show_deleted,
        } => {
            let mut op = ListDataStores::new(ctx.universe.clone())
                .show_deleted(show_deleted)
                .max_page_size(100);
            op.prefix = prefix;
            let items = ctx.list(&op, None)?;
            output::listing(
                ctx.output,
                &["name", "state", "created", "expires"],
                &items,
                |d| {
                    vec![
                        d.id.clone(),
                        format!("{:?}", d.state).to_uppercase(),
                        d.create_time.map(|t| t.to_string()).unwrap_or_default(),
                        d.expire_time.map(|t| t.to_string()).unwrap_or_default(),
                    ]
                },
            );
        }
        DatastoresCmd::Delete { name } => {
            let d = ctx.send(&DeleteDataStore::new(
                ctx.universe.clone(),
                input(DataStoreName::new(name))?,
            ))?;
            match ctx.output {
                Output::Json => output::json(&d),
                Output::Table => println!(
                    "{} is scheduled for deletion at {}",
                    d.id,
                    d.expire_time.map(|t| t.to_string()).unwrap_or_default()
                ),
            }
        }
        DatastoresCmd::Undelete { name } => {
            let d = ctx.send(&UndeleteDataStore::new(
                ctx.universe.clone(),
                input(DataStoreName::new(name))?,
            ))?;
            match ctx.output {
                Output::Json => output::json(&d),
                Output::Table => println!("{} is restored", d.id),
            }
        }
        DatastoresCmd::Snapshot => {
            let s = ctx.send(&SnapshotDataStores::new(ctx.universe.clone()))?;
            match ctx.output {
                Output::Json => output::json(&s),
                Output::Table => println!(
                    "{} (latest snapshot {})",
                    if s.new_snapshot_taken {
                        "snapshot taken"
                    } else {
                        "a snapshot was already taken today"
                    },
                    s.latest_snapshot_time
                        .map(|t| t.to_string())
                        .unwrap_or_default()
                ),
            }
        }
    }
    Ok(())
}

pub fn entries(ctx: &Ctx, cmd: EntriesCmd) -> Result<(), CliError> {
    match cmd {
        EntriesCmd::List {
            store,
            all_scopes,
            prefix,
            show_deleted,
            limit,
        } => {
            let mut op = ListEntries::new(
                ctx.universe.clone(),
                input(DataStoreName::new(&store.data_store))?,
            )
            .show_deleted(show_deleted)
            .max_page_size(256);
            op.prefix = prefix;
            op.scope = match (&store.scope, all_scopes) {
                (_, true) => ListScope::All,
                (Some(s), false) => ListScope::Scope(input(Scope::new(s))?),
                (None, false) => ListScope::Default,
            };
            let items = ctx.list(&op, limit)?;
            match ctx.output {
                Output::Json => items.iter().for_each(|e| output::json(&serde_json::json!({"scope": e.scope_or_global(), "key": e.id, "path": e.path}))),
                Output::Table => output::table(&["scope", "key"], &items.iter().map(|e| vec![e.scope_or_global().to_string(), e.id.clone()]).collect::<Vec<_>>()),
            }
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
        EntriesCmd::Delete { store, key } => {
            ctx.send(&DeleteEntry::new(address(ctx, &store, &key)?))?;
            match ctx.output {
                Output::Json => output::json(&serde_json::json!({"deleted": key})),
                Output::Table => println!("{key} is marked deleted"),
            }
        }
        EntriesCmd::Increment {
            store,
            key,
            amount,
            meta,
        } => {
            let mut op = IncrementEntry::new(address(ctx, &store, &key)?, amount)
                .users(meta.users.iter().copied().map(UserId));
            if let Some(a) = &meta.attributes {
                op = op.attributes(input(Attributes::from_value(json_value("attributes", a)?))?);
            }
            print_entry(ctx, &ctx.send(&op)?, ctx.output == Output::Table);
        }
        EntriesCmd::Revisions {
            store,
            key,
            start,
            end,
        } => {
            let range = input(RevisionTimeRange::new(
                start.map(|s| time("start", &s)).transpose()?,
                end.map(|s| time("end", &s)).transpose()?,
            ))?;
            let op = ListEntryRevisions::new(address(ctx, &store, &key)?)
                .range(range)
                .max_page_size(100);
            let items = ctx.list(&op, None)?;
            output::listing(ctx.output, &["revision", "time", "state"], &items, |r| {
                vec![
                    r.revision_id.clone().unwrap_or_default(),
                    r.revision_create_time
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                    format!("{:?}", r.state).to_uppercase(),
                ]
            });
        }
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
        Output::Json => output::json(e),
        Output::Table => {
            output::table(&["id", "value"], &[vec![e.id.clone(), e.value.to_string()]])
        }
    }
}

pub fn ordered(ctx: &Ctx, cmd: OrderedCmd) -> Result<(), CliError> {
    match cmd {
        OrderedCmd::List {
            store,
            desc,
            min,
            max,
            limit,
        } => {
            let op = ListOrderedEntries::new(ordered_store(ctx, &store)?)
                .order(if desc {
                    Order::Descending
                } else {
                    Order::Ascending
                })
                .range(input(OrderedRange::new(min, max))?)
                .max_page_size(100);
            let items = ctx.list(&op, limit)?;
            match ctx.output {
                Output::Json => items.iter().for_each(output::json),
                Output::Table => output::table(
                    &["rank", "id", "value"],
                    &items
                        .iter()
                        .enumerate()
                        .map(|(i, e)| vec![(i + 1).to_string(), e.id.clone(), e.value.to_string()])
                        .collect::<Vec<_>>(),
                ),
            }
        }
        OrderedCmd::Get { store, id } => print_ordered(
            ctx,
            &ctx.send(&GetOrderedEntry::new(
                ordered_store(ctx, &store)?,
                input(OrderedEntryId::new(id))?,
            ))?,
        ),
        OrderedCmd::Create { store, id, value } => print_ordered(
            ctx,
            &ctx.send(&CreateOrderedEntry::new(
                ordered_store(ctx, &store)?,
                input(OrderedEntryId::new(id))?,
                value,
            ))?,
        ),
        OrderedCmd::Update {
            store,
            id,
            value,
            allow_missing,
        } => print_ordered(
            ctx,
            &ctx.send(
                &UpdateOrderedEntry::new(
                    ordered_store(ctx, &store)?,
                    input(OrderedEntryId::new(id))?,
                    value,
                )
                .allow_missing(allow_missing),
            )?,
        ),
        OrderedCmd::Increment { store, id, amount } => print_ordered(
            ctx,
            &ctx.send(&IncrementOrderedEntry::new(
                ordered_store(ctx, &store)?,
                input(OrderedEntryId::new(id))?,
                amount,
            ))?,
        ),
        OrderedCmd::Delete { store, id } => {
            ctx.send(&DeleteOrderedEntry::new(
                ordered_store(ctx, &store)?,
                input(OrderedEntryId::new(id.clone()))?,
            ))?;
            match ctx.output {
                Output::Json => output::json(&serde_json::json!({"deleted": id})),
                Output::Table => println!("{id} is deleted"),
            }
        }
    }
    Ok(())
}
