//! The house rules of ARCHITECTURE.md that a reader could otherwise only take on trust,
//! checked on the source tree: no circle between modules, infrastructure that knows no
//! domain, tables queried only by stores, and HTTP kept out of the service layer.
//!
//! A module is a file (`src/teams/store.rs` is `teams::store`, a `mod.rs` is its folder). A
//! module uses another when it names it by a `crate::` or `super::` path outside its tests.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The infrastructure: shared by every domain, so it may know none of them.
const INFRASTRUCTURE: &[&str] = &[
    "db",
    "http",
    "config",
    "error",
    "ids",
    "metrics",
    "paging",
    "rate_limit",
    "svg",
    "storage",
    "tabular",
];
/// The domains, and the composition root that wires them.
const DOMAINS: &[&str] = &[
    "activities",
    "api_clients",
    "audit",
    "auth",
    "campaigns",
    "certificates",
    "commendations",
    "files",
    "hours",
    "idempotency",
    "imports",
    "issuer",
    "posts",
    "projects",
    "proofs",
    "reports",
    "stats",
    "sync",
    "teams",
    "trainings",
    "volunteers",
    "webhooks",
    "wechat",
    "ops",
    "state",
    "server",
];
/// Files that may name the tables (`crate::schema`): stores, their rows, and the shared
/// machinery that stores call.
const MAY_NAME_TABLES: &[&str] = &[
    "schema",
    "db::list_totals",
    "db::changes",
    "db::outbox",
    "teams::scope",
    "activities::cache",
];

struct Module {
    name: String,
    path: PathBuf,
    /// The source without comments and without its `#[cfg(test)]` module.
    code: String,
}

fn modules() -> Vec<Module> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&root).unwrap().with_extension("");
            let mut parts: Vec<String> = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if parts == ["lib"] || parts == ["main"] || parts == ["seed"] {
                // The crate roots wire everything; the seeder belongs to the binary.
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            found.push(Module {
                name: parts.join("::"),
                path,
                code: strip(&source),
            });
        }
    }
    found
}

/// Drops line comments and the trailing `#[cfg(test)]` module.
fn strip(source: &str) -> String {
    let source = match source.find("#[cfg(test)]\nmod tests") {
        Some(i) => &source[..i],
        None => source,
    };
    source
        .lines()
        .map(|l| match l.find("//") {
            Some(i) if !l[..i].contains('"') => &l[..i],
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Every path named after `crate::` or `super::`, brace groups expanded one level, as
/// segments from the crate root.
fn named_paths(module: &Module) -> Vec<Vec<String>> {
    let own: Vec<String> = module.name.split("::").map(str::to_owned).collect();
    let is_folder = module.path.ends_with("mod.rs");
    let mut paths = Vec::new();
    let code = &module.code;
    for (keyword, base) in [
        ("crate::", Vec::new()),
        // `super` of `a::b` (a file) is `a`; of `a` (a folder's mod.rs) it is the root.
        ("super::", {
            let mut p = own.clone();
            p.pop();
            let _ = is_folder;
            p
        }),
    ] {
        let mut from = 0;
        while let Some(i) = code[from..].find(keyword) {
            let start = from + i;
            from = start + keyword.len();
            if code[..start].chars().next_back().is_some_and(is_ident) {
                continue;
            }
            let rest = &code[from..];
            let end = rest
                .find(|c: char| !(is_ident(c) || c == ':'))
                .unwrap_or(rest.len());
            let mut prefix = base.clone();
            prefix.extend(
                rest[..end]
                    .split("::")
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned),
            );
            if rest[end..].starts_with('{') {
                let group = &rest[end + 1..];
                let mut depth = 0;
                let mut item = String::new();
                let mut items = Vec::new();
                for c in group.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' if depth == 0 => break,
                        '}' => depth -= 1,
                        ',' if depth == 0 => items.push(std::mem::take(&mut item)),
                        _ if depth == 0 => item.push(c),
                        _ => {}
                    }
                }
                items.push(item);
                for item in items {
                    let item = item.split(" as ").next().unwrap_or_default().trim();
                    let mut path = prefix.clone();
                    path.extend(
                        item.split("::")
                            .map(str::trim)
                            .filter(|s| !s.is_empty() && *s != "self")
                            .map(str::to_owned),
                    );
                    paths.push(path);
                }
            } else {
                paths.push(prefix);
            }
        }
    }
    paths
}

