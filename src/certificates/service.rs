//! Certificates: issuing (one, or every uncertified member at once), reading, revoking,
//! public verification, and the issuance statistics. The teams domain keeps each membership's
//! certified mark and the team's certified_count in the same transaction as the certificate.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use serde_json::json;

use super::NUMBER_PREFIX;
use super::document::{self, CertificateFacts};
use super::dto::{
    BatchFailure, BatchFailureItem, BatchIssueResponse, CertificateQuery, CertificateResponse,
    IssuanceQuery, IssuanceRow, IssueCertificateRequest, OwnCertificateQuery,
};
use super::model::Certificate;
use super::store::{self, CertificateFilter};
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, PooledConn, Tx, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::ids::{check_id, new_credential_number};
use crate::issuer::Signer;
use crate::issuer::dto::VerificationResponse;
use crate::issuer::service::{issue_time, verify_number, xsd_date_time};
use crate::meta::enums::{CertificateStatus, WebhookEvent};
use crate::paging::{Page, page_request};
use crate::teams::model::Team;
use crate::teams::service::{self as teams, NotCertified};
use crate::time::local_day_start;
use crate::validation::required_text;
use crate::volunteers::id_number::mask_name;
use crate::volunteers::model::Holder;
use crate::volunteers::service as volunteers;

pub const REASON_MAX: usize = 500;

fn not_a_member() -> ApiError {
    ApiError::conflict(
        "not_a_member",
        Msg::new(
            "该志愿者不是本组织已审核通过的成员",
            "The volunteer is not an approved member of the organisation",
        ),
    )
}

fn already_certified() -> ApiError {
    ApiError::conflict(
        "already_certified",
        Msg::new(
            "该志愿者已持有本组织的有效证书",
            "The volunteer holds a valid certificate of this organisation already",
        ),
    )
}

/// A signed certificate for one holder (not stored yet).
fn sign_certificate(
    signer: &Signer,
    team: &Team,
    holder: &Holder,
    issued_by: &str,
    issued_at: NaiveDateTime,
) -> ApiResult<Certificate> {
    let id = new_id();
    let number = new_credential_number(NUMBER_PREFIX);
    let holder_name_masked = mask_name(&holder.real_name);
    let unsigned = document::credential(&CertificateFacts {
        id: &id,
        number: &number,
        issued_at,
        holder,
        holder_name_masked: &holder_name_masked,
        team_id: &team.id,
        team_name: &team.name,
        signer,
    });
    let signed = signer
        .sign(&unsigned, &xsd_date_time(issued_at))
        .map_err(ApiError::internal)?;
    Ok(Certificate {
        id,
        number,
        team_id: team.id.clone(),
        volunteer_id: holder.id.clone(),
        status: CertificateStatus::Valid,
        holder_name_masked,
        team_name: team.name.clone(),
        credential: signed.to_string(),
        key_id: signer.key_id().to_owned(),
        issued_by: issued_by.to_owned(),
        issued_at,
        revoked_at: None,
        revoked_by: None,
        revocation_reason: None,
    })
}

/// Issues a certificate to an approved member; 409 if they hold a valid one of the
/// organisation already.
pub fn issue(
    conn: &mut PooledConn,
    signer: &Signer,
    actor: &Actor,
    origin: &Origin,
    req: IssueCertificateRequest,
) -> ApiResult<Certificate> {
    check_id("volunteer_id", &req.volunteer_id)?;
    write_tx(conn, |tx| {
        let team = teams::named_in_body(tx, &req.team_id)?;
        policy::authorize(tx, actor, Action::IssueCertificates { team_id: &team.id })?;
        let holder = volunteers::holder(tx, &req.volunteer_id).map_err(|_| {
            ApiError::field(
                "volunteer_id",
                "not_found",
                Msg::new("志愿者不存在", "The volunteer does not exist"),
            )
        })?;
        let marked = teams::certify_members(tx, &team.id, std::slice::from_ref(&holder.id))?;
        match marked.first() {
            Some(Ok(())) => {}
            Some(Err(NotCertified::AlreadyCertified)) => return Err(already_certified()),
            _ => return Err(not_a_member()),
        }
        let certificate =
            sign_certificate(signer, &team, &holder, &actor.account_id, issue_time())?;
        store::insert(tx, std::slice::from_ref(&certificate))?;
        record_issued(tx, origin, actor, &certificate)?;
        Ok(certificate)
    })
}

