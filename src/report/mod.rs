//! `anketa report`: the analytical note's tables, straight from merged interviews.
//!
//! The chain is [`Plan`] (the questions of every instrument matched by variable name and codes,
//! the groups, the `--where` filter, checked against the questionnaires before any data is read)
//! → [`Tally`] (counts aggregated while the records stream past, one tally per worker, merged at
//! the end; only counts, a few numbers per group, durations and a bounded list of texts are
//! kept, so memory does not grow with the number of interviews) → [`Report`] (every table with
//! its bases, percentages and tests, language-neutral numbers plus the notes in words) → one of
//! the renderers: [`md`], [`html`], [`json`], [`csv`].
//!
//! Pure: no file I/O and no terminal. The store reads the inputs and hands records to the tally;
//! `main` writes the rendered bytes. See `docs/report-format.md`.

pub mod csv;
pub mod fieldwork;
pub mod html;
pub mod json;
pub mod md;
pub mod stats;
pub mod tabulate;
mod words;

pub use fieldwork::{Quota, parse_quota};
pub use tabulate::{Plan, Tally};

use crate::i18n::Lang;
use serde::Serialize;

/// The format tag of the JSON report.
pub const FORMAT: &str = "anketa-report/1";

/// Texts (open answers, "specify" texts, remarks) kept per question; the rest are counted.
pub const MAX_TEXTS: usize = 200;

/// What the user asked for.
#[derive(Debug, Clone)]
pub struct Options {
    /// `--by VAR`: group by a single-choice variable instead of the instrument.
    pub by: Option<String>,
    /// `--where EXPR`: the filter, in the questionnaire expression language.
    pub filter: Option<String>,
    /// `--alpha`: significance level.
    pub alpha: f64,
    /// `--exclude-missing`: leave "don't know" / "refused" answers out of the bases and tests.
    pub exclude_missing: bool,
    /// `--cross A B`.
    pub cross: Option<(String, String)>,
    /// Language of the headings and notes (labels come in the questionnaire's language).
    pub lang: Lang,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            by: None,
            filter: None,
            alpha: 0.05,
            exclude_missing: false,
            cross: None,
            lang: Lang::Ru,
        }
    }
}

/// What the merge did, when the input is a merge output folder (from `merge-report.json`) or a
/// folder merged on the fly.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MergeInfo {
    /// `merge-report.json` (its path), or `merged on the fly`.
    pub source: String,
    /// Identical extra copies dropped.
    pub duplicates: usize,
    /// Interview ids with conflicting copies (one copy kept, the others set aside).
    pub conflict_ids: Vec<String>,
    /// Interviews left out as in progress: (questionnaire id, interviewer).
    pub incomplete: Vec<(String, String)>,
    /// Files or lines the merge rejected.
    pub rejected: usize,
}

/// Where the data came from, for the report's header.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InputInfo {
    /// The INPUT argument.
    pub path: String,
    /// `merge_output`, `ndjson` (a file) or `files` (a folder merged on the fly).
    pub kind: String,
    /// Interview records read.
    pub records: u64,
    /// Records that could not be used (unreadable, or not fitting their questionnaire).
    pub rejected: u64,
    /// The first rejected records, with the reason.
    pub rejected_examples: Vec<PathReason>,
    /// What the merge did, when known.
    pub merge: Option<MergeInfo>,
}

/// A path with a reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct PathReason {
    /// File, with `:line` for an NDJSON line.
    pub path: String,
    /// Why.
    pub reason: String,
}

/// The whole report: what every renderer prints. Deterministic: no run time, sorted lists.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Always [`FORMAT`].
    pub format: &'static str,
    /// Language of headings and notes (`ru`, `en`).
    pub lang: &'static str,
    /// Title: the common part of the questionnaire titles.
    pub title: String,
    /// The data.
    pub input: InputInfo,
    /// The options that shaped the tables.
    pub options: OptionsInfo,
    /// Questionnaires with interviews in the data.
    pub questionnaires: Vec<QuestionnaireInfo>,
    /// The groups compared (columns of every table), with their interviews after `--where`.
    pub groups: Vec<Group>,
    /// Report-level notes (filter matched nothing, one group only, empty groups…).
    pub notes: Vec<Note>,
    /// Tables, by block of the questionnaire.
    pub sections: Vec<Section>,
    /// `--cross A B`.
    pub cross: Option<CrossTab>,
    /// Fieldwork: interviews by district, by interviewer, merge outcome.
    pub fieldwork: fieldwork::Fieldwork,
}

