//! Who may do what: one table of actions × relationships × roles, and one pure function
//! that decides from it. Every handler (API and console) works out how the caller relates
//! to the object it touches — customer or party of an engagement, owner of an offering,
//! assessor of an assessment, own or another organisation — and asks [`decide`]; nothing
//! else in the server decides access.
//!
//! The shape is Cedar's: a principal ([`Subject`]), an [`Action`], and facts about the
//! resource ([`Rel`]). A request is allowed when one [`Grant`] of the action admits it.
//! Otherwise the answer says why, in the order a caller would notice: no organisation
//! (403), an object the caller may not know of (404), a role too low (403 naming the role
//! needed), anything else (403).
//!
//! docs/server.md shows the table; `authz_table_in_the_docs_is_current` (a test) keeps it
//! in step with [`Action::ALL`].

use cloudward_store::{Engagement, OrgKind, Party, Role};

/// The caller, as far as access is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    /// The kind of the caller's organisation; `None` for a platform administrator without one.
    pub org_kind: Option<OrgKind>,
    pub role: Role,
    pub platform_admin: bool,
    /// An API token rather than a signed-in person.
    pub token: bool,
    /// A token limited to one engagement: only grants on a seat of an engagement (which
    /// the caller works out as [`Rel::Outsider`] for any other), content anyone signed in
    /// may read, published offerings, and the lists in [`LIMITED_LISTS`] (which show that
    /// engagement alone).
    pub limited: bool,
    /// A person whose password an administrator reset: until it is changed, only
    /// [`Action::allowed_before_password_change`].
    pub must_change_password: bool,
}

impl Subject {
    /// An organisation's user (or token, with `token`) of this kind and role.
    pub const fn of(org_kind: Option<OrgKind>, role: Role, token: bool) -> Subject {
        Subject {
            org_kind,
            role,
            platform_admin: false,
            token,
            limited: false,
            must_change_password: false,
        }
    }
}

/// How the caller relates to the object of the request. The handler finds this out from
/// the store (with the caller's organisation, so another tenant's object is never loaded
/// as anything but [`Rel::Outsider`] and its kin).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rel {
    /// The action names no object of another organisation: a list, a new object, the
    /// caller's own account. What it reads or writes is the caller's organisation's.
    Unscoped,
    /// Users and tokens: of the caller's organisation, or of another one.
    OwnOrganisation,
    OtherOrganisation,
    /// An engagement (and what belongs to it: evidence, scans, findings, notices, exit),
    /// by the caller's seat on it.
    Customer,
    Provider,
    Assessor,
    SecurityServiceProvider,
    /// Neither the customer nor a party: the engagement is not there for the caller.
    Outsider,
    /// An offering: the provider's own, another's published one, another's draft.
    OfferingOwner,
    OfferingPublished,
    OfferingHidden,
    /// An assessment: of the caller's offering, assessed by the caller, granted to an
    /// engagement of which the caller is the customer, published (summary only), or none
    /// of these and unpublished.
    AssessmentProvider,
    AssessmentAssessor,
    AssessmentGranted,
    AssessmentSummary,
    AssessmentHidden,
    /// A framework: the platform's, the caller's organisation's, another organisation's.
    PlatformFramework,
    OwnFramework,
    OtherFramework,
}

impl Rel {
    /// A seat on an engagement.
    pub fn engagement_seat(self) -> bool {
        matches!(
            self,
            Rel::Customer | Rel::Provider | Rel::Assessor | Rel::SecurityServiceProvider
        )
    }

    /// The caller may not learn that the object exists: the answer is 404, never 403.
    pub fn hidden(self) -> bool {
        matches!(
            self,
            Rel::OtherOrganisation
                | Rel::Outsider
                | Rel::OfferingHidden
                | Rel::AssessmentHidden
                | Rel::OtherFramework
        )
    }

    pub fn id(self) -> &'static str {
        match self {
            Rel::Unscoped => "unscoped",
            Rel::OwnOrganisation => "own organisation",
            Rel::OtherOrganisation => "other organisation",
            Rel::Customer => "engagement's customer",
            Rel::Provider => "engagement's provider",
            Rel::Assessor => "engagement's assessor",
            Rel::SecurityServiceProvider => "engagement's security service provider",
            Rel::Outsider => "not on the engagement",
            Rel::OfferingOwner => "offering's provider",
            Rel::OfferingPublished => "published offering",
            Rel::OfferingHidden => "another's draft offering",
            Rel::AssessmentProvider => "assessment's provider",
            Rel::AssessmentAssessor => "assessment's assessor",
            Rel::AssessmentGranted => "customer the assessment is granted to",
            Rel::AssessmentSummary => "published assessment (summary)",
            Rel::AssessmentHidden => "another's unpublished assessment",
            Rel::PlatformFramework => "platform framework",
            Rel::OwnFramework => "own framework",
            Rel::OtherFramework => "another's framework",
        }
    }
}

