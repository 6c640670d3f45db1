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
//! In the first two cases the questionnaires in `questionnaires/` beside the NDJSON (where
//! `anketa merge` puts a copy of each one it merged) are known too.
//!
//! Records are parsed on all cores; each worker adds to its own state, leased from a pool and
//! handed back when the worker is done, so the caller merges a handful of states at the end.

use super::inputs::{InputFile, InputText, questionnaires_in, read_all, source_path, walk};
use super::{MAX_INTERVIEW_BYTES, load_questionnaire, read_text};
use crate::diag::shown;
use crate::merge::{Catalog, Entry, Origin, Source, examine_view};
use crate::record::decode::{Decoded, decode_opening, decode_without_paradata};
use crate::record::{RecordView, Status};
use crate::report::{InputInfo, MergeInfo, PathReason};
use crate::seal::Identities;
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Rejected records listed by name in the report (the rest are counted).
const REJECT_EXAMPLES: usize = 20;

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// What INPUT turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum InputKind {
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
pub(crate) struct ReportInput {
    /// The INPUT argument.
    pub path: PathBuf,
    /// What it is.
    pub kind: InputKind,
    files: Vec<InputFile>,
    /// The one NDJSON file to stream with the pipelined reader, when INPUT is one.
    ndjson: Option<PathBuf>,
    /// What the merge did (merge report or merge on the fly), once known.
    pub merge: Option<MergeInfo>,
    /// Files kept by the merge on the fly: source → interview id.
    winners: Option<HashMap<Source, uuid::Uuid>>,
    rejected: u64,
    examples: Vec<(Source, String)>,
    extra_examples: Vec<PathReason>,
    /// The identities that open sealed interviews (`--identity`).
    ids: Identities,
}

/// Every interview of a folder examined as `anketa merge` examines it.
pub(crate) struct Examined {
    /// The interviews' entries.
    pub entries: Vec<Entry>,
    /// (questionnaire id, interviewer) of each interview in progress.
    pub drafts: HashMap<uuid::Uuid, (String, String)>,
    /// Files and lines rejected, with why, sorted.
    pub rejected: Vec<(Source, String)>,
    /// Sealed interviews that no `--identity` opened (not rejected, not counted).
    pub sealed: usize,
}

/// Why a record's text gives no interview to count.
#[derive(Debug, PartialEq)]
enum Skip {
    /// Not an interview, and not a fault (ignored).
    Ignored,
    /// Not usable: why (listed as rejected).
    Rejected(String),
    /// A sound sealed interview that no `--identity` opens: why (counted apart, not rejected:
    /// the right key opens it).
    Sealed(String),
}

impl Skip {
    /// The reason to list, if the text counts as rejected where sealed ones are not told apart.
    fn reject_reason(self) -> Option<String> {
        match self {
            Skip::Ignored => None,
            Skip::Rejected(why) | Skip::Sealed(why) => Some(why),
        }
    }
}

/// What a record's text is ([`decode`]): an interview, or why not.
/// A sealed text is opened with `ids` into `plain` ([`decode_opening`]).
fn classify<'a>(text: &'a str, ids: &Identities, plain: &'a mut String) -> Result<RecordView<'a>, Skip> {
    interview(decode_opening(text, ids, plain))
}

