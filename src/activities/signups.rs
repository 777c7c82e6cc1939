//! Sign-ups: who may sign up (eligibility), signing up and cancelling, admins' decisions,
//! listings and the recount of seats. Seats and the waitlist themselves are `seats`.

use serde_json::json;

use super::dto::{SignupQuery, SignupResponse};
use super::model::{Activity, Signup};
use super::seats::{self, vacate};
use super::service::read as read_activity;
use super::store;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, PooledConn, Tx, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, Msg};
use crate::ids::check_id;
use crate::meta::enums::{ActivityStatus, SignupStatus as Status};
use crate::paging::Page;
use crate::paging::page_request;
use crate::rate_limit::{Limit, RateLimits};
use crate::time::{age_on, local_date};

/// The sign-up statuses that hold something (a request, a seat, a waitlist place).
const OPEN: [Status; 3] = [Status::Pending, Status::Confirmed, Status::Waitlisted];

/// A sign-up this transaction has just read or written.
pub(super) fn get(conn: &mut DbConn, id: &str) -> ApiResult<Signup> {
    store::find_signup(conn, id)?
        .ok_or_else(|| ApiError::internal("a sign-up vanished in its own transaction"))
}

fn conflict(code: &'static str, zh: &'static str, en: &'static str) -> ApiError {
    ApiError::conflict(code, Msg::new(zh, en))
}

/// The rules a volunteer must meet to sign up.
fn check_eligible(conn: &mut DbConn, a: &Activity, volunteer_id: &str) -> ApiResult<()> {
    if a.status != ActivityStatus::Published {
        return Err(conflict(
            "signup_closed",
            "活动未开放报名",
            "The activity is not open for sign-up",
        ));
    }
    if now() > a.signup_deadline {
        return Err(conflict(
            "signup_closed",
            "报名已截止",
            "The sign-up deadline has passed",
        ));
    }
    let volunteer = crate::volunteers::service::eligibility(conn, volunteer_id)?;
    if let Some(min_age) = a.min_age
        && age_on(volunteer.birth_date, local_date(a.starts_at)) < min_age
    {
        return Err(conflict(
            "below_min_age",
            "未达到活动的最低年龄",
            "The volunteer is below the activity's minimum age",
        ));
    }
    let has = volunteer.skills.as_slice();
    if a.required_skills
        .as_slice()
        .iter()
        .any(|s| !has.contains(s))
    {
        return Err(conflict(
            "missing_skills",
            "不具备活动要求的技能",
            "The volunteer lacks a skill the activity requires",
        ));
    }
    if store::overlaps_confirmed(conn, volunteer_id, a)? {
        return Err(conflict(
            "schedule_conflict",
            "与已确认的其他活动时间冲突",
            "It overlaps another activity the volunteer is confirmed for",
        ));
    }
    Ok(())
}

/// A volunteer signs up: confirmed while seats remain, else waitlisted; `pending` where the
/// activity requires approval. Sign-ups and cancellations of one activity are limited per
/// volunteer (429 past `ZHIYUAN_SIGNUP_CHANGES_PER_ACTIVITY` a day): flapping takes and frees
/// seats others wait for. A change counts when it commits.
pub fn sign_up(
    conn: &mut PooledConn,
    actor: &Actor,
    limits: &RateLimits,
    activity_id: &str,
) -> ApiResult<Signup> {
    let mut counted = None;
    let signed_up = write_tx(conn, |tx| {
        store::lock_activity(tx, activity_id)?;
        let a = read_activity(tx, Some(actor), activity_id)?;
        policy::authorize(tx, actor, Action::SignUp)?;
        let volunteer_id = actor.volunteer_id.clone().ok_or_else(ApiError::forbidden)?;
        let existing = store::signup_of(tx, activity_id, &volunteer_id, &[])?;
        if let Some(s) = &existing
            && s.status != Status::Cancelled
        {
            return Err(conflict(
                "already_signed_up",
                "已报名该活动",
                "Already signed up for this activity",
            ));
        }
        check_eligible(tx, &a, &volunteer_id)?;
        counted = Some(count_change(tx, limits, &volunteer_id, activity_id)?);
        let (status, position) = if a.requires_approval {
            (Status::Pending, None)
        } else if store::take_seat(tx, activity_id)? {
            (Status::Confirmed, None)
        } else {
            (
                Status::Waitlisted,
                Some(store::join_waitlist(tx, activity_id)?),
            )
        };
        let id = match existing {
            Some(s) => {
                store::renew_signup(tx, &s.id, status, position)?;
                s.id
            }
            None => {
                let id = new_id();
                store::insert_signup(tx, &id, activity_id, &volunteer_id, status, position)
                    .map_err(|e| match crate::db::unique_violation_target(&e) {
                        Some(_) => conflict(
                            "already_signed_up",
                            "已报名该活动",
                            "Already signed up for this activity",
                        ),
                        None => e.into(),
                    })?;
                id
            }
        };
        if status == Status::Confirmed {
            seats::announce_confirmed(tx, &id, activity_id, &volunteer_id);
        }
        get(tx, &id)
    });
    limits.settle(conn, counted, &signed_up);
    signed_up
}

