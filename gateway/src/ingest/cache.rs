//! Device records read from the chain, kept for a while: bounded in size and in age, dropped
//! when a finalized block changes them, and emptied whenever the gateway may have missed such a
//! block (its subscription to them restarted).
//!
//! A lookup races the invalidation it should have seen if it started before a finalized block
//! changed the device and ends after the block was seen: its answer is older than the
//! invalidation. Every invalidation bumps a generation; an answer is only kept if no
//! invalidation happened since its lookup began.
//!
//! [`refresh`] fills it ahead with the records of the devices bound to this gateway; the
//! daemon's follower of finalized blocks empties what they change.

use crate::chain::{AccountId, Chain, DeviceInfo};
use iotrust_primitives::device::DeviceId;
use std::{
	collections::{HashMap, HashSet},
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};
use tracing::{info, warn};

/// How the cache is bounded.
#[derive(Clone, Copy, Debug)]
pub struct CacheLimits {
	/// Records kept at most; the oldest go first.
	pub capacity: usize,
	/// How long a record is trusted.
	pub max_age: Duration,
	/// How long "no such device" is trusted.
	pub negative_age: Duration,
	/// "No such device" answers kept at most, apart from the records: made-up device ids, however
	/// many, never push a real device's record out.
	pub negative_capacity: usize,
}

impl Default for CacheLimits {
	fn default() -> Self {
		Self {
			capacity: 20_000,
			max_age: Duration::from_secs(300),
			negative_age: Duration::from_secs(5),
			negative_capacity: 2_000,
		}
	}
}

#[derive(Default)]
struct Inner {
	/// Devices that exist, with when their record was read.
	entries: HashMap<DeviceId, (DeviceInfo, Instant)>,
	/// Devices found not to exist, with when.
	unknown: HashMap<DeviceId, Instant>,
	/// Devices ever found to exist (their record may be gone from `entries`): a hint for
	/// [`DeviceCache::is_known`], never trusted for a device's standing. Emptied when full.
	known: HashSet<DeviceId>,
	generation: u64,
}

/// Devices remembered as existing at most ([`Inner::known`]): 3.2 MB of ids.
const KNOWN_AT_MOST: usize = 100_000;

/// Make room for one more in `map` of at most `capacity`: drop what is older than `max_age`,
/// and if that is not enough the oldest tenth.
fn make_room<V>(
	map: &mut HashMap<DeviceId, V>,
	capacity: usize,
	max_age: Duration,
	at: impl Fn(&V) -> Instant,
) {
	map.retain(|_, v| at(v).elapsed() <= max_age);
	if map.len() >= capacity {
		let mut ages: Vec<(Instant, DeviceId)> = map.iter().map(|(d, v)| (at(v), *d)).collect();
		ages.sort_unstable();
		for (_, d) in ages.iter().take(capacity.div_ceil(10)) {
			map.remove(d);
		}
	}
}

/// The cache.
pub struct DeviceCache {
	limits: CacheLimits,
	inner: Mutex<Inner>,
}

/// Taken before a lookup, handed to [`DeviceCache::put`] with its answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket(u64);

impl DeviceCache {
	/// An empty cache.
	pub fn new(limits: CacheLimits) -> Self {
		Self { limits, inner: Mutex::new(Inner::default()) }
	}

	fn with<R>(&self, f: impl FnOnce(&mut Inner) -> R) -> R {
		f(&mut self.inner.lock().unwrap_or_else(|p| p.into_inner()))
	}

	/// The record of `device` if it is cached and fresh (`Some(None)`: known not to exist).
	pub fn get(&self, device: &DeviceId) -> Option<Option<DeviceInfo>> {
		let limits = self.limits;
		self.with(|c| {
			if let Some((info, at)) = c.entries.get(device) {
				return (at.elapsed() <= limits.max_age).then(|| Some(info.clone()));
			}
			c.unknown
				.get(device)
				.and_then(|at| (at.elapsed() <= limits.negative_age).then_some(None))
		})
	}

