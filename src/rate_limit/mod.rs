//! Rate limits counted where every instance behind a load balancer sees them: in the database
//! by default, or in Redis when `ZHIYUAN_REDIS_URL` is set (see `redis_counter`). One event is
//! kept per counted attempt (a failed login, a registration attempt, a public verify look-up, a
//! sign-up change) in sliding windows; the database's are pruned by the ten-minute
//! housekeeping, Redis's expire.
//!
//! In the database an event is written *before* it is counted: of several concurrent attempts
//! on any number of instances, the k-th to commit its row counts at least k rows, so no more
//! than the limit are ever admitted (the check and the count cannot race). Redis counts and
//! adds in one atomic script. A refused attempt takes its event back. What is counted is
//! stored as a keyed hash, never the login or address itself. On PostgreSQL the table is
//! unlogged (see `db::connect`): counts need no crash safety, and writing them costs no WAL
//! flush.

mod redis_counter;
pub mod store;

use chrono::{Duration, NaiveDateTime};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Config;
use crate::db::{DbConn, new_id, now};
use crate::error::{ApiError, ApiResult};
use crate::metrics::Metrics;
use redis_counter::RedisCounter;

/// What is counted, each with its own limit and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Failed logins (and failed client-credential grants) per login.
    FailedLogins,
    /// Failed logins per client address (high: carrier NAT puts many behind one).
    FailedLoginsByAddress,
    /// Registration attempts per client address.
    Registrations,
    /// Public certificate and proof look-ups per client address (numbers must not be
    /// enumerable).
    Verifications,
    /// A volunteer's sign-ups and cancellations of one activity (flapping takes and frees a
    /// seat others wait for).
    SignupChanges,
}

const LIMITS: [Limit; 5] = [
    Limit::FailedLogins,
    Limit::FailedLoginsByAddress,
    Limit::Registrations,
    Limit::Verifications,
    Limit::SignupChanges,
];

impl Limit {
    /// The name its events are stored under.
    fn bucket(self) -> &'static str {
        match self {
            Limit::FailedLogins => "failed_login",
            Limit::FailedLoginsByAddress => "failed_login_address",
            Limit::Registrations => "registration",
            Limit::Verifications => "verification",
            Limit::SignupChanges => "signup_change",
        }
    }
}

/// At most `max` events in any `window_secs`; `max` 0 turns the limit off.
#[derive(Debug, Clone, Copy)]
struct Rule {
    max: u32,
    window_secs: i64,
}

/// The configured limits, where events are kept, and the key subjects are hashed with.
pub struct RateLimits {
    rules: [Rule; LIMITS.len()],
    subject_key: Vec<u8>,
    /// `None`: in the database, on the caller's connection.
    redis: Option<RedisCounter>,
    /// Refusals by limit, for the operator (`zhiyuan_rate_limit_refusals_total`).
    refusals: [metrics::Counter; LIMITS.len()],
}

/// An event that was counted (`None`: its limit is off), to take back when the attempt turns
/// out not to count.
#[must_use]
pub struct Counted(Option<Event>);

struct Event {
    bucket: &'static str,
    subject: String,
    id: String,
}

/// What a store answers for one event.
enum Admission {
    Admitted,
    /// At the limit, nothing counted; when the event whose leaving the window admits the next
    /// one happened (`None`: it left already).
    Full {
        leaving: Option<NaiveDateTime>,
    },
}

impl RateLimits {
    /// The limits of `config`, counted in Redis when it names one (its URL was checked when
    /// the configuration was read).
    pub fn new(config: &Config, subject_key: &[u8], metrics: &Metrics) -> RateLimits {
        let rule = |limit| match limit {
            Limit::FailedLogins => Rule {
                max: config.login_limit_per_account,
                window_secs: config.login_window_secs,
            },
            Limit::FailedLoginsByAddress => Rule {
                max: config.login_limit_per_address,
                window_secs: config.login_window_secs,
            },
            Limit::Registrations => Rule {
                max: config.register_limit_per_address,
                window_secs: 3600,
            },
            Limit::Verifications => Rule {
                max: config.verify_limit_per_address,
                window_secs: 60,
            },
            Limit::SignupChanges => Rule {
                max: config.signup_changes_per_activity,
                window_secs: 24 * 3600,
            },
        };
        let redis = config.redis_url.as_deref().and_then(|url| {
            let deadline = std::time::Duration::from_millis(config.db_timeout_ms);
            RedisCounter::new(url, config.db_pool_size, deadline)
                .inspect_err(|e| tracing::error!(error = %e, "ZHIYUAN_REDIS_URL is not usable"))
                .ok()
        });
        RateLimits {
            rules: LIMITS.map(rule),
            subject_key: subject_key.to_vec(),
            redis,
            refusals: LIMITS.map(|limit| {
                metrics.counter(
                    "zhiyuan_rate_limit_refusals_total",
                    &[("limit", limit.bucket())],
                )
            }),
        }
    }

    fn rule(&self, limit: Limit) -> Rule {
        self.rules[limit as usize]
    }

