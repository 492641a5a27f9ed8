//! Where each kind of record is kept. Most kinds share the `records` table (their document
//! and the columns access control needs); kinds that queries filter, count or page on have
//! a table of their own, whose extra columns (and child tables) are written from the
//! record's document on every write, in the same transaction. One description per table,
//! read by the one write path and the one read path of `sql.rs`.

use serde_json::Value;

use crate::{RecordFilter, Result, StoreError};

/// A value for a column.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Text(Option<String>),
    Int(i64),
    Bool(bool),
}

/// A table whose rows depend on one record (its parent column names the record's id) and
/// are written again from the record's document on every write.
pub(crate) struct Child {
    pub table: &'static str,
    pub parent: &'static str,
    pub columns: &'static [&'static str],
    pub rows: fn(&Value) -> Result<Vec<Vec<Val>>>,
}

/// A table of records.
pub(crate) struct Table {
    /// The one kind it keeps; `None` for `records`, which keeps the others in a `kind`
    /// column.
    pub kind: Option<&'static str>,
    pub name: &'static str,
    /// The columns holding the record's owner, second organisation, engagement and
    /// parent; `None` where the table has no such column (a record with one there is
    /// refused; a filter on it matches nothing).
    pub owner: &'static str,
    pub party: Option<&'static str>,
    pub engagement: Option<&'static str>,
    pub parent: Option<&'static str>,
    /// Columns written from the document, in the order `derive` gives their values.
    pub derived: &'static [&'static str],
    pub derive: fn(&Value) -> Result<Vec<Val>>,
    pub children: &'static [Child],
}

fn nothing(_: &Value) -> Result<Vec<Val>> {
    Ok(Vec::new())
}

fn text(data: &Value, path: &[&str]) -> Option<String> {
    let mut v = data;
    for k in path {
        v = v.get(k)?;
    }
    v.as_str().map(str::to_owned)
}

fn needed(kind: &str, data: &Value, path: &[&str]) -> Result<String> {
    text(data, path).ok_or_else(|| {
        StoreError::Other(format!(
            "a record of kind {kind} needs `{}` (text)",
            path.join(".")
        ))
    })
}

fn count(kind: &str, data: &Value, field: &str) -> Result<Val> {
    data.get(field)
        .and_then(Value::as_i64)
        .map(Val::Int)
        .ok_or_else(|| {
            StoreError::Other(format!(
                "a record of kind {kind} needs `{field}` (a number)"
            ))
        })
}

fn finding(data: &Value) -> Result<Vec<Val>> {
    Ok(vec![
        Val::Text(Some(needed("finding", data, &["key"])?)),
        Val::Text(Some(needed("finding", data, &["state"])?)),
        Val::Text(text(data, &["assignee"])),
        Val::Text(Some(text(data, &["rule_id"]).unwrap_or_default())),
        Val::Int(crate::severity_rank(
            text(data, &["severity"]).as_deref().unwrap_or(""),
        )),
    ])
}

fn assessment(data: &Value) -> Result<Vec<Val>> {
    Ok(vec![
        Val::Text(Some(needed("assessment", data, &["level"])?)),
        Val::Text(text(data, &["conclusion", "outcome"])),
        Val::Text(text(data, &["conclusion", "date"])),
        Val::Text(text(data, &["conclusion", "valid_until"])),
        Val::Bool(
            data.get("published")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        ),
    ])
}

fn assessment_results(data: &Value) -> Result<Vec<Vec<Val>>> {
    let Some(results) = data.get("results").and_then(Value::as_object) else {
        return Ok(Vec::new());
    };
    results
        .iter()
        .map(|(control, r)| {
            Ok(vec![
                Val::Text(Some(control.clone())),
                Val::Text(Some(needed("assessment", r, &["result"]).map_err(
                    |_| {
                        StoreError::Other(format!("the result of control {control} needs `result`"))
                    },
                )?)),
            ])
        })
        .collect()
}

