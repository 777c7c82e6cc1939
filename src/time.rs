//! The platform's clock conventions: timestamps are stored as UTC and spoken as RFC 3339; a
//! "day" is a local day in Asia/Shanghai (UTC+8 all year, no daylight saving).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};

pub fn local_offset() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

pub fn local_today() -> NaiveDate {
    Utc::now().with_timezone(&local_offset()).date_naive()
}

pub fn to_utc(stored: NaiveDateTime) -> DateTime<Utc> {
    stored.and_utc()
}

/// Whole years between `birth` and `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i32 {
    use chrono::Datelike;
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

/// The local day of a stored UTC timestamp.
pub fn local_date(stored: NaiveDateTime) -> NaiveDate {
    stored.and_utc().with_timezone(&local_offset()).date_naive()
}

/// The first instant of a local day, as stored (UTC): the inverse of [`local_date`], for
/// filters on timestamps given as local days.
pub fn local_day_start(day: NaiveDate) -> NaiveDateTime {
    let offset = chrono::Duration::seconds(i64::from(local_offset().local_minus_utc()));
    day.and_hms_opt(0, 0, 0).unwrap_or_default() - offset
}

/// Seconds from `at` until the next local day begins (at least 1): when a daily limit
/// resets, for its `Retry-After`.
pub fn seconds_to_next_local_day(at: NaiveDateTime) -> u64 {
    let next = local_day_start(local_date(at) + chrono::Duration::days(1));
    (next - at).num_seconds().max(1).unsigned_abs()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn daily_limits_reset_at_local_midnight() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        // 15:59:00 UTC is 23:59 in Shanghai: a minute left.
        assert_eq!(seconds_to_next_local_day(at("2026-11-29 15:59:00")), 60);
        // 16:00:00 UTC is local midnight: a whole day.
        assert_eq!(seconds_to_next_local_day(at("2026-11-29 16:00:00")), 86_400);
    }

    #[test]
    fn a_local_day_starts_at_its_first_instant() {
        let day = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let start = local_day_start(day);
        assert_eq!(start.to_string(), "2026-02-28 16:00:00");
        assert_eq!(local_date(start), day);
        assert_eq!(
            local_date(start - chrono::Duration::seconds(1)),
            day.pred_opt().unwrap()
        );
    }

    #[test]
    fn age_counts_birthdays() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(age_on(d(2008, 11, 30), d(2026, 11, 29)), 17);
        assert_eq!(age_on(d(2008, 11, 29), d(2026, 11, 29)), 18);
    }
}