/// The options, as applied.
#[derive(Debug, Clone, Serialize)]
pub struct OptionsInfo {
    /// The grouping variable (`questionnaire` = the instrument).
    pub by: String,
    /// The filter's source text.
    #[serde(rename = "where")]
    pub filter: Option<String>,
    /// Interviews that passed the filter.
    pub matched: u64,
    /// Significance level.
    pub alpha: f64,
    /// Whether "don't know" / "refused" answers are left out of bases and tests.
    pub exclude_missing: bool,
}

/// A questionnaire in the data.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionnaireInfo {
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Title.
    pub title: String,
    /// Interview records of it read (before the filter).
    pub interviews: u64,
}

/// A group: one column of every table.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// Questionnaire id or option code (`_none` for "no answer" to the `--by` variable).
    pub key: String,
    /// Column heading.
    pub label: String,
    /// Interviews in the group (after the filter).
    pub interviews: u64,
}

/// A note in words, with a machine-readable kind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    /// What kind of note (stable identifiers, listed in `docs/report-format.md`).
    pub kind: &'static str,
    /// The note in the report's language.
    pub text: String,
}

/// The tables of one block of questions.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// Block id.
    pub block: String,
    /// Block title.
    pub title: String,
    /// Its questions.
    pub questions: Vec<QuestionTable>,
}

/// Bases of one question in one group.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Base {
    /// Interviews of the group whose questionnaire has this question.
    pub interviews: u64,
    /// Of those, interviews to whom it was relevant (asked).
    pub asked: u64,
    /// Of those, interviews with an answer.
    pub answered: u64,
    /// Answers left out of the base by `--exclude-missing` (only "don't know" / "refused").
    pub excluded: u64,
    /// The base of the percentages: answered − excluded.
    pub n: u64,
}

/// A test of group × answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Test {
    /// Pearson χ², when it could be computed.
    pub chi2: Option<stats::Chi2>,
    /// Fisher's exact test, for a 2×2 table with an expected count under 5.
    pub fisher: Option<stats::Fisher>,
    /// The p-value used: Fisher's when computed, else χ²'s.
    pub p: Option<f64>,
    /// `p < alpha`.
    pub significant: bool,
    /// Why no test could be computed.
    pub not_valid: Option<stats::NotValid>,
    /// Answer codes left out of the test because a group's questionnaire does not offer them.
    pub excluded_codes: Vec<String>,
}

/// One answer row of a choice question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Option code.
    pub code: String,
    /// Option label (questionnaire language).
    pub label: String,
    /// `dont_know` / `refused` for non-substantive answers.
    pub missing: Option<&'static str>,
    /// Whether the option asks for a "specify" text.
    pub other: bool,
    /// Respondents per group who chose it.
    pub counts: Vec<u64>,
    /// Percent of the group's base (`None` when the base is 0 or the option is not offered).
    pub percents: Vec<Option<f64>>,
    /// Whether the group's questionnaire(s) offer this option.
    pub offered: Vec<bool>,
    /// Whether the row is left out of the base (`--exclude-missing`): shown for information.
    pub excluded: bool,
    /// Multi only: the group × chosen test of this option.
    pub test: Option<Test>,
}

/// Number statistics of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NumberStats {
    /// Answers.
    pub n: u64,
    /// Mean (None when n = 0).
    pub mean: Option<f64>,
    /// Median.
    pub median: Option<f64>,
    /// Smallest.
    pub min: Option<f64>,
    /// Largest.
    pub max: Option<f64>,
}

/// Date statistics of one group (dates as `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DateStats {
    /// Answers.
    pub n: u64,
    /// Earliest.
    pub min: Option<String>,
    /// Median (the lower middle value when n is even).
    pub median: Option<String>,
    /// Latest.
    pub max: Option<String>,
}

/// A kept text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TextItem {
    /// Group label.
    pub group: String,
    /// `answer`, `other` (a "specify" text) or `remark` (the interviewer's).
    pub kind: &'static str,
    /// Interview id.
    pub interview: String,
    /// The text.
    pub text: String,
}

/// Texts of one question.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Texts {
    /// Texts found, by kind: answers, "specify" texts, remarks.
    pub total: u64,
    /// The texts kept ([`MAX_TEXTS`] at most: those of the interviews with the smallest ids),
    /// sorted by group, kind and interview.
    pub items: Vec<TextItem>,
}

/// One question's table.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionTable {
    /// Table number in the report (1, 2, …).
    pub number: usize,
    /// Variable name.
    pub variable: String,
    /// `single`, `multi`, `number`, `date`, `text`, `long_text`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Question text (first questionnaire that has it).
    pub text: String,
    /// Questionnaires that have the question.
    pub questionnaires: Vec<String>,
    /// Per group.
    pub bases: Vec<Base>,
    /// Choice questions: one row per option.
    pub rows: Vec<Row>,
    /// Single choice: the group × answer test.
    pub test: Option<Test>,
    /// Number questions: per group.
    pub numbers: Vec<NumberStats>,
    /// Date questions: per group.
    pub dates: Vec<DateStats>,
    /// Open answers, "specify" texts and remarks.
    pub texts: Texts,
    /// Notes under the table.
    pub notes: Vec<Note>,
}

