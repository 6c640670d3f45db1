//! The HTML report's charts: a horizontal bar chart (inline SVG) of each choice question, one
//! bar per group and answer on a 0–100 % scale.

use super::escape::esc;
use crate::i18n::Lang;
use crate::report::fmt::fmt_pct;
use crate::report::model::{QuestionTable, Report, Row};
use std::fmt::Write;

/// Charts are drawn for at most this many groups (wider comparisons stay tables only).
const CHART_MAX_GROUPS: usize = 8;

/// Charts are drawn for questions with at most this many answers (a list of 32 districts reads
/// better as the table alone).
const CHART_MAX_ROWS: usize = 16;

/// Colours of the groups (Okabe–Ito palette, readable by colour-blind readers and in grey).
const COLORS: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000",
];

/// Splits a label into lines of at most `width` characters (at spaces), at most `max` lines.
fn wrap(label: &str, width: usize, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in label.split_whitespace() {
        let len = cur.chars().count();
        if len > 0 && len + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    if lines.len() > max {
        lines.truncate(max);
        let last = &mut lines[max - 1];
        let keep: String = last.chars().take(width.saturating_sub(1)).collect();
        *last = format!("{keep}…");
    }
    for l in &mut lines {
        if l.chars().count() > width {
            let keep: String = l.chars().take(width - 1).collect();
            *l = format!("{keep}…");
        }
    }
    lines
}

/// A horizontal bar chart of a choice question: one bar per group and answer, on a 0–100 %
/// scale (the same in every chart, so charts compare).
pub(super) fn chart(s: &mut String, r: &Report, t: &QuestionTable, lang: Lang) {
    let g = r.groups.len();
    if g == 0 || g > CHART_MAX_GROUPS {
        return;
    }
    let rows: Vec<&Row> = t.rows.iter().filter(|x| !x.excluded).collect();
    if rows.is_empty() || rows.len() > CHART_MAX_ROWS {
        return;
    }
    const WIDTH: f64 = 760.0;
    const LABEL_W: f64 = 290.0;
    const X0: f64 = 300.0;
    const BAR_W: f64 = 400.0;
    const BAR_H: f64 = 11.0;
    const BAR_GAP: f64 = 2.0;
    const LINE_H: f64 = 13.0;
    const PAD: f64 = 7.0;
    let legend_h = if g > 1 { 22.0 } else { 4.0 };
    let mut body = String::new();
    let mut y = legend_h;
    for row in &rows {
        let lines = wrap(&row.label, (LABEL_W / 6.3) as usize, 3);
        let bars_h = g as f64 * (BAR_H + BAR_GAP) - BAR_GAP;
        let h = (lines.len() as f64 * LINE_H).max(bars_h);
        let label_top = y + (h - lines.len() as f64 * LINE_H) / 2.0 + LINE_H - 3.0;
        let _ = write!(
            body,
            "<text x=\"{LABEL_W}\" y=\"{label_top:.1}\" text-anchor=\"end\" font-size=\"11\" fill=\"#1b1b1b\">"
        );
        for (i, l) in lines.iter().enumerate() {
            let _ = write!(
                body,
                "<tspan x=\"{LABEL_W}\" dy=\"{}\">{}</tspan>",
                if i == 0 { 0.0 } else { LINE_H },
                esc(l)
            );
        }
        body.push_str("</text>");
        let bars_top = y + (h - bars_h) / 2.0;
        for (k, p) in row.percents.iter().enumerate() {
            let by = bars_top + k as f64 * (BAR_H + BAR_GAP);
            match p {
                Some(p) => {
                    let wdt = (p.clamp(0.0, 100.0) / 100.0 * BAR_W).max(if *p > 0.0 { 1.0 } else { 0.0 });
                    let _ = write!(
                        body,
                        "<rect x=\"{X0}\" y=\"{by:.1}\" width=\"{wdt:.1}\" height=\"{BAR_H}\" fill=\"{}\"><title>{}: {}</title></rect>\
                         <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#333\">{}</text>",
                        COLORS[k % COLORS.len()],
                        esc(&r.groups[k].label),
                        fmt_pct(Some(*p), lang),
                        X0 + wdt + 4.0,
                        by + BAR_H - 2.0,
                        fmt_pct(Some(*p), lang)
                    );
                }
                None => {
                    let _ = write!(
                        body,
                        "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#999\">—</text>",
                        X0 + 2.0,
                        by + BAR_H - 2.0
                    );
                }
            }
        }
        y += h + PAD;
    }
    let axis_y = y;
    let height = axis_y + 18.0;
    let _ = write!(
        s,
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {height:.0}\" width=\"{WIDTH}\" height=\"{height:.0}\" role=\"img\" aria-label=\"{}\">",
        esc(&format!("{} {}", t.variable, t.text))
    );
    // Grid and axis.
    for k in 0..=4 {
        let x = X0 + BAR_W * k as f64 / 4.0;
        let _ = write!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{:.1}\" x2=\"{x:.1}\" y2=\"{axis_y:.1}\" stroke=\"{}\" stroke-width=\"1\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"10\" fill=\"#5b6068\" text-anchor=\"middle\">{}%</text>",
            legend_h - 2.0,
            if k == 0 { "#9aa0a6" } else { "#e3e6ea" },
            axis_y + 13.0,
            k * 25
        );
    }
    if g > 1 {
        let mut x = X0;
        for (k, grp) in r.groups.iter().enumerate() {
            let _ = write!(
                s,
                "<rect x=\"{x:.1}\" y=\"4\" width=\"10\" height=\"10\" fill=\"{}\"/><text x=\"{:.1}\" y=\"13\" font-size=\"11\" fill=\"#1b1b1b\">{}</text>",
                COLORS[k % COLORS.len()],
                x + 14.0,
                esc(&grp.label)
            );
            x += 24.0 + grp.label.chars().count() as f64 * 6.5;
        }
    }
    s.push_str(&body);
    s.push_str("</svg>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_wrap_at_spaces_and_are_cut_with_an_ellipsis() {
        assert_eq!(wrap("один два три", 8, 3), vec!["один два", "три"]);
        let w = wrap("слово слово слово слово слово", 6, 2);
        assert_eq!(w.len(), 2);
        assert!(w[1].ends_with('…'));
        assert_eq!(wrap("очень-длинное-слово", 5, 2), vec!["очен…"]);
    }
}