fn assessment_grants(data: &Value) -> Result<Vec<Vec<Val>>> {
    let mut ids: Vec<&str> = data
        .get("grants")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    ids.sort_unstable();
    ids.dedup();
    Ok(ids
        .into_iter()
        .map(|id| vec![Val::Text(Some(id.to_owned()))])
        .collect())
}

fn scan_run(data: &Value) -> Result<Vec<Val>> {
    Ok(vec![
        Val::Text(Some(needed("scan_run", data, &["source"])?)),
        count("scan_run", data, "failed")?,
        count("scan_run", data, "passed")?,
        count("scan_run", data, "unknown")?,
        count("scan_run", data, "resources")?,
    ])
}

pub(crate) static RECORDS: Table = Table {
    kind: None,
    name: "records",
    owner: "owner_org_id",
    party: Some("party_org_id"),
    engagement: Some("engagement_id"),
    parent: Some("parent_id"),
    derived: &[],
    derive: nothing,
    children: &[],
};

pub(crate) static FINDINGS: Table = Table {
    kind: Some("finding"),
    name: "findings",
    owner: "owner_org_id",
    party: None,
    engagement: Some("engagement_id"),
    parent: None,
    derived: &["key", "state", "assignee", "rule_id", "severity_rank"],
    derive: finding,
    children: &[],
};

pub(crate) static ASSESSMENTS: Table = Table {
    kind: Some("assessment"),
    name: "assessments",
    owner: "provider_org_id",
    party: Some("assessor_org_id"),
    engagement: None,
    parent: Some("offering_id"),
    derived: &[
        "level",
        "outcome",
        "concluded_on",
        "valid_until",
        "published",
    ],
    derive: assessment,
    children: &[
        Child {
            table: "assessment_results",
            parent: "assessment_id",
            columns: &["control_id", "result"],
            rows: assessment_results,
        },
        Child {
            table: "assessment_grants",
            parent: "assessment_id",
            columns: &["engagement_id"],
            rows: assessment_grants,
        },
    ],
};

pub(crate) static SCAN_RUNS: Table = Table {
    kind: Some("scan_run"),
    name: "scan_runs",
    owner: "owner_org_id",
    party: None,
    engagement: Some("engagement_id"),
    parent: None,
    derived: &["source", "failed", "passed", "unknown", "resources"],
    derive: scan_run,
    children: &[],
};

fn notification(data: &Value) -> Result<Vec<Val>> {
    Ok(vec![
        Val::Text(Some(needed("notification", data, &["event"])?)),
        Val::Text(Some(needed("notification", data, &["event_key"])?)),
        Val::Text(Some(needed("notification", data, &["state"])?)),
        count("notification", data, "attempts")?,
        Val::Text(Some(needed("notification", data, &["next_attempt_at"])?)),
    ])
}

/// The outbox and delivery log: one row per message to one channel (its parent).
pub(crate) static NOTIFICATIONS: Table = Table {
    kind: Some("notification"),
    name: "notifications",
    owner: "owner_org_id",
    party: None,
    engagement: Some("engagement_id"),
    parent: Some("channel_id"),
    derived: &["event", "event_key", "state", "attempts", "next_attempt_at"],
    derive: notification,
    children: &[],
};

const TYPED: [&Table; 4] = [&FINDINGS, &ASSESSMENTS, &SCAN_RUNS, &NOTIFICATIONS];

/// The table that keeps records of `kind`.
pub(crate) fn of(kind: &str) -> &'static Table {
    TYPED
        .into_iter()
        .find(|t| t.kind == Some(kind))
        .unwrap_or(&RECORDS)
}

impl Table {
    /// The columns read back as a record (`RecordRow`), in its field names.
    pub(crate) fn select(&self) -> String {
        let or_null = |c: Option<&str>| c.unwrap_or("CAST(NULL AS TEXT)").to_owned();
        let kind = match self.kind {
            None => "kind".to_owned(),
            Some(k) => format!("CAST('{k}' AS TEXT)"),
        };
        format!(
            "id, {kind} AS kind, {} AS owner_org_id, {} AS party_org_id, {} AS engagement_id, \
             {} AS parent_id, data, version, created_by, created_at, updated_at",
            self.owner,
            or_null(self.party),
            or_null(self.engagement),
            or_null(self.parent),
        )
    }

