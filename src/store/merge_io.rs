//! The file side of `anketa merge` ([`crate::cmd::merge`] is the use case): read the inputs
//! while writing the data set ([`read_and_write`]), read records back, commit the outputs.
//!
//! Memory stays small whatever the number of files: each record is parsed, checked and reduced
//! to an [`Entry`] on the spot, and its canonical NDJSON line and CSV row are written out at once.
//! Files are read in the order of the outputs as their names suggest it (`<q>-<interviewer>-<id>
//! .json`), so the copies of an interview come together and its winner goes straight into
//! `interviews.ndjson` and its CSV; the other copies go to a spill file (removed as soon as it
//! is created). At the end the rules are applied to all entries: if the names told the truth
//! (the usual case) the files written are the outputs; if not, the outputs are copied in order
//! from where each record was left. Either way the bytes are the same.
//!
//! Inputs are opened read-only. Every output is written to a temp file, fsynced and renamed;
//! the big ones are written back to disk while they grow, so the final fsync is short.

use super::inputs::{InputFile, InputText, Spill, SpillWriter, read_ordered};
use super::{AtomicFile, create_private_dir, io_reason};
use crate::diag::shown;
use crate::merge::plan::{NDJSON, QuestionnaireFiles, REPORT_FILE};
use crate::merge::{Catalog, Entry, REPORT_FORMAT, Refusal, Source, content_hash, decide, examine_view, roster_rows};
use crate::record::Status;
use crate::record::decode::{Decoded, decode_opening};
use crate::seal::{Identities, SealedHead};
use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};

/// An absolute, symlink-free form of a path that may not exist yet.
fn resolved(p: &Path) -> PathBuf {
    if let Ok(c) = fs::canonicalize(p) {
        return c;
    }
    match (p.parent(), p.file_name()) {
        (Some(parent), Some(name)) if !parent.as_os_str().is_empty() => resolved(parent).join(name),
        (_, Some(name)) => std::env::current_dir()
            .map(|d| d.join(name))
            .unwrap_or_else(|_| p.to_path_buf()),
        _ => std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf()),
    }
}

/// Outputs of an earlier merge in `out`, or a usage error if `out` holds anything else.
fn previous_outputs(out: &Path) -> Result<Vec<String>, String> {
    let Ok(rd) = fs::read_dir(out) else {
        return Ok(Vec::new());
    };
    let names: Vec<String> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let report = super::read_text(&out.join(REPORT_FILE), 512 << 20)
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .filter(|v| v.get("format").and_then(|f| f.as_str()) == Some(REPORT_FORMAT));
    let Some(report) = report else {
        return Err(format!(
            "--out {}: the folder is not empty and is not the output of an earlier merge (no {REPORT_FILE}); \
             choose a new or empty folder",
            shown(out)
        ));
    };
    Ok(report
        .get("outputs")
        .and_then(|o| o.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default())
}

/// Removes the temp files that a merge killed before its end left in `out` (and its
/// subfolders): hidden `.<name>.<pid>.tmp` files of a process that is no longer running.
fn remove_stale_temps(out: &Path) {
    let dirs = [out.to_path_buf()].into_iter().chain(
        [
            crate::file_names::CONFLICTS_DIR,
            crate::file_names::QUESTIONNAIRES_DIR,
            crate::file_names::REJECTED_DIR,
        ]
        .map(|d| out.join(d)),
    );
    for dir in dirs {
        let Ok(rd) = fs::read_dir(&dir) else { continue };
        for e in rd.filter_map(|e| e.ok()) {
            let name = e.file_name();
            let Some(name) = name.to_str() else { continue };
            let pid = name
                .strip_prefix('.')
                .and_then(|n| n.strip_suffix(".tmp"))
                .and_then(|n| n.rsplit_once('.'))
                .and_then(|(_, pid)| pid.parse::<u32>().ok());
            if let Some(pid) = pid
                && pid != std::process::id()
                && !running(pid)
                && e.file_type().is_ok_and(|t| t.is_file())
            {
                let _ = fs::remove_file(e.path());
            }
        }
    }
}

/// Whether a process with this id is running (Unix; elsewhere assumed to be).
fn running(pid: u32) -> bool {
    #[cfg(unix)]
    {
        // Signal 0 checks only; ESRCH: no such process.
        // SAFETY: kill with signal 0 sends nothing and touches no memory.
        let r = unsafe { libc::kill(pid as libc::pid_t, 0) };
        r == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
    }
    #[cfg(not(unix))]
    {
        let _ = pid;
        true
    }
}

/// A record as the readers hand it to the [`Sink`]: its entry, canonical line (with its
/// newline) and CSV row, or why it was not taken.
struct Parsed {
    source: Source,
    examined: Result<Examined, Outcome>,
}

/// A record taken: its entry (whether its hash is set yet), line, CSV row and roster rows.
type Examined = (Entry, bool, Vec<u8>, Vec<u8>, RosterRows);

/// The rows of a record's roster CSVs, one buffer per roster of its questionnaire (none for a
/// questionnaire without rosters). Only the winner's are written; nothing keeps them otherwise
/// (see [`Written::commit`] for the rare case that the reading order was wrong).
type RosterRows = Vec<Vec<u8>>;

/// Where a record's line and CSV row were left while reading.
#[derive(Debug, Clone, Copy)]
enum Place {
    /// Written to the outputs: offsets in `interviews.ndjson` and in its questionnaire's CSV.
    Out { line: u64, row: u64 },
    /// In the spill: the line, its newline, then the row.
    Spill(u64),
}

/// Takes the records in reading order (the order of the outputs, if file names tell the truth)
/// and writes each interview's winner to the outputs as soon as its copies are all in: the
/// copies of one interview arrive together, so the rules of [`decide`] can be applied to them
/// on the spot. Everything else goes to the spill. Whether the guess held is checked at the
/// end against [`decide`] over all entries.
struct Sink<'a> {
    include_incomplete: bool,
    out: &'a Path,
    ndjson: AtomicFile,
    /// CSV per questionnaire (catalog index), made when its first row comes.
    csv: Vec<Option<AtomicFile>>,
    /// CSV per roster of each questionnaire, made when its first row comes.
    roster_csv: Vec<Vec<Option<AtomicFile>>>,
    spill: SpillWriter<'a>,
    entries: Vec<Entry>,
    /// Whether the entry's content hash is set: only interviews with several copies need it.
    hashed: Vec<bool>,
    places: Vec<Place>,
    rejected: Vec<(Source, Rejected)>,
    ignored: Vec<(Source, String)>,
    sealed: Vec<(Source, SealedLeft)>,
    /// The copies of the interview being read: entry index, line, row, roster rows.
    group: Vec<(usize, Vec<u8>, Vec<u8>, RosterRows)>,
    /// Winners to write at the end of the batch (questionnaire, line, row, roster rows), and
    /// where the outputs will end once they are written.
    pending: Vec<(usize, Vec<u8>, Vec<u8>, RosterRows)>,
    ndjson_end: u64,
    csv_end: Vec<u64>,
    /// Entries written to the outputs, in order.
    written: Vec<usize>,
    /// The first write error.
    error: Option<String>,
    /// Buffers to hand back to the readers: lines, rows.
    pools: &'a Pools,
    /// Asks for what was written so far to be made durable (see [`Syncer`]).
    sync: Option<std::sync::mpsc::Sender<SyncMsg>>,
    /// Bytes written since the last request.
    unsynced: u64,
}

