//! The rules of an import: who may import, how big a batch is, and how each row goes through
//! its single endpoint's rules in a savepoint of the batch's one transaction (the batch, its
//! audit event and its Idempotency-Key commit together).

use serde_json::json;

use super::dto::{ImportServiceRecordRow, Row, parse_row};
pub use super::model::RowOutcome;
use super::store;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::crypto::PersonalDataCipher;
use crate::db::{PooledConn, Tx, new_id, write_tx};
use crate::error::{ApiError, ApiResult, Msg};
use crate::hours::dto::CreateServiceRecordRequest;
use crate::hours::service as hours;
use crate::meta::enums::{IdType, RecordSource};
use crate::rounding::RoundingPolicy;
use crate::time::local_today;
use crate::volunteers::dto::ImportVolunteerRow;
use crate::volunteers::rules::validate_import_row;
use crate::volunteers::service as volunteers;

/// The most rows a batch may hold.
pub const MAX_ROWS: usize = 1000;

/// What an import needs besides the database.
pub struct ImportDeps<'a> {
    pub pii: &'a PersonalDataCipher,
    pub privacy_notice_version: &'a str,
    pub rounding: RoundingPolicy,
}

/// An import of one kind: [`volunteers`] or [`service_records`].
pub type Import =
    fn(&mut PooledConn, &ImportDeps, &Actor, &Origin, Vec<Row>) -> ApiResult<Vec<RowOutcome>>;

/// Imports volunteers: each row registers an account without a password (see
/// [`ImportVolunteerRow`]); a row naming a volunteer registered with the same mobile and ID
/// number is that volunteer.
pub fn volunteers(
    conn: &mut PooledConn,
    deps: &ImportDeps,
    actor: &Actor,
    origin: &Origin,
    rows: Vec<Row>,
) -> ApiResult<Vec<RowOutcome>> {
    let today = local_today();
    import(conn, actor, origin, "volunteers", rows, |tx, row| {
        let reg = validate_import_row(parse_row::<ImportVolunteerRow>(row)?, today)?;
        tx.savepoint(|tx| {
            crate::auth::service::import_volunteer(tx, deps.pii, deps.privacy_notice_version, &reg)
        })
    })
}

/// Imports service records, `pending` with source `import` (see [`ImportServiceRecordRow`]).
pub fn service_records(
    conn: &mut PooledConn,
    deps: &ImportDeps,
    actor: &Actor,
    origin: &Origin,
    rows: Vec<Row>,
) -> ApiResult<Vec<RowOutcome>> {
    let mut recorder = None;
    import(conn, actor, origin, "service_records", rows, |tx, row| {
        let row = parse_row::<ImportServiceRecordRow>(row)?;
        let record = hours::check_record(CreateServiceRecordRequest {
            volunteer_id: volunteer_of(tx, deps.pii, &row)?,
            team_id: row.team_id,
            service_date: row.service_date,
            minutes: row.minutes,
            content: row.content,
            place: row.place,
        })?;
        let recorder = match &recorder {
            Some(account) => account,
            None => recorder.insert(answerable_account(tx, actor)?),
        };
        tx.savepoint(|tx| {
            hours::team_must_exist(tx, &record.team_id)?;
            if let Some(id) = hours::find_imported(tx, &record)? {
                return Ok((id, false));
            }
            let id =
                hours::insert_checked(tx, &record, RecordSource::Import, deps.rounding, recorder)?;
            Ok((id, true))
        })
    })
}

/// Runs a batch: authorized, in one transaction with its audit event, each row through
/// `apply` (the row's item id and whether the row created it). A row's refusal (a 4xx) is
/// reported; anything else (the database failing) fails the batch, and nothing is written.
fn import<F>(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    kind: &str,
    rows: Vec<Row>,
    mut apply: F,
) -> ApiResult<Vec<RowOutcome>>
where
    F: FnMut(&mut Tx, Row) -> ApiResult<(String, bool)>,
{
    if rows.len() > MAX_ROWS {
        return Err(ApiError::field(
            "rows",
            "too_many",
            Msg::new(
                format!("每批最多 {MAX_ROWS} 行"),
                format!("A batch holds at most {MAX_ROWS} rows"),
            ),
        ));
    }
    write_tx(conn, |tx| {
        policy::authorize(tx, actor, Action::ImportBatch)?;
        if !store::take_turn(tx)? {
            return Err(ApiError::internal("the import_batches counter is missing"));
        }
        let mut outcomes = Vec::with_capacity(rows.len());
        for row in rows {
            outcomes.push(match apply(tx, row) {
                Ok((id, created)) => RowOutcome::Accepted { id, created },
                Err(e) if e.kind.status().is_client_error() => RowOutcome::Rejected(e),
                Err(e) => return Err(e),
            });
        }
        let created: Vec<&str> = outcomes
            .iter()
            .filter_map(|o| match o {
                RowOutcome::Accepted { id, created: true } => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let rejected = outcomes
            .iter()
            .filter(|o| matches!(o, RowOutcome::Rejected(_)))
            .count();
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: &format!("import.{kind}"),
                target_type: "import",
                target_id: &new_id(),
                details: json!({
                    "rows": outcomes.len(),
                    "created": created,
                    "existing": outcomes.len() - created.len() - rejected,
                    "rejected": rejected,
                }),
            },
        )?;
        Ok(outcomes)
    })
}

/// The volunteer a record row names, by id or ID number (both: they must agree).
fn volunteer_of(
    tx: &mut Tx,
    pii: &PersonalDataCipher,
    row: &ImportServiceRecordRow,
) -> ApiResult<String> {
    let Some(id_number) = &row.id_number else {
        return row.volunteer_id.clone().ok_or_else(|| {
            ApiError::field(
                "volunteer_id",
                "required",
                Msg::new(
                    "须给出 volunteer_id 或 id_number",
                    "Give volunteer_id or id_number",
                ),
            )
        });
    };
    let id_type = row.id_type.unwrap_or(IdType::ResidentId);
    let found = volunteers::id_by_id_number(tx, pii, id_type, id_number)?.ok_or_else(|| {
        ApiError::field(
            "id_number",
            "not_found",
            Msg::new(
                "没有以此证件号码注册的志愿者",
                "No volunteer is registered with this ID number",
            ),
        )
    })?;
    match &row.volunteer_id {
        Some(given) if *given != found => Err(ApiError::field(
            "volunteer_id",
            "mismatch",
            Msg::new(
                "volunteer_id 与证件号码不是同一名志愿者",
                "volunteer_id and id_number name different volunteers",
            ),
        )),
        _ => Ok(found),
    }
}

/// The account a record names as its author: the admin importing, or the account answerable
/// for the platform client importing.
fn answerable_account(tx: &mut Tx, actor: &Actor) -> ApiResult<String> {
    if actor.platform {
        crate::api_clients::service::answerable_account(tx, &actor.account_id)
    } else {
        Ok(actor.account_id.clone())
    }
}
