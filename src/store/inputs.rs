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
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Lines of an NDJSON file parsed per parallel batch.
const BATCH_LINES: usize = 1024;

/// One input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    /// The path as the user would name it (the argument, joined with the walked names).
    pub path: PathBuf,
    /// Size in bytes when walked.
    pub size: u64,
}

/// The files found under the inputs.
#[derive(Debug, Default)]
pub struct Walk {
    /// Candidate interview files, sorted by path, each physical file once.
    pub files: Vec<InputFile>,
    /// Files in `questionnaires/` folders, sorted.
    pub questionnaires: Vec<PathBuf>,
    /// Paths that could not be walked or were skipped, with the reason.
    pub problems: Vec<(String, String)>,
}

/// Walks files and folders (recursively). Fails only when an input does not exist or cannot be
/// read at all (a usage error); problems below an input are collected.
pub fn walk(inputs: &[PathBuf]) -> Result<Walk, String> {
    let mut w = Walk::default();
    // canonical path → display path (the smallest, so that the input order does not matter)
    let mut files: BTreeMap<PathBuf, InputFile> = BTreeMap::new();
    let mut qs: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    for input in inputs {
        let meta = fs::metadata(input).map_err(|e| format!("{}: {}", input.display(), io_reason(&e)))?;
        if meta.is_dir() {
            walk_dir(input, false, &mut files, &mut qs, &mut w.problems);
        } else {
            add(input, meta.len(), &mut files);
        }
    }
    let mut list: Vec<InputFile> = files.into_values().collect();
    list.sort_by(|a, b| a.path.cmp(&b.path));
    w.files = list;
    let mut ql: Vec<PathBuf> = qs.into_values().collect();
    ql.sort();
    w.questionnaires = ql;
    w.problems.sort();
    w.problems.dedup();
    Ok(w)
}

fn add(path: &Path, size: u64, files: &mut BTreeMap<PathBuf, InputFile>) {
    let key = fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let f = InputFile {
        path: path.to_path_buf(),
        size,
    };
    match files.get(&key) {
        Some(old) if old.path <= f.path => {}
        _ => {
            files.insert(key, f);
        }
    }
}

fn walk_dir(
    dir: &Path,
    in_questionnaires: bool,
    files: &mut BTreeMap<PathBuf, InputFile>,
    qs: &mut BTreeMap<PathBuf, PathBuf>,
    problems: &mut Vec<(String, String)>,
) {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            problems.push((dir.display().to_string(), format!("cannot read the folder: {}", io_reason(&e))));
            return;
        }
    };
    let mut entries: Vec<(PathBuf, String)> = rd
        .filter_map(|e| e.ok())
        .map(|e| (e.path(), e.file_name().to_string_lossy().into_owned()))
        .collect();
    entries.sort();
    for (path, name) in entries {
        if name.starts_with('.') {
            continue;
        }
        let lmeta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                problems.push((path.display().to_string(), io_reason(&e)));
                continue;
            }
        };
        let meta = if lmeta.file_type().is_symlink() {
            match fs::metadata(&path) {
                Ok(m) if m.is_dir() => {
                    problems.push((
                        path.display().to_string(),
                        "a symbolic link to a folder: not followed (name the folder itself)".into(),
                    ));
                    continue;
                }
                Ok(m) => m,
                Err(e) => {
                    problems.push((path.display().to_string(), format!("broken link: {}", io_reason(&e))));
                    continue;
                }
            }
        } else {
            lmeta
        };
        if meta.is_dir() {
            walk_dir(&path, in_questionnaires || name == "questionnaires", files, qs, problems);
        } else if !meta.is_file() {
            problems.push((path.display().to_string(), "not a regular file".into()));
        } else if in_questionnaires {
            let key = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            let e = qs.entry(key).or_insert_with(|| path.clone());
            if path < *e {
                *e = path;
            }
        } else {
            add(&path, meta.len(), files);
        }
    }
}