	/// Whether `device` was ever found to exist on chain (even if its record is no longer
	/// cached, e.g. after the cache was emptied on a resubscription): such devices are looked up
	/// without spending the budget made-up ids are held to.
	pub fn is_known(&self, device: &DeviceId) -> bool {
		self.with(|c| c.known.contains(device))
	}

	/// A ticket for a lookup about to start.
	pub fn ticket(&self) -> Ticket {
		self.with(|c| Ticket(c.generation))
	}

	/// Keep the answer of a lookup that began with `ticket`, unless something was invalidated
	/// since (the answer may be older than that). Returns whether it was kept.
	pub fn put(&self, ticket: Ticket, device: DeviceId, info: Option<DeviceInfo>) -> bool {
		let limits = self.limits;
		self.with(|c| {
			if c.generation != ticket.0 {
				return false;
			}
			match info {
				Some(info) => {
					c.unknown.remove(&device);
					if c.known.len() >= KNOWN_AT_MOST {
						c.known.clear();
					}
					c.known.insert(device);
					let capacity = limits.capacity.max(1);
					if c.entries.len() >= capacity && !c.entries.contains_key(&device) {
						make_room(&mut c.entries, capacity, limits.max_age, |(_, at)| *at);
					}
					c.entries.insert(device, (info, Instant::now()));
				},
				None => {
					c.entries.remove(&device);
					let capacity = limits.negative_capacity.max(1);
					if c.unknown.len() >= capacity && !c.unknown.contains_key(&device) {
						make_room(&mut c.unknown, capacity, limits.negative_age, |at| *at);
					}
					c.unknown.insert(device, Instant::now());
				},
			}
			true
		})
	}

	/// A finalized block changed `device`.
	pub fn forget(&self, device: &DeviceId) {
		self.with(|c| {
			c.generation += 1;
			c.entries.remove(device);
			c.unknown.remove(device);
		});
	}

	/// Changes may have been missed: forget everything.
	pub fn clear(&self) {
		self.with(|c| {
			c.generation += 1;
			c.entries.clear();
			c.unknown.clear();
		});
	}

	/// The most records it keeps.
	pub fn capacity(&self) -> usize {
		self.limits.capacity
	}

	/// How many records (and "no such device" answers) are cached.
	#[cfg(test)]
	pub fn len(&self) -> (usize, usize) {
		self.with(|c| (c.entries.len(), c.unknown.len()))
	}
}

/// How often the records of the devices bound to this gateway are read again (well within the
/// cache's five minutes, so they do not age out of it all at once).
const DEVICE_REFRESH: Duration = Duration::from_secs(120);

