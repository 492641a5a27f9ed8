//! cloudward's storage: the [`Store`] trait, one implementation per database (SQLite,
//! PostgreSQL; the same SQL, each with its own migrations), and the hash-chained audit log.
//!
//! Every method that changes state appends its audit entry in the same transaction, so a
//! change without its entry (or the reverse) cannot be committed. Nothing here changes or
//! deletes an audit entry, and the schema refuses it with triggers.

pub mod audit;
mod sql;
mod tables;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The domain's types the store keeps in columns.
pub use cloudward_domain::ProtectionLevel;
pub use cloudward_domain::engagement::Phase;
pub use cloudward_domain::responsibility::Actor as MatrixParty;

pub use audit::{AuditEntry, Checkpoint, HashAlg, Signer, Verification};
pub use sql::{PgStore, SqliteStore};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A unique key is taken, or the version the caller read is no longer current.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Other(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The four kinds of organisation of the guide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    Customer,
    Provider,
    SecurityServiceProvider,
    Assessor,
}

impl OrgKind {
    pub const ALL: [OrgKind; 4] = [
        OrgKind::Customer,
        OrgKind::Provider,
        OrgKind::SecurityServiceProvider,
        OrgKind::Assessor,
    ];

    pub fn id(self) -> &'static str {
        match self {
            OrgKind::Customer => "customer",
            OrgKind::Provider => "provider",
            OrgKind::SecurityServiceProvider => "security_service_provider",
            OrgKind::Assessor => "assessor",
        }
    }

    pub fn parse(value: &str) -> Option<OrgKind> {
        OrgKind::ALL.into_iter().find(|k| k.id() == value)
    }
}

/// A user's role within its organisation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The least, so that a forgotten role grants nothing.
    #[default]
    ReadOnly,
    Member,
    OrgAdmin,
}

impl Role {
    pub fn id(self) -> &'static str {
        match self {
            Role::ReadOnly => "read_only",
            Role::Member => "member",
            Role::OrgAdmin => "org_admin",
        }
    }

    pub fn parse(value: &str) -> Option<Role> {
        [Role::ReadOnly, Role::Member, Role::OrgAdmin]
            .into_iter()
            .find(|r| r.id() == value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Org {
    pub id: String,
    pub name: String,
    #[sqlx(try_from = "Text<OrgKind>")]
    pub kind: OrgKind,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    pub id: String,
    pub org_id: Option<String>,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    #[sqlx(try_from = "Text<Role>")]
    pub role: Role,
    pub platform_admin: bool,
    pub failed_logins: i64,
    #[sqlx(try_from = "OptText<DateTime<Utc>>")]
    pub locked_until: Option<DateTime<Utc>>,
    pub lang: Option<String>,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    pub created_at: DateTime<Utc>,
    /// Disabled by an administrator at this time: no login, no session.
    #[sqlx(try_from = "OptText<DateTime<Utc>>")]
    pub disabled_at: Option<DateTime<Utc>>,
    /// An administrator reset the password: the user must change it before anything else.
    pub must_change_password: bool,
}

/// An organisation's columns joined to another row (`o_id`, `o_name`, …), NULL when
/// there is none.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct JoinedOrg {
    o_id: Option<String>,
    o_name: Option<String>,
    #[sqlx(try_from = "OptText<OrgKind>")]
    o_kind: Option<OrgKind>,
    #[sqlx(try_from = "OptText<DateTime<Utc>>")]
    o_created_at: Option<DateTime<Utc>>,
}

impl JoinedOrg {
    /// The columns of an organisation to join as `o`.
    pub(crate) const COLUMNS: &'static str =
        "o.id AS o_id, o.name AS o_name, o.kind AS o_kind, o.created_at AS o_created_at";

    pub(crate) fn into_org(self) -> Option<Org> {
        Some(Org {
            id: self.o_id?,
            name: self.o_name?,
            kind: self.o_kind?,
            created_at: self.o_created_at?,
        })
    }
}

/// A token and its organisation, as [`Store::token_with_org`] reads them.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct TokenAndOrg {
    #[sqlx(flatten)]
    pub(crate) token: ApiToken,
    #[sqlx(flatten)]
    pub(crate) org: JoinedOrg,
}

