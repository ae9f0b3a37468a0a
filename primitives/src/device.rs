//! Device identity: the keys devices hold, their signatures, how the chain verifies them, and the
//! [`DeviceRegistry`] trait through which pallets ask about devices without depending on the
//! devices pallet.
//!
//! Four schemes, as devices actually hold them:
//!
//! | scheme | public key | signature | what is signed |
//! | --- | --- | --- | --- |
//! | Ed25519 | 32 bytes | 64 bytes | the payload |
//! | Sr25519 | 32 bytes | 64 bytes | the payload |
//! | Secp256k1 | 33 bytes, compressed SEC1 | 65 bytes `r‖s‖v` (recoverable) | blake2-256 of the payload (Substrate's ECDSA) |
//! | P-256 (secp256r1) | 33 bytes, compressed SEC1 | 64 bytes `r‖s` | SHA-256 of the payload (what secure elements, TPMs and phone keystores do) |
//!
//! P-256 is verified in pure Rust (the `p256` crate, `no_std`), inside the runtime.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Weight;

/// A device's identifier: derived from the first public key it registered with, and stable
/// across key rotation.
pub type DeviceId = H256;

/// Domain separators: a signature made for one purpose is never valid for another.
pub mod domain {
	/// Proof of possession at registration.
	pub const REGISTER: &[u8] = b"iotrust/device/register/v1";
	/// A key rotation, signed by the old and by the new key.
	pub const ROTATE: &[u8] = b"iotrust/device/rotate/v1";
	/// A firmware report.
	pub const FIRMWARE: &[u8] = b"iotrust/device/firmware/v1";
	/// An obligation a device asks for, submitted by its gateway (v2: with the last block it
	/// may be accepted in).
	pub const OBLIGATION: &[u8] = b"iotrust/obligation/create/v2";
	/// A gateway's answer to a device's obligation request, signed by the gateway's account.
	pub const OBLIGATION_REPLY: &[u8] = b"iotrust/obligation/reply/v1";
	/// The derivation of a [`super::DeviceId`] from a key.
	pub const DEVICE_ID: &[u8] = b"iotrust/device/id/v1";
}

/// The signature scheme of a device key.
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
	PartialOrd,
	Ord,
	Debug,
)]
pub enum KeyScheme {
	/// Ed25519.
	Ed25519,
	/// Schnorrkel/Ristretto sr25519.
	Sr25519,
	/// ECDSA over secp256k1, Substrate's convention (blake2-256 digest, recoverable signature).
	Secp256k1,
	/// ECDSA over NIST P-256 (secp256r1) with SHA-256: secure elements, TPMs, phone keystores.
	P256,
}

/// A device's public key.
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
	PartialOrd,
	Ord,
	Debug,
)]
pub enum DevicePublicKey {
	/// An Ed25519 public key.
	Ed25519([u8; 32]),
	/// An sr25519 public key.
	Sr25519([u8; 32]),
	/// A compressed SEC1 secp256k1 public key.
	Secp256k1([u8; 33]),
	/// A compressed SEC1 P-256 public key.
	P256([u8; 33]),
}

/// A device's signature.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub enum DeviceSignature {
	/// An Ed25519 signature.
	Ed25519([u8; 64]),
	/// An sr25519 signature.
	Sr25519([u8; 64]),
	/// A recoverable secp256k1 ECDSA signature `r‖s‖v` over the blake2-256 digest.
	Secp256k1([u8; 65]),
	/// A P-256 ECDSA signature `r‖s` over the SHA-256 digest.
	P256([u8; 64]),
}

impl DevicePublicKey {
	/// This key's scheme.
	pub fn scheme(&self) -> KeyScheme {
		match self {
			Self::Ed25519(_) => KeyScheme::Ed25519,
			Self::Sr25519(_) => KeyScheme::Sr25519,
			Self::Secp256k1(_) => KeyScheme::Secp256k1,
			Self::P256(_) => KeyScheme::P256,
		}
	}

	/// The variant's name and the key's bytes, as JSON clients tag it (see
	/// [`DeviceSignature::tagged`]).
	pub fn tagged(&self) -> (&'static str, &[u8]) {
		match self {
			Self::Ed25519(k) => ("Ed25519", k),
			Self::Sr25519(k) => ("Sr25519", k),
			Self::Secp256k1(k) => ("Secp256k1", k),
			Self::P256(k) => ("P256", k),
		}
	}

