use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::meta::enums::{Codes, Education, Gender, IdType, PoliticalStatus, Skill};

use crate::schema::volunteers;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = volunteers)]
pub struct Volunteer {
    pub id: String,
    pub account_id: String,
    pub volunteer_number: String,
    pub real_name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub id_type: IdType,
    pub id_number_cipher: String,
    pub id_number_index: String,
    pub id_number_masked: String,
    pub email: Option<String>,
    pub political_status: PoliticalStatus,
    pub education: Option<Education>,
    pub skills: Codes<Skill>,
    pub town: Option<String>,
    pub emergency_contact_name: Option<String>,
    pub emergency_contact_phone: Option<String>,
    pub guardian_name: Option<String>,
    pub guardian_mobile: Option<String>,
    pub guardian_consent_at: Option<NaiveDateTime>,
    pub privacy_notice_version: String,
    pub privacy_consent_at: NaiveDateTime,
    pub star_level: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
    /// Approved, not superseded service minutes (kept by the hours ledger).
    pub total_minutes: i64,
    pub star_certified_by: Option<String>,
    pub star_certified_at: Option<NaiveDateTime>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = volunteers)]
pub struct NewVolunteer<'a> {
    pub id: &'a str,
    pub account_id: &'a str,
    pub volunteer_number: &'a str,
    pub real_name: &'a str,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub id_type: IdType,
    pub id_number_cipher: &'a str,
    pub id_number_index: &'a str,
    pub id_number_masked: &'a str,
    pub email: Option<&'a str>,
    pub political_status: PoliticalStatus,
    pub education: Option<Education>,
    pub skills: &'a Codes<Skill>,
    pub town: Option<&'a str>,
    pub emergency_contact_name: Option<&'a str>,
    pub emergency_contact_phone: Option<&'a str>,
    pub guardian_name: Option<&'a str>,
    pub guardian_mobile: Option<&'a str>,
    pub guardian_consent_at: Option<NaiveDateTime>,
    pub privacy_notice_version: &'a str,
    pub privacy_consent_at: NaiveDateTime,
    pub star_level: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i64,
}

/// Where a volunteer stands in hours and stars: the columns a summary needs, nothing personal.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = volunteers)]
pub struct HoursStanding {
    /// Approved, not superseded service minutes (kept by the hours ledger).
    pub total_minutes: i64,
    pub star_level: i32,
    pub star_certified_by: Option<String>,
    pub star_certified_at: Option<NaiveDateTime>,
}

/// What sign-up eligibility needs of a volunteer: age and skills.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = volunteers)]
pub struct Eligibility {
    pub birth_date: NaiveDate,
    pub skills: Codes<Skill>,
}

/// What a credential says of its holder.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = volunteers)]
pub struct Holder {
    pub id: String,
    pub real_name: String,
    pub volunteer_number: String,
    pub id_type: crate::meta::enums::IdType,
    pub id_number_masked: String,
    pub star_level: i32,
}

/// A profile edit: `None` leaves a column as it is; `Some(None)` clears a nullable one.
#[derive(Debug, AsChangeset, Default)]
#[diesel(table_name = volunteers)]
pub struct VolunteerChanges {
    pub email: Option<Option<String>>,
    pub education: Option<Option<Education>>,
    pub political_status: Option<PoliticalStatus>,
    pub skills: Option<Codes<Skill>>,
    pub town: Option<Option<String>>,
    pub emergency_contact_name: Option<Option<String>>,
    pub emergency_contact_phone: Option<Option<String>>,
    pub real_name: Option<String>,
    pub id_type: Option<IdType>,
    pub id_number_cipher: Option<String>,
    pub id_number_index: Option<String>,
    pub id_number_masked: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub gender: Option<Gender>,
}
