//! Merging interviews from many laptops: which copy of each interview is kept, and why.
//!
//! Pure rules over compact [`Entry`]s (what dedupe needs: id, revision, status, `updated`,
//! content hash, where it came from), so that a merge of 100,000 files keeps a few megabytes in
//! memory; the store streams the files and the full records. The rules:
//!
//! - A record's *content* is its canonical serialisation (the NDJSON line); two copies with the
//!   same id and the same content hash are one interview (the extra copy is a duplicate).
//! - Copies with the same id and different content conflict. Without `--include-incomplete`
//!   only completed copies compete (an interview reopened and left in progress keeps its last
//!   completed version, and the newer draft is listed as a conflict). Among the competitors:
//!   higher revision wins; at equal revision completed beats in progress; then the later
//!   `updated`; then, as a reproducible last resort, the smaller content hash. Every other
//!   content is a loser, listed with the rule that decided.
//! - An interview with no completed copy is left out and listed as incomplete, unless
//!   `--include-incomplete`.
//!
//! The order of the inputs never matters: entries are grouped by id and ranked by content, and
//! every list is sorted. So merge(merge(A), B) = merge(A, B): the winner of A is still the best
//! copy of A.

pub mod plan;

use crate::diag::printable;
use crate::export::Layout;
use crate::questionnaire::Questionnaire;
#[cfg(test)]
use crate::record::fit;
use crate::record::fit::fit_into;
use crate::record::fit::{Violation, Walked, violations};
use crate::record::{FORMAT, FORMAT_V2, QuestionnaireRef, RecordView, Status};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::cmp::Ordering;
use std::collections::BTreeMap;

/// Where a questionnaire came from (earlier variants are preferred when one is found twice).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// Compiled into anketa.
    Bundled,
    /// Given with `--questionnaire`.
    Given(String),
    /// Found in an input's `questionnaires/` folder.
    Found(String),
}

impl Origin {
    fn describe(&self) -> String {
        match self {
            Origin::Bundled => "bundled".into(),
            Origin::Given(p) => format!("--questionnaire {p}"),
            Origin::Found(p) => p.clone(),
        }
    }
}

/// A questionnaire known to the merge, with its CSV layout.
#[derive(Debug)]
pub struct Known {
    /// The questionnaire.
    pub q: Questionnaire,
    /// Its CSV layout.
    pub layout: Layout,
    /// The CSV layout of each of its rosters (by index into `q.rosters`).
    pub rosters: Vec<Layout>,
    /// Where it came from.
    pub origin: Origin,
}

/// The questionnaires records are matched against (by id, version and SHA-256).
#[derive(Debug, Default)]
pub struct Catalog {
    known: Vec<Known>,
    excel: bool,
}

impl Catalog {
    /// An empty catalog; `excel` selects the CSV flavour of the layouts.
    pub fn new(excel: bool) -> Catalog {
        Catalog {
            known: Vec::new(),
            excel,
        }
    }

    /// A catalog of the bundled questionnaires.
    pub fn with_bundled(excel: bool) -> Catalog {
        let mut cat = Catalog::new(excel);
        for q in crate::questionnaire::all_bundled() {
            cat.add(q.clone(), Origin::Bundled);
        }
        cat
    }

    /// Adds a questionnaire; a second copy of the same (id, version, sha256) only updates the
    /// origin if it is preferable. Keeps the catalog sorted by (id, version, sha256).
    pub fn add(&mut self, q: Questionnaire, origin: Origin) {
        let key = |k: &Known| (k.q.id.clone(), k.q.version.clone(), k.q.sha256.clone());
        let new_key = (q.id.clone(), q.version.clone(), q.sha256.clone());
        match self.known.binary_search_by(|k| key(k).cmp(&new_key)) {
            Ok(i) => {
                if origin < self.known[i].origin {
                    self.known[i].origin = origin;
                }
            }
            Err(i) => {
                let layout = Layout::new(&q, self.excel);
                let rosters = (0..q.rosters.len())
                    .map(|r| Layout::roster(&q, r, self.excel))
                    .collect();
                self.known.insert(
                    i,
                    Known {
                        q,
                        layout,
                        rosters,
                        origin,
                    },
                );
            }
        }
    }

    /// All known questionnaires, sorted by (id, version, sha256).
    pub fn all(&self) -> &[Known] {
        &self.known
    }

    /// The questionnaire at an index.
    pub fn get(&self, i: usize) -> &Known {
        &self.known[i]
    }

    /// Finds the questionnaire named by a record's id, version and SHA-256, or explains why
    /// none fits.
    pub fn find_parts(&self, id: &str, version: &str, sha256: &str) -> Result<usize, String> {
        if let Some(i) = self
            .known
            .iter()
            .position(|k| k.q.id == id && k.q.version == version && k.q.sha256 == sha256)
        {
            return Ok(i);
        }
        let r = QuestionnaireRef {
            id: id.into(),
            version: version.into(),
            sha256: sha256.into(),
        };
        let short = |s: &str| s.chars().take(12).collect::<String>();
        if let Some(k) = self.known.iter().find(|k| k.q.id == r.id && k.q.version == r.version) {
            return Err(format!(
                "made with a different copy of questionnaire `{}` version {} (sha256 {}…, known copy {}… from {}); \
                 pass the copy it was made with via --questionnaire",
                r.id,
                r.version,
                short(&r.sha256),
                short(&k.q.sha256),
                k.origin.describe()
            ));
        }
        let versions: Vec<String> = self
            .known
            .iter()
            .filter(|k| k.q.id == r.id)
            .map(|k| k.q.version.clone())
            .collect();
        let known = if versions.is_empty() {
            String::new()
        } else {
            format!(" (known versions: {})", versions.join(", "))
        };
        Err(format!(
            "unknown questionnaire `{}` version {} (sha256 {}…){known}: not bundled, not given with --questionnaire, \
             and not in any input's questionnaires/ folder; pass it with --questionnaire PATH",
            r.id,
            r.version,
            short(&r.sha256)
        ))
    }
}