/// Line, row and roster-row buffers going round between the readers and the [`Sink`], so that
/// a merge allocates a few thousand of them rather than a few per record.
///
/// The pool keeps at most `budget` bytes of capacity; a buffer that does not fit is freed. A
/// buffer only grows (it is cleared, not shrunk), so a pool bounded by count only (512 of each
/// kind, as it was) drifts towards 512 buffers of the largest records' size: for roster
/// interviews (30 KB lines, some of 280 KB) the main part of a merge's memory growing with the
/// number of records.
struct Pool<T> {
    free: std::sync::Mutex<(Vec<T>, usize)>,
    budget: usize,
}

/// A buffer a [`Pool`] can keep: its capacity in bytes, and how it is emptied for reuse.
trait Reusable: Default {
    fn bytes(&self) -> usize;
    fn reset(&mut self);
}

impl Reusable for Vec<u8> {
    fn bytes(&self) -> usize {
        self.capacity()
    }
    fn reset(&mut self) {
        self.clear();
    }
}

impl Reusable for RosterRows {
    fn bytes(&self) -> usize {
        self.iter().map(|b| b.capacity()).sum::<usize>() + self.capacity() * size_of::<Vec<u8>>()
    }
    fn reset(&mut self) {
        self.iter_mut().for_each(Vec::clear);
    }
}

impl<T: Reusable> Pool<T> {
    fn new(budget: usize) -> Pool<T> {
        Pool {
            free: std::sync::Mutex::new((Vec::new(), 0)),
            budget,
        }
    }

    fn take(&self) -> T {
        let mut p = self.free.lock().unwrap_or_else(|p| p.into_inner());
        match p.0.pop() {
            Some(b) => {
                p.1 -= b.bytes();
                b
            }
            None => T::default(),
        }
    }

    fn give(&self, bufs: impl Iterator<Item = T>) {
        let mut p = self.free.lock().unwrap_or_else(|p| p.into_inner());
        for mut b in bufs {
            let bytes = b.bytes();
            if p.1 + bytes > self.budget {
                continue;
            }
            b.reset();
            p.1 += bytes;
            p.0.push(b);
        }
    }
}

/// The pools of [`read_and_write`]: lines (the big ones), CSV rows and roster rows.
struct Pools {
    lines: Pool<Vec<u8>>,
    rows: Pool<Vec<u8>>,
    rosters: Pool<RosterRows>,
}

impl Pools {
    fn new() -> Pools {
        Pools {
            lines: Pool::new(4 << 20),
            rows: Pool::new(1 << 20),
            rosters: Pool::new(2 << 20),
        }
    }
}

/// Writes the outputs back to disk while they are being written (a `sync_data` of each every
/// [`SYNC_EVERY`] bytes, on its own thread), so that the fsync before each is put in place has
/// little left to do.
struct Syncer {
    handle: std::thread::JoinHandle<()>,
}

enum SyncMsg {
    /// A file to sync from now on (a second handle to it).
    Track(File),
    /// Sync them all.
    Sync,
}

const SYNC_EVERY: u64 = 64 << 20;

