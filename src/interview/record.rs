//! The interview file: what is written to disk after every change, merged and reported on.
//!
//! Field order is fixed by the struct order and every map is a `BTreeMap`, so the same record
//! always serialises to the same bytes. See `docs/interview-format.md`.
//!
//! [`RecordView`] is a borrowed twin of [`Record`] for readers of many files (merge): the same
//! fields, the same JSON, the same acceptance, but strings borrowed from the input and answers
//! in a sorted vector, so that parsing allocates almost nothing. **The two must stay in sync**:
//! a field added to one is added to the other, to [`RecordView::write_canonical`] and to the
//! parser of [`RecordView::parse`] (the compiler insists on the last); the tests at the end of
//! this file parse simulated records with all of them and compare the records, their canonical
//! bytes and what they reject.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// The format tag written in every interview file.
pub const FORMAT: &str = "anketa-interview/1";

/// One interview, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// Always [`FORMAT`].
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
    /// Answers keyed by variable name.
    pub answers: BTreeMap<String, Answer>,
    /// Reopenings of a completed interview.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reopened: Vec<Reopening>,
    /// Paradata: what was shown, answered and changed, when.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paradata: Vec<Event>,
}

/// The questionnaire an interview was conducted with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Started, not completed (a draft).
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
fn is_whole(n: f64) -> bool {
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
    /// The variable concerned.
    pub q: String,
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

/// A string of a [`RecordView`]: borrowed from the input when the JSON string has no escapes,
/// unescaped into an owned string otherwise.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Str<'a>(pub Cow<'a, str>);

impl Str<'_> {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Str<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Str<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Str<'de>, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// [`Record`], borrowed from the text it was parsed from.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordView<'a> {
    /// See [`Record::format`].
    #[serde(borrow)]
    pub format: Str<'a>,
    /// See [`Record::id`].
    #[serde(borrow)]
    pub id: Str<'a>,
    /// See [`Record::revision`].
    pub revision: u64,
    /// See [`Record::device`].
    #[serde(borrow)]
    pub device: Str<'a>,
    /// See [`Record::interviewer`].
    #[serde(borrow)]
    pub interviewer: Str<'a>,
    /// See [`Record::questionnaire`].
    #[serde(borrow)]
    pub questionnaire: QuestionnaireView<'a>,
    /// See [`Record::status`].
    pub status: Status,
    /// See [`Record::started`].
    #[serde(borrow)]
    pub started: Str<'a>,
    /// See [`Record::updated`].
    #[serde(borrow)]
    pub updated: Str<'a>,
    /// See [`Record::completed`].
    #[serde(borrow, default)]
    pub completed: Option<Str<'a>>,
    /// See [`Record::duration_ms`].
    pub duration_ms: u64,
    /// See [`Record::position`].
    #[serde(borrow, default)]
    pub position: Option<Str<'a>>,
    /// See [`Record::answers`]: sorted by variable, each variable once (the last one given wins,
    /// as in a `BTreeMap`).
    #[serde(borrow)]
    pub answers: Answers<'a>,
    /// See [`Record::reopened`].
    #[serde(borrow, default)]
    pub reopened: Vec<ReopeningView<'a>>,
    /// See [`Record::paradata`].
    #[serde(borrow, default, deserialize_with = "events")]
    pub paradata: Vec<EventView<'a>>,
}

/// [`QuestionnaireRef`], borrowed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionnaireView<'a> {
    /// See [`QuestionnaireRef::id`].
    #[serde(borrow)]
    pub id: Str<'a>,
    /// See [`QuestionnaireRef::version`].
    #[serde(borrow)]
    pub version: Str<'a>,
    /// See [`QuestionnaireRef::sha256`].
    #[serde(borrow)]
    pub sha256: Str<'a>,
}

/// The answers of a [`RecordView`]: (variable, answer), sorted by variable, no variable twice.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answers<'a>(pub Vec<(Str<'a>, AnswerView<'a>)>);

impl<'de: 'a, 'a> Deserialize<'de> for Answers<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Answers<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Answers<'de>, A::Error> {
                let mut v: Vec<(Str<'de>, AnswerView<'de>)> = Vec::with_capacity(64);
                while let Some(e) = map.next_entry()? {
                    v.push(e);
                }
                Ok(Answers::in_order(v))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> Answers<'a> {
    /// The answer to `var`, if there is one (a binary search: the answers are sorted).
    pub fn get(&self, var: &str) -> Option<&AnswerView<'a>> {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(var))
            .ok()
            .map(|i| &self.0[i].1)
    }

    /// Answers in the order given, put in `BTreeMap` order: files are written sorted; anything
    /// else gets a stable sort, then the last of equal keys is kept, as `BTreeMap::insert` would.
    fn in_order(mut v: Vec<(Str<'a>, AnswerView<'a>)>) -> Answers<'a> {
        if !v.windows(2).all(|w| w[0].0 < w[1].0) {
            v.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out: Vec<(Str<'a>, AnswerView<'a>)> = Vec::with_capacity(v.len());
            for e in v {
                match out.last_mut() {
                    Some(last) if last.0 == e.0 => *last = e,
                    _ => out.push(e),
                }
            }
            v = out;
        }
        Answers(v)
    }
}

/// [`Answer`], borrowed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerView<'a> {
    /// See [`Answer::value`].
    #[serde(borrow, default)]
    pub value: Option<ValueView<'a>>,
    /// See [`Answer::other`].
    #[serde(borrow, default)]
    pub other: Option<Str<'a>>,
    /// See [`Answer::remark`].
    #[serde(borrow, default)]
    pub remark: Option<Str<'a>>,
    /// See [`Answer::answered_at`].
    #[serde(borrow, default)]
    pub answered_at: Option<Str<'a>>,
    /// See [`Answer::relevant`].
    pub relevant: bool,
    /// See [`Answer::warning_confirmed`].
    #[serde(default)]
    pub warning_confirmed: bool,
}

