//! CSV: one table per question, stacked, separated by an empty line, for spreadsheets.
//!
//! Each table starts with a title line (`table`, number, variable, question text, type), then a
//! header and rows: for a choice question `code, label`, one percentage column per group (one
//! decimal, as printed), one count column per group, and for a multiple-choice question the
//! test of each option (`chi2, df, p, cramers_v, method`); the `n` line gives the bases, and for a
//! single-choice question a `test` line follows. Numbers: `n, mean, median, min, max` per group.
//! Texts: `group, kind, text`. Statistics are written at full precision, `.` as decimal point,
//! UTF-8 without BOM, `\n` line ends, quoted as RFC 4180 when needed.

use super::fmt::round_to;
use super::model::{CrossTab, DateStats, Fieldwork, NumberStats, QuestionTable, Report, RosterCounts, Test};
use super::render::lang_of;
use super::words::W;
use crate::csv_field::field_quoting;

/// A cell on one line (line breaks become spaces), quoted as [`field_quoting`] does, padded
/// cells too.
fn field(s: &str) -> String {
    let one_line = s.replace(['\n', '\r'], " ");
    let mut out = Vec::with_capacity(one_line.len() + 2);
    field_quoting(&mut out, one_line.as_bytes(), b',', true);
    String::from_utf8(out).unwrap_or_default()
}

fn line(out: &mut String, cells: &[String]) {
    let v: Vec<String> = cells.iter().map(|c| field(c)).collect();
    out.push_str(&v.join(","));
    out.push('\n');
}

/// A named statistic of a group, for the stacked tables.
type Stat<'a, T> = (&'a str, &'a dyn Fn(&T) -> String);

/// Full precision; very small or large values in scientific notation (`8.9e-23`), which
/// spreadsheets read, rather than two dozen zeros.
fn num(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-4 || x.abs() >= 1e15) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

fn pct1(x: Option<f64>) -> String {
    x.map(|p| format!("{:.1}", round_to(p, 1))).unwrap_or_default()
}

fn test_cells(t: Option<&Test>) -> Vec<String> {
    match t {
        Some(t) if t.not_valid.is_none() => {
            let c = t.chi2.as_ref();
            vec![
                // A roster's corrected test: the corrected statistic, with its p.
                t.rao_scott
                    .map(|rs| num(rs.statistic))
                    .or_else(|| c.map(|c| num(c.statistic)))
                    .unwrap_or_default(),
                c.map(|c| c.df.to_string()).unwrap_or_default(),
                opt(t.p),
                c.map(|c| num(c.cramers_v)).unwrap_or_default(),
                if t.rao_scott.is_some() {
                    "rao_scott".into()
                } else if t.fisher.is_some() {
                    "fisher".into()
                } else {
                    "chi2".into()
                },
                if t.significant { "1".into() } else { "0".into() },
            ]
        }
        Some(t) => vec![
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            format!("not_valid: {}", t.not_valid.map_or("", |n| n.describe(false))),
            String::new(),
        ],
        None => Vec::new(),
    }
}

/// Renders the report as stacked CSV tables.
pub fn render(r: &Report) -> String {
    let w = W::new(lang_of(r));
    let mut out = String::new();
    let groups: Vec<&str> = r.groups.iter().map(|g| g.label.as_str()).collect();
    let test_head = ["chi2", "df", "p", "cramers_v", "method", "significant"].map(String::from);
    for t in r.sections.iter().flat_map(|s| &s.questions) {
        question(&mut out, t, &groups, &test_head, &w);
    }
    for x in &r.rosters {
        roster_counts(&mut out, x, &groups);
    }
    if let Some(c) = &r.cross {
        cross(&mut out, c, &test_head);
    }
    fieldwork(&mut out, &r.fieldwork);
    out
}

