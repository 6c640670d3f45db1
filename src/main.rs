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
}

#[derive(Subcommand)]
enum Command {
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
        None => {
            use clap::CommandFactory;
            let _ = Cli::command().print_help();
            ExitCode::SUCCESS
        }
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

fn report_errors(errs: &[anketa::diag::Diagnostic]) -> ExitCode {
    for e in errs {
        eprintln!("{e}");
    }
    ExitCode::from(2)
}

fn check(files: &[PathBuf]) -> ExitCode {
    let mut bad = 0;
    for f in files {
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
