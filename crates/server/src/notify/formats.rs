//! What each kind of channel is sent: the body (and the URL, for DingTalk's signature) of a
//! webhook, the subject and text of a mail, and the signatures, from a rendered [`Message`].
//! Pure: the time of a signature is given.

use base64::Engine as _;
use hmac::{KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use super::{ChannelKind, MessageLang};

/// One text in both languages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Bilingual {
    pub zh: String,
    pub en: String,
}

impl Bilingual {
    /// The text in `lang`; both languages (Chinese first) joined by `sep`.
    pub fn in_lang(&self, lang: MessageLang, sep: &str) -> String {
        match lang {
            MessageLang::Zh => self.zh.clone(),
            MessageLang::En => self.en.clone(),
            MessageLang::Both => format!("{}{sep}{}", self.zh, self.en),
        }
    }
}

/// A message as rendered when its event happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// The delivery's id (receivers can use it to drop a repeated delivery).
    pub id: String,
    pub event: String,
    pub org_id: String,
    pub engagement_id: Option<String>,
    pub engagement_name: Option<String>,
    pub title: Bilingual,
    pub text: Bilingual,
    /// A link to the console page it is about (absolute when the server knows its URL).
    pub link: Option<String>,
    /// When it happened (RFC 3339).
    pub at: String,
}

/// What to send to a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub url: String,
    pub body: Vec<u8>,
    /// Extra headers (the generic webhook's signature).
    pub headers: Vec<(&'static str, String)>,
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    // HMAC takes keys of any length.
    let mut mac = <hmac::Hmac<Sha256> as KeyInit>::new_from_slice(key)
        .unwrap_or_else(|_| <hmac::Hmac<Sha256> as KeyInit>::new(&Default::default()));
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

/// The generic webhook's signature of `body` sent at `timestamp` (Unix seconds):
/// `sha256=` and the hex HMAC-SHA256, keyed by the secret, of `"{timestamp}.{body}"`.
pub fn generic_signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut signed = format!("{timestamp}.").into_bytes();
    signed.extend_from_slice(body);
    format!(
        "sha256={}",
        hex::encode(hmac_sha256(secret.as_bytes(), &signed))
    )
}

/// DingTalk's `sign` for `timestamp` (Unix milliseconds): the Base64 HMAC-SHA256, keyed by
/// the secret, of `"{timestamp}\n{secret}"` (URL-encoded by the caller, as a query value).
pub fn dingtalk_sign(secret: &str, timestamp_ms: i64) -> String {
    let signed = format!("{timestamp_ms}\n{secret}");
    base64::engine::general_purpose::STANDARD
        .encode(hmac_sha256(secret.as_bytes(), signed.as_bytes()))
}

/// Feishu's `sign` for `timestamp` (Unix seconds): the Base64 HMAC-SHA256 of an empty
/// message keyed by `"{timestamp}\n{secret}"`.
pub fn feishu_sign(secret: &str, timestamp: i64) -> String {
    let key = format!("{timestamp}\n{secret}");
    base64::engine::general_purpose::STANDARD.encode(hmac_sha256(key.as_bytes(), b""))
}

fn with_link(text: String, link: Option<&str>) -> String {
    match link {
        Some(l) => format!("{text}\n\n{l}"),
        None => text,
    }
}

/// The plain text of a message (mail bodies, Feishu and the robots' text), in `lang`.
pub fn plain_text(m: &Message, lang: MessageLang) -> String {
    let body = match lang {
        MessageLang::Zh => format!("{}\n\n{}", m.title.zh, m.text.zh),
        MessageLang::En => format!("{}\n\n{}", m.title.en, m.text.en),
        MessageLang::Both => format!(
            "{}\n\n{}\n\n——\n\n{}\n\n{}",
            m.title.zh, m.text.zh, m.title.en, m.text.en
        ),
    };
    with_link(body, m.link.as_deref())
}

