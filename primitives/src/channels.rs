//! Private channels: what the channels pallet shares with the runtime API, the gateway and the
//! clients that encrypt and decrypt a channel's payloads (`iotrust-crypto`).
//!
//! A channel is a set of consortium members (writers and readers) and, for a time, auditors,
//! who share a symmetric key that is replaced in epochs. Each epoch's key is made by a writer's
//! client and reaches every recipient sealed to the recipient's registered X25519 key with HPKE
//! (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305); the chain
//! stores the sealed keys, never a key. Payloads are sealed under the epoch key with
//! XChaCha20-Poly1305. The context strings below bind each sealed key and each payload to its
//! channel and epoch, so that neither can be replayed into another.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// A channel's number, as the chain assigns it.
pub type ChannelId = u32;

/// A channel's key epoch: it starts at 1 and grows by one with every change of members and every
/// key rotation, each epoch with a key of its own.
pub type ChannelEpoch = u32;

/// A member's or auditor's X25519 public key (32 bytes), which epoch keys are sealed to.
pub type EncryptionKey = [u8; 32];

/// An epoch key's identifier: HKDF-SHA256 of the key with [`KEY_ID_INFO`], the channel and the
/// epoch. A recipient who opens its sealed key checks it against the chain's, so a writer cannot
/// give different members different keys unnoticed.
pub type KeyId = [u8; 32];

/// A document's hash: BLAKE2-256 of its plaintext (what `PayloadKind::Document` binds its
/// ciphertext to, and what the chain records when it is published).
pub type DocumentHash = [u8; 32];

/// The length of an HPKE encapsulated key for DHKEM(X25519, HKDF-SHA256).
pub const ENCAPSULATED_LEN: usize = 32;
/// The length of a sealed 32-byte epoch key: the key and ChaCha20-Poly1305's 16-byte tag.
pub const SEALED_KEY_LEN: usize = 48;

/// HPKE's `info` for sealing an epoch key begins with this, followed by the channel and epoch
/// (SCALE, little-endian u32 each).
pub const SEAL_INFO: &[u8] = b"iotrust/channel/epoch-key/v1";
/// HKDF's `info` for an epoch key's [`KeyId`] begins with this, followed by channel and epoch.
pub const KEY_ID_INFO: &[u8] = b"iotrust/channel/key-id/v1";
/// A payload's associated data begins with this, followed by channel, epoch and what the
/// payload is (see [`PayloadKind`]).
pub const PAYLOAD_AAD: &[u8] = b"iotrust/channel/payload/v1";

/// The domain of a signed HTTP request to a gateway (a channel's readings and proofs).
pub const HTTP_REQUEST_DOMAIN: &[u8] = b"iotrust/http-request/v1";

/// How far ahead a signed HTTP request may expire, in seconds: a gateway refuses a later expiry
/// (and remembers each request's nonce until it expires, so that none is replayed).
pub const HTTP_REQUEST_MAX_AHEAD_S: u64 = 300;

/// What an account signs (sr25519) to read a channel's data from a gateway: the SCALE encoding
/// of `(domain, genesis hash, method, path and query, expires: u64 Unix seconds, nonce: [u8; 16])`.
pub fn http_request_payload(
	genesis: &[u8; 32],
	method: &str,
	path_and_query: &str,
	expires_s: u64,
	nonce: &[u8; 16],
) -> Vec<u8> {
	(
		HTTP_REQUEST_DOMAIN.to_vec(),
		genesis,
		method.as_bytes().to_vec(),
		path_and_query.as_bytes().to_vec(),
		expires_s,
		nonce,
	)
		.encode()
}

/// An epoch key sealed to one recipient with HPKE: the encapsulated key and the ciphertext.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct SealedKey {
	/// HPKE's `enc`: the sender's ephemeral X25519 public key.
	pub enc: [u8; ENCAPSULATED_LEN],
	/// The epoch key, encrypted and authenticated.
	pub ciphertext: [u8; SEALED_KEY_LEN],
}

/// Whether `key` can receive sealed epoch keys: not all zeros, and not a point of small order
/// (X25519 with one yields a shared secret every party can compute, which HPKE refuses, so no
/// writer could seal to it and each of the channel's new epochs would fail).
pub fn is_usable_encryption_key(key: &EncryptionKey) -> bool {
	if key == &[0u8; 32] {
		return false;
	}
	match curve25519_dalek::montgomery::MontgomeryPoint(*key).to_edwards(0) {
		Some(point) => !point.is_small_order(),
		// Not on the curve (on its twist): X25519 still yields a secret no one else knows.
		None => true,
	}
}

