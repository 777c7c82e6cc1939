//! What every request shares: settings, the pool, keys, counters.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;

use crate::auth::password::PasswordHashing;
use crate::auth::policy::Actor;
use crate::auth::tokens::JwtKeys;
use crate::auth::{AuthUser, Caller};
use crate::config::Config;
use crate::crypto::PersonalDataCipher;
use crate::db::{Pool, PooledConn, ReadConn, ThreadReaders};
use crate::error::{ApiError, ApiResult};
use crate::hours::stars::StarLevels;
use crate::metrics::Metrics;
use crate::secrets::Secrets;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: Pool,
    pub jwt: Arc<JwtKeys>,
    pub passwords: Arc<PasswordHashing>,
    pub pii: Arc<PersonalDataCipher>,
    /// Rate limits, counted in the database (see `rate_limit`).
    pub limits: Arc<crate::rate_limit::RateLimits>,
    pub metrics: Arc<Metrics>,
    pub stars: StarLevels,
    /// Keys the rotating check-in codes (derived from the JWT secret, domain-separated).
    pub checkin_key: Arc<crate::activities::checkin::CodeKey>,
    /// Signs credentials with the current key (see `issuer`).
    pub signer: Arc<crate::issuer::Signer>,
    /// Activities as last read and remembered list totals (see `activities::store`).
    pub activity_reads: Arc<crate::activities::store::PublicReads>,
    /// Where uploaded files' bytes live (see `storage`).
    pub blobs: Arc<dyn crate::storage::BlobStore>,
    /// Aggregates of other domains kept per ancestor organisation, which a move of an
    /// organisation rebuilds (see `teams::service::update`).
    pub tree_keyed: &'static [&'static crate::db::recount::Aggregate],
    /// WeChat's code2Session (see `wechat`).
    pub wechat: Arc<crate::wechat::client::WeChatClient>,
    /// The client webhooks are delivered with (see `webhooks::client`).
    pub webhooks: Arc<crate::webhooks::client::WebhookClient>,
    /// Per-thread read-only connections for short reads (SQLite only).
    readers: Option<Arc<ThreadReaders>>,
}

impl AppState {
    pub fn new(
        config: Config,
        pool: Pool,
        secrets: &Secrets,
        blobs: Arc<dyn crate::storage::BlobStore>,
    ) -> AppState {
        let metrics = Arc::new(Metrics::default());
        AppState {
            blobs,
            tree_keyed: &crate::hours::store::KEYED_BY_TREE,
            jwt: Arc::new(JwtKeys::new(
                &secrets.jwt_secret,
                config.access_token_ttl_secs,
            )),
            passwords: Arc::new(PasswordHashing::new(config.argon2_memory_kib)),
            pii: Arc::new(PersonalDataCipher::new(
                &secrets.data_key,
                &secrets.index_key,
            )),
            limits: Arc::new(crate::rate_limit::RateLimits::new(
                &config,
                &secrets.index_key,
                &metrics,
            )),
            metrics,
            stars: StarLevels::from_hours(config.star_thresholds_hours),
            checkin_key: Arc::new({
                use sha2::Digest;
                let mut h = sha2::Sha256::new();
                h.update(b"zhiyuan check-in codes\x1f");
                h.update(&secrets.jwt_secret);
                h.finalize().into()
            }),
            activity_reads: Arc::default(),
            signer: Arc::new(crate::issuer::Signer::new(
                secrets.signing_key.clone(),
                &config.public_base_url,
                &config.federation_name,
            )),
            readers: ThreadReaders::for_backend(&config.backend, &config.database_url)
                .map(Arc::new),
            wechat: Arc::new(crate::wechat::client::WeChatClient::new(&config)),
            webhooks: Arc::new(crate::webhooks::client::WebhookClient::new(&config)),
            config: Arc::new(config),
            pool,
        }
    }

