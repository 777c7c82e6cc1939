//! Activities: creation and edits (checked whole by `rules::check`), the lifecycle, listing.

use serde_json::json;

use super::dto::{ActivityQuery, ActivityResponse, CreateActivityRequest, UpdateActivityRequest};
use super::model::Activity;
use super::store::{self, ActivityFilter, PublicReads, Visible};
use super::{rules, seats};
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, PooledConn, ReadConn, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg, check_version};
use crate::ids::check_id;
use crate::meta::enums::ActivityStatus as Status;
use crate::meta::enums::{ActivityCategory, ActivityStatus, WebhookEvent};
use crate::paging::Page;
use crate::paging::page_request;
use crate::validation::{contains_pattern, optional_town};

/// Titles of activities by id, for documents that name them (e.g. service-record proofs).
pub fn titles(
    conn: &mut DbConn,
    ids: &[String],
) -> ApiResult<std::collections::HashMap<String, String>> {
    let mut found = std::collections::HashMap::new();
    for chunk in ids.chunks(1000) {
        found.extend(store::titles(conn, chunk)?);
    }
    Ok(found)
}

/// Ids of an organisation's activities in a campaign that were published (the campaign
/// report's and statistics' "activities").
pub fn held_in_campaign(
    conn: &mut DbConn,
    campaign_id: &str,
    team_id: &str,
) -> ApiResult<Vec<String>> {
    Ok(store::held_in_campaign(conn, campaign_id, team_id)?)
}

/// The subtree's activities by status (statistics).
pub fn count_by_status(
    conn: &mut DbConn,
    ancestor_id: &str,
) -> ApiResult<Vec<(ActivityStatus, i64)>> {
    Ok(store::count_by_status(conn, ancestor_id)?)
}

/// The subtree's published or completed activities by category (statistics).
pub fn held_by_category(
    conn: &mut DbConn,
    ancestor_id: &str,
) -> ApiResult<Vec<(ActivityCategory, i64)>> {
    Ok(store::held_by_category(conn, ancestor_id)?)
}

/// A campaign's published or completed activities in the subtree by (organisation, town,
/// category) (statistics).
pub fn held_in_campaign_by(
    conn: &mut DbConn,
    campaign_id: &str,
    ancestor_id: &str,
) -> ApiResult<Vec<store::HeldCount>> {
    Ok(store::held_in_campaign_by(conn, campaign_id, ancestor_id)?)
}

/// Whether the volunteer checked out of the activity (attended it, as far as check-in knows).
pub fn checked_out(conn: &mut DbConn, activity_id: &str, volunteer_id: &str) -> ApiResult<bool> {
    Ok(store::checked_out(conn, activity_id, volunteer_id)?)
}

/// Of `ids` (well-formed ones), those of the organisation's activities.
pub fn of_team(conn: &mut DbConn, team_id: &str, ids: &[String]) -> ApiResult<Vec<String>> {
    Ok(store::of_team(conn, team_id, ids)?)
}

pub fn find(conn: &mut DbConn, id: &str) -> ApiResult<Activity> {
    check_id("id", id)?;
    store::find(conn, id)?.ok_or_else(ApiError::not_found)
}

fn not_found_field(field: &'static str) -> ApiError {
    ApiError::field(
        field,
        "not_found",
        Msg::new("引用的对象不存在", "No such object"),
    )
}

fn check_references(conn: &mut DbConn, a: &Activity) -> ApiResult<()> {
    if !crate::teams::service::exists(conn, &a.team_id)? {
        return Err(not_found_field("team_id"));
    }
    if let Some(c) = &a.campaign_id
        && !crate::campaigns::service::exists(conn, c)?
    {
        return Err(not_found_field("campaign_id"));
    }
    Ok(())
}

pub fn create(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    req: CreateActivityRequest,
) -> ApiResult<Activity> {
    let activity = rules::draft_from(req, new_id(), now());
    rules::check(&activity).into_result()?;
    write_tx(conn, |tx| {
        check_references(tx, &activity)?;
        policy::authorize(
            tx,
            actor,
            Action::ManageActivity {
                team_id: &activity.team_id,
            },
        )?;
        store::insert(tx, &activity)?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "activity.created",
                target_type: "activity",
                target_id: &activity.id,
                details: json!({"team_id": activity.team_id, "title": activity.title}),
            },
        )?;
        find(tx, &activity.id)
    })
}

