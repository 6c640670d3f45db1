//! The file side of `anketa merge`: walk and read the inputs, apply the pure rules of
//! [`crate::merge`], write the data set, exports, conflicts and report.
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

use super::data_dir::questionnaire_file_name;
use super::inputs::QUESTIONNAIRES_DIR;
use super::inputs::{InputFile, Item, Spill, SpillWriter, read_ordered, walk};
use super::{create_private_dir, interview_file_name, io_reason, load_questionnaire, sync_dir};
use crate::export::{codebook, spss};
use crate::interview::record::{Record, RecordView, Status};
use crate::merge::{
    Catalog, Entry, Origin, PathReason, Report, ReportConflict, ReportCopy, ReportDuplicate, ReportIncomplete,
    ReportQuestionnaire, Source, content_hash, decide, examine_view, stems,
};
use crate::record::decode::{Decoded, decode};
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Component, Path, PathBuf};

pub use crate::merge::REPORT_FORMAT;
/// The report's file name.
pub const REPORT_FILE: &str = "merge-report.json";

/// What to merge.
#[derive(Debug, Clone, Default)]
pub struct MergeOptions {
    /// Files and folders.
    pub inputs: Vec<PathBuf>,
    /// Output folder.
    pub out: PathBuf,
    /// Extra questionnaire files.
    pub questionnaires: Vec<PathBuf>,
    /// Merge interviews that are still in progress.
    pub include_incomplete: bool,
    /// CSV for Excel: BOM, `;`, decimal comma.
    pub excel: bool,
}

/// Why a merge could not run.
#[derive(Debug)]
pub enum MergeError {
    /// The command line asks for something impossible (exit 2); every problem, one per line.
    Usage(Vec<String>),
    /// Writing an output failed (exit 1).
    Output(String),
}

/// A file written atomically in several pieces: temp file → write → fsync → rename → fsync(dir).
/// Dropped without [`AtomicFile::commit`], it leaves nothing behind.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    tmp: PathBuf,
    w: Option<BufWriter<File>>,
    written: u64,
}

impl AtomicFile {
    /// Starts writing `path` (mode 0600 on Unix).
    pub fn create(path: &Path) -> io::Result<AtomicFile> {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        let mut opts = fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let f = opts.open(&tmp)?;
        Ok(AtomicFile {
            path: path.to_path_buf(),
            tmp,
            w: Some(BufWriter::with_capacity(1 << 20, f)),
            written: 0,
        })
    }

    /// Appends bytes.
    pub fn write(&mut self, b: &[u8]) -> io::Result<()> {
        let w = self.w.as_mut().ok_or_else(|| io::Error::other("already committed"))?;
        w.write_all(b)?;
        self.written += b.len() as u64;
        Ok(())
    }

    /// Appends a large block, bypassing the buffer.
    pub fn write_direct(&mut self, b: &[u8]) -> io::Result<()> {
        let w = self.w.as_mut().ok_or_else(|| io::Error::other("already committed"))?;
        w.flush()?;
        w.get_mut().write_all(b)?;
        self.written += b.len() as u64;
        Ok(())
    }

