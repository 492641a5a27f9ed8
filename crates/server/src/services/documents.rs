//! Documents the server issues: one of the guide's documents made from the engagement as
//! the server holds it (its file, its exit record), as PDF or DOCX, kept as a blob and
//! recorded as the lifecycle output it is — the evidence record, the `document` record
//! and the engagement's new outputs written in one transaction, so the audit log has
//! them together. A document's record id comes from its SHA-256, so that anyone who can
//! see the engagement can ask whether a file is a document the server issued
//! ([`verify`]), and the same data and date give the same document.

use chrono::NaiveDate;
use cloudward_domain::Lang;
use cloudward_domain::check::{self, CheckError};
use cloudward_domain::engagement::OutputRecord;
use cloudward_report::{Format, Inputs, Kind, kinds::Needs};
use cloudward_store::{NewRecord, RecordFilter};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::auth::Principal;
use crate::authz::Action;
use crate::blobs::read_blob;
use crate::error::{ApiError, ApiResult};
use crate::services::engagements::export_text;
use crate::services::records::{HELD, with_held_outputs};
use crate::services::support::{acting, invalid, parse_data, to_value, today};

/// What a document the server issued is, for its page, its download and `verify`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DocumentData {
    /// The kind (`decision-report`, `contract-annex`, …).
    pub kind: String,
    /// The lifecycle output it is recorded as.
    pub output: String,
    /// `pdf` or `docx`.
    pub format: String,
    /// `zh` or `en`.
    pub lang: String,
    pub title: String,
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    /// A readable file name in the document's language.
    pub file_name: String,
    /// The engagement's version the document was made from.
    pub engagement_version: i64,
    pub engagement_name: String,
    /// The date the document speaks for.
    #[schema(value_type = String, format = Date)]
    pub date: NaiveDate,
    /// Who issued it (user id or `token:ID`), and its user name when a person did.
    pub issued_by: String,
    pub issued_by_name: Option<String>,
    pub issued_at: String,
    /// The evidence record that holds the file as the output (empty for a document made
    /// on request, whose file is kept as a blob by its SHA-256).
    pub evidence_id: String,
    /// An assessment report: the assessment it was made from (then `engagement_version`
    /// and `engagement_name` are the assessment's version and the offering's name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assessment_id: Option<String>,
    /// A scan report: the scan run it was made from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan_run_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DocumentView {
    pub id: String,
    pub engagement_id: String,
    pub document: DocumentData,
}

/// What to issue.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueInput {
    /// The kind: classification-record, requirement-analysis, decision-report, exit-plan,
    /// capability-requirement, contract-annex, supervision-report, data-scope-list,
    /// handover-verification, deletion-confirmation or closure-record.
    pub kind: String,
    /// `pdf` (the default) or `docx`.
    #[serde(default)]
    pub format: Option<String>,
    /// `zh` or `en`; the caller's language by default.
    #[serde(default)]
    pub lang: Option<String>,
    /// YYYY-MM-DD; today by default.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub date: Option<NaiveDate>,
    /// `supervision-report`: the first day of the period (YYYY-MM-DD) [default: 89 days
    /// before `to`].
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub from: Option<NaiveDate>,
    /// `supervision-report`: the last day of the period [default: the date].
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub to: Option<NaiveDate>,
}

/// The formats the server issues: the ones people sign and keep.
pub const FORMATS: [&str; 2] = ["pdf", "docx"];

/// The id of the record of a document with these bytes' hash.
pub fn record_id(sha256: &str) -> String {
    format!("doc-{sha256}")
}

fn view(r: &cloudward_store::Record) -> ApiResult<DocumentView> {
    Ok(DocumentView {
        id: r.id.clone(),
        engagement_id: r.engagement_id.clone().unwrap_or_default(),
        document: parse_data(r)?,
    })
}

/// A kind made from an engagement, or the refusal that lists them.
fn engagement_kind(asked: &str) -> ApiResult<Kind> {
    Kind::parse(asked.trim())
        .filter(|k| k.of_engagement())
        .ok_or_else(|| {
            invalid("api.unknown_document")
                .arg("field", "kind")
                .arg("value", asked)
                .arg("accepted", Kind::engagement_ids().join(", "))
        })
}

