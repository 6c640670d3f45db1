//! anketa: an offline terminal interviewer for monitoring surveys.
//!
//! The chain is instrument → interview → merge → report:
//! - [`questionnaire`] loads and validates questionnaire JSON (with [`expr`], the XLSForm-style
//!   expression language of relevance and checks);
//! - [`codebook`] describes a questionnaire's variables;
//! - [`store`] is the only module that touches the file system.
//!
//! The core modules are pure: no terminal, no file I/O. See `docs/ARCHITECTURE.md`.

#![warn(missing_docs)]

pub mod cmd;
pub mod diag;
pub(crate) mod export;
pub(crate) mod expr;
pub(crate) mod file_names;
pub mod i18n;
pub mod interview;
pub(crate) mod merge;
pub mod questionnaire;
pub mod record;
pub(crate) mod report;
pub mod simulate;
pub mod store;
pub mod tui;
