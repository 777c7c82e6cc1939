//! Project application rules: drafting and editing (the organisation's admins, only while
//! `draft` or `returned`), submission within the campaign's window, review by federation
//! admins, and the history of every transition. Which transition is legal is `workflow`'s.

use chrono::NaiveDate;
use serde_json::json;

use super::ATTACHMENT_KIND;
use super::dto::{
    ACTIVITIES_MAX, ATTACHMENTS_MAX, BENEFICIARIES_MAX, COMMENT_MAX, CreateProjectRequest,
    MEMBERS_MAX, NAME_MAX, ProjectQuery, ProjectResponse, ReviewRequest, TEXT_MAX,
    TransitionResponse, UpdateProjectRequest,
};
use super::model::{ProjectApplication, ProjectChanges, Transition};
use super::store::{self, ProjectFilter};
use super::workflow;
use crate::activities::service as activities;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::campaigns::service as campaigns;
use crate::db::{DbConn, PooledConn, Tx, new_id, now, write_tx};
use crate::error::{ApiError, ApiResult, FieldErrors, Msg, check_version};
use crate::files::service::{self as files, Subject};
use crate::ids::{check_id, invalid_id, is_id};
use crate::meta::enums::{ActivityCategory, ProjectStatus, WebhookEvent};
use crate::money::{parse_yuan, yuan};
use crate::paging::{Page, page_request};
use crate::teams::service as teams;
use crate::time::to_utc;
use crate::validation::{optional_text, required_text};

fn not_editable() -> ApiError {
    ApiError::conflict(
        "not_editable",
        Msg::new(
            "申报仅在草稿或退回修改状态下可以编辑",
            "An application can be edited only while draft or returned",
        ),
    )
}

fn invalid_transition(from: ProjectStatus) -> ApiError {
    ApiError::conflict(
        "invalid_transition",
        Msg::new(
            format!("申报当前为“{}”，不能执行此操作", from.labels().0),
            format!(
                "The application is {}; this step is not possible from there",
                from.code()
            ),
        ),
    )
}

fn window_closed() -> ApiError {
    ApiError::conflict(
        "application_window_closed",
        Msg::new(
            "不在该主题活动的项目申报时间内",
            "The campaign's application window is not open",
        ),
    )
}

fn ids_of(text: &str) -> ApiResult<Vec<String>> {
    serde_json::from_str(text).map_err(ApiError::internal)
}

fn view(p: ProjectApplication) -> ApiResult<ProjectResponse> {
    Ok(ProjectResponse {
        activity_ids: ids_of(&p.activity_ids)?,
        attachments: ids_of(&p.attachments)?,
        budget_yuan: p.budget_fen.map(yuan),
        id: p.id,
        team_id: p.team_id,
        campaign_id: p.campaign_id,
        name: p.name,
        category: p.category,
        summary: p.summary,
        goals: p.goals,
        beneficiaries: p.beneficiaries,
        starts_on: p.starts_on,
        ends_on: p.ends_on,
        member_count: p.member_count,
        status: p.status,
        created_by: p.created_by,
        created_at: to_utc(p.created_at),
        updated_at: to_utc(p.updated_at),
        submitted_at: p.submitted_at.map(to_utc),
        version: p.version,
    })
}

/// An application's name, if there is one with this id (for commendations of projects).
pub fn name_of(conn: &mut DbConn, id: &str) -> ApiResult<Option<String>> {
    if !is_id(id) {
        return Ok(None);
    }
    Ok(store::find(conn, id)?.map(|p| p.name))
}

fn find(conn: &mut DbConn, id: &str) -> ApiResult<ProjectApplication> {
    check_id("id", id)?;
    store::find(conn, id)?.ok_or_else(ApiError::not_found)
}

/// An application's fields as they will be stored, checked as a whole.
struct Draft {
    campaign_id: Option<String>,
    name: String,
    category: ActivityCategory,
    summary: String,
    goals: String,
    beneficiaries: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    budget_yuan: Option<String>,
    member_count: i32,
    activity_ids: Vec<String>,
    attachments: Vec<String>,
}

