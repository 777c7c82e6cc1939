//! The only code that queries `posts`: typed rows in, typed rows out, no rules.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::Post;
use crate::db::{DbConn, Tx};
use crate::meta::enums::{PostKind, PostStatus};
use crate::schema::posts;

pub fn insert(tx: &mut Tx, row: &Post) -> QueryResult<()> {
    diesel::insert_into(posts::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Post>> {
    posts::table
        .find(id)
        .select(Post::as_select())
        .first(conn)
        .optional()
}

/// Experience posts a volunteer wrote since `since` (whatever became of them).
pub fn written_since(
    conn: &mut DbConn,
    volunteer_id: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    posts::table
        .filter(posts::volunteer_id.eq(volunteer_id))
        .filter(posts::created_at.ge(since))
        .count()
        .get_result(conn)
}

/// Moves a post from `from` to `to`; false if it was not in `from`.
pub fn set_status(
    tx: &mut Tx,
    id: &str,
    from: PostStatus,
    to: PostStatus,
    hidden: Option<(&str, &str, NaiveDateTime)>,
) -> QueryResult<bool> {
    let target = posts::table
        .filter(posts::id.eq(id))
        .filter(posts::status.eq(from));
    let changed = match hidden {
        Some((reason, by, at)) => diesel::update(target)
            .set((
                posts::status.eq(to),
                posts::hidden_reason.eq(reason),
                posts::hidden_by.eq(by),
                posts::hidden_at.eq(at),
            ))
            .execute(tx.conn())?,
        None => diesel::update(target)
            .set(posts::status.eq(to))
            .execute(tx.conn())?,
    };
    Ok(changed == 1)
}

pub struct FeedFilter {
    pub kind: Option<PostKind>,
    pub activity_id: Option<String>,
    pub team_id: Option<String>,
    pub campaign_id: Option<String>,
    pub volunteer_id: Option<String>,
}

/// Visible posts, newest first.
pub fn visible_page(
    conn: &mut DbConn,
    filter: &FeedFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Post>, i64)> {
    let filtered = || {
        let mut q = posts::table
            .filter(posts::status.eq(PostStatus::Visible))
            .into_boxed();
        if let Some(kind) = filter.kind {
            q = q.filter(posts::kind.eq(kind));
        }
        if let Some(id) = &filter.activity_id {
            q = q.filter(posts::activity_id.eq(id.clone()));
        }
        if let Some(id) = &filter.team_id {
            q = q.filter(posts::team_id.eq(id.clone()));
        }
        if let Some(id) = &filter.campaign_id {
            q = q.filter(posts::campaign_id.eq(id.clone()));
        }
        if let Some(id) = &filter.volunteer_id {
            q = q.filter(posts::volunteer_id.eq(id.clone()));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((posts::created_at.desc(), posts::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(Post::as_select())
        .load(conn)?;
    Ok((rows, total))
}