	/// The device id this key gives a device that registers with it first.
	pub fn device_id(&self) -> DeviceId {
		H256(sp_io::hashing::blake2_256(&(domain::DEVICE_ID, self).encode()))
	}

	/// Whether this key may identify a device: a canonical encoding of a point that only its
	/// holder can sign for.
	///
	/// Ed25519 keys must decode, be encoded canonically, and lie in the prime-order subgroup:
	/// a small-order key has signatures anyone can forge, and a key plus a torsion point is
	/// another encoding for the same secret (it would pass as "new" beside a retired key). An
	/// sr25519 key must be a canonical Ristretto encoding other than the identity; a secp256k1
	/// or P-256 key a compressed point on its curve. With these rules, two different accepted
	/// keys never stand for the same secret.
	pub fn is_acceptable(&self) -> bool {
		match self {
			Self::Ed25519(raw) => {
				let compressed = curve25519_dalek::edwards::CompressedEdwardsY(*raw);
				compressed.decompress().is_some_and(|point| {
					point.compress().0 == *raw && !point.is_small_order() && point.is_torsion_free()
				})
			},
			Self::Sr25519(raw) => {
				let compressed = curve25519_dalek::ristretto::CompressedRistretto(*raw);
				compressed.decompress().is_some_and(|point| {
					point != curve25519_dalek::ristretto::RistrettoPoint::default()
				})
			},
			Self::Secp256k1(raw) => matches!(raw[0], 2 | 3),
			Self::P256(raw) => p256::ecdsa::VerifyingKey::from_sec1_bytes(raw).is_ok(),
		}
	}

	/// Whether `signature` is this key's signature over `message`. A signature of another
	/// scheme, a malformed key or a malformed signature is never valid.
	pub fn verify(&self, message: &[u8], signature: &DeviceSignature) -> bool {
		match (self, signature) {
			(Self::Ed25519(key), DeviceSignature::Ed25519(sig)) => sp_io::crypto::ed25519_verify(
				&sp_core::ed25519::Signature::from_raw(*sig),
				message,
				&sp_core::ed25519::Public::from_raw(*key),
			),
			(Self::Sr25519(key), DeviceSignature::Sr25519(sig)) => sp_io::crypto::sr25519_verify(
				&sp_core::sr25519::Signature::from_raw(*sig),
				message,
				&sp_core::sr25519::Public::from_raw(*key),
			),
			(Self::Secp256k1(key), DeviceSignature::Secp256k1(sig)) => {
				let digest = sp_io::hashing::blake2_256(message);
				sp_io::crypto::secp256k1_ecdsa_recover_compressed(sig, &digest)
					.is_ok_and(|recovered| &recovered == key)
			},
			(Self::P256(key), DeviceSignature::P256(sig)) => p256_verify(key, message, sig),
			_ => false,
		}
	}
}

impl DeviceSignature {
	/// This signature's scheme.
	pub fn scheme(&self) -> KeyScheme {
		match self {
			Self::Ed25519(_) => KeyScheme::Ed25519,
			Self::Sr25519(_) => KeyScheme::Sr25519,
			Self::Secp256k1(_) => KeyScheme::Secp256k1,
			Self::P256(_) => KeyScheme::P256,
		}
	}

	/// The variant's name and the signature's bytes: how JSON clients (polkadot.js, the
	/// gateway's telemetry) tag it, `{ "<Variant>": "0x…" }`.
	pub fn tagged(&self) -> (&'static str, &[u8]) {
		match self {
			Self::Ed25519(s) => ("Ed25519", s),
			Self::Sr25519(s) => ("Sr25519", s),
			Self::Secp256k1(s) => ("Secp256k1", s),
			Self::P256(s) => ("P256", s),
		}
	}

	/// The signature a variant name and its bytes make, if the name is known and the length
	/// is the scheme's.
	pub fn from_tagged(variant: &str, bytes: &[u8]) -> Option<Self> {
		Some(match variant {
			"Ed25519" => Self::Ed25519(bytes.try_into().ok()?),
			"Sr25519" => Self::Sr25519(bytes.try_into().ok()?),
			"Secp256k1" => Self::Secp256k1(bytes.try_into().ok()?),
			"P256" => Self::P256(bytes.try_into().ok()?),
			_ => return None,
		})
	}
}

