//! The database layer: one connection type over PostgreSQL and SQLite, the pool, per-connection
//! SQLite settings, embedded migrations and the write-transaction helper every service uses.

use std::path::{Path, PathBuf};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, MultiConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub mod backup;
pub mod changes;
pub mod list_totals;
pub mod outbox;
mod readers;
pub mod recount;
pub use readers::ThreadReaders;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// A connection to whichever backend the URL names. Services take `&mut DbConn` and stay
/// backend-agnostic; the rare backend-specific statement matches on the variant.
#[derive(MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection inside a [`DbConn`].
///
/// `MultiConnection` renders a statement's SQL anew every time it runs (once to ask whether it
/// may be cached, once more to collect its binds), which on a one-row look-up costs more than
/// the look-up. On the concrete connection a statement without dynamic parts is found in the
/// statement cache by its type alone. Worth it on the hottest statements only.
#[macro_export]
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Pg($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}

pub type Pool = r2d2::Pool<DbManager>;
/// A connection of the pool, lent to one request: the only kind that may begin a write
/// transaction ([`write_tx`]).
pub type PooledConn = r2d2::PooledConnection<DbManager>;

/// A connection lent for reading outside any transaction ([`crate::state::AppState::read`]):
/// the only kind the public-read caches may be filled from, since a version seen inside a
/// transaction that later rolls back could name other content. A [`Tx`] does not give one.
pub struct ReadConn<'c>(&'c mut DbConn);

impl<'c> ReadConn<'c> {
    /// For the composition root, which lends connections to requests, and tests.
    pub fn lend(conn: &'c mut DbConn) -> ReadConn<'c> {
        ReadConn(conn)
    }
}

impl std::ops::Deref for ReadConn<'_> {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        self.0
    }
}

impl std::ops::DerefMut for ReadConn<'_> {
    fn deref_mut(&mut self) -> &mut DbConn {
        self.0
    }
}

/// Which backend a URL names. Chosen from the scheme only: a PostgreSQL URL never falls back
/// to a new SQLite file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite { path: PathBuf },
}

impl Backend {
    /// The backend of a `DATABASE_URL`, or why the URL names none.
    pub fn from_url(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Backend::Postgres);
        }
        if let Some(rest) = url.strip_prefix("sqlite:") {
            // sqlite://relative/path, sqlite:///absolute/path and sqlite:path all name a file.
            let path = rest.strip_prefix("//").unwrap_or(rest);
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path == ":memory:" {
                return Err(
                    "DATABASE_URL: SQLite needs a file path (sqlite://data/zhiyuan.db); \
                     an in-memory database cannot be shared by the pool"
                        .to_owned(),
                );
            }
            return Ok(Backend::Sqlite {
                path: PathBuf::from(path),
            });
        }
        let scheme = url.split(':').next().unwrap_or_default();
        Err(format!(
            "DATABASE_URL has the unsupported scheme {scheme:?}: use postgres://… or sqlite://path"
        ))
    }

    pub fn name(&self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite { .. } => "sqlite",
        }
    }
}

/// r2d2 manager that establishes exactly the configured backend and applies the SQLite
/// settings to every new connection.
#[derive(Debug, Clone)]
pub struct DbManager {
    backend: Backend,
    url: String,
}

impl DbManager {
    pub fn new(backend: Backend, url: &str) -> Self {
        let url = match backend {
            // Without a connect timeout an unreachable host can hold a request far longer than
            // the pool timeout; two seconds keeps /readyz and 503s prompt.
            Backend::Postgres if !url.contains("connect_timeout") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}connect_timeout=2")
            }
            _ => url.to_owned(),
        };
        DbManager { backend, url }
    }
}

const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; \
     PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";

impl ManageConnection for DbManager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match &self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(DbConn::Pg)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite { path } => {
                let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                    .map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        match conn {
            DbConn::Pg(c) => c.ping(),
            DbConn::Sqlite(c) => c.ping(),
        }
        .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        std::thread::panicking()
            || match conn {
                DbConn::Pg(c) => c.is_broken(),
                DbConn::Sqlite(c) => c.is_broken(),
            }
    }
}

/// Why the database could not be opened at start, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartupError(pub String);

/// Opens the pool and runs pending migrations. Fails with one clear sentence when the data
/// directory is unwritable or PostgreSQL is unreachable.
pub fn connect(
    backend: &Backend,
    url: &str,
    max_size: u32,
    timeout: Duration,
) -> Result<Pool, StartupError> {
    if let Backend::Sqlite { path } = backend {
        ensure_parent_dir(path)?;
    }
    let manager = DbManager::new(backend.clone(), url);
    // Establish one connection by hand first: r2d2 would only say "timed out".
    let mut first = manager.connect().map_err(|e| match backend {
        Backend::Postgres => StartupError(format!(
            "cannot connect to PostgreSQL at DATABASE_URL ({}): {}",
            redact_url(url),
            one_line(&e.to_string())
        )),
        Backend::Sqlite { path } => StartupError(format!(
            "cannot open the SQLite database {}: {}",
            path.display(),
            one_line(&e.to_string())
        )),
    })?;
    run_migrations(&mut first)?;
    unlog_counters(&mut first)?;
    drop(first);
    r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .connection_timeout(timeout)
        // A connection broken by a database outage is noticed and replaced on checkout.
        .test_on_check_out(true)
        .build(manager)
        .map_err(|e| StartupError(format!("cannot open the database pool: {e}")))
}

