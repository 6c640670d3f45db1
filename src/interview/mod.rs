//! Interviews: the stored record, the rules applied to answers, and the state machine of the
//! interviewer.
//!
//! Pure: no terminal, no file I/O. The state machine hands the store a [`record::Record`] to
//! persist and learns only whether it is durable.

pub mod editor;
pub mod logic;
pub use crate::record;
pub mod session;

#[cfg(test)]
mod tests;
