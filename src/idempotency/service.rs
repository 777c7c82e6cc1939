//! The rules of Idempotency-Key: what a key may look like, which requests take one, when a
//! request counts as the same, and what is remembered.

use std::sync::{Arc, Mutex};

use chrono::Duration;
use diesel::result::{DatabaseErrorKind, Error as DbError};
use sha2::{Digest, Sha256};

use super::model::KeyedRequest;
use super::store;
use crate::auth::extractor::Caller;
use crate::auth::policy::Actor;
use crate::crypto::PersonalDataCipher;
use crate::db::{self, DbConn, JoinsTransactions, PooledConn, Tx, now};
use crate::error::ApiResult;

/// How long a key is remembered (published in the OpenAPI document).
pub const KEPT_HOURS: i64 = 24;
/// The longest key, unquoted.
pub const MAX_KEY_CHARS: usize = 255;
/// The header's grammar: an RFC 8941 sf-string, or the bare value, of 1–255 characters.
pub const KEY_PATTERN: &str =
    "^(\"([\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]|\\\\[\"\\\\]){1,255}\"|[\\x21\\x23-\\x7E]{1,255})$";

/// POSTs that take no key: the session's own, which hand out or end tokens (a retry is simply
/// another login, and tokens are not to be kept), and reads that happen to be POSTs. Matched
/// against the end of the path.
const WITHOUT_KEY: &[&str] = &[
    "/auth/login",
    "/auth/refresh",
    "/auth/logout",
    "/auth/logout-all",
    "/auth/token",
    "/auth/wechat",
    "/reveal-id",
];

/// POSTs that must carry a key (400 without one): batches, whose retry without a key could not
/// be told from a second batch.
const KEY_REQUIRED: &[&str] = &["/import/volunteers", "/import/service-records"];

/// Whether a POST to `path` (concrete, or the document's template) must carry a key.
pub fn requires_key(path: &str) -> bool {
    path.starts_with(crate::API_PREFIX) && KEY_REQUIRED.iter().any(|s| path.ends_with(s))
}

/// Whether a POST to `path` (concrete, or the document's template) takes an Idempotency-Key.
pub fn takes_key(path: &str) -> bool {
    path.starts_with(crate::API_PREFIX) && !WITHOUT_KEY.iter().any(|s| path.ends_with(s))
}

/// The key of a header value: the content of an sf-string, or the bare value. `None` if the
/// value is neither, or empty, or longer than [`MAX_KEY_CHARS`].
pub fn parse_key(value: &str) -> Option<String> {
    let value = value.trim_matches([' ', '\t']);
    let key = match value.strip_prefix('"') {
        Some(quoted) => {
            let inner = quoted.strip_suffix('"')?;
            let mut key = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => match chars.next()? {
                        c @ ('"' | '\\') => key.push(c),
                        _ => return None,
                    },
                    '"' => return None,
                    ' '..='~' => key.push(c),
                    _ => return None,
                }
            }
            key
        }
        None => {
            let bare = value.chars().all(|c| matches!(c, '!'..='~') && c != '"');
            bare.then(|| value.to_owned())?
        }
    };
    (!key.is_empty() && key.chars().count() <= MAX_KEY_CHARS).then_some(key)
}

/// What makes two requests with one key the same request: the query and the body.
pub fn fingerprint(query: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(query.as_bytes());
    h.update(b"\n");
    h.update(body);
    hex::encode(h.finalize())
}

/// Whether a response to a request that wrote nothing is kept for replay. Not: the request's
/// own fault of form (400, 413, 415), no credentials (401), rate limits (429) and failures of
/// ours (5xx) — sent again, such a request may well succeed.
pub fn remembers(status: u16) -> bool {
    !matches!(status, 400 | 401 | 413 | 415 | 429 | 500..)
}

/// A keyed request on its way through: joined to its write transactions, it records itself in
/// the first one.
pub struct Claim {
    caller: String,
    route: String,
    key: String,
    fingerprint: String,
    state: Mutex<ClaimState>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClaimState {
    /// No transaction of the request has committed its record yet.
    Open,
    /// The record is written in a transaction still open.
    Held,
    /// The record committed with the request's work.
    Committed,
    /// Another request with the key holds or committed the record: this one did nothing.
    Lost,
}

impl Claim {
    pub fn new(caller: String, route: String, key: String, fingerprint: String) -> Arc<Claim> {
        Arc::new(Claim {
            caller,
            route,
            key,
            fingerprint,
            state: Mutex::new(ClaimState::Open),
        })
    }

    pub fn state(&self) -> ClaimState {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn row(&self) -> KeyedRequest {
        KeyedRequest {
            caller: self.caller.clone(),
            route: self.route.clone(),
            idempotency_key: self.key.clone(),
            fingerprint: self.fingerprint.clone(),
            status: None,
            headers: None,
            body: None,
            created_at: now(),
            completed_at: None,
        }
    }
}

impl JoinsTransactions for Claim {
    fn begin(&self, tx: &mut Tx<'_>) -> diesel::QueryResult<()> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        match *state {
            ClaimState::Committed => return Ok(()),
            ClaimState::Lost => return Err(DbError::RollbackTransaction),
            ClaimState::Open | ClaimState::Held => {}
        }
        match store::insert(tx, &self.row(), expiry()) {
            Ok(()) => {
                *state = ClaimState::Held;
                Ok(())
            }
            Err(e @ DbError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                *state = ClaimState::Lost;
                Err(e)
            }
            Err(e) => Err(e),
        }
    }

