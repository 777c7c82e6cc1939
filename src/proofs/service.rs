//! Service-record proofs: an organisation proves its own approved records of a volunteer for a
//! period, signed like certificates; the volunteer may ask for their own, free.

use serde_json::json;

use super::NUMBER_PREFIX;
use super::document::{self, ProofFacts, ProvedCommendation, ProvedRecord, ProvedTraining};
use super::dto::{CreateServiceProofRequest, ServiceProofQuery, ServiceProofResponse};
use super::model::ServiceProof;
use super::store;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, PooledConn, new_id, write_tx};
use crate::error::{ApiError, ApiResult, Msg};
use crate::ids::{check_id, new_credential_number};
use crate::issuer::Signer;
use crate::issuer::dto::VerificationResponse;
use crate::issuer::service::{issue_time, verify_number, xsd_date_time};
use crate::meta::enums::{CommendationLevel, CommendationStatus};
use crate::paging::{Page, page_request};
use crate::teams::model::Team;
use crate::teams::service as teams;
use crate::trainings::service as trainings;
use crate::volunteers::id_number::mask_name;
use crate::volunteers::model::Holder;
use crate::volunteers::service as volunteers;

/// The records as the proof states them, with their activities' titles.
fn proved_records(
    conn: &mut DbConn,
    team_id: &str,
    volunteer_id: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> ApiResult<Vec<ProvedRecord>> {
    let records = crate::hours::service::provable_records(conn, team_id, volunteer_id, from, to)?;
    let activity_ids: Vec<String> = records
        .iter()
        .filter_map(|r| r.activity_id.clone())
        .collect();
    let titles = crate::activities::service::titles(conn, &activity_ids)?;
    Ok(records
        .into_iter()
        .map(|r| ProvedRecord {
            activity: r.activity_id.as_ref().and_then(|a| titles.get(a).cloned()),
            id: r.id,
            service_date: r.service_date,
            place: r.place,
            content: r.content,
            minutes: r.minutes,
        })
        .collect())
}

/// Issues a proof of the organisation's approved records of the volunteer in the period
/// (admins of the organisation, or the volunteer); 409 `nothing_to_prove` without any.
pub fn create(
    conn: &mut PooledConn,
    signer: &Signer,
    actor: &Actor,
    origin: &Origin,
    volunteer_id: &str,
    req: CreateServiceProofRequest,
) -> ApiResult<ServiceProof> {
    check_id("id", volunteer_id)?;
    check_id("team_id", &req.team_id)?;
    if req.from > req.to {
        return Err(ApiError::field(
            "to",
            "before_start",
            Msg::new("结束日期不能早于开始日期", "`to` is before `from`"),
        ));
    }
    write_tx(conn, |tx| {
        let holder = volunteers::holder(tx, volunteer_id)?;
        let team = teams::named_in_body(tx, &req.team_id)?;
        policy::authorize(
            tx,
            actor,
            Action::RequestServiceProof {
                team_id: &team.id,
                volunteer_id,
            },
        )?;
        let records = proved_records(tx, &team.id, volunteer_id, req.from, req.to)?;
        if records.is_empty() {
            return Err(ApiError::conflict(
                "nothing_to_prove",
                Msg::new(
                    "该组织在此期间没有该志愿者已审核的服务记录",
                    "The organisation has no approved records of the volunteer in the period",
                ),
            ));
        }
        let commendations: Vec<ProvedCommendation> =
            volunteers::commendations_of(tx, volunteer_id)?
                .into_iter()
                .filter(|c| c.status == CommendationStatus::Active)
                .map(|c| ProvedCommendation {
                    title: c.title,
                    level: c.level,
                    awarded_on: c.awarded_on,
                })
                .collect();
        let trainings: Vec<ProvedTraining> =
            trainings::of_team_in_period(tx, &team.id, volunteer_id, req.from, req.to)?
                .into_iter()
                .map(|t| ProvedTraining {
                    title: t.title,
                    date: t.training_date,
                    minutes: t.minutes,
                })
                .collect();
        let proof = sign_proof(
            signer,
            &team,
            &holder,
            &Proved {
                records: &records,
                commendations: &commendations,
                trainings: &trainings,
            },
            &req,
            &actor.account_id,
        )?;
        store::insert(tx, &proof)?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "service_proof.issued",
                target_type: "service_proof",
                target_id: &proof.id,
                details: json!({
                    "number": proof.number,
                    "team_id": proof.team_id,
                    "volunteer_id": proof.volunteer_id,
                    "from": req.from,
                    "to": req.to,
                    "records": proof.record_count,
                }),
            },
        )?;
        Ok(proof)
    })
}

/// What a proof states of the volunteer's service and record.
struct Proved<'a> {
    records: &'a [ProvedRecord],
    commendations: &'a [ProvedCommendation],
    trainings: &'a [ProvedTraining],
}