impl Syncer {
    fn start() -> (Syncer, std::sync::mpsc::Sender<SyncMsg>) {
        let (tx, rx) = std::sync::mpsc::channel::<SyncMsg>();
        let handle = std::thread::spawn(move || {
            let mut files = Vec::new();
            while let Ok(m) = rx.recv() {
                match m {
                    SyncMsg::Track(f) => files.push(f),
                    SyncMsg::Sync => {
                        for f in &files {
                            // An error shows again in the final fsync, which reports it.
                            let _ = f.sync_data();
                        }
                    }
                }
            }
        });
        (Syncer { handle }, tx)
    }

    fn stop(self) {
        let _ = self.handle.join();
    }
}

impl Sink<'_> {
    fn take(&mut self, cat: &Catalog, batch: Vec<Parsed>) {
        for p in batch {
            match p.examined {
                Err(Outcome::Rejected(refusal, text)) => {
                    let text = text.map(|t| (self.spill.append(&[&t]), t.len() as u32));
                    self.rejected.push((p.source, Rejected { refusal, text }));
                }
                Err(Outcome::Ignored(what)) => self.ignored.push((p.source, what)),
                Err(Outcome::Sealed(head, reason, text)) => {
                    let text = (self.spill.append(&[&text]), text.len() as u32);
                    self.sealed.push((p.source, SealedLeft { head, reason, text }));
                }
                Ok((e, hashed, line, row, rosters)) => {
                    if self.group.first().is_some_and(|g| self.entries[g.0].id != e.id) {
                        self.resolve();
                    }
                    self.group.push((self.entries.len(), line, row, rosters));
                    self.entries.push(e);
                    self.hashed.push(hashed);
                    self.places.push(Place::Spill(0));
                }
            }
        }
        self.write_pending(cat);
    }

    /// The end: the last interview, and what waits to be written.
    fn finish(&mut self, cat: &Catalog) {
        self.resolve();
        self.write_pending(cat);
    }

    /// Decides between the copies of the interview read last: the winner waits to be written
    /// to the outputs, the other copies go to the spill.
    fn resolve(&mut self) {
        if self.group.is_empty() {
            return;
        }
        let winner = match &self.group[..] {
            // One copy (most interviews): it is merged if complete or if drafts are wanted.
            [(i, ..)] => (self.include_incomplete || self.entries[*i].status == Status::Completed).then_some(0),
            group => {
                for (k, (i, line, ..)) in group.iter().enumerate() {
                    if !self.hashed[*i] {
                        // A copy byte for byte (the usual kind) has the hash of the one before.
                        let same = group[..k].iter().find(|(j, l, ..)| self.hashed[*j] && l == line);
                        self.entries[*i].hash = match same {
                            Some((j, ..)) => self.entries[*j].hash,
                            None => content_hash(&line[..line.len() - 1]),
                        };
                        self.hashed[*i] = true;
                    }
                }
                let copies: Vec<Entry> = group.iter().map(|g| self.entries[g.0].clone()).collect();
                decide(&copies, self.include_incomplete).merged.first().copied()
            }
        };
        for (k, (i, line, row, rosters)) in std::mem::take(&mut self.group).into_iter().enumerate() {
            if Some(k) == winner {
                let qi = self.entries[i].questionnaire as usize;
                self.places[i] = Place::Out {
                    line: self.ndjson_end,
                    row: self.csv_end[qi],
                };
                self.ndjson_end += line.len() as u64;
                self.csv_end[qi] += row.len() as u64;
                self.written.push(i);
                self.pending.push((qi, line, row, rosters));
            } else {
                self.places[i] = Place::Spill(self.spill.append(&[&line, &row]));
                self.pools.lines.give(std::iter::once(line));
                self.pools.rows.give(std::iter::once(row));
                self.pools.rosters.give(std::iter::once(rosters));
            }
        }
    }

    /// Writes the waiting winners: one vectored write per output.
    fn write_pending(&mut self, cat: &Catalog) {
        if self.pending.is_empty() {
            return;
        }
        let pending = std::mem::take(&mut self.pending);
        let lines: Vec<&[u8]> = pending.iter().map(|p| &p.1[..]).collect();
        let mut res = self.ndjson.write_blocks(&lines);
        for qi in 0..self.csv.len() {
            let rows: Vec<&[u8]> = pending.iter().filter(|p| p.0 == qi).map(|p| &p.2[..]).collect();
            if rows.is_empty() || res.is_err() {
                continue;
            }
            res = self.csv_file(cat, qi).and_then(|f| f.write_blocks(&rows));
            for r in 0..self.roster_csv[qi].len() {
                let rows: Vec<&[u8]> = pending
                    .iter()
                    .filter(|p| p.0 == qi)
                    .filter_map(|p| p.3.get(r).filter(|b| !b.is_empty()).map(|b| &b[..]))
                    .collect();
                if rows.is_empty() || res.is_err() {
                    continue;
                }
                res = self.roster_file(cat, qi, r).and_then(|f| f.write_blocks(&rows));
            }
        }
        if let Err(e) = res {
            self.error.get_or_insert_with(|| io_reason(&e));
        }
        self.unsynced += pending.iter().map(|p| (p.1.len() + p.2.len()) as u64).sum::<u64>();
        if self.unsynced >= SYNC_EVERY
            && let Some(tx) = &self.sync
        {
            let _ = tx.send(SyncMsg::Sync);
            self.unsynced = 0;
        }
        for (_, l, r, rr) in pending {
            self.pools.lines.give(std::iter::once(l));
            self.pools.rows.give(std::iter::once(r));
            self.pools.rosters.give(std::iter::once(rr));
        }
    }

    /// The CSV of questionnaire `qi`, begun with its header at the first row (`resolve` counted
    /// the header in).
    fn csv_file(&mut self, cat: &Catalog, qi: usize) -> io::Result<&mut AtomicFile> {
        if self.csv[qi].is_none() {
            let mut f = AtomicFile::create(&self.out.join(format!("q{qi}.csv")))?;
            f.write(&cat.get(qi).layout.header())?;
            if let Some(tx) = &self.sync {
                let _ = tx.send(SyncMsg::Track(f.file().try_clone()?));
            }
            self.csv[qi] = Some(f);
        }
        self.csv[qi].as_mut().ok_or_else(|| io::Error::other("no CSV"))
    }

    /// The CSV of roster `r` of questionnaire `qi`, begun with its header at the first row.
    fn roster_file(&mut self, cat: &Catalog, qi: usize, r: usize) -> io::Result<&mut AtomicFile> {
        if self.roster_csv[qi][r].is_none() {
            let mut f = AtomicFile::create(&self.out.join(roster_temp(qi, r)))?;
            f.write(&cat.get(qi).rosters[r].header())?;
            if let Some(tx) = &self.sync {
                let _ = tx.send(SyncMsg::Track(f.file().try_clone()?));
            }
            self.roster_csv[qi][r] = Some(f);
        }
        self.roster_csv[qi][r]
            .as_mut()
            .ok_or_else(|| io::Error::other("no CSV"))
    }
}

