//! The message table: every user-facing sentence of the product, in both languages.
//!
//! Messages live in `content/i18n/messages.yaml` as `key: { zh: …, en: … }` with
//! `{name}` placeholders. Rendering a key that is missing returns the key itself, so a
//! gap is visible rather than fatal; the tests make sure no key is missing.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::{Lang, Text};

#[derive(Debug, Clone, Default)]
pub struct Messages {
    table: BTreeMap<String, Text>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawText {
    zh: String,
    en: String,
}

impl Messages {
    /// Parses the message table. Errors name the line and what is wrong.
    pub fn parse(yaml: &str) -> Result<Messages, String> {
        let raw: BTreeMap<String, RawText> =
            serde_saphyr::from_str(yaml).map_err(|e| e.to_string())?;
        let table = raw
            .into_iter()
            .map(|(k, v)| (k, Text { zh: v.zh, en: v.en }))
            .collect();
        Ok(Messages { table })
    }

    pub fn get(&self, key: &str) -> Option<&Text> {
        self.table.get(key)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.table.keys().map(String::as_str)
    }

    /// The message for `key` in `lang`, with `{name}` placeholders filled from `args`.
    pub fn render(&self, key: &str, lang: Lang, args: &[(&str, String)]) -> String {
        let Some(text) = self.table.get(key) else {
            return key.to_owned();
        };
        let mut out = text.get(lang).to_owned();
        for (name, value) in args {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// Shorthand for a message without arguments.
    pub fn text(&self, key: &str, lang: Lang) -> String {
        self.render(key, lang, &[])
    }
}
