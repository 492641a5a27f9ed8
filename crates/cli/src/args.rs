//! Command-line flags as clap parses them. Values that must be reported in the user's
//! language (levels, families, information types …) stay strings here and are checked
//! in `resolve`, ripgrep-style, before any work is done.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_HELP: &str = "\
Exit status / 退出状态:
  0  ok / 成功
  1  checks failed / 检查未通过
  2  usage or input error / 用法或输入错误
  3  refused (e.g. classified information) / 拒绝执行（如涉密信息）

Language / 语言: --lang zh|en; by default from LC_ALL, LC_MESSAGES or LANG (zh* → Chinese, otherwise English).";

#[derive(Debug, Parser)]
#[command(
    name = "cloudward",
    version,
    about = "Secure use of cloud services per GB/T 31167 / GB/T 31168 — 云计算服务安全指南的落地工具",
    after_help = EXIT_HELP
)]
pub struct Cli {
    /// Output language: zh or en [default: from LANG]
    #[arg(long, global = true, value_name = "zh|en")]
    pub lang: Option<String>,

    /// Output format: table, json, csv, markdown, html, sarif or junit (each command
    /// accepts those that fit it)
    #[arg(long, global = true, value_name = "FORMAT", default_value = "table")]
    pub format: String,

    /// Use the content folder DIR (same shape as the built-in content/) instead of the
    /// catalog built into the binary
    #[arg(long, global = true, value_name = "DIR", env = "CLOUDWARD_CATALOG")]
    pub catalog: Option<PathBuf>,

    /// Where `oscal import` stores frameworks and `--framework NAME` finds them
    /// [default: ./cloudward-frameworks]
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "CLOUDWARD_FRAMEWORKS_DIR"
    )]
    pub frameworks_dir: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Browse, search and validate the control catalog
    #[command(subcommand, after_help = EXIT_HELP)]
    Catalog(CatalogCommand),
    /// Derive the protection requirement from information and business types (guide §6.5)
    #[command(after_help = EXIT_HELP)]
    Classify(ClassifyArgs),
    /// Check an engagement file: what is missing before the next phase
    #[command(after_help = CHECK_HELP)]
    Check(CheckArgs),
    /// Print the responsibility matrix of an engagement file as a contract annex
    #[command(after_help = EXIT_HELP)]
    Responsibility {
        /// The engagement file
        file: PathBuf,
    },
    /// Print a JSON Schema: `engagement` for the engagement file, `rule` for a rule file
    Schema {
        /// Which schema: engagement or rule
        what: String,
    },
    /// Write a complete, commented engagement file to start from
    #[command(after_help = EXIT_HELP)]
    Init(InitArgs),
    /// Scan Terraform, plan/state JSON or inventory snapshots against the rules
    #[command(after_help = SCAN_HELP)]
    Scan(ScanArgs),
    /// List the scan rules, or validate a folder of your own
    #[command(subcommand, after_help = EXIT_HELP)]
    Rules(RulesCommand),
    /// Run the governance server (API) on SQLite or PostgreSQL
    Serve(Box<ServeArgs>),
    /// The server's scan of one upload (run by `serve`, not by people)
    #[command(hide = true, name = "scan-worker")]
    ScanWorker(ScanWorkerArgs),
    /// Administration: create users (the first platform administrator, say)
    #[command(subcommand)]
    Admin(AdminCommand),
    /// The audit log: verify its hash chain and signed checkpoints
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Upload a scan report (`cloudward scan --format json`) to a server, e.g. from CI
    Push(PushArgs),
    /// OSCAL: export the catalog, profiles, offerings, engagements, assessments and scans;
    /// import catalogs, profiles and assessment results
    #[command(subcommand, after_help = EXIT_HELP)]
    Oscal(OscalCommand),
    /// Write one of the guide's documents (decision report, contract annex, exit records …)
    /// as PDF, DOCX, HTML or Markdown, ready to sign
    #[command(after_help = REPORT_HELP)]
    Report(ReportArgs),
}