/// One question's table, then an empty line.
fn question(out: &mut String, t: &QuestionTable, groups: &[&str], test_head: &[String], w: &W) {
    let mut title = vec![
        "table".into(),
        t.number.to_string(),
        t.variable.clone(),
        t.text.clone(),
        t.kind.into(),
    ];
    if let Some(x) = &t.roster {
        title.push(x.id.clone());
    }
    line(out, &title);
    match t.kind {
        "single" | "multi" => {
            let multi = t.kind == "multi";
            let mut head = vec!["code".to_string(), "label".to_string()];
            head.extend(groups.iter().map(|g| format!("{g} %")));
            head.extend(groups.iter().map(|g| format!("{g} count")));
            if multi {
                head.extend(test_head.iter().cloned());
            }
            line(out, &head);
            for row in &t.rows {
                let mut c = vec![row.code.clone(), row.label.clone()];
                c.extend(row.percents.iter().map(|p| pct1(*p)));
                c.extend(row.counts.iter().map(|n| n.to_string()));
                if multi {
                    c.extend(test_cells(row.test.as_ref()));
                }
                line(out, &c);
            }
            let mut c = vec!["n".to_string(), w.base_row().to_string()];
            c.extend(groups.iter().map(|_| String::new()));
            c.extend(t.bases.iter().map(|b| b.n.to_string()));
            line(out, &c);
            if t.roster.is_some() {
                let mut c = vec!["interviews".to_string(), String::new()];
                c.extend(groups.iter().map(|_| String::new()));
                c.extend(t.bases.iter().map(|b| b.asked_interviews.unwrap_or(0).to_string()));
                line(out, &c);
            }
            if let Some(x) = &t.test {
                line(out, &[vec!["test".to_string()], test_head.to_vec()].concat());
                line(out, &[vec![String::new()], test_cells(Some(x))].concat());
            }
        }
        "number" => {
            let mut head = vec!["statistic".to_string()];
            head.extend(groups.iter().map(|g| g.to_string()));
            line(out, &head);
            let rows: [Stat<'_, NumberStats>; 5] = [
                ("n", &|n| n.n.to_string()),
                ("mean", &|n| opt(n.mean)),
                ("median", &|n| opt(n.median)),
                ("min", &|n| opt(n.min)),
                ("max", &|n| opt(n.max)),
            ];
            for (name, f) in rows {
                let mut c = vec![name.to_string()];
                c.extend(t.numbers.iter().map(f));
                line(out, &c);
            }
        }
        "date" => {
            let mut head = vec!["statistic".to_string()];
            head.extend(groups.iter().map(|g| g.to_string()));
            line(out, &head);
            let rows: [Stat<'_, DateStats>; 4] = [
                ("n", &|d| d.n.to_string()),
                ("min", &|d| d.min.clone().unwrap_or_default()),
                ("median", &|d| d.median.clone().unwrap_or_default()),
                ("max", &|d| d.max.clone().unwrap_or_default()),
            ];
            for (name, f) in rows {
                let mut c = vec![name.to_string()];
                c.extend(t.dates.iter().map(f));
                line(out, &c);
            }
        }
        _ => {}
    }
    if !t.texts.items.is_empty() {
        line(out, &["group".into(), "kind".into(), "text".into()]);
        for it in &t.texts.items {
            line(out, &[it.group.clone(), it.kind.into(), it.text.clone()]);
        }
    }
    for n in &t.notes {
        line(out, &["note".into(), n.kind.into(), n.text.clone()]);
    }
    out.push('\n');
}