/// What the reader hands the parser: the text of one interview, or why there is none.
pub type Item<'a> = Result<&'a str, String>;

/// Reads every file on all cores and calls `parse(file index, line, item)` for each interview
/// text: the whole file (`line` 0) or each non-blank NDJSON line (`line` from 1). Results come
/// back grouped per file, in file order, lines in order. `progress(done, total)` counts files.
pub fn read_all<T, F>(files: &[InputFile], parse: F, progress: &(dyn Fn(u64, u64) + Sync)) -> Vec<Vec<T>>
where
    T: Send,
    F: Fn(usize, u32, Item<'_>) -> T + Sync,
{
    let done = AtomicU64::new(0);
    let total = files.len() as u64;
    files
        .par_iter()
        .enumerate()
        .map_init(Vec::new, |buf, (i, f)| {
            let out = read_one(i, &f.path, buf, &parse);
            progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
            out
        })
        .collect()
}

fn utf8(bytes: &[u8]) -> Result<&str, String> {
    std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "not UTF-8 text (invalid byte at offset {}); not an anketa file, or damaged in copying",
            e.valid_up_to()
        )
    })
}

/// Whether `line` is one complete JSON value (cheap check first: it must start with `{`).
fn is_json_line(line: &[u8]) -> bool {
    let t = line.trim_ascii();
    t.first() == Some(&b'{')
        && t.last() == Some(&b'}')
        && serde_json::from_slice::<serde::de::IgnoredAny>(t).is_ok()
}

fn read_one<T, F>(i: usize, path: &Path, buf: &mut Vec<u8>, parse: &F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, u32, Item<'_>) -> T + Sync,
{
    let fail = |msg: String| vec![parse(i, 0, Err(msg))];
    let mut f = match File::open(path) {
        Ok(f) => f,
        Err(e) => return fail(format!("cannot open: {}", io_reason(&e))),
    };
    let size = match f.metadata() {
        Ok(m) => m.len(),
        Err(e) => return fail(format!("cannot read: {}", io_reason(&e))),
    };
    if size > MAX_INTERVIEW_BYTES as u64 {
        return read_large(i, f, size, parse);
    }
    buf.clear();
    if let Err(e) = (&mut f).take(MAX_INTERVIEW_BYTES as u64 + 1).read_to_end(buf) {
        return fail(format!("cannot read: {}", io_reason(&e)));
    }
    if buf.len() > MAX_INTERVIEW_BYTES {
        return read_large(i, f, buf.len() as u64, parse);
    }
    let text = match utf8(buf) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let first_end = text.find('\n').unwrap_or(text.len());
    let rest = &text[first_end..];
    if !rest.trim().is_empty() && is_json_line(text[..first_end].as_bytes()) {
        // NDJSON: one interview per line.
        text.split('\n')
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| parse(i, n as u32 + 1, Ok(l)))
            .collect()
    } else {
        vec![parse(i, 0, Ok(text))]
    }
}

