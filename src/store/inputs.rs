//! Reading many input files: folders walked recursively in a fixed order, files read and parsed
//! on every core, sizes bounded, nothing ever written.
//!
//! What a file *is* is decided by its content, never by its name: a file whose first line is a
//! whole JSON value and that has more lines is NDJSON (one interview per line, read as a stream,
//! no total size limit); anything else is one document, read only if it is at most
//! [`MAX_INTERVIEW_BYTES`] (a larger one is refused from its size alone). The one use of names:
//! files in a folder called `questionnaires` are questionnaire copies, as in a data dir, and
//! hidden files and folders (`.name`: locks, temp files of an interrupted save) are skipped.

use super::{MAX_INTERVIEW_BYTES, io_reason};
use crate::diag::shown;
use crate::record::decode;
use rayon::prelude::*;
use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Lines of an NDJSON file parsed per parallel batch.
const BATCH_LINES: usize = 1024;

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InputFile {
    /// The path as the user would name it (the argument, joined with the walked names).
    pub path: PathBuf,
}

/// The files found under the inputs.
#[derive(Debug, Default)]
pub(crate) struct Walk {
    /// Candidate interview files, sorted by path, each physical file once.
    pub files: Vec<InputFile>,
    /// Files in `questionnaires/` folders, sorted.
    pub questionnaires: Vec<PathBuf>,
    /// Paths that could not be walked, with the reason.
    pub problems: Vec<(String, String)>,
    /// Paths skipped on purpose (links to folders, exports of an earlier merge), with the reason.
    pub skipped: Vec<(String, String)>,
    /// Drafts discarded on a laptop (its `discarded/` folder), with the reason: never read.
    pub discarded: Vec<(String, String)>,
}

/// Paths compared as bytes: fast, and as deterministic as comparing components.
fn bytes(p: &Path) -> &[u8] {
    p.as_os_str().as_encoded_bytes()
}

/// Identity of a physical file: device and inode on Unix (read from the directory entry, no
/// system call per file), the canonical path elsewhere.
#[cfg(unix)]
type FileKey = (u64, u64);
#[cfg(not(unix))]
type FileKey = PathBuf;