    fn end(&self, committed: bool) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if *state == ClaimState::Held {
            *state = if committed {
                ClaimState::Committed
            } else {
                ClaimState::Open
            };
        }
    }
}

tokio::task_local! {
    static CURRENT: Arc<Claim>;
}

/// Runs a request's handling with `claim` joined to the write transactions it begins.
pub async fn within<F: Future>(claim: Arc<Claim>, handling: F) -> F::Output {
    CURRENT.scope(claim, handling).await
}

/// The claim of the request being handled on this task, for `AppState::db` to hand to the
/// blocking thread.
pub fn current() -> Option<Arc<dyn JoinsTransactions>> {
    CURRENT
        .try_with(|c| Arc::clone(c) as Arc<dyn JoinsTransactions>)
        .ok()
}

/// A response, as kept and replayed.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What is known of an earlier request with the claim's caller, route and key.
#[derive(Debug)]
pub enum Earlier {
    None,
    /// The same request, still running (or its answer was lost with its server).
    InFlight,
    /// The key was used for a different request.
    Reused,
    Answered(Response),
}

fn expiry() -> chrono::NaiveDateTime {
    now() - Duration::hours(KEPT_HOURS)
}

/// What an earlier request with the claim's key decided. Before any of it is told, the caller
/// (`None`: anonymous) must still hold its session: a token of a disabled account, an ended
/// session or a revoked client is refused (401) as the handler would refuse it, so a replay
/// cannot outlive a logout.
pub fn earlier(
    conn: &mut DbConn,
    pii: &PersonalDataCipher,
    claim: &Claim,
    caller: Option<&Caller>,
) -> ApiResult<Earlier> {
    let Some(row) = store::find(conn, &claim.caller, &claim.route, &claim.key, expiry())? else {
        return Ok(Earlier::None);
    };
    if let Some(caller) = caller {
        Actor::for_caller(conn, caller)?;
    }
    if row.fingerprint != claim.fingerprint {
        return Ok(Earlier::Reused);
    }
    let (Some(status), Some(headers), Some(body)) = (row.status, row.headers, row.body) else {
        return Ok(Earlier::InFlight);
    };
    let body = pii
        .decrypt_bytes(&body)
        .ok_or_else(|| crate::error::ApiError::internal("a kept response does not decrypt"))?;
    Ok(Earlier::Answered(Response {
        status: u16::try_from(status).unwrap_or(500),
        headers: serde_json::from_str(&headers).map_err(crate::error::ApiError::internal)?,
        body,
    }))
}

/// Keeps the response of a request that has run: always when its work committed (its record
/// is waiting for it), else when [`remembers`] says so.
pub fn keep(
    conn: &mut PooledConn,
    pii: &PersonalDataCipher,
    claim: &Claim,
    response: &Response,
) -> ApiResult<()> {
    let state = claim.state();
    let keeps = match state {
        ClaimState::Committed => true,
        ClaimState::Open => remembers(response.status),
        ClaimState::Held | ClaimState::Lost => false,
    };
    if !keeps {
        return Ok(());
    }
    let headers =
        serde_json::to_string(&response.headers).map_err(crate::error::ApiError::internal)?;
    let body = pii.encrypt_bytes(&response.body);
    let status = i32::from(response.status);
    if state == ClaimState::Committed {
        let id = (
            claim.caller.as_str(),
            claim.route.as_str(),
            claim.key.as_str(),
        );
        store::complete(conn, id, status, &headers, &body, now())?;
        return Ok(());
    }
    let row = KeyedRequest {
        status: Some(status),
        headers: Some(headers),
        body: Some(body),
        completed_at: Some(now()),
        ..claim.row()
    };
    match db::write_tx(conn, |tx| store::insert(tx, &row, expiry())) {
        // A concurrent request with the key got there first; its answer is the one kept.
        Err(DbError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) | Ok(()) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Forgets keys older than [`KEPT_HOURS`]; the number forgotten.
pub fn prune(conn: &mut PooledConn) -> ApiResult<usize> {
    Ok(store::prune(conn, expiry())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any header value is judged without panicking; a key is what the client meant,
        /// bare or as an RFC 8941 sf-string.
        #[test]
        fn keys_read_bare_or_quoted(any in "\\PC{0,300}", key in "[!#-\\[\\]-~]{1,255}") {
            if let Some(k) = parse_key(&any) {
                prop_assert!(!k.is_empty() && k.chars().count() <= MAX_KEY_CHARS);
            }
            prop_assert_eq!(parse_key(&key), Some(key.clone()));
            prop_assert_eq!(parse_key(&format!("\"{key}\"")), Some(key.clone()));
            let escaped = format!("\"a\\\"b\\\\{key}\"");
            let meant = format!("a\"b\\{key}");
            let expected = (meant.chars().count() <= MAX_KEY_CHARS).then_some(meant);
            prop_assert_eq!(parse_key(&escaped), expected);
        }
    }
}