/// [`AnswerValue`], borrowed.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueView<'a> {
    /// See [`AnswerValue::Number`].
    Number(f64),
    /// See [`AnswerValue::Text`].
    Text(Str<'a>),
    /// See [`AnswerValue::Codes`].
    Codes(Vec<Str<'a>>),
}

/// As [`AnswerValue`]'s: the JSON type decides the variant.
impl<'de: 'a, 'a> Deserialize<'de> for ValueView<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ValueView<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a number, a string or an array of codes")
            }
            fn visit_i64<E>(self, v: i64) -> Result<ValueView<'de>, E> {
                Ok(ValueView::Number(v as f64))
            }
            fn visit_u64<E>(self, v: u64) -> Result<ValueView<'de>, E> {
                Ok(ValueView::Number(v as f64))
            }
            fn visit_f64<E>(self, v: f64) -> Result<ValueView<'de>, E> {
                Ok(ValueView::Number(v))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<ValueView<'de>, E> {
                Ok(ValueView::Text(Str(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<ValueView<'de>, E> {
                Ok(ValueView::Text(Str(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<ValueView<'de>, E> {
                Ok(ValueView::Text(Str(Cow::Owned(v))))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<ValueView<'de>, A::Error> {
                let mut codes = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(c) = seq.next_element::<Str<'de>>()? {
                    codes.push(c);
                }
                Ok(ValueView::Codes(codes))
            }
        }
        d.deserialize_any(V)
    }
}

/// Paradata as `Vec<EventView>` does, but room for a whole interview's events from the start
/// (JSON gives no length), instead of growing the vector seven times.
fn events<'de: 'a, 'a, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<EventView<'a>>, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Vec<EventView<'de>>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a sequence")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut v = Vec::with_capacity(128);
            while let Some(e) = seq.next_element()? {
                v.push(e);
            }
            Ok(v)
        }
    }
    d.deserialize_seq(V)
}

/// [`Reopening`], borrowed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReopeningView<'a> {
    /// See [`Reopening::at`].
    #[serde(borrow)]
    pub at: Str<'a>,
    /// See [`Reopening::revision`].
    pub revision: u64,
    /// See [`Reopening::was_completed`].
    #[serde(borrow)]
    pub was_completed: Str<'a>,
}

/// [`Event`], borrowed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventView<'a> {
    /// See [`Event::ms`].
    pub ms: u64,
    /// See [`Event::ev`].
    pub ev: EventKind,
    /// See [`Event::q`].
    #[serde(borrow)]
    pub q: Str<'a>,
}

impl<'a> RecordView<'a> {
    /// Parses an interview's JSON as `serde_json::from_str` would, in about two thirds of the
    /// time: a parser that knows the record's fields reads it, and gives up (at no cost but the
    /// time spent) on anything out of the ordinary — an unknown or repeated field, a key or
    /// status spelled with escapes, a `u64` not written as plain digits — which serde then
    /// reads, or rejects with its message. What it takes, it takes exactly as serde does (the
    /// tests compare both on every spelling they make, damaged ones included); strings with
    /// escapes and numbers of answers are decoded by serde_json itself.
    pub fn parse(text: &'a str) -> Result<RecordView<'a>, serde_json::Error> {
        match fast::record(text, false) {
            Some(r) => Ok(r),
            None => serde_json::from_str(text),
        }
    }

    /// For readers that never look at the paradata (the report): [`RecordView::parse`]'s fast
    /// parser, skipping the top-level `"paradata"` array when it is the last field and holds no
    /// bracket — the canonical form, where the paradata are about half of the bytes — so the
    /// view has no paradata, and what the array holds is not checked. Everything else is read
    /// as `parse` reads it: a field, a record or junk after the array makes it parse the array
    /// in full (and refuse what `parse` refuses). `None` for anything the fast parser does not
    /// take (the caller then uses [`RecordView::parse`]).
    pub fn parse_without_paradata(text: &'a str) -> Option<RecordView<'a>> {
        fast::record(text, true)
    }
}

impl RecordView<'_> {
    /// Writes the canonical serialisation into `out` (appended): exactly the bytes of
    /// [`Record::to_json_line`] for [`RecordView::to_record`], field by field in [`Record`]'s
    /// order with its `skip_serializing_if` rules.
    ///
    /// Faster than serde's serializer because most strings are copied without an escape scan:
    /// a string borrowed from the input had no backslash there, and JSON admits `"`, `\` and
    /// control characters inside a string only escaped, so it holds none of the characters
    /// that serde_json escapes (exactly those). Owned strings (they had escapes) and fractional
    /// numbers are written by serde_json itself.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"format\":");
        string(out, &self.format);
        out.extend_from_slice(b",\"id\":");
        string(out, &self.id);
        out.extend_from_slice(b",\"revision\":");
        uint(out, self.revision);
        out.extend_from_slice(b",\"device\":");
        string(out, &self.device);
        out.extend_from_slice(b",\"interviewer\":");
        string(out, &self.interviewer);
        out.extend_from_slice(b",\"questionnaire\":{\"id\":");
        string(out, &self.questionnaire.id);
        out.extend_from_slice(b",\"version\":");
        string(out, &self.questionnaire.version);
        out.extend_from_slice(b",\"sha256\":");
        string(out, &self.questionnaire.sha256);
        out.extend_from_slice(match self.status {
            Status::InProgress => b"},\"status\":\"in_progress\",\"started\":",
            Status::Completed => b"},\"status\":\"completed\",\"started\":",
        });
        string(out, &self.started);
        out.extend_from_slice(b",\"updated\":");
        string(out, &self.updated);
        if let Some(c) = &self.completed {
            out.extend_from_slice(b",\"completed\":");
            string(out, c);
        }
        out.extend_from_slice(b",\"duration_ms\":");
        uint(out, self.duration_ms);
        if let Some(p) = &self.position {
            out.extend_from_slice(b",\"position\":");
            string(out, p);
        }
        out.extend_from_slice(b",\"answers\":{");
        for (i, (var, a)) in self.answers.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(out, var);
            out.extend_from_slice(b":{");
            // `relevant` is always written, so every optional field before it ends with a comma.
            match &a.value {
                None => {}
                Some(ValueView::Number(n)) => {
                    out.extend_from_slice(b"\"value\":");
                    if is_whole(*n) {
                        int(out, *n as i64);
                    } else {
                        let _ = serde_json::to_writer(&mut *out, n);
                    }
                    out.push(b',');
                }
                Some(ValueView::Text(t)) => {
                    out.extend_from_slice(b"\"value\":");
                    string(out, t);
                    out.push(b',');
                }
                Some(ValueView::Codes(cs)) => {
                    out.extend_from_slice(b"\"value\":[");
                    for (j, c) in cs.iter().enumerate() {
                        if j > 0 {
                            out.push(b',');
                        }
                        string(out, c);
                    }
                    out.extend_from_slice(b"],");
                }
            }
            for (name, v) in [
                (&b"\"other\":"[..], &a.other),
                (b"\"remark\":", &a.remark),
                (b"\"answered_at\":", &a.answered_at),
            ] {
                if let Some(v) = v {
                    out.extend_from_slice(name);
                    string(out, v);
                    out.push(b',');
                }
            }
            out.extend_from_slice(if a.relevant {
                b"\"relevant\":true"
            } else {
                b"\"relevant\":false"
            });
            if a.warning_confirmed {
                out.extend_from_slice(b",\"warning_confirmed\":true");
            }
            out.push(b'}');
        }
        out.push(b'}');
        if !self.reopened.is_empty() {
            out.extend_from_slice(b",\"reopened\":[");
            for (i, r) in self.reopened.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"at\":");
                string(out, &r.at);
                out.extend_from_slice(b",\"revision\":");
                uint(out, r.revision);
                out.extend_from_slice(b",\"was_completed\":");
                string(out, &r.was_completed);
                out.push(b'}');
            }
            out.push(b']');
        }
        if !self.paradata.is_empty() {
            out.extend_from_slice(b",\"paradata\":[");
            for (i, e) in self.paradata.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(b"{\"ms\":");
                uint(out, e.ms);
                out.extend_from_slice(match e.ev {
                    EventKind::Shown => b",\"ev\":\"shown\",\"q\":",
                    EventKind::Answered => b",\"ev\":\"answered\",\"q\":",
                    EventKind::Changed => b",\"ev\":\"changed\",\"q\":",
                    EventKind::Confirmed => b",\"ev\":\"confirmed\",\"q\":",
                    EventKind::Remark => b",\"ev\":\"remark\",\"q\":",
                });
                string(out, &e.q);
                out.push(b'}');
            }
            out.push(b']');
        }
        out.push(b'}');
    }

    /// The owned [`Record`] with the same content.
    pub fn to_record(&self) -> Record {
        let s = |x: &Str<'_>| x.as_str().to_owned();
        let o = |x: &Option<Str<'_>>| x.as_ref().map(s);
        Record {
            format: s(&self.format),
            id: s(&self.id),
            revision: self.revision,
            device: s(&self.device),
            interviewer: s(&self.interviewer),
            questionnaire: QuestionnaireRef {
                id: s(&self.questionnaire.id),
                version: s(&self.questionnaire.version),
                sha256: s(&self.questionnaire.sha256),
            },
            status: self.status,
            started: s(&self.started),
            updated: s(&self.updated),
            completed: o(&self.completed),
            duration_ms: self.duration_ms,
            position: o(&self.position),
            answers: self
                .answers
                .0
                .iter()
                .map(|(k, a)| {
                    let answer = Answer {
                        value: a.value.as_ref().map(|v| match v {
                            ValueView::Number(n) => AnswerValue::Number(*n),
                            ValueView::Text(t) => AnswerValue::Text(s(t)),
                            ValueView::Codes(cs) => AnswerValue::Codes(cs.iter().map(s).collect()),
                        }),
                        other: o(&a.other),
                        remark: o(&a.remark),
                        answered_at: o(&a.answered_at),
                        relevant: a.relevant,
                        warning_confirmed: a.warning_confirmed,
                    };
                    (s(k), answer)
                })
                .collect(),
            reopened: self
                .reopened
                .iter()
                .map(|r| Reopening {
                    at: s(&r.at),
                    revision: r.revision,
                    was_completed: s(&r.was_completed),
                })
                .collect(),
            paradata: self
                .paradata
                .iter()
                .map(|e| Event {
                    ms: e.ms,
                    ev: e.ev,
                    q: s(&e.q),
                })
                .collect(),
        }
    }
}

