//! Writers for merged data: NDJSON, per-questionnaire CSV, a column codebook and SPSS/PSPP syntax.
//!
//! Pure: every function returns bytes; the store writes them (atomically). The CSV layout of a
//! questionnaire is computed once ([`Layout`]) and drives the header, the rows, the codebook and
//! the `.sps` file, so the four always agree. See `docs/merge-and-export.md` for the formats.

pub mod codebook;
pub mod csv;
pub mod spss;

pub use self::csv::{Column, ColumnKind, Layout, Meta};

use crate::record::Record;

/// One NDJSON line (the record as in its file, on one line) with its newline.
pub fn ndjson_line(rec: &Record) -> Vec<u8> {
    let mut v = rec.to_json_line();
    v.push(b'\n');
    v
}
