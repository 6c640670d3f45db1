//! `anketa report`: the analytical note's tables, straight from merged interviews.
//!
//! The chain is [`Plan`] (the questions of every instrument matched by variable name and codes,
//! the groups, the `--where` filter, checked against the questionnaires before any data is read)
//! → [`Tally`] (counts aggregated while the records stream past, one tally per worker, merged at
//! the end; only counts, a few numbers per group, durations and a bounded list of texts are
//! kept, so memory does not grow with the number of interviews) → [`Report`] (every table with
//! its bases, percentages and tests, language-neutral numbers plus the notes in words) → one of
//! the renderers: [`md`], [`html`], [`json`], [`csv`].
//!
//! Pure: no file I/O and no terminal. The store reads the inputs and hands records to the tally;
//! `cmd::report` runs the steps and writes the rendered bytes. See `docs/report-format.md`.
//!
//! Files, each using only those listed before it:
//! - `stats.rs`: χ², Fisher's exact test and Cramér's V on contingency tables.
//! - `model.rs`: the [`Report`] value and its parts, plain data.
//! - `fmt.rs`: numbers for people; `words.rs`: headings and notes in Russian and English.
//! - `questions.rs`: a question's report type; questions matched across questionnaires.
//! - `slots.rs`: where each answer of a record is, found once per record (`Slots::resolve`).
//! - `plan.rs`: [`Options`] and the [`Plan`] checked against the questionnaires.
//! - `quota.rs`: the `--quota` file.
//! - `fieldwork.rs`: fieldwork counters per interviewer, and the fieldwork section.
//! - `tally.rs`: a worker's [`Tally`]: [`Tally::add`] a record, [`Tally::merge`] tallies.
//! - `tables.rs`: [`Tally::finish`]: every table, test and note, the [`Report`].
//! - `render.rs`: what the renderers share; then the renderers `md.rs`, `html.rs` (with
//!   `html/escape.rs`, `html/chart.rs`), `json.rs`, `csv.rs`.

pub mod csv;
mod fieldwork;
mod fmt;
pub mod html;
pub mod json;
pub mod md;
mod model;
mod plan;
mod questions;
mod quota;
mod render;
mod slots;
pub mod stats;
mod tables;
mod tally;
mod words;

pub use model::{InputInfo, MergeInfo, PathReason, Report};
pub use plan::{Options, Plan};
pub use quota::{Quota, parse_quota};
pub use tally::Tally;

#[cfg(test)]
mod roster_tests;
#[cfg(test)]
mod tests;