/// The parser of [`RecordView::parse`]. Every function returns `None` where the input is not
/// exactly what it expects; `None` is never an answer about the input, only "ask serde".
mod fast {
    use super::*;

    pub(super) fn record(text: &str, stop_at_paradata: bool) -> Option<RecordView<'_>> {
        // Where the closing `}` is, if the line ends with `]}`: the paradata may end just before.
        let t = text.trim_end();
        let skip_to = (stop_at_paradata && t.ends_with("]}")).then(|| t.len() - 1);
        let mut p = P {
            b: text.as_bytes(),
            s: text,
            i: 0,
            skip_to,
        };
        let r = p.record()?;
        p.ws();
        (p.i == p.b.len()).then_some(r)
    }

    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;

    /// Sets a field once (serde refuses a field given twice).
    fn set<T>(slot: &mut Option<T>, v: T) -> Option<()> {
        if slot.is_some() {
            return None;
        }
        *slot = Some(v);
        Some(())
    }

    struct P<'a> {
        b: &'a [u8],
        s: &'a str,
        i: usize,
        /// See [`RecordView::parse_without_paradata`]: the index of the record's closing `}`.
        skip_to: Option<usize>,
    }

    impl<'a> P<'a> {
        /// Eight bytes at `at` as a number, if there are eight.
        #[inline]
        fn word(&self, at: usize) -> Option<u64> {
            let w: [u8; 8] = self.b.get(at..at + 8)?.try_into().ok()?;
            Some(u64::from_le_bytes(w))
        }

        /// JSON whitespace, as serde_json skips it; runs of spaces (indentation) a word at a time.
        #[inline]
        fn ws(&mut self) {
            loop {
                match self.b.get(self.i) {
                    Some(b' ') => {
                        while let Some(w) = self.word(self.i) {
                            let other = w ^ (ONES * b' ' as u64);
                            if other != 0 {
                                self.i += other.trailing_zeros() as usize / 8;
                                break;
                            }
                            self.i += 8;
                        }
                        while self.b.get(self.i) == Some(&b' ') {
                            self.i += 1;
                        }
                    }
                    Some(b'\n' | b'\r' | b'\t') => self.i += 1,
                    _ => return,
                }
            }
        }

        /// From `i`, the index of the first `"`, `\` or control character (or the end).
        #[inline]
        fn special(&self) -> usize {
            let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
            let mut i = self.i;
            while let Some(w) = self.word(i) {
                // The lowest flagged byte is exact (higher ones may be false alarms).
                let quote = zero(w ^ (ONES * b'"' as u64));
                let slash = zero(w ^ (ONES * b'\\' as u64));
                let control = w.wrapping_sub(ONES * 0x20) & !w & HIGH;
                let m = quote | slash | control;
                if m != 0 {
                    return i + m.trailing_zeros() as usize / 8;
                }
                i += 8;
            }
            while let Some(&c) = self.b.get(i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                i += 1;
            }
            i
        }

        #[inline]
        fn peek(&mut self) -> Option<u8> {
            self.ws();
            self.b.get(self.i).copied()
        }

        #[inline]
        fn eat(&mut self, c: u8) -> Option<()> {
            (self.peek()? == c).then(|| self.i += 1)
        }

        /// `{ "key": value, … }`: `f` reads each value, given its key.
        fn object(&mut self, mut f: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
            self.eat(b'{')?;
            if self.peek()? == b'}' {
                self.i += 1;
                return Some(());
            }
            loop {
                let k = self.plain()?;
                self.eat(b':')?;
                f(self, k)?;
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        return Some(());
                    }
                    _ => return None,
                }
            }
        }

        /// `[ value, … ]`: `f` reads each value.
        fn array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
            self.eat(b'[')?;
            if self.peek()? == b']' {
                self.i += 1;
                return Some(());
            }
            loop {
                f(self)?;
                match self.peek()? {
                    b',' => self.i += 1,
                    b']' => {
                        self.i += 1;
                        return Some(());
                    }
                    _ => return None,
                }
            }
        }

        /// A string without escapes (keys, codes of statuses and events).
        fn plain(&mut self) -> Option<&'a str> {
            self.eat(b'"')?;
            let start = self.i;
            self.i = self.special();
            if *self.b.get(self.i)? != b'"' {
                return None;
            }
            self.i += 1;
            // The quotes are ASCII, so the slice is on character boundaries.
            Some(&self.s[start..self.i - 1])
        }

        /// A string: borrowed if it has no escapes; otherwise serde_json decodes it.
        fn string(&mut self) -> Option<Str<'a>> {
            self.eat(b'"')?;
            let start = self.i;
            self.i = self.special();
            match *self.b.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(Str(Cow::Borrowed(&self.s[start..self.i - 1])));
                }
                b'\\' => {}
                // JSON admits control characters in strings only escaped.
                _ => return None,
            }
            loop {
                match *self.b.get(self.i)? {
                    b'"' => break,
                    b'\\' => self.i += 2,
                    c if c < 0x20 => return None,
                    _ => self.i += 1,
                }
            }
            self.i += 1;
            let quoted = self.s.get(start - 1..self.i)?;
            serde_json::from_str::<String>(quoted).ok().map(|s| Str(Cow::Owned(s)))
        }

        fn opt_string(&mut self) -> Option<Option<Str<'a>>> {
            if self.null()? {
                Some(None)
            } else {
                self.string().map(Some)
            }
        }

        /// Digits only (what `u64` fields hold as anketa writes them).
        fn u64(&mut self) -> Option<u64> {
            self.ws();
            let start = self.i;
            let mut n: u64 = 0;
            while let Some(&c) = self.b.get(self.i) {
                if !c.is_ascii_digit() {
                    break;
                }
                n = n.checked_mul(10)?.checked_add((c - b'0') as u64)?;
                self.i += 1;
            }
            let len = self.i - start;
            if len == 0 || (len > 1 && self.b[start] == b'0') {
                return None;
            }
            match self.b.get(self.i) {
                Some(b'.' | b'e' | b'E') => None,
                _ => Some(n),
            }
        }

        fn literal(&mut self, word: &[u8]) -> bool {
            if self.b.get(self.i..).is_some_and(|rest| rest.starts_with(word)) {
                self.i += word.len();
                true
            } else {
                false
            }
        }

        fn bool(&mut self) -> Option<bool> {
            self.ws();
            if self.literal(b"true") {
                Some(true)
            } else if self.literal(b"false") {
                Some(false)
            } else {
                None
            }
        }

        /// Whether the next value is `null` (consumed).
        fn null(&mut self) -> Option<bool> {
            self.ws();
            Some(self.literal(b"null"))
        }

        fn record(&mut self) -> Option<RecordView<'a>> {
            let (mut format, mut id, mut revision, mut device, mut interviewer) = (None, None, None, None, None);
            let (mut questionnaire, mut status, mut started, mut updated) = (None, None, None, None);
            let (mut completed, mut duration_ms, mut position, mut answers) = (None, None, None, None);
            let (mut reopened, mut paradata) = (None, None);
            self.object(|p, k| match k {
                "format" => set(&mut format, p.string()?),
                "id" => set(&mut id, p.string()?),
                "revision" => set(&mut revision, p.u64()?),
                "device" => set(&mut device, p.string()?),
                "interviewer" => set(&mut interviewer, p.string()?),
                "questionnaire" => set(&mut questionnaire, p.questionnaire()?),
                "status" => set(
                    &mut status,
                    match p.plain()? {
                        "in_progress" => Status::InProgress,
                        "completed" => Status::Completed,
                        _ => return None,
                    },
                ),
                "started" => set(&mut started, p.string()?),
                "updated" => set(&mut updated, p.string()?),
                "completed" => set(&mut completed, p.opt_string()?),
                "duration_ms" => set(&mut duration_ms, p.u64()?),
                "position" => set(&mut position, p.opt_string()?),
                "answers" => set(&mut answers, p.answers()?),
                "reopened" => set(&mut reopened, p.reopened()?),
                "paradata" => match p.skip_to.filter(|_| p.peek() == Some(b'[')) {
                    // Skipped only if the array holds no bracket at all and its `]` is the
                    // one before the record's final `}`: then nothing but the paradata lies
                    // between (a second record glued on, another field or junk after the
                    // array would put a bracket or brace there first), and the object closes
                    // as usual. Otherwise the paradata are parsed (or refused) in full.
                    Some(end)
                        if p.i + 1 < end && memchr::memchr2(b'[', b']', &p.b[p.i + 1..end]) == Some(end - p.i - 2) =>
                    {
                        p.i = end;
                        set(&mut paradata, Vec::new())
                    }
                    _ => set(&mut paradata, p.paradata()?),
                },
                _ => None,
            })?;
            Some(RecordView {
                format: format?,
                id: id?,
                revision: revision?,
                device: device?,
                interviewer: interviewer?,
                questionnaire: questionnaire?,
                status: status?,
                started: started?,
                updated: updated?,
                completed: completed.flatten(),
                duration_ms: duration_ms?,
                position: position.flatten(),
                answers: answers?,
                reopened: reopened.unwrap_or_default(),
                paradata: paradata.unwrap_or_default(),
            })
        }

        fn questionnaire(&mut self) -> Option<QuestionnaireView<'a>> {
            let (mut id, mut version, mut sha256) = (None, None, None);
            self.object(|p, k| match k {
                "id" => set(&mut id, p.string()?),
                "version" => set(&mut version, p.string()?),
                "sha256" => set(&mut sha256, p.string()?),
                _ => None,
            })?;
            Some(QuestionnaireView {
                id: id?,
                version: version?,
                sha256: sha256?,
            })
        }

        fn answers(&mut self) -> Option<Answers<'a>> {
            let mut v = Vec::with_capacity(64);
            self.object(|p, k| {
                v.push((Str(Cow::Borrowed(k)), p.answer()?));
                Some(())
            })?;
            Some(Answers::in_order(v))
        }

        fn answer(&mut self) -> Option<AnswerView<'a>> {
            let (mut value, mut other, mut remark, mut answered_at) = (None, None, None, None);
            let (mut relevant, mut warning_confirmed) = (None, None);
            self.object(|p, k| match k {
                "value" => set(&mut value, p.value()?),
                "other" => set(&mut other, p.opt_string()?),
                "remark" => set(&mut remark, p.opt_string()?),
                "answered_at" => set(&mut answered_at, p.opt_string()?),
                "relevant" => set(&mut relevant, p.bool()?),
                "warning_confirmed" => set(&mut warning_confirmed, p.bool()?),
                _ => None,
            })?;
            Some(AnswerView {
                value: value.flatten(),
                other: other.flatten(),
                remark: remark.flatten(),
                answered_at: answered_at.flatten(),
                relevant: relevant?,
                warning_confirmed: warning_confirmed.unwrap_or(false),
            })
        }

        fn value(&mut self) -> Option<Option<ValueView<'a>>> {
            match self.peek()? {
                b'n' => self.null()?.then_some(None),
                b'"' => Some(Some(ValueView::Text(self.string()?))),
                b'[' => {
                    let mut codes = Vec::with_capacity(4);
                    self.array(|p| {
                        codes.push(p.string()?);
                        Some(())
                    })?;
                    Some(Some(ValueView::Codes(codes)))
                }
                b'-' | b'0'..=b'9' => {
                    // serde_json reads the number, exactly as within the record.
                    let start = self.i;
                    while let Some(&c) = self.b.get(self.i) {
                        if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                            self.i += 1;
                        } else {
                            break;
                        }
                    }
                    serde_json::from_str::<ValueView<'_>>(&self.s[start..self.i])
                        .ok()
                        .map(Some)
                }
                _ => None,
            }
        }

        fn reopened(&mut self) -> Option<Vec<ReopeningView<'a>>> {
            let mut v = Vec::new();
            self.array(|p| {
                let (mut at, mut revision, mut was_completed) = (None, None, None);
                p.object(|p, k| match k {
                    "at" => set(&mut at, p.string()?),
                    "revision" => set(&mut revision, p.u64()?),
                    "was_completed" => set(&mut was_completed, p.string()?),
                    _ => None,
                })?;
                v.push(ReopeningView {
                    at: at?,
                    revision: revision?,
                    was_completed: was_completed?,
                });
                Some(())
            })?;
            Some(v)
        }

        fn paradata(&mut self) -> Option<Vec<EventView<'a>>> {
            let mut v = Vec::with_capacity(128);
            self.array(|p| {
                let (mut ms, mut ev, mut q) = (None, None, None);
                p.object(|p, k| match k {
                    "ms" => set(&mut ms, p.u64()?),
                    "ev" => set(
                        &mut ev,
                        match p.plain()? {
                            "shown" => EventKind::Shown,
                            "answered" => EventKind::Answered,
                            "changed" => EventKind::Changed,
                            "confirmed" => EventKind::Confirmed,
                            "remark" => EventKind::Remark,
                            _ => return None,
                        },
                    ),
                    "q" => set(&mut q, p.string()?),
                    _ => None,
                })?;
                v.push(EventView {
                    ms: ms?,
                    ev: ev?,
                    q: q?,
                });
                Some(())
            })?;
            Some(v)
        }
    }
}

