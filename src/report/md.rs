//! Markdown: the analytical note's layout. Rows are the answers, columns the groups (НКО |
//! ОМСУ), percentages with one decimal, the base n under them, the test under the table (per
//! option, in extra columns, for a multiple-choice question), significant results in bold with
//! an asterisk, and the notes of the table below it.

use super::fmt::{fmt_dec, fmt_int, fmt_num, fmt_p, fmt_pct};
use super::model::{CrossTab, DateStats, NumberStats, QuestionTable, Report, RosterCounts, Test, Texts};
use super::render::{
    date, folded_texts, interviewer_cells, interviews_line, lang_of, quota_cell, row_total, speeder_legend, test_line,
};
use super::words::W;
use std::fmt::Write;

/// Escapes text for a Markdown table cell or list item (one line).
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Renders the report as Markdown.
pub fn render(r: &Report) -> String {
    let lang = lang_of(r);
    let w = W::new(lang);
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", esc(&r.title));
    header(&mut s, r, &w);
    for n in &r.notes {
        let _ = writeln!(s, "> {}\n", esc(&n.text));
    }
    for sec in &r.sections {
        let _ = writeln!(s, "## {}\n", esc(&sec.title));
        for t in &sec.questions {
            question(&mut s, r, t, &w);
        }
    }
    if !r.rosters.is_empty() {
        let _ = writeln!(s, "## {}\n", w.rosters_heading());
        for x in &r.rosters {
            roster_counts(&mut s, r, x, &w);
        }
        let _ = writeln!(s, "{}\n", w.roster_counts_legend());
    }
    if let Some(c) = &r.cross {
        cross(&mut s, r, c, &w);
    }
    fieldwork(&mut s, r, &w);
    let _ = writeln!(s, "## {}\n", w.method_heading());
    for m in w.method_notes() {
        let _ = writeln!(s, "- {m}");
    }
    s
}

fn header(s: &mut String, r: &Report, w: &W) {
    let lang = w.lang;
    let _ = writeln!(
        s,
        "- {}: `{}` ({}); {}",
        w.data(),
        r.input.path.replace('`', "'"),
        w.input_kind(&r.input.kind),
        interviews_line(r, w, esc)
    );
    let groups: Vec<String> = r.groups.iter().map(|g| esc(&g.label)).collect();
    let _ = writeln!(s, "- {}: {}", w.groups_by(&r.options.by), groups.join(", "));
    if let Some(f) = &r.options.filter {
        let _ = writeln!(
            s,
            "- {}: `{}` — {}: {}",
            w.filter(),
            f.replace('`', "'"),
            w.matched(),
            fmt_int(r.options.matched, lang)
        );
    }
    let _ = writeln!(s, "- {}", w.alpha_line(r.options.alpha, r.options.exclude_missing));
    if let Some(m) = r.input.merge.as_ref().filter(|m| m.sealed > 0) {
        let _ = writeln!(s, "- {}", esc(&w.sealed_line(m.sealed)));
    }
    if r.input.rejected > 0 {
        let _ = writeln!(s, "- {}", w.rejected_line(r.input.rejected));
        for e in &r.input.rejected_examples {
            let _ = writeln!(s, "  - `{}`: {}", e.path.replace('`', "'"), esc(&e.reason));
        }
    }
    s.push('\n');
}

fn sig_mark(t: &Test) -> &'static str {
    if t.significant { "*" } else { "" }
}