/// Which callers a grant speaks of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Who {
    /// No sign-in at all (health, login).
    Public,
    /// Anyone signed in or holding a token, with or without an organisation.
    Anyone,
    /// A signed-in person (not a token), with or without an organisation.
    Person,
    /// A user or token of an organisation (of `kind`, when the grant names one).
    Member,
    /// A platform administrator (always a person: tokens are never platform administrators).
    PlatformAdmin,
}

/// One way to be allowed an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grant {
    pub rel: Rel,
    pub who: Who,
    /// The least role (for `Member`; platform administrators and public grants ignore it).
    pub role: Role,
    /// The organisation kind a `Member` grant needs, if any.
    pub kind: Option<OrgKind>,
}

const fn member(rel: Rel, role: Role) -> Grant {
    Grant {
        rel,
        who: Who::Member,
        role,
        kind: None,
    }
}

const fn member_of(rel: Rel, role: Role, kind: OrgKind) -> Grant {
    Grant {
        rel,
        who: Who::Member,
        role,
        kind: Some(kind),
    }
}

const fn anyone(rel: Rel, who: Who) -> Grant {
    Grant {
        rel,
        who,
        role: Role::ReadOnly,
        kind: None,
    }
}

const RO: Role = Role::ReadOnly;
const M: Role = Role::Member;
const OA: Role = Role::OrgAdmin;

const PUBLIC: &[Grant] = &[anyone(Rel::Unscoped, Who::Public)];
const SIGNED_IN: &[Grant] = &[anyone(Rel::Unscoped, Who::Anyone)];
const ORG_READ: &[Grant] = &[member(Rel::Unscoped, RO)];
/// Reading an engagement and everything that belongs to it: the customer and every party.
const ENGAGEMENT_READ: &[Grant] = &[
    member(Rel::Customer, RO),
    member(Rel::Provider, RO),
    member(Rel::Assessor, RO),
    member(Rel::SecurityServiceProvider, RO),
];
const CUSTOMER_WRITE: &[Grant] = &[member(Rel::Customer, M)];
const CUSTOMER_AND_SECURITY_WRITE: &[Grant] = &[
    member(Rel::Customer, M),
    member(Rel::SecurityServiceProvider, M),
];
const OFFERING_READ: &[Grant] = &[
    member(Rel::OfferingOwner, RO),
    member(Rel::OfferingPublished, RO),
];
const OFFERING_WRITE: &[Grant] = &[member(Rel::OfferingOwner, M)];
/// An assessment's details (results, evidence, OSCAL results): provider, assessor and the
/// customers it was granted to.
const ASSESSMENT_DETAILS: &[Grant] = &[
    member(Rel::AssessmentProvider, RO),
    member(Rel::AssessmentAssessor, RO),
    member(Rel::AssessmentGranted, RO),
];
const ASSESSOR_WRITE: &[Grant] = &[member(Rel::AssessmentAssessor, M)];
const ASSESSMENT_PROVIDER_WRITE: &[Grant] = &[member(Rel::AssessmentProvider, M)];
const FRAMEWORK_READ: &[Grant] = &[
    anyone(Rel::PlatformFramework, Who::Anyone),
    member(Rel::OwnFramework, RO),
];
const USERS: &[Grant] = &[
    member(Rel::OwnOrganisation, OA),
    anyone(Rel::OwnOrganisation, Who::PlatformAdmin),
    anyone(Rel::OtherOrganisation, Who::PlatformAdmin),
];
const TOKENS: &[Grant] = &[member(Rel::Unscoped, OA)];
const PLATFORM: &[Grant] = &[anyone(Rel::Unscoped, Who::PlatformAdmin)];
/// A notification channel: its organisation's administrators.
const NOTIFY_CHANNEL: &[Grant] = &[member(Rel::OwnOrganisation, OA)];

macro_rules! actions {
    ($( $(#[$doc:meta])* $name:ident = $op:literal, $grants:expr; )*) => {
        /// Everything a caller can ask of the server: one per API operation; the console's
        /// pages and forms ask for the same actions.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Action {
            $( $(#[$doc])* $name, )*
        }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$name,)*];

            /// The API operation this action answers, as `METHOD /path` of the OpenAPI
            /// document; `None` for a check that is part of another operation.
            pub fn operation(self) -> Option<&'static str> {
                let op = match self {
                    $( Action::$name => $op, )*
                };
                (!op.is_empty()).then_some(op)
            }

            /// The grants of this action: the table.
            pub fn grants(self) -> &'static [Grant] {
                match self {
                    $( Action::$name => {
                        const GRANTS: &[Grant] = $grants;
                        GRANTS
                    } )*
                }
            }
        }
    };
}

