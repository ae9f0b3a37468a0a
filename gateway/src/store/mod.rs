//! The gateway's embedded database (redb). Every change is one transaction, committed before the
//! gateway acknowledges the MQTT messages behind it, so a crash loses nothing that was accepted.
//!
//! Every reading the gateway accepted is in exactly one place: **pending** (waiting for a
//! batch), **batched** (in a stored batch, with its leaf), or **set aside** (the chain would not
//! take it, with the reason). The rules that move a reading between them are plain code in
//! [`crate::lifecycle`] and the batch's planning is [`Planner`]'s; this module persists what they
//! decide. What the gateway does often is bounded by indexes rather than by history:
//!
//! - the devices with pending readings that may go in a batch now are listed apart (`queued`),
//!   so the next batch is planned from at most `max_devices` devices' first readings, taking
//!   turns from where the last batch stopped;
//! - a device is in at most one unsettled batch (`in_flight`), so a refused batch's readings go
//!   back to the queue still next in their device's sequence;
//! - batches not yet seen anchored are listed apart (`unsettled`);
//! - a batch's head (status, ranges) and its readings are stored apart: settling a batch
//!   rewrites a few hundred bytes, not its readings.

mod documents;
mod group;
mod upgrade;

pub use documents::StoredDocument;

use crate::batch::{leaves, Batch, BatchHead, BatchStatus, Limits, Planner, SealedUnder};
use crate::lifecycle::{
	self, Accepted, AsideDevice, AsideReading, AsideReason, LetGo, Origin, Verdict,
};
use codec::{Decode, Encode};
use iotrust_primitives::{
	device::DeviceId,
	merkle::{MerkleTree, SignedReading},
};
use redb::{Database, ReadableTable, ReadableTableMetadata, TableDefinition};
use sp_core::H256;
use std::collections::BTreeMap;
use std::{
	collections::HashMap,
	ops::Bound::{Excluded, Included, Unbounded},
	path::Path,
	sync::{Arc, Mutex},
};

/// The database's page cache. redb's default (1 GiB) let the gateway's memory grow with its
/// database for as long as it ran; the hot pages (pending readings, the queue, the newest
/// batches) fit in far less.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Accepted readings not yet in a batch: device id ‖ seq (big-endian) → SCALE reading.
const PENDING: TableDefinition<&[u8], &[u8]> = TableDefinition::new("pending");
/// Devices with pending readings that may be planned now: not in flight, not held.
const QUEUED: TableDefinition<&[u8], ()> = TableDefinition::new("queued");
/// Devices in an unsettled batch → its number.
const IN_FLIGHT: TableDefinition<&[u8], u64> = TableDefinition::new("in_flight");
/// Batch heads by number → SCALE [`BatchHead`].
const HEADS: TableDefinition<u64, &[u8]> = TableDefinition::new("batch_heads");
/// Batch readings by number → SCALE `Vec<SignedReading>`, in leaf order.
const BODIES: TableDefinition<u64, &[u8]> = TableDefinition::new("batch_bodies");
/// Numbers of the batches built but not yet settled.
const UNSETTLED: TableDefinition<u64, ()> = TableDefinition::new("unsettled");
/// Batched readings: device id ‖ seq → SCALE [`Placed`].
const LOCATED: TableDefinition<&[u8], &[u8]> = TableDefinition::new("located");
/// Readings set aside: device id ‖ seq → SCALE [`AsideReading`].
const ASIDE: TableDefinition<&[u8], &[u8]> = TableDefinition::new("aside");
/// Devices with readings set aside → SCALE [`AsideDevice`].
const ASIDE_DEVICES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("aside_devices");
/// Each device's highest accepted sequence number.
const LAST_SEQ: TableDefinition<&[u8], u64> = TableDefinition::new("last_seq");
/// Counters: `next_batch`, and `layout` (the database's, see [`upgrade`]).
const META: TableDefinition<&str, u64> = TableDefinition::new("meta");
/// Whose turn it is: the last device a batch served, so the next starts after it.
const TURN: TableDefinition<&str, &[u8]> = TableDefinition::new("turn");
/// Devices whose readings this gateway anchored as private to a channel, and the channel: their
/// readings stay served only to that channel's readers, even after the device leaves it.
const PRIVATE: TableDefinition<&[u8], u32> = TableDefinition::new("private_devices");
/// (batch, device) → (channel, epoch) for each private device's range of a batch: the epoch
/// whose key seals those readings when they leave the gateway ([`SealedUnder`]).
const SEALED: TableDefinition<(u64, &[u8]), (u32, u32)> = TableDefinition::new("sealed_ranges");
/// (batch, leaf index) → leaf hash of each reading purged past its channel's retention: the body
/// keeps only its device and sequence number, the tree its hash.
const PURGED: TableDefinition<(u64, u32), &[u8]> = TableDefinition::new("purged_leaves");
/// (batch, device) of each private range whose readings are all purged.
const PURGED_RANGES: TableDefinition<(u64, &[u8]), ()> = TableDefinition::new("purged_ranges");

/// The database's errors.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
	/// The database could not be opened, read or written.
	#[error("database: {0}")]
	Db(String),
	/// A stored value did not decode: the file is damaged or from another version.
	#[error("database: a stored {what} does not decode: {error}")]
	Corrupt { what: &'static str, error: codec::Error },
	/// The database was written by a newer gateway, in a layout this one does not know.
	#[error("database: written by a newer gateway (layout {0}); run that version or newer")]
	Newer(u64),
	/// No batch with that number.
	#[error("database: no batch {0}")]
	NoBatch(u64),
}

fn db(e: impl Into<redb::Error>) -> StoreError {
	StoreError::Db(e.into().to_string())
}

fn decode<T: Decode>(what: &'static str, mut bytes: &[u8]) -> Result<T> {
	T::decode(&mut bytes).map_err(|error| StoreError::Corrupt { what, error })
}

type Result<T> = std::result::Result<T, StoreError>;

/// Where an accepted reading is.
pub enum Location {
	/// Waiting for a batch.
	Pending,
	/// In a batch, at this leaf.
	Batched { head: Arc<BatchHead>, body: Arc<ProvenBody>, index: u32 },
	/// Set aside.
	Aside(AsideReading),
}

/// A reading and where it is.
pub struct Listed {
	/// The reading.
	pub reading: SignedReading,
	/// Where it is.
	pub location: Location,
}

/// A page of a device's readings.
#[derive(Default)]
pub struct ReadingsPage {
	/// The readings, in sequence order.
	pub readings: Vec<Listed>,
	/// The last sequence number looked at, if the device may have more after it.
	pub next: Option<u64>,
}

/// An anchored batch's readings with their Merkle tree, hashed once, from which every proof of
/// the batch is read without hashing.
pub struct ProvenBody {
	/// The readings, in leaf order (a purged one keeps only its device and sequence number).
	pub readings: Vec<SignedReading>,
	/// Their tree.
	pub tree: MerkleTree,
	/// The leaves whose readings were purged ([`Store::purge_private`]): their hashes stay in
	/// the tree.
	pub purged: std::collections::BTreeSet<u32>,
}

/// Anchored batches recently read for proofs (they never change again), with their trees:
/// the least recently read goes first.
const CACHED_BATCHES: usize = 16;

/// The batches cached for proofs, each with when it was last read (a counter).
#[derive(Default)]
struct BatchCache {
	entries: HashMap<u64, (ProvenBatch, u64)>,
	clock: u64,
	/// Bumped by every purge: a batch read in a snapshot taken before it is not cached.
	generation: u64,
}

impl BatchCache {
	/// The next reading's time.
	fn tick(&mut self) -> u64 {
		self.clock = self.clock.wrapping_add(1);
		self.clock
	}
}

