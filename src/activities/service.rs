//! Activities: creation and edits (checked whole by `rules::check`), the lifecycle, listing.

use diesel::dsl::exists;
use diesel::prelude::*;
use serde_json::json;

use super::cache::{ActivityCache, Current};
use super::dto::{ActivityQuery, ActivityResponse, CreateActivityRequest, UpdateActivityRequest};
use super::model::Activity;
use super::{rules, signups};
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::list_totals::{self, ListTotals, Listed};
use crate::db::{DbConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::http::Page;
use crate::http::conditional::{check_version, precondition_failed};
use crate::http::ids::check_id;
use crate::http::pagination::page_request;
use crate::meta::enums::ActivityStatus as Status;
use crate::schema::{activities, campaigns, teams};
use crate::teams::scope::teams_under;
use crate::validation::{contains_pattern, optional_town};

pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<Activity> {
    check_id("id", id)?;
    // The public detail's one statement: see `on_backend!`.
    crate::on_backend!(conn, |c| {
        activities::table
            .find(id)
            .select(Activity::as_select())
            .first(c)
            .optional()
    })?
    .ok_or_else(ApiError::not_found)
}

fn not_found_field(field: &'static str) -> ApiError {
    ApiError::field(
        field,
        "not_found",
        Msg::new("引用的对象不存在", "No such object"),
    )
}

fn check_references(conn: &mut DbConn, a: &Activity) -> ApiResult<()> {
    let team_known = uuid::Uuid::try_parse(&a.team_id).is_ok()
        && diesel::select(exists(teams::table.find(&a.team_id))).get_result::<bool>(conn)?;
    if !team_known {
        return Err(not_found_field("team_id"));
    }
    if let Some(c) = &a.campaign_id {
        let known = uuid::Uuid::try_parse(c).is_ok()
            && diesel::select(exists(campaigns::table.find(c))).get_result::<bool>(conn)?;
        if !known {
            return Err(not_found_field("campaign_id"));
        }
    }
    Ok(())
}

pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    req: CreateActivityRequest,
) -> ApiResult<Activity> {
    let activity = rules::draft_from(req, new_id(), now());
    rules::check(&activity).into_result()?;
    write_tx(conn, |conn| {
        check_references(conn, &activity)?;
        policy::authorize(
            conn,
            actor,
            Action::ManageActivity {
                team_id: &activity.team_id,
            },
        )?;
        diesel::insert_into(activities::table)
            .values(&activity)
            .execute(conn)?;
        list_totals::bump(conn, Listed::Activities)?;
        audit::record(
            conn,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "activity.created",
                target_type: "activity",
                target_id: &activity.id,
                details: json!({"team_id": activity.team_id, "title": activity.title}),
            },
        )?;
        find(conn, &activity.id)
    })
}

pub fn read(conn: &mut DbConn, actor: Option<&Actor>, id: &str) -> ApiResult<Activity> {
    let a = find(conn, id)?;
    policy::may_see_activity(conn, actor, &a.team_id, a.status == Status::Draft)?;
    Ok(a)
}

/// [`read`] for public reads, outside any transaction: the activity comes from `cache` when
/// its version is current.
pub fn read_current(
    conn: &mut DbConn,
    cache: &ActivityCache,
    actor: Option<&Actor>,
    id: &str,
) -> ApiResult<Activity> {
    check_id("id", id)?;
    let current = crate::on_backend!(conn, |c| {
        activities::table
            .find(id)
            .select(Current::as_select())
            .first(c)
            .optional()
    })?
    .ok_or_else(ApiError::not_found)?;
    let a = cache
        .resolve(conn, vec![current])?
        .pop()
        .ok_or_else(ApiError::not_found)?;
    policy::may_see_activity(conn, actor, &a.team_id, a.status == Status::Draft)?;
    Ok(a)
}

/// Loads an activity the caller manages (drafts of others stay invisible: 404).
fn managed(conn: &mut DbConn, actor: &Actor, id: &str) -> ApiResult<Activity> {
    let a = read(conn, Some(actor), id)?;
    policy::authorize(
        conn,
        actor,
        Action::ManageActivity {
            team_id: &a.team_id,
        },
    )?;
    Ok(a)
}

pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    expected_version: Option<i64>,
    req: UpdateActivityRequest,
) -> ApiResult<Activity> {
    write_tx(conn, |conn| {
        let current = managed(conn, actor, id)?;
        check_version(expected_version, current.version)?;
        if matches!(
            Some(current.status),
            Some(Status::Completed | Status::Cancelled)
        ) {
            return Err(ApiError::conflict(
                "activity_closed",
                Msg::new(
                    "已结束或已取消的活动不能修改",
                    "A completed or cancelled activity cannot be edited",
                ),
            ));
        }
        let mut next = rules::edited(current.clone(), req);
        rules::check(&next).into_result()?;
        check_references(conn, &next)?;
        if next.capacity < current.confirmed_count {
            return Err(ApiError::conflict(
                "capacity_below_confirmed",
                Msg::new(
                    format!(
                        "已确认 {} 人，招募人数不能少于此数",
                        current.confirmed_count
                    ),
                    format!(
                        "{} volunteers are confirmed: capacity cannot go below that",
                        current.confirmed_count
                    ),
                ),
            ));
        }
        next.updated_at = now();
        next.version = current.version + 1;
        let updated = diesel::update(
            activities::table
                .find(id)
                .filter(activities::version.eq(current.version)),
        )
        .set(&next)
        .execute(conn)?;
        if updated != 1 {
            return Err(precondition_failed());
        }
        list_totals::bump(conn, Listed::Activities)?;
        if next.capacity > current.capacity {
            signups::promote(conn, id, next.capacity - current.confirmed_count)?;
        }
        audit::record(
            conn,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "activity.updated",
                target_type: "activity",
                target_id: id,
                details: json!({"capacity": next.capacity, "starts_at": next.starts_at, "ends_at": next.ends_at}),
            },
        )?;
        find(conn, id)
    })
}

/// publish (draft → published), cancel (draft | published → cancelled), complete
/// (published → completed).
pub fn transition(
    conn: &mut DbConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    to: Status,
) -> ApiResult<Activity> {
    write_tx(conn, |conn| {
        let a = managed(conn, actor, id)?;
        let from = a.status;
        let legal = matches!(
            (from, to),
            (Status::Draft, Status::Published)
                | (Status::Draft, Status::Cancelled)
                | (Status::Published, Status::Cancelled)
                | (Status::Published, Status::Completed)
        );
        if !legal {
            return Err(ApiError::conflict(
                "invalid_transition",
                Msg::new(
                    format!("活动状态为{}，不能改为{}", from.labels().0, to.labels().0),
                    format!("A {} activity cannot become {}", from.code(), to.code()),
                ),
            ));
        }
        if to == Status::Published && a.risky && a.insurance_policy.is_none() {
            return Err(ApiError::conflict(
                "insurance_required",
                Msg::new(
                    "有风险的活动须先登记意外保险才能发布",
                    "A risky activity needs its accident insurance recorded before publishing",
                ),
            ));
        }
        let changed = diesel::update(
            activities::table
                .find(id)
                .filter(activities::status.eq(from.code())),
        )
        .set((
            activities::status.eq(to.code()),
            activities::updated_at.eq(now()),
            activities::version.eq(activities::version + 1),
        ))
        .execute(conn)?;
        if changed != 1 {
            return Err(precondition_failed());
        }
        list_totals::bump(conn, Listed::Activities)?;
        if to == Status::Cancelled {
            signups::cancel_all(conn, id)?;
        }
        audit::record(
            conn,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: match to {
                    Status::Published => "activity.published",
                    Status::Cancelled => "activity.cancelled",
                    _ => "activity.completed",
                },
                target_type: "activity",
                target_id: id,
                details: json!({"from": from.code()}),
            },
        )?;
        find(conn, id)
    })
}