/// Where a record came from: a file, and the line for NDJSON files (0 for a whole file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Source {
    /// Index into the sorted list of input files.
    pub file: u32,
    /// 1-based line of an NDJSON file; 0 for a file holding one interview.
    pub line: u32,
}

/// What the merge keeps of one record.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Interview id (its canonical text form is what files hold).
    pub id: uuid::Uuid,
    /// Index into the [`Catalog`].
    pub questionnaire: u32,
    /// Revision.
    pub revision: u64,
    /// Status.
    pub status: Status,
    /// `updated` as nanoseconds since the epoch (for ordering; saturates outside 1678–2262).
    pub updated_ns: i64,
    /// SHA-256 of the canonical serialisation ([`content_hash`]; zero until set when
    /// [`examine_view`] was told not to hash yet).
    pub hash: [u8; 32],
    /// Where it came from.
    pub source: Source,
    /// Length of the NDJSON line (without newline).
    pub line_len: u32,
    /// Length of the CSV row.
    pub row_len: u32,
}

impl Entry {
    /// The content hash in hex.
    pub fn hash_hex(&self) -> String {
        hex(&self.hash)
    }

    /// `updated`, as RFC 3339.
    pub fn updated(&self) -> String {
        jiff::Timestamp::from_nanosecond(self.updated_ns as i128)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }
}

/// Lowercase hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Checks a record (format, id, times, questionnaire, answers) and computes its canonical
/// NDJSON line (into `line`, no newline), content hash, CSV row (into `row`) and, when asked
/// for, its roster CSV rows (into `rosters`, as [`roster_rows`] makes them), without turning
/// every string of the record into an allocation; the engine walks the record once for all of
/// them. The error is the reason the record is rejected.
///
/// With `hash_now` false the entry's `hash` is left zero, for the caller to set with
/// [`content_hash`] once it knows the interview has other copies: only then do the rules look
/// at it, and most interviews of a merge come once.
pub fn examine_view(
    cat: &Catalog,
    rec: &RecordView<'_>,
    line: &mut Vec<u8>,
    row: &mut Vec<u8>,
    rosters: Option<&mut Vec<Vec<u8>>>,
    hash_now: bool,
) -> Result<Entry, Refusal> {
    let q = &rec.questionnaire;
    let (id, updated, qi) = check_head(
        cat,
        &rec.format,
        &rec.id,
        &rec.updated,
        &rec.started,
        [&q.id, &q.version, &q.sha256],
    )?;
    check_times(rec)?;
    let k = cat.get(qi);
    // Each answer's question, found by the rule's one pass, for the checks after it.
    let mut questions: Vec<u32> = Vec::with_capacity(rec.answers.0.len());
    fit_into(&k.q, rec, &mut Vec::new(), |qi, _, _| questions.push(qi as u32)).map_err(|m| Refusal {
        reason: m.against(&k.q),
        violations: Vec::new(),
        questionnaire: Some(qi as u32),
    })?;
    // One walk of the engine for the rules and for the rosters asked in the CSVs.
    let walked = Walked::of(&k.q, rec);
    let broken = violations(&k.q, rec, &questions, &walked);
    if !broken.is_empty() {
        return Err(Refusal::broken(&k.q, qi, broken));
    }
    line.clear();
    rec.write_canonical(line);
    row.clear();
    let asked = |r, parent| walked.roster_asked(&k.q, r, parent);
    k.layout.write_row(&k.q, rec, &asked, row);
    if let Some(out) = rosters {
        write_roster_rows(k, rec, &asked, out);
    }
    let mut e = entry(id, qi, rec.revision, rec.status, updated, line, row);
    if hash_now {
        e.hash = content_hash(line);
    }
    Ok(e)
}

/// The rows of the roster CSVs of a record that [`examine_view`] took (as questionnaire `qi`
/// of the catalog): `out[r]` gets roster `r`'s rows, one per live instance; `out` is resized
/// to the questionnaire's rosters (none for most questionnaires) and cleared.
pub fn roster_rows(cat: &Catalog, qi: usize, rec: &RecordView<'_>, out: &mut Vec<Vec<u8>>) {
    let k = cat.get(qi);
    if k.rosters.is_empty() {
        out.clear();
        return;
    }
    let walked = Walked::of(&k.q, rec);
    write_roster_rows(k, rec, &|r, parent| walked.roster_asked(&k.q, r, parent), out);
}

/// [`roster_rows`] with the rosters asked known.
fn write_roster_rows(k: &Known, rec: &RecordView<'_>, asked: crate::export::csv::Asked<'_>, out: &mut Vec<Vec<u8>>) {
    out.resize_with(k.rosters.len(), Vec::new);
    for o in out.iter_mut() {
        o.clear();
    }
    if !k.rosters.is_empty() {
        Layout::write_roster_rows(&k.q, &k.rosters, rec, asked, out);
    }
}

/// Why a record is not merged: the reason in words and, for a record that breaks its
/// questionnaire's rules, every violation and the questionnaire (its copy goes with the record
/// into the output).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Refusal {
    /// The reason.
    pub reason: String,
    /// Every rule broken (empty for other faults).
    pub violations: Vec<Violation>,
    /// The questionnaire the record was checked against (index into the [`Catalog`]).
    pub questionnaire: Option<u32>,
}

impl From<String> for Refusal {
    fn from(reason: String) -> Refusal {
        Refusal {
            reason,
            ..Refusal::default()
        }
    }
}

impl Refusal {
    fn broken(q: &Questionnaire, qi: usize, violations: Vec<Violation>) -> Refusal {
        const SHOWN: usize = 3;
        let mut reason = format!(
            "breaks questionnaire `{}` {}: {} violation(s): ",
            q.id,
            q.version,
            violations.len()
        );
        let first: Vec<String> = violations.iter().take(SHOWN).map(|v| v.to_string()).collect();
        reason.push_str(&first.join("; "));
        if violations.len() > SHOWN {
            reason.push_str(&format!(
                "; … and {} more (all listed under `violations`)",
                violations.len() - SHOWN
            ));
        }
        Refusal {
            reason,
            violations,
            questionnaire: Some(qi as u32),
        }
    }
}