/// A roster's instance counts, then an empty line: `roster,<id>,<title>,<parent>`, then
/// `statistic,<group>…` lines `n, zero, instances, mean, median, max`.
fn roster_counts(out: &mut String, x: &RosterCounts, groups: &[&str]) {
    let ro = &x.roster;
    line(
        out,
        &[
            "roster".into(),
            ro.id.clone(),
            ro.title.clone(),
            ro.parent.clone().unwrap_or_default(),
        ],
    );
    let mut head = vec!["statistic".to_string()];
    head.extend(groups.iter().map(|g| g.to_string()));
    line(out, &head);
    let rows: [Stat<'_, super::model::InstanceCounts>; 6] = [
        ("n", &|c| c.n.to_string()),
        ("zero", &|c| c.zero.to_string()),
        ("instances", &|c| c.instances.to_string()),
        ("mean", &|c| opt(c.mean)),
        ("median", &|c| opt(c.median)),
        ("max", &|c| c.max.map(|m| m.to_string()).unwrap_or_default()),
    ];
    for (name, f) in rows {
        let mut c = vec![name.to_string()];
        c.extend(x.counts.iter().map(f));
        line(out, &c);
    }
    out.push('\n');
}

/// The `--cross` table, then an empty line.
fn cross(out: &mut String, c: &CrossTab, test_head: &[String]) {
    line(out, &["cross".into(), c.rows_var.clone(), c.cols_var.clone()]);
    let mut head = vec!["code".to_string(), "label".to_string()];
    head.extend(c.col_labels.iter().map(|(code, _)| code.clone()));
    head.push("total".into());
    line(out, &head);
    for (i, (code, label)) in c.row_labels.iter().enumerate() {
        let mut r = vec![code.clone(), label.clone()];
        r.extend(c.counts[i].iter().map(|n| n.to_string()));
        r.push(c.row_totals[i].to_string());
        line(out, &r);
    }
    let mut r = vec!["total".to_string(), String::new()];
    r.extend(c.col_totals.iter().map(|n| n.to_string()));
    r.push(c.n.to_string());
    line(out, &r);
    if let Some(x) = &c.test {
        line(out, &[vec!["test".to_string()], test_head.to_vec()].concat());
        line(out, &[vec![String::new()], test_cells(Some(x))].concat());
    }
    out.push('\n');
}

/// The fieldwork tables: districts (then an empty line), interviewers.
fn fieldwork(out: &mut String, f: &Fieldwork) {
    if let Some(d) = &f.districts {
        line(out, &["fieldwork".into(), "districts".into()]);
        let mut head = vec!["district".to_string(), "label".to_string()];
        for g in &f.instruments {
            head.push(g.key.clone());
            if d.target_totals.is_some() {
                head.push(format!("{} target", g.key));
            }
        }
        line(out, &head);
        for row in &d.rows {
            let mut c = vec![row.code.clone(), row.label.clone()];
            for (i, n) in row.counts.iter().enumerate() {
                c.push(n.to_string());
                if let Some(t) = &row.targets {
                    c.push(t[i].map(|x| x.to_string()).unwrap_or_default());
                }
            }
            line(out, &c);
        }
        out.push('\n');
    }
    if !f.interviewers.is_empty() {
        line(out, &["fieldwork".into(), "interviewers".into()]);
        let mut head = vec!["interviewer".to_string()];
        head.extend(f.instruments.iter().map(|g| g.key.clone()));
        head.extend(
            [
                "total",
                "median_minutes",
                "speeders",
                "speeder_share",
                "in_progress",
                "left_out_incomplete",
                "conflicts",
            ]
            .map(String::from),
        );
        line(out, &head);
        for it in &f.interviewers {
            let mut c = vec![it.code.clone()];
            c.extend(it.interviews.iter().map(|n| n.to_string()));
            c.extend([
                it.total.to_string(),
                opt(it.median_minutes),
                it.speeders.to_string(),
                opt(it.speeder_share),
                it.in_progress.to_string(),
                it.left_out_incomplete.to_string(),
                it.conflicts.to_string(),
            ]);
            line(out, &c);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_numbers_readable() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\"\nnow"), "\"say \"\"hi\"\" now\"");
        assert_eq!(num(8.912230623070098e-23), "8.912230623070098e-23");
        assert_eq!(num(0.0123), "0.0123");
        assert_eq!(num(0.0), "0");
        assert_eq!(pct1(Some(6.25)), "6.3");
    }
}
