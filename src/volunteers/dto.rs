//! Request and response shapes of volunteer profiles.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::id_number::mask_mobile;
use super::model::Volunteer;
use crate::hours::stars::{StarLevels, hours_of};
use crate::meta::enums::{
    CommendationLevel, CommendationStatus, Education, Gender, IdType, PoliticalStatus, Skill,
};
use crate::time::to_utc;

/// Declares a registration body: the fields of a volunteer's registration after the
/// `$extra` ones. One list for the register endpoint and the import row, so that both take
/// exactly the same fields with the same constraints.
macro_rules! registration_body {
    ($(#[$meta:meta])* $name:ident { $($extra:tt)* }) => {
        $(#[$meta])*
        #[derive(Debug, Deserialize, ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Mainland mobile number, `1[3-9]` and nine more digits; also the login.
            #[schema(example = "13812345678")]
            #[schema(pattern = "^1[3-9][0-9]{9}$")]
            pub mobile: String,
            $($extra)*
            #[schema(example = "陈小明")]
            #[schema(
                min_length = 1,
                max_length = 50,
                pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
            )]
            pub real_name: String,
            pub id_type: IdType,
            /// For `resident_id`: 18 characters with a valid GB 11643 check character; birth date and
            /// gender must agree with `birth_date` and `gender`.
            #[schema(example = "11010519491231002X")]
            pub id_number: String,
            pub gender: Gender,
            pub birth_date: NaiveDate,
            pub political_status: PoliticalStatus,
            #[schema(max_length = 254)]
            pub email: Option<String>,
            pub education: Option<Education>,
            #[serde(default)]
            pub skills: Vec<Skill>,
            /// One of `/api/v1/meta/towns`.
            #[schema(example = "台城街道")]
            #[schema(value_type = Option<crate::meta::towns::TownName>)]
            pub town: Option<String>,
            #[schema(max_length = 50)]
            pub emergency_contact_name: Option<String>,
            #[schema(value_type = Option<String>, max_length = 20, pattern = r"^[0-9+-]*$")]
            pub emergency_contact_phone: Option<String>,
            /// Required under 18.
            #[schema(max_length = 50)]
            pub guardian_name: Option<String>,
            /// Required under 18.
            #[schema(pattern = "^1[3-9][0-9]{9}$")]
            pub guardian_mobile: Option<String>,
            /// Must be `true` under 18: the guardian consents to the registration.
            pub guardian_consent: Option<bool>,
            /// Consent to the processing of personal information under the current privacy notice;
            /// registering implies it, and `false` is refused.
            pub privacy_consent: Option<bool>,
        }
    };
}

registration_body! {
    /// Real-name registration: creates an account and its volunteer profile.
    RegisterRequest {
        /// 8–128 characters.
        #[schema(min_length = 8, max_length = 128)]
        pub password: String,
    }
}

registration_body! {
    /// One volunteer of an import: the registration without a password. The account can log
    /// in once its owner registers with the same mobile number and ID number (which sets the
    /// password) or binds WeChat after that.
    ImportVolunteerRow {}
}

/// A volunteer profile. `id_number` is masked (`440781********123X`) for everyone but the
/// volunteer; `mobile` is masked (`138****5678`) for admins.
#[derive(Debug, Serialize, ToSchema)]
pub struct VolunteerResponse {
    pub id: String,
    pub account_id: String,
    #[schema(example = "TS2026000123")]
    pub volunteer_number: String,
    pub real_name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub id_type: IdType,
    pub id_number: String,
    pub mobile: Option<String>,
    pub email: Option<String>,
    pub political_status: PoliticalStatus,
    pub education: Option<Education>,
    pub skills: Vec<Skill>,
    pub town: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardian_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub guardian_mobile: Option<String>,
    /// Certified star level, 0–5.
    pub star_level: i32,
    /// Star level the approved hours qualify for, 0–5.
    pub eligible_star_level: i32,
    /// Approved service hours, two decimals.
    pub total_hours: f64,
    pub privacy_notice_version: String,
    pub privacy_consent_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
    /// Commendations (先进典型, 评价情况) of the volunteer, most recent first, withdrawn ones
    /// marked: on a profile read (`GET /volunteers/{id}`, `GET /me`); absent from lists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commendations: Option<Vec<VolunteerCommendation>>,
}

/// A commendation as a volunteer's profile shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VolunteerCommendation {
    #[schema(value_type = crate::ids::Id)]
    pub id: String,
    pub title: String,
    pub level: CommendationLevel,
    pub awarded_on: NaiveDate,
    pub status: CommendationStatus,
}

