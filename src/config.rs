//! Typed settings, read once from the environment (and a `.env` file) with defaults that make a
//! bare `cargo run --release` work.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::db::Backend;

/// Why the configuration cannot be used; rendered as one line for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub backend: Backend,
    pub bind: SocketAddr,
    /// When set, `/metrics` is served only on this address instead of the main one.
    pub metrics_bind: Option<SocketAddr>,
    pub data_dir: PathBuf,
    /// `login:password` for the first federation admin.
    pub bootstrap_admin: Option<(String, String)>,
    pub jwt_secret: Option<String>,
    pub data_key: Option<String>,
    pub index_key: Option<String>,
    pub cors_origins: Vec<String>,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub access_token_ttl_secs: i64,
    pub refresh_token_ttl_secs: i64,
    pub max_body_bytes: usize,
    pub db_pool_size: u32,
    pub db_timeout_ms: u64,
    /// Take the client address from `X-Forwarded-For` / `Forwarded` (only behind a trusted proxy).
    pub trust_forwarded: bool,
    pub privacy_notice_version: String,
    /// Argon2id memory cost in KiB (OWASP: 19456 with 2 iterations).
    pub argon2_memory_kib: u32,
    pub login_limit_per_account: u32,
    pub login_limit_per_address: u32,
    pub login_window_secs: i64,
    pub workers: Option<usize>,
    /// Hours for star levels 1–5 (Guangdong: 100/300/600/1000/1500).
    pub star_thresholds_hours: [u32; 5],
    /// How a check-in window becomes minutes; stored on every record.
    pub rounding_policy: crate::rounding::RoundingPolicy,
    /// The address in credentials, QR codes and verify links (no trailing slash).
    pub public_base_url: String,
    /// The issuer's name in credentials.
    pub federation_name: String,
    /// The Ed25519 signing key as a Multikey `secretKeyMultibase` (else generated into the
    /// data directory).
    pub signing_key: Option<String>,
    /// The share of approved members each organisation should certify (0–1, default 0.5).
    pub certificate_target: f64,
    /// Public verify look-ups per client address and minute.
    pub verify_limit_per_address: u32,
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT.
    pub shutdown_grace_secs: u64,
    /// Registration attempts per client address and hour (0: no limit).
    pub register_limit_per_address: u32,
    /// A volunteer's sign-ups and cancellations of one activity per 24 hours (0: no limit).
    pub signup_changes_per_activity: u32,
    /// The largest file an upload may carry (bytes; default 10 MiB).
    pub max_upload_bytes: u64,
    /// Where uploaded files are kept (default `<data dir>/files`).
    pub files_dir: PathBuf,
    /// Uploads per account and local day.
    pub uploads_per_day: u32,
    /// Experience posts per volunteer and local day.
    pub posts_per_day: u32,
    /// The mini-program's credentials for WeChat login (both, or WeChat login is off).
    pub wechat_appid: Option<String>,
    pub wechat_secret: Option<String>,
    /// Where `sns/jscode2session` is asked (tests point it at a local server).
    pub wechat_api_base: String,
    /// How long a WeChat call may take before the login answers 504.
    pub wechat_timeout_ms: u64,
    /// Whether webhooks may go to private, loopback and link-local addresses (off: the SSRF
    /// guard refuses them at creation and after DNS at each delivery).
    pub webhook_allow_private: bool,
    /// How long a webhook delivery may take before it counts as failed.
    pub webhook_timeout_ms: u64,
    /// Where rate limits are counted instead of the database (`redis://` or `redis+unix://`).
    pub redis_url: Option<String>,
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/zhiyuan.db";

impl Config {
    /// Reads the process environment (after loading `.env` if there is one).
    pub fn from_env() -> Result<Self, ConfigError> {
        let _ = dotenvy::dotenv();
        Self::from_lookup(|key| std::env::var(key).ok().filter(|v| !v.is_empty()))
    }