fn question(s: &mut String, r: &Report, t: &QuestionTable, w: &W) {
    let lang = w.lang;
    let _ = writeln!(
        s,
        "### {} {}. {} (`{}`)\n",
        w.table(),
        t.number,
        esc(&t.text),
        t.variable
    );
    match &t.roster {
        Some(x) => {
            let _ = writeln!(s, "*{} {}*\n", w.kind_hint(t.kind), esc(&w.roster_hint(&x.id)));
        }
        None => {
            let _ = writeln!(s, "*{}*\n", w.kind_hint(t.kind));
        }
    }
    let answered: u64 = t.bases.iter().map(|b| b.answered).sum();
    let groups: Vec<String> = r.groups.iter().map(|g| esc(&g.label)).collect();
    if answered > 0 && (t.kind == "single" || t.kind == "multi") {
        let multi = t.kind == "multi";
        let tests = multi && t.rows.iter().any(|x| x.test.is_some());
        let _ = write!(s, "| {} | {} |", w.answer(), groups.join(" | "));
        if tests {
            let _ = write!(s, " χ² | p | V |");
        }
        s.push('\n');
        let _ = write!(s, "|---|{}", "--:|".repeat(groups.len()));
        if tests {
            s.push_str("--:|--:|--:|");
        }
        s.push('\n');
        for row in t.rows.iter().filter(|x| !x.excluded) {
            let sig = row.test.as_ref().is_some_and(|x| x.significant);
            let label = if sig {
                format!("**{}**", esc(&row.label))
            } else {
                esc(&row.label)
            };
            let cells: Vec<String> = row.percents.iter().map(|p| fmt_pct(*p, lang)).collect();
            let _ = write!(s, "| {label} | {} |", cells.join(" | "));
            if tests {
                match &row.test {
                    Some(x) if x.not_valid.is_none() => {
                        let c = x.chi2.as_ref();
                        let p = x.p.map_or("—".into(), |p| fmt_p(p, lang));
                        let f = if x.fisher.is_some() { " F" } else { "" };
                        let _ = write!(
                            s,
                            " {} | {p}{f}{} | {} |",
                            c.map_or("—".into(), |c| fmt_dec(c.statistic, 2, lang)),
                            sig_mark(x),
                            c.map_or("—".into(), |c| fmt_dec(c.cramers_v, 2, lang))
                        );
                    }
                    _ => s.push_str(" — | — | — |"),
                }
            }
            s.push('\n');
        }
        let bases: Vec<String> = t.bases.iter().map(|b| fmt_int(b.n, lang)).collect();
        let _ = write!(s, "| *{}* | {} |", w.base_row(), bases.join(" | "));
        if tests {
            s.push_str(" | | |");
        }
        s.push('\n');
        for row in t.rows.iter().filter(|x| x.excluded) {
            let cells: Vec<String> = row.counts.iter().map(|c| fmt_int(*c, lang)).collect();
            let _ = write!(
                s,
                "| {} ({}) | {} |",
                esc(&row.label),
                w.excluded_mark(),
                cells.join(" | ")
            );
            if tests {
                s.push_str(" | | |");
            }
            s.push('\n');
        }
        s.push('\n');
        if multi {
            let _ = writeln!(s, "{}", w.multi_footnote());
            if tests {
                let _ = writeln!(s, "{}", w.multi_legend(r.options.alpha));
            }
            s.push('\n');
        } else {
            let _ = writeln!(s, "{}\n", w.single_footnote());
        }
        if t.rows.iter().any(|x| {
            x.percents
                .iter()
                .zip(&t.bases)
                .any(|(p, b)| p.is_none() && b.n > 0 && !x.excluded)
        }) {
            let _ = writeln!(s, "{}\n", w.not_offered());
        }
        if let Some(x) = &t.test {
            let line = test_line(x, lang);
            // A roster's test without the cluster correction is only indicative.
            let caveat = match &t.roster {
                Some(_) if x.rao_scott.is_none() => format!(" ({})", w.clustered_mark()),
                _ => String::new(),
            };
            if x.not_valid.is_some() {
                let _ = writeln!(s, "{line}\n");
            } else if x.significant {
                let _ = writeln!(s, "**{line} — {}{caveat}** \\*\n", w.significant(r.options.alpha));
            } else {
                let _ = writeln!(s, "{line} — {}{caveat}.\n", w.not_significant(r.options.alpha));
            }
        }
    }
    if answered > 0 && t.kind == "number" {
        let _ = writeln!(s, "| {} | {} |", w.stat(), groups.join(" | "));
        let _ = writeln!(s, "|---|{}", "--:|".repeat(groups.len()));
        let line = |s: &mut String, name: &str, f: &dyn Fn(&NumberStats) -> String| {
            let cells: Vec<String> = t.numbers.iter().map(f).collect();
            let _ = writeln!(s, "| {name} | {} |", cells.join(" | "));
        };
        let opt = |x: Option<f64>| x.map_or("—".into(), |v| fmt_num(v, lang));
        line(s, w.answers_n(), &|n| fmt_int(n.n, lang));
        line(s, w.mean(), &|n| n.mean.map_or("—".into(), |v| fmt_dec(v, 1, lang)));
        line(s, w.median(), &|n| opt(n.median));
        line(s, w.min(), &|n| opt(n.min));
        line(s, w.max(), &|n| opt(n.max));
        s.push('\n');
    }
    if answered > 0 && t.kind == "date" {
        let _ = writeln!(s, "| {} | {} |", w.stat(), groups.join(" | "));
        let _ = writeln!(s, "|---|{}", "--:|".repeat(groups.len()));
        let cells = |f: &dyn Fn(&DateStats) -> String| t.dates.iter().map(f).collect::<Vec<_>>().join(" | ");
        let d = |x: &Option<String>| x.clone().unwrap_or_else(|| "—".into());
        let _ = writeln!(s, "| {} | {} |", w.answers_n(), cells(&|x| fmt_int(x.n, lang)));
        let _ = writeln!(s, "| {} | {} |", w.min(), cells(&|x| d(&x.min)));
        let _ = writeln!(s, "| {} | {} |", w.median(), cells(&|x| d(&x.median)));
        let _ = writeln!(s, "| {} | {} |\n", w.max(), cells(&|x| d(&x.max)));
    }
    for n in &t.notes {
        let _ = writeln!(s, "- {}", esc(&n.text));
    }
    if !t.notes.is_empty() {
        s.push('\n');
    }
    texts(s, &t.texts, w);
}

