//! Sync rules: only platform clients holding `sync:read` read the feeds; a page is the feed's
//! next changes after the cursor, each shown as the item is now (masked as organisation
//! admins see it) or as a tombstone when a copy must drop it; the cursor is opaque and names
//! its feed.

use std::collections::HashMap;

use super::dto::{DEFAULT_LIMIT, MAX_LIMIT, SyncItem, SyncOp, SyncPage, SyncQuery, SyncType};
use crate::activities::dto::ActivityResponse;
use crate::activities::service as activities;
use crate::auth::policy::{self, Action, Actor};
use crate::db::DbConn;
use crate::db::changes::{self, Feed};
use crate::error::{ApiError, ApiResult, Msg};
use crate::hours::dto::ServiceRecordResponse;
use crate::hours::service as hours;
use crate::hours::stars::StarLevels;
use crate::paging::{decode_cursor, encode_cursor};
use crate::teams::dto::TeamWithMembers;
use crate::teams::service as teams;
use crate::volunteers::dto::VolunteerResponse;
use crate::volunteers::service as volunteers;

/// Volunteers: registrations, profile changes, hours totals and certified star levels.
pub fn volunteers(
    conn: &mut DbConn,
    stars: &StarLevels,
    actor: &Actor,
    query: &SyncQuery,
) -> ApiResult<SyncPage<VolunteerResponse>> {
    page(
        conn,
        actor,
        Feed::Volunteers,
        SyncType::Volunteer,
        query,
        |conn, ids| volunteers::admin_views(conn, stars, ids),
    )
}

/// Organisations with their approved members: a member removal is an upsert of the list.
pub fn teams(
    conn: &mut DbConn,
    actor: &Actor,
    query: &SyncQuery,
) -> ApiResult<SyncPage<TeamWithMembers>> {
    page(
        conn,
        actor,
        Feed::Teams,
        SyncType::Team,
        query,
        teams::with_members,
    )
}

/// Activities once published (a draft is a tombstone: nothing a copy may hold).
pub fn activities(
    conn: &mut DbConn,
    actor: &Actor,
    query: &SyncQuery,
) -> ApiResult<SyncPage<ActivityResponse>> {
    page(
        conn,
        actor,
        Feed::Activities,
        SyncType::Activity,
        query,
        activities::public_views,
    )
}

/// Service records; one that stops counting (rejected, or replaced by a correction) is a
/// tombstone.
pub fn service_records(
    conn: &mut DbConn,
    actor: &Actor,
    query: &SyncQuery,
) -> ApiResult<SyncPage<ServiceRecordResponse>> {
    page(
        conn,
        actor,
        Feed::ServiceRecords,
        SyncType::ServiceRecord,
        query,
        hours::counting_records,
    )
}

/// The feed's next changes: `load` gives the items a copy may hold, by id; any other changed
/// item is a tombstone.
fn page<T>(
    conn: &mut DbConn,
    actor: &Actor,
    feed: Feed,
    item_type: SyncType,
    query: &SyncQuery,
    load: impl FnOnce(&mut DbConn, &[String]) -> ApiResult<Vec<(String, T)>>,
) -> ApiResult<SyncPage<T>> {
    policy::authorize(conn, actor, Action::ReadSyncFeed)?;
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::field(
            "limit",
            "out_of_range",
            Msg::new(
                "limit 须在 1 到 1000 之间",
                "limit must be between 1 and 1000",
            ),
        ));
    }
    let after = match query.cursor.as_deref() {
        Some(cursor) => position(feed, cursor)?,
        None => 0,
    };
    let changed = changes::since(conn, feed, after, limit)?;
    let ids: Vec<String> = changed.iter().map(|(_, id)| id.clone()).collect();
    let mut current: HashMap<String, T> = load(conn, &ids)?.into_iter().collect();
    let next = changed.last().map_or(after, |(seq, _)| *seq);
    let items = changed
        .into_iter()
        .map(|(seq, id)| {
            let data = current.remove(&id);
            SyncItem {
                seq,
                op: if data.is_some() {
                    SyncOp::Upsert
                } else {
                    SyncOp::Delete
                },
                item_type,
                id,
                data,
            }
        })
        .collect();
    Ok(SyncPage {
        items,
        next_cursor: cursor(feed, next),
    })
}

/// A position in a feed, opaque to clients: base64url of the feed's name and the number.
fn cursor(feed: Feed, seq: i64) -> String {
    encode_cursor(&[feed.name().to_owned(), seq.to_string()])
}

fn position(feed: Feed, cursor: &str) -> ApiResult<i64> {
    let bad = || {
        ApiError::field(
            "cursor",
            "invalid",
            Msg::new(
                "cursor 须为本同步接口返回的 next_cursor",
                "cursor must be a next_cursor this feed returned",
            ),
        )
    };
    let parts = decode_cursor(cursor, 2).map_err(|_| bad())?;
    match (parts[0] == feed.name(), parts[1].parse::<i64>()) {
        (true, Ok(seq)) if seq >= 0 => Ok(seq),
        _ => Err(bad()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_name_their_feed() {
        let c = cursor(Feed::Teams, 42);
        assert_eq!(position(Feed::Teams, &c).unwrap(), 42);
        assert!(position(Feed::Volunteers, &c).is_err());
        assert!(position(Feed::Teams, "not-a-cursor").is_err());
        assert!(position(Feed::Teams, &encode_cursor(&["teams".into(), "-1".into()])).is_err());
    }
}
