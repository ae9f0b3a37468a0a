//! Readings a device sealed itself under its channel's epoch key (`{"sealed": …}` messages,
//! [`SealedReading`]): the broker, and anyone who may subscribe to the device's topic, sees its
//! device id, sequence number, channel and epoch, never its values or time. The gateway opens
//! such a reading with the epoch keys of the member whose channel secret it holds, then checks it
//! as any other.
//!
//! [`judge`] is the decision on plain data: the device must be in the channel it sealed for
//! (else the gateway would publish summaries of a reading its device meant to be private, or
//! keep private one meant for another channel), sealed under that channel's current epoch (a
//! removed member holds the older keys: a device still sealing under one would leak to it), and
//! the reading must open to exactly the device and sequence number its label names.
//! [`Unsealer`] asks the chain and the keyring.

use crate::{
	ingest::telemetry::SealedReading,
	keyring::{ChannelView, Keyring},
	stats::Reject,
};
use iotrust_crypto::EpochKey;
use iotrust_primitives::{
	channels::{ChannelEpoch, ChannelId},
	merkle::SignedReading,
};
use std::sync::Arc;

use super::validate::Rejection;

fn unsealable(detail: String) -> Rejection {
	Rejection { reason: Reject::Unsealable, detail }
}

/// The reading inside `sealed`, given the channel its device is in now, that channel's epoch
/// now, and the key of the epoch it was sealed under (if the gateway holds it).
pub fn judge(
	sealed: &SealedReading,
	device_channel: Option<ChannelId>,
	epoch_now: ChannelEpoch,
	key: Option<&EpochKey>,
) -> Result<SignedReading, Rejection> {
	if device_channel != Some(sealed.channel) {
		return Err(unsealable(format!(
			"sealed for channel {}, but the device is in {}",
			sealed.channel,
			device_channel.map_or("none".into(), |c| format!("channel {c}"))
		)));
	}
	if sealed.epoch != epoch_now {
		return Err(unsealable(format!(
			"sealed under epoch {} of channel {}, whose epoch is {epoch_now}: give the device the current key",
			sealed.epoch, sealed.channel
		)));
	}
	let key = key.ok_or_else(|| {
		unsealable(format!(
			"this gateway holds no key of channel {}'s epoch {}",
			sealed.channel, sealed.epoch
		))
	})?;
	sealed.open(key).map_err(|e| unsealable(e.to_string()))
}

/// Opens devices' sealed readings with a member's keys, asking the chain what [`judge`] needs.
pub struct Unsealer {
	view: Arc<ChannelView>,
	keyring: Option<Arc<Keyring>>,
}

impl Unsealer {
	/// Asking through `view`, opening with `keyring` (none: every sealed reading is refused).
	pub fn new(view: Arc<ChannelView>, keyring: Option<Arc<Keyring>>) -> Self {
		Self { view, keyring }
	}

	/// The reading inside `sealed`, or why not. A chain that cannot be asked refuses it too
	/// (the broker redelivers nothing refused: the device sends it again or it is lost, as a
	/// reading with a bad signature would be).
	pub async fn open(&self, sealed: &SealedReading) -> Result<SignedReading, Rejection> {
		let chain =
			|e: crate::chain::port::ChainError| unsealable(format!("asking the chain: {e}"));
		let device_channel = self.view.device_channel(&sealed.device).await.map_err(chain)?;
		if device_channel != Some(sealed.channel) {
			return judge(sealed, device_channel, sealed.epoch, None);
		}
		let epoch_now = self.view.epoch_now(sealed.channel).await.map_err(chain)?;
		let key = match &self.keyring {
			Some(keyring) if sealed.epoch == epoch_now => Some(
				keyring
					.key(self.view.chain(), sealed.channel, sealed.epoch)
					.await
					.map_err(|e| unsealable(e.to_string()))?,
			),
			_ => None,
		};
		judge(sealed, device_channel, epoch_now, key.as_ref())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::lifecycle::tests::reading;

	#[test]
	fn a_sealed_reading_is_taken_only_in_its_devices_channel_and_current_epoch() {
		let key = EpochKey::from_bytes([6; 32]);
		let r = reading(4, 9, 21);
		let sealed = SealedReading::seal(&key, 2, 3, &r, false);
		assert_eq!(judge(&sealed, Some(2), 3, Some(&key)), Ok(r.clone()));
		let refused = |channel, epoch, key| judge(&sealed, channel, epoch, key).unwrap_err();
		// Not in a channel, or in another: it would be published, or kept from its readers.
		assert!(refused(None, 3, Some(&key)).detail.contains("the device is in none"));
		assert!(refused(Some(1), 3, Some(&key)).detail.contains("in channel 1"));
		// An old epoch's key (a removed member holds it) is refused once the epoch moved on.
		let stale = refused(Some(2), 4, Some(&key));
		assert_eq!(stale.reason, Reject::Unsealable);
		assert!(stale.detail.contains("give the device the current key"), "{}", stale.detail);
		// No key, or the wrong one.
		assert!(refused(Some(2), 3, None).detail.contains("holds no key"));
		let wrong = EpochKey::from_bytes([7; 32]);
		assert!(refused(Some(2), 3, Some(&wrong)).detail.contains("does not open"));
		// Relabelled as another sequence number: the associated data refuses it.
		let relabelled = SealedReading { seq: 10, ..sealed.clone() };
		assert!(judge(&relabelled, Some(2), 3, Some(&key)).is_err());
	}
}
