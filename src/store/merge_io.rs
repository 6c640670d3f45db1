//! The file side of `anketa merge`: walk and read the inputs, apply the pure rules of
//! [`crate::merge`], write the data set, exports, conflicts and report.
//!
//! Memory stays small whatever the number of files: each record is parsed, checked and reduced
//! to an [`Entry`] on the spot; its canonical NDJSON line and CSV row go to a spill file (removed
//! as soon as it is created) and are copied from there, in the final order, into the outputs.
//! Inputs are opened read-only. Every output is written to a temp file, fsynced and renamed.

use super::inputs::{InputFile, Item, Spill, SpillWriter, read_all, walk};
use super::{create_private_dir, interview_file_name, io_reason, load_questionnaire, parse_record, sync_dir};
use crate::export::{codebook, spss};
use crate::interview::record::{FORMAT, Record, RecordView};
use crate::merge::{
    Catalog, Entry, Origin, PathReason, Report, ReportConflict, ReportCopy, ReportDuplicate, ReportIncomplete,
    ReportQuestionnaire, Source, decide, examine_into, examine_view, stems,
};
use crate::questionnaire;
use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The format tag of `merge-report.json`.
pub const REPORT_FORMAT: &str = "anketa-merge-report/1";
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
        opts.write(true).create(true).truncate(true);
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
        })
    }

    /// Appends bytes.
    pub fn write(&mut self, b: &[u8]) -> io::Result<()> {
        match &mut self.w {
            Some(w) => w.write_all(b),
            None => Err(io::Error::other("already committed")),
        }
    }

    /// Appends a large block, bypassing the buffer.
    pub fn write_direct(&mut self, b: &[u8]) -> io::Result<()> {
        let w = self.w.as_mut().ok_or_else(|| io::Error::other("already committed"))?;
        w.flush()?;
        w.get_mut().write_all(b)
    }

    /// Makes the file durable and puts it in place.
    pub fn commit(mut self) -> io::Result<()> {
        let w = self.w.take().ok_or_else(|| io::Error::other("already committed"))?;
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.sync_all()?;
        drop(f);
        fs::rename(&self.tmp, &self.path)?;
        sync_dir(
            self.path
                .parent()
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
            2 => comps[0].as_os_str() == "conflicts",
            _ => false,
        }
}

/// Per-worker state of the reading pass: reused buffers and a spill writer.
struct Worker<'a> {
    spill: SpillWriter<'a>,
    line: Vec<u8>,
    row: Vec<u8>,
}

/// A block of the spill to copy into an output.
struct Block {
    handle: u64,
    skip: u32,
    len: u32,
    newline: bool,
}