/// ECDSA P-256 with SHA-256, in pure Rust. Both `s` and `n - s` verify, as in every standard
/// verifier; callers that need one canonical signature per message must not key on it.
fn p256_verify(key: &[u8; 33], message: &[u8], sig: &[u8; 64]) -> bool {
	use p256::ecdsa::{signature::Verifier, Signature, VerifyingKey};
	let Ok(key) = VerifyingKey::from_sec1_bytes(key) else { return false };
	let Ok(sig) = Signature::from_slice(sig) else { return false };
	key.verify(message, &sig).is_ok()
}

/// What a device signs to prove it holds `key` when `owner` registers it on the chain whose
/// genesis hash is `genesis`: the registration cannot be replayed on another chain or by another
/// owner.
pub fn registration_payload(
	genesis: &impl Encode,
	owner: &impl Encode,
	key: &DevicePublicKey,
) -> alloc::vec::Vec<u8> {
	(domain::REGISTER, genesis, owner, key).encode()
}

/// What both the old and the new key sign to rotate `device` to `new_key`. `nonce` is the
/// device's rotation count, so an old rotation cannot be replayed.
pub fn rotation_payload(
	genesis: &impl Encode,
	device: &DeviceId,
	new_key: &DevicePublicKey,
	nonce: u32,
) -> alloc::vec::Vec<u8> {
	(domain::ROTATE, genesis, device, new_key, nonce).encode()
}

/// What a device signs to report that it runs firmware `version` with image hash `hash`. `nonce`
/// is the device's report count, so an old report cannot be replayed.
pub fn firmware_payload(
	genesis: &impl Encode,
	device: &DeviceId,
	version: &[u8],
	hash: &H256,
	nonce: u32,
) -> alloc::vec::Vec<u8> {
	(domain::FIRMWARE, genesis, device, version, hash, nonce).encode()
}

/// What a consumer's device signs to ask, through its gateway, for the obligation `terms` (an
/// `ObligationRequest` of the obligations module, SCALE-encoded). `nonce` is the device's count of
/// such requests, so a request that was accepted cannot be replayed; `valid_until` is the last
/// block the chain may accept it in, so one that was not cannot be replayed later either.
pub fn obligation_payload(
	genesis: &impl Encode,
	device: &DeviceId,
	nonce: u32,
	valid_until: u32,
	terms: &impl Encode,
) -> alloc::vec::Vec<u8> {
	(domain::OBLIGATION, genesis, device, nonce, valid_until, terms).encode()
}

/// What a gateway signs, with its account's sr25519 key, when it answers `device`'s obligation
/// request: the device's reference for the request (`id`, as the JSON text it sent), the nonce
/// the request carried (if it could be read), the outcome (`status`: `created`, `rejected`,
/// `failed`, `notSubmitted`), the obligation created if any, and why it was not (the rejection's
/// reason or the chain's error; empty when created). A device checks it against the gateway
/// account it is bound to, so no other broker client can tell it "created".
pub fn obligation_reply_payload(
	genesis: &impl Encode,
	device: &DeviceId,
	id: &str,
	nonce: Option<u32>,
	status: &str,
	obligation: Option<u64>,
	why: &str,
) -> alloc::vec::Vec<u8> {
	(domain::OBLIGATION_REPLY, genesis, device, id, nonce, status, obligation, why).encode()
}

/// Where a device's status stands.
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
pub enum DeviceStatus {
	/// Its signatures count.
	Active,
	/// Temporarily not trusted (e.g. in repair); its owner may resume it.
	Suspended,
	/// Permanently distrusted: its key can never be registered again.
	Revoked,
}

/// The record of a device caught signing two different readings under one sequence number.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub struct Equivocation<BlockNumber> {
	/// How many times it was caught (each at a higher sequence number than the last).
	pub count: u32,
	/// The sequence number of the last report.
	pub last_seq: u64,
	/// The block of the last report.
	pub reported_at: BlockNumber,
}

