//! What the renderers share: the report's language, a test in one line, texts folded for
//! reading, dates for people, the cells of the fieldwork tables.

use super::fmt::{fmt_dec, fmt_int, fmt_p, fmt_pct};
use super::model::{DistrictRow, Fieldwork, InterviewerRow, Report, Test, Texts};
use super::words::W;
use crate::i18n::Lang;
use std::collections::HashMap;

/// The test of a table in one line: `χ² = 30,07; df = 2; p < 0,001; V Крамера = 0,10`.
pub(crate) fn test_line(t: &Test, lang: Lang) -> String {
    let w = W::new(lang);
    if let Some(nv) = t.not_valid {
        return w.not_valid(nv.describe(lang == Lang::Ru));
    }
    let mut parts = Vec::new();
    if let (Some(c), Some(rs)) = (&t.chi2, &t.rao_scott) {
        // `χ² = 30,07; с поправкой Рао — Скотта (D = 1,84): χ² = 16,34; df = 2; p < 0,001`
        parts.push(format!("χ² = {}", fmt_dec(c.statistic, 2, lang)));
        parts.push(format!(
            "{} (D = {}): χ² = {}",
            w.rao_scott_label(),
            fmt_dec(rs.design_effect, 2, lang),
            fmt_dec(rs.statistic, 2, lang)
        ));
        parts.push(format!("df = {}", c.df));
        parts.push(format!("p {}", p_eq(rs.p, lang)));
    } else if let Some(c) = &t.chi2 {
        parts.push(format!("χ² = {}", fmt_dec(c.statistic, 2, lang)));
        parts.push(format!("df = {}", c.df));
        if t.fisher.is_none() {
            parts.push(format!("p {}", p_eq(c.p, lang)));
        }
    }
    if let Some(f) = &t.fisher {
        parts.push(format!("{}: p {}", w.fisher(), p_eq(f.p, lang)));
    }
    if let Some(c) = &t.chi2 {
        parts.push(format!("{} = {}", w.cramers_v(), fmt_dec(c.cramers_v, 2, lang)));
    }
    parts.join("; ")
}

/// `= 0,012` or `< 0,001`.
fn p_eq(p: f64, lang: Lang) -> String {
    let s = fmt_p(p, lang);
    if s.starts_with('<') { s } else { format!("= {s}") }
}

/// The language of a report.
pub(crate) fn lang_of(r: &Report) -> Lang {
    if r.lang == "en" { Lang::En } else { Lang::Ru }
}

/// Texts of one kind with identical ones folded: (group, text, how many), by group (in the
/// order of the groups), then most frequent first, then alphabetically.
pub(crate) fn folded_texts<'a>(t: &'a Texts, kind: &str) -> Vec<(&'a str, &'a str, usize)> {
    let mut groups: Vec<&str> = Vec::new();
    let mut counts: HashMap<(&str, &str), usize> = HashMap::new();
    for it in t.items.iter().filter(|x| x.kind == kind) {
        if !groups.contains(&it.group.as_str()) {
            groups.push(&it.group);
        }
        *counts.entry((it.group.as_str(), it.text.as_str())).or_default() += 1;
    }
    let mut v: Vec<(&str, &str, usize)> = counts.into_iter().map(|((g, t), n)| (g, t, n)).collect();
    v.sort_by(|a, b| {
        let ga = groups.iter().position(|g| *g == a.0);
        let gb = groups.iter().position(|g| *g == b.0);
        ga.cmp(&gb).then(b.2.cmp(&a.2)).then(a.1.cmp(b.1))
    });
    v
}

/// `2020-12-15T09:00:00Z` → `15.12.2020` (ru) or `2020-12-15` (en).
pub(crate) fn date(ts: &str, lang: Lang) -> String {
    let d = ts.get(..10).unwrap_or(ts);
    match (lang, d.split('-').collect::<Vec<_>>().as_slice()) {
        (Lang::Ru, [y, m, dd]) => format!("{dd}.{m}.{y}"),
        _ => d.to_string(),
    }
}

/// A count of the district table, with its target when there is a quota: `12`, `12 / 15`,
/// `12 / —`.
pub(crate) fn quota_cell(n: u64, target: Option<u64>, quota: bool, lang: Lang) -> String {
    match (quota, target) {
        (false, _) => fmt_int(n, lang),
        (true, Some(t)) => format!("{} / {}", fmt_int(n, lang), fmt_int(t, lang)),
        (true, None) => format!("{} / —", fmt_int(n, lang)),
    }
}

/// A district's total and its total target (none when no target is set).
pub(crate) fn row_total(row: &DistrictRow) -> (u64, Option<u64>) {
    let target = row
        .targets
        .as_ref()
        .map(|t| t.iter().flatten().sum())
        .filter(|&x: &u64| x > 0);
    (row.counts.iter().sum(), target)
}

/// The cells of an interviewer's row after the code: interviews per instrument, total, median
/// minutes, speeders (count and share), in progress and, for merged data, left out and
/// conflicts.
pub(crate) fn interviewer_cells(it: &InterviewerRow, merge: bool, lang: Lang) -> Vec<String> {
    let mut cells: Vec<String> = it.interviews.iter().map(|n| fmt_int(*n, lang)).collect();
    cells.push(fmt_int(it.total, lang));
    cells.push(it.median_minutes.map_or("—".into(), |m| fmt_dec(m, 1, lang)));
    cells.push(match it.speeder_share {
        Some(sh) => format!("{} ({})", fmt_int(it.speeders, lang), fmt_pct(Some(sh * 100.0), lang)),
        None => "—".into(),
    });
    cells.push(fmt_int(it.in_progress, lang));
    if merge {
        cells.push(fmt_int(it.left_out_incomplete, lang));
        cells.push(fmt_int(it.conflicts, lang));
    }
    cells
}

/// The legend under the interviewer table: each instrument's median and speeder threshold.
pub(crate) fn speeder_legend(f: &Fieldwork, w: &W) -> String {
    let per: Vec<(String, Option<f64>, Option<f64>)> = f
        .instruments
        .iter()
        .enumerate()
        .map(|(i, g)| (g.label.clone(), f.median_minutes[i], f.speeder_minutes[i]))
        .collect();
    w.speeder_legend(&per)
}

/// `интервью: НКО 242, ОМСУ 106 (всего 348)`: the interviews per instrument and in all, the
/// labels escaped by the renderer's `esc`.
pub(crate) fn interviews_line(r: &Report, w: &W, esc: impl Fn(&str) -> String) -> String {
    let lang = w.lang;
    let per: Vec<String> = r
        .fieldwork
        .instruments
        .iter()
        .map(|g| format!("{} {}", esc(&g.label), fmt_int(g.interviews, lang)))
        .collect();
    let total: u64 = r.questionnaires.iter().map(|q| q.interviews).sum();
    format!(
        "{}: {} ({} {})",
        w.interviews().to_lowercase(),
        per.join(", "),
        w.total().to_lowercase(),
        fmt_int(total, lang)
    )
}
