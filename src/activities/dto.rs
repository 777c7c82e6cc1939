use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::model::{Activity, Signup};
use crate::meta::enums::{ActivityCategory, ActivityStatus, ServiceTarget, SignupStatus, Skill};
use crate::time::to_utc;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateActivityRequest {
    #[schema(value_type = crate::ids::Id)]
    pub team_id: String,
    #[schema(value_type = Option<crate::ids::Id>)]
    pub campaign_id: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub title: String,
    #[schema(max_length = 500)]
    pub summary: Option<String>,
    #[schema(max_length = 20000)]
    pub description: Option<String>,
    pub category: ActivityCategory,
    #[serde(default)]
    pub service_targets: Vec<ServiceTarget>,
    /// Online activities have no address or coordinates.
    #[serde(default)]
    pub online: bool,
    #[schema(value_type = Option<crate::meta::towns::TownName>)]
    pub town: Option<String>,
    #[schema(max_length = 200)]
    pub address: Option<String>,
    /// WGS 84; give both or neither.
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    /// Check-in radius around the coordinates, 10–5000 m (default 200).
    #[schema(minimum = 10, maximum = 5000)]
    pub checkin_radius_m: Option<i32>,
    pub starts_at: DateTime<Utc>,
    /// After `starts_at`.
    pub ends_at: DateTime<Utc>,
    /// Defaults to `starts_at`; may be as late as `ends_at` (walk-ins).
    pub signup_deadline: Option<DateTime<Utc>>,
    /// At least 1.
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: i32,
    #[schema(minimum = 0, maximum = 100)]
    pub min_age: Option<i32>,
    #[serde(default)]
    pub required_skills: Vec<Skill>,
    /// Sign-ups start `pending` and admins confirm them.
    #[serde(default)]
    pub requires_approval: bool,
    /// Risky activities need an accident-insurance policy recorded before publishing.
    #[serde(default)]
    pub risky: bool,
    #[schema(max_length = 200)]
    pub insurance_policy: Option<String>,
    #[schema(max_length = 2000)]
    pub safety_measures: Option<String>,
    #[schema(max_length = 50)]
    pub contact_name: Option<String>,
    #[schema(max_length = 20, pattern = r"^[0-9+-]*$")]
    pub contact_phone: Option<String>,
}

