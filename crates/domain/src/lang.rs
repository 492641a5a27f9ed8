//! Languages and bilingual text.

use serde::Serialize;

/// The two languages every text of the product is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Zh, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// Parses `zh`, `en` and locale forms such as `zh_CN.UTF-8` or `en-GB`.
    pub fn parse(value: &str) -> Option<Lang> {
        let lower = value.trim().to_ascii_lowercase();
        if lower == "zh" || lower.starts_with("zh_") || lower.starts_with("zh-") {
            Some(Lang::Zh)
        } else if lower == "en" || lower.starts_with("en_") || lower.starts_with("en-") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language a POSIX locale value asks for: Chinese for `zh*`, English otherwise
    /// (including `C`, `POSIX` and an unset locale).
    pub fn from_locale(value: Option<&str>) -> Lang {
        match value.and_then(Lang::parse) {
            Some(lang) => lang,
            None => Lang::En,
        }
    }
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }

    /// Case-insensitive match of `needle` in either language.
    pub fn contains(&self, needle_lower: &str) -> bool {
        self.zh.to_lowercase().contains(needle_lower)
            || self.en.to_lowercase().contains(needle_lower)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_defaults() {
        assert_eq!(Lang::from_locale(Some("zh_CN.UTF-8")), Lang::Zh);
        assert_eq!(Lang::from_locale(Some("en_US.UTF-8")), Lang::En);
        assert_eq!(Lang::from_locale(Some("C")), Lang::En);
        assert_eq!(Lang::from_locale(None), Lang::En);
        assert_eq!(Lang::parse("fr"), None);
    }
}