/// The content hash of a canonical line (without its newline): SHA-256.
pub fn content_hash(line: &[u8]) -> [u8; 32] {
    Sha256::digest(line).into()
}

/// The checks of a record before its answers: format, id, times, questionnaire.
fn check_head(
    cat: &Catalog,
    format: &str,
    id: &str,
    updated: &str,
    started: &str,
    [qid, qversion, qsha]: [&str; 3],
) -> Result<(uuid::Uuid, jiff::Timestamp, usize), String> {
    if format != FORMAT && format != FORMAT_V2 {
        return Err(format!(
            "unknown format version `{format}` (this anketa reads `{FORMAT}` and `{FORMAT_V2}`)"
        ));
    }
    let uuid = match uuid::Uuid::parse_str(id) {
        Ok(u) if *u.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()) == *id => u,
        Ok(u) => {
            return Err(format!(
                "interview id `{id}` is not written as anketa writes ids (`{}`)",
                u.hyphenated()
            ));
        }
        Err(_) => return Err(format!("interview id `{id}` is not a UUID")),
    };
    let updated = time("updated", updated)?;
    checked_time("started", started)?;
    let qi = cat.find_parts(qid, qversion, qsha)?;
    Ok((uuid, updated, qi))
}

/// A time of the record ([`crate::record::time::instant`]), or why it is not one.
fn time(field: &str, value: &str) -> Result<jiff::Timestamp, String> {
    crate::record::time::instant(value).ok_or_else(|| not_a_time(field, value))
}

/// A time of the record that is only checked ([`crate::record::time::valid`]).
fn checked_time(field: &str, value: &str) -> Result<(), String> {
    if crate::record::time::valid(value) {
        Ok(())
    } else {
        Err(not_a_time(field, value))
    }
}

fn not_a_time(field: &str, value: &str) -> String {
    format!("`{field}` is `{value}`, not an RFC 3339 time with seconds and an offset (such as 2021-01-10T12:53:00Z)")
}

/// The times of a record beyond `started` and `updated`: `completed` and each `answered_at`.
fn check_times(rec: &RecordView<'_>) -> Result<(), String> {
    if let Some(c) = &rec.completed {
        checked_time("completed", c)?;
    }
    for (var, a) in &rec.answers.0 {
        if let Some(t) = &a.answered_at {
            checked_time("answered_at", t).map_err(|e| format!("answer `{}`: {e}", var.as_str()))?;
        }
    }
    Ok(())
}

fn entry(
    id: uuid::Uuid,
    qi: usize,
    revision: u64,
    status: Status,
    updated: jiff::Timestamp,
    line: &[u8],
    row: &[u8],
) -> Entry {
    Entry {
        id,
        questionnaire: qi as u32,
        revision,
        status,
        updated_ns: updated.as_nanosecond().clamp(i64::MIN as i128, i64::MAX as i128) as i64,
        hash: [0; 32],
        source: Source { file: 0, line: 0 },
        line_len: line.len() as u32,
        row_len: row.len() as u32,
    }
}

/// The format tag of `merge-report.json`.
pub(crate) use crate::record::decode::MERGE_REPORT_FORMAT as REPORT_FORMAT;

/// The rule that decided a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// The winner has a higher revision.
    HigherRevision,
    /// Same revision; the winner is completed, the loser in progress.
    CompletedBeatsInProgress,
    /// Same revision and status; the winner was updated later.
    LaterUpdate,
    /// Same revision, status and update time; the smaller content hash was kept.
    Tie,
}

impl Rule {
    /// The rule in words.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::HigherRevision => "higher revision wins",
            Rule::CompletedBeatsInProgress => "same revision: completed beats in progress",
            Rule::LaterUpdate => "same revision and status: the later `updated` wins",
            Rule::Tie => {
                "same revision, status and `updated` but different content: kept the copy whose content hash \
                 sorts first (reproducible, not meaningful); compare both"
            }
        }
    }
}

/// Identical copies of one interview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    /// The copy kept (the first by source order).
    pub kept: usize,
    /// The other copies (indices into the entries), in source order.
    pub copies: Vec<usize>,
}

/// Two different contents under one interview id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// The entry kept.
    pub winner: usize,
    /// The entry not kept.
    pub loser: usize,
    /// Why.
    pub rule: Rule,
}

/// The outcome of the merge rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Entries merged, sorted by questionnaire then id.
    pub merged: Vec<usize>,
    /// Interviews with no completed copy (their best copy), left out; same order.
    pub incomplete: Vec<usize>,
    /// Identical copies, by id.
    pub duplicates: Vec<Duplicate>,
    /// Conflicts, by id, then loser rank.
    pub conflicts: Vec<Conflict>,
    /// Every in-progress content not merged (without `--include-incomplete`): the drafts of
    /// incomplete interviews and those of interviews merged in a completed copy; sorted by
    /// questionnaire, id, content hash.
    pub drafts: Vec<usize>,
}

/// Ranks two contents: `Greater` means `a` beats `b`.
fn rank(a: &Entry, b: &Entry) -> Ordering {
    a.revision
        .cmp(&b.revision)
        .then(a.status.cmp(&b.status))
        .then(a.updated_ns.cmp(&b.updated_ns))
        .then(b.hash.cmp(&a.hash))
}

fn rule(w: &Entry, l: &Entry) -> Rule {
    if w.revision != l.revision {
        Rule::HigherRevision
    } else if w.status != l.status {
        Rule::CompletedBeatsInProgress
    } else if w.updated_ns != l.updated_ns {
        Rule::LaterUpdate
    } else {
        Rule::Tie
    }
}