/// A JSON string as serde_json writes it (see [`RecordView::write_canonical`]).
fn string(out: &mut Vec<u8>, s: &Str<'_>) {
    match &s.0 {
        Cow::Borrowed(b) => {
            out.reserve(b.len() + 2);
            out.push(b'"');
            out.extend_from_slice(b.as_bytes());
            out.push(b'"');
        }
        Cow::Owned(o) => {
            let _ = serde_json::to_writer(&mut *out, o.as_str());
        }
    }
}

/// Decimal digits of an unsigned integer (as serde_json writes it).
fn uint(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    put(out, &buf[i..]);
}

/// Appends bytes; short ones (most names, codes and numbers) without a call to `memcpy`.
#[inline]
fn put(out: &mut Vec<u8>, b: &[u8]) {
    if b.len() <= 24 {
        for &c in b {
            out.push(c);
        }
    } else {
        out.extend_from_slice(b);
    }
}

fn int(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    uint(out, n.unsigned_abs());
}

/// One answer seen through a borrow, the same for an [`Answer`] and an [`AnswerView`], so that
/// code reading answers (a CSV row, the checks of a merge) is written once for both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnswerRef<'r> {
    /// The value.
    pub value: Option<ValueRef<'r>>,
    /// The "specify" text.
    pub other: Option<&'r str>,
    /// The remark.
    pub remark: Option<&'r str>,
    /// Whether the question is still relevant.
    pub relevant: bool,
}