pub fn list(
    conn: &mut DbConn,
    actor: Option<&Actor>,
    totals: &ListTotals,
    cache: &ActivityCache,
    query: ActivityQuery,
) -> ApiResult<Page<ActivityResponse>> {
    let page = page_request(query.page, query.per_page)?;
    let mut errors = FieldErrors::default();
    let town = optional_town(&mut errors, "town", query.town.clone());
    let descending = match query.sort.as_deref() {
        None | Some("starts_at") => false,
        Some("-starts_at") => true,
        Some(_) => {
            errors.add(
                "sort",
                "invalid_choice",
                Msg::new(
                    "排序字段须为 starts_at 或 -starts_at",
                    "sort must be starts_at or -starts_at",
                ),
            );
            false
        }
    };
    errors.into_result()?;
    for (field, id) in [
        ("team_id", &query.team_id),
        ("campaign_id", &query.campaign_id),
    ] {
        if let Some(id) = id {
            check_id(field, id)?;
        }
    }
    // Drafts: federation admins see all, team admins those of their subtrees, others none.
    let draft_teams: Option<Vec<String>> = match actor {
        Some(a) if a.federation_admin => None,
        Some(a) => Some(a.admin_team_ids.clone()),
        None => Some(Vec::new()),
    };
    let filtered = || {
        let mut q = activities::table.into_boxed();
        q = match &draft_teams {
            None => q,
            Some(ancestors) if ancestors.is_empty() => {
                q.filter(activities::status.ne(Status::Draft.code()))
            }
            Some(ancestors) => q.filter(
                activities::status
                    .ne(Status::Draft.code())
                    .or(activities::team_id.eq_any(teams_under(ancestors.clone()))),
            ),
        };
        if let Some(team) = &query.team_id {
            q = q.filter(activities::team_id.eq_any(teams_under(vec![team.clone()])));
        }
        if let Some(c) = &query.campaign_id {
            q = q.filter(activities::campaign_id.eq(c.clone()));
        }
        if let Some(c) = query.category {
            q = q.filter(activities::category.eq(c.code()));
        }
        if let Some(t) = &town {
            q = q.filter(activities::town.eq(t.clone()));
        }
        if let Some(s) = query.status {
            q = q.filter(activities::status.eq(s.code()));
        }
        if let Some(from) = query.from {
            q = q.filter(activities::starts_at.ge(from.naive_utc()));
        }
        if let Some(to) = query.to {
            q = q.filter(activities::starts_at.lt(to.naive_utc()));
        }
        if let Some(text) = query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            q = q.filter(activities::title.like(contains_pattern(text)).escape('\\'));
        }
        match query.has_seats {
            Some(true) => q = q.filter(activities::confirmed_count.lt(activities::capacity)),
            Some(false) => q = q.filter(activities::confirmed_count.ge(activities::capacity)),
            None => {}
        }
        q
    };
    let count = |conn: &mut DbConn| filtered().count().get_result(conn);
    // Remembered totals may depend only on the activities' own rows (see `list_totals`): not
    // on seats, which every sign-up changes, nor on the organisation tree.
    let depends_on_rows_only = query.team_id.is_none()
        && query.has_seats.is_none()
        && draft_teams.as_ref().is_none_or(Vec::is_empty);
    let total: i64 = if depends_on_rows_only {
        let filters = format!(
            "drafts={} campaign={:?} category={:?} town={:?} status={:?} from={:?} to={:?} q={:?}",
            draft_teams.is_none(),
            query.campaign_id,
            query.category.map(|c| c.code()),
            town,
            query.status.map(|s| s.code()),
            query.from.map(|t| t.naive_utc()),
            query.to.map(|t| t.naive_utc()),
            query.q.as_deref().map(str::trim).filter(|t| !t.is_empty()),
        );
        totals.total(conn, Listed::Activities, filters, count)?
    } else {
        count(conn)?
    };
    let ordered = if descending {
        filtered().order((activities::starts_at.desc(), activities::id.desc()))
    } else {
        filtered().order((activities::starts_at.asc(), activities::id.asc()))
    };
    // Walking `activities_starts` in order finds the page directly; the rest of each row
    // comes from the cache.
    let paged = ordered.limit(page.per_page).offset(page.offset());
    let current: Vec<Current> = if let DbConn::Pg(_) = conn {
        // PostgreSQL reads the table row of every activity the OFFSET skips unless the scan
        // is index-only: the ids first, then those rows.
        let ids: Vec<String> = paged.select(activities::id).load(conn)?;
        let mut current: Vec<Current> = crate::on_backend!(conn, |c| {
            activities::table
                .filter(activities::id.eq_any(&ids))
                .select(Current::as_select())
                .load(c)
        })?;
        current.sort_by_key(|c| ids.iter().position(|id| *id == c.id));
        current
    } else {
        // SQLite defers each row's read until a column outside the index is needed.
        paged.select(Current::as_select()).load(conn)?
    };
    let rows = cache.resolve(conn, current)?;
    Ok(Page::new(
        rows.into_iter().map(Into::into).collect(),
        page,
        total,
    ))
}