#[cfg(unix)]
fn key_of(meta: &fs::Metadata, _path: &Path) -> FileKey {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

#[cfg(not(unix))]
fn key_of(_meta: &fs::Metadata, path: &Path) -> FileKey {
    fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Physical file → the smallest display path naming it, so that overlapping inputs count each
/// file once and the input order does not matter.
#[derive(Default)]
struct Found {
    index: HashMap<FileKey, usize>,
    /// In the order found: folders are walked in name order, so this is nearly sorted.
    paths: Vec<PathBuf>,
}

impl Found {
    fn add(&mut self, key: FileKey, display: PathBuf) {
        match self.index.entry(key) {
            std::collections::hash_map::Entry::Occupied(i) => {
                let old = &mut self.paths[*i.get()];
                if bytes(&display) < bytes(old) {
                    *old = display;
                }
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(self.paths.len());
                self.paths.push(display);
            }
        }
    }

    fn sorted(self) -> Vec<PathBuf> {
        let mut v = self.paths;
        // A stable sort merges the sorted runs of each folder in linear time.
        v.sort_by(|a, b| bytes(a).cmp(bytes(b)));
        v
    }
}

/// The folder of questionnaire copies: in a data dir, in a merge output, and wherever a walk
/// meets one (its JSON files are questionnaires, not interviews).
pub(crate) use crate::file_names::QUESTIONNAIRES_DIR;

/// The questionnaire files in `dir/questionnaires/` (and below), sorted; none if there is no
/// such folder.
pub(crate) fn questionnaires_in(dir: &Path) -> Vec<PathBuf> {
    let mut qs = Found::default();
    walk_questionnaires(dir, &mut qs);
    qs.sorted()
}

/// Adds the files of `dir/questionnaires/` (and below) to `qs`, if it is a folder — not through
/// a symbolic link, as in a walk.
fn walk_questionnaires(dir: &Path, qs: &mut Found) {
    let q = dir.join(QUESTIONNAIRES_DIR);
    if let Ok(m) = fs::symlink_metadata(&q)
        && m.is_dir()
    {
        let (mut files, mut w) = (Found::default(), Walk::default());
        walk_dir(&q, &m, true, &mut files, qs, &mut w);
    }
}

/// Walks files and folders (recursively). Fails only when an input does not exist or cannot be
/// read at all (a usage error); problems below an input are collected.
pub(crate) fn walk(inputs: &[PathBuf]) -> Result<Walk, String> {
    let mut w = Walk::default();
    let mut files = Found::default();
    let mut qs = Found::default();
    for input in inputs {
        let meta = fs::metadata(input).map_err(|e| format!("{}: {}", shown(input), io_reason(&e)))?;
        if meta.is_dir() {
            walk_dir(input, &meta, false, &mut files, &mut qs, &mut w);
        } else if !meta.is_file() {
            // A FIFO, a device or a socket named as an input: never opened for reading.
            w.problems.push((shown(input), super::NOT_REGULAR.into()));
        } else {
            files.add(key_of(&meta, input), input.clone());
            // A file's questionnaires may lie beside it (a merge output's `questionnaires/`).
            if let Some(dir) = input.parent() {
                walk_questionnaires(dir, &mut qs);
            }
        }
    }
    w.files = files.sorted().into_iter().map(|path| InputFile { path }).collect();
    w.questionnaires = qs.sorted();
    w.problems.sort();
    w.problems.dedup();
    w.skipped.sort();
    w.skipped.dedup();
    w.discarded.sort();
    w.discarded.dedup();
    Ok(w)
}

/// `dir` as named, with its metadata (for the device of its entries).
fn walk_dir(
    dir: &Path,
    dir_meta: &fs::Metadata,
    in_questionnaires: bool,
    files: &mut Found,
    qs: &mut Found,
    w: &mut Walk,
) {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            w.problems
                .push((shown(dir), format!("cannot read the folder: {}", io_reason(&e))));
            return;
        }
    };
    // Name, type and inode of each entry, read from the directory itself (no `stat`).
    #[cfg(unix)]
    let ino = |e: &fs::DirEntry| std::os::unix::fs::DirEntryExt::ino(e);
    #[cfg(not(unix))]
    let ino = |_: &fs::DirEntry| 0u64;
    let mut entries: Vec<(std::ffi::OsString, Option<fs::FileType>, u64)> = rd
        .filter_map(|e| e.ok())
        .map(|e| (e.file_name(), e.file_type().ok(), ino(&e)))
        .collect();
    entries.par_sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let exports = earlier_exports(dir);
    /// What an entry is, found on all cores (a folder of 100,000 files is common).
    enum Seen {
        Hidden,
        Export(PathBuf),
        NoType(PathBuf),
        File(FileKey, PathBuf),
        /// A folder, a link or anything unusual: looked at in order, with a `stat`.
        Other(std::ffi::OsString, PathBuf, fs::FileType),
    }
    let seen: Vec<Seen> = entries
        .into_par_iter()
        .map(|(name, ft, ino)| {
            if name.as_encoded_bytes().starts_with(b".") {
                return Seen::Hidden;
            }
            let path = dir.join(&name);
            if exports.contains(&name) {
                return Seen::Export(path);
            }
            let Some(ft) = ft else {
                return Seen::NoType(path);
            };
            if ft.is_dir() || ft.is_symlink() || !ft.is_file() {
                return Seen::Other(name, path, ft);
            }
            #[cfg(unix)]
            let key = {
                use std::os::unix::fs::MetadataExt;
                (dir_meta.dev(), ino)
            };
            #[cfg(not(unix))]
            let key = {
                let _ = (dir_meta, ino);
                fs::canonicalize(&path).unwrap_or_else(|_| path.clone())
            };
            Seen::File(key, path)
        })
        .collect();
    for s in seen {
        let (name, path, ft) = match s {
            Seen::Hidden => continue,
            Seen::Export(path) => {
                w.skipped.push((
                    shown(&path),
                    "an export written by an earlier merge (its interviews are read from interviews.ndjson)".into(),
                ));
                continue;
            }
            Seen::NoType(path) => {
                w.problems.push((shown(&path), "cannot read the file type".into()));
                continue;
            }
            Seen::File(key, path) => {
                if in_questionnaires {
                    qs.add(key, path);
                } else {
                    files.add(key, path);
                }
                continue;
            }
            Seen::Other(name, path, ft) => (name, path, ft),
        };
        // Folders, links and anything unusual: one stat (following links).
        let meta = match fs::metadata(&path) {
            Ok(m) => m,
            Err(err) => {
                w.problems
                    .push((shown(&path), format!("cannot read: {}", io_reason(&err))));
                continue;
            }
        };
        if ft.is_symlink() && meta.is_dir() {
            w.skipped.push((
                shown(&path),
                "a symbolic link to a folder: not followed (name the folder itself)".into(),
            ));
        } else if meta.is_dir() && name == crate::file_names::DISCARDED_DIR {
            discarded(&path, w);
        } else if meta.is_dir() {
            let q = in_questionnaires || name == QUESTIONNAIRES_DIR;
            walk_dir(&path, &meta, q, files, qs, w);
        } else if !meta.is_file() {
            w.problems.push((shown(&path), super::NOT_REGULAR.into()));
        } else if in_questionnaires {
            qs.add(key_of(&meta, &path), path);
        } else {
            files.add(key_of(&meta, &path), path);
        }
    }
}

