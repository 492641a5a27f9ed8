//! Sending one message: by SMTP (lettre; STARTTLS through rustls unless the server is set to
//! send in the clear) or by HTTP POST (reqwest over rustls). Every error is returned cleaned
//! of the channel's URL and secret and of the SMTP password.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use cloudward_store::Record;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::formats::{self, Message};
use super::{ChannelData, ChannelKind, redact};
use crate::{AppState, SmtpTls};

type HttpClient = hyper_util::client::legacy::Client<
    hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector<Resolver>>,
    http_body_util::Full<axum::body::Bytes>,
>;

/// What a webhook to an address that is not public says.
const NOT_PUBLIC: &str = "the receiver's address is not on the public internet (loopback, a private network or link-local); this server sends webhooks there only when started with --webhook-private-addresses";

/// Whether `ip` is an address of the public internet: not loopback, a private or shared
/// (carrier-grade NAT) network, link-local (where cloud metadata services answer),
/// unspecified, broadcast, multicast or reserved for documentation.
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(a) => {
            let [first, second, ..] = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_multicast()
                || a.is_documentation()
                || first == 0
                || (first == 100 && (second & 0xC0) == 64))
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let head = a.segments()[0];
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (head & 0xFE00) == 0xFC00
                || (head & 0xFFC0) == 0xFE80
                || head == 0x2001 && a.segments()[1] == 0x0DB8)
        }
    }
}

/// Name resolution for webhooks: the system's, keeping only public addresses unless the
/// server allows private ones. Resolving here, at connection time, is what stops a name
/// that resolves to a public address when the channel is saved and to an internal one when
/// it is used.
#[derive(Clone, Copy)]
struct Resolver {
    private: bool,
}

impl tower::Service<hyper_util::client::legacy::connect::dns::Name> for Resolver {
    type Response = std::vec::IntoIter<std::net::SocketAddr>;
    type Error = std::io::Error;
    type Future = std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>,
    >;

    fn poll_ready(
        &mut self,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: hyper_util::client::legacy::connect::dns::Name) -> Self::Future {
        let private = self.private;
        Box::pin(async move {
            let found: Vec<std::net::SocketAddr> = tokio::net::lookup_host((name.as_str(), 0))
                .await?
                .filter(|a| private || is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::PermissionDenied,
                    NOT_PUBLIC,
                ));
            }
            Ok(found.into_iter())
        })
    }
}

