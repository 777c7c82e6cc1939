//! The organisation tree: creation, edits and moves (keeping the closure table exact), and
//! team-admin grants.

use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::json;

use super::ROOT_TEAM_ID;
use super::dto::{
    CreateTeamRequest, TeamAdminResponse, TeamQuery, TeamResponse, UpdateTeamRequest,
};
use super::model::{NewTeam, Team, TeamChanges};
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::http::Page;
use crate::http::ids::check_id;
use crate::http::pagination::page_request;
use crate::meta::enums::{Role, TeamKind};
use crate::schema::{accounts, role_grants, team_closure, teams};
use crate::validation::{
    contains_pattern, optional_phone, optional_text, optional_town, required_text,
};

pub const NAME_MAX: usize = 100;
pub const DESCRIPTION_MAX: usize = 2000;

pub fn find(conn: &mut DbConn, team_id: &str) -> ApiResult<Team> {
    check_id("id", team_id)?;
    teams::table
        .find(team_id)
        .select(Team::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(ApiError::not_found)
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
    let found: bool = diesel::select(exists(teams::table.find(parent_id))).get_result(conn)?;
    if found { Ok(()) } else { Err(missing_parent()) }
}

pub fn create(
    conn: &mut DbConn,
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

    write_tx(conn, |conn| {
        existing_parent(conn, &parent_id)?;
        policy::authorize(
            conn,
            actor,
            Action::CreateTeam {
                parent_id: &parent_id,
            },
        )?;
        let id = new_id();
        let at = now();
        diesel::insert_into(teams::table)
            .values(NewTeam {
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
            })
            .execute(conn)?;
        // The new node: itself at depth 0, and every ancestor of its parent one level further.
        diesel::sql_query(
            "INSERT INTO team_closure (ancestor_id, descendant_id, depth) \
             SELECT ancestor_id, $1, depth + 1 FROM team_closure WHERE descendant_id = $2 \
             UNION ALL SELECT $1, $1, 0",
        )
        .bind::<Text, _>(&id)
        .bind::<Text, _>(&parent_id)
        .execute(conn)?;
        audit::record(
            conn,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "team.created",
                target_type: "team",
                target_id: &id,
                details: json!({"name": name, "kind": req.kind.code(), "parent_id": parent_id}),
            },
        )?;
        find(conn, &id)
    })
}

