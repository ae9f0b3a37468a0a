//! Checking one telemetry message: its form, its device's record on chain (through a
//! [`DeviceLookup`], cached) and the device's signature. Behind a trait so that it is tested
//! without a chain.

use crate::{
	chain::{port::ChainError, AccountId, DeviceInfo},
	ingest::cache::DeviceCache,
	ingest::sealed::Unsealer,
	ingest::telemetry::{device_of_topic, parse_message, Message},
	limits::TokenBucket,
	stats::Reject,
};
use iotrust_primitives::{
	device::{DeviceId, DeviceRefusal},
	merkle::SignedReading,
};
use sp_core::H256;
use std::{
	future::Future,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};
use tracing::warn;

/// Where device records come from (the chain's `DevicesApi_device`).
pub trait DeviceLookup: Send + Sync + 'static {
	/// The chain's record of `device`, if it exists.
	fn device(
		&self,
		device: &DeviceId,
	) -> impl Future<Output = Result<Option<DeviceInfo>, ChainError>> + Send;
}

impl DeviceLookup for crate::chain::Chain {
	async fn device(&self, device: &DeviceId) -> Result<Option<DeviceInfo>, ChainError> {
		crate::chain::Chain::device(self, device).await
	}
}

/// A message the gateway will not store, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
	/// The reason, as counted.
	pub reason: Reject,
	/// What exactly, for the log.
	pub detail: String,
}

/// What a device refusal means, in words for the operator's log and the device's reply.
pub fn refusal_detail(refusal: DeviceRefusal) -> &'static str {
	match refusal {
		DeviceRefusal::DeviceNotActive => "suspended or revoked",
		DeviceRefusal::NotDeviceGateway => "bound to another gateway or none",
	}
}

fn reject(reason: Reject, detail: impl Into<String>) -> Rejection {
	Rejection { reason, detail: detail.into() }
}

/// Chain lookups of devices never seen to exist, a second, all messages together: the devices
/// bound to this gateway are read ahead ([`crate::ingest::cache::refresh`]) and any device once
/// found on chain is looked up again freely (its record may have left the cache), so these
/// serve devices registered or bound since, and made-up ids. Past the rate (and its burst) such
/// a message is dropped unchecked (`lookup_limited`): a flood of random device ids costs the
/// node at most this many calls.
pub const LOOKUPS_PER_SECOND: f64 = 50.0;
/// The burst of [`LOOKUPS_PER_SECOND`].
pub const LOOKUP_BURST: f64 = 500.0;

/// Checks messages for gateway `me` on the chain with genesis `genesis`.
pub struct Validator<L: DeviceLookup> {
	lookup: Arc<L>,
	cache: Arc<DeviceCache>,
	me: AccountId,
	genesis: H256,
	max_metrics: usize,
	/// What is left of the lookups of devices not cached.
	lookups: Mutex<TokenBucket>,
	/// Opens readings devices sealed (none: they are refused).
	unsealer: Option<Arc<Unsealer>>,
}

impl<L: DeviceLookup> Validator<L> {
	/// A validator; `max_metrics` is the chain's `MaxMetrics`.
	pub fn new(
		lookup: Arc<L>,
		cache: Arc<DeviceCache>,
		me: AccountId,
		genesis: H256,
		max_metrics: usize,
	) -> Self {
		let lookups = Mutex::new(TokenBucket::full(LOOKUP_BURST, Instant::now()));
		Self { lookup, cache, me, genesis, max_metrics, lookups, unsealer: None }
	}

	/// The same, opening readings devices sealed with `unsealer`.
	pub fn unsealing(self, unsealer: Arc<Unsealer>) -> Self {
		Self { unsealer: Some(unsealer), ..self }
	}

	/// The chain's record of `device`, from the cache or the chain (retrying while the chain is
	/// unreachable: a message is never judged without it). `Err(LookupLimited)` if it is not
	/// cached and the lookups' rate is spent.
	pub async fn device_record(&self, device: &DeviceId) -> Result<Option<DeviceInfo>, Rejection> {
		if let Some(info) = self.cache.get(device) {
			return Ok(info);
		}
		let allowed = self.cache.is_known(device)
			|| self.lookups.lock().unwrap_or_else(|p| p.into_inner()).try_take(
				Instant::now(),
				LOOKUPS_PER_SECOND,
				LOOKUP_BURST,
			);
		if !allowed {
			return Err(reject(Reject::LookupLimited, format!("{device:?}")));
		}
		loop {
			let ticket = self.cache.ticket();
			match self.lookup.device(device).await {
				Ok(info) => {
					if !self.cache.put(ticket, *device, info.clone()) {
						// Changed while it was looked up: look again.
						continue;
					}
					return Ok(info);
				},
				Err(e) => {
					warn!("looking up device {device:?}: {e}; retrying");
					tokio::time::sleep(Duration::from_secs(1)).await;
				},
			}
		}
	}

