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

/// An account's epoch keys, opened once each.
pub struct Keyring {
	account: AccountId,
	secret: SecretKey,
	keys: Mutex<HashMap<(ChannelId, ChannelEpoch), EpochKey>>,
}

impl Keyring {
	/// The keys sealed to `account`'s registered key, whose secret is `secret`.
	pub fn new(account: AccountId, secret: SecretKey) -> Self {
		Self { account, secret, keys: Mutex::new(HashMap::new()) }
	}

	/// The key of `channel`'s `epoch` if it was opened already.
	pub fn cached(&self, channel: ChannelId, epoch: ChannelEpoch) -> Option<EpochKey> {
		self.lock().get(&(channel, epoch)).cloned()
	}

	/// The key of `channel`'s `epoch`, opened from the chain the first time.
	pub async fn key(
		&self,
		chain: &Chain,
		channel: ChannelId,
		epoch: ChannelEpoch,
	) -> Result<EpochKey, KeyError> {
		if let Some(key) = self.cached(channel, epoch) {
			return Ok(key);
		}
		let key = open(chain, &self.secret, channel, epoch, &self.account).await?;
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

	fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(ChannelId, ChannelEpoch), EpochKey>> {
		self.keys.lock().unwrap_or_else(|p| p.into_inner())
	}
}