/// The webhook event of an issued certificate.
fn announce_issued(tx: &mut Tx, certificate: &Certificate) {
    tx.emit(
        WebhookEvent::CertificateIssued,
        json!({
            "id": certificate.id,
            "number": certificate.number,
            "team_id": certificate.team_id,
            "volunteer_id": certificate.volunteer_id,
        }),
    );
}

/// Every certificate issued is audited and announced, in the same transaction.
fn record_issued(
    tx: &mut Tx,
    origin: &Origin,
    actor: &Actor,
    certificate: &Certificate,
) -> ApiResult<()> {
    announce_issued(tx, certificate);
    audit::record(
        tx,
        origin,
        AuditEntry {
            actor_id: &actor.account_id,
            action: "certificate.issued",
            target_type: "certificate",
            target_id: &certificate.id,
            details: json!({
                "number": certificate.number,
                "team_id": certificate.team_id,
                "volunteer_id": certificate.volunteer_id,
            }),
        },
    )
}

/// Issues a certificate to every approved member of the organisation who holds no valid one,
/// in one transaction; per-volunteer failures are reported, not fatal.
pub fn issue_batch(
    conn: &mut PooledConn,
    signer: &Signer,
    actor: &Actor,
    origin: &Origin,
    team_id: &str,
) -> ApiResult<BatchIssueResponse> {
    // Found and authorized before the transaction, so a refused caller never takes SQLite's
    // writer turn; read again inside it for the certified count as of the transaction.
    teams::find(conn, team_id)?;
    policy::authorize(conn, actor, Action::IssueCertificates { team_id })?;
    write_tx(conn, |tx| {
        let team = teams::find(tx, team_id)?;
        let skipped = team.certified_count;
        let candidates = teams::uncertified_members(tx, &team.id)?;
        let mut holders: HashMap<String, Holder> = volunteers::holders(tx, &candidates)?
            .into_iter()
            .map(|h| (h.id.clone(), h))
            .collect();
        let mut failed = Vec::new();
        let known: Vec<String> = candidates
            .into_iter()
            .filter(|id| {
                let found = holders.contains_key(id);
                if !found {
                    failed.push(BatchFailureItem {
                        volunteer_id: id.clone(),
                        code: BatchFailure::NotFound,
                    });
                }
                found
            })
            .collect();
        let marked = teams::certify_members(tx, &team.id, &known)?;
        let issued_at = issue_time();
        let mut certificates = Vec::with_capacity(known.len());
        for (volunteer_id, outcome) in known.into_iter().zip(marked) {
            match outcome {
                Ok(()) => {
                    let holder = holders
                        .remove(&volunteer_id)
                        .ok_or_else(|| ApiError::internal("a holder vanished in the batch"))?;
                    certificates.push(sign_certificate(
                        signer,
                        &team,
                        &holder,
                        &actor.account_id,
                        issued_at,
                    )?);
                }
                Err(reason) => failed.push(BatchFailureItem {
                    volunteer_id,
                    code: match reason {
                        NotCertified::NotAMember => BatchFailure::NotAMember,
                        NotCertified::AlreadyCertified => BatchFailure::AlreadyCertified,
                    },
                }),
            }
        }
        store::insert(tx, &certificates)?;
        for certificate in &certificates {
            announce_issued(tx, certificate);
        }
        // One audit event for the batch (each certificate names its issuer and time).
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "certificate.batch_issued",
                target_type: "team",
                target_id: &team.id,
                details: json!({
                    "issued": certificates.len(),
                    "skipped": skipped,
                    "failed": failed.len(),
                }),
            },
        )?;
        Ok(BatchIssueResponse {
            issued: certificates.len() as i64,
            skipped,
            failed,
        })
    })
}

