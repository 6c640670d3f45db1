//! The interview file format: what the interviewer writes after every change, what merge reads
//! from many laptops and what the report counts. See `docs/interview-format.md`.
//!
//! - This file: the owned [`Record`] — fixed field order, `BTreeMap` answers, whole numbers
//!   written without a fraction, so the same record always serialises to the same bytes.
//! - [`view`]: [`RecordView`], the borrowed twin of [`Record`] for readers of many files (merge,
//!   report): the same fields, the same JSON, the same acceptance, but strings borrowed from the
//!   input and answers in a sorted vector, so that parsing allocates almost nothing.
//! - `fast`: the parser behind [`RecordView::parse`], which knows the record's fields and hands
//!   anything unusual to serde — **the reference's twin**: what it takes, it takes exactly as
//!   `serde_json::from_str::<RecordView>` does.
//! - `write`: [`RecordView::write_canonical`], the canonical writer, byte for byte
//!   [`Record::to_json_line`].
//! - [`borrowed`]: [`AnswerRef`]/[`ValueRef`], one answer seen through a borrow, the same for both
//!   kinds of record, so code that reads answers is written once.
//! - [`fit`]: **the one rule** that decides whether a record's answers fit its questionnaire.
//! - [`decode`]: what an input file is (interview, NDJSON, questionnaire, ignored, rejected), the
//!   same answer for every command.
//!
//! **The twins must stay in sync**: a field added to [`Record`] is added to [`RecordView`], to
//! the canonical writer and to the fast parser (the compiler insists on the last); the tests in
//! `tests.rs` parse simulated records with all of them and compare the records, their canonical
//! bytes and what they reject.
//!
//! Pure: no file I/O.

pub mod borrowed;
pub mod decode;
mod fast;
pub mod fit;
// `fit` itself serves the tests (merge and the report call `fit_into`).
#[cfg_attr(not(test), allow(unused_imports))]
pub(crate) use fit::{Misfit, fit};
pub(crate) mod time;
pub mod view;
mod write;

#[cfg(test)]
mod tests;

pub(crate) use borrowed::{AnswerRef, CodesRef, ValueRef};

pub(crate) use view::{AnswerView, Answers, QuestionnaireView, RecordView};

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The format tag written in every interview file of a questionnaire without rosters.
pub const FORMAT: &str = "anketa-interview/1";

/// The format tag of an interview of a questionnaire with rosters: format 1 plus `rosters`
/// (the instances, nested) and the `at` of `position` and of events. Readers take both.
pub const FORMAT_V2: &str = "anketa-interview/2";

/// One interview, as stored.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// [`FORMAT`], or [`FORMAT_V2`] for a questionnaire with rosters.
    pub format: String,
    /// UUID v7 of the interview (stable across revisions and copies).
    pub id: String,
    /// +1 on every save.
    pub revision: u64,
    /// Random id of the data dir (laptop) that created the interview.
    pub device: String,
    /// The interviewer's code.
    pub interviewer: String,
    /// Which questionnaire, exactly.
    pub questionnaire: QuestionnaireRef,
    /// `in_progress` or `completed`.
    pub status: Status,
    /// RFC 3339 UTC.
    pub started: String,
    /// RFC 3339 UTC of the last change.
    pub updated: String,
    /// RFC 3339 UTC of completion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed: Option<String>,
    /// Time spent in the interview, from a monotonic clock, pauses excluded.
    pub duration_ms: u64,
    /// Variable of the question on screen when last saved (resume goes back there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    /// For a `position` in a roster: the instance, as 1-based indices into `rosters` (outermost
    /// first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub position_at: Vec<u32>,
    /// Answers keyed by variable name (the questions asked once per interview).
    pub answers: BTreeMap<String, Answer>,
    /// The instances of each roster (format 2), keyed by roster name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rosters: Rosters,
    /// Reopenings of a completed interview.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reopened: Vec<Reopening>,
    /// Paradata: what was shown, answered and changed, when.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paradata: Vec<Event>,
}

/// The instances of the rosters of one level, by roster name.
pub type Rosters = BTreeMap<String, Vec<Instance>>;

/// One instance of a roster: a household member, a project.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instance {
    /// The answers of the roster's own questions in this instance.
    pub answers: BTreeMap<String, Answer>,
    /// The instances of the rosters nested in this one.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub rosters: Rosters,
    /// When the interviewer removed the instance (RFC 3339 UTC). A removed instance is kept
    /// with its answers, so that it can be restored, and is left out of everything else: it is
    /// not counted, not numbered, not exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<String>,
}

impl Instance {
    /// Whether the instance counts (it was not removed).
    pub fn live(&self) -> bool {
        self.removed.is_none()
    }
}

