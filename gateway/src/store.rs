//! The gateway's embedded database (redb): accepted readings waiting for a batch, batches with
//! their readings and status, where each reading went, and each device's highest accepted
//! sequence number. Every change is one transaction, committed before the gateway acknowledges
//! the MQTT messages behind it, so a crash loses nothing that was accepted.

use crate::batch::{plan, Batch, BatchStatus, Limits};
use codec::{Decode, Encode};
use iotrust_primitives::{device::DeviceId, merkle::SignedReading};
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use sp_core::H256;
use std::{
	collections::{BTreeMap, HashMap},
	path::Path,
	sync::{Arc, Mutex},
};

/// Accepted readings not yet in a batch: device id ‖ seq (big-endian) → SCALE reading.
const PENDING: TableDefinition<&[u8], &[u8]> = TableDefinition::new("pending");
/// Batches by number → SCALE [`Batch`].
const BATCHES: TableDefinition<u64, &[u8]> = TableDefinition::new("batches");
/// Batched readings: device id ‖ seq → SCALE [`Placed`].
const LOCATED: TableDefinition<&[u8], &[u8]> = TableDefinition::new("located");
/// Each device's highest accepted sequence number.
const LAST_SEQ: TableDefinition<&[u8], u64> = TableDefinition::new("last_seq");
/// Counters: `next_batch`.
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// Whose turn it is: the last device a batch served, so the next starts after it.
const TURN: TableDefinition<&str, &[u8]> = TableDefinition::new("turn");

/// What became of a reading offered to [`Store::accept`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Accepted {
	/// Stored.
	New,
	/// Already stored, byte for byte (an MQTT redelivery): nothing to do.
	Duplicate,
	/// A different reading with a sequence number at or below the device's highest accepted one.
	Replayed { last: u64 },
}

/// Where an accepted reading is.
pub enum Location {
	/// Waiting for a batch.
	Pending,
	/// In a batch, at this leaf.
	Batched { batch: Arc<Batch>, leaves: Arc<Vec<H256>>, index: u32 },
}

/// Anchored batches recently read for proofs, with their leaves (they never change again).
const CACHED_BATCHES: usize = 16;

/// Where a batched reading went: its batch, its leaf index and its leaf hash (so a redelivered
/// reading is told from a replay without reading the batch).
#[derive(Encode, Decode)]
struct Placed {
	batch: u64,
	index: u32,
	leaf: H256,
}

fn key(device: &DeviceId, seq: u64) -> [u8; 40] {
	let mut k = [0u8; 40];
	k[..32].copy_from_slice(device.as_bytes());
	k[32..].copy_from_slice(&seq.to_be_bytes());
	k
}

fn split_key(k: &[u8]) -> Option<(DeviceId, u64)> {
	let device = DeviceId::from_slice(k.get(..32)?);
	let seq = u64::from_be_bytes(k.get(32..40)?.try_into().ok()?);
	Some((device, seq))
}

/// An anchored batch with its leaves, as proofs need it.
type ProvenBatch = (Arc<Batch>, Arc<Vec<H256>>);

/// The database.
pub struct Store {
	db: Database,
	cache: Mutex<HashMap<u64, ProvenBatch>>,
}

type Result<T> = std::result::Result<T, String>;

fn err(e: impl std::fmt::Display) -> String {
	format!("database: {e}")
}

impl Store {
	/// Open (or create) the database at `path`.
	pub fn open(path: &Path) -> Result<Self> {
		if let Some(dir) = path.parent() {
			std::fs::create_dir_all(dir).map_err(err)?;
		}
		let db = Database::create(path).map_err(err)?;
		let w = db.begin_write().map_err(err)?;
		w.open_table(PENDING).map_err(err)?;
		w.open_table(BATCHES).map_err(err)?;
		w.open_table(LOCATED).map_err(err)?;
		w.open_table(LAST_SEQ).map_err(err)?;
		w.open_table(META).map_err(err)?;
		w.open_table(TURN).map_err(err)?;
		w.commit().map_err(err)?;
		Ok(Self { db, cache: Mutex::new(HashMap::new()) })
	}

