//! What commands print: one JSON value with `--json`, readable text without.

use serde::Serialize;
use serde_json::Value;

/// A command's result in both forms.
pub(crate) struct Report {
    json: Value,
    text: String,
}

impl Report {
    /// A result whose text form is `text`.
    pub(crate) fn new(json: impl Serialize, text: impl Into<String>) -> Self {
        Report {
            json: serde_json::to_value(json).unwrap_or(Value::Null),
            text: text.into(),
        }
    }

    /// Prints to stdout.
    pub(crate) fn print(&self, json: bool) {
        use std::io::Write;
        // A closed pipe (`idp-admin ... | head`) is not an error of the command.
        let mut out = std::io::stdout().lock();
        let _ = if json {
            writeln!(out, "{}", self.json)
        } else if !self.text.is_empty() {
            writeln!(out, "{}", self.text.trim_end())
        } else {
            Ok(())
        };
    }
}

/// `text`, or `-` when it is empty (so text output has no blank values).
pub(crate) fn or_dash(text: String) -> String {
    if text.is_empty() {
        "-".to_owned()
    } else {
        text
    }
}

/// Rows of aligned columns, for lists.
pub(crate) fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    let mut out = line(header.iter().map(|h| (*h).to_owned()).collect());
    for row in rows {
        out.push('\n');
        out.push_str(&line(row.clone()));
    }
    out
}

/// Reads a password from stdin: the first line, without its line ending.
pub(crate) fn password_from_stdin() -> Result<String, crate::Failure> {
    secret_from_stdin("password", "PASSWORD")
}

/// Reads a secret (`what`) from stdin: the first line, without its line ending.
pub(crate) fn secret_from_stdin(what: &str, variable: &str) -> Result<String, crate::Failure> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| crate::Failure::Refused(format!("cannot read the {what} from stdin: {e}")))?;
    let secret = line.strip_suffix('\n').unwrap_or(&line);
    let secret = secret.strip_suffix('\r').unwrap_or(secret);
    if secret.is_empty() {
        return Err(crate::Failure::Refused(format!(
            "no {what} on stdin (pipe it in, e.g. printf '%s\\n' \"${variable}\" | idp-admin …)"
        )));
    }
    Ok(secret.to_owned())
}
