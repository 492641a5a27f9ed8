//! `cloudward serve`, `admin create-user` and `audit verify`: the server's commands.
//! Configuration: defaults, then the config file, then CLOUDWARD_* variables and flags.

use std::io::{BufRead, Write};

use cloudward_server::{AppState, Config};
use cloudward_store::{HashAlg, NewUser, Role};

use crate::args::{AdminCommand, AuditCommand, PushArgs, ServeArgs, StoreArgs};
use crate::{Ctx, Failure};

fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Input(e.to_string()))
}

/// The configuration file (if any) with the store flags applied.
fn base_config(ctx: &Ctx, args: &StoreArgs) -> Result<Config, Failure> {
    let mut config = match &args.config {
        None => Config::default(),
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::Input(ctx.tr(
                    "input.unreadable",
                    &[
                        ("file", path.display().to_string()),
                        ("detail", e.to_string()),
                    ],
                ))
            })?;
            serde_saphyr::from_str::<Config>(&text).map_err(|e| {
                let at = e
                    .location()
                    .map(|l| format!(":{}:{}", l.line(), l.column()))
                    .unwrap_or_default();
                Failure::Input(format!(
                    "{}{at}: {e}",
                    ctx.tr("input.malformed", &[("file", path.display().to_string())])
                ))
            })?
        }
    };
    if let Some(d) = &args.data_dir {
        config.data_dir = d.clone();
    }
    if let Some(db) = &args.database {
        config.database = Some(db.clone()).filter(|d| !d.is_empty());
    }
    Ok(config)
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CLOUDWARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = std::env::var("CLOUDWARD_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

async fn open_store(
    config: &Config,
) -> Result<std::sync::Arc<dyn cloudward_store::Store>, Failure> {
    cloudward_store::open(&config.store_options())
        .await
        .map_err(|e| {
            Failure::Input(format!(
                "cloudward: {} ({}): {e}",
                config
                    .database
                    .as_deref()
                    .map(cloudward_store::redact)
                    .unwrap_or_else(|| config.data_dir.join("cloudward.db").display().to_string()),
                "database"
            ))
        })
}

pub fn serve(ctx: &Ctx, args: &ServeArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let mut config = base_config(ctx, &args.store)?;
    if let Some(v) = &args.listen {
        config.listen = v.clone();
    }
    if let Some(v) = args.body_limit {
        config.body_limit = v;
    }
    if let Some(v) = &args.audit_hash {
        config.audit_hash = HashAlg::parse(v)
            .ok_or_else(|| ctx.bad_value("--audit-hash", v, &["sha256", "sm3"]))?;
    }
    if let Some(v) = args.checkpoint_interval {
        config.checkpoint_interval = v.max(1);
    }
    if let Some(v) = args.session_minutes {
        config.session_minutes = v.max(1);
    }
    if let Some(v) = args.lockout_after {
        config.lockout_after = v.max(1);
    }
    if let Some(v) = args.login_backoff_base {
        config.login_backoff_base_seconds = v;
    }
    if let Some(v) = args.login_rate {
        config.login_rate_per_minute = v;
    }
    config.secure_cookies |= args.secure_cookies;
    if let Some(v) = args.scan_timeout {
        config.scan_timeout_seconds = v.max(1);
    }
    if let Some(v) = args.scan_memory_mb {
        config.scan_memory_mb = v.max(64);
    }
    if let Some(v) = args.scans_per_org {
        config.scans_per_org = v.max(1);
    }
    // Scans run in a child process of this same program, which limits itself.
    if !args.scan_in_process && config.scan_worker.is_none() {
        config.scan_worker = std::env::current_exe().ok();
    }
    config.hsts |= args.hsts;
    if let Some(v) = args.header_read_timeout {
        config.header_read_timeout_seconds = v.max(1);
    }
    if let Some(v) = args.request_timeout {
        config.request_timeout_seconds = v.max(1);
    }
    if let Some(v) = args.upload_timeout {
        config.upload_timeout_seconds = v.max(1);
    }
    if let Some(v) = args.max_connections {
        config.max_connections = v.max(1);
    }
    if let Some(v) = &args.public_url {
        config.public_url = Some(v.clone()).filter(|v| !v.is_empty());
    }
    if let Some(v) = &args.smtp_host {
        config.smtp_host = Some(v.clone()).filter(|v| !v.is_empty());
    }
    if let Some(v) = args.smtp_port {
        config.smtp_port = v;
    }
    if let Some(v) = &args.smtp_tls {
        config.smtp_tls = cloudward_server::SmtpTls::parse(v)
            .ok_or_else(|| ctx.bad_value("--smtp-tls", v, &["starttls", "none"]))?;
    }
    if let Some(v) = &args.smtp_ca_file {
        // A bad CA file is found at start, not at the first mail hours later.
        cloudward_server::notify::smtp_roots(v).map_err(Failure::Input)?;
        config.smtp_ca_file = Some(v.clone());
    }
    config.font_dirs.clone_from(&args.font_dirs);
    if args.templates.is_some() {
        config.templates_dir.clone_from(&args.templates);
    }
    if args.webhook_private_addresses {
        config.webhook_private_addresses = true;
    }
    if let Some(v) = &args.smtp_username {
        config.smtp_username = Some(v.clone()).filter(|v| !v.is_empty());
    }
    if let Some(v) = &args.smtp_password {
        config.smtp_password = Some(cloudward_server::Secret::new(v.clone()));
    }
    if let Some(v) = &args.smtp_from {
        config.smtp_from = Some(v.clone()).filter(|v| !v.is_empty());
    }
    init_logging();
    let rt = runtime()?;
    rt.block_on(async {
        let store = open_store(&config).await?;
        tracing::info!(
            backend = store.backend(),
            database = %config.database.as_deref().map(cloudward_store::redact).unwrap_or_default(),
            data_dir = %config.data_dir.display(),
            "store open"
        );
        let state = AppState::new(store, config).map_err(Failure::Input)?;
        // The demo is seeded through the server's own commands, before it listens.
        let logins = if args.demo {
            cloudward_server::demo::seed(&state)
                .await
                .map_err(Failure::Input)?
        } else {
            Vec::new()
        };
        let listener = cloudward_server::bind(&state.config)
            .await
            .map_err(|e| Failure::Input(e.to_string()))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::Input(e.to_string()))?;
        // With the demo, the first line says where to go and as whom.
        let (first, others): (Vec<_>, Vec<_>) = logins
            .iter()
            .partition(|l| l.username == cloudward_server::demo::FIRST);
        if let Some(l) = first.first() {
            writeln!(
                out,
                "open http://{addr}/ and log in as {} / {}  ({}: {})",
                l.username, l.password, l.what, l.sees
            )?;
        }
        writeln!(out, "cloudward listening on http://{addr}")?;
        writeln!(
            out,
            "console: http://{addr}/  ·  API: http://{addr}/api/openapi.json"
        )?;
        if !others.is_empty() {
            writeln!(
                out,
                "the other demo logins (passwords are new at every start; the API takes them \
                 at POST http://{addr}/api/v1/auth/login):"
            )?;
            let width = others.iter().map(|l| l.username.len()).max().unwrap_or(0);
            for l in &others {
                writeln!(
                    out,
                    "  {:<width$}  {}  ({}: {})",
                    l.username, l.password, l.what, l.sees
                )?;
            }
        }
        out.flush()?;
        cloudward_server::serve(listener, state)
            .await
            .map_err(|e| Failure::Input(e.to_string()))
    })
}

