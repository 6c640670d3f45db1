//! One answer seen through a borrow: [`AnswerRef`], [`ValueRef`], [`CodesRef`] — the same for an
//! owned [`Answer`] and a borrowed [`AnswerView`], so that code reading answers (a CSV row, the
//! fit of a record to its questionnaire) is written once for both.

use super::view::{AnswerView, Str, ValueView};
use super::{Answer, AnswerValue};
#[allow(unused_imports)]
use super::{Record, RecordView};
use crate::questionnaire::Question;

/// One answer seen through a borrow, the same for an [`Answer`] and an [`AnswerView`], so that
/// code reading answers (a CSV row, the checks of a merge) is written once for both.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct AnswerRef<'r> {
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
pub(crate) enum ValueRef<'r> {
    /// A number.
    Number(f64),
    /// A code, text or date.
    Text(&'r str),
    /// Codes of a multi choice.
    Codes(CodesRef<'r>),
}

/// The codes of a multi choice, from a [`Record`] or a [`RecordView`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum CodesRef<'r> {
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
    pub(crate) fn borrowed(&self) -> ValueRef<'_> {
        match self {
            AnswerValue::Number(n) => ValueRef::Number(*n),
            AnswerValue::Text(t) => ValueRef::Text(t),
            AnswerValue::Codes(cs) => ValueRef::Codes(CodesRef::Owned(cs)),
        }
    }
}

impl ValueView<'_> {
    /// The value through a borrow.
    pub(crate) fn borrowed(&self) -> ValueRef<'_> {
        match self {
            ValueView::Number(n) => ValueRef::Number(*n),
            ValueView::Text(t) => ValueRef::Text(t),
            ValueView::Codes(cs) => ValueRef::Codes(CodesRef::Borrowed(cs)),
        }
    }
}

impl Answer {
    /// The answer through a borrow.
    pub(crate) fn borrowed(&self) -> AnswerRef<'_> {
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
    pub(crate) fn borrowed(&self) -> AnswerRef<'_> {
        AnswerRef {
            value: self.value.as_ref().map(ValueView::borrowed),
            other: self.other.as_deref(),
            remark: self.remark.as_deref(),
            relevant: self.relevant,
        }
    }
}

impl<'r> AnswerRef<'r> {
    /// The "specify" text, counted only while one of the question's "other" options is chosen:
    /// the one rule the CSV export and the report share (a file may still carry the text of an
    /// "other" that was unchosen later; it is then no answer of this question).
    pub(crate) fn other_text(&self, qq: &Question) -> Option<&'r str> {
        self.other.filter(|_| self.other_chosen(qq))
    }

    /// Whether one of the question's "other" options is chosen.
    pub(crate) fn other_chosen(&self, qq: &Question) -> bool {
        let chosen = |code: &str| match self.value {
            Some(ValueRef::Text(c)) => c == code,
            Some(ValueRef::Codes(cs)) => cs.contains(code),
            _ => false,
        };
        qq.options.iter().any(|o| o.other && chosen(&o.code))
    }
}
