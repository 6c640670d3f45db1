//! `<q>.sps`: SPSS/PSPP syntax that reads `<q>.csv` with formats, labels and missing values.
//!
//! Single-choice answers are stored as text codes in the CSV (readable in Excel, R and DuckDB),
//! but SPSS attaches value labels and missing values reliably only to numbers. The syntax reads
//! each code column into a temporary string variable `T@n` and `RECODE`s it into a numeric
//! variable of the same name as the CSV column: the n-th option of the question becomes n. The
//! numbers are therefore stable (they follow the questionnaire, not the data) and listed in
//! `<q>.codebook.csv` (`spss_value`); options marked `dont_know` / `refused` are declared
//! `MISSING VALUES`. Multi-choice codes stay a string (for reference); analyse the 0/1 columns.
//! Numbers are read with no implied decimals (`F40.0` reads `12.5` as 12.5) and displayed with
//! the precision the question allows. Start and completion times stay text (RFC 3339, UTC).

use super::codebook::{column_label_within, is_single_code, words};
use super::csv::{ColumnKind, Layout, Meta};
use crate::questionnaire::{Kind, Missing, Questionnaire};
use std::collections::HashSet;
use std::fmt::Write;

/// SPSS reserved words, which cannot be variable names.
const RESERVED: &[&str] = &[
    "all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with",
];

/// The SPSS variable name of each column: the CSV name where SPSS accepts it; else made valid —
/// a character SPSS does not allow in a name (`-`, a space, a quote, a letter outside latin) is
/// `_`, a name that does not start with a letter gets `v` before it, a final `.` becomes `_`,
/// a reserved word gets `_` after it — at most 64 bytes, and
/// unique ignoring case (SPSS does), with `_2`, `_3`… The syntax lists every renamed column.
pub fn names(layout: &Layout) -> Vec<String> {
    let mut seen = HashSet::new();
    layout
        .columns
        .iter()
        .map(|c| {
            let mut n: String = c
                .name
                .chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || matches!(ch, '_' | '.') {
                        ch
                    } else {
                        '_'
                    }
                })
                .collect();
            if !n.starts_with(|ch: char| ch.is_ascii_alphabetic()) {
                n.insert(0, 'v');
            }
            if n.ends_with('.') {
                n.pop();
                n.push('_');
            }
            if RESERVED.contains(&n.to_ascii_lowercase().as_str()) {
                n.push('_');
            }
            n.truncate(64);
            let mut k = 2;
            let base = n.clone();
            while !seen.insert(n.to_ascii_lowercase()) {
                let suffix = format!("_{k}");
                n = format!("{}{suffix}", &base[..base.len().min(64 - suffix.len())]);
                k += 1;
            }
            n
        })
        .collect()
}

fn quote(s: &str, max_bytes: usize) -> String {
    let mut end = s.len().min(max_bytes);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let s: String = s[..end].chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    format!("'{}'", s.replace('\'', "''"))
}

