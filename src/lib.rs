//! anketa: an offline terminal interviewer for monitoring surveys.
//!
//! The chain is instrument → interview → merge → report. A questionnaire (JSON) is loaded and
//! checked. Interviews are conducted on laptops, and each interview is saved as one file. The
//! files of many laptops are merged into one data set with exports, and the report tabulates
//! that data set.
//!
//! The code has three layers, and calls go downwards only:
//! - `main.rs` parses the command line and calls one function of [`cmd`], the use cases. Each
//!   function returns a [`cmd::Done`] or a [`cmd::Error`], and their `exit_code` methods are the
//!   only mapping to the process's exit code.
//! - [`store`] is the only module that touches the file system, and [`tui`] is the only module
//!   that uses the terminal.
//! - The core is pure: it uses no file system, no terminal and no clock.
//!   - [`questionnaire`]: the validated model, loaded from JSON text together with all of its
//!     [`diag::Diagnostic`]s. It also produces the `anketa codebook` text. Expressions are
//!     parsed and evaluated in `expr`.
//!   - [`record`]: the interview file format (owned and borrowed records, the fast parser and
//!     the canonical writer). It holds [`record::fit`](mod@record::fit), the one rule for
//!     whether answers fit a questionnaire, and [`record::decode`], the one classifier of input
//!     files.
//!   - [`interview`]: relevance and checks ([`interview::logic`]), and the interviewer's state
//!     machine ([`interview::session`]).
//!   - [`seal`]: sealed interviews (age-encrypted to the supervisor's key) and key files.
//!   - [`simulate`]: generates plausible records deterministically.
//!   - `merge`: dedupe, conflicts, and the output plan.
//!   - `export`: CSV, the data set's codebook, and SPSS syntax.
//!   - `report`: tallies, statistical tests, and the renderers.
//!   - `file_names`: the names of the files and folders anketa writes; `csv_field`: the one CSV
//!     encoder.
//!   - [`import`]: XLSForm sheets converted to a questionnaire (the workbook is read in
//!     `store`).
//!   - [`diag`]: errors a user can act on. [`i18n`]: the UI language and the wording of
//!     messages.
//!
//! Only what the binary, the integration tests, the benches and the examples use is public. See
//! `docs/ARCHITECTURE.md`.

#![warn(missing_docs)]

pub mod cmd;
pub(crate) mod csv_field;
pub mod diag;
pub(crate) mod export;
pub(crate) mod expr;
pub(crate) mod file_names;
pub mod i18n;
pub mod import;
pub mod interview;
pub(crate) mod merge;
pub mod questionnaire;
pub mod record;
pub(crate) mod report;
pub mod seal;
pub mod simulate;
pub mod store;
pub mod tui;

#[cfg(test)]
mod test_support;
