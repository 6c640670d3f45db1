//! Interviews: the rules applied to answers while interviewing, and the state machine of the
//! interviewer. (The file an interview is kept in is [`crate::record`].)
//!
//! Pure: no terminal, no file I/O. The state machine hands the store a
//! [`Record`](crate::record::Record) to persist and learns only whether it is durable.

pub mod editor;
pub mod logic;
pub mod session;
pub mod summary;

#[cfg(test)]
mod tests;
