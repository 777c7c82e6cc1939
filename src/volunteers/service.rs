//! Volunteer profiles: who may read and edit them, what a valid edit is, the transaction of each
//! change (with its audit row), and what other domains may ask of a volunteer. Queries go
//! through `store`.

use serde_json::json;
use validator::ValidateEmail;

use super::dto::{
    RevealIdResponse, UpdateVolunteerRequest, Viewer, VolunteerCommendation, VolunteerExportQuery,
    VolunteerQuery, VolunteerResponse,
};
use super::id_number::{self, mask_id_number};
use super::model::{Eligibility, Holder, HoursStanding, NewVolunteer, Volunteer, VolunteerChanges};
use super::rules::{NAME_MAX, ValidRegistration};
use super::store::{self, RosterFilter};
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor, VolunteerAccess};
use crate::crypto::PersonalDataCipher;
use crate::db::recount::Drift;
use crate::db::{DbConn, PooledConn, Tx, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg, check_version};
use crate::hours::stars::StarLevels;
use crate::hours::stars::hours_of;
use crate::ids::{check_id, is_id};
use crate::meta::enums::{Codes, ExportFormat, IdType, PoliticalStatus, Skill};
use crate::paging::{Page, TimeIdKey, page_request, time_id_cursor, time_id_key};
use crate::tabular::{Cell, RowSink};
use crate::time::{local_date, local_today};
use crate::validation::{
    contains_pattern, optional_phone, optional_text, optional_town, required_text,
};
use chrono::Datelike;

