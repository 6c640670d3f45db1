//! `anketa handin DIR`: the interviewer hands the completed interviews of this laptop to a folder
//! or USB stick for the supervisor (see [`crate::store::DataDir::hand_in`]).

use super::{Done, Error, emit};
use crate::diag::shown;
use crate::i18n::{self, Lang};
use crate::store::{DataDir, HandIn};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Hands in to `dest`, saying what was done in the UI language (`lang`, else the data dir's).
pub fn handin(data_dir: Option<PathBuf>, lang: Option<&str>, dest: &Path, out: &mut dyn Write) -> Result<Done, Error> {
    let dir = DataDir::locate(data_dir).map_err(|e| Error::usage(e.to_string()))?;
    let lang = match super::lang(lang)? {
        Some(l) => l,
        None => dir.config().lang.as_deref().and_then(Lang::parse).unwrap_or_default(),
    };
    match dir.hand_in(dest) {
        Ok(h) => {
            emit(out, summary(lang, &h).as_bytes())?;
            Ok(Done::All)
        }
        Err(e) => {
            let name = e.at.file_name().unwrap_or_default().to_string_lossy().into_owned();
            Err(Error::Failed(format!(
                "{} {}",
                i18n::hand_in_stopped(lang, &name, &e.error),
                summary(lang, &e.done).trim_end()
            )))
        }
    }
}

/// What a hand-in did, in words.
fn summary(lang: Lang, h: &HandIn) -> String {
    let folder = shown(&h.folder);
    format!(
        "{}\n",
        i18n::handed_in(lang, &folder, h.new, h.updated, h.already, h.questionnaires)
    )
}
