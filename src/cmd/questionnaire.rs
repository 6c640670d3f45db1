//! `anketa check` and `anketa codebook`: the instrument.

use super::{Done, Error, emit};
use crate::diag::shown;
use crate::questionnaire::codebook;
use crate::store;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

/// `anketa check`: a summary line per valid questionnaire on `out`, every error of an invalid
/// one on `err`; JSON Schema files beside them are skipped.
pub fn check(files: &[PathBuf], out: &mut dyn Write, err: &mut dyn Write) -> Result<Done, Error> {
    let mut bad = 0;
    for (i, f) in files.iter().enumerate() {
        let Some(loaded) = store::check_questionnaire(f) else {
            let _ = writeln!(
                out,
                "skip: {}: a JSON Schema for editors, not a questionnaire",
                shown(f)
            );
            continue;
        };
        match loaded {
            Ok(q) => {
                let mut by_type: BTreeMap<&str, usize> = BTreeMap::new();
                for qq in &q.questions {
                    *by_type.entry(qq.kind.name()).or_default() += 1;
                }
                let types: Vec<String> = by_type.iter().map(|(k, v)| format!("{k} {v}")).collect();
                let rosters = match q.rosters.len() {
                    0 => String::new(),
                    1 => ", 1 roster".to_string(),
                    n => format!(", {n} rosters"),
                };
                let _ = writeln!(
                    out,
                    "ok: {}: {} v{}: {} blocks, {} questions ({}){rosters}",
                    shown(f),
                    q.id,
                    q.version,
                    q.blocks.len(),
                    q.questions.len(),
                    types.join(", ")
                );
                // The process ends after the last file: freeing a large form's model one
                // allocation at a time would take a millisecond of the check (issue 12).
                if i + 1 == files.len() {
                    std::mem::forget(q);
                }
            }
            Err(errs) => {
                bad += 1;
                for e in &errs {
                    let _ = writeln!(err, "{e}");
                }
                let _ = writeln!(err, "{}: {} error(s)", shown(f), errs.len());
            }
        }
    }
    Ok(if bad == 0 { Done::All } else { Done::SomeInvalid })
}

/// The format of `anketa codebook`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodebookFormat {
    /// Markdown.
    Md,
    /// CSV.
    Csv,
}

/// `anketa codebook`: the variables of a bundled or given questionnaire.
pub fn codebook(questionnaire: &str, format: CodebookFormat, out: &mut dyn Write) -> Result<Done, Error> {
    let q = store::resolve_questionnaire(questionnaire)?;
    let text = match format {
        CodebookFormat::Md => codebook::markdown(&q),
        CodebookFormat::Csv => codebook::csv(&q),
    };
    emit(out, text.as_bytes())?;
    Ok(Done::All)
}