/// A session, its user and the user's organisation, as [`Store::session_with_user`] reads
/// them.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SessionAndUser {
    #[sqlx(flatten)]
    pub(crate) user: User,
    #[sqlx(flatten)]
    pub(crate) org: JoinedOrg,
    pub(crate) s_token_hash: String,
    pub(crate) s_csrf_token: String,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    pub(crate) s_created_at: DateTime<Utc>,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    pub(crate) s_expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub org_id: Option<String>,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub platform_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Session {
    pub token_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct ApiToken {
    pub id: String,
    pub org_id: String,
    pub name: String,
    #[sqlx(try_from = "Text<Role>")]
    pub role: Role,
    #[serde(skip)]
    pub token_hash: String,
    /// The first characters of the token, to recognise it in a list.
    pub prefix: String,
    pub created_by: String,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    pub created_at: DateTime<Utc>,
    #[sqlx(try_from = "OptText<DateTime<Utc>>")]
    pub revoked_at: Option<DateTime<Utc>>,
    /// Refused from this moment on (401 `token_expired`); `None`: until revoked.
    #[sqlx(try_from = "OptText<DateTime<Utc>>")]
    pub expires_at: Option<DateTime<Utc>>,
    /// The one engagement the token may act on; `None`: the organisation's.
    pub engagement_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewToken {
    pub org_id: String,
    pub name: String,
    pub role: Role,
    pub token_hash: String,
    pub prefix: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub engagement_id: Option<String>,
}

/// What an administrator changes about a user of an organisation
/// ([`Store::change_account`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountChange {
    /// No login, every session ended (the organisation's tokens the user made stay).
    Disable,
    Enable,
    /// Forgets the failed logins recorded for the user.
    Unlock,
    /// A new password hash; every session ends and the user must change it at next login.
    ResetPassword {
        hash: String,
    },
    Role(Role),
}

impl AccountChange {
    /// The audit log's action.
    pub fn action(&self) -> &'static str {
        match self {
            AccountChange::Disable => "user.disable",
            AccountChange::Enable => "user.enable",
            AccountChange::Unlock => "user.unlock",
            AccountChange::ResetPassword { .. } => "user.password_reset",
            AccountChange::Role(_) => "user.role_change",
        }
    }
}

/// The parties of an engagement besides its customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    Provider,
    Assessor,
    SecurityServiceProvider,
}