/// A value seen through a borrow.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'r> {
    /// A number.
    Number(f64),
    /// A code, text or date.
    Text(&'r str),
    /// Codes of a multi choice.
    Codes(CodesRef<'r>),
}

/// The codes of a multi choice, from a [`Record`] or a [`RecordView`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CodesRef<'r> {
    /// From an [`AnswerValue`].
    Owned(&'r [String]),
    /// From a [`ValueView`].
    Borrowed(&'r [Str<'r>]),
}

impl<'r> CodesRef<'r> {
    /// How many codes.
    pub fn len(self) -> usize {
        match self {
            CodesRef::Owned(v) => v.len(),
            CodesRef::Borrowed(v) => v.len(),
        }
    }

    /// Whether there are none.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The `i`-th code.
    pub fn get(self, i: usize) -> &'r str {
        match self {
            CodesRef::Owned(v) => &v[i],
            CodesRef::Borrowed(v) => v[i].as_str(),
        }
    }

    /// The codes in order.
    pub fn iter(self) -> impl Iterator<Item = &'r str> {
        (0..self.len()).map(move |i| self.get(i))
    }

    /// Whether `code` is among them.
    pub fn contains(self, code: &str) -> bool {
        self.iter().any(|c| c == code)
    }
}

impl AnswerValue {
    /// The value through a borrow.
    pub fn borrowed(&self) -> ValueRef<'_> {
        match self {
            AnswerValue::Number(n) => ValueRef::Number(*n),
            AnswerValue::Text(t) => ValueRef::Text(t),
            AnswerValue::Codes(cs) => ValueRef::Codes(CodesRef::Owned(cs)),
        }
    }
}