/// The next volunteer number, `TS` + year + six digits (see `store::take_volunteer_number`).
fn next_volunteer_number(tx: &mut Tx) -> ApiResult<String> {
    let value = store::take_volunteer_number(tx)?
        .ok_or_else(|| ApiError::internal("the volunteer_number counter is missing"))?;
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
    tx: &mut Tx,
    pii: &PersonalDataCipher,
    account_id: &str,
    reg: &ValidRegistration,
    privacy_notice_version: &str,
) -> ApiResult<Volunteer> {
    let index = pii.blind_index(reg.id_type.code(), &reg.id_number);
    if store::id_number_index_taken(tx, &index, None)? {
        return Err(id_number_taken());
    }
    let id = new_id();
    let number = next_volunteer_number(tx)?;
    let cipher = pii.encrypt(&reg.id_number);
    let masked = mask_id_number(&reg.id_number);
    let skills = Codes::new(reg.skills.iter().copied());
    let at = now();
    let row = NewVolunteer {
        id: &id,
        account_id,
        volunteer_number: &number,
        real_name: &reg.real_name,
        gender: reg.gender,
        birth_date: reg.birth_date,
        id_type: reg.id_type,
        id_number_cipher: &cipher,
        id_number_index: &index,
        id_number_masked: &masked,
        email: reg.email.as_deref(),
        political_status: reg.political_status,
        education: reg.education,
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
    store::insert(tx, &row).map_err(id_number_conflict)?;
    store::find(tx, &id)?
        .ok_or_else(|| ApiError::internal("a profile vanished in its own transaction"))
}

/// A unique violation on the blind index is someone else's ID number.
fn id_number_conflict(e: diesel::result::Error) -> ApiError {
    match crate::db::unique_violation_target(&e) {
        Some(t) if t.contains("id_number_index") => id_number_taken(),
        _ => ApiError::from(e),
    }
}

/// The volunteer registered with this ID number (as given: it is normalised here).
pub fn id_by_id_number(
    conn: &mut DbConn,
    pii: &PersonalDataCipher,
    id_type: IdType,
    id_number: &str,
) -> ApiResult<Option<String>> {
    let normalised = id_number::normalize(id_type, id_number);
    let index = pii.blind_index(id_type.code(), &normalised);
    Ok(store::id_by_id_number_index(conn, &index)?)
}

pub fn find_by_account(conn: &mut DbConn, account_id: &str) -> ApiResult<Option<Volunteer>> {
    Ok(store::find_by_account(conn, account_id)?)
}

/// Whether a volunteer with this id exists (for other domains that link to one).
/// How many volunteers are registered.
/// Registered volunteers (from their counter, not a count).
pub fn registered(conn: &mut DbConn) -> ApiResult<i64> {
    Ok(store::registered(conn)?)
}

/// Compares the counter of registered volunteers with a count; with `fix`, repairs it.
pub fn verify_registered(conn: &mut PooledConn, fix: bool) -> ApiResult<Option<Drift>> {
    write_tx(conn, |tx| {
        let (stored, expected) = (store::registered(tx)?, store::count(tx)?);
        if stored == expected {
            return Ok(None);
        }
        if fix {
            store::set_registered(tx, expected)?;
        }
        Ok(Some(Drift {
            table: "counters",
            key: "volunteers".to_owned(),
            stored,
            expected,
        }))
    })
}

pub fn exists(conn: &mut DbConn, volunteer_id: &str) -> ApiResult<bool> {
    Ok(is_id(volunteer_id) && store::exists_by_id(conn, volunteer_id)?)
}

/// The account a volunteer signs in with; 404 for an unknown volunteer.
pub fn account_of(conn: &mut DbConn, volunteer_id: &str) -> ApiResult<String> {
    store::account_of(conn, volunteer_id)?.ok_or_else(ApiError::not_found)
}

/// Moves the volunteer's approved total by `minutes`, in the ledger's transaction.
pub fn add_service_minutes(tx: &mut Tx, volunteer_id: &str, minutes: i64) -> ApiResult<()> {
    Ok(store::add_minutes(tx, volunteer_id, minutes)?)
}

/// Every volunteer's stored approved total (for the ledger's check): id, minutes.
pub fn service_minutes(conn: &mut DbConn) -> ApiResult<Vec<(String, i64)>> {
    Ok(store::all_minutes(conn)?)
}

/// Sets a volunteer's approved total (the ledger's repair).
pub fn set_service_minutes(tx: &mut Tx, volunteer_id: &str, minutes: i64) -> ApiResult<()> {
    Ok(store::set_minutes(tx, volunteer_id, minutes)?)
}

/// A volunteer's age and skills (for sign-up eligibility); 404 if unknown.
pub fn eligibility(conn: &mut DbConn, volunteer_id: &str) -> ApiResult<Eligibility> {
    check_id("id", volunteer_id)?;
    store::eligibility(conn, volunteer_id)?.ok_or_else(ApiError::not_found)
}

/// What credentials say of these volunteers (ids not found are left out), fetched in chunks so
/// that a batch of thousands stays within the databases' parameter limits.
pub fn holders(conn: &mut DbConn, ids: &[String]) -> ApiResult<Vec<Holder>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        found.extend(store::holders(conn, chunk)?);
    }
    Ok(found)
}

/// What a credential says of one volunteer; 404 if unknown.
pub fn holder(conn: &mut DbConn, volunteer_id: &str) -> ApiResult<Holder> {
    check_id("volunteer_id", volunteer_id)?;
    store::holders(conn, &[volunteer_id.to_owned()])?
        .pop()
        .ok_or_else(ApiError::not_found)
}

/// A volunteer's hours total and star level (for the hours summary); 404 if unknown.
pub fn hours_standing(conn: &mut DbConn, volunteer_id: &str) -> ApiResult<HoursStanding> {
    check_id("id", volunteer_id)?;
    store::hours_standing(conn, volunteer_id)?.ok_or_else(ApiError::not_found)
}

/// Records a certified star level; the hours domain has checked it.
pub fn set_star_level(
    tx: &mut Tx,
    volunteer_id: &str,
    level: i32,
    certified_by: &str,
) -> ApiResult<()> {
    Ok(store::set_star_level(
        tx,
        volunteer_id,
        level,
        certified_by,
    )?)
}

fn load(conn: &mut DbConn, volunteer_id: &str) -> ApiResult<(Volunteer, Option<String>)> {
    store::find_with_mobile(conn, volunteer_id)?.ok_or_else(ApiError::not_found)
}