/// Where a batched reading went: its batch, its leaf index and its leaf hash (so a redelivered
/// reading is told from a replay without reading the batch), and when it was measured (so a
/// time range is listed without reading batches).
#[derive(Encode, Decode)]
struct Placed {
	batch: u64,
	index: u32,
	leaf: H256,
	timestamp_ms: u64,
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

fn device_of(k: &[u8]) -> Option<DeviceId> {
	(k.len() == 32).then(|| DeviceId::from_slice(k))
}

/// The bounds of every key of `device` in a device ‖ seq table.
fn device_keys(device: &DeviceId) -> ([u8; 40], [u8; 40]) {
	(key(device, 0), key(device, u64::MAX))
}

/// A batch the planner proposes: each device's run of pending readings, in turn order. Nothing
/// is taken off `pending` until [`Store::commit_batch`].
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Proposal {
	/// Each device's readings, in sequence order.
	pub runs: Vec<(DeviceId, Vec<SignedReading>)>,
	/// The devices whose readings are private to a channel, with the channel and its epoch (the
	/// chain says so when it judges the proposal): their ranges carry no summaries, and their
	/// readings leave the gateway sealed under that epoch's key.
	pub private: std::collections::BTreeMap<DeviceId, SealedUnder>,
}

/// An anchored batch's head and readings, as proofs read them.
type ProvenBatch = (Arc<BatchHead>, Arc<ProvenBody>);

/// The database.
pub struct Store {
	db: Database,
	cache: Mutex<BatchCache>,
}

impl Store {
	/// Open (or create) the database at `path`. Fails if another process has it open.
	pub fn open(path: &Path) -> Result<Self> {
		if let Some(dir) = path.parent() {
			std::fs::create_dir_all(dir).map_err(|e| StoreError::Db(e.to_string()))?;
		}
		let database = redb::Builder::new().set_cache_size(CACHE_BYTES).create(path).map_err(db)?;
		let w = database.begin_write().map_err(db)?;
		match upgrade::layout(&w)? {
			None => {
				w.open_table(META).map_err(db)?.insert("layout", upgrade::LAYOUT).map_err(db)?;
			},
			Some(upgrade::LAYOUT) => {},
			Some(newer) if newer > upgrade::LAYOUT => return Err(StoreError::Newer(newer)),
			Some(older) => {
				let work = if older <= 1 { "; this reads every stored batch once" } else { "" };
				tracing::info!(
					"upgrading the database from layout {older} to {}{work}",
					upgrade::LAYOUT
				);
				upgrade::upgrade(&w, older)?;
			},
		}
		w.open_table(PENDING).map_err(db)?;
		w.open_table(QUEUED).map_err(db)?;
		w.open_table(IN_FLIGHT).map_err(db)?;
		w.open_table(HEADS).map_err(db)?;
		w.open_table(BODIES).map_err(db)?;
		w.open_table(UNSETTLED).map_err(db)?;
		w.open_table(LOCATED).map_err(db)?;
		w.open_table(ASIDE).map_err(db)?;
		w.open_table(ASIDE_DEVICES).map_err(db)?;
		w.open_table(LAST_SEQ).map_err(db)?;
		w.open_table(META).map_err(db)?;
		w.open_table(TURN).map_err(db)?;
		w.open_table(PRIVATE).map_err(db)?;
		w.open_table(SEALED).map_err(db)?;
		w.open_table(PURGED).map_err(db)?;
		w.open_table(PURGED_RANGES).map_err(db)?;
		w.open_table(documents::DOCUMENTS).map_err(db)?;
		w.open_table(group::SHARES).map_err(db)?;
		w.open_table(group::ALTERNATES).map_err(db)?;
		w.commit().map_err(db)?;
		Ok(Self { db: database, cache: Mutex::new(BatchCache::default()) })
	}

	/// Store the readings that are new, in one transaction; says what became of each.
	pub fn accept(&self, readings: &[SignedReading]) -> Result<Vec<Accepted>> {
		let w = self.db.begin_write().map_err(db)?;
		let mut out = Vec::with_capacity(readings.len());
		{
			let mut pending = w.open_table(PENDING).map_err(db)?;
			let mut last_seq = w.open_table(LAST_SEQ).map_err(db)?;
			let mut queued = w.open_table(QUEUED).map_err(db)?;
			let located = w.open_table(LOCATED).map_err(db)?;
			let mut aside = w.open_table(ASIDE).map_err(db)?;
			let in_flight = w.open_table(IN_FLIGHT).map_err(db)?;
			let mut aside_devices = w.open_table(ASIDE_DEVICES).map_err(db)?;
			for r in readings {
				let k = key(&r.device, r.seq);
				let device = r.device.as_bytes();
				let last = last_seq.get(device).map_err(db)?.map(|v| v.value());
				let same = || -> Result<bool> {
					Ok(if let Some(v) = pending.get(&k[..]).map_err(db)? {
						decode::<SignedReading>("reading", v.value())? == *r
					} else if let Some(v) = located.get(&k[..]).map_err(db)? {
						decode::<Placed>("placement", v.value())?.leaf == r.leaf_hash()
					} else if let Some(v) = aside.get(&k[..]).map_err(db)? {
						decode::<AsideReading>("set-aside reading", v.value())?.reading == *r
					} else {
						false
					})
				};
				// A device held out of batches (the chain would not take its readings) has its
				// new readings set aside with it, to be queued again with the others.
				let held = || -> Result<Option<(AsideReason, u64)>> {
					Ok(match aside_devices.get(device).map_err(db)? {
						Some(v) => Some(decode::<AsideDevice>("set-aside device", v.value())?)
							.filter(|a| a.held)
							.map(|a| (a.reason, a.count)),
						None => None,
					})
				};
				let accepted = lifecycle::offered(r.seq, last, same, held)?;
				out.push(accepted);
				if matches!(
					accepted,
					Accepted::Duplicate | Accepted::Replayed { .. } | Accepted::Full
				) {
					continue;
				}
				last_seq.insert(device, r.seq).map_err(db)?;
				if let Accepted::SetAside(reason) = accepted {
					let now = crate::clock::now_ms();
					set_aside(&mut pending, &mut aside, &mut aside_devices, &[r], reason, now)?;
					continue;
				}
				pending.insert(&k[..], &r.encode()[..]).map_err(db)?;
				if in_flight.get(device).map_err(db)?.is_none() {
					queued.insert(device, ()).map_err(db)?;
				}
			}
		}
		w.commit().map_err(db)?;
		Ok(out)
	}

	/// How many accepted readings wait for a batch.
	pub fn pending_count(&self) -> Result<u64> {
		let r = self.db.begin_read().map_err(db)?;
		r.open_table(PENDING).map_err(db)?.len().map_err(db)
	}

	/// How many devices have readings that a batch could take now (not in flight, not held).
	pub fn queued_count(&self) -> Result<u64> {
		let r = self.db.begin_read().map_err(db)?;
		r.open_table(QUEUED).map_err(db)?.len().map_err(db)
	}

	/// The channel `device`'s readings were private to when this gateway last anchored them as
	/// private, if ever.
	pub fn private_channel(&self, device: &DeviceId) -> Result<Option<u32>> {
		let r = self.db.begin_read().map_err(db)?;
		let table = r.open_table(PRIVATE).map_err(db)?;
		Ok(table.get(device.as_bytes()).map_err(db)?.map(|v| v.value()))
	}

	/// The channel and epoch `device`'s readings in batch `number` are sealed under, if they
	/// were private when the batch was made.
	pub fn sealed_under(&self, number: u64, device: &DeviceId) -> Result<Option<SealedUnder>> {
		let r = self.db.begin_read().map_err(db)?;
		let table = r.open_table(SEALED).map_err(db)?;
		let found = table.get((number, device.as_bytes())).map_err(db)?;
		Ok(found.map(|v| {
			let (channel, epoch) = v.value();
			SealedUnder { channel, epoch }
		}))
	}

	/// How many readings are set aside.
	pub fn aside_count(&self) -> Result<u64> {
		let r = self.db.begin_read().map_err(db)?;
		r.open_table(ASIDE).map_err(db)?.len().map_err(db)
	}

	/// How many batches are built and not yet settled.
	pub fn unsettled_count(&self) -> Result<u64> {
		let r = self.db.begin_read().map_err(db)?;
		r.open_table(UNSETTLED).map_err(db)?.len().map_err(db)
	}

	/// Plan the next batch under `limits` from the queued devices, starting after the last one
	/// served and wrapping around: reads at most the first runs of the devices it takes and
	/// changes nothing.
	#[cfg(test)]
	pub fn propose(&self, limits: Limits) -> Result<Proposal> {
		Ok(self.propose_many(limits, 1)?.pop().unwrap_or_default())
	}

	/// Plan up to `most` batches at once, one after the other in turn order and with no
	/// device in two of them, to be committed in order. All of them are full (by devices,
	/// readings or summaries) but for a lone one: a part-filled batch after full ones waits
	/// for the next plan, as its devices' readings may still come.
	pub fn propose_many(&self, limits: Limits, most: usize) -> Result<Vec<Proposal>> {
		let r = self.db.begin_read().map_err(db)?;
		let queued = r.open_table(QUEUED).map_err(db)?;
		let pending = r.open_table(PENDING).map_err(db)?;
		let after = r
			.open_table(TURN)
			.map_err(db)?
			.get("last_served")
			.map_err(db)?
			.and_then(|v| device_of(v.value()));
		let most = most.max(1);
		let mut proposals = Vec::new();
		let mut planner = Planner::new(limits);
		let mut proposal = Proposal::default();
		// Devices after the last one served, then from the start up to it. With none served
		// yet, the empty key is below every device: all of them, then none.
		let start: Vec<u8> = after.map(|d| d.0.to_vec()).unwrap_or_default();
		let tail = queued.range::<&[u8]>((Excluded(&start[..]), Unbounded)).map_err(db)?;
		let head = queued.range::<&[u8]>((Unbounded, Included(&start[..]))).map_err(db)?;
		// A device whose run cannot go in (its summaries would not fit) is passed over; a few
		// batches' worth of them at most.
		for item in tail.chain(head).take(limits.max_devices.saturating_mul(4).saturating_mul(most))
		{
			if planner.is_full() {
				proposals.push(std::mem::take(&mut proposal));
				if proposals.len() >= most {
					break;
				}
				planner = Planner::new(limits);
			}
			let (k, _) = item.map_err(db)?;
			let Some(device) = device_of(k.value()) else { continue };
			let (lo, hi) = device_keys(&device);
			// Read no further than the batch has room for.
			let mut run = Vec::new();
			for item in pending.range(&lo[..]..=&hi[..]).map_err(db)?.take(planner.room()) {
				let (_, v) = item.map_err(db)?;
				run.push(decode::<SignedReading>("reading", v.value())?);
			}
			let taken = planner.take(&run);
			if taken > 0 {
				run.truncate(taken);
				proposal.runs.push((device, run));
			}
		}
		if !proposal.runs.is_empty()
			&& proposals.len() < most
			&& (proposals.is_empty() || planner.is_full())
		{
			proposals.push(proposal);
		}
		Ok(proposals)
	}

