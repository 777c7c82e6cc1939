//! The audit log's hash chains. Each event is the next link of one of [`SEGMENTS`] chains
//! (chosen by the acting account, so that concurrent writers rarely wait for each other's head
//! row): its hash is SHA-256 over the previous link's hash and the event's canonical encoding
//! (RFC 8785, as credentials use), the head row holds the last link. An event edited, deleted
//! or inserted behind the server's back no longer fits, and [`verify`] says where.
//!
//! The chains are unkeyed, so anyone may check them; someone able to rewrite the database
//! could also rewrite a whole chain after an edit. Against that, keep the heads elsewhere
//! (`zhiyuan verify-audit` prints them; the housekeeping logs them): a chain that no longer
//! reaches a head recorded earlier was rewritten.

use chrono::NaiveDateTime;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::model::{AuditEvent, NewAuditEvent};
use super::store;
use crate::db::{DbConn, PooledConn, Tx, write_tx};
use crate::error::{ApiError, ApiResult, Msg};

pub const SEGMENTS: i32 = 16;

/// What an event says, as it is hashed.
pub struct Fields<'a> {
    pub id: &'a str,
    pub actor_id: Option<&'a str>,
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub details: &'a str,
    pub client_address: Option<&'a str>,
    pub request_id: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

impl<'a> From<&'a AuditEvent> for Fields<'a> {
    fn from(e: &'a AuditEvent) -> Fields<'a> {
        Fields {
            id: &e.id,
            actor_id: e.actor_id.as_deref(),
            action: &e.action,
            target_type: &e.target_type,
            target_id: &e.target_id,
            details: &e.details,
            client_address: e.client_address.as_deref(),
            request_id: e.request_id.as_deref(),
            created_at: e.created_at,
        }
    }
}

/// The chain an actor's events go to.
pub fn segment_of(actor_id: Option<&str>) -> i32 {
    i32::from(Sha256::digest(actor_id.unwrap_or_default().as_bytes())[0]) % SEGMENTS
}

/// The hash of link `seq` of `segment` after the link hashed `previous` ("" before the first).
pub fn link(previous: &str, segment: i32, seq: i64, f: &Fields) -> String {
    let encoded = crate::integrity::jcs(&json!({
        "segment": segment,
        "seq": seq,
        "id": f.id,
        "actor_id": f.actor_id,
        "action": f.action,
        "target_type": f.target_type,
        "target_id": f.target_id,
        "details": f.details,
        "client_address": f.client_address,
        "request_id": f.request_id,
        "created_at": f.created_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string(),
    }));
    let mut hash = Sha256::new();
    hash.update(previous.as_bytes());
    hash.update(b"\n");
    hash.update(&encoded);
    hex::encode(hash.finalize())
}

/// Appends an event as the next link of its actor's chain, inside the action's transaction.
pub fn append(tx: &mut Tx, f: &Fields) -> ApiResult<()> {
    let segment = segment_of(f.actor_id);
    let (seq, previous) = store::advance_head(tx, segment)?;
    let hash = link(&previous, segment, seq, f);
    store::insert(
        tx,
        &NewAuditEvent {
            id: f.id,
            actor_id: f.actor_id,
            action: f.action,
            target_type: f.target_type,
            target_id: f.target_id,
            details: f.details,
            client_address: f.client_address,
            request_id: f.request_id,
            created_at: f.created_at,
            chain_segment: segment,
            chain_seq: seq,
            chain_hash: &hash,
        },
    )?;
    store::set_head_hash(tx, segment, &hash)?;
    Ok(())
}

/// Chains the events written before the chains existed, oldest first (at start; several
/// instances starting at once take turns on the head rows, and an event another instance
/// chained meanwhile is left to it). How many this call chained.
pub fn chain_earlier_events(conn: &mut PooledConn) -> ApiResult<usize> {
    let mut chained = 0;
    loop {
        let batch = store::awaiting_chain(conn, 500)?;
        if batch.is_empty() {
            return Ok(chained);
        }
        let done = write_tx(conn, |tx| {
            for e in &batch {
                let fields = Fields::from(e);
                let segment = segment_of(fields.actor_id);
                let (seq, previous) = store::advance_head(tx, segment)?;
                let hash = link(&previous, segment, seq, &fields);
                if !store::chain_existing(tx, &e.id, segment, seq, &hash)? {
                    // Another instance got here first: roll back and read again.
                    return Err(ApiError::conflict(
                        "conflict",
                        Msg::new("审计日志已被并发链接", "Chained concurrently"),
                    ));
                }
                store::set_head_hash(tx, segment, &hash)?;
            }
            Ok(batch.len())
        });
        match done {
            Ok(n) => chained += n,
            Err(e) if e.code == "conflict" => {}
            Err(e) => return Err(e),
        }
    }
}

