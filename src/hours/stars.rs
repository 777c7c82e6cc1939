//! Star levels (星级志愿者): approved hours make a volunteer eligible; a federation admin
//! certifies the level.

/// Thresholds in minutes for levels 1–5.
#[derive(Clone, Copy, Debug)]
pub struct StarLevels {
    thresholds_minutes: [i64; 5],
}

impl StarLevels {
    pub fn from_hours(hours: [u32; 5]) -> StarLevels {
        StarLevels {
            thresholds_minutes: hours.map(|h| i64::from(h) * 60),
        }
    }

    /// The level `total_minutes` qualifies for, 0–5.
    pub fn eligible(&self, total_minutes: i64) -> i32 {
        self.thresholds_minutes
            .iter()
            .filter(|t| total_minutes >= **t)
            .count() as i32
    }

    /// Hours still missing to the next level; `None` at the top.
    pub fn next_level_hours(&self, total_minutes: i64) -> Option<f64> {
        let level = self.eligible(total_minutes) as usize;
        self.thresholds_minutes
            .get(level)
            .map(|t| hours_of(t - total_minutes))
    }
}

/// Minutes as hours with two decimals.
pub fn hours_of(minutes: i64) -> f64 {
    (minutes as f64 / 60.0 * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_thresholds() {
        let s = StarLevels::from_hours([100, 300, 600, 1000, 1500]);
        assert_eq!(s.eligible(0), 0);
        assert_eq!(s.eligible(100 * 60 - 1), 0);
        assert_eq!(s.eligible(100 * 60), 1);
        assert_eq!(s.eligible(1500 * 60), 5);
        assert_eq!(s.next_level_hours(90 * 60), Some(10.0));
        assert_eq!(s.next_level_hours(100 * 60 + 20), Some(199.67));
        assert_eq!(s.next_level_hours(2000 * 60), None);
        assert_eq!(hours_of(90), 1.5);
    }
}