/// Which module each module uses (the longest module prefix of every path it names).
fn graph(modules: &[Module]) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeSet<&str> = modules.iter().map(|m| m.name.as_str()).collect();
    modules
        .iter()
        .map(|m| {
            let uses = named_paths(m)
                .into_iter()
                .filter_map(|path| {
                    (1..=path.len())
                        .rev()
                        .map(|k| path[..k].join("::"))
                        .find(|n| names.contains(n.as_str()))
                })
                .filter(|n| *n != m.name)
                .collect();
            (m.name.clone(), uses)
        })
        .collect()
}

fn top(name: &str) -> &str {
    name.split("::").next().unwrap_or(name)
}

#[test]
fn no_module_is_in_a_circle() {
    let graph = graph(&modules());
    // Depth-first search from every module; a module met again on the current path closes a
    // circle, which is reported with the path that made it.
    fn visit(
        graph: &BTreeMap<String, BTreeSet<String>>,
        node: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        circles: &mut Vec<String>,
    ) {
        if let Some(i) = path.iter().position(|p| p == node) {
            circles.push(format!("{} -> {node}", path[i..].join(" -> ")));
            return;
        }
        if done.contains(node) {
            return;
        }
        path.push(node.to_owned());
        for next in &graph[node] {
            visit(graph, next, path, done, circles);
        }
        path.pop();
        done.insert(node.to_owned());
    }
    let mut done = BTreeSet::new();
    let mut circles = Vec::new();
    for node in graph.keys() {
        visit(&graph, node, &mut Vec::new(), &mut done, &mut circles);
    }
    assert!(
        circles.is_empty(),
        "modules in a circle:\n{}",
        circles.join("\n")
    );
}

#[test]
fn infrastructure_knows_no_domain() {
    let graph = graph(&modules());
    let wrong: Vec<String> = graph
        .iter()
        .filter(|(m, _)| INFRASTRUCTURE.contains(&top(m)))
        .flat_map(|(m, uses)| {
            uses.iter()
                .filter(|u| DOMAINS.contains(&top(u)))
                .map(move |u| format!("{m} uses {u}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn only_stores_and_rows_name_the_tables() {
    let wrong: Vec<String> = modules()
        .iter()
        .filter(|m| m.code.contains("crate::schema"))
        .filter(|m| {
            let file = m.name.rsplit("::").next().unwrap_or_default();
            !(file == "store" || file == "model" || MAY_NAME_TABLES.contains(&m.name.as_str()))
        })
        .map(|m| m.name.clone())
        .collect();
    assert!(
        wrong.is_empty(),
        "these name tables but are not stores: {wrong:?}"
    );
}

#[test]
fn routes_hold_no_queries_and_no_transactions() {
    let wrong: Vec<String> = modules()
        .iter()
        .filter(|m| m.name.ends_with("::routes"))
        .filter(|m| {
            ["write_tx", "crate::schema", "diesel::", "store::"]
                .iter()
                .any(|s| m.code.contains(s))
        })
        .map(|m| m.name.clone())
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
}

#[test]
fn services_and_stores_speak_no_http() {
    // The HTTP side of a domain: its handlers, request/response shapes, extractors and
    // middleware.
    let http_side = |name: &str| {
        ["routes", "dto", "extractor", "middleware"]
            .contains(&name.rsplit("::").next().unwrap_or_default())
    };
    let wrong: Vec<String> = modules()
        .iter()
        .filter(|m| {
            DOMAINS.contains(&top(&m.name)) && !["state", "server", "ops"].contains(&top(&m.name))
        })
        .filter(|m| !http_side(&m.name))
        .filter(|m| m.code.contains("actix_web") || m.code.contains("crate::http"))
        .map(|m| m.name.clone())
        .collect();
    assert!(wrong.is_empty(), "{wrong:?}");
}

/// The checks above would pass on an empty tree; make sure they look at the real one.
#[test]
fn the_checks_see_the_modules() {
    let graph = graph(&modules());
    assert!(graph["activities::service"].contains("activities::store"));
    assert!(graph["activities::checkin"].contains("hours::service"));
    assert!(graph["teams::store"].contains("schema"));
    assert!(graph["volunteers::service"].contains("auth::policy"));
}