impl Party {
    pub const ALL: [Party; 3] = [
        Party::Provider,
        Party::Assessor,
        Party::SecurityServiceProvider,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Party::Provider => "provider",
            Party::Assessor => "assessor",
            Party::SecurityServiceProvider => "security_service_provider",
        }
    }

    pub fn parse(value: &str) -> Option<Party> {
        Party::ALL.into_iter().find(|p| p.id() == value)
    }

    /// The kind of organisation that may fill this seat.
    pub fn org_kind(self) -> OrgKind {
        match self {
            Party::Provider => OrgKind::Provider,
            Party::Assessor => OrgKind::Assessor,
            Party::SecurityServiceProvider => OrgKind::SecurityServiceProvider,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Engagement {
    pub id: String,
    pub customer_org_id: String,
    pub name: String,
    pub phase: Phase,
    pub level: Option<ProtectionLevel>,
    /// The engagement file as JSON.
    pub document: serde_json::Value,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Party → organisation id.
    pub parties: Vec<(Party, String)>,
}

#[derive(Debug, Clone)]
pub struct EngagementData {
    pub name: String,
    pub phase: Phase,
    pub level: Option<ProtectionLevel>,
    pub document: serde_json::Value,
    pub parties: Vec<(Party, String)>,
}

#[derive(Debug, Clone, Default)]
pub struct EngagementFilter {
    pub phase: Option<Phase>,
    pub level: Option<ProtectionLevel>,
    pub limit: i64,
    pub offset: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct Confirmation {
    pub engagement_id: String,
    pub element: String,
    /// The party of the matrix that confirmed (customer, provider or security service
    /// provider).
    #[sqlx(try_from = "Text<MatrixParty>")]
    pub party: MatrixParty,
    pub org_id: String,
    pub user_id: String,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    pub confirmed_at: DateTime<Utc>,
    /// The row's assignment as confirmed (its parties and their parts), so that a later
    /// change of the row shows the confirmation as stale; `None` for older confirmations.
    #[serde(default)]
    pub terms: Option<String>,
}

/// A workflow document: an offering, an assessment, an evidence file's metadata, a scan
/// run, a finding, a notice, an exit record … The server owns its shape (`data`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Record {
    pub id: String,
    pub kind: String,
    /// The organisation that owns it (a provider's offering, a customer's scan …).
    pub owner_org_id: String,
    /// A second organisation it concerns (an assessment's assessor).
    pub party_org_id: Option<String>,
    pub engagement_id: Option<String>,
    /// An enclosing record (an assessment's offering, a finding's engagement scan …).
    pub parent_id: Option<String>,
    pub data: serde_json::Value,
    pub version: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewRecord {
    /// An id chosen beforehand (from [`new_id`]), when other writes of the same batch refer
    /// to it; a new one otherwise.
    pub id: Option<String>,
    pub kind: String,
    pub owner_org_id: String,
    /// A second organisation it concerns (an assessment's assessor).
    pub party_org_id: Option<String>,
    pub engagement_id: Option<String>,
    pub parent_id: Option<String>,
    pub data: serde_json::Value,
}

impl NewRecord {
    /// A record of `kind` owned by `owner_org_id`, of no engagement, parent or second
    /// organisation until the builders below say so.
    pub fn new(
        kind: impl Into<String>,
        owner_org_id: impl Into<String>,
        data: serde_json::Value,
    ) -> NewRecord {
        NewRecord {
            id: None,
            kind: kind.into(),
            owner_org_id: owner_org_id.into(),
            party_org_id: None,
            engagement_id: None,
            parent_id: None,
            data,
        }
    }

    /// With an id chosen beforehand (from [`new_id`]).
    pub fn with_id(mut self, id: impl Into<String>) -> NewRecord {
        self.id = Some(id.into());
        self
    }

    /// Of engagement `id`.
    pub fn of_engagement(mut self, id: impl Into<String>) -> NewRecord {
        self.engagement_id = Some(id.into());
        self
    }

    /// Under record `id` (an offering's assessment, an assessment's file).
    pub fn under(mut self, id: impl Into<String>) -> NewRecord {
        self.parent_id = Some(id.into());
        self
    }

    /// Concerning a second organisation too (an assessment's assessor).
    pub fn concerning(mut self, org_id: impl Into<String>) -> NewRecord {
        self.party_org_id = Some(org_id.into());
        self
    }
}

/// A new document for a record that was read: its kind and id, the version read (the
/// write is refused if another came first) and the new data.
#[derive(Debug, Clone)]
pub struct RecordChange {
    pub kind: String,
    pub id: String,
    pub version: i64,
    pub data: serde_json::Value,
}

impl RecordChange {
    /// `data` for `record`, at the version read.
    pub fn of(record: &Record, data: serde_json::Value) -> RecordChange {
        RecordChange {
            kind: record.kind.clone(),
            id: record.id.clone(),
            version: record.version,
            data,
        }
    }

    /// `data` for the record of `kind` and `id`, at `version` (one the caller was told).
    pub fn at(
        kind: impl Into<String>,
        id: impl Into<String>,
        version: i64,
        data: serde_json::Value,
    ) -> RecordChange {
        RecordChange {
            kind: kind.into(),
            id: id.into(),
            version,
            data,
        }
    }
}

/// Which of an engagement's tracked findings to list (their own table: the columns these
/// filters need are real, the page is cut in SQL).
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    /// open, accepted, fixed or closed; any state when unset.
    pub state: Option<String>,
    /// Only closed findings (`Some(true)`) or only those not closed (`Some(false)`).
    pub closed: Option<bool>,
    /// critical, high, medium or low.
    pub severity: Option<String>,
    /// Only the findings of this rule.
    pub rule: Option<String>,
    pub assignee: AssigneeFilter,
    pub order: FindingOrder,
    /// At most this many (all when unset), after skipping `offset`.
    pub limit: Option<i64>,
    pub offset: i64,
    /// Only those after this finding (by the list's order: first recorded first), for the
    /// next page without counting the ones before it; a finding of no other engagement.
    /// An id that is no finding of the engagement is [`StoreError::NotFound`].
    pub after: Option<String>,
    /// Also count every finding that matches, on all pages (one more query over the
    /// filter's index range; the lists that do not show a total skip it).
    pub count: bool,
}

/// Which audit entries to list; unset fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Entries at or after this time, and before that one (times as the store writes them,
    /// or any prefix of one: `2026-12-01` is that day's start).
    pub from: Option<String>,
    pub before: Option<String>,
    /// The actor's id (a user id, `token:<id>`, `system`).
    pub actor: Option<String>,
    /// What was done: the verb of the action (`create`, `update`, `login_failed`, …).
    pub verb: Option<String>,
    /// The kind of object changed (`engagement`, `finding`, …).
    pub object_type: Option<String>,
    /// The object's id, or the beginning of it.
    pub object_id: Option<String>,
    /// The engagement the change belongs to.
    pub engagement_id: Option<String>,
}

/// The order of a list of findings; each ends with the order of recording.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum FindingOrder {
    /// First recorded first.
    #[default]
    Recorded,
    /// The most severe first (critical, high, medium, low, then any other), then first
    /// recorded first.
    Severity,
}

/// Severities from the most severe; [`severity_rank`] is the place in this list.
pub const SEVERITIES: [&str; 4] = ["critical", "high", "medium", "low"];

/// A severity's place in [`SEVERITIES`] (0 for critical), 9 for anything else: the
/// column the findings list sorts on.
pub fn severity_rank(severity: &str) -> i64 {
    SEVERITIES
        .iter()
        .position(|s| *s == severity)
        .map_or(9, |i| i64::try_from(i).unwrap_or(9))
}