fn find(conn: &mut DbConn, id: &str) -> ApiResult<Certificate> {
    check_id("id", id)?;
    store::find(conn, id)?.ok_or_else(ApiError::not_found)
}

/// One certificate: its holder, or admins of the issuing organisation.
pub fn read(conn: &mut DbConn, actor: &Actor, id: &str) -> ApiResult<Certificate> {
    let certificate = find(conn, id)?;
    policy::authorize(
        conn,
        actor,
        Action::ReadCredential {
            team_id: &certificate.team_id,
            volunteer_id: &certificate.volunteer_id,
        },
    )?;
    Ok(certificate)
}

/// The certificate's card as SVG (readers as for [`read`]).
pub fn card(conn: &mut DbConn, signer: &Signer, actor: &Actor, id: &str) -> ApiResult<String> {
    let certificate = read(conn, actor, id)?;
    let holder = volunteers::holder(conn, &certificate.volunteer_id)?;
    Ok(document::card_svg(
        &CertificateFacts {
            id: &certificate.id,
            number: &certificate.number,
            issued_at: certificate.issued_at,
            holder: &holder,
            holder_name_masked: &certificate.holder_name_masked,
            team_id: &certificate.team_id,
            team_name: &certificate.team_name,
            signer,
        },
        certificate.status == CertificateStatus::Revoked,
    ))
}

/// Revokes a valid certificate with a reason (admins of the issuing organisation); it stays
/// readable, and the verify endpoint says revoked.
pub fn revoke(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    reason: &str,
) -> ApiResult<Certificate> {
    check_id("id", id)?;
    let mut errors = FieldErrors::default();
    let reason = required_text(&mut errors, "reason", reason, REASON_MAX);
    errors.into_result()?;
    write_tx(conn, |tx| {
        let certificate = find(tx, id)?;
        policy::authorize(
            tx,
            actor,
            Action::RevokeCertificate {
                team_id: &certificate.team_id,
                volunteer_id: &certificate.volunteer_id,
            },
        )?;
        if !store::revoke_if_valid(tx, id, &actor.account_id, now(), &reason)? {
            return Err(ApiError::conflict(
                "already_revoked",
                Msg::new("证书已撤销", "The certificate is revoked already"),
            ));
        }
        teams::uncertify_member(tx, &certificate.team_id, &certificate.volunteer_id)?;
        tx.emit(
            WebhookEvent::CertificateRevoked,
            json!({
                "id": certificate.id,
                "number": certificate.number,
                "team_id": certificate.team_id,
                "volunteer_id": certificate.volunteer_id,
            }),
        );
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "certificate.revoked",
                target_type: "certificate",
                target_id: id,
                details: json!({
                    "number": certificate.number,
                    "team_id": certificate.team_id,
                    "volunteer_id": certificate.volunteer_id,
                    "reason": reason,
                }),
            },
        )?;
        find(tx, id)
    })
}

/// Certificates for admins (their subtrees), newest first.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    query: CertificateQuery,
) -> ApiResult<Page<CertificateResponse>> {
    let page = page_request(query.page, query.per_page)?;
    for (field, id) in [
        ("team_id", &query.team_id),
        ("volunteer_id", &query.volunteer_id),
    ] {
        if let Some(id) = id {
            check_id(field, id)?;
        }
    }
    policy::authorize(conn, actor, Action::ListCertificates)?;
    if let Some(team_id) = &query.team_id {
        policy::authorize(conn, actor, Action::IssueCertificates { team_id })?;
    }
    let filter = CertificateFilter {
        within: [
            (!actor.federation_admin).then(|| actor.admin_team_ids.clone()),
            query.team_id.clone().map(|t| vec![t]),
        ]
        .into_iter()
        .flatten()
        .collect(),
        volunteer_id: query.volunteer_id,
        status: query.status,
        issued_from: query.from.map(local_day_start),
        issued_before: query.to.and_then(|d| d.succ_opt()).map(local_day_start),
    };
    let (rows, total) = store::page(conn, &filter, page.per_page, page.offset())?;
    Ok(Page::new(
        rows.into_iter().map(CertificateResponse::from).collect(),
        page,
        total,
    ))
}

