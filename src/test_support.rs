//! What the unit tests share.

/// Asserts that `text` holds each of `parts` (showing it otherwise).
pub(crate) fn has_all(text: &str, parts: &[&str]) {
    for p in parts {
        assert!(text.contains(p), "lacks {p:?}:\n{text}");
    }
}
