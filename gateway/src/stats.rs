//! What the gateway counts: readings accepted, rejected by reason and set aside by reason,
//! batches anchored, refused and in flight, and reading → finalized latency (from each
//! reading's timestamp) in a fixed-size histogram. Served at `GET /stats` (JSON) and
//! `GET /metrics` (Prometheus), and summarised in the progress log. Memory does not grow with
//! the number of readings.

use crate::{lifecycle::AsideReason, store::Store};
use iotrust_primitives::device::DeviceRefusal;
use serde_json::{json, Value};
use std::{
	collections::BTreeMap,
	fmt::Write as _,
	sync::Mutex,
	time::{Duration, Instant},
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
	/// The device is suspended or revoked, or bound to another gateway or to none: the chain
	/// would refuse its readings from this gateway.
	Refused(DeviceRefusal),
	/// The signature is not the device's current key's over the reading.
	BadSignature,
	/// A different reading with a sequence number already used.
	ReplayedSequence,
	/// More metrics than a batch summary holds, or a metric twice.
	TooManyMetrics,
	/// The device sent faster than its rate (`device_rate`); the message was dropped.
	RateLimited,
	/// A QoS 0 message came while the gateway's inbox was full; it was dropped (QoS 1 messages
	/// wait in the broker instead).
	Overloaded,
	/// The device is held out of batches and has as many readings set aside as it may (its
	/// share of the disk); the reading was not stored.
	DeviceFull,
	/// A device the gateway did not know, while the chain lookups such devices may cost were
	/// spent (a flood of made-up device ids); the message was dropped unchecked.
	LookupLimited,
	/// A reading the device sealed that the gateway could not or would not open: sealed for a
	/// channel the device is not in, under an epoch that is not its channel's current one, or
	/// under a key this gateway does not hold.
	Unsealable,
}

impl Reject {
	/// Every reason, for listings that show zeros too.
	pub const ALL: [Reject; 13] = [
		Self::BadJson,
		Self::TopicMismatch,
		Self::UnknownDevice,
		Self::Refused(DeviceRefusal::DeviceNotActive),
		Self::Refused(DeviceRefusal::NotDeviceGateway),
		Self::BadSignature,
		Self::ReplayedSequence,
		Self::TooManyMetrics,
		Self::RateLimited,
		Self::Overloaded,
		Self::DeviceFull,
		Self::LookupLimited,
		Self::Unsealable,
	];

	/// Its name in `/stats`, `/metrics` and the log.
	pub fn name(self) -> &'static str {
		match self {
			Self::BadJson => "bad_json",
			Self::TopicMismatch => "topic_mismatch",
			Self::UnknownDevice => "unknown_device",
			Self::Refused(refusal) => refusal.label(),
			Self::BadSignature => "bad_signature",
			Self::ReplayedSequence => "replayed_sequence",
			Self::TooManyMetrics => "too_many_metrics",
			Self::RateLimited => "rate_limited",
			Self::Overloaded => "overloaded",
			Self::DeviceFull => "device_full",
			Self::LookupLimited => "lookup_limited",
			Self::Unsealable => "unsealable",
		}
	}
}

/// Latency buckets are this wide, up to [`LATENCY_BUCKETS`] of them; slower readings count in
/// an overflow bucket.
const BUCKET_MS: u64 = 100;
const LATENCY_BUCKETS: usize = 600;
/// The histogram's bucket bounds as `/metrics` exposes them, in seconds.
const EXPOSED_BOUNDS_S: [f64; 15] =
	[0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0, 30.0, 45.0, 60.0, f64::INFINITY];

/// Reading → finalized latencies, counted in fixed buckets.
struct Histogram {
	buckets: [u64; LATENCY_BUCKETS],
	overflow: u64,
	count: u64,
	sum_ms: u64,
}

impl Default for Histogram {
	fn default() -> Self {
		Self { buckets: [0; LATENCY_BUCKETS], overflow: 0, count: 0, sum_ms: 0 }
	}
}

impl Histogram {
	fn record(&mut self, ms: u64) {
		match self.buckets.get_mut((ms / BUCKET_MS) as usize) {
			Some(b) => *b += 1,
			None => self.overflow += 1,
		}
		self.count += 1;
		self.sum_ms = self.sum_ms.saturating_add(ms);
	}

	/// The `p`th percentile, as the upper bound of its bucket (ms); `None` if empty or beyond
	/// the last bucket.
	fn percentile(&self, p: u64) -> Option<u64> {
		if self.count == 0 {
			return None;
		}
		let rank = (self.count * p).div_ceil(100).max(1);
		let mut seen = 0;
		for (i, n) in self.buckets.iter().enumerate() {
			seen += n;
			if seen >= rank {
				return Some((i as u64 + 1) * BUCKET_MS);
			}
		}
		None
	}

