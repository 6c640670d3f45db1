//! `anketa report`: open the input, check the options against its questionnaires, stream the
//! interviews into tallies on every core, render, write.

use super::{Done, Error, Progress, emit};
use crate::diag::shown;
use crate::i18n::Lang;
use crate::merge::decide;
use crate::report::{self, MergeInfo, Options, Plan, Quota, Report, Tally};
use crate::store::{self, ReportInput};
use std::io::Write;
use std::path::PathBuf;

/// The formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// Markdown.
    Md,
    /// Self-contained HTML.
    Html,
    /// JSON.
    Json,
    /// CSV.
    Csv,
}

/// What to report on, and how.
#[derive(Debug, Clone)]
pub struct ReportArgs {
    /// A merge output folder, an NDJSON file, or a folder of interview files.
    pub input: PathBuf,
    /// Where to write (atomically); standard output if `None`.
    pub out: Option<PathBuf>,
    /// The format.
    pub format: ReportFormat,
    /// Group by this single-choice variable.
    pub by: Option<String>,
    /// Only interviews for which this expression holds.
    pub filter: Option<String>,
    /// Significance level.
    pub alpha: f64,
    /// Leave "don't know" / "refused" out of bases and tests.
    pub exclude_missing: bool,
    /// Cross-tabulate two variables.
    pub cross: Option<(String, String)>,
    /// Planned interviews (CSV or JSON).
    pub quota: Option<PathBuf>,
    /// Questionnaire files the interviews may need.
    pub questionnaires: Vec<PathBuf>,
    /// Secret key files that open sealed interviews (`--identity`).
    pub identities: Vec<PathBuf>,
    /// When merging a folder on the fly, take interviews in progress too.
    pub include_incomplete: bool,
    /// Benchmarks: only read and parse every record, print the count.
    pub parse_only: bool,
    /// The report's language.
    pub lang: Lang,
}

/// Runs a report; warnings (records not used) go to `err`.
pub fn report(a: ReportArgs, progress: &dyn Progress, out: &mut dyn Write, err: &mut dyn Write) -> Result<Done, Error> {
    let (mut inp, catalog) =
        store::open_report_input(&a.input, &a.questionnaires, &a.identities).map_err(Error::Usage)?;
    let update = |done, total| progress.update(done, total);
    if a.parse_only {
        let counts = inp.stream(
            || 0u64,
            |n, _| {
                *n += 1;
                Ok(())
            },
            &update,
        );
        progress.finish();
        let info = inp.info(counts.iter().sum());
        let line = format!("parsed {} record(s), {} not readable\n", info.records, info.rejected);
        emit(out, line.as_bytes())?;
        return Ok(Done::All);
    }
    let opts = Options {
        by: a.by,
        filter: a.filter,
        alpha: a.alpha,
        exclude_missing: a.exclude_missing,
        cross: a.cross,
        lang: a.lang,
    };
    let qs = catalog.all().iter().map(|k| &k.q).collect();
    let mut plan = Plan::new(qs, opts)?;
    let quota = match &a.quota {
        None => None,
        Some(p) => Some(quota(p, &plan)?),
    };
    if inp.needs_merge() {
        // A folder of interview files: merged on the fly by the merge's rules.
        let ex = inp.examine_all(&catalog, &update);
        let d = decide(&ex.entries, a.include_incomplete);
        let info = MergeInfo {
            sealed: ex.sealed,
            ..MergeInfo::on_the_fly(&ex.entries, &ex.drafts, &d, ex.rejected.len())
        };
        let winners = d
            .merged
            .iter()
            .map(|&i| (ex.entries[i].source, ex.entries[i].id))
            .collect();
        inp.set_merged(info, winners, &ex.rejected);
    }
    plan.set_conflicts(inp.merge.iter().flat_map(|m| m.conflict_ids.iter().cloned()));
    let r = tally(&mut inp, &plan, quota.as_ref(), &a.input, &update, progress, err)?;
    let bytes: Vec<u8> = match a.format {
        ReportFormat::Md => report::md::render(&r).into_bytes(),
        ReportFormat::Html => report::html::render(&r).into_bytes(),
        ReportFormat::Json => report::json::render(&r),
        ReportFormat::Csv => report::csv::render(&r).into_bytes(),
    };
    match &a.out {
        Some(p) => {
            store::write_atomic(p, &bytes)
                .map_err(|e| Error::Failed(format!("{}: {}", shown(p), store::io_reason(&e))))?;
            let tables: usize = r.sections.iter().map(|s| s.questions.len()).sum();
            let _ = writeln!(
                err,
                "wrote {} ({} interview(s), {} table(s))",
                shown(p),
                r.options.matched,
                tables
            );
        }
        None => emit(out, &bytes)?,
    }
    Ok(Done::All)
}

/// The `--quota` file, checked against the plan.
fn quota(p: &std::path::Path, plan: &Plan<'_>) -> Result<Quota, Error> {
    store::read_quota(p)
        .map_err(|e| vec![e])
        .and_then(|t| report::parse_quota(&t, plan))
        .map_err(|errs| Error::Usage(errs.iter().map(|e| format!("--quota {}: {e}", shown(p))).collect()))
}

/// Streams every record into tallies (one per core), merges them and finishes the report.
fn tally(
    inp: &mut ReportInput,
    plan: &Plan<'_>,
    quota: Option<&Quota>,
    input: &std::path::Path,
    update: &(dyn Fn(u64, u64) + Sync),
    progress: &dyn Progress,
    err: &mut dyn Write,
) -> Result<Report, Error> {
    let mut total = plan.tally();
    for t in inp.stream(|| plan.tally(), |t: &mut Tally, rec| t.add(plan, rec), update) {
        total.merge(t);
    }
    let info = inp.info(total.records());
    progress.finish();
    if info.rejected > 0 {
        let _ = writeln!(
            err,
            "warning: {} record(s) not used (first: {})",
            info.rejected,
            info.rejected_examples
                .first()
                .map(|e| format!("{}: {}", e.path, e.reason))
                .unwrap_or_default()
        );
    }
    let sealed = info.merge.as_ref().map_or(0, |m| m.sealed);
    if sealed > 0 {
        let _ = writeln!(
            err,
            "warning: {sealed} sealed interview(s) could not be opened and are not in the tables; give the supervisor's key with --identity FILE.key"
        );
    }
    if info.records == 0 {
        return Err(Error::Failed(format!(
            "{}: no interviews to report on{}",
            shown(input),
            if info.rejected > 0 || sealed > 0 {
                " (see above)"
            } else {
                ""
            }
        )));
    }
    Ok(total.finish(plan, info, quota))
}