/// How many instances of a roster the interviews (or parent instances) of each group have.
fn roster_counts(s: &mut String, r: &Report, x: &RosterCounts, w: &W) {
    let lang = w.lang;
    let ro = &x.roster;
    let parent = ro.parent.as_deref();
    let _ = writeln!(s, "### {}\n", esc(&w.roster_counts_title(&ro.title, &ro.id, parent)));
    let groups: Vec<String> = r.groups.iter().map(|g| esc(&g.label)).collect();
    let _ = writeln!(s, "| {} | {} |", w.stat(), groups.join(" | "));
    let _ = writeln!(s, "|---|{}", "--:|".repeat(groups.len()));
    let row = |s: &mut String, name: &str, f: &dyn Fn(&super::model::InstanceCounts) -> String| {
        let cells: Vec<String> = x.counts.iter().map(f).collect();
        let _ = writeln!(s, "| {} | {} |", esc(name), cells.join(" | "));
    };
    let opt = |v: Option<f64>| v.map_or("—".into(), |v| fmt_num(v, lang));
    row(s, &w.roster_units(parent), &|c| fmt_int(c.n, lang));
    row(s, w.roster_zero(), &|c| fmt_int(c.zero, lang));
    row(s, w.roster_total(), &|c| fmt_int(c.instances, lang));
    row(s, w.mean(), &|c| c.mean.map_or("—".into(), |v| fmt_dec(v, 1, lang)));
    row(s, w.median(), &|c| opt(c.median));
    row(s, w.max(), &|c| c.max.map_or("—".into(), |v| fmt_int(v, lang)));
    s.push('\n');
}

fn texts(s: &mut String, t: &Texts, w: &W) {
    if t.items.is_empty() {
        return;
    }
    for kind in ["answer", "other", "remark"] {
        let items = folded_texts(t, kind);
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(s, "**{}:**\n", w.texts_heading(kind));
        for (g, text, n) in items {
            let times = if n > 1 { format!(" (×{n})") } else { String::new() };
            let _ = writeln!(s, "- {}: {}{times}", esc(g), esc(text));
        }
        s.push('\n');
    }
    if (t.items.len() as u64) < t.total {
        let _ = writeln!(s, "*{}*\n", w.texts_shown(t.items.len(), t.total));
    }
}

