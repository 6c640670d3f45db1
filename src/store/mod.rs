//! The only module that touches the file system.
//!
//! Reading inputs (bounded in size, checked for UTF-8, never modified) and writing outputs
//! atomically: temp file in the same directory → write → fsync → rename → fsync(dir), so a
//! reader or a crash sees either the old file or the new one, never a mix.

mod atomic;
mod data_dir;
mod handin;
mod inputs;
mod keys;
mod merge_io;
mod report_io;
mod xlsform;

pub(crate) use atomic::{AtomicFile, Staged, put_all, stage, write_atomic};
pub use data_dir::LockError;
pub(crate) use data_dir::{Config, InterviewLock, MAX_INTERVIEW_BYTES};
pub use data_dir::{DataDir, questionnaire_file_name, read_record};
pub use handin::{HandIn, HandInError};
pub(crate) use inputs::{Walk, source_path, walk};
pub(crate) use keys::{identities, recipients, write_key_pair};
pub(crate) use merge_io::{check_merge_out, read_and_write};
pub(crate) use report_io::{ReportInput, open_report_input, read_quota};
pub(crate) use xlsform::read_workbook;

use crate::diag::{Diagnostic, shown};
use crate::questionnaire::{self, Questionnaire};
use crate::record::decode::{Fault, Unreadable};
use std::fs::{self, File};
use std::io::{self, Read};
use std::path::Path;

/// Opens an input for reading without ever blocking (`O_NONBLOCK` on Unix, so that a FIFO or a
/// device named as an input cannot hang a command), and hands it back only if it is a regular
/// file, with its metadata. The error is the reason, typed.
pub(crate) fn open_input(path: &Path) -> Result<(File, fs::Metadata), Unreadable> {
    let io = |what: &str, e: io::Error| Unreadable::new(Fault::Io(e.kind()), format!("{what}: {}", io_reason(&e)));
    let mut opts = fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let f = opts.open(path).map_err(|e| io("cannot open", e))?;
    let meta = f.metadata().map_err(|e| io("cannot read", e))?;
    if meta.is_dir() {
        return Err(Unreadable::new(Fault::NotAFile, "is a directory, not a file"));
    }
    if !meta.is_file() {
        return Err(Unreadable::new(Fault::NotAFile, NOT_REGULAR));
    }
    Ok((f, meta))
}

/// Why an input that is not a regular file (a FIFO, a device, a socket) is not read.
pub(crate) const NOT_REGULAR: &str =
    "not a regular file (a FIFO, a device or a socket): not read; copy the data into a file";

/// Reads a whole text file of at most `max` bytes, refusing larger ones without reading them.
pub(crate) fn read_text(path: &Path, max: usize) -> Result<String, Unreadable> {
    let (f, meta) = open_input(path)?;
    if meta.len() > max as u64 {
        return Err(Unreadable::new(
            Fault::TooLarge,
            format!("file is {} bytes; the limit is {max}", meta.len()),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    f.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Unreadable::new(Fault::Io(e.kind()), format!("cannot read: {}", io_reason(&e))))?;
    if bytes.len() > max {
        return Err(Unreadable::new(
            Fault::TooLarge,
            format!("file is larger than the limit of {max} bytes"),
        ));
    }
    // A byte-order mark (Windows Notepad) is not part of the text.
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        Unreadable::new(
            Fault::NotText,
            format!("not UTF-8 text (invalid byte at offset {at}); save the file as UTF-8"),
        )
    })
}

/// A short, user-facing reason for an I/O error.
pub(crate) fn io_reason(e: &io::Error) -> String {
    // Windows: ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION.
    if cfg!(windows) && matches!(e.raw_os_error(), Some(32 | 33)) {
        return "the file is open in another program (Excel?); close it there, then try again".into();
    }
    match e.kind() {
        io::ErrorKind::NotFound => "no such file or directory".into(),
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::StorageFull => "no space left on the device".into(),
        io::ErrorKind::ReadOnlyFilesystem => "the file system is read-only".into(),
        io::ErrorKind::FileTooLarge => "the file grew larger than this system allows (file size limit)".into(),
        io::ErrorKind::QuotaExceeded => "the disk quota is exceeded".into(),
        io::ErrorKind::NotADirectory => "a part of the path is a file, not a folder".into(),
        _ => e.to_string(),
    }
}

/// Loads a questionnaire from a file path.
pub(crate) fn load_questionnaire(path: &Path) -> Result<Questionnaire, Vec<Diagnostic>> {
    let (label, src) = questionnaire_text(path)?;
    questionnaire::load(&label, &src)
}