/// Checks a draft (the texts trimmed in place); every problem at once.
fn check(
    conn: &mut DbConn,
    actor: &Actor,
    team_id: &str,
    application_id: Option<&str>,
    d: &mut Draft,
) -> ApiResult<Option<i64>> {
    let mut errors = FieldErrors::default();
    d.name = required_text(&mut errors, "name", &d.name, NAME_MAX);
    d.summary = required_text(&mut errors, "summary", &d.summary, TEXT_MAX);
    d.goals = required_text(&mut errors, "goals", &d.goals, TEXT_MAX);
    d.beneficiaries = required_text(
        &mut errors,
        "beneficiaries",
        &d.beneficiaries,
        BENEFICIARIES_MAX,
    );
    if d.ends_on < d.starts_on {
        errors.add(
            "ends_on",
            "before_start",
            Msg::new(
                "结束日期不能早于开始日期",
                "ends_on cannot be before starts_on",
            ),
        );
    }
    if !(1..=MEMBERS_MAX).contains(&d.member_count) {
        errors.add(
            "member_count",
            "out_of_range",
            Msg::new(
                format!("成员人数须在 1 到 {MEMBERS_MAX} 之间"),
                format!("member_count must be 1 to {MEMBERS_MAX}"),
            ),
        );
    }
    let budget_fen = match &d.budget_yuan {
        None => None,
        Some(text) => {
            let fen = parse_yuan(text);
            if fen.is_none() {
                errors.add(
                    "budget_yuan",
                    "format",
                    Msg::new(
                        "预算须为以元为单位、最多两位小数的数字字符串，如 \"12800.50\"",
                        "budget_yuan must be a decimal string in yuan with at most two places, e.g. \"12800.50\"",
                    ),
                );
            }
            fen
        }
    };
    if let Some(campaign_id) = &d.campaign_id
        && !campaigns::exists(conn, campaign_id)?
    {
        errors.add(
            "campaign_id",
            "not_found",
            Msg::new("主题活动不存在", "The campaign does not exist"),
        );
    }
    if d.activity_ids.len() > ACTIVITIES_MAX {
        errors.add(
            "activity_ids",
            "too_many",
            Msg::new(
                format!("最多 {ACTIVITIES_MAX} 个活动"),
                format!("At most {ACTIVITIES_MAX} activities"),
            ),
        );
    } else {
        let well_formed: Vec<String> = d
            .activity_ids
            .iter()
            .filter(|id| is_id(id))
            .cloned()
            .collect();
        let own = activities::of_team(conn, team_id, &well_formed)?;
        for (i, id) in d.activity_ids.iter().enumerate() {
            let field = format!("activity_ids[{i}]");
            if !is_id(id) {
                errors.0.push(invalid_id(field));
            } else if d.activity_ids[..i].contains(id) {
                errors.add(
                    field,
                    "duplicate",
                    Msg::new("活动重复", "The activity is named twice"),
                );
            } else if !own.contains(id) {
                errors.add(
                    field,
                    "unknown_activity",
                    Msg::new("不是本组织的活动", "Not an activity of the organisation"),
                );
            }
        }
    }
    files::check_attachable(
        conn,
        &mut errors,
        actor,
        "attachments",
        (&d.attachments, ATTACHMENTS_MAX),
        application_id.map(|id| (ATTACHMENT_KIND, id)),
    )?;
    errors.into_result()?;
    Ok(budget_fen)
}

/// One step of an application's life, as history and audit record it.
struct Step {
    from: Option<ProjectStatus>,
    to: ProjectStatus,
    comment: Option<String>,
    /// The audit action.
    action: &'static str,
}

fn record_transition(
    tx: &mut Tx,
    origin: &Origin,
    actor: &Actor,
    application: &ProjectApplication,
    step: Step,
) -> ApiResult<()> {
    let Step {
        from,
        to,
        comment,
        action,
    } = step;
    store::insert_transition(
        tx,
        &Transition {
            id: new_id(),
            application_id: application.id.clone(),
            from_status: from,
            to_status: to,
            actor_id: actor.account_id.clone(),
            at: now(),
            comment: comment.clone(),
        },
    )?;
    tx.emit(
        WebhookEvent::ProjectApplicationStatusChanged,
        json!({
            "id": application.id,
            "team_id": application.team_id,
            "campaign_id": application.campaign_id,
            "from": from.map(ProjectStatus::code),
            "to": to.code(),
        }),
    );
    audit::record(
        tx,
        origin,
        AuditEntry {
            actor_id: &actor.account_id,
            action,
            target_type: "project_application",
            target_id: &application.id,
            details: json!({
                "team_id": application.team_id,
                "from": from.map(ProjectStatus::code),
                "to": to.code(),
                "comment": comment,
            }),
        },
    )
}

fn attach(tx: &mut Tx, application: &ProjectApplication, ids: &[String]) -> ApiResult<()> {
    files::attach(
        tx,
        &Subject {
            kind: ATTACHMENT_KIND,
            id: &application.id,
            team_id: &application.team_id,
            public: false,
        },
        ids,
    )
}

