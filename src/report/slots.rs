//! Per-record resolution: where each question's answer is in a record and which options it
//! chose ([`Slots::resolve`], once per record, through [`fit_into`] — the one rule of
//! whether a record fits its questionnaire), so that the tally reads answers by index.

use crate::interview::logic::Lookup;
use crate::questionnaire::Questionnaire;
#[cfg(doc)]
use crate::record;
#[cfg(doc)]
use crate::record::fit;
use crate::record::fit::fit_into;
use crate::record::{AnswerView, Misfit, RecordView, ValueRef};

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

    /// Fits the record to its questionnaire ([`record::fit`]), keeping where each answer is
    /// and the options it chose; the misfit when it does not fit.
    pub(crate) fn resolve(&mut self, q: &Questionnaire, rec: &RecordView<'_>) -> Result<(), Misfit> {
        let n = q.questions.len();
        self.answer.clear();
        self.answer.resize(n, Self::NONE);
        self.range.clear();
        self.range.resize(n, (0, 0));
        let (answer, range) = (&mut self.answer, &mut self.range);
        fit_into(q, rec, &mut self.chosen, |qidx, at, chosen| {
            answer[qidx] = at as u32;
            range[qidx] = (chosen.start as u32, chosen.end as u32);
        })
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