const REPORT_HELP: &str = "\
Kinds / 文档:
  planning:  classification-record (定级记录), requirement-analysis (需求分析报告),
             decision-report (上云决策报告), exit-plan (退出预案)
  selection: capability-requirement (安全能力要求), contract-annex (合同附件：安全责任矩阵)
  exit:      data-scope-list (数据范围清单), handover-verification (数据移交核验记录),
             deletion-confirmation (数据删除确认书), closure-record (服务关闭记录) — with --exit FILE
  assessment: assessment-report (评估报告) — FILE is the assessment [--evidence DIR] [--provider NAME]
  operation: scan-report (配置检查报告) — FILE is `cloudward scan --format json` [--system NAME]
             supervision-report (运行监管报告) — with --supervision DATA, the JSON that
             GET /api/v1/engagements/{id}/supervision?from=&to= answers

Formats / 格式: --format pdf|docx|html|markdown|xlsx|csv [default: from the -o file's extension, else pdf]
  xlsx and csv hold the document's tables (a sheet per table) / 仅含文档中的表格

Verify / 核验: cloudward report verify FILE --server URL --token TOKEN
  says whether FILE is a document the server issued, when and for what (exit 0), or not (exit 1)

Exit status / 退出状态:
  0  written / 已生成
  2  usage or input error / 用法或输入错误
  3  refused (classified information) / 拒绝执行（涉密信息）";

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Which document (see below), or `verify` to ask a server whether FILE is a
    /// document it issued
    pub kind: String,
    /// The engagement file (YAML); for `assessment-report`, the assessment (YAML or JSON,
    /// the shape `oscal export results --assessment` reads); for `scan-report`, the JSON of
    /// `cloudward scan --format json`; for `verify`, the document
    pub file: PathBuf,
    /// Where to write; `-` for standard output [default: a readable name in the current folder]
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The date the document speaks for (YYYY-MM-DD) [default: today]; the same file and
    /// date give the same bytes
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
    /// The exit record (YAML or JSON, the shape the server keeps), for the exit documents
    #[arg(long, value_name = "FILE")]
    pub exit: Option<PathBuf>,
    /// `supervision-report`: the engagement's supervision over a period (JSON or YAML, what
    /// the server answers to `GET /api/v1/engagements/{id}/supervision`)
    #[arg(long, value_name = "FILE")]
    pub supervision: Option<PathBuf>,
    /// `assessment-report`: the folder holding the evidence files the results name, to
    /// list each one's SHA-256
    #[arg(long, value_name = "DIR")]
    pub evidence: Option<PathBuf>,
    /// `assessment-report`: the provider of the offering, as it is to appear [default: the
    /// file's `provider`]
    #[arg(long, value_name = "NAME")]
    pub provider: Option<String>,
    /// `scan-report`: the system the scanned code belongs to [default: the scanned paths]
    #[arg(long, value_name = "NAME")]
    pub system: Option<String>,
    /// A folder of your own templates (copy content/reports/ and change the wording, order
    /// or logo); kinds it lacks stay built in
    #[arg(long, value_name = "DIR", env = "CLOUDWARD_TEMPLATES")]
    pub templates: Option<PathBuf>,
    /// A further folder of fonts for the PDF (searched besides the system's fonts)
    #[arg(long = "font-dir", value_name = "DIR")]
    pub font_dirs: Vec<PathBuf>,
    /// `report verify`: the server that issued the document
    #[arg(long, value_name = "URL", env = "CLOUDWARD_SERVER")]
    pub server: Option<String>,
    /// `report verify`: an API token of someone who can see the engagement
    #[arg(
        long,
        value_name = "TOKEN",
        env = "CLOUDWARD_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum OscalCommand {
    /// Write an OSCAL JSON document
    #[command(subcommand)]
    Export(ExportCommand),
    /// Import an OSCAL catalog or profile as a framework (stored under --frameworks-dir),
    /// or read OSCAL assessment results into cloudward's assessment shape
    Import(ImportArgs),
    /// Our controls against an imported framework, through their NIST SP 800-53 references
    Map {
        /// The framework's name, as given to `oscal import --name`
        #[arg(long, value_name = "NAME")]
        framework: String,
        /// Only the referenced ids the framework lacks
        #[arg(long, conflicts_with = "reverse")]
        missing: bool,
        /// One row per framework control, with our controls that reference it
        #[arg(long)]
        reverse: bool,
    },
    /// List the imported frameworks
    Frameworks,
}

