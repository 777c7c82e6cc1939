//! Delivering the outbox (Standard Webhooks v1). Each round claims the deliveries that are due
//! (`store::claim_due`: on PostgreSQL `FOR UPDATE SKIP LOCKED`, so several instances share the
//! work and none takes a delivery another holds; a claim is a lease, so a delivery whose
//! instance died is due again when it runs out), sends them at once, and records each attempt.
//! A delivery is at least once: the same `webhook-id` on every attempt lets receivers drop
//! repeats. Any 2xx is delivered; 410 disables the subscription; anything else (other
//! statuses, redirects, timeouts, refused connections, refused addresses) is retried with
//! exponential backoff and jitter over about a day, after which the delivery fails and the
//! subscription is disabled (`failing`) until an admin enables it again.

use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use rand::Rng;

use super::guard::{self, GuardedResolver};
use super::model::{Attempt, Due};
use super::signing;
use super::store;
use crate::config::Config;
use crate::db::{now, write_tx};
use crate::error::{ApiError, ApiResult};
use crate::meta::enums::DeliveryStatus;
use crate::state::AppState;

/// Seconds to wait after the first, second, … failed attempt (then the delivery fails): about
/// 27 hours in all, as the standard suggests.
const BACKOFF_SECS: [i64; 7] = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600];
/// How many deliveries a round claims.
const ROUND: i64 = 64;
/// How long a claim holds: longer than any attempt may take.
const LEASE_SECS: i64 = 120;
/// The most of a receiver's `Retry-After` honoured (beyond it, the backoff decides).
const MAX_RETRY_AFTER_SECS: i64 = 3600;

/// The HTTP client webhooks are sent with: no redirects, a timeout, and (unless private
/// addresses are allowed) a resolver that refuses names of private addresses.
pub struct WebhookClient {
    http: reqwest::Client,
    allow_private: bool,
}

impl WebhookClient {
    pub fn new(config: &Config) -> WebhookClient {
        let mut builder = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.webhook_timeout_ms))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("zhiyuan-webhooks/", env!("CARGO_PKG_VERSION")));
        if !config.webhook_allow_private {
            builder = builder.dns_resolver(std::sync::Arc::new(GuardedResolver));
        }
        WebhookClient {
            http: builder
                .build()
                .expect("an HTTP client with rustls and no proxies builds"),
            allow_private: config.webhook_allow_private,
        }
    }
}

/// How an attempt ended.
enum Outcome {
    Delivered,
    /// 410: the receiver says the endpoint is gone for good.
    Gone,
    /// Anything else; with the receiver's `Retry-After`, if it gave one.
    Failed {
        retry_after: Option<i64>,
    },
}

/// Runs rounds while there is work, and waits a second between rounds when there is none.
pub async fn run(state: actix_web::web::Data<AppState>) {
    loop {
        match deliver_due(&state).await {
            Ok(0) => actix_web::rt::time::sleep(Duration::from_secs(1)).await,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "webhook dispatch failed");
                actix_web::rt::time::sleep(Duration::from_secs(5)).await;
            }
        }
    }
}

/// One round: claims what is due, sends it, records the attempts. How many were attempted.
pub async fn deliver_due(state: &AppState) -> ApiResult<usize> {
    let due = state
        .db(|conn, _| {
            let at = now();
            let lease = at + chrono::Duration::seconds(LEASE_SECS);
            write_tx(conn, |tx| {
                Ok::<_, ApiError>(store::claim_due(tx, at, lease, ROUND)?)
            })
        })
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let attempts = futures_util::future::join_all(due.iter().map(|d| attempt(state, d))).await;
    let n = due.len();
    state
        .db(move |conn, _| {
            for (due, (attempt, outcome)) in due.iter().zip(attempts) {
                write_tx(conn, |tx| {
                    let (status, next) = match outcome {
                        Outcome::Delivered => (DeliveryStatus::Delivered, None),
                        Outcome::Gone => {
                            store::disable(tx, &due.subscription_id, "gone", attempt.at)?;
                            (DeliveryStatus::Failed, None)
                        }
                        Outcome::Failed { retry_after } => {
                            match next_attempt(due.attempts + 1, retry_after, attempt.at) {
                                Some(next) => (DeliveryStatus::Pending, Some(next)),
                                None => {
                                    store::disable(
                                        tx,
                                        &due.subscription_id,
                                        "failing",
                                        attempt.at,
                                    )?;
                                    (DeliveryStatus::Failed, None)
                                }
                            }
                        }
                    };
                    store::record_attempt(
                        tx,
                        &due.delivery_id,
                        due.attempts,
                        &attempt,
                        status,
                        next,
                    )?;
                    Ok::<_, ApiError>(())
                })?;
            }
            Ok(())
        })
        .await?;
    Ok(n)
}

