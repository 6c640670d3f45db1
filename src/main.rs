//! The `anketa` command line: parses arguments and calls into the library.

use anketa::{codebook, store};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Offline terminal interviewer for monitoring surveys.
#[derive(Parser)]
#[command(name = "anketa", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Data directory (default: the platform's data dir; env ANKETA_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Interface language: ru (default) or en; remembered.
    #[arg(long, global = true, value_name = "LANG")]
    lang: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// The interviewer (the default when no command is given).
    Interview {
        /// Offer this questionnaire file too (repeatable).
        #[arg(long = "questionnaire", value_name = "PATH")]
        questionnaires: Vec<PathBuf>,
    },
    /// List the interviews of this data dir (unfinished ones; --all for every one).
    List {
        /// Include completed interviews.
        #[arg(long)]
        all: bool,
        /// Print a JSON array for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Validate questionnaire files; print a summary line per valid file, all errors otherwise.
    Check {
        /// Questionnaire JSON files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Print the variables of a questionnaire (a bundled id such as `nko`, `omsu`, or a path).
    Codebook {
        /// Bundled id or path.
        questionnaire: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Write simulated interview files, exactly as the interviewer would (training, demos, tests).
    Simulate {
        /// Questionnaire: a bundled id (`nko`, `omsu`, `demo`) or a path.
        #[arg(long, value_name = "Q")]
        questionnaire: String,
        /// Number of interviews.
        #[arg(long, value_name = "N")]
        count: u64,
        /// Output folder, laid out like a laptop's data dir (interviews/, questionnaires/).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Seed: the same seed gives the same files.
        #[arg(long, value_name = "S", default_value_t = 1)]
        seed: u64,
        /// Number of interviewers (each with their own laptop).
        #[arg(long, value_name = "K", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=999))]
        interviewers: u32,
        /// Share of interviews left in progress, from 0 to 1.
        #[arg(long, value_name = "P", default_value_t = 0.0)]
        incomplete_share: f64,
        /// JSON of target marginals: {"variable": {"code": weight, …}, …}.
        #[arg(long, value_name = "FILE")]
        weights: Option<PathBuf>,
    },
    /// Merge interview files from many laptops into one data set with CSV, codebook and SPSS syntax.
    Merge {
        /// Interview files, NDJSON files or folders (searched recursively), in any order.
        #[arg(required = true, value_name = "INPUT")]
        inputs: Vec<PathBuf>,
        /// Output folder (new, empty, or the output of an earlier merge).
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// A questionnaire file the interviews may need (repeatable); bundled ones are known.
        #[arg(long = "questionnaire", value_name = "PATH")]
        questionnaires: Vec<PathBuf>,
        /// Merge interviews still in progress too.
        #[arg(long)]
        include_incomplete: bool,
        /// CSV for Excel: UTF-8 BOM, `;` separators, decimal comma.
        #[arg(long)]
        excel: bool,
    },
    /// The note's tables (НКО | ОМСУ %, n, χ², p, Cramér's V) and fieldwork progress.
    Report(ReportArgs),
}

/// `anketa report`.
#[derive(clap::Args)]
struct ReportArgs {
    /// A merge output folder, an interviews.ndjson, or a folder of interview files (merged on the fly).
    #[arg(value_name = "INPUT")]
    input: PathBuf,
    /// Write the report here (atomically) instead of printing it.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Md)]
    format: ReportFormat,
    /// Group by a single-choice variable (default: the questionnaire, НКО vs ОМСУ).
    #[arg(long, value_name = "VAR")]
    by: Option<String>,
    /// Only interviews for which this expression holds, e.g. "${district} = 'kalachevsky'".
    #[arg(long = "where", value_name = "EXPR")]
    filter: Option<String>,
    /// Significance level.
    #[arg(long, value_name = "ALPHA", default_value_t = 0.05)]
    alpha: f64,
    /// Leave "don't know" / "refused" answers out of the bases and tests.
    #[arg(long)]
    exclude_missing: bool,
    /// Cross-tabulate two choice variables (row and column %, χ²).
    #[arg(long, num_args = 2, value_names = ["A", "B"])]
    cross: Option<Vec<String>>,
    /// Planned interviews per district and questionnaire: CSV (district,group,target) or JSON.
    #[arg(long, value_name = "FILE")]
    quota: Option<PathBuf>,
    /// A questionnaire file the interviews may need (repeatable); bundled ones are known.
    #[arg(long = "questionnaire", value_name = "PATH")]
    questionnaires: Vec<PathBuf>,
    /// When merging a folder on the fly, take interviews still in progress too.
    #[arg(long)]
    include_incomplete: bool,
    /// Benchmarks: only read and parse every record, print the count.
    #[arg(long, hide = true)]
    parse_only: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormat {
    Md,
    Html,
    Json,
    Csv,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Md,
    Csv,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => interview(cli.data_dir, cli.lang.as_deref(), &[]),
        Some(Command::Interview { questionnaires }) => interview(cli.data_dir, cli.lang.as_deref(), &questionnaires),
        Some(Command::List { all, json }) => list(cli.data_dir, all, json),
        Some(Command::Check { files }) => check(&files),
        Some(Command::Simulate {
            questionnaire,
            count,
            out,
            seed,
            interviewers,
            incomplete_share,
            weights,
        }) => simulate(
            &questionnaire,
            count,
            &out,
            seed,
            interviewers,
            incomplete_share,
            weights.as_deref(),
        ),
        Some(Command::Merge {
            inputs,
            out,
            questionnaires,
            include_incomplete,
            excel,
        }) => merge(store::MergeOptions {
            inputs,
            out,
            questionnaires,
            include_incomplete,
            excel,
        }),
        Some(Command::Report(args)) => report(args, cli.lang.as_deref()),
        Some(Command::Codebook { questionnaire, format }) => match store::resolve_questionnaire(&questionnaire) {
            Ok(q) => {
                let text = match format {
                    Format::Md => codebook::markdown(&q),
                    Format::Csv => codebook::csv(&q),
                };
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(errs) => report_errors(&errs),
        },
    }
}

fn interview(data_dir: Option<PathBuf>, lang: Option<&str>, extra: &[PathBuf]) -> ExitCode {
    use anketa::i18n::Lang;
    use std::sync::Arc;
    let dir = match store::DataDir::locate(data_dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let lang = match lang {
        Some(l) => match Lang::parse(l) {
            Some(l) => {
                let mut cfg = dir.config();
                cfg.lang = Some(l.code().to_string());
                let _ = dir.save_config(&cfg);
                l
            }
            None => {
                eprintln!("error: --lang {l}: unknown language; use ru or en");
                return ExitCode::from(2);
            }
        },
        None => dir.config().lang.as_deref().and_then(Lang::parse).unwrap_or_default(),
    };
    let mut catalog: Vec<Arc<anketa::questionnaire::Questionnaire>> = Vec::new();
    for (name, src) in anketa::questionnaire::BUNDLED {
        if let Ok(q) = anketa::questionnaire::load(name, src) {
            catalog.push(Arc::new(q));
        }
    }
    for p in extra {
        match store::load_questionnaire(p) {
            Ok(q) => catalog.push(Arc::new(q)),
            Err(errs) => return report_errors(&errs),
        }
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        eprintln!("error: the interviewer needs a terminal; for scripts use `anketa list`, `anketa check`, …");
        return ExitCode::from(2);
    }
    match anketa::tui::run(anketa::tui::Options { dir, catalog, lang }) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn list(data_dir: Option<PathBuf>, all: bool, json: bool) -> ExitCode {
    use anketa::interview::record::Status;
    let dir = match store::DataDir::locate(data_dir) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let mut known: Vec<std::sync::Arc<anketa::questionnaire::Questionnaire>> = anketa::questionnaire::BUNDLED
        .iter()
        .filter_map(|(n, s)| anketa::questionnaire::load(n, s).ok().map(std::sync::Arc::new))
        .collect();
    known.extend(dir.stored_questionnaires().into_iter().map(std::sync::Arc::new));
    let mut items = Vec::new();
    let mut bad = 0;
    for (path, r) in dir.list() {
        match r {
            Ok(rec) if all || rec.status == Status::InProgress => {
                items.push(anketa::tui::app::Item::new(
                    path,
                    rec,
                    &known,
                    &jiff::tz::TimeZone::system(),
                ));
            }
            Ok(_) => {}
            Err(e) => {
                bad += 1;
                eprintln!("error: {}: {e}", path.display());
            }
        }
    }
    items.sort_by(|a, b| b.rec.updated.cmp(&a.rec.updated).then(a.path.cmp(&b.path)));
    if json {
        let arr: Vec<serde_json::Value> = items
            .iter()
            .map(|it| {
                serde_json::json!({
                    "id": it.rec.id,
                    "path": it.path.display().to_string(),
                    "questionnaire": it.rec.questionnaire.id,
                    "version": it.rec.questionnaire.version,
                    "interviewer": it.rec.interviewer,
                    "status": it.rec.status,
                    "district": it.district,
                    "started": it.rec.started,
                    "updated": it.rec.updated,
                    "completed": it.rec.completed,
                    "revision": it.rec.revision,
                    "answered": it.progress.0,
                    "relevant": it.progress.1,
                    "position": it.rec.position,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&arr).unwrap_or_default());
    } else {
        for it in &items {
            println!(
                "{}  {:<11}  {:<6}  {:<18}  {:>3}/{:<3}  {}  {}",
                it.rec.updated,
                match it.rec.status {
                    Status::InProgress => "in_progress",
                    Status::Completed => "completed",
                },
                it.rec.questionnaire.id,
                it.district.as_deref().unwrap_or("—"),
                it.progress.0,
                it.progress.1,
                it.rec.interviewer,
                it.path.display()
            );
        }
    }
    if bad > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS }
}

fn report_errors(errs: &[anketa::diag::Diagnostic]) -> ExitCode {
    for e in errs {
        eprintln!("{e}");
    }
    ExitCode::from(2)
}

fn check(files: &[PathBuf]) -> ExitCode {
    let mut bad = 0;
    for f in files {
        if store::is_json_schema(f) {
            println!("skip: {}: a JSON Schema for editors, not a questionnaire", f.display());
            continue;
        }
        match store::load_questionnaire(f) {
            Ok(q) => {
                let mut by_type: std::collections::BTreeMap<&str, usize> = Default::default();
                for qq in &q.questions {
                    *by_type.entry(qq.kind.name()).or_default() += 1;
                }
                let types: Vec<String> = by_type.iter().map(|(k, v)| format!("{k} {v}")).collect();
                println!(
                    "ok: {}: {} v{}: {} blocks, {} questions ({})",
                    f.display(),
                    q.id,
                    q.version,
                    q.blocks.len(),
                    q.questions.len(),
                    types.join(", ")
                );
            }
            Err(errs) => {
                bad += 1;
                for e in &errs {
                    eprintln!("{e}");
                }
                eprintln!("{}: {} error(s)", f.display(), errs.len());
            }
        }
    }
    if bad == 0 { ExitCode::SUCCESS } else { ExitCode::from(2) }
}

/// A progress bar on stderr, drawn only when stderr is a terminal and there are many items.
struct Progress {
    pb: indicatif::ProgressBar,
    terminal: bool,
}

impl Progress {
    fn new(what: &'static str) -> Progress {
        use std::io::IsTerminal;
        let pb = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} ({eta} left)") {
            pb.set_style(style);
        }
        pb.set_message(what);
        Progress {
            pb,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Shows the bar once the work is known to be long (1000 items or more).
    fn update(&self, done: u64, total: u64) {
        if !self.terminal || total < 1000 {
            return;
        }
        if self.pb.length() != Some(total) {
            self.pb.set_length(total);
            self.pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        self.pb.set_position(done);
    }

    fn finish(&self) {
        self.pb.finish_and_clear();
    }
}

fn simulate(
    questionnaire: &str,
    count: u64,
    out: &std::path::Path,
    seed: u64,
    interviewers: u32,
    incomplete_share: f64,
    weights: Option<&std::path::Path>,
) -> ExitCode {
    use anketa::simulate::{Options, Simulator, parse_weights};
    use rayon::prelude::*;
    let q = match store::resolve_questionnaire(questionnaire) {
        Ok(q) => q,
        Err(errs) => return report_errors(&errs),
    };
    if !(0.0..=1.0).contains(&incomplete_share) {
        eprintln!("error: --incomplete-share {incomplete_share}: give a share from 0 to 1, e.g. 0.1");
        return ExitCode::from(2);
    }
    let weights = match weights {
        None => Default::default(),
        Some(p) => match store::read_text(p, 10 * 1024 * 1024)
            .map_err(|e| vec![e])
            .and_then(|s| parse_weights(&q, &s))
        {
            Ok(w) => w,
            Err(errs) => {
                for e in errs {
                    eprintln!("error: {}: {e}", p.display());
                }
                return ExitCode::from(2);
            }
        },
    };
    let sim = Simulator::new(
        &q,
        Options {
            seed,
            interviewers,
            incomplete_share,
            weights,
        },
    );
    let dir = store::DataDir::at(out);
    if let Err(e) = dir.ensure().and_then(|()| dir.keep_questionnaire(&q).map(drop)) {
        eprintln!("error: {}: {}", out.display(), store::io_reason(&e));
        return ExitCode::from(1);
    }
    let progress = Progress::new("simulating");
    let done = std::sync::atomic::AtomicU64::new(0);
    let saved = (0..count).into_par_iter().try_for_each(|n| {
        let rec = sim.record(n);
        dir.save(&rec).map_err(|e| (dir.interview_path(&rec), e))?;
        let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress.update(d, count);
        Ok::<(), (PathBuf, std::io::Error)>(())
    });
    progress.finish();
    if let Err((p, e)) = saved {
        eprintln!("error: {}: {}", p.display(), store::io_reason(&e));
        return ExitCode::from(1);
    }
    let incomplete = (0..count).filter(|&n| sim.is_incomplete(n)).count() as u64;
    println!(
        "wrote {count} interview(s) of `{}` version {} ({} completed, {incomplete} in progress) by {} interviewer(s) to {}",
        q.id,
        q.version,
        count - incomplete,
        sim.interviewers().len(),
        dir.interviews().display()
    );
    ExitCode::SUCCESS
}

fn merge(opts: store::MergeOptions) -> ExitCode {
    let bar = Progress::new("merging");
    let result = store::merge(&opts, &|done, total| bar.update(done, total));
    bar.finish();
    match result {
        Ok(report) => {
            print!("{}", report.summary(&opts.out.display().to_string()));
            if report.merged.values().sum::<usize>() > 0 {
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "error: nothing could be merged; the reasons are in {}",
                    opts.out.join(store::REPORT_FILE).display()
                );
                ExitCode::from(1)
            }
        }
        Err(store::MergeError::Usage(problems)) => {
            for p in problems {
                eprintln!("error: {p}");
            }
            ExitCode::from(2)
        }
        Err(store::MergeError::Output(m)) => {
            eprintln!("error: {m}; the merge did not finish (inputs are unchanged)");
            ExitCode::from(1)
        }
    }
}

/// `anketa report`: open the input, check the options against its questionnaires, stream the
/// interviews into tallies on every core, render, write.
fn report(a: ReportArgs, lang: Option<&str>) -> ExitCode {
    use anketa::i18n::Lang;
    use anketa::report::{self, Options, Plan, Tally};
    let lang = match lang {
        None => Lang::Ru,
        Some(l) => match Lang::parse(l) {
            Some(l) => l,
            None => {
                eprintln!("error: --lang {l}: unknown language; use ru or en");
                return ExitCode::from(2);
            }
        },
    };
    let (mut inp, catalog) = match store::open_report_input(&a.input, &a.questionnaires) {
        Ok(i) => i,
        Err(problems) => {
            for p in problems {
                eprintln!("error: {p}");
            }
            return ExitCode::from(2);
        }
    };
    let bar = Progress::new("reading");
    let progress = |done, total| bar.update(done, total);
    if a.parse_only {
        let counts = inp.stream(
            || 0u64,
            |n, _| {
                *n += 1;
                Ok(())
            },
            &progress,
        );
        bar.finish();
        let info = inp.info(counts.iter().sum());
        println!("parsed {} record(s), {} not readable", info.records, info.rejected);
        return ExitCode::SUCCESS;
    }
    let opts = Options {
        by: a.by,
        filter: a.filter,
        alpha: a.alpha,
        exclude_missing: a.exclude_missing,
        cross: a.cross.and_then(|v| match v.as_slice() {
            [x, y] => Some((x.clone(), y.clone())),
            _ => None,
        }),
        lang,
    };
    let qs = catalog.all().iter().map(|k| &k.q).collect();
    let mut plan = match Plan::new(qs, opts) {
        Ok(p) => p,
        Err(diags) => return report_errors(&diags),
    };
    let quota = match &a.quota {
        None => None,
        Some(p) => match store::read_quota(p)
            .map_err(|e| vec![e])
            .and_then(|t| report::parse_quota(&t, &plan))
        {
            Ok(q) => Some(q),
            Err(errs) => {
                for e in errs {
                    eprintln!("error: --quota {}: {e}", p.display());
                }
                return ExitCode::from(2);
            }
        },
    };
    inp.prepare(&catalog, a.include_incomplete, &progress);
    plan.set_conflicts(inp.merge.iter().flat_map(|m| m.conflict_ids.iter().cloned()));
    let mut total = plan.tally();
    for t in inp.stream(|| plan.tally(), |t: &mut Tally, rec| t.add(&plan, rec), &progress) {
        total.merge(t);
    }
    let info = inp.info(total.records());
    bar.finish();
    if info.rejected > 0 {
        eprintln!(
            "warning: {} record(s) not used (first: {})",
            info.rejected,
            info.rejected_examples
                .first()
                .map(|e| format!("{}: {}", e.path, e.reason))
                .unwrap_or_default()
        );
    }
    if info.records == 0 {
        eprintln!(
            "error: {}: no interviews to report on{}",
            a.input.display(),
            if info.rejected > 0 {
                " (every record was rejected; see above)"
            } else {
                ""
            }
        );
        return ExitCode::from(1);
    }
    let r = total.finish(&plan, info, quota.as_ref());
    let bytes: Vec<u8> = match a.format {
        ReportFormat::Md => report::md::render(&r).into_bytes(),
        ReportFormat::Html => report::html::render(&r).into_bytes(),
        ReportFormat::Json => report::json::render(&r),
        ReportFormat::Csv => report::csv::render(&r).into_bytes(),
    };
    match &a.out {
        Some(p) => {
            if let Err(e) = store::write_atomic(p, &bytes) {
                eprintln!("error: {}: {}", p.display(), store::io_reason(&e));
                return ExitCode::from(1);
            }
            let tables: usize = r.sections.iter().map(|s| s.questions.len()).sum();
            eprintln!(
                "wrote {} ({} interview(s), {} table(s))",
                p.display(),
                r.options.matched,
                tables
            );
        }
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            if out.write_all(&bytes).and_then(|()| out.flush()).is_err() {
                return ExitCode::from(1);
            }
        }
    }
    ExitCode::SUCCESS
}
