//! Sign-ups. Never more confirmed than capacity, whatever the concurrency: a seat is taken by
//! `UPDATE activities SET confirmed_count = confirmed_count + 1 WHERE … AND confirmed_count <
//! capacity` and its row count, inside the sign-up's transaction (a row lock on PostgreSQL,
//! the write lock on SQLite). Waitlist positions are renumbered in the same transaction.

use diesel::dsl::exists;
use diesel::prelude::*;
use serde_json::json;

use super::dto::{SignupQuery, SignupResponse};
use super::model::{Activity, Signup};
use super::rules::codes_from_json;
use super::service::read as read_activity;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, Msg};
use crate::http::Page;
use crate::http::ids::check_id;
use crate::http::pagination::page_request;
use crate::meta::enums::{ActivityStatus, SignupStatus as Status, Skill};
use crate::schema::{activities, signups, volunteers};
use crate::time::{age_on, local_date};

fn get(conn: &mut DbConn, id: &str) -> ApiResult<Signup> {
    Ok(signups::table
        .find(id)
        .select(Signup::as_select())
        .first(conn)?)
}

/// Takes a seat if one is left.
fn take_seat(conn: &mut DbConn, activity_id: &str) -> ApiResult<bool> {
    let n = diesel::update(
        activities::table
            .find(activity_id)
            .filter(activities::confirmed_count.lt(activities::capacity)),
    )
    .set(activities::confirmed_count.eq(activities::confirmed_count + 1))
    .execute(conn)?;
    Ok(n == 1)
}

fn release_seat(conn: &mut DbConn, activity_id: &str) -> ApiResult<()> {
    diesel::update(activities::table.find(activity_id))
        .set(activities::confirmed_count.eq(activities::confirmed_count - 1))
        .execute(conn)?;
    Ok(())
}

/// Appends to the waitlist; returns the position.
fn join_waitlist(conn: &mut DbConn, activity_id: &str) -> ApiResult<i32> {
    diesel::update(activities::table.find(activity_id))
        .set(activities::waitlist_count.eq(activities::waitlist_count + 1))
        .execute(conn)?;
    Ok(activities::table
        .find(activity_id)
        .select(activities::waitlist_count)
        .first(conn)?)
}

/// Takes `position` off the waitlist and closes the gap behind it.
fn leave_waitlist(conn: &mut DbConn, activity_id: &str, position: i32) -> ApiResult<()> {
    diesel::update(activities::table.find(activity_id))
        .set(activities::waitlist_count.eq(activities::waitlist_count - 1))
        .execute(conn)?;
    diesel::update(
        signups::table
            .filter(signups::activity_id.eq(activity_id))
            .filter(signups::status.eq(Status::Waitlisted.code()))
            .filter(signups::position.gt(position)),
    )
    .set(signups::position.eq(signups::position - 1))
    .execute(conn)?;
    Ok(())
}

/// Confirms waitlisted volunteers in order while seats remain, at most `seats` of them.
pub fn promote(conn: &mut DbConn, activity_id: &str, seats: i32) -> ApiResult<i32> {
    let mut promoted = 0;
    while promoted < seats {
        let Some(first) = signups::table
            .filter(signups::activity_id.eq(activity_id))
            .filter(signups::status.eq(Status::Waitlisted.code()))
            .order(signups::position.asc())
            .select(Signup::as_select())
            .first(conn)
            .optional()?
        else {
            break;
        };
        if !take_seat(conn, activity_id)? {
            break;
        }
        diesel::update(signups::table.find(&first.id))
            .set((
                signups::status.eq(Status::Confirmed.code()),
                signups::position.eq(None::<i32>),
                signups::updated_at.eq(now()),
            ))
            .execute(conn)?;
        leave_waitlist(conn, activity_id, first.position.unwrap_or(1))?;
        promoted += 1;
    }
    Ok(promoted)
}

/// Frees whatever the sign-up held (a seat, a waitlist place) and promotes into a freed seat.
fn vacate(conn: &mut DbConn, signup: &Signup, to: Status) -> ApiResult<()> {
    diesel::update(signups::table.find(&signup.id))
        .set((
            signups::status.eq(to.code()),
            signups::position.eq(None::<i32>),
            signups::updated_at.eq(now()),
        ))
        .execute(conn)?;
    match Some(signup.status) {
        Some(Status::Confirmed) => {
            release_seat(conn, &signup.activity_id)?;
            promote(conn, &signup.activity_id, 1)?;
        }
        Some(Status::Waitlisted) => {
            leave_waitlist(conn, &signup.activity_id, signup.position.unwrap_or(1))?
        }
        _ => {}
    }
    Ok(())
}