pub fn read(conn: &mut DbConn, actor: Option<&Actor>, id: &str) -> ApiResult<Activity> {
    let a = find(conn, id)?;
    policy::may_see_activity(conn, actor, &a.team_id, a.status == Status::Draft)?;
    Ok(a)
}

/// [`read`] for public reads, outside any transaction (a [`ReadConn`], which a `Tx` does not
/// give): the activity comes from memory when its version is current.
pub fn read_current(
    conn: &mut ReadConn,
    reads: &PublicReads,
    actor: Option<&Actor>,
    id: &str,
) -> ApiResult<Activity> {
    check_id("id", id)?;
    let a = store::find_current(conn, reads, id)?.ok_or_else(ApiError::not_found)?;
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
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    expected_version: Option<i64>,
    req: UpdateActivityRequest,
) -> ApiResult<Activity> {
    write_tx(conn, |tx| {
        let current = managed(tx, actor, id)?;
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
        check_references(tx, &next)?;
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
        if !store::update_at_version(tx, &next, current.version)? {
            return Err(ApiError::precondition_failed());
        }
        if next.capacity > current.capacity {
            seats::promote(tx, id, next.capacity - current.confirmed_count)?;
        }
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "activity.updated",
                target_type: "activity",
                target_id: id,
                details: json!({"capacity": next.capacity, "starts_at": next.starts_at, "ends_at": next.ends_at}),
            },
        )?;
        find(tx, id)
    })
}