actions! {
    Healthz = "GET /healthz", PUBLIC;
    Readyz = "GET /readyz", PUBLIC;
    Login = "POST /api/v1/auth/login", PUBLIC;
    Logout = "POST /api/v1/auth/logout", SIGNED_IN;
    Me = "GET /api/v1/auth/me", SIGNED_IN;
    /// Only a person has a password.
    ChangePassword = "POST /api/v1/auth/password", &[anyone(Rel::Unscoped, Who::Person)];

    EngagementList = "GET /api/v1/engagements", ORG_READ;
    EngagementCreate = "POST /api/v1/engagements", &[member_of(Rel::Unscoped, M, OrgKind::Customer)];
    EngagementImport = "POST /api/v1/engagements/import", &[member_of(Rel::Unscoped, M, OrgKind::Customer)];
    EngagementRead = "GET /api/v1/engagements/{id}", ENGAGEMENT_READ;
    EngagementUpdate = "PUT /api/v1/engagements/{id}", CUSTOMER_WRITE;
    EngagementDelete = "DELETE /api/v1/engagements/{id}", &[member(Rel::Customer, OA)];
    EngagementExport = "GET /api/v1/engagements/{id}/export", ENGAGEMENT_READ;
    EngagementCheck = "GET /api/v1/engagements/{id}/check", ENGAGEMENT_READ;
    EngagementClassification = "GET /api/v1/engagements/{id}/classification", ENGAGEMENT_READ;
    EngagementResponsibility = "GET /api/v1/engagements/{id}/responsibility", ENGAGEMENT_READ;
    /// The customer and the parties with rows in the matrix; which rows are whose is the
    /// domain's rule (`not_your_row`).
    /// Every row of the caller's party at once.
    EngagementConfirmAll = "POST /api/v1/engagements/{id}/responsibility/confirm-all", &[
        member(Rel::Customer, M),
        member(Rel::Provider, M),
        member(Rel::SecurityServiceProvider, M),
    ];
    EngagementConfirm = "POST /api/v1/engagements/{id}/responsibility/confirm", &[
        member(Rel::Customer, M),
        member(Rel::Provider, M),
        member(Rel::SecurityServiceProvider, M),
    ];

    OrgList = "GET /api/v1/orgs", &[member(Rel::Unscoped, RO), anyone(Rel::Unscoped, Who::PlatformAdmin)];
    OrgCreate = "POST /api/v1/orgs", PLATFORM;
    /// The providers, assessors and security service providers one can name as parties.
    Directory = "GET /api/v1/directory", SIGNED_IN;
    UserList = "GET /api/v1/orgs/{org_id}/users", USERS;
    UserCreate = "POST /api/v1/orgs/{org_id}/users", USERS;
    /// Sessions end; the organisation's tokens the user made keep working.
    UserDisable = "POST /api/v1/orgs/{org_id}/users/{user_id}/disable", USERS;
    UserEnable = "POST /api/v1/orgs/{org_id}/users/{user_id}/enable", USERS;
    /// Forgets the failed logins of the user's name.
    UserUnlock = "POST /api/v1/orgs/{org_id}/users/{user_id}/unlock", USERS;
    /// A new password (typed, or generated and shown once) to change at next login.
    UserResetPassword = "POST /api/v1/orgs/{org_id}/users/{user_id}/password", USERS;
    UserRole = "PUT /api/v1/orgs/{org_id}/users/{user_id}/role", USERS;
    TokenList = "GET /api/v1/tokens", TOKENS;
    TokenCreate = "POST /api/v1/tokens", TOKENS;
    /// Another organisation's token is not found by the lookup (it is scoped in SQL).
    TokenRevoke = "DELETE /api/v1/tokens/{id}", TOKENS;
    /// A platform administrator reads the whole log; anyone else, its organisation's.
    AuditList = "GET /api/v1/audit", &[anyone(Rel::Unscoped, Who::PlatformAdmin), member(Rel::Unscoped, RO)];
    AuditVerify = "GET /api/v1/admin/audit/verify", PLATFORM;

    OfferingList = "GET /api/v1/offerings", ORG_READ;
    OfferingCreate = "POST /api/v1/offerings", &[member_of(Rel::Unscoped, M, OrgKind::Provider)];
    OfferingRead = "GET /api/v1/offerings/{id}", OFFERING_READ;
    OfferingUpdate = "PUT /api/v1/offerings/{id}", OFFERING_WRITE;
    AssessorInvite = "POST /api/v1/offerings/{id}/assessments", OFFERING_WRITE;
    OfferingComponent = "GET /api/v1/offerings/{id}/oscal/component", OFFERING_READ;

    AssessmentList = "GET /api/v1/assessments", ORG_READ;
    Tasks = "GET /api/v1/tasks", ORG_READ;
    /// Anyone may read a published assessment's summary; the details need a relation.
    AssessmentRead = "GET /api/v1/assessments/{id}", &[
        member(Rel::AssessmentProvider, RO),
        member(Rel::AssessmentAssessor, RO),
        member(Rel::AssessmentGranted, RO),
        member(Rel::AssessmentSummary, RO),
    ];
    AssessmentResults = "PUT /api/v1/assessments/{id}/results", ASSESSOR_WRITE;
    AssessmentRespond = "POST /api/v1/assessments/{id}/responses", ASSESSMENT_PROVIDER_WRITE;
    AssessmentConclude = "POST /api/v1/assessments/{id}/conclusion", ASSESSOR_WRITE;
    AssessmentPublish = "POST /api/v1/assessments/{id}/publish", ASSESSMENT_PROVIDER_WRITE;
    /// Also needs the provider's seat on the engagement granted ([`Action::GrantTo`]).
    AssessmentGrant = "POST /api/v1/assessments/{id}/grants", ASSESSMENT_PROVIDER_WRITE;
    AssessmentEvidenceUpload = "POST /api/v1/assessments/{id}/evidence", ASSESSOR_WRITE;
    AssessmentEvidenceList = "GET /api/v1/assessments/{id}/evidence", ASSESSMENT_DETAILS;
    AssessmentEvidenceDownload = "GET /api/v1/assessment-evidence/{id}/content", ASSESSMENT_DETAILS;
    AssessmentOscalResults = "GET /api/v1/assessments/{id}/oscal/results", ASSESSMENT_DETAILS;
    AssessmentReport = "GET /api/v1/assessments/{id}/report", ASSESSMENT_DETAILS;
    AssessmentWorkbook = "GET /api/v1/assessments/{id}/results/workbook", ASSESSMENT_DETAILS;
    AssessmentWorkbookImport = "POST /api/v1/assessments/{id}/results/workbook", ASSESSOR_WRITE;
    AssessmentOscalImport = "POST /api/v1/assessments/{id}/oscal/import", ASSESSOR_WRITE;
    EvidenceRequestCreate = "POST /api/v1/assessments/{id}/requests", ASSESSOR_WRITE;
    EvidenceRequestList = "GET /api/v1/assessments/{id}/requests", ASSESSMENT_DETAILS;
    EvidenceRequestAnswer = "POST /api/v1/evidence-requests/{id}/answer", ASSESSMENT_PROVIDER_WRITE;
    EvidenceRequestFile = "POST /api/v1/evidence-requests/{id}/evidence", ASSESSMENT_PROVIDER_WRITE;
    EvidenceRequestClose = "POST /api/v1/evidence-requests/{id}/close", ASSESSOR_WRITE;
    EvidenceRequestReopen = "POST /api/v1/evidence-requests/{id}/reopen", ASSESSOR_WRITE;

    UseOffering = "POST /api/v1/engagements/{id}/offering", CUSTOMER_WRITE;
    Transition = "POST /api/v1/engagements/{id}/transition", CUSTOMER_WRITE;
    ContractPut = "PUT /api/v1/engagements/{id}/contract", CUSTOMER_WRITE;
    RisksPut = "PUT /api/v1/engagements/{id}/risks", CUSTOMER_WRITE;
    RecordsPut = "PUT /api/v1/engagements/{id}/records", CUSTOMER_WRITE;
    RecordsAttach = "POST /api/v1/engagements/{id}/records/{output}/document", CUSTOMER_WRITE;
    NoticeCreate = "POST /api/v1/engagements/{id}/notices", &[member(Rel::Provider, M)];
    NoticeList = "GET /api/v1/engagements/{id}/notices", ENGAGEMENT_READ;
    NoticeAck = "POST /api/v1/engagements/{id}/notices/{notice}/ack", CUSTOMER_WRITE;
    Alerts = "GET /api/v1/engagements/{id}/alerts", ENGAGEMENT_READ;
    ExitRead = "GET /api/v1/engagements/{id}/exit", ENGAGEMENT_READ;
    /// Which steps are whose (the customer plans, the provider attests) is the domain's rule.
    ExitStep = "POST /api/v1/engagements/{id}/exit", &[member(Rel::Customer, M), member(Rel::Provider, M)];
    /// Planning, scoping, the customer's manifest, confirming deletion.
    ExitCustomerStep = "", &[member(Rel::Customer, M)];
    /// The provider's manifest and its deletion attestation.
    ExitProviderStep = "", &[member(Rel::Provider, M)];
    EvidenceUpload = "POST /api/v1/engagements/{id}/evidence", &[
        member(Rel::Customer, M),
        member(Rel::Provider, M),
        member(Rel::Assessor, M),
        member(Rel::SecurityServiceProvider, M),
    ];
    EvidenceList = "GET /api/v1/engagements/{id}/evidence", ENGAGEMENT_READ;
    /// Issuing a document records it as the customer's lifecycle output.
    DocumentIssue = "POST /api/v1/engagements/{id}/documents", CUSTOMER_WRITE;
    DocumentTables = "GET /api/v1/engagements/{id}/tables/{kind}", ENGAGEMENT_READ;
    DocumentList = "GET /api/v1/engagements/{id}/documents", ENGAGEMENT_READ;
    DocumentDownload = "GET /api/v1/documents/{id}/content", ENGAGEMENT_READ;
    /// Anyone signed in may ask; the answer names only documents of engagements they see.
    DocumentVerify = "GET /api/v1/documents/verify/{sha256}", SIGNED_IN;
    EvidenceDownload = "GET /api/v1/evidence/{id}/content", ENGAGEMENT_READ;
    ScanUpload = "POST /api/v1/engagements/{id}/scans", CUSTOMER_AND_SECURITY_WRITE;
    ScanRun = "POST /api/v1/engagements/{id}/scans/run", CUSTOMER_AND_SECURITY_WRITE;
    Posture = "GET /api/v1/engagements/{id}/posture", ENGAGEMENT_READ;
    Supervision = "GET /api/v1/engagements/{id}/supervision", ENGAGEMENT_READ;
    FindingList = "GET /api/v1/engagements/{id}/findings", ENGAGEMENT_READ;
    FindingExport = "GET /api/v1/engagements/{id}/findings/export", ENGAGEMENT_READ;
    FindingAct = "POST /api/v1/engagements/{id}/findings/{finding}", CUSTOMER_AND_SECURITY_WRITE;
    FindingBulk = "POST /api/v1/engagements/{id}/findings/bulk", CUSTOMER_AND_SECURITY_WRITE;
    ScanRunRead = "GET /api/v1/scans/{id}", ENGAGEMENT_READ;
    ScanRunReport = "GET /api/v1/scans/{id}/report", ENGAGEMENT_READ;
    ScanRunDocument = "GET /api/v1/scans/{id}/document", ENGAGEMENT_READ;
    ScanRunOscal = "GET /api/v1/scans/{id}/oscal/results", ENGAGEMENT_READ;
    OscalSsp = "GET /api/v1/engagements/{id}/oscal/ssp", ENGAGEMENT_READ;
    OscalPoam = "GET /api/v1/engagements/{id}/oscal/poam", ENGAGEMENT_READ;
    /// The provider of the assessment must also be the engagement's provider.
    GrantTo = "", &[member(Rel::Provider, M)];

    OscalCatalog = "GET /api/v1/oscal/catalog", SIGNED_IN;
    OscalProfile = "GET /api/v1/oscal/profiles/{level}", SIGNED_IN;

    /// A platform administrator's import is the platform's; an organisation's is its own.
    FrameworkImport = "POST /api/v1/frameworks", &[anyone(Rel::Unscoped, Who::PlatformAdmin), member(Rel::Unscoped, OA)];
    FrameworkList = "GET /api/v1/frameworks", SIGNED_IN;
    FrameworkRead = "GET /api/v1/frameworks/{id}", FRAMEWORK_READ;
    FrameworkControls = "GET /api/v1/frameworks/{id}/controls", FRAMEWORK_READ;
    FrameworkControl = "GET /api/v1/frameworks/{id}/controls/{control}", FRAMEWORK_READ;
    FrameworkMapping = "GET /api/v1/frameworks/{id}/mapping", FRAMEWORK_READ;
    FrameworkDelete = "DELETE /api/v1/frameworks/{id}", &[
        anyone(Rel::PlatformFramework, Who::PlatformAdmin),
        member(Rel::OwnFramework, OA),
    ];

    /// An organisation's notification settings and its delivery log: its administrators.
    NotifyChannelList = "GET /api/v1/notifications/channels", TOKENS;
    NotifyChannelCreate = "POST /api/v1/notifications/channels", TOKENS;
    /// Another organisation's channel is not found.
    NotifyChannelUpdate = "PUT /api/v1/notifications/channels/{id}", NOTIFY_CHANNEL;
    NotifyChannelDelete = "DELETE /api/v1/notifications/channels/{id}", NOTIFY_CHANNEL;
    NotifyChannelTest = "POST /api/v1/notifications/channels/{id}/test", NOTIFY_CHANNEL;
    NotifyDeliveryList = "GET /api/v1/notifications/deliveries", TOKENS;
}

