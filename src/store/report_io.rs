//! The file side of `anketa report`: find out what INPUT is, load the questionnaires, stream the
//! interviews to the caller's tally on every core, and read the quota file.
//!
//! INPUT is one of:
//! - a merge output folder (`interviews.ndjson` beside `merge-report.json`): the NDJSON is
//!   streamed, and the merge report says what was set aside (conflicts, incomplete, rejects);
//! - a file: an `interviews.ndjson` (or a single interview file), taken as a merged data set
//!   (a `merge-report.json` beside it is read too);
//! - any other folder: the interview files under it are merged on the fly with the rules of
//!   `anketa merge` (first pass: compact entries and the merge decision; second pass: only the
//!   kept copies are parsed again and tallied), so nothing is written and memory stays small.
//!
//! Records are parsed on all cores; each worker adds to its own state, leased from a pool and
//! handed back when the worker is done, so the caller merges a handful of states at the end.

use super::inputs::{InputFile, Item, read_all, walk};
use super::{load_questionnaire, parse_record, read_text};
use crate::interview::record::{Record, Status};
use crate::merge::{Catalog, Entry, Origin, Source, decide, examine_into};
use crate::questionnaire;
use crate::report::{InputInfo, MergeInfo, PathReason};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Rejected records listed by name in the report (the rest are counted).
const REJECT_EXAMPLES: usize = 20;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What INPUT turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// A merge output folder.
    MergeOutput,
    /// An NDJSON (or single interview) file.
    Ndjson,
    /// A folder of interview files, merged on the fly.
    Files,
}

impl InputKind {
    fn name(self) -> &'static str {
        match self {
            InputKind::MergeOutput => "merge_output",
            InputKind::Ndjson => "ndjson",
            InputKind::Files => "files",
        }
    }
}

/// An opened report input: its files, the questionnaires its records may use, and what the
/// merge did.
#[derive(Debug)]
pub struct ReportInput {
    /// The INPUT argument.
    pub path: PathBuf,
    /// What it is.
    pub kind: InputKind,
    files: Vec<InputFile>,
    /// What the merge did (merge report or merge on the fly), once known.
    pub merge: Option<MergeInfo>,
    /// Files kept by the merge on the fly: source → interview id.
    winners: Option<HashMap<Source, uuid::Uuid>>,
    rejected: u64,
    examples: Vec<(Source, String)>,
    extra_examples: Vec<PathReason>,
}

/// What a record's text is: an interview, something of a data dir to ignore (`Err(None)`), or
/// a reject with its reason.
fn classify(text: &str) -> Result<Record, Option<String>> {
    if let Ok(r) = serde_json::from_str::<Record>(text) {
        return Ok(r);
    }
    let t = text.trim();
    if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(None); // a data dir's device id
    }
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(t) {
        let fmt = v.get("format").and_then(|f| f.as_str());
        let settings = v
            .as_object()
            .is_some_and(|o| o.keys().all(|k| k == "interviewer" || k == "lang"));
        if fmt == Some(super::REPORT_FORMAT) || settings || (fmt.is_none() && v.get("blocks").is_some()) {
            return Err(None);
        }
    }
    Err(Some(
        parse_record(text).err().unwrap_or_else(|| "malformed interview".into()),
    ))
}

fn display(files: &[InputFile], s: Source) -> String {
    let p = files[s.file as usize].path.display().to_string();
    if s.line > 0 { format!("{p}:{}", s.line) } else { p }
}

/// Reads `merge-report.json` into what the report needs.
fn read_merge_report(path: &Path) -> Result<MergeInfo, String> {
    let text = read_text(path, 512 << 20)?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("invalid JSON at line {}: {e}", e.line()))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(super::REPORT_FORMAT) {
        return Err(format!("not a merge report (no `format`: `{}`)", super::REPORT_FORMAT));
    }
    let arr = |k: &str| v.get(k).and_then(|a| a.as_array()).cloned().unwrap_or_default();
    let s = |x: &serde_json::Value, k: &str| x.get(k).and_then(|a| a.as_str()).unwrap_or("").to_string();
    let mut conflict_ids: Vec<String> = arr("conflicts").iter().map(|c| s(c, "id")).collect();
    conflict_ids.sort();
    conflict_ids.dedup();
    let mut incomplete: Vec<(String, String)> = arr("incomplete")
        .iter()
        .map(|i| (s(i, "questionnaire"), s(i, "interviewer")))
        .collect();
    incomplete.sort();
    Ok(MergeInfo {
        source: path.display().to_string(),
        duplicates: arr("duplicates")
            .iter()
            .map(|d| d.get("copies").and_then(|c| c.as_array()).map_or(0, Vec::len))
            .sum(),
        conflict_ids,
        incomplete,
        rejected: arr("rejected").len(),
    })
}

/// Questionnaire files a merge report names as where it found them (other than bundled).
fn merge_report_questionnaires(path: &Path) -> Vec<PathBuf> {
    read_text(path, 512 << 20)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|v| v.get("questionnaires").and_then(|q| q.as_array()).cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|q| q.get("source").and_then(|s| s.as_str()))
        .filter(|s| *s != "bundled")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .collect()
}

