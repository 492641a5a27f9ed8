//! `cloudward report`: every kind, in both languages, as PDF and DOCX, read back the way
//! a person's tools read them — poppler's `pdftotext` and `pdffonts` for the PDF,
//! LibreOffice for the DOCX — and rendered to PNG pages in `target/test-output/documents/`
//! for a person to look at.
//!
//! The tools come from Debian (poppler-utils, libreoffice-writer-nogui, fonts-noto-cjk);
//! `scripts/test` installs them and sets `CLOUDWARD_TEST_DOCUMENTS=1`, which makes their
//! absence a failure. Without it, a machine that lacks them skips with a message.

use std::path::{Path, PathBuf};
use std::process::Command as Process;

use crate::common::cw;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn example(name: &str) -> PathBuf {
    root().join("examples").join(name)
}

fn output_dir() -> PathBuf {
    let dir = root().join("target/test-output/documents");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn have(tool: &str) -> bool {
    Process::new(tool).arg("--version").output().is_ok()
        || Process::new(tool).arg("-v").output().is_ok()
}

/// Whether the document tools are there; with `CLOUDWARD_TEST_DOCUMENTS` set they must be.
fn tools() -> bool {
    let missing: Vec<&str> = ["pdftotext", "pdffonts", "pdftoppm", "soffice"]
        .into_iter()
        .filter(|t| !have(t))
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CLOUDWARD_TEST_DOCUMENTS").is_none(),
        "CLOUDWARD_TEST_DOCUMENTS is set but {missing:?} are missing (Debian: poppler-utils, libreoffice-writer-nogui)"
    );
    eprintln!(
        "skipping: {missing:?} not installed (Debian: poppler-utils, libreoffice-writer-nogui)"
    );
    false
}