/// Lists a token limited to one engagement may ask for: they show that engagement alone.
pub const LIMITED_LISTS: &[Action] = &[Action::EngagementList];

impl Action {
    /// What a person whose password was reset may still do: change it, and leave.
    pub fn allowed_before_password_change(self) -> bool {
        matches!(
            self,
            Action::Healthz
                | Action::Readyz
                | Action::Login
                | Action::Logout
                | Action::Me
                | Action::ChangePassword
        )
    }
}

// ---------------------------------------------------------------- facts

/// How an organisation (`None`: the caller has none) relates to an engagement it loaded
/// with its own organisation (`None`: not there for it, or not there at all).
pub fn engagement_rel(org: Option<&str>, e: Option<&Engagement>) -> Rel {
    let (Some(org), Some(e)) = (org, e) else {
        return Rel::Outsider;
    };
    if e.customer_org_id == org {
        return Rel::Customer;
    }
    match e.parties.iter().find(|(_, o)| o == org).map(|(p, _)| *p) {
        Some(Party::Provider) => Rel::Provider,
        Some(Party::Assessor) => Rel::Assessor,
        Some(Party::SecurityServiceProvider) => Rel::SecurityServiceProvider,
        None => Rel::Outsider,
    }
}

/// How an organisation relates to an offering of `owner` (`None`: there is none).
pub fn offering_rel(org: Option<&str>, offering: Option<(&str, bool)>) -> Rel {
    match (org, offering) {
        (Some(org), Some((owner, _))) if owner == org => Rel::OfferingOwner,
        (_, Some((_, true))) => Rel::OfferingPublished,
        _ => Rel::OfferingHidden,
    }
}

