//! The platform's clock conventions: timestamps are stored as UTC and spoken as RFC 3339; a
//! "day" is a local day in Asia/Shanghai (UTC+8 all year, no daylight saving).

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Utc};

#[allow(clippy::expect_used, reason = "a constant offset within range")]
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

/// A stored UTC timestamp as local wall-clock time.
pub fn local_time(stored: NaiveDateTime) -> NaiveDateTime {
    stored
        .and_utc()
        .with_timezone(&local_offset())
        .naive_local()
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

/// A range of days `from..=to` (either end open) cut into whole months and the days left at
/// its edges, so that totals kept per month and per day answer it exactly while reading at
/// most two months' worth of day rows.
#[derive(Debug, PartialEq, Eq)]
pub struct MonthSplit {
    /// The whole months (`YYYY-MM`, inclusive; `None` for an open end), if there are any.
    pub months: Option<(Option<String>, Option<String>)>,
    /// Day ranges (inclusive) outside those months.
    pub days: Vec<(NaiveDate, NaiveDate)>,
}

fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

fn first_of_next_month(day: NaiveDate) -> NaiveDate {
    first_of_month(day)
        .checked_add_months(chrono::Months::new(1))
        .unwrap_or(NaiveDate::MAX)
}

fn month_of(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

impl MonthSplit {
    pub fn of(from: Option<NaiveDate>, to: Option<NaiveDate>) -> MonthSplit {
        // The first day of the first whole month, and the last day of the last one.
        let whole_from = from.map(|f| {
            if f.day() == 1 {
                f
            } else {
                first_of_next_month(f)
            }
        });
        let whole_to = to.map(|t| {
            if first_of_next_month(t).pred_opt() == Some(t) {
                t
            } else {
                first_of_month(t).pred_opt().unwrap_or(NaiveDate::MIN)
            }
        });
        if let (Some(f), Some(t), Some(a), Some(b)) = (from, to, whole_from, whole_to)
            && a > b
        {
            return MonthSplit {
                months: None,
                days: if f <= t { vec![(f, t)] } else { Vec::new() },
            };
        }
        let mut days = Vec::new();
        if let (Some(f), Some(a)) = (from, whole_from)
            && f < a
        {
            days.push((f, a.pred_opt().unwrap_or(f)));
        }
        if let (Some(t), Some(b)) = (to, whole_to)
            && b < t
        {
            days.push((b.succ_opt().unwrap_or(t), t));
        }
        MonthSplit {
            months: Some((whole_from.map(month_of), whole_to.map(month_of))),
            days,
        }
    }
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

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn m(a: &str, b: &str) -> Option<(Option<String>, Option<String>)> {
        Some((Some(a.to_owned()), Some(b.to_owned())))
    }

    #[test]
    fn a_range_splits_into_whole_months_and_edge_days() {
        let split = |f: &str, t: &str| MonthSplit::of(Some(d(f)), Some(d(t)));
        assert_eq!(
            split("2026-03-01", "2026-05-31"),
            MonthSplit {
                months: m("2026-03", "2026-05"),
                days: vec![]
            }
        );
        assert_eq!(
            split("2026-03-10", "2026-05-20"),
            MonthSplit {
                months: m("2026-04", "2026-04"),
                days: vec![
                    (d("2026-03-10"), d("2026-03-31")),
                    (d("2026-05-01"), d("2026-05-20"))
                ],
            }
        );
        assert_eq!(
            split("2026-03-10", "2026-04-20"),
            MonthSplit {
                months: None,
                days: vec![(d("2026-03-10"), d("2026-04-20"))]
            }
        );
        assert_eq!(
            split("2026-02-01", "2026-02-28"),
            MonthSplit {
                months: m("2026-02", "2026-02"),
                days: vec![]
            }
        );
        assert_eq!(
            split("2026-05-02", "2026-05-01"),
            MonthSplit {
                months: None,
                days: vec![]
            }
        );
        assert_eq!(
            MonthSplit::of(None, None),
            MonthSplit {
                months: Some((None, None)),
                days: vec![]
            }
        );
        assert_eq!(
            MonthSplit::of(Some(d("2026-12-15")), None),
            MonthSplit {
                months: Some((Some("2027-01".to_owned()), None)),
                days: vec![(d("2026-12-15"), d("2026-12-31"))]
            }
        );
        assert_eq!(
            MonthSplit::of(None, Some(d("2024-02-28"))),
            MonthSplit {
                months: Some((None, Some("2024-01".to_owned()))),
                days: vec![(d("2024-02-01"), d("2024-02-28"))]
            }
        );
    }
}