/// A kind, the engagement it is made from, and what its text must contain in each
/// language (besides its title and the system's name).
struct Case {
    kind: &'static str,
    file: &'static str,
    exit: bool,
    /// Made with the example's supervision data (`--supervision`).
    supervision: bool,
    /// Further arguments.
    args: &'static [&'static str],
    zh: (&'static str, &'static [&'static str]),
    en: (&'static str, &'static [&'static str]),
}

const COMMUNITY: &str = "community-sensitive-critical.yaml";
const EXIT: &str = "exit-phase.yaml";
const ASSESSMENT: &str = "offering.assessment.yaml";
/// `cloudward scan --level enhanced --format json` of tests/fixtures/scan/hcl-project.
const SCAN: &str = "hcl-project.scan.json";
const SCANNED_SYSTEM: &str = "市医疗保障结算系统";

const CASES: &[Case] = &[
    Case {
        kind: "classification-record",
        file: COMMUNITY,
        exit: false,
        supervision: false,
        args: &[],
        zh: ("定级记录", &["高级保护", "敏感类信息", "关键业务"]),
        en: (
            "Classification record",
            &["advanced protection", "sensitive information"],
        ),
    },
    Case {
        kind: "requirement-analysis",
        file: COMMUNITY,
        exit: false,
        supervision: false,
        args: &[],
        zh: (
            "需求分析报告",
            &["对象存储生命周期策略", "cn-north-4", "中国境内"],
        ),
        en: (
            "Requirement analysis report",
            &["对象存储生命周期策略", "cn-north-4", "mainland China"],
        ),
    },
    Case {
        kind: "decision-report",
        file: COMMUNITY,
        exit: false,
        supervision: false,
        args: &[],
        zh: (
            "上云决策报告",
            &["900", "2.0 年", "审批领导", "退出预案 v2.0"],
        ),
        en: (
            "Cloud adoption decision report",
            &["900", "2.0 years", "Approved by", "退出预案 v2.0"],
        ),
    },
    Case {
        kind: "exit-plan",
        file: COMMUNITY,
        exit: false,
        supervision: false,
        args: &[],
        zh: ("退出预案", &["退出预案 v2.0", "数据删除"]),
        en: ("Exit plan", &["退出预案 v2.0", "Data deletion"]),
    },
    Case {
        kind: "capability-requirement",
        file: COMMUNITY,
        exit: false,
        supervision: false,
        args: &[],
        zh: ("云服务安全能力要求", &["RA-10", "SC-11", "高级保护"]),
        en: (
            "Security capability requirement",
            &["RA-10", "SC-11", "advanced protection"],
        ),
    },
    Case {
        kind: "contract-annex",
        file: COMMUNITY,
        exit: false,
        supervision: false,
        args: &[],
        zh: (
            "合同附件：安全责任矩阵",
            &[
                "示例安全服务公司",
                "合同第 12.2 条",
                "甲方（云服务客户）",
                "盖章",
            ],
        ),
        en: (
            "Contract annex: security responsibility matrix",
            &[
                "示例安全服务公司",
                "合同第 12.2 条",
                "Party A (customer)",
                "Seal",
            ],
        ),
    },
    Case {
        kind: "data-scope-list",
        file: EXIT,
        exit: true,
        supervision: false,
        args: &[],
        zh: (
            "退出数据范围清单",
            &["审批业务数据库", "ap-guangzhou", "元数据"],
        ),
        en: (
            "Exit data scope list",
            &["审批业务数据库", "ap-guangzhou", "metadata"],
        ),
    },
    Case {
        kind: "handover-verification",
        file: EXIT,
        exit: true,
        supervision: false,
        args: &[],
        zh: (
            "数据移交核验记录",
            &["db/approval-full.dump", "核验通过", "3f1c9a0d5e7b2468"],
        ),
        en: (
            "Data handover verification record",
            &["db/approval-full.dump", "Verified", "3f1c9a0d5e7b2468"],
        ),
    },
    Case {
        kind: "deletion-confirmation",
        file: EXIT,
        exit: true,
        supervision: false,
        args: &[],
        zh: (
            "数据删除确认书",
            &["DEL-2026-1120-07", "快照", "客户尚未确认"],
        ),
        en: (
            "Data deletion confirmation",
            &[
                "DEL-2026-1120-07",
                "snapshots",
                "not confirmed by the customer",
            ],
        ),
    },
    Case {
        kind: "closure-record",
        file: EXIT,
        exit: true,
        supervision: false,
        args: &[],
        zh: ("服务关闭记录", &["退出预案 v1.2", "暂不能关闭"]),
        en: (
            "Engagement closure record",
            &["退出预案 v1.2", "cannot close yet"],
        ),
    },
    Case {
        kind: "assessment-report",
        file: ASSESSMENT,
        exit: false,
        supervision: false,
        args: &[],
        zh: (
            "云计算服务安全评估报告",
            &[
                "某云计算有限公司",
                "某信息安全测评中心",
                "IR-24",
                "跨地域切换演练",
                "部分满足",
                "2029年10月15日",
                "评估方",
            ],
        ),
        en: (
            "Cloud service security assessment report",
            &[
                "某云计算有限公司",
                "IR-24",
                "跨地域切换演练",
                "partially",
                "15 October 2029",
                "Assessor",
            ],
        ),
    },
    Case {
        kind: "supervision-report",
        file: COMMUNITY,
        exit: false,
        supervision: true,
        args: &[],
        zh: (
            "云服务运行监管报告",
            &[
                "2026年9月8日至2026年12月7日",
                "各次检查的未通过项",
                // Table cells break anywhere: short words.
                "逾期未确认",
                "按时确认",
                "重现",
            ],
        ),
        en: (
            "Cloud service supervision report",
            &[
                "8 September 2026 to 7 December 2026",
                "Failing findings per scan",
                "Overdue",
                "In time",
            ],
        ),
    },
    Case {
        kind: "scan-report",
        file: SCAN,
        exit: false,
        supervision: false,
        args: &["--system", SCANNED_SYSTEM],
        zh: (
            "云上配置安全检查报告",
            // Table cells break anywhere: short words.
            &["SSH 端口（22）", "main.tf:35", "堡垒机", "复核人"],
        ),
        en: (
            "Cloud configuration scan report",
            &["SSH", "main.tf:35", "bastion", "Reviewed by"],
        ),
    },
];

fn system_name(file: &str) -> &'static str {
    match file {
        COMMUNITY => "市医疗保障结算系统",
        ASSESSMENT => "政务云 弹性计算服务",
        SCAN => SCANNED_SYSTEM,
        _ => "旧版行政审批系统",
    }
}

/// Where a case's input is: the examples, or the report crate's scan fixture.
fn input(file: &str) -> PathBuf {
    if file == SCAN {
        root().join("crates/report/tests/fixtures").join(file)
    } else {
        example(file)
    }
}

/// Text without white space (table cells and justified lines break anywhere) and without
/// the zero-width spaces that let a long name break in a narrow column.
fn squeeze(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{200b}')
        .collect()
}

fn generate(case: &Case, lang: &str, format: &str, dir: &Path) -> PathBuf {
    let out = dir.join(format!("{}.{lang}.{format}", case.kind));
    let mut cmd = cw();
    cmd.args(["report", case.kind])
        .arg(input(case.file))
        .args(case.args)
        .args([
            "--lang",
            lang,
            "--format",
            format,
            "--date",
            "2026-12-07",
            "-o",
        ])
        .arg(&out);
    if case.exit {
        cmd.arg("--exit")
            .arg(example("exit-phase.exit-record.yaml"));
    }
    if case.supervision {
        cmd.arg("--supervision")
            .arg(example("community-sensitive-critical.supervision.json"));
    }
    let res = cmd.output().unwrap();
    assert!(
        res.status.success(),
        "{} {lang} {format}: {}",
        case.kind,
        String::from_utf8_lossy(&res.stderr)
    );
    let said = String::from_utf8_lossy(&res.stdout);
    assert!(said.contains("SHA-256"), "{said}");
    out
}

fn pdf_text(path: &Path) -> String {
    let out = Process::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .unwrap();
    assert!(out.status.success(), "pdftotext {}", path.display());
    String::from_utf8(out.stdout).unwrap()
}

fn expect_text(text: &str, case: &Case, lang: &str, what: &str) {
    let (title, words) = if lang == "zh" { case.zh } else { case.en };
    let flat = squeeze(text);
    for w in [title, system_name(case.file), "2026"]
        .iter()
        .chain(words.iter())
    {
        assert!(
            flat.contains(&squeeze(w)),
            "{} ({lang}, {what}) lacks {w:?}:\n{text}",
            case.kind
        );
    }
}

fn pages_to_png(pdf: &Path, prefix: &Path, last: u32) {
    let ok = Process::new("pdftoppm")
        .args(["-r", "60", "-png", "-f", "1", "-l", &last.to_string()])
        .arg(pdf)
        .arg(prefix)
        .status()
        .unwrap();
    assert!(ok.success());
}

fn check_pdfs(lang: &str, cases: &[&Case]) {
    let dir = output_dir();
    for case in cases {
        let pdf = generate(case, lang, "pdf", &dir);
        let bytes = std::fs::read(&pdf).unwrap();
        assert!(bytes.starts_with(b"%PDF-"), "{}", case.kind);
        expect_text(&pdf_text(&pdf), case, lang, "pdf");
        // Every font is embedded (the `emb` column), and a CJK one is among them.
        let fonts = Process::new("pdffonts").arg(&pdf).output().unwrap();
        let fonts = String::from_utf8_lossy(&fonts.stdout).into_owned();
        let rows: Vec<&str> = fonts.lines().skip(2).collect();
        assert!(!rows.is_empty(), "no fonts in {}", pdf.display());
        for row in &rows {
            let cols: Vec<&str> = row.split_whitespace().collect();
            let n = cols.len();
            assert!(n >= 5 && cols[n - 5] == "yes", "not embedded: {row}");
        }
        assert!(fonts.contains("CJK"), "{fonts}");
        let info = Process::new("pdfinfo").arg(&pdf).output().unwrap();
        let info = String::from_utf8_lossy(&info.stdout).into_owned();
        assert!(info.contains("A4"), "{info}");
        pages_to_png(&pdf, &dir.join(format!("{}.{lang}.pdf", case.kind)), 3);
    }
}

/// LibreOffice opens each DOCX and converts it to PDF without error; the text it lays
/// out contains the same words.
fn check_docx(lang: &str, cases: &[&Case]) {
    let dir = output_dir();
    let docs: Vec<PathBuf> = cases
        .iter()
        .map(|c| generate(c, lang, "docx", &dir))
        .collect();
    let converted = tempfile::tempdir().unwrap();
    let profile = tempfile::tempdir().unwrap();
    let status = Process::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(converted.path())
        .args(&docs)
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    for (case, doc) in cases.iter().zip(&docs) {
        let stem = doc.file_stem().unwrap().to_string_lossy().into_owned();
        let pdf = converted.path().join(format!("{stem}.pdf"));
        assert!(
            pdf.is_file(),
            "LibreOffice did not convert {}",
            doc.display()
        );
        expect_text(&pdf_text(&pdf), case, lang, "docx");
        pages_to_png(&pdf, &dir.join(format!("{}.{lang}.docx", case.kind)), 2);
    }
}

fn cases(phase: &[&str]) -> Vec<&'static Case> {
    CASES.iter().filter(|c| phase.contains(&c.kind)).collect()
}

const PLANNING: [&str; 4] = [
    "classification-record",
    "requirement-analysis",
    "decision-report",
    "exit-plan",
];
const SELECTION_AND_EXIT: [&str; 6] = [
    "capability-requirement",
    "contract-annex",
    "data-scope-list",
    "handover-verification",
    "deletion-confirmation",
    "closure-record",
];

#[test]
fn planning_documents_read_back_from_pdf_and_docx_in_both_languages() {
    if !tools() {
        return;
    }
    for lang in ["zh", "en"] {
        check_pdfs(lang, &cases(&PLANNING));
        check_docx(lang, &cases(&PLANNING));
    }
}

#[test]
fn selection_and_exit_documents_read_back_from_pdf_and_docx_in_both_languages() {
    if !tools() {
        return;
    }
    for lang in ["zh", "en"] {
        check_pdfs(lang, &cases(&SELECTION_AND_EXIT));
        check_docx(lang, &cases(&SELECTION_AND_EXIT));
    }
}

#[test]
fn assessment_supervision_and_scan_reports_read_back_from_pdf_and_docx_in_both_languages() {
    if !tools() {
        return;
    }
    let both = ["assessment-report", "supervision-report", "scan-report"];
    for lang in ["zh", "en"] {
        check_pdfs(lang, &cases(&both));
        check_docx(lang, &cases(&both));
    }
}

fn markdown(kind: &str, file: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let res = cw()
        .args(["report", kind])
        .arg(file)
        .args(args)
        .args(["--date", "2026-12-07", "--format", "markdown", "-o", "-"])
        .output()
        .unwrap();
    (
        res.status.code(),
        String::from_utf8_lossy(&res.stdout).into_owned(),
        String::from_utf8_lossy(&res.stderr).into_owned(),
    )
}

/// The supervision report says, from the data of the period, what a supervisor checks:
/// the trend's numbers per interval, which notices were acknowledged late or not at all,
/// which accepted risks have run out; without the data, or with a period that ends
/// before it begins, it is refused with what to give.
#[test]
fn the_supervision_report_reads_the_period_and_refuses_data_it_cannot_use() {
    let data = example("community-sensitive-critical.supervision.json");
    let (code, text, err) = markdown(
        "supervision-report",
        &example(COMMUNITY),
        &["--lang", "en", "--supervision", data.to_str().unwrap()],
    );
    assert_eq!(code, Some(0), "{err}");
    // Weekly columns over the quarter; the first week had 2 + 9 + 14 + 5 failing findings.
    assert!(text.contains("| 8 Sep | 2 | 9 | 14 | 5 | 30 |"), "{text}");
    // The last week's column is the last of its two scans (1 December, 6 December).
    assert!(text.contains("| 1 Dec | 0 | 2 | 5 | 2 | 9 |"), "{text}");
    assert!(
        text.contains("| Incident report | 华东2可用区网络中断 |"),
        "{text}"
    );
    assert!(text.contains("| Late |"), "{text}");
    assert!(text.contains("| Overdue |"), "{text}");
    assert!(text.contains("Ended on 30 November 2026"), "{text}");
    assert!(
        text.contains("Ends on 31 December 2026 (in 24 days)"),
        "{text}"
    );
    assert!(
        text.contains("4: 2 acknowledged in time, 1 late, 1 overdue and not acknowledged"),
        "{text}"
    );
    // Every scan of the period, the latest first.
    let first = text
        .find("| 2026-12-06 02:00 | Server |")
        .expect("latest scan");
    let last = text
        .find("| 2026-09-08 02:00 | Upload |")
        .expect("first scan");
    assert!(first < last);

    let (code, _, err) = markdown("supervision-report", &example(COMMUNITY), &["--lang", "en"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--supervision FILE"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let backwards = dir.path().join("backwards.json");
    std::fs::write(&backwards, r#"{"from": "2026-12-07", "to": "2026-09-08"}"#).unwrap();
    let (code, _, err) = markdown(
        "supervision-report",
        &example(COMMUNITY),
        &["--lang", "en", "--supervision", backwards.to_str().unwrap()],
    );
    assert_eq!(code, Some(2));
    assert!(
        err.contains("backwards.json") && err.contains("ends (to) before"),
        "{err}"
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"from": "2026-09-08", "to": "2026-12-07", "scans": [{"at": 3}]}"#,
    )
    .unwrap();
    let (code, _, err) = markdown(
        "supervision-report",
        &example(COMMUNITY),
        &["--lang", "en", "--supervision", bad.to_str().unwrap()],
    );
    assert_eq!(code, Some(2));
    assert!(
        err.contains("bad.json") && err.contains("not valid supervision data"),
        "{err}"
    );
}

/// An assessor keeps the evidence files in a folder: the report lists each one's SHA-256,
/// says which are not there, and will not vouch for a pass that does not stand.
#[test]
fn the_assessment_report_hashes_the_evidence_and_questions_a_pass_that_does_not_stand() {
    let dir = tempfile::tempdir().unwrap();
    let evidence = dir.path().join("evidence");
    std::fs::create_dir(&evidence).unwrap();
    std::fs::write(
        evidence.join("audit-log-sampling.xlsx"),
        b"sampled audit logs",
    )
    .unwrap();
    std::fs::write(
        evidence.join("risk-assessment-2026.pdf"),
        b"risk assessment",
    )
    .unwrap();
    let sha = cloudward_report::sha256;
    let ev = evidence.display().to_string();
    let (code, text, err) = markdown(
        "assessment-report",
        &example(ASSESSMENT),
        &["--lang", "en", "--evidence", &ev],
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(text.contains(&sha(b"sampled audit logs")), "{text}");
    assert!(text.contains(&sha(b"risk assessment")), "{text}");
    assert!(
        text.contains("| maintenance-records.pdf<br>not recorded |"),
        "{text}"
    );
    assert!(!text.contains("does not stand"), "{text}");
    assert!(
        text.contains("Passed, with 2 requirements met only in part"),
        "{text}"
    );

    // The same pass with one result left out and one result without support.
    let original = std::fs::read_to_string(example(ASSESSMENT)).unwrap();
    let cut = original
        .replace(
            "  SA-02:\n    result: satisfied\n    evidence: [system-development-procedures.pdf]\n",
            "",
        )
        .replace(
            "  SA-03:\n    result: satisfied\n    evidence: [system-development-procedures.pdf]\n",
            "  SA-03:\n    result: satisfied\n",
        );
    assert_ne!(cut, original);
    let file = dir.path().join("cut.assessment.yaml");
    std::fs::write(&file, cut).unwrap();
    let (code, text, err) = markdown("assessment-report", &file, &["--lang", "en"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        text.contains(
            "This conclusion does not stand: 1 applicable requirements have no result (SA-02)"
        ),
        "{text}"
    );
    assert!(
        text.contains("without evidence or a waiver (SA-03)"),
        "{text}"
    );
    assert!(text.contains("| SA-02 "), "{text}");

    // Bad input: an unknown control, a missing evidence folder, a malformed file.
    let bad = dir.path().join("bad.assessment.yaml");
    std::fs::write(&bad, original.replace("  SA-01:", "  XX-99:")).unwrap();
    let (code, _, err) = markdown("assessment-report", &bad, &["--lang", "en"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("XX-99"), "{err}");
    let (code, _, err) = markdown(
        "assessment-report",
        &example(ASSESSMENT),
        &["--lang", "en", "--evidence", "/no/such/folder"],
    );
    assert_eq!(code, Some(2));
    assert!(
        err.contains("--evidence /no/such/folder: not a folder"),
        "{err}"
    );
    std::fs::write(&bad, "offering: x\nresults:\n  SA-01:\n    result: maybe\n").unwrap();
    let (code, _, err) = markdown("assessment-report", &bad, &["--lang", "en"]);
    assert_eq!(code, Some(2));
    assert!(err.contains(":4:"), "the line of the bad value: {err}");
}

/// What `cloudward scan --format json` writes is what the scan report reads, in either
/// language whichever language the scan ran in.
#[test]
fn a_scan_report_is_made_from_what_the_scan_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("scan.json");
    let res = cw()
        .current_dir(root().join("crates/cli/tests/fixtures/scan"))
        .args(["scan", "hcl-project", "--level", "enhanced", "--lang", "en"])
        .args(["--format", "json", "-o"])
        .arg(&json)
        .output()
        .unwrap();
    assert!(json.is_file(), "{}", String::from_utf8_lossy(&res.stderr));
    let (code, text, err) = markdown("scan-report", &json, &["--lang", "zh"]);
    assert_eq!(code, Some(0), "{err}");
    for want in [
        "云上配置安全检查报告",
        "| 检查的文件或目录 | hcl-project |",
        "| 1 | 高 |",
        "安全组不得向互联网开放 SSH 端口（22）",
        "hcl-project/main.tf:35",
        "经批准豁免的问题 1 项",
    ] {
        assert!(text.contains(want), "lacks {want:?}:\n{text}");
    }
    assert!(
        !text.contains("must not open"),
        "English rule titles in a Chinese report"
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        "{\n  \"tool\": \"cloudward\",\n  \"findings\": 3\n}\n",
    )
    .unwrap();
    let (code, _, err) = markdown("scan-report", &bad, &["--lang", "en"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("bad.json:3:"), "{err}");
    assert!(err.contains("not a scan result"), "{err}");
}

#[test]
fn every_kind_has_a_case() {
    let out = cw().args(["report", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    for c in CASES {
        assert!(help.contains(c.kind), "{} not in the help", c.kind);
    }
    let bad = cw()
        .args(["report", "no-such-kind"])
        .arg(example(COMMUNITY))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&bad.stderr).into_owned();
    assert_eq!(bad.status.code(), Some(2), "{err}");
    for c in CASES {
        assert!(
            err.contains(c.kind),
            "{} not among the accepted: {err}",
            c.kind
        );
    }
}

#[test]
fn the_same_engagement_and_date_give_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["pdf", "docx", "html", "markdown"] {
        let mut hashes = Vec::new();
        for (i, date) in ["2026-12-07", "2026-12-07", "2026-12-08"]
            .iter()
            .enumerate()
        {
            let out = dir.path().join(format!("d{i}.{format}"));
            let res = cw()
                .args(["report", "contract-annex"])
                .arg(example(COMMUNITY))
                .args(["--lang", "zh", "--format", format, "--date", date, "-o"])
                .arg(&out)
                .output()
                .unwrap();
            assert!(
                res.status.success(),
                "{}",
                String::from_utf8_lossy(&res.stderr)
            );
            hashes.push(std::fs::read(&out).unwrap());
        }
        assert_eq!(hashes[0], hashes[1], "{format}: same input, other bytes");
        assert_ne!(hashes[0], hashes[2], "{format}: another date, same bytes");
    }
}

#[test]
fn markdown_and_html_go_to_standard_output_with_every_word_in_the_readers_language() {
    let res = cw()
        .args(["report", "contract-annex"])
        .arg(example(COMMUNITY))
        .args([
            "--lang",
            "en",
            "--format",
            "markdown",
            "--date",
            "2026-12-07",
            "-o",
            "-",
        ])
        .output()
        .unwrap();
    assert!(res.status.success());
    let md = String::from_utf8(res.stdout).unwrap();
    assert!(md.starts_with("# Contract annex"), "{md}");
    // Words, not ids: no clause id, actor id or layer id on the page.
    for id in [
        "exit-deletion",
        "security-service-provider",
        "responsibility-sla",
        "BR1",
    ] {
        assert!(!md.contains(id), "{id} shown as an id:\n{md}");
    }
    let res = cw()
        .args(["report", "decision-report"])
        .arg(example(COMMUNITY))
        .args([
            "--lang",
            "zh",
            "--format",
            "html",
            "--date",
            "2026-12-07",
            "-o",
            "-",
        ])
        .output()
        .unwrap();
    assert!(res.status.success());
    let html = String::from_utf8(res.stdout).unwrap();
    assert!(html.contains("<html lang=\"zh-CN\">"));
    assert!(html.contains("<svg"), "the charts are vectors");
    assert!(html.contains("上云决策报告"));
}

#[test]
fn bad_input_says_what_is_wrong_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.pdf");
    // An exit document without the exit record.
    let res = cw()
        .args(["report", "deletion-confirmation"])
        .arg(example(EXIT))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&res.stderr).contains("--exit FILE"));
    // A broken exit record names its file and line.
    let bad_exit = dir.path().join("exit.yaml");
    std::fs::write(
        &bad_exit,
        "plan: x\nscope:\n  - { name: db, kind: data, returnd: true }\n",
    )
    .unwrap();
    let res = cw()
        .args(["report", "data-scope-list"])
        .arg(example(EXIT))
        .arg("--exit")
        .arg(&bad_exit)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr).into_owned();
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(
        err.contains("exit.yaml") && err.contains("returnd") && err.contains("line 3"),
        "{err}"
    );
    // An unknown format lists the accepted ones.
    let res = cw()
        .args(["report", "exit-plan"])
        .arg(example(COMMUNITY))
        .args(["--format", "odt", "-o"])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr).into_owned();
    assert_eq!(res.status.code(), Some(2));
    assert!(err.contains("pdf, docx, html, markdown"), "{err}");
    assert!(!out.exists(), "a failed run wrote a file");
}

#[test]
fn a_templates_folder_changes_the_wording_and_its_mistakes_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let src = root().join("content/reports");
    std::fs::copy(src.join("style.yaml"), dir.path().join("style.yaml")).unwrap();
    let mine = std::fs::read_to_string(src.join("exit-plan.yaml"))
        .unwrap()
        .replace("title: { zh: 退出预案,", "title: { zh: 本局云服务退出预案,");
    std::fs::write(dir.path().join("exit-plan.yaml"), &mine).unwrap();
    let res = cw()
        .args(["report", "exit-plan"])
        .arg(example(COMMUNITY))
        .arg("--templates")
        .arg(dir.path())
        .args(["--lang", "zh", "--format", "markdown", "-o", "-"])
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(String::from_utf8_lossy(&res.stdout).starts_with("# 本局云服务退出预案"));
    // A block the kind does not have.
    std::fs::write(
        dir.path().join("exit-plan.yaml"),
        mine.replace("blocks: [exit-steps]", "blocks: [exit-stepz]"),
    )
    .unwrap();
    let res = cw()
        .args(["report", "exit-plan"])
        .arg(example(COMMUNITY))
        .arg("--templates")
        .arg(dir.path())
        .args(["--format", "markdown", "-o", "-"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr).into_owned();
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(err.contains("exit-plan.yaml:"), "{err}");
    assert!(
        err.contains("exit-stepz") && err.contains("exit-steps"),
        "{err}"
    );
}

#[test]
fn without_a_chinese_font_the_pdf_is_refused_with_what_to_install() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("fonts");
    std::fs::create_dir(&empty).unwrap();
    let conf = dir.path().join("fonts.conf");
    std::fs::write(
        &conf,
        format!(
            "<?xml version=\"1.0\"?>\n<fontconfig><dir>{}</dir></fontconfig>\n",
            empty.display()
        ),
    )
    .unwrap();
    let out = dir.path().join("x.pdf");
    let res = cw()
        .env("FONTCONFIG_FILE", &conf)
        .args(["report", "exit-plan"])
        .arg(example(COMMUNITY))
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr).into_owned();
    assert_eq!(res.status.code(), Some(2), "{err}");
    assert!(
        err.contains("fonts-noto-cjk") && err.contains("--font-dir"),
        "{err}"
    );
    assert!(!out.exists());
    // Pointed at a folder of fonts, it works.
    let noto = Path::new("/usr/share/fonts/opentype/noto");
    if noto.is_dir() {
        let res = cw()
            .env("FONTCONFIG_FILE", &conf)
            .args(["report", "exit-plan"])
            .arg(example(COMMUNITY))
            .arg("--font-dir")
            .arg(noto)
            .arg("-o")
            .arg(&out)
            .output()
            .unwrap();
        assert!(
            res.status.success(),
            "{}",
            String::from_utf8_lossy(&res.stderr)
        );
        assert!(out.is_file());
    }
}