/// The document of `kind` made from engagement `e` (loaded by the caller) as it is now,
/// checked on `date`; with its exit record, or the supervision of `period`, when the kind
/// needs them. Returns the engagement file too.
async fn engagement_document(
    state: &AppState,
    e: &cloudward_store::Engagement,
    kind: Kind,
    lang: Lang,
    date: NaiveDate,
    period: (Option<NaiveDate>, Option<NaiveDate>),
) -> ApiResult<(
    cloudward_domain::engagement::EngagementFile,
    cloudward_report::Document,
)> {
    let (file, text) = export_text(e)?;
    let report = match check::check(&file, &text, &state.content, date) {
        Ok(r) => r,
        Err(CheckError::Classified) => return Err(invalid("check.refused")),
        Err(CheckError::Invalid(_)) => {
            return Err(invalid("api.document_unchecked").arg("field", "kind"));
        }
    };
    let exit = match kind.needs() {
        Needs::Exit => Some(
            crate::services::lifecycle::exit_record(state, e)
                .await?
                .map(|(_, x)| x)
                .ok_or_else(|| invalid("api.document_needs_exit").arg("field", "kind"))?,
        ),
        Needs::Engagement | Needs::Supervision | Needs::Assessment | Needs::Scan => None,
    };
    let supervision = match kind.needs() {
        Needs::Supervision => {
            let (from, to) = crate::services::posture::period(period.0, period.1, date)?;
            Some(crate::services::posture::supervision_data(state, e, from, to).await?)
        }
        _ => None,
    };
    let rules = match supervision {
        Some(_) => crate::scanning::builtin_rule_words(),
        None => Default::default(),
    };
    let inputs = Inputs {
        file: &file,
        report: &report,
        content: &state.content,
        messages: &state.messages,
        version: e.version.to_string(),
        date,
        exit: exit.as_ref(),
        supervision: supervision
            .as_ref()
            .map(|data| cloudward_report::supervision::Supervision {
                data,
                rules: &rules,
            }),
        reference: Some(e.id.clone()),
    };
    let doc = cloudward_report::build(kind, &state.documents.templates, &inputs, lang)
        .ok_or_else(ApiError::internal)?;
    Ok((file, doc))
}

/// The tables of an engagement's document for Excel users (XLSX: a sheet per table; CSV
/// with a byte-order mark) — the matrix and contract checklist of the contract annex, the
/// risk register of the decision report, the requirement analysis, … — for those who see
/// the engagement. Not a document to sign: made on request, not recorded.
pub async fn tables(
    state: &AppState,
    p: &Principal,
    id: &str,
    kind: &str,
    q: DocumentQuery,
    caller_lang: Lang,
) -> ApiResult<Rendered> {
    let e = crate::services::engagements::engagement(state, p, id, Action::DocumentTables).await?;
    let kind = engagement_kind(kind)?;
    let format = crate::services::support::table_format(q.format.as_deref())?;
    let (_, lang) = format_and_lang(None, q.lang.as_deref(), caller_lang)?;
    let date = q.date.unwrap_or_else(today);
    let (_, doc) = engagement_document(state, &e, kind, lang, date, (None, None)).await?;
    let style = state.documents.templates.style.clone();
    let bytes =
        cloudward_report::render(&doc, format, &style, None).map_err(ApiError::internal_from)?;
    Ok(Rendered {
        file_name: cloudward_report::file_name(&doc, format),
        format,
        bytes,
    })
}

