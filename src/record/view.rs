//! [`RecordView`]: a [`Record`] borrowed from the text it was parsed from, and its parts.

#[cfg(doc)]
use super::Record;
use super::fast;
#[cfg(test)]
use super::{Answer, AnswerValue, Event, Instance, QuestionnaireRef, Record, Reopening, Rosters};
use super::{EventKind, Status};
use serde::Deserialize;
use std::borrow::Cow;

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
    /// See [`Record::position_at`].
    #[serde(default)]
    pub position_at: Vec<u32>,
    /// See [`Record::answers`]: sorted by variable, each variable once (a variable given twice
    /// is refused).
    #[serde(borrow)]
    pub answers: Answers<'a>,
    /// See [`Record::rosters`]: sorted by roster name, each name once (a name given twice is
    /// refused, as a variable given twice is).
    #[serde(borrow, default)]
    pub rosters: RostersView<'a>,
    /// See [`Record::reopened`].
    #[serde(borrow, default)]
    pub reopened: Vec<ReopeningView<'a>>,
    /// See [`Record::paradata`]: held as their canonical JSON (see [`Paradata`]).
    #[serde(default, deserialize_with = "events")]
    pub paradata: Paradata,
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
                let mut sorted = true;
                while let Some(k) = map.next_key::<Str<'de>>()? {
                    // Files are written sorted: only a key out of order can be a repeat, and it
                    // is refused right after it is read (so the error names its line).
                    if let Some(last) = v.last() {
                        sorted &= last.0 < k;
                    }
                    if !sorted && v.iter().any(|(x, _)| *x == k) {
                        return Err(serde::de::Error::custom(format!(
                            "duplicate variable `{}` in `answers`",
                            k.as_str()
                        )));
                    }
                    let a = map.next_value()?;
                    v.push((k, a));
                }
                Answers::unique(v)
                    .map_err(|var| serde::de::Error::custom(format!("duplicate variable `{var}` in `answers`")))
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

    /// Answers in the order given, put in `BTreeMap` order (files are written sorted; anything
    /// else gets a sort). A variable given twice is refused: the variable.
    pub(super) fn unique(mut v: Vec<(Str<'a>, AnswerView<'a>)>) -> Result<Answers<'a>, String> {
        if !v.windows(2).all(|w| w[0].0 < w[1].0) {
            v.sort_by(|a, b| a.0.cmp(&b.0));
            if let Some(w) = v.windows(2).find(|w| w[0].0 == w[1].0) {
                return Err(w[0].0.as_str().to_owned());
            }
        }
        Ok(Answers(v))
    }
}

/// [`Rosters`](super::Rosters), borrowed: (roster name, its instances), sorted by name, no name
/// twice.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RostersView<'a>(pub Vec<(Str<'a>, Vec<InstanceView<'a>>)>);

impl<'de: 'a, 'a> Deserialize<'de> for RostersView<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = RostersView<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RostersView<'de>, A::Error> {
                let mut v: Vec<(Str<'de>, Vec<InstanceView<'de>>)> = Vec::new();
                while let Some(k) = map.next_key::<Str<'de>>()? {
                    // As in `Answers`: a repeat is refused right after its key is read.
                    if v.iter().any(|(x, _)| *x == k) {
                        return Err(serde::de::Error::custom(format!(
                            "duplicate roster `{}` in `rosters`",
                            k.as_str()
                        )));
                    }
                    let instances = map.next_value()?;
                    v.push((k, instances));
                }
                Ok(RostersView::sorted(v))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> RostersView<'a> {
    /// Rosters in the order given, put in `BTreeMap` order; `None` when a name is given twice.
    pub(super) fn unique(v: Vec<(Str<'a>, Vec<InstanceView<'a>>)>) -> Option<RostersView<'a>> {
        let r = RostersView::sorted(v);
        r.0.windows(2).all(|w| w[0].0 < w[1].0).then_some(r)
    }

    fn sorted(mut v: Vec<(Str<'a>, Vec<InstanceView<'a>>)>) -> RostersView<'a> {
        if !v.windows(2).all(|w| w[0].0 < w[1].0) {
            v.sort_by(|a, b| a.0.cmp(&b.0));
        }
        RostersView(v)
    }

    /// Whether there are no rosters.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The instances of roster `name` (empty if it has none).
    pub fn get(&self, name: &str) -> &[InstanceView<'a>] {
        self.0
            .binary_search_by(|(k, _)| k.as_str().cmp(name))
            .map_or(&[], |i| &self.0[i].1)
    }
}

