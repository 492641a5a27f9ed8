//! The `cloudward` command: parses flags, calls the libraries, prints, sets the exit code.

mod args;
mod catalog_cmd;
mod check_cmd;
mod classify_cmd;
mod help;
mod oscal_cmd;
mod output;
mod report_cmd;
mod scan_cmd;
mod serve_cmd;

use std::io::Write;
use std::process::ExitCode;

use clap::FromArgMatches;
use cloudward_domain::Lang;
use cloudward_domain::i18n::Messages;
use cloudward_domain::load::Content;
use cloudward_domain::problem::Problem;

use crate::args::{Cli, Command};
use crate::output::Format;

// Scans allocate millions of small values; mimalloc handles that load markedly better
// than the system allocator (see bench/README.md). `cap` counts what is allocated, so
// that a server's scan worker can hold itself to its memory limit (`scan-worker`).
#[global_allocator]
static GLOBAL: cap::Cap<mimalloc::MiMalloc> = cap::Cap::new(mimalloc::MiMalloc, usize::MAX);

/// Caps what this process may allocate from now on at `bytes` more than it holds.
fn limit_memory(bytes: usize) -> std::io::Result<()> {
    GLOBAL
        .set_limit(GLOBAL.allocated().saturating_add(bytes))
        .map_err(|()| std::io::Error::other("the memory limit is below what is allocated"))
}

/// What went wrong, and so which exit status to use.
#[derive(Debug)]
pub enum Failure {
    /// Checks ran and failed (exit 1); the report is already printed.
    Failed,
    /// Bad usage or input (exit 2).
    Input(String),
    /// The request is refused on principle (exit 3).
    Refused(String),
}

impl From<std::io::Error> for Failure {
    fn from(err: std::io::Error) -> Self {
        Failure::Input(err.to_string())
    }
}

/// Resolved global settings every command uses.
#[derive(Debug)]
pub struct Ctx {
    pub lang: Lang,
    pub format: Format,
    pub messages: Messages,
    pub catalog_dir: Option<std::path::PathBuf>,
    /// `--frameworks-dir`: where imported frameworks are stored.
    pub frameworks_dir: Option<std::path::PathBuf>,
}

impl Ctx {
    pub fn t(&self, key: &str) -> String {
        self.messages.text(key, self.lang)
    }

    pub fn tr(&self, key: &str, args: &[(&str, String)]) -> String {
        self.messages.render(key, self.lang, args)
    }

    /// An "unknown value" usage error listing what is accepted.
    pub fn bad_value(&self, flag: &str, value: &str, accepted: &[&str]) -> Failure {
        Failure::Input(self.tr(
            "error.unknown_value",
            &[
                ("flag", flag.to_owned()),
                ("value", value.to_owned()),
                ("accepted", accepted.join(", ")),
            ],
        ))
    }

    /// The catalog to work on: `--catalog DIR` or the built-in one.
    pub fn content(&self) -> Result<Content, Failure> {
        let dir = self.catalog_dir.as_deref();
        let loaded = match dir {
            Some(d) => cloudward_content::load_dir(d),
            None => cloudward_content::embedded_content(),
        };
        loaded.map_err(|p| Failure::Input(self.problems_text(dir, &p)))
    }

    /// Problems of rule files (built-in or `--rules DIR`), with the paths they name.
    pub fn rule_problems(&self, problems: &[Problem]) -> String {
        let mut text = self.tr(
            "scan.rules_invalid",
            &[("count", problems.len().to_string())],
        );
        for p in problems {
            text.push_str("\n  ");
            text.push_str(&p.render(&self.messages, self.lang));
        }
        text
    }

    /// The problems of a content folder (`None`: the built-in one), one per line, with
    /// paths a terminal or editor can open.
    pub fn problems_text(&self, dir: Option<&std::path::Path>, problems: &[Problem]) -> String {
        let source = match dir {
            Some(d) => d.display().to_string(),
            None => self.t("catalog.embedded"),
        };
        let mut text = self.tr(
            "catalog.invalid",
            &[("source", source), ("count", problems.len().to_string())],
        );
        for p in problems {
            let mut p = p.clone();
            if let Some(d) = dir
                && !std::path::Path::new(&p.file).is_absolute()
            {
                p.file = d.join(&p.file).display().to_string();
            }
            text.push_str("\n  ");
            text.push_str(&p.render(&self.messages, self.lang));
        }
        text
    }
}

fn lang_from_env() -> Lang {
    // POSIX precedence: LC_ALL, then LC_MESSAGES, then LANG; empty values are skipped.
    let value = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|k| std::env::var(k).ok())
        .find(|v| !v.is_empty());
    Lang::from_locale(value.as_deref())
}

