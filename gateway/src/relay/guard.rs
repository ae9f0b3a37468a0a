//! What the relay remembers of devices' requests, apart from any I/O: which device has one
//! under way, how fast each asks, and which signed requests the chain already refused.

use crate::limits::TokenBucket;
use iotrust_primitives::device::DeviceId;
use std::{
	collections::{HashMap, HashSet},
	time::{Duration, Instant},
};

/// Requests a device may make a second, on average.
pub const REQUEST_RATE: f64 = 1.0;
/// Requests a device may make at once after a quiet spell.
pub const REQUEST_BURST: f64 = 5.0;
/// How long a refused request is remembered: longer than the chain lets any request stay valid
/// (`Obligations.MaxRequestLifetime`, ten minutes), after which the chain refuses it anyway.
pub const REFUSED_FOR: Duration = Duration::from_secs(15 * 60);
/// The most refused requests remembered; past it the oldest are forgotten first.
pub const MAX_REFUSED: usize = 10_000;
/// The most devices whose request rate is tracked; idle ones are forgotten first.
pub const MAX_TRACKED: usize = 100_000;

/// Why a request is not looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Turned {
	/// The device's previous request is under way.
	Busy,
	/// The device asks faster than [`REQUEST_RATE`].
	RateLimited,
}

impl Turned {
	/// The reason as the reply names it.
	pub fn reason(self) -> &'static str {
		match self {
			Self::Busy => "busy",
			Self::RateLimited => "rate_limited",
		}
	}

	/// What the device should do.
	pub fn detail(self) -> &'static str {
		match self {
			Self::Busy => "the device's previous request is under way; wait for its reply",
			Self::RateLimited => "the device asks too often; wait a few seconds",
		}
	}
}

/// The relay's memory of requests.
#[derive(Default)]
pub struct Guard {
	busy: HashSet<DeviceId>,
	rates: HashMap<DeviceId, TokenBucket>,
	refused: HashMap<[u8; 32], Instant>,
}

impl Guard {
	/// Let `device`'s request in at `now`, or say why not. A request let in holds the device
	/// busy until [`Guard::done`].
	pub fn admit(&mut self, device: DeviceId, now: Instant) -> Result<(), Turned> {
		if self.busy.contains(&device) {
			return Err(Turned::Busy);
		}
		if self.rates.len() >= MAX_TRACKED && !self.rates.contains_key(&device) {
			self.rates.retain(|_, b| !b.full_at(now, REQUEST_RATE, REQUEST_BURST));
		}
		let bucket =
			self.rates.entry(device).or_insert_with(|| TokenBucket::full(REQUEST_BURST, now));
		if !bucket.try_take(now, REQUEST_RATE, REQUEST_BURST) {
			return Err(Turned::RateLimited);
		}
		self.busy.insert(device);
		Ok(())
	}

	/// `device`'s request is answered.
	pub fn done(&mut self, device: &DeviceId) {
		self.busy.remove(device);
	}

	/// The chain refused the signed request `key` (a hash of its payload and signature) at
	/// `now`: the same bytes sent again are not looked at until they could no longer be valid.
	pub fn refused(&mut self, key: [u8; 32], now: Instant) {
		self.refused.retain(|_, at| now.duration_since(*at) < REFUSED_FOR);
		if self.refused.len() >= MAX_REFUSED {
			if let Some(oldest) = self.refused.iter().min_by_key(|(_, at)| **at).map(|(k, _)| *k) {
				self.refused.remove(&oldest);
			}
		}
		self.refused.insert(key, now);
	}

	/// Whether the signed request `key` was refused within [`REFUSED_FOR`] of `now`.
	pub fn was_refused(&self, key: &[u8; 32], now: Instant) -> bool {
		self.refused.get(key).is_some_and(|at| now.duration_since(*at) < REFUSED_FOR)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn one_request_at_a_time_and_at_a_bounded_rate_per_device() {
		let mut g = Guard::default();
		let (a, b) = (DeviceId::repeat_byte(1), DeviceId::repeat_byte(2));
		let t = Instant::now();
		assert_eq!(g.admit(a, t), Ok(()));
		assert_eq!(g.admit(a, t), Err(Turned::Busy));
		// Another device is not held up by the first.
		assert_eq!(g.admit(b, t), Ok(()));
		g.done(&a);
		for _ in 1..REQUEST_BURST as usize {
			assert_eq!(g.admit(a, t), Ok(()));
			g.done(&a);
		}
		// The burst is spent: the next waits for the rate.
		assert_eq!(g.admit(a, t), Err(Turned::RateLimited));
		assert_eq!(g.admit(a, t + Duration::from_secs(1)), Ok(()));
	}

	#[test]
	fn a_refused_request_is_remembered_until_it_could_no_longer_be_valid() {
		let mut g = Guard::default();
		let t = Instant::now();
		g.refused([7; 32], t);
		assert!(g.was_refused(&[7; 32], t + Duration::from_secs(60)));
		assert!(!g.was_refused(&[8; 32], t));
		assert!(!g.was_refused(&[7; 32], t + REFUSED_FOR));
		// Bounded: the oldest goes first.
		for i in 0..MAX_REFUSED as u32 {
			let mut key = [0; 32];
			key[..4].copy_from_slice(&i.to_le_bytes());
			g.refused(key, t + Duration::from_millis(u64::from(i) + 1));
		}
		assert!(!g.was_refused(&[7; 32], t + Duration::from_secs(1)));
		assert_eq!(g.refused.len(), MAX_REFUSED);
	}
}