	/// Commit a proposal as the chain judged it (`verdicts`, one per run): set aside what the
	/// chain would not take, and store the rest as the next batch, `Built`. Returns the batch,
	/// or `None` if nothing was left to anchor. Readings no longer pending are skipped.
	pub fn commit_batch(
		&self,
		proposal: &Proposal,
		verdicts: &[Verdict],
		now_ms: u64,
	) -> Result<Option<Batch>> {
		let w = self.db.begin_write().map_err(db)?;
		let batch = {
			let mut pending = w.open_table(PENDING).map_err(db)?;
			let mut queued = w.open_table(QUEUED).map_err(db)?;
			let mut aside = w.open_table(ASIDE).map_err(db)?;
			let mut aside_devices = w.open_table(ASIDE_DEVICES).map_err(db)?;
			let mut readings = Vec::new();
			for ((device, run), verdict) in proposal.runs.iter().zip(verdicts) {
				let still: Vec<&SignedReading> = run
					.iter()
					.map(|r| Ok((r, pending.get(&key(device, r.seq)[..]).map_err(db)?.is_some())))
					.collect::<Result<Vec<_>>>()?
					.into_iter()
					.filter_map(|(r, there)| there.then_some(r))
					.collect();
				let sorted = verdict.sort(still);
				if let Some(reason) = sorted.reason {
					set_aside(
						&mut pending,
						&mut aside,
						&mut aside_devices,
						&sorted.aside,
						reason,
						now_ms,
					)?;
				}
				if let Some(reason) = sorted.hold {
					queued.remove(device.as_bytes()).map_err(db)?;
					hold_pending(
						&mut pending,
						&mut aside,
						&mut aside_devices,
						device,
						reason,
						now_ms,
					)?;
				}
				let keep = sorted.keep;
				readings.extend(keep.into_iter().cloned());
			}
			let mut meta = w.open_table(META).map_err(db)?;
			let number = meta.get("next_batch").map_err(db)?.map(|v| v.value()).unwrap_or(0);
			if let Some(last) = proposal.runs.last() {
				w.open_table(TURN)
					.map_err(db)?
					.insert("last_served", last.0.as_bytes())
					.map_err(db)?;
			}
			let mut private = w.open_table(PRIVATE).map_err(db)?;
			for (device, under) in &proposal.private {
				private.insert(device.as_bytes(), under.channel).map_err(db)?;
			}
			let private_set = proposal.private.keys().copied().collect();
			match Batch::build(number, readings, &private_set) {
				None => None,
				Some((batch, leaves)) => {
					let mut located = w.open_table(LOCATED).map_err(db)?;
					let mut in_flight = w.open_table(IN_FLIGHT).map_err(db)?;
					let mut sealed = w.open_table(SEALED).map_err(db)?;
					place(&mut pending, &mut located, number, &batch.readings, leaves)?;
					for range in &batch.head.ranges {
						queued.remove(range.device.as_bytes()).map_err(db)?;
						in_flight.insert(range.device.as_bytes(), number).map_err(db)?;
						if let Some(under) = proposal.private.get(&range.device) {
							let key = (number, range.device.as_bytes());
							sealed.insert(key, (under.channel, under.epoch)).map_err(db)?;
						}
					}
					meta.insert("next_batch", number.saturating_add(1)).map_err(db)?;
					w.open_table(HEADS)
						.map_err(db)?
						.insert(number, &batch.head.encode()[..])
						.map_err(db)?;
					w.open_table(BODIES)
						.map_err(db)?
						.insert(number, &batch.readings.encode()[..])
						.map_err(db)?;
					w.open_table(UNSETTLED).map_err(db)?.insert(number, ()).map_err(db)?;
					Some(batch)
				},
			}
		};
		w.commit().map_err(db)?;
		Ok(batch)
	}

	/// Batch `number` was anchored: record it, and queue its devices again if they have
	/// readings waiting.
	pub fn settle_anchored(&self, number: u64, anchor: u64, block: H256, at_ms: u64) -> Result<()> {
		self.settle(number, BatchStatus::Anchored { anchor, block, finalized_ms: at_ms }, &[], 0)
	}

	/// The chain refused batch `number` for `reason`. The readings of the devices in `culprits`
	/// are set aside with their reason; every other reading goes back to pending, still next in
	/// its device's sequence (a device is in one unsettled batch at most), to be batched again.
	pub fn settle_refused(
		&self,
		number: u64,
		reason: String,
		culprits: &[(DeviceId, AsideReason)],
		now_ms: u64,
	) -> Result<()> {
		self.settle(number, BatchStatus::Refused { reason }, culprits, now_ms)
	}

	fn settle(
		&self,
		number: u64,
		status: BatchStatus,
		culprits: &[(DeviceId, AsideReason)],
		now_ms: u64,
	) -> Result<()> {
		let w = self.db.begin_write().map_err(db)?;
		{
			let mut heads = w.open_table(HEADS).map_err(db)?;
			let mut head: BatchHead = match heads.get(number).map_err(db)? {
				Some(v) => decode("batch head", v.value())?,
				None => return Err(StoreError::NoBatch(number)),
			};
			let refused = matches!(status, BatchStatus::Refused { .. });
			head.status = status;
			heads.insert(number, &head.encode()[..]).map_err(db)?;
			w.open_table(UNSETTLED).map_err(db)?.remove(number).map_err(db)?;
			let mut pending = w.open_table(PENDING).map_err(db)?;
			let mut queued = w.open_table(QUEUED).map_err(db)?;
			let mut in_flight = w.open_table(IN_FLIGHT).map_err(db)?;
			let mut aside = w.open_table(ASIDE).map_err(db)?;
			let mut aside_devices = w.open_table(ASIDE_DEVICES).map_err(db)?;
			if refused {
				let readings: Vec<SignedReading> =
					match w.open_table(BODIES).map_err(db)?.remove(number).map_err(db)? {
						Some(v) => decode("batch body", v.value())?,
						None => vec![],
					};
				let mut located = w.open_table(LOCATED).map_err(db)?;
				for r in &readings {
					let k = key(&r.device, r.seq);
					located.remove(&k[..]).map_err(db)?;
					pending.insert(&k[..], &r.encode()[..]).map_err(db)?;
				}
				for (device, reason) in culprits {
					// A replay sets aside only what the chain already has; the rest may go.
					let theirs: Vec<&SignedReading> = readings
						.iter()
						.filter(|r| r.device == *device && reason.covers(r.seq))
						.collect();
					set_aside(
						&mut pending,
						&mut aside,
						&mut aside_devices,
						&theirs,
						*reason,
						now_ms,
					)?;
					if reason.holds_device() {
						hold_pending(
							&mut pending,
							&mut aside,
							&mut aside_devices,
							device,
							*reason,
							now_ms,
						)?;
					}
				}
			}
			for range in &head.ranges {
				let device = range.device.as_bytes();
				if in_flight.get(device).map_err(db)?.map(|v| v.value()) == Some(number) {
					in_flight.remove(device).map_err(db)?;
				}
			}
			for range in &head.ranges {
				let device = &range.device;
				let (lo, hi) = device_keys(device);
				let waiting = pending.range(&lo[..]..=&hi[..]).map_err(db)?.next().is_some();
				if waiting && !is_held(&aside_devices, device.as_bytes())? {
					queued.insert(device.as_bytes(), ()).map_err(db)?;
				}
			}
		}
		w.commit().map_err(db)?;
		self.cache.lock().unwrap_or_else(|p| p.into_inner()).entries.remove(&number);
		Ok(())
	}

	/// Batches built but not yet settled, oldest first, with their readings.
	pub fn unsettled(&self) -> Result<Vec<Batch>> {
		let r = self.db.begin_read().map_err(db)?;
		let heads = r.open_table(HEADS).map_err(db)?;
		let bodies = r.open_table(BODIES).map_err(db)?;
		let mut out = Vec::new();
		for item in r.open_table(UNSETTLED).map_err(db)?.iter().map_err(db)? {
			let number = item.map_err(db)?.0.value();
			let head = heads.get(number).map_err(db)?.ok_or(StoreError::NoBatch(number))?;
			let body = bodies.get(number).map_err(db)?.ok_or(StoreError::NoBatch(number))?;
			out.push(Batch {
				head: decode("batch head", head.value())?,
				readings: decode("batch body", body.value())?,
			});
		}
		Ok(out)
	}

	/// The head of batch `number`, if it was built.
	pub fn head(&self, number: u64) -> Result<Option<BatchHead>> {
		let r = self.db.begin_read().map_err(db)?;
		match r.open_table(HEADS).map_err(db)?.get(number).map_err(db)? {
			Some(v) => Ok(Some(decode("batch head", v.value())?)),
			None => Ok(None),
		}
	}

