//! Check-in and check-out. Admins show a rotating six-digit code (HMAC of the activity and a
//! two-minute window, the previous window still accepted); a volunteer with a confirmed
//! sign-up checks in with it, within the activity's radius where it has coordinates. Check-out
//! writes a pending service record whose minutes are the overlap of the attended window with
//! the activity's own time, under the configured rounding policy.

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::Sha256;
use utoipa::ToSchema;

use super::model::{Activity, Signup};
use super::service::read as read_activity;
use super::signups;
use super::store;
use crate::audit::{self, AuditEntry, Origin};
use crate::auth::policy::{self, Action, Actor};
use crate::db::{DbConn, PooledConn, Tx, now, write_tx};
use crate::error::{ApiError, ApiResult, Msg};
use crate::hours::service::{self as hours, Attendance, Facets};
use crate::meta::enums::{ActivityCategory, ActivityStatus, SignupStatus};
use crate::rounding::RoundingPolicy;
use crate::time::{local_date, to_utc};
use crate::trainings::service::{self as trainings, TrainingAttendance};

pub const WINDOW_SECS: i64 = 120;
/// Check-in opens this long before the start.
pub const OPENS_BEFORE_MINUTES: i64 = 30;

#[derive(Debug, Serialize, ToSchema)]
pub struct CheckinCodeResponse {
    #[schema(example = "482913")]
    pub code: String,
    /// When this code stops being shown (it is still accepted for one more window).
    pub expires_at: DateTime<Utc>,
    /// What the QR code carries.
    pub qr_payload: String,
}

/// A volunteer sends `code` (and their position where the activity has coordinates); an admin
/// sends `volunteer_id` instead.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceRequest {
    pub code: Option<String>,
    #[schema(minimum = -90, maximum = 90)]
    pub latitude: Option<f64>,
    #[schema(minimum = -180, maximum = 180)]
    pub longitude: Option<f64>,
    #[schema(value_type = Option<crate::ids::Id>)]
    pub volunteer_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceResponse {
    pub signup_id: String,
    pub activity_id: String,
    pub volunteer_id: String,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
    /// At check-out: the minutes credited (overlap with the activity's time, rounded down).
    pub minutes: Option<i64>,
    /// At check-out: the pending service record written, if any minute was served.
    pub service_record_id: Option<String>,
    pub note: Option<String>,
}

/// The per-activity secret: a keyed hash of the activity id with the server's check-in key.
#[allow(clippy::expect_used, reason = "HMAC takes keys of any length")]
fn code_for(key: &[u8], activity_id: &str, window: i64) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(activity_id.as_bytes());
    mac.update(&window.to_be_bytes());
    let bytes = mac.finalize().into_bytes();
    let n = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]) % 1_000_000;
    format!("{n:06}")
}

fn window_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(WINDOW_SECS)
}

/// The key the rotating codes are made with (derived from the server's secret).
pub type CodeKey = [u8; 32];

pub fn current_code(
    key: &CodeKey,
    conn: &mut DbConn,
    actor: &Actor,
    activity_id: &str,
) -> ApiResult<CheckinCodeResponse> {
    let a = read_activity(conn, Some(actor), activity_id)?;
    policy::authorize(
        conn,
        actor,
        Action::ManageActivity {
            team_id: &a.team_id,
        },
    )?;
    let window = window_of(Utc::now());
    let code = code_for(key, activity_id, window);
    Ok(CheckinCodeResponse {
        qr_payload: format!("zhiyuan://checkin?activity={activity_id}&code={code}"),
        code,
        expires_at: DateTime::from_timestamp((window + 1) * WINDOW_SECS, 0)
            .unwrap_or_else(Utc::now),
    })
}

fn code_is_valid(key: &CodeKey, activity_id: &str, code: &str) -> bool {
    let window = window_of(Utc::now());
    [window, window - 1]
        .iter()
        .any(|w| code_for(key, activity_id, *w) == code.trim())
}

/// Great-circle distance in metres.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let r = 6_371_000.0_f64;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * h.sqrt().asin()
}

fn problem(code: &'static str, zh: &'static str, en: &'static str) -> ApiError {
    ApiError::conflict(code, Msg::new(zh, en))
}

