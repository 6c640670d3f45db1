//! HTML: one self-contained file (inline CSS, inline SVG bar charts, no JavaScript, no fonts or
//! images fetched from anywhere) that reads well on screen and prints on A4. Every text from the
//! data or the questionnaire is escaped.

mod chart;
mod escape;

use self::chart::chart;
use self::escape::{anchor, esc};
use super::fmt::{fmt_dec, fmt_int, fmt_num, fmt_p, fmt_pct};
use super::model::{CrossTab, QuestionTable, Report, RosterCounts, Texts};
use super::render::{
    date, folded_texts, interviewer_cells, interviews_line, lang_of, quota_cell, row_total, speeder_legend, test_line,
};
use super::words::W;
use std::fmt::Write;

const CSS: &str = r#"
:root { --fg: #1b1b1b; --muted: #5b6068; --line: #d5d9de; --sig: #fff3c4; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff; font: 15px/1.45 "PT Sans", "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
header, nav, main, footer { max-width: 980px; margin: 0 auto; padding: 0 24px; }
h1 { font-size: 26px; line-height: 1.25; margin: 28px 0 10px; }
h2 { font-size: 21px; margin: 40px 0 8px; padding-bottom: 4px; border-bottom: 2px solid var(--fg); }
h3 { font-size: 16px; margin: 26px 0 2px; }
h3 .no { color: var(--muted); font-weight: normal; }
h4 { font-size: 14px; margin: 10px 0 2px; }
code { font: 0.85em "DejaVu Sans Mono", Consolas, monospace; color: var(--muted); }
ul.meta { padding-left: 18px; margin: 0 0 8px; }
ul.meta li { margin: 2px 0; }
.notice { border-left: 4px solid #c9a700; background: #fffbe8; padding: 6px 10px; margin: 8px 0; }
nav.toc ol { columns: 2; column-gap: 32px; padding-left: 20px; margin: 4px 0; font-size: 14px; }
nav.toc a { color: inherit; }
table.t { border-collapse: collapse; width: 100%; margin: 8px 0 4px; font-variant-numeric: tabular-nums; }
table.t th, table.t td { padding: 3px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
table.t .n { text-align: right; white-space: nowrap; width: 1%; }
table.t thead th.n { white-space: normal; min-width: 4.5em; }
table.t thead th { border-bottom: 2px solid var(--fg); font-weight: 600; }
table.t tfoot th, table.t tfoot td { border-top: 2px solid var(--fg); border-bottom: none; font-style: italic; }
table.t tr.excl td { color: var(--muted); }
table.t tr.sig td:first-child { font-weight: 700; }
table.t td.sig { font-weight: 700; background: var(--sig); }
p.kind { margin: 0; color: var(--muted); font-size: 13px; }
p.test { margin: 6px 0; }
p.test.sig { background: var(--sig); padding: 2px 8px; display: inline-block; font-weight: 600; }
p.foot, ul.notes { color: var(--muted); font-size: 13px; margin: 4px 0; }
ul.notes { padding-left: 18px; }
ul.texts { margin: 2px 0 6px; padding-left: 20px; font-size: 14px; }
ul.texts .g { color: var(--muted); font-size: 12px; margin-right: 4px; }
ul.texts .x { color: var(--muted); font-size: 12px; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 6px 0 2px; }
svg.chart text { font-family: "PT Sans", "Segoe UI", Roboto, Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
article.q { break-inside: avoid; page-break-inside: avoid; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; padding-bottom: 30px; }
@page { size: A4; margin: 15mm 13mm; }
@media print {
  body { font-size: 10pt; }
  header, nav, main, footer { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2 { break-after: avoid; page-break-after: avoid; }
  h3 { break-after: avoid; page-break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  table.t td.sig, p.test.sig { outline: 1px solid #c9a700; }
}
"#;

/// Renders the report as one HTML page.
pub fn render(r: &Report) -> String {
    let lang = lang_of(r);
    let w = W::new(lang);
    let mut s = String::with_capacity(256 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{}\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"anketa report\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        r.lang,
        esc(&r.title)
    );
    header(&mut s, r, &w);
    toc(&mut s, r, &w);
    s.push_str("<main>\n");
    for sec in &r.sections {
        let _ = writeln!(
            s,
            "<section id=\"{}\">\n<h2>{}</h2>",
            anchor("s", &sec.block),
            esc(&sec.title)
        );
        for t in &sec.questions {
            question(&mut s, r, t, &w);
        }
        s.push_str("</section>\n");
    }
    if !r.rosters.is_empty() {
        let _ = writeln!(s, "<section id=\"rosters\">\n<h2>{}</h2>", w.rosters_heading());
        for x in &r.rosters {
            roster_counts(&mut s, r, x, &w);
        }
        let _ = writeln!(s, "<p class=\"foot\">{}</p>\n</section>", esc(w.roster_counts_legend()));
    }
    if let Some(c) = &r.cross {
        cross(&mut s, c, &w);
    }
    fieldwork(&mut s, r, &w);
    let _ = writeln!(s, "<section id=\"method\">\n<h2>{}</h2>\n<ul>", w.method_heading());
    for m in w.method_notes() {
        let _ = writeln!(s, "<li>{}</li>", esc(m));
    }
    s.push_str("</ul>\n</section>\n</main>\n");
    let _ = writeln!(
        s,
        "<footer>anketa report · {} · {}</footer>\n</body>\n</html>",
        esc(&r.input.path),
        r.format
    );
    s
}

fn header(s: &mut String, r: &Report, w: &W) {
    let lang = w.lang;
    let _ = writeln!(s, "<header>\n<h1>{}</h1>\n<ul class=\"meta\">", esc(&r.title));
    let _ = writeln!(
        s,
        "<li>{}: <code>{}</code> ({}); {}</li>",
        w.data(),
        esc(&r.input.path),
        w.input_kind(&r.input.kind),
        interviews_line(r, w, esc)
    );
    let groups: Vec<String> = r.groups.iter().map(|g| esc(&g.label)).collect();
    let _ = writeln!(
        s,
        "<li>{}: {}</li>",
        esc(&w.groups_by(&r.options.by)),
        groups.join(", ")
    );
    if let Some(f) = &r.options.filter {
        let _ = writeln!(
            s,
            "<li>{}: <code>{}</code> — {}: {}</li>",
            w.filter(),
            esc(f),
            w.matched(),
            fmt_int(r.options.matched, lang)
        );
    }
    if let (Some(a), Some(b)) = (&r.fieldwork.first_started, &r.fieldwork.last_started) {
        let _ = writeln!(s, "<li>{}: {} – {}</li>", w.period(), date(a, lang), date(b, lang));
    }
    let _ = writeln!(
        s,
        "<li>{}</li>",
        esc(&w.alpha_line(r.options.alpha, r.options.exclude_missing))
    );
    if let Some(m) = r.input.merge.as_ref().filter(|m| m.sealed > 0) {
        let _ = writeln!(s, "<li><strong>{}</strong></li>", esc(&w.sealed_line(m.sealed)));
    }
    if r.input.rejected > 0 {
        let _ = writeln!(s, "<li>{}<ul>", esc(&w.rejected_line(r.input.rejected)));
        for e in &r.input.rejected_examples {
            let _ = writeln!(s, "<li><code>{}</code>: {}</li>", esc(&e.path), esc(&e.reason));
        }
        s.push_str("</ul></li>\n");
    }
    s.push_str("</ul>\n");
    for n in &r.notes {
        let _ = writeln!(s, "<p class=\"notice\">{}</p>", esc(&n.text));
    }
    s.push_str("</header>\n");
}

fn toc(s: &mut String, r: &Report, w: &W) {
    let _ = writeln!(s, "<nav class=\"toc\">\n<h2>{}</h2>\n<ol>", w.contents());
    for sec in &r.sections {
        let _ = writeln!(
            s,
            "<li><a href=\"#{}\">{}</a></li>",
            anchor("s", &sec.block),
            esc(&sec.title)
        );
    }
    if !r.rosters.is_empty() {
        let _ = writeln!(s, "<li><a href=\"#rosters\">{}</a></li>", w.rosters_heading());
    }
    if r.cross.is_some() {
        let _ = writeln!(s, "<li><a href=\"#cross\">{}</a></li>", w.cross_heading());
    }
    let _ = writeln!(s, "<li><a href=\"#fieldwork\">{}</a></li>", w.fieldwork());
    let _ = writeln!(
        s,
        "<li><a href=\"#method\">{}</a></li>\n</ol>\n</nav>",
        w.method_heading()
    );
}

fn question(s: &mut String, r: &Report, t: &QuestionTable, w: &W) {
    let _ = writeln!(
        s,
        "<article class=\"q\" id=\"{}\">\n<h3><span class=\"no\">{} {}.</span> {} <code>{}</code></h3>\n<p class=\"kind\">{}</p>",
        anchor("q", &t.variable),
        w.table(),
        t.number,
        esc(&t.text),
        esc(&t.variable),
        match &t.roster {
            Some(x) => format!("{} {}", w.kind_hint(t.kind), esc(&w.roster_hint(&x.id))),
            None => w.kind_hint(t.kind).to_string(),
        }
    );
    let answered: u64 = t.bases.iter().map(|b| b.answered).sum();
    let heads: String = r
        .groups
        .iter()
        .map(|g| format!("<th class=\"n\">{}</th>", esc(&g.label)))
        .collect();
    if answered > 0 && (t.kind == "single" || t.kind == "multi") {
        choice_table(s, r, t, w, &heads);
    }
    if answered > 0 && t.kind == "number" {
        number_table(s, t, w, &heads);
    }
    if answered > 0 && t.kind == "date" {
        date_table(s, t, w, &heads);
    }
    if !t.notes.is_empty() {
        s.push_str("<ul class=\"notes\">\n");
        for n in &t.notes {
            let _ = writeln!(s, "<li>{}</li>", esc(&n.text));
        }
        s.push_str("</ul>\n");
    }
    texts(s, &t.texts, w);
    s.push_str("</article>\n");
}

/// The table of a choice question: percentages per group, the base, the tests, the chart.
fn choice_table(s: &mut String, r: &Report, t: &QuestionTable, w: &W, heads: &str) {
    let lang = w.lang;
    let multi = t.kind == "multi";
    let tests = multi && t.rows.iter().any(|x| x.test.is_some());
    let _ = write!(s, "<table class=\"t\">\n<thead><tr><th>{}</th>{heads}", w.answer());
    if tests {
        let _ = write!(s, "<th class=\"n\">χ²</th><th class=\"n\">p</th><th class=\"n\">V</th>");
    }
    s.push_str("</tr></thead>\n<tbody>\n");
    for row in t.rows.iter().filter(|x| !x.excluded) {
        let sig = row.test.as_ref().is_some_and(|x| x.significant);
        let _ = write!(
            s,
            "<tr{}><td>{}</td>",
            if sig { " class=\"sig\"" } else { "" },
            esc(&row.label)
        );
        for p in &row.percents {
            let _ = write!(s, "<td class=\"n\">{}</td>", fmt_pct(*p, lang));
        }
        if tests {
            match &row.test {
                Some(x) if x.not_valid.is_none() => {
                    let c = x.chi2.as_ref();
                    let p = x.p.map_or("—".into(), |p| fmt_p(p, lang));
                    let f = if x.fisher.is_some() { "&nbsp;F" } else { "" };
                    let _ = write!(
                        s,
                        "<td class=\"n\">{}</td><td class=\"n{}\">{}{f}{}</td><td class=\"n\">{}</td>",
                        c.map_or("—".into(), |c| fmt_dec(c.statistic, 2, lang)),
                        if x.significant { " sig" } else { "" },
                        esc(&p),
                        if x.significant { "*" } else { "" },
                        c.map_or("—".into(), |c| fmt_dec(c.cramers_v, 2, lang))
                    );
                }
                Some(x) => {
                    let why = esc(x.not_valid.map_or("", |n| n.describe(lang == crate::i18n::Lang::Ru)));
                    for _ in 0..3 {
                        let _ = write!(s, "<td class=\"n\" title=\"{why}\">—</td>");
                    }
                }
                None => s.push_str("<td class=\"n\">—</td><td class=\"n\">—</td><td class=\"n\">—</td>"),
            }
        }
        s.push_str("</tr>\n");
    }
    for row in t.rows.iter().filter(|x| x.excluded) {
        let _ = write!(
            s,
            "<tr class=\"excl\"><td>{} ({})</td>",
            esc(&row.label),
            w.excluded_mark()
        );
        for c in &row.counts {
            let _ = write!(s, "<td class=\"n\">{}</td>", fmt_int(*c, lang));
        }
        if tests {
            s.push_str("<td colspan=\"3\"></td>");
        }
        s.push_str("</tr>\n");
    }
    let _ = write!(s, "</tbody>\n<tfoot><tr><th>{}</th>", w.base_row());
    for b in &t.bases {
        let _ = write!(s, "<td class=\"n\">{}</td>", fmt_int(b.n, lang));
    }
    if tests {
        s.push_str("<td colspan=\"3\"></td>");
    }
    s.push_str("</tr></tfoot>\n</table>\n");
    chart(s, r, t, lang);
    if let Some(x) = &t.test {
        let line = test_line(x, lang);
        // A roster's test without the cluster correction is only indicative.
        let caveat = match &t.roster {
            Some(_) if x.rao_scott.is_none() => format!(" ({})", w.clustered_mark()),
            _ => String::new(),
        };
        if x.not_valid.is_some() {
            let _ = writeln!(s, "<p class=\"test\">{}</p>", esc(&line));
        } else if x.significant {
            let _ = writeln!(
                s,
                "<p class=\"test sig\">{} — {}{} *</p>",
                esc(&line),
                esc(&w.significant(r.options.alpha)),
                esc(&caveat)
            );
        } else {
            let _ = writeln!(
                s,
                "<p class=\"test\">{} — {}{}.</p>",
                esc(&line),
                esc(&w.not_significant(r.options.alpha)),
                esc(&caveat)
            );
        }
    }
    let mut foot = vec![if multi { w.multi_footnote() } else { w.single_footnote() }.to_string()];
    if tests {
        foot.push(w.multi_legend(r.options.alpha));
    }
    if t.rows
        .iter()
        .any(|x| !x.excluded && x.percents.iter().zip(&t.bases).any(|(p, b)| p.is_none() && b.n > 0))
    {
        foot.push(w.not_offered().to_string());
    }
    let _ = writeln!(s, "<p class=\"foot\">{}</p>", esc(&foot.join(" ")));
}

/// The statistics of a number question per group.
fn number_table(s: &mut String, t: &QuestionTable, w: &W, heads: &str) {
    let lang = w.lang;
    let _ = writeln!(
        s,
        "<table class=\"t\">\n<thead><tr><th>{}</th>{heads}</tr></thead>\n<tbody>",
        w.stat()
    );
    let opt = |x: Option<f64>| x.map_or("—".into(), |v| fmt_num(v, lang));
    let rows: [(&str, Vec<String>); 5] = [
        (w.answers_n(), t.numbers.iter().map(|n| fmt_int(n.n, lang)).collect()),
        (
            w.mean(),
            t.numbers
                .iter()
                .map(|n| n.mean.map_or("—".into(), |v| fmt_dec(v, 1, lang)))
                .collect(),
        ),
        (w.median(), t.numbers.iter().map(|n| opt(n.median)).collect()),
        (w.min(), t.numbers.iter().map(|n| opt(n.min)).collect()),
        (w.max(), t.numbers.iter().map(|n| opt(n.max)).collect()),
    ];
    for (name, cells) in rows {
        let _ = write!(s, "<tr><td>{name}</td>");
        for c in cells {
            let _ = write!(s, "<td class=\"n\">{c}</td>");
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n");
}

/// The statistics of a date question per group.
fn date_table(s: &mut String, t: &QuestionTable, w: &W, heads: &str) {
    let lang = w.lang;
    let _ = writeln!(
        s,
        "<table class=\"t\">\n<thead><tr><th>{}</th>{heads}</tr></thead>\n<tbody>",
        w.stat()
    );
    let d = |x: &Option<String>| x.clone().unwrap_or_else(|| "—".into());
    let rows: [(&str, Vec<String>); 4] = [
        (w.answers_n(), t.dates.iter().map(|x| fmt_int(x.n, lang)).collect()),
        (w.min(), t.dates.iter().map(|x| d(&x.min)).collect()),
        (w.median(), t.dates.iter().map(|x| d(&x.median)).collect()),
        (w.max(), t.dates.iter().map(|x| d(&x.max)).collect()),
    ];
    for (name, cells) in rows {
        let _ = write!(s, "<tr><td>{name}</td>");
        for c in cells {
            let _ = write!(s, "<td class=\"n\">{}</td>", esc(&c));
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n");
}

/// How many instances of a roster the interviews (or parent instances) of each group have.
fn roster_counts(s: &mut String, r: &Report, x: &RosterCounts, w: &W) {
    let lang = w.lang;
    let ro = &x.roster;
    let parent = ro.parent.as_deref();
    let _ = writeln!(
        s,
        "<article class=\"q\" id=\"{}\">\n<h3>{}</h3>",
        anchor("r", &ro.id),
        esc(&w.roster_counts_title(&ro.title, &ro.id, parent))
    );
    let heads: String = r
        .groups
        .iter()
        .map(|g| format!("<th class=\"n\">{}</th>", esc(&g.label)))
        .collect();
    let _ = writeln!(
        s,
        "<table class=\"t\">\n<thead><tr><th>{}</th>{heads}</tr></thead>\n<tbody>",
        w.stat()
    );
    let opt = |v: Option<f64>| v.map_or("—".into(), |v| fmt_num(v, lang));
    let rows: [(String, Vec<String>); 6] = [
        (
            w.roster_units(parent),
            x.counts.iter().map(|c| fmt_int(c.n, lang)).collect(),
        ),
        (
            w.roster_zero().into(),
            x.counts.iter().map(|c| fmt_int(c.zero, lang)).collect(),
        ),
        (
            w.roster_total().into(),
            x.counts.iter().map(|c| fmt_int(c.instances, lang)).collect(),
        ),
        (
            w.mean().into(),
            x.counts
                .iter()
                .map(|c| c.mean.map_or("—".into(), |v| fmt_dec(v, 1, lang)))
                .collect(),
        ),
        (w.median().into(), x.counts.iter().map(|c| opt(c.median)).collect()),
        (
            w.max().into(),
            x.counts
                .iter()
                .map(|c| c.max.map_or("—".into(), |v| fmt_int(v, lang)))
                .collect(),
        ),
    ];
    for (name, cells) in rows {
        let _ = write!(s, "<tr><td>{}</td>", esc(&name));
        for c in cells {
            let _ = write!(s, "<td class=\"n\">{c}</td>");
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody>\n</table>\n</article>\n");
}

fn texts(s: &mut String, t: &Texts, w: &W) {
    for kind in ["answer", "other", "remark"] {
        let items = folded_texts(t, kind);
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(s, "<h4>{}</h4>\n<ul class=\"texts\">", w.texts_heading(kind));
        for (g, text, n) in items {
            let times = if n > 1 {
                format!(" <span class=\"x\">×{n}</span>")
            } else {
                String::new()
            };
            let _ = writeln!(s, "<li><span class=\"g\">{}</span>{}{times}</li>", esc(g), esc(text));
        }
        s.push_str("</ul>\n");
    }
    if (t.items.len() as u64) < t.total {
        let _ = writeln!(
            s,
            "<p class=\"foot\">{}</p>",
            esc(&w.texts_shown(t.items.len(), t.total))
        );
    }
}

fn cross(s: &mut String, c: &CrossTab, w: &W) {
    let lang = w.lang;
    let _ = writeln!(
        s,
        "<section id=\"cross\">\n<h2>{}: <code>{}</code> × <code>{}</code></h2>\n<p class=\"kind\">{}</p>",
        w.cross_heading(),
        esc(&c.rows_var),
        esc(&c.cols_var),
        esc(&w.rows_and_cols(&c.rows_var, &c.rows_text, &c.cols_var, &c.cols_text))
    );
    let heads: String = c
        .col_labels
        .iter()
        .map(|(_, l)| format!("<th class=\"n\">{}</th>", esc(l)))
        .collect();
    let table = |s: &mut String, title: &str, cell: &dyn Fn(usize, usize) -> String, totals: bool| {
        let _ = writeln!(
            s,
            "<h4>{title}</h4>\n<table class=\"t\">\n<thead><tr><th></th>{heads}{}</tr></thead>\n<tbody>",
            if totals {
                format!("<th class=\"n\">{}</th>", w.total())
            } else {
                String::new()
            }
        );
        for (i, (_, l)) in c.row_labels.iter().enumerate() {
            let _ = write!(s, "<tr><td>{}</td>", esc(l));
            for j in 0..c.col_labels.len() {
                let _ = write!(s, "<td class=\"n\">{}</td>", cell(i, j));
            }
            if totals {
                let _ = write!(s, "<td class=\"n\">{}</td>", fmt_int(c.row_totals[i], lang));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody>\n");
        if totals {
            let _ = write!(s, "<tfoot><tr><th>{}</th>", w.total());
            for t in &c.col_totals {
                let _ = write!(s, "<td class=\"n\">{}</td>", fmt_int(*t, lang));
            }
            let _ = write!(s, "<td class=\"n\">{}</td></tr></tfoot>", fmt_int(c.n, lang));
        }
        s.push_str("</table>\n");
    };
    table(s, w.counts(), &|i, j| fmt_int(c.counts[i][j], lang), true);
    table(s, w.row_pct(), &|i, j| fmt_pct(c.row_percents[i][j], lang), false);
    table(s, w.col_pct(), &|i, j| fmt_pct(c.col_percents[i][j], lang), false);
    if let Some(t) = &c.test {
        let line = test_line(t, lang);
        let _ = writeln!(
            s,
            "<p class=\"test{}\">{}{}</p>",
            if t.significant { " sig" } else { "" },
            esc(&line),
            if t.significant { " *" } else { "" }
        );
    }
    if !c.notes.is_empty() {
        s.push_str("<ul class=\"notes\">\n");
        for n in &c.notes {
            let _ = writeln!(s, "<li>{}</li>", esc(&n.text));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</section>\n");
}

fn fieldwork(s: &mut String, r: &Report, w: &W) {
    let lang = w.lang;
    let f = &r.fieldwork;
    let _ = writeln!(s, "<section id=\"fieldwork\">\n<h2>{}</h2>", w.fieldwork());
    if let (Some(a), Some(b)) = (&f.first_started, &f.last_started) {
        let _ = writeln!(s, "<p>{}: {} – {}.</p>", w.period(), date(a, lang), date(b, lang));
    }
    let heads: String = f
        .instruments
        .iter()
        .map(|g| format!("<th class=\"n\">{}</th>", esc(&g.label)))
        .collect();
    if let Some(d) = &f.districts {
        let quota = d.target_totals.is_some();
        let cell = |n: u64, t: Option<u64>| quota_cell(n, t, quota, lang);
        let _ = writeln!(
            s,
            "<h3>{}</h3>\n<table class=\"t\">\n<thead><tr><th>{}</th>{heads}<th class=\"n\">{}</th></tr></thead>\n<tbody>",
            w.by_district(),
            w.district(),
            w.total()
        );
        for row in &d.rows {
            let _ = write!(s, "<tr><td>{}</td>", esc(&row.label));
            for (i, &n) in row.counts.iter().enumerate() {
                let t = row.targets.as_ref().and_then(|t| t[i]);
                let short = t.is_some_and(|t| n < t);
                let _ = write!(
                    s,
                    "<td class=\"n{}\">{}</td>",
                    if short { " sig" } else { "" },
                    cell(n, t)
                );
            }
            let (sum, tsum) = row_total(row);
            let _ = writeln!(s, "<td class=\"n\">{}</td></tr>", cell(sum, tsum));
        }
        let _ = write!(s, "</tbody>\n<tfoot><tr><th>{}</th>", w.total());
        for (i, &n) in d.totals.iter().enumerate() {
            let _ = write!(
                s,
                "<td class=\"n\">{}</td>",
                cell(n, d.target_totals.as_ref().map(|t| t[i]))
            );
        }
        let all: u64 = d.totals.iter().sum();
        let _ = writeln!(
            s,
            "<td class=\"n\">{}</td></tr></tfoot>\n</table>",
            cell(all, d.target_totals.as_ref().map(|t| t.iter().sum()))
        );
        let mut foot = w.covered(d.covered, d.of);
        if quota {
            foot.push(' ');
            foot.push_str(w.quota_legend());
        }
        let _ = writeln!(s, "<p class=\"foot\">{}</p>", esc(&foot));
    }
    if !f.interviewers.is_empty() {
        let merge = f.merge.is_some();
        let _ = write!(
            s,
            "<h3>{}</h3>\n<table class=\"t\">\n<thead><tr><th>{}</th>{heads}<th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th><th class=\"n\">{}</th>",
            w.by_interviewer(),
            w.interviewer(),
            w.total(),
            w.median_minutes(),
            w.speeders(),
            w.in_progress()
        );
        if merge {
            let _ = write!(
                s,
                "<th class=\"n\">{}</th><th class=\"n\">{}</th>",
                w.left_out(),
                w.conflicts()
            );
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        let speeders_at = f.instruments.len() + 2;
        for it in &f.interviewers {
            let _ = write!(s, "<tr><td>{}</td>", esc(&it.code));
            for (i, cell) in interviewer_cells(it, merge, lang).iter().enumerate() {
                let sig = i == speeders_at && it.speeders > 0;
                let _ = write!(s, "<td class=\"n{}\">{cell}</td>", if sig { " sig" } else { "" });
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody>\n</table>\n");
        let _ = writeln!(s, "<p class=\"foot\">{}</p>", esc(&speeder_legend(f, w)));
    }
    if f.in_progress > 0 {
        let _ = writeln!(s, "<p>{}</p>", esc(&w.in_progress_line(f.in_progress)));
    }
    if let Some(m) = &f.merge {
        let _ = writeln!(s, "<p>{}</p>", esc(&w.merge_line(m)));
    }
    if !f.notes.is_empty() {
        s.push_str("<ul class=\"notes\">\n");
        for n in &f.notes {
            let _ = writeln!(s, "<li>{}</li>", esc(&n.text));
        }
        s.push_str("</ul>\n");
    }
    s.push_str("</section>\n");
}
