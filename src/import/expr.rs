//! XLSForm expressions made into anketa's: `${name}` references renamed, XPath paths
//! (`/data/group/q`, `../q`, `current()/../q`) resolved to `${q}`, references to dropped
//! questions replaced by what stands for them. Checked with anketa's parser.

use super::Target;
use std::collections::HashMap;

/// The rewritten expression and the names of the dropped questions it referred to, or why it
/// cannot be used.
pub(super) fn rewrite(
    src: &str,
    targets: &HashMap<String, Target>,
    filter: bool,
) -> Result<(String, Vec<String>), String> {
    let lower = src.to_lowercase();
    if lower.contains("instance(") {
        return Err("it reads instance(…), a secondary file anketa does not have".to_string());
    }
    if lower.contains("pulldata(") {
        return Err("pulldata() reads a CSV file anketa does not have".to_string());
    }
    if lower.contains("${last-saved#") {
        return Err("${last-saved#…} reads the previous submission, which anketa does not keep".to_string());
    }
    let chars: Vec<char> = src.chars().collect();
    let n = chars.len();
    let mut out = String::with_capacity(src.len());
    let mut dropped = Vec::new();
    let mut i = 0;
    let path_char = |c: char| c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '/' | '-');
    while i < n {
        let c = chars[i];
        if c == '\'' || c == '"' {
            // A string literal: copied, but a `${q}` in it renamed (jr:choice-name's '${q}').
            let end = chars[i + 1..].iter().position(|&d| d == c).map_or(n, |p| i + 1 + p + 1);
            let lit: String = chars[i..end.min(n)].iter().collect();
            out.push_str(&rename_in_literal(&lit, targets));
            i = end;
            continue;
        }
        if c == '$' && chars.get(i + 1) == Some(&'{') {
            let Some(len) = chars[i + 2..].iter().position(|&d| d == '}') else {
                return Err("a `${` is not closed".to_string());
            };
            let name: String = chars[i + 2..i + 2 + len].iter().collect();
            let name = name.trim();
            out.push_str(&resolve(name, targets, &mut dropped)?);
            i += 2 + len + 1;
            continue;
        }
        let starts_current = chars[i..].iter().take(10).collect::<String>() == "current()/";
        if path_char(c) || starts_current {
            let start = i;
            if starts_current {
                i += "current()".len();
            }
            while i < n && path_char(chars[i]) {
                i += 1;
            }
            let tok: String = chars[start..i].iter().collect();
            if !tok.contains('/') {
                out.push_str(&tok);
                continue;
            }
            if start > 0 && chars[start - 1] == ')' {
                return Err(format!("the path `{tok}` reads an instance() or a secondary file"));
            }
            if chars.get(i) == Some(&'[') {
                return Err(format!("the path `{tok}[…]` has a predicate"));
            }
            let last = tok
                .trim_start_matches("current()")
                .split('/')
                .rfind(|s| !s.is_empty() && *s != "." && *s != "..")
                .unwrap_or("");
            if last.is_empty() {
                // `position(current()/..)`: the instance, as `position(..)`.
                if tok == "current()/.." {
                    out.push_str("..");
                    continue;
                }
                return Err(format!("the path `{tok}` names no question"));
            }
            out.push_str(
                &resolve(last, targets, &mut dropped)
                    .map_err(|_| format!("the path `{tok}` does not name a question"))?,
            );
            continue;
        }
        out.push(c);
        i += 1;
    }
    let e = crate::expr::parse(&out).map_err(|e| e.message)?;
    if !filter && let Some(b) = e.bare_name_error() {
        return Err(b.message);
    }
    Ok((out, dropped))
}

fn resolve(name: &str, targets: &HashMap<String, Target>, dropped: &mut Vec<String>) -> Result<String, String> {
    match targets.get(name) {
        Some(Target::Question(q)) => Ok(format!("${{{q}}}")),
        Some(Target::Dropped(rep)) => {
            if *rep == "''" && !dropped.iter().any(|d| d == name) {
                dropped.push(name.to_string());
            }
            Ok((*rep).to_string())
        }
        Some(Target::Note) => Err(format!("`{name}` is a note, which has no value in anketa")),
        None => Err(format!("there is no question `{name}`")),
    }
}

fn rename_in_literal(lit: &str, targets: &HashMap<String, Target>) -> String {
    let mut out = String::new();
    let mut rest = lit;
    while let Some(s) = rest.find("${") {
        let Some(len) = rest[s + 2..].find('}') else { break };
        out.push_str(&rest[..s]);
        let name = rest[s + 2..s + 2 + len].trim();
        match targets.get(name) {
            Some(Target::Question(q)) => out.push_str(&format!("${{{q}}}")),
            _ => out.push_str(&rest[s..s + 2 + len + 1]),
        }
        rest = &rest[s + 2 + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The names an (anketa) expression refers to with `${name}`, outside string literals.
pub(super) fn refs(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let b: Vec<char> = src.chars().collect();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '$' && b.get(i + 1) == Some(&'{') => {
                if let Some(len) = b[i + 2..].iter().position(|&d| d == '}') {
                    out.push(b[i + 2..i + 2 + len].iter().collect::<String>().trim().to_string());
                    i += 2 + len;
                }
            }
            None => {}
        }
        i += 1;
    }
    out
}