pub fn admin(ctx: &Ctx, cmd: &AdminCommand, out: &mut dyn Write) -> Result<(), Failure> {
    let AdminCommand::CreateUser {
        store: store_args,
        username,
        platform_admin,
        org,
        role,
        password_stdin,
    } = cmd;
    let config = base_config(ctx, store_args)?;
    let role = Role::parse(role)
        .ok_or_else(|| ctx.bad_value("--role", role, &["org_admin", "member", "read_only"]))?;
    let (password, generated) = if *password_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        (line.trim_end_matches(['\r', '\n']).to_owned(), false)
    } else {
        let token = cloudward_server::auth::random_token()
            .map_err(|_| Failure::Input("no random numbers from the operating system".into()))?;
        (token.chars().take(20).collect::<String>(), true)
    };
    if password.chars().count() < cloudward_server::auth::MIN_PASSWORD {
        return Err(Failure::Input(ctx.tr(
            "api.weak_password",
            &[("min", cloudward_server::auth::MIN_PASSWORD.to_string())],
        )));
    }
    let hash = cloudward_server::auth::hash_password(&password).map_err(Failure::Input)?;
    let rt = runtime()?;
    rt.block_on(async {
        let store = open_store(&config).await?;
        let org_id = match org {
            None => None,
            Some(name) => {
                let orgs = store
                    .list_orgs()
                    .await
                    .map_err(|e| Failure::Input(e.to_string()))?;
                let found = orgs.iter().find(|o| &o.name == name || &o.id == name);
                match found {
                    Some(o) => Some(o.id.clone()),
                    None => {
                        let names: Vec<&str> = orgs.iter().map(|o| o.name.as_str()).collect();
                        return Err(ctx.bad_value("--org", name, &names));
                    }
                }
            }
        };
        let user = store
            .create_user(
                &cloudward_store::Actor {
                    id: "cli".into(),
                    org_id: None,
                },
                NewUser {
                    org_id,
                    username: username.clone(),
                    display_name: username.clone(),
                    password_hash: hash,
                    role,
                    platform_admin: *platform_admin,
                },
            )
            .await
            .map_err(|e| Failure::Input(format!("cloudward: {username}: {e}")))?;
        store.close().await;
        writeln!(out, "created user {} ({})", user.username, user.id)?;
        if generated {
            writeln!(out, "password (shown once): {password}")?;
        }
        Ok(())
    })
}