/// A profile as the caller may see it (ID number always masked here).
pub fn read(
    conn: &mut DbConn,
    stars: &StarLevels,
    actor: &Actor,
    volunteer_id: &str,
) -> ApiResult<VolunteerResponse> {
    check_id("id", volunteer_id)?;
    policy::authorize(conn, actor, Action::ReadVolunteer { volunteer_id })?;
    let viewer = viewer_of(conn, actor, volunteer_id)?;
    let (v, mobile) = load(conn, volunteer_id)?;
    let mut profile = VolunteerResponse::from_row(v, mobile, viewer, None, stars);
    profile.commendations = Some(commendations_of(conn, volunteer_id)?);
    Ok(profile)
}

/// The volunteer's commendations, for their profile.
pub fn commendations_of(
    conn: &mut DbConn,
    volunteer_id: &str,
) -> ApiResult<Vec<VolunteerCommendation>> {
    Ok(store::commendations_of(conn, volunteer_id)?
        .into_iter()
        .map(
            |(id, title, level, awarded_on, status)| VolunteerCommendation {
                id,
                title,
                level,
                awarded_on,
                status,
            },
        )
        .collect())
}

fn viewer_of(conn: &mut DbConn, actor: &Actor, volunteer_id: &str) -> ApiResult<Viewer> {
    Ok(match policy::volunteer_access(conn, actor, volunteer_id)? {
        VolunteerAccess::Owner => Viewer::Owner,
        _ => Viewer::Admin,
    })
}

/// The caller's own profile, ID number decrypted.
pub fn read_own(
    conn: &mut DbConn,
    pii: &PersonalDataCipher,
    stars: &StarLevels,
    actor: &Actor,
) -> ApiResult<VolunteerResponse> {
    let id = actor
        .volunteer_id
        .as_deref()
        .ok_or_else(ApiError::not_found)?;
    let (v, mobile) = load(conn, id)?;
    let id_number = pii.decrypt(&v.id_number_cipher);
    let mut profile = VolunteerResponse::from_row(v, mobile, Viewer::Owner, id_number, stars);
    profile.commendations = Some(commendations_of(conn, id)?);
    Ok(profile)
}

pub fn list(
    conn: &mut DbConn,
    stars: &StarLevels,
    actor: &Actor,
    query: VolunteerQuery,
) -> ApiResult<Page<VolunteerResponse>> {
    policy::authorize(conn, actor, Action::ListVolunteers)?;
    let page = page_request(query.page, query.per_page)?;
    let after = query.after.as_deref().map(time_id_key).transpose()?;
    let filter = checked_filter(conn, actor, &query)?;
    let offset = if after.is_some() { 0 } else { page.offset() };
    let (rows, total) = store::roster_page(
        conn,
        &filter.borrowed(),
        page.per_page + 1,
        offset,
        after.as_ref(),
        true,
    )?;
    Ok(Page::keyset(
        rows,
        page,
        total,
        |(v, _)| time_id_cursor(&v.created_at, &v.id),
        |(v, mobile)| VolunteerResponse::from_row(v, mobile, Viewer::Admin, None, stars),
    ))
}

/// The roster's filters, checked (owned, so that an export can carry them to its thread).
pub struct CheckedRoster {
    within: Option<Vec<String>>,
    team_id: Option<String>,
    town: Option<String>,
    skill: Option<Skill>,
    political_status: Option<PoliticalStatus>,
    star_level: Option<i32>,
    name_or_mobile: Option<String>,
}

impl CheckedRoster {
    fn borrowed(&self) -> RosterFilter<'_> {
        RosterFilter {
            within: self.within.clone(),
            team_id: self.team_id.as_deref(),
            town: self.town.as_deref(),
            skill: self.skill,
            political_status: self.political_status,
            star_level: self.star_level,
            name_or_mobile: self.name_or_mobile.clone(),
        }
    }
}

