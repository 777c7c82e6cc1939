//! The only code that queries `certificates`: typed rows in, typed rows out, no rules.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{Certificate, CertificateStanding};
use crate::db::{DbConn, Tx};
use crate::meta::enums::CertificateStatus;
use crate::schema::certificates;
use crate::teams::scope::teams_under;

pub fn insert(tx: &mut Tx, rows: &[Certificate]) -> QueryResult<()> {
    // Chunked: one statement per 500 certificates keeps a batch of thousands fast and within
    // SQLite's parameter limit (14 columns each).
    for chunk in rows.chunks(500) {
        // Multi-row inserts exist per backend, not for the multi-backend connection.
        crate::on_backend!(tx.conn(), |c| diesel::insert_into(certificates::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<Certificate>> {
    certificates::table
        .find(id)
        .select(Certificate::as_select())
        .first(conn)
        .optional()
}

pub fn standing(conn: &mut DbConn, number: &str) -> QueryResult<Option<CertificateStanding>> {
    certificates::table
        .filter(certificates::number.eq(number))
        .select(CertificateStanding::as_select())
        .first(conn)
        .optional()
}

/// Revokes the certificate only if it is still valid; whether it was.
pub fn revoke_if_valid(
    tx: &mut Tx,
    id: &str,
    by: &str,
    at: NaiveDateTime,
    reason: &str,
) -> QueryResult<bool> {
    let changed = diesel::update(
        certificates::table
            .find(id)
            .filter(certificates::status.eq(CertificateStatus::Valid)),
    )
    .set((
        certificates::status.eq(CertificateStatus::Revoked),
        certificates::revoked_at.eq(at),
        certificates::revoked_by.eq(by),
        certificates::revocation_reason.eq(reason),
    ))
    .execute(tx.conn())?;
    Ok(changed == 1)
}

pub struct CertificateFilter {
    /// Each entry narrows to the subtrees of these teams (empty: every team).
    pub within: Vec<Vec<String>>,
    pub volunteer_id: Option<String>,
    pub status: Option<CertificateStatus>,
    pub issued_from: Option<NaiveDateTime>,
    pub issued_before: Option<NaiveDateTime>,
}

/// Newest first.
pub fn page(
    conn: &mut DbConn,
    filter: &CertificateFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Certificate>, i64)> {
    let filtered = || {
        let mut q = certificates::table.into_boxed();
        for roots in &filter.within {
            q = q.filter(certificates::team_id.eq_any(teams_under(roots.clone())));
        }
        if let Some(volunteer_id) = &filter.volunteer_id {
            q = q.filter(certificates::volunteer_id.eq(volunteer_id.clone()));
        }
        if let Some(status) = filter.status {
            q = q.filter(certificates::status.eq(status));
        }
        if let Some(from) = filter.issued_from {
            q = q.filter(certificates::issued_at.ge(from));
        }
        if let Some(before) = filter.issued_before {
            q = q.filter(certificates::issued_at.lt(before));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((certificates::issued_at.desc(), certificates::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(Certificate::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Every valid certificate: (team, volunteer), for the totals' check.
pub fn valid_holders(conn: &mut DbConn) -> QueryResult<Vec<(String, String)>> {
    certificates::table
        .filter(certificates::status.eq(CertificateStatus::Valid))
        .select((certificates::team_id, certificates::volunteer_id))
        .load(conn)
}
