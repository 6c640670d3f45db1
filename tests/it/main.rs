//! The integration-test binary: runs the real `anketa` executable against temp dirs.

mod cli;
mod tui;
mod merge;
