//! `cloudward report KIND FILE`: one of the guide's documents, from an engagement file.

use std::io::Write;
use std::path::{Path, PathBuf};

use cloudward_domain::workflow::ExitRecord;
use cloudward_report::{Fonts, Format, Inputs, Kind, PdfError, kinds::Needs};

use crate::args::ReportArgs;
use crate::check_cmd::{evaluate, parse_date};
use crate::{Ctx, Failure};

pub fn run(ctx: &Ctx, args: &ReportArgs, format: &str, out: &mut dyn Write) -> Result<(), Failure> {
    if args.kind == "verify" {
        return verify(ctx, args, out);
    }
    let Some(kind) = Kind::parse(&args.kind) else {
        return Err(ctx.bad_value("KIND", &args.kind, &Kind::ids()));
    };
    let format = match format {
        // The global default: take the output file's extension, else PDF.
        "table" => args
            .output
            .as_deref()
            .and_then(|o| o.extension())
            .and_then(|e| Format::parse(&e.to_string_lossy().to_ascii_lowercase()))
            .unwrap_or(Format::Pdf),
        other => {
            Format::parse(other).ok_or_else(|| ctx.bad_value("--format", other, &Format::IDS))?
        }
    };
    let date = parse_date(ctx, args.date.as_deref())?;
    let templates = match &args.templates {
        Some(dir) => cloudward_report::templates::from_dir(dir),
        None => cloudward_report::templates::embedded(),
    }
    .map_err(|p| Failure::Input(ctx.problems_text(args.templates.as_deref(), &p)))?;
    let exit = match (kind.needs(), &args.exit) {
        (Needs::Exit, None) => {
            return Err(Failure::Input(
                ctx.tr("report.needs_exit", &[("kind", kind.id().to_owned())]),
            ));
        }
        (_, Some(path)) => Some(read_exit(ctx, path)?),
        (_, None) => None,
    };
    let (file, content, report) = evaluate(ctx, &args.file, date)?;
    let bytes = std::fs::read(&args.file)?;
    let version = cloudward_report::sha256(&bytes)[..12].to_owned();
    let inputs = Inputs {
        file: &file,
        report: &report,
        content: &content,
        messages: &ctx.messages,
        version,
        date,
        exit: exit.as_ref(),
        reference: None,
    };
    let doc = cloudward_report::build(kind, &templates, &inputs, ctx.lang).ok_or_else(|| {
        Failure::Input(ctx.tr("report.no_template", &[("kind", kind.id().to_owned())]))
    })?;
    let fonts = if format == Format::Pdf {
        Some(fonts(ctx, &args.font_dirs)?)
    } else {
        None
    };
    let rendered = cloudward_report::render(&doc, format, &templates.style, fonts.as_ref())
        .map_err(|e| {
            Failure::Input(ctx.tr("report.render_failed", &[("detail", e.to_string())]))
        })?;
    let sha = cloudward_report::sha256(&rendered);
    let target = match &args.output {
        Some(p) if p.as_os_str() == "-" => None,
        Some(p) => Some(p.clone()),
        None => Some(PathBuf::from(cloudward_report::file_name(&doc, format))),
    };
    match target {
        None => out.write_all(&rendered)?,
        Some(path) => {
            write_file(ctx, &path, &rendered)?;
            writeln!(
                out,
                "{}",
                ctx.tr(
                    "report.written",
                    &[
                        ("title", doc.title.clone()),
                        ("path", path.display().to_string()),
                        ("sha256", sha),
                    ],
                )
            )?;
        }
    }
    Ok(())
}

fn fonts(ctx: &Ctx, dirs: &[PathBuf]) -> Result<Fonts, Failure> {
    for d in dirs {
        if !d.is_dir() {
            return Err(Failure::Input(ctx.tr(
                "report.font_dir_missing",
                &[("dir", d.display().to_string())],
            )));
        }
    }
    Fonts::discover(dirs).map_err(|e| match e {
        PdfError::NoCjkFont { .. } => Failure::Input(ctx.t("report.no_cjk_font")),
        other => Failure::Input(other.to_string()),
    })
}

fn read_exit(ctx: &Ctx, path: &Path) -> Result<ExitRecord, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Input(ctx.tr(
            "input.unreadable",
            &[
                ("file", path.display().to_string()),
                ("detail", e.to_string()),
            ],
        ))
    })?;
    serde_saphyr::from_str::<ExitRecord>(&text).map_err(|e| {
        Failure::Input(ctx.tr(
            "report.bad_exit",
            &[
                ("file", path.display().to_string()),
                ("detail", e.to_string()),
            ],
        ))
    })
}

/// Writes through a temporary file beside the target, so a failed run leaves no half
/// document behind.
fn write_file(ctx: &Ctx, path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    let fail = |e: std::io::Error| {
        Failure::Input(ctx.tr(
            "report.unwritable",
            &[
                ("path", path.display().to_string()),
                ("detail", e.to_string()),
            ],
        ))
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.partial"));
    std::fs::write(&tmp, bytes).map_err(fail)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        fail(e)
    })
}

/// `cloudward report verify FILE`: asks the server whether FILE (by its SHA-256, which is
/// all that is sent) is a document it issued. Exit 0 when it is, 1 when not.
fn verify(ctx: &Ctx, args: &ReportArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let (Some(server), Some(token)) = (&args.server, &args.token) else {
        return Err(Failure::Input(ctx.t("report.verify_needs_server")));
    };
    let bytes = std::fs::read(&args.file).map_err(|e| {
        Failure::Input(ctx.tr(
            "input.unreadable",
            &[
                ("file", args.file.display().to_string()),
                ("detail", e.to_string()),
            ],
        ))
    })?;
    let sha = cloudward_report::sha256(&bytes);
    let url = format!(
        "{}/api/v1/documents/verify/{sha}",
        server.trim_end_matches('/')
    );
    let response = reqwest::blocking::Client::new()
        .get(&url)
        .bearer_auth(token)
        .header("accept-language", ctx.lang.code())
        .send()
        .map_err(|e| Failure::Input(format!("{url}: {e}")))?;
    let status = response.status();
    let body: serde_json::Value = response
        .json()
        .map_err(|e| Failure::Input(format!("{url}: {e}")))?;
    if !status.is_success() {
        let message = body["error"]["message"].as_str().unwrap_or("").to_owned();
        return Err(Failure::Input(format!("{url}: {status}: {message}")));
    }
    let d = &body["document"]["document"];
    if body["issued"].as_bool() != Some(true) {
        writeln!(
            out,
            "{}",
            ctx.tr(
                "report.not_issued",
                &[("file", args.file.display().to_string()), ("sha256", sha),],
            )
        )?;
        return Err(Failure::Failed);
    }
    let s = |k: &str| d[k].as_str().unwrap_or("").to_owned();
    writeln!(
        out,
        "{}",
        ctx.tr(
            "report.issued",
            &[
                ("file", args.file.display().to_string()),
                ("title", s("title")),
                ("engagement", s("engagement_name")),
                ("version", d["engagement_version"].to_string()),
                ("date", s("date")),
                (
                    "by",
                    d["issued_by_name"]
                        .as_str()
                        .map(str::to_owned)
                        .unwrap_or_else(|| s("issued_by")),
                ),
                ("at", s("issued_at")),
                ("sha256", sha),
            ],
        )
    )?;
    Ok(())
}