	/// The number the next batch gets.
	pub fn next_batch(&self) -> Result<u64> {
		let r = self.db.begin_read().map_err(db)?;
		Ok(r.open_table(META).map_err(db)?.get("next_batch").map_err(db)?.map_or(0, |v| v.value()))
	}

	/// Number the next batches from `next` on, if that is above the current numbering: after
	/// the chain shows batch numbers this database did not build.
	pub fn raise_next_batch(&self, next: u64) -> Result<()> {
		let w = self.db.begin_write().map_err(db)?;
		{
			let mut meta = w.open_table(META).map_err(db)?;
			let now = meta.get("next_batch").map_err(db)?.map_or(0, |v| v.value());
			if next > now {
				meta.insert("next_batch", next).map_err(db)?;
			}
			// A fresh database: the batches numbered below this were built before it.
			if now == 0 && meta.get("first_batch").map_err(db)?.is_none() {
				meta.insert("first_batch", next).map_err(db)?;
			}
		}
		w.commit().map_err(db)
	}

	/// Whose batch `number`, anchored on chain from this gateway's account with `root`, is.
	pub fn origin(&self, number: u64, root: &H256) -> Result<Origin> {
		if let Some(head) = self.head(number)? {
			return Ok(Origin::of(number, root, Some(head.header.root), 0));
		}
		// Only a number this database never built needs its first batch.
		let r = self.db.begin_read().map_err(db)?;
		let first = r
			.open_table(META)
			.map_err(db)?
			.get("first_batch")
			.map_err(db)?
			.map_or(0, |v| v.value());
		Ok(Origin::of(number, root, None, first))
	}

	/// Where reading `seq` of `device` is, if it was accepted.
	pub fn locate(&self, device: &DeviceId, seq: u64) -> Result<Option<Location>> {
		let generation = self.generation();
		let r = self.db.begin_read().map_err(db)?;
		let k = key(device, seq);
		if r.open_table(PENDING).map_err(db)?.get(&k[..]).map_err(db)?.is_some() {
			return Ok(Some(Location::Pending));
		}
		if let Some(v) = r.open_table(ASIDE).map_err(db)?.get(&k[..]).map_err(db)? {
			return Ok(Some(Location::Aside(decode("set-aside reading", v.value())?)));
		}
		let Some(v) = r.open_table(LOCATED).map_err(db)?.get(&k[..]).map_err(db)? else {
			return Ok(None);
		};
		let Placed { batch: number, index, .. } = decode("placement", v.value())?;
		let (head, body) = self.proven_batch(&r, number, generation)?;
		Ok(Some(Location::Batched { head, body, index }))
	}

	/// The channels whose ranges this gateway recorded as private.
	pub fn sealed_channels(&self) -> Result<std::collections::BTreeSet<u32>> {
		let r = self.db.begin_read().map_err(db)?;
		let table = r.open_table(SEALED).map_err(db)?;
		let mut out = std::collections::BTreeSet::new();
		for entry in table.iter().map_err(db)? {
			out.insert(entry.map_err(db)?.1.value().0);
		}
		Ok(out)
	}

	/// Purge the readings of private ranges (those a batch recorded as sealed under a channel)
	/// whose batch was seen finalized before their channel's cutoff in `cutoffs` (no entry:
	/// kept), at most `ranges_at_most` ranges, in batch order: each reading keeps only its device
	/// and sequence number in its batch's body, and its leaf hash (so every proof of the batch
	/// still holds, and the purged reading's too, without the reading). Public ranges are never
	/// touched. How many readings were purged, and how many ranges (fewer than `ranges_at_most`:
	/// none is left to purge now).
	pub fn purge_private(
		&self,
		cutoffs: &BTreeMap<u32, u64>,
		ranges_at_most: usize,
	) -> Result<(usize, usize)> {
		let r = self.db.begin_read().map_err(db)?;
		// The private ranges due, by batch.
		let mut due: BTreeMap<u64, Vec<DeviceId>> = BTreeMap::new();
		{
			let sealed = r.open_table(SEALED).map_err(db)?;
			let done = r.open_table(PURGED_RANGES).map_err(db)?;
			let heads = r.open_table(HEADS).map_err(db)?;
			let mut finalized: BTreeMap<u64, Option<u64>> = BTreeMap::new();
			let mut ranges = 0usize;
			for entry in sealed.iter().map_err(db)? {
				let (k, v) = entry.map_err(db)?;
				let (batch, device) = k.value();
				let Some(cutoff) = cutoffs.get(&v.value().0) else { continue };
				if done.get((batch, device)).map_err(db)?.is_some() {
					continue;
				}
				let at = match finalized.get(&batch) {
					Some(at) => *at,
					None => {
						let head: Option<BatchHead> = match heads.get(batch).map_err(db)? {
							Some(v) => Some(decode("batch head", v.value())?),
							None => None,
						};
						let at = head.and_then(|h| match h.status {
							BatchStatus::Anchored { finalized_ms, .. } => Some(finalized_ms),
							_ => None,
						});
						finalized.insert(batch, at);
						at
					},
				};
				if at.is_some_and(|at| at < *cutoff) {
					due.entry(batch).or_default().push(DeviceId::from_slice(device));
					ranges += 1;
					if ranges >= ranges_at_most {
						break;
					}
				}
			}
		}
		drop(r);
		let ranges: usize = due.values().map(Vec::len).sum();
		if ranges == 0 {
			return Ok((0, 0));
		}
		let w = self.db.begin_write().map_err(db)?;
		let count = {
			let mut bodies = w.open_table(BODIES).map_err(db)?;
			let mut purged = w.open_table(PURGED).map_err(db)?;
			let mut done = w.open_table(PURGED_RANGES).map_err(db)?;
			let mut count = 0usize;
			for (number, devices) in &due {
				let body = bodies.get(*number).map_err(db)?.map(|v| v.value().to_vec());
				let Some(body) = body else { continue };
				let mut readings: Vec<SignedReading> = decode("batch body", &body)?;
				for (index, r) in readings.iter_mut().enumerate() {
					if !devices.contains(&r.device) {
						continue;
					}
					let index = index as u32;
					if purged.get((*number, index)).map_err(db)?.is_some() {
						continue;
					}
					purged.insert((*number, index), r.leaf_hash().as_bytes()).map_err(db)?;
					*r = SignedReading {
						device: r.device,
						seq: r.seq,
						timestamp_ms: 0,
						metrics: vec![],
						signature: iotrust_primitives::device::DeviceSignature::Ed25519([0; 64]),
					};
					count += 1;
				}
				bodies.insert(*number, &readings.encode()[..]).map_err(db)?;
				for device in devices {
					done.insert((*number, device.as_bytes()), ()).map_err(db)?;
				}
			}
			count
		};
		w.commit().map_err(db)?;
		let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
		cache.generation = cache.generation.wrapping_add(1);
		for number in due.keys() {
			cache.entries.remove(number);
		}
		Ok((count, ranges))
	}

	/// The purge generation now: take it before a read snapshot and give it to
	/// [`Store::proven_batch`].
	fn generation(&self) -> u64 {
		self.cache.lock().unwrap_or_else(|p| p.into_inner()).generation
	}

	/// `generation` is [`Store::generation`] from before `r` was taken: if a purge came since, the
	/// batch read from `r` may predate it and is not cached.
	fn proven_batch(
		&self,
		r: &redb::ReadTransaction,
		number: u64,
		generation: u64,
	) -> Result<ProvenBatch> {
		let cached = {
			let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
			let tick = cache.tick();
			cache.entries.get_mut(&number).map(|(batch, used)| {
				*used = tick;
				batch.clone()
			})
		};
		if let Some(batch) = cached {
			return Ok(batch);
		}
		let head: BatchHead = match r.open_table(HEADS).map_err(db)?.get(number).map_err(db)? {
			Some(v) => decode("batch head", v.value())?,
			None => return Err(StoreError::NoBatch(number)),
		};
		let readings: Vec<SignedReading> =
			match r.open_table(BODIES).map_err(db)?.get(number).map_err(db)? {
				Some(v) => decode("batch body", v.value())?,
				None => return Err(StoreError::NoBatch(number)),
			};
		let mut hashes = leaves(&readings);
		let mut purged = std::collections::BTreeSet::new();
		for entry in
			r.open_table(PURGED).map_err(db)?.range((number, 0)..=(number, u32::MAX)).map_err(db)?
		{
			let (k, v) = entry.map_err(db)?;
			let index = k.value().1;
			if let Some(leaf) = hashes.get_mut(index as usize) {
				*leaf = H256::from_slice(v.value());
				purged.insert(index);
			}
		}
		let tree = MerkleTree::new(hashes).ok_or(StoreError::NoBatch(number))?;
		let body = Arc::new(ProvenBody { tree, readings, purged });
		let head = Arc::new(head);
		let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
		if matches!(head.status, BatchStatus::Anchored { .. }) && cache.generation == generation {
			if cache.entries.len() >= CACHED_BATCHES {
				let least =
					cache.entries.iter().min_by_key(|(_, (_, used))| *used).map(|(n, _)| *n);
				if let Some(least) = least {
					cache.entries.remove(&least);
				}
			}
			let tick = cache.tick();
			cache.entries.insert(number, ((head.clone(), body.clone()), tick));
		}
		Ok((head, body))
	}

