//! Only in a binary built with the test-only feature `dishonest-coordinator` (never the
//! product's): a dishonest member for the end-to-end tests, playing the cheats
//! `IOTRUST_GROUP_CHEAT` names (comma-separated). Honest members must refuse or outlast each.
//!
//! - `alter-reading`: propose a batch with one reading's value changed.
//! - `false-summary`: propose a batch whose first summary hides the highest value.
//! - `skip-batch`: propose the group's next batch under the number after it.
//! - `withhold-shares`: commit to every proposal at once, unchecked, and never send a share.
//! - `equivocate`: sign a second reading under the number of each reading of the simulator's
//!   devices (their keys from `IOTRUST_GROUP_CHEAT_SEED`, the simulator's `--seed`) this member
//!   holds, and send the copies to the others unasked.

use super::check::anchor_of;
use crate::batch::Batch;
use iotrust_primitives::{
	anchoring::GroupAnchor, device::DeviceId, keypair::DeviceKeypair, merkle::SignedReading,
};
use sp_core::H256;
use std::{
	collections::{HashMap, HashSet},
	time::{Duration, Instant},
};
use tracing::warn;

/// Whether `IOTRUST_GROUP_CHEAT` names `cheat`.
pub fn active(cheat: &str) -> bool {
	std::env::var("IOTRUST_GROUP_CHEAT").is_ok_and(|v| v.split(',').any(|c| c == cheat))
}

/// The proposal the cheats make of `anchor` (built from `batch`).
pub fn propose(mut anchor: GroupAnchor, mut batch: Batch) -> GroupAnchor {
	if active("alter-reading") {
		if let Some(m) = batch.readings.first_mut().and_then(|r| r.metrics.first_mut()) {
			m.value = m.value.saturating_add(1);
		}
		if let Some((altered, _)) =
			Batch::build(batch.head.header.batch, batch.readings, &Default::default())
		{
			anchor = anchor_of(&altered, anchor.genesis, anchor.group, anchor.epoch);
		}
		warn!("cheating (IOTRUST_GROUP_CHEAT): one reading altered");
	}
	if active("false-summary") {
		if let Some(s) = anchor.ranges.first_mut().and_then(|r| r.summaries.first_mut()) {
			s.max = s.min;
		}
		warn!("cheating (IOTRUST_GROUP_CHEAT): a summary falsified");
	}
	if active("skip-batch") {
		anchor.header.batch = anchor.header.batch.wrapping_add(1);
		warn!("cheating (IOTRUST_GROUP_CHEAT): batch {} proposed as the next", anchor.header.batch);
	}
	anchor
}

/// The simulated devices whose keys the `equivocate` cheat holds.
const DEVICES: u32 = 64;
/// Second copies sent at most per call.
const TWINS_AT_ONCE: usize = 20;

/// The `equivocate` cheat's state: the devices' keys and the readings already twinned.
#[derive(Default)]
pub struct Twins {
	keys: Option<HashMap<DeviceId, DeviceKeypair>>,
	sent: HashSet<(DeviceId, u64)>,
	last: Option<Instant>,
}

impl Twins {
	/// Every two seconds: second copies of readings held here that have none yet.
	pub fn twins(
		&mut self,
		store: &crate::store::Store,
		genesis: &H256,
	) -> Option<Vec<SignedReading>> {
		if !active("equivocate")
			|| self.last.is_some_and(|at| at.elapsed() < Duration::from_secs(2))
		{
			return None;
		}
		self.last = Some(Instant::now());
		let keys = self.keys.get_or_insert_with(|| {
			let seed = std::env::var("IOTRUST_GROUP_CHEAT_SEED").unwrap_or_default();
			(0..DEVICES)
				.map(|i| crate::simulate::device_key(&seed, i))
				.map(|pair| (pair.key.device_id(), pair))
				.collect()
		});
		let mut twins = Vec::new();
		for (device, pair) in keys.iter() {
			let Ok(held) = store.find_readings(device, 0, u64::MAX, 1_000) else { continue };
			for r in held.into_iter().rev() {
				if twins.len() >= TWINS_AT_ONCE {
					break;
				}
				if !self.sent.insert((r.device, r.seq)) {
					continue;
				}
				let mut twin = r;
				if let Some(m) = twin.metrics.first_mut() {
					m.value = m.value.wrapping_add(1);
				}
				twin.signature = pair.sign(&twin.payload(genesis));
				twins.push(twin);
			}
		}
		if twins.is_empty() {
			return None;
		}
		warn!(
			"cheating (IOTRUST_GROUP_CHEAT): {} readings signed a second time, sent to the others",
			twins.len()
		);
		Some(twins)
	}
}
