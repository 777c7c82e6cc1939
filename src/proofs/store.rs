//! The only code that queries `service_proofs`: typed rows in, typed rows out, no rules.

use diesel::prelude::*;

use super::model::{ProofStanding, ServiceProof};
use crate::db::{DbConn, Tx};
use crate::schema::service_proofs;
use crate::teams::scope::teams_under;

pub fn insert(tx: &mut Tx, row: &ServiceProof) -> QueryResult<()> {
    diesel::insert_into(service_proofs::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<ServiceProof>> {
    service_proofs::table
        .find(id)
        .select(ServiceProof::as_select())
        .first(conn)
        .optional()
}

pub fn standing(conn: &mut DbConn, number: &str) -> QueryResult<Option<ProofStanding>> {
    service_proofs::table
        .filter(service_proofs::number.eq(number))
        .select(ProofStanding::as_select())
        .first(conn)
        .optional()
}

/// A volunteer's proofs, newest first; `within` narrows to organisations in these subtrees.
pub fn page_of_volunteer(
    conn: &mut DbConn,
    volunteer_id: &str,
    within: Option<Vec<String>>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<ServiceProof>, i64)> {
    let filtered = || {
        let mut q = service_proofs::table
            .filter(service_proofs::volunteer_id.eq(volunteer_id.to_owned()))
            .into_boxed();
        if let Some(roots) = &within {
            q = q.filter(service_proofs::team_id.eq_any(teams_under(roots.clone())));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let rows = filtered()
        .order((service_proofs::issued_at.desc(), service_proofs::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(ServiceProof::as_select())
        .load(conn)?;
    Ok((rows, total))
}
