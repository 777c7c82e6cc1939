//! Webhook subscriptions: only federation admins make, edit, delete, rotate and redeliver
//! (each audited); URLs pass the SSRF guard; secrets are random, shown once, kept encrypted
//! (signing needs them back) and overlap for a day after a rotation.

use chrono::Duration;
use serde_json::json;

use super::dto::{
    CreateWebhookRequest, DESCRIPTION_MAX, DeliveryResponse, URL_MAX, UpdateWebhookRequest,
    WebhookResponse, WebhookWithSecretResponse,
};
use super::guard::{self, Refusal};
use super::model::{Subscription, SubscriptionChanges};
use super::signing;
use super::store;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::crypto::PersonalDataCipher;
use crate::db::{DbConn, PooledConn, Tx, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg, check_version};
use crate::ids::check_id;
use crate::meta::enums::{Codes, WebhookEvent};
use crate::paging::{Page, PageQuery, page_request};
use crate::validation::{optional_text, required_text};

/// How long the secret before a rotation keeps signing beside the new one.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// What the webhook service needs besides the database.
pub struct WebhookDeps<'a> {
    pub pii: &'a PersonalDataCipher,
    pub allow_private: bool,
}

/// The URL, trimmed, if its form and address pass; else the problem of field `url`.
fn checked_url(errors: &mut FieldErrors, url: &str, allow_private: bool) -> Option<String> {
    let url = required_text(errors, "url", url, URL_MAX);
    if errors.has("url") {
        return None;
    }
    let (code, zh, en) = match guard::check_url(&url, allow_private) {
        Ok(()) => return Some(url),
        Err(Refusal::Malformed) => (
            "format",
            "须为带主机名的 http 或 https 绝对地址",
            "Must be an absolute http or https URL with a host",
        ),
        Err(Refusal::Private) => (
            "private_address",
            "不能指向内网、回环或链路本地地址",
            "Must not point at a private, loopback or link-local address",
        ),
        Err(Refusal::Unresolvable) => (
            "unresolvable",
            "主机名无法解析",
            "The host name does not resolve",
        ),
    };
    errors.add("url", code, Msg::new(zh, en));
    None
}

fn events_of(errors: &mut FieldErrors, events: Vec<WebhookEvent>) -> Codes<WebhookEvent> {
    if events.is_empty() {
        errors.add(
            "events",
            "required",
            Msg::new("至少订阅一种事件", "Subscribe to at least one event type"),
        );
    }
    Codes::set(events)
}

/// Creates a subscription (federation admins; audited) → with its secret, this once.
pub fn create(
    conn: &mut PooledConn,
    deps: &WebhookDeps,
    actor: &Actor,
    origin: &Origin,
    req: CreateWebhookRequest,
) -> ApiResult<WebhookWithSecretResponse> {
    policy::authorize(conn, actor, Action::ManageWebhooks)?;
    let mut errors = FieldErrors::default();
    let url = checked_url(&mut errors, &req.url, deps.allow_private);
    let events = events_of(&mut errors, req.events);
    let description = optional_text(&mut errors, "description", req.description, DESCRIPTION_MAX);
    errors.into_result()?;
    let secret = signing::new_secret();
    let at = now();
    let row = Subscription {
        id: new_id(),
        url: url.unwrap_or_default(),
        events,
        description,
        secret_cipher: deps.pii.encrypt(&secret),
        previous_secret_cipher: None,
        previous_secret_until: None,
        enabled: true,
        disabled_reason: None,
        created_by: actor.account_id.clone(),
        created_at: at,
        updated_at: at,
        version: 1,
    };
    write_tx(conn, |tx| {
        store::insert(tx, &row)?;
        audited(tx, actor, origin, "webhook.created", &row)
    })?;
    Ok(WebhookWithSecretResponse {
        webhook: row.into(),
        secret,
    })
}

fn audited(
    tx: &mut Tx,
    actor: &Actor,
    origin: &Origin,
    action: &str,
    row: &Subscription,
) -> ApiResult<()> {
    let events: Vec<&str> = row.events.as_slice().iter().map(|e| e.code()).collect();
    audit::record(
        tx,
        origin,
        AuditEntry {
            actor_id: &actor.account_id,
            action,
            target_type: "webhook",
            target_id: &row.id,
            details: json!({"url": row.url, "events": events, "enabled": row.enabled}),
        },
    )
}

fn find(conn: &mut DbConn, id: &str) -> ApiResult<Subscription> {
    check_id("id", id)?;
    store::find(conn, id)?.ok_or_else(ApiError::not_found)
}

/// Every subscription, newest first (federation admins).
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    query: &PageQuery,
) -> ApiResult<Page<WebhookResponse>> {
    policy::authorize(conn, actor, Action::ManageWebhooks)?;
    let page = page_request(query.page, query.per_page)?;
    let (rows, total) = store::page(conn, page.per_page, page.offset())?;
    Ok(Page::new(
        rows.into_iter().map(Into::into).collect(),
        page,
        total,
    ))
}

