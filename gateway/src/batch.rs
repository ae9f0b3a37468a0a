//! Batches: which pending readings the next batch takes, and what the chain is told about it.
//!
//! A batch holds, per device (at most `max_devices` devices, taking turns), a run of consecutive
//! sequence numbers starting at that device's lowest pending one: the chain records one range
//! `first..=last` per device and checks the count against it, so a run stops at a hole (the
//! readings after the hole wait for a later batch, and the chain records the gap). A run also
//! stops before a reading that would give the device more distinct metrics than the chain
//! summarises, and the batch stops before it would hold more summaries than the chain takes.
//! Leaves are the readings in that order.

use codec::{Decode, Encode};
use iotrust_primitives::{
	anchoring::{AnchorHeader, DeviceRange, MetricSummary},
	channels::{ChannelEpoch, ChannelId},
	device::DeviceId,
	merkle::{merkle_root, SignedReading},
};
use sp_core::H256;
use std::collections::BTreeSet;

/// How big a batch may get: the chain's limits (read from its metadata and weights, see
/// `chain::ChainLimits`) and the operator's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
	/// Devices per batch (the chain's `MaxDevicesPerBatch`, or fewer if more would not fit an
	/// extrinsic's weight).
	pub max_devices: usize,
	/// Readings per batch.
	pub max_readings: usize,
	/// Distinct metrics per device in a batch (the chain's `MaxMetrics`).
	pub max_metrics: usize,
	/// Metric summaries per batch, all devices together (the chain's `MaxSummariesPerBatch`).
	pub max_summaries: usize,
}

/// The channel a private device's readings belong to, and the epoch whose key seals them when
/// they leave the gateway: the channel's epoch when the chain judged their batch.
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub struct SealedUnder {
	/// The channel.
	pub channel: ChannelId,
	/// Its epoch.
	pub epoch: ChannelEpoch,
}

/// Where a batch stands.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub enum BatchStatus {
	/// Built and stored; not yet seen anchored in a finalized block.
	Built,
	/// Anchored in finalized block `block` as anchor `anchor`.
	Anchored { anchor: u64, block: H256, finalized_ms: u64 },
	/// The chain refused it; its readings went back to the queue, but for those of the devices
	/// it was refused for, which were set aside.
	Refused { reason: String },
}

/// A batch as the gateway stores it, without its readings (kept apart, written once): what the
/// chain is told (the chain's own types), and where the batch stands.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct BatchHead {
	/// Its number (the gateway's, the chain's `batch` argument), root, size and time span.
	pub header: AnchorHeader,
	/// Each device's range.
	pub ranges: Vec<DeviceRange>,
	/// Where it stands.
	pub status: BatchStatus,
}

/// A batch and its readings, in leaf order.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Batch {
	/// What the chain is told.
	pub head: BatchHead,
	/// The readings.
	pub readings: Vec<SignedReading>,
}

impl Batch {
	/// Build batch `number` from readings already in leaf order; with its leaves. The ranges of
	/// `private` devices (their readings belong to a channel) carry no summaries: the chain
	/// refuses them, and they would publish what only the channel may read.
	pub fn build(
		number: u64,
		readings: Vec<SignedReading>,
		private: &BTreeSet<DeviceId>,
	) -> Option<(Self, Vec<H256>)> {
		let leaves: Vec<H256> = readings.iter().map(|r| r.leaf_hash()).collect();
		let root = merkle_root(&leaves)?;
		let mut ranges: Vec<DeviceRange> = Vec::new();
		for r in &readings {
			let range = match ranges.last_mut() {
				Some(range) if range.device == r.device => {
					range.last = r.seq;
					range
				},
				_ => {
					ranges.push(DeviceRange {
						device: r.device,
						first: r.seq,
						last: r.seq,
						summaries: vec![],
					});
					ranges.last_mut()?
				},
			};
			if private.contains(&r.device) {
				continue;
			}
			for m in &r.metrics {
				match range.summaries.iter_mut().find(|s| s.id == m.id) {
					Some(s) => {
						s.min = s.min.min(m.value);
						s.max = s.max.max(m.value);
					},
					None => {
						range.summaries.push(MetricSummary { id: m.id, min: m.value, max: m.value })
					},
				}
			}
		}
		let from_ms = readings.iter().map(|r| r.timestamp_ms).min()?;
		let to_ms = readings.iter().map(|r| r.timestamp_ms).max()?;
		let header = AnchorHeader {
			batch: number,
			root,
			reading_count: u32::try_from(readings.len()).ok()?,
			from_ms,
			to_ms,
		};
		let head = BatchHead { header, ranges, status: BatchStatus::Built };
		Some((Self { head, readings }, leaves))
	}
}

/// Leaves of `readings`.
pub fn leaves(readings: &[SignedReading]) -> Vec<H256> {
	readings.iter().map(|r| r.leaf_hash()).collect()
}

/// Fills a batch under `limits`: offered each device's pending readings in sequence order, it
/// takes the run the batch may hold of them.
pub struct Planner {
	limits: Limits,
	readings: usize,
	summaries: usize,
	devices: usize,
}

impl Planner {
	/// An empty batch under `limits`.
	pub fn new(limits: Limits) -> Self {
		Self { limits, readings: 0, summaries: 0, devices: 0 }
	}

	/// Whether the batch can take no more devices or readings.
	pub fn is_full(&self) -> bool {
		self.devices >= self.limits.max_devices
			|| self.readings >= self.limits.max_readings
			|| self.summaries >= self.limits.max_summaries
	}