	/// `device`'s accepted readings measured within `from_ms..=to_ms`, in sequence order after
	/// sequence number `after`: at most `limit` of them, from at most `scan` readings looked at.
	/// `next` is where to go on from (as `after`) if the device may have more.
	pub fn readings(
		&self,
		device: &DeviceId,
		(from_ms, to_ms): (u64, u64),
		after: Option<u64>,
		limit: usize,
		scan: usize,
	) -> Result<ReadingsPage> {
		let start = match after {
			None => 0,
			Some(u64::MAX) => return Ok(ReadingsPage::default()),
			Some(seq) => seq + 1,
		};
		let (lo, hi) = (key(device, start), key(device, u64::MAX));
		let generation = self.generation();
		let r = self.db.begin_read().map_err(db)?;
		let (pending, located, aside) = (
			r.open_table(PENDING).map_err(db)?,
			r.open_table(LOCATED).map_err(db)?,
			r.open_table(ASIDE).map_err(db)?,
		);
		let seq_of = |k: &[u8]| split_key(k).map(|(_, seq)| seq).unwrap_or(u64::MAX);
		let mut pending = pending.range(&lo[..]..=&hi[..]).map_err(db)?.peekable();
		let mut located = located.range(&lo[..]..=&hi[..]).map_err(db)?.peekable();
		let mut aside = aside.range(&lo[..]..=&hi[..]).map_err(db)?.peekable();
		let mut page = ReadingsPage::default();
		let mut looked = 0;
		loop {
			let peek = |it: &mut std::iter::Peekable<_>| -> Result<Option<u64>> {
				match it.peek() {
					None => Ok(None),
					Some(Ok((k, _))) => Ok(Some(seq_of(redb::AccessGuard::value(k)))),
					Some(Err(_)) => match it.next() {
						Some(Err(e)) => Err(db(e)),
						_ => Ok(None),
					},
				}
			};
			let next = [peek(&mut pending)?, peek(&mut located)?, peek(&mut aside)?];
			let Some(seq) = next.iter().flatten().min().copied() else {
				page.next = None;
				return Ok(page);
			};
			if page.readings.len() == limit || looked == scan {
				return Ok(page);
			}
			looked += 1;
			page.next = Some(seq);
			let listed = if next[0] == Some(seq) {
				let (_, v) = pending.next().expect("peeked; qed").map_err(db)?;
				let reading: SignedReading = decode("reading", v.value())?;
				Listed { reading, location: Location::Pending }
			} else if next[1] == Some(seq) {
				let (_, v) = located.next().expect("peeked; qed").map_err(db)?;
				let placed: Placed = decode("placement", v.value())?;
				if placed.timestamp_ms < from_ms || placed.timestamp_ms > to_ms {
					continue;
				}
				let (head, body) = self.proven_batch(&r, placed.batch, generation)?;
				let Some(reading) = body.readings.get(placed.index as usize).cloned() else {
					return Err(StoreError::NoBatch(placed.batch));
				};
				// Its time was checked on its placement (a purged reading keeps no time).
				page.readings.push(Listed {
					reading,
					location: Location::Batched { head, body, index: placed.index },
				});
				continue;
			} else {
				let (_, v) = aside.next().expect("peeked; qed").map_err(db)?;
				let entry: AsideReading = decode("set-aside reading", v.value())?;
				Listed { reading: entry.reading.clone(), location: Location::Aside(entry) }
			};
			if (from_ms..=to_ms).contains(&listed.reading.timestamp_ms) {
				page.readings.push(listed);
			}
		}
	}

	/// Up to `limit` devices with readings set aside, after `after`, in device-id order.
	pub fn aside_devices(
		&self,
		after: Option<DeviceId>,
		limit: usize,
	) -> Result<Vec<(DeviceId, AsideDevice)>> {
		let r = self.db.begin_read().map_err(db)?;
		let t = r.open_table(ASIDE_DEVICES).map_err(db)?;
		let start: Vec<u8> = after.map(|d| d.0.to_vec()).unwrap_or_default();
		let mut out = Vec::new();
		for item in t.range::<&[u8]>((Excluded(&start[..]), Unbounded)).map_err(db)?.take(limit) {
			let (k, v) = item.map_err(db)?;
			if let Some(device) = device_of(k.value()) {
				out.push((device, decode("set-aside device", v.value())?));
			}
		}
		Ok(out)
	}

	/// Up to `limit` of `device`'s readings set aside, from sequence number `from` on.
	pub fn aside_readings(
		&self,
		device: &DeviceId,
		from: u64,
		limit: usize,
	) -> Result<Vec<AsideReading>> {
		let r = self.db.begin_read().map_err(db)?;
		let t = r.open_table(ASIDE).map_err(db)?;
		let (lo, hi) = (key(device, from), key(device, u64::MAX));
		let mut out = Vec::new();
		for item in t.range(&lo[..]..=&hi[..]).map_err(db)?.take(limit) {
			out.push(decode("set-aside reading", item.map_err(db)?.1.value())?);
		}
		Ok(out)
	}

	/// Up to `limit` devices held out of batches, each with the lowest sequence number it has
	/// set aside: to ask the chain whether it would take them again.
	pub fn held_devices(&self, limit: usize) -> Result<Vec<(DeviceId, u64)>> {
		let r = self.db.begin_read().map_err(db)?;
		let devices = r.open_table(ASIDE_DEVICES).map_err(db)?;
		let aside = r.open_table(ASIDE).map_err(db)?;
		let mut out = Vec::new();
		for item in devices.iter().map_err(db)? {
			if out.len() >= limit {
				break;
			}
			let (k, v) = item.map_err(db)?;
			let Some(device) = device_of(k.value()) else { continue };
			if !decode::<AsideDevice>("set-aside device", v.value())?.held {
				continue;
			}
			let (lo, hi) = device_keys(&device);
			let first = aside.range(&lo[..]..=&hi[..]).map_err(db)?.next();
			if let Some(item) = first {
				if let Some((_, seq)) = split_key(item.map_err(db)?.0.value()) {
					out.push((device, seq));
				}
			}
		}
		Ok(out)
	}