	/// Mean, p50 and p95 (ms), for `/stats`.
	fn summary(&self) -> Value {
		json!({
			"mean": self.sum_ms.checked_div(self.count),
			"p50": self.percentile(50),
			"p95": self.percentile(95),
		})
	}

	/// The bucket, sum and count samples of this histogram in Prometheus' text format, each
	/// with `labels` (`name="value",...`) besides `le`.
	fn exposed(&self, labels: &str) -> Vec<(String, String)> {
		let plain = if labels.is_empty() { String::new() } else { format!("{{{labels}}}") };
		let sep = if labels.is_empty() { "" } else { "," };
		let mut out: Vec<_> = EXPOSED_BOUNDS_S
			.iter()
			.map(|le| {
				let bound = if le.is_infinite() { "+Inf".to_string() } else { le.to_string() };
				(
					format!("_bucket{{{labels}{sep}le=\"{bound}\"}}"),
					self.at_most(le * 1000.0).to_string(),
				)
			})
			.collect();
		out.push((format!("_sum{plain}"), (self.sum_ms as f64 / 1000.0).to_string()));
		out.push((format!("_count{plain}"), self.count.to_string()));
		out
	}

	/// How many took at most `ms`.
	fn at_most(&self, ms: f64) -> u64 {
		if ms.is_infinite() {
			return self.count;
		}
		let whole = (ms as u64 / BUCKET_MS) as usize;
		self.buckets.iter().take(whole).sum()
	}
}

#[derive(Default)]
struct Inner {
	accepted: u64,
	duplicates: u64,
	rejected: BTreeMap<Reject, u64>,
	set_aside: BTreeMap<&'static str, u64>,
	relayed: BTreeMap<&'static str, u64>,
	released: u64,
	batches_anchored: u64,
	readings_anchored: u64,
	batches_refused: u64,
	collisions: u64,
	/// Group members' proposals this gateway would not sign, and those it signed.
	group_refused: u64,
	group_signed: u64,
	/// Signature shares members of this gateway's rounds withheld (each left out of a try).
	group_withheld: u64,
	/// Readings a device signed twice under one sequence number, as this gateway found them.
	conflicts: u64,
	/// Group messages that checked but were replays or sent too long ago, dropped.
	group_stale: u64,
	in_flight: usize,
	chain_connected: bool,
	latency: Histogram,
	/// A batch's time in each [`Stage`], indexed by it.
	stages: [Histogram; Stage::ALL.len()],
}

/// Where a batch spends its time: which side a slow anchor waits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
	/// From its oldest reading's timestamp to being cut.
	Queue,
	/// From being cut to the node's pool taking it.
	Submit,
	/// Within `Submit`: the chain's check of its devices.
	Judge,
	/// Within `Submit`: signing it and the pool's acceptance.
	Pool,
	/// From the pool taking it to the gateway seeing it in a finalized block.
	Finality,
	/// In a gateway group, at the batch's coordinator: from its proposal to the whole threshold
	/// signature (the members' checks and both signing rounds).
	Sign,
}

impl Stage {
	const ALL: [Stage; 6] =
		[Stage::Queue, Stage::Submit, Stage::Judge, Stage::Pool, Stage::Finality, Stage::Sign];

	fn name(self) -> &'static str {
		match self {
			Self::Queue => "queue",
			Self::Submit => "submit",
			Self::Judge => "judge",
			Self::Pool => "pool",
			Self::Finality => "finality",
			Self::Sign => "sign",
		}
	}
}

/// The counters, shared by the gateway's tasks.
pub struct Stats {
	started: Instant,
	inner: Mutex<Inner>,
}

impl Default for Stats {
	fn default() -> Self {
		Self { started: Instant::now(), inner: Mutex::new(Inner::default()) }
	}
}

/// What `store` holds now.
pub fn backlog(store: &Store) -> Backlog {
	Backlog {
		pending: store.pending_count().unwrap_or_default(),
		aside: store.aside_count().unwrap_or_default(),
		unsettled: store.unsettled_count().unwrap_or_default(),
	}
}