/// When to try again after `failures` failed attempts: the backoff with ±20 % jitter (so
/// receivers coming back are not hit by every sender at once), or later if the receiver asked;
/// `None` once the schedule is spent.
fn next_attempt(
    failures: i32,
    retry_after: Option<i64>,
    at: NaiveDateTime,
) -> Option<NaiveDateTime> {
    let base = *BACKOFF_SECS.get(usize::try_from(failures).ok()?.checked_sub(1)?)?;
    let jittered = (base as f64 * rand::rng().random_range(0.8..1.2)).round() as i64;
    let wait = jittered.max(retry_after.unwrap_or(0).min(MAX_RETRY_AFTER_SECS));
    Some(at + chrono::Duration::seconds(wait.max(1)))
}

/// Sends one delivery, signed with the subscription's secret (and the one before it, during
/// a rotation's overlap).
async fn attempt(state: &AppState, due: &Due) -> (Attempt, Outcome) {
    let started = Instant::now();
    let at = now();
    let result = send(state, due, at).await;
    let latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
    let (status_code, error, outcome) = match result {
        Ok((code, retry_after)) => {
            let outcome = match code {
                200..=299 => Outcome::Delivered,
                410 => Outcome::Gone,
                _ => Outcome::Failed { retry_after },
            };
            let error = (!(200..=299).contains(&code)).then(|| match code {
                300..=399 => "redirect (not followed)".to_owned(),
                _ => format!("HTTP {code}"),
            });
            (Some(i32::from(code)), error, outcome)
        }
        Err(error) => (None, Some(error), Outcome::Failed { retry_after: None }),
    };
    (
        Attempt {
            at,
            status_code,
            error,
            latency_ms,
        },
        outcome,
    )
}

/// The receiver's status and `Retry-After` (seconds), or what kept the request from an answer.
async fn send(
    state: &AppState,
    due: &Due,
    at: NaiveDateTime,
) -> Result<(u16, Option<i64>), String> {
    let client = &state.webhooks;
    let url = reqwest::Url::parse(&due.url).map_err(|_| "malformed URL".to_owned())?;
    if !client.allow_private && guard::literal_is_forbidden(&url) {
        return Err("refused: a private, loopback or link-local address".to_owned());
    }
    let mut secrets = vec![
        state
            .pii
            .decrypt(&due.secret_cipher)
            .ok_or_else(|| "the secret does not decrypt".to_owned())?,
    ];
    if let (Some(previous), Some(until)) = (&due.previous_secret_cipher, due.previous_secret_until)
        && until > at
        && let Some(previous) = state.pii.decrypt(previous)
    {
        secrets.push(previous);
    }
    let timestamp = crate::time::to_utc(at).timestamp();
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    let signature = signing::signature(&refs, &due.event_id, timestamp, &due.body)
        .ok_or_else(|| "the secret is malformed".to_owned())?;
    let response = client
        .http
        .post(url)
        .header("content-type", "application/json")
        .header("webhook-id", &due.event_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(due.body.clone())
        .send()
        .await
        .map_err(describe)?;
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    Ok((response.status().as_u16(), retry_after))
}

/// A failed request in a few words (the delivery log shows it; no URL, which may carry a
/// token of the receiver's).
fn describe(e: reqwest::Error) -> String {
    use std::error::Error;
    let mut cause = e.source();
    let mut deepest = None;
    while let Some(c) = cause {
        deepest = Some(c.to_string());
        cause = c.source();
    }
    let what = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    match deepest {
        Some(d) => format!("{what}: {d}"),
        None => what.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_backs_off_with_jitter_over_about_a_day_then_ends() {
        let at = now();
        let mut total = 0;
        for failures in 1..=7 {
            let next = next_attempt(failures, None, at).unwrap();
            let wait = (next - at).num_seconds();
            let base = BACKOFF_SECS[failures as usize - 1];
            assert!(
                wait >= base * 8 / 10 && wait <= base * 12 / 10 + 1,
                "{failures}: {wait}"
            );
            total += base;
        }
        assert!((24 * 3600..=30 * 3600).contains(&total), "{total}");
        assert_eq!(next_attempt(8, None, at), None);
        assert_eq!(next_attempt(0, None, at), None);
        // A receiver's Retry-After is honoured when longer, up to an hour.
        let asked = next_attempt(1, Some(600), at).unwrap();
        assert_eq!((asked - at).num_seconds(), 600);
        let capped = next_attempt(1, Some(86_400), at).unwrap();
        assert_eq!((capped - at).num_seconds(), 3600);
    }
}