/// A key a device held, from block `from` until the next key's `from` (or now).
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
pub struct KeyPeriod<BlockNumber> {
	/// The key.
	pub key: DevicePublicKey,
	/// The block it was registered or rotated in.
	pub from: BlockNumber,
}

/// The keys of `history` (oldest first) in effect at some point of block `at`: each from its own
/// block until the block the next key took effect in, both included (so in a block where the key
/// rotated, both keys count: the chain cannot order a rotation against other calls of the block).
pub fn keys_in_effect<B: PartialOrd + Copy>(
	history: &[KeyPeriod<B>],
	at: B,
) -> impl Iterator<Item = &DevicePublicKey> {
	history.iter().enumerate().filter_map(move |(i, period)| {
		let until = history.get(i + 1).map(|next| next.from);
		(period.from <= at && until.is_none_or(|until| at <= until)).then_some(&period.key)
	})
}

/// Whether a manufacturer's attestation of a device key still stands.
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
pub enum AttestationStatus {
	/// Its manufacturer is registered and neither it nor the council revoked it.
	Valid,
	/// Its manufacturer or the council revoked it.
	Revoked,
	/// The council removed its manufacturer: none of that manufacturer's attestations count.
	ManufacturerRemoved,
}

/// The outcome of checking a device signature, as clients see it.
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
pub enum Verification {
	/// The device is active and its current key made the signature.
	Valid,
	/// The device is active but the signature is not its key's over that payload.
	BadSignature,
	/// The device is suspended: its signatures do not count for now.
	Suspended,
	/// The device is revoked: its signatures never count again.
	Revoked,
	/// No device has that id.
	UnknownDevice,
}

/// Why a gateway may not submit what a device signed: the first checks the chain makes of every
/// device-signed thing a gateway brings (the anchoring pallet's ranges, the obligations pallet's
/// device requests, each refused with an error of the same name), and the ones a gateway makes
/// first from its copy of the device's record ([`DeviceRefusal::judge`]).
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
	PartialOrd,
	Ord,
	Debug,
)]
pub enum DeviceRefusal {
	/// The device is suspended, revoked or not registered.
	DeviceNotActive,
	/// The device is bound to another gateway, or to none.
	NotDeviceGateway,
}

impl DeviceRefusal {
	/// Whether `gateway` may submit what a device signed that is registered with `status` (if
	/// at all) and bound to `bound`.
	pub fn judge<AccountId: PartialEq>(
		status: Option<DeviceStatus>,
		bound: Option<&AccountId>,
		gateway: &AccountId,
	) -> Result<(), Self> {
		if status != Some(DeviceStatus::Active) {
			return Err(Self::DeviceNotActive);
		}
		if bound != Some(gateway) {
			return Err(Self::NotDeviceGateway);
		}
		Ok(())
	}

	/// Its name as gateways report it (metric labels, replies to devices): the variant's, in
	/// snake case.
	pub fn label(self) -> &'static str {
		match self {
			Self::DeviceNotActive => "device_not_active",
			Self::NotDeviceGateway => "not_device_gateway",
		}
	}
}

/// What other pallets (anchoring, obligations) may ask about devices, without reaching into the
/// devices pallet. The runtime wires the devices pallet in as the implementation.
pub trait DeviceRegistry<AccountId> {
	/// Whether `device` is registered and active (neither suspended nor revoked).
	fn is_active(device: &DeviceId) -> bool;
	/// The owner of `device`, if it is registered.
	fn owner_of(device: &DeviceId) -> Option<AccountId>;
	/// The gateway `device` is bound to, if any.
	fn gateway_of(device: &DeviceId) -> Option<AccountId>;
	/// Whether `signature` over `payload` is by `device`'s current key, and `device` is active.
	fn verify(device: &DeviceId, payload: &[u8], signature: &DeviceSignature) -> bool;
	/// Whether `signature` over `payload` is by a key `device` held during block `at`, whatever
	/// its status now: for evidence made back then, such as an anchored reading.
	fn verify_at(device: &DeviceId, at: u64, payload: &[u8], signature: &DeviceSignature) -> bool;
	/// Whether `gateway` may submit what `device` signed ([`DeviceRefusal::judge`]), and if so
	/// who owns the device and which key it signs with now: the first checks of everything a
	/// device signs and a gateway brings, answered from one read of the device.
	fn standing(device: &DeviceId, gateway: &AccountId)
		-> Result<Signer<AccountId>, DeviceRefusal>;
	/// Forget what is kept of `device` as evidence (its key history, an equivocation) if its
	/// record is removed: called when nothing on chain refers to it any more (its last anchor
	/// expired). Its retired keys stay retired. The default keeps everything.
	fn forget(_device: &DeviceId) {}
	/// What [`DeviceRegistry::forget`] may weigh.
	fn forget_weight() -> Weight {
		Weight::zero()
	}
}

