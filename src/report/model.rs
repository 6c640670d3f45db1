//! The report as a value: [`Report`] and its tables, bases, tests, notes and fieldwork section.
//! Language-neutral numbers plus the notes in words; what the JSON renderer serialises and every
//! other renderer prints. Plain data (no logic beyond `Serialize`), but for [`MergeInfo::on_the_fly`], what a folder
//! merged on the fly tells the report.

use super::stats::{Chi2, Fisher, NotValid};
use crate::merge::{Decision, Entry};
use serde::Serialize;
use std::collections::HashMap;

/// The format tag of the JSON report.
pub(crate) const FORMAT: &str = "anketa-report/1";

/// Texts (open answers, "specify" texts, remarks) kept per question; the rest are counted.
pub(crate) const MAX_TEXTS: usize = 200;

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
    /// Sealed interviews the merge could not open (no `--identity`, or another key): kept
    /// apart, not in the data.
    pub sealed: usize,
}

impl MergeInfo {
    /// What the report says of a folder merged on the fly: the rules' decision over its
    /// `entries`, with the interviewer of each draft and the number of records rejected.
    pub(crate) fn on_the_fly(
        entries: &[Entry],
        drafts: &HashMap<uuid::Uuid, (String, String)>,
        d: &Decision,
        rejected: usize,
    ) -> MergeInfo {
        let mut incomplete: Vec<(String, String)> = d
            .incomplete
            .iter()
            .filter_map(|&i| drafts.get(&entries[i].id).cloned())
            .collect();
        incomplete.sort();
        // A draft that reopened an interview merged in a completed copy counts as a conflict of
        // that interview, as a merge's report tells it.
        let merged: std::collections::HashSet<uuid::Uuid> = d.merged.iter().map(|&i| entries[i].id).collect();
        let mut conflict_ids: Vec<String> = d
            .conflicts
            .iter()
            .map(|c| entries[c.winner].id.to_string())
            .chain(
                d.drafts
                    .iter()
                    .filter(|&&i| merged.contains(&entries[i].id))
                    .map(|&i| entries[i].id.to_string()),
            )
            .collect();
        conflict_ids.sort();
        conflict_ids.dedup();
        MergeInfo {
            source: "merged on the fly".into(),
            duplicates: d.duplicates.iter().map(|x| x.copies.len()).sum(),
            conflict_ids,
            incomplete,
            rejected,
            sealed: 0,
        }
    }
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
    /// Per roster: how many instances an interview (a parent instance, for a nested roster)
    /// has. Only when the questionnaires have rosters.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rosters: Vec<RosterCounts>,
    /// `--cross A B`.
    pub cross: Option<CrossTab>,
    /// Fieldwork: interviews by district, by interviewer, merge outcome.
    pub fieldwork: Fieldwork,
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
    /// A roster question: the instances of its roster counted in the group's interviews
    /// (`asked`, `answered`, `excluded` and `n` then count instances too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instances: Option<u64>,
    /// A roster question: the interviews with at least one instance in which it was asked
    /// (the clusters the instances come from).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asked_interviews: Option<u64>,
}

/// The first-order Rao–Scott correction of a χ² over roster instances (Rao & Scott 1984): the
/// interviews are the clusters, `design_effect` the mean generalised design effect `D`
/// estimated from them, and `statistic` = χ² / `D`, compared with χ²(df).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct RaoScott {
    pub design_effect: f64,
    pub statistic: f64,
    pub p: f64,
    /// Interviews (clusters) in the tested table.
    pub clusters: u64,
}

/// A test of group × answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Test {
    /// Pearson χ², when it could be computed.
    pub chi2: Option<Chi2>,
    /// Fisher's exact test, for a 2×2 table with an expected count under 5.
    pub fisher: Option<Fisher>,
    /// A roster question's test over instances, corrected for their clustering in interviews
    /// (then `p` is its p-value; no Fisher's test).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rao_scott: Option<RaoScott>,
    /// The p-value used: Rao–Scott's when computed, else Fisher's when computed, else χ²'s.
    pub p: Option<f64>,
    /// `p < alpha`.
    pub significant: bool,
    /// Why no test could be computed.
    pub not_valid: Option<NotValid>,
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
    /// In a roster: the instance's numbers (position among the live instances, outermost
    /// first, 1-based), as the interviewer saw them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub instance: Vec<u32>,
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
    /// A question asked once per instance of a roster: the roster (its base is instances).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roster: Option<RosterRef>,
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

