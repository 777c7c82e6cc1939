//! Counting events per key (a login, a client address) in sliding windows, in process memory:
//! cheap on every request and right for one instance. Behind a load balancer each instance
//! counts on its own, so an effective limit is multiplied by the number of instances (README).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// At most `limit` events per key in any `window_secs` seconds.
pub struct SlidingWindows {
    limit: u32,
    window_secs: i64,
    events: Mutex<Events>,
}

#[derive(Default)]
struct Events {
    by_key: HashMap<String, VecDeque<i64>>,
    last_sweep: i64,
}

impl SlidingWindows {
    pub fn new(limit: u32, window_secs: i64) -> SlidingWindows {
        SlidingWindows {
            limit,
            window_secs,
            events: Mutex::new(Events::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Events> {
        self.events.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// `Some(seconds)` to wait when the key is at its limit.
    pub fn blocked_for(&self, key: &str, now: i64) -> Option<u64> {
        let mut events = self.lock();
        let queue = events.by_key.get_mut(key)?;
        self.wait(queue, now)
    }

    /// Counts one event of the key.
    pub fn record(&self, key: &str, now: i64) {
        let mut events = self.lock();
        self.sweep(&mut events, now);
        self.push(events.by_key.entry(key.to_owned()).or_default(), now);
    }

    /// Counts one event unless the key is at its limit: `Err(seconds to wait)` then (for
    /// limits on every request, where checking and counting must be one step).
    pub fn admit(&self, key: &str, now: i64) -> Result<(), u64> {
        let mut events = self.lock();
        self.sweep(&mut events, now);
        let queue = events.by_key.entry(key.to_owned()).or_default();
        if let Some(wait) = self.wait(queue, now) {
            return Err(wait);
        }
        self.push(queue, now);
        Ok(())
    }

    /// Forgets the key's events.
    pub fn forget(&self, key: &str) {
        self.lock().by_key.remove(key);
    }

    fn wait(&self, queue: &mut VecDeque<i64>, now: i64) -> Option<u64> {
        while queue.front().is_some_and(|t| *t <= now - self.window_secs) {
            queue.pop_front();
        }
        if queue.len() >= self.limit as usize {
            let oldest = *queue.front()?;
            Some((oldest + self.window_secs - now).max(1) as u64)
        } else {
            None
        }
    }

    fn push(&self, queue: &mut VecDeque<i64>, now: i64) {
        queue.push_back(now);
        while queue.len() > self.limit as usize {
            queue.pop_front();
        }
    }

    /// Forgets keys whose newest event left the window, so memory stays bounded.
    fn sweep(&self, events: &mut Events, now: i64) {
        if now - events.last_sweep > self.window_secs {
            let cutoff = now - self.window_secs;
            events
                .by_key
                .retain(|_, q| q.back().is_some_and(|t| *t > cutoff));
            events.last_sweep = now;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admits_up_to_the_limit_then_says_how_long_to_wait() {
        let w = SlidingWindows::new(3, 60);
        for t in 0..3 {
            assert_eq!(w.admit("1.2.3.4", t), Ok(()));
        }
        assert_eq!(w.admit("1.2.3.4", 10), Err(50));
        assert_eq!(w.admit("5.6.7.8", 10), Ok(()), "another key");
        assert_eq!(
            w.admit("1.2.3.4", 60),
            Ok(()),
            "the first event left the window"
        );
    }
}
