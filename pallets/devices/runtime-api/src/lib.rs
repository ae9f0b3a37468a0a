//! # Devices runtime API
//!
//! What clients ask the chain about devices, through `state_call` (polkadot.js:
//! `api.call.devicesApi.*`, typed from the runtime's metadata):
//!
//! - `device(id)`: the device as [`DeviceInfo`], if registered: its record, every key it held,
//!   and its manufacturer's attestation with whether it still stands;
//! - `devices_of(owner, start_after, limit)`: a page of an owner's devices (at most
//!   [`MAX_PAGE`]); pass the last id of a page as `start_after` to get the next;
//! - `verify(device, payload, signature)`: whether the device signed the payload, and if not,
//!   why ([`Verification`]);
//! - `serves(gateway, owner)`: whether the gateway agreed to serve the owner, whose devices may
//!   then bind to it (since version 3).
//!
//! The return types are concrete types of this crate, so a Rust client can name them.
//! Version 2: `device` and `devices_of` return [`DeviceInfo`] (version 1 returned the pallet's
//! stored record). Version 4: [`DeviceInfo::equivocation`], the flag `devices.reportEquivocation`
//! raises.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
pub use iotrust_primitives::device::{
	AttestationStatus, DeviceId, DevicePublicKey, DeviceSignature, DeviceStatus, Equivocation,
	KeyPeriod, Verification,
};
use scale_info::TypeInfo;
use sp_core::H256;

/// The most devices one `devices_of` call returns.
pub const MAX_PAGE: u32 = 100;

/// What an owner says about its device.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct MetadataInfo {
	/// The model, UTF-8.
	pub model: Vec<u8>,
	/// A hash of the serial number.
	pub serial_hash: H256,
	/// A link to more information.
	pub uri: Vec<u8>,
}

/// The firmware a device last reported.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct FirmwareInfo<BlockNumber> {
	/// The version string.
	pub version: Vec<u8>,
	/// The firmware image's hash.
	pub hash: H256,
	/// When it was reported.
	pub reported_at: BlockNumber,
	/// Whether a standing attestation's manufacturer published this version with this hash.
	pub matches_release: bool,
}

/// A manufacturer's attestation of a device's key, and whether it still stands.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct AttestationInfo<AccountId, BlockNumber> {
	/// The manufacturer.
	pub manufacturer: AccountId,
	/// The model it says the device is, UTF-8.
	pub model: Vec<u8>,
	/// When it attested.
	pub attested_at: BlockNumber,
	/// When it (or the council) revoked the attestation, if it did.
	pub revoked_at: Option<BlockNumber>,
	/// Whether it counts: `Valid`, `Revoked`, or `ManufacturerRemoved`.
	pub status: AttestationStatus,
}

/// A device as clients see it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct DeviceInfo<AccountId, Balance, BlockNumber> {
	/// Who owns it.
	pub owner: AccountId,
	/// Its current key.
	pub key: DevicePublicKey,
	/// Active, suspended or revoked.
	pub status: DeviceStatus,
	/// The gateway it is bound to, if any.
	pub gateway: Option<AccountId>,
	/// What its owner says about it.
	pub metadata: MetadataInfo,
	/// The firmware it last reported.
	pub firmware: Option<FirmwareInfo<BlockNumber>>,
	/// Its manufacturer's attestation, if any.
	pub attestation: Option<AttestationInfo<AccountId, BlockNumber>>,
	/// When it was registered.
	pub registered_at: BlockNumber,
	/// The deposit held from its owner.
	pub deposit: Balance,
	/// How many times its key was rotated.
	pub rotations: u32,
	/// How many firmware reports it made.
	pub firmware_reports: u32,
	/// Every key it held, oldest first, with the block each took effect: a reading or other
	/// signature is checked against the key of its time.
	pub keys: Vec<KeyPeriod<BlockNumber>>,
	/// Whether it was caught signing two different readings under one sequence number, how
	/// often and when last (since version 4).
	pub equivocation: Option<Equivocation<BlockNumber>>,
}

sp_api::decl_runtime_apis! {
	/// Device lookups and signature verification.
	#[api_version(4)]
	pub trait DevicesApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The device with id `device`, if registered (revoked devices stay until removed).
		fn device(device: DeviceId) -> Option<DeviceInfo<AccountId, Balance, BlockNumber>>;

		/// Up to `limit` (at most [`MAX_PAGE`]) of `owner`'s devices, after `start_after`.
		fn devices_of(
			owner: AccountId,
			start_after: Option<DeviceId>,
			limit: u32,
		) -> Vec<(DeviceId, DeviceInfo<AccountId, Balance, BlockNumber>)>;

		/// Whether `signature` over `payload` is by `device`'s current key and the device is
		/// active; otherwise why not.
		fn verify(device: DeviceId, payload: Vec<u8>, signature: DeviceSignature) -> Verification;

		/// Whether `gateway` agreed to serve `owner`, whose devices may then bind to it (since
		/// version 3).
		fn serves(gateway: AccountId, owner: AccountId) -> bool;
	}
}