    /// Appends several blocks with as few system calls as possible and without copying them
    /// into the buffer.
    pub fn write_blocks(&mut self, blocks: &[&[u8]]) -> io::Result<()> {
        let w = self.w.as_mut().ok_or_else(|| io::Error::other("already committed"))?;
        w.flush()?;
        let f = w.get_mut();
        let mut slices: Vec<io::IoSlice<'_>> = blocks.iter().map(|b| io::IoSlice::new(b)).collect();
        let mut rest = &mut slices[..];
        while !rest.is_empty() {
            match f.write_vectored(rest) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => io::IoSlice::advance_slices(&mut rest, n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        self.written += blocks.iter().map(|b| b.len() as u64).sum::<u64>();
        Ok(())
    }

    /// Bytes written so far (the offset of the next byte).
    pub fn position(&self) -> u64 {
        self.written
    }

    /// Writes out the buffer, so that everything written so far can be read back from
    /// [`AtomicFile::file`].
    pub fn flush(&mut self) -> io::Result<()> {
        self.w.as_mut().map_or(Ok(()), |w| w.flush())
    }

    /// The temp file (for positioned reads of what was written and flushed).
    ///
    /// # Panics
    /// After [`AtomicFile::commit`] (which takes the file by value, so never in safe use).
    pub fn file(&self) -> &File {
        self.w.as_ref().map(|w| w.get_ref()).expect("an uncommitted file")
    }

    /// Makes the file durable and puts it in place.
    pub fn commit(self) -> io::Result<()> {
        let path = self.path.clone();
        self.commit_as(&path)
    }

    /// Makes the file durable and puts it in place under another name (in the same folder).
    pub fn commit_as(mut self, path: &Path) -> io::Result<()> {
        let w = self.w.take().ok_or_else(|| io::Error::other("already committed"))?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        if let Err(e) = fs::rename(&self.tmp, path) {
            let _ = fs::remove_file(&self.tmp);
            return Err(e);
        }
        sync_dir(
            path.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new(".")),
        )
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.w.is_some() {
            self.w = None;
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

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
    let report = fs::read_to_string(out.join(REPORT_FILE))
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .filter(|v| v.get("format").and_then(|f| f.as_str()) == Some(REPORT_FORMAT));
    let Some(report) = report else {
        return Err(format!(
            "--out {}: the folder is not empty and is not the output of an earlier merge (no {REPORT_FILE}); \
             choose a new or empty folder",
            out.display()
        ));
    };
    Ok(report
        .get("outputs")
        .and_then(|o| o.as_array())
        .map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect())
        .unwrap_or_default())
}

/// An output name from an old report that is safe to remove: `name` or `conflicts/name`.
fn safe_output_name(n: &str) -> bool {
    let comps: Vec<Component> = Path::new(n).components().collect();
    let normal = comps.iter().all(|c| matches!(c, Component::Normal(_)));
    normal
        && match comps.len() {
            1 => true,
            2 => comps[0].as_os_str() == "conflicts" || comps[0].as_os_str() == QUESTIONNAIRES_DIR,
            _ => false,
        }
}

/// A record as the readers hand it to the [`Sink`]: its entry, canonical line (with its
/// newline) and CSV row, or why it was not taken.
struct Parsed {
    source: Source,
    /// The entry (whether its hash is set yet), line and row.
    examined: Result<(Entry, bool, Vec<u8>, Vec<u8>), Outcome>,
}

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
    spill: SpillWriter<'a>,
    entries: Vec<Entry>,
    /// Whether the entry's content hash is set: only interviews with several copies need it.
    hashed: Vec<bool>,
    places: Vec<Place>,
    not_taken: Vec<(Source, Outcome)>,
    /// The copies of the interview being read: entry index, line, row.
    group: Vec<(usize, Vec<u8>, Vec<u8>)>,
    /// Winners to write at the end of the batch (questionnaire, line, row), and where the
    /// outputs will end once they are written.
    pending: Vec<(usize, Vec<u8>, Vec<u8>)>,
    ndjson_end: u64,
    csv_end: Vec<u64>,
    /// Entries written to the outputs, in order.
    written: Vec<usize>,
    /// The first write error.
    error: Option<String>,
    /// Buffers to hand back to the readers: lines, rows.
    pools: &'a [Pool; 2],
    /// Asks for what was written so far to be made durable (see [`Syncer`]).
    sync: Option<std::sync::mpsc::Sender<SyncMsg>>,
    /// Bytes written since the last request.
    unsynced: u64,
}

/// Line and row buffers going round between the readers and the [`Sink`], so that a merge
/// allocates a few thousand of them rather than two per record.
#[derive(Default)]
struct Pool(std::sync::Mutex<Vec<Vec<u8>>>);

impl Pool {
    fn take(&self, capacity: usize) -> Vec<u8> {
        let b = self.0.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut b = b.unwrap_or_default();
        b.reserve(capacity);
        b
    }