fn cross(s: &mut String, r: &Report, c: &CrossTab, w: &W) {
    let lang = w.lang;
    let _ = writeln!(s, "## {}: `{}` × `{}`\n", w.cross_heading(), c.rows_var, c.cols_var);
    let _ = writeln!(
        s,
        "{}\n",
        esc(&w.rows_and_cols(&c.rows_var, &c.rows_text, &c.cols_var, &c.cols_text))
    );
    let cols: Vec<String> = c.col_labels.iter().map(|(_, l)| esc(l)).collect();
    let table = |s: &mut String, title: &str, cell: &dyn Fn(usize, usize) -> String, totals: bool| {
        let _ = writeln!(s, "**{title}**\n");
        let _ = writeln!(
            s,
            "| | {} |{}",
            cols.join(" | "),
            if totals {
                format!(" {} |", w.total())
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            s,
            "|---|{}{}",
            "--:|".repeat(cols.len()),
            if totals { "--:|" } else { "" }
        );
        for (i, (_, l)) in c.row_labels.iter().enumerate() {
            let cells: Vec<String> = (0..cols.len()).map(|j| cell(i, j)).collect();
            let _ = writeln!(
                s,
                "| {} | {} |{}",
                esc(l),
                cells.join(" | "),
                if totals {
                    format!(" {} |", fmt_int(c.row_totals[i], lang))
                } else {
                    String::new()
                }
            );
        }
        if totals {
            let tot: Vec<String> = c.col_totals.iter().map(|x| fmt_int(*x, lang)).collect();
            let _ = writeln!(s, "| {} | {} | {} |", w.total(), tot.join(" | "), fmt_int(c.n, lang));
        }
        s.push('\n');
    };
    table(s, w.counts(), &|i, j| fmt_int(c.counts[i][j], lang), true);
    table(s, w.row_pct(), &|i, j| fmt_pct(c.row_percents[i][j], lang), false);
    table(s, w.col_pct(), &|i, j| fmt_pct(c.col_percents[i][j], lang), false);
    if let Some(t) = &c.test {
        let line = test_line(t, lang);
        if t.not_valid.is_some() {
            let _ = writeln!(s, "{line}\n");
        } else if t.significant {
            let _ = writeln!(s, "**{line}** \\*\n");
        } else {
            let _ = writeln!(s, "{line}.\n");
        }
    }
    for n in &c.notes {
        let _ = writeln!(s, "- {}", esc(&n.text));
    }
    if !c.notes.is_empty() {
        s.push('\n');
    }
    let _ = r;
}

fn fieldwork(s: &mut String, r: &Report, w: &W) {
    let lang = w.lang;
    let f = &r.fieldwork;
    let _ = writeln!(s, "## {}\n", w.fieldwork());
    if let (Some(a), Some(b)) = (&f.first_started, &f.last_started) {
        let _ = writeln!(s, "{}: {} – {}.\n", w.period(), date(a, lang), date(b, lang));
    }
    let groups: Vec<String> = f.instruments.iter().map(|g| esc(&g.label)).collect();
    if let Some(d) = &f.districts {
        let _ = writeln!(s, "### {}\n", w.by_district());
        let _ = writeln!(s, "| {} | {} | {} |", w.district(), groups.join(" | "), w.total());
        let _ = writeln!(s, "|---|{}--:|", "--:|".repeat(groups.len()));
        let quota = d.target_totals.is_some();
        let cell = |n: u64, t: Option<u64>| quota_cell(n, t, quota, lang);
        for row in &d.rows {
            let cells: Vec<String> = row
                .counts
                .iter()
                .enumerate()
                .map(|(i, &n)| cell(n, row.targets.as_ref().and_then(|t| t[i])))
                .collect();
            let (sum, tsum) = row_total(row);
            let _ = writeln!(
                s,
                "| {} | {} | {} |",
                esc(&row.label),
                cells.join(" | "),
                cell(sum, tsum)
            );
        }
        let tot: Vec<String> = d
            .totals
            .iter()
            .enumerate()
            .map(|(i, &n)| cell(n, d.target_totals.as_ref().map(|t| t[i])))
            .collect();
        let all: u64 = d.totals.iter().sum();
        let _ = writeln!(
            s,
            "| **{}** | {} | {} |\n",
            w.total(),
            tot.join(" | "),
            cell(all, d.target_totals.as_ref().map(|t| t.iter().sum()))
        );
        let _ = writeln!(s, "{}", w.covered(d.covered, d.of));
        if d.target_totals.is_some() {
            let _ = writeln!(s, "{}", w.quota_legend());
        }
        s.push('\n');
    }
    if !f.interviewers.is_empty() {
        let _ = writeln!(s, "### {}\n", w.by_interviewer());
        let merge = f.merge.is_some();
        let _ = write!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            w.interviewer(),
            groups.join(" | "),
            w.total(),
            w.median_minutes(),
            w.speeders(),
            w.in_progress()
        );
        if merge {
            let _ = write!(s, " {} | {} |", w.left_out(), w.conflicts());
        }
        s.push('\n');
        let _ = writeln!(
            s,
            "|---|{}--:|--:|--:|--:|{}",
            "--:|".repeat(groups.len()),
            if merge { "--:|--:|" } else { "" }
        );
        for it in &f.interviewers {
            let cells = interviewer_cells(it, merge, lang);
            let _ = writeln!(s, "| {} | {} |", esc(&it.code), cells.join(" | "));
        }
        s.push('\n');
        let _ = writeln!(s, "{}\n", esc(&speeder_legend(f, w)));
    }
    if f.in_progress > 0 {
        let _ = writeln!(s, "{}\n", w.in_progress_line(f.in_progress));
    }
    if let Some(m) = &f.merge {
        let _ = writeln!(s, "{}\n", esc(&w.merge_line(m)));
    }
    for n in &f.notes {
        let _ = writeln!(s, "- {}", esc(&n.text));
    }
    if !f.notes.is_empty() {
        s.push('\n');
    }
}
