//! Start-up: logging, secrets, database, first admin, and the HTTP server(s).

use actix_cors::Cors;
use actix_web::http::{Method, header};
use actix_web::{App, HttpServer, web};
use tracing_subscriber::EnvFilter;

use crate::auth::service::{Bootstrap, ensure_bootstrap_admin};
use crate::config::{Config, LogFormat};
use crate::db;
use crate::secrets::Secrets;
use crate::state::AppState;

/// Why the server cannot start, as one line for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

impl From<crate::config::ConfigError> for StartError {
    fn from(e: crate::config::ConfigError) -> Self {
        StartError(e.0)
    }
}

impl From<db::StartupError> for StartError {
    fn from(e: db::StartupError) -> Self {
        StartError(e.0)
    }
}

pub fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colours only on a terminal: a log redirected to a file or a collector stays plain text.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr);
    let _ = match config.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
    // A panic is logged as one structured line; the middleware turns it into a 500 problem.
    std::panic::set_hook(Box::new(|info| {
        tracing::error!(panic = %info, "panic");
    }));
}

pub fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::IF_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static("idempotent-replayed"),
        ])
        .max_age(3600)
        // A foreign origin simply gets no CORS headers (the browser then blocks it); refusing the
        // request outright would also break same-origin tools such as the Swagger UI.
        .block_on_origin_mismatch(false);
    for origin in origins {
        cors = if origin == "*" {
            cors.allow_any_origin()
        } else {
            cors.allowed_origin(origin)
        };
    }
    cors
}

/// Opens the database (migrating it) and loads or generates secrets.
pub fn prepare_without_bootstrap(config: Config) -> Result<AppState, StartError> {
    // The database first: a start that fails on it should leave no generated secrets behind.
    let pool = db::connect(
        &config.backend,
        &config.database_url,
        config.db_pool_size,
        std::time::Duration::from_millis(config.db_timeout_ms),
    )?;
    let secrets = Secrets::load(&config)?;
    let blobs = crate::storage::LocalBlobs::open_dir(&config.files_dir).map_err(|e| {
        StartError(format!(
            "cannot use the files directory {}: {e}",
            config.files_dir.display()
        ))
    })?;
    let state = AppState::new(config, pool, &secrets, std::sync::Arc::new(blobs));
    // Verifiers must find the key before anything it signs reaches them.
    let mut conn = state
        .pool
        .get()
        .map_err(|e| StartError(format!("cannot get a database connection: {e}")))?;
    crate::issuer::service::publish(&mut conn, &state.signer)
        .map_err(|e| StartError(format!("cannot publish the signing key: {e}")))?;
    match crate::audit::chain::chain_earlier_events(&mut conn) {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            events = n,
            "audit events written before the chains, chained"
        ),
        Err(e) => return Err(StartError(format!("cannot chain the audit log: {e}"))),
    }
    drop(conn);
    Ok(state)
}

/// Everything `prepare_without_bootstrap` does, and makes sure a first federation admin exists.
pub fn prepare(config: Config) -> Result<AppState, StartError> {
    let state = prepare_without_bootstrap(config)?;
    let mut conn = state
        .pool
        .get()
        .map_err(|e| StartError(format!("cannot get a database connection: {e}")))?;
    match ensure_bootstrap_admin(
        &mut conn,
        &state.passwords,
        state.config.bootstrap_admin.as_ref(),
    )
    .map_err(|e| StartError(format!("cannot create the first admin: {}", e.detail.en)))?
    {
        Bootstrap::AlreadyPresent => {}
        Bootstrap::Configured { login } => {
            tracing::info!(
                login,
                "created the first federation admin from ZHIYUAN_BOOTSTRAP_ADMIN"
            )
        }
        Bootstrap::Generated { login, password } => tracing::warn!(
            login,
            password,
            "created the first federation admin with a generated password: it is shown only this once; log in and change it"
        ),
    }
    Ok(state)
}