/// Applies the merge rules to every entry.
pub fn decide(entries: &[Entry], include_incomplete: bool) -> Decision {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&entries[a], &entries[b]);
        x.id.cmp(&y.id).then(x.hash.cmp(&y.hash)).then(x.source.cmp(&y.source))
    });
    let mut d = Decision::default();
    let mut i = 0;
    while i < order.len() {
        let id = &entries[order[i]].id;
        let mut j = i;
        while j < order.len() && entries[order[j]].id == *id {
            j += 1;
        }
        // Distinct contents of this id: (representative, copies) in source order.
        let mut contents: Vec<(usize, Vec<usize>)> = Vec::new();
        for &e in &order[i..j] {
            match contents.last_mut() {
                Some((rep, copies)) if entries[*rep].hash == entries[e].hash => copies.push(e),
                _ => contents.push((e, Vec::new())),
            }
        }
        for (rep, copies) in &contents {
            if !copies.is_empty() {
                d.duplicates.push(Duplicate {
                    kept: *rep,
                    copies: copies.clone(),
                });
            }
        }
        let mut reps: Vec<usize> = contents.iter().map(|c| c.0).collect();
        reps.sort_by(|&a, &b| rank(&entries[b], &entries[a]));
        let best_completed = reps.iter().copied().find(|&r| entries[r].status == Status::Completed);
        let winner = if include_incomplete {
            Some(reps[0])
        } else {
            best_completed
        };
        match winner {
            Some(w) => {
                d.merged.push(w);
                for &l in reps.iter().filter(|&&r| r != w) {
                    if !include_incomplete && entries[l].status == Status::InProgress {
                        // A draft of an interview merged in a completed copy (reopened, left
                        // in progress): kept aside, never merged, never lost.
                        d.drafts.push(l);
                    } else {
                        d.conflicts.push(Conflict {
                            winner: w,
                            loser: l,
                            rule: rule(&entries[w], &entries[l]),
                        });
                    }
                }
            }
            None => {
                // No completed copy: the best draft says what is incomplete; every draft is kept.
                d.incomplete.push(reps[0]);
                d.drafts.extend(reps.iter().copied());
            }
        }
        i = j;
    }
    let by_q_id = |a: &usize, b: &usize| {
        let (x, y) = (&entries[*a], &entries[*b]);
        x.questionnaire.cmp(&y.questionnaire).then(x.id.cmp(&y.id))
    };
    d.merged.sort_by(by_q_id);
    d.incomplete.sort_by(by_q_id);
    d.drafts
        .sort_by(|a, b| by_q_id(a, b).then(entries[*a].hash.cmp(&entries[*b].hash)));
    d
}

/// `merge-report.json`: everything the merge did and did not take. Deterministic: no run time,
/// every list sorted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MergeReport {
    /// Always `anketa-merge-report/1`.
    pub format: String,
    /// Files examined (interview files, NDJSON files, rejected and ignored files).
    pub files_read: usize,
    /// Interview records found in them.
    pub records_read: usize,
    /// Interviews merged per questionnaire (CSV stem → count).
    pub merged: BTreeMap<String, usize>,
    /// Whether in-progress interviews were merged.
    pub include_incomplete: bool,
    /// The questionnaires of the merged interviews.
    pub questionnaires: Vec<ReportQuestionnaire>,
    /// Identical copies.
    pub duplicates: Vec<ReportDuplicate>,
    /// Different contents under one id.
    pub conflicts: Vec<ReportConflict>,
    /// Files (or NDJSON lines) not taken, with the reason.
    pub rejected: Vec<PathReason>,
    /// Interviews left out because no copy is completed.
    pub incomplete: Vec<ReportIncomplete>,
    /// Every in-progress copy not merged (drafts of incomplete interviews, and drafts of
    /// interviews merged in a completed copy), each kept in `drafts.ndjson`.
    pub in_progress_left_out: Vec<ReportDraft>,
    /// Drafts discarded on a laptop (its `discarded/` folder): listed, not read, not merged.
    pub discarded: Vec<PathReason>,
    /// Files recognised as something else than interviews (device id, settings, questionnaires
    /// outside a `questionnaires/` folder, merge reports), not taken.
    pub ignored: Vec<PathReason>,
    /// Sealed interviews that no `--identity` opened: kept as they were read under `sealed/`,
    /// not merged (merge again with the right key).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sealed: Vec<ReportSealed>,
    /// How many records (texts and files) went into each list: each exactly once, and
    /// `records_read` is their sum.
    pub accounting: Accounting,
    /// Files written, relative to the output folder.
    pub outputs: Vec<String>,
}

/// Every record read, counted in the one list it is in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Accounting {
    /// Records merged.
    pub merged: usize,
    /// Identical copies of a record kept once.
    pub duplicates: usize,
    /// Copies that lost a conflict (kept under `conflicts/`).
    pub conflict_losers: usize,
    /// In-progress copies not merged (kept in `drafts.ndjson`).
    pub in_progress_left_out: usize,
    /// Drafts discarded on a laptop.
    pub discarded: usize,
    /// Records and files rejected (with a text: kept under `rejected/`).
    pub rejected: usize,
    /// Files that are not interviews.
    pub ignored: usize,
    /// Sealed interviews not opened (kept under `sealed/`).
    #[serde(skip_serializing_if = "is_zero")]
    pub sealed: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A sealed interview that no identity opened.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ReportSealed {
    /// File (and line for NDJSON).
    pub path: String,
    /// Interview id (from its plaintext head).
    pub id: String,
    /// Its questionnaire's id.
    pub questionnaire: String,
    /// Its revision.
    pub revision: u64,
    /// Why it was not opened.
    pub reason: String,
    /// Where it was kept in the output, as it was read.
    pub kept_as: String,
}

impl Accounting {
    /// The sum of the lists.
    pub fn total(&self) -> usize {
        self.merged
            + self.duplicates
            + self.conflict_losers
            + self.in_progress_left_out
            + self.discarded
            + self.rejected
            + self.ignored
            + self.sealed
    }
}

/// An in-progress copy not merged, kept in `drafts.ndjson`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportDraft {
    /// Interview id.
    pub id: String,
    /// File (and line).
    pub path: String,
    /// Questionnaire id.
    pub questionnaire: String,
    /// Revision.
    pub revision: u64,
    /// Last change.
    pub updated: String,
    /// SHA-256 of the canonical content.
    pub sha256: String,
    /// Whether the interview was merged in a completed copy (this draft reopened it).
    pub interview_merged: bool,
    /// Where it was kept (`drafts.ndjson:<line>`).
    pub saved_as: String,
}