/// How many findings of an engagement have a rule, a severity and a state: what the
/// filters of the findings list offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingFacet {
    pub rule_id: String,
    pub severity_rank: i64,
    pub state: String,
    pub count: i64,
}

/// Findings by whom they are assigned to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum AssigneeFilter {
    #[default]
    Any,
    /// Assigned to no one.
    Nobody,
    Is(String),
}

/// Which records to list; unset fields do not filter.
#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub owner_org_id: Option<String>,
    pub party_org_id: Option<String>,
    pub engagement_id: Option<String>,
    pub parent_id: Option<String>,
}

impl RecordFilter {
    /// The records of one engagement.
    pub fn engagement(id: &str) -> RecordFilter {
        RecordFilter {
            engagement_id: Some(id.to_owned()),
            ..Default::default()
        }
    }
}

/// An imported framework, without its document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct FrameworkInfo {
    pub id: String,
    /// `None`: the platform's, visible to every organisation.
    pub owner_org_id: Option<String>,
    pub name: String,
    pub title: String,
    pub version: String,
    /// `catalog` or `profile`
    pub source_model: String,
    pub group_count: i64,
    pub control_count: i64,
    pub created_by: String,
    #[sqlx(try_from = "Text<DateTime<Utc>>")]
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewFramework {
    pub owner_org_id: Option<String>,
    pub name: String,
    pub title: String,
    pub version: String,
    pub source_model: String,
    pub group_count: i64,
    pub control_count: i64,
    /// The OSCAL catalog (JSON) the framework is kept as.
    pub document: String,
}

/// An evidence file's bytes, stored once per content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blob {
    pub sha256: String,
    pub size: i64,
    pub media_type: String,
    /// `None` when the bytes live on disk.
    pub content: Option<Vec<u8>>,
}

/// Who makes a change, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// A user id, `token:<id>` or `system`.
    pub id: String,
    pub org_id: Option<String>,
}

impl Actor {
    pub fn system() -> Actor {
        Actor {
            id: "system".into(),
            org_id: None,
        }
    }
}