/// What is known of an assessment to decide on it.
#[derive(Debug, Clone, Copy)]
pub struct AssessmentFacts<'a> {
    pub provider_org_id: &'a str,
    pub assessor_org_id: &'a str,
    pub published: bool,
    /// One of its grants names an engagement whose customer is the caller's organisation.
    pub granted_to_caller: bool,
}

pub fn assessment_rel(org: Option<&str>, a: Option<AssessmentFacts<'_>>) -> Rel {
    let Some(a) = a else {
        return Rel::AssessmentHidden;
    };
    match org {
        Some(org) if a.provider_org_id == org => Rel::AssessmentProvider,
        Some(org) if a.assessor_org_id == org => Rel::AssessmentAssessor,
        _ if !a.published => Rel::AssessmentHidden,
        Some(_) if a.granted_to_caller => Rel::AssessmentGranted,
        _ => Rel::AssessmentSummary,
    }
}

/// A framework owned by `owner` (`Some(None)`: the platform's; `None`: there is none).
pub fn framework_rel(org: Option<&str>, owner: Option<Option<&str>>) -> Rel {
    match owner {
        Some(None) => Rel::PlatformFramework,
        Some(Some(owner)) if Some(owner) == org => Rel::OwnFramework,
        _ => Rel::OtherFramework,
    }
}