/// A roster, as the tables name it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RosterRef {
    /// Roster id (`projects`).
    pub id: String,
    /// Its title (first questionnaire that has it).
    pub title: String,
    /// The roster it is nested in.
    pub parent: Option<String>,
}

/// How many instances of a roster an interview has (for a nested roster: a parent instance).
#[derive(Debug, Clone, Serialize)]
pub struct RosterCounts {
    /// The roster.
    pub roster: RosterRef,
    /// Questionnaires that have it.
    pub questionnaires: Vec<String>,
    /// Per group.
    pub counts: Vec<InstanceCounts>,
}

/// The distribution of instance counts in one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceCounts {
    /// Interviews (for a nested roster: instances of its parent roster) counted.
    pub n: u64,
    /// Of those, with no instance.
    pub zero: u64,
    /// Instances in all.
    pub instances: u64,
    /// Mean instances (None when n = 0).
    pub mean: Option<f64>,
    /// Median (the mean of the two middle values for an even n).
    pub median: Option<f64>,
    /// Most instances.
    pub max: Option<u64>,
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

/// The fieldwork section.
#[derive(Debug, Clone, Serialize)]
pub struct Fieldwork {
    /// The instruments (columns of the fieldwork tables), with interviews after `--where`.
    pub instruments: Vec<Group>,
    /// Start time of the first interview (RFC 3339, as recorded).
    pub first_started: Option<String>,
    /// Start time of the last interview.
    pub last_started: Option<String>,
    /// Interviews in the data that are still in progress (merged with `--include-incomplete`).
    pub in_progress: u64,
    /// Interviews by district × instrument (None when no questionnaire has a `district`).
    pub districts: Option<Districts>,
    /// Per instrument: median duration of completed interviews, minutes.
    pub median_minutes: Vec<Option<f64>>,
    /// Per instrument: the speeder threshold (a third of the median), minutes.
    pub speeder_minutes: Vec<Option<f64>>,
    /// By interviewer, sorted by code.
    pub interviewers: Vec<InterviewerRow>,
    /// What the merge set aside, when known.
    pub merge: Option<MergeInfo>,
    /// Notes.
    pub notes: Vec<Note>,
}

/// Interviews by district.
#[derive(Debug, Clone, Serialize)]
pub struct Districts {
    /// One row per district of the questionnaire (all of them, so that uncovered ones show),
    /// then `_none` when some interviews have no district.
    pub rows: Vec<DistrictRow>,
    /// Per instrument.
    pub totals: Vec<u64>,
    /// Per instrument, the sum of the targets (with `--quota`).
    pub target_totals: Option<Vec<u64>>,
    /// Districts with at least one interview.
    pub covered: usize,
    /// Districts in the questionnaire.
    pub of: usize,
}

/// One district.
#[derive(Debug, Clone, Serialize)]
pub struct DistrictRow {
    /// Code (`_none` for interviews without a district).
    pub code: String,
    /// Label.
    pub label: String,
    /// Interviews per instrument.
    pub counts: Vec<u64>,
    /// Targets per instrument (with `--quota`; None where the file plans none).
    pub targets: Option<Vec<Option<u64>>>,
}

/// One interviewer.
#[derive(Debug, Clone, Serialize)]
pub struct InterviewerRow {
    /// Interviewer code.
    pub code: String,
    /// Interviews in the data, per instrument.
    pub interviews: Vec<u64>,
    /// All of them.
    pub total: u64,
    /// Median duration of their completed interviews, minutes.
    pub median_minutes: Option<f64>,
    /// Completed interviews under a third of their instrument's median duration.
    pub speeders: u64,
    /// Speeders / completed interviews.
    pub speeder_share: Option<f64>,
    /// Interviews in the data still in progress.
    pub in_progress: u64,
    /// Interviews the merge left out as in progress.
    pub left_out_incomplete: u64,
    /// Interviews with conflicting copies (one kept, the others set aside by the merge).
    pub conflicts: u64,
}