impl ValueView<'_> {
    /// The value through a borrow.
    pub fn borrowed(&self) -> ValueRef<'_> {
        match self {
            ValueView::Number(n) => ValueRef::Number(*n),
            ValueView::Text(t) => ValueRef::Text(t),
            ValueView::Codes(cs) => ValueRef::Codes(CodesRef::Borrowed(cs)),
        }
    }
}

impl Answer {
    /// The answer through a borrow.
    pub fn borrowed(&self) -> AnswerRef<'_> {
        AnswerRef {
            value: self.value.as_ref().map(AnswerValue::borrowed),
            other: self.other.as_deref(),
            remark: self.remark.as_deref(),
            relevant: self.relevant,
        }
    }
}

impl AnswerView<'_> {
    /// The answer through a borrow.
    pub fn borrowed(&self) -> AnswerRef<'_> {
        AnswerRef {
            value: self.value.as_ref().map(ValueView::borrowed),
            other: self.other.as_deref(),
            remark: self.remark.as_deref(),
            relevant: self.relevant,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::questionnaire::bundled;
    use crate::simulate::{Options, Rng, Simulator};
    use serde_json::{Value, json};

    /// Simulated records of every bundled questionnaire, with awkward strings and numbers put in.
    fn records() -> Vec<Record> {
        let awkward = [
            "кавычка \" и обратная косая \\ черта",
            "line\nbreak\r\nand\ttab",
            "control \u{1} \u{1f} and DEL \u{7f}",
            "slash / and </script>",
            "emoji 🙂 and 𝄞, ё",
            "",
        ];
        let numbers = [1.5, 0.1, 1e-7, 123456789.125, 1e300, -2.5, 1e16, -0.0, 12.0, 9.0e15];
        let mut out = Vec::new();
        for name in ["nko", "omsu", "demo"] {
            let q = bundled(name).unwrap();
            let sim = Simulator::new(
                &q,
                Options {
                    seed: 3,
                    incomplete_share: 0.2,
                    ..Options::default()
                },
            );
            for n in 0..60u64 {
                let mut r = sim.record(n);
                let k = n as usize;
                for (i, a) in r.answers.values_mut().enumerate() {
                    match &mut a.value {
                        Some(AnswerValue::Number(x)) if (i + k).is_multiple_of(2) => {
                            *x = numbers[(i + k) % numbers.len()]
                        }
                        Some(AnswerValue::Text(t)) if (i + k).is_multiple_of(5) => {
                            *t = awkward[(i + k) % awkward.len()].into()
                        }
                        Some(AnswerValue::Codes(cs)) if (i + k).is_multiple_of(7) => {
                            cs.push(awkward[k % awkward.len()].into())
                        }
                        _ => {}
                    }
                    if (i + k).is_multiple_of(9) {
                        a.remark = Some(awkward[(i + 2 * k) % awkward.len()].into());
                    }
                }
                if n.is_multiple_of(4) {
                    r.interviewer = awkward[k % awkward.len()].into();
                }
                if n.is_multiple_of(6) {
                    r.reopened.push(Reopening {
                        at: r.updated.clone(),
                        revision: 3,
                        was_completed: r.started.clone(),
                    });
                }
                out.push(r);
            }
        }
        out
    }

    /// JSON text for `v` spelled as another writer might: random whitespace, object keys in any
    /// order, characters escaped needlessly (`\u0041`, `\/`, surrogate pairs).
    fn spell(v: &Value, rng: &mut Rng, out: &mut String) {
        let ws = |rng: &mut Rng, out: &mut String| {
            for _ in 0..rng.below(3) {
                out.push([' ', '\n', '\t', '\r'][rng.below(4)]);
            }
        };
        match v {
            Value::String(s) => {
                out.push('"');
                for c in s.chars() {
                    match c {
                        '"' => out.push_str("\\\""),
                        '\\' => out.push_str("\\\\"),
                        '\n' if rng.chance(0.5) => out.push_str("\\n"),
                        '/' if rng.chance(0.5) => out.push_str("\\/"),
                        c if (c as u32) < 0x20 || rng.chance(0.05) => {
                            let mut units = [0u16; 2];
                            for u in c.encode_utf16(&mut units) {
                                out.push_str(&format!("\\u{u:04X}"));
                            }
                        }
                        c => out.push(c),
                    }
                }
                out.push('"');
            }
            Value::Array(a) => {
                out.push('[');
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(rng, out);
                    spell(x, rng, out);
                    ws(rng, out);
                }
                out.push(']');
            }
            Value::Object(o) => {
                let mut keys: Vec<&String> = o.keys().collect();
                for i in (1..keys.len()).rev() {
                    keys.swap(i, rng.below(i + 1));
                }
                out.push('{');
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(rng, out);
                    spell(&Value::String(k.clone()), rng, out);
                    ws(rng, out);
                    out.push(':');
                    ws(rng, out);
                    spell(&o[k], rng, out);
                }
                ws(rng, out);
                out.push('}');
            }
            Value::Number(n) if n.is_f64() && rng.chance(0.5) => {
                // The same value, spelled differently.
                let x = n.as_f64().unwrap();
                let debug = format!("{x:?}");
                out.push_str(&if rng.chance(0.5) || !debug.contains('.') || debug.contains('e') {
                    format!("{x:e}")
                } else {
                    format!("{debug}0")
                });
            }
            other => out.push_str(&other.to_string()),
        }
    }

    /// `rec` as JSON with the optional fields spelled out at their defaults.
    fn with_defaults(rec: &Record) -> Value {
        let mut v = serde_json::to_value(rec).unwrap();
        let o = v.as_object_mut().unwrap();
        for (k, d) in [
            ("completed", Value::Null),
            ("position", Value::Null),
            ("reopened", json!([])),
            ("paradata", json!([])),
        ] {
            o.entry(k).or_insert(d);
        }
        for a in o["answers"].as_object_mut().unwrap().values_mut() {
            let a = a.as_object_mut().unwrap();
            for (k, d) in [
                ("value", Value::Null),
                ("other", Value::Null),
                ("warning_confirmed", json!(false)),
            ] {
                a.entry(k).or_insert(d);
            }
        }
        v
    }

    /// The record and its view as serde reads them; the fast parser of the view must read the
    /// text the same way, or leave it to serde.
    fn both(text: &str) -> (Result<Record, String>, Result<RecordView<'_>, String>) {
        let view = serde_json::from_str::<RecordView<'_>>(text).map_err(|e| e.to_string());
        if let Some(fast) = fast::record(text, false) {
            assert_eq!(Ok(&fast), view.as_ref(), "the fast parser takes {text}");
        }
        (serde_json::from_str::<Record>(text).map_err(|e| e.to_string()), view)
    }

    #[test]
    fn the_report_parse_reads_everything_but_the_paradata() {
        let mut with_events = 0;
        for rec in records() {
            let mut want = rec.clone();
            want.paradata.clear();
            with_events += usize::from(!rec.paradata.is_empty());
            // The canonical line: cut at the paradata; a pretty-printed file (`]` and `}` on
            // lines of their own): read in full.
            for (text, want) in [(rec.to_json_line(), &want), (rec.to_json(), &rec)] {
                let text = String::from_utf8(text).unwrap();
                let view = RecordView::parse_without_paradata(&text).expect("anketa's own spelling");
                assert_eq!(view.to_record(), *want, "{text}");
            }
            // Not ending in `]}` (here: a line with the paradata first): read in full.
            let mut v = serde_json::to_value(&rec).unwrap();
            let events = v.as_object_mut().unwrap().remove("paradata").unwrap();
            let mut moved = serde_json::Map::new();
            moved.insert("paradata".into(), events);
            moved.extend(v.as_object().unwrap().clone());
            let text = Value::Object(moved).to_string();
            if !text.ends_with("]}") {
                let view = RecordView::parse_without_paradata(&text).unwrap();
                assert_eq!(view.to_record(), rec, "{text}");
            }
        }
        assert!(with_events > 0);
        // What the array holds is not read; everything around it is, as `parse` reads it.
        let head = r#"{"format":"anketa-interview/1","id":"x","revision":1,"device":"d","interviewer":"I","questionnaire":{"id":"q","version":"1","sha256":"s"},"status":"completed","started":"a","updated":"b","duration_ms":5,"answers":{}"#;
        let fast = |t: &str| RecordView::parse_without_paradata(t).is_some();
        let full = |t: &str| RecordView::parse(t).is_ok();
        assert!(fast(&format!("{head},\"paradata\":[not json]}}")));
        let bad = head.replace("\"revision\":1", "\"revision\":-1");
        assert!(!fast(&format!("{bad},\"paradata\":[]}}")));
        let one = format!("{head},\"paradata\":[{{\"ms\":1,\"ev\":\"shown\",\"q\":\"x\"}}]}}");
        assert!(fast(&one) && full(&one));
        // Glued, followed or broken: the paradata are parsed in full, and the line refused
        // exactly when `parse` refuses it.
        for t in [
            format!("{one}{one}"), // two records on one line (`cat` of a file without a final newline)
            format!("{one} x"),    // junk after the record
            format!("{head},\"paradata\":[],\"bogus\":[1]}}"), // a field after the paradata
            format!("{head},\"paradata\":[]}} garbage ]}}"), // junk ending in `]}`
            format!("{head},\"paradata\":[[]]}}"), // a bracket inside
            format!("{head},\"paradata\":[{{\"ms\":1,\"ev\":\"shown\",\"q\":\"a]b\"}}]}}"), // a bracket in a string
            format!("{head},\"paradata\":[],\"reopened\":[]}}"), // another field last
        ] {
            assert_eq!(fast(&t), full(&t), "{t}");
        }
        assert!(
            full(&format!("{head},\"paradata\":[],\"reopened\":[]}}")),
            "only the order differs"
        );
        assert!(!fast(&format!("{one}{one}")));
    }

    #[test]
    fn view_reads_every_spelling_as_the_record_does_and_writes_the_same_canonical_bytes() {
        let mut rng = Rng::new(5);
        let mut borrowed = 0;
        for rec in records() {
            let line = rec.to_json_line();
            let mut spelled = String::new();
            spell(&with_defaults(&rec), &mut rng, &mut spelled);
            for (k, text) in [
                String::from_utf8(rec.to_json()).unwrap(),
                String::from_utf8(line.clone()).unwrap(),
                spelled,
            ]
            .into_iter()
            .enumerate()
            {
                // What anketa writes is read by the fast parser, not left to serde.
                assert!(k == 2 || fast::record(&text, false).is_some(), "{text}");
                let (r, v) = both(&text);
                let (r, v) = (r.unwrap(), v.unwrap());
                assert_eq!(r, rec, "{text}");
                assert_eq!(v.to_record(), rec, "{text}");
                let mut canonical = Vec::new();
                v.write_canonical(&mut canonical);
                assert_eq!(
                    String::from_utf8(canonical).unwrap(),
                    String::from_utf8(line.clone()).unwrap()
                );
                borrowed += v.paradata.iter().filter(|e| matches!(e.q.0, Cow::Borrowed(_))).count();
            }
        }
        assert!(borrowed > 1000, "strings without escapes are borrowed");
    }

    #[test]
    fn view_orders_answers_as_a_btreemap_does() {
        for rec in records().iter().take(20) {
            // Answers in reverse order, and one variable given twice: the later one counts.
            let entries: Vec<(&String, &Answer)> = rec.answers.iter().rev().collect();
            let mut early = entries[0].1.clone();
            early.relevant = !early.relevant;
            early.remark = Some("given twice".into());
            let mut answers: Vec<String> = vec![format!(
                "{}:{}",
                serde_json::to_string(entries[0].0).unwrap(),
                serde_json::to_string(&early).unwrap()
            )];
            for (k, a) in &entries {
                answers.push(format!(
                    "{}:{}",
                    serde_json::to_string(k).unwrap(),
                    serde_json::to_string(a).unwrap()
                ));
            }
            let mut v = serde_json::to_value(rec).unwrap();
            v["answers"] = json!("@");
            let text = v.to_string().replace("\"@\"", &format!("{{{}}}", answers.join(",")));
            let (r, v) = both(&text);
            let (r, v) = (r.unwrap(), v.unwrap());
            assert_eq!(&r, rec);
            assert_eq!(v.to_record(), r);
            let mut canonical = Vec::new();
            v.write_canonical(&mut canonical);
            assert_eq!(canonical, r.to_json_line());
        }
    }

    #[test]
    fn fast_parser_reads_damaged_texts_as_serde_does_or_not_at_all() {
        // Random edits of good texts: whatever the fast parser takes, serde takes the same way.
        let mut rng = Rng::new(11);
        let pieces = [
            "\"",
            "\\",
            ",",
            ":",
            "{",
            "}",
            "[",
            "]",
            " ",
            "0",
            "-",
            "1e3",
            ".5",
            "null",
            "true",
            "\t",
            "\u{1}",
            "\\u0041",
            "\"x\":1,",
            "\"ms\":1,",
            "\"relevant\":true,",
            "é",
        ];
        let mut taken = 0;
        for rec in records().iter().step_by(7) {
            for base in [
                String::from_utf8(rec.to_json()).unwrap(),
                String::from_utf8(rec.to_json_line()).unwrap(),
            ] {
                for _ in 0..150 {
                    let mut t = base.clone();
                    for _ in 0..1 + rng.below(2) {
                        let mut at = rng.below(t.len());
                        while !t.is_char_boundary(at) {
                            at -= 1;
                        }
                        match rng.below(3) {
                            0 => {
                                let end = (at + 1 + rng.below(8)).min(t.len());
                                if t.is_char_boundary(end) {
                                    t.replace_range(at..end, "");
                                }
                            }
                            1 => t.insert_str(at, pieces[rng.below(pieces.len())]),
                            _ => {
                                // A line of a pretty file twice: often a field given twice.
                                let start = t[..at].rfind('\n').map_or(0, |i| i + 1);
                                let end = t[at..].find('\n').map_or(t.len(), |i| at + i + 1);
                                let line = t[start..end].to_string();
                                t.insert_str(start, &line);
                            }
                        }
                    }
                    let (_, view) = both(&t);
                    taken += view.is_ok() as usize;
                }
            }
        }
        assert!(taken > 100, "some edits leave a valid record ({taken})");
    }

    #[test]
    fn view_rejects_what_the_record_rejects() {
        let rec = records().remove(0);
        let line = String::from_utf8(rec.to_json_line()).unwrap();
        let var = rec.answers.keys().next().unwrap().clone();
        let cases = [
            line.replacen("\"format\"", "\"extra\":1,\"format\"", 1),
            line.replacen("\"revision\":", "\"revision\":1,\"revision\":", 1),
            line.replacen("\"revision\":", "\"revision\":\"", 1),
            line.replacen(&format!("\"revision\":{}", rec.revision), "\"revision\":1.0", 1),
            line.replacen("\"revision\":", "\"revision\":-", 1),
            line.replacen("\"status\":\"", "\"status\":\"x", 1),
            line.replacen("\"relevant\":", "\"colour\":1,\"relevant\":", 1),
            line.replacen("\"relevant\":true", "\"relevant\":1", 1),
            line.replacen(",\"relevant\":true", "", 1),
            line.replacen("\"ev\":\"shown\"", "\"ev\":\"seen\"", 1),
            line.replacen("\"ev\":", "\"at\":1,\"ev\":", 1),
            line.replacen("\"q\":\"", "\"q\":\"\t", 1),
            line.replacen("\"id\":\"", "\"id\":\"\u{1}", 1),
            line.replacen("\"sha256\":", "\"sha\":1,\"sha256\":", 1),
            line.replacen(&format!("\"{var}\":{{"), &format!("\"{var}\":{{\"value\":true,"), 1),
            line.replacen(&format!("\"{var}\":{{"), &format!("\"{var}\":{{\"value\":{{}},"), 1),
            line.replacen(&format!("\"{var}\":{{"), &format!("\"{var}\":{{\"value\":[1],"), 1),
            line.replacen(&format!("\"{var}\":{{"), &format!("\"{var}\":{{\"value\":1e999,"), 1),
            line.replacen("\"answers\":{", "\"answers\":[", 1),
            line.replacen("\"device\":\"", "\"device\":\"\\x", 1),
            line.replacen("\"device\":\"", "\"device\":\"\\ud800", 1),
            line.replacen(",\"duration_ms\":", ",\"duration_ms\":null,\"d\":", 1),
            line.replacen("\"paradata\":[", "\"paradata\":null,\"x\":[", 1),
            line.replacen("\"paradata\":[", "\"paradata\":[1,", 1),
            line.replacen("\"paradata\":[", "\"paradata\":{\"a\":", 1),
            line[..line.len() - 1].to_string(),
            format!("{line} x"),
        ];
        for text in &cases {
            assert_ne!(text, &line);
            assert!(fast::record(text, false).is_none(), "{text}");
            let (r, v) = both(text);
            assert!(r.is_err(), "the record takes {text}");
            assert!(v.is_err(), "the view takes {text}");
        }
    }
}
