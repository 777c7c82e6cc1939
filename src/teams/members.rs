//! Memberships: applications, admins' decisions, leaving. Each change is conditional on the
//! status it starts from (so two concurrent decisions cannot both apply), keeps the team's
//! member_count exact in the same transaction, and is recorded in membership_events.

use diesel::dsl::exists;
use diesel::prelude::*;
use serde_json::json;

use super::dto::{
    AddMemberRequest, DecideMembershipRequest, MemberQuery, MemberSummary, MembershipResponse,
};
use super::model::Membership;
use super::service::find as find_team;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, Msg};
use crate::http::Page;
use crate::http::ids::check_id;
use crate::http::pagination::page_request;
use crate::meta::enums::MembershipStatus as Status;
use crate::schema::{accounts, membership_events, memberships, teams, volunteers};
use crate::volunteers::id_number::mask_mobile;

fn find(conn: &mut DbConn, team_id: &str, volunteer_id: &str) -> ApiResult<Option<Membership>> {
    Ok(memberships::table
        .filter(memberships::team_id.eq(team_id))
        .filter(memberships::volunteer_id.eq(volunteer_id))
        .select(Membership::as_select())
        .first(conn)
        .optional()?)
}

fn get(conn: &mut DbConn, id: &str) -> ApiResult<Membership> {
    Ok(memberships::table
        .find(id)
        .select(Membership::as_select())
        .first(conn)?)
}

/// Moves a membership from `from` to `to`, only if it is still in `from`; keeps member_count
/// and the history. Returns false when another request changed it first.
fn transition(
    conn: &mut DbConn,
    membership: &Membership,
    from: Status,
    to: Status,
    actor_id: &str,
    comment: Option<&str>,
) -> ApiResult<bool> {
    let at = now();
    let joined_at = if to == Status::Approved {
        Some(at)
    } else {
        membership.joined_at
    };
    let changed = diesel::update(
        memberships::table
            .find(&membership.id)
            .filter(memberships::status.eq(from.code())),
    )
    .set((
        memberships::status.eq(to.code()),
        memberships::joined_at.eq(joined_at),
        memberships::updated_at.eq(at),
        memberships::version.eq(memberships::version + 1),
    ))
    .execute(conn)?;
    if changed != 1 {
        return Ok(false);
    }
    adjust_member_count(conn, &membership.team_id, from, to)?;
    record_event(conn, &membership.id, Some(from), to, actor_id, comment)?;
    Ok(true)
}

fn adjust_member_count(
    conn: &mut DbConn,
    team_id: &str,
    from: Status,
    to: Status,
) -> ApiResult<()> {
    let delta = match (from == Status::Approved, to == Status::Approved) {
        (false, true) => 1,
        (true, false) => -1,
        _ => return Ok(()),
    };
    diesel::update(teams::table.find(team_id))
        .set(teams::member_count.eq(teams::member_count + delta))
        .execute(conn)?;
    Ok(())
}

