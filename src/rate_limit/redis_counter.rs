//! Rate-limit events kept in Redis instead of the database (`ZHIYUAN_REDIS_URL`): for
//! deployments whose database should not carry a write per failed login or verify look-up.
//!
//! Each subject's events are one sorted set (`zhiyuan:rate:<bucket>:<subject>`, scored by the
//! event's time in milliseconds) that expires when its newest event leaves the window. Admission
//! is one Lua script, which Redis runs atomically: it forgets what left the window, counts, and
//! adds the event only below the limit, so concurrent attempts from any number of instances
//! never pass it. Every call has a deadline (the database's pool wait): an unreachable Redis
//! makes a counted request answer 503 promptly, never hang.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::r2d2::{ManageConnection, Pool};
use redis::{Client, Connection, ConnectionLike, RedisError, Script};

use super::Admission;
use crate::error::{ApiError, ApiResult};

/// Forgets the events that left the window, then adds `ARGV[4]` if fewer than `ARGV[3]`
/// remain (-1), else answers when the event whose leaving admits the next one was (ms).
const ADMIT: &str = r"
local now, window, max = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
if n < max then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return -1
end
local leaving = redis.call('ZRANGE', KEYS[1], n - max, n - max, 'WITHSCORES')
return tonumber(leaving[2])
";

pub struct RedisCounter {
    pool: Pool<Dialer>,
    admit: Script,
}

/// Opens connections with the deadline on connecting, reading and writing alike.
struct Dialer {
    client: Client,
    deadline: Duration,
}

impl ManageConnection for Dialer {
    type Connection = Connection;
    type Error = RedisError;

    fn connect(&self) -> Result<Connection, RedisError> {
        let conn = self.client.get_connection_with_timeout(self.deadline)?;
        conn.set_read_timeout(Some(self.deadline))?;
        conn.set_write_timeout(Some(self.deadline))?;
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), RedisError> {
        redis::cmd("PING").query::<String>(conn).map(drop)
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        !conn.is_open()
    }
}

impl RedisCounter {
    /// A pool of at most `size` connections to `url` (checked by the configuration); nothing is
    /// dialled yet, so an instance starts while Redis is away (`/readyz` says so).
    pub fn new(url: &str, size: u32, deadline: Duration) -> Result<RedisCounter, RedisError> {
        let pool = Pool::builder()
            .max_size(size.max(1))
            .min_idle(Some(0))
            .connection_timeout(deadline)
            // A broken connection is noticed by `has_broken`; a PING per request would double
            // the round trips.
            .test_on_check_out(false)
            .build_unchecked(Dialer {
                client: Client::open(url)?,
                deadline,
            });
        Ok(RedisCounter {
            pool,
            admit: Script::new(ADMIT),
        })
    }

    fn connection(&self) -> ApiResult<diesel::r2d2::PooledConnection<Dialer>> {
        self.pool.get().map_err(|e| {
            tracing::warn!(error = %e, "no Redis connection available");
            ApiError::unavailable()
        })
    }

    fn key(bucket: &str, subject: &str) -> String {
        format!("zhiyuan:rate:{bucket}:{subject}")
    }

    /// Counts `id` unless `max` events are in the window already.
    pub fn admit(
        &self,
        bucket: &str,
        subject: &str,
        id: &str,
        max: u32,
        window: chrono::Duration,
        at: NaiveDateTime,
    ) -> ApiResult<Admission> {
        let now_ms = at.and_utc().timestamp_millis();
        let leaving: i64 = self
            .admit
            .key(RedisCounter::key(bucket, subject))
            .arg(now_ms)
            .arg(window.num_milliseconds())
            .arg(max)
            .arg(id)
            .invoke(&mut *self.connection()?)
            .map_err(unavailable)?;
        if leaving < 0 {
            return Ok(Admission::Admitted);
        }
        Ok(Admission::Full {
            leaving: chrono::DateTime::from_timestamp_millis(leaving).map(|t| t.naive_utc()),
        })
    }

    pub fn withdraw(&self, bucket: &str, subject: &str, id: &str) -> ApiResult<()> {
        redis::cmd("ZREM")
            .arg(RedisCounter::key(bucket, subject))
            .arg(id)
            .query::<i64>(&mut *self.connection()?)
            .map(drop)
            .map_err(unavailable)
    }

    pub fn forget(&self, bucket: &str, subject: &str) -> ApiResult<()> {
        redis::cmd("DEL")
            .arg(RedisCounter::key(bucket, subject))
            .query::<i64>(&mut *self.connection()?)
            .map(drop)
            .map_err(unavailable)
    }

    /// Whether Redis answers.
    pub fn ready(&self) -> bool {
        self.connection()
            .ok()
            .is_some_and(|mut conn| redis::cmd("PING").query::<String>(&mut *conn).is_ok())
    }
}

fn unavailable(e: RedisError) -> ApiError {
    tracing::warn!(error = %e, "Redis refuses a rate-limit count");
    ApiError::unavailable()
}
