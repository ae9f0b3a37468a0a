//! Batches: which pending readings the next batch takes, and what the chain is told about it.
//!
//! A batch holds, per device (in device-id order, at most `max_devices`), a run of consecutive
//! sequence numbers starting at that device's lowest pending one: the chain records one range
//! `first..=last` per device and checks the count against it, so a run stops at a hole (the
//! readings after the hole wait for a later batch, and the chain records the gap). A run also
//! stops before a reading that would give the device more distinct metrics than the chain
//! summarises. Leaves are the readings in that order.

use codec::{Decode, Encode};
use iotrust_primitives::{
	anchoring::MetricSummary,
	device::DeviceId,
	merkle::{merkle_root, SignedReading},
};
use sp_core::H256;
use std::collections::BTreeMap;

/// How big a batch may get.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
	/// Devices per batch (the chain's `MaxDevicesPerBatch`).
	pub max_devices: usize,
	/// Readings per batch.
	pub max_readings: usize,
	/// Distinct metrics per device in a batch (the chain's `MaxMetrics`).
	pub max_metrics: usize,
}

/// One device's share of a batch, as `anchoring.anchor` takes it.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct Range {
	/// The device.
	pub device: DeviceId,
	/// Its first sequence number in the batch.
	pub first: u64,
	/// Its last.
	pub last: u64,
	/// Min and max of each metric.
	pub summaries: Vec<MetricSummary>,
}

/// Where a batch stands.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub enum BatchStatus {
	/// Built and stored; not yet seen anchored in a finalized block.
	Built,
	/// Anchored in finalized block `block` as anchor `anchor`.
	Anchored { anchor: u64, block: H256, finalized_ms: u64 },
	/// The chain refused it for good (e.g. a device was revoked before it landed).
	Failed { reason: String },
}

/// A batch as the gateway stores it: everything needed to resubmit it or prove its readings.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct Batch {
	/// The gateway's number for it (the chain's `batch` argument).
	pub number: u64,
	/// The readings, in leaf order.
	pub readings: Vec<SignedReading>,
	/// The Merkle root over them.
	pub root: H256,
	/// The earliest reading timestamp.
	pub from_ms: u64,
	/// The latest.
	pub to_ms: u64,
	/// Each device's range.
	pub ranges: Vec<Range>,
	/// Where it stands.
	pub status: BatchStatus,
}

