//! Databases written by earlier gateways, brought to the current layout when opened, in one
//! transaction (a crash midway leaves the old layout, to be upgraded at the next start):
//!
//! - **layout 0** kept each batch whole in one table (`batches`): its readings, ranges and
//!   status. Its batches become heads and bodies; those not yet seen anchored are listed
//!   unsettled again (looked up on chain, or submitted again); the readings of batches the old
//!   gateway gave up on (`Failed`, which lost them) go back to pending, to be anchored or set
//!   aside with a reason like any other.
//! - **layout 1** kept no measurement time beside a batched reading's place; listing a device's
//!   readings by time needs it.
//! - **layout 2** had no purged readings (private channels' retention): a layout-3 body may
//!   hold a purged reading, which only the `purged_leaves` table says is not the reading its
//!   leaf hashes — so a gateway that knows only layout 2 must not open it.
//!
//! Layouts 0 and 1 have the queue of devices with pending readings rebuilt from the readings
//! themselves; layout 2 needs nothing (its new tables are made when the database opens).

use super::{
	db, decode, key, split_key, Placed, Result, ASIDE_DEVICES, BODIES, HEADS, IN_FLIGHT, LOCATED,
	META, PENDING, QUEUED, UNSETTLED,
};
use crate::batch::{BatchHead, BatchStatus};
use codec::{Decode, Encode};
use iotrust_primitives::anchoring::{AnchorHeader, DeviceRange};
use iotrust_primitives::merkle::SignedReading;
use redb::{ReadableTable, TableDefinition, TableHandle, WriteTransaction};
use sp_core::H256;

/// The layout this gateway writes.
pub const LAYOUT: u64 = 3;

/// Layout 0's batches by number → SCALE [`OldBatch`].
const OLD_BATCHES: TableDefinition<u64, &[u8]> = TableDefinition::new("batches");

/// A batch as layout 0 stored it.
#[derive(Encode, Decode)]
pub(super) struct OldBatch {
	pub number: u64,
	pub readings: Vec<SignedReading>,
	pub root: H256,
	pub from_ms: u64,
	pub to_ms: u64,
	pub ranges: Vec<DeviceRange>,
	pub status: OldStatus,
}

/// A layout-0 batch's status.
#[derive(Encode, Decode)]
pub(super) enum OldStatus {
	Built,
	Anchored { anchor: u64, block: H256, finalized_ms: u64 },
	Failed { reason: String },
}

/// Which layout the database in `w` has: `None` if it is new (no tables at all).
pub fn layout(w: &WriteTransaction) -> Result<Option<u64>> {
	let tables: Vec<String> = w.list_tables().map_err(db)?.map(|t| t.name().to_string()).collect();
	if tables.is_empty() {
		return Ok(None);
	}
	if tables.iter().any(|t| t == META.name()) {
		if let Some(v) = w.open_table(META).map_err(db)?.get("layout").map_err(db)? {
			return Ok(Some(v.value()));
		}
	}
	Ok(Some(if tables.iter().any(|t| t == OLD_BATCHES.name()) { 0 } else { 1 }))
}

/// Bring the database in `w` from layout `from` to [`LAYOUT`]; the caller commits.
pub fn upgrade(w: &WriteTransaction, from: u64) -> Result<()> {
	if from == 0 {
		split_old_batches(w)?;
	}
	if from <= 1 {
		place_with_times(w)?;
		requeue(w)?;
	}
	w.open_table(META).map_err(db)?.insert("layout", LAYOUT).map_err(db)?;
	Ok(())
}

