//! The only code that queries `project_applications` and their transitions: typed rows in,
//! typed rows out, no rules.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{ProjectApplication, ProjectChanges, Transition};
use crate::db::{DbConn, Tx};
use crate::meta::enums::ProjectStatus;
use crate::schema::{project_application_transitions, project_applications};
use crate::teams::scope::teams_under;

pub fn insert(tx: &mut Tx, row: &ProjectApplication) -> QueryResult<()> {
    diesel::insert_into(project_applications::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ProjectApplication>> {
    project_applications::table
        .find(id)
        .select(ProjectApplication::as_select())
        .first(conn)
        .optional()
}

/// Writes the changes if the application is still at `version`; false if it moved on.
pub fn update_at_version(
    tx: &mut Tx,
    id: &str,
    version: i64,
    changes: &ProjectChanges,
) -> QueryResult<bool> {
    diesel::update(
        project_applications::table
            .filter(project_applications::id.eq(id))
            .filter(project_applications::version.eq(version)),
    )
    .set((changes, project_applications::version.eq(version + 1)))
    .execute(tx.conn())
    .map(|n| n == 1)
}

/// Moves the application from `from` to `to` if it is still in `from`; false if it is not.
pub fn move_status(
    tx: &mut Tx,
    id: &str,
    from: ProjectStatus,
    to: ProjectStatus,
    at: NaiveDateTime,
) -> QueryResult<bool> {
    let target = project_applications::table
        .filter(project_applications::id.eq(id))
        .filter(project_applications::status.eq(from));
    let changed = if to == ProjectStatus::Submitted {
        diesel::update(target)
            .set((
                project_applications::status.eq(to),
                project_applications::submitted_at.eq(at),
                project_applications::updated_at.eq(at),
                project_applications::version.eq(project_applications::version + 1),
            ))
            .execute(tx.conn())?
    } else {
        diesel::update(target)
            .set((
                project_applications::status.eq(to),
                project_applications::updated_at.eq(at),
                project_applications::version.eq(project_applications::version + 1),
            ))
            .execute(tx.conn())?
    };
    Ok(changed == 1)
}

pub fn insert_transition(tx: &mut Tx, row: &Transition) -> QueryResult<()> {
    diesel::insert_into(project_application_transitions::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

/// An application's transitions, oldest first.
pub fn history(conn: &mut DbConn, id: &str) -> QueryResult<Vec<Transition>> {
    project_application_transitions::table
        .filter(project_application_transitions::application_id.eq(id))
        .order((
            project_application_transitions::at.asc(),
            project_application_transitions::id.asc(),
        ))
        .select(Transition::as_select())
        .load(conn)
}

pub struct ProjectFilter {
    /// Organisations at or below any of these (none: everywhere).
    pub within: Option<Vec<String>>,
    pub team_id: Option<String>,
    pub campaign_id: Option<String>,
    pub status: Option<ProjectStatus>,
}

/// Applications, newest first.
pub fn page(
    conn: &mut DbConn,
    filter: &ProjectFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<ProjectApplication>, i64)> {
    let filtered = || {
        let mut q = project_applications::table.into_boxed();
        if let Some(roots) = &filter.within {
            q = q.filter(project_applications::team_id.eq_any(teams_under(roots.clone())));
        }
        if let Some(team_id) = &filter.team_id {
            q = q.filter(project_applications::team_id.eq(team_id.clone()));
        }
        if let Some(campaign_id) = &filter.campaign_id {
            q = q.filter(project_applications::campaign_id.eq(campaign_id.clone()));
        }
        if let Some(status) = filter.status {
            q = q.filter(project_applications::status.eq(status));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((
            project_applications::created_at.desc(),
            project_applications::id.desc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(ProjectApplication::as_select())
        .load(conn)?;
    Ok((rows, total))
}
