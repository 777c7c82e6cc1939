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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_counts_birthdays() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(age_on(d(2008, 11, 30), d(2026, 11, 29)), 17);
        assert_eq!(age_on(d(2008, 11, 29), d(2026, 11, 29)), 18);
    }
}