/// A data dir's `discarded/` folder: the drafts an interviewer discarded are listed as such,
/// never merged.
fn discarded(dir: &Path, w: &mut Walk) {
    let mut names: Vec<PathBuf> = fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    names.sort();
    for p in names {
        if !p.file_name().is_some_and(|n| n.as_encoded_bytes().starts_with(b".")) {
            w.discarded.push((
                shown(&p),
                "a draft discarded on the laptop (in discarded/): not merged".into(),
            ));
        }
    }
}

/// The CSV, codebook and syntax files that an earlier merge wrote into `dir`, according to its
/// `merge-report.json` (empty if there is none).
fn earlier_exports(dir: &Path) -> std::collections::HashSet<std::ffi::OsString> {
    let Ok(text) = super::read_text(&dir.join(crate::merge::plan::REPORT_FILE), 512 << 20) else {
        return Default::default();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Default::default();
    };
    if v.get("format").and_then(|f| f.as_str()) != Some(crate::merge::REPORT_FORMAT) {
        return Default::default();
    }
    v.get("outputs")
        .and_then(|o| o.as_array())
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str())
        .filter(|n| {
            // The data (interviews, drafts) is read again; the report is recognised as one.
            use crate::merge::plan::{DRAFTS, NDJSON, REPORT_FILE};
            let data =
                [NDJSON, DRAFTS, REPORT_FILE].contains(n) || [NDJSON, DRAFTS].iter().any(|d| *n == format!("{d}.age"));
            !n.contains('/') && !data
        })
        .map(std::ffi::OsString::from)
        .collect()
}

/// What the reader hands the parser: the text of one interview, or why there is none.
pub(crate) type InputText<'a> = Result<&'a str, String>;

/// An input file (and line, for NDJSON) as messages and reports name it: `path` or `path:line`.
pub(crate) fn source_path(files: &[InputFile], s: crate::merge::Source) -> String {
    let p = shown(&files[s.file as usize].path);
    if s.line > 0 { format!("{p}:{}", s.line) } else { p }
}

/// Reads every file on all cores and calls `parse(state, file index, line, item)` for each
/// interview text: the whole file (`line` 0) or each non-blank NDJSON line (`line` from 1), in
/// no particular order (the caller keeps what it needs). `state` is per worker task, made by
/// `init` (e.g. an output buffer). `progress(done, total)` counts files.
pub(crate) fn read_all<S, I, F>(files: &[InputFile], init: I, parse: F, progress: &(dyn Fn(u64, u64) + Sync))
where
    I: Fn() -> S + Sync,
    F: Fn(&mut S, usize, u32, InputText<'_>) + Sync,
{
    let done = AtomicU64::new(0);
    let total = files.len() as u64;
    files.par_iter().enumerate().for_each_init(&init, |state, (i, f)| {
        with_loaded(&f.path, |loaded, buf| match loaded {
            Loaded::Failed(e) => parse(state, i, 0, Err(e)),
            Loaded::Large(file, size) => read_large(i, file, size, &init, &parse, &mut |_| {}),
            Loaded::Read => split(&f.path, buf, |n, item| parse(state, i, n, item)),
        });
        progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
    });
}

/// Files read ahead of the sink by [`read_ordered`]'s readers: the records parsed and not yet
/// handed on are at most this many files', plus [`TAKE_AT_ONCE`] in the ordering thread's hands,
/// two such batches queued for the sink and one in it: 224 files in all (the batches of 64 read
/// before held up to 256). 96 roster interviews of 30 KB (some of 280 KB) hold about 4 MB.
const READ_AHEAD: usize = 96;

/// Files [`read_ordered`] hands on at once (fewer at the end): a hand-over wakes threads, and
/// one per file would cost more than parsing a small file. Also the most taken at once, so
/// that what waits for the sink stays bounded.
const TAKE_AT_ONCE: usize = 32;

/// Reads the files in the order given (indices into `files`) on all cores and hands `sink`
/// the results of `parse(state, file index, line, item)` (as in [`read_all`]) in that order,
/// file by file and line by line, a batch at a time. `sink` runs on its own thread while the
/// next files are parsed. An NDJSON file over the size limit is streamed in batches of lines,
/// so memory stays bounded whatever the sizes.
///
/// One reader thread per core takes the next file in the order as soon as it is done with the
/// last (no batch waits for its slowest file), at most [`READ_AHEAD`] files ahead of what was
/// handed on; this thread puts the parsed files back in order for the sink.
pub(crate) fn read_ordered<T, S, I, F, K>(
    files: &[InputFile],
    order: &[usize],
    init: I,
    parse: F,
    mut sink: K,
    progress: &(dyn Fn(u64, u64) + Sync),
) where
    T: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, usize, u32, InputText<'_>) -> T + Sync,
    K: FnMut(Vec<T>) + Send,
{
    let readers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(order.len());
    let ahead = Ahead::new(READ_AHEAD);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<T>>(2);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            for batch in rx {
                sink(batch);
            }
        });
        // However the taking ends (the sink may have gone, a reader could not be started), no
        // reader is left waiting.
        let _stop = ahead.stop_when_dropped(false);
        for _ in 0..readers {
            scope.spawn(|| {
                // A reader that panics stops the others and the sink's wait (the panic then
                // surfaces from the scope).
                let _stop = ahead.stop_when_dropped(true);
                let mut state = init();
                while let Some(pos) = ahead.next(order.len()) {
                    let i = order[pos];
                    let got = with_loaded(&files[i].path, |loaded, buf| match loaded {
                        Loaded::Failed(e) => Got::Items(vec![parse(&mut state, i, 0, Err(e))]),
                        Loaded::Large(file, size) => Got::Large(file, size),
                        Loaded::Read => {
                            let mut items = Vec::with_capacity(1);
                            split(&files[i].path, buf, |n, item| items.push(parse(&mut state, i, n, item)));
                            Got::Items(items)
                        }
                    });
                    ahead.put(pos, got);
                }
            });
        }
        let mut done = 0;
        let mut got = Vec::with_capacity(TAKE_AT_ONCE);
        while done < order.len() {
            if !ahead.take(done, order.len(), &mut got) {
                return; // stopped: a reader panicked
            }
            let mut batch = Vec::with_capacity(got.len());
            for g in got.drain(..) {
                let i = order[done];
                done += 1;
                match g {
                    Got::Items(items) => batch.extend(items),
                    Got::Large(file, size) => {
                        if !batch.is_empty() && tx.send(std::mem::take(&mut batch)).is_err() {
                            return;
                        }
                        read_large(i, file, size, &init, &parse, &mut |lines| {
                            let _ = tx.send(lines);
                        });
                    }
                }
            }
            if !batch.is_empty() && tx.send(batch).is_err() {
                return;
            }
            progress(done as u64, files.len() as u64);
        }
        drop(tx);
    });
}