/// A questionnaire file's label for messages and its text. An XLSForm (`.xlsx`, `.xls`,
/// `.ods`) is converted as `anketa import` converts it, so that `check`, `codebook`, `simulate`
/// and the interviewer's `--questionnaire` take the form itself (its warnings are those of
/// `import`; the questionnaire is the JSON it gives, hash included).
fn questionnaire_text(path: &Path) -> Result<(String, String), Vec<Diagnostic>> {
    let label = shown(path);
    if is_workbook(path) {
        let book = read_workbook(path)
            .map_err(|e| vec![Diagnostic::new(&label, "", e).hint("check the path and the file")])?;
        let imported = crate::import::convert(&book, &label)?;
        return Ok((label, imported.json));
    }
    let src = read_text(path, questionnaire::MAX_FILE_BYTES)
        .map_err(|e| vec![Diagnostic::new(&label, "", e).hint("check the path and the file")])?;
    Ok((label, src))
}

/// Whether a path names an XLSForm by its extension: a spreadsheet, or pyxform's CSV or
/// Markdown variant (what `anketa import` reads).
fn is_workbook(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        ["xlsx", "xls", "ods", "xlsm", "csv", "md"]
            .iter()
            .any(|x| e.eq_ignore_ascii_case(x))
    })
}

/// A file given to `anketa check`, read once: a JSON Schema beside the questionnaires
/// (`None`: skipped), or a questionnaire and its diagnostics.
pub(crate) fn check_questionnaire(path: &Path) -> Option<Result<Questionnaire, Vec<Diagnostic>>> {
    let (label, src) = match questionnaire_text(path) {
        Ok(t) => t,
        Err(e) => return Some(Err(e)),
    };
    if is_schema_text(&src) {
        return None;
    }
    Some(questionnaire::load(&label, &src))
}

/// Whether a text is a JSON Schema: only a text that names the JSON Schema site is parsed.
fn is_schema_text(s: &str) -> bool {
    s.contains("json-schema.org")
        && serde_json::from_str::<serde_json::Value>(s)
            .ok()
            .and_then(|v| v.get("$schema")?.as_str().map(|s| s.contains("json-schema.org")))
            .unwrap_or(false)
}

/// Whether a file is a JSON Schema (such as `questionnaires/schema.json`) rather than a
/// questionnaire, so that `anketa check questionnaires/*.json` can skip it.
pub(crate) fn is_json_schema(path: &Path) -> bool {
    read_text(path, questionnaire::MAX_FILE_BYTES).is_ok_and(|s| is_schema_text(&s))
}

/// Resolves a questionnaire argument: a bundled id (`nko`, `omsu`, `projects`, …) or a path (JSON or XLSForm).
pub(crate) fn resolve_questionnaire(arg: &str) -> Result<Questionnaire, Vec<Diagnostic>> {
    let path = Path::new(arg);
    if !path.exists()
        && let Some(q) = questionnaire::bundled(arg)
    {
        return Ok(q);
    }
    if !path.exists() {
        let ids: Vec<&str> = questionnaire::all_bundled().iter().map(|q| q.id.as_str()).collect();
        return Err(vec![
            Diagnostic::new(arg, "", "no such file, and no bundled questionnaire has this id").hint(format!(
                "bundled: {}; or give a path to a .json file or an XLSForm (.xlsx, .xls, .ods, or pyxform's .csv or .md)",
                ids.join(", ")
            )),
        ]);
    }
    load_questionnaire(path)
}

/// Removes a file if it is there (an earlier output no longer written); errors are ignored.
pub(crate) fn remove_file(path: &Path) {
    let _ = fs::remove_file(path);
}

/// After a failed merge into a folder it made: removes the merge's subfolders and the folder
/// itself, each only if empty (nothing else is ever removed).
pub(crate) fn remove_merge_dirs(out: &Path) {
    for d in crate::file_names::OUTPUT_DIRS {
        remove_empty_dir(&out.join(d));
    }
    remove_empty_dir(out);
}

/// Removes a folder if it is empty; errors (not empty, not there) are ignored.
pub(crate) fn remove_empty_dir(path: &Path) {
    let _ = fs::remove_dir(path);
}

/// The bundled questionnaires and those given with `--questionnaire`; an unreadable one is a
/// problem line (`--questionnaire …`), all of them listed.
pub(crate) fn catalog(excel: bool, given: &[std::path::PathBuf]) -> (crate::merge::Catalog, Vec<String>) {
    let mut cat = crate::merge::Catalog::with_bundled(excel);
    let mut problems = Vec::new();
    for p in given {
        match load_questionnaire(p) {
            Ok(q) => cat.add(q, crate::merge::Origin::Given(shown(p))),
            Err(errs) => problems.extend(
                errs.iter()
                    .map(|e| format!("--questionnaire {}", e.to_string().trim_start_matches("error: "))),
            ),
        }
    }
    (cat, problems)
}

/// Creates a directory and its parents, mode 0700 on Unix.
pub(crate) fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}
