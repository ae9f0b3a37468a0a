//! What one party may take of the gateway: a rate with bursts ([`TokenBucket`]) and a share per
//! period ([`PeriodBudget`]). Plain state, told the time: the HTTP interface's clients, ingest's
//! devices and a group's members are each held to one.

use std::time::{Duration, Instant};

/// A token bucket: `rate` tokens a second, at most `burst` held; a request spends one.
#[derive(Clone, Copy, Debug)]
pub struct TokenBucket {
	tokens: f64,
	at: Instant,
}

impl TokenBucket {
	/// A full bucket of `burst` at `now`.
	pub fn full(burst: f64, now: Instant) -> Self {
		Self { tokens: burst, at: now }
	}

	/// Add what `rate` a second brought since it was last counted, up to `burst`; the tokens
	/// held then (below 1 when spent, below 0 in debt).
	pub fn refill(&mut self, now: Instant, rate: f64, burst: f64) -> f64 {
		let added = now.saturating_duration_since(self.at).as_secs_f64() * rate;
		self.tokens = (self.tokens + added).min(burst);
		self.at = now;
		self.tokens
	}

	/// Spend one token (the bucket may go into debt).
	pub fn spend(&mut self) {
		self.tokens -= 1.0;
	}

	/// Spend one token at `now` if one is held.
	pub fn try_take(&mut self, now: Instant, rate: f64, burst: f64) -> bool {
		if self.refill(now, rate, burst) < 1.0 {
			return false;
		}
		self.spend();
		true
	}

	/// Whether it would be full at `now` (so forgetting it changes nothing).
	pub fn full_at(&self, now: Instant, rate: f64, burst: f64) -> bool {
		self.tokens + now.saturating_duration_since(self.at).as_secs_f64() * rate >= burst
	}
}

/// A share of something (readings sent, readings taken) per period.
#[derive(Clone, Copy, Debug)]
pub struct PeriodBudget {
	since: Instant,
	used: usize,
}

impl PeriodBudget {
	/// A budget whose first period starts at `now`.
	pub fn new(now: Instant) -> Self {
		Self { since: now, used: 0 }
	}

	/// What is left of `most` in the `period` running at `now` (a new one starts once the last
	/// is over).
	pub fn room(&mut self, now: Instant, period: Duration, most: usize) -> usize {
		if now.saturating_duration_since(self.since) >= period {
			(self.since, self.used) = (now, 0);
		}
		most.saturating_sub(self.used)
	}

	/// Count `n` as used.
	pub fn spend(&mut self, n: usize) {
		self.used = self.used.saturating_add(n);
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_bucket_refills_at_its_rate_up_to_its_burst_and_may_go_into_debt() {
		let t0 = Instant::now();
		let mut b = TokenBucket::full(3.0, t0);
		assert!((0..3).all(|_| b.try_take(t0, 10.0, 3.0)));
		assert!(!b.try_take(t0, 10.0, 3.0));
		assert!(!b.full_at(t0, 10.0, 3.0));
		let later = t0 + Duration::from_millis(100);
		assert!(b.try_take(later, 10.0, 3.0), "one token a tenth of a second");
		b.spend();
		assert!(b.refill(later, 10.0, 3.0) < 0.0, "in debt");
		assert!(b.full_at(later + Duration::from_secs(10), 10.0, 3.0));
		assert_eq!(b.refill(later + Duration::from_secs(10), 10.0, 3.0), 3.0);
	}

	#[test]
	fn a_budget_is_whole_again_each_period() {
		let t0 = Instant::now();
		let mut b = PeriodBudget::new(t0);
		let period = Duration::from_secs(10);
		assert_eq!(b.room(t0, period, 5), 5);
		b.spend(4);
		assert_eq!(b.room(t0 + Duration::from_secs(9), period, 5), 1);
		b.spend(9);
		assert_eq!(b.room(t0 + Duration::from_secs(9), period, 5), 0);
		assert_eq!(b.room(t0 + period, period, 5), 5);
	}
}