/// [`Instance`](super::Instance), borrowed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceView<'a> {
    /// See [`Instance::answers`](super::Instance::answers).
    #[serde(borrow)]
    pub answers: Answers<'a>,
    /// See [`Instance::rosters`](super::Instance::rosters).
    #[serde(borrow, default)]
    pub rosters: RostersView<'a>,
    /// See [`Instance::removed`](super::Instance::removed).
    #[serde(borrow, default)]
    pub removed: Option<Str<'a>>,
}

impl InstanceView<'_> {
    /// Whether the instance counts (it was not removed).
    pub fn live(&self) -> bool {
        self.removed.is_none()
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
    /// See [`Answer::defaulted`].
    #[serde(default)]
    pub defaulted: bool,
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

/// Paradata as `Vec<EventView>` reads them, each event written into a [`Paradata`] as it is read
/// (as the fast parser does).
fn events<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Paradata, D::Error> {
    struct V;
    impl<'de> serde::de::Visitor<'de> for V {
        type Value = Paradata;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a sequence")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut p = Paradata::default();
            while let Some(e) = seq.next_element::<EventView<'de>>()? {
                p.push(&e);
            }
            Ok(p)
        }
    }
    d.deserialize_seq(V)
}

/// The paradata of a [`RecordView`], held as what the canonical line holds of them: the events
/// as [`Record::to_json_line`] writes them, separated by commas, without the brackets. Merge
/// only copies the paradata into that line (and asks whether an event has an instance path),
/// so the fast parser copies each event it reads straight into this form instead of making an
/// [`EventView`] of it to be written back later (the paradata are half of a roster interview's
/// bytes). Two paradata are equal when their events are: the canonical form is one per list of
/// events.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Paradata {
    /// The events' canonical JSON, comma-separated (empty: no events).
    pub(super) json: Vec<u8>,
    /// Whether an event has an instance path (`at`).
    pub(super) has_paths: bool,
}

impl Paradata {
    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.json.is_empty()
    }

    /// Whether an event has an instance path (`at`, not empty).
    pub fn has_paths(&self) -> bool {
        self.has_paths
    }

    /// The events' canonical JSON, comma-separated, without the brackets.
    pub fn json(&self) -> &[u8] {
        &self.json
    }

    /// Appends an event, written canonically.
    pub(super) fn push(&mut self, e: &EventView<'_>) {
        if !self.json.is_empty() {
            self.json.push(b',');
        }
        super::write::event(&mut self.json, e);
        self.has_paths |= !e.at.is_empty();
    }

    /// The events (tests compare them with serde's).
    #[cfg(test)]
    pub(crate) fn events(&self) -> Vec<Event> {
        let mut text = b"[".to_vec();
        text.extend_from_slice(&self.json);
        text.push(b']');
        serde_json::from_slice(&text).expect("canonical paradata")
    }
}

impl std::fmt::Debug for Paradata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Paradata[{}]", String::from_utf8_lossy(&self.json))
    }
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

/// An event's instance path (`at`, see [`Event::at`]), as `Vec<u32>` reads it but held inline:
/// in a valid record a path is at most [`MAX_ROSTER_DEPTH`] deep, and a roster interview has
/// hundreds of events, one allocation each when this was a `Vec` (a tenth of a merge's parsing).
/// A longer path (which `fit` refuses) is kept on the heap.
///
/// [`MAX_ROSTER_DEPTH`]: crate::questionnaire::MAX_ROSTER_DEPTH
#[derive(Clone)]
pub enum AtPath {
    /// Up to [`crate::questionnaire::MAX_ROSTER_DEPTH`] indices.
    Inline(u8, [u32; crate::questionnaire::MAX_ROSTER_DEPTH]),
    /// More.
    Heap(Vec<u32>),
}

