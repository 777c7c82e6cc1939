use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::schema::{wechat_bind_tickets, wechat_identities};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = wechat_identities)]
pub struct WeChatIdentity {
    pub openid: String,
    pub account_id: String,
    pub unionid: Option<String>,
    pub bound_at: NaiveDateTime,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = wechat_bind_tickets)]
pub struct NewBindTicket<'a> {
    pub ticket_hash: &'a str,
    pub openid: &'a str,
    pub unionid: Option<&'a str>,
    pub expires_at: NaiveDateTime,
}