/// Writes `head` then the blocks, in order, to `path` (to be committed). Chunks of about 4 MB are
/// assembled from the spill in parallel and written in order (parallel writes to one file would
/// only contend for its lock).
fn copy_blocks(spill: &Spill, path: &Path, head: &[u8], blocks: &[Block]) -> io::Result<AtomicFile> {
    use rayon::prelude::*;
    const CHUNK_BYTES: usize = 4 << 20;
    let mut f = AtomicFile::create(path)?;
    f.write(head)?;
    let mut chunks: Vec<std::ops::Range<usize>> = Vec::new();
    let (mut start, mut size) = (0, 0usize);
    for (i, b) in blocks.iter().enumerate() {
        size += b.len as usize + b.newline as usize;
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
            .map_init(Vec::new, |buf: &mut Vec<u8>, range| {
                let mut out = Vec::with_capacity(CHUNK_BYTES + (1 << 16));
                for b in &blocks[range.clone()] {
                    spill.read(b.handle, b.skip as u64, b.len as usize, buf)?;
                    out.extend_from_slice(buf);
                    if b.newline {
                        out.push(b'\n');
                    }
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

/// Parses an interview's text, with a precise reason when it is not one. Recognises the other
/// files of a data dir by their content (to ignore them rather than reject them).
fn parse(text: &str) -> Result<Record, Outcome> {
    if let Ok(r) = serde_json::from_str::<Record>(text) {
        return Ok(r);
    }
    let t = text.trim();
    if t.is_empty() {
        return Err(Outcome::Rejected("empty file".into()));
    }
    if t.len() == 32 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Outcome::Ignored("an anketa device id file".into()));
    }
    let v: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => {
            return Err(Outcome::Rejected(
                parse_record(text).err().unwrap_or_else(|| "invalid JSON".into()),
            ));
        }
    };
    match v.get("format").and_then(|f| f.as_str()) {
        Some(FORMAT) => Err(Outcome::Rejected(match serde_json::from_value::<Record>(v) {
            Err(e) => format!("malformed interview: {e}"),
            Ok(_) => "malformed interview".into(),
        })),
        Some(REPORT_FORMAT) => Err(Outcome::Ignored("an anketa merge report".into())),
        Some(other) => Err(Outcome::Rejected(format!(
            "unknown format version `{other}` (this anketa reads `{FORMAT}`); a newer anketa may read it"
        ))),
        None if v.get("blocks").is_some() && v.get("id").is_some() => Err(Outcome::Ignored(
            "a questionnaire outside a questionnaires/ folder: not used to check interviews (pass it with \
             --questionnaire if they need it)"
                .into(),
        )),
        None if v
            .as_object()
            .is_some_and(|o| o.keys().all(|k| k == "interviewer" || k == "lang")) =>
        {
            Err(Outcome::Ignored("anketa settings (config.json)".into()))
        }
        None => Err(Outcome::Rejected(
            "not an anketa interview file (no `format` field)".into(),
        )),
    }
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
    let mut cat = Catalog::new(opts.excel);
    for (name, src) in questionnaire::BUNDLED {
        if let Ok(q) = questionnaire::load(&format!("<bundled>/{name}"), src) {
            cat.add(q, Origin::Bundled);
        }
    }
    for p in &opts.questionnaires {
        match load_questionnaire(p) {
            Ok(q) => cat.add(q, Origin::Given(p.display().to_string())),
            Err(errs) => problems.extend(
                errs.iter()
                    .map(|e| format!("--questionnaire {}", e.to_string().trim_start_matches("error: "))),
            ),
        }
    }
    if !problems.is_empty() {
        return Err(MergeError::Usage(problems));
    }
    let mut report = Report {
        format: REPORT_FORMAT.into(),
        include_incomplete: opts.include_incomplete,
        ..Report::default()
    };
    for p in &w.questionnaires {
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
    // What the workers keep: compact entries, and the few files not taken.
    let kept: Mutex<Vec<Entry>> = Mutex::new(Vec::with_capacity(w.files.len()));
    let not_taken: Mutex<Vec<(Source, Outcome)>> = Mutex::new(Vec::new());
    let ingest = |wk: &mut Worker<'_>, file: usize, line: u32, item: Item<'_>| {
        let source = Source {
            file: file as u32,
            line,
        };
        // The borrowed view first (no allocation per string); anything it does not take goes
        // through the owned record, which explains precisely what is wrong.
        let examined = match item {
            Err(reason) => Err(Outcome::Rejected(reason)),
            Ok(text) => match serde_json::from_str::<RecordView<'_>>(text) {
                Ok(view) => examine_view(&cat, &view, &mut wk.line, &mut wk.row).map_err(Outcome::Rejected),
                Err(_) => parse(text)
                    .and_then(|rec| examine_into(&cat, &rec, &mut wk.line, &mut wk.row).map_err(Outcome::Rejected)),
            },
        };
        match examined {
            Ok(mut e) => {
                e.handle = wk.spill.append(&[&wk.line, &wk.row]);
                e.source = source;
                lock(&kept).push(e);
            }
            Err(outcome) => lock(&not_taken).push((source, outcome)),
        }
    };
    read_all(
        &w.files,
        || Worker {
            spill: spill.writer(),
            line: Vec::with_capacity(16 * 1024),
            row: Vec::with_capacity(4 * 1024),
        },
        ingest,
        progress,
    );
    if let Some(e) = spill.error() {
        return Err(MergeError::Output(format!(
            "{}: temporary spill file: {e}",
            opts.out.display()
        )));
    }
    report.files_read = w.files.len();
    let entries = kept.into_inner().unwrap_or_else(|p| p.into_inner());
    report.records_read = entries.len();
    for (source, o) in not_taken.into_inner().unwrap_or_else(|p| p.into_inner()) {
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

    let d = decide(&entries, opts.include_incomplete);
    let mut used = vec![false; cat.all().len()];
    for &i in &d.merged {
        used[entries[i].questionnaire as usize] = true;
    }
    let stems = stems(&cat, &used);
    let mut outputs: BTreeSet<String> = BTreeSet::new();
    let mut buf = Vec::new();
    let read = |e: &Entry, row: bool, buf: &mut Vec<u8>| -> Result<(), MergeError> {
        let (skip, len) = if row {
            (e.line_len as u64, e.row_len as usize)
        } else {
            (0, e.line_len as usize)
        };
        spill
            .read(e.handle, skip, len, buf)
            .map_err(|err| MergeError::Output(format!("spill file: {}", io_reason(&err))))
    };

    // interviews.ndjson: the canonical lines, in order.
    let p = opts.out.join("interviews.ndjson");
    let lines: Vec<Block> = d
        .merged
        .iter()
        .map(|&i| Block {
            handle: entries[i].handle,
            skip: 0,
            len: entries[i].line_len,
            newline: true,
        })
        .collect();
    let f = copy_blocks(&spill, &p, &[], &lines).map_err(|e| output(&p, e))?;
    // Its fsync runs while the CSVs are written.
    let ndjson = std::thread::spawn(move || f.commit().map_err(|e| (p, e)));
    outputs.insert("interviews.ndjson".into());

    // Per questionnaire: CSV, codebook, syntax.
    for (qi, stem) in stems.iter().enumerate() {
        let Some(stem) = stem else { continue };
        let k = cat.get(qi);
        let csv_name = format!("{stem}.csv");
        let p = opts.out.join(&csv_name);
        let rows: Vec<Block> = d
            .merged
            .iter()
            .filter(|&&i| entries[i].questionnaire as usize == qi)
            .map(|&i| Block {
                handle: entries[i].handle,
                skip: entries[i].line_len,
                len: entries[i].row_len,
                newline: false,
            })
            .collect();
        copy_blocks(&spill, &p, &k.layout.header(), &rows)
            .and_then(AtomicFile::commit)
            .map_err(|e| output(&p, e))?;
        let cb = format!("{stem}.codebook.csv");
        let p = opts.out.join(&cb);
        super::write_atomic(&p, &codebook::csv(&k.q, &k.layout)).map_err(|e| output(&p, e))?;
        let sps = format!("{stem}.sps");
        let p = opts.out.join(&sps);
        super::write_atomic(&p, &spss::syntax(&k.q, &k.layout, &csv_name)).map_err(|e| output(&p, e))?;
        outputs.extend([csv_name, cb, sps]);
        report.merged.insert(stem.clone(), rows.len());
        report.questionnaires.push(ReportQuestionnaire {
            name: stem.clone(),
            id: k.q.id.clone(),
            version: k.q.version.clone(),
            sha256: k.q.sha256.clone(),
            source: match &k.origin {
                Origin::Bundled => "bundled".into(),
                Origin::Given(p) | Origin::Found(p) => p.clone(),
            },
            merged: rows.len(),
        });
    }

    match ndjson.join() {
        Ok(Ok(())) => {}
        Ok(Err((p, e))) => return Err(output(&p, e)),
        Err(_) => return Err(MergeError::Output("interviews.ndjson: the writer thread failed".into())),
    }

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
        read(l, false, &mut buf)?;
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
        read(e, false, &mut buf)?;
        let interviewer = serde_json::from_slice::<Record>(&buf)
            .map(|r| r.interviewer)
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
    outputs.insert(REPORT_FILE.into());
    // Outputs of an earlier merge into this folder that this one did not write.
    for old in old_outputs {
        if !outputs.contains(&old) && safe_output_name(&old) {
            let _ = fs::remove_file(opts.out.join(&old));
        }
    }
    if !outputs.iter().any(|o| o.starts_with("conflicts/")) {
        let _ = fs::remove_dir(opts.out.join("conflicts"));
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

    #[test]
    fn data_dir_files_are_recognised_by_content() {
        let ign = |t: &str| matches!(parse(t), Err(Outcome::Ignored(_)));
        let rej = |t: &str| match parse(t) {
            Err(Outcome::Rejected(r)) => r,
            _ => panic!("{t}"),
        };
        assert!(ign("0123456789abcdef0123456789abcdef\n"));
        assert!(ign(r#"{"interviewer": "I01", "lang": "ru"}"#));
        assert!(ign(r#"{"format": "anketa-merge-report/1", "files_read": 3}"#));
        assert!(ign(r#"{"id": "x", "version": "1", "blocks": []}"#));
        assert_eq!(rej("  \n"), "empty file");
        assert!(rej(r#"{"format": "anketa-interview/9"}"#).starts_with("unknown format version `anketa-interview/9`"));
        assert!(rej(r#"{"format": "anketa-interview/1", "id": 1}"#).starts_with("malformed interview"));
        assert!(rej("{\n  \"format\": \"anketa-in").starts_with("truncated JSON at line 2"));
        assert_eq!(rej("[1, 2]"), "not an anketa interview file (no `format` field)");
    }
}
