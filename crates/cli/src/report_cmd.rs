//! `cloudward report KIND FILE`: one of the guide's documents, from an engagement file.

use std::io::Write;
use std::path::{Path, PathBuf};

use cloudward_domain::workflow::ExitRecord;
use std::collections::BTreeMap;

use cloudward_report::subjects::{
    self, AssessmentInputs, EvidenceItem, RuleWords, ScanFile, ScanInputs,
};
use cloudward_report::supervision::{Supervision, SupervisionData};
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
    let doc = match kind.needs() {
        Needs::Assessment => assessment_document(ctx, args, &templates, date)?,
        Needs::Scan => scan_document(ctx, args, &templates, date)?,
        Needs::Engagement | Needs::Exit | Needs::Supervision => {
            let supervision = match (kind.needs(), &args.supervision) {
                (Needs::Supervision, None) => {
                    return Err(Failure::Input(ctx.tr(
                        "report.needs_supervision",
                        &[("kind", kind.id().to_owned())],
                    )));
                }
                (Needs::Supervision, Some(path)) => Some(read_supervision(ctx, path)?),
                _ => None,
            };
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
            let rules = match supervision {
                Some(_) => rule_words(ctx, &content)?,
                None => BTreeMap::new(),
            };
            let inputs = Inputs {
                file: &file,
                report: &report,
                content: &content,
                messages: &ctx.messages,
                version: file_version(&args.file)?,
                date,
                exit: exit.as_ref(),
                supervision: supervision.as_ref().map(|data| Supervision {
                    data,
                    rules: &rules,
                }),
                reference: None,
            };
            cloudward_report::build(kind, &templates, &inputs, ctx.lang)
        }
    }
    .ok_or_else(|| {
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

/// A file's version as documents state it: the first 12 hex digits of its SHA-256.
fn file_version(path: &Path) -> Result<String, Failure> {
    let bytes = std::fs::read(path)?;
    Ok(cloudward_report::sha256(&bytes)[..12].to_owned())
}

/// The assessment report from an assessment file; `--evidence DIR` gives the SHA-256 of
/// each evidence record that is a file of that name in DIR.
fn assessment_document(
    ctx: &Ctx,
    args: &ReportArgs,
    templates: &cloudward_report::Templates,
    date: chrono::NaiveDate,
) -> Result<Option<cloudward_report::Document>, Failure> {
    let a = crate::oscal_cmd::read_assessment(ctx, &args.file)?;
    let content = ctx.content()?;
    if let Some(dir) = &args.evidence
        && !dir.is_dir()
    {
        return Err(Failure::Input(ctx.tr(
            "report.evidence_dir_missing",
            &[("dir", dir.display().to_string())],
        )));
    }
    let mut ids: Vec<&String> = a.results.values().flat_map(|r| &r.evidence).collect();
    ids.sort();
    ids.dedup();
    let mut evidence = Vec::new();
    for id in ids {
        let file = args
            .evidence
            .as_ref()
            // Only a plain file name inside the folder, never a path out of it.
            .filter(|_| !id.contains(['/', '\\']) && id != ".." && id != ".")
            .map(|d| d.join(id))
            .filter(|p| p.is_file());
        let sha256 = match file {
            Some(p) => Some(cloudward_report::sha256(&std::fs::read(&p)?)),
            None => None,
        };
        evidence.push(EvidenceItem {
            id: id.clone(),
            name: id.clone(),
            sha256,
        });
    }
    let inputs = AssessmentInputs {
        offering: a.offering.clone(),
        provider: args.provider.clone().or_else(|| a.provider.clone()),
        claimed: None,
        assessed: None,
        assessor: a.assessor.clone(),
        conclusion: a.conclusion.as_ref(),
        results: &a.results,
        evidence,
        content: &content,
        messages: &ctx.messages,
        version: file_version(&args.file)?,
        date,
        reference: None,
    };
    Ok(subjects::assessment(templates, &inputs, ctx.lang))
}

/// The scan report from `cloudward scan --format json`, each rule in the reader's
/// language from the built-in rules (a rule of the user's keeps the words the JSON has).
fn scan_document(
    ctx: &Ctx,
    args: &ReportArgs,
    templates: &cloudward_report::Templates,
    date: chrono::NaiveDate,
) -> Result<Option<cloudward_report::Document>, Failure> {
    let path = &args.file;
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Input(ctx.tr(
            "input.unreadable",
            &[
                ("file", path.display().to_string()),
                ("detail", e.to_string()),
            ],
        ))
    })?;
    let scan: ScanFile = serde_json::from_str(&text).map_err(|e| {
        Failure::Input(ctx.tr(
            "report.bad_scan",
            &[
                (
                    "at",
                    format!("{}:{}:{}", path.display(), e.line(), e.column()),
                ),
                ("detail", e.to_string()),
            ],
        ))
    })?;
    let content = ctx.content()?;
    let rules = rule_words(ctx, &content)?;
    let subject = args.system.clone().unwrap_or_else(|| {
        scan.inputs
            .iter()
            .map(|i| i.path.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    });
    let inputs = ScanInputs {
        scan: &scan,
        rules: &rules,
        subject,
        content: &content,
        messages: &ctx.messages,
        version: file_version(path)?,
        date,
        reference: None,
    };
    Ok(subjects::scan(templates, &inputs, ctx.lang))
}

/// A scan's report as one HTML page, as `report scan-report --format html` writes it.
pub(crate) fn scan_html(ctx: &Ctx, scan: &ScanFile, json: &[u8]) -> Result<String, Failure> {
    let templates = cloudward_report::templates::embedded()
        .map_err(|p| Failure::Input(ctx.problems_text(None, &p)))?;
    let content = ctx.content()?;
    let rules = rule_words(ctx, &content)?;
    let inputs = ScanInputs {
        scan,
        rules: &rules,
        subject: scan
            .inputs
            .iter()
            .map(|i| i.path.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        content: &content,
        messages: &ctx.messages,
        version: cloudward_report::sha256(json)[..12].to_owned(),
        date: chrono::Local::now().date_naive(),
        reference: None,
    };
    let doc = subjects::scan(&templates, &inputs, ctx.lang).ok_or_else(|| {
        Failure::Input(ctx.tr("report.no_template", &[("kind", "scan-report".to_owned())]))
    })?;
    Ok(cloudward_report::html::render(&doc))
}

/// The built-in rules' titles and remediation in both languages.
fn rule_words(
    ctx: &Ctx,
    content: &cloudward_domain::load::Content,
) -> Result<BTreeMap<String, RuleWords>, Failure> {
    Ok(crate::scan_cmd::builtin_rules(ctx, content)?
        .into_iter()
        .map(|r| {
            (
                r.id.clone(),
                RuleWords {
                    title: r.title.clone(),
                    remediation: r.remediation.text.clone(),
                },
            )
        })
        .collect())
}

/// The supervision data of `supervision-report`: JSON (as the server answers) or YAML.
fn read_supervision(ctx: &Ctx, path: &Path) -> Result<SupervisionData, Failure> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Input(ctx.tr(
            "input.unreadable",
            &[
                ("file", path.display().to_string()),
                ("detail", e.to_string()),
            ],
        ))
    })?;
    let data: SupervisionData = serde_saphyr::from_str(&text).map_err(|e| {
        Failure::Input(ctx.tr(
            "report.bad_supervision",
            &[
                ("file", path.display().to_string()),
                ("detail", e.to_string()),
            ],
        ))
    })?;
    if data.to < data.from {
        return Err(Failure::Input(ctx.tr(
            "report.bad_supervision",
            &[
                ("file", path.display().to_string()),
                ("detail", ctx.t("report.period_backwards")),
            ],
        )));
    }
    Ok(data)
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
