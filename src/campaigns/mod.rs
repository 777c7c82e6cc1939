//! Campaigns (主题活动): a theme, a period, categories and a report deadline. Federation admins
//! write them; anyone reads; activities link to one.

pub mod dto;
pub mod routes;
pub mod service;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::schema::campaigns;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = campaigns)]
pub struct Campaign {
    pub id: String,
    pub theme: String,
    pub description: Option<String>,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub categories: String,
    pub report_due: Option<NaiveDate>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}