/// Absent fields stay; `null` clears an optional one. Raising `capacity` promotes waitlisted
/// volunteers; lowering it below the confirmed count is refused.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateActivityRequest {
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<crate::ids::Id>)]
    pub campaign_id: Option<Option<String>>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 500)]
    pub summary: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 20000)]
    pub description: Option<Option<String>>,
    pub category: Option<ActivityCategory>,
    pub service_targets: Option<Vec<ServiceTarget>>,
    pub online: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<crate::meta::towns::TownName>)]
    pub town: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<f64>, minimum = -90, maximum = 90)]
    pub latitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<f64>, minimum = -180, maximum = 180)]
    pub longitude: Option<Option<f64>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<i32>, minimum = 10, maximum = 5000)]
    pub checkin_radius_m: Option<Option<i32>>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    pub signup_deadline: Option<DateTime<Utc>>,
    #[schema(minimum = 1, maximum = 100000)]
    pub capacity: Option<i32>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<i32>, minimum = 0, maximum = 100)]
    pub min_age: Option<Option<i32>>,
    pub required_skills: Option<Vec<Skill>>,
    pub requires_approval: Option<bool>,
    pub risky: Option<bool>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 200)]
    pub insurance_policy: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 2000)]
    pub safety_measures: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 50)]
    pub contact_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 20, pattern = r"^[0-9+-]*$")]
    pub contact_phone: Option<Option<String>>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// The organisation or any below it.
    #[param(value_type = Option<crate::ids::Id>)]
    pub team_id: Option<String>,
    #[param(value_type = Option<crate::ids::Id>)]
    pub campaign_id: Option<String>,
    pub category: Option<ActivityCategory>,
    #[param(value_type = Option<crate::meta::towns::TownName>)]
    pub town: Option<String>,
    pub status: Option<ActivityStatus>,
    /// Starting at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Starting before this time.
    pub to: Option<DateTime<Utc>>,
    /// Part of the title.
    pub q: Option<String>,
    /// Only activities with seats left.
    pub has_seats: Option<bool>,
    /// `starts_at` (default) or `-starts_at`.
    #[param(pattern = "^-?starts_at$")]
    pub sort: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivityResponse {
    pub id: String,
    pub team_id: String,
    pub campaign_id: Option<String>,
    pub title: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub category: ActivityCategory,
    pub service_targets: Vec<ServiceTarget>,
    pub online: bool,
    pub town: Option<String>,
    pub address: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub checkin_radius_m: Option<i32>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub signup_deadline: DateTime<Utc>,
    pub capacity: i32,
    pub min_age: Option<i32>,
    pub required_skills: Vec<Skill>,
    pub requires_approval: bool,
    pub risky: bool,
    pub insurance_policy: Option<String>,
    pub safety_measures: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub status: ActivityStatus,
    pub confirmed_count: i32,
    pub waitlist_count: i32,
    pub seats_left: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<Activity> for ActivityResponse {
    fn from(a: Activity) -> Self {
        ActivityResponse {
            category: a.category,
            service_targets: a.service_targets.as_slice().to_vec(),
            required_skills: a.required_skills.as_slice().to_vec(),
            status: a.status,
            seats_left: (a.capacity - a.confirmed_count).max(0),
            starts_at: to_utc(a.starts_at),
            ends_at: to_utc(a.ends_at),
            signup_deadline: to_utc(a.signup_deadline),
            created_at: to_utc(a.created_at),
            updated_at: to_utc(a.updated_at),
            id: a.id,
            team_id: a.team_id,
            campaign_id: a.campaign_id,
            title: a.title,
            summary: a.summary,
            description: a.description,
            online: a.online,
            town: a.town,
            address: a.address,
            latitude: a.latitude,
            longitude: a.longitude,
            checkin_radius_m: a.checkin_radius_m,
            capacity: a.capacity,
            min_age: a.min_age,
            requires_approval: a.requires_approval,
            risky: a.risky,
            insurance_policy: a.insurance_policy,
            safety_measures: a.safety_measures,
            contact_name: a.contact_name,
            contact_phone: a.contact_phone,
            confirmed_count: a.confirmed_count,
            waitlist_count: a.waitlist_count,
            version: a.version,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignupResponse {
    pub id: String,
    pub activity_id: String,
    pub volunteer_id: String,
    pub status: SignupStatus,
    /// Waitlist place, 1 = next.
    pub position: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activity: Option<ActivitySummary>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ActivitySummary {
    pub id: String,
    pub title: String,
    pub team_id: String,
    pub status: ActivityStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub online: bool,
    pub town: Option<String>,
    pub address: Option<String>,
}

impl SignupResponse {
    pub fn new(s: Signup, activity: Option<&Activity>) -> Self {
        SignupResponse {
            status: s.status,
            id: s.id,
            activity_id: s.activity_id,
            volunteer_id: s.volunteer_id,
            position: s.position,
            created_at: to_utc(s.created_at),
            updated_at: to_utc(s.updated_at),
            checked_in_at: s.checked_in_at.map(to_utc),
            checked_out_at: s.checked_out_at.map(to_utc),
            activity: activity.map(|a| ActivitySummary {
                id: a.id.clone(),
                title: a.title.clone(),
                team_id: a.team_id.clone(),
                status: a.status,
                starts_at: to_utc(a.starts_at),
                ends_at: to_utc(a.ends_at),
                online: a.online,
                town: a.town.clone(),
                address: a.address.clone(),
            }),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideSignupRequest {
    /// `confirmed` (a pending sign-up, within capacity) or `rejected`.
    pub status: SignupDecision,
}

/// What an admin may decide about a sign-up: the `signup_status` codes it can be set to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SignupDecision {
    Confirmed,
    Rejected,
}

impl From<SignupDecision> for SignupStatus {
    fn from(d: SignupDecision) -> SignupStatus {
        match d {
            SignupDecision::Confirmed => SignupStatus::Confirmed,
            SignupDecision::Rejected => SignupStatus::Rejected,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SignupQuery {
    pub status: Option<SignupStatus>,
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
}
