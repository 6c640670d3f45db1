//! HTML (placeholder, filled in below).
use super::Report;
/// Renders the report as one self-contained HTML file.
pub fn render(r: &Report) -> String {
    super::md::render(r)
}