/// Cancelling an activity cancels its sign-ups.
pub fn cancel_all(conn: &mut DbConn, activity_id: &str) -> ApiResult<()> {
    diesel::update(
        signups::table
            .filter(signups::activity_id.eq(activity_id))
            .filter(signups::status.eq_any([
                Status::Pending.code(),
                Status::Confirmed.code(),
                Status::Waitlisted.code(),
            ])),
    )
    .set((
        signups::status.eq(Status::Cancelled.code()),
        signups::position.eq(None::<i32>),
        signups::updated_at.eq(now()),
    ))
    .execute(conn)?;
    diesel::update(activities::table.find(activity_id))
        .set((
            activities::confirmed_count.eq(0),
            activities::waitlist_count.eq(0),
        ))
        .execute(conn)?;
    Ok(())
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
    let (birth, skills): (chrono::NaiveDate, String) = volunteers::table
        .find(volunteer_id)
        .select((volunteers::birth_date, volunteers::skills))
        .first(conn)?;
    if let Some(min_age) = a.min_age
        && age_on(birth, local_date(a.starts_at)) < min_age
    {
        return Err(conflict(
            "below_min_age",
            "未达到活动的最低年龄",
            "The volunteer is below the activity's minimum age",
        ));
    }
    let has: Vec<Skill> = codes_from_json(&skills, Skill::from_code);
    if codes_from_json(&a.required_skills, Skill::from_code)
        .iter()
        .any(|s| !has.contains(s))
    {
        return Err(conflict(
            "missing_skills",
            "不具备活动要求的技能",
            "The volunteer lacks a skill the activity requires",
        ));
    }
    let overlapping: bool = diesel::select(exists(
        signups::table
            .inner_join(activities::table)
            .filter(signups::volunteer_id.eq(volunteer_id))
            .filter(signups::status.eq(Status::Confirmed.code()))
            .filter(activities::id.ne(&a.id))
            .filter(activities::status.eq(ActivityStatus::Published.code()))
            .filter(activities::starts_at.lt(a.ends_at))
            .filter(activities::ends_at.gt(a.starts_at)),
    ))
    .get_result(conn)?;
    if overlapping {
        return Err(conflict(
            "schedule_conflict",
            "与已确认的其他活动时间冲突",
            "It overlaps another activity the volunteer is confirmed for",
        ));
    }
    Ok(())
}

