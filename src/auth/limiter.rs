//! Failed-login counting per login and per client address, in sliding windows (see
//! `rate_limit` for where they are kept).

use crate::rate_limit::SlidingWindows;

pub struct LoginLimiter {
    by_login: SlidingWindows,
    by_address: SlidingWindows,
}

impl LoginLimiter {
    pub fn new(per_login: u32, per_address: u32, window_secs: i64) -> LoginLimiter {
        LoginLimiter {
            by_login: SlidingWindows::new(per_login, window_secs),
            by_address: SlidingWindows::new(per_address, window_secs),
        }
    }

    /// `Some(seconds)` to wait when either count is at its limit.
    pub fn check(&self, login: &str, address: &str, now: i64) -> Option<u64> {
        let login_wait = self.by_login.blocked_for(&normalize(login), now);
        let address_wait = self.by_address.blocked_for(address, now);
        login_wait.max(address_wait)
    }

    pub fn record_failure(&self, login: &str, address: &str, now: i64) {
        self.by_login.record(&normalize(login), now);
        self.by_address.record(address, now);
    }

    /// A successful login clears its login's count (not the address's).
    pub fn record_success(&self, login: &str) {
        self.by_login.forget(&normalize(login));
    }
}

fn normalize(login: &str) -> String {
    login.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_a_login_after_its_limit_until_the_window_passes() {
        let l = LoginLimiter::new(5, 100, 900);
        for t in 0..5 {
            assert_eq!(l.check("13800000000", "1.2.3.4", t), None);
            l.record_failure("13800000000", "1.2.3.4", t);
        }
        assert_eq!(l.check("13800000000", "5.6.7.8", 10), Some(890));
        assert_eq!(
            l.check("13800000000", "5.6.7.8", 900),
            None,
            "first failure left the window"
        );
        assert_eq!(
            l.check("other", "1.2.3.4", 10),
            None,
            "address limit is higher"
        );
    }

    #[test]
    fn success_resets_the_login_but_not_the_address() {
        let l = LoginLimiter::new(2, 3, 900);
        l.record_failure("a", "ip", 0);
        l.record_failure("a", "ip", 1);
        assert!(l.check("a", "ip", 2).is_some());
        l.record_success("a");
        assert_eq!(l.check("a", "ip", 2), None);
        l.record_failure("b", "ip", 3);
        assert!(
            l.check("c", "ip", 4).is_some(),
            "three failures from one address"
        );
    }
}