fn checked_filter(
    conn: &mut DbConn,
    actor: &Actor,
    query: &VolunteerQuery,
) -> ApiResult<CheckedRoster> {
    let mut errors = FieldErrors::default();
    let town = optional_town(&mut errors, "town", query.town.clone());
    if query.star_level.is_some_and(|l| !(0..=5).contains(&l)) {
        errors.add(
            "star_level",
            "out_of_range",
            Msg::new("星级须在 0 到 5 之间", "star_level must be between 0 and 5"),
        );
    }
    errors.into_result()?;
    if let Some(team_id) = &query.team_id {
        check_id("team_id", team_id)?;
        policy::authorize(conn, actor, Action::ReadRoster { team_id })?;
    }
    Ok(CheckedRoster {
        within: (!actor.sees_every_volunteer()).then(|| actor.admin_team_ids.clone()),
        team_id: query.team_id.clone(),
        town,
        skill: query.skill,
        political_status: query.political_status,
        star_level: query.star_level,
        name_or_mobile: query
            .q
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(contains_pattern),
    })
}

/// Checks and audits an export of the roster (admins, as for the list): the filter to write.
pub fn prepare_export(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    query: &VolunteerExportQuery,
) -> ApiResult<CheckedRoster> {
    policy::authorize(conn, actor, Action::ListVolunteers)?;
    let as_list = VolunteerQuery {
        team_id: query.team_id.clone(),
        town: query.town.clone(),
        skill: query.skill,
        political_status: query.political_status,
        star_level: query.star_level,
        q: query.q.clone(),
        page: None,
        per_page: None,
        after: None,
    };
    let filter = checked_filter(conn, actor, &as_list)?;
    audit::record_export(
        conn,
        origin,
        &actor.account_id,
        "export.volunteers",
        json!({
            "format": query.format.unwrap_or(ExportFormat::Csv).code(),
            "team_id": query.team_id, "town": query.town,
            "skill": query.skill.map(|s| s.code()),
            "political_status": query.political_status.map(|s| s.code()),
            "star_level": query.star_level, "q": query.q,
        }),
    )?;
    Ok(filter)
}

/// The export's columns (Chinese, for the people the file goes to).
pub const EXPORT_HEADERS: &[&str] = &[
    "志愿者编号",
    "姓名",
    "性别",
    "出生年份",
    "手机号",
    "政治面貌",
    "镇街",
    "技能",
    "星级",
    "累计服务时长（小时）",
    "注册日期",
];

/// Writes the volunteers the filter matches, in registration order, a thousand at a time by
/// keyset; personal data masked (name, mobile; the year of birth only; no ID number).
pub fn export_rows(
    conn: &mut DbConn,
    filter: &CheckedRoster,
    sink: &mut dyn RowSink,
) -> ApiResult<()> {
    const BATCH: i64 = 1000;
    let filter = filter.borrowed();
    let mut after: Option<TimeIdKey> = None;
    loop {
        let (rows, _) = store::roster_page(conn, &filter, BATCH, 0, after.as_ref(), false)?;
        for (v, mobile) in &rows {
            let skills: Vec<&str> = v.skills.as_slice().iter().map(|s| s.labels().0).collect();
            sink.row(&[
                Cell::from(v.volunteer_number.as_str()),
                Cell::Text(id_number::mask_name(&v.real_name)),
                Cell::from(v.gender.labels().0),
                Cell::Int(i64::from(v.birth_date.year())),
                Cell::from(mobile.as_deref().map(id_number::mask_mobile)),
                Cell::from(v.political_status.labels().0),
                Cell::from(v.town.clone()),
                Cell::Text(skills.join("、")),
                Cell::Int(i64::from(v.star_level)),
                Cell::Number(hours_of(v.total_minutes)),
                Cell::Date(local_date(v.created_at)),
            ])
            .map_err(ApiError::internal)?;
        }
        match rows.last() {
            Some((v, _)) if rows.len() as i64 == BATCH => {
                after = Some((v.created_at, v.id.clone()))
            }
            _ => return Ok(()),
        }
    }
}

/// What reading and editing whole profiles needs besides the database.
pub struct ProfileDeps<'a> {
    pub pii: &'a PersonalDataCipher,
    pub stars: &'a StarLevels,
}

