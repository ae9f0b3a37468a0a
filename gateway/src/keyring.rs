//! The private channels' epoch keys an account holds: each sealed to the account's X25519 key
//! on chain, opened with its secret and checked against the epoch's key identifier, then kept.
//! A gateway holds a member's keyring to seal a private device's readings when they leave it
//! (`api::sealing`); the `channel` command opens keys with the same [`open`].

use crate::chain::{self, port::ChainError, AccountId, Chain};
use iotrust_crypto::{EpochKey, SecretKey};
use iotrust_primitives::channels::{ChannelEpoch, ChannelId};
use std::{collections::HashMap, sync::Mutex};

/// Why an epoch key was not opened.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
	/// None was delivered to the account: it may not read that epoch.
	#[error("no key of channel {channel}'s epoch {epoch} was delivered to {who}")]
	NotDelivered {
		/// The channel.
		channel: ChannelId,
		/// The epoch.
		epoch: ChannelEpoch,
		/// The account (SS58).
		who: String,
	},
	/// The epoch does not exist.
	#[error("channel {channel} has no epoch {epoch}")]
	NoEpoch {
		/// The channel.
		channel: ChannelId,
		/// The epoch.
		epoch: ChannelEpoch,
	},
	/// It was sealed to an encryption key this secret is not the secret of.
	#[error("the key of epoch {0} was sealed to another encryption key of this account")]
	OtherKey(ChannelEpoch),
	/// It does not open, or is not the key the chain identifies.
	#[error(transparent)]
	Crypto(#[from] iotrust_crypto::Error),
	/// The chain could not be asked.
	#[error(transparent)]
	Chain(#[from] ChainError),
}

/// The key of `channel`'s `epoch` sealed to `who`, opened with `secret` and checked against the
/// chain's identifier.
pub async fn open(
	chain: &Chain,
	secret: &SecretKey,
	channel: ChannelId,
	epoch: ChannelEpoch,
	who: &AccountId,
) -> Result<EpochKey, KeyError> {
	let sealed = chain
		.sealed_key(channel, epoch, who)
		.await?
		.ok_or_else(|| KeyError::NotDelivered { channel, epoch, who: chain::ss58(who) })?;
	let info =
		chain.channel_epoch(channel, epoch).await?.ok_or(KeyError::NoEpoch { channel, epoch })?;
	if sealed.to_key != secret.public() {
		return Err(KeyError::OtherKey(epoch));
	}
	Ok(iotrust_crypto::open_epoch_key(secret, channel, epoch, &sealed.sealed, &info.key_id)?)
}

/// Epoch keys kept at most (each 32 bytes); past this the keyring forgets them all and opens
/// again what it needs.
const KEPT: usize = 4_096;

/// An account's epoch keys, opened once each; keys it cannot open are remembered for [`FRESH`].
pub struct Keyring {
	account: AccountId,
	secret: SecretKey,
	keys: Mutex<HashMap<(ChannelId, ChannelEpoch), EpochKey>>,
	failed: Mutex<Fresh<(ChannelId, ChannelEpoch), String>>,
}

impl Keyring {
	/// The keys sealed to `account`'s registered key, whose secret is `secret`.
	pub fn new(account: AccountId, secret: SecretKey) -> Self {
		Self {
			account,
			secret,
			keys: Mutex::new(HashMap::new()),
			failed: Mutex::new(Fresh::default()),
		}
	}

	/// The key of `channel`'s `epoch` if it was opened already.
	pub fn cached(&self, channel: ChannelId, epoch: ChannelEpoch) -> Option<EpochKey> {
		self.lock().get(&(channel, epoch)).cloned()
	}

	/// Why the key of `channel`'s `epoch` could not be opened, if it was tried within
	/// [`FRESH`] and could not (not delivered to the account, sealed to another of its keys).
	pub fn failure(&self, channel: ChannelId, epoch: ChannelEpoch) -> Option<String> {
		lock(&self.failed).get(&(channel, epoch))
	}

	/// The key of `channel`'s `epoch`, opened from the chain the first time. A failure other
	/// than the chain's is remembered for [`FRESH`] ([`Keyring::failure`]).
	pub async fn key(
		&self,
		chain: &Chain,
		channel: ChannelId,
		epoch: ChannelEpoch,
	) -> Result<EpochKey, KeyError> {
		if let Some(key) = self.cached(channel, epoch) {
			return Ok(key);
		}
		let key = match open(chain, &self.secret, channel, epoch, &self.account).await {
			Ok(key) => key,
			Err(KeyError::Chain(e)) => return Err(KeyError::Chain(e)),
			Err(e) => {
				lock(&self.failed).put((channel, epoch), e.to_string());
				return Err(e);
			},
		};
		let mut keys = self.lock();
		if keys.len() >= KEPT {
			keys.clear();
		}
		keys.insert((channel, epoch), key.clone());
		Ok(key)
	}

	/// Keep `key` as `channel`'s `epoch` key, as if opened (tests).
	#[cfg(test)]
	pub fn keep(&self, channel: ChannelId, epoch: ChannelEpoch, key: EpochKey) {
		self.lock().insert((channel, epoch), key);
	}

	/// Remember that `channel`'s `epoch` key did not open, as if tried (tests).
	#[cfg(test)]
	pub fn fail(&self, channel: ChannelId, epoch: ChannelEpoch, why: String) {
		lock(&self.failed).put((channel, epoch), why);
	}

	fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(ChannelId, ChannelEpoch), EpochKey>> {
		self.keys.lock().unwrap_or_else(|p| p.into_inner())
	}
}

/// How long the chain's answers about channels are trusted: which channel a device is in, a
/// channel's current epoch, what an account may do in a channel (a removed member or an auditor
/// past its window reads for at most this long after the block that ended its access).
pub const FRESH: std::time::Duration = std::time::Duration::from_secs(6);
/// Answers remembered at most, of each kind.
const REMEMBERED: usize = 10_000;

/// Answers, each with when it was read; trusted for [`FRESH`].
pub struct Fresh<K, V>(HashMap<K, (V, std::time::Instant)>);

impl<K, V> Default for Fresh<K, V> {
	fn default() -> Self {
		Self(HashMap::new())
	}
}

impl<K: std::hash::Hash + Eq, V: Clone> Fresh<K, V> {
	/// The answer for `key`, if read within [`FRESH`].
	pub fn get(&self, key: &K) -> Option<V> {
		self.0.get(key).filter(|(_, at)| at.elapsed() < FRESH).map(|(v, _)| v.clone())
	}

	/// Remember `value` for `key`, from now.
	pub fn put(&mut self, key: K, value: V) {
		if self.0.len() >= REMEMBERED {
			self.0.retain(|_, (_, at)| at.elapsed() < FRESH);
			if self.0.len() >= REMEMBERED {
				self.0.clear();
			}
		}
		self.0.insert(key, (value, std::time::Instant::now()));
	}
}

/// The chain's answers about channels that a gateway asks for every private device's message
/// and request, kept for [`FRESH`]: which channel a device is in, a channel's epoch, who may
/// read it.
pub struct ChannelView {
	chain: std::sync::Arc<Chain>,
	devices: Mutex<Fresh<iotrust_primitives::device::DeviceId, Option<ChannelId>>>,
	epochs: Mutex<Fresh<ChannelId, ChannelEpoch>>,
	access: Mutex<Fresh<(ChannelId, AccountId), iotrust_primitives::channels::Access<u32>>>,
}

impl ChannelView {
	/// Asking `chain`.
	pub fn new(chain: std::sync::Arc<Chain>) -> Self {
		Self {
			chain,
			devices: Mutex::new(Fresh::default()),
			epochs: Mutex::new(Fresh::default()),
			access: Mutex::new(Fresh::default()),
		}
	}

	/// The chain asked.
	pub fn chain(&self) -> &Chain {
		&self.chain
	}

	/// The channel `device`'s readings are private to now (`channelsApi.deviceChannel`).
	pub async fn device_channel(
		&self,
		device: &iotrust_primitives::device::DeviceId,
	) -> Result<Option<ChannelId>, ChainError> {
		if let Some(channel) = lock(&self.devices).get(device) {
			return Ok(channel);
		}
		let answer = self.chain.device_channels(std::slice::from_ref(device)).await?;
		let channel = answer.first().copied().flatten();
		lock(&self.devices).put(*device, channel);
		Ok(channel)
	}

	/// `channel`'s epoch now.
	pub async fn epoch_now(&self, channel: ChannelId) -> Result<ChannelEpoch, ChainError> {
		if let Some(epoch) = lock(&self.epochs).get(&channel) {
			return Ok(epoch);
		}
		let info =
			self.chain.channel(channel).await?.ok_or_else(|| {
				ChainError::Unreadable(format!("channel {channel} has no record"))
			})?;
		lock(&self.epochs).put(channel, info.epoch);
		Ok(info.epoch)
	}

	/// What `who` may do in `channel` now (`channelsApi.access`).
	pub async fn access(
		&self,
		channel: ChannelId,
		who: &AccountId,
	) -> Result<iotrust_primitives::channels::Access<u32>, ChainError> {
		if let Some(access) = lock(&self.access).get(&(channel, *who)) {
			return Ok(access);
		}
		let access = self.chain.channel_access(channel, who).await?;
		lock(&self.access).put((channel, *who), access);
		Ok(access)
	}
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	m.lock().unwrap_or_else(|p| p.into_inner())
}
