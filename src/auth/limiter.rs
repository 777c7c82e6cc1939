//! Failed-login counting per login and per client address, in sliding windows.
//!
//! Kept in process memory: cheap on every login, and good for a single instance. Behind a load
//! balancer each instance counts on its own, so the effective limit is multiplied by the number
//! of instances (see README).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

pub struct LoginLimiter {
    per_login: u32,
    per_address: u32,
    window_secs: i64,
    failures: Mutex<Failures>,
}

#[derive(Default)]
struct Failures {
    by_login: HashMap<String, VecDeque<i64>>,
    by_address: HashMap<String, VecDeque<i64>>,
    last_sweep: i64,
}

impl LoginLimiter {
    pub fn new(per_login: u32, per_address: u32, window_secs: i64) -> LoginLimiter {
        LoginLimiter {
            per_login,
            per_address,
            window_secs,
            failures: Mutex::new(Failures::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Failures> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Some(seconds)` to wait when either count is at its limit.
    pub fn check(&self, login: &str, address: &str, now: i64) -> Option<u64> {
        let mut f = self.lock();
        let window = self.window_secs;
        let login_wait = blocked_for(
            f.by_login.get_mut(&normalize(login)),
            self.per_login,
            window,
            now,
        );
        let address_wait =
            blocked_for(f.by_address.get_mut(address), self.per_address, window, now);
        login_wait.max(address_wait)
    }

    pub fn record_failure(&self, login: &str, address: &str, now: i64) {
        let mut f = self.lock();
        if now - f.last_sweep > self.window_secs {
            // Forget keys whose newest failure left the window, so memory stays bounded.
            let cutoff = now - self.window_secs;
            f.by_login
                .retain(|_, q| q.back().is_some_and(|t| *t > cutoff));
            f.by_address
                .retain(|_, q| q.back().is_some_and(|t| *t > cutoff));
            f.last_sweep = now;
        }
        push(
            f.by_login.entry(normalize(login)).or_default(),
            now,
            self.per_login,
        );
        push(
            f.by_address.entry(address.to_owned()).or_default(),
            now,
            self.per_address,
        );
    }

    /// A successful login clears its login's count (not the address's).
    pub fn record_success(&self, login: &str) {
        self.lock().by_login.remove(&normalize(login));
    }
}

fn normalize(login: &str) -> String {
    login.trim().to_lowercase()
}

fn push(q: &mut VecDeque<i64>, now: i64, limit: u32) {
    q.push_back(now);
    while q.len() > limit as usize {
        q.pop_front();
    }
}

fn blocked_for(q: Option<&mut VecDeque<i64>>, limit: u32, window: i64, now: i64) -> Option<u64> {
    let q = q?;
    while q.front().is_some_and(|t| *t <= now - window) {
        q.pop_front();
    }
    if q.len() >= limit as usize {
        let oldest = *q.front()?;
        Some((oldest + window - now).max(1) as u64)
    } else {
        None
    }
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