/// Input format of a column (what `GET DATA` reads) and display format (`FORMATS`), if
/// different, and whether it is a scale.
fn formats(q: &Questionnaire, layout: &Layout, i: usize) -> (String, Option<String>) {
    let c = &layout.columns[i];
    let qq = c.question.map(|qi| &q.questions[qi]);
    match (c.kind, qq) {
        (ColumnKind::Meta(Meta::Id), _) => ("A36".into(), None),
        (ColumnKind::Meta(Meta::Interviewer | Meta::Device), _) => ("A100".into(), None),
        (ColumnKind::Meta(Meta::Started | Meta::Completed), _) => ("A30".into(), None),
        (ColumnKind::Meta(Meta::DurationS | Meta::Revision), _) => ("F40.0".into(), Some("F10.0".into())),
        (ColumnKind::Dummy(_), _) => ("F40.0".into(), Some("F1.0".into())),
        (ColumnKind::Count(_) | ColumnKind::Instance(_), _) => ("F40.0".into(), Some("F4.0".into())),
        (ColumnKind::Other, _) => ("A2000".into(), None),
        (ColumnKind::Remark, _) => ("A4000".into(), None),
        (ColumnKind::Value | ColumnKind::Meta(Meta::District), Some(qq)) => match &qq.kind {
            Kind::Single => {
                let w = qq.options.iter().map(|o| o.code.len()).max().unwrap_or(1).max(1);
                let digits = qq.options.len().to_string().len();
                (format!("A{w}"), Some(format!("F{digits}.0")))
            }
            Kind::Multi { .. } => {
                let w: usize = qq.options.iter().map(|o| o.code.len() + 1).sum();
                (format!("A{}", w.max(1)), None)
            }
            Kind::Number { min, max, integer, .. } => {
                let digits = |x: Option<f64>| x.map_or(12, |x| format!("{}", x.abs().trunc() as i64).len());
                let neg = min.is_none_or(|m| m < 0.0) as usize;
                let w = digits(*min).max(digits(*max)) + neg;
                let disp = if *integer {
                    format!("F{}.0", w.max(1))
                } else {
                    format!("F{}.2", w + 3)
                };
                ("F40.0".into(), Some(disp))
            }
            Kind::Text { max_length } | Kind::LongText { max_length } => {
                (format!("A{}", (*max_length as usize * 4).clamp(1, 32767)), None)
            }
            Kind::Date => ("SDATE10".into(), None),
            Kind::Note => ("A1".into(), None),
            Kind::Calculate { .. } if qq.kind.is_numeric() => ("F40.0".into(), Some("F12.2".into())),
            Kind::Calculate { .. } => ("A2000".into(), None),
        },
        (ColumnKind::Meta(Meta::District), None) => ("A100".into(), None),
        _ => ("A100".into(), None),
    }
}

