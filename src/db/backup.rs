//! Backups of the SQLite database while the server runs, and restoring one.
//!
//! `backup` is `VACUUM INTO`: SQLite writes a consistent, compacted copy of the database as of
//! one read transaction, while other connections go on reading and writing (the same snapshot
//! the online backup API gives, without its page-by-page restarts under write load). The copy
//! is checked (`PRAGMA quick_check`) before it is reported done. On PostgreSQL, `pg_dump`
//! already does this properly; the command says how instead of doing it half.
//!
//! `restore` brings the backup up to this version's migrations (in a scratch copy), then
//! replaces every table's rows in one write transaction: the database is the backup's or,
//! if anything fails, unchanged. Restart the server afterwards (caches keyed by version would
//! otherwise meet versions that went back in time).

use std::path::Path;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel::sqlite::SqliteConnection;

use super::{DbConn, StartupError, run_migrations};

/// How to back up and restore PostgreSQL, for the command to print.
pub const POSTGRES_ADVICE: &str = "this database is PostgreSQL: back it up with pg_dump, which \
    takes a consistent snapshot while zhiyuan serves:\n  \
    pg_dump --format=custom --file=zhiyuan.dump \"$DATABASE_URL\"\n\
    and restore into an empty database with pg_restore:\n  \
    pg_restore --no-owner --dbname=\"$DATABASE_URL\" zhiyuan.dump\n\
    (or use your provider's snapshots / point-in-time recovery)";

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

fn failed(what: &str) -> impl Fn(diesel::result::Error) -> StartupError + '_ {
    move |e| StartupError(format!("{what}: {e}"))
}

/// Writes a consistent copy of the SQLite database to `to` (which must not exist yet) and
/// checks it; the copy's size in bytes.
pub fn backup(conn: &mut DbConn, to: &Path) -> Result<u64, StartupError> {
    let DbConn::Sqlite(c) = conn else {
        return Err(StartupError(POSTGRES_ADVICE.to_owned()));
    };
    if to.exists() {
        return Err(StartupError(format!(
            "{} exists already; back up to a new file",
            to.display()
        )));
    }
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(to.to_string_lossy().as_ref())
        .execute(c)
        .map_err(failed("the backup failed"))?;
    check(to)?;
    std::fs::metadata(to)
        .map(|m| m.len())
        .map_err(|e| StartupError(format!("cannot read {}: {e}", to.display())))
}

/// Opens a SQLite file and checks it is an intact database.
fn check(path: &Path) -> Result<SqliteConnection, StartupError> {
    let mut c = SqliteConnection::establish(&path.to_string_lossy())
        .map_err(|e| StartupError(format!("cannot open {}: {e}", path.display())))?;
    let verdict: Vec<Line> =
        diesel::sql_query("SELECT quick_check AS line FROM pragma_quick_check")
            .load(&mut c)
            .map_err(failed("the copy cannot be read as a database"))?;
    match verdict.as_slice() {
        [only] if only.line == "ok" => Ok(c),
        lines => Err(StartupError(format!(
            "{} is damaged: {}",
            path.display(),
            lines
                .iter()
                .map(|l| l.line.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ))),
    }
}

/// Replaces the database's content with the backup at `from` (SQLite); how many tables.
pub fn restore(conn: &mut DbConn, from: &Path) -> Result<usize, StartupError> {
    let DbConn::Sqlite(c) = conn else {
        return Err(StartupError(POSTGRES_ADVICE.to_owned()));
    };
    // Migrate a scratch copy, never the backup itself.
    let scratch_dir = tempfile::tempdir()
        .map_err(|e| StartupError(format!("cannot make a scratch directory: {e}")))?;
    let scratch = scratch_dir.path().join("restore.db");
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(scratch.to_string_lossy().as_ref())
        .execute(&mut check(from)?)
        .map_err(failed("cannot copy the backup"))?;
    let mut copy = DbConn::Sqlite(check(&scratch)?);
    run_migrations(&mut copy)?;
    drop(copy);

    let tables: Vec<Line> = diesel::sql_query(
        "SELECT name AS line FROM sqlite_schema WHERE type = 'table' \
         AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations' ORDER BY name",
    )
    .load(c)
    .map_err(failed("cannot list the tables"))?;
    // Rows go in table by table, so references are checked once at the end, not per row.
    c.batch_execute("PRAGMA foreign_keys = OFF")
        .map_err(failed("cannot prepare the restore"))?;
    diesel::sql_query("ATTACH DATABASE ? AS backup")
        .bind::<Text, _>(scratch.to_string_lossy().as_ref())
        .execute(c)
        .map_err(failed("cannot attach the backup"))?;
    let copied = c.immediate_transaction(|c| {
        for t in &tables {
            let name = t.line.replace('"', "\"\"");
            c.batch_execute(&format!(
                "DELETE FROM main.\"{name}\"; INSERT INTO main.\"{name}\" SELECT * FROM backup.\"{name}\";"
            ))?;
        }
        let broken: Vec<Line> =
            diesel::sql_query("SELECT \"table\" AS line FROM pragma_foreign_key_check")
                .load(c)?;
        if let Some(first) = broken.first() {
            return Err(diesel::result::Error::QueryBuilderError(
                format!("the backup's rows do not agree with each other (table {})", first.line)
                    .into(),
            ));
        }
        Ok(tables.len())
    });
    let detached = c.batch_execute("DETACH DATABASE backup; PRAGMA foreign_keys = ON");
    let copied = copied.map_err(failed("the restore failed, and the database is unchanged"))?;
    detached.map_err(failed("cannot detach the backup"))?;
    Ok(copied)
}