/// Markdown for the robots that take it (WeCom, DingTalk): a heading, the text, the link.
fn markdown(m: &Message, lang: MessageLang) -> String {
    let part = |title: &str, text: &str| format!("### {title}\n{text}");
    let body = match lang {
        MessageLang::Zh => part(&m.title.zh, &m.text.zh),
        MessageLang::En => part(&m.title.en, &m.text.en),
        MessageLang::Both => format!(
            "{}\n\n{}",
            part(&m.title.zh, &m.text.zh),
            part(&m.title.en, &m.text.en)
        ),
    };
    match &m.link {
        Some(l) => format!("{body}\n\n[{l}]({l})"),
        None => body,
    }
}

/// The mail subject: the title in `lang` (both joined by " / ").
pub fn subject(m: &Message, lang: MessageLang) -> String {
    m.title.in_lang(lang, " / ")
}

/// The request for a webhook of `kind` at `url`, sent at `now_ms` (Unix milliseconds),
/// signed with `secret` where the kind signs.
pub fn webhook(
    kind: ChannelKind,
    url: &str,
    secret: Option<&str>,
    m: &Message,
    lang: MessageLang,
    now_ms: i64,
) -> Request {
    let secs = now_ms.div_euclid(1000);
    let body_of = |v: Value| v.to_string().into_bytes();
    match kind {
        ChannelKind::Email | ChannelKind::Generic => {
            let body = body_of(json!({
                "id": m.id,
                "event": m.event,
                "org_id": m.org_id,
                "engagement_id": m.engagement_id,
                "engagement_name": m.engagement_name,
                "lang": lang.id(),
                "title": m.title.in_lang(lang, " / "),
                "text": m.text.in_lang(lang, "\n\n"),
                "i18n": { "zh": { "title": m.title.zh, "text": m.text.zh },
                          "en": { "title": m.title.en, "text": m.text.en } },
                "link": m.link,
                "at": m.at,
            }));
            let mut headers = vec![
                ("x-cloudward-event", m.event.clone()),
                ("x-cloudward-delivery", m.id.clone()),
                ("x-cloudward-timestamp", secs.to_string()),
            ];
            if let Some(secret) = secret {
                headers.push((
                    "x-cloudward-signature",
                    generic_signature(secret, secs, &body),
                ));
            }
            Request {
                url: url.to_owned(),
                body,
                headers,
            }
        }
        ChannelKind::Wecom => Request {
            url: url.to_owned(),
            body: body_of(json!({
                "msgtype": "markdown",
                "markdown": { "content": markdown(m, lang) },
            })),
            headers: Vec::new(),
        },
        ChannelKind::Dingtalk => {
            let url = match secret {
                Some(secret) => {
                    let sign = dingtalk_sign(secret, now_ms);
                    let sep = if url.contains('?') { '&' } else { '?' };
                    format!(
                        "{url}{sep}timestamp={now_ms}&sign={}",
                        percent_encoding::utf8_percent_encode(
                            &sign,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    )
                }
                None => url.to_owned(),
            };
            Request {
                url,
                body: body_of(json!({
                    "msgtype": "markdown",
                    "markdown": { "title": subject(m, lang), "text": markdown(m, lang) },
                })),
                headers: Vec::new(),
            }
        }
        ChannelKind::Feishu => {
            let mut v = json!({
                "msg_type": "text",
                "content": { "text": plain_text(m, lang) },
            });
            if let Some(secret) = secret {
                v["timestamp"] = json!(secs.to_string());
                v["sign"] = json!(feishu_sign(secret, secs));
            }
            Request {
                url: url.to_owned(),
                body: body_of(v),
                headers: Vec::new(),
            }
        }
    }
}

/// Whether a robot's answer (HTTP 2xx) says it took the message: WeCom and DingTalk answer
/// `errcode` 0, Feishu `code` 0; anything else names the platform's error.
pub fn robot_refusal(kind: ChannelKind, body: &str) -> Option<String> {
    let v: Value = serde_json::from_str(body).ok()?;
    let (code, msg) = match kind {
        ChannelKind::Wecom | ChannelKind::Dingtalk => (v.get("errcode")?, v.get("errmsg")),
        ChannelKind::Feishu => match v.get("code").or_else(|| v.get("StatusCode")) {
            Some(c) => (c, v.get("msg").or_else(|| v.get("StatusMessage"))),
            None => return None,
        },
        ChannelKind::Email | ChannelKind::Generic => return None,
    };
    if code.as_i64() == Some(0) {
        return None;
    }
    // The platform's message, cut short: it is shown in the delivery log.
    let msg: String = msg
        .and_then(Value::as_str)
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    Some(format!("the platform answered code {code}: {msg}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    fn message() -> Message {
        Message {
            id: "d1".into(),
            event: "notice".into(),
            org_id: "o1".into(),
            engagement_id: Some("e1".into()),
            engagement_name: Some("EA".into()),
            title: Bilingual {
                zh: "标题".into(),
                en: "Title".into(),
            },
            text: Bilingual {
                zh: "正文".into(),
                en: "Text".into(),
            },
            link: Some("https://cw.example/engagements/e1".into()),
            at: "2026-01-01T00:00:00Z".into(),
        }
    }

    #[test]
    fn signatures_match_independent_computations() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            hex::encode(hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let body = br#"{"a":1}"#;
        let sig = generic_signature("s3cret", 1700000000, body);
        assert_eq!(
            sig,
            format!(
                "sha256={}",
                hex::encode(hmac_sha256(b"s3cret", b"1700000000.{\"a\":1}"))
            )
        );
        let b64 = base64::engine::general_purpose::STANDARD;
        assert_eq!(
            dingtalk_sign("SEC1", 1700000000000),
            b64.encode(hmac_sha256(b"SEC1", b"1700000000000\nSEC1"))
        );
        assert_eq!(
            feishu_sign("SEC1", 1700000000),
            b64.encode(hmac_sha256(b"1700000000\nSEC1", b""))
        );
    }

    #[test]
    fn each_kind_has_its_shape() {
        let m = message();
        let r = webhook(
            ChannelKind::Dingtalk,
            "https://oapi.example/robot/send?access_token=t",
            Some("SEC1"),
            &m,
            MessageLang::Zh,
            1700000000123,
        );
        assert!(r.url.starts_with(
            "https://oapi.example/robot/send?access_token=t&timestamp=1700000000123&sign="
        ));
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["msgtype"], "markdown");
        let r = webhook(
            ChannelKind::Feishu,
            "https://open.example/hook/x",
            Some("SEC1"),
            &m,
            MessageLang::En,
            1700000000123,
        );
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["timestamp"], "1700000000");
        assert_eq!(v["msg_type"], "text");
        assert!(v["content"]["text"].as_str().unwrap().starts_with("Title"));
        let r = webhook(
            ChannelKind::Wecom,
            "https://qyapi.example/send?key=k",
            None,
            &m,
            MessageLang::Both,
            0,
        );
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert!(
            v["markdown"]["content"]
                .as_str()
                .unwrap()
                .contains("### 标题")
        );
        let r = webhook(
            ChannelKind::Generic,
            "http://x/",
            None,
            &m,
            MessageLang::Both,
            0,
        );
        assert!(r.headers.iter().all(|(h, _)| *h != "x-cloudward-signature"));
        assert_eq!(
            robot_refusal(ChannelKind::Wecom, r#"{"errcode":0,"errmsg":"ok"}"#),
            None
        );
        assert!(
            robot_refusal(
                ChannelKind::Feishu,
                r#"{"code":19021,"msg":"sign match fail"}"#
            )
            .unwrap()
            .contains("19021")
        );
    }
}