fn interview(d: Decoded<'_>) -> Result<RecordView<'_>, Skip> {
    match d {
        Decoded::Interview(r) => Ok(r),
        Decoded::Ignored(_) => Err(Skip::Ignored),
        Decoded::Rejected(reason) => Err(Skip::Rejected(reason)),
        Decoded::Sealed(_, locked) => Err(Skip::Sealed(locked.reason())),
    }
}

/// Reads `merge-report.json` into what the report needs.
fn read_merge_report(path: &Path) -> Result<MergeInfo, String> {
    let text = read_text(path, 512 << 20)?;
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("invalid JSON at line {}: {e}", e.line()))?;
    if v.get("format").and_then(|f| f.as_str()) != Some(crate::merge::REPORT_FORMAT) {
        return Err(format!(
            "not a merge report (no `format`: `{}`)",
            crate::merge::REPORT_FORMAT
        ));
    }
    let arr = |k: &str| v.get(k).and_then(|a| a.as_array()).cloned().unwrap_or_default();
    let s = |x: &serde_json::Value, k: &str| x.get(k).and_then(|a| a.as_str()).unwrap_or("").to_string();
    // A draft that reopened a merged interview counts as a conflict of it (earlier merges
    // listed it under `conflicts`).
    let mut conflict_ids: Vec<String> = arr("conflicts")
        .iter()
        .map(|c| s(c, "id"))
        .chain(
            arr("in_progress_left_out")
                .iter()
                .filter(|d| d.get("interview_merged").and_then(|m| m.as_bool()) == Some(true))
                .map(|d| s(d, "id")),
        )
        .collect();
    conflict_ids.sort();
    conflict_ids.dedup();
    let mut incomplete: Vec<(String, String)> = arr("incomplete")
        .iter()
        .map(|i| (s(i, "questionnaire"), s(i, "interviewer")))
        .collect();
    incomplete.sort();
    Ok(MergeInfo {
        source: shown(path),
        duplicates: arr("duplicates")
            .iter()
            .map(|d| d.get("copies").and_then(|c| c.as_array()).map_or(0, Vec::len))
            .sum(),
        conflict_ids,
        incomplete,
        rejected: arr("rejected").len(),
        sealed: arr("sealed").len(),
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
pub(crate) fn open_report_input(
    input: &Path,
    questionnaires: &[PathBuf],
    identities: &[PathBuf],
) -> Result<(ReportInput, Catalog), Vec<String>> {
    let meta = std::fs::metadata(input).map_err(|e| vec![format!("{}: {}", shown(input), super::io_reason(&e))])?;
    if !meta.is_dir() && !meta.is_file() {
        return Err(vec![format!("{}: {}", shown(input), super::NOT_REGULAR)]);
    }
    let (mut cat, mut problems) = super::catalog(false, questionnaires);
    let ids = super::identities(identities).unwrap_or_else(|e| {
        problems.extend(e);
        Identities::default()
    });
    let mut found: Vec<PathBuf> = Vec::new();
    let mut merge = None;
    let (kind, files) = if meta.is_dir() {
        let report = input.join(crate::merge::plan::REPORT_FILE);
        let ndjson = input.join(crate::merge::plan::NDJSON);
        // A merge with --seal-to wrote the data set as an age file.
        let ndjson = if ndjson.is_file() {
            ndjson
        } else {
            input.join(format!("{}.age", crate::merge::plan::NDJSON))
        };
        if report.is_file() && ndjson.is_file() {
            merge = Some(read_merge_report(&report).map_err(|e| vec![format!("{}: {e}", shown(&report))])?);
            found.extend(merge_report_questionnaires(&report));
            found.extend(questionnaires_in(input));
            (InputKind::MergeOutput, vec![InputFile { path: ndjson }])
        } else {
            let w = walk(&[input.to_path_buf()]).map_err(|e| vec![e])?;
            found.extend(w.questionnaires);
            (InputKind::Files, w.files)
        }
    } else {
        let beside = input.parent().map(|d| d.join(crate::merge::plan::REPORT_FILE));
        if let Some(report) = beside.filter(|r| r.is_file()) {
            merge = read_merge_report(&report).ok();
            found.extend(merge_report_questionnaires(&report));
        }
        if let Some(dir) = input.parent() {
            found.extend(questionnaires_in(dir));
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
            cat.add(q, Origin::Found(shown(&p)));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    let ndjson = match (kind, files.as_slice()) {
        (InputKind::MergeOutput | InputKind::Ndjson, [f]) if starts_as_ndjson(&f.path) || is_age(&f.path) => {
            Some(f.path.clone())
        }
        _ => None,
    };
    let inp = ReportInput {
        path: input.to_path_buf(),
        kind,
        files,
        ndjson,
        merge,
        winners: None,
        rejected: 0,
        examples: Vec::new(),
        extra_examples: Vec::new(),
        ids,
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
    /// Whether the input is a folder of interview files, to be merged on the fly
    /// ([`ReportInput::examine_all`], the merge rules, then [`ReportInput::set_merged`]).
    pub(crate) fn needs_merge(&self) -> bool {
        self.kind == InputKind::Files
    }

    /// Reads and examines every interview file as `anketa merge` does (on all cores): the
    /// entries, the interviewer of each draft, and what was rejected (sorted).
    pub(crate) fn examine_all(&self, cat: &Catalog, progress: &(dyn Fn(u64, u64) + Sync)) -> Examined {
        let entries: Mutex<Vec<Entry>> = Mutex::new(Vec::new());
        let drafts: Mutex<HashMap<uuid::Uuid, (String, String)>> = Mutex::new(HashMap::new());
        let bad: Mutex<Vec<(Source, String)>> = Mutex::new(Vec::new());
        let sealed: Mutex<usize> = Mutex::new(0);
        read_all(
            &self.files,
            || (Vec::with_capacity(16 * 1024), Vec::with_capacity(4 * 1024)),
            |(line, row): &mut (Vec<u8>, Vec<u8>), file, n, item: InputText<'_>| {
                let source = Source {
                    file: file as u32,
                    line: n,
                };
                let mut plain = String::new();
                let rec = match item
                    .map_err(Skip::Rejected)
                    .and_then(|t| classify(t, &self.ids, &mut plain))
                {
                    Ok(r) => r,
                    Err(Skip::Ignored) => return,
                    Err(Skip::Rejected(reason)) => return lock(&bad).push((source, reason)),
                    Err(Skip::Sealed(_)) => return *lock(&sealed) += 1,
                };
                match examine_view(cat, &rec, line, row, None, true) {
                    Ok(mut e) => {
                        e.source = source;
                        if rec.status == Status::InProgress {
                            lock(&drafts).insert(e.id, (rec.questionnaire.id.to_string(), rec.interviewer.to_string()));
                        }
                        lock(&entries).push(e);
                    }
                    Err(refusal) => lock(&bad).push((source, refusal.reason)),
                }
            },
            progress,
        );
        let mut rejected = bad.into_inner().unwrap_or_else(|p| p.into_inner());
        rejected.sort();
        Examined {
            entries: entries.into_inner().unwrap_or_else(|p| p.into_inner()),
            drafts: drafts.into_inner().unwrap_or_else(|p| p.into_inner()),
            rejected,
            sealed: sealed.into_inner().unwrap_or_else(|p| p.into_inner()),
        }
    }

    /// What merging on the fly decided: what the report says of it, the copy of each interview
    /// to read (by where it is), and what was rejected.
    pub(crate) fn set_merged(
        &mut self,
        info: MergeInfo,
        winners: HashMap<Source, uuid::Uuid>,
        rejected: &[(Source, String)],
    ) {
        self.merge = Some(info);
        self.rejected = rejected.len() as u64;
        self.extra_examples = rejected
            .iter()
            .take(REJECT_EXAMPLES)
            .map(|(s, r)| PathReason {
                path: source_path(&self.files, *s),
                reason: r.clone(),
            })
            .collect();
        self.winners = Some(winners);
    }

    /// Streams every record to `add` on all cores, each worker with its own state from `init`;
    /// returns the states. A record `add` refuses (or that cannot be parsed) is counted and
    /// listed as rejected.
    pub(crate) fn stream<S, I, A>(&mut self, init: I, add: A, progress: &(dyn Fn(u64, u64) + Sync)) -> Vec<S>
    where
        S: Send,
        I: Fn() -> S + Sync,
        A: Fn(&mut S, &RecordView<'_>) -> Result<(), String> + Sync,
    {
        let winners = self.winners.as_ref();
        let ids = &self.ids;
        let handle = |w: &mut Worker<S>, file: usize, n: u32, item: InputText<'_>| {
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
            let mut plain = String::new();
            let rec = match item
                .map_err(Skip::Rejected)
                .and_then(|t| classify_fast(t, ids, &mut plain))
            {
                Ok(r) => r,
                Err(skip) => match skip.reject_reason() {
                    None => return,
                    Some(reason) => return w.reject(source, reason),
                },
            };
            if let Some(id) = want
                && uuid::Uuid::parse_str(rec.id.as_str()).ok() != Some(id)
            {
                return w.reject(source, "the file changed while the report was reading it".into());
            }
            if let Err(reason) = add(&mut w.user, &rec) {
                w.reject(source, reason);
            }
        };
        let new_worker = || Worker {
            user: init(),
            rejected: 0,
            examples: Vec::new(),
        };
        let workers: Vec<Worker<S>> = match &self.ndjson {
            Some(path) => stream_ndjson(path, ids, &new_worker, &handle, progress),
            None => {
                let pool: Mutex<Vec<Worker<S>>> = Mutex::new(Vec::new());
                read_all(
                    &self.files,
                    || Lease {
                        state: Some(lock(&pool).pop().unwrap_or_else(new_worker)),
                        pool: &pool,
                    },
                    |lease: &mut Lease<'_, S>, file, n, item: InputText<'_>| {
                        if let Some(w) = lease.state.as_mut() {
                            handle(w, file, n, item);
                        }
                    },
                    progress,
                );
                pool.into_inner().unwrap_or_else(|p| p.into_inner())
            }
        };
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
    pub(crate) fn info(&self, records: u64) -> InputInfo {
        let mut examples: Vec<PathReason> = self.extra_examples.clone();
        examples.extend(self.examples.iter().map(|(s, r)| PathReason {
            path: source_path(&self.files, *s),
            reason: r.clone(),
        }));
        examples.sort();
        examples.truncate(REJECT_EXAMPLES);
        InputInfo {
            path: shown(&self.path),
            kind: self.kind.name().into(),
            records,
            rejected: self.rejected,
            rejected_examples: examples,
            merge: self.merge.clone(),
        }
    }
}

/// [`classify`], faster for the records `anketa merge` writes ([`decode_without_paradata`]):
/// the paradata are then not checked at all; `anketa merge` checks them.
fn classify_fast<'a>(text: &'a str, ids: &Identities, plain: &'a mut String) -> Result<RecordView<'a>, Skip> {
    if crate::seal::looks_sealed(text) {
        return classify(text, ids, plain);
    }
    interview(decode_without_paradata(text))
}

/// Whether a file starts with a line that is one whole JSON object (an NDJSON file, such as
/// the `interviews.ndjson` of a merge). Reads at most the first 10 MB.
fn starts_as_ndjson(path: &Path) -> bool {
    let Ok((f, _)) = super::open_input(path) else {
        return false;
    };
    let mut first = Vec::new();
    if BufReader::new(f)
        .take(MAX_INTERVIEW_BYTES as u64 + 1)
        .read_until(b'\n', &mut first)
        .is_err()
    {
        return false;
    }
    crate::record::decode::starts_ndjson(first.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&first))
}

/// Whether a file is an age file (a data set sealed by `merge --seal-to`).
fn is_age(path: &Path) -> bool {
    let mut head = [0u8; 32];
    let Ok((mut f, _)) = super::open_input(path) else {
        return false;
    };
    let n = std::io::Read::read(&mut f, &mut head).unwrap_or(0);
    crate::seal::is_age_file(&head[..n])
}

/// Bytes read per piece of an NDJSON stream.
const PIECE: usize = 4 << 20;

/// What the reader of an NDJSON stream hands the workers.
enum Piece {
    /// Whole lines, the first being line `first` of the file.
    Lines { buf: Vec<u8>, first: u32 },
    /// A line that cannot be read, with the reason.
    Bad(u32, String),
}

/// Streams one NDJSON file: this thread reads pieces of a few megabytes (cut after their last
/// line) while one worker per core splits and parses them, so reading overlaps parsing and no
/// line is copied or allocated on its own. Buffers go back to the reader for reuse, and at most
/// two pieces per worker are in flight: memory stays at a few tens of megabytes whatever the
/// size of the file. A line over 10 MB, or not UTF-8, is a reject, like in `anketa merge`.
fn stream_ndjson<S, N, H>(
    path: &Path,
    ids: &Identities,
    new_worker: &N,
    handle: &H,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Vec<Worker<S>>
where
    S: Send,
    N: Fn() -> Worker<S> + Sync,
    H: Fn(&mut Worker<S>, usize, u32, InputText<'_>) + Sync,
{
    use std::sync::mpsc::{channel, sync_channel};
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).max(1);
    let (tx, rx) = sync_channel::<Piece>(threads * 2);
    let rx = Mutex::new(rx);
    let (back_tx, back_rx) = channel::<Vec<u8>>();
    let too_long = format!(
        "line is over the {} MB limit of an interview",
        MAX_INTERVIEW_BYTES / (1024 * 1024)
    );
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (rx, back_tx, too_long) = (&rx, back_tx.clone(), &too_long);
                scope.spawn(move || {
                    let mut w = new_worker();
                    loop {
                        let piece = lock(rx).recv();
                        match piece {
                            Err(_) => break,
                            Ok(Piece::Bad(n, reason)) => handle(&mut w, 0, n, Err(reason)),
                            Ok(Piece::Lines { buf, first }) => {
                                let mut at = 0;
                                let mut n = first;
                                while at < buf.len() {
                                    let end = memchr::memchr(b'\n', &buf[at..]).map_or(buf.len(), |p| at + p);
                                    let line = &buf[at..end];
                                    at = end + 1;
                                    n += 1;
                                    let n = n - 1;
                                    if line.trim_ascii().is_empty() {
                                        continue;
                                    }
                                    if line.len() > MAX_INTERVIEW_BYTES {
                                        handle(&mut w, 0, n, Err(too_long.clone()));
                                        continue;
                                    }
                                    let item = std::str::from_utf8(line).map_err(|e| {
                                        format!(
                                            "not UTF-8 text (invalid byte at offset {}); damaged in copying?",
                                            e.valid_up_to()
                                        )
                                    });
                                    handle(&mut w, 0, n, item);
                                }
                                let _ = back_tx.send(buf);
                            }
                        }
                    }
                    w
                })
            })
            .collect();
        drop(back_tx);
        read_pieces(path, ids, &tx, &back_rx, &too_long, progress);
        drop(tx);
        workers.into_iter().filter_map(|h| h.join().ok()).collect()
    })
}

/// The reader's side of [`stream_ndjson`].
fn read_pieces(
    path: &Path,
    ids: &Identities,
    tx: &std::sync::mpsc::SyncSender<Piece>,
    back: &std::sync::mpsc::Receiver<Vec<u8>>,
    too_long: &str,
    progress: &(dyn Fn(u64, u64) + Sync),
) {
    let (f, meta) = match super::open_input(path) {
        Ok(f) => f,
        Err(e) => {
            let _ = tx.send(Piece::Bad(0, e.detail));
            return;
        }
    };
    let total_mb = meta.len() >> 20;
    // A data set sealed by `merge --seal-to` (told by its first bytes, read through the same
    // handle): decrypted as it is read.
    let mut f = std::io::BufReader::with_capacity(1 << 20, f);
    let sealed = std::io::BufRead::fill_buf(&mut f).is_ok_and(crate::seal::is_age_file);
    let mut f: Box<dyn Read> = if sealed {
        match crate::seal::open_reader(f, ids) {
            Ok(r) => Box::new(r),
            Err(locked) => {
                let _ = tx.send(Piece::Bad(0, locked.reason()));
                return;
            }
        }
    } else {
        Box::new(f)
    };
    let mut read_bytes: u64 = 0;
    let mut carry: Vec<u8> = Vec::new();
    let mut line: u32 = 1;
    let mut skipping = false;
    let mut first_piece = true;
    loop {
        let mut buf = back
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(PIECE + (64 << 10)));
        buf.clear();
        buf.append(&mut carry);
        let start = buf.len();
        let mut failed = None;
        // Into the spare capacity, without zeroing it first.
        while buf.len() - start < PIECE {
            let want = (PIECE - (buf.len() - start)) as u64;
            match (&mut f).take(want).read_to_end(&mut buf) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    failed = Some(if sealed {
                        crate::seal::reading_error(&e).reason()
                    } else {
                        format!("cannot read: {}", super::io_reason(&e))
                    });
                    break;
                }
            }
        }
        let got = buf.len() - start;
        read_bytes += got as u64;
        progress(read_bytes >> 20, total_mb);
        let eof = got < PIECE;
        if first_piece {
            first_piece = false;
            if buf.starts_with(b"\xEF\xBB\xBF") {
                buf.drain(..3);
            }
        }
        if skipping {
            match memchr::memchr(b'\n', &buf) {
                Some(p) => {
                    buf.drain(..=p);
                    line += 1;
                    skipping = false;
                }
                None => buf.clear(),
            }
        }
        if eof {
            if !buf.is_empty() {
                let _ = tx.send(Piece::Lines { buf, first: line });
            }
            if let Some(reason) = failed {
                let _ = tx.send(Piece::Bad(line, reason));
            }
            return;
        }
        match memchr::memrchr(b'\n', &buf) {
            Some(p) => {
                carry.extend_from_slice(&buf[p + 1..]);
                buf.truncate(p + 1);
                let lines = memchr::memchr_iter(b'\n', &buf).count() as u32;
                if tx.send(Piece::Lines { buf, first: line }).is_err() {
                    return;
                }
                line += lines;
            }
            None if buf.len() > MAX_INTERVIEW_BYTES => {
                let _ = tx.send(Piece::Bad(line, too_long.to_string()));
                skipping = true;
            }
            None => carry = buf,
        }
    }
}