/// Keep the records of the devices bound to this gateway in the cache, read a page (100) at a
/// time from each owner it serves (`devicesApi.devicesOf`): at start, so that the first reading
/// of each device after a restart finds its key at once (10,000 devices are 100 runtime calls
/// instead of 10,000 lookups on the readings' path), and every [`DEVICE_REFRESH`] after. A
/// page is taken with a ticket like any lookup: if a finalized block changed a device while the
/// page was read, the page is read again once, otherwise left to the lookups on demand. Stops
/// filling at nine tenths of the cache's capacity.
pub async fn refresh(
	chain: Arc<Chain>,
	cache: Arc<DeviceCache>,
	me: AccountId,
	owners: Vec<AccountId>,
) {
	const PAGE: u32 = 100;
	loop {
		let started = Instant::now();
		let mut kept = 0usize;
		'owners: for owner in &owners {
			let mut after = None;
			loop {
				let mut last = None;
				let mut full = false;
				for _attempt in 0..2 {
					let ticket = cache.ticket();
					let page = match chain.devices_of(owner, after, PAGE).await {
						Ok(page) => page,
						Err(e) => {
							warn!("reading the devices of {}: {e}", crate::chain::ss58(owner));
							break 'owners;
						},
					};
					(last, full) = (page.last().map(|(id, _)| *id), page.len() as u32 == PAGE);
					let ours: Vec<_> =
						page.into_iter().filter(|(_, info)| info.gateway == Some(me)).collect();
					let n = ours.len();
					if ours.into_iter().all(|(id, info)| cache.put(ticket, id, Some(info))) {
						kept += n;
						break;
					}
				}
				if !full || kept >= cache.capacity() / 10 * 9 {
					break;
				}
				after = last;
			}
		}
		info!("device records refreshed: {kept} bound to this gateway, in {:?}", started.elapsed());
		tokio::time::sleep(DEVICE_REFRESH).await;
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use iotrust_primitives::device::{DevicePublicKey, DeviceStatus};
	use sp_core::H256;

	fn info(status: DeviceStatus) -> DeviceInfo {
		crate::chain::device_record(DevicePublicKey::Ed25519([2; 32]), status, None)
	}

	/// The attack of old: a device's key is rotated (or the device suspended) while the gateway
	/// looks it up; the lookup read the old record, the invalidation came before its answer, and
	/// the old record was cached — readings signed with the rotated-out key were accepted.
	#[test]
	fn attack_a_lookup_that_raced_an_invalidation_is_not_kept() {
		let cache = DeviceCache::new(CacheLimits::default());
		let device = H256([7; 32]);
		let ticket = cache.ticket();
		// ... the lookup is on its way when a finalized block changes the device ...
		cache.forget(&device);
		assert!(!cache.put(ticket, device, Some(info(DeviceStatus::Active))));
		assert_eq!(cache.get(&device), None, "asked again, not served the old record");
		let ticket = cache.ticket();
		assert!(cache.put(ticket, device, Some(info(DeviceStatus::Suspended))));
		assert_eq!(cache.get(&device), Some(Some(info(DeviceStatus::Suspended))));
		// A missed stretch of blocks (resubscription) forgets everything.
		cache.clear();
		assert_eq!(cache.get(&device), None);
	}

	#[test]
	fn records_age_out_and_the_cache_stays_within_its_capacity() {
		let limits = CacheLimits {
			capacity: 10,
			max_age: Duration::from_millis(50),
			negative_age: Duration::from_millis(10),
			negative_capacity: 5,
		};
		let cache = DeviceCache::new(limits);
		for i in 0..100u64 {
			cache.put(cache.ticket(), H256::from_low_u64_be(i), Some(info(DeviceStatus::Active)));
			assert!(cache.len().0 <= 10);
		}
		assert_eq!(cache.get(&H256::from_low_u64_be(99)), Some(Some(info(DeviceStatus::Active))));
		cache.put(cache.ticket(), H256([9; 32]), None);
		std::thread::sleep(Duration::from_millis(20));
		assert_eq!(cache.get(&H256([9; 32])), None, "unknown devices are asked about again soon");
		std::thread::sleep(Duration::from_millis(40));
		assert_eq!(cache.get(&H256::from_low_u64_be(99)), None, "known ones after max_age");
	}

	/// The attack: a flood of made-up device ids. Their "no such device" answers are kept apart,
	/// within their own bound, and push no real device's record out.
	#[test]
	fn attack_made_up_device_ids_push_no_real_record_out() {
		let limits = CacheLimits { capacity: 10, negative_capacity: 5, ..CacheLimits::default() };
		let cache = DeviceCache::new(limits);
		for i in 0..10u64 {
			cache.put(cache.ticket(), H256::from_low_u64_be(i), Some(info(DeviceStatus::Active)));
		}
		for i in 1_000..11_000u64 {
			cache.put(cache.ticket(), H256::from_low_u64_be(i), None);
			assert!(cache.len().1 <= 5);
		}
		assert_eq!(cache.len().0, 10);
		assert!(
			(0..10u64).all(|i| cache.get(&H256::from_low_u64_be(i)).is_some_and(|r| r.is_some()))
		);
		assert_eq!(cache.get(&H256::from_low_u64_be(10_999)), Some(None));
		// A device registered since is found at once: its record replaces the answer.
		let late = H256::from_low_u64_be(10_999);
		cache.put(cache.ticket(), late, Some(info(DeviceStatus::Active)));
		assert!(cache.get(&late).is_some_and(|r| r.is_some()));
	}
}
