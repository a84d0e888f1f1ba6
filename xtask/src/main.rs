//! Project chores: `cargo xtask codegen [--check]`, `cargo xtask spec-check FILE`,
//! `cargo xtask check-core-deps`.
//!
//! The xtask reads `crates/opencloud-core/operations.toml`, the one source of truth for the
//! operations the project supports, and writes what derives from it. It does not depend on the
//! crates it generates for.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use serde::Deserialize;

mod cli_doc;

#[derive(Debug, Deserialize)]
struct Table {
    operation: Vec<Operation>,
}

#[derive(Debug, Deserialize)]
struct Operation {
    id: String,
    openapi: String,
    method: String,
    path: String,
    query: Vec<String>,
    /// Resource identity carried in the query: path-parameter name to query parameter.
    #[serde(default)]
    query_identity: BTreeMap<String, String>,
    /// Request headers beyond the common ones.
    #[serde(default)]
    headers: Vec<String>,
    body: String,
    scopes: Vec<String>,
    #[serde(default)]
    scopes_note: Option<String>,
    retry: String,
    throttle: String,
    family: String,
    summary: String,
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

fn load_table() -> Result<Table, String> {
    let path = root().join("crates/opencloud-core/operations.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let table: Table = toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    validate(&table)?;
    Ok(table)
}

fn validate(table: &Table) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for op in &table.operation {
        if !seen.insert(op.id.as_str()) {
            return Err(format!("operation id {} appears twice", op.id));
        }
        if !["GET", "POST", "PATCH", "DELETE"].contains(&op.method.as_str()) {
            return Err(format!("{}: unknown method {}", op.id, op.method));
        }
        if !["none", "json"].contains(&op.body.as_str()) {
            return Err(format!("{}: body must be none or json", op.id));
        }
        if !["idempotent", "unapplied-only"].contains(&op.retry.as_str()) {
            return Err(format!(
                "{}: retry must be idempotent or unapplied-only",
                op.id
            ));
        }
        if ![
            "read",
            "write",
            "list",
            "remove",
            "snapshot",
            "publish",
            "restriction-read",
            "restriction-write",
        ]
        .contains(&op.throttle.as_str())
        {
            return Err(format!(
                "{}: unknown throttle category {}",
                op.id, op.throttle
            ));
        }
        if !["standard", "ordered"].contains(&op.family.as_str()) {
            return Err(format!("{}: unknown family {}", op.id, op.family));
        }
        if op.scopes.is_empty() {
            return Err(format!("{}: an operation needs at least one scope", op.id));
        }
        for (param, query) in &op.query_identity {
            if !IDENTITY_PARAMS.contains(&param.as_str()) {
                return Err(format!(
                    "{}: query_identity key {param} must be one of {IDENTITY_PARAMS:?}",
                    op.id
                ));
            }
            if !op.query.contains(query) {
                return Err(format!(
                    "{}: query_identity names {query}, which is not in `query`",
                    op.id
                ));
            }
            if path_params(&op.path).contains(param) {
                return Err(format!(
                    "{}: {param} is both a path parameter and in the query",
                    op.id
                ));
            }
        }
        for h in &op.headers {
            if h.is_empty()
                || h.bytes()
                    .any(|b| !(b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit()))
            {
                return Err(format!(
                    "{}: header {h:?} must be lowercase letters, digits and `-`",
                    op.id
                ));
            }
        }
    }
    Ok(())
}

/// The resource parts a route may carry in its query instead of its path, in rendering order.
const IDENTITY_PARAMS: &[&str] = &["data_store_id", "scope_id", "entry_id"];

/// The API version of a path: `/cloud/v2/` paths are v2, everything else a legacy v1 API.
fn api_version(path: &str) -> &'static str {
    if path.starts_with("/cloud/v2/") {
        "V2"
    } else {
        "V1"
    }
}

/// Path parameters of a template, in order.
fn path_params(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').expect("balanced braces") + start;
        out.push(rest[start + 1..end].to_string());
        rest = &rest[end + 1..];
    }
    out
}

