//! JSON for scripts: the whole [`Report`] at full precision (format `anketa-report/1`, described
//! in `docs/report-format.md`). Numbers are written as the shortest decimal that reads back to
//! the same `f64`; a value that does not exist (a percentage of an empty base, a test that is not
//! valid) is `null`, never NaN.

use super::model::Report;

/// Renders the report as pretty JSON with a final newline.
pub fn render(r: &Report) -> Vec<u8> {
    let mut v = serde_json::to_vec_pretty(r).unwrap_or_default();
    v.push(b'\n');
    v
}
