//! [`Summary`]: an interview file summarised for a list — progress, district, where it
//! stopped, times in local time. The start screen and `anketa list` show the same summary.

use super::logic::rules_of;
use super::session;
use crate::questionnaire::Questionnaire;
use crate::record::{AnswerValue, Record};
use std::path::PathBuf;
use std::sync::Arc;

/// An interview file of this laptop, summarised for the start screen and `anketa list`.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Its file.
    pub path: PathBuf,
    /// Its content.
    pub rec: Record,
    /// The questionnaire it was started with (by hash), if known.
    pub q: Option<Arc<Questionnaire>>,
    /// (answered, to answer), as the interviewer's bar counts ([`crate::interview::session::progress`]).
    pub progress: (usize, usize),
    /// The district's label, if answered.
    pub district: Option<String>,
    /// Text of the question where it stopped.
    pub last_question: Option<String>,
    /// Started, in local time (`YYYY-MM-DD HH:MM`).
    pub started_local: String,
    /// Last change, in local time.
    pub updated_local: String,
    /// Day of completion, local (`YYYY-MM-DD`).
    pub completed_day: Option<String>,
    /// Sealed to the supervisor's key: only the head is known (`rec` has no answers, and its
    /// interviewer comes from the file name); it cannot be opened here.
    pub sealed: bool,
}

/// An RFC 3339 instant as local `YYYY-MM-DD HH:MM` (the input unchanged if it does not parse).
pub(crate) fn local_minute(rfc: &str, tz: &jiff::tz::TimeZone) -> String {
    rfc.parse::<jiff::Timestamp>()
        .map(|t| {
            jiff::ZonedDateTime::new(t, tz.clone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| rfc.to_string())
}

impl Summary {
    /// Summarises a record; times are shown in `tz`.
    pub fn new(path: PathBuf, rec: Record, known: &[Arc<Questionnaire>], tz: &jiff::tz::TimeZone) -> Summary {
        let q = known.iter().find(|q| q.sha256 == rec.questionnaire.sha256).cloned();
        let (progress, district, last_question) = match &q {
            Some(q) => {
                let rules = rules_of(
                    q,
                    &rec.answers,
                    &rec.rosters,
                    crate::interview::logic::record_clock(&rec.updated).as_ref(),
                );
                let district =
                    q.question("district")
                        .and_then(|d| match rec.answers.get("district")?.value.as_ref()? {
                            AnswerValue::Text(c) => d.option(c).map(|o| q.tr(&o.label).to_string()),
                            _ => None,
                        });
                let last = rec
                    .position
                    .as_deref()
                    .and_then(|p| q.question(p))
                    .map(|x| q.tr(&x.text).to_string());
                (session::progress(q, &rec, &rules), district, last)
            }
            None => ((0, 0), None, None),
        };
        Summary {
            started_local: local_minute(&rec.started, tz),
            updated_local: local_minute(&rec.updated, tz),
            completed_day: rec
                .completed
                .as_deref()
                .map(|c| local_minute(c, tz).chars().take(10).collect()),
            path,
            rec,
            q,
            progress,
            district,
            last_question,
            sealed: false,
        }
    }

    /// Summarises a sealed interview from its plaintext head: completed and sealed, without
    /// content. Its record is a stand-in for the list (no answers; the interviewer code is
    /// read from the file name `<q>-<interviewer>-<id>.json`), never to be written.
    pub fn sealed(
        path: PathBuf,
        head: crate::seal::SealedHead,
        known: &[Arc<Questionnaire>],
        tz: &jiff::tz::TimeZone,
    ) -> Summary {
        let interviewer = crate::file_names::interviewer_of(
            &path.file_name().unwrap_or_default().to_string_lossy(),
            &head.questionnaire.id,
            &head.id,
        )
        .unwrap_or_default();
        let rec = Record {
            format: crate::seal::SEALED_FORMAT.into(),
            id: head.id,
            revision: head.revision,
            device: head.device,
            interviewer,
            questionnaire: head.questionnaire,
            status: head.status,
            started: head.updated.clone(),
            completed: (head.status == crate::record::Status::Completed).then(|| head.updated.clone()),
            updated: head.updated,
            ..Record::default()
        };
        Summary {
            started_local: String::new(),
            updated_local: local_minute(&rec.updated, tz),
            completed_day: rec
                .completed
                .as_deref()
                .map(|c| local_minute(c, tz).chars().take(10).collect()),
            q: known.iter().find(|q| q.sha256 == rec.questionnaire.sha256).cloned(),
            path,
            rec,
            progress: (0, 0),
            district: None,
            last_question: None,
            sealed: true,
        }
    }
}