    /// Builds the settings from any key lookup, so tests need not touch the process environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned());
        let backend = Backend::from_url(&database_url).map_err(ConfigError)?;
        let bind = parse_addr(
            "ZHIYUAN_BIND",
            get("ZHIYUAN_BIND").as_deref().unwrap_or("0.0.0.0:8080"),
        )?;
        let metrics_bind = get("ZHIYUAN_METRICS_BIND")
            .map(|v| parse_addr("ZHIYUAN_METRICS_BIND", &v))
            .transpose()?;
        let bootstrap_admin = get("ZHIYUAN_BOOTSTRAP_ADMIN")
            .map(|v| match v.split_once(':') {
                Some((login, password)) if !login.is_empty() && !password.is_empty() => {
                    Ok((login.to_owned(), password.to_owned()))
                }
                _ => Err(ConfigError(
                    "ZHIYUAN_BOOTSTRAP_ADMIN must be login:password".to_owned(),
                )),
            })
            .transpose()?;
        let log_format = match get("ZHIYUAN_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError(format!(
                    "ZHIYUAN_LOG_FORMAT must be text or json, not {other:?}"
                )));
            }
        };
        let data_dir =
            PathBuf::from(get("ZHIYUAN_DATA_DIR").unwrap_or_else(|| "./data".to_owned()));
        Ok(Config {
            database_url,
            backend,
            bind,
            metrics_bind,
            files_dir: get("ZHIYUAN_FILES_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| data_dir.join("files")),
            data_dir,
            bootstrap_admin,
            jwt_secret: get("ZHIYUAN_JWT_SECRET"),
            data_key: get("ZHIYUAN_DATA_KEY"),
            signing_key: get("ZHIYUAN_SIGNING_KEY"),
            public_base_url: public_base_url(get("ZHIYUAN_PUBLIC_BASE_URL"))?,
            federation_name: get("ZHIYUAN_FEDERATION_NAME")
                .unwrap_or_else(|| "台山市志愿者联合会".to_owned()),
            index_key: get("ZHIYUAN_INDEX_KEY"),
            cors_origins: get("ZHIYUAN_CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            log_filter: get("ZHIYUAN_LOG").unwrap_or_else(|| "info".to_owned()),
            log_format,
            access_token_ttl_secs: number(&get, "ZHIYUAN_ACCESS_TOKEN_TTL_SECS", 900)?,
            refresh_token_ttl_secs: number(&get, "ZHIYUAN_REFRESH_TOKEN_TTL_SECS", 30 * 24 * 3600)?,
            max_body_bytes: number(&get, "ZHIYUAN_MAX_BODY_BYTES", 1024 * 1024)?,
            db_pool_size: number(&get, "ZHIYUAN_DB_POOL_SIZE", 16)?,
            db_timeout_ms: number(&get, "ZHIYUAN_DB_TIMEOUT_MS", 2000)?,
            trust_forwarded: flag(&get, "ZHIYUAN_TRUST_FORWARDED")?,
            privacy_notice_version: get("ZHIYUAN_PRIVACY_NOTICE_VERSION")
                .unwrap_or_else(|| "2026-01".to_owned()),
            argon2_memory_kib: number(&get, "ZHIYUAN_ARGON2_MEMORY_KIB", 19456)?,
            login_limit_per_account: number(&get, "ZHIYUAN_LOGIN_LIMIT_PER_ACCOUNT", 5)?,
            login_limit_per_address: number(&get, "ZHIYUAN_LOGIN_LIMIT_PER_ADDRESS", 100)?,
            login_window_secs: number(&get, "ZHIYUAN_LOGIN_WINDOW_SECS", 15 * 60)?,
            workers: get("ZHIYUAN_WORKERS")
                .map(|v| {
                    v.parse()
                        .map_err(|_| ConfigError("ZHIYUAN_WORKERS must be a number".to_owned()))
                })
                .transpose()?,
            star_thresholds_hours: star_thresholds(
                get("ZHIYUAN_STAR_THRESHOLDS_HOURS").as_deref(),
            )?,
            certificate_target: certificate_target(get("ZHIYUAN_CERTIFICATE_TARGET"))?,
            verify_limit_per_address: number(&get, "ZHIYUAN_VERIFY_LIMIT_PER_ADDRESS", 120)?,
            register_limit_per_address: number(&get, "ZHIYUAN_REGISTER_LIMIT_PER_ADDRESS", 200)?,
            shutdown_grace_secs: number(&get, "ZHIYUAN_SHUTDOWN_GRACE_SECS", 30)?,
            signup_changes_per_activity: number(&get, "ZHIYUAN_SIGNUP_CHANGES_PER_ACTIVITY", 10)?,
            max_upload_bytes: number(&get, "ZHIYUAN_MAX_UPLOAD_BYTES", 10 * 1024 * 1024)?,
            uploads_per_day: number(&get, "ZHIYUAN_UPLOADS_PER_DAY", 100)?,
            posts_per_day: number(&get, "ZHIYUAN_POSTS_PER_DAY", 10)?,
            wechat_appid: get("ZHIYUAN_WECHAT_APPID"),
            wechat_secret: get("ZHIYUAN_WECHAT_SECRET"),
            wechat_api_base: get("ZHIYUAN_WECHAT_API_BASE")
                .unwrap_or_else(|| "https://api.weixin.qq.com".to_owned())
                .trim_end_matches('/')
                .to_owned(),
            wechat_timeout_ms: number(&get, "ZHIYUAN_WECHAT_TIMEOUT_MS", 5000)?,
            webhook_allow_private: flag(&get, "ZHIYUAN_WEBHOOK_ALLOW_PRIVATE")?,
            webhook_timeout_ms: number(&get, "ZHIYUAN_WEBHOOK_TIMEOUT_MS", 10_000)?,
            redis_url: get("ZHIYUAN_REDIS_URL").map(redis_url).transpose()?,
            rounding_policy: match get("ZHIYUAN_ROUNDING_POLICY") {
                None => crate::rounding::RoundingPolicy::default(),
                Some(v) => crate::rounding::RoundingPolicy::from_code(&v).ok_or_else(|| {
                    ConfigError(format!(
                        "ZHIYUAN_ROUNDING_POLICY must be floor_minute, not {v:?}"
                    ))
                })?,
            },
        })
    }
}