	/// Check one message; the reading if it may be accepted, else why not.
	pub async fn check(&self, topic: &str, payload: &[u8]) -> Result<SignedReading, Rejection> {
		let topic_device =
			device_of_topic(topic).ok_or(reject(Reject::TopicMismatch, "not a telemetry topic"))?;
		let message = parse_message(payload).map_err(|e| reject(Reject::BadJson, e.to_string()))?;
		let reading = match message {
			Message::Plain(reading) => reading,
			Message::Sealed(sealed) if sealed.device != topic_device => {
				return Err(reject(Reject::TopicMismatch, "the payload names another device"));
			},
			Message::Sealed(sealed) => match &self.unsealer {
				Some(unsealer) => unsealer.open(&sealed).await?,
				None => {
					return Err(reject(
						Reject::Unsealable,
						"this gateway holds no channel key (channel_secret_file)",
					))
				},
			},
		};
		if reading.device != topic_device {
			return Err(reject(Reject::TopicMismatch, "the payload names another device"));
		}
		let mut ids: Vec<u16> = reading.metrics.iter().map(|m| m.id).collect();
		ids.sort_unstable();
		ids.dedup();
		if ids.len() != reading.metrics.len() || ids.len() > self.max_metrics {
			return Err(reject(
				Reject::TooManyMetrics,
				format!("{} metrics", reading.metrics.len()),
			));
		}
		self.check_reading(&reading).await?;
		Ok(reading)
	}