/// Layout 0's whole batches as heads and bodies; a failed one's readings back to pending.
fn split_old_batches(w: &WriteTransaction) -> Result<()> {
	let old: Vec<(u64, OldBatch)> = {
		let table = w.open_table(OLD_BATCHES).map_err(db)?;
		let mut all = Vec::new();
		for item in table.iter().map_err(db)? {
			let (k, v) = item.map_err(db)?;
			all.push((k.value(), decode::<OldBatch>("layout-0 batch", v.value())?));
		}
		all
	};
	{
		let mut heads = w.open_table(HEADS).map_err(db)?;
		let mut bodies = w.open_table(BODIES).map_err(db)?;
		let mut unsettled = w.open_table(UNSETTLED).map_err(db)?;
		let mut in_flight = w.open_table(IN_FLIGHT).map_err(db)?;
		let mut pending = w.open_table(PENDING).map_err(db)?;
		let mut located = w.open_table(LOCATED).map_err(db)?;
		for (number, batch) in old {
			let status = match batch.status {
				OldStatus::Built => BatchStatus::Built,
				OldStatus::Anchored { anchor, block, finalized_ms } => {
					BatchStatus::Anchored { anchor, block, finalized_ms }
				},
				OldStatus::Failed { reason } => BatchStatus::Refused {
					reason: format!("{reason} (an earlier gateway gave its readings up; queued again on upgrade)"),
				},
			};
			let refused = matches!(status, BatchStatus::Refused { .. });
			let header = AnchorHeader {
				batch: number,
				root: batch.root,
				reading_count: batch.readings.len() as u32,
				from_ms: batch.from_ms,
				to_ms: batch.to_ms,
			};
			let head = BatchHead { header, ranges: batch.ranges, status };
			heads.insert(number, &head.encode()[..]).map_err(db)?;
			if refused {
				for r in &batch.readings {
					let k = key(&r.device, r.seq);
					located.remove(&k[..]).map_err(db)?;
					pending.insert(&k[..], &r.encode()[..]).map_err(db)?;
				}
				continue;
			}
			bodies.insert(number, &batch.readings.encode()[..]).map_err(db)?;
			if matches!(head.status, BatchStatus::Built) {
				unsettled.insert(number, ()).map_err(db)?;
				for range in &head.ranges {
					in_flight.insert(range.device.as_bytes(), number).map_err(db)?;
				}
			}
		}
	}
	w.delete_table(OLD_BATCHES).map_err(db)?;
	Ok(())
}

/// Every batched reading's place written again, with its measurement time.
fn place_with_times(w: &WriteTransaction) -> Result<()> {
	w.delete_table(LOCATED).map_err(db)?;
	let mut located = w.open_table(LOCATED).map_err(db)?;
	for item in w.open_table(BODIES).map_err(db)?.iter().map_err(db)? {
		let (number, body) = item.map_err(db)?;
		let readings: Vec<SignedReading> = decode("batch body", body.value())?;
		for (index, r) in readings.iter().enumerate() {
			let placed = Placed {
				batch: number.value(),
				index: index as u32,
				leaf: r.leaf_hash(),
				timestamp_ms: r.timestamp_ms,
			};
			located.insert(&key(&r.device, r.seq)[..], &placed.encode()[..]).map_err(db)?;
		}
	}
	Ok(())
}

/// The devices with pending readings that are neither in an unsettled batch nor held, queued.
fn requeue(w: &WriteTransaction) -> Result<()> {
	w.delete_table(QUEUED).map_err(db)?;
	let mut queued = w.open_table(QUEUED).map_err(db)?;
	let in_flight = w.open_table(IN_FLIGHT).map_err(db)?;
	let aside_devices = w.open_table(ASIDE_DEVICES).map_err(db)?;
	let mut last = None;
	for item in w.open_table(PENDING).map_err(db)?.iter().map_err(db)? {
		let (k, _) = item.map_err(db)?;
		let Some((device, _)) = split_key(k.value()) else { continue };
		if last == Some(device) {
			continue;
		}
		last = Some(device);
		let flying = in_flight.get(device.as_bytes()).map_err(db)?.is_some();
		if !flying && !super::is_held(&aside_devices, device.as_bytes())? {
			queued.insert(device.as_bytes(), ()).map_err(db)?;
		}
	}
	Ok(())
}