    /// The condition that picks the record of `kind` and `id`, and the values to bind in
    /// order: `records` also needs the kind.
    pub(crate) fn by_id<'a>(&self, kind: &'a str, id: &'a str) -> (&'static str, Vec<&'a str>) {
        match self.kind {
            None => ("kind = $1 AND id = $2", vec![kind, id]),
            Some(_) => ("id = $1", vec![id]),
        }
    }

    /// The WHERE clause of a list with only the filters given (so that each table's
    /// indexes serve it) and the values to bind, after the kind for `records`.
    pub(crate) fn filter(&self, filter: &RecordFilter) -> (String, Vec<String>) {
        let mut clause = match self.kind {
            None => String::from("kind = $1"),
            Some(_) => String::from("1 = 1"),
        };
        let mut binds: Vec<String> = Vec::new();
        let first = if self.kind.is_none() { 2 } else { 1 };
        for (column, value) in [
            (Some(self.owner), &filter.owner_org_id),
            (self.party, &filter.party_org_id),
            (self.engagement, &filter.engagement_id),
            (self.parent, &filter.parent_id),
        ] {
            let Some(value) = value else { continue };
            match column {
                Some(c) => {
                    clause.push_str(&format!(" AND {c} = ${}", first + binds.len()));
                    binds.push(value.clone());
                }
                None => clause.push_str(" AND 1 = 0"),
            }
        }
        (clause, binds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn each_kind_has_its_table_and_the_rest_share_records() {
        assert_eq!(of("finding").name, "findings");
        assert_eq!(of("assessment").name, "assessments");
        assert_eq!(of("scan_run").name, "scan_runs");
        assert_eq!(of("notification").name, "notifications");
        assert_eq!(of("notification_channel").name, "records");
        assert_eq!(of("offering").name, "records");
        assert_eq!(of("offering_use.superseded").name, "records");
    }

    #[test]
    fn a_filter_on_a_column_the_table_lacks_matches_nothing() {
        let (clause, binds) = SCAN_RUNS.filter(&RecordFilter {
            parent_id: Some("x".into()),
            engagement_id: Some("e".into()),
            ..Default::default()
        });
        assert_eq!(clause, "1 = 1 AND engagement_id = $1 AND 1 = 0");
        assert_eq!(binds, vec!["e".to_owned()]);
        let (clause, binds) = RECORDS.filter(&RecordFilter::engagement("e"));
        assert_eq!(clause, "kind = $1 AND engagement_id = $2");
        assert_eq!(binds, vec!["e".to_owned()]);
    }

    #[test]
    fn an_assessment_document_gives_its_columns_results_and_grants() {
        let data = json!({
            "offering_id": "o", "assessor_org_id": "a", "level": "enhanced",
            "results": {"c1": {"result": "satisfied"}, "c2": {"result": "not_satisfied"}},
            "conclusion": {"outcome": "pass", "level": "enhanced", "date": "2026-01-02", "valid_until": "2029-01-02"},
            "published": true, "grants": ["e2", "e1", "e2"]
        });
        assert_eq!(
            assessment(&data).unwrap(),
            vec![
                Val::Text(Some("enhanced".into())),
                Val::Text(Some("pass".into())),
                Val::Text(Some("2026-01-02".into())),
                Val::Text(Some("2029-01-02".into())),
                Val::Bool(true),
            ]
        );
        assert_eq!(assessment_results(&data).unwrap().len(), 2);
        assert_eq!(
            assessment_grants(&data).unwrap(),
            vec![
                vec![Val::Text(Some("e1".into()))],
                vec![Val::Text(Some("e2".into()))]
            ]
        );
        let bad = json!({"level": "general", "results": {"c1": {"notes": "x"}}});
        assert!(assessment_results(&bad).is_err());
        assert!(scan_run(&json!({"source": "upload", "failed": 1})).is_err());
    }
}