/// What other pallets keep per device and drop when its record is removed (a removed device's
/// id never comes back: it is derived from its first key, which stays retired). Evidence made
/// while the device lived (its keys, anchors, an equivocation) is kept with the anchors it backs.
pub trait OnDeviceRemoved {
	/// `device`'s record was removed: drop what is kept for it. Returns the weight used.
	fn on_device_removed(device: &DeviceId) -> Weight;
	/// The most [`OnDeviceRemoved::on_device_removed`] may weigh.
	fn max_weight() -> Weight;
}

impl OnDeviceRemoved for () {
	fn on_device_removed(_: &DeviceId) -> Weight {
		Weight::zero()
	}
	fn max_weight() -> Weight {
		Weight::zero()
	}
}

impl<A: OnDeviceRemoved, B: OnDeviceRemoved> OnDeviceRemoved for (A, B) {
	fn on_device_removed(device: &DeviceId) -> Weight {
		A::on_device_removed(device).saturating_add(B::on_device_removed(device))
	}
	fn max_weight() -> Weight {
		A::max_weight().saturating_add(B::max_weight())
	}
}

/// What a pallet that ends a gateway's service asks of the device registry: the groups pallet,
/// when the council dissolves a group, has its account stop serving every owner it served.
pub trait GatewayConsents<AccountId> {
	/// Stop serving every owner `gateway` serves, releasing each consent's deposit to
	/// `gateway`; from then on no owner may bind a device to it. Refuses, changing nothing, if
	/// it serves more than `limit` owners. Returns how many it stopped serving.
	fn stop_serving_all(gateway: &AccountId, limit: u32) -> Result<u32, TooManyServed>;
	/// What [`GatewayConsents::stop_serving_all`] weighs for `n` owners.
	fn stop_serving_weight(n: u32) -> Weight;
}

/// A gateway serves more owners than a call may release at once.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TooManyServed;

impl<AccountId> GatewayConsents<AccountId> for () {
	fn stop_serving_all(_: &AccountId, _: u32) -> Result<u32, TooManyServed> {
		Ok(0)
	}
	fn stop_serving_weight(_: u32) -> Weight {
		Weight::zero()
	}
}