/// What a channel member may do.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum Role {
	/// Reads, and writes: puts devices, documents and obligations in the channel, starts epochs
	/// with a new key and delivers keys to auditors.
	Writer,
	/// Reads only.
	Reader,
}

/// What one account may do in a channel now, as the chain answers it.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum Access<BlockNumber> {
	/// Nothing: not a member, a member whose consortium membership ended, an auditor outside its
	/// window, or a channel that is closed.
	None,
	/// A member in this role.
	Member(Role),
	/// An auditor whose grant runs from `from` to `until` (both blocks included).
	Auditor { from: BlockNumber, until: BlockNumber },
}

impl<BlockNumber> Access<BlockNumber> {
	/// Whether this access lets its holder read the channel's payloads.
	pub fn reads(&self) -> bool {
		!matches!(self, Access::None)
	}

	/// Whether this access lets its holder write.
	pub fn writes(&self) -> bool {
		matches!(self, Access::Member(Role::Writer))
	}
}

/// What a sealed payload is, bound into its associated data.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub enum PayloadKind {
	/// A device's reading: the device and its sequence number.
	Reading { device: [u8; 32], seq: u64 },
	/// A document, by the BLAKE2-256 hash of its ciphertext's plaintext.
	Document { hash: [u8; 32] },
}

/// HPKE's `info` for sealing the key of `channel`'s `epoch`.
pub fn seal_info(channel: ChannelId, epoch: ChannelEpoch) -> Vec<u8> {
	context(SEAL_INFO, channel, epoch)
}

/// HKDF's `info` for the [`KeyId`] of `channel`'s `epoch` key.
pub fn key_id_info(channel: ChannelId, epoch: ChannelEpoch) -> Vec<u8> {
	context(KEY_ID_INFO, channel, epoch)
}

/// The associated data of a payload of `kind` sealed under `channel`'s `epoch` key.
pub fn payload_aad(channel: ChannelId, epoch: ChannelEpoch, kind: &PayloadKind) -> Vec<u8> {
	let mut aad = context(PAYLOAD_AAD, channel, epoch);
	kind.encode_to(&mut aad);
	aad
}

/// `label` followed by `channel` and `epoch`, little-endian.
fn context(label: &[u8], channel: ChannelId, epoch: ChannelEpoch) -> Vec<u8> {
	let mut out = Vec::with_capacity(label.len() + 8 + 41);
	out.extend_from_slice(label);
	out.extend_from_slice(&channel.to_le_bytes());
	out.extend_from_slice(&epoch.to_le_bytes());
	out
}

/// Which devices' readings are private to a channel: the anchoring pallet publishes no summary
/// of them, and gateways serve their readings only to the channel's members and auditors.
pub trait DeviceChannels {
	/// The channel `device`'s readings belong to, if any.
	fn channel_of(device: &crate::device::DeviceId) -> Option<ChannelId>;
}

impl DeviceChannels for () {
	fn channel_of(_: &crate::device::DeviceId) -> Option<ChannelId> {
		None
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn contexts_hold_label_channel_and_epoch() {
		let info = seal_info(7, 3);
		assert_eq!(&info[..SEAL_INFO.len()], SEAL_INFO);
		assert_eq!(&info[SEAL_INFO.len()..], &[7, 0, 0, 0, 3, 0, 0, 0]);
		let id = key_id_info(0x0102_0304, 1);
		assert_eq!(&id[..KEY_ID_INFO.len()], KEY_ID_INFO);
		assert_eq!(&id[KEY_ID_INFO.len()..], &[4, 3, 2, 1, 1, 0, 0, 0]);
		let aad = payload_aad(1, 2, &PayloadKind::Document { hash: [9; 32] });
		assert_eq!(aad.len(), PAYLOAD_AAD.len() + 8 + 33);
	}

	#[test]
	fn small_order_keys_are_unusable() {
		use curve25519_dalek::constants::{EIGHT_TORSION, X25519_BASEPOINT};
		for torsion in EIGHT_TORSION {
			assert!(!is_usable_encryption_key(&torsion.to_montgomery().to_bytes()));
		}
		assert!(!is_usable_encryption_key(&[0; 32]));
		assert!(is_usable_encryption_key(&X25519_BASEPOINT.to_bytes()));
	}

	#[test]
	fn roles_read_and_write() {
		assert!(Access::<u32>::Member(Role::Writer).writes());
		assert!(!Access::<u32>::Member(Role::Reader).writes());
		assert!(Access::Auditor { from: 1u32, until: 2 }.reads());
		assert!(!Access::Auditor { from: 1u32, until: 2 }.writes());
		assert!(!Access::<u32>::None.reads());
	}
}