/// The questionnaire an interview was conducted with.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionnaireRef {
    /// Questionnaire id.
    pub id: String,
    /// Version string.
    pub version: String,
    /// SHA-256 of the questionnaire file's exact bytes.
    pub sha256: String,
}

/// Interview status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Started, not completed (a draft).
    #[default]
    InProgress,
    /// Completed; read-only unless reopened.
    Completed,
}

/// The answer to one question.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    /// The value: a code (single), codes (multi), a number, text or a date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<AnswerValue>,
    /// Text of the "specify" field of an `other` option.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other: Option<String>,
    /// The interviewer's remark on this question.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remark: Option<String>,
    /// RFC 3339 UTC of the last change of the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<String>,
    /// False when the question became irrelevant after an earlier answer changed: the value is
    /// kept (and restored if it becomes relevant again) but excluded from exports and reports.
    pub relevant: bool,
    /// The interviewer confirmed the soft warning for this value.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub warning_confirmed: bool,
    /// The value is the question's default, put there when the question was first shown, and
    /// the interviewer has neither confirmed (Enter) nor changed it yet.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub defaulted: bool,
}

/// A stored value. In JSON: a string, a number, or an array of codes.
///
/// Whole numbers are written without a fraction (`12`, not `12.0`) so that a record read back
/// and written again gives the same bytes.
#[derive(Debug, Clone, PartialEq)]
pub enum AnswerValue {
    /// Number question.
    Number(f64),
    /// Single choice code, text, long text or date.
    Text(String),
    /// Multi choice codes, in questionnaire order.
    Codes(Vec<String>),
}

/// By hand rather than `#[serde(untagged)]`: the JSON type decides the variant directly, with
/// no buffering and no failed attempts (a merge of 100,000 files parses millions of values).
impl<'de> Deserialize<'de> for AnswerValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = AnswerValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, a string or an array of codes")
            }
            fn visit_i64<E>(self, v: i64) -> Result<AnswerValue, E> {
                Ok(AnswerValue::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<AnswerValue, E> {
                Ok(AnswerValue::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<AnswerValue, E> {
                Ok(AnswerValue::Number(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<AnswerValue, E> {
                Ok(AnswerValue::Text(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<AnswerValue, E> {
                Ok(AnswerValue::Text(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<AnswerValue, A::Error> {
                let mut codes = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(c) = seq.next_element::<String>()? {
                    codes.push(c);
                }
                Ok(AnswerValue::Codes(codes))
            }
        }
        d.deserialize_any(V)
    }
}

/// Whole numbers are written without a fraction (`12`, not `12.0`).
pub(super) fn is_whole(n: f64) -> bool {
    n.fract() == 0.0 && n.abs() < 9.0e15
}

impl Serialize for AnswerValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            AnswerValue::Number(n) if is_whole(*n) => s.serialize_i64(*n as i64),
            AnswerValue::Number(n) => s.serialize_f64(*n),
            AnswerValue::Text(t) => s.serialize_str(t),
            AnswerValue::Codes(c) => c.serialize(s),
        }
    }
}

/// A reopening of a completed interview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reopening {
    /// When (RFC 3339 UTC).
    pub at: String,
    /// The revision at which it was reopened.
    pub revision: u64,
    /// When it had been completed before.
    pub was_completed: String,
}

/// A paradata event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// Milliseconds of interview time (the `duration_ms` clock) when it happened.
    pub ms: u64,
    /// What happened.
    pub ev: EventKind,
    /// The variable concerned (a roster's name for the events of its instances).
    pub q: String,
    /// For a question or instance of a roster: the instance, as 1-based indices into
    /// `rosters` (outermost first).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub at: Vec<u32>,
    /// For [`EventKind::Resumed`]: seconds of wall-clock time since the interview was last
    /// written (a quit, a crash, a night); absent for other events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gap_s: Option<u64>,
}

/// Kinds of paradata events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The question was displayed.
    Shown,
    /// First answer given.
    Answered,
    /// An existing answer changed.
    Changed,
    /// A soft warning was confirmed.
    Confirmed,
    /// A remark was written or changed.
    Remark,
    /// The interview was taken up again after an interruption (`q`: where it stood; `gap_s`).
    Resumed,
    /// An instance of roster `q` was added (`at`: the instance).
    Added,
    /// An instance of roster `q` was removed by the interviewer (kept in the file, restorable).
    Removed,
    /// A removed instance was restored.
    Restored,
    /// Instances beyond a roster's count that had no answer were dropped (`at`: the first).
    Dropped,
}

impl Record {
    /// Serialises to the file's bytes (pretty JSON with a final newline; deterministic).
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).unwrap_or_default();
        v.push(b'\n');
        v
    }

    /// Serialises to one line (for NDJSON).
    pub fn to_json_line(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

// The borrowed twin. Keep in sync with the types above (see the module docs).