/// Reads a quota file's text (at most 10 MB, UTF-8).
pub(crate) fn read_quota(path: &Path) -> Result<String, String> {
    Ok(read_text(path, 10 << 20)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::{Answer, Record};

    fn sample() -> Record {
        use crate::record::{AnswerValue, Event, EventKind, QuestionnaireRef};
        let mut answers = std::collections::BTreeMap::new();
        answers.insert(
            "final_comment".to_string(),
            Answer {
                value: Some(AnswerValue::Text("цитата: ,\"paradata\":[1]}".into())),
                remark: Some("]}".into()),
                answered_at: Some("2021-01-01T00:00:00Z".into()),
                relevant: true,
                ..Answer::default()
            },
        );
        Record {
            format: crate::record::FORMAT.into(),
            id: "01770000-0000-7000-8000-000000000001".into(),
            revision: 2,
            device: "0".repeat(32),
            interviewer: "I01".into(),
            questionnaire: QuestionnaireRef {
                id: "nko".into(),
                version: "2021.1".into(),
                sha256: "0".repeat(64),
            },
            status: Status::Completed,
            started: "2021-01-01T00:00:00Z".into(),
            updated: "2021-01-01T00:00:00Z".into(),
            completed: Some("2021-01-01T00:00:00Z".into()),
            duration_ms: 1000,
            position: None,
            position_at: Vec::new(),
            answers,
            rosters: Default::default(),
            reopened: Vec::new(),
            paradata: vec![Event {
                ms: 5,
                ev: EventKind::Shown,
                q: "final_comment".into(),
                gap_s: None,
                at: Vec::new(),
            }],
        }
    }

    #[test]
    fn the_fast_path_reads_everything_but_the_paradata() {
        let rec = sample();
        let mut want = rec.clone();
        want.paradata.clear();
        let line = String::from_utf8(rec.to_json_line()).unwrap();
        assert_eq!(
            classify_fast(&line, &Identities::default(), &mut String::new())
                .unwrap()
                .to_record(),
            want
        );
        // A pretty-printed file is not in the canonical form: read in full.
        let pretty = String::from_utf8(rec.to_json()).unwrap();
        assert_eq!(
            classify_fast(&pretty, &Identities::default(), &mut String::new())
                .unwrap()
                .to_record(),
            rec
        );
        // Damage before the paradata is still found, with the reason.
        let broken = line.replacen("\"revision\":2", "\"revision\":\"2\"", 1);
        assert!(
            classify_fast(&broken, &Identities::default(), &mut String::new())
                .unwrap_err()
                .reject_reason()
                .unwrap()
                .starts_with("malformed interview")
        );
    }

    #[test]
    fn the_ndjson_reader_numbers_lines_and_rejects_bad_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.ndjson");
        let line = sample().to_json_line();
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend(&line);
        bytes.extend(b"\n\n");
        bytes.extend(b"{\"a\": \"\xFF\"}\n");
        bytes.extend(vec![b' '; MAX_INTERVIEW_BYTES + 10]);
        bytes.extend(b"x\n");
        bytes.extend(&line); // last line without a newline
        std::fs::write(&p, &bytes).unwrap();
        assert!(starts_as_ndjson(&p));
        let workers = stream_ndjson(
            &p,
            &Identities::default(),
            &|| Worker {
                user: Vec::new(),
                rejected: 0,
                examples: Vec::new(),
            },
            &|w: &mut Worker<Vec<u32>>, _, n, item: InputText<'_>| match item {
                Ok(t) if classify(t, &Identities::default(), &mut String::new()).is_ok() => w.user.push(n),
                Ok(_) => w.reject(Source { file: 0, line: n }, "not an interview".into()),
                Err(e) => w.reject(Source { file: 0, line: n }, e),
            },
            &|_, _| {},
        );
        let mut ok: Vec<u32> = workers.iter().flat_map(|w| w.user.clone()).collect();
        ok.sort();
        assert_eq!(ok, [1, 5]);
        let mut bad: Vec<(u32, String)> = workers
            .iter()
            .flat_map(|w| w.examples.iter().map(|(s, r)| (s.line, r.clone())))
            .collect();
        bad.sort();
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert_eq!(bad[0].0, 3);
        assert!(bad[0].1.starts_with("not UTF-8"));
        assert_eq!(bad[1], (4, "line is over the 10 MB limit of an interview".into()));
    }
}