/// A questionnaire in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportQuestionnaire {
    /// CSV stem.
    pub name: String,
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Where it came from.
    pub source: String,
    /// Interviews merged.
    pub merged: usize,
    /// Its copy in the output folder (`questionnaires/<id>-<version>-<sha256[..12]>.json`).
    pub copy: String,
}

/// Identical copies in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportDuplicate {
    /// Interview id.
    pub id: String,
    /// The copy kept.
    pub kept: String,
    /// The identical copies.
    pub copies: Vec<String>,
}

/// One copy of an interview in a conflict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportCopy {
    /// File (and line).
    pub path: String,
    /// Revision.
    pub revision: u64,
    /// Status.
    pub status: Status,
    /// Last change.
    pub updated: String,
    /// SHA-256 of the canonical content.
    pub sha256: String,
    /// Where the loser was written (losers only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub saved_as: Option<String>,
}

/// A conflict in the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportConflict {
    /// Interview id.
    pub id: String,
    /// The copy kept.
    pub winner: ReportCopy,
    /// The copy not kept.
    pub loser: ReportCopy,
    /// The rule that decided (`higher_revision`, …).
    pub rule: Rule,
    /// The rule in words.
    pub why: String,
}

/// A path with a reason.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
pub struct PathReason {
    /// File (and line for NDJSON).
    pub path: String,
    /// Why it was not taken.
    pub reason: String,
    /// Every rule of its questionnaire the record breaks (variable, rule, value).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    /// Where the record was kept in the output (`rejected/<sha256[..16]>.json`), as it was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_as: Option<String>,
}

/// An interview left out as incomplete.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportIncomplete {
    /// Interview id.
    pub id: String,
    /// File (and line).
    pub path: String,
    /// Questionnaire id.
    pub questionnaire: String,
    /// Interviewer.
    pub interviewer: String,
    /// Revision.
    pub revision: u64,
    /// Last change.
    pub updated: String,
}

/// How many conflicts and rejects the summary lists (all are in `merge-report.json`).
const SHOW: usize = 20;

/// The line after the first [`SHOW`] of a longer list in the summary.
fn and_more(s: &mut String, listed: usize) {
    use std::fmt::Write;
    if listed > SHOW {
        let _ = writeln!(s, "  … and {} more (see merge-report.json)", listed - SHOW);
    }
}

impl MergeReport {
    /// The report as pretty JSON with a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// The rejects as standard error shows them: a count, the first `show` (path and
    /// reason, made printable), then how many more.
    pub fn rejects_for_stderr(&self, show: usize) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        if !self.rejected.is_empty() {
            let _ = writeln!(
                s,
                "warning: {} input(s) rejected, not merged (all in merge-report.json):",
                self.rejected.len()
            );
            for r in self.rejected.iter().take(show) {
                let _ = writeln!(s, "  {}: {}", printable(&r.path), printable(&r.reason));
            }
            if self.rejected.len() > show {
                let _ = writeln!(s, "  … and {} more", self.rejected.len() - show);
            }
        }
        if !self.sealed.is_empty() {
            let _ = writeln!(
                s,
                "warning: {} sealed interview(s) not opened, not merged (kept under sealed/): give the key of the \
                 recipient they are sealed to with --identity FILE",
                self.sealed.len()
            );
        }
        s
    }

    /// The human summary printed on stdout. What came from the inputs (paths, reasons) is
    /// made printable: it cannot drive the terminal or forge a line.
    pub fn summary(&self, out_dir: &str) -> String {
        use std::fmt::Write;
        let out_dir = &*printable(out_dir);
        // Paths as the system writes them (`Z:\out\drafts.ndjson` on Windows), one separator
        // between the folder and a name however the folder was typed (`--out out/`).
        let w = cfg!(windows);
        let (conflicts, drafts, folder) = (
            crate::diag::path_in(out_dir, "conflicts", w),
            crate::diag::path_in(out_dir, "drafts.ndjson", w),
            crate::diag::path_in(out_dir, "", w),
        );
        let sep = std::path::MAIN_SEPARATOR;
        let mut s = String::new();
        let total: usize = self.merged.values().sum();
        let _ = writeln!(
            s,
            "read {} file(s), {} record(s) (interviews and other files, each accounted for once)",
            self.files_read, self.records_read
        );
        let per: Vec<String> = self
            .merged
            .iter()
            .map(|(k, v)| format!("{} {v}", printable(k)))
            .collect();
        let _ = writeln!(
            s,
            "merged {total} interview(s){}{}",
            if per.is_empty() {
                String::new()
            } else {
                format!(": {}", per.join(", "))
            },
            if self.include_incomplete {
                " (in-progress ones included)"
            } else {
                ""
            }
        );
        if !self.duplicates.is_empty() {
            let n: usize = self.duplicates.iter().map(|d| d.copies.len()).sum();
            let _ = writeln!(
                s,
                "duplicates: {n} identical cop(ies) of {} interview(s), kept once",
                self.duplicates.len()
            );
        }
        if !self.conflicts.is_empty() {
            let _ = writeln!(
                s,
                "conflicts: {} (the copies not kept are in {conflicts}{sep})",
                self.conflicts.len()
            );
            for c in self.conflicts.iter().take(SHOW) {
                let _ = writeln!(
                    s,
                    "  {}: kept rev {} {} ({}), not rev {} {} ({}): {}",
                    c.id,
                    c.winner.revision,
                    status_word(c.winner.status),
                    printable(&c.winner.path),
                    c.loser.revision,
                    status_word(c.loser.status),
                    printable(&c.loser.path),
                    c.rule.describe()
                );
            }
            and_more(&mut s, self.conflicts.len());
        }
        if !self.incomplete.is_empty() {
            let _ = writeln!(
                s,
                "incomplete: {} interview(s) in progress, left out (--include-incomplete merges them)",
                self.incomplete.len()
            );
        }
        if !self.in_progress_left_out.is_empty() {
            let _ = writeln!(
                s,
                "drafts: {} in-progress cop(ies) not merged, kept in {drafts}",
                self.in_progress_left_out.len()
            );
        }
        if !self.discarded.is_empty() {
            let _ = writeln!(
                s,
                "discarded: {} draft(s) discarded on a laptop, not merged",
                self.discarded.len()
            );
        }
        if !self.rejected.is_empty() {
            let _ = writeln!(
                s,
                "rejected: {} (not merged; the files are unchanged)",
                self.rejected.len()
            );
            for r in self.rejected.iter().take(SHOW) {
                let _ = writeln!(s, "  {}: {}", printable(&r.path), printable(&r.reason));
            }
            and_more(&mut s, self.rejected.len());
        }
        if !self.ignored.is_empty() {
            let _ = writeln!(
                s,
                "ignored: {} file(s) that are not interviews (listed in merge-report.json)",
                self.ignored.len()
            );
        }
        if !self.sealed.is_empty() {
            let _ = writeln!(
                s,
                "sealed: {} interview(s) not opened, kept in {} (merge again with --identity and the supervisor's key \
                 file)",
                self.sealed.len(),
                crate::diag::path_in(out_dir, crate::file_names::SEALED_DIR, w)
            );
            // "Needs --identity" is said once above; a wrong key, file by file.
            let other: Vec<&ReportSealed> = self
                .sealed
                .iter()
                .filter(|r| r.reason != crate::seal::Locked::NoIdentity.reason())
                .collect();
            for r in other.iter().take(SHOW) {
                let _ = writeln!(s, "  {}: {}", printable(&r.path), printable(&r.reason));
            }
            and_more(&mut s, other.len());
        }
        let a = &self.accounting;
        let sealed = if a.sealed > 0 {
            format!(" + {} sealed", a.sealed)
        } else {
            String::new()
        };
        let _ = writeln!(
            s,
            "accounted: {} record(s) = {} merged + {} duplicate + {} conflict loser + {} draft + {} discarded + {} \
             rejected + {} ignored{sealed}",
            self.records_read,
            a.merged,
            a.duplicates,
            a.conflict_losers,
            a.in_progress_left_out,
            a.discarded,
            a.rejected,
            a.ignored
        );
        let _ = writeln!(
            s,
            "wrote {} file(s) to {folder} (report: merge-report.json)",
            self.outputs.len()
        );
        s
    }
}