/// The tables for Excel users: an XLSX sheet per table, named after its section, that
/// LibreOffice Calc opens; CSV with a byte-order mark.
#[test]
fn the_tables_open_in_a_spreadsheet() {
    if !tools() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let expect: [(&str, &str, &[&str]); 3] = [
        (
            "contract-annex",
            "安全责任矩阵",
            &[
                "层次,控制族,客户,云服务商,云服务安全提供商",
                "设施层,物理与环境安全,—,负责,—",
            ],
        ),
        (
            "contract-annex",
            "合同条款检查",
            &["合同条款,本级别必需,合同已包含,出处", "合同第 12.2 条"],
        ),
        (
            "decision-report",
            "风险及处置",
            &[
                "风险,风险值,处置措施,残余风险",
                "结算高峰期资源争用导致结算延迟",
            ],
        ),
    ];
    for (kind, sheet, lines) in expect {
        let xlsx = dir.path().join(format!("{kind}.xlsx"));
        let res = cw()
            .args(["report", kind])
            .arg(example(COMMUNITY))
            .args(["--lang", "zh", "--date", "2026-12-07", "-o"])
            .arg(&xlsx)
            .output()
            .unwrap();
        assert!(
            res.status.success(),
            "{}",
            String::from_utf8_lossy(&res.stderr)
        );
        let out = dir.path().join(format!("{kind}-sheets"));
        let profile = tempfile::tempdir().unwrap();
        let ok = Process::new("soffice")
            .arg(format!(
                "-env:UserInstallation=file://{}",
                profile.path().display()
            ))
            .args([
                "--headless",
                "--convert-to",
                "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
                "--outdir",
            ])
            .arg(&out)
            .arg(&xlsx)
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let path = out.join(format!("{kind}-{sheet}.csv"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            let names: Vec<_> = std::fs::read_dir(&out)
                .unwrap()
                .flatten()
                .map(|e| e.file_name())
                .collect();
            panic!("{}: {e}; sheets: {names:?}", path.display())
        });
        for l in lines {
            assert!(text.contains(l), "{sheet} lacks {l:?}:\n{text}");
        }
    }
    let res = cw()
        .args(["report", "requirement-analysis"])
        .arg(example(COMMUNITY))
        .args(["--lang", "en", "--format", "csv", "-o", "-"])
        .output()
        .unwrap();
    assert!(res.status.success());
    let csv = String::from_utf8(res.stdout).unwrap();
    assert!(csv.starts_with('\u{feff}'), "a byte-order mark for Excel");
    assert!(csv.contains("No.,Aspect,Clause,Status"), "{csv}");
}
