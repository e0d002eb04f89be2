//! Every dependency a workspace crate declares is named in its code: an unused one is
//! build time (and attack surface) for nothing. A plain text check, so it needs no tool
//! beyond the test runner (`cargo machete` would be one more thing to install in CI).

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// Dependencies used for a feature or a link, never named in code.
const NOT_NAMED_IN_CODE: &[(&str, &str)] = &[
    // Compiles SQLite in (its `bundled` feature); diesel links it.
    ("idp-store", "libsqlite3-sys"),
    // Compiles libpq in (its `bundled` feature); diesel links it.
    ("idp-store", "pq-sys"),
    ("idp-testdb", "pq-sys"),
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn members(root: &Path) -> Vec<PathBuf> {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let start = manifest.find("members = [").unwrap();
    let end = start + manifest[start..].find(']').unwrap();
    manifest[start..end]
        .split('"')
        .skip(1)
        .step_by(2)
        .map(|m| root.join(m))
        .collect()
}

/// The dependency names of one `[section]` of a manifest.
fn section(manifest: &str, name: &str) -> Vec<String> {
    let header = format!("[{name}]");
    let Some(start) = manifest.find(&header) else {
        return Vec::new();
    };
    manifest[start + header.len()..]
        .lines()
        .take_while(|l| !l.starts_with('['))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split(['=', '.']).next())
        .map(|n| n.trim().to_owned())
        .collect()
}

fn sources(dir: &Path, out: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push_str(&std::fs::read_to_string(&path).unwrap_or_default());
        }
    }
}

fn names(code: &str, ident: &str) -> bool {
    code.match_indices(ident).any(|(i, _)| {
        let before = code[..i].chars().next_back();
        let after = code[i + ident.len()..].chars().next();
        let boundary = |c: Option<char>| c.is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        boundary(before) && boundary(after)
    })
}

#[test]
fn every_declared_dependency_is_named_in_the_code() {
    let root = workspace_root();
    let mut unused = Vec::new();
    for member in members(&root) {
        let manifest = std::fs::read_to_string(member.join("Cargo.toml")).unwrap();
        // The package name is the manifest's first `name = …` line.
        let crate_name = manifest
            .lines()
            .find_map(|l| l.strip_prefix("name = "))
            .unwrap_or("")
            .trim_matches('"')
            .to_owned();
        let mut code = String::new();
        sources(&member.join("src"), &mut code);
        let mut test_code = code.clone();
        for dir in ["tests", "benches", "examples"] {
            sources(&member.join(dir), &mut test_code);
        }
        for (kind, code) in [("dependencies", &code), ("dev-dependencies", &test_code)] {
            for dep in section(&manifest, kind) {
                let exempt = NOT_NAMED_IN_CODE
                    .iter()
                    .any(|(c, d)| *c == crate_name && *d == dep);
                if !exempt && !names(code, &dep.replace('-', "_")) {
                    unused.push(format!("{crate_name} [{kind}] {dep}"));
                }
            }
        }
    }
    assert!(unused.is_empty(), "declared but never named: {unused:#?}");
}