/// The name a roster CSV is written under until it is put in place.
fn roster_temp(qi: usize, r: usize) -> String {
    format!("q{qi}.r{r}.csv")
}

/// The order in which files are read: by the questionnaire and interview id that their names
/// carry (`<questionnaire>-<interviewer>-<id>.json`, as anketa saves them), which is the order
/// of the outputs; other names last, by path. Only a guess, to save copying: what a file is
/// and holds is always decided by its content.
fn reading_order(files: &[InputFile]) -> Vec<usize> {
    // (questionnaire, padded or cut to 16 bytes, then the id as a number): fixed-size keys,
    // compared without touching the paths.
    let hint = |f: &InputFile| -> Option<([u8; 16], u128)> {
        let stem = f.path.file_name()?.to_str()?.strip_suffix(".json")?;
        let id = uuid::Uuid::try_parse(stem.get(stem.len().checked_sub(36)?..)?).ok()?;
        let q = stem.split('-').next()?.as_bytes();
        let mut key = [0u8; 16];
        let n = q.len().min(16);
        key[..n].copy_from_slice(&q[..n]);
        Some((key, id.as_u128()))
    };
    use rayon::prelude::*;
    let mut keys: Vec<(bool, [u8; 16], u128, usize)> = files
        .par_iter()
        .enumerate()
        .map(|(i, f)| match hint(f) {
            Some((q, id)) => (false, q, id, i),
            None => (true, [0; 16], 0, i),
        })
        .collect();
    keys.par_sort_unstable();
    keys.into_iter().map(|k| k.3).collect()
}

/// A record's line (with its newline) or CSV row, wherever it was left.
#[derive(Debug, Clone, Copy)]
struct Block {
    from: From,
    at: u64,
    skip: u32,
    len: u32,
}

#[derive(Debug, Clone, Copy)]
enum From {
    Ndjson,
    Csv(u32),
    Spill,
}

fn block(e: &Entry, p: &Place, row: bool) -> Block {
    let (from, at, skip, len) = match (*p, row) {
        (Place::Out { line, .. }, false) => (From::Ndjson, line, 0, e.line_len + 1),
        (Place::Out { row, .. }, true) => (From::Csv(e.questionnaire), row, 0, e.row_len),
        (Place::Spill(h), false) => (From::Spill, h, 0, e.line_len + 1),
        (Place::Spill(h), true) => (From::Spill, h, e.line_len + 1, e.row_len),
    };
    Block { from, at, skip, len }
}

/// The files records were left in, read back by position.
struct Sources {
    spill: Spill,
    ndjson: File,
    csv: Vec<Option<File>>,
}

impl Sources {
    /// Appends the bytes of `b` to `out`.
    fn fetch(&self, b: &Block, out: &mut Vec<u8>) -> io::Result<()> {
        let start = out.len();
        out.resize(start + b.len as usize, 0);
        let dst = &mut out[start..];
        match b.from {
            From::Spill => self.spill.read_into(b.at, b.skip as u64, dst),
            From::Ndjson => read_at(&self.ndjson, dst, b.at + b.skip as u64),
            From::Csv(q) => match self.csv.get(q as usize).and_then(|f| f.as_ref()) {
                Some(f) => read_at(f, dst, b.at + b.skip as u64),
                None => Err(io::Error::other("no CSV written for this questionnaire")),
            },
        }
    }
}

fn read_at(f: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        f.read_exact_at(buf, offset)
    }
    #[cfg(not(unix))]
    {
        use std::os::windows::fs::FileExt;
        let mut done = 0;
        while done < buf.len() {
            match f.seek_read(&mut buf[done..], offset + done as u64)? {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n => done += n,
            }
        }
        Ok(())
    }
}

