//! `anketa import`: an XLSForm (`.xlsx`, `.xls`, `.ods`) converted to a questionnaire JSON.

use super::{Done, Error, emit};
use crate::diag::{printable, shown};
use crate::store;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `anketa import FORM [--out FILE] [--strict]`: converts the form; the JSON goes to `out_file`
/// (atomically) or, without one, to `out`. Warnings and the summary line go to `err` (the
/// summary to `out` when the JSON is written to a file). With `strict`, any warning is an
/// error: nothing is written, exit 2.
pub fn import(
    form: &Path,
    out_file: Option<&PathBuf>,
    strict: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Done, Error> {
    let label = shown(form);
    let book = store::read_workbook(form).map_err(|e| Error::Usage(vec![format!("{label}: {e}")]))?;
    let imported = crate::import::convert(&book, &label)?;
    if strict && !imported.warnings.is_empty() {
        return Err(Error::Invalid(imported.warnings));
    }
    for w in &imported.warnings {
        let _ = writeln!(err, "{}", w.to_string().replacen("error: ", "warning: ", 1));
    }
    let types: Vec<String> = imported.by_type.iter().map(|(k, v)| format!("{k} {v}")).collect();
    let questions: usize = imported.by_type.values().sum();
    let dest = out_file.map_or_else(|| "standard output".to_string(), |p| shown(p));
    // As `anketa check` says it.
    let rosters = match imported.rosters {
        0 => String::new(),
        1 => ", 1 roster".to_string(),
        n => format!(", {n} rosters"),
    };
    let summary = format!(
        "imported: {} → {}: {} v{}: {} blocks, {} questions ({}){rosters}; languages {}; {} warning(s)\n",
        printable(&label),
        printable(&dest),
        imported.id,
        printable(&imported.version),
        imported.blocks,
        questions,
        types.join(", "),
        imported.languages.join(", "),
        imported.warnings.len()
    );
    match out_file {
        Some(p) => {
            store::write_atomic(p, imported.json.as_bytes())
                .map_err(|e| Error::Failed(format!("{}: cannot write: {}", shown(p), store::io_reason(&e))))?;
            emit(out, summary.as_bytes())?;
        }
        None => {
            emit(out, imported.json.as_bytes())?;
            let _ = err.write_all(summary.as_bytes());
        }
    }
    Ok(Done::All)
}
