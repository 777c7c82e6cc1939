use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::meta::enums::{
    ActivityCategory, ActivityStatus, Codes, ServiceTarget, SignupStatus, Skill,
};

use crate::schema::{activities, signups};

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = activities, treat_none_as_null = true)]
pub struct Activity {
    pub id: String,
    pub team_id: String,
    pub campaign_id: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub category: ActivityCategory,
    pub service_targets: Codes<ServiceTarget>,
    pub online: bool,
    pub town: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub checkin_radius_m: Option<i32>,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub signup_deadline: NaiveDateTime,
    pub capacity: i32,
    pub min_age: Option<i32>,
    pub required_skills: Codes<Skill>,
    pub requires_approval: bool,
    pub risky: bool,
    pub insurance_policy: Option<String>,
    pub safety_measures: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub status: ActivityStatus,
    pub confirmed_count: i32,
    pub waitlist_count: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = signups)]
pub struct Signup {
    pub id: String,
    pub activity_id: String,
    pub volunteer_id: String,
    pub status: SignupStatus,
    pub position: Option<i32>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub checked_in_at: Option<NaiveDateTime>,
    pub checked_out_at: Option<NaiveDateTime>,
}
