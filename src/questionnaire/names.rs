//! [`Names`]: a questionnaire's variable names in sorted order, so that a record's answers
//! (sorted by variable, as every record keeps them) are joined with the questions in one pass.

use super::Question;

/// The questions in the order of their names, with the first eight bytes of each name and of
/// each option code as a number ([`prefix`]), so that most comparisons are one integer
/// comparison. Built once when a questionnaire is loaded; used by
/// [`record::fit`](crate::record::fit), which millions of answers go through in a report.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Question indices in the order of their names.
    pub order: Vec<usize>,
    /// [position in `order`] → prefix of the name.
    pub keys: Vec<u64>,
    /// [question][option] → prefix of the code.
    pub codes: Vec<Vec<u64>>,
}

impl Names {
    /// The index of `questions`.
    pub fn new(questions: &[Question]) -> Names {
        let mut order: Vec<usize> = (0..questions.len()).collect();
        order.sort_by(|&a, &b| questions[a].id.cmp(&questions[b].id));
        Names {
            keys: order.iter().map(|&i| prefix(&questions[i].id)).collect(),
            codes: questions
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
pub(crate) fn prefix(s: &str) -> u64 {
    let b = s.as_bytes();
    let mut w = [0u8; 8];
    let n = b.len().min(8);
    w[..n].copy_from_slice(&b[..n]);
    u64::from_be_bytes(w)
}

/// Whether `a` and `b`, with their [`prefix`]es, are the same string: without looking further
/// than the prefixes when they are at most eight bytes long.
#[inline]
pub fn same(ka: u64, a: &str, kb: u64, b: &str) -> bool {
    ka == kb && a.len() == b.len() && (a.len() <= 8 || a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_order_as_the_names_do() {
        let names = [
            "",
            "a",
            "a\u{0}",
            "a\u{0}b",
            "ab",
            "abcdefgh",
            "abcdefgh0",
            "abcdefgi",
            "b",
            "ё",
            "я",
        ];
        for x in names {
            for y in names {
                if prefix(x) != prefix(y) {
                    assert_eq!(prefix(x).cmp(&prefix(y)), x.cmp(y), "{x:?} {y:?}");
                }
                assert_eq!(same(prefix(x), x, prefix(y), y), x == y, "{x:?} {y:?}");
            }
        }
        assert_eq!(prefix("abcdefgh"), prefix("abcdefgh0"));
    }
}
