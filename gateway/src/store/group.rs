//! What a member of a gateway group keeps besides what any gateway keeps: its key shares
//! (sealed), and the group's anchored batches, recorded from the chain's record of each anchor
//! whoever coordinated it — so every member serves every proof.

use super::{
	db, decode, device_keys, key, Placed, Result, StoreError, BODIES, HEADS, IN_FLIGHT, LOCATED,
	META, PENDING, QUEUED, TURN,
};
use crate::batch::{leaves, Batch, BatchStatus};
use codec::Encode;
use iotrust_primitives::{device::DeviceId, merkle::SignedReading};
use redb::{ReadableTable, TableDefinition};
use sp_core::H256;
use std::collections::{hash_map::Entry, HashMap};

/// Key shares, sealed: group id ‖ epoch (big-endian) → sealed bytes.
pub(super) const SHARES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("group_shares");

/// Readings a device signed twice under one sequence number: device ‖ seq → the copy this
/// database does not hold in its pending readings or batches. Evidence of the double signing,
/// and the copy to take if the chain anchored it.
pub(super) const ALTERNATES: TableDefinition<&[u8], &[u8]> =
	TableDefinition::new("group_alternates");

/// Alternates kept at most; past this, new ones are not kept (a bound on what a device that
/// signs many copies, or a member that sends them, can make a member store).
const ALTERNATES_AT_MOST: u64 = 10_000;

fn share_key(group: u32, epoch: u32) -> [u8; 8] {
	let mut k = [0u8; 8];
	k[..4].copy_from_slice(&group.to_be_bytes());
	k[4..].copy_from_slice(&epoch.to_be_bytes());
	k
}

impl super::Store {
	/// The sealed key share of `group` for `epoch`, if this gateway holds one.
	pub fn group_share(&self, group: u32, epoch: u32) -> Result<Option<Vec<u8>>> {
		let r = self.db.begin_read().map_err(db)?;
		let t = r.open_table(SHARES).map_err(db)?;
		let share = t.get(&share_key(group, epoch)[..]).map_err(db)?.map(|v| v.value().to_vec());
		Ok(share)
	}

	/// Keep the sealed key share of `group` for `epoch` (replacing one kept before).
	pub fn put_group_share(&self, group: u32, epoch: u32, sealed: &[u8]) -> Result<()> {
		let w = self.db.begin_write().map_err(db)?;
		w.open_table(SHARES)
			.map_err(db)?
			.insert(&share_key(group, epoch)[..], sealed)
			.map_err(db)?;
		w.commit().map_err(db)
	}

	/// `device`'s readings `first..=last` that this database holds (pending or batched), in
	/// sequence order, at most `most`.
	pub fn find_readings(
		&self,
		device: &DeviceId,
		first: u64,
		last: u64,
		most: usize,
	) -> Result<Vec<SignedReading>> {
		let r = self.db.begin_read().map_err(db)?;
		let pending = r.open_table(PENDING).map_err(db)?;
		let located = r.open_table(LOCATED).map_err(db)?;
		let bodies = r.open_table(BODIES).map_err(db)?;
		let mut found: Vec<SignedReading> = Vec::new();
		let (lo, hi) = (key(device, first), key(device, last));
		for item in pending.range(&lo[..]..=&hi[..]).map_err(db)?.take(most) {
			found.push(decode("reading", item.map_err(db)?.1.value())?);
		}
		let mut batches: HashMap<u64, Vec<SignedReading>> = HashMap::new();
		for item in located.range(&lo[..]..=&hi[..]).map_err(db)?.take(most) {
			let placed: Placed = decode("placement", item.map_err(db)?.1.value())?;
			if let Entry::Vacant(entry) = batches.entry(placed.batch) {
				let body = bodies
					.get(placed.batch)
					.map_err(db)?
					.ok_or(StoreError::NoBatch(placed.batch))?;
				entry.insert(decode("batch body", body.value())?);
			}
			if let Some(r) = batches.get(&placed.batch).and_then(|b| b.get(placed.index as usize)) {
				found.push(r.clone());
			}
		}
		found.sort_by_key(|r| r.seq);
		found.dedup_by_key(|r| r.seq);
		found.truncate(most);
		Ok(found)
	}

