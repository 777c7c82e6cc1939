//! The only code that queries `wechat_identities` and `wechat_bind_tickets`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::{NewBindTicket, WeChatIdentity};
use crate::db::{DbConn, Tx};
use crate::schema::{wechat_bind_tickets, wechat_identities};

pub fn identity_of_openid(conn: &mut DbConn, openid: &str) -> QueryResult<Option<WeChatIdentity>> {
    wechat_identities::table
        .find(openid)
        .select(WeChatIdentity::as_select())
        .first(conn)
        .optional()
}

pub fn identity_of_account(
    conn: &mut DbConn,
    account_id: &str,
) -> QueryResult<Option<WeChatIdentity>> {
    wechat_identities::table
        .filter(wechat_identities::account_id.eq(account_id))
        .select(WeChatIdentity::as_select())
        .first(conn)
        .optional()
}

pub fn insert_identity(tx: &mut Tx, row: &WeChatIdentity) -> QueryResult<()> {
    diesel::insert_into(wechat_identities::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

/// Removes the account's binding; whether there was one.
pub fn delete_identity_of_account(tx: &mut Tx, account_id: &str) -> QueryResult<bool> {
    diesel::delete(wechat_identities::table.filter(wechat_identities::account_id.eq(account_id)))
        .execute(tx.conn())
        .map(|n| n == 1)
}

/// Writes a ticket, and forgets tickets that expired before `forget_before`.
pub fn insert_ticket(
    tx: &mut Tx,
    row: &NewBindTicket,
    forget_before: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(
        wechat_bind_tickets::table.filter(wechat_bind_tickets::expires_at.lt(forget_before)),
    )
    .execute(tx.conn())?;
    diesel::insert_into(wechat_bind_tickets::table)
        .values(row)
        .execute(tx.conn())
        .map(drop)
}

/// Marks an unused, unexpired ticket used: the WeChat user it names (openid, unionid), or
/// `None` if it is unknown, used or expired.
pub fn use_ticket(
    tx: &mut Tx,
    ticket_hash: &str,
    at: NaiveDateTime,
) -> QueryResult<Option<(String, Option<String>)>> {
    let taken = diesel::update(
        wechat_bind_tickets::table
            .find(ticket_hash)
            .filter(wechat_bind_tickets::used_at.is_null())
            .filter(wechat_bind_tickets::expires_at.gt(at)),
    )
    .set(wechat_bind_tickets::used_at.eq(at))
    .execute(tx.conn())?;
    if taken != 1 {
        return Ok(None);
    }
    wechat_bind_tickets::table
        .find(ticket_hash)
        .select((wechat_bind_tickets::openid, wechat_bind_tickets::unionid))
        .first(tx.conn())
        .map(Some)
}