/// Writes `head` then the blocks, in order, to `path` (to be committed). Chunks of about 1 MB are
/// assembled in parallel, two per core, and written in order (parallel writes to one file would
/// only contend for its lock). Larger chunks gain nothing and cost memory: with 4 MB ones, the
/// copy of the drafts at the end of a merge was its peak.
fn copy_blocks(sources: &Sources, path: &Path, head: &[u8], blocks: &[Block]) -> io::Result<AtomicFile> {
    use rayon::prelude::*;
    const CHUNK_BYTES: usize = 1 << 20;
    let mut f = AtomicFile::create(path)?;
    f.write(head)?;
    let mut chunks: Vec<std::ops::Range<usize>> = Vec::new();
    let (mut start, mut size) = (0, 0usize);
    for (i, b) in blocks.iter().enumerate() {
        size += b.len as usize;
        if size >= CHUNK_BYTES || i + 1 == blocks.len() {
            chunks.push(start..i + 1);
            start = i + 1;
            size = 0;
        }
    }
    let window = 2 * rayon::current_num_threads().max(1);
    for group in chunks.chunks(window) {
        let bufs: Vec<Vec<u8>> = group
            .par_iter()
            .map(|range| {
                let mut out = Vec::with_capacity(CHUNK_BYTES + (1 << 16));
                for b in &blocks[range.clone()] {
                    sources.fetch(b, &mut out)?;
                }
                Ok(out)
            })
            .collect::<io::Result<_>>()?;
        for b in &bufs {
            f.write_direct(b)?;
        }
    }
    Ok(f)
}

/// Why a record was not taken.
enum Outcome {
    /// Rejected: why, and its text (to be kept in the output) if it had one.
    Rejected(Refusal, Option<Vec<u8>>),
    Ignored(String),
    /// Sealed, and no identity given opens it: its head, why, and its text (kept).
    Sealed(SealedHead, String, Vec<u8>),
}

/// A sealed record no identity opened: kept as it was read (under the output's `sealed/`),
/// listed, never merged.
#[derive(Debug)]
pub(crate) struct SealedLeft {
    /// Its plaintext head.
    pub head: SealedHead,
    /// Why it was not opened.
    pub reason: String,
    /// Its text in the spill: handle and length.
    text: (u64, u32),
}

/// A record rejected while reading: why, and where its text was left (in the spill, to be
/// kept under the output's `rejected/`), if it had one.
#[derive(Debug)]
pub(crate) struct Rejected {
    /// Why.
    pub refusal: Refusal,
    /// Its text in the spill: handle and length.
    text: Option<(u64, u32)>,
}