	/// How many more readings the batch may take.
	pub fn room(&self) -> usize {
		self.limits.max_readings.saturating_sub(self.readings)
	}

	/// Take a run of one device's readings from `pending` (its readings in sequence order,
	/// lowest first): consecutive sequence numbers, within the metric, reading and summary
	/// limits. Returns how many it took (none if the batch is full).
	pub fn take<'a>(&mut self, pending: impl IntoIterator<Item = &'a SignedReading>) -> usize {
		if self.is_full() {
			return 0;
		}
		let mut expected = None;
		let mut metrics: Vec<u16> = Vec::new();
		let mut taken = 0;
		for reading in pending {
			if self.readings + taken >= self.limits.max_readings
				|| expected.is_some_and(|e| e != reading.seq)
			{
				break;
			}
			let new: Vec<u16> =
				reading.metrics.iter().map(|m| m.id).filter(|id| !metrics.contains(id)).collect();
			let distinct = metrics.len() + new.len();
			if taken > 0 && distinct > self.limits.max_metrics {
				break;
			}
			if self.summaries + distinct > self.limits.max_summaries {
				break;
			}
			metrics.extend(new);
			taken += 1;
			expected = reading.seq.checked_add(1);
		}
		if taken > 0 {
			self.devices += 1;
			self.readings += taken;
			self.summaries += metrics.len();
		}
		taken
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use iotrust_primitives::{
		device::DeviceSignature,
		merkle::{merkle_proof, verify_proof, Metric},
	};

	fn reading(device: u8, seq: u64, metrics: &[(u16, i64)]) -> SignedReading {
		SignedReading {
			device: H256([device; 32]),
			seq,
			timestamp_ms: 1_000 + seq,
			metrics: metrics.iter().map(|&(id, value)| Metric { id, value }).collect(),
			signature: DeviceSignature::Ed25519([device; 64]),
		}
	}

	const LIMITS: Limits =
		Limits { max_devices: 100, max_readings: 1_000, max_metrics: 2, max_summaries: 1_000 };

	#[test]
	fn a_run_stops_at_a_hole_and_at_the_limits() {
		let one = [reading(1, 4, &[(1, 5)]), reading(1, 5, &[(1, 7)]), reading(1, 7, &[(1, 1)])];
		let two = [reading(2, 0, &[(1, 2), (2, 3)]), reading(2, 1, &[(3, 0)])];
		// Device 1 stops before the hole at 6; device 2 before a third metric.
		let mut p = Planner::new(LIMITS);
		assert_eq!((p.take(&one), p.take(&two)), (2, 1));
		let mut p = Planner::new(Limits { max_devices: 1, ..LIMITS });
		assert_eq!((p.take(&one), p.take(&two)), (2, 0));
		assert!(p.is_full());
		let mut p = Planner::new(Limits { max_readings: 1, ..LIMITS });
		assert_eq!((p.take(&one), p.take(&two)), (1, 0));
		// Summaries count across devices: device 2's two metrics do not fit beside device 1's.
		let mut p = Planner::new(Limits { max_summaries: 2, ..LIMITS });
		assert_eq!((p.take(&one), p.take(&two)), (2, 0));
		// A device whose first reading alone has too many summaries for the batch waits.
		let mut p = Planner::new(Limits { max_summaries: 1, ..LIMITS });
		assert_eq!(p.take(&two), 0);
		assert!(!p.is_full());
	}

	#[test]
	fn a_batch_summarises_each_device_and_proves_each_reading() {
		let readings = vec![
			reading(1, 4, &[(1, 5)]),
			reading(1, 5, &[(1, -7), (2, 9)]),
			reading(2, 0, &[(1, 2)]),
		];
		let (batch, built) = Batch::build(3, readings.clone(), &BTreeSet::new()).unwrap();
		assert_eq!(built, leaves(&batch.readings));
		let head = &batch.head;
		assert_eq!((head.ranges.len(), head.header.reading_count), (2, 3));
		assert_eq!((head.ranges[0].first, head.ranges[0].last), (4, 5));
		assert_eq!(
			head.ranges[0].summaries,
			vec![MetricSummary { id: 1, min: -7, max: 5 }, MetricSummary { id: 2, min: 9, max: 9 }]
		);
		assert_eq!((head.header.from_ms, head.header.to_ms), (1_000, 1_005));
		for (i, r) in readings.iter().enumerate() {
			let proof = merkle_proof(&built, i as u32).unwrap();
			assert!(verify_proof(&head.header.root, &r.leaf_hash(), &proof));
		}
		assert!(Batch::build(0, vec![], &BTreeSet::new()).is_none());
	}

	#[test]
	fn a_private_devices_range_carries_no_summary_and_the_same_root() {
		let readings = vec![reading(1, 4, &[(1, 5)]), reading(2, 0, &[(1, 2)])];
		let (public, _) = Batch::build(3, readings.clone(), &BTreeSet::new()).unwrap();
		let private: BTreeSet<DeviceId> = [readings[0].device].into();
		let (batch, _) = Batch::build(3, readings, &private).unwrap();
		assert!(batch.head.ranges[0].summaries.is_empty());
		assert_eq!(batch.head.ranges[1].summaries, public.head.ranges[1].summaries);
		assert_eq!(batch.head.header, public.head.header);
	}
}