/// Options every export shares.
#[derive(Debug, Args)]
pub struct ExportOpts {
    /// Write to FILE instead of standard output
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The document's last-modified time: YYYY-MM-DD or RFC 3339 [default: now]; give it
    /// for reproducible output
    #[arg(long, value_name = "TIME")]
    pub timestamp: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// The control catalog: families as groups, statements in Chinese and English
    Catalog {
        #[command(flatten)]
        opts: ExportOpts,
    },
    /// The profile of a protection level: the controls that apply at it
    Profile {
        /// general, enhanced or advanced
        #[arg(long, value_name = "L")]
        level: String,
        #[command(flatten)]
        opts: ExportOpts,
    },
    /// A provider's offering (YAML or JSON, the server's offering shape) as a component
    /// definition
    Component {
        /// The offering file
        file: PathBuf,
        #[command(flatten)]
        opts: ExportOpts,
    },
    /// An engagement file as a system security plan
    Ssp {
        /// The engagement file
        file: PathBuf,
        /// Evaluate as of this date (YYYY-MM-DD) [default: the timestamp's date]
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
        #[command(flatten)]
        opts: ExportOpts,
    },
    /// An assessment (YAML or JSON, see docs/oscal.md) or a scan report as assessment results
    Results {
        /// The assessment file
        #[arg(
            long,
            value_name = "FILE",
            conflicts_with = "scan",
            required_unless_present = "scan"
        )]
        assessment: Option<PathBuf>,
        /// A report of `cloudward scan --format json`
        #[arg(long, value_name = "FILE")]
        scan: Option<PathBuf>,
        #[command(flatten)]
        opts: ExportOpts,
    },
    /// The 等级保护 crosswalk (GB/T 22239-2019 items to our catalog and to NIST SP 800-53
    /// rev. 5) as a mapping collection
    Mapping {
        #[command(flatten)]
        opts: ExportOpts,
    },
    /// An engagement's open blockers and warnings (and a scan's failing findings) as a
    /// plan of action and milestones
    Poam {
        /// The engagement file
        file: PathBuf,
        /// Add the failing findings of this scan report
        #[arg(long, value_name = "FILE")]
        scan: Option<PathBuf>,
        /// Evaluate as of this date (YYYY-MM-DD) [default: the timestamp's date]
        #[arg(long, value_name = "DATE")]
        date: Option<String>,
        #[command(flatten)]
        opts: ExportOpts,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// An OSCAL JSON document: catalog, profile or assessment-results
    pub file: PathBuf,
    /// The framework's name (letters, digits, `-`, `_`, `.`); required for a catalog or profile
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The catalog a profile imports, to resolve it against
    #[arg(long, value_name = "FILE")]
    pub catalog_file: Option<PathBuf>,
    /// Replace a framework of the same name
    #[arg(long)]
    pub force: bool,
    /// For assessment results: write the assessment (YAML) to FILE instead of standard output
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The report written by `cloudward scan --format json -o FILE`
    pub file: PathBuf,
    /// The server, e.g. https://cloudward.example.gov.cn
    #[arg(long, value_name = "URL", env = "CLOUDWARD_SERVER")]
    pub server: String,
    /// The engagement's id on the server
    #[arg(long, value_name = "ID", env = "CLOUDWARD_ENGAGEMENT")]
    pub engagement: String,
    /// An API token of the customer or its security service provider (member role)
    #[arg(
        long,
        value_name = "TOKEN",
        env = "CLOUDWARD_TOKEN",
        hide_env_values = true
    )]
    pub token: String,
}

