//! The only code that queries `files` and `file_links`: typed rows in, typed rows out, no rules.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{FileLink, StoredFile};
use crate::db::{DbConn, Tx};
use crate::schema::{file_links, files};

pub fn insert(tx: &mut Tx, row: &StoredFile) -> QueryResult<()> {
    diesel::insert_into(files::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<StoredFile>> {
    files::table
        .find(id)
        .select(StoredFile::as_select())
        .first(conn)
        .optional()
}

/// How many files an account uploaded since `since`.
pub fn uploads_since(
    conn: &mut DbConn,
    account_id: &str,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    files::table
        .filter(files::uploaded_by.eq(account_id))
        .filter(files::uploaded_at.ge(since))
        .count()
        .get_result(conn)
}

/// Of `ids`, those the account uploaded.
pub fn uploaded_by(
    conn: &mut DbConn,
    ids: &[String],
    account_id: &str,
) -> QueryResult<Vec<String>> {
    files::table
        .filter(files::id.eq_any(ids))
        .filter(files::uploaded_by.eq(account_id))
        .select(files::id)
        .load(conn)
}

/// The files linked to a subject.
pub fn linked_to(
    conn: &mut DbConn,
    subject_type: &str,
    subject_id: &str,
) -> QueryResult<Vec<String>> {
    file_links::table
        .filter(file_links::subject_type.eq(subject_type))
        .filter(file_links::subject_id.eq(subject_id))
        .select(file_links::file_id)
        .load(conn)
}

/// Makes `rows` the subject's links, replacing what it had.
pub fn replace_links(
    tx: &mut Tx,
    subject_type: &str,
    subject_id: &str,
    rows: &[FileLink],
) -> QueryResult<()> {
    diesel::delete(
        file_links::table
            .filter(file_links::subject_type.eq(subject_type))
            .filter(file_links::subject_id.eq(subject_id)),
    )
    .execute(tx.conn())?;
    for row in rows {
        diesel::insert_into(file_links::table)
            .values(row)
            .execute(tx.conn())?;
    }
    Ok(())
}

/// Makes a subject's files readable by anyone, or only by their organisation's admins.
pub fn set_public(
    tx: &mut Tx,
    subject_type: &str,
    subject_id: &str,
    public: bool,
) -> QueryResult<()> {
    diesel::update(
        file_links::table
            .filter(file_links::subject_type.eq(subject_type))
            .filter(file_links::subject_id.eq(subject_id)),
    )
    .set(file_links::public.eq(public))
    .execute(tx.conn())
    .map(drop)
}

/// Everything a file is attached to.
pub fn links_of(conn: &mut DbConn, file_id: &str) -> QueryResult<Vec<FileLink>> {
    file_links::table
        .filter(file_links::file_id.eq(file_id))
        .select(FileLink::as_select())
        .load(conn)
}