    /// What the account service needs from the state.
    pub fn accounts(&self) -> crate::auth::service::AccountDeps<'_> {
        crate::auth::service::AccountDeps {
            passwords: &self.passwords,
            jwt: &self.jwt,
            refresh_token_ttl_secs: self.config.refresh_token_ttl_secs,
            pii: &self.pii,
            stars: &self.stars,
            privacy_notice_version: &self.config.privacy_notice_version,
            limits: &self.limits,
        }
    }

    /// Runs blocking database work on the blocking thread pool with a pooled connection.
    pub async fn db<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut PooledConn, &AppState) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let state = self.clone();
        // A keyed request's record joins the transactions of its work (see `idempotency`).
        let joined = crate::idempotency::service::current();
        let span = tracing::Span::current();
        web::block(move || {
            let _in_request = span.enter();
            let waiting = std::time::Instant::now();
            let got = state.pool.get();
            state.metrics.pool_wait(waiting.elapsed());
            let mut conn = got.inspect_err(|_| {
                state
                    .metrics
                    .counter("zhiyuan_db_pool_timeouts_total", &[])
                    .increment(1)
            })?;
            crate::db::joined(joined, || f(&mut conn, &state))
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Like [`AppState::db`], with the caller's current grants loaded in the same blocking call
    /// (an account's, or a platform client's where the handler takes a [`Caller`]).
    pub async fn db_as<T, F>(&self, caller: impl Into<Caller>, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut PooledConn, &AppState, &Actor) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db(as_actor(caller.into(), f)).await
    }

    /// Like [`AppState::db_as`] for endpoints anonymous callers may use too.
    pub async fn db_maybe_as<T, F>(&self, user: Option<AuthUser>, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut PooledConn, &AppState, Option<&Actor>) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.db(as_maybe_actor(user, f)).await
    }

    /// A short read-only query: on SQLite it runs right here on this thread's own read-only
    /// connection (see `db::readers`), on PostgreSQL like [`AppState::db`]. Only for reads
    /// whose worst case is a few milliseconds (look-ups by key, the activity list: bounded by
    /// a city's activities); anything that may scan the ledger goes through `db`, where it
    /// cannot hold up the other requests of this worker thread.
    pub async fn read<T, F>(&self, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut ReadConn, &AppState) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        match &self.readers {
            Some(readers) => readers.with(|conn| f(&mut ReadConn::lend(conn), self)),
            None => {
                self.db(move |conn, state| f(&mut ReadConn::lend(conn), state))
                    .await
            }
        }
    }

    /// [`AppState::read`] with the caller's current grants.
    pub async fn read_as<T, F>(&self, user: AuthUser, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut ReadConn, &AppState, &Actor) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.read(move |conn, state| {
            let actor = Actor::load(conn, &user)?;
            f(conn, state, &actor)
        })
        .await
    }

    /// [`AppState::read`] for endpoints anonymous callers may use too.
    pub async fn read_maybe_as<T, F>(&self, user: Option<AuthUser>, f: F) -> ApiResult<T>
    where
        F: FnOnce(&mut ReadConn, &AppState, Option<&Actor>) -> ApiResult<T> + Send + 'static,
        T: Send + 'static,
    {
        self.read(move |conn, state| {
            let actor = user.map(|u| Actor::load(conn, &u)).transpose()?;
            f(conn, state, actor.as_ref())
        })
        .await
    }

    /// Whether a database connection can be had and answers within `timeout`, and Redis
    /// answers where rate limits are counted there.
    pub async fn storage_ready(&self, timeout: Duration) -> bool {
        let (pool, limits) = (self.pool.clone(), self.limits.clone());
        web::block(move || {
            let mut conn = pool.get_timeout(timeout).ok()?;
            diesel::RunQueryDsl::execute(diesel::sql_query("SELECT 1"), &mut *conn).ok()?;
            limits.ready().then_some(())
        })
        .await
        .ok()
        .flatten()
        .is_some()
    }
}

/// `f` with the caller's current grants, loaded on the same connection first.
fn as_actor<T>(
    caller: Caller,
    f: impl FnOnce(&mut PooledConn, &AppState, &Actor) -> ApiResult<T>,
) -> impl FnOnce(&mut PooledConn, &AppState) -> ApiResult<T> {
    move |conn, state| {
        let actor = Actor::for_caller(conn, &caller)?;
        f(conn, state, &actor)
    }
}

/// `f` with the caller's grants when there is a caller.
fn as_maybe_actor<T>(
    user: Option<AuthUser>,
    f: impl FnOnce(&mut PooledConn, &AppState, Option<&Actor>) -> ApiResult<T>,
) -> impl FnOnce(&mut PooledConn, &AppState) -> ApiResult<T> {
    move |conn, state| {
        let actor = user.map(|u| Actor::load(conn, &u)).transpose()?;
        f(conn, state, actor.as_ref())
    }
}