    fn subject(&self, limit: Limit, value: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.subject_key)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(limit.bucket().as_bytes());
        mac.update(b"\x1f");
        mac.update(value.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

    /// Counts one event of `value` against `limit`; 429 `rate_limited` with the seconds until
    /// one would be admitted (nothing counted) when it is at its limit. In the database,
    /// outside a transaction the count is shared with every instance at once; inside one, it
    /// is written (and visible to others) only if the transaction commits — Redis counts at
    /// once, and [`RateLimits::settle`] takes it back if the transaction fails.
    pub fn admit(&self, conn: &mut DbConn, limit: Limit, value: &str) -> ApiResult<Counted> {
        let rule = self.rule(limit);
        if rule.max == 0 {
            return Ok(Counted(None));
        }
        let event = Event {
            bucket: limit.bucket(),
            subject: self.subject(limit, value),
            id: new_id(),
        };
        let at = now();
        let window = Duration::seconds(rule.window_secs);
        let admitted = match &self.redis {
            Some(redis) => redis.admit(
                event.bucket,
                &event.subject,
                &event.id,
                rule.max,
                window,
                at,
            )?,
            None => admit_in_database(conn, &event, rule.max, at - window, at)?,
        };
        let Admission::Full { leaving } = admitted else {
            return Ok(Counted(Some(event)));
        };
        self.refusals[limit as usize].increment(1);
        let wait = leaving.map_or(1, |t| {
            let left_at = t + window;
            ((left_at - at).num_milliseconds() + 999)
                .div_euclid(1000)
                .max(1)
        });
        Err(ApiError::rate_limited(wait as u64))
    }

    /// Takes a counted event back (the attempt did not count after all).
    pub fn withdraw(&self, conn: &mut DbConn, counted: Counted) -> ApiResult<()> {
        let Some(event) = counted.0 else {
            return Ok(());
        };
        match &self.redis {
            Some(redis) => redis.withdraw(event.bucket, &event.subject, &event.id),
            None => Ok(store::delete(conn, &event.id)?),
        }
    }

    /// After the transaction `counted` was counted in has ended: a count of one that failed
    /// is taken back. The database's went with its transaction; Redis's is taken back here (a
    /// failure to is logged: the transaction's own answer stands).
    pub fn settle<T>(&self, conn: &mut DbConn, counted: Option<Counted>, outcome: &ApiResult<T>) {
        if outcome.is_ok() || self.redis.is_none() {
            return;
        }
        self.withdraw_all(conn, counted.into_iter().collect());
    }

    /// Forgets every event of `value` (a successful login clears its failures).
    pub fn forget(&self, conn: &mut DbConn, limit: Limit, value: &str) -> ApiResult<()> {
        if self.rule(limit).max == 0 {
            return Ok(());
        }
        let (bucket, subject) = (limit.bucket(), self.subject(limit, value));
        match &self.redis {
            Some(redis) => redis.forget(bucket, &subject),
            None => Ok(store::delete_subject(conn, bucket, &subject)?),
        }
    }

    /// Runs a credential check counted as a failure of each of `keys` (the first one is what
    /// the credentials name; the others, such as the address, only count): refused before it
    /// runs when any key is at its limit; afterwards it stays counted only when `failed` says
    /// the credentials were wrong, and a success clears the first key's failures.
    pub fn count_failures<C, T>(
        &self,
        conn: &mut C,
        keys: &[(Limit, &str)],
        attempt: impl FnOnce(&mut C) -> ApiResult<T>,
        failed: impl Fn(&ApiError) -> bool,
    ) -> ApiResult<T>
    where
        C: std::ops::DerefMut<Target = DbConn>,
    {
        let mut counted = Vec::with_capacity(keys.len());
        for (limit, value) in keys {
            match self.admit(conn, *limit, value) {
                Ok(c) => counted.push(c),
                Err(refused) => {
                    self.withdraw_all(conn, counted);
                    return Err(refused);
                }
            }
        }
        let result = attempt(conn);
        match &result {
            Err(e) if failed(e) => {}
            Err(_) => self.withdraw_all(conn, counted),
            Ok(_) => {
                // The first key's event goes with all of its failures, forgotten below.
                self.withdraw_all(conn, counted.into_iter().skip(1).collect());
                if let Some((limit, value)) = keys.first()
                    && let Err(e) = self.forget(conn, *limit, value)
                {
                    tracing::warn!(error = %e.detail.en, "failed logins not cleared");
                }
            }
        }
        result
    }

    /// Takes events back after the attempt's answer is settled: a failure here is logged, not
    /// answered (the attempt's own outcome stands).
    fn withdraw_all(&self, conn: &mut DbConn, counted: Vec<Counted>) {
        for c in counted {
            if let Err(e) = self.withdraw(conn, c) {
                tracing::warn!(error = %e.detail.en, "a rate-limit event not taken back");
            }
        }
    }

    /// Whether the limits can be counted: always in the database (its readiness is checked on
    /// its own); Redis must answer.
    pub fn ready(&self) -> bool {
        self.redis.as_ref().is_none_or(RedisCounter::ready)
    }

    /// Forgets events that left their limit's window; how many (none in Redis, where they
    /// expire).
    pub fn prune(&self, conn: &mut DbConn) -> ApiResult<usize> {
        if self.redis.is_some() {
            return Ok(0);
        }
        let at = now();
        let mut pruned = 0;
        for limit in LIMITS {
            let window = Duration::seconds(self.rule(limit).window_secs);
            pruned += store::prune(conn, limit.bucket(), at - window)?;
        }
        Ok(pruned)
    }
}

/// Writes the event, then counts the subject's events in the window (see the module's
/// comment); over the limit, takes it back and finds the event whose leaving admits the next.
fn admit_in_database(
    conn: &mut DbConn,
    event: &Event,
    max: u32,
    since: NaiveDateTime,
    at: NaiveDateTime,
) -> ApiResult<Admission> {
    let (bucket, subject) = (event.bucket, event.subject.as_str());
    store::insert(conn, &event.id, bucket, subject, at)?;
    let count = store::count_since(conn, bucket, subject, since)?;
    if count <= i64::from(max) {
        return Ok(Admission::Admitted);
    }
    store::delete(conn, &event.id)?;
    // Another is admitted once all but `max - 1` of the others have left the window.
    let others = count - 1;
    let leaving = store::nth_since(conn, bucket, subject, since, others - i64::from(max))?;
    Ok(Admission::Full { leaving })
}