/// The caller's organisation or another one.
pub fn organisation_rel(org: Option<&str>, target: &str) -> Rel {
    if org == Some(target) {
        Rel::OwnOrganisation
    } else {
        Rel::OtherOrganisation
    }
}

/// Why not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deny {
    /// Not signed in, for an action that needs it.
    Unauthenticated,
    /// The action is for members of an organisation and the caller has none.
    NoOrganisation,
    /// The caller may not know the object exists.
    NotFound,
    /// The caller relates to the object in a way that would do, with this role.
    Role(Role),
    /// The password was reset by an administrator and must be changed first.
    PasswordChange,
    Forbidden,
}

impl Grant {
    fn who_admits(&self, s: Option<&Subject>) -> bool {
        match (self.who, s) {
            (Who::Public, _) => true,
            (_, None) => false,
            (Who::Anyone, Some(_)) => true,
            (Who::Person, Some(s)) => !s.token,
            (Who::PlatformAdmin, Some(s)) => s.platform_admin && !s.token,
            (Who::Member, Some(s)) => {
                s.org_kind.is_some() && self.kind.is_none_or(|k| s.org_kind == Some(k))
            }
        }
    }

    fn role_admits(&self, s: Option<&Subject>) -> bool {
        self.who != Who::Member || s.is_some_and(|s| s.role >= self.role)
    }