pub fn update(
    conn: &mut PooledConn,
    deps: &ProfileDeps,
    actor: &Actor,
    origin: &Origin,
    volunteer_id: &str,
    expected_version: Option<i64>,
    req: UpdateVolunteerRequest,
) -> ApiResult<VolunteerResponse> {
    check_id("id", volunteer_id)?;
    let (pii, stars) = (deps.pii, deps.stars);
    write_tx(conn, |tx| {
        policy::authorize(tx, actor, Action::EditVolunteer { volunteer_id })?;
        let (current, mobile) = load(tx, volunteer_id)?;
        check_version(expected_version, current.version)?;

        let mut errors = FieldErrors::default();
        let identity_fields: Vec<&str> = [
            ("real_name", req.real_name.is_some()),
            ("id_type", req.id_type.is_some()),
            ("id_number", req.id_number.is_some()),
        ]
        .into_iter()
        .filter_map(|(f, set)| set.then_some(f))
        .collect();
        let may_edit_identity =
            policy::authorize(tx, actor, Action::EditVolunteerIdentity { volunteer_id }).is_ok();
        let mut changes = VolunteerChanges::default();
        let mut reason = None;
        if !identity_fields.is_empty() && !may_edit_identity {
            for field in &identity_fields {
                errors.add(
                    *field,
                    "not_allowed",
                    Msg::new(
                        "只有义工联管理员可以修改此字段",
                        "Only a federation admin may change this field",
                    ),
                );
            }
        } else if !identity_fields.is_empty() {
            reason = Some(required_text(
                &mut errors,
                "reason",
                req.reason.as_deref().unwrap_or(""),
                200,
            ));
            changes.real_name = req
                .real_name
                .as_deref()
                .map(|n| required_text(&mut errors, "real_name", n, NAME_MAX));
            if req.id_type.is_some() || req.id_number.is_some() {
                let id_type = req.id_type.unwrap_or(current.id_type);
                match req.id_number.as_deref() {
                    None => errors.add(
                        "id_number",
                        "required",
                        Msg::new(
                            "更改证件类型时须提供证件号码",
                            "A new id_type needs its id_number",
                        ),
                    ),
                    Some(raw) => {
                        let number = id_number::normalize(id_type, raw);
                        if let Some((birth, gender)) = check_document(&mut errors, id_type, &number)
                        {
                            changes.birth_date = birth;
                            changes.gender = gender;
                        }
                        let index = pii.blind_index(id_type.code(), &number);
                        let taken = store::id_number_index_taken(tx, &index, Some(volunteer_id))?;
                        if taken && errors.0.is_empty() {
                            return Err(id_number_taken());
                        }
                        changes.id_type = Some(id_type);
                        changes.id_number_cipher = Some(pii.encrypt(&number));
                        changes.id_number_index = Some(index);
                        changes.id_number_masked = Some(mask_id_number(&number));
                    }
                }
            }
        } else if req.reason.is_some() {
            errors.add(
                "reason",
                "not_allowed",
                Msg::new(
                    "只有修改姓名或证件时才需填写原因",
                    "reason goes only with real_name, id_type or id_number",
                ),
            );
        }
        changes.email = req.email.map(|e| {
            let e = optional_text(&mut errors, "email", e, 254);
            if e.as_deref().is_some_and(|e| !e.validate_email()) {
                errors.add(
                    "email",
                    "format",
                    Msg::new("邮箱格式不正确", "The email address is malformed"),
                );
            }
            e
        });
        changes.education = req.education;
        changes.political_status = req.political_status;
        changes.skills = req.skills.map(|mut skills| {
            skills.sort_by_key(|s| s.code());
            skills.dedup();
            Codes::new(skills)
        });
        changes.town = req.town.map(|t| optional_town(&mut errors, "town", t));
        changes.emergency_contact_name = req
            .emergency_contact_name
            .map(|n| optional_text(&mut errors, "emergency_contact_name", n, NAME_MAX));
        changes.emergency_contact_phone = req
            .emergency_contact_phone
            .map(|p| optional_phone(&mut errors, "emergency_contact_phone", p));
        errors.into_result()?;

        let updated = store::update_at_version(tx, volunteer_id, current.version, &changes)
            .map_err(id_number_conflict)?;
        if !updated {
            return Err(ApiError::precondition_failed());
        }
        let owner = actor.volunteer_id.as_deref() == Some(volunteer_id);
        if !owner || reason.is_some() {
            let mut fields: Vec<&str> = identity_fields.clone();
            for (name, set) in [
                ("email", changes.email.is_some()),
                ("education", changes.education.is_some()),
                ("political_status", changes.political_status.is_some()),
                ("skills", changes.skills.is_some()),
                ("town", changes.town.is_some()),
                (
                    "emergency_contact_name",
                    changes.emergency_contact_name.is_some(),
                ),
                (
                    "emergency_contact_phone",
                    changes.emergency_contact_phone.is_some(),
                ),
            ] {
                if set {
                    fields.push(name);
                }
            }
            audit::record(
                tx,
                origin,
                AuditEntry {
                    actor_id: &actor.account_id,
                    action: if reason.is_some() {
                        "volunteer.identity_changed"
                    } else {
                        "volunteer.updated"
                    },
                    target_type: "volunteer",
                    target_id: volunteer_id,
                    details: json!({"fields": fields, "reason": reason}),
                },
            )?;
        }
        let viewer = if owner { Viewer::Owner } else { Viewer::Admin };
        let (v, _) = load(tx, volunteer_id)?;
        Ok(VolunteerResponse::from_row(v, mobile, viewer, None, stars))
    })
}

