//! `anketa` / `anketa interview`: the interviewer on this laptop's data dir.

use super::{Done, Error};
use crate::i18n::Lang;
use crate::questionnaire::{Questionnaire, all_bundled};
use crate::store::{self, DataDir};
use std::path::PathBuf;
use std::sync::Arc;

/// Runs the interviewer: the data dir (`--data-dir`, `ANKETA_DATA_DIR` or the platform's), the
/// language (`--lang`, remembered in the data dir's settings), the bundled questionnaires and
/// `extra` ones. Needs a terminal.
pub fn interview(data_dir: Option<PathBuf>, lang: Option<&str>, extra: &[PathBuf]) -> Result<Done, Error> {
    let dir = DataDir::locate(data_dir).map_err(|e| Error::usage(e.to_string()))?;
    let lang = match super::lang(lang)? {
        Some(l) => {
            let mut cfg = dir.config();
            cfg.lang = Some(l.code().to_string());
            let _ = dir.save_config(&cfg);
            l
        }
        None => dir.config().lang.as_deref().and_then(Lang::parse).unwrap_or_default(),
    };
    let mut catalog: Vec<Arc<Questionnaire>> = all_bundled().iter().cloned().map(Arc::new).collect();
    for p in extra {
        catalog.push(Arc::new(store::load_questionnaire(p)?));
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        return Err(Error::usage(lang.t(
            "интервьюеру нужно окно терминала; для сценариев есть `anketa list`, `anketa check`, …",
            "the interviewer needs a terminal; for scripts use `anketa list`, `anketa check`, …",
        )));
    }
    crate::tui::run(crate::tui::Options { dir, catalog, lang }).map_err(|e| {
        let what = lang.t("ошибка терминала", "terminal error");
        Error::Failed(format!("{what}: {e}"))
    })?;
    Ok(Done::All)
}