/// Storage, whichever the database. Methods that change state write their audit entry.
#[async_trait::async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The database answers.
    async fn ping(&self) -> Result<()>;
    fn backend(&self) -> &'static str;

    async fn create_org(&self, by: &Actor, name: &str, kind: OrgKind) -> Result<Org>;
    async fn get_org(&self, id: &str) -> Result<Option<Org>>;
    async fn list_orgs(&self) -> Result<Vec<Org>>;

    async fn create_user(&self, by: &Actor, new: NewUser) -> Result<User>;
    async fn get_user(&self, id: &str) -> Result<Option<User>>;
    async fn find_user(&self, username: &str) -> Result<Option<User>>;
    async fn list_users(&self, org_id: &str) -> Result<Vec<User>>;
    /// Sets a new password hash and ends every session of the user but `keep` (the one
    /// that changed it, when given); a password to change at next login is changed.
    async fn set_password(
        &self,
        by: &Actor,
        user_id: &str,
        hash: &str,
        keep: Option<&str>,
    ) -> Result<()>;
    /// An administrator's change to user `user_id` of organisation `org_id` (another
    /// organisation's user is `NotFound`), audited in its transaction. Disabling or
    /// demoting the organisation's last enabled administrator is a `Conflict` naming
    /// `last_admin`.
    async fn change_account(
        &self,
        by: &Actor,
        org_id: &str,
        user_id: &str,
        change: AccountChange,
    ) -> Result<User>;
    async fn set_user_lang(&self, by: &Actor, user_id: &str, lang: &str) -> Result<()>;
    /// Records a failed login: the new failure count and, past the limit, a lock.
    async fn login_failed(
        &self,
        user_id: &str,
        failed_logins: i64,
        locked_until: Option<DateTime<Utc>>,
    ) -> Result<()>;
    /// Resets the failure count and opens a session.
    async fn login_succeeded(&self, user_id: &str, session: Session) -> Result<()>;
    async fn get_session(&self, token_hash: &str) -> Result<Option<Session>>;
    /// The session with this hash, its user and the user's organisation: what
    /// authenticating a request needs, in one query.
    async fn session_with_user(
        &self,
        token_hash: &str,
    ) -> Result<Option<(Session, User, Option<Org>)>>;
    async fn delete_session(&self, by: &Actor, token_hash: &str) -> Result<()>;

    async fn create_token(&self, by: &Actor, new: NewToken) -> Result<ApiToken>;
    async fn find_token(&self, token_hash: &str) -> Result<Option<ApiToken>>;
    /// The token with this hash and its organisation, in one query.
    async fn token_with_org(&self, token_hash: &str) -> Result<Option<(ApiToken, Option<Org>)>>;
    async fn list_tokens(&self, org_id: &str) -> Result<Vec<ApiToken>>;
    /// Revokes a token of the organisation; false when it has no such live token.
    async fn revoke_token(&self, by: &Actor, org_id: &str, id: &str) -> Result<bool>;

    async fn create_engagement(
        &self,
        by: &Actor,
        customer_org_id: &str,
        data: EngagementData,
    ) -> Result<Engagement>;
    /// The engagement if `org_id` is its customer or one of its parties; `None` otherwise,
    /// so that other tenants cannot tell whether it exists.
    async fn visible_engagement(&self, id: &str, org_id: &str) -> Result<Option<Engagement>>;
    async fn list_engagements(
        &self,
        org_id: &str,
        filter: &EngagementFilter,
    ) -> Result<(Vec<Engagement>, i64)>;
    /// How many engagements the organisation is the customer of (for its quota).
    async fn count_owned_engagements(&self, org_id: &str) -> Result<i64>;
    /// Replaces the engagement's data if its version is still `version`; `Conflict` if not.
    async fn update_engagement(
        &self,
        by: &Actor,
        id: &str,
        version: i64,
        data: EngagementData,
    ) -> Result<Engagement>;
    async fn delete_engagement(&self, by: &Actor, id: &str, version: Option<i64>) -> Result<()>;
    async fn confirm(&self, by: &Actor, c: Confirmation) -> Result<Confirmation>;
    /// Several confirmations in one transaction, each with its audit entry.
    async fn confirm_all(&self, by: &Actor, list: Vec<Confirmation>) -> Result<Vec<Confirmation>>;
    async fn confirmations(&self, engagement_id: &str) -> Result<Vec<Confirmation>>;
    /// The confirmations of several engagements, in one query.
    async fn confirmations_of(&self, engagement_ids: &[String]) -> Result<Vec<Confirmation>>;
    /// The records of `kind` of several engagements, in one query, oldest first.
    async fn records_of(&self, kind: &str, engagement_ids: &[String]) -> Result<Vec<Record>>;
    /// Open findings of several engagements assigned to any of `assignees`, first recorded
    /// first, at most `limit`.
    async fn findings_assigned(
        &self,
        engagement_ids: &[String],
        assignees: &[String],
        limit: i64,
    ) -> Result<Vec<Record>>;

    async fn create_record(&self, by: &Actor, new: NewRecord) -> Result<Record>;
    /// The record of `kind` with `id`.
    async fn get_record(&self, kind: &str, id: &str) -> Result<Option<Record>>;
    /// Records of a kind, oldest first.
    async fn list_records(&self, kind: &str, filter: &RecordFilter) -> Result<Vec<Record>>;
    /// Replaces a record's data if its version is still the one read; `Conflict` if not.
    async fn update_record(&self, by: &Actor, change: RecordChange) -> Result<Record>;
    /// Replaces an engagement (as `update_engagement`) and creates and updates records (as
    /// `apply_records`) in one transaction: all or nothing.
    async fn update_engagement_with(
        &self,
        by: &Actor,
        id: &str,
        version: i64,
        data: EngagementData,
        creates: Vec<NewRecord>,
        updates: Vec<RecordChange>,
    ) -> Result<(Engagement, Vec<Record>)>;
    /// Creates and updates several records in one transaction (each with its audit entry):
    /// all or nothing. Updates check versions as `update_record` does.
    async fn apply_records(
        &self,
        by: &Actor,
        creates: Vec<NewRecord>,
        updates: Vec<RecordChange>,
    ) -> Result<Vec<Record>>;
    /// An engagement's tracked findings matching `filter`, oldest first (as records of
    /// kind `finding`), and how many match in all when `filter.count` asks for it.
    async fn list_findings(
        &self,
        engagement_id: &str,
        filter: &FindingFilter,
    ) -> Result<(Vec<Record>, Option<i64>)>;
    /// How many tracked findings an engagement has of each rule, severity and state.
    async fn finding_facets(&self, engagement_id: &str) -> Result<Vec<FindingFacet>>;
    /// How many tracked findings an engagement has in each state.
    async fn count_findings(&self, engagement_id: &str) -> Result<Vec<(String, i64)>>;
    /// How many tracked findings each of several engagements has in each state, as
    /// (engagement, state, count), in one query.
    async fn count_findings_of(
        &self,
        engagement_ids: &[String],
    ) -> Result<Vec<(String, String, i64)>>;
    /// The last `per_engagement` scan runs of each of several engagements, oldest first
    /// within each, in one query.
    async fn recent_runs(
        &self,
        engagement_ids: &[String],
        per_engagement: i64,
    ) -> Result<Vec<Record>>;
    /// The newest published, concluded assessment of an offering (by conclusion date, then
    /// by creation).
    async fn published_assessment(&self, offering_id: &str) -> Result<Option<Record>>;
    /// Whether the provider granted the customer `org_id` the details of an assessment
    /// (through an engagement of which it is the customer).
    async fn assessment_granted_to(&self, assessment_id: &str, org_id: &str) -> Result<bool>;
    /// How many controls of each of several assessments have each result, as
    /// (assessment, result, count), in one query.
    async fn assessment_result_counts(
        &self,
        assessment_ids: &[String],
    ) -> Result<Vec<(String, String, i64)>>;
    /// Stores a scan run (a record) with the findings it opens and the findings it
    /// changes, in one transaction; each finding's data carries its `key` (unique in the
    /// engagement), `state` and `assignee`. Returns the run.
    async fn record_scan(
        &self,
        by: &Actor,
        run: NewRecord,
        opened: Vec<NewRecord>,
        changed: Vec<RecordChange>,
    ) -> Result<Record>;
    /// Pending notifications (records of kind `notification`) whose next attempt is due by
    /// `now`, the earliest first, at most `limit`.
    async fn due_notifications(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<Record>>;
    /// An organisation's notifications, the newest first, at most `limit`.
    async fn notification_log(&self, org_id: &str, limit: i64) -> Result<Vec<Record>>;
    /// How many notifications tell of `event_key` (to channel `channel_id`), whatever their
    /// state: a sweep tells each thing once.
    async fn notifications_of(&self, event_key: &str, channel_id: &str) -> Result<i64>;
    /// Stores a file's bytes (once per content); the audit entry names its SHA-256.
    async fn put_blob(&self, by: &Actor, engagement_id: Option<&str>, blob: Blob) -> Result<()>;
    async fn get_blob(&self, sha256: &str) -> Result<Option<Blob>>;

    /// Stores an imported framework; with `replace`, one of the same owner and name goes
    /// (else that is a conflict).
    async fn create_framework(
        &self,
        by: &Actor,
        new: NewFramework,
        replace: bool,
    ) -> Result<FrameworkInfo>;
    /// The platform's frameworks and, given an organisation, its own; by name.
    async fn list_frameworks(&self, org_id: Option<&str>) -> Result<Vec<FrameworkInfo>>;
    /// A framework and its document.
    async fn get_framework(&self, id: &str) -> Result<Option<(FrameworkInfo, String)>>;
    async fn delete_framework(&self, by: &Actor, id: &str) -> Result<bool>;

    /// Entries with `seq > after`, in order, at most `limit`.
    async fn audit_entries(&self, after: i64, limit: i64) -> Result<Vec<AuditEntry>>;
    /// The entries matching `filter`, newest first, and how many match in all. Given an
    /// organisation, only those it may see: its own actors' and its engagements'; without
    /// one, every entry (for the platform's administrators).
    async fn audit_search(
        &self,
        org_id: Option<&str>,
        filter: &AuditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<(Vec<AuditEntry>, i64)>;
    async fn checkpoints(&self) -> Result<Vec<Checkpoint>>;
    /// The sequence number of the last entry (0 when empty).
    async fn audit_head(&self) -> Result<i64>;
    /// Signs a checkpoint at the current head (at shutdown, say), if there is a new head.
    async fn checkpoint_now(&self) -> Result<Option<Checkpoint>>;
    /// Closes the pool, waiting for running statements.
    async fn close(&self);
}

/// How to open a store.
#[derive(Debug, Clone)]
pub struct Options {
    /// `postgres://…`; `None` for the embedded SQLite database in `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub hash: HashAlg,
    /// A signed checkpoint every this many entries.
    pub checkpoint_interval: i64,
}

/// Opens (creating and migrating) the store the options name, with the audit signing key
/// from the data directory.
pub async fn open(options: &Options) -> Result<Arc<dyn Store>> {
    secure_data_dir(&options.data_dir, options.database_url.is_none()).map_err(|e| {
        StoreError::Other(format!(
            "cannot create the data directory {}: {e}",
            options.data_dir.display()
        ))
    })?;
    let key = Signer::load_or_create(&options.data_dir.join("audit-signing.key"))
        .map_err(|e| StoreError::Other(e.to_string()))?;
    let signer = Signer::new(
        key,
        Some(options.data_dir.join("audit-checkpoints.jsonl")),
        options.checkpoint_interval,
    );
    match &options.database_url {
        Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
            Ok(Arc::new(PgStore::connect(url, options.hash, signer).await?))
        }
        Some(url) => Err(StoreError::Other(format!(
            "unsupported database URL {:?}: expected postgres://… (or none, for the embedded SQLite database)",
            redact(url)
        ))),
        None => Ok(Arc::new(
            SqliteStore::open(&options.data_dir.join("cloudward.db"), options.hash, signer).await?,
        )),
    }
}