/// Checks a new identity document; for a resident ID returns the birth date and gender it
/// encodes (they replace the stored ones).
fn check_document(
    errors: &mut FieldErrors,
    id_type: IdType,
    number: &str,
) -> Option<(
    Option<chrono::NaiveDate>,
    Option<crate::meta::enums::Gender>,
)> {
    if id_type == IdType::ResidentId {
        match id_number::parse_resident_id(number, local_today()) {
            Ok(parsed) => Some((Some(parsed.birth_date), Some(parsed.gender))),
            Err(_) => {
                errors.add(
                    "id_number",
                    "checksum",
                    Msg::new("身份证号码无效", "The resident ID number is invalid"),
                );
                None
            }
        }
    } else if id_number::other_document_is_well_formed(id_type, number) {
        Some((None, None))
    } else {
        errors.add(
            "id_number",
            "format",
            Msg::new("证件号码格式不正确", "The document number is malformed"),
        );
        None
    }
}

/// The full ID number, for a federation admin with a reason; audited.
pub fn reveal_id(
    conn: &mut PooledConn,
    pii: &PersonalDataCipher,
    actor: &Actor,
    origin: &Origin,
    volunteer_id: &str,
    reason: &str,
) -> ApiResult<RevealIdResponse> {
    check_id("id", volunteer_id)?;
    let mut errors = FieldErrors::default();
    let reason = required_text(&mut errors, "reason", reason, 200);
    write_tx(conn, |tx| {
        policy::authorize(tx, actor, Action::RevealIdNumber { volunteer_id })?;
        errors.into_result()?;
        let (v, _) = load(tx, volunteer_id)?;
        let number = pii.decrypt(&v.id_number_cipher).ok_or_else(|| {
            ApiError::internal("an ID number does not decrypt with the configured data key")
        })?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "volunteer.id_revealed",
                target_type: "volunteer",
                target_id: volunteer_id,
                details: json!({"reason": reason}),
            },
        )?;
        Ok(RevealIdResponse {
            volunteer_id: v.id,
            id_type: v.id_type,
            id_number: number,
        })
    })
}

/// These volunteers as admins see them (mobile and ID masked), for the sync feed: (id, view)
/// of those that exist.
pub fn admin_views(
    conn: &mut DbConn,
    stars: &StarLevels,
    ids: &[String],
) -> ApiResult<Vec<(String, VolunteerResponse)>> {
    Ok(store::with_mobiles(conn, ids)?
        .into_iter()
        .map(|(v, mobile)| {
            let id = v.id.clone();
            let view = VolunteerResponse::from_row(v, mobile, Viewer::Admin, None, stars);
            (id, view)
        })
        .collect())
}
