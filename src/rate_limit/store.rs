//! The only code that queries `rate_limit_events`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::rate_limit_events as e;

pub fn insert(
    conn: &mut DbConn,
    id: &str,
    bucket: &str,
    subject: &str,
    at: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(e::table)
        .values((
            e::id.eq(id),
            e::bucket.eq(bucket),
            e::subject.eq(subject),
            e::at.eq(at),
        ))
        .execute(conn)
        .map(drop)
}

/// How many events the subject has since `since`.
pub fn count_since(
    conn: &mut DbConn,
    bucket: &str,
    subject: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    crate::on_backend!(conn, |c| {
        e::table
            .filter(e::bucket.eq(bucket))
            .filter(e::subject.eq(subject))
            .filter(e::at.gt(since))
            .count()
            .get_result(c)
    })
}

/// When the subject's `n`-th oldest event since `since` (counted from 0) was.
pub fn nth_since(
    conn: &mut DbConn,
    bucket: &str,
    subject: &str,
    since: NaiveDateTime,
    n: i64,
) -> QueryResult<Option<NaiveDateTime>> {
    e::table
        .filter(e::bucket.eq(bucket))
        .filter(e::subject.eq(subject))
        .filter(e::at.gt(since))
        .order(e::at.asc())
        .offset(n)
        .select(e::at)
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::delete(e::table.find(id)).execute(conn).map(drop)
}

pub fn delete_subject(conn: &mut DbConn, bucket: &str, subject: &str) -> QueryResult<()> {
    diesel::delete(
        e::table
            .filter(e::bucket.eq(bucket))
            .filter(e::subject.eq(subject)),
    )
    .execute(conn)
    .map(drop)
}

/// Forgets the bucket's events from before `before`; how many.
pub fn prune(conn: &mut DbConn, bucket: &str, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        e::table
            .filter(e::bucket.eq(bucket))
            .filter(e::at.lt(before)),
    )
    .execute(conn)
}
