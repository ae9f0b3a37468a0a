//! How a private device's readings leave the gateway: sealed under the key of the channel epoch
//! they belong to ([`SealedReading`]: the reading's SCALE encoding under XChaCha20-Poly1305, the
//! associated data binding channel, epoch, device and sequence number). A reading belongs to the
//! epoch the channel was in when the chain judged its batch ([`SealedUnder`], stored with the
//! batch). A reading not in such a batch is withheld: pending or set aside (it has no epoch
//! yet; it is served once batched), or in a private range made before the gateway recorded
//! epochs. One in a range that carried summaries was public when it was anchored and is shown
//! as it is.
//!
//! The gateway seals with the keys its member account holds ([`Keyring`]). A [`Sealer`] reads
//! only keys the keyring already opened or failed to open, so that it can run on the database's
//! thread; it notes those it has not tried, which the request then opens from the chain before
//! it asks again ([`Sealer::missing`]). A reading whose key the member does not hold is shown
//! `unavailable`, never in the clear.

use crate::{
	batch::SealedUnder,
	ingest::telemetry::{hex0x, SealedReading},
	keyring::Keyring,
};
use iotrust_primitives::{
	channels::{ChannelEpoch, ChannelId},
	merkle::SignedReading,
};
use serde_json::{json, Value};
use std::{
	collections::BTreeSet,
	sync::{Arc, Mutex},
};

/// How a device's readings are shown.
#[derive(Clone)]
pub enum Disclosure {
	/// As they are: a public device.
	Plain,
	/// Sealed: a private device.
	Sealed(Arc<Sealer>),
}

/// Where a private device's reading stands, as sealing sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
	/// In a range that carried summaries: public when it was anchored.
	Public,
	/// In a batch that recorded the channel and epoch it belongs to.
	Sealed(SealedUnder),
	/// Pending, set aside, or in a private range with no epoch recorded.
	Unsealed,
	/// Purged past its channel's retention: only its leaf is left.
	Purged(sp_core::H256),
}

impl Disclosure {
	/// The field showing `reading`, which stands at `place`: `("reading", …)` in the clear,
	/// `("sealed", …)`, `("unavailable", …)` (sealed under a key the gateway's member does not
	/// hold), `("withheld", …)` (not sealable yet) or `("purged", {leaf})`.
	pub fn show(&self, reading: &SignedReading, place: Place) -> (&'static str, Value) {
		let plain = || ("reading", crate::ingest::telemetry::reading_to_value(reading));
		match (self, place) {
			(_, Place::Purged(leaf)) => ("purged", json!({ "leaf": hex0x(leaf.as_bytes()) })),
			(Self::Plain, _) | (Self::Sealed(_), Place::Public) => plain(),
			(Self::Sealed(_), Place::Unsealed) => (
				"withheld",
				json!("a private reading is served sealed once its batch records its epoch"),
			),
			(Self::Sealed(sealer), Place::Sealed(under)) => sealer.seal(reading, under),
		}
	}
}

/// Seals one request's readings of a private device.
pub struct Sealer {
	keyring: Arc<Keyring>,
	missing: Mutex<BTreeSet<(ChannelId, ChannelEpoch)>>,
}

impl Sealer {
	/// Sealing with `keyring`'s keys.
	pub fn new(keyring: Arc<Keyring>) -> Self {
		Self { keyring, missing: Mutex::new(BTreeSet::new()) }
	}

	/// `reading` sealed under `under`, as JSON: `("sealed", {channel, epoch, device, seq, leaf
	/// (its Merkle leaf, what its proof proves), data (nonce ‖ ciphertext ‖ tag)})`;
	/// `("unavailable", {channel, epoch, why})` if the keyring failed to open that key; `("sealed",
	/// null)` if it has not tried yet (see [`Sealer::missing`]).
	fn seal(&self, reading: &SignedReading, under: SealedUnder) -> (&'static str, Value) {
		if let Some(key) = self.keyring.cached(under.channel, under.epoch) {
			let sealed = SealedReading::seal(&key, under.channel, under.epoch, reading, true);
			return ("sealed", sealed.to_value());
		}
		if let Some(why) = self.keyring.failure(under.channel, under.epoch) {
			let value = json!({ "channel": under.channel, "epoch": under.epoch, "why": why });
			return ("unavailable", value);
		}
		self.lock().insert((under.channel, under.epoch));
		("sealed", Value::Null)
	}

	/// The epoch keys a seal had not tried since the last call, which the caller opens before
	/// asking again.
	pub fn missing(&self) -> BTreeSet<(ChannelId, ChannelEpoch)> {
		std::mem::take(&mut *self.lock())
	}

	fn lock(&self) -> std::sync::MutexGuard<'_, BTreeSet<(ChannelId, ChannelEpoch)>> {
		self.missing.lock().unwrap_or_else(|p| p.into_inner())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::lifecycle::tests::reading;
	use iotrust_crypto::{EpochKey, SecretKey};

	#[test]
	fn a_private_reading_leaves_sealed_under_its_epoch_or_not_at_all() {
		let keyring = Arc::new(Keyring::new([1; 32], SecretKey::from_bytes([2; 32])));
		let sealer = Arc::new(Sealer::new(keyring.clone()));
		let shown = Disclosure::Sealed(sealer.clone());
		let r = reading(7, 4, 1);
		let four = SealedUnder { channel: 3, epoch: 4 };
		// No key tried yet: nothing is shown, and the key is asked for.
		assert_eq!(shown.show(&r, Place::Sealed(four)), ("sealed", Value::Null));
		assert_eq!(sealer.missing(), BTreeSet::from([(3, 4)]));
		assert!(sealer.missing().is_empty(), "asked once");
		// Open: sealed with that key, which opens it and no other.
		let key = EpochKey::from_bytes([4; 32]);
		keyring.keep(3, 4, key.clone());
		let (field, value) = shown.show(&r, Place::Sealed(four));
		assert_eq!(field, "sealed");
		assert!(value.get("metrics").is_none() && value.get("timestampMs").is_none());
		let sealed = SealedReading::from_value(&value).unwrap();
		assert_eq!((sealed.channel, sealed.epoch), (3, 4));
		assert_eq!(sealed.open(&key).unwrap(), r);
		assert!(sealed.open(&EpochKey::from_bytes([5; 32])).is_err());
		// A key the member does not hold: unavailable, not asked for again.
		keyring.fail(3, 5, "not delivered".into());
		let (field, value) = shown.show(&r, Place::Sealed(SealedUnder { channel: 3, epoch: 5 }));
		assert_eq!((field, value["epoch"].as_u64()), ("unavailable", Some(5)));
		assert!(sealer.missing().is_empty());
		// Pending or set aside: withheld. Anchored public before it joined: as it is.
		assert_eq!(shown.show(&r, Place::Unsealed).0, "withheld");
		assert_eq!(shown.show(&r, Place::Public).0, "reading");
		// Purged past retention: its leaf, in either case.
		let leaf = r.leaf_hash();
		for d in [&shown, &Disclosure::Plain] {
			let (field, value) = d.show(&r, Place::Purged(leaf));
			assert_eq!((field, value["leaf"].as_str()), ("purged", Some(&*hex0x(leaf.as_bytes()))));
		}
		// A public device's reading is shown as it is.
		let (field, value) = Disclosure::Plain.show(&r, Place::Unsealed);
		assert_eq!((field, value["seq"].as_u64()), ("reading", Some(4)));
	}
}