	/// Store the readings that are new, in one transaction; says what became of each.
	pub fn accept(&self, readings: &[SignedReading]) -> Result<Vec<Accepted>> {
		let w = self.db.begin_write().map_err(err)?;
		let mut out = Vec::with_capacity(readings.len());
		{
			let mut pending = w.open_table(PENDING).map_err(err)?;
			let mut last_seq = w.open_table(LAST_SEQ).map_err(err)?;
			let located = w.open_table(LOCATED).map_err(err)?;
			for r in readings {
				let k = key(&r.device, r.seq);
				let last = last_seq.get(r.device.as_bytes()).map_err(err)?.map(|v| v.value());
				if last.is_some_and(|last| r.seq <= last) {
					let same = match pending.get(&k[..]).map_err(err)? {
						Some(v) => SignedReading::decode(&mut v.value()).ok().as_ref() == Some(r),
						None => located
							.get(&k[..])
							.map_err(err)?
							.and_then(|v| Placed::decode(&mut v.value()).ok())
							.is_some_and(|p| p.leaf == r.leaf_hash()),
					};
					out.push(if same {
						Accepted::Duplicate
					} else {
						Accepted::Replayed { last: last.unwrap_or_default() }
					});
					continue;
				}
				pending.insert(&k[..], &r.encode()[..]).map_err(err)?;
				last_seq.insert(r.device.as_bytes(), r.seq).map_err(err)?;
				out.push(Accepted::New);
			}
		}
		w.commit().map_err(err)?;
		Ok(out)
	}

	/// How many accepted readings wait for a batch.
	pub fn pending_count(&self) -> Result<u64> {
		let r = self.db.begin_read().map_err(err)?;
		r.open_table(PENDING).map_err(err)?.len().map_err(err)
	}

	/// Take the next batch out of the pending readings and store it, `Built`; `None` if nothing
	/// is pending.
	pub fn take_batch(&self, limits: Limits) -> Result<Option<Batch>> {
		let w = self.db.begin_write().map_err(err)?;
		let batch = {
			let mut pending = w.open_table(PENDING).map_err(err)?;
			let mut by_device: BTreeMap<DeviceId, BTreeMap<u64, SignedReading>> = BTreeMap::new();
			for item in pending.iter().map_err(err)? {
				let (k, v) = item.map_err(err)?;
				let Some((device, seq)) = split_key(k.value()) else { continue };
				let reading = SignedReading::decode(&mut v.value()).map_err(err)?;
				by_device.entry(device).or_default().insert(seq, reading);
			}
			let mut turn = w.open_table(TURN).map_err(err)?;
			let after = turn
				.get("last_served")
				.map_err(err)?
				.and_then(|v| <[u8; 32]>::try_from(v.value()).ok())
				.map(DeviceId::from);
			let readings = plan(&by_device, limits, after);
			if let Some(last) = readings.last() {
				turn.insert("last_served", last.device.as_bytes()).map_err(err)?;
			}
			let mut meta = w.open_table(META).map_err(err)?;
			let number = meta.get("next_batch").map_err(err)?.map(|v| v.value()).unwrap_or(0);
			let Some((batch, leaves)) = Batch::build(number, readings) else { return Ok(None) };
			let mut located = w.open_table(LOCATED).map_err(err)?;
			for (index, (r, leaf)) in batch.readings.iter().zip(leaves).enumerate() {
				let k = key(&r.device, r.seq);
				pending.remove(&k[..]).map_err(err)?;
				let placed = Placed { batch: number, index: index as u32, leaf };
				located.insert(&k[..], &placed.encode()[..]).map_err(err)?;
			}
			meta.insert("next_batch", number + 1).map_err(err)?;
			w.open_table(BATCHES).map_err(err)?.insert(number, &batch.encode()[..]).map_err(err)?;
			batch
		};
		w.commit().map_err(err)?;
		Ok(Some(batch))
	}

	/// Record where batch `number` ended up.
	pub fn set_status(&self, number: u64, status: BatchStatus) -> Result<()> {
		let w = self.db.begin_write().map_err(err)?;
		{
			let mut batches = w.open_table(BATCHES).map_err(err)?;
			let mut batch = match batches.get(number).map_err(err)? {
				Some(v) => Batch::decode(&mut v.value()).map_err(err)?,
				None => return Err(format!("no batch {number}")),
			};
			batch.status = status;
			batches.insert(number, &batch.encode()[..]).map_err(err)?;
		}
		w.commit().map_err(err)
	}

	/// Batches built but not yet seen anchored, oldest first.
	pub fn unanchored(&self) -> Result<Vec<Batch>> {
		Ok(self.batches()?.into_iter().filter(|b| b.status == BatchStatus::Built).collect())
	}