pub fn list(conn: &mut DbConn, query: TeamQuery) -> ApiResult<Page<TeamResponse>> {
    let page = page_request(query.page, query.per_page)?;
    let mut errors = FieldErrors::default();
    if let Some(parent) = &query.parent_id {
        check_id("parent_id", parent)?;
    }
    let town = optional_town(&mut errors, "town", query.town.clone());
    let sort = query.sort.as_deref().unwrap_or("name");
    if !["name", "-name", "created_at", "-created_at"].contains(&sort) {
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
    let filtered = || {
        let mut q = teams::table.into_boxed();
        if let Some(kind) = query.kind {
            q = q.filter(teams::kind.eq(kind.code()));
        }
        if let Some(parent) = &query.parent_id {
            q = q.filter(teams::parent_id.eq(parent.clone()));
        }
        if let Some(town) = &town {
            q = q.filter(teams::town.eq(town.clone()));
        }
        if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            q = q.filter(teams::name.like(contains_pattern(text)).escape('\\'));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let ordered = match sort {
        "-name" => filtered().order((teams::name.desc(), teams::id.desc())),
        "created_at" => filtered().order((teams::created_at.asc(), teams::id.asc())),
        "-created_at" => filtered().order((teams::created_at.desc(), teams::id.desc())),
        _ => filtered().order((teams::name.asc(), teams::id.asc())),
    };
    let rows: Vec<Team> = ordered
        .limit(page.per_page)
        .offset(page.offset())
        .select(Team::as_select())
        .load(conn)?;
    Ok(Page::new(
        rows.into_iter().map(TeamResponse::from).collect(),
        page,
        total,
    ))
}

/// Whether `candidate` lies in the subtree of `team_id` (itself included).
fn in_subtree(conn: &mut DbConn, team_id: &str, candidate: &str) -> ApiResult<bool> {
    Ok(diesel::select(exists(
        team_closure::table
            .filter(team_closure::ancestor_id.eq(team_id))
            .filter(team_closure::descendant_id.eq(candidate)),
    ))
    .get_result(conn)?)
}

/// Moves `team_id` (with its subtree) under `new_parent`: the subtree keeps its inner paths and
/// gets the new parent's ancestors instead of the old ones.
fn move_subtree(conn: &mut DbConn, team_id: &str, new_parent: &str) -> ApiResult<()> {
    diesel::sql_query(
        "DELETE FROM team_closure \
         WHERE descendant_id IN (SELECT descendant_id FROM team_closure WHERE ancestor_id = $1) \
           AND ancestor_id NOT IN (SELECT descendant_id FROM team_closure WHERE ancestor_id = $1)",
    )
    .bind::<Text, _>(team_id)
    .execute(conn)?;
    diesel::sql_query(
        "INSERT INTO team_closure (ancestor_id, descendant_id, depth) \
         SELECT a.ancestor_id, d.descendant_id, a.depth + d.depth + 1 \
         FROM team_closure a CROSS JOIN team_closure d \
         WHERE a.descendant_id = $1 AND d.ancestor_id = $2",
    )
    .bind::<Text, _>(new_parent)
    .bind::<Text, _>(team_id)
    .execute(conn)?;
    Ok(())
}

pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    team_id: &str,
    expected_version: Option<i64>,
    req: UpdateTeamRequest,
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

    write_tx(conn, |conn| {
        let team = find(conn, team_id)?;
        policy::authorize(conn, actor, Action::ManageTeam { team_id })?;
        crate::http::conditional::check_version(expected_version, team.version)?;
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
            existing_parent(conn, new_parent)?;
            // A team admin moves only within what they administer.
            policy::authorize(
                conn,
                actor,
                Action::CreateTeam {
                    parent_id: new_parent,
                },
            )?;
            if in_subtree(conn, team_id, new_parent)? {
                return Err(ApiError::conflict(
                    "cycle",
                    Msg::new(
                        "不能把组织移到它自己或它的下级组织之下",
                        "An organisation cannot be moved under itself or one of its descendants",
                    ),
                ));
            }
            move_subtree(conn, team_id, new_parent)?;
            changes.parent_id = Some(Some(new_parent.to_owned()));
        }
        let updated = diesel::update(
            teams::table
                .find(team_id)
                .filter(teams::version.eq(team.version)),
        )
        .set((
            &changes,
            teams::updated_at.eq(now()),
            teams::version.eq(teams::version + 1),
        ))
        .execute(conn)?;
        if updated != 1 {
            return Err(crate::http::conditional::precondition_failed());
        }
        audit::record(
            conn,
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
        find(conn, team_id)
    })
}

fn admin_not_found() -> ApiError {
    ApiError::not_found()
}

pub fn list_admins(
    conn: &mut DbConn,
    actor: &Actor,
    team_id: &str,
) -> ApiResult<Vec<TeamAdminResponse>> {
    find(conn, team_id)?;
    policy::authorize(conn, actor, Action::ManageTeam { team_id })?;
    let rows: Vec<(String, Option<String>, chrono::NaiveDateTime)> = role_grants::table
        .filter(role_grants::team_id.eq(team_id))
        .filter(role_grants::role.eq(Role::TeamAdmin.code()))
        .filter(role_grants::revoked_at.is_null())
        .order(role_grants::created_at.asc())
        .select((
            role_grants::account_id,
            role_grants::granted_by,
            role_grants::created_at,
        ))
        .load(conn)?;
    Ok(rows
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
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    team_id: &str,
    account_id: &str,
) -> ApiResult<TeamAdminResponse> {
    write_tx(conn, |conn| {
        find(conn, team_id)?;
        policy::authorize(conn, actor, Action::ManageTeam { team_id })?;
        let account_known = crate::http::ids::is_id(account_id)
            && diesel::select(exists(accounts::table.find(account_id))).get_result::<bool>(conn)?;
        if !account_known {
            return Err(ApiError::field(
                "account_id",
                "not_found",
                Msg::new("账号不存在", "The account does not exist"),
            ));
        }
        let already: bool = diesel::select(exists(
            role_grants::table
                .filter(role_grants::account_id.eq(account_id))
                .filter(role_grants::team_id.eq(team_id))
                .filter(role_grants::role.eq(Role::TeamAdmin.code()))
                .filter(role_grants::revoked_at.is_null()),
        ))
        .get_result(conn)?;
        let already_admin = || {
            ApiError::conflict(
                "already_admin",
                Msg::new(
                    "该账号已是此组织的管理员",
                    "This account already administers the organisation",
                ),
            )
        };
        if already {
            return Err(already_admin());
        }
        crate::auth::service::grant_role(
            conn,
            account_id,
            Role::TeamAdmin,
            Some(team_id),
            Some(&actor.account_id),
        )
        .map_err(|e| if e.status == 409 { already_admin() } else { e })?;
        audit::record(
            conn,
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
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    team_id: &str,
    account_id: &str,
) -> ApiResult<()> {
    write_tx(conn, |conn| {
        find(conn, team_id)?;
        policy::authorize(conn, actor, Action::ManageTeam { team_id })?;
        let revoked = diesel::update(
            role_grants::table
                .filter(role_grants::account_id.eq(account_id))
                .filter(role_grants::team_id.eq(team_id))
                .filter(role_grants::role.eq(Role::TeamAdmin.code()))
                .filter(role_grants::revoked_at.is_null()),
        )
        .set((
            role_grants::revoked_at.eq(now()),
            role_grants::revoked_by.eq(&actor.account_id),
        ))
        .execute(conn)?;
        if revoked == 0 {
            return Err(admin_not_found());
        }
        audit::record(
            conn,
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