/// Where the server keeps its data; shared by `serve`, `admin` and `audit`.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// Data directory: the SQLite database, the audit signing key and checkpoint copies
    /// [default: ./cloudward-data]
    #[arg(long, value_name = "DIR", env = "CLOUDWARD_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Use PostgreSQL instead of the embedded SQLite database: postgres://user:pass@host/db
    #[arg(
        long,
        value_name = "URL",
        env = "CLOUDWARD_DATABASE",
        hide_env_values = true
    )]
    pub database: Option<String>,
    /// A YAML configuration file (keys as in docs/server.md); flags and CLOUDWARD_*
    /// variables take precedence over it
    #[arg(long, value_name = "FILE", env = "CLOUDWARD_CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on [default: 127.0.0.1:8080]; port 0 picks a free port
    #[arg(long, value_name = "ADDR", env = "CLOUDWARD_LISTEN")]
    pub listen: Option<String>,
    /// Seed demo organisations, users and engagements, and print how to log in
    #[arg(long)]
    pub demo: bool,
    /// Largest request body in bytes [default: 2097152]
    #[arg(long, value_name = "BYTES", env = "CLOUDWARD_BODY_LIMIT")]
    pub body_limit: Option<usize>,
    /// Hash of new audit entries: sha256 or sm3 [default: sha256]
    #[arg(long, value_name = "ALG", env = "CLOUDWARD_AUDIT_HASH")]
    pub audit_hash: Option<String>,
    /// A signed audit checkpoint every N entries [default: 100]
    #[arg(long, value_name = "N", env = "CLOUDWARD_CHECKPOINT_INTERVAL")]
    pub checkpoint_interval: Option<i64>,
    /// Session lifetime in minutes [default: 480]
    #[arg(long, value_name = "MINUTES", env = "CLOUDWARD_SESSION_MINUTES")]
    pub session_minutes: Option<i64>,
    /// Failed logins for a user name from one address before the next attempts from there
    /// wait, ever longer (never a lock) [default: 5]
    #[arg(long, value_name = "N", env = "CLOUDWARD_LOCKOUT_AFTER")]
    pub lockout_after: Option<i64>,
    /// The first wait after those failures, in seconds; it doubles with each further
    /// failure, up to lockout_minutes [default: 30]
    #[arg(long, value_name = "SECONDS", env = "CLOUDWARD_LOGIN_BACKOFF_BASE")]
    pub login_backoff_base: Option<u64>,
    /// Failed login attempts per client address per minute [default: 30]
    #[arg(long, value_name = "N", env = "CLOUDWARD_LOGIN_RATE")]
    pub login_rate: Option<u32>,
    /// Mark the session cookie Secure (behind TLS); also turns on HSTS
    #[arg(long, env = "CLOUDWARD_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Let webhooks go to loopback, private-network and link-local addresses (a robot inside
    /// the agency's network); without it they are refused
    #[arg(long, env = "CLOUDWARD_WEBHOOK_PRIVATE_ADDRESSES")]
    pub webhook_private_addresses: bool,
    /// A further folder of fonts for the PDF documents the server issues (besides the
    /// system's fonts; Debian: fonts-noto-cjk)
    #[arg(long = "font-dir", value_name = "DIR")]
    pub font_dirs: Vec<PathBuf>,
    /// A folder of the organisation's own document templates (as content/reports/),
    /// checked at start
    #[arg(long, value_name = "DIR", env = "CLOUDWARD_TEMPLATES")]
    pub templates: Option<PathBuf>,
    /// A server scan's time limit in seconds (wall clock and CPU) [default: 120]
    #[arg(long, value_name = "SECONDS", env = "CLOUDWARD_SCAN_TIMEOUT")]
    pub scan_timeout: Option<u64>,
    /// A server scan's memory limit (address space) in MiB [default: 2048]
    #[arg(long, value_name = "MIB", env = "CLOUDWARD_SCAN_MEMORY_MB")]
    pub scan_memory_mb: Option<u64>,
    /// Scans one organisation may run at the same time [default: 2]
    #[arg(long, value_name = "N", env = "CLOUDWARD_SCANS_PER_ORG")]
    pub scans_per_org: Option<usize>,
    /// Run server scans in the server's process instead of a limited child process
    #[arg(long, env = "CLOUDWARD_SCAN_IN_PROCESS")]
    pub scan_in_process: bool,
    /// Send Strict-Transport-Security (behind TLS)
    #[arg(long, env = "CLOUDWARD_HSTS")]
    pub hsts: bool,
    /// Seconds a client has to send a request's headers; also the idle time after which a
    /// kept-alive connection is closed [default: 10]
    #[arg(long, value_name = "SECONDS", env = "CLOUDWARD_HEADER_READ_TIMEOUT")]
    pub header_read_timeout: Option<u64>,
    /// Seconds a request may take, its body included [default: 60]
    #[arg(long, value_name = "SECONDS", env = "CLOUDWARD_REQUEST_TIMEOUT")]
    pub request_timeout: Option<u64>,
    /// Seconds an upload, import or scan may take [default: 600]
    #[arg(long, value_name = "SECONDS", env = "CLOUDWARD_UPLOAD_TIMEOUT")]
    pub upload_timeout: Option<u64>,
    /// Open connections at most; further clients wait [default: 1024]
    #[arg(long, value_name = "N", env = "CLOUDWARD_MAX_CONNECTIONS")]
    pub max_connections: Option<usize>,
    /// The console's address as people reach it, for links in notifications
    /// (https://cloudward.example.gov.cn)
    #[arg(long, value_name = "URL", env = "CLOUDWARD_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// The SMTP server notification mail goes through
    #[arg(long, value_name = "HOST", env = "CLOUDWARD_SMTP_HOST")]
    pub smtp_host: Option<String>,
    /// Its port [default: 587]
    #[arg(long, value_name = "PORT", env = "CLOUDWARD_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    /// starttls (required: never in the clear) or none [default: starttls]
    #[arg(long, value_name = "MODE", env = "CLOUDWARD_SMTP_TLS")]
    pub smtp_tls: Option<String>,
    /// A PEM file of certificate authorities to trust for the SMTP server's certificate,
    /// besides the system's
    #[arg(long, value_name = "FILE", env = "CLOUDWARD_SMTP_CA_FILE")]
    pub smtp_ca_file: Option<std::path::PathBuf>,
    /// The SMTP user name, if the server asks for one
    #[arg(long, value_name = "NAME", env = "CLOUDWARD_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    /// The SMTP password (better from the environment than on the command line)
    #[arg(
        long,
        value_name = "PASSWORD",
        env = "CLOUDWARD_SMTP_PASSWORD",
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// The sender of notification mail, e.g. "cloudward <noreply@example.gov.cn>"
    #[arg(long, value_name = "ADDRESS", env = "CLOUDWARD_SMTP_FROM")]
    pub smtp_from: Option<String>,
}