/// The caller's own certificates, newest first.
pub fn list_own(
    conn: &mut DbConn,
    actor: &Actor,
    query: OwnCertificateQuery,
) -> ApiResult<Page<CertificateResponse>> {
    let page = page_request(query.page, query.per_page)?;
    let volunteer_id = actor.volunteer_id.clone().ok_or_else(ApiError::not_found)?;
    let filter = CertificateFilter {
        within: Vec::new(),
        volunteer_id: Some(volunteer_id),
        status: None,
        issued_from: None,
        issued_before: None,
    };
    let (rows, total) = store::page(conn, &filter, page.per_page, page.offset())?;
    Ok(Page::new(
        rows.into_iter().map(CertificateResponse::from).collect(),
        page,
        total,
    ))
}

/// What anyone may learn of a certificate number: masked holder, organisation, status. A
/// number that is malformed or unknown is a 404 alike.
pub fn verify(conn: &mut DbConn, number: &str) -> ApiResult<VerificationResponse> {
    verify_number(NUMBER_PREFIX, number, |n| Ok(store::standing(conn, n)?))
}

/// The issuance target as a whole number of 1/10 000 (the comparison stays in integers).
fn basis_points(target: f64) -> i64 {
    (target * 10_000.0).round() as i64
}

/// Per organisation in the caller's reach: members, certified, rate and the target.
pub fn issuance(
    conn: &mut DbConn,
    actor: &Actor,
    target: f64,
    query: IssuanceQuery,
) -> ApiResult<Page<IssuanceRow>> {
    let page = page_request(query.page, query.per_page)?;
    let target = basis_points(target);
    let below = query.below_target.unwrap_or(false).then_some(target);
    let (rows, total) = teams::issuance_page(conn, actor, below, page)?;
    let items = rows
        .into_iter()
        .map(|t| IssuanceRow {
            rate: if t.member_count > 0 {
                (t.certified_count as f64 / t.member_count as f64 * 10_000.0).round() / 10_000.0
            } else {
                0.0
            },
            meets_target: t.certified_count * 10_000 >= target * t.member_count,
            team_id: t.id,
            name: t.name,
            members: t.member_count,
            certified: t.certified_count,
        })
        .collect();
    Ok(Page::new(items, page, total))
}

/// Checks every membership's certified mark against the valid certificates, then every
/// team's certified_count against the marks; with `fix`, repairs both. One line per
/// difference.
pub fn verify_totals(conn: &mut PooledConn, fix: bool) -> ApiResult<Vec<String>> {
    let marked: HashSet<(String, String)> =
        teams::certified_memberships(conn)?.into_iter().collect();
    let valid: HashSet<(String, String)> = store::valid_holders(conn)?.into_iter().collect();
    let mut differences: Vec<(String, String, bool)> = valid
        .difference(&marked)
        .map(|(t, v)| (t.clone(), v.clone(), true))
        .chain(
            marked
                .difference(&valid)
                .map(|(t, v)| (t.clone(), v.clone(), false)),
        )
        .collect();
    differences.sort();
    if fix && !differences.is_empty() {
        write_tx(conn, |tx| {
            for (team_id, volunteer_id, certified) in &differences {
                teams::set_certified_mark(tx, team_id, volunteer_id, *certified)?;
            }
            Ok::<_, ApiError>(())
        })?;
    }
    let mut lines: Vec<String> = differences
        .into_iter()
        .map(|(team_id, volunteer_id, certified)| {
            format!(
                "membership of {volunteer_id} in team {team_id}: certified mark {}, valid certificate {}",
                !certified, certified
            )
        })
        .collect();
    lines.extend(teams::verify_certified_counts(conn, fix)?);
    Ok(lines)
}
