//! Hard-coded secrets in Terraform: passwords, AccessKey pairs, private keys and tokens
//! written as literal values — in a resource's attributes, a provider block, a variable's
//! default or a `.tfvars` file. Each one found becomes a `terraform_secret` record (its
//! kind and the attribute's name, never the value) where it is written, for the rules of
//! `content/rules/secrets.yaml` to report.

use std::sync::{Arc, LazyLock};

use regex::Regex;

use crate::model::{Pairs, Resource};
use crate::value::{Map, Value, intern};

/// The resource type of a secret found in the code.
pub const SECRET_TYPE: &str = "terraform_secret";
/// The pseudo-provider of what is not a cloud resource.
pub const PSEUDO_PROVIDER: &str = "terraform";

/// What a hard-coded secret is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Password,
    AccessKey,
    PrivateKey,
    Token,
}

impl Kind {
    pub fn id(self) -> &'static str {
        match self {
            Kind::Password => "password",
            Kind::AccessKey => "access_key",
            Kind::PrivateKey => "private_key",
            Kind::Token => "token",
        }
    }
}

#[allow(clippy::expect_used, reason = "constant patterns")]
static ACCESS_KEY_ID: LazyLock<Regex> = LazyLock::new(|| {
    // Alibaba Cloud (LTAI…), AWS (AKIA… / ASIA…), Tencent Cloud (AKID…) AccessKey ids.
    Regex::new(r"^(LTAI[0-9A-Za-z]{12,28}|(AKIA|ASIA)[0-9A-Z]{16}|AKID[0-9A-Za-z]{13,40})$")
        .expect("a valid pattern")
});

/// The kind of secret a literal `value` under the attribute `key` is, if any.
pub fn kind_of(key: &str, value: &str) -> Option<Kind> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.contains("-----BEGIN") && v.contains("PRIVATE KEY") {
        return Some(Kind::PrivateKey);
    }
    if ACCESS_KEY_ID.is_match(v) {
        return Some(Kind::AccessKey);
    }
    let k = key.to_ascii_lowercase();
    // Encrypted values (KMS ciphertext) and settings about secrets are not secrets.
    if k.starts_with("kms_encrypted") || k.starts_with("encrypted_") || k.contains("encryption") {
        return None;
    }
    let ends = |s: &str| k == s || k.ends_with(&format!("_{s}"));
    if ends("password") || ends("passwd") || ends("pwd") {
        return Some(Kind::Password);
    }
    if ends("secret_key")
        || ends("access_key_secret")
        || ends("secret_access_key")
        || ends("client_secret")
        || k == "secret"
    {
        return Some(Kind::AccessKey);
    }
    // `token` alone also names delimiters (a log index's): only a token-like value counts.
    let token_like = v.len() >= 8 && !v.chars().any(char::is_whitespace);
    if (k.ends_with("_token") && token_like)
        || (k == "token"
            && v.len() >= 20
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)))
    {
        return Some(Kind::Token);
    }
    None
}

/// Every secret in `value` (a resource's attributes, a provider's): (kind, dotted path of
/// the attribute). Lists of blocks give their index (`connection.0.password`).
pub fn find(value: &Value, out: &mut Vec<(Kind, String)>) {
    fn walk(v: &Value, key: &str, path: &str, out: &mut Vec<(Kind, String)>) {
        match v {
            Value::String(s) => {
                if let Some(kind) = kind_of(key, s) {
                    out.push((kind, path.to_owned()));
                }
            }
            Value::Map(m) => {
                for (k, x) in m.iter() {
                    let p = if path.is_empty() {
                        k.to_owned()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(x, k, &p, out);
                }
            }
            Value::List(l) => {
                for (i, x) in l.iter().enumerate() {
                    walk(x, key, &format!("{path}.{i}"), out);
                }
            }
            _ => {}
        }
    }
    walk(value, "", "", out);
}

/// The line of `attribute`'s last key (`password` of `connection.0.password`) at or after
/// line `from` of `text`, else `from`.
pub fn line_in(text: &str, from: u64, attribute: &str) -> u64 {
    let key = attribute
        .rsplit('.')
        .find(|s| s.parse::<usize>().is_err())
        .unwrap_or(attribute);
    text.lines()
        .enumerate()
        .skip(from.saturating_sub(1) as usize)
        .find(|(_, l)| {
            l.trim_start().strip_prefix(key).is_some_and(|r| {
                r.trim_start().starts_with('=') && !r.trim_start().starts_with("==")
            })
        })
        .map_or(from, |(i, _)| i as u64 + 1)
}

/// The record of one secret found at `address` (`alicloud_db_instance.main`,
/// `provider.alicloud`, `var.db_password`): its kind and attribute, not its value.
pub fn record(
    address: &str,
    file: &Arc<str>,
    line: u64,
    kind: Kind,
    attribute: &str,
    ignored: Pairs,
) -> Resource {
    let mut attrs = Map::new();
    attrs.insert("kind", Value::String(kind.id().into()));
    attrs.insert("attribute", Value::String(attribute.into()));
    Resource {
        address: address.into(),
        rtype: intern(SECRET_TYPE),
        provider: intern(PSEUDO_PROVIDER),
        region: None,
        file: file.clone(),
        line,
        attrs: Value::Map(attrs),
        refs: Box::new([]),
        ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(kind_of("password", "Passw0rd!"), Some(Kind::Password));
        assert_eq!(kind_of("db_password", "x"), Some(Kind::Password));
        assert_eq!(kind_of("password_reuse_prevention", "5"), None);
        assert_eq!(kind_of("kms_encrypted_password", "AQICAH"), None);
        assert_eq!(kind_of("password", ""), None);
        assert_eq!(kind_of("secret_key", "abc"), Some(Kind::AccessKey));
        assert_eq!(
            kind_of("access_key", "LTAI5tAbCdEfGhIjKlMnOp"),
            Some(Kind::AccessKey)
        );
        assert_eq!(
            kind_of("access_key", "AKIAIOSFODNN7EXAMPLE"),
            Some(Kind::AccessKey)
        );
        assert_eq!(
            kind_of("user_data", "-----BEGIN RSA PRIVATE KEY-----\nMII"),
            Some(Kind::PrivateKey)
        );
        assert_eq!(kind_of("api_token", "ghp_0123456789"), Some(Kind::Token));
        assert_eq!(kind_of("token_expire", "3600"), None);
        assert_eq!(kind_of("token", ", '\";=()[]{}?@&<>/:\n\t\r"), None);
        assert_eq!(kind_of("description", "a password is needed"), None);
    }
}