	/// Keep `reading` as the alternate of the copy this database holds under its device and
	/// sequence number, from which it differs (the caller checked both). A later alternate
	/// replaces an earlier one. Returns `false` if this one was kept already, or no room is left.
	pub fn put_alternate(&self, reading: &SignedReading) -> Result<bool> {
		let k = key(&reading.device, reading.seq);
		let bytes = reading.encode();
		let w = self.db.begin_write().map_err(db)?;
		{
			let mut t = w.open_table(ALTERNATES).map_err(db)?;
			if let Some(held) = t.get(&k[..]).map_err(db)? {
				if held.value() == &bytes[..] {
					return Ok(false);
				}
			} else if redb::ReadableTableMetadata::len(&t).map_err(db)? >= ALTERNATES_AT_MOST {
				return Ok(false);
			}
			t.insert(&k[..], &bytes[..]).map_err(db)?;
		}
		w.commit().map_err(db)?;
		Ok(true)
	}

	/// The alternates kept of `device`'s readings `first..=last`, in sequence order.
	pub fn alternates(
		&self,
		device: &DeviceId,
		first: u64,
		last: u64,
	) -> Result<Vec<SignedReading>> {
		let r = self.db.begin_read().map_err(db)?;
		let t = r.open_table(ALTERNATES).map_err(db)?;
		let (lo, hi) = (key(device, first), key(device, last));
		let mut found = Vec::new();
		for item in t.range(&lo[..]..=&hi[..]).map_err(db)? {
			found.push(decode("reading", item.map_err(db)?.1.value())?);
		}
		Ok(found)
	}

	/// Keep readings another member of the group sent (checked by the caller) that this
	/// database does not hold anywhere: unlike [`super::Store::accept`], a reading below the
	/// device's highest accepted one is taken, as it fills a hole. Returns how many were new.
	pub fn fill(&self, readings: &[SignedReading]) -> Result<usize> {
		let w = self.db.begin_write().map_err(db)?;
		let mut new = 0;
		{
			let mut pending = w.open_table(PENDING).map_err(db)?;
			let located = w.open_table(LOCATED).map_err(db)?;
			let aside = w.open_table(super::ASIDE).map_err(db)?;
			let mut last_seq = w.open_table(super::LAST_SEQ).map_err(db)?;
			let mut queued = w.open_table(QUEUED).map_err(db)?;
			let in_flight = w.open_table(IN_FLIGHT).map_err(db)?;
			let aside_devices = w.open_table(super::ASIDE_DEVICES).map_err(db)?;
			for r in readings {
				let k = key(&r.device, r.seq);
				if pending.get(&k[..]).map_err(db)?.is_some()
					|| located.get(&k[..]).map_err(db)?.is_some()
					|| aside.get(&k[..]).map_err(db)?.is_some()
				{
					continue;
				}
				pending.insert(&k[..], &r.encode()[..]).map_err(db)?;
				let device = r.device.as_bytes();
				let last = last_seq.get(device).map_err(db)?.map(|v| v.value());
				if last.is_none_or(|last| r.seq > last) {
					last_seq.insert(device, r.seq).map_err(db)?;
				}
				if in_flight.get(device).map_err(db)?.is_none()
					&& !super::is_held(&aside_devices, device)?
				{
					queued.insert(device, ()).map_err(db)?;
				}
				new += 1;
			}
		}
		w.commit().map_err(db)?;
		Ok(new)
	}