/// Creates the data directory for the server alone (0700 on unix, an existing one
/// tightened too), and makes the files it keeps there — the SQLite database (created here
/// 0600 before SQLite opens it, so that its `-wal` and `-shm` files, which SQLite creates
/// with the database's mode, are private too), the checkpoint copy, the evidence folder —
/// readable by the server alone.
pub fn secure_data_dir(dir: &std::path::Path, sqlite: bool) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
    b.create(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let private = |path: &std::path::Path, mode: u32| -> std::io::Result<()> {
            match std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)) {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                other => other,
            }
        };
        private(dir, 0o700)?;
        if sqlite {
            let db = dir.join("cloudward.db");
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(false);
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            o.open(&db)?;
            for name in ["cloudward.db", "cloudward.db-wal", "cloudward.db-shm"] {
                private(&dir.join(name), 0o600)?;
            }
        }
        private(&dir.join("audit-checkpoints.jsonl"), 0o600)?;
        private(&dir.join("audit-signing.key"), 0o600)?;
        private(&dir.join("evidence"), 0o700)?;
    }
    #[cfg(not(unix))]
    let _ = sqlite;
    Ok(())
}

/// The signed checkpoints (the database's and the file copy in `data_dir`) and the
/// server's verifying key.
async fn checkpoints_and_key(
    store: &dyn Store,
    data_dir: &std::path::Path,
) -> Result<(Vec<Checkpoint>, ed25519_dalek::VerifyingKey)> {
    let mut cps = store.checkpoints().await?;
    let file = audit::read_checkpoint_file(&data_dir.join("audit-checkpoints.jsonl"))
        .map_err(StoreError::Other)?;
    cps.extend(file);
    let key = Signer::load_or_create(&data_dir.join("audit-signing.key"))
        .map_err(|e| StoreError::Other(e.to_string()))?
        .verifying_key();
    Ok((cps, key))
}

