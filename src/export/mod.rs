//! Writers for merged data: per-questionnaire CSV, a column codebook and SPSS/PSPP syntax (the
//! NDJSON line is the record's canonical serialisation, [`crate::record`]).
//!
//! Pure: every function returns bytes; the store writes them (atomically). The CSV layout of a
//! questionnaire is computed once ([`Layout`]) and drives the header, the rows, the codebook and
//! the `.sps` file, so the four always agree. See `docs/merge-and-export.md` for the formats.

pub mod codebook;
pub mod csv;
pub mod spss;

pub use self::csv::Layout;
