//! What the devices pallet stores.

use crate::Config;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*, traits::fungible::Inspect, CloneNoBound, DebugNoBound, EqNoBound,
	PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
pub use iotrust_primitives::device::{AttestationStatus, DevicePublicKey, DeviceStatus, KeyPeriod};
use scale_info::TypeInfo;
use sp_core::H256;

/// The native balance type of the pallet's currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// A device model name, e.g. `"ColdTrack T1"`.
pub type ModelOf<T> = BoundedVec<u8, <T as Config>::MaxModelLen>;

/// A firmware version string, e.g. `"2.4.1"`.
pub type VersionOf<T> = BoundedVec<u8, <T as Config>::MaxVersionLen>;

/// Descriptive data an owner keeps about a device.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct DeviceMetadata<T: Config> {
	/// The model, e.g. `"ColdTrack T1"`.
	pub model: ModelOf<T>,
	/// A hash of the serial number (the serial itself stays off chain).
	pub serial_hash: H256,
	/// A link to more information (datasheet, asset page).
	pub uri: BoundedVec<u8, T::MaxUriLen>,
}

/// The firmware a device last reported running.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct FirmwareReport<T: Config> {
	/// The version string.
	pub version: VersionOf<T>,
	/// The hash of the firmware image.
	pub hash: H256,
	/// When it was reported.
	pub reported_at: BlockNumberFor<T>,
	/// Whether the device's manufacturer published this exact version with this hash.
	pub matches_release: bool,
}

/// A manufacturer's attestation that it made a device with a given key.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct Attestation<T: Config> {
	/// The manufacturer's account.
	pub manufacturer: T::AccountId,
	/// The model it says the device is.
	pub model: ModelOf<T>,
	/// The block it was made in.
	pub attested_at: BlockNumberFor<T>,
	/// The block its manufacturer or the council revoked it in, if either did.
	pub revoked_at: Option<BlockNumberFor<T>>,
}

pub use iotrust_primitives::device::Equivocation;

/// The keys a device held, oldest first: the first is the one it registered with.
pub type KeyHistoryOf<T> = BoundedVec<KeyPeriod<BlockNumberFor<T>>, <T as Config>::MaxKeyHistory>;

/// A registered device.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct Device<T: Config> {
	/// Who owns it, and has the deposit held.
	pub owner: T::AccountId,
	/// Its current public key.
	pub key: DevicePublicKey,
	/// Active, suspended or revoked.
	pub status: DeviceStatus,
	/// The gateway account that submits for it, if bound.
	pub gateway: Option<T::AccountId>,
	/// What its owner says about it.
	pub metadata: DeviceMetadata<T>,
	/// The firmware it last reported.
	pub firmware: Option<FirmwareReport<T>>,
	/// The [`crate::key_hash`] of its key that a manufacturer attested (its first key, or the
	/// key it had when attested), if any: the attestation itself, and whether it still stands,
	/// is in [`crate::Attestations`].
	pub attestation: Option<H256>,
	/// The block it was registered in.
	pub registered_at: BlockNumberFor<T>,
	/// The deposit held from its owner while this record exists.
	pub deposit: BalanceOf<T>,
	/// How many times its key was rotated: the nonce of the next rotation.
	pub rotations: u32,
	/// How many firmware reports it made: the nonce of the next report.
	pub firmware_reports: u32,
}