/// The server's scan of one upload, in a child process that limits itself.
#[derive(Debug, Args)]
pub struct ScanWorkerArgs {
    /// The folder the server wrote the upload to
    pub dir: PathBuf,
    /// The engagement's protection level
    #[arg(long)]
    pub level: Option<String>,
    /// Only the rules of this pack (`mlps-l3` also reports per 等保 item)
    #[arg(long)]
    pub pack: Option<String>,
    /// Address-space limit in MiB
    #[arg(long, default_value_t = 2048)]
    pub memory_mb: u64,
    /// CPU-time limit in seconds
    #[arg(long, default_value_t = 120)]
    pub cpu_seconds: u64,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a user. The password is read from standard input (one line) or, without
    /// --password-stdin, generated and printed once
    CreateUser {
        #[command(flatten)]
        store: StoreArgs,
        #[arg(long)]
        username: String,
        /// A platform administrator: manages organisations and verifies the audit log
        #[arg(long)]
        platform_admin: bool,
        /// The organisation (name or id) of an ordinary user
        #[arg(long, required_unless_present = "platform_admin")]
        org: Option<String>,
        /// org_admin, member or read_only
        #[arg(long, default_value = "member")]
        role: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Check every entry's hash and link and the signed checkpoints; name the first broken
    /// entry (exit 1 when the chain is broken)
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the built-in rules
    List {
        /// Only this provider: alicloud, tencentcloud, huaweicloud or aws
        #[arg(long)]
        provider: Option<String>,
        /// Rules that apply at this protection level
        #[arg(long)]
        level: Option<String>,
        /// Only the rules of this pack (`default`, or one `rules packs` lists)
        #[arg(long)]
        pack: Option<String>,
    },
    /// List the rule packs: what each is for, whether it runs by default, how many rules
    Packs,
    /// Check the built-in rules, or a folder of your own rules together with them
    Validate {
        /// A folder of rule YAML files
        dir: Option<PathBuf>,
        /// Also check every attribute a rule reads against the providers' resource
        /// documentation: a folder with one sub-folder per provider (alicloud,
        /// tencentcloud, huaweicloud) holding its resource pages (Markdown)
        #[arg(long, value_name = "DIR")]
        provider_docs: Option<PathBuf>,
    },
    /// Show one rule in full: what it checks, why, how to fix it, with a Terraform example
    Show {
        /// The rule id, such as ALI-OSS-01
        id: String,
    },
    /// Run the examples in the rules' `tests:` (fail and pass HCL snippets): the built-in
    /// rules', or those of a folder of your own rules
    Test {
        /// A folder of rule YAML files
        dir: Option<PathBuf>,
    },
}

const SCAN_HELP: &str = "\
Exit status / 退出状态:
  0  no finding at or above --fail-on / 无达到阈值的发现
  1  findings at or above --fail-on / 存在达到阈值的发现
  2  input error (the other inputs are still scanned) / 输入错误（其余输入仍会扫描）

Suppress a finding in HCL with a comment above or inside the resource:
  # cloudward:ignore ALI-OSS-01 public website by design";

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Terraform directories or files, plan/state JSON, inventory JSON / JSON Lines
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Input type instead of detection: hcl, plan or inventory
    #[arg(long, value_name = "TYPE")]
    pub input_type: Option<String>,
    /// Extra rule folder (YAML, same format as content/rules); may repeat
    #[arg(long, value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Rules that apply at this protection level: general, enhanced or advanced [default: all rules]
    #[arg(long, value_name = "L", conflicts_with = "engagement")]
    pub level: Option<String>,
    /// Take the protection level from an engagement file
    #[arg(long, value_name = "FILE")]
    pub engagement: Option<PathBuf>,
    /// Extra region table (YAML, same format as content/regions.yaml)
    #[arg(long, value_name = "FILE")]
    pub regions: Option<PathBuf>,
    /// Extra .tfvars file for the root module; may repeat
    #[arg(long, value_name = "FILE")]
    pub var_file: Vec<PathBuf>,
    /// Fail (exit 1) on findings of this severity or higher: critical, high, medium, low or none
    #[arg(long, value_name = "SEVERITY", default_value = "high")]
    pub fail_on: String,
    /// Ignore findings listed in this baseline file
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Write the current findings as a baseline file
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Write the report to FILE instead of standard output; FORMAT=FILE writes one more
    /// report in that format (`-o sarif=out.sarif -o junit=out.xml`); may repeat
    #[arg(long, short, value_name = "[FORMAT=]FILE")]
    pub output: Vec<String>,
    /// Only these rules: ids or globs (`ALI-OSS-*`), comma-separated; may repeat
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub check: Vec<String>,
    /// Not these rules: ids or globs, comma-separated; may repeat
    #[arg(long, value_name = "ID", value_delimiter = ',')]
    pub skip_check: Vec<String>,
    /// Run the rules of these packs (comma-separated; may repeat): `default`, or a pack
    /// `cloudward rules packs` lists [default: the pack `default`]
    #[arg(long, value_name = "PACK", value_delimiter = ',')]
    pub pack: Vec<String>,
    /// Only rules of these severities: critical, high, medium, low (comma-separated)
    #[arg(long, value_name = "SEVERITY", value_delimiter = ',')]
    pub severity: Vec<String>,
    /// Colour in the table: auto (on a terminal, unless NO_COLOR is set), always or never
    #[arg(long, value_name = "WHEN", default_value = "auto")]
    pub color: String,
    /// No progress bar
    #[arg(long, short)]
    pub quiet: bool,
    /// Only read the inputs and print how many resources they hold (the benchmark's floor)
    #[arg(long)]
    pub parse_only: bool,
}

