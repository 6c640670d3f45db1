//! `anketa merge`: many laptops' files → one clean data set with exports and a merge report.

use super::{Done, Error, Progress, emit};
use crate::store::{self, MergeError, MergeOptions};
use std::io::Write;

/// Runs a merge and prints its summary; nothing merged is a failure (exit code 1) whose reasons
/// are in the merge report.
pub fn merge(opts: &MergeOptions, progress: &dyn Progress, out: &mut dyn Write) -> Result<Done, Error> {
    let result = store::merge(opts, &|done, total| progress.update(done, total));
    progress.finish();
    let report = result.map_err(|e| match e {
        MergeError::Usage(problems) => Error::Usage(problems),
        MergeError::Output(m) => Error::Failed(format!("{m}; the merge did not finish (inputs are unchanged)")),
    })?;
    emit(out, report.summary(&opts.out.display().to_string()).as_bytes())?;
    if report.merged.values().sum::<usize>() == 0 {
        return Err(Error::Failed(format!(
            "nothing could be merged; the reasons are in {}",
            opts.out.join(store::REPORT_FILE).display()
        )));
    }
    Ok(Done::All)
}