/// What a reader of [`read_ordered`] got from one file.
enum Got<T> {
    Items(Vec<T>),
    /// Over the size limit: streamed by the thread that keeps the order.
    Large(File, u64),
}

/// The files [`read_ordered`]'s readers have parsed ahead of the sink: a ring of slots, one
/// per position in the reading order, filled in any order and taken in order.
struct Ahead<T> {
    /// The next position a reader takes.
    next: std::sync::atomic::AtomicUsize,
    ring: Mutex<Ring<T>>,
    /// The taker waits here for the next positions to hand on.
    filled: std::sync::Condvar,
    /// Readers wait here for room.
    room: std::sync::Condvar,
}

struct Ring<T> {
    slots: Vec<Option<Got<T>>>,
    /// Positions before this one have been taken.
    taken: usize,
    /// Positions before this one are filled or taken.
    filled_to: usize,
    /// The taker waits for the positions up to this one.
    until: usize,
    /// Whether the taker waits (a wake-up is a system call: made only when someone waits).
    taker_waits: bool,
    readers_waiting: usize,
    /// A thread panicked: everyone stops.
    stopped: bool,
}

impl<T> Ahead<T> {
    fn new(size: usize) -> Ahead<T> {
        Ahead {
            next: std::sync::atomic::AtomicUsize::new(0),
            ring: Mutex::new(Ring {
                slots: (0..size).map(|_| None).collect(),
                taken: 0,
                filled_to: 0,
                until: 0,
                taker_waits: false,
                readers_waiting: 0,
                stopped: false,
            }),
            filled: std::sync::Condvar::new(),
            room: std::sync::Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring<T>> {
        self.ring.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The next position for a reader, once it is within the ring; `None` at the end (or when
    /// stopped).
    fn next(&self, len: usize) -> Option<usize> {
        let pos = self.next.fetch_add(1, Ordering::Relaxed);
        if pos >= len {
            return None;
        }
        let mut r = self.lock();
        while pos >= r.taken + r.slots.len() && !r.stopped {
            r.readers_waiting += 1;
            r = self.room.wait(r).unwrap_or_else(|e| e.into_inner());
            r.readers_waiting -= 1;
        }
        (!r.stopped).then_some(pos)
    }

    fn put(&self, pos: usize, got: Got<T>) {
        let mut r = self.lock();
        let n = r.slots.len();
        r.slots[pos % n] = Some(got);
        while r.filled_to < r.taken + n && r.slots[r.filled_to % n].is_some() {
            r.filled_to += 1;
        }
        if r.taker_waits && r.filled_to >= r.until {
            self.filled.notify_one();
        }
    }

    /// Waits for the positions `from..from + TAKE_AT_ONCE` (or to `len`, the end), then moves
    /// them into `got`, in order. `false` when stopped.
    fn take(&self, from: usize, len: usize, got: &mut Vec<Got<T>>) -> bool {
        let mut r = self.lock();
        let n = r.slots.len();
        r.until = len.min(from + TAKE_AT_ONCE);
        while r.filled_to < r.until && !r.stopped {
            r.taker_waits = true;
            r = self.filled.wait(r).unwrap_or_else(|e| e.into_inner());
            r.taker_waits = false;
        }
        if r.stopped {
            return false;
        }
        let mut pos = from;
        while pos < r.until {
            got.push(
                r.slots[pos % n]
                    .take()
                    .expect("a position before `filled_to` is filled"),
            );
            pos += 1;
        }
        r.taken = pos;
        if r.readers_waiting > 0 {
            self.room.notify_all();
        }
        true
    }

    /// A guard that, when dropped (only if its thread unwinds, with `on_panic_only`), stops
    /// every thread waiting on the ring.
    fn stop_when_dropped(&self, on_panic_only: bool) -> impl Drop + '_ {
        struct Stop<'a, T>(&'a Ahead<T>, bool);
        impl<T> Drop for Stop<'_, T> {
            fn drop(&mut self) {
                if !self.1 || std::thread::panicking() {
                    self.0.lock().stopped = true;
                    self.0.filled.notify_all();
                    self.0.room.notify_all();
                }
            }
        }
        Stop(self, on_panic_only)
    }
}

/// What [`load`] found.
enum Loaded {
    /// The file is in the buffer.
    Read,
    /// Over the size limit: not read.
    Large(File, u64),
    /// Why it could not be read.
    Failed(String),
}

thread_local! {
    /// A reading thread's buffer, kept from file to file (see [`with_loaded`]).
    static READ_BUF: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

/// The largest read buffer a thread keeps for the next file (most interview files are far
/// smaller; a larger one is read into a buffer of its own size, freed after).
const KEPT_READ_BUF: usize = 1 << 20;

/// Reads a file of at most [`MAX_INTERVIEW_BYTES`] (see [`load`]) and calls `f` with what was
/// found and the bytes read. The bytes are read into the thread's buffer of the last file: it is
/// only ever lengthened, so neither zeroed nor reallocated for each file (a buffer per task
/// cost a memset and the copies of its growth for most files). The buffer is taken out of the
/// thread while `f` runs, so a nested read on the same thread (rayon may run another task while
/// `f` waits) gets a buffer of its own.
fn with_loaded<R>(path: &Path, f: impl FnOnce(Loaded, &[u8]) -> R) -> R {
    let mut buf = READ_BUF.take();
    let (loaded, len) = load(path, &mut buf);
    let r = f(loaded, &buf[..len]);
    if buf.len() <= KEPT_READ_BUF {
        READ_BUF.set(buf);
    }
    r
}

/// Reads a file of at most [`MAX_INTERVIEW_BYTES`] into `buf[..len]`; `len`, the size read.
fn load(path: &Path, buf: &mut Vec<u8>) -> (Loaded, usize) {
    let (mut f, size) = match super::open_input(path) {
        Ok((f, m)) => (f, m.len()),
        Err(e) => return (Loaded::Failed(e.detail), 0),
    };
    if size > MAX_INTERVIEW_BYTES as u64 {
        return (Loaded::Large(f, size), 0);
    }
    // Exactly the size the file has: one read, no probing for the end (inputs are copies that
    // nothing writes to; a file that shrank meanwhile is reported). The read overwrites the
    // bytes of the files before: the buffer is lengthened (and zeroed) only past the longest.
    let size = size as usize;
    if buf.len() < size {
        buf.resize(size, 0);
    }
    match f.read_exact(&mut buf[..size]) {
        Ok(()) => (Loaded::Read, size),
        Err(e) => (Loaded::Failed(format!("cannot read: {}", io_reason(&e))), 0),
    }
}

/// Why an age file (an output of `merge --seal-to`) is not read as an input.
const SEALED_OUTPUT: &str = "an age-encrypted file (an output of `anketa merge --seal-to`): merge does not read these; \
                             decrypt it first (`age -d -i KEY -o interviews.ndjson FILE`) and merge that, or report on \
                             it directly with `anketa report FILE --identity KEY`";

/// The interview texts of a file read whole (see [`decode::texts`]).
fn split(path: &Path, buf: &[u8], mut item: impl FnMut(u32, InputText<'_>)) {
    // An empty NDJSON file (the data set of a merge that merged nothing) holds no record.
    if buf.trim_ascii().is_empty() && path.extension().is_some_and(|e| e == "ndjson") {
        return;
    }
    if crate::seal::is_age_file(buf) {
        return item(0, Err(SEALED_OUTPUT.into()));
    }
    match decode::texts(buf) {
        Ok(texts) => texts.each(item),
        Err(e) => item(0, Err(e)),
    }
}

/// A file over the size limit: read as an NDJSON stream if it starts with a whole JSON line,
/// refused otherwise (after reading at most its first line). Lines are parsed in parallel
/// batches, each handed to `sink` in order.
fn read_large<T, S, I, F>(i: usize, f: File, size: u64, init: &I, parse: &F, sink: &mut dyn FnMut(Vec<T>))
where
    T: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, usize, u32, InputText<'_>) -> T + Sync,
{
    let too_big = || {
        vec![parse(
            &mut init(),
            i,
            0,
            Err(format!(
                "file is {size} bytes, over the {} MB limit of an interview file; skipped without reading it \
                 (an NDJSON file of many interviews has no limit)",
                MAX_INTERVIEW_BYTES / (1024 * 1024)
            )),
        )]
    };
    let mut r = BufReader::with_capacity(1 << 20, f);
    // Peek: an NDJSON stream starts with `{` (after a byte-order mark, if any).
    if r.fill_buf().is_ok_and(|b| b.starts_with(b"\xEF\xBB\xBF")) {
        r.consume(3);
    }
    match r.fill_buf() {
        Ok(b) if b.trim_ascii_start().first() == Some(&b'{') => {}
        Ok(b) if crate::seal::is_age_file(b) => return sink(vec![parse(&mut init(), i, 0, Err(SEALED_OUTPUT.into()))]),
        _ => return sink(too_big()),
    }
    let mut lines: Vec<(u32, Result<Vec<u8>, String>)> = Vec::with_capacity(BATCH_LINES);
    let mut n: u32 = 0;
    loop {
        let mut line = Vec::new();
        let res = read_line_bounded(&mut r, &mut line, MAX_INTERVIEW_BYTES);
        n += 1;
        match res {
            Ok(0) => break,
            Ok(_) => {
                if n == 1 && !decode::starts_ndjson(&line) {
                    return sink(too_big());
                }
                if !line.trim_ascii().is_empty() {
                    lines.push((n, Ok(line)));
                }
            }
            Err(LineError::TooLong) => lines.push((
                n,
                Err(format!(
                    "line is over the {} MB limit of an interview",
                    MAX_INTERVIEW_BYTES / (1024 * 1024)
                )),
            )),
            Err(LineError::Io(e)) => {
                lines.push((n, Err(format!("cannot read: {}", io_reason(&e)))));
                break;
            }
        }
        if lines.len() >= BATCH_LINES {
            sink(parse_lines(i, &mut lines, init, parse));
        }
    }
    if !lines.is_empty() {
        sink(parse_lines(i, &mut lines, init, parse));
    }
}

fn parse_lines<T, S, I, F>(i: usize, lines: &mut Vec<(u32, Result<Vec<u8>, String>)>, init: &I, parse: &F) -> Vec<T>
where
    T: Send,
    I: Fn() -> S + Sync,
    F: Fn(&mut S, usize, u32, InputText<'_>) -> T + Sync,
{
    let batch: Vec<T> = lines
        .par_iter()
        .map_init(init, |st, (n, l)| match l {
            Ok(bytes) => match decode::utf8(bytes) {
                Ok(t) => parse(st, i, *n, Ok(t)),
                Err(e) => parse(st, i, *n, Err(e)),
            },
            Err(e) => parse(st, i, *n, Err(e.clone())),
        })
        .collect();
    lines.clear();
    batch
}

enum LineError {
    TooLong,
    Io(io::Error),
}

/// Reads one line (without its `\n`) of at most `max` bytes; a longer one is skipped to its end.
/// Returns the bytes consumed (0 at end of file).
fn read_line_bounded(r: &mut impl BufRead, line: &mut Vec<u8>, max: usize) -> Result<usize, LineError> {
    let mut consumed = 0;
    let mut too_long = false;
    loop {
        let buf = r.fill_buf().map_err(LineError::Io)?;
        if buf.is_empty() {
            break;
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(p) => (&buf[..p], Some(p + 1)),
            None => (buf, None),
        };
        if !too_long {
            if line.len() + chunk.len() > max {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let used = done.unwrap_or(buf.len());
        r.consume(used);
        consumed += used;
        if done.is_some() {
            break;
        }
    }
    if too_long {
        Err(LineError::TooLong)
    } else {
        Ok(consumed)
    }
}

/// A temporary file of byte blocks, read back by handle. Created in the output folder and
/// removed at once (on Unix it lives on as long as the handle), so a crash leaves nothing.
///
/// Writers ([`Spill::writer`], one per worker) buffer about a megabyte per write; a block's
/// handle names its chunk and its place in it, resolved once the chunk is written.
#[derive(Debug)]
pub(crate) struct Spill {
    file: Mutex<(File, u64)>,
    /// The same file, for positioned reads.
    #[cfg(unix)]
    reader: File,
    /// Chunk → its offset in the file, once written.
    chunks: Mutex<Vec<Option<u64>>>,
    error: Mutex<Option<String>>,
    #[cfg(not(unix))]
    path: PathBuf,
}

/// Bytes buffered per chunk before they are written.
const CHUNK: usize = 1 << 20;

/// A buffering writer into a [`Spill`]; writes its last chunk when dropped.
#[derive(Debug)]
pub(crate) struct SpillWriter<'a> {
    spill: &'a Spill,
    chunk: Option<u32>,
    buf: Vec<u8>,
}

impl Spill {
    /// Creates the spill file in `dir`.
    pub fn create(dir: &Path) -> io::Result<Spill> {
        let path = dir.join(format!(".anketa-merge-{}.spill", std::process::id()));
        let mut opts = fs::OpenOptions::new();
        opts.read(true).write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            // Records are the respondents' answers: readable by this user alone, like every
            // output, for the moment the file has a name.
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let file = opts.open(&path)?;
        #[cfg(unix)]
        let _ = fs::remove_file(&path);
        Ok(Spill {
            #[cfg(unix)]
            reader: file.try_clone()?,
            file: Mutex::new((file, 0)),
            chunks: Mutex::new(Vec::new()),
            error: Mutex::new(None),
            #[cfg(not(unix))]
            path,
        })
    }

    /// A writer (one per worker).
    pub(crate) fn writer(&self) -> SpillWriter<'_> {
        SpillWriter {
            spill: self,
            chunk: None,
            buf: Vec::new(),
        }
    }

    /// The first write error, if any (blocks after it cannot be read back).
    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Fills `dst` from the block at `handle`, `skip` bytes into it.
    pub(crate) fn read_into(&self, handle: u64, skip: u64, dst: &mut [u8]) -> io::Result<()> {
        let chunk = (handle >> 32) as usize;
        let base = self
            .chunks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(chunk)
            .copied()
            .flatten()
            .ok_or_else(|| io::Error::other(self.error().unwrap_or_else(|| "block was not written".into())))?;
        let offset = base + (handle & 0xFFFF_FFFF) + skip;
        #[cfg(unix)]
        {
            // Positioned reads need no lock (blocks are read only once written).
            use std::os::unix::fs::FileExt;
            self.reader.read_exact_at(dst, offset)
        }
        #[cfg(not(unix))]
        {
            use std::io::{Seek, SeekFrom};
            let g = self.file.lock().unwrap_or_else(|p| p.into_inner());
            let mut f = &g.0;
            f.seek(SeekFrom::Start(offset))?;
            f.read_exact(dst)
        }
    }
}

impl SpillWriter<'_> {
    /// Appends blocks (stored together); returns the handle of the first byte.
    pub(crate) fn append(&mut self, blocks: &[&[u8]]) -> u64 {
        if self.buf.len() >= CHUNK {
            self.flush();
        }
        let chunk = *self.chunk.get_or_insert_with(|| {
            let mut c = self.spill.chunks.lock().unwrap_or_else(|p| p.into_inner());
            c.push(None);
            (c.len() - 1) as u32
        });
        let handle = ((chunk as u64) << 32) | self.buf.len() as u64;
        for b in blocks {
            self.buf.extend_from_slice(b);
        }
        handle
    }

    fn flush(&mut self) {
        use std::io::{Seek, SeekFrom, Write};
        let Some(chunk) = self.chunk.take() else { return };
        let mut g = self.spill.file.lock().unwrap_or_else(|p| p.into_inner());
        let at = g.1;
        let res = g.0.seek(SeekFrom::Start(at)).and_then(|_| g.0.write_all(&self.buf));
        match res {
            Ok(()) => {
                g.1 += self.buf.len() as u64;
                self.spill.chunks.lock().unwrap_or_else(|p| p.into_inner())[chunk as usize] = Some(at);
            }
            Err(e) => {
                let mut err = self.spill.error.lock().unwrap_or_else(|p| p.into_inner());
                err.get_or_insert_with(|| io_reason(&e));
            }
        }
        self.buf.clear();
    }
}

impl Drop for SpillWriter<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

#[cfg(not(unix))]
impl Drop for Spill {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_lines_skip_overlong_ones() {
        let data = b"short\n0123456789abc\nok\nlast";
        let mut r = BufReader::with_capacity(4, &data[..]);
        let mut got = Vec::new();
        loop {
            let mut l = Vec::new();
            match read_line_bounded(&mut r, &mut l, 10) {
                Ok(0) => break,
                Ok(_) => got.push(String::from_utf8(l).unwrap()),
                Err(LineError::TooLong) => got.push("<too long>".into()),
                Err(LineError::Io(e)) => panic!("{e}"),
            }
        }
        assert_eq!(got, ["short", "<too long>", "ok", "last"]);
    }

    /// Files `0.json` … for [`read_ordered`]: small documents, NDJSON files of 3 lines, a
    /// missing file and an NDJSON file over the size limit (streamed). Returns the files and
    /// the (file, line) items each should give, in line order.
    fn ordered_inputs(dir: &Path, n: usize) -> (Vec<InputFile>, Vec<Vec<(usize, u32)>>) {
        let mut files = Vec::new();
        let mut items = Vec::new();
        for k in 0..n {
            let path = dir.join(format!("{k}.json"));
            let expect: Vec<(usize, u32)> = match k {
                _ if k % 50 == 7 => vec![(k, 0)], // missing: one failure
                _ if k == n / 2 => {
                    let line = format!("{{\"k\":{k},\"pad\":\"{}\"}}\n", "x".repeat(4000));
                    let lines = MAX_INTERVIEW_BYTES / line.len() + 3;
                    fs::write(&path, line.repeat(lines)).unwrap();
                    (1..=lines as u32).map(|l| (k, l)).collect()
                }
                _ if k % 10 == 3 => {
                    fs::write(&path, format!("{{\"k\":{k}}}\n{{\"k\":{k}}}\n\n{{\"k\":{k}}}\n")).unwrap();
                    vec![(k, 1), (k, 2), (k, 4)]
                }
                _ => {
                    fs::write(&path, format!("{{\"k\": {k}}}")).unwrap();
                    vec![(k, 0)]
                }
            };
            files.push(InputFile { path });
            items.push(expect);
        }
        (files, items)
    }

    /// A scrambled order of `0..n` (the same for every run).
    fn scrambled(n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        let mut x = 88172645463325252u64;
        for i in (1..n).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            order.swap(i, (x % (i as u64 + 1)) as usize);
        }
        order
    }

    #[test]
    fn files_are_handed_on_in_the_order_given_whatever_order_the_readers_finish_in() {
        let dir = tempfile::tempdir().unwrap();
        let n = 700;
        let (files, items) = ordered_inputs(dir.path(), n);
        let order = scrambled(n);
        let mut got = Vec::new();
        let mut batches = 0;
        read_ordered(
            &files,
            &order,
            || (),
            |_, i, line, text| {
                // Some files take longer, so that readers finish out of order.
                if i % 9 == 0 {
                    std::thread::sleep(std::time::Duration::from_micros(300));
                }
                if let Ok(t) = text {
                    assert!(
                        t.contains(&format!("\"k\":{i}")) || t.contains(&format!("\"k\": {i}")),
                        "{t}"
                    );
                }
                (i, line)
            },
            |batch| {
                batches += 1;
                got.extend(batch)
            },
            &|_, _| {},
        );
        let want: Vec<(usize, u32)> = order.iter().flat_map(|&i| items[i].clone()).collect();
        assert_eq!(got.len(), want.len());
        assert!(got == want, "items out of order");
        assert!(batches > 1 && batches < want.len() / 4, "{batches} batches");
    }

    /// Runs `f` on a thread and fails, rather than hangs, if it does not end within a minute.
    fn ends<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()));
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .expect("read_ordered hung")
    }

    #[test]
    fn a_panic_in_a_reader_or_in_the_sink_ends_the_reading_instead_of_hanging_it() {
        let dir = tempfile::tempdir().unwrap();
        let (files, _) = ordered_inputs(dir.path(), 400);
        let files = std::sync::Arc::new(files);
        for panic_in_sink in [false, true] {
            let files = files.clone();
            let caught = ends(move || {
                std::panic::catch_unwind(|| {
                    let order: Vec<usize> = (0..files.len()).collect();
                    let mut seen = 0;
                    read_ordered(
                        &files,
                        &order,
                        || (),
                        |_, i, _, _| assert!(panic_in_sink || i != 150, "a reader fails"),
                        |batch| {
                            seen += batch.len();
                            assert!(!panic_in_sink || seen < 100, "the sink fails");
                        },
                        &|_, _| {},
                    )
                })
            });
            assert!(caught.is_err(), "the panic surfaces (sink: {panic_in_sink})");
        }
    }

    #[test]
    fn a_thread_reads_each_file_whole_and_only_it_into_its_kept_buffer() {
        let dir = std::env::temp_dir().join(format!("anketa-read-buf-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let sizes = [10, 3_000, 1, 0, 2_999, KEPT_READ_BUF + 5, 7, KEPT_READ_BUF, 20];
        let mut longest = 0;
        for (k, &size) in sizes.iter().enumerate() {
            let p = dir.join(format!("{k}.json"));
            let bytes: Vec<u8> = (0..size).map(|i| b'a' + ((i + k) % 26) as u8).collect();
            fs::write(&p, &bytes).unwrap();
            let got = with_loaded(&p, |loaded, buf| {
                assert!(matches!(loaded, Loaded::Read));
                buf.to_vec()
            });
            assert_eq!(got, bytes, "file {k}: its bytes, none of the files before");
            // The buffer is kept, as long as the longest file so far, unless that was too long.
            let kept = READ_BUF.take();
            longest = if size > KEPT_READ_BUF { 0 } else { longest.max(size) };
            assert_eq!(kept.len(), longest, "file {k}");
            READ_BUF.set(kept);
        }
        let missing = with_loaded(&dir.join("none.json"), |loaded, buf| {
            assert!(buf.is_empty());
            matches!(loaded, Loaded::Failed(_))
        });
        assert!(missing);
        fs::remove_dir_all(&dir).unwrap();
    }
}
