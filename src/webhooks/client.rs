//! The HTTP side of a delivery: one signed POST (Standard Webhooks v1 headers) with a timeout,
//! no redirects followed, and (unless private addresses are allowed) the SSRF guard on the
//! addresses actually dialled.

use std::time::Duration;

use super::guard::{self, GuardedResolver};
use super::signing;
use crate::config::Config;

/// The HTTP client webhooks are sent with: no redirects, a timeout, and (unless private
/// addresses are allowed) a resolver that refuses names of private addresses.
pub struct WebhookClient {
    http: reqwest::Client,
    allow_private: bool,
}

impl WebhookClient {
    #[allow(
        clippy::expect_used,
        reason = "built once at start: a rustls client without proxies has nothing to fail on"
    )]
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

    /// Sends one signed delivery: the receiver's status and `Retry-After` (seconds), or what
    /// kept the request from an answer.
    pub async fn send(
        &self,
        url: &str,
        event_id: &str,
        body: &str,
        secrets: &[&str],
        timestamp: i64,
    ) -> Result<(u16, Option<i64>), String> {
        let url = reqwest::Url::parse(url).map_err(|_| "malformed URL".to_owned())?;
        if !self.allow_private && guard::literal_is_forbidden(&url) {
            return Err("refused: a private, loopback or link-local address".to_owned());
        }
        let signature = signing::signature(secrets, event_id, timestamp, body)
            .ok_or_else(|| "the secret is malformed".to_owned())?;
        let response = self
            .http
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body.to_owned())
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