/// Makes the document `input` asks for from engagement `id` and records it as its output.
/// `true` with a new document; `false` when the same bytes were issued before (that
/// document is returned, nothing is written).
pub async fn issue(
    state: &AppState,
    p: &Principal,
    id: &str,
    input: IssueInput,
    caller_lang: Lang,
) -> ApiResult<(DocumentView, bool)> {
    let (e, _) = acting(state, p, id, Action::DocumentIssue).await?;
    let kind = engagement_kind(&input.kind)?;
    let (format, lang) =
        format_and_lang(input.format.as_deref(), input.lang.as_deref(), caller_lang)?;
    let date = input.date.unwrap_or_else(today);
    let (file, doc) =
        engagement_document(state, &e, kind, lang, date, (input.from, input.to)).await?;
    let bytes = render(state, &doc, format).await?;
    let sha = cloudward_report::sha256(&bytes);
    let doc_id = record_id(&sha);
    if let Some(existing) = state.store.get_record("document", &doc_id).await? {
        // The same data and date made the same bytes: that document stands.
        return Ok((view(&existing)?, false));
    }
    let file_name = cloudward_report::file_name(&doc, format);
    // Every kind made from an engagement is one of its outputs.
    let output = kind.output().unwrap_or(kind.id());
    let new = crate::services::evidence::NewEvidence {
        target_kind: "output".into(),
        target: output.to_owned(),
        name: file_name.clone(),
        effective_date: Some(date),
    };
    let size = i64::try_from(bytes.len()).map_err(ApiError::internal_from)?;
    let (evidence, _) =
        crate::services::evidence::evidence_record(state, p, &e, new, bytes).await?;
    let evidence_id = cloudward_store::new_id();
    let evidence = evidence.with_id(evidence_id.clone());
    let data = DocumentData {
        kind: kind.id().to_owned(),
        output: output.to_owned(),
        format: format.extension().to_owned(),
        lang: lang.code().to_owned(),
        title: doc.title.clone(),
        sha256: sha,
        size,
        media_type: format.media_type().to_owned(),
        file_name,
        engagement_version: e.version,
        engagement_name: file.name.clone(),
        date,
        issued_by: p.actor.id.clone(),
        issued_by_name: p.username.clone(),
        issued_at: cloudward_store::stamp(cloudward_store::now()),
        evidence_id: evidence_id.clone(),
        assessment_id: None,
        scan_run_id: None,
    };
    let record = NewRecord::new("document", p.org()?.id.clone(), to_value(&data)?)
        .of_engagement(e.id.clone())
        .with_id(doc_id.clone());
    let mut file = file;
    file.lifecycle.outputs.insert(
        output.to_owned(),
        OutputRecord {
            reference: format!("{HELD}evidence/{evidence_id}"),
            date: Some(date),
        },
    );
    let file = with_held_outputs(&state.content, &file);
    let engagement_data = crate::services::lifecycle::data_of(state, &file, e.parties.clone())?;
    state
        .store
        .update_engagement_with(
            &p.actor,
            &e.id,
            e.version,
            engagement_data,
            vec![evidence, record],
            Vec::new(),
        )
        .await?;
    Ok((
        DocumentView {
            id: doc_id,
            engagement_id: e.id,
            document: data,
        },
        true,
    ))
}

/// The documents issued for engagement `id`, oldest first.
pub async fn list(state: &AppState, p: &Principal, id: &str) -> ApiResult<Vec<DocumentView>> {
    let e = crate::services::engagements::engagement(state, p, id, Action::DocumentList).await?;
    state
        .store
        .list_records("document", &RecordFilter::engagement(&e.id))
        .await?
        .iter()
        .map(view)
        .collect()
}

/// A document for download: its view and bytes (for those who see its engagement).
pub async fn download(
    state: &AppState,
    p: &Principal,
    id: &str,
) -> ApiResult<(DocumentView, Vec<u8>)> {
    let r = crate::services::engagements::record_of(state, "document", id).await?;
    // An assessment report: seen by those who may make it.
    if let Some(r) = &r
        && let Ok(d) = parse_data::<DocumentData>(r)
        && let Some(aid) = &d.assessment_id
    {
        crate::services::assessments::assessment_access(state, p, aid, Action::AssessmentReport)
            .await?;
        let v = view(r)?;
        let (_, bytes) = read_blob(state, &v.document.sha256).await?;
        return Ok((v, bytes));
    }
    // Seen by those who see its engagement; no document, no engagement to see.
    let of = r
        .as_ref()
        .and_then(|r| r.engagement_id.clone())
        .unwrap_or_default();
    crate::services::engagements::engagement(state, p, &of, Action::DocumentDownload).await?;
    let r = r.ok_or_else(ApiError::not_found)?;
    let v = view(&r)?;
    let (_, bytes) = read_blob(state, &v.document.sha256).await?;
    Ok((v, bytes))
}

