//! Every "may this caller do this" question is answered here, and only here. Handlers and
//! services name the action; they never compare roles themselves.
//!
//! Rights come from the *current* role grants (loaded per request by [`Actor::load`]), not from
//! the token's claims, so a revoked admin loses them at once. A team admin's rights cover their
//! organisation and everything below it (one indexed look-up in the closure table).
//!
//! It sits below every service, so it reads what it needs through stores, not services: the
//! caller's grants (`auth::store`), reach (`teams::scope`) and identities (`volunteers::store`),
//! read-only.
//!
//! Outcomes: `Ok`; 403 `forbidden` for a resource the caller may know about (teams are public)
//! but not touch; 404 for one the caller may not even know exists (another's profile).

use super::store;
use super::{AuthUser, Caller, ClientUser};
use crate::api_clients::store as api_clients;
use crate::db::DbConn;
use crate::error::{ApiError, ApiResult, Msg};
use crate::meta::enums::{AccountStatus, ClientScope, Role};
use crate::teams::scope;
use crate::volunteers::store as volunteers;

/// The caller with their current grants.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Who acts, as the audit log names them: the account, or the platform client.
    pub account_id: String,
    pub volunteer_id: Option<String>,
    pub federation_admin: bool,
    /// Organisations the caller administers directly (their subtrees are covered too).
    pub admin_team_ids: Vec<String>,
    /// A platform client (a machine): it may do only what its scopes say.
    pub platform: bool,
    pub scopes: Vec<ClientScope>,
}

/// 401 for an account token whose session was ended (log out everywhere, a password change)
/// or whose account was disabled or removed.
fn session_ended() -> ApiError {
    ApiError::unauthenticated(
        "session_ended",
        Msg::new(
            "登录已失效，请重新登录",
            "This session has ended; log in again",
        ),
    )
}

fn client_revoked() -> ApiError {
    ApiError::unauthenticated(
        "client_revoked",
        Msg::new(
            "该平台客户端已停用",
            "This platform client has been revoked",
        ),
    )
}

impl Actor {
    /// The caller's current grants: an account's, or a platform client's scopes (401 once the
    /// client is revoked, whatever the token's expiry).
    pub fn for_caller(conn: &mut DbConn, caller: &Caller) -> ApiResult<Actor> {
        match caller {
            Caller::Account(user) => Actor::load(conn, user),
            Caller::Client(client) => Actor::load_client(conn, client),
        }
    }

    fn load_client(conn: &mut DbConn, client: &ClientUser) -> ApiResult<Actor> {
        if !api_clients::is_active(conn, &client.client_id)? {
            return Err(client_revoked());
        }
        Ok(Actor {
            account_id: client.client_id.clone(),
            volunteer_id: None,
            federation_admin: false,
            admin_team_ids: Vec::new(),
            platform: true,
            scopes: client.scopes.clone(),
        })
    }

    /// The account's current grants and profile (the token only says who is calling), in the
    /// one query every authenticated request makes: a token of a disabled account or of an
    /// ended session (an older epoch) is refused here, on every instance at once.
    pub fn load(conn: &mut DbConn, user: &AuthUser) -> ApiResult<Actor> {
        match store::session_grants(conn, &user.account_id)? {
            Some(s)
                if s.status == AccountStatus::Active && s.session_epoch == user.session_epoch =>
            {
                Ok(Actor::of_grants(&user.account_id, s))
            }
            _ => Err(session_ended()),
        }
    }

    /// An active account's grants without a token (an operator's command acting as it).
    pub fn of_account(conn: &mut DbConn, account_id: &str) -> ApiResult<Actor> {
        match store::session_grants(conn, account_id)? {
            Some(s) if s.status == AccountStatus::Active => Ok(Actor::of_grants(account_id, s)),
            _ => Err(session_ended()),
        }
    }

    fn of_grants(account_id: &str, session: store::SessionGrants) -> Actor {
        Actor {
            account_id: account_id.to_owned(),
            volunteer_id: session.volunteer_id,
            federation_admin: session
                .grants
                .iter()
                .any(|(r, _)| *r == Role::FederationAdmin),
            admin_team_ids: session
                .grants
                .into_iter()
                .filter(|(r, _)| *r == Role::TeamAdmin)
                .filter_map(|(_, t)| t)
                .collect(),
            platform: false,
            scopes: Vec::new(),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.federation_admin || !self.admin_team_ids.is_empty()
    }

    fn holds(&self, scope: ClientScope) -> bool {
        self.platform && self.scopes.contains(&scope)
    }

    /// Whether the volunteer roster is the whole city's to this caller (not a subtree's).
    pub fn sees_every_volunteer(&self) -> bool {
        self.federation_admin || self.holds(ClientScope::SyncRead)
    }
}

/// How much of a volunteer the caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolunteerAccess {
    Owner,
    Admin,
    None,
}