impl Batch {
	/// Build batch `number` from readings already in leaf order; with its leaves.
	pub fn build(number: u64, readings: Vec<SignedReading>) -> Option<(Self, Vec<H256>)> {
		let leaves: Vec<H256> = readings.iter().map(|r| r.leaf_hash()).collect();
		let root = merkle_root(&leaves)?;
		let mut ranges: Vec<Range> = Vec::new();
		for r in &readings {
			match ranges.last_mut() {
				Some(range) if range.device == r.device => range.last = r.seq,
				_ => ranges.push(Range {
					device: r.device,
					first: r.seq,
					last: r.seq,
					summaries: vec![],
				}),
			}
			let range = ranges.last_mut().expect("pushed above if empty; qed");
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
		let batch =
			Self { number, readings, root, from_ms, to_ms, ranges, status: BatchStatus::Built };
		Some((batch, leaves))
	}

	/// Its leaves.
	pub fn leaves(&self) -> Vec<H256> {
		self.readings.iter().map(|r| r.leaf_hash()).collect()
	}
}

/// The readings the next batch takes from `pending` (each device's readings by sequence
/// number), in leaf order. Devices take turns: the batch starts with the first device after
/// `after` (the last device the previous batch served) and wraps around, so no device id is
/// favoured and every device with pending readings is served within
/// `ceil(devices / max_devices)` batches.
pub fn plan(
	pending: &BTreeMap<DeviceId, BTreeMap<u64, SignedReading>>,
	limits: Limits,
	after: Option<DeviceId>,
) -> Vec<SignedReading> {
	use core::ops::Bound::{Excluded, Unbounded};
	let turn: Box<dyn Iterator<Item = &BTreeMap<u64, SignedReading>>> = match after {
		Some(last) => Box::new(
			pending
				.range((Excluded(last), Unbounded))
				.chain(pending.range(..=last))
				.map(|(_, r)| r),
		),
		None => Box::new(pending.values()),
	};
	let mut out = Vec::new();
	for readings in turn.filter(|r| !r.is_empty()).take(limits.max_devices) {
		let mut expected = None;
		let mut metrics: Vec<u16> = Vec::new();
		for (seq, reading) in readings {
			if out.len() >= limits.max_readings || expected.is_some_and(|e| e != *seq) {
				break;
			}
			let new: Vec<u16> =
				reading.metrics.iter().map(|m| m.id).filter(|id| !metrics.contains(id)).collect();
			if metrics.len() + new.len() > limits.max_metrics && expected.is_some() {
				break;
			}
			metrics.extend(new);
			out.push(reading.clone());
			expected = seq.checked_add(1);
		}
		if out.len() >= limits.max_readings {
			break;
		}
	}
	out
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

	fn pending(readings: &[SignedReading]) -> BTreeMap<DeviceId, BTreeMap<u64, SignedReading>> {
		let mut p: BTreeMap<DeviceId, BTreeMap<u64, SignedReading>> = BTreeMap::new();
		for r in readings {
			p.entry(r.device).or_default().insert(r.seq, r.clone());
		}
		p
	}

	const LIMITS: Limits = Limits { max_devices: 100, max_readings: 1_000, max_metrics: 2 };

	#[test]
	fn a_run_stops_at_a_hole_and_at_the_limits() {
		let p = pending(&[
			reading(1, 4, &[(1, 5)]),
			reading(1, 5, &[(1, 7)]),
			reading(1, 7, &[(1, 1)]),
			reading(2, 0, &[(1, 2), (2, 3)]),
			reading(2, 1, &[(3, 0)]),
		]);
		let seqs =
			|v: &[SignedReading]| v.iter().map(|r| (r.device.0[0], r.seq)).collect::<Vec<_>>();
		// Device 1 stops before the hole at 6; device 2 before a third metric.
		assert_eq!(seqs(&plan(&p, LIMITS, None)), vec![(1, 4), (1, 5), (2, 0)]);
		let one_device = Limits { max_devices: 1, ..LIMITS };
		assert_eq!(seqs(&plan(&p, one_device, None)), vec![(1, 4), (1, 5)]);
		let two_readings = Limits { max_readings: 1, ..LIMITS };
		assert_eq!(seqs(&plan(&p, two_readings, None)), vec![(1, 4)]);
	}

	#[test]
	fn attack_low_device_ids_are_not_served_first() {
		// Five devices, two a batch: whatever their ids, each waits its turn.
		let p = pending(&(1..=5).map(|d| reading(d, 0, &[(1, 0)])).collect::<Vec<_>>());
		let two = Limits { max_devices: 2, ..LIMITS };
		let devices = |v: &[SignedReading]| v.iter().map(|r| r.device.0[0]).collect::<Vec<_>>();
		let mut after = None;
		let mut served = Vec::new();
		for _ in 0..3 {
			let batch = plan(&p, two, after);
			after = batch.last().map(|r| r.device);
			served.push(devices(&batch));
		}
		assert_eq!(served, vec![vec![1, 2], vec![3, 4], vec![5, 1]]);
		// A device that was just served goes to the back, even with the lowest id.
		assert_eq!(devices(&plan(&p, two, Some(H256([1; 32])))), vec![2, 3]);
	}

	#[test]
	fn a_batch_summarises_each_device_and_proves_each_reading() {
		let readings = vec![
			reading(1, 4, &[(1, 5)]),
			reading(1, 5, &[(1, -7), (2, 9)]),
			reading(2, 0, &[(1, 2)]),
		];
		let (batch, leaves) = Batch::build(3, readings.clone()).unwrap();
		assert_eq!(leaves, batch.leaves());
		assert_eq!(batch.ranges.len(), 2);
		assert_eq!((batch.ranges[0].first, batch.ranges[0].last), (4, 5));
		assert_eq!(
			batch.ranges[0].summaries,
			vec![MetricSummary { id: 1, min: -7, max: 5 }, MetricSummary { id: 2, min: 9, max: 9 }]
		);
		assert_eq!((batch.from_ms, batch.to_ms), (1_000, 1_005));
		for (i, r) in readings.iter().enumerate() {
			let proof = merkle_proof(&batch.leaves(), i as u32).unwrap();
			assert!(verify_proof(&batch.root, &r.leaf_hash(), &proof));
		}
		assert!(Batch::build(0, vec![]).is_none());
	}
}
