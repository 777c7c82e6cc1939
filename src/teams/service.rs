//! The organisation tree: creation, edits and moves (keeping the closure table exact), and
//! team-admin grants.

use serde_json::json;

pub use super::ROOT_TEAM_ID;
use super::dto::{
    CreateTeamRequest, TeamAdminResponse, TeamMemberEntry, TeamQuery, TeamResponse,
    TeamWithMembers, UpdateTeamRequest,
};
use super::model::{NewTeam, Team, TeamChanges};
use super::store::{self, TeamFilter, TeamOrder};
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::recount::{self, Aggregate, Drift};
use crate::db::{DbConn, PooledConn, Tx, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Kind, Msg, check_version};
use crate::ids::check_id;
use crate::meta::enums::{MembershipStatus, TeamKind};
use crate::paging::Page;
use crate::paging::page_request;
use crate::validation::{
    contains_pattern, optional_phone, optional_text, optional_town, required_text,
};

pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 2000;

pub fn find(conn: &mut DbConn, team_id: &str) -> ApiResult<Team> {
    check_id("id", team_id)?;
    store::find(conn, team_id)?.ok_or_else(ApiError::not_found)
}

/// The organisation a request body names as `team_id`: an unknown one is a problem with that
/// field (400), not a missing resource (404); a database failure stays what it is.
pub fn named_in_body(conn: &mut DbConn, team_id: &str) -> ApiResult<Team> {
    check_id("team_id", team_id)?;
    store::find(conn, team_id)?.ok_or_else(|| {
        ApiError::field(
            "team_id",
            "not_found",
            Msg::new("组织不存在", "The organisation does not exist"),
        )
    })
}

/// Whether a team with this id exists (for other domains that link to one).
pub fn exists(conn: &mut DbConn, team_id: &str) -> ApiResult<bool> {
    Ok(crate::ids::is_id(team_id) && store::exists_by_id(conn, team_id)?)
}

/// Whether the volunteer holds a membership in one of `statuses` in the team.
pub fn has_membership(
    conn: &mut DbConn,
    team_id: &str,
    volunteer_id: &str,
    statuses: &[MembershipStatus],
) -> ApiResult<bool> {
    Ok(store::has_membership(
        conn,
        team_id,
        volunteer_id,
        statuses,
    )?)
}

/// Whether the volunteer is an approved member of the team, or was one on `date` (hours may
/// be recorded for service done while a member).
pub fn member_on(
    conn: &mut DbConn,
    team_id: &str,
    volunteer_id: &str,
    date: chrono::NaiveDate,
) -> ApiResult<bool> {
    use crate::time::local_date;
    Ok(match store::membership(conn, team_id, volunteer_id)? {
        Some(m) => match (m.status, m.joined_at) {
            (MembershipStatus::Approved, _) => true,
            (MembershipStatus::Removed | MembershipStatus::Left, Some(joined)) => {
                local_date(joined) <= date && date <= local_date(m.updated_at)
            }
            _ => false,
        },
        None => false,
    })
}

/// The volunteer's membership of the team, if any.
pub fn membership(
    conn: &mut DbConn,
    team_id: &str,
    volunteer_id: &str,
) -> ApiResult<Option<super::model::Membership>> {
    Ok(store::membership(conn, team_id, volunteer_id)?)
}

/// Why a volunteer could not be certified by an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotCertified {
    /// Not (or no longer) an approved member.
    NotAMember,
    /// Holds a valid certificate of the organisation already.
    AlreadyCertified,
}

