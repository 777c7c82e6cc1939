//! Memberships: applications, admins' decisions, leaving. Each change is conditional on the
//! status it starts from (so two concurrent decisions cannot both apply), keeps the team's
//! member_count exact in the same transaction, and is recorded in membership_events.

use serde_json::json;

use super::dto::{
    AddMemberRequest, DecideMembershipRequest, MemberQuery, MemberSummary, MembershipResponse,
};
use super::model::Membership;
use super::service::find as find_team;
use super::store;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, PooledConn, Tx, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, Msg};
use crate::ids::check_id;
use crate::meta::enums::MembershipStatus as Status;
use crate::meta::enums::WebhookEvent;
use crate::paging::{Page, page_request, time_id_cursor, time_id_key};
use crate::volunteers::id_number::mask_mobile;

fn get(conn: &mut DbConn, id: &str) -> ApiResult<Membership> {
    store::membership_by_id(conn, id)?
        .ok_or_else(|| ApiError::internal("a membership vanished in its own transaction"))
}

/// Moves a membership from `from` to `to`, only if it is still in `from`; keeps member_count
/// and the history. Returns false when another request changed it first.
fn transition(
    tx: &mut Tx,
    membership: &Membership,
    from: Status,
    to: Status,
    actor_id: &str,
    comment: Option<&str>,
) -> ApiResult<bool> {
    let joined_at = if to == Status::Approved {
        Some(now())
    } else {
        membership.joined_at
    };
    if !store::set_membership_status(tx, membership, from, to, joined_at)? {
        return Ok(false);
    }
    adjust_member_count(
        tx,
        &membership.id,
        &membership.team_id,
        &membership.volunteer_id,
        from,
        to,
    )?;
    store::insert_membership_event(tx, &membership.id, Some(from), to, actor_id, comment)?;
    if to == Status::Approved {
        announce_approval(
            tx,
            &membership.id,
            &membership.team_id,
            &membership.volunteer_id,
        );
    }
    Ok(true)
}

/// The webhook event of a volunteer becoming an approved member.
fn announce_approval(tx: &mut Tx, membership_id: &str, team_id: &str, volunteer_id: &str) {
    tx.emit(
        WebhookEvent::MembershipApproved,
        json!({"id": membership_id, "team_id": team_id, "volunteer_id": volunteer_id}),
    );
}

/// Keeps member_count, certified_count for a member holding a certificate, and the distinct
/// members of every subtree the organisation is in, when a membership enters or leaves
/// `approved` (the row is locked by the change already, so its certified mark is current).
fn adjust_member_count(
    tx: &mut Tx,
    membership_id: &str,
    team_id: &str,
    volunteer_id: &str,
    from: Status,
    to: Status,
) -> ApiResult<()> {
    let delta = match (from == Status::Approved, to == Status::Approved) {
        (false, true) => 1,
        (true, false) => -1,
        _ => return Ok(()),
    };
    store::add_to_member_count(tx, team_id, delta)?;
    for ancestor in store::ancestors(tx, team_id)? {
        store::tally_subtree_member(tx, &ancestor, volunteer_id, delta)?;
    }
    if store::membership_certified(tx, membership_id)? {
        store::add_to_certified_count(tx, team_id, delta)?;
    }
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
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    team_id: &str,
    req: AddMemberRequest,
) -> ApiResult<Membership> {
    write_tx(conn, |tx| {
        find_team(tx, team_id)?;
        let self_apply = req.volunteer_id.is_none() || req.volunteer_id == actor.volunteer_id;
        let (volunteer_id, status) = if self_apply {
            policy::authorize(tx, actor, Action::ApplyToTeam)?;
            let own = actor.volunteer_id.clone().ok_or_else(ApiError::forbidden)?;
            // An admin enrolling themself is approved like anyone they add.
            let status = if policy::administers(tx, actor, team_id)? {
                Status::Approved
            } else {
                Status::Pending
            };
            (own, status)
        } else {
            policy::authorize(tx, actor, Action::ManageTeam { team_id })?;
            let id = req.volunteer_id.clone().unwrap_or_default();
            if !crate::volunteers::service::exists(tx, &id)? {
                return Err(ApiError::field(
                    "volunteer_id",
                    "not_found",
                    Msg::new("志愿者不存在", "The volunteer does not exist"),
                ));
            }
            (id, Status::Approved)
        };
        let membership = match store::membership(tx, team_id, &volunteer_id)? {
            Some(m) => {
                let from = m.status;
                if matches!(from, Status::Pending | Status::Approved) {
                    return Err(already_member());
                }
                if !transition(tx, &m, from, status, &actor.account_id, None)? {
                    return Err(already_member());
                }
                get(tx, &m.id)?
            }
            None => {
                let id = new_id();
                store::insert_membership(tx, &id, team_id, &volunteer_id, status).map_err(|e| {
                    if crate::db::unique_violation_target(&e).is_some() {
                        already_member()
                    } else {
                        e.into()
                    }
                })?;
                adjust_member_count(tx, &id, team_id, &volunteer_id, Status::Pending, status)?;
                store::insert_membership_event(tx, &id, None, status, &actor.account_id, None)?;
                if status == Status::Approved {
                    announce_approval(tx, &id, team_id, &volunteer_id);
                }
                get(tx, &id)?
            }
        };
        if status == Status::Approved {
            audit::record(
                tx,
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
    conn: &mut PooledConn,
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
    write_tx(conn, |tx| {
        find_team(tx, team_id)?;
        policy::authorize(tx, actor, Action::ManageTeam { team_id })?;
        let membership =
            store::membership(tx, team_id, volunteer_id)?.ok_or_else(ApiError::not_found)?;
        let from = membership.status;
        let legal = matches!(
            (from, to),
            (Status::Pending, Status::Approved)
                | (Status::Pending, Status::Rejected)
                | (Status::Approved, Status::Removed)
        );
        if !legal
            || !transition(
                tx,
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
            tx,
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
        get(tx, &membership.id)
    })
}

/// The volunteer leaves (or withdraws a pending application).
pub fn leave(conn: &mut PooledConn, actor: &Actor, team_id: &str) -> ApiResult<()> {
    write_tx(conn, |tx| {
        find_team(tx, team_id)?;
        let volunteer_id = actor.volunteer_id.clone().ok_or_else(ApiError::not_found)?;
        let membership =
            store::membership(tx, team_id, &volunteer_id)?.ok_or_else(ApiError::not_found)?;
        let from = membership.status;
        if !matches!(from, Status::Pending | Status::Approved)
            || !transition(tx, &membership, from, Status::Left, &actor.account_id, None)?
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
    let after = query.after.as_deref().map(time_id_key).transpose()?;
    find_team(conn, team_id)?;
    policy::authorize(conn, actor, Action::ManageTeam { team_id })?;
    let offset = if after.is_some() { 0 } else { page.offset() };
    let (rows, total) = store::members_page(
        conn,
        team_id,
        query.status,
        page.per_page + 1,
        offset,
        after.as_ref(),
    )?;
    Ok(Page::keyset(
        rows,
        page,
        total,
        |(m, ..)| time_id_cursor(&m.created_at, &m.id),
        |(m, real_name, volunteer_number, mobile)| {
            MembershipResponse::new(
                m,
                Some(MemberSummary {
                    real_name,
                    volunteer_number,
                    mobile: mobile.as_deref().map(mask_mobile),
                }),
            )
        },
    ))
}
