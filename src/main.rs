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
                items.push(anketa::tui::app::Item::new(path, rec, &known));
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