/// A device a gateway may submit for: its owner and the key it signs with now.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Signer<AccountId> {
	/// The device's owner.
	pub owner: AccountId,
	/// Its current key.
	pub key: DevicePublicKey,
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::keypair::DeviceKeypair;
	use proptest::prelude::*;

	/// One device of each scheme from `seed` (a valid P-256 scalar but with ~2^-32 odds).
	fn all_schemes(seed: [u8; 32]) -> Vec<DeviceKeypair> {
		[KeyScheme::Ed25519, KeyScheme::Sr25519, KeyScheme::Secp256k1, KeyScheme::P256]
			.into_iter()
			.map(|scheme| {
				DeviceKeypair::from_seed(scheme, seed).expect("seed below the P-256 order")
			})
			.collect()
	}

	/// P-256 vectors made by OpenSSL (Python `cryptography`), an implementation independent of
	/// the `p256` crate: (compressed public key, message, `r‖s`), all hex.
	const P256_VECTORS: [(&str, &str, &str); 3] = [
		("03cab1c1b772eb4ffd886cd549c62a02297611e6b5612d7ca5157cb111cf525589", "696f747275737420702d32353620766563746f72206f6e65", "fdc3d69b31a2675c696ede13e60e9a7a3e0a0ac77fd89c63313621e2a9125d7651d9040bba2ab81db61aea786a1b543883c9b0d89d2ab2ff43834d8fa4720d5a"),
		("038be197cddcf1e4979a245be124e06861e2facecb4b5e56aed3a32607e447b1ca", "", "2fa4c99114ab5a234e868d36cdafee82f1ec18f111b9b039d218720c8c7d7fa3132d5cceebcfe020a156c306f3b7160d82e51920a0bc11271ef07ef700803914"),
		("027162e42e2692010155818413e93f2959911ba32c1b6918d2890ed0637a3f2c38", "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7", "6445982b43800567fa15733737a9ae27278ca9e5b535125682ef254f7cb172bd088b105ed732b4f9207e6eacb14629038985a370e529a99217a936f2a73a257a"),
	];

	#[test]
	fn a_device_is_judged_active_first_then_bound_here() {
		use DeviceStatus::*;
		let (here, there) = (1u8, 2u8);
		let judge = |status, bound: Option<&u8>| DeviceRefusal::judge(status, bound, &here);
		assert_eq!(judge(Some(Active), Some(&here)), Ok(()));
		for status in [None, Some(Suspended), Some(Revoked)] {
			for bound in [Some(&here), Some(&there), None] {
				assert_eq!(judge(status, bound), Err(DeviceRefusal::DeviceNotActive));
			}
		}
		assert_eq!(judge(Some(Active), Some(&there)), Err(DeviceRefusal::NotDeviceGateway));
		assert_eq!(judge(Some(Active), None), Err(DeviceRefusal::NotDeviceGateway));
	}

	fn vector(i: usize) -> (DevicePublicKey, Vec<u8>, DeviceSignature) {
		let (key, msg, sig) = P256_VECTORS[i];
		let key: [u8; 33] = hex::decode(key).unwrap().try_into().unwrap();
		let sig: [u8; 64] = hex::decode(sig).unwrap().try_into().unwrap();
		(DevicePublicKey::P256(key), hex::decode(msg).unwrap(), DeviceSignature::P256(sig))
	}

	#[test]
	fn openssl_p256_vectors_verify() {
		for i in 0..P256_VECTORS.len() {
			let (key, msg, sig) = vector(i);
			assert!(key.verify(&msg, &sig), "vector {i}");
		}
	}

	#[test]
	fn tampered_p256_vectors_fail() {
		for i in 0..P256_VECTORS.len() {
			let (key, msg, sig) = vector(i);
			let DeviceSignature::P256(raw) = sig.clone() else { unreachable!() };
			for byte in [0usize, 31, 32, 63] {
				let mut bad = raw;
				bad[byte] ^= 0x01;
				assert!(
					!key.verify(&msg, &DeviceSignature::P256(bad)),
					"vector {i} sig byte {byte}"
				);
			}
			let mut other = msg.clone();
			other.push(0);
			assert!(!key.verify(&other, &sig), "vector {i} message");
			let DevicePublicKey::P256(mut k) = key else { unreachable!() };
			k[5] ^= 0x01;
			assert!(!DevicePublicKey::P256(k).verify(&msg, &sig), "vector {i} key");
		}
	}

	#[test]
	fn malformed_keys_and_zero_signatures_fail() {
		let (key, msg, _) = vector(0);
		assert!(!key.verify(&msg, &DeviceSignature::P256([0; 64])));
		assert!(!DevicePublicKey::P256([0; 33]).verify(&msg, &DeviceSignature::P256([1; 64])));
		assert!(
			!DevicePublicKey::Secp256k1([2; 33]).verify(&msg, &DeviceSignature::Secp256k1([0; 65]))
		);
	}

	#[test]
	fn every_scheme_verifies_its_own_signature_and_ids_differ() {
		let mut ids = Vec::new();
		for device in all_schemes([7; 32]) {
			let payload = registration_payload(&H256([1; 32]), &[9u8; 32], &device.key);
			let signature = device.sign(&payload);
			assert!(device.key.verify(&payload, &signature), "{:?}", device.key.scheme());
			assert_eq!(device.key.scheme(), signature.scheme());
			ids.push(device.key.device_id());
		}
		ids.sort();
		ids.dedup();
		assert_eq!(ids.len(), 4);
	}

	#[test]
	fn honest_keys_of_every_scheme_are_acceptable() {
		for seed in [[1u8; 32], [42; 32], [200; 32]] {
			for device in all_schemes(seed) {
				assert!(device.key.is_acceptable(), "{:?}", device.key);
			}
		}
	}

	#[test]
	fn weak_and_equivalent_ed25519_keys_are_refused() {
		use curve25519_dalek::{constants::EIGHT_TORSION, edwards::CompressedEdwardsY};
		// Every small-order point (the identity among them): anyone can forge their signatures.
		for torsion in EIGHT_TORSION {
			assert!(!DevicePublicKey::Ed25519(torsion.compress().0).is_acceptable());
		}
		// A real key plus a torsion point: another encoding for the same secret.
		let device = DeviceKeypair::from_seed(KeyScheme::Ed25519, [9; 32]).unwrap();
		let DevicePublicKey::Ed25519(raw) = device.key else { unreachable!() };
		let point = CompressedEdwardsY(raw).decompress().unwrap();
		for torsion in &EIGHT_TORSION[1..] {
			let shifted = DevicePublicKey::Ed25519((point + torsion).compress().0);
			assert!(!shifted.is_acceptable());
		}
		// The identity with its sign bit set: a non-canonical encoding.
		let mut negative_zero = [0u8; 32];
		negative_zero[0] = 1;
		negative_zero[31] = 0x80;
		assert!(!DevicePublicKey::Ed25519(negative_zero).is_acceptable());
		// Not a point at all (y = 2 has no x on the curve).
		let mut off_curve = [0u8; 32];
		off_curve[0] = 2;
		assert!(!DevicePublicKey::Ed25519(off_curve).is_acceptable());
	}

	#[test]
	fn malformed_keys_of_other_schemes_are_refused() {
		assert!(!DevicePublicKey::Sr25519([0; 32]).is_acceptable());
		assert!(!DevicePublicKey::Sr25519([0xff; 32]).is_acceptable());
		let mut uncompressed = [7u8; 33];
		uncompressed[0] = 4;
		assert!(!DevicePublicKey::Secp256k1(uncompressed).is_acceptable());
		assert!(!DevicePublicKey::P256(uncompressed).is_acceptable());
		assert!(!DevicePublicKey::P256([0; 33]).is_acceptable());
		assert!(!DevicePublicKey::Secp256k1([0; 33]).is_acceptable());
	}

	#[test]
	fn a_signature_of_another_scheme_is_refused() {
		let all = all_schemes([3; 32]);
		for (i, verifier) in all.iter().enumerate() {
			for (j, signer) in all.iter().enumerate() {
				if i != j {
					assert!(!verifier.key.verify(b"payload", &signer.sign(b"payload")));
				}
			}
		}
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(32))]

		/// For every scheme: a signature by another key, over another payload, or for another
		/// genesis or owner is always rejected.
		#[test]
		fn only_the_right_key_payload_genesis_and_owner_verify(
			seed_a in any::<[u8; 32]>(),
			seed_b in any::<[u8; 32]>(),
			genesis_a in any::<[u8; 32]>(),
			genesis_b in any::<[u8; 32]>(),
			owner_a in any::<[u8; 32]>(),
			owner_b in any::<[u8; 32]>(),
		) {
			prop_assume!(seed_a != seed_b && genesis_a != genesis_b && owner_a != owner_b);
			for (device, other) in all_schemes(seed_a).into_iter().zip(all_schemes(seed_b)) {
				let key = device.key;
				let payload = registration_payload(&H256(genesis_a), &owner_a, &key);
				let signature = device.sign(&payload);
				prop_assert!(key.verify(&payload, &signature));
				// Another key.
				prop_assert!(!key.verify(&payload, &other.sign(&payload)));
				// Another genesis.
				let elsewhere = registration_payload(&H256(genesis_b), &owner_a, &key);
				prop_assert!(!key.verify(&elsewhere, &signature));
				// Another owner.
				let stolen = registration_payload(&H256(genesis_a), &owner_b, &key);
				prop_assert!(!key.verify(&stolen, &signature));
				// Another purpose with the same fields.
				let rotation = rotation_payload(&H256(genesis_a), &key.device_id(), &key, 0);
				prop_assert!(!key.verify(&rotation, &signature));
			}
		}
	}
}