/// The HTTP client for webhooks (one for each setting of private addresses): HTTPS through
/// rustls (the ring provider, the platform's certificate store) or plain HTTP; redirects are
/// not followed (a robot URL that redirects is misconfigured, and a redirect could carry the
/// signed body elsewhere).
fn client(private: bool) -> Result<&'static HttpClient, String> {
    static CLIENTS: [OnceLock<Result<HttpClient, String>>; 2] = [OnceLock::new(), OnceLock::new()];
    CLIENTS[usize::from(private)]
        .get_or_init(|| {
            let mut http =
                hyper_util::client::legacy::connect::HttpConnector::new_with_resolver(Resolver {
                    private,
                });
            http.enforce_http(false);
            let https = hyper_rustls::HttpsConnectorBuilder::new()
                .with_provider_and_platform_verifier(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .map_err(|e| format!("TLS does not start: {e}"))?
                .https_or_http()
                .enable_http1()
                .wrap_connector(http);
            Ok(
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build(https),
            )
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// Sends `m` to channel `c` (record `r`) at `now`.
pub(super) async fn send(
    state: &AppState,
    r: &Record,
    c: &ChannelData,
    m: &Message,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let keyring = state.keyring()?;
    let open = |sealed: &Option<String>| -> Result<Option<String>, String> {
        sealed
            .as_deref()
            .map(|s| keyring.open(&r.owner_org_id, s))
            .transpose()
    };
    let url = open(&c.url_sealed)?;
    let secret = open(&c.secret_sealed)?;
    let mut secrets: Vec<&str> = Vec::new();
    secrets.extend(url.as_deref());
    secrets.extend(secret.as_deref());
    if let Some(p) = &state.config.smtp_password {
        secrets.push(p.expose());
    }
    let result = match c.kind {
        ChannelKind::Email => mail(state, c, m).await,
        kind => match &url {
            Some(url) => {
                post(
                    kind,
                    url,
                    secret.as_deref(),
                    (c, m, now),
                    state.config.webhook_private_addresses,
                )
                .await
            }
            None => Err("the channel has no URL".to_owned()),
        },
    };
    result.map_err(|e| redact(&e, &secrets))
}

async fn post(
    kind: ChannelKind,
    url: &str,
    secret: Option<&str>,
    (c, m, now): (&ChannelData, &Message, DateTime<Utc>),
    private: bool,
) -> Result<(), String> {
    use http_body_util::BodyExt as _;
    let req = formats::webhook(kind, url, secret, m, c.lang, now.timestamp_millis());
    // An address written as such is never resolved: it is judged here.
    let literal = req
        .url
        .parse::<axum::http::Uri>()
        .ok()
        .and_then(|u| u.host().map(|h| h.trim_matches(['[', ']']).to_owned()))
        .and_then(|h| h.parse::<std::net::IpAddr>().ok());
    if !private && literal.is_some_and(|ip| !is_public(ip)) {
        return Err(NOT_PUBLIC.to_owned());
    }
    let mut b = axum::http::Request::post(&req.url)
        .header(axum::http::header::CONTENT_TYPE, "application/json")
        .header(
            axum::http::header::USER_AGENT,
            concat!("cloudward/", env!("CARGO_PKG_VERSION")),
        );
    for (name, value) in &req.headers {
        b = b.header(*name, value);
    }
    let request = b
        .body(http_body_util::Full::new(axum::body::Bytes::from(req.body)))
        .map_err(|_| "the URL is not one".to_owned())?;
    // Errors name the kind of failure, never the URL: it carries the robots' tokens (and
    // `redact` cleans what is left).
    let res = tokio::time::timeout(Duration::from_secs(15), client(private)?.request(request))
        .await
        .map_err(|_| "the receiver did not answer within 15 s".to_owned())?
        .map_err(|e| {
            use std::error::Error as _;
            // The innermost cause says what went wrong (the resolver's refusal included).
            let mut cause = e.source().map(|s| s.to_string()).unwrap_or_default();
            let mut at = e.source();
            while let Some(next) = at.and_then(|s| s.source()) {
                cause = next.to_string();
                at = Some(next);
            }
            format!(
                "cannot reach the receiver ({})",
                if cause.is_empty() {
                    e.to_string()
                } else {
                    cause
                }
            )
        })?;
    let status = res.status();
    let body = tokio::time::timeout(Duration::from_secs(15), res.into_body().collect())
        .await
        .ok()
        .and_then(Result::ok)
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    if !status.is_success() {
        return Err(format!("the receiver answered HTTP {}", status.as_u16()));
    }
    match formats::robot_refusal(kind, &String::from_utf8_lossy(&body)) {
        Some(refusal) => Err(refusal),
        None => Ok(()),
    }
}

async fn mail(state: &AppState, c: &ChannelData, m: &Message) -> Result<(), String> {
    let cfg = &state.config;
    let Some(host) = cfg.smtp_host.as_deref().filter(|h| !h.is_empty()) else {
        return Err("the server has no SMTP server configured (--smtp-host)".to_owned());
    };
    let Some(from) = cfg.smtp_from.as_deref() else {
        return Err("the server has no sender address configured (--smtp-from)".to_owned());
    };
    let from: Mailbox = from
        .parse()
        .map_err(|e| format!("the sender address is not one: {e}"))?;
    let mut builder = lettre::Message::builder()
        .from(from)
        .subject(formats::subject(m, c.lang))
        .header(ContentType::TEXT_PLAIN);
    if c.recipients.is_empty() {
        return Err("the channel has no recipients".to_owned());
    }
    for to in &c.recipients {
        let to: Mailbox = to
            .parse()
            .map_err(|e| format!("{to} is not a mail address: {e}"))?;
        builder = builder.to(to);
    }
    let email = builder
        .body(formats::plain_text(m, c.lang))
        .map_err(|e| format!("the message does not build: {e}"))?;
    let transport = match cfg.smtp_tls {
        SmtpTls::Starttls => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let mut tls = TlsParameters::builder(host.to_owned());
            if let Some(path) = &cfg.smtp_ca_file {
                tls = tls.add_root_certificate(smtp_roots(path)?);
            }
            let tls = tls
                .build_rustls()
                .map_err(|e| format!("STARTTLS to {host}: {e}"))?;
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).tls(Tls::Required(tls))
        }
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
    };
    let mut transport = transport
        .port(cfg.smtp_port)
        .timeout(Some(Duration::from_secs(30)));
    if let Some(user) = &cfg.smtp_username {
        let password = cfg
            .smtp_password
            .as_ref()
            .map(|p| p.expose().to_owned())
            .unwrap_or_default();
        transport = transport.credentials(Credentials::new(user.clone(), password));
    }
    transport
        .build()
        .send(email)
        .await
        .map(|_| ())
        .map_err(|e| format!("SMTP {host}:{}: {e}", cfg.smtp_port))
}

/// The certificate authorities of `path` (PEM), to trust for the SMTP server besides the
/// system's: an error names the file and says what is wrong with it.
pub fn smtp_roots(path: &std::path::Path) -> Result<Certificate, String> {
    let pem = std::fs::read(path)
        .map_err(|e| format!("the SMTP CA file {} does not read: {e}", path.display()))?;
    let count = String::from_utf8_lossy(&pem)
        .matches("-----BEGIN CERTIFICATE-----")
        .count();
    if count == 0 {
        return Err(format!(
            "the SMTP CA file {} holds no certificate (PEM, -----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    Certificate::from_pem(&pem)
        .map_err(|e| format!("the SMTP CA file {} is not valid PEM: {e}", path.display()))
}