/// Who is looking at a profile decides how much of it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewer {
    /// The volunteer: everything in full (the ID number is decrypted by the caller).
    Owner,
    /// An admin: ID number and mobile masked.
    Admin,
}

impl VolunteerResponse {
    /// `id_number` is the full number for the owner, `None` to show the stored mask.
    pub fn from_row(
        v: Volunteer,
        mobile: Option<String>,
        viewer: Viewer,
        id_number: Option<String>,
        stars: &StarLevels,
    ) -> Self {
        let mobile = match viewer {
            Viewer::Owner => mobile,
            Viewer::Admin => mobile.as_deref().map(mask_mobile),
        };
        VolunteerResponse {
            gender: v.gender,
            id_type: v.id_type,
            political_status: v.political_status,
            education: v.education,
            skills: v.skills.into_vec(),
            id_number: id_number.unwrap_or(v.id_number_masked),
            id: v.id,
            account_id: v.account_id,
            volunteer_number: v.volunteer_number,
            real_name: v.real_name,
            birth_date: v.birth_date,
            mobile,
            email: v.email,
            town: v.town,
            emergency_contact_name: v.emergency_contact_name,
            emergency_contact_phone: v.emergency_contact_phone,
            guardian_name: v.guardian_name,
            guardian_mobile: v.guardian_mobile,
            star_level: v.star_level,
            eligible_star_level: stars.eligible(v.total_minutes),
            total_hours: hours_of(v.total_minutes),
            privacy_notice_version: v.privacy_notice_version,
            privacy_consent_at: to_utc(v.privacy_consent_at),
            created_at: to_utc(v.created_at),
            updated_at: to_utc(v.updated_at),
            version: v.version,
            commendations: None,
        }
    }
}

/// Profile changes. The volunteer and their admins edit contact fields, skills, town and
/// emergency contact; `real_name`, `id_type` and `id_number` only a federation admin, with a
/// `reason`. Absent fields stay; `null` clears an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateVolunteerRequest {
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 254)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<Education>)]
    pub education: Option<Option<Education>>,
    pub political_status: Option<PoliticalStatus>,
    pub skills: Option<Vec<Skill>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<crate::meta::towns::TownName>)]
    pub town: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 50)]
    pub emergency_contact_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::http::patch::nullable")]
    #[schema(value_type = Option<String>, max_length = 20, pattern = r"^[0-9+-]*$")]
    pub emergency_contact_phone: Option<Option<String>>,
    /// Federation admins only.
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub real_name: Option<String>,
    /// Federation admins only.
    pub id_type: Option<IdType>,
    /// Federation admins only; for a resident ID, birth date and gender follow from it.
    pub id_number: Option<String>,
    /// Required with `real_name`, `id_type` or `id_number`: why they change (audited).
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VolunteerQuery {
    /// Members of this organisation or any below it.
    #[param(value_type = Option<crate::ids::Id>)]
    pub team_id: Option<String>,
    #[param(value_type = Option<crate::meta::towns::TownName>)]
    pub town: Option<String>,
    pub skill: Option<Skill>,
    pub political_status: Option<PoliticalStatus>,
    #[param(minimum = 0, maximum = 5)]
    pub star_level: Option<i32>,
    /// Part of the real name or of the mobile number.
    pub q: Option<String>,
    /// Page number, from 1 (ignored with `after`).
    #[param(minimum = 1, maximum = 1000000, default = 1)]
    pub page: Option<i64>,
    /// Items per page, 1–100.
    #[param(minimum = 1, maximum = 100, default = 20)]
    pub per_page: Option<i64>,
    /// Keyset paging: the `next_cursor` of the page before; the volunteers after it. Stays
    /// valid while volunteers register.
    #[param(max_length = 400)]
    pub after: Option<String>,
}

/// The volunteer list's filters, and the file format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VolunteerExportQuery {
    /// Members of this organisation or any below it.
    #[param(value_type = Option<crate::ids::Id>)]
    pub team_id: Option<String>,
    #[param(value_type = Option<crate::meta::towns::TownName>)]
    pub town: Option<String>,
    pub skill: Option<Skill>,
    pub political_status: Option<PoliticalStatus>,
    #[param(minimum = 0, maximum = 5)]
    pub star_level: Option<i32>,
    /// Part of the real name or of the mobile number.
    pub q: Option<String>,
    /// `csv` (the default: UTF-8 with a byte-order mark) or `xlsx`.
    pub format: Option<crate::meta::enums::ExportFormat>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealIdRequest {
    /// Why the full number is needed; kept in the audit log.
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RevealIdResponse {
    pub volunteer_id: String,
    pub id_type: IdType,
    pub id_number: String,
}