/// May the caller record attendance this way: an admin of the activity's organisation for
/// someone else (`volunteer_id`), a volunteer for themself. Asked before anything about the
/// activity's state is revealed.
fn authorize_attendance(
    conn: &mut DbConn,
    actor: &Actor,
    a: &Activity,
    req: &AttendanceRequest,
) -> ApiResult<()> {
    if req.volunteer_id.is_some() {
        policy::authorize(
            conn,
            actor,
            Action::ManageActivity {
                team_id: &a.team_id,
            },
        )
    } else if actor.volunteer_id.is_some() {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// Who is attending: the volunteer themself (code, position) or, for an admin, `volunteer_id`
/// (the caller is authorized already, see `authorize_attendance`).
fn attendee(
    key: &CodeKey,
    tx: &mut Tx,
    actor: &Actor,
    origin: &Origin,
    a: &Activity,
    req: &AttendanceRequest,
    action: &'static str,
) -> ApiResult<Signup> {
    let volunteer_id = match &req.volunteer_id {
        Some(v) => {
            crate::ids::check_id("volunteer_id", v)?;
            audit::record(
                tx,
                origin,
                AuditEntry {
                    actor_id: &actor.account_id,
                    action,
                    target_type: "activity",
                    target_id: &a.id,
                    details: json!({"volunteer_id": v}),
                },
            )?;
            v.clone()
        }
        None => {
            let own = actor.volunteer_id.clone().ok_or_else(ApiError::forbidden)?;
            let Some(code) = req.code.as_deref() else {
                return Err(ApiError::field(
                    "code",
                    "required",
                    Msg::new("请输入签到码", "The check-in code is required"),
                ));
            };
            if !code_is_valid(key, &a.id, code) {
                return Err(ApiError::bad_request(
                    "invalid_code",
                    Msg::new(
                        "签到码错误或已过期",
                        "The check-in code is wrong or has expired",
                    ),
                ));
            }
            if let (Some(lat), Some(lon)) = (a.latitude, a.longitude) {
                let (Some(my_lat), Some(my_lon)) = (req.latitude, req.longitude) else {
                    return Err(ApiError::field(
                        "latitude",
                        "required",
                        Msg::new(
                            "此活动需要定位签到",
                            "This activity needs your position to check in",
                        ),
                    ));
                };
                let radius =
                    f64::from(a.checkin_radius_m.unwrap_or(super::rules::DEFAULT_RADIUS_M));
                if !my_lat.is_finite()
                    || !my_lon.is_finite()
                    || haversine_m(lat, lon, my_lat, my_lon) > radius
                {
                    return Err(problem(
                        "outside_geofence",
                        "不在活动签到范围内",
                        "You are outside the activity's check-in area",
                    ));
                }
            }
            own
        }
    };
    store::signup_of(tx, &a.id, &volunteer_id, &[SignupStatus::Confirmed])?.ok_or_else(|| {
        problem(
            "not_confirmed",
            "没有已确认的报名",
            "There is no confirmed sign-up for this activity",
        )
    })
}

fn response(
    s: Signup,
    minutes: Option<i64>,
    record: Option<String>,
    note: Option<String>,
) -> AttendanceResponse {
    AttendanceResponse {
        signup_id: s.id,
        activity_id: s.activity_id,
        volunteer_id: s.volunteer_id,
        checked_in_at: s.checked_in_at.map(to_utc),
        checked_out_at: s.checked_out_at.map(to_utc),
        minutes,
        service_record_id: record,
        note,
    }
}

pub fn check_in(
    key: &CodeKey,
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    activity_id: &str,
    req: AttendanceRequest,
) -> ApiResult<AttendanceResponse> {
    write_tx(conn, |tx| {
        let a = read_activity(tx, Some(actor), activity_id)?;
        authorize_attendance(tx, actor, &a, &req)?;
        let at = now();
        if a.status != ActivityStatus::Published
            || at < a.starts_at - Duration::minutes(OPENS_BEFORE_MINUTES)
            || at > a.ends_at
        {
            return Err(problem(
                "checkin_not_open",
                "签到未开放（活动开始前 30 分钟开放，结束后关闭）",
                "Check-in opens 30 minutes before the start and closes at the end",
            ));
        }
        let signup = attendee(
            key,
            tx,
            actor,
            origin,
            &a,
            &req,
            "attendance.checked_in_by_admin",
        )?;
        if signup.checked_in_at.is_some() {
            return Err(problem(
                "already_checked_in",
                "已签到",
                "Already checked in",
            ));
        }
        store::set_checked_in(tx, &signup.id, at)?;
        Ok(response(signups::get(tx, &signup.id)?, None, None, None))
    })
}

pub fn check_out(
    key: &CodeKey,
    policy: RoundingPolicy,
    conn: &mut PooledConn,
    actor: &Actor,
    origin: &Origin,
    activity_id: &str,
    req: AttendanceRequest,
) -> ApiResult<AttendanceResponse> {
    write_tx(conn, |tx| {
        let a = read_activity(tx, Some(actor), activity_id)?;
        authorize_attendance(tx, actor, &a, &req)?;
        let signup = attendee(
            key,
            tx,
            actor,
            origin,
            &a,
            &req,
            "attendance.checked_out_by_admin",
        )?;
        let Some(checked_in) = signup.checked_in_at else {
            return Err(problem(
                "not_checked_in",
                "尚未签到，不能签退",
                "Check in before checking out",
            ));
        };
        if signup.checked_out_at.is_some() {
            return Err(problem(
                "already_checked_out",
                "已签退",
                "Already checked out",
            ));
        }
        let at = now();
        store::set_checked_out(tx, &signup.id, at)?;
        let minutes = policy.minutes(
            to_utc(checked_in),
            to_utc(at),
            to_utc(a.starts_at),
            to_utc(a.ends_at),
        );
        let (record, note) = if minutes < 1 {
            (None, Some("服务时间与活动时间重叠不足一分钟，未生成服务记录 / Less than a minute overlapped the activity: no record".to_owned()))
        } else if a.category == ActivityCategory::Training {
            // Training is not service: the attendance becomes a training record.
            trainings::record_attendance(
                tx,
                &TrainingAttendance {
                    volunteer_id: &signup.volunteer_id,
                    team_id: &a.team_id,
                    activity_id: &a.id,
                    title: &a.title,
                    date: local_date(checked_in.max(a.starts_at)),
                    minutes: minutes.min(1440) as i32,
                },
            )?;
            (None, Some("培训活动：已记入培训记录，不计服务时数 / A training: recorded as training, not service hours".to_owned()))
        } else {
            let team_town = match a.town {
                Some(_) => None,
                None => crate::teams::service::find(tx, &a.team_id)?.town,
            };
            let attended = Attendance {
                volunteer_id: &signup.volunteer_id,
                team_id: &a.team_id,
                activity_id: &a.id,
                service_date: local_date(checked_in.max(a.starts_at)),
                minutes: minutes.min(1440) as i32,
                content: &a.title,
                place: if a.online {
                    Some("线上")
                } else {
                    a.address.as_deref()
                },
                rounding: policy,
                facets: Facets {
                    category: a.category,
                    town: a.town.as_deref().or(team_town.as_deref()),
                    campaign_id: a.campaign_id.as_deref(),
                },
            };
            (Some(hours::record_attendance(tx, &attended)?), None)
        };
        Ok(response(
            signups::get(tx, &signup.id)?,
            Some(minutes),
            record,
            note,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        // 台城 to 广海: roughly 30 km.
        let d = haversine_m(22.2517, 112.7939, 21.9560, 112.7790);
        assert!((32_000.0..34_000.0).contains(&d), "{d}");
        assert!(haversine_m(22.25, 112.79, 22.25, 112.79) < 0.001);
    }

    #[test]
    fn codes_are_six_digits_and_rotate() {
        let a = code_for(b"key", "activity", 1);
        assert_eq!(a.len(), 6);
        assert!(a.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(a, code_for(b"key", "activity", 1));
        assert_ne!(
            code_for(b"key", "activity", 1),
            code_for(b"key", "activity", 2)
        );
        assert_ne!(
            code_for(b"key", "activity", 1),
            code_for(b"key", "other", 1)
        );
    }
}