	/// Check a reading against its device's record: active, bound to this gateway, signed with
	/// its current key (for readings that come from a message, or from a peer of a group).
	pub async fn check_reading(&self, reading: &SignedReading) -> Result<(), Rejection> {
		let info = self
			.device_record(&reading.device)
			.await?
			.ok_or_else(|| reject(Reject::UnknownDevice, format!("{:?}", reading.device)))?;
		DeviceRefusal::judge(Some(info.status), info.gateway.as_ref(), &self.me)
			.map_err(|r| reject(Reject::Refused(r), refusal_detail(r)))?;
		if !info.key.verify(&reading.payload(&self.genesis), &reading.signature) {
			return Err(reject(Reject::BadSignature, format!("seq {}", reading.seq)));
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::ingest::{cache::CacheLimits, telemetry::reading_to_value};
	use iotrust_primitives::{
		device::{DevicePublicKey, DeviceStatus, KeyScheme},
		keypair::DeviceKeypair,
		merkle::Metric,
	};
	use std::{collections::HashMap, sync::Mutex};

	const ME: AccountId = [9; 32];

	/// A chain of device records the test edits.
	#[derive(Default)]
	struct Records(Mutex<HashMap<DeviceId, DeviceInfo>>);

	impl DeviceLookup for Records {
		async fn device(&self, device: &DeviceId) -> Result<Option<DeviceInfo>, ChainError> {
			Ok(self.0.lock().unwrap().get(device).cloned())
		}
	}

	fn signed(pair: &DeviceKeypair, seq: u64) -> (String, Vec<u8>) {
		let mut r = SignedReading {
			device: pair.key.device_id(),
			seq,
			timestamp_ms: 1,
			metrics: vec![Metric { id: 1, value: 5 }],
			signature: iotrust_primitives::device::DeviceSignature::Ed25519([0; 64]),
		};
		r.signature = pair.sign(&r.payload(&H256::zero()));
		(
			crate::ingest::telemetry::topic(&r.device),
			serde_json::to_vec(&reading_to_value(&r)).unwrap(),
		)
	}

	fn record(key: DevicePublicKey, status: DeviceStatus, gateway: AccountId) -> DeviceInfo {
		crate::chain::device_record(key, status, Some(gateway))
	}

	#[tokio::test]
	async fn a_message_is_checked_against_its_device_record() {
		let records = Arc::new(Records::default());
		let cache = Arc::new(DeviceCache::new(CacheLimits::default()));
		let v = Validator::new(records.clone(), cache.clone(), ME, H256::zero(), 8);
		let pair = DeviceKeypair::from_seed(KeyScheme::Ed25519, [1; 32]).unwrap();
		let id = pair.key.device_id();
		let (topic, body) = signed(&pair, 0);
		assert_eq!(v.check(&topic, &body).await.unwrap_err().reason, Reject::UnknownDevice);
		records.0.lock().unwrap().insert(id, record(pair.key, DeviceStatus::Active, ME));
		cache.forget(&id);
		assert_eq!(v.check(&topic, &body).await.unwrap().seq, 0);
		for (status, gateway, why) in [
			(DeviceStatus::Suspended, ME, Reject::Refused(DeviceRefusal::DeviceNotActive)),
			(DeviceStatus::Revoked, ME, Reject::Refused(DeviceRefusal::DeviceNotActive)),
			(DeviceStatus::Active, [8; 32], Reject::Refused(DeviceRefusal::NotDeviceGateway)),
		] {
			records.0.lock().unwrap().insert(id, record(pair.key, status, gateway));
			cache.forget(&id);
			assert_eq!(v.check(&topic, &body).await.unwrap_err().reason, why);
		}
		assert_eq!(v.check("other/topic", &body).await.unwrap_err().reason, Reject::TopicMismatch);
		assert_eq!(v.check(&topic, b"{").await.unwrap_err().reason, Reject::BadJson);
	}

	/// The attack: a broker client publishes messages under thousands of made-up device ids.
	/// Each costs the node a lookup only within the lookups' rate; the rest are dropped
	/// unchecked, and a cached device's messages go on being checked.
	#[tokio::test]
	async fn attack_made_up_device_ids_cost_the_node_a_bounded_number_of_lookups() {
		#[derive(Default)]
		struct Counting(std::sync::atomic::AtomicUsize);
		impl DeviceLookup for Counting {
			async fn device(&self, _: &DeviceId) -> Result<Option<DeviceInfo>, ChainError> {
				self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
				Ok(None)
			}
		}
		let lookups = Arc::new(Counting::default());
		let cache = Arc::new(DeviceCache::new(CacheLimits::default()));
		let v = Validator::new(lookups.clone(), cache.clone(), ME, H256::zero(), 8);
		let pair = DeviceKeypair::from_seed(KeyScheme::Ed25519, [1; 32]).unwrap();
		let ticket = cache.ticket();
		cache.put(ticket, pair.key.device_id(), Some(record(pair.key, DeviceStatus::Active, ME)));
		let mut limited = 0;
		let started = Instant::now();
		for i in 0..5_000u64 {
			let other = DeviceKeypair::from_seed(KeyScheme::Ed25519, {
				let mut seed = [2; 32];
				seed[..8].copy_from_slice(&i.to_le_bytes());
				seed
			})
			.unwrap();
			let (topic, body) = signed(&other, 0);
			match v.check(&topic, &body).await.unwrap_err().reason {
				Reject::LookupLimited => limited += 1,
				reason => assert_eq!(reason, Reject::UnknownDevice),
			}
		}
		let asked = lookups.0.load(std::sync::atomic::Ordering::Relaxed);
		let allowed = LOOKUP_BURST + LOOKUPS_PER_SECOND * started.elapsed().as_secs_f64();
		assert!(asked as f64 <= allowed + 1.0, "{asked} lookups, {allowed} allowed");
		assert!(limited > 2_500, "most made-up ids cost no lookup: {limited}");
		assert_eq!(asked + limited, 5_000);
		let (topic, body) = signed(&pair, 0);
		assert_eq!(v.check(&topic, &body).await.unwrap().seq, 0);
		// Even once the cache was emptied (a resubscription), with the budget spent: a device
		// seen to exist is looked up again.
		cache.clear();
		let (_, body) = signed(&pair, 1);
		assert_eq!(v.check(&topic, &body).await.unwrap_err().reason, Reject::UnknownDevice);
	}

	/// A key rotated on chain: once the finalized block that rotates it is seen (or the cache
	/// is emptied on a resubscription), readings signed with the old key are refused.
	#[tokio::test]
	async fn attack_readings_signed_with_a_rotated_out_key_are_refused() {
		let records = Arc::new(Records::default());
		let cache = Arc::new(DeviceCache::new(CacheLimits::default()));
		let v = Validator::new(records.clone(), cache.clone(), ME, H256::zero(), 8);
		let old = DeviceKeypair::from_seed(KeyScheme::Ed25519, [1; 32]).unwrap();
		let new = DeviceKeypair::from_seed(KeyScheme::Ed25519, [2; 32]).unwrap();
		let id = old.key.device_id();
		records.0.lock().unwrap().insert(id, record(old.key, DeviceStatus::Active, ME));
		let (topic, body) = signed(&old, 0);
		assert!(v.check(&topic, &body).await.is_ok());
		// Rotated on chain; the gateway resubscribes and so forgets all it knew.
		records.0.lock().unwrap().insert(id, record(new.key, DeviceStatus::Active, ME));
		cache.clear();
		let (_, stale) = signed(&old, 1);
		assert_eq!(v.check(&topic, &stale).await.unwrap_err().reason, Reject::BadSignature);
	}
}
