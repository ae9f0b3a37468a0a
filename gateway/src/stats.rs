//! What the gateway counts: readings accepted and why others were rejected, batches and readings
//! anchored, and publish → finalized latency (from each reading's timestamp). Served at
//! `GET /stats` and summarised in the progress log.

use serde_json::{json, Value};
use std::{
	collections::BTreeMap,
	sync::Mutex,
	time::{Instant, SystemTime, UNIX_EPOCH},
};

/// Why a message was rejected.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Reject {
	/// Not a reading in the documented JSON form.
	BadJson,
	/// The topic names another device than the payload, or is not a telemetry topic.
	TopicMismatch,
	/// No such device on chain.
	UnknownDevice,
	/// The device is suspended or revoked.
	InactiveDevice,
	/// The device is bound to another gateway, or to none.
	NotOurDevice,
	/// The signature is not the device's current key's over the reading.
	BadSignature,
	/// A different reading with a sequence number already used.
	ReplayedSequence,
	/// More metrics than a batch summary holds, or a metric twice.
	TooManyMetrics,
}

impl Reject {
	/// Its name in `/stats` and the log.
	pub fn name(self) -> &'static str {
		match self {
			Self::BadJson => "bad_json",
			Self::TopicMismatch => "topic_mismatch",
			Self::UnknownDevice => "unknown_device",
			Self::InactiveDevice => "inactive_device",
			Self::NotOurDevice => "not_our_device",
			Self::BadSignature => "bad_signature",
			Self::ReplayedSequence => "replayed_sequence",
			Self::TooManyMetrics => "too_many_metrics",
		}
	}
}

#[derive(Default)]
struct Inner {
	accepted: u64,
	duplicates: u64,
	rejected: BTreeMap<Reject, u64>,
	batches_anchored: u64,
	readings_anchored: u64,
	batches_failed: u64,
	latencies_ms: Vec<u64>,
}

/// The counters, shared by the gateway's tasks.
pub struct Stats {
	started: Instant,
	inner: Mutex<Inner>,
}

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
	SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or_default()
}

fn percentile(sorted: &[u64], p: usize) -> Option<u64> {
	if sorted.is_empty() {
		return None;
	}
	let i = (sorted.len() * p).div_ceil(100).saturating_sub(1).min(sorted.len() - 1);
	sorted.get(i).copied()
}

impl Default for Stats {
	fn default() -> Self {
		Self { started: Instant::now(), inner: Mutex::new(Inner::default()) }
	}
}

impl Stats {
	fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
		let mut guard = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
		f(&mut guard)
	}

	/// `n` readings were accepted.
	pub fn accepted(&self, n: u64) {
		self.with(|s| s.accepted += n);
	}

	/// A reading was delivered again (and ignored).
	pub fn duplicate(&self) {
		self.with(|s| s.duplicates += 1);
	}

	/// A message was rejected.
	pub fn rejected(&self, why: Reject) {
		self.with(|s| *s.rejected.entry(why).or_default() += 1);
	}

	/// A batch was anchored in a finalized block at `finalized_ms`, holding readings with these
	/// timestamps.
	pub fn anchored(&self, timestamps: impl Iterator<Item = u64>, finalized_ms: u64) {
		self.with(|s| {
			s.batches_anchored += 1;
			for t in timestamps {
				s.readings_anchored += 1;
				s.latencies_ms.push(finalized_ms.saturating_sub(t));
			}
		});
	}

	/// A batch was refused by the chain for good.
	pub fn failed(&self) {
		self.with(|s| s.batches_failed += 1);
	}

	/// Everything, as `GET /stats` serves it; `backlog` is the readings waiting for a batch.
	pub fn json(&self, backlog: u64) -> Value {
		let elapsed = self.started.elapsed().as_secs_f64().max(0.001);
		self.with(|s| {
			let mut sorted = s.latencies_ms.clone();
			sorted.sort_unstable();
			let rejected: serde_json::Map<String, Value> =
				s.rejected.iter().map(|(k, v)| (k.name().to_string(), json!(v))).collect();
			json!({
				"uptimeSeconds": elapsed,
				"accepted": s.accepted,
				"duplicates": s.duplicates,
				"rejected": rejected,
				"rejectedTotal": s.rejected.values().sum::<u64>(),
				"backlog": backlog,
				"batchesAnchored": s.batches_anchored,
				"batchesFailed": s.batches_failed,
				"readingsAnchored": s.readings_anchored,
				"ingestedPerSecond": s.accepted as f64 / elapsed,
				"anchoredPerSecond": s.readings_anchored as f64 / elapsed,
				"latencyMs": { "p50": percentile(&sorted, 50), "p95": percentile(&sorted, 95) },
			})
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn percentiles_pick_the_nearest_rank() {
		let v: Vec<u64> = (1..=100).collect();
		assert_eq!(percentile(&v, 50), Some(50));
		assert_eq!(percentile(&v, 95), Some(95));
		assert_eq!(percentile(&[7], 95), Some(7));
		assert_eq!(percentile(&[], 50), None);
	}
}