	/// Record `batch`, which the chain shows anchored as `anchor`: its readings leave pending
	/// (they must be this database's, pending or accepted just before), and its proofs are
	/// served from now on. Returns `false` if it was recorded already.
	pub fn record_anchored(&self, batch: &Batch, anchor: u64, at_ms: u64) -> Result<bool> {
		let number = batch.head.header.batch;
		let w = self.db.begin_write().map_err(db)?;
		{
			let mut heads = w.open_table(HEADS).map_err(db)?;
			if let Some(v) = heads.get(number).map_err(db)? {
				let head: crate::batch::BatchHead = decode("batch head", v.value())?;
				if head.header.root == batch.head.header.root {
					return Ok(false);
				}
				return Err(StoreError::Db(format!(
					"batch {number} is recorded with root {:?}, the chain has {:?}",
					head.header.root, batch.head.header.root
				)));
			}
			let mut pending = w.open_table(PENDING).map_err(db)?;
			let mut located = w.open_table(LOCATED).map_err(db)?;
			super::place(
				&mut pending,
				&mut located,
				number,
				&batch.readings,
				leaves(&batch.readings),
			)?;
			let mut head = batch.head.clone();
			head.status =
				BatchStatus::Anchored { anchor, block: H256::zero(), finalized_ms: at_ms };
			heads.insert(number, &head.encode()[..]).map_err(db)?;
			w.open_table(BODIES)
				.map_err(db)?
				.insert(number, &batch.readings.encode()[..])
				.map_err(db)?;
			let mut meta = w.open_table(META).map_err(db)?;
			let next = meta.get("next_batch").map_err(db)?.map_or(0, |v| v.value());
			if number >= next {
				meta.insert("next_batch", number.saturating_add(1)).map_err(db)?;
			}
			if let Some(last) = head.ranges.last() {
				w.open_table(TURN)
					.map_err(db)?
					.insert("last_served", last.device.as_bytes())
					.map_err(db)?;
			}
			let mut queued = w.open_table(QUEUED).map_err(db)?;
			let in_flight = w.open_table(IN_FLIGHT).map_err(db)?;
			for range in &head.ranges {
				let device = range.device.as_bytes();
				let (lo, hi) = device_keys(&range.device);
				let waiting = pending.range(&lo[..]..=&hi[..]).map_err(db)?.next().is_some();
				if !waiting {
					queued.remove(device).map_err(db)?;
				} else if in_flight.get(device).map_err(db)?.is_none() {
					queued.insert(device, ()).map_err(db)?;
				}
			}
		}
		w.commit().map_err(db)?;
		Ok(true)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::store::tests::{open, reading};

	#[test]
	fn a_readings_alternate_is_kept_once_and_found_by_its_range() {
		let (_dir, store) = open();
		let d = H256::repeat_byte(1);
		let mine = reading(1, 4, 20);
		let mut other = mine.clone();
		other.metrics[0].value += 1;
		assert!(store.put_alternate(&other).unwrap());
		assert!(!store.put_alternate(&other).unwrap(), "once");
		assert_eq!(store.alternates(&d, 0, 9).unwrap(), vec![other.clone()]);
		assert!(store.alternates(&d, 5, 9).unwrap().is_empty());
		// A later copy replaces it.
		assert!(store.put_alternate(&mine).unwrap());
		assert_eq!(store.alternates(&d, 0, 9).unwrap(), vec![mine]);
	}

	#[test]
	fn an_anchor_recorded_from_the_chain_takes_its_readings_off_pending_and_serves_proofs() {
		let (_dir, store) = open();
		let d = H256::repeat_byte(1);
		let readings: Vec<_> = (0..5).map(|s| reading(1, s, 20)).collect();
		store.accept(&readings).unwrap();
		let (batch, _) = Batch::build(7, readings[..3].to_vec(), &Default::default()).unwrap();
		assert!(store.record_anchored(&batch, 40, 1).unwrap());
		assert!(!store.record_anchored(&batch, 40, 1).unwrap(), "once");
		assert_eq!(store.pending_count().unwrap(), 2);
		assert_eq!(store.next_batch().unwrap(), 8);
		assert_eq!(store.find_readings(&d, 0, 9, 100).unwrap(), readings);
		assert_eq!(store.find_readings(&d, 1, 3, 2).unwrap(), readings[1..3].to_vec());
		assert!(matches!(
			store.locate(&d, 2).unwrap(),
			Some(crate::store::Location::Batched { index: 2, .. })
		));
		// Another root under the same number: refused, nothing changed.
		let (other, _) = Batch::build(7, readings[3..].to_vec(), &Default::default()).unwrap();
		assert!(store.record_anchored(&other, 41, 1).is_err());
		assert_eq!(store.pending_count().unwrap(), 2);
	}

	#[test]
	fn key_shares_are_kept_per_group_and_epoch() {
		let (_dir, store) = open();
		assert_eq!(store.group_share(1, 1).unwrap(), None);
		store.put_group_share(1, 1, b"sealed").unwrap();
		assert_eq!(store.group_share(1, 1).unwrap().as_deref(), Some(&b"sealed"[..]));
		assert_eq!(store.group_share(1, 2).unwrap(), None);
	}

	#[test]
	fn a_hole_is_filled_from_a_peer_but_nothing_is_stored_twice() {
		let (_dir, store) = open();
		let d = H256::repeat_byte(1);
		let readings: Vec<_> = (0..4).map(|s| reading(1, s, 20)).collect();
		store.accept(&[readings[0].clone(), readings[3].clone()]).unwrap();
		// `accept` takes what devices send, in order: 1 and 2 now look like replays.
		assert!(matches!(
			store.accept(&readings[1..2]).unwrap()[0],
			crate::lifecycle::Accepted::Replayed { last: 3 }
		));
		assert_eq!(store.fill(&readings).unwrap(), 2);
		assert_eq!(store.fill(&readings).unwrap(), 0);
		assert_eq!(store.find_readings(&d, 0, 3, 10).unwrap(), readings);
		assert_eq!(store.pending_count().unwrap(), 4);
	}
}
