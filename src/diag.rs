//! Diagnostics: errors a user can act on, each saying where, what, and what to do.

use std::borrow::Cow;
use std::fmt;

/// Text safe to print on a terminal: control characters (C0, DEL, C1 — escape sequences, line
/// breaks, bells) and the bidirectional overrides are shown escaped (`\u{1b}`, `\n`), so that
/// what an input holds can neither drive the terminal nor forge a line of output.
pub fn printable(s: &str) -> Cow<'_, str> {
    let bad = |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if bad(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A path as this system writes it, for what users read: on Windows with `\` only (a folder
/// typed as `D:/data/out/` with a file name joined to it would show as `D:/data/out/\x.json`)
/// and without the `\\?\` that resolving a path adds (`\\?\C:\x` → `C:\x`); elsewhere as
/// it is. The one helper for paths in messages, summaries and listings ([`native_path`] is its
/// pure core).
pub fn shown(path: &std::path::Path) -> String {
    native_path(&path.to_string_lossy(), cfg!(windows))
}

/// [`shown`] over text, for Windows (`windows`) or elsewhere, so that tests on any platform
/// check both forms. Only Windows changes anything: `/` becomes `\`, and a verbatim prefix
/// goes where a plain path says the same (`\\?\C:\x` → `C:\x`, `\\?\UNC\srv\share` →
/// `\\srv\share`); other verbatim paths (`\\?\Volume{…}`) stay as they are, since `/` is no
/// separator there.
pub fn native_path(s: &str, windows: bool) -> String {
    if !windows {
        return s.to_string();
    }
    if let Some(rest) = s.strip_prefix(r"\\?\") {
        if let Some(unc) = rest.strip_prefix(r"UNC\") {
            return format!(r"\\{unc}");
        }
        let b = rest.as_bytes();
        if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\' {
            return rest.to_string();
        }
        return s.to_string();
    }
    s.replace('/', "\\")
}

/// `name` inside the folder `dir`, shown as [`native_path`] shows paths, with exactly one
/// separator between them however `dir` ends (`out/` and `out` give `out/x`, or `out\x` on
/// Windows); an empty `name` gives the folder with one separator after it (`out/`).
pub fn path_in(dir: &str, name: &str, windows: bool) -> String {
    let dir = native_path(dir, windows);
    let sep = if windows { '\\' } else { '/' };
    let trimmed = dir.trim_end_matches(sep);
    if trimmed.is_empty() && !dir.is_empty() {
        return format!("{sep}{name}");
    }
    if dir.is_empty() || (windows && trimmed.len() == 2 && trimmed.ends_with(':') && trimmed == dir) {
        // No folder, or a bare drive (`C:` is the current folder of drive C: `C:x`).
        return format!("{dir}{name}");
    }
    format!("{trimmed}{sep}{name}")
}

/// One problem found in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file as the user named it.
    pub file: String,
    /// Where in the file: a JSON path such as `blocks[2].questions[5].relevant`, or `line 4, column 7`.
    pub location: String,
    /// What is wrong.
    pub message: String,
    /// The offending text with a caret under the problem, if there is one.
    pub snippet: Option<Snippet>,
    /// What to do about it.
    pub hint: Option<String>,
}

/// A line of source with an underlined span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    /// The source line.
    pub line: String,
    /// Column of the span, in characters.
    pub col: usize,
    /// Length of the span, in characters.
    pub len: usize,
}

impl Diagnostic {
    /// A diagnostic without snippet or hint.
    pub fn new(file: &str, location: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            file: file.to_string(),
            location: location.into(),
            message: message.into(),
            snippet: None,
            hint: None,
        }
    }

    /// Adds a hint.
    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds a snippet.
    pub(crate) fn snippet(mut self, line: &str, col: usize, len: usize) -> Self {
        self.snippet = Some(Snippet {
            line: line.to_string(),
            col,
            len: len.max(1),
        });
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.file)?;
        if !self.location.is_empty() {
            write!(f, ": {}", self.location)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(s) = &self.snippet {
            // Display widths, not bytes or chars: Cyrillic is 1 column, CJK 2.
            use unicode_width::UnicodeWidthChar;
            let line: String = s.line.chars().map(|c| if c == '\t' { ' ' } else { c }).collect();
            let pad: usize = line.chars().take(s.col).map(|c| c.width().unwrap_or(0)).sum();
            let width: usize = line
                .chars()
                .skip(s.col)
                .take(s.len)
                .map(|c| c.width().unwrap_or(0))
                .sum();
            write!(f, "\n  {line}\n  {}{}", " ".repeat(pad), "^".repeat(width.max(1)))?;
            if let Some(h) = &self.hint {
                write!(f, " {h}")?;
            }
        } else if let Some(h) = &self.hint {
            write!(f, "\n  hint: {h}")?;
        }
        Ok(())
    }
}

/// Levenshtein distance, for "did you mean" suggestions.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_is_under_the_span_in_display_columns() {
        let d = Diagnostic::new("q.json", "blocks[0].questions[1].relevant", "unknown question `q21`")
            .snippet("${рай} = ${q21}", 9, 6)
            .hint("did you mean `q2_1`?");
        assert_eq!(
            d.to_string(),
            "error: q.json: blocks[0].questions[1].relevant: unknown question `q21`\n  ${рай} = ${q21}\n           ^^^^^^ did you mean `q2_1`?"
        );
    }

    #[test]
    fn suggestions() {
        assert_eq!(did_you_mean("q21", ["q2_1", "district", "q3"]), Some("q2_1"));
        assert_eq!(did_you_mean("xyz", ["district"]), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn printed_text_cannot_drive_the_terminal() {
        assert_eq!(printable("plain Иванов"), "plain Иванов");
        assert_eq!(
            printable("\u{1b}]0;owned\u{7}\u{1b}[2J"),
            "\\u{1b}]0;owned\\u{7}\\u{1b}[2J"
        );
        assert_eq!(printable("a\nb\u{9b}c\u{202e}"), "a\\nb\\u{9b}c\\u{202e}");
    }

    #[test]
    fn paths_are_shown_with_the_separator_of_the_system() {
        // Windows: one separator, whatever the user typed or a join added.
        for (given, windows) in [
            (r"Z:\data\out/", r"Z:\data\out\"),
            (r"D:/data/out/\nko.json", r"D:\data\out\\nko.json"),
            ("lap1/interviews/x.json", r"lap1\interviews\x.json"),
            (r"lap1\interviews\x.json", r"lap1\interviews\x.json"),
            (r"\\?\C:\stick\anketa-data", r"C:\stick\anketa-data"),
            (r"\\?\UNC\server\share\out", r"\\server\share\out"),
            (r"\\?\Volume{1234}\a/b", r"\\?\Volume{1234}\a/b"),
            (r"\\server\share/out", r"\\server\share\out"),
            ("отчёт/итог.html", r"отчёт\итог.html"),
        ] {
            assert_eq!(native_path(given, true), windows, "{given}");
            // Elsewhere a path is shown as it is (`\` is a character of a Unix file name).
            assert_eq!(native_path(given, false), given);
        }
        assert_eq!(shown(std::path::Path::new("a/b")), native_path("a/b", cfg!(windows)));
    }

    #[test]
    fn a_name_in_a_folder_has_one_separator_however_the_folder_ends() {
        for (dir, unix, windows) in [
            ("merged", "merged/conflicts", r"merged\conflicts"),
            ("merged/", "merged/conflicts", r"merged\conflicts"),
            (r"Z:\data\out/", r"Z:\data\out/conflicts", r"Z:\data\out\conflicts"),
            ("/", "/conflicts", r"\conflicts"),
            (r"C:\", r"C:\/conflicts", r"C:\conflicts"),
            ("C:", "C:/conflicts", "C:conflicts"),
            ("", "conflicts", "conflicts"),
        ] {
            assert_eq!(path_in(dir, "conflicts", false), unix, "{dir}");
            assert_eq!(path_in(dir, "conflicts", true), windows, "{dir}");
        }
        assert_eq!(path_in("out/", "", false), "out/");
        assert_eq!(path_in("out/", "", true), r"out\");
        assert_eq!(path_in("out", "", true), r"out\");
    }
}
