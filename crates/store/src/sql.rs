//! The two implementations of [`Store`]. They share their SQL text (written with `$n`
//! parameters in order of first use, which both SQLite and PostgreSQL accept) through one
//! macro; what differs is the connection, the migrations and how writers are serialised.
//!
//! Writers: one at a time per process (an async mutex), which SQLite needs anyway; on
//! PostgreSQL a transaction-scoped advisory lock also serialises writers of several server
//! processes, so the audit chain never forks.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::audit::{AuditEntry, Checkpoint, Encoding, GENESIS, HashAlg, Signer, object_digest};
use chrono::{DateTime, Utc};
use cloudward_domain::ProtectionLevel;
use cloudward_domain::engagement::Phase;

use crate::tables::{self, Val};
use crate::{
    AccountChange, Actor, ApiToken, AssigneeFilter, AuditFilter, Blob, Confirmation, Engagement,
    EngagementData, EngagementFilter, FindingFacet, FindingFilter, FindingOrder, FrameworkInfo,
    NewFramework, NewRecord, NewToken, NewUser, OptText, Org, OrgKind, Party, Record, RecordChange,
    RecordFilter, Result, Session, Store, StoreError, Text, User, new_id, now, stamp,
};

/// What a change does, for its audit entry.
struct Event<'a> {
    action: &'a str,
    object_type: &'a str,
    object_id: &'a str,
    engagement_id: Option<&'a str>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
}

#[derive(sqlx::FromRow)]
struct EngagementRow {
    id: String,
    customer_org_id: String,
    name: String,
    #[sqlx(try_from = "Text<Phase>")]
    phase: Phase,
    #[sqlx(try_from = "OptText<ProtectionLevel>")]
    level: Option<ProtectionLevel>,
    document: String,
    version: i64,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    created_at: DateTime<Utc>,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    updated_at: DateTime<Utc>,
}

impl EngagementRow {
    fn into_engagement(self, parties: Vec<(String, String)>) -> Result<Engagement> {
        let document = serde_json::from_str(&self.document).map_err(|e| {
            StoreError::Other(format!(
                "engagement {} has a corrupt document: {e}",
                self.id
            ))
        })?;
        Ok(Engagement {
            id: self.id,
            customer_org_id: self.customer_org_id,
            name: self.name,
            phase: self.phase,
            level: self.level,
            document,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
            parties: parties
                .into_iter()
                .filter_map(|(p, o)| Party::parse(&p).map(|p| (p, o)))
                .collect(),
        })
    }
}

/// A unique-key violation becomes a conflict the caller can report.
fn unique(what: &str) -> impl Fn(sqlx::Error) -> StoreError + '_ {
    move |e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            StoreError::Conflict(format!("{what} already exists"))
        }
        sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
            StoreError::Conflict(format!("{what} refers to something that does not exist"))
        }
        _ => StoreError::Db(e),
    }
}

fn engagement_json(e: &Engagement) -> serde_json::Value {
    serde_json::json!({
        "name": e.name, "phase": e.phase, "level": e.level, "document": e.document,
        "version": e.version,
        "parties": e.parties.iter().map(|(p, o)| (p.id(), o)).collect::<std::collections::BTreeMap<_, _>>(),
    })
}

const FRAMEWORK_COLUMNS: &str = "id, owner_org_id, name, title, version, source_model, group_count, \
     control_count, created_by, created_at";

#[derive(sqlx::FromRow)]
struct RecordRow {
    id: String,
    kind: String,
    owner_org_id: String,
    party_org_id: Option<String>,
    engagement_id: Option<String>,
    parent_id: Option<String>,
    data: String,
    version: i64,
    created_by: String,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    created_at: DateTime<Utc>,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    updated_at: DateTime<Utc>,
}