/// Opens INPUT and loads the questionnaires its records may use: bundled, given with
/// `--questionnaire`, and found beside the data. A usage error (missing input, unreadable
/// `--questionnaire`) lists every problem.
pub fn open_report_input(input: &Path, questionnaires: &[PathBuf]) -> Result<(ReportInput, Catalog), Vec<String>> {
    let meta = std::fs::metadata(input).map_err(|e| vec![format!("{}: {}", input.display(), super::io_reason(&e))])?;
    let mut problems = Vec::new();
    let mut cat = Catalog::new(false);
    for (name, src) in questionnaire::BUNDLED {
        if let Ok(q) = questionnaire::load(&format!("<bundled>/{name}"), src) {
            cat.add(q, Origin::Bundled);
        }
    }
    for p in questionnaires {
        match load_questionnaire(p) {
            Ok(q) => cat.add(q, Origin::Given(p.display().to_string())),
            Err(errs) => problems.extend(
                errs.iter()
                    .map(|e| format!("--questionnaire {}", e.to_string().trim_start_matches("error: "))),
            ),
        }
    }
    let mut found: Vec<PathBuf> = Vec::new();
    let mut merge = None;
    let (kind, files) = if meta.is_dir() {
        let report = input.join(super::REPORT_FILE);
        let ndjson = input.join("interviews.ndjson");
        if report.is_file() && ndjson.is_file() {
            merge = Some(read_merge_report(&report).map_err(|e| vec![format!("{}: {e}", report.display())])?);
            found.extend(merge_report_questionnaires(&report));
            (InputKind::MergeOutput, vec![InputFile { path: ndjson }])
        } else {
            let w = walk(&[input.to_path_buf()]).map_err(|e| vec![e])?;
            found.extend(w.questionnaires);
            (InputKind::Files, w.files)
        }
    } else {
        let beside = input.parent().map(|d| d.join(super::REPORT_FILE));
        if let Some(report) = beside.filter(|r| r.is_file()) {
            merge = read_merge_report(&report).ok();
            found.extend(merge_report_questionnaires(&report));
        }
        (
            InputKind::Ndjson,
            vec![InputFile {
                path: input.to_path_buf(),
            }],
        )
    };
    for p in found {
        if let Ok(q) = load_questionnaire(&p) {
            cat.add(q, Origin::Found(p.display().to_string()));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let inp = ReportInput {
        path: input.to_path_buf(),
        kind,
        files,
        merge,
        winners: None,
        rejected: 0,
        examples: Vec::new(),
        extra_examples: Vec::new(),
    };
    Ok((inp, cat))
}

/// A worker's state, leased from a pool and handed back when the worker is dropped.
struct Lease<'a, S> {
    state: Option<Worker<S>>,
    pool: &'a Mutex<Vec<Worker<S>>>,
}

struct Worker<S> {
    user: S,
    rejected: u64,
    examples: Vec<(Source, String)>,
}

impl<S> Worker<S> {
    fn reject(&mut self, s: Source, reason: String) {
        self.rejected += 1;
        self.examples.push((s, reason));
        if self.examples.len() > 2 * REJECT_EXAMPLES {
            self.examples.sort();
            self.examples.truncate(REJECT_EXAMPLES);
        }
    }
}

impl<S> Drop for Lease<'_, S> {
    fn drop(&mut self) {
        if let Some(s) = self.state.take() {
            lock(self.pool).push(s);
        }
    }
}

