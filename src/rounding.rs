//! How a time window becomes service minutes. The policy's code is stored on every record, so
//! changing the configured policy later never rewrites history.

use chrono::{DateTime, Utc};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RoundingPolicy {
    /// Whole minutes, rounded down; only the overlap with the activity's own time counts, so
    /// travel before or after never does.
    #[default]
    FloorMinute,
}

impl RoundingPolicy {
    pub fn code(self) -> &'static str {
        match self {
            RoundingPolicy::FloorMinute => "floor_minute",
        }
    }

    pub fn from_code(code: &str) -> Option<RoundingPolicy> {
        (code == "floor_minute").then_some(RoundingPolicy::FloorMinute)
    }

    /// Minutes of `[attended_from, attended_to)` that fall inside `[starts, ends)`.
    pub fn minutes(
        self,
        attended_from: DateTime<Utc>,
        attended_to: DateTime<Utc>,
        starts: DateTime<Utc>,
        ends: DateTime<Utc>,
    ) -> i64 {
        let from = attended_from.max(starts);
        let to = attended_to.min(ends);
        if to <= from {
            return 0;
        }
        match self {
            RoundingPolicy::FloorMinute => (to - from).num_seconds() / 60,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        chrono::NaiveDate::from_ymd_opt(2026, 3, 5)
            .unwrap()
            .and_hms_opt(h, m, s)
            .unwrap()
            .and_utc()
    }

    #[test]
    fn counts_only_the_overlap_rounded_down() {
        let p = RoundingPolicy::FloorMinute;
        // Arrived early, left late: only the activity's two hours count.
        assert_eq!(
            p.minutes(t(8, 30, 0), t(11, 30, 0), t(9, 0, 0), t(11, 0, 0)),
            120
        );
        // 59 seconds short of a minute is rounded down.
        assert_eq!(
            p.minutes(t(9, 0, 0), t(9, 10, 59), t(9, 0, 0), t(11, 0, 0)),
            10
        );
        assert_eq!(
            p.minutes(t(9, 0, 0), t(9, 0, 59), t(9, 0, 0), t(11, 0, 0)),
            0
        );
        // No overlap at all.
        assert_eq!(
            p.minutes(t(12, 0, 0), t(13, 0, 0), t(9, 0, 0), t(11, 0, 0)),
            0
        );
        assert_eq!(RoundingPolicy::from_code(p.code()), Some(p));
    }
}
