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

use super::model::{Attempt, Due};
use super::store;
use crate::db::{Tx, now, write_tx};
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
pub async fn run(state: AppState) {
    loop {
        match deliver_due(&state).await {
            Ok(0) => tokio::time::sleep(Duration::from_secs(1)).await,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "webhook dispatch failed");
                tokio::time::sleep(Duration::from_secs(5)).await;
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
    // The round's attempts in one transaction: one commit (one flush to disk) for all of them.
    state
        .db(move |conn, state| {
            let statuses = write_tx(conn, |tx| {
                due.iter()
                    .zip(attempts)
                    .map(|(due, (attempt, outcome))| record(tx, due, &attempt, outcome))
                    .collect::<ApiResult<Vec<_>>>()
            })?;
            for status in statuses {
                let outcome = match status {
                    DeliveryStatus::Delivered => "delivered",
                    DeliveryStatus::Pending => "retry",
                    DeliveryStatus::Failed => "failed",
                };
                state
                    .metrics
                    .counter("zhiyuan_webhook_attempts_total", &[("outcome", outcome)])
                    .increment(1);
            }
            Ok(())
        })
        .await?;
    Ok(n)
}

/// Records one attempt: the delivery's new status (returned) and next attempt, and what a 410
/// or the end of the schedule does to its subscription.
fn record(
    tx: &mut Tx,
    due: &Due,
    attempt: &Attempt,
    outcome: Outcome,
) -> ApiResult<DeliveryStatus> {
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
                    store::disable(tx, &due.subscription_id, "failing", attempt.at)?;
                    (DeliveryStatus::Failed, None)
                }
            }
        }
    };
    store::record_attempt(tx, &due.delivery_id, due.attempts, attempt, status, next)?;
    Ok(status)
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
    let result = match secrets(state, due, at) {
        Ok(secrets) => {
            let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
            let timestamp = crate::time::to_utc(at).timestamp();
            state
                .webhooks
                .send(&due.url, &due.event_id, &due.body, &refs, timestamp)
                .await
        }
        Err(e) => Err(e),
    };
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

/// The secrets that sign a delivery now: the subscription's, and the one before it during a
/// rotation's overlap.
fn secrets(state: &AppState, due: &Due, at: NaiveDateTime) -> Result<Vec<String>, String> {
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
    Ok(secrets)
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