	/// The chain would take `device`'s readings from `from` on again: stop holding it, and put
	/// its held readings from `from` on back in the queue (those below stay aside, as replays).
	/// Returns how many readings went back.
	pub fn release(&self, device: &DeviceId, from: u64, now_ms: u64) -> Result<u64> {
		let w = self.db.begin_write().map_err(db)?;
		let back = {
			let mut aside = w.open_table(ASIDE).map_err(db)?;
			let mut aside_devices = w.open_table(ASIDE_DEVICES).map_err(db)?;
			let mut pending = w.open_table(PENDING).map_err(db)?;
			let (lo, hi) = device_keys(device);
			let mut entries = Vec::new();
			for item in aside.range(&lo[..]..=&hi[..]).map_err(db)? {
				let (k, v) = item.map_err(db)?;
				entries.push((
					k.value().to_vec(),
					decode::<AsideReading>("set-aside reading", v.value())?,
				));
			}
			let mut back = 0u64;
			let mut left = 0u64;
			for (k, mut entry) in entries {
				match LetGo::of(entry.reason, entry.reading.seq, from) {
					LetGo::Requeue => {
						aside.remove(&k[..]).map_err(db)?;
						pending.insert(&k[..], &entry.reading.encode()[..]).map_err(db)?;
						back += 1;
					},
					LetGo::Replayed(reason) => {
						entry.reason = reason;
						entry.at_ms = now_ms;
						aside.insert(&k[..], &entry.encode()[..]).map_err(db)?;
						left += 1;
					},
					LetGo::Stays => left += 1,
				}
			}
			if left == 0 {
				aside_devices.remove(device.as_bytes()).map_err(db)?;
			} else {
				let entry = AsideDevice {
					reason: AsideReason::replayed_below(from),
					count: left,
					held: false,
					since_ms: now_ms,
				};
				aside_devices.insert(device.as_bytes(), &entry.encode()[..]).map_err(db)?;
			}
			let waiting = pending.range(&lo[..]..=&hi[..]).map_err(db)?.next().is_some();
			let flying =
				w.open_table(IN_FLIGHT).map_err(db)?.get(device.as_bytes()).map_err(db)?.is_some();
			if waiting && !flying {
				w.open_table(QUEUED).map_err(db)?.insert(device.as_bytes(), ()).map_err(db)?;
			}
			back
		};
		w.commit().map_err(db)?;
		Ok(back)
	}
}

/// Move `readings` (batch `number`'s, in leaf order, with their `leaves`) from pending to their
/// places in the batch.
fn place(
	pending: &mut redb::Table<&'static [u8], &'static [u8]>,
	located: &mut redb::Table<&'static [u8], &'static [u8]>,
	number: u64,
	readings: &[SignedReading],
	leaves: Vec<H256>,
) -> Result<()> {
	for (index, (r, leaf)) in readings.iter().zip(leaves).enumerate() {
		let k = key(&r.device, r.seq);
		pending.remove(&k[..]).map_err(db)?;
		let placed =
			Placed { batch: number, index: index as u32, leaf, timestamp_ms: r.timestamp_ms };
		located.insert(&k[..], &placed.encode()[..]).map_err(db)?;
	}
	Ok(())
}

/// Whether `device` is held out of batches.
fn is_held(
	aside_devices: &impl ReadableTable<&'static [u8], &'static [u8]>,
	device: &[u8],
) -> Result<bool> {
	match aside_devices.get(device).map_err(db)? {
		Some(v) => Ok(decode::<AsideDevice>("set-aside device", v.value())?.held),
		None => Ok(false),
	}
}

/// Set aside every pending reading of `device` with `reason` (it is held now: none of its
/// readings may wait in pending, unseen).
fn hold_pending(
	pending: &mut redb::Table<&'static [u8], &'static [u8]>,
	aside: &mut redb::Table<&'static [u8], &'static [u8]>,
	aside_devices: &mut redb::Table<&'static [u8], &'static [u8]>,
	device: &DeviceId,
	reason: AsideReason,
	now_ms: u64,
) -> Result<()> {
	let (lo, hi) = device_keys(device);
	let mut waiting = Vec::new();
	for item in pending.range(&lo[..]..=&hi[..]).map_err(db)? {
		let (_, v) = item.map_err(db)?;
		waiting.push(decode::<SignedReading>("reading", v.value())?);
	}
	set_aside(pending, aside, aside_devices, &waiting.iter().collect::<Vec<_>>(), reason, now_ms)
}

/// Move `readings` (all of one device) from pending to the set-aside readings, with `reason`.
fn set_aside(
	pending: &mut redb::Table<&'static [u8], &'static [u8]>,
	aside: &mut redb::Table<&'static [u8], &'static [u8]>,
	aside_devices: &mut redb::Table<&'static [u8], &'static [u8]>,
	readings: &[&SignedReading],
	reason: AsideReason,
	now_ms: u64,
) -> Result<()> {
	let Some(first) = readings.first() else { return Ok(()) };
	for r in readings {
		let k = key(&r.device, r.seq);
		pending.remove(&k[..]).map_err(db)?;
		let entry = AsideReading { reading: (*r).clone(), reason, at_ms: now_ms };
		aside.insert(&k[..], &entry.encode()[..]).map_err(db)?;
	}
	let device = first.device.as_bytes();
	let before = match aside_devices.get(device).map_err(db)? {
		Some(v) => Some(decode::<AsideDevice>("set-aside device", v.value())?),
		None => None,
	};
	let entry = AsideDevice::after(before.as_ref(), reason, readings.len() as u64, now_ms);
	aside_devices.insert(device, &entry.encode()[..]).map_err(db)?;
	Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	pub(crate) use crate::lifecycle::tests::reading;

	fn d(n: u8) -> DeviceId {
		H256([n; 32])
	}

	const LIMITS: Limits =
		Limits { max_devices: 100, max_readings: 100, max_metrics: 8, max_summaries: 1_000 };

	pub(crate) fn open() -> (tempfile::TempDir, Store) {
		let dir = tempfile::tempdir().unwrap();
		let store = Store::open(&dir.path().join("gateway.redb")).unwrap();
		(dir, store)
	}

	/// Plan and store the next batch with every device admitted.
	fn cut(store: &Store, limits: Limits) -> Option<Batch> {
		let p = store.propose(limits).unwrap();
		let verdicts = vec![Verdict::Admit { from: 0 }; p.runs.len()];
		store.commit_batch(&p, &verdicts, 1).unwrap()
	}

	fn devices(batch: &Batch) -> Vec<u8> {
		batch.head.ranges.iter().map(|r| r.device.0[0]).collect()
	}

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
			assert!(Store::open(&path).is_err(), "a second process cannot open it");
		}
		let store = Store::open(&path).unwrap();
		assert_eq!(store.pending_count().unwrap(), 3);
		let batch = cut(&store, LIMITS).unwrap();
		assert_eq!((batch.head.header.batch, batch.readings.len()), (0, 3));
		assert_eq!(store.pending_count().unwrap(), 0);
		assert!(cut(&store, LIMITS).is_none());
		// Still a duplicate once batched.
		assert_eq!(store.accept(&[reading(2, 0, 7)]).unwrap(), vec![Accepted::Duplicate]);
		assert_eq!(store.unsettled().unwrap(), vec![batch.clone()]);
		store.settle_anchored(0, 4, H256::zero(), 9).unwrap();
		assert!(store.unsettled().unwrap().is_empty());
		match store.locate(&d(1), 1).unwrap() {
			Some(Location::Batched { head, index, body }) => {
				assert_eq!(index, 1);
				assert!(matches!(head.status, BatchStatus::Anchored { anchor: 4, .. }));
				assert_eq!(body.readings, batch.readings);
			},
			_ => panic!("reading 1 of device 1 is batched"),
		}
		store.accept(&[reading(1, 2, 0)]).unwrap();
		assert!(matches!(store.locate(&d(1), 2).unwrap(), Some(Location::Pending)));
		assert!(store.locate(&d(1), 3).unwrap().is_none());
		assert_eq!(cut(&store, LIMITS).unwrap().head.header.batch, 1);
	}

	/// The attack of a device owner sharing the gateway: its device, suspended, gets a whole
	/// batch refused. The other devices' readings go back to the queue, still next in their
	/// sequences; the suspended device's are set aside, listed with the reason, and it is held
	/// out of batches.
	#[test]
	fn attack_a_refused_batch_costs_no_other_device_a_reading() {
		let (_dir, store) = open();
		for n in 1..=3 {
			store.accept(&[reading(n, 0, 1), reading(n, 1, 2)]).unwrap();
		}
		let batch = cut(&store, LIMITS).unwrap();
		assert_eq!(devices(&batch), vec![1, 2, 3]);
		store
			.settle_refused(
				0,
				"Anchoring.DeviceNotActive".into(),
				&[(d(2), AsideReason::DeviceNotActive)],
				5,
			)
			.unwrap();
		assert_eq!((store.pending_count().unwrap(), store.aside_count().unwrap()), (4, 2));
		assert!(store.unsettled().unwrap().is_empty());
		assert!(matches!(
			store.head(0).unwrap().unwrap().status,
			BatchStatus::Refused { ref reason } if reason == "Anchoring.DeviceNotActive"
		));
		match store.locate(&d(2), 1).unwrap() {
			Some(Location::Aside(a)) => {
				assert_eq!((a.reason, a.at_ms), (AsideReason::DeviceNotActive, 5))
			},
			_ => panic!("device 2's reading is set aside"),
		}
		let listed = store.aside_devices(None, 10).unwrap();
		assert_eq!(listed.len(), 1);
		assert_eq!((listed[0].0, listed[0].1.count, listed[0].1.held), (d(2), 2, true));
		assert_eq!(store.aside_readings(&d(2), 1, 10).unwrap().len(), 1);
		// New readings of the held device are set aside with it; the others are batched again
		// from seq 0.
		store.accept(&[reading(2, 2, 3)]).unwrap();
		let again = cut(&store, LIMITS).unwrap();
		assert_eq!(devices(&again), vec![1, 3]);
		assert!(again.head.ranges.iter().all(|r| (r.first, r.last) == (0, 1)));
		assert_eq!(store.held_devices(10).unwrap(), vec![(d(2), 0)]);
		// Resumed on chain: its readings from 0 on are queued again, in order.
		assert_eq!(store.release(&d(2), 0, 6).unwrap(), 3);
		assert_eq!(store.aside_count().unwrap(), 0);
		assert!(store.aside_devices(None, 10).unwrap().is_empty());
		let third = cut(&store, LIMITS).unwrap();
		assert_eq!(devices(&third), vec![2]);
		assert_eq!((third.head.ranges[0].first, third.head.ranges[0].last), (0, 2));
	}

	/// Several batches planned at once: disjoint, in turn order, all full but for a lone one,
	/// and committed in order they serve every device once.
	#[test]
	fn batches_planned_at_once_are_disjoint_and_full() {
		let (_dir, store) = open();
		for n in 1..=11 {
			store.accept(&[reading(n, 0, 0), reading(n, 1, 0)]).unwrap();
		}
		let three = Limits { max_devices: 3, ..LIMITS };
		let planned = store.propose_many(three, 8).unwrap();
		let runs: Vec<Vec<u8>> =
			planned.iter().map(|p| p.runs.iter().map(|(d, _)| d.0[0]).collect()).collect();
		// The part-filled fourth (devices 10 and 11) waits for the next plan.
		assert_eq!(runs, vec![vec![1, 2, 3], vec![4, 5, 6], vec![7, 8, 9]]);
		assert_eq!(store.propose_many(three, 2).unwrap().len(), 2);
		for p in &planned {
			let admit = vec![Verdict::Admit { from: 0 }; p.runs.len()];
			store.commit_batch(p, &admit, 1).unwrap().unwrap();
		}
		// A lone part-filled batch is planned.
		let rest = store.propose_many(three, 8).unwrap();
		assert_eq!(rest.len(), 1);
		assert_eq!(rest[0].runs.iter().map(|(d, _)| d.0[0]).collect::<Vec<_>>(), vec![10, 11]);
	}

	/// A private device's range carries no summaries, and its batch records the channel epoch
	/// its readings are sealed under; the device stays private in the store.
	#[test]
	fn a_private_devices_range_is_recorded_with_its_epoch() {
		let (_dir, store) = open();
		store.accept(&[reading(1, 0, 5), reading(2, 0, 6)]).unwrap();
		let mut p = store.propose(LIMITS).unwrap();
		let under = SealedUnder { channel: 3, epoch: 2 };
		p.private.insert(d(1), under);
		let verdicts = vec![Verdict::Admit { from: 0 }; p.runs.len()];
		let batch = store.commit_batch(&p, &verdicts, 1).unwrap().unwrap();
		let n = batch.head.header.batch;
		assert!(batch.head.ranges.iter().find(|r| r.device == d(1)).unwrap().summaries.is_empty());
		assert!(!batch.head.ranges.iter().find(|r| r.device == d(2)).unwrap().summaries.is_empty());
		assert_eq!(store.sealed_under(n, &d(1)).unwrap(), Some(under));
		assert_eq!(store.sealed_under(n, &d(2)).unwrap(), None);
		assert_eq!(store.sealed_under(n + 1, &d(1)).unwrap(), None);
		assert_eq!(store.private_channel(&d(1)).unwrap(), Some(3));
		assert_eq!(store.private_channel(&d(2)).unwrap(), None);
	}

	/// Past retention a private range's readings leave the database: their leaves stay, so
	/// every proof of their batches still holds; public ranges (the same device before it was
	/// private), other channels' ranges and later batches are untouched.
	#[test]
	fn a_purged_reading_leaves_its_leaf_and_every_proof() {
		let (_dir, store) = open();
		let cut = |store: &Store, private: &[(u8, u32)], at_ms| {
			let mut p = store.propose(LIMITS).unwrap();
			for (device, channel) in private {
				p.private.insert(d(*device), SealedUnder { channel: *channel, epoch: 1 });
			}
			let admit = vec![Verdict::Admit { from: 0 }; p.runs.len()];
			let batch = store.commit_batch(&p, &admit, 1).unwrap().unwrap();
			store.settle_anchored(batch.head.header.batch, 4, H256::zero(), at_ms).unwrap();
			batch
		};
		// Device 1 public, then private to channel 0; device 3 private to channel 7.
		store.accept(&[reading(1, 0, 5)]).unwrap();
		cut(&store, &[], 50);
		store
			.accept(&[reading(1, 1, 5), reading(1, 2, 6), reading(2, 0, 7), reading(3, 0, 1)])
			.unwrap();
		let first = cut(&store, &[(1, 0), (3, 7)], 100);
		store.accept(&[reading(1, 3, 8)]).unwrap();
		cut(&store, &[(1, 0)], 300);
		assert_eq!(store.sealed_channels().unwrap(), [0, 7].into());
		// Channel 0 past 200: device 1's two readings of the first private batch; one range at a
		// time; channel 7 has no cutoff.
		let cutoffs: BTreeMap<u32, u64> = [(0, 200)].into();
		assert_eq!(store.purge_private(&cutoffs, 1).unwrap(), (2, 1));
		assert_eq!(store.purge_private(&cutoffs, 10).unwrap(), (0, 0), "nothing left before 200");
		let root = first.head.header.root;
		for (device, seq, gone) in [(1, 1, true), (1, 2, true), (2, 0, false), (3, 0, false)] {
			let Some(Location::Batched { body, index, .. }) =
				store.locate(&d(device), seq).unwrap()
			else {
				panic!("batched")
			};
			assert_eq!(body.tree.root(), root, "the tree is the anchored one");
			let proof = body.tree.proof(index).unwrap();
			let leaf = body.tree.leaves()[index as usize];
			assert!(iotrust_primitives::merkle::verify_proof(&root, &leaf, &proof));
			assert_eq!(body.purged.contains(&index), gone);
			let r = &body.readings[index as usize];
			assert_eq!((r.device, r.seq, r.metrics.is_empty()), (d(device), seq, gone));
		}
		// Far past every batch: the later private batch goes; the public one never.
		let cutoffs: BTreeMap<u32, u64> = [(0, u64::MAX), (7, 0)].into();
		assert_eq!(store.purge_private(&cutoffs, 10).unwrap(), (1, 1));
		for (seq, gone) in [(0, false), (3, true)] {
			let Some(Location::Batched { body, index, .. }) = store.locate(&d(1), seq).unwrap()
			else {
				panic!("batched")
			};
			assert_eq!(body.purged.contains(&index), gone, "seq {seq}");
		}
		// A purged reading is listed in its time range still (its placement keeps its time).
		let page = store.readings(&d(1), (1, 2), None, 10, 100).unwrap();
		assert_eq!(page.readings.iter().map(|l| l.reading.seq).collect::<Vec<_>>(), vec![1, 2]);
	}

	/// The chain already has a device's readings up to 4 (another gateway anchored them): only
	/// those are set aside; the rest go in the batch.
	#[test]
	fn replayed_readings_alone_are_set_aside() {
		let (_dir, store) = open();
		store.accept(&(0..8).map(|s| reading(1, s, 0)).collect::<Vec<_>>()).unwrap();
		store.accept(&[reading(2, 0, 0)]).unwrap();
		let p = store.propose(LIMITS).unwrap();
		let batch = store
			.commit_batch(&p, &[Verdict::Admit { from: 5 }, Verdict::Admit { from: 0 }], 1)
			.unwrap()
			.unwrap();
		assert_eq!((batch.head.ranges[0].first, batch.head.ranges[0].last), (5, 7));
		assert_eq!(store.aside_count().unwrap(), 5);
		let listed = store.aside_devices(None, 10).unwrap();
		assert_eq!(listed[0].1.reason, AsideReason::SequenceReplay { last: 4 });
		assert!(!listed[0].1.held, "a replay does not hold the device");
		// A device the chain refuses outright is set aside whole and held.
		store.accept(&[reading(3, 0, 0)]).unwrap();
		let p = store.propose(LIMITS).unwrap();
		assert_eq!(p.runs.len(), 1, "devices 1 and 2 are in flight");
		assert!(store
			.commit_batch(&p, &[Verdict::Aside(AsideReason::NotDeviceGateway)], 1)
			.unwrap()
			.is_none());
		assert_eq!(store.held_devices(10).unwrap(), vec![(d(3), 0)]);
	}

	/// A device is in one unsettled batch at most: its newer readings wait until that batch is
	/// settled, so a refused batch's readings are still next in its sequence.
	#[test]
	fn a_device_waits_while_its_batch_is_in_flight() {
		let (_dir, store) = open();
		store.accept(&[reading(1, 0, 0), reading(2, 0, 0)]).unwrap();
		let first = cut(&store, LIMITS).unwrap();
		store.accept(&[reading(1, 1, 0), reading(3, 0, 0)]).unwrap();
		let second = cut(&store, LIMITS).unwrap();
		assert_eq!(devices(&second), vec![3]);
		assert_eq!(store.unsettled_count().unwrap(), 2);
		store.settle_anchored(first.head.header.batch, 0, H256::zero(), 1).unwrap();
		assert_eq!(devices(&cut(&store, LIMITS).unwrap()), vec![1]);
	}

	/// The attack of old: batches served the lowest device ids first, and with more active
	/// devices than a batch holds the others waited without bound. Devices take turns.
	#[test]
	fn attack_low_device_ids_are_not_served_first() {
		let (_dir, store) = open();
		let two = Limits { max_devices: 2, ..LIMITS };
		let mut served = Vec::new();
		for round in 0..3u64 {
			for n in 1..=5 {
				store.accept(&[reading(n, round, 0)]).unwrap();
			}
			let batch = cut(&store, two).unwrap();
			served.push(devices(&batch));
			store.settle_anchored(batch.head.header.batch, round, H256::zero(), 1).unwrap();
		}
		assert_eq!(served, vec![vec![1, 2], vec![3, 4], vec![5, 1]]);
	}

	/// Planning reads no more than the batch takes, however long the backlog.
	#[test]
	fn a_long_backlog_is_planned_a_batch_at_a_time() {
		let (_dir, store) = open();
		let many: Vec<_> = (0..5_000).map(|s| reading(1, s, 0)).collect();
		store.accept(&many).unwrap();
		let small = Limits { max_readings: 10, ..LIMITS };
		let p = store.propose(small).unwrap();
		assert_eq!(p.runs[0].1.len(), 10);
		let batch = cut(&store, small).unwrap();
		assert_eq!(batch.readings.len(), 10);
		assert_eq!(store.pending_count().unwrap(), 4_990);
	}

	#[test]
	fn numbering_only_moves_up() {
		let (_dir, store) = open();
		assert_eq!(store.next_batch().unwrap(), 0);
		store.raise_next_batch(7).unwrap();
		store.raise_next_batch(3).unwrap();
		assert_eq!(store.next_batch().unwrap(), 7);
		store.accept(&[reading(1, 0, 0)]).unwrap();
		let batch = cut(&store, LIMITS).unwrap();
		assert_eq!(batch.head.header.batch, 7);
		// The batches below 7 were built before this database: seeing them anchored is no
		// sign of another gateway; another root under a number from 7 on is.
		let other = H256([0xee; 32]);
		assert_eq!(store.origin(3, &other).unwrap(), Origin::Earlier);
		assert_eq!(store.origin(7, &batch.head.header.root).unwrap(), Origin::Ours);
		assert_eq!(
			store.origin(7, &other).unwrap(),
			Origin::Foreign { ours: Some(batch.head.header.root) }
		);
		assert_eq!(store.origin(8, &other).unwrap(), Origin::Foreign { ours: None });
	}

	/// A device's readings listed by measurement time, wherever they are, a page at a time,
	/// with no scan longer than asked.
	#[test]
	fn readings_are_listed_by_time_from_every_place() {
		let (_dir, store) = open();
		// reading(d, seq, _) is measured at `seq` ms.
		store.accept(&(0..10).map(|s| reading(1, s, 0)).collect::<Vec<_>>()).unwrap();
		store.accept(&[reading(2, 3, 0)]).unwrap();
		let small = Limits { max_readings: 4, ..LIMITS };
		let p = store.propose(small).unwrap();
		let batch = store.commit_batch(&p, &[Verdict::Admit { from: 2 }], 1).unwrap().unwrap();
		// 0 and 1 set aside as replays; 2 and 3 batched; 4.. pending.
		assert_eq!(batch.readings.len(), 2);
		store.settle_anchored(batch.head.header.batch, 1, H256::zero(), 1).unwrap();
		let where_ = |page: &ReadingsPage| -> Vec<(u64, &'static str)> {
			page.readings
				.iter()
				.map(|l| {
					let at = match l.location {
						Location::Pending => "pending",
						Location::Aside(_) => "aside",
						Location::Batched { .. } => "batched",
					};
					(l.reading.seq, at)
				})
				.collect()
		};
		let all = store.readings(&d(1), (0, u64::MAX), None, 100, 1_000).unwrap();
		assert_eq!(
			where_(&all)[..5],
			[(0, "aside"), (1, "aside"), (2, "batched"), (3, "batched"), (4, "pending")]
		);
		assert_eq!((all.readings.len(), all.next), (10, None));
		// A time range, paged by three.
		let page = store.readings(&d(1), (1, 6), None, 3, 1_000).unwrap();
		assert_eq!(where_(&page), [(1, "aside"), (2, "batched"), (3, "batched")]);
		let page = store.readings(&d(1), (1, 6), page.next, 3, 1_000).unwrap();
		assert_eq!(where_(&page), [(4, "pending"), (5, "pending"), (6, "pending")]);
		let page = store.readings(&d(1), (1, 6), page.next, 3, 1_000).unwrap();
		assert!(page.readings.is_empty());
		// A bounded scan stops early and says where to go on.
		let page = store.readings(&d(1), (9, 9), None, 3, 4).unwrap();
		assert_eq!((page.readings.len(), page.next), (0, Some(3)));
		let page = store.readings(&d(1), (9, 9), Some(3), 3, 100).unwrap();
		assert_eq!(where_(&page), [(9, "pending")]);
	}

	/// A database written by the first gateways (every batch whole in one table) opens: its
	/// anchored readings are still proven, its batch in flight is unsettled again, and the
	/// readings of the batch it gave up on are pending again, not lost.
	#[test]
	fn a_layout_0_database_is_upgraded_without_losing_a_reading() {
		use upgrade::{OldBatch, OldStatus};
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("gateway.redb");
		let old = |number: u64, device: u8, status: OldStatus| {
			let readings: Vec<_> = (0..3).map(|s| reading(device, s, 0)).collect();
			let (built, _) = Batch::build(number, readings.clone(), &Default::default()).unwrap();
			OldBatch {
				number,
				readings,
				root: built.head.header.root,
				from_ms: built.head.header.from_ms,
				to_ms: built.head.header.to_ms,
				ranges: built.head.ranges,
				status,
			}
		};
		{
			let database = Database::create(&path).unwrap();
			let w = database.begin_write().unwrap();
			{
				let batches: TableDefinition<u64, &[u8]> = TableDefinition::new("batches");
				let mut t = w.open_table(batches).unwrap();
				let anchored =
					OldStatus::Anchored { anchor: 7, block: H256::zero(), finalized_ms: 1 };
				let failed = OldStatus::Failed { reason: "DeviceSuspended".into() };
				for b in [old(0, 1, anchored), old(1, 2, OldStatus::Built), old(2, 3, failed)] {
					t.insert(b.number, &b.encode()[..]).unwrap();
				}
				let mut located = w.open_table(LOCATED).unwrap();
				for (number, device) in [(0u64, 1u8), (1, 2), (2, 3)] {
					for s in 0..3u64 {
						let r = reading(device, s, 0);
						let placed = (number, s as u32, r.leaf_hash()).encode();
						located.insert(&key(&r.device, s)[..], &placed[..]).unwrap();
					}
				}
				let mut last = w.open_table(LAST_SEQ).unwrap();
				for device in 1..=3u8 {
					last.insert(d(device).as_bytes(), 2).unwrap();
				}
				w.open_table(META).unwrap().insert("next_batch", 3).unwrap();
			}
			w.commit().unwrap();
		}
		let store = Store::open(&path).unwrap();
		assert!(matches!(
			store.locate(&d(1), 2).unwrap(),
			Some(Location::Batched { head, .. }) if matches!(head.status, BatchStatus::Anchored { anchor: 7, .. })
		));
		let unsettled = store.unsettled().unwrap();
		assert_eq!(unsettled.len(), 1);
		assert_eq!(unsettled[0].head.header.batch, 1);
		assert!(matches!(store.locate(&d(3), 0).unwrap(), Some(Location::Pending)));
		assert_eq!(store.pending_count().unwrap(), 3);
		// Device 3 is queued again; device 2 waits for its batch in flight.
		let next = cut(&store, LIMITS).unwrap();
		assert_eq!((next.head.header.batch, devices(&next)), (3, vec![3]));
		// Times are known for listing.
		let page = store.readings(&d(1), (1, 1), None, 10, 10).unwrap();
		assert_eq!(page.readings.len(), 1);
		drop(store);
		// Opened again: nothing more to do.
		let store = Store::open(&path).unwrap();
		assert_eq!(store.unsettled().unwrap().len(), 2);
	}

	/// Write `count` as how many readings `device` has set aside (standing in for as many).
	fn set_aside_count(store: &Store, device: &DeviceId, count: u64) {
		let w = store.db.begin_write().unwrap();
		{
			let mut table = w.open_table(ASIDE_DEVICES).unwrap();
			let mut entry = decode::<AsideDevice>(
				"set-aside device",
				table.get(device.as_bytes()).unwrap().unwrap().value(),
			)
			.unwrap();
			entry.count = count;
			table.insert(device.as_bytes(), &entry.encode()[..]).unwrap();
		}
		w.commit().unwrap();
	}

	/// Readings that arrive for a device while it is held join its set-aside readings (counted
	/// and listed), rather than wait unseen; released, they all go back in order.
	#[test]
	fn a_held_devices_new_readings_are_set_aside_with_it() {
		let (_dir, store) = open();
		store.accept(&[reading(1, 0, 0), reading(1, 1, 0)]).unwrap();
		let p = store.propose(LIMITS).unwrap();
		let held = Verdict::Aside(AsideReason::DeviceNotActive);
		assert!(store.commit_batch(&p, &[held], 1).unwrap().is_none());
		assert_eq!(
			store.accept(&[reading(1, 2, 0)]).unwrap(),
			vec![Accepted::SetAside(AsideReason::DeviceNotActive)]
		);
		assert_eq!((store.pending_count().unwrap(), store.aside_count().unwrap()), (0, 3));
		let listed = store.aside_devices(None, 10).unwrap();
		assert_eq!((listed[0].1.count, listed[0].1.held), (3, true));
		// A device refused in flight has its readings that arrived meanwhile set aside too.
		store.accept(&[reading(2, 0, 0)]).unwrap();
		let flying = cut(&store, LIMITS).unwrap();
		store.accept(&[reading(2, 1, 0), reading(2, 2, 0)]).unwrap();
		let culprit = [(d(2), AsideReason::DeviceNotActive)];
		store
			.settle_refused(flying.head.header.batch, "DeviceNotActive".into(), &culprit, 3)
			.unwrap();
		assert_eq!((store.pending_count().unwrap(), store.aside_count().unwrap()), (0, 6));
		// A redelivery is still a duplicate.
		assert_eq!(store.accept(&[reading(1, 2, 0)]).unwrap(), vec![Accepted::Duplicate]);
		// The attack: a held device sends on and on. Past its share of the disk its readings
		// are refused, unstored (and the next one after is still refused, not a gap).
		set_aside_count(&store, &d(1), crate::lifecycle::MAX_ASIDE_PER_DEVICE);
		assert_eq!(store.accept(&[reading(1, 3, 0)]).unwrap(), vec![Accepted::Full]);
		assert_eq!(store.accept(&[reading(1, 3, 0)]).unwrap(), vec![Accepted::Full]);
		assert_eq!(store.aside_count().unwrap(), 6);
		set_aside_count(&store, &d(1), 3);
		assert_eq!(store.release(&d(1), 0, 2).unwrap(), 3);
		let batch = cut(&store, LIMITS).unwrap();
		assert_eq!(batch.readings.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![0, 1, 2]);
	}
}