    /// A token limited to one engagement acts on engagements (its own is the only one
    /// it relates to), reads what anyone signed in may and the published offerings (what
    /// its engagement may choose), and lists [`LIMITED_LISTS`].
    fn limit_admits(&self, s: Option<&Subject>, action: Action) -> bool {
        !s.is_some_and(|s| s.limited)
            || self.rel.engagement_seat()
            || self.rel == Rel::OfferingPublished
            || matches!(self.who, Who::Public | Who::Anyone)
            || LIMITED_LISTS.contains(&action)
    }
}

/// The decision: allowed, or why not. `subject` is `None` for a caller who is not signed in.
pub fn decide(subject: Option<&Subject>, action: Action, rel: Rel) -> Result<(), Deny> {
    let grants = action.grants();
    if subject.is_some_and(|s| s.must_change_password) && !action.allowed_before_password_change() {
        return Err(Deny::PasswordChange);
    }
    let on = |g: &&Grant| g.rel == rel && g.limit_admits(subject, action);
    if grants
        .iter()
        .filter(on)
        .any(|g| g.who_admits(subject) && g.role_admits(subject))
    {
        return Ok(());
    }
    let Some(s) = subject else {
        return Err(Deny::Unauthenticated);
    };
    // Org-only actions refuse an organisation-less caller before looking at the object.
    if s.org_kind.is_none() && grants.iter().all(|g| g.who == Who::Member) {
        return Err(Deny::NoOrganisation);
    }
    if rel.hidden() {
        return Err(Deny::NotFound);
    }
    if let Some(role) = grants
        .iter()
        .filter(on)
        .filter(|g| g.who_admits(subject))
        .map(|g| g.role)
        .min()
    {
        return Err(Deny::Role(role));
    }
    Err(Deny::Forbidden)
}