#[derive(Debug, Clone, Copy)]
pub enum Action<'a> {
    ReadAccount {
        account_id: &'a str,
    },
    ChangePassword {
        account_id: &'a str,
    },
    EndSession {
        owner_account_id: &'a str,
    },
    /// Create an organisation under `parent_id`.
    CreateTeam {
        parent_id: &'a str,
    },
    /// Edit an organisation, its admins and its memberships.
    ManageTeam {
        team_id: &'a str,
    },
    /// Apply to join an organisation (the caller must be a volunteer).
    ApplyToTeam,
    /// Search volunteers (scoped to the caller's subtrees by the service).
    ListVolunteers,
    /// Narrow the volunteer list to an organisation's members.
    ReadRoster {
        team_id: &'a str,
    },
    ReadVolunteer {
        volunteer_id: &'a str,
    },
    /// Edit contact fields, skills, town, emergency contact.
    EditVolunteer {
        volunteer_id: &'a str,
    },
    /// Edit real name or identity document.
    EditVolunteerIdentity {
        volunteer_id: &'a str,
    },
    RevealIdNumber {
        volunteer_id: &'a str,
    },
    ReadAuditLog,
    /// Record service hours for an organisation's members.
    RecordHours {
        team_id: &'a str,
    },
    /// Search the ledger (scoped to the caller's subtrees by the service).
    ListServiceRecords,
    /// Decide records in a batch: any admin; each record is then checked on its own.
    DecideServiceRecordsInBatch,
    /// Read one service record (or a correction request about one).
    ReadServiceRecord {
        team_id: &'a str,
        volunteer_id: &'a str,
    },
    /// Approve, reject or correct a record; resolve a correction request.
    DecideServiceRecord {
        team_id: &'a str,
        volunteer_id: &'a str,
    },
    /// The volunteer asks for a correction of their own record.
    RequestCorrection {
        team_id: &'a str,
        volunteer_id: &'a str,
    },
    CertifyStarLevel {
        volunteer_id: &'a str,
    },
    /// Create or edit campaigns.
    ManageCampaigns,
    /// Create, edit, publish, cancel, complete activities; manage their sign-ups.
    ManageActivity {
        team_id: &'a str,
    },
    /// Sign up for activities (the caller must be a volunteer).
    SignUp,
    /// Issue certificates of an organisation (one or in a batch).
    IssueCertificates {
        team_id: &'a str,
    },
    /// Search certificates (scoped to the caller's subtrees by the service).
    ListCertificates,
    /// Read a certificate or service-record proof: its holder, or admins of the issuer.
    ReadCredential {
        team_id: &'a str,
        volunteer_id: &'a str,
    },
    RevokeCertificate {
        team_id: &'a str,
        volunteer_id: &'a str,
    },
    /// Have an organisation prove a volunteer's service: the volunteer, or its admins.
    RequestServiceProof {
        team_id: &'a str,
        volunteer_id: &'a str,
    },
    ReadIssuanceStatistics,
    /// Statistics of a subtree: of the organisation named, or (none named) of what the
    /// caller administers.
    ReadStatistics {
        team_id: Option<&'a str>,
    },
    /// Upload a file (any account; the service counts the daily quota).
    UploadFile,
    /// File or edit an organisation's campaign report.
    FileCampaignReport {
        team_id: &'a str,
    },
    /// Read a campaign report: admins of its organisation (and above).
    ReadCampaignReport {
        team_id: &'a str,
    },
    /// List a campaign's reports (scoped to the caller's subtrees by the service).
    ListCampaignReports,
    CommentOnCampaignReport,
    /// Draft, edit and submit an organisation's project applications.
    ApplyForProject {
        team_id: &'a str,
    },
    /// Read a project application and its history: admins of its organisation (and above).
    ReadProjectApplication {
        team_id: &'a str,
    },
    /// List project applications (scoped to the caller's subtrees by the service).
    ListProjectApplications,
    ReviewProjectApplication,
    /// Write an experience post (the caller must be a volunteer; attendance is the service's).
    WritePost,
    /// Hide a post about an organisation's activity, or publish its news.
    ModeratePosts {
        team_id: &'a str,
    },
    DeletePost {
        author_account_id: &'a str,
    },
    /// Record or withdraw commendations (先进典型).
    ManageCommendations,
    /// Record a training of an organisation by hand.
    RecordTraining {
        team_id: &'a str,
    },
    /// Create, list and revoke platform clients.
    ManageApiClients,
    /// Page through the sync feeds.
    ReadSyncFeed,
    /// Import volunteers or service records in bulk.
    ImportBatch,
    /// Create, edit, delete webhook subscriptions, read their deliveries, redeliver.
    ManageWebhooks,
}