const CHECK_HELP: &str = "\
Exit status / 退出状态:
  0  no blockers / 无阻断项
  1  blockers to the next phase / 存在进入下一阶段的阻断项
  2  input error (malformed file, unknown key or id, bad date) / 输入错误
  3  the file declares classified information / 文件声明承载涉密信息";

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The engagement file (YAML)
    pub file: PathBuf,
    /// Check as of this date (YYYY-MM-DD) instead of today, for reproducible runs
    #[arg(long, value_name = "DATE")]
    pub date: Option<String>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Service category: iaas, paas or saas
    #[arg(long, default_value = "iaas")]
    pub service: String,
    /// Information types, comma-separated: public, sensitive
    #[arg(long, value_delimiter = ',', default_value = "public")]
    pub info: Vec<String>,
    /// Business type: general, important or critical
    #[arg(long, default_value = "general")]
    pub business: String,
    /// The business system's name
    #[arg(long)]
    pub name: Option<String>,
    /// The customer organisation
    #[arg(long)]
    pub customer: Option<String>,
    /// Where to write; `-` for standard output
    #[arg(long, short, default_value = "engagement.yaml")]
    pub output: PathBuf,
    /// Overwrite an existing file
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// List controls, optionally filtered
    List(ListArgs),
    /// Show one control in full
    Show {
        /// Control id, such as AC-10
        id: String,
        /// Show a control of an imported framework instead (see `oscal import`)
        #[arg(long, value_name = "NAME")]
        framework: Option<String>,
    },
    /// Find controls whose id, title, statement or guidance contains TEXT (zh or en)
    Search {
        /// Text to look for, in Chinese or English
        text: String,
        #[command(flatten)]
        filter: ListArgs,
    },
    /// Check a content folder (or the built-in catalog) and report every problem
    Validate {
        /// Content folder to check; defaults to --catalog, then to the built-in catalog
        dir: Option<PathBuf>,
    },
    /// The 等级保护 (GB/T 22239-2019) crosswalk: each requirement item against our GB/T
    /// 31168 controls, the scan rules on them, or their NIST SP 800-53 references
    Map {
        /// The framework mapped from: mlps
        #[arg(long, value_name = "mlps", default_value = "mlps")]
        from: String,
        /// What to map to: 31168, rules or nist
        #[arg(long, value_name = "31168|rules|nist")]
        to: String,
        /// Only the items of this 等保 level (1 to 4)
        #[arg(long, value_name = "N")]
        level: Option<u8>,
        /// Only this item (an id such as MLPS-CMP-AUTH-01)
        #[arg(long, value_name = "ID")]
        item: Option<String>,
    },
}

#[derive(Debug, Args, Default)]
pub struct ListArgs {
    /// Only this family (e.g. AC)
    #[arg(long, value_name = "F")]
    pub family: Option<String>,
    /// Controls that apply at this protection level: general, enhanced or advanced
    #[arg(long, value_name = "L")]
    pub level: Option<String>,
    /// Service category whose responsible party is shown: iaas, paas or saas
    #[arg(long, value_name = "iaas|paas|saas")]
    pub service: Option<String>,
    /// Only controls this party implements, alone or shared: provider or customer
    #[arg(long, value_name = "P")]
    pub party: Option<String>,
    /// List an imported framework's controls instead (see `oscal import`); --family
    /// then names one of its groups
    #[arg(long, value_name = "NAME")]
    pub framework: Option<String>,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Information types carried, comma-separated or repeated: public, sensitive, classified
    #[arg(long, value_name = "TYPES", required = true, num_args = 1.., value_delimiter = ',')]
    pub info: Vec<String>,
    /// Business type: general, important or critical
    #[arg(long, value_name = "TYPE", required = true)]
    pub business: String,
}