/// Drafts an application for an organisation (its admins) → `draft`.
pub fn create(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    req: CreateProjectRequest,
) -> ApiResult<ProjectResponse> {
    let team = teams::named_in_body(conn, &req.team_id)?;
    policy::authorize(conn, actor, Action::ApplyForProject { team_id: &team.id })?;
    let mut draft = Draft {
        campaign_id: req.campaign_id,
        name: req.name,
        category: req.category,
        summary: req.summary,
        goals: req.goals,
        beneficiaries: req.beneficiaries,
        starts_on: req.starts_on,
        ends_on: req.ends_on,
        budget_yuan: req.budget_yuan,
        member_count: req.member_count,
        activity_ids: req.activity_ids.unwrap_or_default(),
        attachments: req.attachments.unwrap_or_default(),
    };
    let budget_fen = check(conn, actor, &team.id, None, &mut draft)?;
    let application = write_tx(conn, |tx| {
        let at = now();
        let application = ProjectApplication {
            id: new_id(),
            team_id: team.id.clone(),
            campaign_id: draft.campaign_id,
            name: draft.name,
            category: draft.category,
            summary: draft.summary,
            goals: draft.goals,
            beneficiaries: draft.beneficiaries,
            starts_on: draft.starts_on,
            ends_on: draft.ends_on,
            budget_fen,
            member_count: draft.member_count,
            activity_ids: json!(draft.activity_ids).to_string(),
            attachments: json!(draft.attachments).to_string(),
            status: ProjectStatus::Draft,
            created_by: actor.account_id.clone(),
            created_at: at,
            updated_at: at,
            submitted_at: None,
            version: 1,
        };
        store::insert(tx, &application)?;
        attach(tx, &application, &draft.attachments)?;
        record_transition(
            tx,
            origin,
            actor,
            &application,
            Step {
                from: None,
                to: ProjectStatus::Draft,
                comment: None,
                action: "project_application.created",
            },
        )?;
        Ok::<_, ApiError>(application)
    })?;
    view(application)
}

/// Edits an application (its organisation's admins; If-Match): only while `draft` or
/// `returned` (else 409 `not_editable`).
pub fn update(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    expected_version: Option<i64>,
    req: UpdateProjectRequest,
) -> ApiResult<ProjectResponse> {
    let current = find(conn, id)?;
    policy::authorize(
        conn,
        actor,
        Action::ApplyForProject {
            team_id: &current.team_id,
        },
    )?;
    check_version(expected_version, current.version)?;
    if !workflow::is_editable(current.status) {
        return Err(not_editable());
    }
    let mut draft = Draft {
        campaign_id: req.campaign_id.unwrap_or(current.campaign_id.clone()),
        name: req.name.unwrap_or(current.name.clone()),
        category: req.category.unwrap_or(current.category),
        summary: req.summary.unwrap_or(current.summary.clone()),
        goals: req.goals.unwrap_or(current.goals.clone()),
        beneficiaries: req.beneficiaries.unwrap_or(current.beneficiaries.clone()),
        starts_on: req.starts_on.unwrap_or(current.starts_on),
        ends_on: req.ends_on.unwrap_or(current.ends_on),
        budget_yuan: req.budget_yuan.unwrap_or(current.budget_fen.map(yuan)),
        member_count: req.member_count.unwrap_or(current.member_count),
        activity_ids: match req.activity_ids {
            Some(ids) => ids,
            None => ids_of(&current.activity_ids)?,
        },
        attachments: match req.attachments {
            Some(ids) => ids,
            None => ids_of(&current.attachments)?,
        },
    };
    let budget_fen = check(conn, actor, &current.team_id, Some(id), &mut draft)?;
    let application = write_tx(conn, |tx| {
        let now_current = find(tx, id)?;
        check_version(expected_version, now_current.version)?;
        if !workflow::is_editable(now_current.status) {
            return Err(not_editable());
        }
        let changes = ProjectChanges {
            campaign_id: draft.campaign_id,
            name: draft.name,
            category: draft.category,
            summary: draft.summary,
            goals: draft.goals,
            beneficiaries: draft.beneficiaries,
            starts_on: draft.starts_on,
            ends_on: draft.ends_on,
            budget_fen,
            member_count: draft.member_count,
            activity_ids: json!(draft.activity_ids).to_string(),
            attachments: json!(draft.attachments).to_string(),
            updated_at: now(),
        };
        // Edited from the version read in this transaction; a concurrent edit or transition
        // in between makes this a 412, never a silent overwrite.
        if !store::update_at_version(tx, id, now_current.version, &changes)? {
            return Err(ApiError::precondition_failed());
        }
        attach(tx, &now_current, &draft.attachments)?;
        audit::record(
            tx,
            origin,
            AuditEntry {
                actor_id: &actor.account_id,
                action: "project_application.updated",
                target_type: "project_application",
                target_id: id,
                details: json!({}),
            },
        )?;
        find(tx, id)
    })?;
    view(application)
}