/// One hash of every head, to log and keep: a later log whose chains no longer lead to the
/// heads of an earlier digest was rewritten.
pub fn digest(heads: &[(i32, i64, String)]) -> String {
    let mut hash = Sha256::new();
    for (segment, seq, head) in heads {
        hash.update(format!("{segment} {seq} {head}\n").as_bytes());
    }
    hex::encode(hash.finalize())
}

/// Every head and their digest, as the housekeeping logs them.
pub fn heads(conn: &mut DbConn) -> ApiResult<(i64, String)> {
    let heads = store::heads(conn)?;
    Ok((heads.iter().map(|h| h.1).sum(), digest(&heads)))
}

/// Where a chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Break {
    /// The event's content (or the hash of the link before it) was changed.
    Edited { segment: i32, seq: i64, id: String },
    /// Links `from..=to` are gone.
    Deleted { segment: i32, from: i64, to: i64 },
    /// An event that is in no chain, or past its chain's head.
    Inserted { id: String },
    /// The head row does not name the chain's last link.
    HeadChanged { segment: i32 },
}

impl std::fmt::Display for Break {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Break::Edited { segment, seq, id } => write!(
                f,
                "segment {segment}, link {seq} (event {id}): edited — its content does not match its hash, or the link before it was changed"
            ),
            Break::Deleted { segment, from, to } if from == to => {
                write!(f, "segment {segment}, link {from}: deleted")
            }
            Break::Deleted { segment, from, to } => {
                write!(f, "segment {segment}, links {from} to {to}: deleted")
            }
            Break::Inserted { id } => write!(f, "event {id}: inserted — it is in no chain"),
            Break::HeadChanged { segment } => write!(
                f,
                "segment {segment}: the head does not name the chain's last link (edited)"
            ),
        }
    }
}

/// What [`verify`] found.
pub struct Verification {
    pub events: u64,
    /// Each segment's head: segment, last link, its hash.
    pub heads: Vec<(i32, i64, String)>,
    pub breaks: Vec<Break>,
}

/// Walks every chain from its first link to its head, recomputing each hash.
pub fn verify(conn: &mut DbConn) -> ApiResult<Verification> {
    let heads = store::heads(conn)?;
    let mut breaks = Vec::new();
    let mut events = 0;
    for (segment, head_seq, head_hash) in &heads {
        let (mut previous, mut expected) = (String::new(), 1);
        loop {
            let batch = store::segment_events(conn, *segment, expected - 1, 1000)?;
            if batch.is_empty() {
                break;
            }
            for e in &batch {
                events += 1;
                let seq = e.chain_seq.unwrap_or_default();
                let stored = e.chain_hash.clone().unwrap_or_default();
                if seq > *head_seq {
                    breaks.push(Break::Inserted { id: e.id.clone() });
                } else if seq > expected {
                    // The link before is gone, so this one cannot be checked: it carries on.
                    breaks.push(Break::Deleted {
                        segment: *segment,
                        from: expected,
                        to: seq - 1,
                    });
                } else if link(&previous, *segment, seq, &Fields::from(e)) != stored {
                    breaks.push(Break::Edited {
                        segment: *segment,
                        seq,
                        id: e.id.clone(),
                    });
                }
                if seq <= *head_seq {
                    previous = stored;
                }
                expected = seq + 1;
            }
        }
        let last = (expected - 1).min(*head_seq);
        if last < *head_seq {
            breaks.push(Break::Deleted {
                segment: *segment,
                from: last + 1,
                to: *head_seq,
            });
        } else if previous != *head_hash {
            breaks.push(Break::HeadChanged { segment: *segment });
        }
    }
    // Events in no chain (the first ten thousand say enough).
    let unchained = store::unchained(conn, 10_000)?;
    events += unchained.len() as u64;
    breaks.extend(unchained.into_iter().map(|e| Break::Inserted { id: e.id }));
    Ok(Verification {
        events,
        heads,
        breaks,
    })
}