/// The output formats each command can write.
fn formats_of(command: &Command) -> &'static [&'static str] {
    match command {
        Command::Catalog(_)
        | Command::Classify(_)
        | Command::Responsibility { .. }
        | Command::Rules(_) => &["table", "json", "csv", "markdown", "html"],
        Command::Check(_) => &["table", "json", "markdown"],
        Command::Scan(_) => &["table", "json", "sarif", "junit", "markdown", "csv", "html"],
        Command::Schema { .. } => &["json"],
        Command::Init(_) => &["table"],
        Command::Serve(_) | Command::Admin(_) | Command::ScanWorker(_) => &["table"],
        Command::Push(_) => &["table", "json"],
        Command::Audit(_) => &["table", "json"],
        Command::Oscal(_) => &["table", "json", "csv", "markdown", "html"],
        // Its own formats (pdf, docx, html, markdown, xlsx, csv), read by report_cmd.
        Command::Report(_) => &["table", "html", "markdown", "csv"],
    }
}

fn run(cli: Cli, ctx: &Ctx, out: &mut dyn Write) -> Result<(), Failure> {
    let accepted = formats_of(&cli.command);
    // `table` is the default: commands without a table print their one format.
    if ctx.format != Format::Table && !accepted.contains(&ctx.format.id()) {
        return Err(ctx.bad_value("--format", ctx.format.id(), accepted));
    }
    match cli.command {
        Command::Catalog(cmd) => catalog_cmd::run(ctx, cmd, out),
        Command::Classify(args) => classify_cmd::run(ctx, &args, out),
        Command::Check(args) => check_cmd::check(ctx, &args, out),
        Command::Responsibility { file } => check_cmd::responsibility(ctx, &file, out),
        Command::Schema { what } => check_cmd::schema(ctx, &what, out),
        Command::Init(args) => check_cmd::init(ctx, &args, out),
        Command::Scan(args) => scan_cmd::run(ctx, &args, out),
        Command::Rules(cmd) => scan_cmd::rules_cmd(ctx, cmd, out),
        Command::Serve(args) => serve_cmd::serve(ctx, &args, out),
        Command::ScanWorker(args) => cloudward_server::scanning::worker_main(
            &args.dir,
            args.level.as_deref(),
            args.pack.as_deref(),
            args.memory_mb,
            args.cpu_seconds,
            &limit_memory,
            out,
        )
        .map_err(Failure::from),
        Command::Admin(cmd) => serve_cmd::admin(ctx, &cmd, out),
        Command::Audit(cmd) => serve_cmd::audit(ctx, &cmd, out),
        Command::Push(args) => serve_cmd::push(ctx, &args, out),
        Command::Oscal(cmd) => oscal_cmd::run(ctx, cmd, out),
        Command::Report(args) => report_cmd::run(ctx, &args, &cli.format, out),
    }
}

fn main() -> ExitCode {
    let messages = cloudward_content::messages();
    let env_lang = lang_from_env();
    let raw: Vec<String> = std::env::args().collect();
    let matches = help::command(help::lang_of(&raw, env_lang)).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    let lang = match cli.lang.as_deref() {
        None => env_lang,
        Some(value) => match Lang::parse(value) {
            Some(lang) => lang,
            None => {
                let msg = messages.render(
                    "error.unknown_value",
                    env_lang,
                    &[
                        ("flag", "--lang".into()),
                        ("value", value.into()),
                        ("accepted", "zh, en".into()),
                    ],
                );
                eprintln!("cloudward: {msg}");
                return ExitCode::from(2);
            }
        },
    };
    let mut ctx = Ctx {
        lang,
        format: Format::Table,
        messages,
        catalog_dir: cli.catalog.clone(),
        frameworks_dir: cli.frameworks_dir.clone(),
    };
    match Format::parse(&cli.format) {
        Some(format) => ctx.format = format,
        // `report` has formats of its own (pdf, docx …) and checks them itself.
        None if matches!(cli.command, Command::Report(_)) => {}
        None => {
            eprintln!(
                "cloudward: {}",
                msg_of(&ctx.bad_value("--format", &cli.format, &Format::IDS))
            );
            return ExitCode::from(2);
        }
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = run(cli, &ctx, &mut out);
    let flushed = out.flush();
    match result {
        Ok(()) => match flushed {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!(
                    "cloudward: {}",
                    ctx.tr("error.output", &[("detail", e.to_string())])
                );
                ExitCode::from(2)
            }
        },
        Err(Failure::Failed) => ExitCode::from(1),
        Err(Failure::Input(msg)) => {
            // A reader that went away (`| head`) is not an error of the user's.
            if msg.contains("Broken pipe") {
                return ExitCode::SUCCESS;
            }
            eprintln!("cloudward: {msg}");
            ExitCode::from(2)
        }
        Err(Failure::Refused(msg)) => {
            eprintln!("cloudward: {msg}");
            ExitCode::from(3)
        }
    }
}

fn msg_of(f: &Failure) -> &str {
    match f {
        Failure::Failed => "",
        Failure::Input(m) | Failure::Refused(m) => m,
    }
}