/// Edits a subscription (federation admins; audited; If-Match). Enabling one resumes its
/// pending deliveries; disabling holds them.
pub fn update(
    conn: &mut PooledConn,
    deps: &WebhookDeps,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    expected_version: Option<i64>,
    req: UpdateWebhookRequest,
) -> ApiResult<Subscription> {
    policy::authorize(conn, actor, Action::ManageWebhooks)?;
    find(conn, id)?;
    let mut errors = FieldErrors::default();
    let url = req
        .url
        .as_deref()
        .map(|u| checked_url(&mut errors, u, deps.allow_private));
    let events = req.events.map(|e| events_of(&mut errors, e));
    let description = req
        .description
        .map(|d| optional_text(&mut errors, "description", d, DESCRIPTION_MAX));
    errors.into_result()?;
    let changes = SubscriptionChanges {
        url: url.flatten(),
        events,
        description,
        enabled: req.enabled,
        disabled_reason: req.enabled.map(|on| (!on).then(|| "disabled".to_owned())),
    };
    write_tx(conn, |tx| {
        let now_version = store::find(tx, id)?
            .ok_or_else(ApiError::not_found)?
            .version;
        check_version(expected_version, now_version)?;
        if !store::update(tx, id, now_version, &changes, now())? {
            return Err(ApiError::precondition_failed());
        }
        let row = store::find(tx, id)?.ok_or_else(ApiError::not_found)?;
        audited(tx, actor, origin, "webhook.updated", &row)?;
        Ok(row)
    })
}

/// Deletes a subscription and its delivery log (federation admins; audited).
pub fn delete(conn: &mut PooledConn, actor: &Actor, origin: &Origin, id: &str) -> ApiResult<()> {
    policy::authorize(conn, actor, Action::ManageWebhooks)?;
    let row = find(conn, id)?;
    write_tx(conn, |tx| {
        if !store::delete(tx, id)? {
            return Err(ApiError::not_found());
        }
        audited(tx, actor, origin, "webhook.deleted", &row)
    })
}

/// A new secret (federation admins; audited), shown this once; the old one keeps signing
/// beside it for [`ROTATION_OVERLAP_HOURS`], so receivers can switch without losing events.
pub fn rotate_secret(
    conn: &mut PooledConn,
    deps: &WebhookDeps,
    actor: &Actor,
    origin: &Origin,
    id: &str,
) -> ApiResult<WebhookWithSecretResponse> {
    policy::authorize(conn, actor, Action::ManageWebhooks)?;
    find(conn, id)?;
    let secret = signing::new_secret();
    let cipher = deps.pii.encrypt(&secret);
    let row = write_tx(conn, |tx| {
        let current = store::find(tx, id)?.ok_or_else(ApiError::not_found)?;
        let at = now();
        let until = at + Duration::hours(ROTATION_OVERLAP_HOURS);
        store::rotate_secret(tx, id, &cipher, &current.secret_cipher, until, at)?;
        let row = store::find(tx, id)?.ok_or_else(ApiError::not_found)?;
        audited(tx, actor, origin, "webhook.secret_rotated", &row)?;
        Ok::<_, ApiError>(row)
    })?;
    Ok(WebhookWithSecretResponse {
        webhook: row.into(),
        secret,
    })
}

/// A subscription's deliveries, newest first (federation admins).
pub fn deliveries(
    conn: &mut DbConn,
    actor: &Actor,
    id: &str,
    query: &PageQuery,
) -> ApiResult<Page<DeliveryResponse>> {
    policy::authorize(conn, actor, Action::ManageWebhooks)?;
    find(conn, id)?;
    let page = page_request(query.page, query.per_page)?;
    let (rows, total) = store::deliveries(conn, id, page.per_page, page.offset())?;
    Ok(Page::new(
        rows.into_iter()
            .map(|(delivery, event)| DeliveryResponse::new(delivery, event))
            .collect(),
        page,
        total,
    ))
}

/// Sends a delivery again now, with the same `webhook-id` (federation admins; audited): a
/// pending one sooner, a delivered or failed one once more.
pub fn redeliver(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    delivery_id: &str,
) -> ApiResult<DeliveryResponse> {
    policy::authorize(conn, actor, Action::ManageWebhooks)?;
    let subscription = find(conn, id)?;
    check_id("delivery_id", delivery_id)?;
    write_tx(conn, |tx| {
        store::find_delivery(tx, id, delivery_id)?.ok_or_else(ApiError::not_found)?;
        store::make_due(tx, delivery_id, now())?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "webhook.redelivered",
                target_type: "webhook",
                target_id: &subscription.id,
                details: json!({"delivery_id": delivery_id}),
            },
        )?;
        store::find_delivery(tx, id, delivery_id)?
            .map(|(delivery, event)| DeliveryResponse::new(delivery, event))
            .ok_or_else(ApiError::not_found)
    })
}

/// The outbox's backlog for the operator: pending deliveries, and the age of the oldest in
/// seconds (0 when none).
pub fn backlog(conn: &mut DbConn) -> ApiResult<(i64, i64)> {
    let (pending, oldest) = store::backlog(conn)?;
    let age = oldest.map_or(0, |t| (now() - t).num_seconds().max(0));
    Ok((pending, age))
}
