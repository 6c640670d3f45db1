//! Per-record resolution: where each question's answer is in a record and which options it
//! chose ([`Slots::resolve`], once per record, checking the record as `validate_view` does), so
//! that the tally reads answers by index.

use crate::interview::logic::{Lookup, parse_date};
use crate::interview::record::{AnswerView, RecordView, ValueRef};
#[cfg(doc)]
use crate::merge::validate_view;
use crate::questionnaire::{Kind, Questionnaire};

/// Where the answer to each question of a record is, and the options it chose: found once per
/// record by [`Slots::resolve`] and then read by index, so that relevance, groups and counts do
/// no lookups by name or code.
#[derive(Debug, Clone, Default)]
pub(crate) struct Slots {
    /// [question] → index into the record's answers, or [`Slots::NONE`].
    answer: Vec<u32>,
    /// [question] → its options in `chosen` (start, end): one for a single choice, those
    /// chosen for a multi.
    range: Vec<(u32, u32)>,
    chosen: Vec<u32>,
}

impl Slots {
    const NONE: u32 = u32::MAX;

    /// Joins the record's answers (sorted by variable) with the questions sorted by name
    /// (`order`), and checks each answer as [`validate_view`] does. `false` when the record
    /// does not fit the questionnaire: exactly when `validate_view` refuses it (a test holds
    /// them together), which then gives the reason.
    pub(crate) fn resolve(&mut self, q: &Questionnaire, names: &Names, rec: &RecordView<'_>) -> bool {
        if *rec.questionnaire.id != q.id {
            return false;
        }
        let n = q.questions.len();
        self.answer.clear();
        self.answer.resize(n, Self::NONE);
        self.range.clear();
        self.range.resize(n, (0, 0));
        self.chosen.clear();
        let (order, keys) = (&names.order, &names.keys);
        let mut k = 0;
        for (at, (var, a)) in rec.answers.0.iter().enumerate() {
            let var = var.as_str();
            let key = prefix(var);
            let name = |k: usize| q.questions[order[k]].id.as_str();
            while k < order.len() && (keys[k] < key || (keys[k] == key && name(k) < var)) {
                k += 1;
            }
            if k == order.len() || !same(keys[k], name(k), key, var) {
                return false;
            }
            let qidx = order[k];
            let qq = &q.questions[qidx];
            if a.other.is_some() && !qq.options.iter().any(|o| o.other) {
                return false;
            }
            let codes = &names.codes[qidx];
            let index = |c: &str| {
                let key = prefix(c);
                (0..codes.len())
                    .find(|&i| same(codes[i], &qq.options[i].code, key, c))
                    .map(|i| i as u32)
            };
            let start = self.chosen.len();
            match (&qq.kind, a.value.as_ref().map(|v| v.borrowed())) {
                (_, None) => {}
                (Kind::Note, _) => return false,
                (Kind::Single, Some(ValueRef::Text(c))) => match index(c) {
                    Some(i) => self.chosen.push(i),
                    None => return false,
                },
                (Kind::Multi { .. }, Some(ValueRef::Codes(cs))) => {
                    let mut exclusive = false;
                    for c in cs.iter() {
                        match index(c) {
                            Some(i) if !self.chosen[start..].contains(&i) => {
                                exclusive |= qq.options[i as usize].exclusive;
                                self.chosen.push(i);
                            }
                            _ => return false,
                        }
                    }
                    if cs.len() > 1 && exclusive {
                        return false;
                    }
                }
                (Kind::Number { .. }, Some(ValueRef::Number(x))) if x.is_finite() => {}
                (Kind::Text { .. } | Kind::LongText { .. }, Some(ValueRef::Text(_))) => {}
                (Kind::Date, Some(ValueRef::Text(d))) if parse_date(d).is_some() => {}
                _ => return false,
            }
            self.answer[qidx] = at as u32;
            self.range[qidx] = (start as u32, self.chosen.len() as u32);
        }
        true
    }

    /// The answer to question `qidx`, if the record has one.
    pub(crate) fn answer<'r>(&self, rec: &'r RecordView<'_>, qidx: usize) -> Option<&'r AnswerView<'r>> {
        let at = *self.answer.get(qidx)?;
        (at != Self::NONE).then(|| &rec.answers.0[at as usize].1)
    }

    /// The options chosen in question `qidx` (indices into its options).
    pub(crate) fn codes(&self, qidx: usize) -> &[u32] {
        let (a, b) = self.range[qidx];
        &self.chosen[a as usize..b as usize]
    }
}

/// A questionnaire's names for [`Slots::resolve`], with the first eight bytes of each name and
/// code as a number ([`prefix`]), so that most comparisons are one integer comparison.
#[derive(Debug)]
pub(crate) struct Names {
    /// Question indices in the order of their names.
    order: Vec<usize>,
    /// [position in `order`] → prefix of the name.
    keys: Vec<u64>,
    /// [question][option] → prefix of the code.
    codes: Vec<Vec<u64>>,
}

impl Names {
    pub(crate) fn new(q: &Questionnaire) -> Names {
        let mut order: Vec<usize> = (0..q.questions.len()).collect();
        order.sort_by(|&a, &b| q.questions[a].id.cmp(&q.questions[b].id));
        Names {
            keys: order.iter().map(|&i| prefix(&q.questions[i].id)).collect(),
            codes: q
                .questions
                .iter()
                .map(|qq| qq.options.iter().map(|o| prefix(&o.code)).collect())
                .collect(),
            order,
        }
    }
}

/// The first eight bytes of `s`, zero-padded, as a big-endian number: two strings whose prefixes
/// differ compare as their prefixes do (a shorter string is padded with zeros, which sort
/// first), so only equal prefixes need a full comparison.
fn prefix(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut w = [0u8; 8];
    let n = b.len().min(8);
    w[..n].copy_from_slice(&b[..n]);
    u64::from_be_bytes(w)
}

/// Whether `a` and `b`, with their [`prefix`]es, are the same string: without looking further
/// than the prefixes when they are at most eight bytes long.
#[inline]
fn same(ka: u64, a: &str, kb: u64, b: &str) -> bool {
    ka == kb && a.len() == b.len() && (a.len() <= 8 || a == b)
}

/// A record's answers looked up through its [`Slots`].
pub(crate) struct SlotLookup<'a, 'r> {
    pub(crate) rec: &'a RecordView<'r>,
    pub(crate) slots: &'a Slots,
}

impl Lookup for SlotLookup<'_, '_> {
    fn value(&self, qidx: usize, _: &str) -> Option<ValueRef<'_>> {
        self.slots.answer(self.rec, qidx)?.value.as_ref().map(|v| v.borrowed())
    }
}

#[cfg(test)]
mod tests;