impl AtPath {
    /// Appends an index.
    pub fn push(&mut self, x: u32) {
        match self {
            AtPath::Inline(len, ix) if (*len as usize) < ix.len() => {
                ix[*len as usize] = x;
                *len += 1;
            }
            AtPath::Inline(len, ix) => {
                let mut v = ix[..*len as usize].to_vec();
                v.push(x);
                *self = AtPath::Heap(v);
            }
            AtPath::Heap(v) => v.push(x),
        }
    }
}

impl Default for AtPath {
    fn default() -> AtPath {
        AtPath::Inline(0, [0; crate::questionnaire::MAX_ROSTER_DEPTH])
    }
}

impl std::ops::Deref for AtPath {
    type Target = [u32];
    fn deref(&self) -> &[u32] {
        match self {
            AtPath::Inline(len, ix) => &ix[..*len as usize],
            AtPath::Heap(v) => v,
        }
    }
}

impl From<Vec<u32>> for AtPath {
    fn from(v: Vec<u32>) -> AtPath {
        let mut p = AtPath::default();
        if v.len() > crate::questionnaire::MAX_ROSTER_DEPTH {
            return AtPath::Heap(v);
        }
        for x in v {
            p.push(x);
        }
        p
    }
}

impl PartialEq for AtPath {
    fn eq(&self, other: &AtPath) -> bool {
        **self == **other
    }
}

impl Eq for AtPath {}

impl std::fmt::Debug for AtPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

impl<'de> Deserialize<'de> for AtPath {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<u32>::deserialize(d).map(AtPath::from)
    }
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
    /// See [`Event::at`].
    #[serde(default)]
    pub at: AtPath,
    /// See [`Event::gap_s`].
    #[serde(default)]
    pub gap_s: Option<u64>,
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
    pub(crate) fn parse_without_paradata(text: &'a str) -> Option<RecordView<'a>> {
        fast::record(text, true)
    }
}

impl RecordView<'_> {
    /// The owned [`Record`] with the same content (tests compare it with serde's).
    #[cfg(test)]
    pub(crate) fn to_record(&self) -> Record {
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
            position_at: self.position_at.clone(),
            answers: owned_answers(&self.answers),
            rosters: owned_rosters(&self.rosters),
            reopened: self
                .reopened
                .iter()
                .map(|r| Reopening {
                    at: s(&r.at),
                    revision: r.revision,
                    was_completed: s(&r.was_completed),
                })
                .collect(),
            paradata: self.paradata.events(),
        }
    }
}

#[cfg(test)]
fn owned_answers(answers: &Answers<'_>) -> std::collections::BTreeMap<String, Answer> {
    let s = |x: &Str<'_>| x.as_str().to_owned();
    let o = |x: &Option<Str<'_>>| x.as_ref().map(s);
    answers
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
                defaulted: a.defaulted,
            };
            (s(k), answer)
        })
        .collect()
}

#[cfg(test)]
fn owned_rosters(rosters: &RostersView<'_>) -> Rosters {
    rosters
        .0
        .iter()
        .map(|(name, instances)| {
            let instances = instances
                .iter()
                .map(|i| Instance {
                    answers: owned_answers(&i.answers),
                    rosters: owned_rosters(&i.rosters),
                    removed: i.removed.as_ref().map(|r| r.as_str().to_owned()),
                })
                .collect();
            (name.as_str().to_owned(), instances)
        })
        .collect()
}

#[cfg(test)]
mod at_path_tests {
    use super::AtPath;

    #[test]
    fn at_path_holds_short_paths_inline_and_longer_ones_on_the_heap() {
        for v in [vec![], vec![3], vec![1, 2, u32::MAX], vec![4, 3, 2, 1, 7]] {
            let p = AtPath::from(v.clone());
            assert_eq!(*p, v[..]);
            assert_eq!(matches!(p, AtPath::Heap(_)), v.len() > 3, "{v:?}");
            let mut pushed = AtPath::default();
            v.iter().for_each(|&x| pushed.push(x));
            assert_eq!(pushed, p, "pushed one by one, the same path");
            let read: AtPath = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
            assert_eq!(read, p);
            assert_eq!(format!("{read:?}"), format!("{v:?}"));
        }
        assert_ne!(AtPath::from(vec![1, 2]), AtPath::from(vec![1, 2, 0]));
    }
}