	/// Every stored batch, oldest first.
	pub fn batches(&self) -> Result<Vec<Batch>> {
		let r = self.db.begin_read().map_err(err)?;
		let t = r.open_table(BATCHES).map_err(err)?;
		let mut out = Vec::new();
		for item in t.iter().map_err(err)? {
			let (_, v) = item.map_err(err)?;
			out.push(Batch::decode(&mut v.value()).map_err(err)?);
		}
		Ok(out)
	}

	/// Where reading `seq` of `device` is, if it was accepted.
	pub fn locate(&self, device: &DeviceId, seq: u64) -> Result<Option<Location>> {
		let r = self.db.begin_read().map_err(err)?;
		let k = key(device, seq);
		if r.open_table(PENDING).map_err(err)?.get(&k[..]).map_err(err)?.is_some() {
			return Ok(Some(Location::Pending));
		}
		let Some(Placed { batch: number, index, .. }) = r
			.open_table(LOCATED)
			.map_err(err)?
			.get(&k[..])
			.map_err(err)?
			.and_then(|v| Placed::decode(&mut v.value()).ok())
		else {
			return Ok(None);
		};
		if let Some((batch, leaves)) = self.cache.lock().map_err(err)?.get(&number).cloned() {
			return Ok(Some(Location::Batched { batch, leaves, index }));
		}
		let batches = r.open_table(BATCHES).map_err(err)?;
		let batch = match batches.get(number).map_err(err)? {
			Some(v) => Arc::new(Batch::decode(&mut v.value()).map_err(err)?),
			None => return Ok(None),
		};
		let leaves = Arc::new(batch.leaves());
		if matches!(batch.status, BatchStatus::Anchored { .. }) {
			let mut cache = self.cache.lock().map_err(err)?;
			if cache.len() >= CACHED_BATCHES {
				cache.clear();
			}
			cache.insert(number, (batch.clone(), leaves.clone()));
		}
		Ok(Some(Location::Batched { batch, leaves, index }))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use iotrust_primitives::{device::DeviceSignature, merkle::Metric};
	use sp_core::H256;

	fn reading(device: u8, seq: u64, value: i64) -> SignedReading {
		SignedReading {
			device: H256([device; 32]),
			seq,
			timestamp_ms: seq,
			metrics: vec![Metric { id: 1, value }],
			signature: DeviceSignature::Ed25519([device; 64]),
		}
	}

	const LIMITS: Limits = Limits { max_devices: 100, max_readings: 100, max_metrics: 8 };

	#[test]
	fn accepted_readings_survive_a_reopen_and_are_batched_once() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("gateway.redb");
		{
			let store = Store::open(&path).unwrap();
			let out =
				store.accept(&[reading(1, 0, 5), reading(1, 1, 6), reading(2, 0, 7)]).unwrap();
			assert_eq!(out, vec![Accepted::New; 3]);
			// A redelivery is a duplicate; another reading with a used number is a replay.
			let again =
				store.accept(&[reading(1, 1, 6), reading(1, 1, 9), reading(1, 0, 1)]).unwrap();
			assert_eq!(
				again,
				vec![
					Accepted::Duplicate,
					Accepted::Replayed { last: 1 },
					Accepted::Replayed { last: 1 }
				]
			);
		}
		let store = Store::open(&path).unwrap();
		assert_eq!(store.pending_count().unwrap(), 3);
		let batch = store.take_batch(LIMITS).unwrap().unwrap();
		assert_eq!((batch.number, batch.readings.len()), (0, 3));
		assert_eq!(store.pending_count().unwrap(), 0);
		assert!(store.take_batch(LIMITS).unwrap().is_none());
		// Still a duplicate once batched.
		assert_eq!(store.accept(&[reading(2, 0, 7)]).unwrap(), vec![Accepted::Duplicate]);
		assert_eq!(store.unanchored().unwrap().len(), 1);
		let anchored = BatchStatus::Anchored { anchor: 4, block: H256::zero(), finalized_ms: 0 };
		store.set_status(0, anchored.clone()).unwrap();
		assert!(store.unanchored().unwrap().is_empty());
		match store.locate(&H256([1; 32]), 1).unwrap() {
			Some(Location::Batched { batch, index, .. }) => {
				assert_eq!((batch.status.clone(), index), (anchored, 1));
			},
			_ => panic!("reading 1 of device 1 is batched"),
		}
		store.accept(&[reading(1, 2, 0)]).unwrap();
		assert!(matches!(store.locate(&H256([1; 32]), 2).unwrap(), Some(Location::Pending)));
		assert!(store.locate(&H256([1; 32]), 3).unwrap().is_none());
		assert_eq!(store.take_batch(LIMITS).unwrap().unwrap().number, 1);
	}
}