impl RecordRow {
    fn into_record(self) -> Result<Record> {
        let data = serde_json::from_str(&self.data)
            .map_err(|e| StoreError::Other(format!("record {} has corrupt data: {e}", self.id)))?;
        Ok(Record {
            id: self.id,
            kind: self.kind,
            owner_org_id: self.owner_org_id,
            party_org_id: self.party_org_id,
            engagement_id: self.engagement_id,
            parent_id: self.parent_id,
            data,
            version: self.version,
            created_by: self.created_by,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

/// `$first, $first+1, …`: `n` placeholders, for an `IN (…)` list.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The WHERE clause of a finding list with only the filters given, so that the indexes on
/// (engagement, state) and (engagement, assignee) serve it: engagement `$1`, then the
/// state and the assignee's name as the next placeholders, in that order.
/// `text` with the wildcards of LIKE (and the escape character, `\`) escaped.
fn like_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn finding_filter(filter: &FindingFilter) -> (String, Vec<String>) {
    let mut clause = String::from("engagement_id = $1");
    let mut binds = Vec::new();
    if let Some(state) = &filter.state {
        binds.push(state.clone());
        clause.push_str(&format!(" AND state = ${}", binds.len() + 1));
    }
    match filter.closed {
        None => {}
        Some(true) => clause.push_str(" AND state = 'closed'"),
        Some(false) => clause.push_str(" AND state <> 'closed'"),
    }
    if let Some(severity) = &filter.severity {
        binds.push(crate::severity_rank(severity).to_string());
        clause.push_str(&format!(
            " AND severity_rank = CAST(${} AS BIGINT)",
            binds.len() + 1
        ));
    }
    if let Some(rule) = &filter.rule {
        binds.push(rule.clone());
        clause.push_str(&format!(" AND rule_id = ${}", binds.len() + 1));
    }
    match &filter.assignee {
        AssigneeFilter::Any => {}
        AssigneeFilter::Nobody => clause.push_str(" AND (assignee IS NULL OR assignee = '')"),
        AssigneeFilter::Is(name) => {
            binds.push(name.clone());
            clause.push_str(&format!(" AND assignee = ${}", binds.len() + 1));
        }
    }
    (clause, binds)
}

const ENGAGEMENT_COLUMNS: &str =
    "id, customer_org_id, name, phase, level, document, version, created_at, updated_at";
const USER_COLUMNS: &str = "id, org_id, username, display_name, password_hash, role, platform_admin, failed_logins, locked_until, lang, created_at, disabled_at, must_change_password";
const TOKEN_COLUMNS: &str = "id, org_id, name, role, token_hash, prefix, created_by, created_at, revoked_at, expires_at, engagement_id";
const AUDIT_COLUMNS: &str = "seq, at, actor, org_id, engagement_id, action, object_type, object_id, before_digest, after_digest, alg, encoding, prev_hash, hash";

macro_rules! sql_store {
    ($name:ident, $db:ty, $backend:literal, $lock:expr) => {
        #[derive(Debug)]
        pub struct $name {
            pool: sqlx::Pool<$db>,
            hash: HashAlg,
            signer: Signer,
            write: tokio::sync::Mutex<()>,
        }

        impl $name {
            /// Starts a write: this process's writer lock, a transaction, the database lock.
            async fn begin(
                &self,
            ) -> Result<(tokio::sync::MutexGuard<'_, ()>, sqlx::Transaction<'static, $db>)> {
                let guard = self.write.lock().await;
                let mut tx = self.pool.begin().await?;
                let lock: Option<&str> = $lock;
                if let Some(lock) = lock {
                    sqlx::query(lock).execute(&mut *tx).await?;
                }
                Ok((guard, tx))
            }

            /// Appends the change's entry to the chain, in the change's transaction.
            async fn append(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                by: &Actor,
                ev: Event<'_>,
            ) -> Result<Option<Checkpoint>> {
                let head: Option<(i64, String)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut **tx)
                        .await?;
                let (seq, prev_hash) = head
                    .map(|(s, h)| (s + 1, h))
                    .unwrap_or((1, GENESIS.to_owned()));
                let mut e = AuditEntry {
                    seq,
                    at: stamp(now()),
                    actor: by.id.clone(),
                    org_id: by.org_id.clone(),
                    engagement_id: ev.engagement_id.map(str::to_owned),
                    action: ev.action.to_owned(),
                    object_type: ev.object_type.to_owned(),
                    object_id: ev.object_id.to_owned(),
                    before_digest: ev.before.as_ref().map(|v| object_digest(self.hash, v)),
                    after_digest: ev.after.as_ref().map(|v| object_digest(self.hash, v)),
                    alg: self.hash.id().to_owned(),
                    encoding: Encoding::Jcs.id().to_owned(),
                    prev_hash,
                    hash: String::new(),
                };
                e.hash = e
                    .compute_hash()
                    .ok_or_else(|| StoreError::Other("audit entry not encodable".into()))?;
                sqlx::query(
                    "INSERT INTO audit_log (seq, at, actor, org_id, engagement_id, action, object_type, object_id, before_digest, after_digest, alg, encoding, prev_hash, hash) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                )
                .bind(e.seq)
                .bind(&e.at)
                .bind(&e.actor)
                .bind(&e.org_id)
                .bind(&e.engagement_id)
                .bind(&e.action)
                .bind(&e.object_type)
                .bind(&e.object_id)
                .bind(&e.before_digest)
                .bind(&e.after_digest)
                .bind(&e.alg)
                .bind(&e.encoding)
                .bind(&e.prev_hash)
                .bind(&e.hash)
                .execute(&mut **tx)
                .await?;
                if seq % self.signer.interval == 0 {
                    let cp = self.signer.sign(seq, &e.hash, &e.at);
                    self.insert_checkpoint(tx, &cp).await?;
                    return Ok(Some(cp));
                }
                Ok(None)
            }

            async fn insert_checkpoint(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                cp: &Checkpoint,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO audit_checkpoints (seq, hash, at, public_key, signature) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(cp.seq)
                .bind(&cp.hash)
                .bind(&cp.at)
                .bind(&cp.public_key)
                .bind(&cp.signature)
                .execute(&mut **tx)
                .await?;
                Ok(())
            }

            async fn commit(
                &self,
                tx: sqlx::Transaction<'static, $db>,
                cp: Option<Checkpoint>,
            ) -> Result<()> {
                tx.commit().await?;
                if let Some(cp) = cp {
                    self.signer.record(&cp);
                }
                Ok(())
            }

            async fn parties(&self, id: &str) -> Result<Vec<(String, String)>> {
                Ok(sqlx::query_as(
                    "SELECT party, org_id FROM engagement_parties WHERE engagement_id = $1 ORDER BY party",
                )
                .bind(id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn engagement(&self, id: &str) -> Result<Option<Engagement>> {
                let row: Option<EngagementRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {ENGAGEMENT_COLUMNS} FROM engagements WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                match row {
                    Some(r) => {
                        let parties = self.parties(&r.id).await?;
                        Ok(Some(r.into_engagement(parties)?))
                    }
                    None => Ok(None),
                }
            }

            async fn write_parties(
                tx: &mut sqlx::Transaction<'static, $db>,
                id: &str,
                parties: &[(Party, String)],
            ) -> Result<()> {
                sqlx::query("DELETE FROM engagement_parties WHERE engagement_id = $1")
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                for (party, org) in parties {
                    sqlx::query(
                        "INSERT INTO engagement_parties (engagement_id, party, org_id) VALUES ($1, $2, $3)",
                    )
                    .bind(id)
                    .bind(party.id())
                    .bind(org)
                    .execute(&mut **tx)
                    .await
                    .map_err(unique("the engagement party"))?;
                }
                Ok(())
            }

            /// `update_engagement` inside `tx`: the row, its parties and the audit entry.
            async fn engagement_in(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                by: &Actor,
                id: &str,
                version: i64,
                data: EngagementData,
            ) -> Result<(Engagement, Option<Checkpoint>)> {
                let Some(before) = self.engagement(id).await? else {
                    return Err(StoreError::NotFound);
                };
                let at = now();
                let done = sqlx::query(
                    "UPDATE engagements SET name = $1, phase = $2, level = $3, document = $4, version = version + 1, updated_at = $5 \
                     WHERE id = $6 AND version = $7",
                )
                .bind(&data.name)
                .bind(data.phase.id())
                .bind(data.level.map(|l| l.id()))
                .bind(data.document.to_string())
                .bind(stamp(at))
                .bind(id)
                .bind(version)
                .execute(&mut **tx)
                .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::Conflict(format!(
                        "the engagement is at version {}, not {version}: read it again and retry",
                        before.version
                    )));
                }
                Self::write_parties(tx, id, &data.parties).await?;
                let after = Engagement {
                    name: data.name,
                    phase: data.phase,
                    level: data.level,
                    document: data.document,
                    version: before.version + 1,
                    updated_at: at,
                    parties: data.parties,
                    ..before.clone()
                };
                let cp = self
                    .append(tx, by, Event {
                        action: "engagement.update",
                        object_type: "engagement",
                        object_id: id,
                        engagement_id: Some(id),
                        before: Some(engagement_json(&before)),
                        after: Some(engagement_json(&after)),
                    })
                    .await?;
                Ok((after, cp))
            }


            /// Creates and updates records inside `tx`, each in the table of its kind (with
            /// the columns and child rows written from its document) and each with its audit
            /// entry; updates check versions. The checkpoint is the last one made, if any
            /// (every checkpoint is in the database; the file copy gets the last).
            async fn records_in(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                by: &Actor,
                creates: Vec<NewRecord>,
                updates: Vec<RecordChange>,
            ) -> Result<(Vec<Record>, Option<Checkpoint>)> {
                let mut out = Vec::with_capacity(creates.len() + updates.len());
                let mut checkpoint = None;
                for new in creates {
                    let table = tables::of(&new.kind);
                    let at = now();
                    let r = Record {
                        id: new.id.unwrap_or_else(new_id),
                        kind: new.kind,
                        owner_org_id: new.owner_org_id,
                        party_org_id: new.party_org_id,
                        engagement_id: new.engagement_id,
                        parent_id: new.parent_id,
                        data: new.data,
                        version: 1,
                        created_by: by.id.clone(),
                        created_at: at.clone(),
                        updated_at: at,
                    };
                    let mut columns = vec!["id", table.owner];
                    let mut values = vec![Val::Text(Some(r.id.clone())), Val::Text(Some(r.owner_org_id.clone()))];
                    if table.kind.is_none() {
                        columns.push("kind");
                        values.push(Val::Text(Some(r.kind.clone())));
                    }
                    for (column, value, what) in [
                        (table.party, &r.party_org_id, "a second organisation"),
                        (table.engagement, &r.engagement_id, "an engagement"),
                        (table.parent, &r.parent_id, "a parent record"),
                    ] {
                        match (column, value) {
                            (Some(c), v) => {
                                columns.push(c);
                                values.push(Val::Text(v.clone()));
                            }
                            (None, None) => {}
                            (None, Some(_)) => {
                                return Err(StoreError::Other(format!(
                                    "a record of kind {} has no {what}",
                                    r.kind
                                )))
                            }
                        }
                    }
                    columns.extend(table.derived);
                    values.extend((table.derive)(&r.data)?);
                    columns.extend(["data", "version", "created_by", "created_at", "updated_at"]);
                    values.extend([
                        Val::Text(Some(r.data.to_string())),
                        Val::Int(r.version),
                        Val::Text(Some(r.created_by.clone())),
                        Val::Text(Some(stamp(r.created_at))),
                        Val::Text(Some(stamp(r.updated_at))),
                    ]);
                    let sql = format!(
                        "INSERT INTO {} ({}) VALUES ({})",
                        table.name,
                        columns.join(", "),
                        placeholders(1, values.len())
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for v in values {
                        q = match v {
                            Val::Text(t) => q.bind(t),
                            Val::Int(i) => q.bind(i),
                            Val::Bool(b) => q.bind(b),
                        };
                    }
                    q.execute(&mut **tx).await.map_err(unique(&format!("the {}", r.kind)))?;
                    self.children_in(tx, table, &r.id, &r.data).await?;
                    let action = format!("{}.create", r.kind);
                    let cp = self
                        .append(tx, by, Event {
                            action: &action,
                            object_type: &r.kind,
                            object_id: &r.id,
                            engagement_id: r.engagement_id.as_deref(),
                            before: None,
                            after: Some(r.data.clone()),
                        })
                        .await?;
                    checkpoint = cp.or(checkpoint);
                    out.push(r);
                }
                for RecordChange { kind, id, version, data } in updates {
                    let table = tables::of(&kind);
                    let (by_id, binds) = table.by_id(&kind, &id);
                    let mut q = sqlx::query_as::<_, RecordRow>(sqlx::AssertSqlSafe(format!(
                        "SELECT {} FROM {} WHERE {by_id}",
                        table.select(),
                        table.name,
                    )));
                    for b in binds {
                        q = q.bind(b.to_owned());
                    }
                    let row = q.fetch_optional(&mut **tx).await?;
                    let Some(before) = row.map(RecordRow::into_record).transpose()? else {
                        return Err(StoreError::NotFound);
                    };
                    let at = now();
                    let derived = (table.derive)(&data)?;
                    let mut sets: Vec<String> = table
                        .derived
                        .iter()
                        .enumerate()
                        .map(|(i, c)| format!("{c} = ${}", i + 1))
                        .collect();
                    let n = derived.len();
                    sets.push(format!("data = ${}", n + 1));
                    sets.push(format!("updated_at = ${}", n + 2));
                    sets.push("version = version + 1".into());
                    let sql = format!(
                        "UPDATE {} SET {} WHERE id = ${} AND version = ${}",
                        table.name,
                        sets.join(", "),
                        n + 3,
                        n + 4
                    );
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for v in derived {
                        q = match v {
                            Val::Text(t) => q.bind(t),
                            Val::Int(i) => q.bind(i),
                            Val::Bool(b) => q.bind(b),
                        };
                    }
                    let done = q
                        .bind(data.to_string())
                        .bind(stamp(at))
                        .bind(&id)
                        .bind(version)
                        .execute(&mut **tx)
                        .await?;
                    if done.rows_affected() == 0 {
                        return Err(StoreError::Conflict(format!(
                            "the {} is at version {}, not {version}: read it again and retry",
                            before.kind, before.version
                        )));
                    }
                    self.children_in(tx, table, &id, &data).await?;
                    let action = format!("{}.update", before.kind);
                    let cp = self
                        .append(tx, by, Event {
                            action: &action,
                            object_type: &before.kind,
                            object_id: &id,
                            engagement_id: before.engagement_id.as_deref(),
                            before: Some(before.data.clone()),
                            after: Some(data.clone()),
                        })
                        .await?;
                    checkpoint = cp.or(checkpoint);
                    out.push(Record {
                        data,
                        version: before.version + 1,
                        updated_at: at,
                        ..before
                    });
                }
                Ok((out, checkpoint))
            }

            /// Writes the child rows of record `id` (an assessment's results and grants)
            /// again from its document.
            async fn children_in(
                &self,
                tx: &mut sqlx::Transaction<'static, $db>,
                table: &tables::Table,
                id: &str,
                data: &serde_json::Value,
            ) -> Result<()> {
                for child in table.children {
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DELETE FROM {} WHERE {} = $1",
                        child.table, child.parent
                    )))
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
                    let sql = format!(
                        "INSERT INTO {} ({}, {}) VALUES ($1, {})",
                        child.table,
                        child.parent,
                        child.columns.join(", "),
                        placeholders(2, child.columns.len())
                    );
                    for row in (child.rows)(data)? {
                        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone())).bind(id.to_owned());
                        for v in row {
                            q = match v {
                                Val::Text(t) => q.bind(t),
                                Val::Int(i) => q.bind(i),
                                Val::Bool(b) => q.bind(b),
                            };
                        }
                        q.execute(&mut **tx).await?;
                    }
                }
                Ok(())
            }

            async fn user_org(&self, user_id: &str) -> Result<Option<String>> {
                let row: Option<(Option<String>,)> =
                    sqlx::query_as("SELECT org_id FROM users WHERE id = $1")
                        .bind(user_id)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(row.and_then(|r| r.0))
            }
        }

        #[async_trait::async_trait]
        impl Store for $name {
            async fn ping(&self) -> Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            fn backend(&self) -> &'static str {
                $backend
            }

            async fn create_org(&self, by: &Actor, name: &str, kind: OrgKind) -> Result<Org> {
                let org = Org {
                    id: new_id(),
                    name: name.to_owned(),
                    kind,
                    created_at: now(),
                };
                let (_g, mut tx) = self.begin().await?;
                sqlx::query("INSERT INTO organisations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(&org.id)
                    .bind(&org.name)
                    .bind(org.kind.id())
                    .bind(stamp(org.created_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(unique("an organisation of that name"))?;
                let cp = self
                    .append(&mut tx, by, Event {
                        action: "org.create",
                        object_type: "organisation",
                        object_id: &org.id,
                        engagement_id: None,
                        before: None,
                        after: serde_json::to_value(&org).ok(),
                    })
                    .await?;
                self.commit(tx, cp).await?;
                Ok(org)
            }

            async fn get_org(&self, id: &str) -> Result<Option<Org>> {
                Ok(sqlx::query_as("SELECT id, name, kind, created_at FROM organisations WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn list_orgs(&self) -> Result<Vec<Org>> {
                Ok(sqlx::query_as("SELECT id, name, kind, created_at FROM organisations ORDER BY name")
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn create_user(&self, by: &Actor, new: NewUser) -> Result<User> {
                let user = User {
                    id: new_id(),
                    org_id: new.org_id,
                    username: new.username,
                    display_name: new.display_name,
                    password_hash: new.password_hash,
                    role: new.role,
                    platform_admin: new.platform_admin,
                    failed_logins: 0,
                    locked_until: None,
                    lang: None,
                    created_at: now(),
                    disabled_at: None,
                    must_change_password: false,
                };
                let (_g, mut tx) = self.begin().await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO users ({USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")))
                    .bind(&user.id)
                    .bind(&user.org_id)
                    .bind(&user.username)
                    .bind(&user.display_name)
                    .bind(&user.password_hash)
                    .bind(user.role.id())
                    .bind(user.platform_admin)
                    .bind(user.failed_logins)
                    .bind(user.locked_until.map(stamp))
                    .bind(&user.lang)
                    .bind(stamp(user.created_at))
                    .bind(user.disabled_at.map(stamp))
                    .bind(user.must_change_password)
                    .execute(&mut *tx)
                    .await
                    .map_err(unique("a user of that name"))?;
                let cp = self
                    .append(&mut tx, by, Event {
                        action: "user.create",
                        object_type: "user",
                        object_id: &user.id,
                        engagement_id: None,
                        before: None,
                        after: Some(serde_json::json!({
                            "username": user.username, "org_id": user.org_id,
                            "role": user.role, "platform_admin": user.platform_admin,
                        })),
                    })
                    .await?;
                self.commit(tx, cp).await?;
                Ok(user)
            }

            async fn get_user(&self, id: &str) -> Result<Option<User>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1")))
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn find_user(&self, username: &str) -> Result<Option<User>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1")))
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn list_users(&self, org_id: &str) -> Result<Vec<User>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 ORDER BY username"
                )))
                .bind(org_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn set_password(
                &self,
                by: &Actor,
                user_id: &str,
                hash: &str,
                keep: Option<&str>,
            ) -> Result<()> {
                let (_g, mut tx) = self.begin().await?;
                let done = sqlx::query("UPDATE users SET password_hash = $1, failed_logins = 0, locked_until = NULL, must_change_password = FALSE WHERE id = $2")
                    .bind(hash)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                // `keep` is compared as text: no session has an empty hash.
                sqlx::query("DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
                    .bind(user_id)
                    .bind(keep.unwrap_or(""))
                    .execute(&mut *tx)
                    .await?;
                // The digest is of a fresh random-salted hash: it shows that the password
                // changed without letting anyone test guesses against the log.
                let cp = self
                    .append(&mut tx, by, Event {
                        action: "user.password_change",
                        object_type: "user",
                        object_id: user_id,
                        engagement_id: None,
                        before: None,
                        after: Some(serde_json::json!({ "password_hash": hash })),
                    })
                    .await?;
                self.commit(tx, cp).await
            }

            async fn change_account(
                &self,
                by: &Actor,
                org_id: &str,
                user_id: &str,
                change: AccountChange,
            ) -> Result<User> {
                let (_g, mut tx) = self.begin().await?;
                let before: Option<User> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {USER_COLUMNS} FROM users WHERE id = $1 AND org_id = $2"
                )))
                .bind(user_id)
                .bind(org_id)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(before) = before else {
                    return Err(StoreError::NotFound);
                };
                // The organisation keeps an enabled administrator: counted in the change's
                // transaction, under the writer lock, so two changes cannot both pass.
                let removes_admin = before.role == crate::Role::OrgAdmin
                    && before.disabled_at.is_none()
                    && match &change {
                        AccountChange::Disable => true,
                        AccountChange::Role(r) => *r != crate::Role::OrgAdmin,
                        _ => false,
                    };
                if removes_admin {
                    let (admins,): (i64,) = sqlx::query_as(
                        "SELECT COUNT(*) FROM users WHERE org_id = $1 AND role = $2 AND disabled_at IS NULL",
                    )
                    .bind(org_id)
                    .bind(crate::Role::OrgAdmin.id())
                    .fetch_one(&mut *tx)
                    .await?;
                    if admins <= 1 {
                        return Err(StoreError::Conflict("last_admin".into()));
                    }
                }
                let at = now();
                let mut after = before.clone();
                let mut end_sessions = false;
                let detail = match &change {
                    AccountChange::Disable => {
                        after.disabled_at = before.disabled_at.or(Some(at));
                        end_sessions = true;
                        serde_json::json!({ "disabled_at": after.disabled_at })
                    }
                    AccountChange::Enable => {
                        after.disabled_at = None;
                        serde_json::json!({ "disabled_at": null })
                    }
                    AccountChange::Unlock => {
                        after.failed_logins = 0;
                        after.locked_until = None;
                        serde_json::json!({ "failed_logins": 0, "locked_until": null })
                    }
                    AccountChange::ResetPassword { hash } => {
                        after.password_hash = hash.clone();
                        after.must_change_password = true;
                        after.failed_logins = 0;
                        after.locked_until = None;
                        end_sessions = true;
                        // A fresh random-salted hash, as for a change of one's own.
                        serde_json::json!({ "password_hash": hash, "must_change_password": true })
                    }
                    AccountChange::Role(role) => {
                        after.role = *role;
                        serde_json::json!({ "role": role })
                    }
                };
                sqlx::query("UPDATE users SET role = $1, password_hash = $2, must_change_password = $3, disabled_at = $4, failed_logins = $5, locked_until = $6 WHERE id = $7")
                    .bind(after.role.id())
                    .bind(&after.password_hash)
                    .bind(after.must_change_password)
                    .bind(after.disabled_at.map(stamp))
                    .bind(after.failed_logins)
                    .bind(after.locked_until.map(stamp))
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                if end_sessions {
                    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(user_id)
                        .execute(&mut *tx)
                        .await?;
                }
                let before_detail = match &change {
                    AccountChange::Role(_) => Some(serde_json::json!({ "role": before.role })),
                    AccountChange::Disable | AccountChange::Enable => {
                        Some(serde_json::json!({ "disabled_at": before.disabled_at }))
                    }
                    _ => None,
                };
                let cp = self
                    .append(&mut tx, by, Event {
                        action: change.action(),
                        object_type: "user",
                        object_id: user_id,
                        engagement_id: None,
                        before: before_detail,
                        after: Some(detail),
                    })
                    .await?;
                self.commit(tx, cp).await?;
                Ok(after)
            }

            async fn set_user_lang(&self, by: &Actor, user_id: &str, lang: &str) -> Result<()> {
                let (_g, mut tx) = self.begin().await?;
                let done = sqlx::query("UPDATE users SET lang = $1 WHERE id = $2")
                    .bind(lang)
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Err(StoreError::NotFound);
                }
                let cp = self
                    .append(&mut tx, by, Event {
                        action: "user.set_lang",
                        object_type: "user",
                        object_id: user_id,
                        engagement_id: None,
                        before: None,
                        after: Some(serde_json::json!({ "lang": lang })),
                    })
                    .await?;
                self.commit(tx, cp).await
            }

            async fn login_failed(
                &self,
                user_id: &str,
                failed_logins: i64,
                locked_until: Option<DateTime<Utc>>,
            ) -> Result<()> {
                let by = Actor { id: user_id.to_owned(), org_id: self.user_org(user_id).await? };
                let (_g, mut tx) = self.begin().await?;
                sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
                    .bind(failed_logins)
                    .bind(locked_until.map(stamp))
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                let cp = self
                    .append(&mut tx, &by, Event {
                        action: if locked_until.is_some() { "auth.locked" } else { "auth.login_failed" },
                        object_type: "user",
                        object_id: user_id,
                        engagement_id: None,
                        before: None,
                        after: Some(serde_json::json!({ "failed_logins": failed_logins, "locked_until": locked_until })),
                    })
                    .await?;
                self.commit(tx, cp).await
            }

            async fn login_succeeded(&self, user_id: &str, session: Session) -> Result<()> {
                let by = Actor { id: user_id.to_owned(), org_id: self.user_org(user_id).await? };
                let (_g, mut tx) = self.begin().await?;
                sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(&session.token_hash)
                    .bind(&session.user_id)
                    .bind(&session.csrf_token)
                    .bind(stamp(session.created_at))
                    .bind(stamp(session.expires_at))
                    .execute(&mut *tx)
                    .await?;
                let cp = self
                    .append(&mut tx, &by, Event {
                        action: "auth.login",
                        object_type: "session",
                        object_id: session.token_hash.get(..12).unwrap_or(&session.token_hash),
                        engagement_id: None,
                        before: None,
                        after: Some(serde_json::json!({ "expires_at": session.expires_at })),
                    })
                    .await?;
                self.commit(tx, cp).await
            }

            async fn get_session(&self, token_hash: &str) -> Result<Option<Session>> {
                Ok(sqlx::query_as("SELECT token_hash, user_id, csrf_token, created_at, expires_at FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            async fn session_with_user(
                &self,
                token_hash: &str,
            ) -> Result<Option<(Session, User, Option<Org>)>> {
                let row: Option<crate::SessionAndUser> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT u.id, u.org_id, u.username, u.display_name, u.password_hash, u.role, \
                     u.platform_admin, u.failed_logins, u.locked_until, u.lang, u.created_at, \
                     u.disabled_at, u.must_change_password, \
                     s.token_hash AS s_token_hash, s.csrf_token AS s_csrf_token, \
                     s.created_at AS s_created_at, s.expires_at AS s_expires_at, {} \
                     FROM sessions s JOIN users u ON u.id = s.user_id \
                     LEFT JOIN organisations o ON o.id = u.org_id WHERE s.token_hash = $1",
                    crate::JoinedOrg::COLUMNS
                )))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|r| {
                    let session = Session {
                        token_hash: r.s_token_hash,
                        user_id: r.user.id.clone(),
                        csrf_token: r.s_csrf_token,
                        created_at: r.s_created_at,
                        expires_at: r.s_expires_at,
                    };
                    (session, r.user, r.org.into_org())
                }))
            }

            async fn delete_session(&self, by: &Actor, token_hash: &str) -> Result<()> {
                let (_g, mut tx) = self.begin().await?;
                let done = sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                    .bind(token_hash)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Ok(());
                }
                let cp = self
                    .append(&mut tx, by, Event {
                        action: "auth.logout",
                        object_type: "session",
                        object_id: token_hash.get(..12).unwrap_or(token_hash),
                        engagement_id: None,
                        before: None,
                        after: None,
                    })
                    .await?;
                self.commit(tx, cp).await
            }

            async fn create_token(&self, by: &Actor, new: NewToken) -> Result<ApiToken> {
                let token = ApiToken {
                    id: new_id(),
                    org_id: new.org_id,
                    name: new.name,
                    role: new.role,
                    token_hash: new.token_hash,
                    prefix: new.prefix,
                    created_by: by.id.clone(),
                    created_at: now(),
                    revoked_at: None,
                    expires_at: new.expires_at,
                    engagement_id: new.engagement_id,
                };
                let (_g, mut tx) = self.begin().await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO api_tokens ({TOKEN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")))
                    .bind(&token.id)
                    .bind(&token.org_id)
                    .bind(&token.name)
                    .bind(token.role.id())
                    .bind(&token.token_hash)
                    .bind(&token.prefix)
                    .bind(&token.created_by)
                    .bind(stamp(token.created_at))
                    .bind(token.revoked_at.map(stamp))
                    .bind(token.expires_at.map(stamp))
                    .bind(&token.engagement_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(unique("the token"))?;
                let cp = self
                    .append(&mut tx, by, Event {
                        action: "token.create",
                        object_type: "api_token",
                        object_id: &token.id,
                        engagement_id: None,
                        before: None,
                        after: serde_json::to_value(&token).ok(),
                    })
                    .await?;
                self.commit(tx, cp).await?;
                Ok(token)
            }

            async fn find_token(&self, token_hash: &str) -> Result<Option<ApiToken>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = $1"
                )))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?)
            }