/// The syntax for `csv_file` (a file name relative to the working directory of PSPP/SPSS).
pub fn syntax(q: &Questionnaire, layout: &Layout, csv_file: &str) -> Vec<u8> {
    let names = names(layout);
    let wd = words(q);
    let mut s = String::new();
    let _ = writeln!(s, "* Encoding: UTF-8.");
    let _ = writeln!(
        s,
        "* {} ({} version {}, sha256 {}).",
        q.title().replace(['\n', '\r'], " "),
        q.id,
        q.version,
        &q.sha256
    );
    let _ = writeln!(
        s,
        "* Written by anketa merge. Reads {csv_file}: run it from the folder that holds the CSV."
    );
    let _ = writeln!(
        s,
        "* Single-choice codes become numbers 1..n in option order (see VALUE LABELS and the codebook)."
    );
    // Comments cannot hold a line break; a name is printed with control characters escaped.
    for (c, n) in layout.columns.iter().zip(&names) {
        if c.name != *n {
            let csv: String = c
                .name
                .chars()
                .map(|ch| {
                    if ch.is_control() {
                        ch.escape_default().to_string()
                    } else {
                        ch.to_string()
                    }
                })
                .collect();
            let _ = writeln!(s, "* CSV column \"{csv}\" is the variable {n}.");
        }
    }
    if layout.excel {
        let _ = writeln!(s, "SET DECIMAL=COMMA.");
    }
    let delim = if layout.excel { ";" } else { "," };
    let _ = writeln!(s, "GET DATA /TYPE=TXT");
    let _ = writeln!(s, "  /FILE={}", quote(csv_file, 4096));
    let _ = writeln!(s, "  /ENCODING='UTF-8'");
    let _ = writeln!(s, "  /ARRANGEMENT=DELIMITED");
    let _ = writeln!(s, "  /DELCASE=LINE");
    let _ = writeln!(s, "  /FIRSTCASE=2");
    let _ = writeln!(s, "  /DELIMITERS=\"{delim}\"");
    let _ = writeln!(s, "  /QUALIFIER='\"'");
    let _ = writeln!(s, "  /VARIABLES=");
    let fmts: Vec<(String, Option<String>)> = (0..layout.columns.len()).map(|i| formats(q, layout, i)).collect();
    let single: Vec<bool> = (0..layout.columns.len())
        .map(|i| is_single_code(q, layout, i))
        .collect();
    for (i, (input, _)) in fmts.iter().enumerate() {
        let name = if single[i] {
            format!("T@{}", i + 1)
        } else {
            names[i].clone()
        };
        let _ = writeln!(s, "    {name} {input}");
    }
    let _ = writeln!(s, "  .");
    // Codes → numbers.
    for (i, c) in layout.columns.iter().enumerate() {
        if !single[i] {
            continue;
        }
        let qq = &q.questions[c.question.unwrap_or(0)];
        let _ = writeln!(s, "RECODE T@{}", i + 1);
        for (oi, o) in qq.options.iter().enumerate() {
            let _ = writeln!(s, "    ({}={})", quote(&o.code, 200), oi + 1);
        }
        let _ = writeln!(s, "    (ELSE=SYSMIS) INTO {}.", names[i]);
    }
    // Back to the CSV's column order, without the temporaries.
    let _ = writeln!(s, "ADD FILES FILE=* /KEEP=");
    for n in &names {
        let _ = writeln!(s, "    {n}");
    }
    let _ = writeln!(s, "  .");
    let _ = writeln!(s, "FORMATS");
    let mut first = true;
    for (i, (_, disp)) in fmts.iter().enumerate() {
        if let Some(d) = disp {
            let _ = writeln!(s, "    {}{} ({d})", if first { "" } else { "/ " }, names[i]);
            first = false;
        }
    }
    let _ = writeln!(s, "  .");
    let _ = writeln!(s, "VARIABLE LABELS");
    for (i, n) in names.iter().enumerate() {
        let label = column_label_within(q, layout, i, 255);
        let _ = writeln!(s, "    {}{n} {}", if i == 0 { "" } else { "/ " }, quote(&label, 255));
    }
    let _ = writeln!(s, "  .");
    let mut vl = Vec::new();
    let mut missing = Vec::new();
    let mut nominal = Vec::new();
    let mut scale = Vec::new();
    for (i, c) in layout.columns.iter().enumerate() {
        if single[i] {
            let qq = &q.questions[c.question.unwrap_or(0)];
            let mut v = names[i].clone();
            let mut miss = Vec::new();
            for (oi, o) in qq.options.iter().enumerate() {
                let _ = write!(v, "\n      {} {}", oi + 1, quote(q.tr(&o.label), 120));
                if matches!(o.missing, Some(Missing::DontKnow | Missing::Refused)) {
                    miss.push((oi + 1).to_string());
                }
            }
            vl.push(v);
            if !miss.is_empty() {
                miss.truncate(3);
                missing.push(format!("{} ({})", names[i], miss.join(", ")));
            }
            nominal.push(names[i].clone());
        } else if matches!(c.kind, ColumnKind::Dummy(_)) {
            vl.push(format!(
                "{}\n      0 {}\n      1 {}",
                names[i],
                quote(wd.not_chosen, 120),
                quote(wd.chosen, 120)
            ));
            nominal.push(names[i].clone());
        } else if fmts[i].0.starts_with('F') {
            scale.push(names[i].clone());
        }
    }
    if !vl.is_empty() {
        let _ = writeln!(s, "VALUE LABELS");
        for (k, v) in vl.iter().enumerate() {
            let _ = writeln!(s, "    {}{v}", if k == 0 { "" } else { "/ " });
        }
        let _ = writeln!(s, "  .");
    }
    if !missing.is_empty() {
        let _ = writeln!(s, "MISSING VALUES");
        for (k, m) in missing.iter().enumerate() {
            let _ = writeln!(s, "    {}{m}", if k == 0 { "" } else { "/ " });
        }
        let _ = writeln!(s, "  .");
    }
    for (level, vars) in [("NOMINAL", &nominal), ("SCALE", &scale)] {
        if !vars.is_empty() {
            let _ = writeln!(s, "VARIABLE LEVEL");
            for v in vars.iter() {
                let _ = writeln!(s, "    {v}");
            }
            let _ = writeln!(s, "  ({level}).");
        }
    }
    let _ = writeln!(s, "EXECUTE.");
    s.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::fixtures;
    use crate::test_support::has_all;

    #[test]
    fn codes_are_recoded_labelled_and_missing_declared() {
        let q = fixtures::every_type();
        let l = Layout::new(&q, false);
        let s = String::from_utf8(syntax(&q, &l, "demo.csv")).unwrap();
        has_all(&s, &["/FILE='demo.csv'", "/DELIMITERS=\",\""]);
        assert!(
            s.contains(
                "RECODE T@18\n    ('yes'=1)\n    ('no'=2)\n    ('dont_know'=3)\n    (ELSE=SYSMIS) INTO contact."
            ),
            "{s}"
        );
        assert!(
            s.contains("    / contact\n      1 'Yes'\n      2 'No'\n      3 'Don''t know'"),
            "{s}"
        );
        has_all(&s, &["/ contact (3)", "org_type (4)", "    budget F40.0\n"]);
        assert!(s.contains("/ budget (F12.2)") || s.contains("/ budget (F15.2)"), "{s}");
        assert!(s.contains("    founded SDATE10\n"), "{s}");
        assert!(!s.contains("SET DECIMAL"));
        let e = String::from_utf8(syntax(&q, &Layout::new(&q, true), "demo.csv")).unwrap();
        assert!(
            e.contains("SET DECIMAL=COMMA.") && e.contains("/DELIMITERS=\";\""),
            "{e}"
        );
    }

    #[test]
    fn reserved_and_long_names_are_made_valid() {
        let q = fixtures::every_type();
        let mut l = Layout::new(&q, false);
        l.columns[8].name = "to".into();
        l.columns[9].name = "x".repeat(70);
        l.columns[10].name = "x".repeat(65);
        let n = names(&l);
        assert_eq!(n[8], "to_");
        assert_eq!(n[9], "x".repeat(64));
        assert_eq!(n[10], format!("{}_2", "x".repeat(62)));
        // XLSForm names and codes: made valid, unique ignoring case, each renaming listed.
        for (i, name) in ["Id-10", "_id", "q__-999", "q__Don't know", "q__1.5", "ID_10", "a."]
            .iter()
            .enumerate()
        {
            l.columns[11 + i].name = name.to_string();
        }
        let n = names(&l);
        assert_eq!(
            &n[11..18],
            ["Id_10", "v_id", "q___999", "q__Don_t_know", "q__1.5", "ID_10_2", "a_"]
        );
        let s = String::from_utf8(syntax(&q, &l, "x.csv")).unwrap();
        assert!(
            s.contains("* CSV column \"q__Don't know\" is the variable q__Don_t_know."),
            "{s}"
        );
        assert!(!s.contains("* CSV column \"ID_10\" is the variable ID_10."));
    }

    #[test]
    fn every_0_1_column_keeps_its_option_within_255_bytes() {
        let q = crate::questionnaire::bundled("nko").unwrap();
        let l = Layout::new(&q, false);
        let s = String::from_utf8(syntax(&q, &l, "nko.csv")).unwrap();
        let labels = &s[s.find("VARIABLE LABELS").unwrap()..];
        let labels = &labels[..labels.find(".\n").unwrap()];
        let n = names(&l);
        let mut dummies = 0;
        for (i, c) in l.columns.iter().enumerate() {
            let (ColumnKind::Dummy(oi), Some(qi)) = (c.kind, c.question) else {
                continue;
            };
            dummies += 1;
            let option = q.tr(&q.questions[qi].options[oi].label).replace('\'', "''");
            let line = labels
                .lines()
                .find(|line| line.trim_start_matches([' ', '/']).starts_with(&format!("{} '", n[i])))
                .unwrap();
            let label = &line[line.find('\'').unwrap() + 1..line.len() - 1];
            assert!(label.ends_with(&format!(": {option}")), "{line}");
            assert!(label.replace("''", "'").len() <= 255, "{line}");
        }
        assert!(dummies > 50, "{dummies}");
    }
}
