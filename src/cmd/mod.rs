//! The use cases: each command of the binary as a function that opens its inputs through
//! [`store`](crate::store), applies the pure rules of the core and writes its outputs, and says
//! how it ended as a value — [`Done`] or an [`Error`] — for `main` to turn into an exit code
//! ([`Error::exit_code`], the one mapping).
//!
//! Commands print to the `out` and `err` writers they are given (standard output and error in
//! the binary), so tests can run them without a process. Long work reports to a [`Progress`].

mod handin;
mod import;
mod interview;
mod keys;
mod list;
mod merge;
mod questionnaire;
mod report;
mod simulate;

pub use handin::handin;
pub use import::import;
pub use interview::interview;
pub use keys::{keygen, seal_to};
pub use list::list;
pub use merge::{MergeOptions, merge};
pub use questionnaire::{CodebookFormat, check, codebook};
pub use report::{ReportArgs, ReportFormat, report};
pub use simulate::{SimulateArgs, simulate};

use crate::diag::{Diagnostic, printable};
use crate::i18n::Lang;
use std::fmt;

/// How a command that ran to its end ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Done {
    /// Everything done: exit code 0.
    All,
    /// Done, but some inputs could not be read (listed on `err`): exit code 1.
    SomeUnreadable,
    /// Done, but some inputs are invalid (listed on `err`): exit code 2.
    SomeInvalid,
    /// A merge done, its outputs written, but some inputs rejected (listed on `err` and in its
    /// report): exit code 3.
    SomeRejected,
}

/// Why a command stopped.
#[derive(Debug)]
pub enum Error {
    /// Wrong arguments or unusable inputs, each a line (printed as `error: …`): exit code 2.
    Usage(Vec<String>),
    /// An invalid questionnaire or expression, with where and what (printed as they are): exit 2.
    Invalid(Vec<Diagnostic>),
    /// The work could not be done or finished (printed as `error: …`): exit code 1.
    Failed(String),
    /// Standard output was closed before everything was written: exit code 1, nothing printed.
    OutputClosed,
}

impl Error {
    /// The process exit code: 2 for what the user must fix in the command or its inputs, 1 for
    /// work that could not be done.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Usage(_) | Error::Invalid(_) => 2,
            Error::Failed(_) | Error::OutputClosed => 1,
        }
    }

    fn usage(line: impl Into<String>) -> Error {
        Error::Usage(vec![line.into()])
    }
}

impl Done {
    /// The process exit code.
    pub fn exit_code(self) -> u8 {
        match self {
            Done::All => 0,
            Done::SomeUnreadable => 1,
            Done::SomeInvalid => 2,
            Done::SomeRejected => 3,
        }
    }
}

impl fmt::Display for Error {
    /// The lines to print on standard error, each ending with a newline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Usage(lines) => lines.iter().try_for_each(|l| writeln!(f, "error: {}", printable(l))),
            Error::Invalid(diags) => diags.iter().try_for_each(|d| writeln!(f, "{d}")),
            Error::Failed(m) => writeln!(f, "error: {}", printable(m)),
            Error::OutputClosed => Ok(()),
        }
    }
}

impl From<Vec<Diagnostic>> for Error {
    fn from(d: Vec<Diagnostic>) -> Error {
        Error::Invalid(d)
    }
}

/// Progress of long work (files read, interviews simulated), shown by the binary.
pub trait Progress: Sync {
    /// `done` of `total` items.
    fn update(&self, done: u64, total: u64);
    /// The work is over: the display can go.
    fn finish(&self) {}
}

/// The `--lang` option: `None` when not given.
pub fn lang(arg: Option<&str>) -> Result<Option<Lang>, Error> {
    match arg {
        None => Ok(None),
        Some(l) => Lang::parse(l)
            .map(Some)
            .ok_or_else(|| Error::usage(format!("--lang {l}: unknown language; use ru or en"))),
    }
}

/// Writes to `out`, treating a closed output as [`Error::OutputClosed`].
fn emit(out: &mut dyn std::io::Write, bytes: &[u8]) -> Result<(), Error> {
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|_| Error::OutputClosed)
}