/// publish (draft → published), cancel (draft | published → cancelled), complete
/// (published → completed).
pub fn transition(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    to: Status,
) -> ApiResult<Activity> {
    write_tx(conn, |tx| {
        let a = managed(tx, actor, id)?;
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
        if !store::set_status_if(tx, id, from, to)? {
            return Err(ApiError::precondition_failed());
        }
        if to == Status::Cancelled {
            seats::cancel_all(tx, id)?;
        }
        if to == Status::Published {
            tx.emit(
                WebhookEvent::ActivityPublished,
                json!({"id": id, "team_id": a.team_id, "title": a.title, "starts_at": crate::time::to_utc(a.starts_at), "ends_at": crate::time::to_utc(a.ends_at)}),
            );
        }
        audit::record(
            tx,
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
        find(tx, id)
    })
}

/// Everything the count of an activity listing depends on, as the key its total is remembered
/// under (see `db::list_totals`); `None` when the total may not be remembered.
///
/// The query is taken apart without `..`: a filter added to `ActivityQuery` does not compile
/// until it is placed in the key or declared not to change the count, so a total can never be
/// reused for a different filter.
fn total_key(query: &ActivityQuery, draft_teams: Option<&[String]>) -> Option<String> {
    let ActivityQuery {
        team_id,
        campaign_id,
        category,
        town,
        status,
        from,
        to,
        q,
        has_seats,
        sort: _,
        page: _,
        per_page: _,
    } = query;
    // Remembered totals may depend only on the activities' own rows: not on seats, which
    // every sign-up changes, nor on the organisation tree (subtree filters, admins' drafts).
    if team_id.is_some() || has_seats.is_some() || draft_teams.is_some_and(|t| !t.is_empty()) {
        return None;
    }
    let q = q.as_deref().map(str::trim).filter(|t| !t.is_empty());
    Some(format!(
        "{:?}",
        (
            draft_teams.is_none(),
            campaign_id,
            category,
            town,
            status,
            from.map(|t| t.naive_utc()),
            to.map(|t| t.naive_utc()),
            q,
        )
    ))
}

pub fn list(
    conn: &mut ReadConn,
    reads: &PublicReads,
    actor: Option<&Actor>,
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
    let filter = ActivityFilter {
        visible: match &draft_teams {
            None => Visible::All,
            Some(ancestors) if ancestors.is_empty() => Visible::Published,
            Some(ancestors) => Visible::PublishedAndDraftsUnder(ancestors.clone()),
        },
        team_subtree: query.team_id.clone(),
        campaign_id: query.campaign_id.clone(),
        category: query.category,
        town,
        status: query.status,
        from: query.from.map(|t| t.naive_utc()),
        to: query.to.map(|t| t.naive_utc()),
        title_like: query
            .q
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(contains_pattern),
        has_seats: query.has_seats,
    };
    let key = total_key(&query, draft_teams.as_deref());
    let (rows, total) = store::public_page(
        conn,
        reads,
        &filter,
        key,
        descending,
        page.per_page,
        page.offset(),
    )?;
    Ok(Page::new(
        rows.into_iter().map(Into::into).collect(),
        page,
        total,
    ))
}

/// These activities as the public sees them, for the sync feed: (id, view) of those that exist
/// and are not drafts.
pub fn public_views(
    conn: &mut DbConn,
    ids: &[String],
) -> ApiResult<Vec<(String, ActivityResponse)>> {
    Ok(store::find_many(conn, ids)?
        .into_iter()
        .filter(|a| a.status != ActivityStatus::Draft)
        .map(|a| (a.id.clone(), a.into()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::extract::parse_query;

    fn key(query: &str, drafts: Option<&[String]>) -> Option<String> {
        total_key(&parse_query::<ActivityQuery>(query).unwrap(), drafts)
    }

    /// Two listings that differ in any filter never share a remembered total; paging and order
    /// do not change the count, and filters that depend on more than the rows are never
    /// remembered.
    #[test]
    fn the_total_key_tells_every_filter_apart() {
        let public: Option<&[String]> = Some(&[]);
        let base = "campaign_id=0192f5e4-7c1a-7b3e-9f00-1234567890ab&category=training\
                    &town=%E5%A4%A7%E6%B1%9F%E9%95%87&status=published\
                    &from=2026-03-01T00:00:00Z&to=2026-04-01T00:00:00Z&q=clean";
        let base_key = key(base, public).expect("rememberable");
        let changed = [
            "campaign_id=0192f5e4-7c1a-7b3e-9f00-1234567890ac",
            "category=other",
            "town=%E5%8F%B0%E5%9F%8E%E8%A1%97%E9%81%93",
            "status=completed",
            "from=2026-03-02T00:00:00Z",
            "to=2026-04-02T00:00:00Z",
            "q=cleaner",
        ];
        let mut keys = std::collections::HashSet::from([base_key.clone()]);
        for change in changed {
            let name = change.split('=').next().unwrap();
            let query: String = base
                .split('&')
                .map(|p| {
                    if p.starts_with(&format!("{name}=")) {
                        change
                    } else {
                        p
                    }
                })
                .collect::<Vec<_>>()
                .join("&");
            let k = key(&query, public).expect("rememberable");
            assert!(keys.insert(k), "{name} did not change the key");
        }
        // Each filter left out entirely is a different listing too.
        for name in [
            "campaign_id",
            "category",
            "town",
            "status",
            "from",
            "to",
            "q",
        ] {
            let query: String = base
                .split('&')
                .filter(|p| !p.starts_with(&format!("{name}=")))
                .collect::<Vec<_>>()
                .join("&");
            assert!(
                keys.insert(key(&query, public).unwrap()),
                "leaving out {name} did not change the key"
            );
        }
        // A federation admin's listing (drafts of all) is not the public one.
        assert!(keys.insert(key(base, None).unwrap()));
        // Paging and order do not change the count.
        assert_eq!(
            key(
                &format!("{base}&page=3&per_page=50&sort=-starts_at"),
                public
            ),
            Some(base_key)
        );
        // Counts that depend on seats or on the organisation tree are never remembered.
        assert_eq!(key(&format!("{base}&has_seats=true"), public), None);
        assert_eq!(
            key(
                &format!("{base}&team_id=0192f5e4-7c1a-7b3e-9f00-1234567890ab"),
                public
            ),
            None
        );
        let admin_of = ["0192f5e4-7c1a-7b3e-9f00-1234567890ab".to_owned()];
        assert_eq!(key(base, Some(&admin_of)), None);
    }
}