/// Checks the output folder of a merge against its inputs: it must not overlap them, and must
/// be new, empty or the output of an earlier merge. The names of that merge's outputs, or every
/// problem found.
pub(crate) fn check_merge_out(out: &Path, inputs: &[PathBuf]) -> Result<Vec<String>, Vec<String>> {
    let out_abs = resolved(out);
    let mut problems = Vec::new();
    if out_abs.exists() && !out_abs.is_dir() {
        problems.push(format!(
            "--out {}: exists and is not a folder; choose a new or empty folder",
            shown(out)
        ));
    } else if let Some(file) = out_abs.ancestors().skip(1).find(|a| a.exists()).filter(|a| !a.is_dir()) {
        problems.push(format!(
            "--out {}: {} is a file, not a folder, so the output folder cannot be made there; choose another \
             output folder",
            shown(out),
            shown(file)
        ));
    }
    for input in inputs {
        let in_abs = resolved(input);
        if in_abs.is_dir() && out_abs.starts_with(&in_abs) {
            problems.push(format!(
                "--out {} is inside the input folder {}: a later merge would read its own output; \
                 choose an output folder outside the inputs",
                shown(out),
                shown(input)
            ));
        } else if in_abs.starts_with(&out_abs) {
            problems.push(format!(
                "input {} is inside the output folder {}: merge into another folder",
                shown(input),
                shown(out)
            ));
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    previous_outputs(out).map_err(|p| vec![p])
}

/// What [`read_and_write`] left: every interview record read (as [`Entry`]s), what was not
/// taken, the outputs written while reading, and where every record's line and row can be read
/// back.
pub(crate) struct Written {
    /// Every interview record read, in reading order.
    pub entries: Vec<Entry>,
    /// Records and files rejected: where, why, and their text (see [`Written::rejected_text`]).
    pub rejected: Vec<(Source, Rejected)>,
    /// Files recognised as something other than interviews: (where, what).
    pub ignored: Vec<(Source, String)>,
    /// Sealed records no identity opened: where, and what is known of them (see
    /// [`Written::sealed_text`]).
    pub sealed: Vec<(Source, SealedLeft)>,
    hashed: Vec<bool>,
    places: Vec<Place>,
    /// Entries written to the outputs while reading, in order.
    written: Vec<usize>,
    ndjson: Option<AtomicFile>,
    csv: Vec<Option<AtomicFile>>,
    roster_csv: Vec<Vec<Option<AtomicFile>>>,
    sources: Sources,
    out: PathBuf,
}

/// Reads every file (in the order of the outputs, as their names suggest) and writes each
/// interview's winner to `out/interviews.ndjson` and its questionnaire's CSV as soon as its
/// copies are in; everything else goes to a spill. Errors name the file that could not be
/// written.
pub(crate) fn read_and_write(
    out: &Path,
    files: &[InputFile],
    cat: &Catalog,
    include_incomplete: bool,
    ids: &Identities,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<Written, String> {
    let output = |what: &Path, e: io::Error| format!("{}: {}", shown(what), io_reason(&e));
    create_private_dir(out).map_err(|e| output(out, e))?;
    remove_stale_temps(out);
    let spill = Spill::create(out).map_err(|e| output(out, e))?;
    let nd_path = out.join(NDJSON);
    let ndjson = AtomicFile::create(&nd_path).map_err(|e| output(&nd_path, e))?;
    let (syncer, sync) = Syncer::start();
    let _ = sync.send(SyncMsg::Track(
        ndjson.file().try_clone().map_err(|e| output(&nd_path, e))?,
    ));
    let pools = Pools::new();
    let mut sink = Sink {
        include_incomplete,
        out,
        ndjson,
        csv: (0..cat.all().len()).map(|_| None).collect(),
        roster_csv: cat
            .all()
            .iter()
            .map(|k| k.rosters.iter().map(|_| None).collect())
            .collect(),
        spill: spill.writer(),
        entries: Vec::with_capacity(files.len()),
        hashed: Vec::with_capacity(files.len()),
        places: Vec::with_capacity(files.len()),
        rejected: Vec::new(),
        ignored: Vec::new(),
        sealed: Vec::new(),
        group: Vec::new(),
        pending: Vec::new(),
        ndjson_end: 0,
        csv_end: cat.all().iter().map(|k| k.layout.header().len() as u64).collect(),
        written: Vec::with_capacity(files.len()),
        error: None,
        pools: &pools,
        sync: Some(sync),
        unsynced: 0,
    };
    let ingest = |(line, row): &mut (usize, usize), file: usize, n: u32, item: InputText<'_>| {
        let source = Source {
            file: file as u32,
            line: n,
        };
        // Buffers sized like the last record's, handed over to the writer without a copy.
        let (mut l, mut r) = (pools.lines.take(), pools.rows.take());
        l.reserve(*line + 64);
        r.reserve(*row + 64);
        // A rejected record's text is kept (in the output's `rejected/`), as it was read.
        let keep = |t: &str| (!t.trim().is_empty()).then(|| t.as_bytes().to_vec());
        let mut rosters = pools.rosters.take();
        let mut plain = String::new();
        let examined = match item {
            Err(reason) => Err(Outcome::Rejected(reason.into(), None)),
            Ok(text) => match decode_opening(text, ids, &mut plain) {
                Decoded::Interview(view) => examine_view(cat, &view, &mut l, &mut r, Some(&mut rosters), false)
                    .map(|e| (e, false))
                    .map_err(|refusal| Outcome::Rejected(refusal, keep(text))),
                Decoded::Ignored(what) => Err(Outcome::Ignored(what.reason().to_owned())),
                Decoded::Rejected(reason) => Err(Outcome::Rejected(reason.into(), keep(text))),
                Decoded::Sealed(head, locked) => {
                    Err(Outcome::Sealed(head.head(), locked.reason(), text.as_bytes().to_vec()))
                }
            },
        };
        (*line, *row) = (l.len(), r.len());
        Parsed {
            source,
            examined: examined.map(|(mut e, hashed)| {
                e.source = source;
                l.push(b'\n');
                (e, hashed, l, r, rosters)
            }),
        }
    };
    let order = reading_order(files);
    read_ordered(
        files,
        &order,
        || (16 * 1024, 4 * 1024),
        ingest,
        |batch| sink.take(cat, batch),
        progress,
    );
    sink.finish(cat);
    drop(sink.sync.take());
    syncer.stop();
    if let Some(e) = sink.error.take().or_else(|| spill.error()) {
        return Err(format!("{}: {e}", shown(out)));
    }
    // The sink moved out whole: the rest of it, and its borrow of the spill, end here.
    let (mut nd_file, mut csv, mut roster_csv, entries, hashed, places, rejected, ignored, sealed, written) = {
        let Sink {
            ndjson,
            csv,
            roster_csv,
            entries,
            hashed,
            places,
            rejected,
            ignored,
            sealed,
            written,
            ..
        } = { sink };
        (
            ndjson, csv, roster_csv, entries, hashed, places, rejected, ignored, sealed, written,
        )
    };
    // Every file written while reading, flushed, to read records back from.
    nd_file.flush().map_err(|e| output(&nd_path, e))?;
    for f in csv
        .iter_mut()
        .flatten()
        .chain(roster_csv.iter_mut().flatten().flatten())
    {
        f.flush().map_err(|e| output(out, e))?;
    }
    let clone = |f: &AtomicFile| f.file().try_clone().map_err(|e| output(out, e));
    let sources = Sources {
        ndjson: clone(&nd_file)?,
        csv: csv
            .iter()
            .map(|f| f.as_ref().map(clone).transpose())
            .collect::<Result<_, _>>()?,
        spill,
    };
    Ok(Written {
        entries,
        rejected,
        ignored,
        sealed,
        hashed,
        places,
        written,
        ndjson: Some(nd_file),
        csv,
        roster_csv,
        sources,
        out: out.to_path_buf(),
    })
}

/// Files made durable in the background by [`Written::commit`].
pub(crate) struct Commits(std::thread::JoinHandle<Vec<Result<super::Staged, (PathBuf, io::Error)>>>);

impl Commits {
    /// Waits for every file to be durable; they are then ready to be put in place (all of
    /// them, or on an error none). The first error names its file.
    pub fn wait(self) -> Result<Vec<super::Staged>, String> {
        let mut staged = Vec::new();
        let results = self
            .0
            .join()
            .unwrap_or_else(|_| vec![Err((PathBuf::new(), io::Error::other("writer thread failed")))]);
        for result in results {
            staged.push(result.map_err(|(p, e)| format!("{}: {}", shown(&p), io_reason(&e)))?);
        }
        Ok(staged)
    }
}

impl Written {
    /// Appends the canonical line of entry `i` (with its newline) to `buf`, cleared first.
    pub fn read(&self, i: usize, buf: &mut Vec<u8>) -> Result<(), String> {
        buf.clear();
        self.sources
            .fetch(&block(&self.entries[i], &self.places[i], false), buf)
            .map_err(|e| format!("spill file: {}", io_reason(&e)))
    }

    /// Entry `i`'s canonical line read back into `buf` and parsed: its text (without the newline)
    /// and its view.
    pub fn view<'b>(&self, i: usize, buf: &'b mut Vec<u8>) -> Result<(&'b str, crate::record::RecordView<'b>), String> {
        self.read(i, buf)?;
        let text = std::str::from_utf8(buf.strip_suffix(b"\n").unwrap_or(buf)).unwrap_or_default();
        let rec = crate::record::RecordView::parse(text)
            .map_err(|e| format!("spill file: cannot read back a record: {e}"))?;
        Ok((text, rec))
    }

    /// Writes the canonical lines of `entries`, in that order, to `name` in the output folder,
    /// staged (durable under a temp name, put in place with the other outputs).
    pub fn stage_lines(&self, entries: &[usize], name: &str) -> Result<super::Staged, String> {
        let lines: Vec<Block> = entries
            .iter()
            .map(|&i| block(&self.entries[i], &self.places[i], false))
            .collect();
        let path = self.out.join(name);
        copy_blocks(&self.sources, &path, &[], &lines)
            .and_then(|f| f.stage_as(&path))
            .map_err(|e| format!("{}: {}", shown(&path), io_reason(&e)))
    }

    /// The text of a sealed record no identity opened, as it was read.
    pub fn sealed_text(&self, s: &SealedLeft) -> Result<Vec<u8>, String> {
        let (handle, len) = s.text;
        let mut buf = vec![0; len as usize];
        self.sources
            .spill
            .read_into(handle, 0, &mut buf)
            .map_err(|e| format!("spill file: {}", io_reason(&e)))?;
        Ok(buf)
    }

    /// The text of a rejected record as it was read, if it had one.
    pub fn rejected_text(&self, r: &Rejected) -> Result<Option<Vec<u8>>, String> {
        let Some((handle, len)) = r.text else { return Ok(None) };
        let mut buf = vec![0; len as usize];
        self.sources
            .spill
            .read_into(handle, 0, &mut buf)
            .map_err(|e| format!("spill file: {}", io_reason(&e)))?;
        Ok(Some(buf))
    }

    /// Hashes the copies of interviews with several copies that were not read together
    /// (misleading names), so the rules see every copy's content.
    pub(crate) fn hash_copies(&mut self) -> Result<(), String> {
        let mut by_id: Vec<(uuid::Uuid, usize)> = self.entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
        by_id.sort_unstable();
        let mut buf = Vec::new();
        for run in by_id.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
            for &(_, i) in run.iter().filter(|(_, i)| !self.hashed[*i]) {
                self.read(i, &mut buf)?;
                self.entries[i].hash = content_hash(&buf[..buf.len() - 1]);
            }
        }
        Ok(())
    }

    /// The roster CSVs of questionnaire file set `f` made again from the merged records' lines,
    /// in `merged` order: when the reading order was not the order of the outputs, the roster
    /// rows written while reading are not the outputs either (and no copy of them was kept).
    fn roster_files_again(
        &self,
        cat: &Catalog,
        merged: &[usize],
        f: &QuestionnaireFiles,
    ) -> Result<Vec<(PathBuf, AtomicFile)>, String> {
        let output = |what: &Path, e: io::Error| format!("{}: {}", what.display(), io_reason(&e));
        let k = cat.get(f.qi);
        let mut files = Vec::new();
        for rf in &f.rosters {
            let p = self.out.join(format!(".{}.sorted", rf.csv));
            let mut file = AtomicFile::create(&p).map_err(|e| output(&p, e))?;
            file.write(&k.rosters[rf.roster].header()).map_err(|e| output(&p, e))?;
            files.push((self.out.join(&rf.csv), p, file));
        }
        // Read back and parsed on all cores, a chunk at a time (each record's rows are a few
        // KB), written in order.
        use rayon::prelude::*;
        let ours: Vec<usize> = merged
            .iter()
            .copied()
            .filter(|&i| self.entries[i].questionnaire as usize == f.qi)
            .collect();
        for chunk in ours.chunks(256) {
            let rows: Vec<RosterRows> = chunk
                .par_iter()
                .map_init(Vec::new, |line, &i| {
                    let (_, rec) = self.view(i, line)?;
                    let mut rows = RosterRows::new();
                    roster_rows(cat, f.qi, &rec, &mut rows);
                    Ok(rows)
                })
                .collect::<Result<_, String>>()?;
            for rows in &rows {
                for ((_, p, file), rf) in files.iter_mut().zip(&f.rosters) {
                    file.write(&rows[rf.roster]).map_err(|e| output(p, e))?;
                }
            }
        }
        Ok(files.into_iter().map(|(dest, _, file)| (dest, file)).collect())
    }

    /// Puts the data set in place: `interviews.ndjson` and each questionnaire's CSV hold the
    /// entries of `merged` in that order — the files written while reading when they already do
    /// (the usual case), copies made in order from where the records were left otherwise — and
    /// are committed (fsync, rename) in the background. Once: the files are handed over.
    pub(crate) fn commit(
        &mut self,
        cat: &Catalog,
        merged: &[usize],
        files: &[QuestionnaireFiles],
    ) -> Result<Commits, String> {
        let out = self.out.clone();
        let output = |what: &Path, e: io::Error| format!("{}: {}", shown(what), io_reason(&e));
        let nd_path = out.join(NDJSON);
        let mut commits: Vec<(PathBuf, AtomicFile)> = Vec::new();
        let nd_file = self
            .ndjson
            .take()
            .ok_or_else(|| "the outputs were committed once already".to_string())?;
        if self.written == merged {
            commits.push((nd_path, nd_file));
            let mut csv = std::mem::take(&mut self.csv);
            let mut roster_csv = std::mem::take(&mut self.roster_csv);
            for f in files {
                if let Some(file) = csv[f.qi].take() {
                    commits.push((out.join(&f.csv), file));
                }
                for rf in &f.rosters {
                    let file = match roster_csv[f.qi][rf.roster].take() {
                        Some(file) => file,
                        // No instance in any interview: the header alone.
                        None => {
                            let p = out.join(roster_temp(f.qi, rf.roster));
                            let mut file = AtomicFile::create(&p).map_err(|e| output(&p, e))?;
                            file.write(&cat.get(f.qi).rosters[rf.roster].header())
                                .map_err(|e| output(&p, e))?;
                            file
                        }
                    };
                    commits.push((out.join(&rf.csv), file));
                }
            }
        } else {
            // Kept until the end (its temp file is removed then): records are read back from it.
            self.ndjson = Some(nd_file);
            let lines: Vec<Block> = merged
                .iter()
                .map(|&i| block(&self.entries[i], &self.places[i], false))
                .collect();
            let p = out.join(format!(".{NDJSON}.sorted"));
            let f = copy_blocks(&self.sources, &p, &[], &lines).map_err(|e| output(&p, e))?;
            commits.push((nd_path, f));
            for f in files {
                let blocks: Vec<Block> = merged
                    .iter()
                    .filter(|&&i| self.entries[i].questionnaire as usize == f.qi)
                    .map(|&i| block(&self.entries[i], &self.places[i], true))
                    .collect();
                let p = out.join(format!(".{}.sorted", f.csv));
                let file = copy_blocks(&self.sources, &p, &cat.get(f.qi).layout.header(), &blocks)
                    .map_err(|e| output(&p, e))?;
                commits.push((out.join(&f.csv), file));
                if !f.rosters.is_empty() {
                    commits.extend(self.roster_files_again(cat, merged, f)?);
                }
            }
        }
        // fsyncs in parallel, while the caller writes the small files.
        Ok(Commits(std::thread::spawn(move || {
            let handles: Vec<_> = commits
                .into_iter()
                .map(|(p, f)| std::thread::spawn(move || f.stage_as(&p).map_err(|e| (p, e))))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|_| Err((PathBuf::new(), io::Error::other("writer thread failed"))))
                })
                .collect::<Vec<_>>()
        })))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_keeps_buffers_up_to_its_budget_and_frees_the_rest() {
        let pool: Pool<Vec<u8>> = Pool::new(100);
        let bufs = [60, 30, 50, 10].map(|n| {
            let mut b = Vec::with_capacity(n);
            b.extend(std::iter::repeat_n(1u8, n / 2));
            b
        });
        let caps: Vec<usize> = bufs.iter().map(|b| b.capacity()).collect();
        pool.give(bufs.into_iter());
        let kept = pool
            .free
            .lock()
            .unwrap()
            .0
            .iter()
            .map(|b| b.capacity())
            .collect::<Vec<_>>();
        // 60 + 30 fit, 50 does not (freed), 10 still fits.
        assert_eq!(kept, [caps[0], caps[1], caps[3]]);
        assert_eq!(pool.free.lock().unwrap().1, caps[0] + caps[1] + caps[3]);
        let b = pool.take();
        assert!(b.is_empty(), "a buffer comes back cleared");
        assert_eq!(b.capacity(), caps[3]);
        assert_eq!(pool.free.lock().unwrap().1, caps[0] + caps[1]);
        // Once emptied, a pool makes new buffers.
        let _ = (pool.take(), pool.take());
        assert_eq!(pool.take().capacity(), 0);
    }

    #[test]
    fn roster_rows_count_their_inner_buffers() {
        let pool: Pool<RosterRows> = Pool::new(1 << 10);
        let rows: RosterRows = vec![Vec::with_capacity(2000), Vec::with_capacity(10)];
        assert!(rows.bytes() >= 2010);
        pool.give(std::iter::once(rows));
        assert!(pool.free.lock().unwrap().0.is_empty(), "over the budget: freed");
        let mut small: RosterRows = vec![b"a,b\n".to_vec()];
        small.reserve(1);
        pool.give(std::iter::once(small));
        let back = pool.take();
        assert_eq!(back.len(), 1, "the buffers per roster are kept");
        assert!(back[0].is_empty(), "and cleared");
    }
}