/// The table as Markdown, for docs/server.md: one row per action, one column per way of
/// relating to the object.
pub fn markdown_table() -> String {
    let mut out = String::from("| operation | allowed (relationship: least role) |\n|---|---|\n");
    for a in Action::ALL {
        let grants: Vec<String> = a
            .grants()
            .iter()
            .map(|g| {
                let rel = if g.rel == Rel::Unscoped {
                    String::new()
                } else {
                    format!("{}: ", g.rel.id())
                };
                let who = match g.who {
                    Who::Public => "no sign-in".to_owned(),
                    Who::Anyone => "anyone signed in or with a token".to_owned(),
                    Who::Person => "a signed-in person".to_owned(),
                    Who::PlatformAdmin => "platform administrator".to_owned(),
                    Who::Member => {
                        let role = match g.role {
                            Role::ReadOnly => "any role",
                            Role::Member => "member or above",
                            Role::OrgAdmin => "org admin",
                        };
                        match g.kind {
                            Some(k) => format!("{} organisation, {role}", k.id().replace('_', " ")),
                            None => role.to_owned(),
                        }
                    }
                };
                format!("{rel}{who}")
            })
            .collect();
        let op = match a.operation() {
            Some(op) => format!("`{op}`"),
            None => format!("{a:?} (checked within another operation)"),
        };
        out.push_str(&format!("| {op} | {} |\n", grants.join("; ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(kind: Option<OrgKind>, role: Role) -> Subject {
        Subject::of(kind, role, false)
    }

    #[test]
    fn answers_come_in_the_order_a_caller_notices() {
        let viewer = subject(Some(OrgKind::Customer), RO);
        assert_eq!(
            decide(Some(&viewer), Action::EngagementRead, Rel::Customer),
            Ok(())
        );
        assert_eq!(
            decide(Some(&viewer), Action::EngagementUpdate, Rel::Customer),
            Err(Deny::Role(M))
        );
        assert_eq!(
            decide(Some(&viewer), Action::EngagementUpdate, Rel::Outsider),
            Err(Deny::NotFound)
        );
        assert_eq!(
            decide(Some(&viewer), Action::NoticeCreate, Rel::Customer),
            Err(Deny::Forbidden)
        );
        assert_eq!(
            decide(None, Action::EngagementRead, Rel::Customer),
            Err(Deny::Unauthenticated)
        );
        let root = Subject {
            platform_admin: true,
            ..subject(None, OA)
        };
        assert_eq!(
            decide(Some(&root), Action::EngagementRead, Rel::Outsider),
            Err(Deny::NoOrganisation)
        );
        assert_eq!(
            decide(Some(&root), Action::UserList, Rel::OtherOrganisation),
            Ok(())
        );
        assert_eq!(
            decide(Some(&root), Action::FrameworkRead, Rel::OtherFramework),
            Err(Deny::NotFound)
        );
    }

    #[test]
    fn kinds_and_tokens_are_part_of_the_grant() {
        let provider = subject(Some(OrgKind::Provider), OA);
        assert_eq!(
            decide(Some(&provider), Action::EngagementCreate, Rel::Unscoped),
            Err(Deny::Forbidden)
        );
        assert_eq!(
            decide(Some(&provider), Action::OfferingCreate, Rel::Unscoped),
            Ok(())
        );
        let token = Subject {
            token: true,
            ..provider
        };
        assert_eq!(
            decide(Some(&token), Action::ChangePassword, Rel::Unscoped),
            Err(Deny::Forbidden)
        );
        let admin_token = Subject {
            platform_admin: true,
            ..token
        };
        assert_eq!(
            decide(Some(&admin_token), Action::OrgCreate, Rel::Unscoped),
            Err(Deny::Forbidden)
        );
    }

    #[test]
    fn a_token_limited_to_an_engagement_acts_on_it_and_on_nothing_of_its_organisation() {
        let limited = Subject {
            limited: true,
            ..Subject::of(Some(OrgKind::Customer), OA, true)
        };
        let l = Some(&limited);
        assert_eq!(decide(l, Action::EngagementRead, Rel::Customer), Ok(()));
        assert_eq!(decide(l, Action::EngagementUpdate, Rel::Customer), Ok(()));
        // Any other engagement is not there for it.
        assert_eq!(
            decide(l, Action::EngagementRead, Rel::Outsider),
            Err(Deny::NotFound)
        );
        assert_eq!(decide(l, Action::EngagementList, Rel::Unscoped), Ok(()));
        assert_eq!(decide(l, Action::OscalCatalog, Rel::Unscoped), Ok(()));
        for org_wide in [
            Action::TokenList,
            Action::TokenCreate,
            Action::EngagementCreate,
            Action::AuditList,
            Action::Tasks,
            Action::NotifyChannelList,
        ] {
            assert_eq!(
                decide(l, org_wide, Rel::Unscoped),
                Err(Deny::Forbidden),
                "{org_wide:?}"
            );
        }
        assert_eq!(
            decide(l, Action::UserList, Rel::OwnOrganisation),
            Err(Deny::Forbidden)
        );
    }

    #[test]
    fn a_reset_password_must_be_changed_before_anything_else() {
        let reset = Subject {
            must_change_password: true,
            ..subject(Some(OrgKind::Customer), OA)
        };
        let r = Some(&reset);
        assert_eq!(decide(r, Action::ChangePassword, Rel::Unscoped), Ok(()));
        assert_eq!(decide(r, Action::Me, Rel::Unscoped), Ok(()));
        assert_eq!(
            decide(r, Action::EngagementList, Rel::Unscoped),
            Err(Deny::PasswordChange)
        );
        assert_eq!(
            decide(r, Action::UserList, Rel::OwnOrganisation),
            Err(Deny::PasswordChange)
        );
    }

    #[test]
    fn authz_table_in_the_docs_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/server.md");
        let Ok(text) = std::fs::read_to_string(path) else {
            panic!("{path} is missing");
        };
        let (start, end) = ("<!-- authz-table:start -->\n", "<!-- authz-table:end -->");
        let (Some(a), Some(b)) = (text.find(start), text.find(end)) else {
            panic!("docs/server.md has no authz-table markers");
        };
        let current = &text[a + start.len()..b];
        let table = markdown_table();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            let updated = format!("{}{table}{}", &text[..a + start.len()], &text[b..]);
            if let Err(e) = std::fs::write(path, updated) {
                panic!("{path}: {e}");
            }
            return;
        }
        assert!(
            current == table,
            "docs/server.md's authorisation table is out of date: run this test with UPDATE_DOCS=1"
        );
    }

    #[test]
    fn every_grant_of_a_hidden_relation_is_for_platform_administrators() {
        // A grant on a hidden relation would let a tenant act on an object it cannot see.
        for a in Action::ALL {
            for g in a.grants() {
                assert!(
                    !g.rel.hidden() || g.who == Who::PlatformAdmin,
                    "{a:?} grants {g:?}"
                );
            }
        }
    }
}