/// Marks each volunteer's membership certified (an approved member without a valid
/// certificate) and counts them in certified_count, in the caller's transaction; per volunteer,
/// in order, whether it was marked.
pub fn certify_members(
    tx: &mut Tx,
    team_id: &str,
    volunteer_ids: &[String],
) -> ApiResult<Vec<Result<(), NotCertified>>> {
    let mut marked: std::collections::HashSet<String> =
        store::certify_approved(tx, team_id, volunteer_ids)?
            .into_iter()
            .collect();
    let certified = marked.len() as i64;
    let mut outcomes = Vec::with_capacity(volunteer_ids.len());
    for volunteer_id in volunteer_ids {
        // Taken out once: a volunteer named twice is certified once.
        outcomes.push(if marked.remove(volunteer_id) {
            Ok(())
        } else {
            // Only the few not marked are looked at again, to say why.
            match store::membership(tx, team_id, volunteer_id)? {
                Some(m) if m.status == MembershipStatus::Approved => {
                    Err(NotCertified::AlreadyCertified)
                }
                _ => Err(NotCertified::NotAMember),
            }
        });
    }
    if certified > 0 {
        store::add_to_certified_count(tx, team_id, certified)?;
    }
    Ok(outcomes)
}

/// Clears the volunteer's certified mark (their certificate was revoked), in the caller's
/// transaction, and stops counting them if they are an approved member.
pub fn uncertify_member(tx: &mut Tx, team_id: &str, volunteer_id: &str) -> ApiResult<()> {
    if store::uncertify(tx, team_id, volunteer_id)? == Some(MembershipStatus::Approved) {
        store::add_to_certified_count(tx, team_id, -1)?;
    }
    Ok(())
}

/// Approved members without a valid certificate of the organisation.
pub fn uncertified_members(conn: &mut DbConn, team_id: &str) -> ApiResult<Vec<String>> {
    Ok(store::uncertified_members(conn, team_id)?)
}

/// Organisations in the caller's reach (every one for federation admins) with their member
/// and certified counts; `below_basis_points` keeps those under that target (1/10 000).
pub fn issuance_page(
    conn: &mut DbConn,
    actor: &Actor,
    below_basis_points: Option<i64>,
    page: crate::paging::PageRequest,
) -> ApiResult<(Vec<Team>, i64)> {
    policy::authorize(conn, actor, Action::ReadIssuanceStatistics)?;
    let roots = (!actor.federation_admin).then(|| actor.admin_team_ids.clone());
    Ok(store::issuance_page(
        conn,
        roots,
        below_basis_points,
        page.per_page,
        page.offset(),
    )?)
}

/// Every membership marked certified: (team, volunteer), for the totals' check.
pub fn certified_memberships(conn: &mut DbConn) -> ApiResult<Vec<(String, String)>> {
    Ok(store::certified_memberships(conn)?)
}

/// Sets or clears a membership's certified mark (the totals' repair; the counts are repaired
/// after it by [`verify_certified_counts`]).
pub fn set_certified_mark(
    tx: &mut Tx,
    team_id: &str,
    volunteer_id: &str,
    certified: bool,
) -> ApiResult<()> {
    Ok(store::set_certified_mark(
        tx,
        team_id,
        volunteer_id,
        certified,
    )?)
}

/// The organisation's ancestors and itself, in id order (the sets its statistics count in).
pub fn ancestors(conn: &mut DbConn, team_id: &str) -> ApiResult<Vec<String>> {
    Ok(store::ancestors(conn, team_id)?)
}

/// The organisations of a subtree, by name: (id, name, town).
pub fn subtree(
    conn: &mut DbConn,
    ancestor_id: &str,
) -> ApiResult<Vec<(String, String, Option<String>)>> {
    Ok(store::subtree(conn, ancestor_id)?)
}

/// Distinct volunteers with an approved membership in the subtree.
pub fn subtree_member_count(conn: &mut DbConn, ancestor_id: &str) -> ApiResult<i64> {
    Ok(store::subtree_member_count(conn, ancestor_id)?)
}

/// Of these organisations, those not within another of them: the roots of what an admin of
/// all of them reaches.
pub fn outermost(conn: &mut DbConn, team_ids: &[String]) -> ApiResult<Vec<String>> {
    let mut roots = Vec::new();
    for candidate in team_ids {
        let mut inner = false;
        for other in team_ids.iter().filter(|o| *o != candidate) {
            if store::in_subtree(conn, other, candidate)? {
                inner = true;
                break;
            }
        }
        if !inner && !roots.contains(candidate) {
            roots.push(candidate.clone());
        }
    }
    Ok(roots)
}