/// Whether a file with this SHA-256 is a document the server issued for an engagement
/// the caller can see: the document's record, or `None` (not issued, or issued for an
/// engagement the caller does not see — the two are not told apart).
pub async fn verify(
    state: &AppState,
    p: &Principal,
    sha256: &str,
) -> ApiResult<Option<DocumentView>> {
    p.may(Action::DocumentVerify, crate::authz::Rel::Unscoped)?;
    let sha = sha256.trim().to_ascii_lowercase();
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid("api.bad_sha256").arg("field", "sha256"));
    }
    let Some(r) = state.store.get_record("document", &record_id(&sha)).await? else {
        return Ok(None);
    };
    let seen = match parse_data::<DocumentData>(&r)?.assessment_id {
        Some(aid) => crate::services::assessments::assessment_access(
            state,
            p,
            &aid,
            Action::AssessmentReport,
        )
        .await
        .map(|_| ()),
        None => {
            let of = r.engagement_id.clone().unwrap_or_default();
            crate::services::engagements::engagement(state, p, &of, Action::DocumentDownload)
                .await
                .map(|_| ())
        }
    };
    match seen {
        Ok(_) => Ok(Some(view(&r)?)),
        Err(e)
            if e.status == axum::http::StatusCode::NOT_FOUND
                || e.status == axum::http::StatusCode::FORBIDDEN =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// How to make a document on request: `GET /api/v1/assessments/{id}/report`, `GET
/// /api/v1/scans/{id}/document`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct DocumentQuery {
    /// `pdf` (the default) or `docx`.
    #[serde(default)]
    pub format: Option<String>,
    /// `zh` or `en`; the caller's language by default.
    #[serde(default)]
    pub lang: Option<String>,
    /// YYYY-MM-DD; today by default.
    #[serde(default)]
    #[param(value_type = Option<String>, format = Date)]
    pub date: Option<NaiveDate>,
}

/// A rendered document: its readable file name, media type and bytes.
#[derive(Debug)]
pub struct Rendered {
    pub file_name: String,
    pub format: Format,
    pub bytes: Vec<u8>,
}

fn format_and_lang(
    format: Option<&str>,
    lang: Option<&str>,
    caller_lang: Lang,
) -> ApiResult<(Format, Lang)> {
    let format_id = format.unwrap_or("pdf");
    let format = Format::parse(format_id)
        .filter(|f| matches!(f, Format::Pdf | Format::Docx))
        .ok_or_else(|| {
            invalid("api.unknown_value")
                .arg("field", "format")
                .arg("value", format_id)
                .arg("accepted", FORMATS.join(", "))
        })?;
    let lang = match lang {
        None => caller_lang,
        Some(l) => Lang::parse(l).ok_or_else(|| {
            invalid("api.unknown_value")
                .arg("field", "lang")
                .arg("value", l)
                .arg("accepted", "zh, en")
        })?,
    };
    Ok((format, lang))
}

/// Lays a document out as PDF or DOCX, on a thread for CPU work, one a core at a time.
async fn render(
    state: &AppState,
    doc: &cloudward_report::Document,
    format: Format,
) -> ApiResult<Vec<u8>> {
    let fonts = if format == Format::Pdf {
        Some(state.documents.fonts().map_err(|_| {
            ApiError::new(
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "no_cjk_font",
                "api.no_cjk_font",
            )
        })?)
    } else {
        None
    };
    let style = state.documents.templates.style.clone();
    let doc = doc.clone();
    // At most one document a core at a time; the others wait their turn.
    let _turn = state
        .documents
        .typesetting
        .acquire()
        .await
        .map_err(ApiError::internal_from)?;
    tokio::task::spawn_blocking(move || {
        cloudward_report::render(&doc, format, &style, fonts.as_ref())
    })
    .await
    .map_err(ApiError::internal_from)?
    .map_err(ApiError::internal_from)
}