/// What the database holds now, for `/stats` and `/metrics`.
#[derive(Clone, Copy, Default, Debug)]
pub struct Backlog {
	/// Readings waiting for a batch.
	pub pending: u64,
	/// Readings set aside.
	pub aside: u64,
	/// Batches built and not yet settled.
	pub unsettled: u64,
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
		self.rejected_n(why, 1);
	}

	/// `n` messages were rejected for `why`.
	pub fn rejected_n(&self, why: Reject, n: u64) {
		if n > 0 {
			self.with(|s| *s.rejected.entry(why).or_default() += n);
		}
	}

	/// A device's obligation request ended with `outcome`.
	pub fn relayed(&self, outcome: &'static str) {
		self.with(|s| *s.relayed.entry(outcome).or_default() += 1);
	}

	/// `n` readings were set aside for `why`.
	pub fn set_aside(&self, why: AsideReason, n: u64) {
		self.with(|s| *s.set_aside.entry(why.name()).or_default() += n);
	}

	/// `n` set-aside readings were queued again.
	pub fn released(&self, n: u64) {
		self.with(|s| s.released += n);
	}

	/// A batch of `count` readings with these timestamps was anchored in a block finalized at
	/// `finalized_ms`.
	pub fn anchored(&self, count: u64, timestamps: &[u64], finalized_ms: u64) {
		self.with(|s| {
			s.batches_anchored += 1;
			s.readings_anchored += count;
			for t in timestamps {
				s.latency.record(finalized_ms.saturating_sub(*t));
			}
		});
	}

	/// A batch spent `took` in `stage`.
	pub fn timed(&self, stage: Stage, took: Duration) {
		self.with(|s| s.stages[stage as usize].record(took.as_millis() as u64));
	}

	/// The chain refused a batch.
	pub fn refused(&self) {
		self.with(|s| s.batches_refused += 1);
	}

	/// The chain holds one of this gateway's batch numbers with another root.
	pub fn collision(&self) {
		self.with(|s| s.collisions += 1);
	}

	/// In a gateway group: a member's proposal was checked and signed (`true`) or refused.
	pub fn group_checked(&self, signed: bool) {
		self.with(|s| if signed { s.group_signed += 1 } else { s.group_refused += 1 });
	}

	/// In a gateway group: `n` members of this gateway's round sent no signature share in time.
	pub fn group_withheld(&self, n: usize) {
		self.with(|s| s.group_withheld += n as u64);
	}

	/// In a gateway group: a member's message was a replay, or sent too long ago, and dropped.
	pub fn group_stale(&self) {
		self.with(|s| s.group_stale += 1);
	}

	/// A device signed two different readings under one sequence number (evidence kept).
	pub fn conflict(&self) {
		self.with(|s| s.conflicts += 1);
	}

	/// `n` batches are in flight.
	pub fn in_flight(&self, n: usize) {
		self.with(|s| s.in_flight = n);
	}

	/// Whether the gateway is connected to its node.
	pub fn connected(&self, yes: bool) {
		self.with(|s| s.chain_connected = yes);
	}

	/// Everything, as `GET /stats` serves it.
	pub fn json(&self, backlog: Backlog) -> Value {
		let elapsed = self.started.elapsed().as_secs_f64().max(0.001);
		self.with(|s| {
			let rejected: serde_json::Map<String, Value> =
				s.rejected.iter().map(|(k, v)| (k.name().to_string(), json!(v))).collect();
			let aside: serde_json::Map<String, Value> =
				s.set_aside.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
			json!({
				"uptimeSeconds": elapsed,
				"accepted": s.accepted,
				"duplicates": s.duplicates,
				"rejected": rejected,
				"rejectedTotal": s.rejected.values().sum::<u64>(),
				"backlog": backlog.pending,
				"setAside": backlog.aside,
				"setAsideByReason": aside,
				"released": s.released,
				"unsettledBatches": backlog.unsettled,
				"inFlight": s.in_flight,
				"batchesAnchored": s.batches_anchored,
				"batchesRefused": s.batches_refused,
				"collisions": s.collisions,
				"groupProposalsSigned": s.group_signed,
				"groupProposalsRefused": s.group_refused,
				"groupSharesWithheld": s.group_withheld,
				"conflictingReadings": s.conflicts,
				"groupMessagesStale": s.group_stale,
				"readingsAnchored": s.readings_anchored,
				"ingestedPerSecond": s.accepted as f64 / elapsed,
				"anchoredPerSecond": s.readings_anchored as f64 / elapsed,
				"chainConnected": s.chain_connected,
				"latencyMs": {
					"p50": s.latency.percentile(50),
					"p95": s.latency.percentile(95),
					"p99": s.latency.percentile(99),
				},
				"batchMs": Stage::ALL
					.iter()
					.map(|&stage| (stage.name().to_string(), s.stages[stage as usize].summary()))
					.collect::<serde_json::Map<String, Value>>(),
			})
		})
	}

	/// Everything, in Prometheus' text format, as `GET /metrics` serves it.
	pub fn prometheus(&self, backlog: Backlog) -> String {
		let mut out = String::new();
		let mut metric = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
			let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
			for (labels, value) in samples {
				let _ = writeln!(out, "{name}{labels} {value}");
			}
		};
		let plain = |v: String| vec![(String::new(), v)];
		self.with(|s| {
			metric(
				"iotrust_gateway_readings_accepted_total",
				"counter",
				"Readings accepted (checked and stored).",
				&plain(s.accepted.to_string()),
			);
			metric(
				"iotrust_gateway_readings_duplicate_total",
				"counter",
				"Readings delivered again and ignored.",
				&plain(s.duplicates.to_string()),
			);
			let rejected: Vec<_> = Reject::ALL
				.iter()
				.map(|r| {
					let n = s.rejected.get(r).copied().unwrap_or_default();
					(format!("{{reason=\"{}\"}}", r.name()), n.to_string())
				})
				.collect();
			metric(
				"iotrust_gateway_readings_rejected_total",
				"counter",
				"Messages rejected, by reason.",
				&rejected,
			);
			let aside: Vec<_> = s
				.set_aside
				.iter()
				.map(|(k, v)| (format!("{{reason=\"{k}\"}}"), v.to_string()))
				.collect();
			metric(
				"iotrust_gateway_readings_set_aside_total",
				"counter",
				"Readings set aside because the chain would not take them, by reason.",
				&aside,
			);
			metric(
				"iotrust_gateway_readings_pending",
				"gauge",
				"Readings waiting for a batch.",
				&plain(backlog.pending.to_string()),
			);
			metric(
				"iotrust_gateway_readings_aside",
				"gauge",
				"Readings set aside now (listed at /aside).",
				&plain(backlog.aside.to_string()),
			);
			metric(
				"iotrust_gateway_readings_anchored_total",
				"counter",
				"Readings anchored in finalized blocks.",
				&plain(s.readings_anchored.to_string()),
			);
			metric(
				"iotrust_gateway_batches_anchored_total",
				"counter",
				"Batches anchored in finalized blocks.",
				&plain(s.batches_anchored.to_string()),
			);
			metric(
				"iotrust_gateway_batches_refused_total",
				"counter",
				"Batches the chain refused (their readings queued again or set aside).",
				&plain(s.batches_refused.to_string()),
			);
			metric(
				"iotrust_gateway_batches_in_flight",
				"gauge",
				"Batches submitted and not yet finalized.",
				&plain(s.in_flight.to_string()),
			);
			metric(
				"iotrust_gateway_batch_collisions_total",
				"counter",
				"Batch numbers found on chain with another root (another gateway on this account).",
				&plain(s.collisions.to_string()),
			);
			metric(
				"iotrust_gateway_group_proposals_total",
				"counter",
				"Batches other members of this gateway's group proposed, by what this gateway's own check made of them.",
				&[
					("{verdict=\"signed\"}".to_string(), s.group_signed.to_string()),
					("{verdict=\"refused\"}".to_string(), s.group_refused.to_string()),
				],
			);
			metric(
				"iotrust_gateway_group_shares_withheld_total",
				"counter",
				"Signature shares members of this gateway's signing rounds did not send in time; each such member is left out of the next tries.",
				&plain(s.group_withheld.to_string()),
			);
			metric(
				"iotrust_gateway_group_messages_stale_total",
				"counter",
				"Group messages that were properly signed but replays of earlier ones, or sent too long ago: dropped.",
				&plain(s.group_stale.to_string()),
			);
			metric(
				"iotrust_gateway_conflicting_readings_total",
				"counter",
				"Readings a device signed twice under one sequence number with different contents, as this gateway found them (evidence kept, and reported on chain).",
				&plain(s.conflicts.to_string()),
			);
			let relayed: Vec<_> = s
				.relayed
				.iter()
				.map(|(k, v)| (format!("{{outcome=\"{k}\"}}"), v.to_string()))
				.collect();
			metric(
				"iotrust_gateway_obligation_requests_total",
				"counter",
				"Devices' obligation requests relayed to the chain, by outcome (created, rejected, failed, notSubmitted).",
				&relayed,
			);
			metric(
				"iotrust_gateway_chain_connected",
				"gauge",
				"1 while the gateway is connected to its node.",
				&plain(u8::from(s.chain_connected).to_string()),
			);
			metric(
				"iotrust_gateway_anchor_latency_seconds",
				"histogram",
				"From a reading's timestamp to the finalized block that anchors it.",
				&s.latency.exposed(""),
			);
			let stages: Vec<_> = Stage::ALL
				.iter()
				.flat_map(|&stage| {
					s.stages[stage as usize].exposed(&format!("stage=\"{}\"", stage.name()))
				})
				.collect();
			metric(
				"iotrust_gateway_batch_stage_seconds",
				"histogram",
				"A batch's time in each stage: queue (its oldest reading's wait before it is cut), submit (cut to taken by the node's pool; within it judge, the chain's check of its devices, and pool, signing and the pool's acceptance), finality (taken to seen in a finalized block).",
				&stages,
			);
		});
		out
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn percentiles_come_from_fixed_buckets() {
		let mut h = Histogram::default();
		assert_eq!(h.percentile(50), None);
		for ms in 1..=100u64 {
			h.record(ms * 100 - 1);
		}
		assert_eq!(h.percentile(50), Some(5_000));
		assert_eq!(h.percentile(95), Some(9_500));
		assert_eq!(h.at_most(1_000.0), 10);
		assert_eq!(h.at_most(f64::INFINITY), 100);
		// Beyond the last bucket: counted, not placed.
		h.record(10_000_000);
		assert_eq!((h.count, h.overflow), (101, 1));
		assert_eq!(h.percentile(100), None);
	}

	#[test]
	fn metrics_are_in_prometheus_text_format() {
		let stats = Stats::default();
		stats.accepted(3);
		stats.rejected(Reject::BadSignature);
		stats.set_aside(AsideReason::DeviceNotActive, 4);
		stats.anchored(2, &[2_500, 1_500], 4_000);
		stats.timed(Stage::Pool, Duration::from_millis(40));
		stats.timed(Stage::Finality, Duration::from_millis(3_700));
		let text = stats.prometheus(Backlog { pending: 1, aside: 4, unsettled: 0 });
		for line in [
			"iotrust_gateway_readings_accepted_total 3",
			"iotrust_gateway_readings_rejected_total{reason=\"bad_signature\"} 1",
			"iotrust_gateway_readings_rejected_total{reason=\"bad_json\"} 0",
			"iotrust_gateway_readings_set_aside_total{reason=\"device_not_active\"} 4",
			"iotrust_gateway_readings_aside 4",
			"iotrust_gateway_anchor_latency_seconds_bucket{le=\"2\"} 1",
			"iotrust_gateway_anchor_latency_seconds_bucket{le=\"3\"} 2",
			"iotrust_gateway_anchor_latency_seconds_bucket{le=\"+Inf\"} 2",
			"iotrust_gateway_anchor_latency_seconds_count 2",
			"iotrust_gateway_batch_stage_seconds_bucket{stage=\"pool\",le=\"0.5\"} 1",
			"iotrust_gateway_batch_stage_seconds_count{stage=\"pool\"} 1",
			"iotrust_gateway_batch_stage_seconds_bucket{stage=\"finality\",le=\"3\"} 0",
			"iotrust_gateway_batch_stage_seconds_bucket{stage=\"finality\",le=\"4\"} 1",
			"iotrust_gateway_batch_stage_seconds_sum{stage=\"finality\"} 3.7",
			"iotrust_gateway_batch_stage_seconds_count{stage=\"judge\"} 0",
		] {
			assert!(text.lines().any(|l| l == line), "{line} in:\n{text}");
		}
	}

	/// Every metric the Grafana dashboard in docker/ queries is one the gateway exposes.
	#[test]
	fn the_dashboard_queries_only_metrics_that_exist() {
		let dashboard: Value =
			serde_json::from_str(include_str!("../../docker/grafana/iotrust-gateway.json"))
				.unwrap();
		let exposed: Vec<String> = Stats::default()
			.prometheus(Backlog::default())
			.lines()
			.filter_map(|l| l.strip_prefix("# TYPE "))
			.filter_map(|l| l.split_whitespace().next())
			.map(String::from)
			.collect();
		let mut queried = 0;
		for panel in dashboard["panels"].as_array().unwrap() {
			for target in panel["targets"].as_array().unwrap() {
				let expr = target["expr"].as_str().unwrap();
				let names = expr
					.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
					.filter(|w| w.starts_with("iotrust_gateway_"));
				for name in names {
					let base = name.strip_suffix("_bucket").unwrap_or(name);
					assert!(
						exposed.iter().any(|e| e == base),
						"panel {:?} queries {name}, which /metrics does not expose",
						panel["title"]
					);
					queried += 1;
				}
			}
		}
		assert!(queried >= 10);
	}
}