/// Recounts the subtrees' distinct members and the memberships per status; with `fix`,
/// rebuilds what drifted.
pub fn verify_subtree_members(conn: &mut PooledConn, fix: bool) -> ApiResult<Vec<Drift>> {
    write_tx(conn, |tx| {
        let mut drifts = Vec::new();
        for aggregate in store::AGGREGATES
            .iter()
            .chain([&store::MEMBERSHIP_COUNTS_AGGREGATE])
        {
            drifts.extend(recount::check(tx, aggregate, fix)?);
        }
        Ok(drifts)
    })
}

/// Compares every team's certified_count with its approved, certified memberships; with `fix`,
/// repairs the counts. One line per difference.
pub fn verify_certified_counts(conn: &mut PooledConn, fix: bool) -> ApiResult<Vec<String>> {
    let differences: Vec<(String, i64, i64)> = store::certified_counts(conn)?
        .into_iter()
        .filter(|(_, stored, actual)| stored != actual)
        .collect();
    if fix && !differences.is_empty() {
        write_tx(conn, |tx| {
            for (team_id, _, actual) in &differences {
                store::set_certified_count(tx, team_id, *actual)?;
            }
            Ok::<_, ApiError>(())
        })?;
    }
    Ok(differences
        .into_iter()
        .map(|(team_id, stored, actual)| {
            format!("team {team_id}: certified_count {stored}, certified members {actual}")
        })
        .collect())
}

fn not_under_federation_kind(errors: &mut FieldErrors, kind: TeamKind) {
    if kind == TeamKind::Federation {
        errors.add(
            "kind",
            "invalid_choice",
            Msg::new(
                "义工联只有一个，即根组织",
                "There is one federation: the root",
            ),
        );
    }
}

fn missing_parent() -> ApiError {
    ApiError::field(
        "parent_id",
        "not_found",
        Msg::new("上级组织不存在", "The parent organisation does not exist"),
    )
}

/// Makes `parent_id` known (a bad or unknown id is a field problem, not a 404 of the URL).
fn existing_parent(conn: &mut DbConn, parent_id: &str) -> ApiResult<()> {
    check_id("parent_id", parent_id)?;
    if store::exists_by_id(conn, parent_id)? {
        Ok(())
    } else {
        Err(missing_parent())
    }
}

pub fn create(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    req: CreateTeamRequest,
) -> ApiResult<Team> {
    let mut errors = FieldErrors::default();
    let name = required_text(&mut errors, "name", &req.name, NAME_MAX);
    not_under_federation_kind(&mut errors, req.kind);
    let town = optional_town(&mut errors, "town", req.town);
    let contact_name = optional_text(&mut errors, "contact_name", req.contact_name, 50);
    let contact_phone = optional_phone(&mut errors, "contact_phone", req.contact_phone);
    let description = optional_text(&mut errors, "description", req.description, DESCRIPTION_MAX);
    errors.into_result()?;
    let parent_id = req.parent_id.unwrap_or_else(|| ROOT_TEAM_ID.to_owned());

    write_tx(conn, |tx| {
        existing_parent(tx, &parent_id)?;
        policy::authorize(
            tx,
            actor,
            Action::CreateTeam {
                parent_id: &parent_id,
            },
        )?;
        let id = new_id();
        let at = now();
        store::insert(
            tx,
            &NewTeam {
                id: &id,
                name: &name,
                kind: req.kind,
                parent_id: Some(&parent_id),
                town: town.as_deref(),
                contact_name: contact_name.as_deref(),
                contact_phone: contact_phone.as_deref(),
                description: description.as_deref(),
                member_count: 0,
                certified_count: 0,
                created_at: at,
                updated_at: at,
                version: 1,
            },
        )?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "team.created",
                target_type: "team",
                target_id: &id,
                details: json!({"name": name, "kind": req.kind.code(), "parent_id": parent_id}),
            },
        )?;
        find(tx, &id)
    })
}