/// Submits a draft or returned application (its organisation's admins), within its
/// campaign's application window.
pub fn submit(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
) -> ApiResult<ProjectResponse> {
    let current = find(conn, id)?;
    policy::authorize(
        conn,
        actor,
        Action::ApplyForProject {
            team_id: &current.team_id,
        },
    )?;
    let application = write_tx(conn, |tx| {
        let current = find(tx, id)?;
        let to =
            workflow::submit(current.status).ok_or_else(|| invalid_transition(current.status))?;
        let at = now();
        if let Some(campaign_id) = &current.campaign_id {
            let campaign = campaigns::find(tx, campaign_id)?;
            if !campaigns::applications_open(&campaign, at) {
                return Err(window_closed());
            }
        }
        if !store::move_status(tx, id, current.status, to, at)? {
            return Err(invalid_transition(current.status));
        }
        record_transition(
            tx,
            origin,
            actor,
            &current,
            Step {
                from: Some(current.status),
                to,
                comment: None,
                action: "project_application.submitted",
            },
        )?;
        find(tx, id)
    })?;
    view(application)
}

/// A federation admin's review step: start, approve, reject or return (the last two with a
/// comment); any other step from the current status is 409 `invalid_transition`.
pub fn review(
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    id: &str,
    req: ReviewRequest,
) -> ApiResult<ProjectResponse> {
    policy::authorize(conn, actor, Action::ReviewProjectApplication)?;
    find(conn, id)?;
    let mut errors = FieldErrors::default();
    let comment = optional_text(&mut errors, "comment", req.comment, COMMENT_MAX);
    if comment.is_none() && workflow::needs_comment(req.decision) {
        errors.add(
            "comment",
            "required",
            Msg::new(
                "不通过或退回时须填写意见",
                "A comment is required to reject or return",
            ),
        );
    }
    errors.into_result()?;
    let application = write_tx(conn, |tx| {
        let current = find(tx, id)?;
        let to = workflow::review(current.status, req.decision)
            .ok_or_else(|| invalid_transition(current.status))?;
        if !store::move_status(tx, id, current.status, to, now())? {
            return Err(invalid_transition(current.status));
        }
        record_transition(
            tx,
            origin,
            actor,
            &current,
            Step {
                from: Some(current.status),
                to,
                comment,
                action: "project_application.reviewed",
            },
        )?;
        find(tx, id)
    })?;
    view(application)
}

/// One application (admins of its organisation and above).
pub fn read(conn: &mut DbConn, actor: &Actor, id: &str) -> ApiResult<ProjectResponse> {
    let application = find(conn, id)?;
    policy::authorize(
        conn,
        actor,
        Action::ReadProjectApplication {
            team_id: &application.team_id,
        },
    )?;
    view(application)
}

/// An application's transitions, oldest first (its readers).
pub fn history(conn: &mut DbConn, actor: &Actor, id: &str) -> ApiResult<Vec<TransitionResponse>> {
    let application = find(conn, id)?;
    policy::authorize(
        conn,
        actor,
        Action::ReadProjectApplication {
            team_id: &application.team_id,
        },
    )?;
    Ok(store::history(conn, id)?
        .into_iter()
        .map(Into::into)
        .collect())
}

/// Applications in the caller's subtrees (all, for federation admins), newest first.
pub fn list(
    conn: &mut DbConn,
    actor: &Actor,
    query: ProjectQuery,
) -> ApiResult<Page<ProjectResponse>> {
    let page = page_request(query.page, query.per_page)?;
    for (field, id) in [
        ("team_id", &query.team_id),
        ("campaign_id", &query.campaign_id),
    ] {
        if let Some(id) = id {
            check_id(field, id)?;
        }
    }
    policy::authorize(conn, actor, Action::ListProjectApplications)?;
    if let Some(team_id) = &query.team_id {
        policy::authorize(conn, actor, Action::ApplyForProject { team_id })?;
    }
    let filter = ProjectFilter {
        within: (!actor.federation_admin).then(|| actor.admin_team_ids.clone()),
        team_id: query.team_id,
        campaign_id: query.campaign_id,
        status: query.status,
    };
    let (rows, total) = store::page(conn, &filter, page.per_page, page.offset())?;
    let items = rows.into_iter().map(view).collect::<ApiResult<Vec<_>>>()?;
    Ok(Page::new(items, page, total))
}