fn variant(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn render_routes(table: &Table) -> String {
    let mut s = String::new();
    s.push_str(
        "// @generated by `cargo xtask codegen` from operations.toml. Do not edit by hand.\n\n",
    );
    s.push_str("//! The route table: every path-and-method pair the project supports.\n\n");
    s.push_str("use crate::route::{Family, RetryClass, Route, ThrottleCategory};\n\n");
    s.push_str("/// Every route the project supports, one per path-and-method pair.\n");
    s.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]\n");
    s.push_str("#[non_exhaustive]\npub enum RouteId {\n");
    for op in &table.operation {
        s.push_str(&format!("    /// {}.\n    {},\n", op.summary, op.id));
    }
    s.push_str("}\n\nimpl RouteId {\n    /// Every route id, in table order.\n");
    s.push_str("    pub const ALL: &'static [RouteId] = &[\n");
    for op in &table.operation {
        s.push_str(&format!("        RouteId::{},\n", op.id));
    }
    s.push_str("    ];\n}\n\n/// The route table, in the order of [`RouteId`].\npub static ROUTES: &[Route] = &[\n");
    for op in &table.operation {
        let list = |v: &[String]| {
            v.iter()
                .map(|q| format!("{q:?}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        s.push_str(&format!(
            "    Route {{\n        id: RouteId::{id},\n        operation_id: {oa:?},\n        method: http::Method::{m},\n        template: {p:?},\n        path_params: &[{pp}],\n        query: &[{q}],\n        json_body: {jb},\n        scopes: &[{sc}],\n        retry: RetryClass::{rc},\n        throttle: ThrottleCategory::{tc},\n        family: Family::{fam},\n        summary: {sum:?},\n    }},\n",
            id = op.id,
            oa = op.openapi,
            m = op.method,
            p = op.path,
            pp = list(&path_params(&op.path)),
            q = list(&op.query),
            jb = op.body == "json",
            sc = list(&op.scopes),
            rc = variant(&op.retry),
            tc = variant(&op.throttle),
            fam = variant(&op.family),
            sum = op.summary,
        ));
    }
    s.push_str("];\n\n");
    s.push_str("/// Which version of the API a route belongs to.\n");
    s.push_str("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\npub enum ApiVersion {\n");
    s.push_str(
        "    /// A legacy v1 API (every path outside `/cloud/v2/`: `/datastores/v1`, `/ordered-data-stores/v1`, ...).\n    V1,\n",
    );
    s.push_str("    /// The current API: `/cloud/v2`.\n    V2,\n}\n\n");
    s.push_str("static API_VERSIONS: &[ApiVersion] = &[\n");
    for op in &table.operation {
        s.push_str(&format!(
            "    ApiVersion::{}, // {}\n",
            api_version(&op.path),
            op.id
        ));
    }
    s.push_str("];\n\nstatic REQUEST_HEADERS: &[&[&str]] = &[\n");
    for op in &table.operation {
        let list: Vec<String> = op.headers.iter().map(|h| format!("{h:?}")).collect();
        s.push_str(&format!("    &[{}], // {}\n", list.join(", "), op.id));
    }
    s.push_str("];\n\nstatic QUERY_IDENTITY: &[&[(&str, &str)]] = &[\n");
    for op in &table.operation {
        let list: Vec<String> = IDENTITY_PARAMS
            .iter()
            .filter_map(|p| op.query_identity.get(*p).map(|q| format!("({p:?}, {q:?})")))
            .collect();
        s.push_str(&format!("    &[{}], // {}\n", list.join(", "), op.id));
    }
    s.push_str("];\n\n");
    s.push_str(
        "impl RouteId {\n    /// The API version: [`ApiVersion::V2`] for `/cloud/v2/` paths, [`ApiVersion::V1`] for the\n    /// legacy APIs.\n    pub fn api_version(self) -> ApiVersion {\n        API_VERSIONS[self as usize]\n    }\n\n",
    );
    s.push_str(
        "    /// The request headers the route's operation sends beyond the common ones (`x-api-key`,\n    /// `accept`, `user-agent`, `content-type`, `content-length`), such as the legacy v1\n    /// `content-md5` and `roblox-entry-*` headers.\n    pub fn request_headers(self) -> &'static [&'static str] {\n        REQUEST_HEADERS[self as usize]\n    }\n\n",
    );
    s.push_str(
        "    /// The resource identity the route carries in its query string instead of its path, as\n    /// `(path-parameter name, query parameter)` pairs in the order data store, scope, key: the\n    /// legacy v1 standard API sends `datastoreName`, `scope` and `entryKey`. Empty for routes\n    /// whose path names the resource.\n    pub fn query_identity(self) -> &'static [(&'static str, &'static str)] {\n        QUERY_IDENTITY[self as usize]\n    }\n}\n",
    );
    s
}

fn render_endpoints(table: &Table) -> String {
    let mut s = String::new();
    s.push_str("<!-- @generated by `cargo xtask codegen` from crates/opencloud-core/operations.toml. Do not edit by hand. -->\n");
    s.push_str("# Endpoints and coverage\n\n");
    s.push_str("Every Open Cloud data store operation opencloud-rs covers, with the API key scopes it needs,\n");
    s.push_str("how the clients retry it and which per-universe budget it draws on. The core, the emulator,\n");
    s.push_str("both clients and the CLI all read this one table.\n\n");
    s.push_str("Retry: *idempotent* operations are retried on 429, 5xx and failed connections;\n");
    s.push_str(
        "*unapplied-only* operations only when the service cannot have applied them (429, or a\n",
    );
    s.push_str("connection that never opened).\n\n");
    for (version, family, title) in [
        ("V2", "standard", "Standard data stores (v2)"),
        ("V2", "ordered", "Ordered data stores (v2)"),
        ("V1", "standard", "Standard data stores (legacy v1)"),
        ("V1", "ordered", "Ordered data stores (legacy v1)"),
    ] {
        let ops: Vec<&Operation> = table
            .operation
            .iter()
            .filter(|o| o.family == family && api_version(&o.path) == version)
            .collect();
        if ops.is_empty() {
            continue;
        }
        s.push_str(&format!("## {title}\n\n"));
        if version == "V1" && family == "standard" {
            s.push_str("The data store, scope and key travel in the query string (`datastoreName`, `scope`,\n");
            s.push_str("`entryKey`, marked *identity* below), not in the path. The value is the raw request or\n");
            s.push_str("response body and its metadata travels in `roblox-entry-*` headers.\n\n");
        }
        s.push_str(
            "| route | method | path | query | headers | scopes | retry | budget | OpenAPI operationId |\n",
        );
        s.push_str("|---|---|---|---|---|---|---|---|---|\n");
        let code_list = |v: &[String], sep: &str| -> String {
            if v.is_empty() {
                "–".to_string()
            } else {
                v.iter()
                    .map(|q| format!("`{q}`"))
                    .collect::<Vec<_>>()
                    .join(sep)
            }
        };
        let mut notes = Vec::new();
        for op in ops {
            let query: Vec<String> = op
                .query
                .iter()
                .map(|q| {
                    if op.query_identity.values().any(|v| v == q) {
                        format!("`{q}` (identity)")
                    } else {
                        format!("`{q}`")
                    }
                })
                .collect();
            let mut scopes = code_list(&op.scopes, " + ");
            if let Some(note) = &op.scopes_note {
                // Routes with the same rule share one footnote.
                let n = match notes.iter().position(|n| n == note) {
                    Some(i) => i + 1,
                    None => {
                        notes.push(note.clone());
                        notes.len()
                    }
                };
                scopes.push_str(&format!(" [{n}]"));
            }
            s.push_str(&format!(
                "| `{}` | {} | `{}` | {} | {} | {} | {} | {} | `{}` |\n",
                op.id,
                op.method,
                op.path,
                if query.is_empty() {
                    "–".to_string()
                } else {
                    query.join(", ")
                },
                code_list(&op.headers, ", "),
                scopes,
                op.retry,
                op.throttle,
                op.openapi,
            ));
        }
        s.push('\n');
        for (i, note) in notes.iter().enumerate() {
            s.push_str(&format!("[{}] Scopes {note}.\n\n", i + 1));
        }
    }
    s.push_str("Path parameters are named as in v2 for every version (`universe_id`, `scope_id`, ...); the\n");
    s.push_str("names never reach the wire, and `cargo xtask spec-check` compares paths with them erased.\n");
    s
}

/// A generated file: its path from the workspace root and its contents.
struct Generated {
    path: &'static str,
    contents: String,
}

/// The files derived from the operation table alone.
fn generate_from_table() -> Result<Vec<Generated>, String> {
    let table = load_table()?;
    Ok(vec![
        Generated {
            path: "crates/opencloud-core/src/routes.rs",
            contents: render_routes(&table),
        },
        Generated {
            path: "docs/endpoints.md",
            contents: render_endpoints(&table),
        },
    ])
}

/// The CLI reference, from the built CLI (which compiles against the generated route table, so
/// it is rendered after the table's files are written).
fn generate_cli_doc() -> Result<Vec<Generated>, String> {
    Ok(cli_doc::render(&root())?
        .map(|cli| Generated {
            path: "docs/cli.md",
            contents: cli,
        })
        .into_iter()
        .collect())
}

fn rustfmt(code: &str) -> Result<String, String> {
    use std::io::Write;
    let mut child = Command::new("rustfmt")
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .arg("--config-path")
        .arg(root().join("rustfmt.toml"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(code.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "rustfmt failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| e.to_string())
}

fn codegen(check: bool) -> Result<(), String> {
    let mut drift = Vec::new();
    write_or_check(generate_from_table()?, check, &mut drift)?;
    write_or_check(generate_cli_doc()?, check, &mut drift)?;
    if drift.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "generated files are out of date (run `cargo xtask codegen`): {}",
            drift.join(", ")
        ))
    }
}

fn write_or_check(
    generated: Vec<Generated>,
    check: bool,
    drift: &mut Vec<&'static str>,
) -> Result<(), String> {
    for g in generated {
        let contents = if g.path.ends_with(".rs") {
            rustfmt(&g.contents)?
        } else {
            g.contents
        };
        let path = root().join(g.path);
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != contents {
            if check {
                drift.push(g.path);
            } else {
                std::fs::write(&path, contents).map_err(|e| format!("{}: {e}", path.display()))?;
                println!("wrote {}", g.path);
            }
        }
    }
    Ok(())
}

/// What `spec-check` found.
#[derive(Debug, Default, PartialEq)]
struct SpecReport {
    /// Path-and-method pairs in the file.
    total: usize,
    /// Pairs the table has, with the same parameters, operationId and scopes.
    covered: usize,
    /// Pairs the table does not have.
    missing: Vec<String>,
    /// Pairs the table has, but with a difference.
    mismatched: Vec<String>,
}

impl SpecReport {
    fn ok(&self) -> bool {
        self.missing.is_empty() && self.mismatched.is_empty() && self.covered == self.total
    }
}

/// A path template with its parameter names erased (`/a/{x}/b` -> `/a/{}/b`): the names never
/// reach the wire, and the table names them alike across API versions.
fn erase_param_names(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            c if !in_param => out.push(c),
            _ => {}
        }
    }
    out
}