pub fn run_migrations(conn: &mut DbConn) -> Result<(), StartupError> {
    let result = match conn {
        DbConn::Pg(c) => c.run_pending_migrations(MIGRATIONS).map(|_| ()),
        DbConn::Sqlite(c) => c.run_pending_migrations(MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| StartupError(format!("database migration failed: {e}")))
}

/// On PostgreSQL, rate-limit events live in an unlogged table: losing the last counts in a
/// crash is harmless, and a counted request then costs no WAL flush. (Migrations are portable
/// SQL, so this one PostgreSQL-only step runs here, once: a table already unlogged is left.)
fn unlog_counters(conn: &mut DbConn) -> Result<(), StartupError> {
    if let DbConn::Pg(c) = conn {
        diesel::RunQueryDsl::execute(
            diesel::sql_query(
                "DO $$ BEGIN
               IF EXISTS (SELECT 1 FROM pg_class WHERE oid = 'rate_limit_events'::regclass
                          AND relpersistence = 'p') THEN
                 ALTER TABLE rate_limit_events SET UNLOGGED;
               END IF;
             END $$",
            ),
            c,
        )
        .map_err(|e| StartupError(format!("cannot set up rate-limit counting: {e}")))?;
    }
    Ok(())
}

fn ensure_parent_dir(path: &Path) -> Result<(), StartupError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| {
        StartupError(format!(
            "cannot create the database directory {}: {e}; make it writable or set DATABASE_URL",
            dir.display()
        ))
    })
}

/// Keeps passwords out of log lines.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s && url[s + 3..at].contains(':') => {
            let user = url[s + 3..at].split(':').next().unwrap_or_default();
            format!("{}{}:***{}", &url[..s + 3], user, &url[at..])
        }
        _ => url.to_owned(),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The queue of this process's SQLite writers. SQLite admits one writer at a time, and a writer
/// that finds the lock taken waits in SQLite's busy handler, which sleeps between tries: in a
/// burst of sign-ups some waited 0.7 s while the lock sat free. Queued on a mutex, the next
/// writer starts the moment the last one commits. Writers in other processes are still kept
/// out by SQLite's own lock. One queue for every SQLite file: a server opens one; the tests,
/// which open many, only serialize short writes. (`write_tx` does not nest: SQLite refuses a
/// second BEGIN, so the lock is never taken twice by one thread.)
static SQLITE_WRITERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// An open write transaction. Only [`write_tx`] makes one, and store functions that write take
/// one, so a write outside a transaction does not compile. It lends out its connection for
/// reads and queries but never the pooled connection `write_tx` needs, so transactions cannot
/// nest either.
pub struct Tx<'c> {
    conn: &'c mut DbConn,
    /// Items of the sync feeds this transaction changed (see [`changes`]).
    changed: &'c mut changes::Pending,
}

impl Tx<'_> {
    /// The connection inside the transaction, for the statements of a store function.
    pub fn conn(&mut self) -> &mut DbConn {
        self.conn
    }

    /// Says that this transaction changes `id` of `feed`: it gets the feed's next number when
    /// the transaction commits (see [`changes`]). Stores call it beside the write.
    pub fn changed(&mut self, feed: changes::Feed, id: &str) {
        self.changed.add(feed, id);
    }

    /// Emits a webhook event of this transaction: written to the outbox as it commits (see
    /// [`outbox`]), delivered after. Services call it beside the change it tells of.
    pub fn emit(&mut self, event: crate::meta::enums::WebhookEvent, data: serde_json::Value) {
        self.changed.events.push(outbox::Emitted { event, data });
    }

    /// Runs `f` in a savepoint of this transaction: on an error only `f`'s writes are undone
    /// and the transaction goes on (one item of a batch may fail without failing the batch).
    pub fn savepoint<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Tx<'_>) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        let mark = self.changed.mark();
        let changed = &mut *self.changed;
        let result = self.conn.transaction(|conn| f(&mut Tx { conn, changed }));
        if result.is_err() {
            self.changed.rewind(&mark);
        }
        result
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = DbConn;
    fn deref(&self) -> &DbConn {
        self.conn
    }
}

impl std::ops::DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut DbConn {
        self.conn
    }
}