impl ReportInput {
    /// For a folder of interview files: reads every file once and decides, by the rules of
    /// `anketa merge`, which copy of each interview is kept. Nothing to do for other inputs.
    pub fn prepare(&mut self, cat: &Catalog, include_incomplete: bool, progress: &(dyn Fn(u64, u64) + Sync)) {
        if self.kind != InputKind::Files {
            return;
        }
        let entries: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
        let drafts: Mutex<HashMap<uuid::Uuid, (String, String)>> = Mutex::new(HashMap::new());
        let bad: Mutex<Vec<(Source, String)>> = Mutex::new(Vec::new());
        read_all(
            &self.files,
            || (Vec::with_capacity(16 * 1024), Vec::with_capacity(4 * 1024)),
            |(line, row): &mut (Vec<u8>, Vec<u8>), file, n, item: Item<'_>| {
                let source = Source {
                    file: file as u32,
                    line: n,
                };
                let rec = match item.map_err(Some).and_then(classify) {
                    Ok(r) => r,
                    Err(None) => return,
                    Err(Some(reason)) => return lock(&bad).push((source, reason)),
                };
                match examine_into(cat, &rec, line, row) {
                    Ok(mut e) => {
                        e.source = source;
                        if rec.status == Status::InProgress {
                            lock(&drafts).insert(e.id, (rec.questionnaire.id.clone(), rec.interviewer.clone()));
                        }
                        lock(&entries).push(e);
                    }
                    Err(reason) => lock(&bad).push((source, reason)),
                }
            },
            progress,
        );
        let entries = entries.into_inner().unwrap_or_else(|p| p.into_inner());
        let drafts = drafts.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut bad = bad.into_inner().unwrap_or_else(|p| p.into_inner());
        bad.sort();
        let d = decide(&entries, include_incomplete);
        let mut incomplete: Vec<(String, String)> = d
            .incomplete
            .iter()
            .filter_map(|&i| drafts.get(&entries[i].id).cloned())
            .collect();
        incomplete.sort();
        let mut conflict_ids: Vec<String> = d.conflicts.iter().map(|c| entries[c.winner].id.to_string()).collect();
        conflict_ids.sort();
        conflict_ids.dedup();
        self.merge = Some(MergeInfo {
            source: "merged on the fly".into(),
            duplicates: d.duplicates.iter().map(|x| x.copies.len()).sum(),
            conflict_ids,
            incomplete,
            rejected: bad.len(),
        });
        self.rejected = bad.len() as u64;
        self.extra_examples = bad
            .iter()
            .take(REJECT_EXAMPLES)
            .map(|(s, r)| PathReason {
                path: display(&self.files, *s),
                reason: r.clone(),
            })
            .collect();
        self.winners = Some(d.merged.iter().map(|&i| (entries[i].source, entries[i].id)).collect());
    }

    /// Streams every record to `add` on all cores, each worker with its own state from `init`;
    /// returns the states. A record `add` refuses (or that cannot be parsed) is counted and
    /// listed as rejected.
    pub fn stream<S, I, A>(&mut self, init: I, add: A, progress: &(dyn Fn(u64, u64) + Sync)) -> Vec<S>
    where
        S: Send,
        I: Fn() -> S + Sync,
        A: Fn(&mut S, &Record) -> Result<(), String> + Sync,
    {
        let pool: Mutex<Vec<Worker<S>>> = Mutex::new(Vec::new());
        let winners = self.winners.as_ref();
        let files = &self.files;
        read_all(
            files,
            || Lease {
                state: Some(lock(&pool).pop().unwrap_or_else(|| Worker {
                    user: init(),
                    rejected: 0,
                    examples: Vec::new(),
                })),
                pool: &pool,
            },
            |lease: &mut Lease<'_, S>, file, n, item: Item<'_>| {
                let Some(w) = lease.state.as_mut() else { return };
                let source = Source {
                    file: file as u32,
                    line: n,
                };
                let want = match winners {
                    Some(win) => match win.get(&source) {
                        Some(id) => Some(*id),
                        None => return,
                    },
                    None => None,
                };
                let rec = match item.map_err(Some).and_then(classify) {
                    Ok(r) => r,
                    Err(None) => return,
                    Err(Some(reason)) => return w.reject(source, reason),
                };
                if let Some(id) = want
                    && uuid::Uuid::parse_str(&rec.id).ok() != Some(id)
                {
                    return w.reject(source, "the file changed while the report was reading it".into());
                }
                if let Err(reason) = add(&mut w.user, &rec) {
                    w.reject(source, reason);
                }
            },
            progress,
        );
        let workers = pool.into_inner().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::with_capacity(workers.len());
        for w in workers {
            self.rejected += w.rejected;
            self.examples.extend(w.examples);
            out.push(w.user);
        }
        self.examples.sort();
        self.examples.truncate(REJECT_EXAMPLES);
        out
    }

    /// What the report says about its input, after [`ReportInput::stream`].
    pub fn info(&self, records: u64) -> InputInfo {
        let mut examples: Vec<PathReason> = self.extra_examples.clone();
        examples.extend(self.examples.iter().map(|(s, r)| PathReason {
            path: display(&self.files, *s),
            reason: r.clone(),
        }));
        examples.sort();
        examples.truncate(REJECT_EXAMPLES);
        InputInfo {
            path: self.path.display().to_string(),
            kind: self.kind.name().into(),
            records,
            rejected: self.rejected,
            rejected_examples: examples,
            merge: self.merge.clone(),
        }
    }
}

/// Reads a quota file's text (at most 10 MB, UTF-8).
pub fn read_quota(path: &Path) -> Result<String, String> {
    read_text(path, 10 << 20)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_dir_files_are_ignored_and_others_rejected_with_a_reason() {
        assert_eq!(classify("0123456789abcdef0123456789abcdef\n").err(), Some(None));
        assert_eq!(classify(r#"{"interviewer": "I01", "lang": "ru"}"#).err(), Some(None));
        assert_eq!(classify(r#"{"format": "anketa-merge-report/1"}"#).err(), Some(None));
        let why = |t: &str| classify(t).err().flatten().unwrap_or_default();
        assert_eq!(why(""), "empty file");
        assert!(
            why("{\"format\": \"anketa-in").starts_with("truncated JSON"),
            "{}",
            why("{")
        );
        assert!(why(r#"{"format": "anketa-interview/2"}"#).starts_with("unknown format version"));
    }
}
