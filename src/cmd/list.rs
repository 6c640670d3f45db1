//! `anketa list`: the interviews of this laptop's data dir, for people and scripts.

use super::{Done, Error, emit};
use crate::diag::shown;
use crate::i18n::{self, Lang};
use crate::interview::summary::Summary;
use crate::questionnaire::{Questionnaire, all_bundled};
use crate::record::Status;
use crate::record::decode::Stored;
use crate::store::DataDir;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

/// Lists the interviews in progress (`all`: every one), newest first, as lines or (`json`) a
/// JSON array; an unreadable file is named on `err` with its reason in the UI language (`lang`,
/// else the data dir's setting) — with `all`, also the precise reason, raw OS text included —
/// and makes the exit code 1.
pub fn list(
    data_dir: Option<PathBuf>,
    lang: Option<&str>,
    all: bool,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Done, Error> {
    let dir = DataDir::locate(data_dir).map_err(|e| Error::usage(e.to_string()))?;
    let lang = match super::lang(lang)? {
        Some(l) => l,
        None => dir.config().lang.as_deref().and_then(Lang::parse).unwrap_or_default(),
    };
    let mut known: Vec<Arc<Questionnaire>> = all_bundled().iter().cloned().map(Arc::new).collect();
    known.extend(dir.stored_questionnaires().into_iter().map(Arc::new));
    let tz = jiff::tz::TimeZone::system();
    let mut items = Vec::new();
    let mut bad = 0;
    for (path, r) in dir.list() {
        match r {
            Ok(Stored::Open(rec)) if all || rec.status == Status::InProgress => {
                items.push(Summary::new(path, rec, &known, &tz))
            }
            Ok(Stored::Sealed(head)) if all || head.status == Status::InProgress => {
                items.push(Summary::sealed(path, head, &known, &tz))
            }
            Ok(_) => {}
            Err(e) => {
                bad += 1;
                let label = lang.t("ошибка", "error");
                let why = i18n::unreadable(lang, &e);
                let _ = if all {
                    writeln!(err, "{label}: {}: {why} ({e})", shown(&path))
                } else {
                    writeln!(err, "{label}: {}: {why}", shown(&path))
                };
            }
        }
    }
    items.sort_by(|a, b| b.rec.updated.cmp(&a.rec.updated).then(a.path.cmp(&b.path)));
    let text = if json { as_json(&items) } else { as_lines(&items) };
    emit(out, text.as_bytes())?;
    Ok(if bad > 0 { Done::SomeUnreadable } else { Done::All })
}

/// The JSON array of `anketa list --json` (with its newline).
fn as_json(items: &[Summary]) -> String {
    let arr: Vec<serde_json::Value> = items
        .iter()
        .map(|it| {
            serde_json::json!({
                "id": it.rec.id,
                "path": shown(&it.path),
                "questionnaire": it.rec.questionnaire.id,
                "version": it.rec.questionnaire.version,
                "interviewer": it.rec.interviewer,
                "status": it.rec.status,
                "district": it.district,
                // A sealed interview's head has no start time.
                "started": (!it.sealed).then_some(&it.rec.started),
                "updated": it.rec.updated,
                "completed": it.rec.completed,
                "revision": it.rec.revision,
                "answered": it.progress.0,
                "to_answer": it.progress.1,
                "position": it.rec.position,
                "sealed": it.sealed,
            })
        })
        .collect();
    format!("{}\n", serde_json::to_string_pretty(&arr).unwrap_or_default())
}

/// A line per interview.
fn as_lines(items: &[Summary]) -> String {
    let mut s = String::new();
    for it in items {
        s.push_str(&format!(
            "{}  {:<11}  {:<6}  {:<18}  {:>3}/{:<3}  {}  {}\n",
            it.rec.updated,
            match (it.rec.status, it.sealed) {
                (Status::InProgress, _) => "in_progress",
                (Status::Completed, false) => "completed",
                (Status::Completed, true) => "sealed",
            },
            it.rec.questionnaire.id,
            it.district.as_deref().unwrap_or("—"),
            it.progress.0,
            it.progress.1,
            it.rec.interviewer,
            shown(&it.path)
        ));
    }
    s
}
