//! Training rules: check-out of a `training` activity records training instead of service
//! (`record_attendance`, inside check-out's transaction); admins record trainings by hand
//! (audited); the volunteer and their admins read them; proofs state them.

use serde_json::json;

use super::dto::{CreateTrainingRequest, TITLE_MAX, TrainingQuery, TrainingResponse};
use super::model::Training;
use super::store;
use crate::activities::service as activities;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor, VolunteerAccess};
use crate::db::{DbConn, PooledConn, Tx, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg};
use crate::ids::check_id;
use crate::meta::enums::TrainingSource;
use crate::paging::{Page, page_request};
use crate::teams::service as teams;
use crate::time::local_today;
use crate::validation::required_text;
use crate::volunteers::service as volunteers;

/// A checked-out attendance of a training activity.
pub struct TrainingAttendance<'a> {
    pub volunteer_id: &'a str,
    pub team_id: &'a str,
    pub activity_id: &'a str,
    pub title: &'a str,
    pub date: chrono::NaiveDate,
    pub minutes: i32,
}

/// Writes the training record of a check-out (in its transaction); returns its id.
pub fn record_attendance(tx: &mut Tx, a: &TrainingAttendance<'_>) -> ApiResult<String> {
    let row = Training {
        id: new_id(),
        volunteer_id: a.volunteer_id.to_owned(),
        team_id: a.team_id.to_owned(),
        activity_id: Some(a.activity_id.to_owned()),
        title: a.title.to_owned(),
        training_date: a.date,
        minutes: a.minutes,
        source: TrainingSource::Checkin,
        recorded_by: None,
        created_at: now(),
    };
    store::insert(tx, &row)?;
    Ok(row.id)
}

/// Records a training by hand (admins of the organisation; audited) → 201.
pub fn create(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    req: CreateTrainingRequest,
) -> ApiResult<TrainingResponse> {
    check_id("team_id", &req.team_id)?;
    check_id("volunteer_id", &req.volunteer_id)?;
    if !teams::exists(conn, &req.team_id)? {
        return Err(ApiError::field(
            "team_id",
            "not_found",
            Msg::new("组织不存在", "The organisation does not exist"),
        ));
    }
    policy::authorize(
        conn,
        actor,
        Action::RecordTraining {
            team_id: &req.team_id,
        },
    )?;
    let mut errors = FieldErrors::default();
    if !volunteers::exists(conn, &req.volunteer_id)? {
        errors.add(
            "volunteer_id",
            "not_found",
            Msg::new("志愿者不存在", "The volunteer does not exist"),
        );
    }
    let title = required_text(&mut errors, "title", &req.title, TITLE_MAX);
    if req.date > local_today() {
        errors.add(
            "date",
            "in_future",
            Msg::new("培训日期不能晚于今天", "The date cannot be in the future"),
        );
    }
    if !(1..=1440).contains(&req.minutes) {
        errors.add(
            "minutes",
            "out_of_range",
            Msg::new("时长须在 1 到 1440 分钟之间", "minutes must be 1 to 1440"),
        );
    }
    if let Some(id) = &req.activity_id
        && activities::of_team(conn, &req.team_id, std::slice::from_ref(id))?.is_empty()
    {
        errors.add(
            "activity_id",
            "unknown_activity",
            Msg::new("不是本组织的活动", "Not an activity of the organisation"),
        );
    }
    errors.into_result()?;
    let row = Training {
        id: new_id(),
        volunteer_id: req.volunteer_id,
        team_id: req.team_id,
        activity_id: req.activity_id,
        title,
        training_date: req.date,
        minutes: req.minutes,
        source: TrainingSource::Manual,
        recorded_by: Some(actor.account_id.clone()),
        created_at: now(),
    };
    write_tx(conn, |tx| {
        store::insert(tx, &row)?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "training.recorded",
                target_type: "training",
                target_id: &row.id,
                details: json!({"team_id": row.team_id, "volunteer_id": row.volunteer_id, "minutes": row.minutes}),
            },
        )
    })?;
    Ok(row.into())
}

/// A volunteer's trainings: all to the volunteer and federation admins, those of their
/// organisations to other admins who may see the volunteer (404 to anyone else).
pub fn list_of_volunteer(
    conn: &mut DbConn,
    actor: &Actor,
    volunteer_id: &str,
    query: TrainingQuery,
) -> ApiResult<Page<TrainingResponse>> {
    check_id("id", volunteer_id)?;
    let page = page_request(query.page, query.per_page)?;
    let within = match policy::volunteer_access(conn, actor, volunteer_id)? {
        VolunteerAccess::None => return Err(ApiError::not_found()),
        VolunteerAccess::Owner => None,
        VolunteerAccess::Admin if actor.federation_admin => None,
        VolunteerAccess::Admin => Some(actor.admin_team_ids.clone()),
    };
    let (rows, total) =
        store::page_of_volunteer(conn, volunteer_id, within, page.per_page, page.offset())?;
    Ok(Page::new(
        rows.into_iter().map(Into::into).collect(),
        page,
        total,
    ))
}

/// The caller's own trainings.
pub fn list_own(
    conn: &mut DbConn,
    actor: &Actor,
    query: TrainingQuery,
) -> ApiResult<Page<TrainingResponse>> {
    let volunteer_id = actor.volunteer_id.clone().ok_or_else(ApiError::not_found)?;
    list_of_volunteer(conn, actor, &volunteer_id, query)
}

/// An organisation's trainings of a volunteer in a period, oldest first (for proofs).
pub fn of_team_in_period(
    conn: &mut DbConn,
    team_id: &str,
    volunteer_id: &str,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> ApiResult<Vec<Training>> {
    Ok(store::of_team_in_period(
        conn,
        team_id,
        volunteer_id,
        from,
        to,
    )?)
}