/// An absolute http(s) address without a trailing slash: credentials and QR codes carry it.
fn public_base_url(value: Option<String>) -> Result<String, ConfigError> {
    let value = value.unwrap_or_else(|| "http://localhost:8080".to_owned());
    let trimmed = value.trim().trim_end_matches('/');
    let host = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match host {
        Some(h) if !h.is_empty() && !h.contains(char::is_whitespace) => Ok(trimmed.to_owned()),
        _ => Err(ConfigError(format!(
            "ZHIYUAN_PUBLIC_BASE_URL must be an http(s) address such as https://zhiyuan.example.cn, not {value:?}"
        ))),
    }
}

/// A share between 0 and 1.
fn certificate_target(value: Option<String>) -> Result<f64, ConfigError> {
    let Some(value) = value else {
        return Ok(0.5);
    };
    match value.trim().parse::<f64>() {
        Ok(t) if (0.0..=1.0).contains(&t) => Ok(t),
        _ => Err(ConfigError(format!(
            "ZHIYUAN_CERTIFICATE_TARGET must be a share between 0 and 1, e.g. 0.5, not {value:?}"
        ))),
    }
}

/// Five strictly increasing positive numbers of hours.
fn star_thresholds(value: Option<&str>) -> Result<[u32; 5], ConfigError> {
    let Some(value) = value else {
        return Ok([100, 300, 600, 1000, 1500]);
    };
    let error = || {
        ConfigError(format!(
            "ZHIYUAN_STAR_THRESHOLDS_HOURS must be five increasing numbers of hours, e.g. 100,300,600,1000,1500, not {value:?}"
        ))
    };
    let numbers: Vec<u32> = value
        .split(',')
        .map(|n| n.trim().parse::<u32>())
        .collect::<Result<_, _>>()
        .map_err(|_| error())?;
    let thresholds: [u32; 5] = numbers.try_into().map_err(|_| error())?;
    if thresholds[0] == 0 || thresholds.windows(2).any(|w| w[0] >= w[1]) {
        return Err(error());
    }
    Ok(thresholds)
}

fn parse_addr(key: &str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.parse().map_err(|_| {
        ConfigError(format!(
            "{key} must be host:port, e.g. 0.0.0.0:8080, not {value:?}"
        ))
    })
}

fn number<T: std::str::FromStr>(
    get: &impl Fn(&str) -> Option<String>,
    key: &str,
    default: T,
) -> Result<T, ConfigError> {
    match get(key) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| ConfigError(format!("{key} must be a positive number, not {v:?}"))),
    }
}

fn flag(get: &impl Fn(&str) -> Option<String>, key: &str) -> Result<bool, ConfigError> {
    match get(key).as_deref() {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(v) => Err(ConfigError(format!(
            "{key} must be true or false, not {v:?}"
        ))),
    }
}

/// `ZHIYUAN_REDIS_URL`: plain `redis://` (a private network) or a local socket; TLS is not
/// built in (a TLS sidecar such as stunnel carries `rediss`).
fn redis_url(url: String) -> Result<String, ConfigError> {
    let (scheme, rest) = url.split_once("://").unwrap_or_default();
    if matches!(scheme, "redis" | "redis+unix" | "unix")
        && !rest.is_empty()
        && redis::Client::open(url.as_str()).is_ok()
    {
        Ok(url)
    } else {
        Err(ConfigError(format!(
            "ZHIYUAN_REDIS_URL must be redis://host[:port][/db] or redis+unix:///path, not {url:?}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_redis(url: &str) -> Result<Config, ConfigError> {
        Config::from_lookup(|key| (key == "ZHIYUAN_REDIS_URL").then(|| url.to_owned()))
    }

    #[test]
    fn redis_urls_are_checked_when_read() {
        for good in [
            "redis://127.0.0.1:6379/0",
            "redis://:secret@redis:6379",
            "redis+unix:///run/redis.sock",
        ] {
            let config = with_redis(good).map_err(|e| e.0);
            assert_eq!(config.map(|c| c.redis_url), Ok(Some(good.to_owned())));
        }
        for bad in [
            "rediss://redis:6379",
            "http://redis:6379",
            "127.0.0.1:6379",
            "redis://",
        ] {
            assert!(with_redis(bad).is_err(), "{bad} was taken");
        }
    }
}
