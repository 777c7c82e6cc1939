//! Short SQLite reads served on the calling thread.
//!
//! A SQLite look-up by key takes a few microseconds; handing it to the blocking pool costs two
//! thread wake-ups, several times the read itself. So each worker thread keeps one read-only
//! connection of its own for such reads. In WAL mode readers never wait for the writer; the
//! rare busy moments (a checkpoint resetting the log) are bounded by a short busy timeout, so
//! an inline read cannot stall the thread's other requests for long. PostgreSQL, a network
//! round trip away, always goes through the pool.

use std::cell::RefCell;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use thread_local::ThreadLocal;

use super::{Backend, DbConn, DbManager};

/// Settings of the per-thread connections: refuse writes (a read path that tried one is a bug
/// and should fail loudly), wait at most 100 ms for a lock.
const READER_PRAGMAS: &str =
    "PRAGMA query_only = ON; PRAGMA busy_timeout = 100; PRAGMA foreign_keys = ON;";

pub struct ThreadReaders {
    manager: DbManager,
    conns: ThreadLocal<RefCell<Option<DbConn>>>,
}

impl ThreadReaders {
    /// Readers for a SQLite database; `None` for PostgreSQL.
    pub fn for_backend(backend: &Backend, url: &str) -> Option<ThreadReaders> {
        matches!(backend, Backend::Sqlite { .. }).then(|| ThreadReaders {
            manager: DbManager::new(backend.clone(), url),
            conns: ThreadLocal::new(),
        })
    }

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        let mut conn = self.manager.connect()?;
        conn.batch_execute(READER_PRAGMAS)
            .map_err(r2d2::Error::QueryError)?;
        Ok(conn)
    }

    /// Runs `f` on this thread's read-only connection, opening it on first use.
    pub fn with<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<r2d2::Error>,
    {
        let cell = self.conns.get_or(|| RefCell::new(None));
        // Only a nested read on the same thread finds the slot taken; it gets a connection
        // of its own rather than a panic.
        let Ok(mut slot) = cell.try_borrow_mut() else {
            return f(&mut self.connect()?);
        };
        let conn = match slot.as_mut() {
            Some(conn) => conn,
            None => slot.insert(self.connect()?),
        };
        let result = f(conn);
        let broken = match conn {
            DbConn::Sqlite(c) => c.is_broken(),
            DbConn::Pg(c) => c.is_broken(),
        };
        if broken {
            *slot = None;
        }
        result
    }
}
