//! Problems found while loading content: where they are and what is wrong.
//!
//! A problem carries structured data; its words come from the message table
//! (`content/i18n/messages.yaml`) so that it can be shown in either language.

use serde::Serialize;

use crate::Lang;
use crate::i18n::Messages;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Path of the file, relative to the content folder.
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<u64>,
    /// The entry concerned, such as a control id.
    pub entry: Option<String>,
    pub kind: ProblemKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum ProblemKind {
    /// The file is not valid YAML or does not have the expected shape.
    Syntax {
        detail: String,
    },
    /// A required file is absent.
    MissingFile,
    /// The file or folder could not be read.
    Unreadable {
        detail: String,
    },
    /// A file in a folder that only holds known files.
    UnexpectedFile,
    DuplicateId {
        id: String,
        first: String,
    },
    BadId {
        value: String,
        expected: String,
    },
    UnknownValue {
        field: String,
        value: String,
        accepted: Vec<String>,
    },
    MissingTranslation {
        field: String,
        lang: String,
    },
    DanglingReference {
        field: String,
        value: String,
    },
    /// The control advertises an origin that does not fit its level.
    OriginMismatch {
        level: String,
    },
    TopicWithoutControl {
        topic: String,
    },
    FamilyWithoutEnhanced {
        family: String,
    },
    FamilyWithoutControls {
        family: String,
    },
    VerifiedWithoutClause,
    Empty {
        what: String,
    },
    /// A GB/T 22239 clause whose chapter or part does not fit the level it is given for.
    ClauseLevelMismatch {
        number: String,
        level: String,
        expected: String,
    },
    /// A GB/T 22239 item lists a level but gives no clause for it.
    MissingClause {
        level: String,
    },
    /// A GB/T 22239 item with neither `maps` nor `none`.
    NoCrosswalk,
    /// A GB/T 22239 item with both `maps` and `none`.
    MapsAndNone,
}

impl ProblemKind {
    pub fn key(&self) -> &'static str {
        match self {
            Self::Syntax { .. } => "problem.syntax",
            Self::MissingFile => "problem.missing_file",
            Self::Unreadable { .. } => "problem.unreadable",
            Self::UnexpectedFile => "problem.unexpected_file",
            Self::DuplicateId { .. } => "problem.duplicate_id",
            Self::BadId { .. } => "problem.bad_id",
            Self::UnknownValue { .. } => "problem.unknown_value",
            Self::MissingTranslation { .. } => "problem.missing_translation",
            Self::DanglingReference { .. } => "problem.dangling_reference",
            Self::OriginMismatch { .. } => "problem.origin_mismatch",
            Self::TopicWithoutControl { .. } => "problem.topic_without_control",
            Self::FamilyWithoutEnhanced { .. } => "problem.family_without_enhanced",
            Self::FamilyWithoutControls { .. } => "problem.family_without_controls",
            Self::VerifiedWithoutClause => "problem.verified_without_clause",
            Self::Empty { .. } => "problem.empty",
            Self::ClauseLevelMismatch { .. } => "problem.clause_level_mismatch",
            Self::MissingClause { .. } => "problem.missing_clause",
            Self::NoCrosswalk => "problem.no_crosswalk",
            Self::MapsAndNone => "problem.maps_and_none",
        }
    }

    pub fn args(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::Syntax { detail } | Self::Unreadable { detail } => {
                vec![("detail", detail.clone())]
            }
            Self::MissingFile
            | Self::UnexpectedFile
            | Self::VerifiedWithoutClause
            | Self::NoCrosswalk
            | Self::MapsAndNone => vec![],
            Self::DuplicateId { id, first } => vec![("id", id.clone()), ("first", first.clone())],
            Self::BadId { value, expected } => {
                vec![("value", value.clone()), ("expected", expected.clone())]
            }
            Self::UnknownValue {
                field,
                value,
                accepted,
            } => vec![
                ("field", field.clone()),
                ("value", value.clone()),
                ("accepted", accepted.join(", ")),
            ],
            Self::MissingTranslation { field, lang } => {
                vec![("field", field.clone()), ("lang", lang.clone())]
            }
            Self::DanglingReference { field, value } => {
                vec![("field", field.clone()), ("value", value.clone())]
            }
            Self::OriginMismatch { level } => vec![("level", level.clone())],
            Self::TopicWithoutControl { topic } => vec![("topic", topic.clone())],
            Self::FamilyWithoutEnhanced { family } | Self::FamilyWithoutControls { family } => {
                vec![("family", family.clone())]
            }
            Self::Empty { what } => vec![("what", what.clone())],
            Self::ClauseLevelMismatch {
                number,
                level,
                expected,
            } => vec![
                ("number", number.clone()),
                ("level", level.clone()),
                ("expected", expected.clone()),
            ],
            Self::MissingClause { level } => vec![("level", level.clone())],
        }
    }
}

impl Problem {
    /// `file:line: entry: message`, in `lang`.
    pub fn render(&self, messages: &Messages, lang: Lang) -> String {
        let mut out = self.file.clone();
        if let Some(line) = self.line {
            out.push_str(&format!(":{line}"));
        }
        out.push_str(": ");
        if let Some(entry) = &self.entry {
            out.push_str(entry);
            out.push_str(": ");
        }
        out.push_str(&messages.render(self.kind.key(), lang, &self.kind.args()));
        out
    }
}

/// One sample of every kind, so tests can check that each has a message in both
/// languages. Keep in step with [`ProblemKind`].
pub fn samples() -> Vec<ProblemKind> {
    vec![
        ProblemKind::Syntax {
            detail: String::new(),
        },
        ProblemKind::MissingFile,
        ProblemKind::Unreadable {
            detail: String::new(),
        },
        ProblemKind::UnexpectedFile,
        ProblemKind::DuplicateId {
            id: String::new(),
            first: String::new(),
        },
        ProblemKind::BadId {
            value: String::new(),
            expected: String::new(),
        },
        ProblemKind::UnknownValue {
            field: String::new(),
            value: String::new(),
            accepted: vec![],
        },
        ProblemKind::MissingTranslation {
            field: String::new(),
            lang: String::new(),
        },
        ProblemKind::DanglingReference {
            field: String::new(),
            value: String::new(),
        },
        ProblemKind::OriginMismatch {
            level: String::new(),
        },
        ProblemKind::TopicWithoutControl {
            topic: String::new(),
        },
        ProblemKind::FamilyWithoutEnhanced {
            family: String::new(),
        },
        ProblemKind::FamilyWithoutControls {
            family: String::new(),
        },
        ProblemKind::VerifiedWithoutClause,
        ProblemKind::Empty {
            what: String::new(),
        },
        ProblemKind::ClauseLevelMismatch {
            number: String::new(),
            level: String::new(),
            expected: String::new(),
        },
        ProblemKind::MissingClause {
            level: String::new(),
        },
        ProblemKind::NoCrosswalk,
        ProblemKind::MapsAndNone,
    ]
}