pub fn list(conn: &mut DbConn, query: TeamQuery) -> ApiResult<Page<TeamResponse>> {
    let page = page_request(query.page, query.per_page)?;
    let mut errors = FieldErrors::default();
    if let Some(parent) = &query.parent_id {
        check_id("parent_id", parent)?;
    }
    let town = optional_town(&mut errors, "town", query.town.clone());
    let order = match query.sort.as_deref().unwrap_or("name") {
        "name" => Some(TeamOrder::Name),
        "-name" => Some(TeamOrder::NameDesc),
        "created_at" => Some(TeamOrder::CreatedAt),
        "-created_at" => Some(TeamOrder::CreatedAtDesc),
        _ => None,
    };
    if order.is_none() {
        errors.add(
            "sort",
            "invalid_choice",
            Msg::new(
                "排序字段须为 name 或 created_at",
                "sort must be name or created_at, optionally with -",
            ),
        );
    }
    errors.into_result()?;
    let filter = TeamFilter {
        kind: query.kind,
        parent_id: query.parent_id.as_deref(),
        town: town.as_deref(),
        name_like: query
            .q
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(contains_pattern),
    };
    let (rows, total) = store::page(
        conn,
        &filter,
        order.unwrap_or(TeamOrder::Name),
        page.per_page,
        page.offset(),
    )?;
    Ok(Page::new(
        rows.into_iter().map(TeamResponse::from).collect(),
        page,
        total,
    ))
}

/// `tree_keyed`: other domains' aggregates kept per ancestor organisation, rebuilt when a move
/// changes the tree (handed in by the composition root: teams cannot name those domains).
pub fn update(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    team_id: &str,
    expected_version: Option<i64>,
    req: UpdateTeamRequest,
    tree_keyed: &[&Aggregate],
) -> ApiResult<Team> {
    check_id("id", team_id)?;
    let mut errors = FieldErrors::default();
    let name = req
        .name
        .as_deref()
        .map(|n| required_text(&mut errors, "name", n, NAME_MAX));
    if let Some(kind) = req.kind {
        not_under_federation_kind(&mut errors, kind);
    }
    let changes = TeamChanges {
        name,
        kind: req.kind,
        parent_id: None,
        town: req.town.map(|t| optional_town(&mut errors, "town", t)),
        contact_name: req
            .contact_name
            .map(|v| optional_text(&mut errors, "contact_name", v, 50)),
        contact_phone: req
            .contact_phone
            .map(|v| optional_phone(&mut errors, "contact_phone", v)),
        description: req
            .description
            .map(|v| optional_text(&mut errors, "description", v, DESCRIPTION_MAX)),
    };
    errors.into_result()?;

    write_tx(conn, |tx| {
        let team = find(tx, team_id)?;
        policy::authorize(tx, actor, Action::ManageTeam { team_id })?;
        check_version(expected_version, team.version)?;
        if team.parent_id.is_none() && (req.kind.is_some() || req.parent_id.is_some()) {
            return Err(ApiError::conflict(
                "root_immutable",
                Msg::new(
                    "根组织不能移动或更改类型",
                    "The federation root cannot be moved or re-kinded",
                ),
            ));
        }
        let mut changes = changes;
        if let Some(new_parent) = req.parent_id.as_deref()
            && team.parent_id.as_deref() != Some(new_parent)
        {
            existing_parent(tx, new_parent)?;
            // A team admin moves only within what they administer.
            policy::authorize(
                tx,
                actor,
                Action::CreateTeam {
                    parent_id: new_parent,
                },
            )?;
            if store::in_subtree(tx, team_id, new_parent)? {
                return Err(ApiError::conflict(
                    "cycle",
                    Msg::new(
                        "不能把组织移到它自己或它的下级组织之下",
                        "An organisation cannot be moved under itself or one of its descendants",
                    ),
                ));
            }
            store::move_subtree(tx, team_id, new_parent)?;
            // Figures kept per ancestor (here and in other domains) follow the new tree.
            for aggregate in store::AGGREGATES.iter().chain(tree_keyed.iter().copied()) {
                recount::rebuild(tx, aggregate)?;
            }
            changes.parent_id = Some(Some(new_parent.to_owned()));
        }
        if !store::update_at_version(tx, team_id, team.version, &changes)? {
            return Err(ApiError::precondition_failed());
        }
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "team.updated",
                target_type: "team",
                target_id: team_id,
                details: json!({
                    "name": changes.name,
                    "kind": changes.kind,
                    "parent_id": changes.parent_id,
                    "town": changes.town,
                    "contact_name": changes.contact_name,
                    "contact_phone": changes.contact_phone,
                    "description_changed": changes.description.is_some(),
                }),
            },
        )?;
        find(tx, team_id)
    })
}