/// The volunteer cancels; a freed seat goes to the first waitlisted. Counted as a change, as
/// sign-ups are.
pub fn cancel_own(
    conn: &mut PooledConn,
    actor: &Actor,
    limits: &RateLimits,
    activity_id: &str,
) -> ApiResult<()> {
    let mut counted = None;
    let cancelled = write_tx(conn, |tx| {
        store::lock_activity(tx, activity_id)?;
        read_activity(tx, Some(actor), activity_id)?;
        let volunteer_id = actor.volunteer_id.clone().ok_or_else(ApiError::not_found)?;
        let signup = store::signup_of(tx, activity_id, &volunteer_id, &OPEN)?
            .ok_or_else(ApiError::not_found)?;
        counted = Some(count_change(tx, limits, &volunteer_id, activity_id)?);
        vacate(tx, &signup, Status::Cancelled)
    });
    limits.settle(conn, counted, &cancelled);
    cancelled
}

/// Counts a sign-up change in the change's own transaction: taken back if it fails (see
/// [`RateLimits::settle`]).
fn count_change(
    tx: &mut Tx,
    limits: &RateLimits,
    volunteer_id: &str,
    activity_id: &str,
) -> ApiResult<crate::rate_limit::Counted> {
    let key = format!("{volunteer_id}/{activity_id}");
    limits.admit(tx.conn(), Limit::SignupChanges, &key)
}

/// An admin confirms a pending sign-up (within capacity) or rejects one.
pub fn decide(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    activity_id: &str,
    signup_id: &str,
    to: Status,
) -> ApiResult<Signup> {
    check_id("signup_id", signup_id)?;
    write_tx(conn, |tx| {
        store::lock_activity(tx, activity_id)?;
        let a = read_activity(tx, Some(actor), activity_id)?;
        policy::authorize(
            tx,
            actor,
            Action::ManageActivity {
                team_id: &a.team_id,
            },
        )?;
        let signup = store::find_signup_of_activity(tx, activity_id, signup_id)?
            .ok_or_else(ApiError::not_found)?;
        let from = signup.status;
        match (from, to) {
            (Status::Pending, Status::Confirmed) => {
                if !store::take_seat(tx, activity_id)? {
                    return Err(conflict("activity_full", "名额已满", "No seats are left"));
                }
                store::set_signup_status(tx, signup_id, Status::Confirmed, None)?;
                seats::announce_confirmed(tx, signup_id, activity_id, &signup.volunteer_id);
            }
            (Status::Pending | Status::Confirmed | Status::Waitlisted, Status::Rejected) => {
                vacate(tx, &signup, Status::Rejected)?;
            }
            (_, Status::Confirmed | Status::Rejected) => {
                return Err(ApiError::conflict(
                    "invalid_transition",
                    Msg::new(
                        format!("报名状态为{}，不能改为{}", from.labels().0, to.labels().0),
                        format!("A {} sign-up cannot become {}", from.code(), to.code()),
                    ),
                ));
            }
            _ => {
                return Err(ApiError::field(
                    "status",
                    "invalid_choice",
                    Msg::new(
                        "状态须为 confirmed 或 rejected",
                        "status must be confirmed or rejected",
                    ),
                ));
            }
        }
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: if to == Status::Confirmed {
                    "signup.confirmed"
                } else {
                    "signup.rejected"
                },
                target_type: "signup",
                target_id: signup_id,
                details: json!({"activity_id": activity_id, "volunteer_id": signup.volunteer_id, "from": from.code()}),
            },
        )?;
        get(tx, signup_id)
    })
}

pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    activity_id: &str,
    query: SignupQuery,
) -> ApiResult<Page<SignupResponse>> {
    let page = page_request(query.page, query.per_page)?;
    let a = read_activity(conn, Some(actor), activity_id)?;
    policy::authorize(
        conn,
        actor,
        Action::ManageActivity {
            team_id: &a.team_id,
        },
    )?;
    let (rows, total) = store::signups_page(
        conn,
        activity_id,
        query.status,
        page.per_page,
        page.offset(),
    )?;
    Ok(Page::new(
        rows.into_iter()
            .map(|s| SignupResponse::new(s, None))
            .collect(),
        page,
        total,
    ))
}

/// The caller's own sign-ups, soonest activity first, each with its activity's summary.
pub fn list_own(
    conn: &mut DbConn,
    actor: &Actor,
    query: SignupQuery,
) -> ApiResult<Page<SignupResponse>> {
    let page = page_request(query.page, query.per_page)?;
    let volunteer_id = actor.volunteer_id.clone().ok_or_else(ApiError::not_found)?;
    let (rows, total) = store::own_signups_page(
        conn,
        &volunteer_id,
        query.status,
        page.per_page,
        page.offset(),
    )?;
    Ok(Page::new(
        rows.into_iter()
            .map(|(s, a)| SignupResponse::new(s, Some(&a)))
            .collect(),
        page,
        total,
    ))
}

/// Recounts confirmed and waitlisted sign-ups of every activity and checks that waitlist
/// positions run 1..n; with `fix`, repairs counts and renumbers (keeping the order).
pub fn verify_counts(
    conn: &mut PooledConn,
    fix: bool,
) -> ApiResult<Vec<crate::hours::totals::Difference>> {
    use crate::hours::totals::Difference;
    write_tx(conn, |tx| {
        let stored = store::all_counts(tx)?;
        let active = store::active_signups(tx)?;
        let mut by_activity: std::collections::HashMap<&str, Vec<&Signup>> =
            std::collections::HashMap::new();
        for s in &active {
            by_activity
                .entry(s.activity_id.as_str())
                .or_default()
                .push(s);
        }
        let mut differences = Vec::new();
        for (activity_id, confirmed, waitlisted) in stored {
            let mine = by_activity.remove(activity_id.as_str()).unwrap_or_default();
            let want_confirmed = mine
                .iter()
                .filter(|s| s.status == Status::Confirmed)
                .count() as i64;
            let queue: Vec<&&Signup> = mine
                .iter()
                .filter(|s| s.status == Status::Waitlisted)
                .collect();
            let mut found = Vec::new();
            if i64::from(confirmed) != want_confirmed {
                found.push(Difference {
                    kind: "activity_confirmed",
                    id: activity_id.clone(),
                    year: None,
                    stored: confirmed.into(),
                    expected: want_confirmed,
                });
            }
            if i64::from(waitlisted) != queue.len() as i64 {
                found.push(Difference {
                    kind: "activity_waitlist",
                    id: activity_id.clone(),
                    year: None,
                    stored: waitlisted.into(),
                    expected: queue.len() as i64,
                });
            }
            let gap = queue
                .iter()
                .enumerate()
                .find(|(i, s)| s.position != Some(*i as i32 + 1));
            if let Some((i, s)) = gap {
                found.push(Difference {
                    kind: "activity_positions",
                    id: activity_id.clone(),
                    year: None,
                    stored: s.position.unwrap_or(0).into(),
                    expected: i as i64 + 1,
                });
            }
            if fix && !found.is_empty() {
                store::set_counts(tx, &activity_id, want_confirmed as i32, queue.len() as i32)?;
                for (i, s) in queue.iter().enumerate() {
                    store::set_signup_position(tx, &s.id, i as i32 + 1)?;
                }
            }
            differences.extend(found);
        }
        Ok(differences)
    })
}