/// Runs `f` in a write transaction on a pooled connection (a per-thread read-only connection
/// cannot write, and a [`Tx`] cannot begin another). On SQLite it begins `IMMEDIATE`, so two
/// writers queue on the write lock instead of failing when a read lock would have to be
/// upgraded. Work joined to this thread's transactions (see [`joined`]) runs first inside it.
pub fn write_tx<T, E, F>(pooled: &mut PooledConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut Tx<'_>) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let joined = JOINED.with(|j| j.borrow().clone());
    let work = |tx: &mut Tx<'_>| -> Result<T, E> {
        if let Some(joined) = &joined {
            joined.begin(tx)?;
        }
        let value = f(tx)?;
        // Last, so the feeds' counters are locked only from here to the commit.
        let changed = std::mem::take(tx.changed);
        outbox::write(tx, &changed.events)?;
        changes::write(tx, &changed)?;
        Ok(value)
    };
    let conn: &mut DbConn = pooled;
    let mut changed = changes::Pending::default();
    let result = match conn {
        DbConn::Pg(_) => conn.transaction(|conn| {
            work(&mut Tx {
                conn,
                changed: &mut changed,
            })
        }),
        DbConn::Sqlite(_) => {
            let _turn = SQLITE_WRITERS.lock().unwrap_or_else(|e| e.into_inner());
            sqlite_immediate(conn, &mut changed, work)
        }
    };
    if let Some(joined) = &joined {
        joined.end(result.is_ok());
    }
    result
}

fn sqlite_immediate<T, E, F>(
    conn: &mut DbConn,
    changed: &mut changes::Pending,
    f: F,
) -> Result<T, E>
where
    F: FnOnce(&mut Tx<'_>) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let DbConn::Sqlite(sqlite) = conn else {
        unreachable!("called for SQLite connections only")
    };
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    let result = f(&mut Tx { conn, changed });
    let DbConn::Sqlite(sqlite) = conn else {
        unreachable!("the connection's backend does not change inside a transaction")
    };
    match result {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite)?;
            Ok(value)
        }
        Err(e) => {
            // The original error matters more than a failed rollback; a broken connection is
            // discarded by the pool.
            let _ = AnsiTransactionManager::rollback_transaction(sqlite);
            Err(e)
        }
    }
}

/// Work that must commit or roll back with a request's own writes (the Idempotency-Key's
/// record of the request): [`write_tx`] runs it first in every transaction begun on this
/// thread inside [`joined`], and says how the transaction ended.
pub trait JoinsTransactions: Send + Sync {
    /// Runs first inside the transaction; an error rolls the transaction back.
    fn begin(&self, tx: &mut Tx<'_>) -> diesel::QueryResult<()>;
    /// The transaction committed (`true`) or rolled back.
    fn end(&self, committed: bool);
}

thread_local! {
    static JOINED: std::cell::RefCell<Option<std::sync::Arc<dyn JoinsTransactions>>> =
        const { std::cell::RefCell::new(None) };
}

/// Runs `f` with `work` joined to the write transactions it begins on this thread.
pub fn joined<T>(work: Option<std::sync::Arc<dyn JoinsTransactions>>, f: impl FnOnce() -> T) -> T {
    if work.is_none() {
        return f();
    }
    let previous = JOINED.with(|j| j.replace(work));
    // Restored also when `f` panics, so that the blocking thread's next job starts clean.
    struct Restore(Option<std::sync::Arc<dyn JoinsTransactions>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            JOINED.with(|j| *j.borrow_mut() = self.0.take());
        }
    }
    let _restore = Restore(previous);
    f()
}

/// `SUM(<column>)` as a BIGINT on both backends (PostgreSQL widens a BIGINT sum to NUMERIC),
/// NULL over no rows: the total read from a table of counts. `column` is a constant.
pub fn sum_of(
    column: &'static str,
) -> diesel::expression::SqlLiteral<diesel::sql_types::Nullable<diesel::sql_types::BigInt>> {
    diesel::dsl::sql(&format!("CAST(SUM({column}) AS BIGINT)"))
}

/// A fresh application-made id: UUIDv7, time-ordered and not guessable.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Current time as stored (UTC, microseconds: what both backends keep).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    chrono::Timelike::with_nanosecond(&now, now.and_utc().timestamp_subsec_micros() * 1000)
        .unwrap_or(now)
}

/// For a unique violation, the constraint or `table.column` it names (both backends word it
/// differently), so a service can answer with a precise 409 code.
pub fn unique_violation_target(e: &diesel::result::Error) -> Option<String> {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            info,
        ) => Some(
            info.constraint_name()
                .map(str::to_owned)
                .unwrap_or_else(|| {
                    info.message()
                        .rsplit(": ")
                        .next()
                        .unwrap_or_default()
                        .to_owned()
                }),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_comes_from_the_scheme_only() {
        assert_eq!(
            Backend::from_url("postgres://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("postgresql://u@h/db").unwrap(),
            Backend::Postgres
        );
        assert_eq!(
            Backend::from_url("sqlite://data/zhiyuan.db").unwrap(),
            Backend::Sqlite {
                path: PathBuf::from("data/zhiyuan.db")
            }
        );
        assert_eq!(
            Backend::from_url("sqlite:///var/lib/z.db").unwrap(),
            Backend::Sqlite {
                path: PathBuf::from("/var/lib/z.db")
            }
        );
        assert!(Backend::from_url("sqlite::memory:").is_err());
        assert!(Backend::from_url("mysql://root@h/db").is_err());
        assert!(Backend::from_url("data/zhiyuan.db").is_err());
    }

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