/// Feeds `v` every entry after `after`, a page at a time, until the chain breaks.
async fn feed(store: &dyn Store, v: &mut audit::Verifier, mut after: i64) -> Result<()> {
    loop {
        let page = store.audit_entries(after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        if !page.iter().all(|e| v.push(e)) {
            break;
        }
    }
    Ok(())
}

/// Verifies the whole chain of a store, with the checkpoints from the database and from the
/// file copy in `data_dir`.
pub async fn verify(store: &dyn Store, data_dir: &std::path::Path) -> Result<Verification> {
    let mut v = audit::Verifier::default();
    feed(store, &mut v, 0).await?;
    let (cps, key) = checkpoints_and_key(store, data_dir).await?;
    Ok(v.finish(&cps, Some(&key)))
}

/// Verifies the chain from the last signed checkpoint on (the entries before it on the
/// checkpoint's signed word): cheap enough for every view of the audit page. Without a
/// signed checkpoint it verifies the whole chain. `verify` is the full check.
pub async fn verify_since_checkpoint(
    store: &dyn Store,
    data_dir: &std::path::Path,
) -> Result<Verification> {
    let (cps, key) = checkpoints_and_key(store, data_dir).await?;
    let head = store.audit_head().await?;
    let start = audit::latest_signed(&cps, Some(&key)).filter(|cp| cp.seq <= head);
    let Some(start) = start.cloned() else {
        return verify(store, data_dir).await;
    };
    let mut v = audit::Verifier::after(&start);
    let anchor = store.audit_entries(start.seq - 1, 1).await?;
    if v.anchor(anchor.first().filter(|e| e.seq == start.seq)) {
        feed(store, &mut v, start.seq).await?;
    }
    Ok(v.finish(&cps, Some(&key)))
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

/// Now: to the microsecond (as the store keeps times), and later than any time this
/// process gave before (a burst of writes in one microsecond is spread over the next
/// ones), so that rows ordered by time keep the order they were written in.
pub fn now() -> DateTime<Utc> {
    use std::sync::atomic::{AtomicI64, Ordering};
    static LAST: AtomicI64 = AtomicI64::new(i64::MIN);
    let wall = Utc::now().timestamp_micros();
    let prev = LAST
        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
            Some(wall.max(last.saturating_add(1)))
        })
        .unwrap_or(wall);
    DateTime::from_timestamp_micros(wall.max(prev.saturating_add(1))).unwrap_or_else(Utc::now)
}

