//! # iotrust crypto
//!
//! The client-side cryptography of private channels (see `iotrust_primitives::channels` and the
//! channels pallet), written once for the gateway, the command-line tools and the verifier. It
//! composes standard, audited constructions and nothing of its own:
//!
//! - **Epoch keys** are 32 random bytes, one per channel epoch, made by a writer's client.
//! - **Sealing an epoch key** to a recipient is HPKE (RFC 9180) in base mode with
//!   DHKEM(X25519, HKDF-SHA256), HKDF-SHA256 and ChaCha20-Poly1305 (the `hpke` crate), `info`
//!   = [`seal_info`] (label, channel, epoch) so that a sealed key opens only as the key of the
//!   epoch it was made for. HPKE base mode gives the recipient confidentiality and integrity, not
//!   sender authentication: the chain provides that (only a writer's signed call stores a sealed
//!   key), and the key's identifier on chain lets every recipient check it holds the same key.
//! - **A key's identifier** is HKDF-SHA256 (RFC 5869) of the key, no salt, `info` =
//!   [`key_id_info`]: the chain stores it with the epoch, and [`open_epoch_key`] refuses a key
//!   whose identifier differs.
//! - **Payloads** (readings, documents) are sealed with XChaCha20-Poly1305 under the epoch key,
//!   with a random 24-byte nonce (random nonces are safe at this nonce size) and associated data
//!   [`payload_aad`] (label, channel, epoch, and the reading's device and sequence number or the
//!   document's hash), so that a ciphertext cannot be passed off as another reading, another
//!   epoch's or another channel's. Wire form: `nonce ‖ ciphertext ‖ tag`.
//!
//! Forward secrecy across epochs comes from membership, not from ratchets: a member removed in
//! epoch `n` holds the keys of epochs before `n` (and can read what was sealed under them) and
//! none after. A recipient's X25519 secret opens every epoch key ever sealed to it: keep it as a
//! wallet's key is kept.

pub use iotrust_primitives::channels::{
	key_id_info, payload_aad, seal_info, ChannelEpoch, ChannelId, EncryptionKey, KeyId,
	PayloadKind, SealedKey, ENCAPSULATED_LEN, SEALED_KEY_LEN,
};

use chacha20poly1305::{
	aead::{Aead, KeyInit, Payload},
	XChaCha20Poly1305, XNonce,
};
use hpke::{
	aead::ChaCha20Poly1305, kdf::HkdfSha256, kem::X25519HkdfSha256, Deserializable, Kem as _,
	OpModeR, OpModeS, Serializable,
};
use rand_core::{CryptoRng, OsRng, TryRngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

type Kem = X25519HkdfSha256;

/// The length of a payload's nonce.
pub const NONCE_LEN: usize = 24;
/// The length of a payload's authentication tag.
pub const TAG_LEN: usize = 16;

/// Why a key or payload could not be sealed or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum Error {
	/// The recipient's public key is not a usable X25519 key.
	#[error("not a usable X25519 public key")]
	BadPublicKey,
	/// HPKE failed to seal (e.g. a low-order recipient key).
	#[error("sealing the epoch key failed")]
	Seal,
	/// The sealed key does not open with this secret for this channel and epoch.
	#[error("the sealed key does not open with this secret, channel and epoch")]
	Open,
	/// The opened key's identifier is not the one on chain: the writer sealed a different key.
	#[error("the epoch key's identifier is not the chain's")]
	WrongKeyId,
	/// The payload is shorter than a nonce and a tag.
	#[error("the sealed payload is {0} bytes, shorter than a nonce and a tag")]
	Truncated(usize),
	/// The payload does not open with this key and context (tampered, or another's).
	#[error("the payload does not open with this key, channel, epoch and context")]
	PayloadOpen,
}

/// A channel's epoch key. Wiped from memory when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop, PartialEq, Eq)]
pub struct EpochKey([u8; 32]);

impl core::fmt::Debug for EpochKey {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str("EpochKey(..)")
	}
}

impl EpochKey {
	/// A fresh key from the operating system's randomness.
	pub fn generate() -> Self {
		Self::generate_with(&mut OsRng.unwrap_err())
	}

	/// A fresh key from `rng`.
	pub fn generate_with(rng: &mut impl CryptoRng) -> Self {
		let mut key = [0u8; 32];
		rng.fill_bytes(&mut key);
		Self(key)
	}

	/// The key with these bytes (e.g. read back from a client's own store).
	pub fn from_bytes(bytes: [u8; 32]) -> Self {
		Self(bytes)
	}

	/// The key's bytes.
	pub fn as_bytes(&self) -> &[u8; 32] {
		&self.0
	}

	/// The key's identifier as `channel`'s `epoch` key (what the chain stores with the epoch).
	pub fn id(&self, channel: ChannelId, epoch: ChannelEpoch) -> KeyId {
		let mut out = [0u8; 32];
		hkdf::Hkdf::<sha2::Sha256>::new(None, &self.0)
			.expand(&key_id_info(channel, epoch), &mut out)
			.expect("32 bytes is a valid HKDF-SHA256 output length; qed");
		out
	}
}

/// A member's or auditor's X25519 secret key, which epoch keys are sealed to. Wiped when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey([u8; 32]);

impl core::fmt::Debug for SecretKey {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		f.write_str("SecretKey(..)")
	}
}

impl SecretKey {
	/// A fresh secret from the operating system's randomness.
	pub fn generate() -> Self {
		Self::generate_with(&mut OsRng.unwrap_err())
	}