    fn give(&self, bufs: impl Iterator<Item = Vec<u8>>) {
        let mut p = self.0.lock().unwrap_or_else(|p| p.into_inner());
        for mut b in bufs {
            if p.len() >= 512 {
                break;
            }
            b.clear();
            p.push(b);
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
                Err(o) => self.not_taken.push((p.source, o)),
                Ok((e, hashed, line, row)) => {
                    if self.group.first().is_some_and(|g| self.entries[g.0].id != e.id) {
                        self.resolve();
                    }
                    self.group.push((self.entries.len(), line, row));
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
                for (i, line, _) in group {
                    if !self.hashed[*i] {
                        self.entries[*i].hash = content_hash(&line[..line.len() - 1]);
                        self.hashed[*i] = true;
                    }
                }
                let copies: Vec<Entry> = group.iter().map(|g| self.entries[g.0].clone()).collect();
                decide(&copies, self.include_incomplete).merged.first().copied()
            }
        };
        for (k, (i, line, row)) in std::mem::take(&mut self.group).into_iter().enumerate() {
            if Some(k) == winner {
                let qi = self.entries[i].questionnaire as usize;
                self.places[i] = Place::Out {
                    line: self.ndjson_end,
                    row: self.csv_end[qi],
                };
                self.ndjson_end += line.len() as u64;
                self.csv_end[qi] += row.len() as u64;
                self.written.push(i);
                self.pending.push((qi, line, row));
            } else {
                self.places[i] = Place::Spill(self.spill.append(&[&line, &row]));
                self.pools[0].give(std::iter::once(line));
                self.pools[1].give(std::iter::once(row));
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
        let (lines, rows): (Vec<Vec<u8>>, Vec<Vec<u8>>) = pending.into_iter().map(|(_, l, r)| (l, r)).unzip();
        self.pools[0].give(lines.into_iter());
        self.pools[1].give(rows.into_iter());
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
struct Sources<'a> {
    spill: &'a Spill,
    ndjson: File,
    csv: Vec<Option<File>>,
}

impl Sources<'_> {
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

/// Writes `head` then the blocks, in order, to `path` (to be committed). Chunks of about 4 MB are
/// assembled in parallel and written in order (parallel writes to one file would only contend
/// for its lock).
fn copy_blocks(sources: &Sources<'_>, path: &Path, head: &[u8], blocks: &[Block]) -> io::Result<AtomicFile> {
    use rayon::prelude::*;
    const CHUNK_BYTES: usize = 4 << 20;
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
    Rejected(String),
    Ignored(String),
}

fn display(files: &[InputFile], s: Source) -> String {
    let p = files[s.file as usize].path.display().to_string();
    if s.line > 0 { format!("{p}:{}", s.line) } else { p }
}

/// Runs a merge. `progress(done, total)` is called as files are read.
pub fn merge(opts: &MergeOptions, progress: &(dyn Fn(u64, u64) + Sync)) -> Result<Report, MergeError> {
    let usage = |m: String| MergeError::Usage(vec![m]);
    let output = |what: &Path, e: io::Error| MergeError::Output(format!("{}: {}", what.display(), io_reason(&e)));
    if opts.inputs.is_empty() {
        return Err(usage("no input: name the files or folders to merge".into()));
    }
    let w = walk(&opts.inputs).map_err(|e| usage(format!("{e} (an input to merge)")))?;
    // The output folder must not overlap the inputs, and must be new, empty or a merge output.
    let out_abs = resolved(&opts.out);
    let mut problems = Vec::new();
    if out_abs.exists() && !out_abs.is_dir() {
        problems.push(format!("--out {}: exists and is not a folder", opts.out.display()));
    }
    for input in &opts.inputs {
        let in_abs = resolved(input);
        if in_abs.is_dir() && out_abs.starts_with(&in_abs) {
            problems.push(format!(
                "--out {} is inside the input folder {}: a later merge would read its own output; \
                 choose an output folder outside the inputs",
                opts.out.display(),
                input.display()
            ));
        } else if in_abs.starts_with(&out_abs) {
            problems.push(format!(
                "input {} is inside the output folder {}: merge into another folder",
                input.display(),
                opts.out.display()
            ));
        }
    }
    let old_outputs = if problems.is_empty() {
        previous_outputs(&opts.out).map_err(usage)?
    } else {
        Vec::new()
    };
    let (mut cat, given_problems) = super::catalog(opts.excel, &opts.questionnaires);
    problems.extend(given_problems);
    if !problems.is_empty() {
        return Err(MergeError::Usage(problems));
    }
    let mut report = Report {
        format: REPORT_FORMAT.into(),
        include_incomplete: opts.include_incomplete,
        ..Report::default()
    };
    for p in &w.questionnaires {
        if super::is_json_schema(p) {
            continue; // such as the repository's questionnaires/schema.json
        }
        match load_questionnaire(p) {
            Ok(q) => cat.add(q, Origin::Found(p.display().to_string())),
            Err(errs) => report.ignored.push(PathReason {
                path: p.display().to_string(),
                reason: format!(
                    "not a valid questionnaire ({}{})",
                    errs.first().map(|e| e.message.clone()).unwrap_or_default(),
                    if errs.len() > 1 {
                        format!(" and {} more", errs.len() - 1)
                    } else {
                        String::new()
                    }
                ),
            }),
        }
    }
    for (path, reason) in &w.problems {
        report.rejected.push(PathReason {
            path: path.clone(),
            reason: reason.clone(),
        });
    }
    for (path, reason) in &w.skipped {
        report.ignored.push(PathReason {
            path: path.clone(),
            reason: reason.clone(),
        });
    }

    create_private_dir(&opts.out).map_err(|e| output(&opts.out, e))?;
    let spill = Spill::create(&opts.out).map_err(|e| output(&opts.out, e))?;
    let nd_path = opts.out.join("interviews.ndjson");
    let ndjson = AtomicFile::create(&nd_path).map_err(|e| output(&nd_path, e))?;
    let (syncer, sync) = Syncer::start();
    let _ = sync.send(SyncMsg::Track(
        ndjson.file().try_clone().map_err(|e| output(&nd_path, e))?,
    ));
    let pools = [Pool::default(), Pool::default()];
    let mut sink = Sink {
        include_incomplete: opts.include_incomplete,
        out: &opts.out,
        ndjson,
        csv: (0..cat.all().len()).map(|_| None).collect(),
        spill: spill.writer(),
        entries: Vec::with_capacity(w.files.len()),
        hashed: Vec::with_capacity(w.files.len()),
        places: Vec::with_capacity(w.files.len()),
        not_taken: Vec::new(),
        group: Vec::new(),
        pending: Vec::new(),
        ndjson_end: 0,
        csv_end: cat.all().iter().map(|k| k.layout.header().len() as u64).collect(),
        written: Vec::with_capacity(w.files.len()),
        error: None,
        pools: &pools,
        sync: Some(sync),
        unsynced: 0,
    };
    let ingest = |(line, row): &mut (usize, usize), file: usize, n: u32, item: Item<'_>| {
        let source = Source {
            file: file as u32,
            line: n,
        };
        // Buffers sized like the last record's, handed over to the writer without a copy.
        let (mut l, mut r) = (pools[0].take(*line + 64), pools[1].take(*row + 64));
        let examined = match item.map(decode) {
            Err(reason) => Err(Outcome::Rejected(reason)),
            Ok(Decoded::Interview(view)) => examine_view(&cat, &view, &mut l, &mut r, false)
                .map(|e| (e, false))
                .map_err(Outcome::Rejected),
            Ok(Decoded::Ignored(what)) => Err(Outcome::Ignored(what.reason().to_owned())),
            Ok(Decoded::Rejected(reason)) => Err(Outcome::Rejected(reason)),
        };
        (*line, *row) = (l.len(), r.len());
        Parsed {
            source,
            examined: examined.map(|(mut e, hashed)| {
                e.source = source;
                l.push(b'\n');
                (e, hashed, l, r)
            }),
        }
    };
    let order = reading_order(&w.files);
    read_ordered(
        &w.files,
        &order,
        || (16 * 1024, 4 * 1024),
        ingest,
        |batch| sink.take(&cat, batch),
        progress,
    );
    sink.finish(&cat);
    drop(sink.sync.take());
    syncer.stop();
    if let Some(e) = sink.error.take().or_else(|| spill.error()) {
        return Err(MergeError::Output(format!("{}: {e}", opts.out.display())));
    }
    let Sink {
        ndjson: mut nd_file,
        mut csv,
        mut entries,
        hashed,
        places,
        not_taken,
        written,
        spill: spill_writer,
        ..
    } = sink;
    drop(spill_writer);
    report.files_read = w.files.len();
    report.records_read = entries.len();
    for (source, o) in not_taken {
        let path = display(&w.files, source);
        match o {
            Outcome::Rejected(reason) => {
                report.records_read += 1;
                report.rejected.push(PathReason { path, reason });
            }
            Outcome::Ignored(reason) => report.ignored.push(PathReason { path, reason }),
        }
    }
    report.rejected.sort();
    report.ignored.sort();

    let spill_error = |err: io::Error| MergeError::Output(format!("spill file: {}", io_reason(&err)));
    // Every file written while reading, flushed, to read records back from.
    nd_file.flush().map_err(|e| output(&nd_path, e))?;
    for f in csv.iter_mut().flatten() {
        f.flush().map_err(|e| output(&opts.out, e))?;
    }
    let clone = |f: &AtomicFile| f.file().try_clone().map_err(|e| output(&opts.out, e));
    let sources = Sources {
        spill: &spill,
        ndjson: clone(&nd_file)?,
        csv: csv
            .iter()
            .map(|f| f.as_ref().map(clone).transpose())
            .collect::<Result<_, _>>()?,
    };
    let mut buf = Vec::new();
    // Copies of one interview that were not read together (misleading names) still lack their
    // hash: read back and hashed now, so the rules see every copy's content.
    let mut by_id: Vec<(uuid::Uuid, usize)> = entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
    by_id.sort_unstable();
    for run in by_id.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
        for &(_, i) in run.iter().filter(|(_, i)| !hashed[*i]) {
            buf.clear();
            sources
                .fetch(&block(&entries[i], &places[i], false), &mut buf)
                .map_err(spill_error)?;
            entries[i].hash = content_hash(&buf[..buf.len() - 1]);
        }
    }
    drop(by_id);

    let d = decide(&entries, opts.include_incomplete);
    let mut used = vec![false; cat.all().len()];
    for &i in &d.merged {
        used[entries[i].questionnaire as usize] = true;
    }
    let stems = stems(&cat, &used);
    let mut outputs: BTreeSet<String> = BTreeSet::new();

    // The outputs. Usually the files written while reading are already right: the winners, in
    // order (files are read in the order their names suggest). If not, they are put in order
    // from where the records were left.
    let in_order = written == d.merged;
    let mut rows: Vec<(usize, Vec<Block>)> = Vec::new();
    for (qi, stem) in stems.iter().enumerate() {
        if stem.is_some() {
            let blocks = d
                .merged
                .iter()
                .filter(|&&i| entries[i].questionnaire as usize == qi)
                .map(|&i| block(&entries[i], &places[i], true))
                .collect();
            rows.push((qi, blocks));
        }
    }
    let mut commits: Vec<(PathBuf, AtomicFile)> = Vec::new();
    if in_order {
        commits.push((nd_path.clone(), nd_file));
        for (qi, f) in csv.into_iter().enumerate() {
            if let (Some(f), Some(stem)) = (f, &stems[qi]) {
                commits.push((opts.out.join(format!("{stem}.csv")), f));
            }
        }
    } else {
        let lines: Vec<Block> = d
            .merged
            .iter()
            .map(|&i| block(&entries[i], &places[i], false))
            .collect();
        let p = opts.out.join(".interviews.ndjson.sorted");
        let f = copy_blocks(&sources, &p, &[], &lines).map_err(|e| output(&p, e))?;
        commits.push((nd_path.clone(), f));
        for (qi, blocks) in &rows {
            let stem = stems[*qi].as_deref().unwrap_or_default();
            let p = opts.out.join(format!(".{stem}.csv.sorted"));
            let f = copy_blocks(&sources, &p, &cat.get(*qi).layout.header(), blocks).map_err(|e| output(&p, e))?;
            commits.push((opts.out.join(format!("{stem}.csv")), f));
        }
    }
    // fsyncs in parallel, while the small files are written.
    let commit_all = std::thread::spawn(move || {
        let handles: Vec<_> = commits
            .into_iter()
            .map(|(p, f)| std::thread::spawn(move || f.commit_as(&p).map_err(|e| (p, e))))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err((PathBuf::new(), io::Error::other("writer thread failed"))))
            })
            .collect::<Vec<_>>()
    });
    outputs.insert("interviews.ndjson".into());
    for (qi, blocks) in &rows {
        let stem = stems[*qi].clone().unwrap_or_default();
        let k = cat.get(*qi);
        let cb = format!("{stem}.codebook.csv");
        let p = opts.out.join(&cb);
        super::write_atomic(&p, &codebook::csv(&k.q, &k.layout)).map_err(|e| output(&p, e))?;
        let sps = format!("{stem}.sps");
        let p = opts.out.join(&sps);
        super::write_atomic(&p, &spss::syntax(&k.q, &k.layout, &format!("{stem}.csv"))).map_err(|e| output(&p, e))?;
        // The questionnaire itself, byte for byte: the data set carries its instrument, so a
        // later merge or report of it needs nothing else (even after the bundled copy changed).
        let copy = format!("{QUESTIONNAIRES_DIR}/{}", questionnaire_file_name(&k.q));
        let p = opts.out.join(&copy);
        if let Some(dir) = p.parent() {
            create_private_dir(dir).map_err(|e| output(dir, e))?;
        }
        super::write_atomic(&p, k.q.source.as_bytes()).map_err(|e| output(&p, e))?;
        outputs.extend([format!("{stem}.csv"), cb, sps, copy.clone()]);
        report.merged.insert(stem.clone(), blocks.len());
        report.questionnaires.push(ReportQuestionnaire {
            name: stem.clone(),
            id: k.q.id.clone(),
            version: k.q.version.clone(),
            sha256: k.q.sha256.clone(),
            source: match &k.origin {
                Origin::Bundled => "bundled".into(),
                Origin::Given(p) | Origin::Found(p) => p.clone(),
            },
            merged: blocks.len(),
            copy,
        });
    }
    let read = |i: usize, buf: &mut Vec<u8>| -> Result<(), MergeError> {
        buf.clear();
        sources
            .fetch(&block(&entries[i], &places[i], false), buf)
            .map_err(spill_error)
    };

    // Conflicts: each loser as an interview file.
    let copy = |e: &Entry, saved_as: Option<String>| ReportCopy {
        path: display(&w.files, e.source),
        revision: e.revision,
        status: e.status,
        updated: e.updated(),
        sha256: e.hash_hex(),
        saved_as,
    };
    for c in &d.conflicts {
        let l = &entries[c.loser];
        read(c.loser, &mut buf)?;
        let rec: Record = serde_json::from_slice(&buf)
            .map_err(|e| MergeError::Output(format!("spill file: cannot read back a record: {e}")))?;
        let base = interview_file_name(&rec);
        let name = format!(
            "conflicts/{}.r{}-{}.json",
            base.trim_end_matches(".json"),
            l.revision,
            &l.hash_hex()[..12]
        );
        let p = opts.out.join(&name);
        if let Some(dir) = p.parent() {
            create_private_dir(dir).map_err(|e| output(dir, e))?;
        }
        super::write_atomic(&p, &rec.to_json()).map_err(|e| output(&p, e))?;
        report.conflicts.push(ReportConflict {
            id: l.id.to_string(),
            winner: copy(&entries[c.winner], None),
            loser: copy(l, Some(name.clone())),
            rule: c.rule,
            why: c.rule.describe().to_string(),
        });
        outputs.insert(name);
    }
    for dup in &d.duplicates {
        report.duplicates.push(ReportDuplicate {
            id: entries[dup.kept].id.to_string(),
            kept: display(&w.files, entries[dup.kept].source),
            copies: dup
                .copies
                .iter()
                .map(|&i| display(&w.files, entries[i].source))
                .collect(),
        });
    }
    for &i in &d.incomplete {
        let e = &entries[i];
        // The interviewer is not kept in memory: read it back from the record.
        read(i, &mut buf)?;
        let interviewer = serde_json::from_slice::<RecordView<'_>>(&buf)
            .map(|r| r.interviewer.as_str().to_owned())
            .unwrap_or_default();
        report.incomplete.push(ReportIncomplete {
            id: e.id.to_string(),
            path: display(&w.files, e.source),
            questionnaire: cat.get(e.questionnaire as usize).q.id.clone(),
            interviewer,
            revision: e.revision,
            updated: e.updated(),
        });
    }
    for result in commit_all.join().unwrap_or_default() {
        result.map_err(|(p, e)| output(&p, e))?;
    }
    outputs.insert(REPORT_FILE.into());
    // Outputs of an earlier merge into this folder that this one did not write.
    for old in old_outputs {
        if !outputs.contains(&old) && safe_output_name(&old) {
            let _ = fs::remove_file(opts.out.join(&old));
        }
    }
    for dir in ["conflicts", QUESTIONNAIRES_DIR] {
        if !outputs.iter().any(|o| o.starts_with(&format!("{dir}/"))) {
            let _ = fs::remove_dir(opts.out.join(dir));
        }
    }
    report.outputs = outputs.into_iter().collect();
    let p = opts.out.join(REPORT_FILE);
    super::write_atomic(&p, &report.to_json()).map_err(|e| output(&p, e))?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_output_names_are_removed() {
        assert!(safe_output_name("nko.csv"));
        assert!(safe_output_name("conflicts/x.json"));
        assert!(!safe_output_name("../x"));
        assert!(!safe_output_name("/etc/passwd"));
        assert!(!safe_output_name("a/b"));
        assert!(!safe_output_name("conflicts/../../x"));
    }
}