/// The path part of the file's first server URL (`https://host/datastores` -> `/datastores`):
/// the legacy v1 files declare their paths relative to it.
fn server_path_prefix(spec: &serde_json::Value) -> String {
    let url = spec
        .pointer("/servers/0/url")
        .and_then(|u| u.as_str())
        .unwrap_or("");
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    match rest.find('/') {
        Some(i) => rest[i..].trim_end_matches('/').to_string(),
        None => String::new(),
    }
}

/// The sorted names of an operation's parameters that are `in` the given place.
fn spec_params(op: &serde_json::Value, place: &str) -> Vec<String> {
    let mut names: Vec<String> = op
        .get("parameters")
        .and_then(|p| p.as_array())
        .map(|ps| {
            ps.iter()
                .filter(|p| p.get("in").and_then(|i| i.as_str()) == Some(place))
                .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
                // Header names are case-insensitive; query names are not.
                .map(|n| {
                    if place == "header" {
                        n.to_ascii_lowercase()
                    } else {
                        n.to_string()
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Compares the operation table with an official OpenAPI description: every path-and-method
/// pair of the file must be in the table with the same query and header parameters, the same
/// operationId and the same API key scopes.
fn spec_check_report(spec: &serde_json::Value, table: &Table) -> Result<SpecReport, String> {
    let ours: BTreeMap<(String, String), &Operation> = table
        .operation
        .iter()
        .map(|o| ((o.method.clone(), erase_param_names(&o.path)), o))
        .collect();
    let prefix = server_path_prefix(spec);
    let paths = spec
        .get("paths")
        .and_then(|p| p.as_object())
        .ok_or("the file has no `paths` object")?;
    let mut report = SpecReport::default();
    for (path, item) in paths {
        let Some(item) = item.as_object() else {
            continue;
        };
        let full = format!("{prefix}{path}");
        for (method, op) in item {
            if !["get", "post", "patch", "delete", "put"].contains(&method.as_str()) {
                continue;
            }
            report.total += 1;
            let method = method.to_uppercase();
            let Some(o) = ours.get(&(method.clone(), erase_param_names(&full))) else {
                println!("MISSING  {method:6} {full}");
                report.missing.push(format!("{method} {full}"));
                continue;
            };
            let mut problems = Vec::new();
            let query = spec_params(op, "query");
            let mut mine = o.query.clone();
            mine.sort();
            if mine != query {
                problems.push(format!("spec query {query:?}, ours {mine:?}"));
            }
            let headers = spec_params(op, "header");
            let mut mine = o.headers.clone();
            mine.sort();
            if mine != headers {
                problems.push(format!("spec headers {headers:?}, ours {mine:?}"));
            }
            let oa = op.get("operationId").and_then(|x| x.as_str()).unwrap_or("");
            if oa != o.openapi {
                problems.push(format!("spec operationId {oa}, ours {}", o.openapi));
            }
            if let Some(scopes) = op.get("x-roblox-scopes").and_then(|x| x.as_array()) {
                let mut theirs: Vec<&str> = scopes
                    .iter()
                    .filter_map(|s| s.get("name").and_then(|n| n.as_str()))
                    .collect();
                theirs.sort();
                let mut mine: Vec<&str> = o.scopes.iter().map(String::as_str).collect();
                mine.sort();
                if theirs != mine {
                    problems.push(format!("spec scopes {theirs:?}, ours {mine:?}"));
                }
            }
            if problems.is_empty() {
                report.covered += 1;
                println!("covered  {method:6} {full}  ({}, query {:?})", o.id, query);
            } else {
                println!("MISMATCH {method:6} {full}");
                for p in &problems {
                    println!("         {p}");
                }
                report
                    .mismatched
                    .push(format!("{method} {full}: {}", problems.join("; ")));
            }
        }
    }
    println!(
        "{} of {} path-and-method pairs covered ({} missing, {} mismatched)",
        report.covered,
        report.total,
        report.missing.len(),
        report.mismatched.len()
    );
    Ok(report)
}

/// `cargo xtask spec-check FILE`: fails on any missing or mismatched pair.
fn spec_check(file: &Path) -> Result<bool, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let spec: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    let table = load_table()?;
    Ok(spec_check_report(&spec, &table)?.ok())
}

/// The crates the sans-IO core must never depend on, directly or transitively (normal deps).
const BANNED_IN_CORE: &[&str] = &[
    "reqwest", "ureq", "tokio", "hyper", "rand", "mio", "socket2",
];

fn core_dependency_violations() -> Result<Vec<String>, String> {
    let out = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "opencloud-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .current_dir(root())
        .output()
        .map_err(|e| format!("cannot run cargo tree: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut bad: Vec<String> = text
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| BANNED_IN_CORE.contains(name))
        .map(String::from)
        .collect();
    bad.sort();
    bad.dedup();
    Ok(bad)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("codegen") => codegen(args.iter().any(|a| a == "--check")).map(|()| true),
        Some("spec-check") => match args.get(1) {
            Some(f) => spec_check(Path::new(f)),
            None => Err("usage: cargo xtask spec-check OPENAPI.json".into()),
        },
        Some("check-core-deps") => core_dependency_violations().map(|bad| {
            if bad.is_empty() {
                println!("opencloud-core has no I/O, runtime or randomness dependencies");
            } else {
                println!("opencloud-core must not depend on: {}", bad.join(", "));
            }
            bad.is_empty()
        }),
        _ => {
            Err("usage: cargo xtask <codegen [--check] | spec-check FILE | check-core-deps>".into())
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_has_no_io_dependencies() {
        let bad = core_dependency_violations().expect("cargo tree runs");
        assert!(bad.is_empty(), "opencloud-core depends on {bad:?}");
    }

    #[test]
    fn generated_files_are_fresh() {
        codegen(true).expect("run `cargo xtask codegen`");
    }

    fn shared_spec(name: &str) -> Option<serde_json::Value> {
        let path = root().join("../shared/spec").join(name);
        if !path.exists() {
            eprintln!("skipping: {} is not beside the project", path.display());
            return None;
        }
        Some(serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
    }

    #[test]
    fn table_covers_every_pair_of_the_official_spec() {
        let Some(spec) = shared_spec("datastores.filtered.json") else {
            return;
        };
        let report = spec_check_report(&spec, &load_table().unwrap()).unwrap();
        assert_eq!(report.total, 38);
        assert_eq!(report.covered, 38, "{report:?}");
        assert!(report.ok());
    }

    #[test]
    fn the_legacy_files_resolve_their_server_prefix() {
        for (file, pairs) in [
            ("datastores-api/v1.json", 8),
            ("datastores-api/ordered-v1.json", 6),
        ] {
            let Some(spec) = shared_spec(file) else {
                return;
            };
            let report = spec_check_report(&spec, &load_table().unwrap()).unwrap();
            assert_eq!(
                (report.total, report.covered),
                (pairs, pairs),
                "{file}: {report:?}"
            );
        }
    }

    #[test]
    fn another_apis_file_is_parsed_and_counted() {
        let Some(spec) = shared_spec("experience-v2.filtered.json") else {
            return;
        };
        let table = load_table().unwrap();
        let report = spec_check_report(&spec, &table).unwrap();
        assert_eq!(report.total, 9);
        // Whatever the table holds of that file, every pair is either covered or reported.
        assert_eq!(
            report.covered + report.missing.len() + report.mismatched.len(),
            report.total
        );
        assert_eq!(report.ok(), report.covered == 9);
    }

    fn query(names: &[&str]) -> Vec<serde_json::Value> {
        names
            .iter()
            .map(|n| serde_json::json!({"name": n, "in": "query"}))
            .collect()
    }

    fn op<'t>(table: &'t Table, id: &str) -> &'t Operation {
        table.operation.iter().find(|o| o.id == id).unwrap()
    }

    #[test]
    fn spec_check_fails_on_a_renamed_parameter_or_any_missing_operation() {
        let table = load_table().unwrap();
        let list = op(&table, "ListDataStores");
        let check = |spec: serde_json::Value| spec_check_report(&spec, &table).unwrap();
        // Every parameter as we send it: covered.
        let good = serde_json::json!({"paths": {list.path.clone(): {"get": {"operationId": list.openapi, "parameters": query(&["maxPageSize", "pageToken", "filter", "showDeleted"])}}}});
        assert!(check(good).ok());
        // A parameter the spec spells differently: a mismatch.
        let renamed = serde_json::json!({"paths": {list.path.clone(): {"get": {"operationId": list.openapi, "parameters": query(&["max_page_size", "pageToken", "filter", "showDeleted"])}}}});
        let r = check(renamed);
        assert!(!r.ok());
        assert_eq!(r.mismatched.len(), 1);
        // A v2 operation we do not have: missing.
        let missing = serde_json::json!({"paths": {"/cloud/v2/universes/{universe_id}/data-stores/{data_store_id}": {"get": {"operationId": "Cloud_GetDataStore"}}}});
        assert_eq!(check(missing).missing.len(), 1);
        // A legacy operation we do not have fails too: there is no leniency for v1.
        let legacy = serde_json::json!({"paths": {"/datastores/v1/universes/{universeId}/standard-datastores/datastore": {"get": {"operationId": "Datastores_GetDatastoreAsync"}}}});
        let r = check(legacy);
        assert!(!r.ok());
        assert_eq!(
            r.missing,
            vec![
                "GET /datastores/v1/universes/{universeId}/standard-datastores/datastore"
                    .to_string()
            ]
        );
        // A file with no paths object is an error, not a pass.
        assert!(spec_check_report(&serde_json::json!({}), &table).is_err());
    }

    #[test]
    fn spec_check_compares_headers_scopes_and_ignores_parameter_names() {
        let table = load_table().unwrap();
        let set = op(&table, "V1SetEntry");
        let check = |spec: serde_json::Value| spec_check_report(&spec, &table).unwrap();
        let params = |headers: &[&str]| -> Vec<serde_json::Value> {
            let mut v = vec![serde_json::json!({"name": "universeId", "in": "path"})];
            v.extend(query(&[
                "datastoreName",
                "entryKey",
                "matchVersion",
                "exclusiveCreate",
                "scope",
            ]));
            v.extend(
                headers
                    .iter()
                    .map(|h| serde_json::json!({"name": h, "in": "header"})),
            );
            v
        };
        let scopes = |names: &[&str]| -> Vec<serde_json::Value> {
            names
                .iter()
                .map(|n| serde_json::json!({"name": n}))
                .collect()
        };
        let all = [
            "roblox-entry-attributes",
            "roblox-entry-userids",
            "Content-MD5",
        ];
        let three = [
            "universe-datastores.objects:update",
            "universe-datastores.objects:create",
            "universe-datastores.control:create",
        ];
        // The spec names the path parameter `universeId`, and the file's server adds `/datastores`.
        let spec = |headers: &[&str], sc: &[&str]| {
            serde_json::json!({
                "servers": [{"url": "https://apis.roblox.com/datastores"}],
                "paths": {"/v1/universes/{universeId}/standard-datastores/datastore/entries/entry": {"post": {
                    "operationId": set.openapi, "parameters": params(headers), "x-roblox-scopes": scopes(sc)}}}
            })
        };
        assert!(
            check(spec(&all, &three)).ok(),
            "header names are case-insensitive"
        );
        let r = check(spec(&all[..2], &three));
        assert!(r.mismatched[0].contains("headers"), "{r:?}");
        let r = check(spec(&all, &three[..2]));
        assert!(r.mismatched[0].contains("scopes"), "{r:?}");
    }

    #[test]
    fn paths_compare_with_parameter_names_erased() {
        assert_eq!(erase_param_names("/a/{x}/b/{yy}:verb"), "/a/{}/b/{}:verb");
        assert_eq!(
            server_path_prefix(
                &serde_json::json!({"servers": [{"url": "https://h/ordered-data-stores/"}]})
            ),
            "/ordered-data-stores"
        );
        assert_eq!(
            server_path_prefix(&serde_json::json!({"servers": [{"url": "https://h"}]})),
            ""
        );
        assert_eq!(server_path_prefix(&serde_json::json!({})), "");
    }

    #[test]
    fn query_identity_must_name_a_sent_query_parameter() {
        let mut table = load_table().unwrap();
        let i = table
            .operation
            .iter()
            .position(|o| o.id == "V1GetEntry")
            .unwrap();
        table.operation[i]
            .query_identity
            .insert("entry_id".into(), "key".into());
        assert!(validate(&table).unwrap_err().contains("not in `query`"));
        table.operation[i].query_identity.remove("entry_id");
        table.operation[i]
            .query_identity
            .insert("universe".into(), "datastoreName".into());
        assert!(validate(&table).is_err());
    }

    #[test]
    fn path_params_are_read_in_order() {
        assert_eq!(
            path_params("/a/{x}/b/{y}:verb"),
            vec!["x".to_string(), "y".to_string()]
        );
    }
}
