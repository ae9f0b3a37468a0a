//! MQTT in: telemetry messages checked ([`validate`]) and stored, up to 1,000 in one database
//! transaction, each such lot acknowledged to the broker only once its readings are committed; obligation requests handed
//! to a [`RequestSink`] (the relay, as the daemon wires it).
//!
//! - [`telemetry`]: the messages' wire format and topics;
//! - [`validate`]: one message judged (form, device record, signature);
//! - [`sealed`]: readings a device sealed under its channel's key, opened;
//! - [`cache`]: the device records the validator reads, kept true to finalized blocks.

pub mod cache;
pub mod sealed;
pub mod telemetry;
pub mod validate;

use crate::{
	chain::Chain,
	lifecycle::Accepted,
	limits::TokenBucket,
	mqtt::Broker,
	stats::{Reject, Stats},
	store::{Store, StoreError},
};
use iotrust_primitives::device::DeviceId;
use rumqttc::{AsyncClient, Publish};
use std::{
	collections::HashMap,
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::{Duration, Instant},
};
use subxt::ext::futures::stream::{self, StreamExt};
use telemetry::{device_of_request_topic, REQUEST_FILTER, TOPIC_FILTER};
use tokio::sync::mpsc;
use tracing::warn;
use validate::Validator;

/// Messages checked and stored in one database transaction at most.
const GROUP: usize = 1_000;
/// Messages checked at once: as many chain lookups may be under way.
const CHECKS_AT_ONCE: usize = 32;