fn status_word(s: Status) -> &'static str {
    match s {
        Status::Completed => "completed",
        Status::InProgress => "in progress",
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::questionnaire::Kind;
    use crate::questionnaire::fixtures;
    use crate::record::{Answer, AnswerValue, Record};
    use crate::simulate::{Options, Simulator};

    /// A simulated record of `q` with one fault put in (or none).
    pub(crate) fn faulty(q: &Questionnaire, n: u64, fault: usize) -> Record {
        let sim = Simulator::new(
            q,
            Options {
                seed: 9,
                incomplete_share: 0.2,
                ..Options::default()
            },
        );
        let mut r = sim.record(n);
        let of = |pred: &dyn Fn(&Kind) -> bool| q.questions.iter().find(|qq| pred(&qq.kind)).map(|qq| qq.id.clone());
        let single = of(&|k| matches!(k, Kind::Single));
        let multi = of(&|k| matches!(k, Kind::Multi { .. }));
        let number = of(&|k| matches!(k, Kind::Number { .. }));
        let text = of(&|k| matches!(k, Kind::Text { .. } | Kind::LongText { .. }));
        let date = of(&|k| matches!(k, Kind::Date));
        let note = of(&|k| matches!(k, Kind::Note));
        let no_other = q
            .questions
            .iter()
            .find(|qq| qq.is_answerable() && !qq.options.iter().any(|o| o.other));
        let mut set = |var: Option<String>, v: AnswerValue| {
            if let Some(var) = var {
                r.answers
                    .entry(var)
                    .or_insert_with(|| Answer {
                        relevant: true,
                        ..Answer::default()
                    })
                    .value = Some(v);
            }
        };
        let multi_q = multi.as_deref().and_then(|m| q.question(m));
        let code = |i: usize| {
            multi_q
                .map(|m| m.options[i % m.options.len()].code.clone())
                .unwrap_or_default()
        };
        let exclusive = multi_q
            .and_then(|m| m.options.iter().find(|o| o.exclusive))
            .map(|o| o.code.clone());
        match fault {
            0 => {}
            1 => set(Some("no_such_variable".into()), AnswerValue::Text("x".into())),
            2 => set(single.clone(), AnswerValue::Text("atlantis".into())),
            3 => set(multi.clone(), AnswerValue::Codes(vec![code(0), code(0)])),
            4 => set(multi.clone(), AnswerValue::Codes(vec![code(0), "atlantis".into()])),
            5 => {
                if let Some(e) = exclusive.filter(|e| *e != code(0)) {
                    set(multi.clone(), AnswerValue::Codes(vec![code(0), e]))
                }
            }
            6 => set(single.clone(), AnswerValue::Number(3.0)),
            7 => set(number.clone(), AnswerValue::Text("12".into())),
            8 => set(multi.clone(), AnswerValue::Text(code(1))),
            9 => set(text.clone(), AnswerValue::Codes(vec!["a".into()])),
            10 => set(date.clone(), AnswerValue::Text("2021-02-30".into())),
            11 => set(note.clone(), AnswerValue::Text("x".into())),
            12 => {
                if let Some(qq) = no_other {
                    r.answers.entry(qq.id.clone()).or_default().other = Some("specify".into());
                }
            }
            13 => r.questionnaire.id = "other".into(),
            14 => r.id = r.id.to_uppercase(),
            15 => r.id = "not-a-uuid".into(),
            16 => r.updated = "yesterday".into(),
            17 => r.started = "2021-13-01T00:00:00Z".into(),
            18 => r.format = "anketa-interview/2".into(),
            19 => r.questionnaire.sha256 = "0".repeat(64),
            20 => set(multi.clone(), AnswerValue::Codes(vec![])),
            21 => set(number.clone(), AnswerValue::Number(2.5)),
            _ => unreachable!(),
        }
        r
    }

    #[test]
    fn examined_records_have_the_canonical_line_and_faults_are_rejected() {
        let mut cat = Catalog::new(false);
        let mut excel = Catalog::new(true);
        for q in fixtures::all() {
            cat.add(q.clone(), Origin::Given("fixture".into()));
            excel.add(q, Origin::Given("fixture".into()));
        }
        let mut rejected = 0;
        for q in fixtures::all() {
            let name = &q.id;
            for n in 0..40 {
                for fault in 0..22 {
                    let r = faulty(&q, n, fault);
                    let text = String::from_utf8(r.to_json()).unwrap();
                    let view: RecordView<'_> = serde_json::from_str(&text).unwrap();
                    assert_eq!(fit(&q, &view), fit(&q, &r), "{name} {n} fault {fault}");
                    for cat in [&cat, &excel] {
                        let (mut line, mut row) = (Vec::new(), Vec::new());
                        match examine_view(cat, &view, &mut line, &mut row, None, true) {
                            Ok(e) => {
                                assert_eq!(line, r.to_json_line(), "{name} {n} fault {fault}");
                                assert_eq!(e.hash, content_hash(&line));
                                assert!(row.ends_with(b"\n") && e.row_len as usize == row.len());
                            }
                            Err(_) => rejected += 1,
                        }
                    }
                }
            }
        }
        assert!(rejected > 1000, "the faults are rejected ({rejected})");
    }

    #[test]
    fn instances_of_a_roster_not_asked_have_no_rows_and_count_none() {
        let q = crate::questionnaire::bundled("projects").unwrap();
        let mut cat = Catalog::new(false);
        cat.add(q.clone(), Origin::Bundled);
        // A project entered, then the number of projects set to 0: the block of the projects
        // is no longer asked, and the instance's answers are kept, marked not relevant.
        let text = |n: u32, relevant: bool| {
            format!(
                r#"{{"format":"anketa-interview/2","id":"0190f0e0-0000-7000-8000-000000000001","revision":3,
                "device":"d","interviewer":"I","questionnaire":{{"id":"projects","version":"{}","sha256":"{}"}},
                "status":"in_progress","started":"2021-01-10T10:00:00Z","updated":"2021-01-10T10:05:00Z",
                "duration_ms":1,"answers":{{"n_projects":{{"value":{n},"relevant":true}},
                "org_type":{{"value":"ngo","relevant":true}}}},
                "rosters":{{"projects":[{{"answers":{{"project_name":{{"value":"Сад","relevant":{relevant}}}}}}}]}}}}"#,
                q.version, q.sha256
            )
        };
        let count_at = q_column(&cat, "projects_count");
        for (n, asked) in [(1, true), (0, false)] {
            let text = text(n, asked);
            let view = RecordView::parse(&text).unwrap();
            let (mut line, mut row, mut rosters) = (Vec::new(), Vec::new(), Vec::new());
            examine_view(&cat, &view, &mut line, &mut row, Some(&mut rosters), true).unwrap();
            let row = String::from_utf8(row).unwrap();
            let projects = String::from_utf8(rosters[0].clone()).unwrap();
            assert!(
                String::from_utf8(line).unwrap().contains("Сад"),
                "the NDJSON keeps the instance"
            );
            if asked {
                assert!(projects.contains("Сад"), "{projects}");
                assert_eq!(row.trim_end().split(',').nth(count_at), Some("1"));
            } else {
                assert_eq!(projects, "", "no row for an instance of a roster not asked");
                assert_eq!(row.trim_end().split(',').nth(count_at), Some("0"), "{row}");
            }
            // The roster CSVs made again from the lines (when the reading order misled) agree.
            let mut again = Vec::new();
            roster_rows(&cat, 0, &view, &mut again);
            assert_eq!(again, rosters);
        }
    }

    /// The column of the main CSV of questionnaire 0 with this name.
    fn q_column(cat: &Catalog, name: &str) -> usize {
        let header = String::from_utf8(cat.get(0).layout.header()).unwrap();
        header.trim_end().split(',').position(|c| c == name).unwrap()
    }

    pub(crate) fn e(id: &str, rev: u64, status: Status, upd: i64, h: u8, file: u32) -> Entry {
        Entry {
            id: uuid::Uuid::from_bytes([id.as_bytes()[0]; 16]),
            questionnaire: 0,
            revision: rev,
            status,
            updated_ns: upd,
            hash: [h; 32],
            source: Source { file, line: 0 },
            line_len: 0,
            row_len: 0,
        }
    }
    use Status::{Completed as C, InProgress as P};

    #[test]
    fn identical_copies_are_one_interview() {
        let es = [e("a", 3, C, 1, 7, 2), e("a", 3, C, 1, 7, 0), e("a", 3, C, 1, 7, 1)];
        let d = decide(&es, false);
        assert_eq!(d.merged, vec![1]);
        assert_eq!(
            d.duplicates,
            vec![Duplicate {
                kept: 1,
                copies: vec![2, 0]
            }]
        );
        assert!(d.conflicts.is_empty());
    }

    #[test]
    fn higher_revision_wins() {
        let es = [e("a", 3, C, 9, 1, 0), e("a", 5, C, 1, 2, 1)];
        let d = decide(&es, false);
        assert_eq!(d.merged, vec![1]);
        assert_eq!(
            d.conflicts,
            vec![Conflict {
                winner: 1,
                loser: 0,
                rule: Rule::HigherRevision
            }]
        );
    }

    #[test]
    fn equal_revision_completed_beats_in_progress_then_later_update_then_hash() {
        let d = decide(&[e("a", 5, P, 9, 1, 0), e("a", 5, C, 1, 2, 1)], true);
        assert_eq!((d.merged[0], d.conflicts[0].rule), (1, Rule::CompletedBeatsInProgress));
        let d = decide(&[e("a", 5, C, 9, 1, 0), e("a", 5, C, 1, 2, 1)], false);
        assert_eq!((d.merged[0], d.conflicts[0].rule), (0, Rule::LaterUpdate));
        let d = decide(&[e("a", 5, C, 1, 9, 0), e("a", 5, C, 1, 2, 1)], false);
        assert_eq!((d.merged[0], d.conflicts[0].rule), (1, Rule::Tie));
    }

    #[test]
    fn in_progress_copies_do_not_compete_unless_included() {
        // Completed at rev 5, reopened and left in progress at rev 7.
        let es = [e("a", 7, P, 9, 1, 0), e("a", 5, C, 1, 2, 1), e("b", 2, P, 1, 3, 0)];
        let d = decide(&es, false);
        assert_eq!(d.merged, vec![1]);
        assert_eq!(d.incomplete, vec![2]);
        assert!(d.conflicts.is_empty());
        assert_eq!(d.drafts, vec![0, 2], "every draft not merged is kept");
        let d = decide(&es, true);
        assert_eq!(d.merged, vec![0, 2]);
        assert_eq!(d.conflicts[0].rule, Rule::HigherRevision);
    }

    #[test]
    fn order_of_entries_does_not_matter() {
        let es = vec![
            e("b", 1, C, 1, 1, 3),
            e("a", 2, C, 5, 2, 1),
            e("a", 2, C, 5, 2, 0),
            e("a", 4, P, 6, 3, 2),
            e("c", 1, P, 1, 4, 4),
        ];
        let d1 = decide(&es, false);
        let mut rev: Vec<Entry> = es.iter().rev().cloned().collect();
        let d2 = decide(&rev, false);
        let map = |i: usize| es.len() - 1 - i;
        let ids = |d: &Decision, f: &dyn Fn(usize) -> usize| d.merged.iter().map(|&i| f(i)).collect::<Vec<_>>();
        assert_eq!(ids(&d1, &|i| i), ids(&d2, &map));
        rev.swap(0, 3);
        assert_eq!(decide(&rev, false).merged.len(), 2);
    }

    #[test]
    fn what_a_merge_keeps_merges_again_to_the_same_decision() {
        // kept(A) = merged, conflict losers and drafts: every content of A. Then decide(kept(A)
        // ∪ B) = decide(A ∪ B) in every list but duplicates, over random cases with drafts.
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        };
        let kept = |d: &Decision| -> Vec<usize> {
            let mut v: Vec<usize> = d.merged.iter().chain(&d.drafts).copied().collect();
            v.extend(d.conflicts.iter().map(|c| c.loser));
            v
        };
        let view = |d: &Decision, es: &[Entry]| {
            let h = |i: &usize| (es[*i].id, es[*i].hash);
            let mut merged: Vec<_> = d.merged.iter().map(h).collect();
            let mut drafts: Vec<_> = d.drafts.iter().map(h).collect();
            let mut conflicts: Vec<_> = d
                .conflicts
                .iter()
                .map(|c| (h(&c.winner), h(&c.loser), c.rule))
                .collect();
            let mut incomplete: Vec<_> = d.incomplete.iter().map(h).collect();
            merged.sort();
            drafts.sort();
            conflicts.sort_by_key(|c| (c.0, c.1));
            incomplete.sort();
            (merged, drafts, conflicts, incomplete)
        };
        for _ in 0..2000 {
            let mk = |n: &mut dyn FnMut() -> u8, file: u32| {
                let rev = (n() % 3) as u64;
                let st = if n().is_multiple_of(3) { P } else { C };
                let h = rev as u8 * 16 + if st == C { 8 } else { 0 } + n() % 3;
                e(["a", "b", "c"][(n() % 3) as usize], rev, st, (h % 3) as i64, h, file)
            };
            let a: Vec<Entry> = (0..5).map(|i| mk(&mut next, i)).collect();
            let b: Vec<Entry> = (0..4).map(|i| mk(&mut next, 10 + i)).collect();
            for inc in [false, true] {
                let all: Vec<Entry> = a.iter().chain(&b).cloned().collect();
                let direct = decide(&all, inc);
                // Every entry of A ∪ B is in exactly one list (duplicates counted as copies).
                let dups: usize = direct.duplicates.iter().map(|d| d.copies.len()).sum();
                assert_eq!(
                    direct.merged.len() + direct.conflicts.len() + direct.drafts.len() + dups,
                    all.len()
                );
                let ka: Vec<Entry> = kept(&decide(&a, inc)).into_iter().map(|i| a[i].clone()).collect();
                let kb: Vec<Entry> = kept(&decide(&b, inc)).into_iter().map(|i| b[i].clone()).collect();
                let again: Vec<Entry> = ka.iter().chain(&b).cloned().collect();
                assert_eq!(view(&decide(&again, inc), &again), view(&direct, &all));
                let both: Vec<Entry> = kb.iter().chain(&ka).cloned().collect();
                assert_eq!(view(&decide(&both, inc), &both), view(&direct, &all));
            }
        }
    }

    #[test]
    fn merging_the_merged_set_again_changes_nothing() {
        // merge(merge(A), B) = merge(A, B) over random small cases.
        let mut seed = 1u64;
        let mut next = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        };
        for _ in 0..500 {
            let mk = |n: &mut dyn FnMut() -> u8, file: u32| {
                let rev = (n() % 4) as u64;
                let st = if n().is_multiple_of(2) { C } else { P };
                let h = rev as u8 * 16 + if st == C { 8 } else { 0 } + n() % 2;
                e(["a", "b"][(n() % 2) as usize], rev, st, (h % 3) as i64, h, file)
            };
            let a: Vec<Entry> = (0..4).map(|i| mk(&mut next, i)).collect();
            let b: Vec<Entry> = (0..3).map(|i| mk(&mut next, 10 + i)).collect();
            for inc in [false, true] {
                let all: Vec<Entry> = a.iter().chain(&b).cloned().collect();
                let direct: Vec<[u8; 32]> = decide(&all, inc).merged.iter().map(|&i| all[i].hash).collect();
                let ma: Vec<Entry> = decide(&a, inc).merged.iter().map(|&i| a[i].clone()).collect();
                let again: Vec<Entry> = ma.iter().chain(&b).cloned().collect();
                let twice: Vec<[u8; 32]> = decide(&again, inc).merged.iter().map(|&i| again[i].hash).collect();
                assert_eq!(direct, twice);
            }
        }
    }
}
