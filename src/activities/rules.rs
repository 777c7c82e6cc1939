//! The rules of an activity, checked on the whole activity after a create or an edit, so both
//! paths obey exactly the same ones.

use chrono::Duration;

use super::dto::{CreateActivityRequest, UpdateActivityRequest};
use super::model::Activity;
use crate::error::{FieldErrors, Msg};
use crate::meta::enums::{ActivityStatus, Codes};
use crate::meta::towns::is_town;
use crate::validation::check_phone;

pub const DEFAULT_RADIUS_M: i32 = 200;

/// Trimmed text, `None` when empty.
fn clean(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// A new draft from a create request (ids and timestamps filled by the caller).
pub fn draft_from(req: CreateActivityRequest, id: String, at: chrono::NaiveDateTime) -> Activity {
    let starts_at = req.starts_at.naive_utc();
    Activity {
        id,
        team_id: req.team_id,
        campaign_id: req.campaign_id,
        title: req.title.trim().to_owned(),
        summary: clean(req.summary),
        description: clean(req.description),
        category: req.category,
        service_targets: Codes::set(req.service_targets),
        online: req.online,
        town: clean(req.town),
        address: clean(req.address),
        latitude: req.latitude,
        longitude: req.longitude,
        checkin_radius_m: req
            .checkin_radius_m
            .or((req.latitude.is_some() || req.longitude.is_some()).then_some(DEFAULT_RADIUS_M)),
        starts_at,
        ends_at: req.ends_at.naive_utc(),
        signup_deadline: req
            .signup_deadline
            .map(|d| d.naive_utc())
            .unwrap_or(starts_at),
        capacity: req.capacity,
        min_age: req.min_age,
        required_skills: Codes::set(req.required_skills),
        requires_approval: req.requires_approval,
        risky: req.risky,
        insurance_policy: clean(req.insurance_policy),
        safety_measures: clean(req.safety_measures),
        contact_name: clean(req.contact_name),
        contact_phone: req.contact_phone.filter(|p| !p.is_empty()),
        status: ActivityStatus::Draft,
        confirmed_count: 0,
        waitlist_count: 0,
        created_at: at,
        updated_at: at,
        version: 1,
    }
}

/// The activity with an edit applied.
pub fn edited(mut a: Activity, req: UpdateActivityRequest) -> Activity {
    macro_rules! set {
        ($field:ident) => {
            if let Some(v) = req.$field {
                a.$field = v;
            }
        };
        ($field:ident, text) => {
            if let Some(v) = req.$field {
                a.$field = clean(v);
            }
        };
    }
    set!(campaign_id);
    set!(summary, text);
    set!(description, text);
    set!(online);
    set!(town, text);
    set!(address, text);
    set!(latitude);
    set!(longitude);
    set!(checkin_radius_m);
    set!(capacity);
    set!(min_age);
    set!(requires_approval);
    set!(risky);
    set!(insurance_policy, text);
    set!(safety_measures, text);
    set!(contact_name, text);
    if let Some(p) = req.contact_phone {
        a.contact_phone = p.filter(|p| !p.is_empty());
    }
    if let Some(t) = req.title {
        a.title = t.trim().to_owned();
    }
    if let Some(c) = req.category {
        a.category = c;
    }
    if let Some(t) = req.service_targets {
        a.service_targets = Codes::set(t);
    }
    if let Some(s) = req.required_skills {
        a.required_skills = Codes::set(s);
    }
    if let Some(v) = req.starts_at {
        a.starts_at = v.naive_utc();
    }
    if let Some(v) = req.ends_at {
        a.ends_at = v.naive_utc();
    }
    if let Some(v) = req.signup_deadline {
        a.signup_deadline = v.naive_utc();
    }
    if a.checkin_radius_m.is_none() && a.latitude.is_some() {
        a.checkin_radius_m = Some(DEFAULT_RADIUS_M);
    }
    a
}

fn too_long(errors: &mut FieldErrors, field: &str, value: Option<&str>, max: usize) {
    if value.is_some_and(|v| v.chars().count() > max) {
        errors.add(
            field,
            "too_long",
            Msg::new(
                format!("不能超过 {max} 个字符"),
                format!("At most {max} characters"),
            ),
        );
    }
}

pub fn check(a: &Activity) -> FieldErrors {
    let mut errors = FieldErrors::default();
    if a.title.is_empty() {
        errors.add(
            "title",
            "required",
            Msg::new("此字段必填", "This field is required"),
        );
    }
    too_long(&mut errors, "title", Some(&a.title), 100);
    too_long(&mut errors, "summary", a.summary.as_deref(), 500);
    too_long(&mut errors, "description", a.description.as_deref(), 20_000);
    too_long(&mut errors, "address", a.address.as_deref(), 200);
    too_long(
        &mut errors,
        "insurance_policy",
        a.insurance_policy.as_deref(),
        200,
    );
    too_long(
        &mut errors,
        "safety_measures",
        a.safety_measures.as_deref(),
        2000,
    );
    too_long(&mut errors, "contact_name", a.contact_name.as_deref(), 50);
    if let Some(phone) = &a.contact_phone {
        check_phone(&mut errors, "contact_phone", phone);
    }
    if a.town.as_deref().is_some_and(|t| !is_town(t)) {
        errors.add(
            "town",
            "invalid_choice",
            Msg::new(
                "镇（街道）须为 /api/v1/meta/towns 中的名称",
                "town must be a name from /api/v1/meta/towns",
            ),
        );
    }
    if a.ends_at <= a.starts_at {
        errors.add(
            "ends_at",
            "before_start",
            Msg::new("结束时间须晚于开始时间", "ends_at must be after starts_at"),
        );
    }
    if a.signup_deadline > a.ends_at {
        errors.add(
            "signup_deadline",
            "after_end",
            Msg::new(
                "报名截止时间不能晚于结束时间",
                "signup_deadline cannot be after ends_at",
            ),
        );
    }
    if a.ends_at - a.starts_at > Duration::days(366) {
        errors.add(
            "ends_at",
            "too_long",
            Msg::new("活动不能超过一年", "An activity lasts at most a year"),
        );
    }
    if !(1..=100_000).contains(&a.capacity) {
        errors.add(
            "capacity",
            "out_of_range",
            Msg::new(
                "招募人数须在 1 到 100000 之间",
                "capacity must be 1 to 100000",
            ),
        );
    }
    if a.min_age.is_some_and(|m| !(0..=100).contains(&m)) {
        errors.add(
            "min_age",
            "out_of_range",
            Msg::new("最低年龄须在 0 到 100 之间", "min_age must be 0 to 100"),
        );
    }
    match (a.latitude, a.longitude) {
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
                errors.add(
                    "latitude",
                    "out_of_range",
                    Msg::new("纬度须在 -90 到 90 之间", "latitude must be -90 to 90"),
                );
            }
            if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
                errors.add(
                    "longitude",
                    "out_of_range",
                    Msg::new("经度须在 -180 到 180 之间", "longitude must be -180 to 180"),
                );
            }
        }
        (None, None) => {}
        (None, Some(_)) => errors.add(
            "latitude",
            "required",
            Msg::new("经纬度须同时提供", "Give latitude and longitude together"),
        ),
        (Some(_), None) => errors.add(
            "longitude",
            "required",
            Msg::new("经纬度须同时提供", "Give latitude and longitude together"),
        ),
    }
    if a.checkin_radius_m
        .is_some_and(|r| !(10..=5000).contains(&r))
    {
        errors.add(
            "checkin_radius_m",
            "out_of_range",
            Msg::new(
                "签到半径须在 10 到 5000 米之间",
                "checkin_radius_m must be 10 to 5000",
            ),
        );
    }
    if a.online {
        for (field, set) in [
            ("address", a.address.is_some()),
            ("latitude", a.latitude.is_some()),
        ] {
            if set {
                errors.add(
                    field,
                    "not_allowed_online",
                    Msg::new("线上活动没有地点", "An online activity has no place"),
                );
            }
        }
    }
    errors
}