/// What a document made on request is of.
struct OnRequest<'a> {
    kind: Kind,
    /// The engagement (a scan report) or none (an assessment report).
    engagement_id: Option<&'a str>,
    /// The assessment (an assessment report).
    assessment_id: Option<&'a str>,
    scan_run_id: Option<&'a str>,
    /// The version and the name of what it was made from.
    version: i64,
    name: String,
    date: NaiveDate,
    lang: Lang,
}

/// Keeps a document made on request as the server's: its file as a blob, its `document`
/// record (keyed by the SHA-256, so `verify` knows it) written to the audit log. The same
/// bytes made again are recorded once.
async fn record_on_request(
    state: &AppState,
    p: &Principal,
    doc: &cloudward_report::Document,
    rendered: &Rendered,
    of: OnRequest<'_>,
) -> ApiResult<()> {
    let sha = cloudward_report::sha256(&rendered.bytes);
    let doc_id = record_id(&sha);
    if state.store.get_record("document", &doc_id).await?.is_some() {
        return Ok(());
    }
    let (_, size) = crate::blobs::keep_blob(
        state,
        p,
        of.engagement_id,
        rendered.bytes.clone(),
        rendered.format.media_type(),
    )
    .await?;
    let data = DocumentData {
        kind: of.kind.id().to_owned(),
        output: of.kind.output().unwrap_or_default().to_owned(),
        format: rendered.format.extension().to_owned(),
        lang: of.lang.code().to_owned(),
        title: doc.title.clone(),
        sha256: sha,
        size,
        media_type: rendered.format.media_type().to_owned(),
        file_name: rendered.file_name.clone(),
        engagement_version: of.version,
        engagement_name: of.name,
        date: of.date,
        issued_by: p.actor.id.clone(),
        issued_by_name: p.username.clone(),
        issued_at: cloudward_store::stamp(cloudward_store::now()),
        evidence_id: String::new(),
        assessment_id: of.assessment_id.map(str::to_owned),
        scan_run_id: of.scan_run_id.map(str::to_owned),
    };
    let mut record =
        NewRecord::new("document", p.org()?.id.clone(), to_value(&data)?).with_id(doc_id);
    if let Some(e) = of.engagement_id {
        record = record.of_engagement(e.to_owned());
    }
    if let Some(a) = of.assessment_id {
        record = record.under(a.to_owned());
    }
    state
        .store
        .apply_records(&p.actor, vec![record], Vec::new())
        .await?;
    Ok(())
}