fn sign_proof(
    signer: &Signer,
    team: &Team,
    holder: &Holder,
    proved: &Proved<'_>,
    req: &CreateServiceProofRequest,
    issued_by: &str,
) -> ApiResult<ServiceProof> {
    let records = proved.records;
    let id = new_id();
    let number = new_credential_number(NUMBER_PREFIX);
    let issued_at = issue_time();
    let holder_name_masked = mask_name(&holder.real_name);
    let total_minutes: i64 = records.iter().map(|r| i64::from(r.minutes)).sum();
    let unsigned = document::credential(&ProofFacts {
        id: &id,
        number: &number,
        issued_at,
        holder,
        holder_name_masked: &holder_name_masked,
        team,
        from: req.from,
        to: req.to,
        records,
        total_minutes,
        commendations: proved.commendations,
        trainings: proved.trainings,
        signer,
    });
    let signed = signer
        .sign(&unsigned, &xsd_date_time(issued_at))
        .map_err(ApiError::internal)?;
    Ok(ServiceProof {
        id,
        number,
        team_id: team.id.clone(),
        volunteer_id: holder.id.clone(),
        period_from: req.from,
        period_to: req.to,
        record_count: records.len() as i32,
        total_minutes,
        holder_name_masked,
        team_name: team.name.clone(),
        credential: signed.to_string(),
        key_id: signer.key_id().to_owned(),
        issued_by: issued_by.to_owned(),
        issued_at,
    })
}

/// One proof: its volunteer, or admins of the issuing organisation.
pub fn read(conn: &mut DbConn, actor: &Actor, id: &str) -> ApiResult<ServiceProof> {
    check_id("id", id)?;
    let proof = store::find(conn, id)?.ok_or_else(ApiError::not_found)?;
    policy::authorize(
        conn,
        actor,
        Action::ReadCredential {
            team_id: &proof.team_id,
            volunteer_id: &proof.volunteer_id,
        },
    )?;
    Ok(proof)
}

/// The proof as an A4 page (readers as for [`read`]). The page shows the holder's full name,
/// as the credential's masked one would not serve a reader of paper.
pub fn page_svg(conn: &mut DbConn, signer: &Signer, actor: &Actor, id: &str) -> ApiResult<String> {
    let proof = read(conn, actor, id)?;
    let holder = volunteers::holder(conn, &proof.volunteer_id)?;
    let team = teams::find(conn, &proof.team_id)?;
    // What the page states comes from the signed credential, not from today's rows.
    let credential: serde_json::Value =
        serde_json::from_str(&proof.credential).map_err(ApiError::internal)?;
    let subject = &credential["credentialSubject"];
    let records: Vec<ProvedRecord> = subject["records"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| ProvedRecord {
            id: r["id"]
                .as_str()
                .unwrap_or_default()
                .trim_start_matches("urn:uuid:")
                .to_owned(),
            activity: r["activity"].as_str().map(str::to_owned),
            service_date: r["service_date"]
                .as_str()
                .and_then(|d| d.parse().ok())
                .unwrap_or(proof.period_from),
            place: r["place"].as_str().map(str::to_owned),
            content: r["content"].as_str().unwrap_or_default().to_owned(),
            minutes: r["minutes"].as_i64().unwrap_or_default() as i32,
        })
        .collect();
    let commendations: Vec<ProvedCommendation> = subject["commendations"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            Some(ProvedCommendation {
                title: c["title"].as_str()?.to_owned(),
                level: CommendationLevel::from_code(c["level"].as_str()?)?,
                awarded_on: c["awarded_on"].as_str()?.parse().ok()?,
            })
        })
        .collect();
    let trainings: Vec<ProvedTraining> = subject["trainings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| {
            Some(ProvedTraining {
                title: t["title"].as_str()?.to_owned(),
                date: t["date"].as_str()?.parse().ok()?,
                minutes: i32::try_from(t["minutes"].as_i64()?).ok()?,
            })
        })
        .collect();
    let organisation = &subject["issuing_organisation"];
    let as_issued = Team {
        name: proof.team_name.clone(),
        contact_name: organisation["person_in_charge"].as_str().map(str::to_owned),
        contact_phone: organisation["contact"].as_str().map(str::to_owned),
        ..team
    };
    Ok(document::document_svg(&ProofFacts {
        id: &proof.id,
        number: &proof.number,
        issued_at: proof.issued_at,
        holder: &holder,
        holder_name_masked: &proof.holder_name_masked,
        team: &as_issued,
        from: proof.period_from,
        to: proof.period_to,
        records: &records,
        total_minutes: proof.total_minutes,
        commendations: &commendations,
        trainings: &trainings,
        signer,
    }))
}

/// A volunteer's proofs: all of them to the volunteer (and federation admins), those of their
/// organisations to other admins who may see the volunteer.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    volunteer_id: &str,
    query: ServiceProofQuery,
) -> ApiResult<Page<ServiceProofResponse>> {
    check_id("id", volunteer_id)?;
    let page = page_request(query.page, query.per_page)?;
    policy::authorize(conn, actor, Action::ReadVolunteer { volunteer_id })?;
    let own = actor.volunteer_id.as_deref() == Some(volunteer_id);
    let within = (!own && !actor.federation_admin).then(|| actor.admin_team_ids.clone());
    let (rows, total) =
        store::page_of_volunteer(conn, volunteer_id, within, page.per_page, page.offset())?;
    Ok(Page::new(
        rows.into_iter().map(ServiceProofResponse::from).collect(),
        page,
        total,
    ))
}

/// What anyone may learn of a proof number. Malformed and unknown numbers are 404 alike.
pub fn verify(conn: &mut DbConn, number: &str) -> ApiResult<VerificationResponse> {
    verify_number(NUMBER_PREFIX, number, |n| Ok(store::standing(conn, n)?))
}