/// Why ingest stopped.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
	#[error("the database: {0}")]
	Store(#[from] StoreError),
	#[error("acknowledging to the broker: {0}")]
	Broker(#[from] rumqttc::ClientError),
	#[error("a database task: {0}")]
	Task(#[from] tokio::task::JoinError),
}

/// Where devices' obligation requests go (the relay, as the daemon wires it). `take` starts
/// handling one and returns at once; `client` is the broker connection to reply on.
pub trait RequestSink: Send + Sync {
	fn take(&self, device: DeviceId, payload: Vec<u8>, client: AsyncClient);
}

/// Subscribe to telemetry (and to obligation requests when there is a `requests` sink); store
/// every reading that passes the validator, hand every request to the sink. A device sending
/// more than `device_rate` readings a second (bursts of ten times that) has the rest dropped,
/// before any lookup or signature check. Returns only if the broker connection's task ends or
/// the database fails.
pub async fn ingest(
	validator: Arc<Validator<Chain>>,
	requests: Option<Arc<dyn RequestSink>>,
	store: Arc<Store>,
	stats: Arc<Stats>,
	broker: &Broker,
	client_id: &str,
	device_rate: u32,
) -> Result<(), IngestError> {
	let mut opts = broker.options(client_id);
	opts.set_clean_session(false);
	opts.set_manual_acks(true);
	opts.set_max_packet_size(64 * 1024, 64 * 1024);
	let (client, eventloop) = AsyncClient::new(opts, 10_000);
	// What it holds is what the broker sent and the gateway has not acknowledged yet.
	let (tx, mut rx) = mpsc::channel::<Publish>(crate::mqtt::INBOX);
	let dropped = Arc::new(AtomicU64::new(0));
	let mut filters = vec![TOPIC_FILTER.to_string()];
	if requests.is_some() {
		filters.push(REQUEST_FILTER.to_string());
	}
	let broker = broker.clone();
	crate::mqtt::forward(
		eventloop,
		client.clone(),
		filters,
		tx,
		true,
		dropped.clone(),
		"ingest",
		broker,
	);
	let mut rates = DeviceRates::new(device_rate);
	let mut told = LogBudget::default();

	let mut group = Vec::new();
	while let Some(first) = rx.recv().await {
		group.push(first);
		while group.len() < GROUP {
			match rx.try_recv() {
				Ok(p) => group.push(p),
				Err(_) => break,
			}
		}
		stats.rejected_n(Reject::Overloaded, dropped.swap(0, Ordering::Relaxed));
		let mut telemetry = Vec::with_capacity(group.len());
		let now = Instant::now();
		for p in &group {
			match (device_of_request_topic(&p.topic), &requests) {
				// Relayed at most once: the device asks again if no reply comes.
				(Some(device), Some(sink)) => sink.take(device, p.payload.to_vec(), client.clone()),
				(Some(_), None) => {},
				(None, _) => telemetry.push(p),
			}
		}
		// Checked several at a time (a device the cache does not hold is looked up on chain),
		// the results kept in the order the messages came.
		let checked: Vec<_> = stream::iter(&telemetry)
			.map(|p| validator.check(&p.topic, &p.payload))
			.buffered(CHECKS_AT_ONCE)
			.collect()
			.await;
		let mut fresh = Vec::with_capacity(checked.len());
		for (p, result) in telemetry.iter().zip(checked) {
			match result {
				// Charged only for what its device signed, so no one else can spend its rate.
				Ok(reading) if !rates.take(reading.device, reading.seq, now) => {
					stats.rejected(Reject::RateLimited);
					told.warn(|| format!("dropped a message on {}: rate_limited", p.topic));
				},
				Ok(reading) => fresh.push(reading),
				Err(r) => {
					stats.rejected(r.reason);
					told.warn(|| {
						format!(
							"rejected a message on {}: {} ({})",
							p.topic,
							r.reason.name(),
							r.detail
						)
					});
				},
			}
		}
		let db = store.clone();
		let (fresh, outcomes) =
			tokio::task::spawn_blocking(move || db.accept(&fresh).map(|o| (fresh, o))).await??;
		let mut new = 0;
		for (reading, outcome) in fresh.iter().zip(outcomes) {
			match outcome {
				Accepted::New => new += 1,
				Accepted::SetAside(reason) => {
					new += 1;
					stats.set_aside(reason, 1);
				},
				Accepted::Duplicate => stats.duplicate(),
				Accepted::Full => {
					stats.rejected(Reject::DeviceFull);
					told.warn(|| {
						format!(
							"refused reading {} of device {:?}: device_full (held, with {} readings set aside)",
							reading.seq,
							reading.device,
							crate::lifecycle::MAX_ASIDE_PER_DEVICE,
						)
					});
				},
				Accepted::Replayed { last } => {
					stats.rejected(Reject::ReplayedSequence);
					told.warn(|| {
						format!(
							"rejected reading {} of device {:?}: replayed_sequence (already accepted up to {last})",
							reading.seq, reading.device,
						)
					});
				},
			}
		}
		stats.accepted(new);
		for p in group.drain(..) {
			client.ack(&p).await?;
		}
	}
	Ok(())
}

/// Devices' token buckets: `rate` new readings a second each, in bursts of ten times as many.
/// Only readings their devices signed are charged, and a sequence number at or below the last
/// one charged is not (a redelivery or a replay, which the store tells apart): no one but the
/// device spends its rate. State alone: [`DeviceRates::take`] is told the time.
struct DeviceRates {
	rate: f64,
	burst: f64,
	/// Per device: its bucket, and the last sequence number charged.
	buckets: HashMap<DeviceId, (TokenBucket, Option<u64>)>,
}

/// Devices' buckets kept at most; past this, the full ones are forgotten (a full bucket is what
/// a forgotten device starts with).
const RATES_AT_MOST: usize = 100_000;

impl DeviceRates {
	fn new(rate: u32) -> Self {
		let rate = f64::from(rate.max(1));
		Self { rate, burst: rate * 10.0, buckets: HashMap::new() }
	}

	/// Whether `device`'s signed reading `seq` may be taken at `now` (and it is counted).
	fn take(&mut self, device: DeviceId, seq: u64, now: Instant) -> bool {
		if self.buckets.len() >= RATES_AT_MOST && !self.buckets.contains_key(&device) {
			// Devices that signed readings, so this gateway's own fleet: forget the full ones.
			let (rate, burst) = (self.rate, self.burst);
			self.buckets.retain(|_, (bucket, _)| !bucket.full_at(now, rate, burst));
		}
		let (rate, burst) = (self.rate, self.burst);
		let (bucket, last) =
			self.buckets.entry(device).or_insert((TokenBucket::full(burst, now), None));
		if last.is_some_and(|last| seq <= last) {
			return true;
		}
		if !bucket.try_take(now, rate, burst) {
			return false;
		}
		*last = Some(seq);
		true
	}
}

/// Warnings about messages written at most [`LogBudget::PER_MINUTE`] a minute; the rest are
/// counted and told as one line when the minute is over (a flood of bad messages, with topics
/// of the sender's choosing, does not fill the operator's log).
#[derive(Default)]
struct LogBudget {
	since: Option<Instant>,
	told: u32,
	untold: u64,
}

impl LogBudget {
	const PER_MINUTE: u32 = 60;

	/// Write `line()` if the minute's budget allows.
	fn warn(&mut self, line: impl FnOnce() -> String) {
		if self.allow(Instant::now()) {
			warn!("{}", line());
		}
	}

	fn allow(&mut self, now: Instant) -> bool {
		if self.since.is_none_or(|at| now.saturating_duration_since(at) >= Duration::from_secs(60))
		{
			if self.untold > 0 {
				warn!("{} more rejected messages in the last minute were not logged", self.untold);
			}
			(self.since, self.told, self.untold) = (Some(now), 0, 0);
		}
		if self.told < Self::PER_MINUTE {
			self.told += 1;
			true
		} else {
			self.untold += 1;
			false
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The attack of one device flooding the gateway: past its burst it gets its rate, and
	/// another device is not touched.
	#[test]
	fn attack_a_flooding_device_gets_its_rate_and_no_more() {
		let mut rates = DeviceRates::new(10);
		let (flood, quiet) = (DeviceId::repeat_byte(1), DeviceId::repeat_byte(2));
		let t0 = Instant::now();
		let taken = (1..=1_000).filter(|&seq| rates.take(flood, seq, t0)).count();
		assert_eq!(taken, 100, "a burst of ten seconds' worth");
		assert!(rates.take(quiet, 1, t0));
		let later = t0 + Duration::from_millis(500);
		let taken = (1_001..=2_000).filter(|&seq| rates.take(flood, seq, later)).count();
		assert_eq!(taken, 5, "then 10 a second");
	}

	/// The attack of an outsider replaying a device's signed readings (or its redeliveries) to
	/// spend its rate: numbers at or below the last one charged cost nothing.
	#[test]
	fn attack_replays_of_a_devices_readings_do_not_spend_its_rate() {
		let mut rates = DeviceRates::new(1);
		let device = DeviceId::repeat_byte(3);
		let t0 = Instant::now();
		assert!(rates.take(device, 5, t0));
		for _ in 0..1_000 {
			assert!(rates.take(device, 5, t0), "a replay is the store's to refuse");
			assert!(rates.take(device, 3, t0));
		}
		let taken = (6..=100).filter(|&seq| rates.take(device, seq, t0)).count();
		assert_eq!(taken, 9, "the device's own burst is whole");
	}

	#[test]
	fn a_flood_of_rejections_is_told_in_a_few_lines() {
		let mut budget = LogBudget::default();
		let t0 = Instant::now();
		let told = (0..1_000).filter(|_| budget.allow(t0)).count();
		assert_eq!(told, LogBudget::PER_MINUTE as usize);
		assert_eq!(budget.untold, 1_000 - 60);
		assert!(budget.allow(t0 + Duration::from_secs(61)));
		assert_eq!(budget.untold, 0);
	}
}
