//! A fixed-window counter per key, in memory. Enough for one node; a multi-node deployment
//! will move these counters to PostgreSQL or NATS, never to a home-made cluster.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    limit: u32,
    window: Duration,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

/// Keys kept before expired windows are swept, so memory stays bounded under a spray of keys.
const SWEEP_AT: usize = 10_000;

impl RateLimiter {
    pub fn new(limit: u32, window: Duration) -> Self {
        RateLimiter {
            limit,
            window,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds until the window resets)` once `limit` hits were counted in the window.
    pub fn check(&self, key: &str, now: Instant) -> Result<(), u64> {
        let windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match windows.get(key) {
            Some((start, count))
                if now.duration_since(*start) < self.window && *count >= self.limit =>
            {
                Err((self.window - now.duration_since(*start)).as_secs() + 1)
            }
            _ => Ok(()),
        }
    }

    /// Counts one hit.
    pub fn hit(&self, key: &str, now: Instant) {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= SWEEP_AT {
            let window = self.window;
            windows.retain(|_, (start, _)| now.duration_since(*start) < window);
        }
        let entry = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(entry.0) >= self.window {
            *entry = (now, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    pub fn reset(&self, key: &str) {
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_limit_until_window_passes() {
        let limiter = RateLimiter::new(2, Duration::from_secs(60));
        let t0 = Instant::now();
        limiter.hit("a", t0);
        assert!(limiter.check("a", t0).is_ok());
        limiter.hit("a", t0);
        assert_eq!(limiter.check("a", t0 + Duration::from_secs(10)), Err(51));
        assert!(limiter.check("b", t0).is_ok());
        assert!(limiter.check("a", t0 + Duration::from_secs(60)).is_ok());
        limiter.reset("a");
        assert!(limiter.check("a", t0).is_ok());
    }
}