/// The assessment report (评估报告) of assessment `id`, for those who may see its details
/// (its provider, its assessor, customers the provider granted): the offering, provider
/// and assessor by name, every result, the provider's answers, each evidence file with
/// its SHA-256 as stored, and the conclusion. Made on request, and kept: its file as a blob
/// and its `document` record (audited), so that `verify` knows it.
pub async fn assessment_report(
    state: &AppState,
    p: &Principal,
    id: &str,
    q: DocumentQuery,
    caller_lang: Lang,
) -> ApiResult<Rendered> {
    let (r, a, _) =
        crate::services::assessments::assessment_access(state, p, id, Action::AssessmentReport)
            .await?;
    let (format, lang) = format_and_lang(q.format.as_deref(), q.lang.as_deref(), caller_lang)?;
    let offering = match state.store.get_record("offering", &a.offering_id).await? {
        Some(o) => Some(crate::services::offerings::offering_of(&o)?),
        None => None,
    };
    let org_name =
        |id: String| async move { state.store.get_org(&id).await.map(|o| o.map(|o| o.name)) };
    let provider = org_name(r.owner_org_id.clone()).await?;
    let assessor = org_name(a.assessor_org_id.clone()).await?;
    let mut ids: Vec<&String> = a.results.values().flat_map(|c| &c.evidence).collect();
    ids.sort();
    ids.dedup();
    let mut evidence = Vec::new();
    for eid in ids {
        let item = match state.store.get_record("assessment_evidence", eid).await? {
            // Only the assessment's own files: an id of another's is listed unhashed.
            Some(f) if f.parent_id.as_deref() == Some(r.id.as_str()) => {
                let d: crate::services::evidence::AssessmentFileData = parse_data(&f)?;
                cloudward_report::subjects::EvidenceItem {
                    id: eid.clone(),
                    name: d.name,
                    sha256: Some(d.sha256),
                }
            }
            _ => cloudward_report::subjects::EvidenceItem {
                id: eid.clone(),
                name: eid.clone(),
                sha256: None,
            },
        };
        evidence.push(item);
    }
    let conclusion = a.conclusion.clone();
    let inputs = cloudward_report::subjects::AssessmentInputs {
        offering: offering
            .as_ref()
            .map(|o| o.name.clone())
            .unwrap_or_else(|| a.offering_id.clone()),
        provider,
        claimed: offering.as_ref().map(|o| o.claimed_level),
        assessor,
        assessed: Some(a.level),
        conclusion: conclusion.as_ref(),
        results: &a.results,
        evidence,
        content: &state.content,
        messages: &state.messages,
        version: r.version.to_string(),
        date: q.date.unwrap_or_else(today),
        reference: Some(r.id.clone()),
    };
    let doc = cloudward_report::subjects::assessment(&state.documents.templates, &inputs, lang)
        .ok_or_else(ApiError::internal)?;
    let date = inputs.date;
    let bytes = render(state, &doc, format).await?;
    let rendered = Rendered {
        file_name: cloudward_report::file_name(&doc, format),
        format,
        bytes,
    };
    record_on_request(
        state,
        p,
        &doc,
        &rendered,
        OnRequest {
            kind: Kind::AssessmentReport,
            engagement_id: None,
            assessment_id: Some(&r.id),
            scan_run_id: None,
            version: r.version,
            name: doc.meta.engagement.clone(),
            date,
            lang,
        },
    )
    .await?;
    Ok(rendered)
}

/// The scan report (配置检查报告) of stored scan run `id`, for those who see its
/// engagement: made from the report the run kept, each check in the reader's language,
/// for the date of the run unless another is asked. Made on request, and kept like the
/// assessment report (listed with the engagement's documents).
pub async fn scan_report(
    state: &AppState,
    p: &Principal,
    id: &str,
    q: DocumentQuery,
    caller_lang: Lang,
) -> ApiResult<Rendered> {
    let (r, run) =
        crate::services::scans::visible_run(state, p, id, Action::ScanRunDocument).await?;
    let (format, lang) = format_and_lang(q.format.as_deref(), q.lang.as_deref(), caller_lang)?;
    let of = r.engagement_id.clone().unwrap_or_default();
    let e =
        crate::services::engagements::engagement(state, p, &of, Action::ScanRunDocument).await?;
    let bytes = crate::services::scans::run_report(state, &run).await?;
    let scan: cloudward_report::subjects::ScanFile =
        serde_json::from_slice(&bytes).map_err(ApiError::internal_from)?;
    let version = cloudward_report::sha256(&bytes)[..12].to_owned();
    let rules = crate::scanning::builtin_rule_words();
    let date = q.date.unwrap_or_else(|| {
        run.at
            .get(..10)
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            .unwrap_or_else(today)
    });
    let inputs = cloudward_report::subjects::ScanInputs {
        scan: &scan,
        rules: &rules,
        subject: e.name.clone(),
        content: &state.content,
        messages: &state.messages,
        // As `cloudward report scan-report` says of the same JSON: its hash's beginning.
        version,
        date,
        reference: Some(r.id.clone()),
    };
    let doc = cloudward_report::subjects::scan(&state.documents.templates, &inputs, lang)
        .ok_or_else(ApiError::internal)?;
    let bytes = render(state, &doc, format).await?;
    let rendered = Rendered {
        file_name: cloudward_report::file_name(&doc, format),
        format,
        bytes,
    };
    record_on_request(
        state,
        p,
        &doc,
        &rendered,
        OnRequest {
            kind: Kind::ScanReport,
            engagement_id: Some(&e.id),
            assessment_id: None,
            scan_run_id: Some(&r.id),
            version: e.version,
            name: e.name.clone(),
            date,
            lang,
        },
    )
    .await?;
    Ok(rendered)
}