pub fn list_admins(
    conn: &mut DbConn,
    actor: &Actor,
    team_id: &str,
) -> ApiResult<Vec<TeamAdminResponse>> {
    find(conn, team_id)?;
    policy::authorize(conn, actor, Action::ManageTeam { team_id })?;
    Ok(crate::auth::service::team_admins(conn, team_id)?
        .into_iter()
        .map(|(account_id, granted_by, at)| TeamAdminResponse {
            account_id,
            team_id: team_id.to_owned(),
            granted_by,
            created_at: crate::time::to_utc(at),
        })
        .collect())
}

pub fn grant_admin(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    team_id: &str,
    account_id: &str,
) -> ApiResult<TeamAdminResponse> {
    write_tx(conn, |tx| {
        find(tx, team_id)?;
        policy::authorize(tx, actor, Action::ManageTeam { team_id })?;
        if !crate::auth::service::account_exists(tx, account_id)? {
            return Err(ApiError::field(
                "account_id",
                "not_found",
                Msg::new("账号不存在", "The account does not exist"),
            ));
        }
        let already_admin = || {
            ApiError::conflict(
                "already_admin",
                Msg::new(
                    "该账号已是此组织的管理员",
                    "This account already administers the organisation",
                ),
            )
        };
        let granted =
            crate::auth::service::grant_team_admin(tx, account_id, team_id, &actor.account_id)
                .map_err(|e| {
                    if e.kind == Kind::Conflict {
                        already_admin()
                    } else {
                        e
                    }
                })?;
        if !granted {
            return Err(already_admin());
        }
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "team_admin.granted",
                target_type: "account",
                target_id: account_id,
                details: json!({"team_id": team_id}),
            },
        )?;
        Ok(TeamAdminResponse {
            account_id: account_id.to_owned(),
            team_id: team_id.to_owned(),
            granted_by: Some(actor.account_id.clone()),
            created_at: crate::time::to_utc(now()),
        })
    })
}

/// Revokes at once: the policy reads current grants on every request.
pub fn revoke_admin(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    team_id: &str,
    account_id: &str,
) -> ApiResult<()> {
    write_tx(conn, |tx| {
        find(tx, team_id)?;
        policy::authorize(tx, actor, Action::ManageTeam { team_id })?;
        if !crate::auth::service::revoke_team_admin(tx, account_id, team_id, &actor.account_id)? {
            return Err(ApiError::not_found());
        }
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "team_admin.revoked",
                target_type: "account",
                target_id: account_id,
                details: json!({"team_id": team_id}),
            },
        )
    })
}

/// These organisations with their approved members, for the sync feed: (id, team) of those
/// that exist.
pub fn with_members(
    conn: &mut DbConn,
    ids: &[String],
) -> ApiResult<Vec<(String, TeamWithMembers)>> {
    let mut members: std::collections::HashMap<String, Vec<TeamMemberEntry>> =
        std::collections::HashMap::new();
    for (team_id, volunteer_id, joined_at) in store::approved_members(conn, ids)? {
        members.entry(team_id).or_default().push(TeamMemberEntry {
            volunteer_id,
            joined_at: joined_at.map(crate::time::to_utc),
        });
    }
    Ok(store::find_many(conn, ids)?
        .into_iter()
        .map(|team| {
            let id = team.id.clone();
            let members = members.remove(&id).unwrap_or_default();
            (
                id,
                TeamWithMembers {
                    team: team.into(),
                    members,
                },
            )
        })
        .collect())
}