pub async fn serve(config: Config) -> Result<(), StartError> {
    let bind = config.bind;
    let metrics_bind = config.metrics_bind;
    let workers = config.workers;
    let backend = config.backend.name();
    let state = web::block(move || prepare(config))
        .await
        .map_err(|e| StartError(format!("start-up failed: {e}")))??;
    let data = web::Data::new(state);

    let app_data = data.clone();
    // Blocking work is database work, and each task holds a pooled connection: threads beyond
    // the pool would only wait for one, each with a stack and an allocator heap of its own
    // (actix's default allows 512 per server, and 97 threads were seen under load).
    let worker_count = workers
        .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
        .unwrap_or(1);
    let blocking_threads = (data.config.db_pool_size as usize).div_ceil(worker_count) + 1;
    // On SIGTERM/SIGINT the listeners close at once (new connections are refused) and requests
    // in flight get the grace period to finish; then the process exits 0.
    let mut server = HttpServer::new(move || crate::build_app(app_data.clone()))
        .worker_max_blocking_threads(blocking_threads)
        .shutdown_timeout(data.config.shutdown_grace_secs)
        .bind(bind)
        .map_err(|e| StartError(format!("cannot listen on {bind}: {e}; set ZHIYUAN_BIND")))?;
    if let Some(n) = workers {
        server = server.workers(n);
    }
    tracing::info!(%bind, backend, "zhiyuan is serving; API docs at /docs/");
    let main = server.run();
    actix_web::rt::spawn(housekeeping(data.clone()));
    actix_web::rt::spawn(metrics_upkeep(data.clone()));
    actix_web::rt::spawn(crate::webhooks::dispatcher::run(data.get_ref().clone()));

    match metrics_bind {
        None => main.await,
        Some(addr) => {
            let metrics_data = data.clone();
            let metrics = HttpServer::new(move || {
                App::new()
                    .app_data(metrics_data.clone())
                    .service(crate::ops::routes::metrics)
            })
            .workers(1)
            .bind(addr)
            .map_err(|e| {
                StartError(format!(
                    "cannot listen on {addr}: {e}; set ZHIYUAN_METRICS_BIND"
                ))
            })?
            .run();
            tracing::info!(%addr, "metrics on their own bind");
            futures_util::future::try_join(main, metrics)
                .await
                .map(|_| ())
        }
    }
    .map_err(|e| StartError(format!("server error: {e}")))
}

/// Folds recorded latency samples into their histogram buckets every five seconds, so memory
/// stays flat however rarely /metrics is scraped.
async fn metrics_upkeep(state: web::Data<AppState>) {
    let mut every = actix_web::rt::time::interval(std::time::Duration::from_secs(5));
    loop {
        every.tick().await;
        state.metrics.upkeep();
    }
}

/// Periodic upkeep while the server runs, every ten minutes: forgets expired Idempotency-Keys,
/// rate-limit events that left their window and expired refresh tokens, and logs the audit chains' heads (a log kept
/// elsewhere anchors them: see `audit::chain`). Every instance does it; deleting what another
/// already deleted is harmless, so N instances need no coordination.
async fn housekeeping(state: web::Data<AppState>) {
    let mut every = actix_web::rt::time::interval(std::time::Duration::from_secs(600));
    loop {
        every.tick().await;
        let pruned = state
            .db(|conn, state| {
                Ok((
                    crate::idempotency::service::prune(conn)?,
                    state.limits.prune(conn)?,
                    crate::auth::service::prune_expired_refresh_tokens(conn)?,
                ))
            })
            .await;
        match pruned {
            Ok((0, 0, 0)) => {}
            Ok((keys, events, refresh_tokens)) => tracing::info!(
                idempotency_keys = keys,
                rate_limit_events = events,
                refresh_tokens,
                "expired records pruned"
            ),
            Err(e) => tracing::warn!(error = %e, "pruning expired records failed"),
        }
        match state.db(|conn, _| crate::audit::chain::heads(conn)).await {
            Ok((links, digest)) => tracing::info!(links, digest, "audit chain heads"),
            Err(e) => tracing::warn!(error = %e, "reading the audit chain heads failed"),
        }
    }
}
