//! How a private device's readings leave the gateway: sealed under the key of the channel epoch
//! they belong to ([`iotrust_crypto::seal_payload`]; the plaintext is the reading's SCALE
//! encoding, the associated data binds channel, epoch, device and sequence number). A reading in
//! a batch belongs to the epoch the channel was in when the chain judged that batch
//! ([`SealedUnder`], stored with the batch); one not yet batched (pending or set aside), or in a
//! batch made before the gateway recorded epochs, to the channel's current epoch.
//!
//! The gateway seals with the keys its member account holds ([`Keyring`]). A [`Sealer`] reads
//! only keys the keyring already opened, so that it can run on the database's thread; it notes
//! those it lacks, which the request then opens from the chain before it asks again
//! ([`Sealer::missing`]). A reading whose key is missing is never shown in the clear.

use crate::{batch::SealedUnder, ingest::telemetry::hex0x, keyring::Keyring};
use codec::Encode;
use iotrust_primitives::{
	channels::{ChannelEpoch, ChannelId, PayloadKind},
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

impl Disclosure {
	/// The field showing `reading`, which lies in a batch sealed `under` (if it is batched and
	/// the batch recorded it): `("reading", …)` in the clear, or `("sealed", …)`.
	pub fn show(
		&self,
		reading: &SignedReading,
		under: Option<SealedUnder>,
	) -> (&'static str, Value) {
		match self {
			Self::Plain => ("reading", crate::ingest::telemetry::reading_to_value(reading)),
			Self::Sealed(sealer) => ("sealed", sealer.seal(reading, under)),
		}
	}
}

/// Seals one request's readings of a private device.
pub struct Sealer {
	keyring: Arc<Keyring>,
	/// The device's channel now, and its epoch now: for readings not batched under an epoch.
	current: SealedUnder,
	missing: Mutex<BTreeSet<(ChannelId, ChannelEpoch)>>,
}

impl Sealer {
	/// Sealing with `keyring`'s keys; readings not batched under an epoch go under `current`.
	pub fn new(keyring: Arc<Keyring>, current: SealedUnder) -> Self {
		Self { keyring, current, missing: Mutex::new(BTreeSet::new()) }
	}

	/// `reading` sealed under `under` (else the current epoch), as JSON: `channel`, `epoch`,
	/// `device`, `seq`, `leaf` (its Merkle leaf, what its proof proves) and `data` (nonce ‖
	/// ciphertext ‖ tag). `null` if the key is not open yet (see [`Sealer::missing`]).
	pub fn seal(&self, reading: &SignedReading, under: Option<SealedUnder>) -> Value {
		let under = under.unwrap_or(self.current);
		let Some(key) = self.keyring.cached(under.channel, under.epoch) else {
			self.lock().insert((under.channel, under.epoch));
			return Value::Null;
		};
		let kind = PayloadKind::Reading { device: reading.device.0, seq: reading.seq };
		let data = iotrust_crypto::seal_payload(
			&key,
			under.channel,
			under.epoch,
			&kind,
			&reading.encode(),
		);
		json!({
			"channel": under.channel,
			"epoch": under.epoch,
			"device": hex0x(reading.device.as_bytes()),
			"seq": reading.seq,
			"leaf": hex0x(reading.leaf_hash().as_bytes()),
			"data": hex0x(&data),
		})
	}

	/// The epoch keys a seal lacked since the last call, which the caller opens before asking
	/// again.
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
	use crate::{channel::audit::Sealed, lifecycle::tests::reading};
	use iotrust_crypto::{EpochKey, SecretKey};

	#[test]
	fn a_private_reading_leaves_sealed_under_its_epoch_or_not_at_all() {
		let keyring = Arc::new(Keyring::new([1; 32], SecretKey::from_bytes([2; 32])));
		let now = SealedUnder { channel: 3, epoch: 5 };
		let sealer = Arc::new(Sealer::new(keyring.clone(), now));
		let shown = Disclosure::Sealed(sealer.clone());
		let r = reading(7, 4, 1);
		// No key open yet: nothing is shown, and the key is asked for.
		assert_eq!(shown.show(&r, None), ("sealed", Value::Null));
		assert_eq!(sealer.missing(), BTreeSet::from([(3, 5)]));
		assert!(sealer.missing().is_empty(), "asked once");
		// Batched under epoch 4: sealed with that key, which opens it; unbatched: epoch 5.
		let (four, five) = (EpochKey::from_bytes([4; 32]), EpochKey::from_bytes([5; 32]));
		keyring.keep(3, 4, four.clone());
		keyring.keep(3, 5, five.clone());
		let (field, value) = shown.show(&r, Some(SealedUnder { channel: 3, epoch: 4 }));
		assert_eq!(field, "sealed");
		assert!(value.get("metrics").is_none() && value.get("timestampMs").is_none());
		let sealed = Sealed::from_value(&value).unwrap();
		assert_eq!(sealed.epoch, 4);
		assert_eq!(sealed.open(&four).unwrap(), r);
		assert!(sealed.open(&five).is_err());
		let sealed = Sealed::from_value(&shown.show(&r, None).1).unwrap();
		assert_eq!((sealed.channel, sealed.epoch), (3, 5));
		assert_eq!(sealed.open(&five).unwrap(), r);
		// A public device's reading is shown as it is.
		let (field, value) = Disclosure::Plain.show(&r, None);
		assert_eq!((field, value["seq"].as_u64()), ("reading", Some(4)));
	}
}