            async fn token_with_org(&self, token_hash: &str) -> Result<Option<(ApiToken, Option<Org>)>> {
                let row: Option<crate::TokenAndOrg> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT t.id, t.org_id, t.name, t.role, t.token_hash, t.prefix, t.created_by, \
                     t.created_at, t.revoked_at, t.expires_at, t.engagement_id, {} FROM api_tokens t \
                     LEFT JOIN organisations o ON o.id = t.org_id WHERE t.token_hash = $1",
                    crate::JoinedOrg::COLUMNS
                )))
                .bind(token_hash)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|r| (r.token, r.org.into_org())))
            }

            async fn list_tokens(&self, org_id: &str) -> Result<Vec<ApiToken>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE org_id = $1 ORDER BY created_at, id"
                )))
                .bind(org_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn revoke_token(&self, by: &Actor, org_id: &str, id: &str) -> Result<bool> {
                let (_g, mut tx) = self.begin().await?;
                let at = now();
                let done = sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND org_id = $3 AND revoked_at IS NULL")
                    .bind(stamp(at))
                    .bind(id)
                    .bind(org_id)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                let cp = self
                    .append(&mut tx, by, Event {
                        action: "token.revoke",
                        object_type: "api_token",
                        object_id: id,
                        engagement_id: None,
                        before: None,
                        after: Some(serde_json::json!({ "revoked_at": at })),
                    })
                    .await?;
                self.commit(tx, cp).await?;
                Ok(true)
            }

            async fn create_engagement(
                &self,
                by: &Actor,
                customer_org_id: &str,
                data: EngagementData,
            ) -> Result<Engagement> {
                let at = now();
                let e = Engagement {
                    id: new_id(),
                    customer_org_id: customer_org_id.to_owned(),
                    name: data.name,
                    phase: data.phase,
                    level: data.level,
                    document: data.document,
                    version: 1,
                    created_at: at.clone(),
                    updated_at: at,
                    parties: data.parties,
                };
                let (_g, mut tx) = self.begin().await?;
                sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO engagements ({ENGAGEMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")))
                    .bind(&e.id)
                    .bind(&e.customer_org_id)
                    .bind(&e.name)
                    .bind(e.phase.id())
                    .bind(e.level.map(|l| l.id()))
                    .bind(e.document.to_string())
                    .bind(e.version)
                    .bind(stamp(e.created_at))
                    .bind(stamp(e.updated_at))
                    .execute(&mut *tx)
                    .await
                    .map_err(unique("the engagement"))?;
                Self::write_parties(&mut tx, &e.id, &e.parties).await?;
                let cp = self
                    .append(&mut tx, by, Event {
                        action: "engagement.create",
                        object_type: "engagement",
                        object_id: &e.id,
                        engagement_id: Some(&e.id),
                        before: None,
                        after: Some(engagement_json(&e)),
                    })
                    .await?;
                self.commit(tx, cp).await?;
                Ok(e)
            }

            async fn visible_engagement(&self, id: &str, org_id: &str) -> Result<Option<Engagement>> {
                // Two queries (the row and its parties), the decision made here: another
                // tenant's engagement is not returned.
                Ok(self.engagement(id).await?.filter(|e| {
                    e.customer_org_id == org_id || e.parties.iter().any(|(_, o)| o == org_id)
                }))
            }

            async fn count_owned_engagements(&self, org_id: &str) -> Result<i64> {
                let (n,): (i64,) =
                    sqlx::query_as("SELECT COUNT(*) FROM engagements WHERE customer_org_id = $1")
                        .bind(org_id)
                        .fetch_one(&self.pool)
                        .await?;
                Ok(n)
            }

            async fn list_engagements(
                &self,
                org_id: &str,
                filter: &EngagementFilter,
            ) -> Result<(Vec<Engagement>, i64)> {
                // The organisation's own engagements and those it is a party to, each through
                // its index: an OR over both would scan every tenant's engagements.
                const WHERE: &str = "e.id IN (SELECT o.id FROM engagements o WHERE o.customer_org_id = $1 \
                     UNION SELECT p.engagement_id FROM engagement_parties p WHERE p.org_id = $1) \
                     AND (CAST($2 AS TEXT) IS NULL OR e.phase = $2) AND (CAST($3 AS TEXT) IS NULL OR e.level = $3)";
                let (total,): (i64,) =
                    sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM engagements e WHERE {WHERE}")))
                        .bind(org_id)
                        .bind(filter.phase.map(|p| p.id()))
                        .bind(filter.level.map(|l| l.id()))
                        .fetch_one(&self.pool)
                        .await?;
                let rows: Vec<EngagementRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM engagements e WHERE {WHERE} ORDER BY e.created_at, e.id LIMIT $4 OFFSET $5",
                    ENGAGEMENT_COLUMNS.split(", ").map(|c| format!("e.{c}")).collect::<Vec<_>>().join(", ")
                )))
                .bind(org_id)
                .bind(filter.phase.map(|p| p.id()))
                .bind(filter.level.map(|l| l.id()))
                .bind(filter.limit)
                .bind(filter.offset)
                .fetch_all(&self.pool)
                .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let parties = self.parties(&r.id).await?;
                    out.push(r.into_engagement(parties)?);
                }
                Ok((out, total))
            }

            async fn update_engagement(
                &self,
                by: &Actor,
                id: &str,
                version: i64,
                data: EngagementData,
            ) -> Result<Engagement> {
                let (_g, mut tx) = self.begin().await?;
                let (after, cp) = self.engagement_in(&mut tx, by, id, version, data).await?;
                self.commit(tx, cp).await?;
                Ok(after)
            }

            async fn update_engagement_with(
                &self,
                by: &Actor,
                id: &str,
                version: i64,
                data: EngagementData,
                creates: Vec<NewRecord>,
                updates: Vec<RecordChange>,
            ) -> Result<(Engagement, Vec<Record>)> {
                let (_g, mut tx) = self.begin().await?;
                let (after, first) = self.engagement_in(&mut tx, by, id, version, data).await?;
                let (records, last) = self.records_in(&mut tx, by, creates, updates).await?;
                self.commit(tx, last.or(first)).await?;
                Ok((after, records))
            }

            async fn delete_engagement(&self, by: &Actor, id: &str, version: Option<i64>) -> Result<()> {
                let (_g, mut tx) = self.begin().await?;
                let Some(before) = self.engagement(id).await? else {
                    return Err(StoreError::NotFound);
                };
                if let Some(v) = version {
                    if v != before.version {
                        return Err(StoreError::Conflict(format!(
                            "the engagement is at version {}, not {v}: read it again and retry",
                            before.version
                        )));
                    }
                }
                sqlx::query("DELETE FROM engagements WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let cp = self
                    .append(&mut tx, by, Event {
                        action: "engagement.delete",
                        object_type: "engagement",
                        object_id: id,
                        engagement_id: Some(id),
                        before: Some(engagement_json(&before)),
                        after: None,
                    })
                    .await?;
                self.commit(tx, cp).await
            }

            async fn confirm(&self, by: &Actor, c: Confirmation) -> Result<Confirmation> {
                self.confirm_all(by, vec![c])
                    .await?
                    .pop()
                    .ok_or_else(|| StoreError::Other("a confirmation went missing".into()))
            }

            async fn confirm_all(
                &self,
                by: &Actor,
                list: Vec<Confirmation>,
            ) -> Result<Vec<Confirmation>> {
                let (_g, mut tx) = self.begin().await?;
                let mut cp = None;
                for c in &list {
                    sqlx::query("DELETE FROM matrix_confirmations WHERE engagement_id = $1 AND element = $2 AND party = $3")
                        .bind(&c.engagement_id)
                        .bind(&c.element)
                        .bind(c.party.id())
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("INSERT INTO matrix_confirmations (engagement_id, element, party, org_id, user_id, confirmed_at, terms) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                        .bind(&c.engagement_id)
                        .bind(&c.element)
                        .bind(c.party.id())
                        .bind(&c.org_id)
                        .bind(&c.user_id)
                        .bind(stamp(c.confirmed_at))
                        .bind(&c.terms)
                        .execute(&mut *tx)
                        .await
                        .map_err(unique("the confirmation"))?;
                    let object = format!("{}/{}", c.element, c.party.id());
                    let next = self
                        .append(&mut tx, by, Event {
                            action: "responsibility.confirm",
                            object_type: "responsibility_row",
                            object_id: &object,
                            engagement_id: Some(&c.engagement_id),
                            before: None,
                            after: serde_json::to_value(c).ok(),
                        })
                        .await?;
                    cp = next.or(cp);
                }
                self.commit(tx, cp).await?;
                Ok(list)
            }

            async fn confirmations(&self, engagement_id: &str) -> Result<Vec<Confirmation>> {
                Ok(sqlx::query_as("SELECT engagement_id, element, party, org_id, user_id, confirmed_at, terms FROM matrix_confirmations WHERE engagement_id = $1 ORDER BY element, party")
                    .bind(engagement_id)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn confirmations_of(
                &self,
                engagement_ids: &[String],
            ) -> Result<Vec<Confirmation>> {
                if engagement_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT engagement_id, element, party, org_id, user_id, confirmed_at, terms \
                     FROM matrix_confirmations WHERE engagement_id IN ({}) \
                     ORDER BY engagement_id, element, party",
                    placeholders(1, engagement_ids.len())
                );
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for id in engagement_ids {
                    q = q.bind(id);
                }
                Ok(q.fetch_all(&self.pool).await?)
            }

            async fn records_of(&self, kind: &str, engagement_ids: &[String]) -> Result<Vec<Record>> {
                if engagement_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let table = tables::of(kind);
                let Some(column) = table.engagement else {
                    return Ok(Vec::new());
                };
                let first = if table.kind.is_none() { 2 } else { 1 };
                let kind_clause = if table.kind.is_none() { "kind = $1 AND " } else { "" };
                let sql = format!(
                    "SELECT {} FROM {} WHERE {kind_clause}{column} IN ({}) ORDER BY created_at, id",
                    table.select(),
                    table.name,
                    placeholders(first, engagement_ids.len())
                );
                let mut q = sqlx::query_as::<_, RecordRow>(sqlx::AssertSqlSafe(sql));
                if table.kind.is_none() {
                    q = q.bind(kind.to_owned());
                }
                for id in engagement_ids {
                    q = q.bind(id);
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.into_iter().map(RecordRow::into_record).collect()
            }

            async fn findings_assigned(
                &self,
                engagement_ids: &[String],
                assignees: &[String],
                limit: i64,
            ) -> Result<Vec<Record>> {
                if engagement_ids.is_empty() || assignees.is_empty() {
                    return Ok(Vec::new());
                }
                let (n, m) = (engagement_ids.len(), assignees.len());
                let sql = format!(
                    "SELECT {} FROM findings WHERE engagement_id IN ({}) AND assignee IN ({}) \
                     AND state = 'open' ORDER BY created_at, id LIMIT ${}",
                    tables::FINDINGS.select(),
                    placeholders(1, n),
                    placeholders(n + 1, m),
                    n + m + 1
                );
                let mut q = sqlx::query_as::<_, RecordRow>(sqlx::AssertSqlSafe(sql));
                for id in engagement_ids.iter().chain(assignees) {
                    q = q.bind(id);
                }
                let rows = q.bind(limit).fetch_all(&self.pool).await?;
                rows.into_iter().map(RecordRow::into_record).collect()
            }

            async fn create_record(&self, by: &Actor, new: NewRecord) -> Result<Record> {
                // One write path for records: the batch of one.
                self.apply_records(by, vec![new], Vec::new())
                    .await?
                    .pop()
                    .ok_or_else(|| StoreError::Other("a created record went missing".into()))
            }

            async fn get_record(&self, kind: &str, id: &str) -> Result<Option<Record>> {
                let table = tables::of(kind);
                let (by_id, binds) = table.by_id(kind, id);
                let mut q = sqlx::query_as::<_, RecordRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM {} WHERE {by_id}",
                    table.select(),
                    table.name,
                )));
                for b in binds {
                    q = q.bind(b.to_owned());
                }
                let row = q.fetch_optional(&self.pool).await?;
                row.map(RecordRow::into_record).transpose()
            }

            async fn list_records(&self, kind: &str, filter: &RecordFilter) -> Result<Vec<Record>> {
                let table = tables::of(kind);
                let (clause, binds) = table.filter(filter);
                let sql = format!(
                    "SELECT {} FROM {} WHERE {clause} ORDER BY created_at, id",
                    table.select(),
                    table.name
                );
                let mut q = sqlx::query_as::<_, RecordRow>(sqlx::AssertSqlSafe(sql));
                if table.kind.is_none() {
                    q = q.bind(kind.to_owned());
                }
                for b in binds {
                    q = q.bind(b);
                }
                let rows = q.fetch_all(&self.pool).await?;
                rows.into_iter().map(RecordRow::into_record).collect()
            }

            async fn update_record(&self, by: &Actor, change: RecordChange) -> Result<Record> {
                self.apply_records(by, Vec::new(), vec![change])
                    .await?
                    .pop()
                    .ok_or(StoreError::NotFound)
            }

            async fn apply_records(
                &self,
                by: &Actor,
                creates: Vec<NewRecord>,
                updates: Vec<RecordChange>,
            ) -> Result<Vec<Record>> {
                let (_g, mut tx) = self.begin().await?;
                let (out, cp) = self.records_in(&mut tx, by, creates, updates).await?;
                self.commit(tx, cp).await?;
                Ok(out)
            }

            async fn list_findings(
                &self,
                engagement_id: &str,
                filter: &FindingFilter,
            ) -> Result<(Vec<Record>, Option<i64>)> {
                let (clause, binds) = finding_filter(filter);
                let total = if filter.count {
                    let count_sql = format!("SELECT COUNT(*) FROM findings WHERE {clause}");
                    let mut count =
                        sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(count_sql))
                            .bind(engagement_id);
                    for b in &binds {
                        count = count.bind(b);
                    }
                    Some(count.fetch_one(&self.pool).await?.0)
                } else {
                    None
                };
                let (mut clause, mut binds) = (clause, binds);
                let order = match filter.order {
                    FindingOrder::Recorded => "created_at, id",
                    FindingOrder::Severity => "severity_rank, created_at, id",
                };
                if let Some(after) = &filter.after {
                    // The page starts at the cursor's place in the order, as stored, on the
                    // index instead of walking past the findings before it. A cursor of
                    // no finding of the engagement compares with nothing: an empty page,
                    // told apart from the end of the list below.
                    clause.push_str(&format!(
                        " AND ({order}) > (SELECT {order} FROM findings WHERE id = ${} AND engagement_id = $1)",
                        binds.len() + 2
                    ));
                    binds.push(after.clone());
                }
                let n = binds.len();
                let page_sql = format!(
                    "SELECT {} FROM findings WHERE {clause} \
                     ORDER BY {order} LIMIT ${} OFFSET ${}",
                    tables::FINDINGS.select(),
                    n + 2,
                    n + 3
                );
                let mut page = sqlx::query_as::<_, RecordRow>(sqlx::AssertSqlSafe(page_sql))
                    .bind(engagement_id);
                for b in &binds {
                    page = page.bind(b);
                }
                let rows = page
                    .bind(filter.limit.unwrap_or(i64::MAX))
                    .bind(filter.offset.max(0))
                    .fetch_all(&self.pool)
                    .await?;
                if rows.is_empty()
                    && let Some(after) = &filter.after
                {
                    let known: Option<(String,)> = sqlx::query_as(
                        "SELECT id FROM findings WHERE id = $1 AND engagement_id = $2",
                    )
                    .bind(after)
                    .bind(engagement_id)
                    .fetch_optional(&self.pool)
                    .await?;
                    if known.is_none() {
                        return Err(StoreError::NotFound);
                    }
                }
                let list = rows
                    .into_iter()
                    .map(RecordRow::into_record)
                    .collect::<Result<Vec<_>>>()?;
                Ok((list, total))
            }

            async fn finding_facets(&self, engagement_id: &str) -> Result<Vec<FindingFacet>> {
                let rows: Vec<(String, i64, String, i64)> = sqlx::query_as(
                    "SELECT rule_id, severity_rank, state, COUNT(*) FROM findings \
                     WHERE engagement_id = $1 GROUP BY rule_id, severity_rank, state \
                     ORDER BY severity_rank, rule_id, state",
                )
                .bind(engagement_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(rule_id, severity_rank, state, count)| FindingFacet {
                        rule_id,
                        severity_rank,
                        state,
                        count,
                    })
                    .collect())
            }

            async fn count_findings(&self, engagement_id: &str) -> Result<Vec<(String, i64)>> {
                Ok(sqlx::query_as(
                    "SELECT state, COUNT(*) FROM findings WHERE engagement_id = $1 GROUP BY state ORDER BY state",
                )
                .bind(engagement_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn count_findings_of(
                &self,
                engagement_ids: &[String],
            ) -> Result<Vec<(String, String, i64)>> {
                if engagement_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT engagement_id, state, COUNT(*) FROM findings WHERE engagement_id IN ({}) \
                     GROUP BY engagement_id, state ORDER BY engagement_id, state",
                    placeholders(1, engagement_ids.len())
                );
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for id in engagement_ids {
                    q = q.bind(id);
                }
                Ok(q.fetch_all(&self.pool).await?)
            }

            async fn recent_runs(
                &self,
                engagement_ids: &[String],
                per_engagement: i64,
            ) -> Result<Vec<Record>> {
                if engagement_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let n = engagement_ids.len();
                let sql = format!(
                    "SELECT {} FROM (SELECT *, ROW_NUMBER() OVER \
                     (PARTITION BY engagement_id ORDER BY created_at DESC, id DESC) AS recency \
                     FROM scan_runs WHERE engagement_id IN ({})) AS ranked \
                     WHERE recency <= ${} ORDER BY engagement_id, created_at, id",
                    tables::SCAN_RUNS.select(),
                    placeholders(1, n),
                    n + 1
                );
                let mut q = sqlx::query_as::<_, RecordRow>(sqlx::AssertSqlSafe(sql));
                for id in engagement_ids {
                    q = q.bind(id);
                }
                let rows = q.bind(per_engagement).fetch_all(&self.pool).await?;
                rows.into_iter().map(RecordRow::into_record).collect()
            }

            async fn published_assessment(&self, offering_id: &str) -> Result<Option<Record>> {
                let row: Option<RecordRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM assessments WHERE offering_id = $1 AND published AND outcome IS NOT NULL \
                     ORDER BY concluded_on DESC, created_at DESC, id DESC LIMIT 1",
                    tables::ASSESSMENTS.select()
                )))
                .bind(offering_id)
                .fetch_optional(&self.pool)
                .await?;
                row.map(RecordRow::into_record).transpose()
            }

            async fn assessment_granted_to(&self, assessment_id: &str, org_id: &str) -> Result<bool> {
                let row: Option<(i64,)> = sqlx::query_as(
                    "SELECT CAST(1 AS BIGINT) FROM assessment_grants g JOIN engagements e ON e.id = g.engagement_id \
                     WHERE g.assessment_id = $1 AND e.customer_org_id = $2 LIMIT 1",
                )
                .bind(assessment_id)
                .bind(org_id)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.is_some())
            }

            async fn assessment_result_counts(
                &self,
                assessment_ids: &[String],
            ) -> Result<Vec<(String, String, i64)>> {
                if assessment_ids.is_empty() {
                    return Ok(Vec::new());
                }
                let sql = format!(
                    "SELECT assessment_id, result, COUNT(*) FROM assessment_results \
                     WHERE assessment_id IN ({}) GROUP BY assessment_id, result ORDER BY assessment_id, result",
                    placeholders(1, assessment_ids.len())
                );
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql));
                for id in assessment_ids {
                    q = q.bind(id);
                }
                Ok(q.fetch_all(&self.pool).await?)
            }

            async fn record_scan(
                &self,
                by: &Actor,
                run: NewRecord,
                opened: Vec<NewRecord>,
                changed: Vec<RecordChange>,
            ) -> Result<Record> {
                let (_g, mut tx) = self.begin().await?;
                let (mut runs, first) = self.records_in(&mut tx, by, vec![run], Vec::new()).await?;
                let (_, last) = self.records_in(&mut tx, by, opened, changed).await?;
                self.commit(tx, last.or(first)).await?;
                runs.pop()
                    .ok_or_else(|| StoreError::Other("a written run went missing".into()))
            }

            async fn due_notifications(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Record>> {
                let table = &tables::NOTIFICATIONS;
                let rows = sqlx::query_as::<_, RecordRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM {} WHERE state = 'pending' AND next_attempt_at <= $1 \
                     ORDER BY next_attempt_at, id LIMIT $2",
                    table.select(),
                    table.name
                )))
                .bind(stamp(now))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(RecordRow::into_record).collect()
            }

            async fn notification_log(&self, org_id: &str, limit: i64) -> Result<Vec<Record>> {
                let table = &tables::NOTIFICATIONS;
                let rows = sqlx::query_as::<_, RecordRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM {} WHERE owner_org_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
                    table.select(),
                    table.name
                )))
                .bind(org_id)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(RecordRow::into_record).collect()
            }

            async fn notifications_of(&self, event_key: &str, channel_id: &str) -> Result<i64> {
                let (n,): (i64,) = sqlx::query_as(
                    "SELECT COUNT(*) FROM notifications WHERE event_key = $1 AND channel_id = $2",
                )
                .bind(event_key)
                .bind(channel_id)
                .fetch_one(&self.pool)
                .await?;
                Ok(n)
            }

            async fn put_blob(&self, by: &Actor, engagement_id: Option<&str>, blob: Blob) -> Result<()> {
                let (_g, mut tx) = self.begin().await?;
                let exists: Option<(String,)> = sqlx::query_as("SELECT sha256 FROM blobs WHERE sha256 = $1")
                    .bind(&blob.sha256)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    sqlx::query("INSERT INTO blobs (sha256, size, media_type, content, created_at) VALUES ($1, $2, $3, $4, $5)")
                        .bind(&blob.sha256)
                        .bind(blob.size)
                        .bind(&blob.media_type)
                        .bind(&blob.content)
                        .bind(stamp(now()))
                        .execute(&mut *tx)
                        .await?;
                }
                // The file's hash is the object of the entry: the log names what was filed.
                let cp = self
                    .append(&mut tx, by, Event {
                        action: "evidence.file",
                        object_type: "evidence_file",
                        object_id: &blob.sha256,
                        engagement_id,
                        before: None,
                        after: Some(serde_json::json!({ "sha256": blob.sha256, "size": blob.size, "media_type": blob.media_type })),
                    })
                    .await?;
                self.commit(tx, cp).await
            }

            async fn create_framework(
                &self,
                by: &Actor,
                new: NewFramework,
                replace: bool,
            ) -> Result<FrameworkInfo> {
                let info = FrameworkInfo {
                    id: new_id(),
                    owner_org_id: new.owner_org_id,
                    name: new.name,
                    title: new.title,
                    version: new.version,
                    source_model: new.source_model,
                    group_count: new.group_count,
                    control_count: new.control_count,
                    created_by: by.id.clone(),
                    created_at: now(),
                };
                let (_g, mut tx) = self.begin().await?;
                let old: Option<(String,)> = sqlx::query_as(
                    "SELECT id FROM frameworks WHERE COALESCE(owner_org_id, '') = COALESCE(CAST($1 AS TEXT), '') AND name = $2",
                )
                .bind(&info.owner_org_id)
                .bind(&info.name)
                .fetch_optional(&mut *tx)
                .await?;
                let mut cp = None;
                if let Some((old_id,)) = &old {
                    if !replace {
                        return Err(StoreError::Conflict(format!(
                            "a framework named {} already exists",
                            info.name
                        )));
                    }
                    sqlx::query("DELETE FROM frameworks WHERE id = $1")
                        .bind(old_id)
                        .execute(&mut *tx)
                        .await?;
                    cp = self
                        .append(&mut tx, by, Event {
                            action: "framework.delete",
                            object_type: "framework",
                            object_id: old_id,
                            engagement_id: None,
                            before: Some(serde_json::json!({ "name": info.name })),
                            after: None,
                        })
                        .await?;
                }
                sqlx::query(
                    "INSERT INTO frameworks (id, owner_org_id, name, title, version, source_model, group_count, \
                     control_count, document, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&info.id)
                .bind(&info.owner_org_id)
                .bind(&info.name)
                .bind(&info.title)
                .bind(&info.version)
                .bind(&info.source_model)
                .bind(info.group_count)
                .bind(info.control_count)
                .bind(&new.document)
                .bind(&info.created_by)
                .bind(stamp(info.created_at))
                .execute(&mut *tx)
                .await
                .map_err(unique("a framework of that name"))?;
                // The document's digest is in the entry: the log names what was imported.
                let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(new.document.as_bytes()));
                let mut after = serde_json::to_value(&info).unwrap_or_default();
                after["document_sha256"] = serde_json::Value::String(digest);
                let cp2 = self
                    .append(&mut tx, by, Event {
                        action: "framework.import",
                        object_type: "framework",
                        object_id: &info.id,
                        engagement_id: None,
                        before: None,
                        after: Some(after),
                    })
                    .await?;
                self.commit(tx, cp2.or(cp)).await?;
                Ok(info)
            }

            async fn list_frameworks(&self, org_id: Option<&str>) -> Result<Vec<FrameworkInfo>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {FRAMEWORK_COLUMNS} FROM frameworks \
                     WHERE owner_org_id IS NULL OR owner_org_id = $1 ORDER BY name, id"
                )))
                .bind(org_id)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn get_framework(&self, id: &str) -> Result<Option<(FrameworkInfo, String)>> {
                let info: Option<FrameworkInfo> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {FRAMEWORK_COLUMNS} FROM frameworks WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
                let Some(info) = info else { return Ok(None) };
                let (document,): (String,) = sqlx::query_as("SELECT document FROM frameworks WHERE id = $1")
                    .bind(id)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(Some((info, document)))
            }

            async fn delete_framework(&self, by: &Actor, id: &str) -> Result<bool> {
                let (_g, mut tx) = self.begin().await?;
                let name: Option<(String,)> = sqlx::query_as("SELECT name FROM frameworks WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                let Some((name,)) = name else { return Ok(false) };
                sqlx::query("DELETE FROM frameworks WHERE id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                let cp = self
                    .append(&mut tx, by, Event {
                        action: "framework.delete",
                        object_type: "framework",
                        object_id: id,
                        engagement_id: None,
                        before: Some(serde_json::json!({ "name": name })),
                        after: None,
                    })
                    .await?;
                self.commit(tx, cp).await?;
                Ok(true)
            }

            async fn get_blob(&self, sha256: &str) -> Result<Option<Blob>> {
                let row: Option<(String, i64, String, Option<Vec<u8>>)> = sqlx::query_as(
                    "SELECT sha256, size, media_type, content FROM blobs WHERE sha256 = $1",
                )
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(sha256, size, media_type, content)| Blob {
                    sha256,
                    size,
                    media_type,
                    content,
                }))
            }

            async fn audit_entries(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>> {
                Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2"
                )))
                .bind(after)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
            }

            async fn audit_search(
                &self,
                org_id: Option<&str>,
                filter: &AuditFilter,
                limit: i64,
                offset: i64,
            ) -> Result<(Vec<AuditEntry>, i64)> {
                let mut clause = String::from("TRUE");
                let mut binds: Vec<String> = Vec::new();
                let bind = |v: String, binds: &mut Vec<String>| {
                    binds.push(v);
                    format!("${}", binds.len())
                };
                if let Some(org) = org_id {
                    let n = bind(org.to_owned(), &mut binds);
                    clause.push_str(&format!(
                        " AND (org_id = {n} OR engagement_id IN (SELECT id FROM engagements WHERE customer_org_id = {n} \
                         UNION SELECT engagement_id FROM engagement_parties WHERE org_id = {n}))"
                    ));
                }
                if let Some(from) = &filter.from {
                    let n = bind(from.clone(), &mut binds);
                    clause.push_str(&format!(" AND at >= {n}"));
                }
                if let Some(before) = &filter.before {
                    let n = bind(before.clone(), &mut binds);
                    clause.push_str(&format!(" AND at < {n}"));
                }
                if let Some(actor) = &filter.actor {
                    let n = bind(actor.clone(), &mut binds);
                    clause.push_str(&format!(" AND actor = {n}"));
                }
                if let Some(verb) = &filter.verb {
                    let n = bind(format!("%.{}", like_escape(verb)), &mut binds);
                    clause.push_str(&format!(" AND action LIKE {n} ESCAPE '\\'"));
                }
                if let Some(kind) = &filter.object_type {
                    let n = bind(kind.clone(), &mut binds);
                    clause.push_str(&format!(" AND object_type = {n}"));
                }
                if let Some(id) = &filter.object_id {
                    let n = bind(format!("{}%", like_escape(id)), &mut binds);
                    clause.push_str(&format!(" AND object_id LIKE {n} ESCAPE '\\'"));
                }
                if let Some(e) = &filter.engagement_id {
                    let n = bind(e.clone(), &mut binds);
                    clause.push_str(&format!(" AND engagement_id = {n}"));
                }
                let mut count = sqlx::query_as::<_, (i64,)>(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM audit_log WHERE {clause}"
                )));
                for b in &binds {
                    count = count.bind(b);
                }
                let (total,) = count.fetch_one(&self.pool).await?;
                let n = binds.len();
                let mut page = sqlx::query_as::<_, AuditEntry>(sqlx::AssertSqlSafe(format!(
                    "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE {clause} ORDER BY seq DESC LIMIT ${} OFFSET ${}",
                    n + 1,
                    n + 2
                )));
                for b in &binds {
                    page = page.bind(b);
                }
                let rows = page.bind(limit).bind(offset).fetch_all(&self.pool).await?;
                Ok((rows, total))
            }

            async fn checkpoints(&self) -> Result<Vec<Checkpoint>> {
                Ok(sqlx::query_as("SELECT seq, hash, at, public_key, signature FROM audit_checkpoints ORDER BY seq")
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn audit_head(&self) -> Result<i64> {
                let (head,): (Option<i64>,) = sqlx::query_as("SELECT MAX(seq) FROM audit_log")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(head.unwrap_or(0))
            }

            async fn checkpoint_now(&self) -> Result<Option<Checkpoint>> {
                let (_g, mut tx) = self.begin().await?;
                let head: Option<(i64, String)> =
                    sqlx::query_as("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut *tx)
                        .await?;
                let Some((seq, hash)) = head else { return Ok(None) };
                let last: Option<(i64,)> =
                    sqlx::query_as("SELECT seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1")
                        .fetch_optional(&mut *tx)
                        .await?;
                if last.is_some_and(|(s,)| s >= seq) {
                    return Ok(None);
                }
                let cp = self.signer.sign(seq, &hash, &stamp(now()));
                self.insert_checkpoint(&mut tx, &cp).await?;
                self.commit(tx, Some(cp.clone())).await?;
                Ok(Some(cp))
            }

            async fn close(&self) {
                self.pool.close().await;
            }
        }
    };
}

sql_store!(SqliteStore, sqlx::Sqlite, "sqlite", None);
sql_store!(
    PgStore,
    sqlx::Postgres,
    "postgres",
    Some("SELECT pg_advisory_xact_lock(731167)")
);

impl SqliteStore {
    /// Opens (creating) the database file and migrates it. WAL with full sync: a write is
    /// on disk when it is acknowledged.
    pub async fn open(path: &Path, hash: HashAlg, signer: Signer) -> Result<SqliteStore> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/sqlite").run(&pool).await?;
        Ok(SqliteStore {
            pool,
            hash,
            signer,
            write: tokio::sync::Mutex::new(()),
        })
    }
}

impl PgStore {
    pub async fn connect(url: &str, hash: HashAlg, signer: Signer) -> Result<PgStore> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations/postgres").run(&pool).await?;
        Ok(PgStore {
            pool,
            hash,
            signer,
            write: tokio::sync::Mutex::new(()),
        })
    }
}