/// `--cross A B`.
#[derive(Debug, Clone, Serialize)]
pub struct CrossTab {
    /// Row variable.
    pub rows_var: String,
    /// Its question text.
    pub rows_text: String,
    /// Column variable.
    pub cols_var: String,
    /// Its question text.
    pub cols_text: String,
    /// Row (code, label).
    pub row_labels: Vec<(String, String)>,
    /// Column (code, label).
    pub col_labels: Vec<(String, String)>,
    /// Counts, rows × columns.
    pub counts: Vec<Vec<u64>>,
    /// Row totals (a respondent of a multi question counts once per chosen code).
    pub row_totals: Vec<u64>,
    /// Column totals.
    pub col_totals: Vec<u64>,
    /// Respondents who answered both.
    pub n: u64,
    /// Row percentages (of the row total).
    pub row_percents: Vec<Vec<Option<f64>>>,
    /// Column percentages (of the column total).
    pub col_percents: Vec<Vec<Option<f64>>>,
    /// χ² test (single × single only).
    pub test: Option<Test>,
    /// Notes.
    pub notes: Vec<Note>,
}

/// Rounds half away from zero to `d` decimals, as survey tables (and SPSS) print.
pub fn round_to(x: f64, d: i32) -> f64 {
    let f = 10f64.powi(d);
    (x * f).round() / f
}

/// A number with `d` decimals in the report language (`73,6` in Russian, `73.6` in English).
pub fn fmt_dec(x: f64, d: usize, lang: Lang) -> String {
    let s = format!("{:.*}", d, round_to(x, d as i32));
    let s = if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    };
    match lang {
        Lang::Ru => s.replace('.', ","),
        Lang::En => s,
    }
}

/// A p-value for people: three decimals, `< 0,001` below that.
pub fn fmt_p(p: f64, lang: Lang) -> String {
    if p < 0.001 {
        format!("< {}", fmt_dec(0.001, 3, lang))
    } else {
        fmt_dec(p, 3, lang)
    }
}

/// A whole number with thin grouping of thousands in Russian (`12 345`), commas in English.
pub fn fmt_int(n: u64, lang: Lang) -> String {
    let s = n.to_string();
    if s.len() <= 4 {
        return s;
    }
    let sep = match lang {
        Lang::Ru => '\u{a0}',
        Lang::En => ',',
    };
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// A statistic for people: whole numbers as such, others with one decimal.
pub fn fmt_num(x: f64, lang: Lang) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        if x < 0.0 {
            format!("-{}", fmt_int((-x) as u64, lang))
        } else {
            fmt_int(x as u64, lang)
        }
    } else {
        fmt_dec(x, 1, lang)
    }
}

/// A percentage as the note prints it: one decimal, `73,6%`; `—` when there is none.
pub fn fmt_pct(p: Option<f64>, lang: Lang) -> String {
    match p {
        Some(p) => format!("{}%", fmt_dec(p, 1, lang)),
        None => "—".into(),
    }
}

/// The test of a table in one line: `χ² = 30,07; df = 2; p < 0,001; V Крамера = 0,10`.
pub(crate) fn test_line(t: &Test, lang: Lang) -> String {
    let w = words::W::new(lang);
    if let Some(nv) = t.not_valid {
        return w.not_valid(nv.describe(lang == Lang::Ru));
    }
    let mut parts = Vec::new();
    if let Some(c) = &t.chi2 {
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
pub(crate) fn p_eq(p: f64, lang: Lang) -> String {
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
    let mut counts: std::collections::HashMap<(&str, &str), usize> = std::collections::HashMap::new();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_printed_as_in_the_note() {
        assert_eq!(fmt_dec(73.55, 1, Lang::Ru), "73,6");
        assert_eq!(fmt_dec(6.25, 1, Lang::En), "6.3");
        assert_eq!(fmt_dec(-0.01, 1, Lang::En), "0.0");
        assert_eq!(fmt_p(0.0004, Lang::Ru), "< 0,001");
        assert_eq!(fmt_p(0.0123, Lang::En), "0.012");
        assert_eq!(fmt_int(1234, Lang::Ru), "1234");
        assert_eq!(fmt_int(1234567, Lang::En), "1,234,567");
        assert_eq!(fmt_int(100000, Lang::Ru), "100\u{a0}000");
    }
}