pub fn audit(ctx: &Ctx, cmd: &AuditCommand, out: &mut dyn Write) -> Result<(), Failure> {
    let AuditCommand::Verify { store: store_args } = cmd;
    let config = base_config(ctx, store_args)?;
    let rt = runtime()?;
    rt.block_on(async {
        let store = open_store(&config).await?;
        let v = cloudward_store::verify(store.as_ref(), &config.data_dir)
            .await
            .map_err(|e| Failure::Input(e.to_string()))?;
        store.close().await;
        if ctx.format == crate::output::Format::Json {
            serde_json::to_writer_pretty(&mut *out, &v).map_err(std::io::Error::other)?;
            writeln!(out)?;
        } else if let Some(b) = &v.broken {
            writeln!(
                out,
                "audit log BROKEN at entry {}: {} ({} entries verified before it)",
                b.seq,
                b.reason,
                b.seq - 1
            )?;
        } else {
            writeln!(
                out,
                "audit log intact: {} entries, head {}, {} signed checkpoints verified",
                v.entries, v.head_hash, v.checkpoints
            )?;
        }
        if v.ok() { Ok(()) } else { Err(Failure::Failed) }
    })
}

/// `cloudward push`: one POST with the report and a bearer token.
pub fn push(ctx: &Ctx, args: &PushArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let text = std::fs::read_to_string(&args.file).map_err(|e| {
        Failure::Input(ctx.tr(
            "input.unreadable",
            &[
                ("file", args.file.display().to_string()),
                ("detail", e.to_string()),
            ],
        ))
    })?;
    let report: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        Failure::Input(format!(
            "{}: {}:{}:{}: {e}",
            ctx.tr(
                "input.malformed",
                &[("file", args.file.display().to_string())]
            ),
            args.file.display(),
            e.line(),
            e.column()
        ))
    })?;
    let url = format!(
        "{}/api/v1/engagements/{}/scans",
        args.server.trim_end_matches('/'),
        args.engagement
    );
    let response = reqwest::blocking::Client::new()
        .post(&url)
        .bearer_auth(&args.token)
        .header(
            "accept-language",
            if ctx.lang == cloudward_domain::Lang::Zh {
                "zh"
            } else {
                "en"
            },
        )
        .json(&report)
        .send()
        .map_err(|e| Failure::Input(format!("cloudward push: {url}: {e}")))?;
    let status = response.status();
    let body: serde_json::Value = response.json().unwrap_or_default();
    if !status.is_success() {
        let message = body["error"]["message"].as_str().unwrap_or("");
        return Err(Failure::Input(format!(
            "cloudward push: the server refused the scan ({status}): {message}"
        )));
    }
    if ctx.format == crate::output::Format::Json {
        serde_json::to_writer_pretty(&mut *out, &body).map_err(std::io::Error::other)?;
        writeln!(out)?;
    } else {
        let run = &body["run"];
        writeln!(
            out,
            "run {}: {} failed, {} passed; findings opened {}, reopened {}, closed {}",
            body["id"].as_str().unwrap_or("?"),
            run["failed"],
            run["passed"],
            run["opened"],
            run["reopened"],
            run["closed"]
        )?;
    }
    Ok(())
}