fn record_event(
    conn: &mut DbConn,
    membership_id: &str,
    from: Option<Status>,
    to: Status,
    actor_id: &str,
    comment: Option<&str>,
) -> ApiResult<()> {
    diesel::insert_into(membership_events::table)
        .values((
            membership_events::id.eq(new_id()),
            membership_events::membership_id.eq(membership_id),
            membership_events::from_status.eq(from.map(Status::code)),
            membership_events::to_status.eq(to.code()),
            membership_events::actor_id.eq(actor_id),
            membership_events::comment.eq(comment),
            membership_events::created_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

fn already_member() -> ApiError {
    ApiError::conflict(
        "already_member",
        Msg::new(
            "已是该组织成员或申请正在审核中",
            "Already a member of this organisation, or an application is pending",
        ),
    )
}

/// A volunteer applies (pending), or an admin adds a volunteer (approved at once).
pub fn join(
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    team_id: &str,
    req: AddMemberRequest,
) -> ApiResult<Membership> {
    write_tx(conn, |conn| {
        find_team(conn, team_id)?;
        let self_apply = req.volunteer_id.is_none() || req.volunteer_id == actor.volunteer_id;
        let (volunteer_id, status) = if self_apply {
            policy::authorize(conn, actor, Action::ApplyToTeam)?;
            let own = actor.volunteer_id.clone().ok_or_else(ApiError::forbidden)?;
            // An admin enrolling themself is approved like anyone they add.
            let status = if policy::administers(conn, actor, team_id)? {
                Status::Approved
            } else {
                Status::Pending
            };
            (own, status)
        } else {
            policy::authorize(conn, actor, Action::ManageTeam { team_id })?;
            let id = req.volunteer_id.clone().unwrap_or_default();
            let known = crate::http::ids::is_id(&id)
                && diesel::select(exists(volunteers::table.find(&id))).get_result::<bool>(conn)?;
            if !known {
                return Err(ApiError::field(
                    "volunteer_id",
                    "not_found",
                    Msg::new("志愿者不存在", "The volunteer does not exist"),
                ));
            }
            (id, Status::Approved)
        };
        let membership = match find(conn, team_id, &volunteer_id)? {
            Some(m) => {
                let from = m.status;
                if matches!(from, Status::Pending | Status::Approved) {
                    return Err(already_member());
                }
                if !transition(conn, &m, from, status, &actor.account_id, None)? {
                    return Err(already_member());
                }
                get(conn, &m.id)?
            }
            None => {
                let id = new_id();
                let at = now();
                diesel::insert_into(memberships::table)
                    .values((
                        memberships::id.eq(&id),
                        memberships::team_id.eq(team_id),
                        memberships::volunteer_id.eq(&volunteer_id),
                        memberships::status.eq(status.code()),
                        memberships::joined_at.eq((status == Status::Approved).then_some(at)),
                        memberships::created_at.eq(at),
                        memberships::updated_at.eq(at),
                        memberships::version.eq(1),
                    ))
                    .execute(conn)
                    .map_err(|e| {
                        if crate::db::unique_violation_target(&e).is_some() {
                            already_member()
                        } else {
                            e.into()
                        }
                    })?;
                adjust_member_count(conn, team_id, Status::Pending, status)?;
                record_event(conn, &id, None, status, &actor.account_id, None)?;
                get(conn, &id)?
            }
        };
        if status == Status::Approved {
            audit::record(
                conn,
                origin,
                AuditEntry {
                    actor_id: &actor.account_id,
                    action: "membership.added",
                    target_type: "membership",
                    target_id: &membership.id,
                    details: json!({"team_id": team_id, "volunteer_id": volunteer_id}),
                },
            )?;
        }
        Ok(membership)
    })
}

/// An admin approves or rejects a pending membership, or removes an approved one.
pub fn decide(
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    team_id: &str,
    volunteer_id: &str,
    req: DecideMembershipRequest,
) -> ApiResult<Membership> {
    check_id("volunteer_id", volunteer_id)?;
    let mut errors = crate::error::FieldErrors::default();
    let comment = crate::validation::optional_text(&mut errors, "comment", req.comment, 500);
    errors.into_result()?;
    let to = Status::from(req.status);
    write_tx(conn, |conn| {
        find_team(conn, team_id)?;
        policy::authorize(conn, actor, Action::ManageTeam { team_id })?;
        let membership = find(conn, team_id, volunteer_id)?.ok_or_else(ApiError::not_found)?;
        let from = membership.status;
        let legal = matches!(
            (from, to),
            (Status::Pending, Status::Approved)
                | (Status::Pending, Status::Rejected)
                | (Status::Approved, Status::Removed)
        );
        if !legal
            || !transition(
                conn,
                &membership,
                from,
                to,
                &actor.account_id,
                comment.as_deref(),
            )?
        {
            return Err(ApiError::conflict(
                "invalid_transition",
                Msg::new(
                    format!("成员状态为 {}，不能改为 {}", from.labels().0, to.labels().0),
                    format!(
                        "A membership that is {} cannot become {}",
                        from.code(),
                        to.code()
                    ),
                ),
            ));
        }
        audit::record(
            conn,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: match to {
                    Status::Approved => "membership.approved",
                    Status::Rejected => "membership.rejected",
                    _ => "membership.removed",
                },
                target_type: "membership",
                target_id: &membership.id,
                details: json!({"team_id": team_id, "volunteer_id": volunteer_id, "comment": comment}),
            },
        )?;
        get(conn, &membership.id)
    })
}

/// The volunteer leaves (or withdraws a pending application).
pub fn leave(conn: &mut DbConn, actor: &Actor, team_id: &str) -> ApiResult<()> {
    write_tx(conn, |conn| {
        find_team(conn, team_id)?;
        let volunteer_id = actor.volunteer_id.clone().ok_or_else(ApiError::not_found)?;
        let membership = find(conn, team_id, &volunteer_id)?.ok_or_else(ApiError::not_found)?;
        let from = membership.status;
        if !matches!(from, Status::Pending | Status::Approved)
            || !transition(
                conn,
                &membership,
                from,
                Status::Left,
                &actor.account_id,
                None,
            )?
        {
            return Err(ApiError::not_found());
        }
        Ok(())
    })
}

pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    team_id: &str,
    query: MemberQuery,
) -> ApiResult<Page<MembershipResponse>> {
    let page = page_request(query.page, query.per_page)?;
    find_team(conn, team_id)?;
    policy::authorize(conn, actor, Action::ManageTeam { team_id })?;
    let filtered = || {
        let mut q = memberships::table
            .filter(memberships::team_id.eq(team_id))
            .into_boxed();
        if let Some(status) = query.status {
            q = q.filter(memberships::status.eq(status.code()));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows: Vec<(Membership, String, String, Option<String>)> = filtered()
        .inner_join(volunteers::table.inner_join(accounts::table))
        .order((memberships::created_at.asc(), memberships::id.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select((
            Membership::as_select(),
            volunteers::real_name,
            volunteers::volunteer_number,
            accounts::mobile,
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(m, real_name, volunteer_number, mobile)| {
            MembershipResponse::new(
                m,
                Some(MemberSummary {
                    real_name,
                    volunteer_number,
                    mobile: mobile.as_deref().map(mask_mobile),
                }),
            )
        })
        .collect();
    Ok(Page::new(items, page, total))
}