impl Action<'_> {
    /// What a platform client may ask for at all (its scopes decide the rest).
    fn open_to_platform(&self) -> bool {
        matches!(
            self,
            Action::ListVolunteers
                | Action::ReadRoster { .. }
                | Action::ReadSyncFeed
                | Action::ImportBatch
        )
    }
}

pub fn authorize(conn: &mut DbConn, actor: &Actor, action: Action<'_>) -> ApiResult<()> {
    let allowed = |ok: bool| {
        if ok {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    };
    let owner_only = |id: &str| {
        if actor.account_id == id {
            Ok(())
        } else {
            Err(ApiError::not_found())
        }
    };
    // A machine never acts as a person: only the few actions made for it are even considered.
    if actor.platform && !action.open_to_platform() {
        return Err(ApiError::forbidden());
    }
    match action {
        Action::ReadAccount { account_id } => {
            if actor.federation_admin {
                Ok(())
            } else {
                owner_only(account_id)
            }
        }
        // Only the owner: an admin resetting a password is a separate, audited action.
        Action::ChangePassword { account_id } => owner_only(account_id),
        Action::EndSession { owner_account_id } => owner_only(owner_account_id),
        Action::CreateTeam { parent_id } => allowed(administers(conn, actor, parent_id)?),
        Action::ManageTeam { team_id } => allowed(administers(conn, actor, team_id)?),
        Action::ApplyToTeam => allowed(actor.volunteer_id.is_some()),
        Action::ListVolunteers => allowed(actor.is_admin() || actor.sees_every_volunteer()),
        Action::ReadRoster { team_id } => {
            allowed(actor.sees_every_volunteer() || administers(conn, actor, team_id)?)
        }
        Action::ReadVolunteer { volunteer_id } | Action::EditVolunteer { volunteer_id } => {
            match volunteer_access(conn, actor, volunteer_id)? {
                VolunteerAccess::None => Err(ApiError::not_found()),
                _ => Ok(()),
            }
        }
        Action::EditVolunteerIdentity { volunteer_id }
        | Action::RevealIdNumber { volunteer_id } => {
            match volunteer_access(conn, actor, volunteer_id)? {
                VolunteerAccess::None => Err(ApiError::not_found()),
                _ => allowed(actor.federation_admin),
            }
        }
        Action::ReadAuditLog => allowed(actor.federation_admin),
        Action::RecordHours { team_id } | Action::RecordTraining { team_id } => {
            allowed(administers(conn, actor, team_id)?)
        }
        Action::ListServiceRecords | Action::DecideServiceRecordsInBatch => {
            allowed(actor.is_admin())
        }
        Action::ReadServiceRecord {
            team_id,
            volunteer_id,
        }
        | Action::ReadCredential {
            team_id,
            volunteer_id,
        } => {
            if is_volunteer(actor, volunteer_id) || administers(conn, actor, team_id)? {
                Ok(())
            } else {
                Err(ApiError::not_found())
            }
        }
        Action::DecideServiceRecord {
            team_id,
            volunteer_id,
        }
        | Action::RevokeCertificate {
            team_id,
            volunteer_id,
        } => {
            if administers(conn, actor, team_id)? {
                Ok(())
            } else if is_volunteer(actor, volunteer_id) {
                Err(ApiError::forbidden())
            } else {
                Err(ApiError::not_found())
            }
        }
        Action::RequestCorrection {
            team_id,
            volunteer_id,
        } => {
            if is_volunteer(actor, volunteer_id) {
                Ok(())
            } else if administers(conn, actor, team_id)? {
                Err(ApiError::forbidden())
            } else {
                Err(ApiError::not_found())
            }
        }
        Action::CertifyStarLevel { volunteer_id } => {
            match volunteer_access(conn, actor, volunteer_id)? {
                VolunteerAccess::None => Err(ApiError::not_found()),
                _ => allowed(actor.federation_admin),
            }
        }
        Action::ManageCampaigns => allowed(actor.federation_admin),
        Action::ManageActivity { team_id } => allowed(administers(conn, actor, team_id)?),
        Action::SignUp => allowed(actor.volunteer_id.is_some()),
        Action::IssueCertificates { team_id } => allowed(administers(conn, actor, team_id)?),
        Action::ListCertificates | Action::ReadIssuanceStatistics => allowed(actor.is_admin()),
        Action::ReadStatistics { team_id } => match team_id {
            Some(team_id) => allowed(administers(conn, actor, team_id)?),
            None => allowed(actor.is_admin()),
        },
        Action::UploadFile => Ok(()),
        Action::FileCampaignReport { team_id } | Action::ApplyForProject { team_id } => {
            allowed(administers(conn, actor, team_id)?)
        }
        Action::ReadCampaignReport { team_id } | Action::ReadProjectApplication { team_id } => {
            if administers(conn, actor, team_id)? {
                Ok(())
            } else {
                Err(ApiError::not_found())
            }
        }
        Action::ListCampaignReports | Action::ListProjectApplications => allowed(actor.is_admin()),
        Action::CommentOnCampaignReport
        | Action::ReviewProjectApplication
        | Action::ManageCommendations
        | Action::ManageApiClients
        | Action::ManageWebhooks => allowed(actor.federation_admin),
        Action::ReadSyncFeed => allowed(actor.holds(ClientScope::SyncRead)),
        Action::ImportBatch => {
            allowed(actor.federation_admin || actor.holds(ClientScope::ImportWrite))
        }
        Action::WritePost => allowed(actor.volunteer_id.is_some()),
        Action::ModeratePosts { team_id } => allowed(administers(conn, actor, team_id)?),
        Action::DeletePost { author_account_id } => owner_only(author_account_id),
        Action::RequestServiceProof {
            team_id,
            volunteer_id,
        } => {
            if is_volunteer(actor, volunteer_id) || administers(conn, actor, team_id)? {
                Ok(())
            } else if volunteer_access(conn, actor, volunteer_id)? == VolunteerAccess::None {
                Err(ApiError::not_found())
            } else {
                Err(ApiError::forbidden())
            }
        }
    }
}

/// Drafts are seen only by admins of their organisation; anything else is public. Anonymous
/// callers pass `None`.
pub fn may_see_activity(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    team_id: &str,
    is_draft: bool,
) -> ApiResult<()> {
    let visible = !is_draft
        || match actor {
            Some(actor) => administers(conn, actor, team_id)?,
            None => false,
        };
    if visible {
        Ok(())
    } else {
        Err(ApiError::not_found())
    }
}

/// A file is read by its uploader, by anyone once it is attached to something public, and by
/// the admins of the organisation of anything it is attached to (`attached_to`: each
/// attachment's organisation and whether it is public). To anyone else it does not exist.
pub fn may_read_file(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    uploaded_by: &str,
    attached_to: &[(&str, bool)],
) -> ApiResult<()> {
    if attached_to.iter().any(|(_, public)| *public) {
        return Ok(());
    }
    if let Some(actor) = actor {
        if actor.account_id == uploaded_by {
            return Ok(());
        }
        for (team_id, _) in attached_to {
            if administers(conn, actor, team_id)? {
                return Ok(());
            }
        }
    }
    Err(ApiError::not_found())
}

fn is_volunteer(actor: &Actor, volunteer_id: &str) -> bool {
    actor.volunteer_id.as_deref() == Some(volunteer_id)
}

/// Whether the caller administers `team_id` (federation admins administer everything).
pub fn administers(conn: &mut DbConn, actor: &Actor, team_id: &str) -> ApiResult<bool> {
    if actor.federation_admin {
        return Ok(true);
    }
    if actor.admin_team_ids.is_empty() {
        return Ok(false);
    }
    Ok(scope::team_within(conn, &actor.admin_team_ids, team_id)?)
}

/// Team admins see volunteers who are members of (or applicants to) an organisation in their
/// subtrees; federation admins see everyone; a volunteer sees themself.
pub fn volunteer_access(
    conn: &mut DbConn,
    actor: &Actor,
    volunteer_id: &str,
) -> ApiResult<VolunteerAccess> {
    if actor.volunteer_id.as_deref() == Some(volunteer_id) {
        return Ok(VolunteerAccess::Owner);
    }
    if actor.federation_admin {
        return Ok(if volunteers::exists_by_id(conn, volunteer_id)? {
            VolunteerAccess::Admin
        } else {
            VolunteerAccess::None
        });
    }
    if actor.admin_team_ids.is_empty() {
        return Ok(VolunteerAccess::None);
    }
    Ok(
        if scope::volunteer_within(conn, &actor.admin_team_ids, volunteer_id)? {
            VolunteerAccess::Admin
        } else {
            VolunteerAccess::None
        },
    )
}