/// A time as the store writes it: RFC 3339 in UTC to the microsecond, fixed width, so that
/// the text sorts as the time does.
pub fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Reads a time the store wrote (any RFC 3339 form, as earlier versions wrote to the
/// millisecond).
pub fn parse_stamp(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A text column read into a typed value: an enum by its id, a time by [`parse_stamp`].
/// A value that is none of its type's is a decoding error that names it. (Decoding, not
/// `TryFrom`, refuses it: sqlx 0.9's derive loses a `TryFrom` error's message.)
#[derive(Debug)]
pub(crate) struct Text<T>(T);

/// A text column that may be NULL, read as [`Text`].
#[derive(Debug)]
pub(crate) struct OptText<T>(Option<T>);

/// What a text column may be read into.
pub(crate) trait FromText: Sized {
    const WHAT: &'static str;
    fn from_text(text: &str) -> Option<Self>;
}

/// A stored value that is not one of its type's.
#[derive(Debug, thiserror::Error)]
#[error("the database holds {value:?}, which is not a {what}")]
pub(crate) struct BadValue {
    what: &'static str,
    value: String,
}

fn decode_text<T: FromText>(text: String) -> std::result::Result<T, sqlx::error::BoxDynError> {
    T::from_text(&text).ok_or_else(|| {
        Box::new(BadValue {
            what: T::WHAT,
            value: text,
        }) as sqlx::error::BoxDynError
    })
}

impl<DB: sqlx::Database, T> sqlx::Type<DB> for Text<T>
where
    String: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as sqlx::Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as sqlx::Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: sqlx::Database, T: FromText> sqlx::Decode<'r, DB> for Text<T>
where
    String: sqlx::Decode<'r, DB>,
{
    fn decode(
        value: <DB as sqlx::Database>::ValueRef<'r>,
    ) -> std::result::Result<Self, sqlx::error::BoxDynError> {
        decode_text(<String as sqlx::Decode<'r, DB>>::decode(value)?).map(Text)
    }
}

impl<DB: sqlx::Database, T> sqlx::Type<DB> for OptText<T>
where
    String: sqlx::Type<DB>,
{
    fn type_info() -> DB::TypeInfo {
        <String as sqlx::Type<DB>>::type_info()
    }
    fn compatible(ty: &DB::TypeInfo) -> bool {
        <String as sqlx::Type<DB>>::compatible(ty)
    }
}

impl<'r, DB: sqlx::Database, T: FromText> sqlx::Decode<'r, DB> for OptText<T>
where
    Option<String>: sqlx::Decode<'r, DB>,
{
    fn decode(
        value: <DB as sqlx::Database>::ValueRef<'r>,
    ) -> std::result::Result<Self, sqlx::error::BoxDynError> {
        match <Option<String> as sqlx::Decode<'r, DB>>::decode(value)? {
            None => Ok(OptText(None)),
            Some(text) => decode_text(text).map(|v| OptText(Some(v))),
        }
    }
}

macro_rules! from_text {
    ($($ty:ty, $what:literal, $parse:expr;)*) => {$(
        impl FromText for $ty {
            const WHAT: &'static str = $what;
            fn from_text(text: &str) -> Option<Self> {
                let parse: fn(&str) -> Option<$ty> = $parse;
                parse(text)
            }
        }
        impl From<Text<$ty>> for $ty {
            fn from(t: Text<$ty>) -> $ty {
                t.0
            }
        }
        impl From<OptText<$ty>> for Option<$ty> {
            fn from(t: OptText<$ty>) -> Option<$ty> {
                t.0
            }
        }
    )*};
}

from_text! {
    DateTime<Utc>, "time", parse_stamp;
    OrgKind, "kind of organisation", OrgKind::parse;
    Role, "role", Role::parse;
    MatrixParty, "party of the matrix", MatrixParty::parse;
    Phase, "phase", Phase::parse;
    ProtectionLevel, "protection level", ProtectionLevel::parse;
}

/// A new random id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Helpers for test suites that run against both databases.
pub mod testing {
    use sqlx::Connection as _;

    /// The PostgreSQL server for tests, from `CLOUDWARD_TEST_POSTGRES_URL` (a URL whose user
    /// may create databases); `None` when unset, and the PostgreSQL half of a suite skips.
    pub fn postgres_admin_url() -> Option<String> {
        std::env::var("CLOUDWARD_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
    }

    /// Creates a fresh, empty database on the test server and returns its URL.
    pub async fn fresh_postgres_database(admin_url: &str) -> Result<String, sqlx::Error> {
        let name = format!("cw_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin_url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await?;
        conn.close().await?;
        let base = match admin_url.rfind('/') {
            Some(i) if admin_url[..i].ends_with(|c: char| c != '/') => &admin_url[..i],
            _ => admin_url,
        };
        Ok(format!("{base}/{name}"))
    }
}
