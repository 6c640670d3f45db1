//! The integration-test binary: runs the real `anketa` executable against temp dirs.

mod cli;
mod crash;
mod engine;
mod import;
mod merge;
mod merge_faults;
mod report;
mod rosters;
mod sealed;
mod support;
mod tui;