/// A volunteer signs up: confirmed while seats remain, else waitlisted; `pending` where the
/// activity requires approval.
pub fn sign_up(conn: &mut DbConn, actor: &Actor, activity_id: &str) -> ApiResult<Signup> {
    write_tx(conn, |conn| {
        let a = read_activity(conn, Some(actor), activity_id)?;
        policy::authorize(conn, actor, Action::SignUp)?;
        let volunteer_id = actor.volunteer_id.clone().ok_or_else(ApiError::forbidden)?;
        let existing = signups::table
            .filter(signups::activity_id.eq(activity_id))
            .filter(signups::volunteer_id.eq(&volunteer_id))
            .select(Signup::as_select())
            .first(conn)
            .optional()?;
        if let Some(s) = &existing
            && s.status != Status::Cancelled
        {
            return Err(conflict(
                "already_signed_up",
                "已报名该活动",
                "Already signed up for this activity",
            ));
        }
        check_eligible(conn, &a, &volunteer_id)?;
        let (status, position) = if a.requires_approval {
            (Status::Pending, None)
        } else if take_seat(conn, activity_id)? {
            (Status::Confirmed, None)
        } else {
            (Status::Waitlisted, Some(join_waitlist(conn, activity_id)?))
        };
        let at = now();
        let id = match existing {
            Some(s) => {
                diesel::update(signups::table.find(&s.id))
                    .set((
                        signups::status.eq(status.code()),
                        signups::position.eq(position),
                        signups::created_at.eq(at),
                        signups::updated_at.eq(at),
                    ))
                    .execute(conn)?;
                s.id
            }
            None => {
                let id = new_id();
                diesel::insert_into(signups::table)
                    .values((
                        signups::id.eq(&id),
                        signups::activity_id.eq(activity_id),
                        signups::volunteer_id.eq(&volunteer_id),
                        signups::status.eq(status.code()),
                        signups::position.eq(position),
                        signups::created_at.eq(at),
                        signups::updated_at.eq(at),
                    ))
                    .execute(conn)
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
        get(conn, &id)
    })
}

/// The volunteer cancels; a freed seat goes to the first waitlisted.
pub fn cancel_own(conn: &mut DbConn, actor: &Actor, activity_id: &str) -> ApiResult<()> {
    write_tx(conn, |conn| {
        read_activity(conn, Some(actor), activity_id)?;
        let volunteer_id = actor.volunteer_id.clone().ok_or_else(ApiError::not_found)?;
        let signup = signups::table
            .filter(signups::activity_id.eq(activity_id))
            .filter(signups::volunteer_id.eq(&volunteer_id))
            .filter(signups::status.eq_any([
                Status::Pending.code(),
                Status::Confirmed.code(),
                Status::Waitlisted.code(),
            ]))
            .select(Signup::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(ApiError::not_found)?;
        vacate(conn, &signup, Status::Cancelled)
    })
}

/// An admin confirms a pending sign-up (within capacity) or rejects one.
pub fn decide(
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    activity_id: &str,
    signup_id: &str,
    to: Status,
) -> ApiResult<Signup> {
    check_id("signup_id", signup_id)?;
    write_tx(conn, |conn| {
        let a = read_activity(conn, Some(actor), activity_id)?;
        policy::authorize(
            conn,
            actor,
            Action::ManageActivity {
                team_id: &a.team_id,
            },
        )?;
        let signup = signups::table
            .find(signup_id)
            .filter(signups::activity_id.eq(activity_id))
            .select(Signup::as_select())
            .first(conn)
            .optional()?
            .ok_or_else(ApiError::not_found)?;
        let from = signup.status;
        match (from, to) {
            (Status::Pending, Status::Confirmed) => {
                if !take_seat(conn, activity_id)? {
                    return Err(conflict("activity_full", "名额已满", "No seats are left"));
                }
                diesel::update(signups::table.find(signup_id))
                    .set((
                        signups::status.eq(Status::Confirmed.code()),
                        signups::updated_at.eq(now()),
                    ))
                    .execute(conn)?;
            }
            (Status::Pending | Status::Confirmed | Status::Waitlisted, Status::Rejected) => {
                vacate(conn, &signup, Status::Rejected)?;
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
            conn,
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
        get(conn, signup_id)
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
    let filtered = || {
        let mut q = signups::table
            .filter(signups::activity_id.eq(activity_id))
            .into_boxed();
        if let Some(s) = query.status {
            q = q.filter(signups::status.eq(s.code()));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows: Vec<Signup> = filtered()
        .order((
            signups::position.asc(),
            signups::created_at.asc(),
            signups::id.asc(),
        ))
        .limit(page.per_page)
        .offset(page.offset())
        .select(Signup::as_select())
        .load(conn)?;
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
    let filtered = || {
        let mut q = signups::table
            .inner_join(activities::table)
            .filter(signups::volunteer_id.eq(volunteer_id.clone()))
            .into_boxed();
        if let Some(s) = query.status {
            q = q.filter(signups::status.eq(s.code()));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows: Vec<(Signup, Activity)> = filtered()
        .order((activities::starts_at.asc(), signups::id.asc()))
        .limit(page.per_page)
        .offset(page.offset())
        .select((Signup::as_select(), Activity::as_select()))
        .load(conn)?;
    Ok(Page::new(
        rows.into_iter()
            .map(|(s, a)| SignupResponse::new(s, Some(&a)))
            .collect(),
        page,
        total,
    ))
}

/// (activity id, sign-up id, status, position) of a confirmed or waitlisted sign-up.
type ActiveSignup = (String, String, String, Option<i32>);

/// Recounts confirmed and waitlisted sign-ups of every activity and checks that waitlist
/// positions run 1..n; with `fix`, repairs counts and renumbers (keeping the order).
pub fn verify_counts(
    conn: &mut DbConn,
    fix: bool,
) -> ApiResult<Vec<crate::hours::totals::Difference>> {
    use crate::hours::totals::Difference;
    write_tx(conn, |conn| {
        let stored: Vec<(String, i32, i32)> = activities::table
            .select((
                activities::id,
                activities::confirmed_count,
                activities::waitlist_count,
            ))
            .load(conn)?;
        let active: Vec<ActiveSignup> = signups::table
            .filter(signups::status.eq_any([Status::Confirmed.code(), Status::Waitlisted.code()]))
            .order((
                signups::activity_id.asc(),
                signups::position.asc(),
                signups::created_at.asc(),
            ))
            .select((
                signups::activity_id,
                signups::id,
                signups::status,
                signups::position,
            ))
            .load(conn)?;
        let mut by_activity: std::collections::HashMap<&str, Vec<&ActiveSignup>> =
            std::collections::HashMap::new();
        for s in &active {
            by_activity.entry(s.0.as_str()).or_default().push(s);
        }
        let mut differences = Vec::new();
        for (activity_id, confirmed, waitlisted) in stored {
            let mine = by_activity.remove(activity_id.as_str()).unwrap_or_default();
            let want_confirmed = mine
                .iter()
                .filter(|s| s.2 == Status::Confirmed.code())
                .count() as i64;
            let queue: Vec<&&(String, String, String, Option<i32>)> = mine
                .iter()
                .filter(|s| s.2 == Status::Waitlisted.code())
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
                .find(|(i, s)| s.3 != Some(*i as i32 + 1));
            if let Some((i, s)) = gap {
                found.push(Difference {
                    kind: "activity_positions",
                    id: activity_id.clone(),
                    year: None,
                    stored: s.3.unwrap_or(0).into(),
                    expected: i as i64 + 1,
                });
            }
            if fix && !found.is_empty() {
                diesel::update(activities::table.find(&activity_id))
                    .set((
                        activities::confirmed_count.eq(want_confirmed as i32),
                        activities::waitlist_count.eq(queue.len() as i32),
                    ))
                    .execute(conn)?;
                for (i, s) in queue.iter().enumerate() {
                    diesel::update(signups::table.find(&s.1))
                        .set(signups::position.eq(i as i32 + 1))
                        .execute(conn)?;
                }
            }
            differences.extend(found);
        }
        Ok(differences)
    })
}