	/// A fresh secret from `rng`.
	pub fn generate_with(rng: &mut impl CryptoRng) -> Self {
		let (secret, _) = Kem::gen_keypair(rng);
		Self(secret.to_bytes().into())
	}

	/// The secret with these bytes (e.g. read from its file).
	pub fn from_bytes(bytes: [u8; 32]) -> Self {
		Self(bytes)
	}

	/// The secret's bytes, to store it.
	pub fn as_bytes(&self) -> &[u8; 32] {
		&self.0
	}

	/// The public key to register on chain (`channels.setEncryptionKey`).
	pub fn public(&self) -> EncryptionKey {
		let secret = self.hpke();
		<Kem as hpke::Kem>::sk_to_pk(&secret).to_bytes().into()
	}

	fn hpke(&self) -> <Kem as hpke::Kem>::PrivateKey {
		<Kem as hpke::Kem>::PrivateKey::from_bytes(&self.0)
			.expect("any 32 bytes are an X25519 secret (clamped when used); qed")
	}
}

/// Seal `key`, the key of `channel`'s `epoch`, to the recipient whose public key is `to`.
pub fn seal_epoch_key(
	to: &EncryptionKey,
	channel: ChannelId,
	epoch: ChannelEpoch,
	key: &EpochKey,
) -> Result<SealedKey, Error> {
	seal_epoch_key_with(to, channel, epoch, key, &mut OsRng.unwrap_err())
}

/// [`seal_epoch_key`] with the randomness of `rng`.
pub fn seal_epoch_key_with(
	to: &EncryptionKey,
	channel: ChannelId,
	epoch: ChannelEpoch,
	key: &EpochKey,
	rng: &mut impl CryptoRng,
) -> Result<SealedKey, Error> {
	let public = <Kem as hpke::Kem>::PublicKey::from_bytes(to).map_err(|_| Error::BadPublicKey)?;
	let (enc, ciphertext) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, Kem, _>(
		&OpModeS::Base,
		&public,
		&seal_info(channel, epoch),
		key.as_bytes(),
		&[],
		rng,
	)
	.map_err(|_| Error::Seal)?;
	Ok(SealedKey {
		enc: enc.to_bytes().into(),
		ciphertext: ciphertext.try_into().map_err(|_| Error::Seal)?,
	})
}

/// Open `sealed`, the key of `channel`'s `epoch` sealed to `secret`'s public key, and check its
/// identifier against `expected` (the chain's).
pub fn open_epoch_key(
	secret: &SecretKey,
	channel: ChannelId,
	epoch: ChannelEpoch,
	sealed: &SealedKey,
	expected: &KeyId,
) -> Result<EpochKey, Error> {
	let enc = <Kem as hpke::Kem>::EncappedKey::from_bytes(&sealed.enc).map_err(|_| Error::Open)?;
	let mut plain = hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, Kem>(
		&OpModeR::Base,
		&secret.hpke(),
		&enc,
		&seal_info(channel, epoch),
		&sealed.ciphertext,
		&[],
	)
	.map_err(|_| Error::Open)?;
	let bytes: Result<[u8; 32], _> = plain.as_slice().try_into();
	plain.zeroize();
	let key = EpochKey(bytes.map_err(|_| Error::Open)?);
	if key.id(channel, epoch) != *expected {
		return Err(Error::WrongKeyId);
	}
	Ok(key)
}

/// Seal `plaintext` of `kind` under `key`, the key of `channel`'s `epoch`:
/// `nonce ‖ ciphertext ‖ tag`.
pub fn seal_payload(
	key: &EpochKey,
	channel: ChannelId,
	epoch: ChannelEpoch,
	kind: &PayloadKind,
	plaintext: &[u8],
) -> Vec<u8> {
	seal_payload_with(key, channel, epoch, kind, plaintext, &mut OsRng.unwrap_err())
}

/// [`seal_payload`] with the nonce drawn from `rng`.
pub fn seal_payload_with(
	key: &EpochKey,
	channel: ChannelId,
	epoch: ChannelEpoch,
	kind: &PayloadKind,
	plaintext: &[u8],
	rng: &mut impl CryptoRng,
) -> Vec<u8> {
	let mut nonce = [0u8; NONCE_LEN];
	rng.fill_bytes(&mut nonce);
	let aad = payload_aad(channel, epoch, kind);
	let cipher = XChaCha20Poly1305::new(key.as_bytes().into());
	let sealed = cipher
		.encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad })
		.expect("XChaCha20-Poly1305 encrypts any message shorter than 256 GiB; qed");
	let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
	out.extend_from_slice(&nonce);
	out.extend_from_slice(&sealed);
	out
}

/// Open a payload [`seal_payload`] sealed, given the same key, channel, epoch and kind.
pub fn open_payload(
	key: &EpochKey,
	channel: ChannelId,
	epoch: ChannelEpoch,
	kind: &PayloadKind,
	sealed: &[u8],
) -> Result<Vec<u8>, Error> {
	if sealed.len() < NONCE_LEN + TAG_LEN {
		return Err(Error::Truncated(sealed.len()));
	}
	let (nonce, body) = sealed.split_at(NONCE_LEN);
	let aad = payload_aad(channel, epoch, kind);
	XChaCha20Poly1305::new(key.as_bytes().into())
		.decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad: &aad })
		.map_err(|_| Error::PayloadOpen)
}

#[cfg(test)]
mod tests;