/// A file over the size limit: read as an NDJSON stream if it starts with a whole JSON line,
/// refused otherwise (after reading at most its first line).
fn read_large<T, F>(i: usize, f: File, size: u64, parse: &F) -> Vec<T>
where
    T: Send,
    F: Fn(usize, u32, Item<'_>) -> T + Sync,
{
    let too_big = || {
        vec![parse(
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
    // Peek: an NDJSON stream starts with `{`.
    match r.fill_buf() {
        Ok(b) if b.trim_ascii_start().first() == Some(&b'{') => {}
        _ => return too_big(),
    }
    let mut out = Vec::new();
    let mut lines: Vec<(u32, Result<Vec<u8>, String>)> = Vec::with_capacity(BATCH_LINES);
    let mut n: u32 = 0;
    loop {
        let mut line = Vec::new();
        let res = read_line_bounded(&mut r, &mut line, MAX_INTERVIEW_BYTES);
        n += 1;
        match res {
            Ok(0) => break,
            Ok(_) => {
                if n == 1 && !is_json_line(&line) {
                    return too_big();
                }
                if !line.trim_ascii().is_empty() {
                    lines.push((n, Ok(line)));
                }
            }
            Err(LineError::TooLong) => lines.push((
                n,
                Err(format!("line is over the {} MB limit of an interview", MAX_INTERVIEW_BYTES / (1024 * 1024))),
            )),
            Err(LineError::Io(e)) => {
                lines.push((n, Err(format!("cannot read: {}", io_reason(&e)))));
                break;
            }
        }
        if lines.len() >= BATCH_LINES {
            flush(i, &mut lines, parse, &mut out);
        }
    }
    flush(i, &mut lines, parse, &mut out);
    out
}

fn flush<T, F>(i: usize, lines: &mut Vec<(u32, Result<Vec<u8>, String>)>, parse: &F, out: &mut Vec<T>)
where
    T: Send,
    F: Fn(usize, u32, Item<'_>) -> T + Sync,
{
    let batch: Vec<T> = lines
        .par_iter()
        .map(|(n, l)| match l {
            Ok(bytes) => match utf8(bytes) {
                Ok(t) => parse(i, *n, Ok(t)),
                Err(e) => parse(i, *n, Err(e)),
            },
            Err(e) => parse(i, *n, Err(e.clone())),
        })
        .collect();
    out.extend(batch);
    lines.clear();
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
    if too_long { Err(LineError::TooLong) } else { Ok(consumed) }
}

/// A temporary file of appended byte blocks, read back by position. Created in the output folder
/// and removed at once (on Unix it lives on as long as the handle), so a crash leaves nothing.
#[derive(Debug)]
pub struct Spill {
    file: std::sync::Mutex<(File, u64)>,
    #[cfg(not(unix))]
    path: PathBuf,
}

impl Spill {
    /// Creates the spill file in `dir`.
    pub fn create(dir: &Path) -> io::Result<Spill> {
        let path = dir.join(format!(".anketa-merge-{}.spill", std::process::id()));
        let file = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)?;
        #[cfg(unix)]
        {
            let _ = fs::remove_file(&path);
            Ok(Spill {
                file: std::sync::Mutex::new((file, 0)),
            })
        }
        #[cfg(not(unix))]
        Ok(Spill {
            file: std::sync::Mutex::new((file, 0)),
            path,
        })
    }

    /// Appends blocks; returns the offset of the first.
    pub fn append(&self, blocks: &[&[u8]]) -> io::Result<u64> {
        use std::io::Write;
        let mut g = self.file.lock().unwrap_or_else(|p| p.into_inner());
        let at = g.1;
        for b in blocks {
            g.0.write_all(b)?;
            g.1 += b.len() as u64;
        }
        Ok(at)
    }

    /// Reads `len` bytes at `offset` into `buf` (replacing its content).
    pub fn read(&self, offset: u64, len: usize, buf: &mut Vec<u8>) -> io::Result<()> {
        buf.clear();
        buf.resize(len, 0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            let g = self.file.lock().unwrap_or_else(|p| p.into_inner());
            g.0.read_exact_at(buf, offset)
        }
        #[cfg(not(unix))]
        {
            use std::io::{Seek, SeekFrom};
            let mut g = self.file.lock().unwrap_or_else(|p| p.into_inner());
            g.0.seek(SeekFrom::Start(offset))?;
            g.0.read_exact(buf)?;
            g.0.seek(SeekFrom::End(0))?;
            Ok(())
        }
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

    #[test]
    fn json_lines_are_recognised_by_content() {
        assert!(is_json_line(br#"{"a": 1}"#));
        assert!(!is_json_line(b"{"));
        assert!(!is_json_line(b"{\"a\": "));
        assert!(!is_json_line(b"0123"));
    }
}
