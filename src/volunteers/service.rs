//! Storage of volunteer profiles. Runs inside the caller's transaction.

use diesel::prelude::*;

use super::id_number::mask_id_number;
use super::model::{NewVolunteer, Volunteer};
use super::rules::ValidRegistration;
use crate::crypto::PersonalDataCipher;
use crate::db::{DbConn, new_id, now};
use crate::error::{ApiError, ApiResult, Msg};
use crate::schema::{counters, volunteers};
use crate::time::local_today;

/// The next volunteer number, `TS` + year + six digits. The counter row's update takes a row
/// lock (PostgreSQL) or runs under the write lock (SQLite), so concurrent registrations never
/// share a number, and a number is never handed out twice even if its registration rolls back.
pub fn next_volunteer_number(conn: &mut DbConn) -> ApiResult<String> {
    let updated = diesel::update(counters::table.find("volunteer_number"))
        .set(counters::value.eq(counters::value + 1))
        .execute(conn)?;
    if updated != 1 {
        return Err(ApiError::internal(
            "the volunteer_number counter is missing",
        ));
    }
    let value: i64 = counters::table
        .find("volunteer_number")
        .select(counters::value)
        .first(conn)?;
    Ok(format!(
        "TS{}{value:06}",
        chrono::Datelike::year(&local_today())
    ))
}

pub fn id_number_taken() -> ApiError {
    ApiError::conflict(
        "id_number_taken",
        Msg::new(
            "该证件号码已注册为志愿者",
            "A volunteer with this ID number is already registered",
        ),
    )
}

/// Inserts the profile for a new account. The ID number is stored encrypted, with its blind
/// index and mask; the plaintext never reaches the database.
pub fn create_profile(
    conn: &mut DbConn,
    pii: &PersonalDataCipher,
    account_id: &str,
    reg: &ValidRegistration,
    privacy_notice_version: &str,
) -> ApiResult<Volunteer> {
    let index = pii.blind_index(reg.id_type.code(), &reg.id_number);
    let taken: i64 = volunteers::table
        .filter(volunteers::id_number_index.eq(&index))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(id_number_taken());
    }
    let id = new_id();
    let number = next_volunteer_number(conn)?;
    let cipher = pii.encrypt(&reg.id_number);
    let masked = mask_id_number(&reg.id_number);
    let skills = serde_json::to_string(&reg.skills.iter().map(|s| s.code()).collect::<Vec<_>>())
        .map_err(ApiError::internal)?;
    let at = now();
    let row = NewVolunteer {
        id: &id,
        account_id,
        volunteer_number: &number,
        real_name: &reg.real_name,
        gender: reg.gender.code(),
        birth_date: reg.birth_date,
        id_type: reg.id_type.code(),
        id_number_cipher: &cipher,
        id_number_index: &index,
        id_number_masked: &masked,
        email: reg.email.as_deref(),
        political_status: reg.political_status.code(),
        education: reg.education.map(|e| e.code()),
        skills: &skills,
        town: reg.town.as_deref(),
        emergency_contact_name: reg.emergency_contact_name.as_deref(),
        emergency_contact_phone: reg.emergency_contact_phone.as_deref(),
        guardian_name: reg.guardian.as_ref().map(|g| g.0.as_str()),
        guardian_mobile: reg.guardian.as_ref().map(|g| g.1.as_str()),
        guardian_consent_at: reg.guardian.as_ref().map(|_| at),
        privacy_notice_version,
        privacy_consent_at: at,
        star_level: 0,
        created_at: at,
        updated_at: at,
        version: 1,
    };
    diesel::insert_into(volunteers::table)
        .values(&row)
        .execute(conn)
        .map_err(|e| match crate::db::unique_violation_target(&e) {
            Some(t) if t.contains("id_number_index") => id_number_taken(),
            _ => ApiError::from(e),
        })?;
    Ok(volunteers::table
        .find(&id)
        .select(Volunteer::as_select())
        .first(conn)?)
}

pub fn find_by_account(conn: &mut DbConn, account_id: &str) -> ApiResult<Option<Volunteer>> {
    Ok(volunteers::table
        .filter(volunteers::account_id.eq(account_id))
        .select(Volunteer::as_select())
        .first(conn)
        .optional()?)
}
