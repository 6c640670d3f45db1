//! The `anketa` command line: parses arguments, runs the command ([`anketa::cmd`]) and turns how
//! it ended into an exit code.

use anketa::cmd::{self, Done, Error};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// Offline terminal interviewer for monitoring surveys.
/// `anketa --version`: the package version, and for a field build (dist/build.sh) the commit it
/// was built from.
const VERSION: &str = match option_env!("ANKETA_VERSION") {
    Some(v) => v,
    None => env!("CARGO_PKG_VERSION"),
};

#[derive(Parser)]
#[command(name = "anketa", version = VERSION, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Data directory (default: env ANKETA_DATA_DIR, else a folder anketa-data beside the program, else the platform's data dir).
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
        /// Offer this questionnaire file too: JSON, or an XLSForm (.xlsx, .xls, .ods, or pyxform's .csv or .md) taken as `import` converts it (repeatable).
        #[arg(long = "questionnaire", value_name = "PATH")]
        questionnaires: Vec<PathBuf>,
    },
    /// Hand the completed interviews of this laptop to a folder or USB stick for the supervisor
    /// (copied, never moved; each copy read back and checked; safe to repeat).
    Handin {
        /// The folder (a USB stick's root, say); the copies go to DIR/anketa-<device>/.
        dir: PathBuf,
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
    /// Convert an XLSForm (.xlsx, .xls, .ods: ODK, KoBoToolbox, SurveyCTO; or pyxform's .csv or .md) to a questionnaire JSON.
    Import {
        /// The XLSForm workbook.
        form: PathBuf,
        /// Write the questionnaire here (atomically) instead of printing it.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Treat every warning as an error: write nothing, exit 2.
        #[arg(long)]
        strict: bool,
    },
    /// Print the variables of a questionnaire (a bundled id such as `nko`, `omsu`, `projects`, or a path to a .json file or an XLSForm).
    Codebook {
        /// Bundled id or path.
        questionnaire: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Md)]
        format: Format,
    },
    /// Write simulated interview files, exactly as the interviewer would (training, demos, tests).
    Simulate(cmd::SimulateArgs),
    /// Merge interview files from many laptops into one data set with CSV, codebook and SPSS syntax.
    #[command(
        after_help = "Exit status: 0 when every input was merged or accounted for (duplicate, conflict, \
                            draft, discarded, ignored); 3 when some input was rejected, or sealed and not opened \
                            (the outputs are written, the rest kept under rejected/ and sealed/, listed on stderr and in \
                            merge-report.json); 2 for usage errors; 1 when the outputs could not be written (the \
                            previous outputs, or none, are left)."
    )]
    Merge(cmd::MergeOptions),
    /// The note's tables (НКО | ОМСУ %, n, χ², p, Cramér's V) and fieldwork progress.
    Report(ReportArgs),
    /// Make the supervisor's key pair for sealed interviews: NAME.key (secret: keep it, back it
    /// up, never put it on a laptop) and NAME.pub (public: give it to the laptops).
    Keygen {
        /// The files' name, without extension (NAME.key and NAME.pub; never overwritten).
        #[arg(long, value_name = "NAME")]
        out: PathBuf,
    },
    /// Seal the interviews completed on this laptop to these public keys (an `age1…` key or a
    /// .pub file of `anketa keygen`; repeatable). Without a key: show the setting.
    SealTo {
        /// Public keys or .pub files.
        #[arg(value_name = "RECIPIENT")]
        recipients: Vec<String>,
        /// Stop sealing on this laptop (the questionnaires' own `recipients` still apply).
        #[arg(long, conflicts_with = "recipients")]
        off: bool,
    },
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
    /// The supervisor's secret key file (`anketa keygen`), to open sealed interviews (repeatable).
    #[arg(long = "identity", value_name = "FILE")]
    identities: Vec<PathBuf>,
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
    let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr());
    // `--lang` is global but only the interviewer, `list` and the report speak: only they check it.
    let lang = cli.lang.as_deref();
    let result = match cli.command {
        None => cmd::interview(cli.data_dir, lang, &[]),
        Some(Command::Interview { questionnaires }) => cmd::interview(cli.data_dir, lang, &questionnaires),
        Some(Command::Handin { dir }) => cmd::handin(cli.data_dir, lang, &dir, &mut out),
        Some(Command::List { all, json }) => cmd::list(cli.data_dir, lang, all, json, &mut out, &mut err),
        Some(Command::Check { files }) => cmd::check(&files, &mut out, &mut err),
        Some(Command::Import {
            form,
            out: file,
            strict,
        }) => cmd::import(&form, file.as_ref(), strict, &mut out, &mut err),
        Some(Command::Codebook { questionnaire, format }) => {
            let format = match format {
                Format::Md => cmd::CodebookFormat::Md,
                Format::Csv => cmd::CodebookFormat::Csv,
            };
            cmd::codebook(&questionnaire, format, &mut out)
        }
        Some(Command::Keygen { out: name }) => cmd::keygen(&name, &mut out),
        Some(Command::SealTo { recipients, off }) => cmd::seal_to(cli.data_dir, &recipients, off, &mut out),
        Some(Command::Simulate(a)) => cmd::simulate(&a, &Bar::new("simulating"), &mut out),
        Some(Command::Merge(opts)) => cmd::merge(&opts, &Bar::new("merging"), &mut out, &mut err),
        Some(Command::Report(a)) => cmd::lang(lang).and_then(|lang| {
            let args = cmd::ReportArgs {
                input: a.input,
                out: a.out,
                format: match a.format {
                    ReportFormat::Md => cmd::ReportFormat::Md,
                    ReportFormat::Html => cmd::ReportFormat::Html,
                    ReportFormat::Json => cmd::ReportFormat::Json,
                    ReportFormat::Csv => cmd::ReportFormat::Csv,
                },
                by: a.by,
                filter: a.filter,
                alpha: a.alpha,
                exclude_missing: a.exclude_missing,
                cross: a.cross.and_then(|v| match v.as_slice() {
                    [x, y] => Some((x.clone(), y.clone())),
                    _ => None,
                }),
                quota: a.quota,
                questionnaires: a.questionnaires,
                identities: a.identities,
                include_incomplete: a.include_incomplete,
                parse_only: a.parse_only,
                lang: lang.unwrap_or(anketa::i18n::Lang::Ru),
            };
            cmd::report(args, &Bar::new("reading"), &mut out, &mut err)
        }),
    };
    exit(result)
}

/// The one mapping from how a command ended to the process's exit code (0 ok; 1 work not done
/// or inputs unreadable; 2 usage or invalid input), with the error printed on standard error.
fn exit(result: Result<Done, Error>) -> ExitCode {
    match result {
        Ok(done) => ExitCode::from(done.exit_code()),
        Err(e) => {
            eprint!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// A progress bar on stderr, drawn only when stderr is a terminal and there are many items.
struct Bar {
    pb: indicatif::ProgressBar,
    terminal: bool,
}

impl Bar {
    fn new(what: &'static str) -> Bar {
        use std::io::IsTerminal;
        let pb = indicatif::ProgressBar::with_draw_target(None, indicatif::ProgressDrawTarget::hidden());
        if let Ok(style) = indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} ({eta} left)") {
            pb.set_style(style);
        }
        pb.set_message(what);
        Bar {
            pb,
            terminal: std::io::stderr().is_terminal(),
        }
    }
}

impl cmd::Progress for Bar {
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
