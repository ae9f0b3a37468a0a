//! # Devices pallet
//!
//! Device identity for iotrust. Devices hold their own keys (ed25519, sr25519, secp256k1, or
//! P-256 as in secure elements) and never need tokens or a connection to the chain: their owner
//! registers them, proving with the device's signature that the device holds the key, and
//! gateways submit what they sign. Anyone can then check that a payload came from a
//! registered, active device of a known owner and, when attested, a known manufacturer.
//!
//! A device's id is derived from the first key it registers with and survives key rotation.
//! A revoked key, or a key rotated out, can never be registered again, and neither can a weak
//! key (an ed25519 small-order or torsion-shifted point: see
//! [`DevicePublicKey::is_acceptable`]). Every key a device held is kept with the block it took
//! effect, so a signature made back then (an anchored reading) is checked against the key of its
//! time. Each record holds a deposit from its owner while it exists.
//!
//! A device is bound to a gateway only with the gateway's consent: a gateway serves the owners it
//! names (holding a small deposit per owner), and may release any device bound to it.
//! Manufacturers' attestations can be revoked by their maker or the council, and those of a
//! removed manufacturer no longer count.
//!
//! Other pallets reach devices through [`iotrust_primitives::device::DeviceRegistry`], which
//! this pallet implements.
//!
//! ## Calls
//!
//! Owners: [`Pallet::register`], [`Pallet::update_metadata`], [`Pallet::bind_gateway`],
//! [`Pallet::unbind_gateway`], [`Pallet::suspend`], [`Pallet::resume`], [`Pallet::revoke`] (also
//! the council), [`Pallet::remove`], [`Pallet::rotate_key`], [`Pallet::offer_transfer`],
//! [`Pallet::cancel_transfer`]; the receiving account: [`Pallet::accept_transfer`]; anyone, with
//! the device's signature: [`Pallet::report_firmware`], [`Pallet::report_equivocation`] (two
//! readings it signed under one sequence number). Gateways: [`Pallet::serve_owner`],
//! [`Pallet::stop_serving`], [`Pallet::release_device`]. The council:
//! [`Pallet::register_manufacturer`], [`Pallet::remove_manufacturer`]. Manufacturers (or the
//! council): [`Pallet::attest`], [`Pallet::publish_firmware`], [`Pallet::revoke_attestations`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod features;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use features::lookup::DeviceInfoOf;
pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{fungible::MutateHold, tokens::Precision},
};
use frame_system::pallet_prelude::*;
use iotrust_primitives::device::{
	firmware_payload, keys_in_effect, registration_payload, rotation_payload, DeviceId,
	DeviceRefusal, DeviceRegistry, DeviceSignature, GatewayConsents, KeyScheme, OnDeviceRemoved,
	Signer, TooManyServed, Verification,
};
use sp_core::H256;
use sp_runtime::traits::{UniqueSaturatedInto, Zero};

/// The layout of this pallet's storage. Version 1: key history, gateway consent, attestations
/// that can be revoked (device records point at them by key hash).
pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

/// The hash under which a key is indexed (current and retired keys).
pub fn key_hash(key: &DevicePublicKey) -> H256 {
	H256(sp_io::hashing::blake2_256(&key.encode()))
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why the pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit for a device record.
		DeviceDeposit,
		/// A gateway's deposit for each owner it serves.
		GatewayConsent,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency device deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Held from the owner for each device record, released when the record is removed.
		#[pallet::constant]
		type DeviceDeposit: Get<BalanceOf<Self>>;

		/// Held from a gateway for each owner it serves, released when it stops serving it.
		#[pallet::constant]
		type ConsentDeposit: Get<BalanceOf<Self>>;

		/// The most keys a device may hold over its life (its first key and its rotations);
		/// they are all kept, so old signatures can be checked against the key of their time.
		#[pallet::constant]
		type MaxKeyHistory: Get<u32>;

		/// Who may revoke any device and register manufacturers: the council.
		type ForceOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The longest model name.
		#[pallet::constant]
		type MaxModelLen: Get<u32>;

		/// The longest metadata URI.
		#[pallet::constant]
		type MaxUriLen: Get<u32>;

		/// The longest firmware version string.
		#[pallet::constant]
		type MaxVersionLen: Get<u32>;

		/// The longest manufacturer name.
		#[pallet::constant]
		type MaxNameLen: Get<u32>;

		/// The most device keys one attestation call may carry.
		#[pallet::constant]
		type MaxAttestationBatch: Get<u32>;

		/// What other pallets keep per device (its anchoring rules and sequence, its relay
		/// nonce), dropped when its record is removed.
		type OnRemoved: OnDeviceRemoved;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// Registered devices by id.
	#[pallet::storage]
	pub type Devices<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, Device<T>>;

	/// Each owner's devices, for listing them page by page.
	#[pallet::storage]
	pub type DevicesByOwner<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Blake2_128Concat, DeviceId, ()>;

	/// The device each current key belongs to, by [`key_hash`].
	#[pallet::storage]
	pub type KeyOwner<T: Config> = StorageMap<_, Identity, H256, DeviceId>;

	/// Keys that were revoked or rotated out, by [`key_hash`]: never registered again.
	#[pallet::storage]
	pub type RetiredKeys<T: Config> = StorageMap<_, Identity, H256, ()>;

	/// Devices caught signing two different readings under one sequence number
	/// ([`Pallet::report_equivocation`]): a flag every verifier of their readings can see.
	#[pallet::storage]
	pub type Equivocations<T: Config> =
		StorageMap<_, Blake2_128Concat, DeviceId, Equivocation<BlockNumberFor<T>>>;

	/// Every key each device held, oldest first, with the block it took effect. Kept after the
	/// device's record is removed, as the evidence its anchored readings are checked against.
	#[pallet::storage]
	pub type KeyHistory<T: Config> =
		StorageMap<_, Blake2_128Concat, DeviceId, KeyHistoryOf<T>, ValueQuery>;

	/// The owners each gateway agreed to serve: (gateway, owner) → the deposit held for it.
	/// Only these owners (and the gateway itself) may bind devices to the gateway.
	#[pallet::storage]
	pub type ServedOwners<T: Config> = StorageDoubleMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		Blake2_128Concat,
		T::AccountId,
		BalanceOf<T>,
	>;

	/// Ownership transfers offered and not yet accepted: device → the account it is offered to.
	#[pallet::storage]
	pub type PendingTransfers<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, T::AccountId>;

	/// Manufacturers the council registered, with their names.
	#[pallet::storage]
	pub type Manufacturers<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BoundedVec<u8, T::MaxNameLen>>;

	/// Manufacturers' attestations, by [`key_hash`] of the device key: who made it, which model.
	#[pallet::storage]
	pub type Attestations<T: Config> = StorageMap<_, Identity, H256, Attestation<T>>;

	/// Firmware releases: (manufacturer, model, version) → image hash.
	#[pallet::storage]
	pub type FirmwareReleases<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Blake2_128Concat, T::AccountId>,
			NMapKey<Blake2_128Concat, ModelOf<T>>,
			NMapKey<Blake2_128Concat, VersionOf<T>>,
		),
		H256,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A device was registered.
		DeviceRegistered { device: DeviceId, owner: T::AccountId, scheme: KeyScheme },
		/// A device's metadata changed.
		MetadataUpdated { device: DeviceId },
		/// A device was bound to a gateway.
		GatewayBound { device: DeviceId, gateway: T::AccountId },
		/// A device was unbound from its gateway.
		GatewayUnbound { device: DeviceId },
		/// A gateway released a device bound to it.
		DeviceReleased { device: DeviceId, gateway: T::AccountId },
		/// A gateway agreed to serve an owner's devices.
		OwnerServed { gateway: T::AccountId, owner: T::AccountId },
		/// A gateway stopped accepting new devices of an owner.
		OwnerNoLongerServed { gateway: T::AccountId, owner: T::AccountId },
		/// A device was suspended.
		DeviceSuspended { device: DeviceId },
		/// A suspended device was resumed.
		DeviceResumed { device: DeviceId },
		/// A device was revoked; its key can never be registered again.
		DeviceRevoked { device: DeviceId },
		/// A revoked device's record was removed and its deposit released.
		DeviceRemoved { device: DeviceId },
		/// A device's key was rotated; the old key is retired.
		KeyRotated { device: DeviceId, scheme: KeyScheme },
		/// A device was offered to another account.
		TransferOffered { device: DeviceId, from: T::AccountId, to: T::AccountId },
		/// An offer was withdrawn.
		TransferCancelled { device: DeviceId },
		/// A device changed owner.
		OwnershipTransferred { device: DeviceId, from: T::AccountId, to: T::AccountId },
		/// A device reported its firmware; `matches_release` tells whether its manufacturer
		/// published that version with that hash.
		FirmwareReported {
			device: DeviceId,
			version: VersionOf<T>,
			hash: H256,
			matches_release: bool,
		},
		/// The council registered a manufacturer.
		ManufacturerRegistered { manufacturer: T::AccountId },
		/// The council removed a manufacturer.
		ManufacturerRemoved { manufacturer: T::AccountId },
		/// A manufacturer attested device keys.
		DevicesAttested { manufacturer: T::AccountId, count: u32 },
		/// Attestations were revoked, by their manufacturer (`by`) or by the council (`None`).
		AttestationsRevoked { by: Option<T::AccountId>, count: u32 },
		/// `device` signed two different readings under sequence number `seq`, as `reporter`
		/// showed; it has been caught `count` times.
		Equivocated { device: DeviceId, seq: u64, reporter: T::AccountId, count: u32 },
		/// A manufacturer published a firmware release.
		FirmwarePublished {
			manufacturer: T::AccountId,
			model: ModelOf<T>,
			version: VersionOf<T>,
			hash: H256,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No device with that id.
		UnknownDevice,
		/// The caller does not own the device.
		NotOwner,
		/// A device already uses that key.
		KeyInUse,
		/// The key was revoked or rotated out, and can never be used again.
		KeyRetired,
		/// The device's signature does not verify.
		BadSignature,
		/// The device is revoked.
		DeviceRevoked,
		/// The device is not active.
		DeviceNotActive,
		/// The device is not suspended.
		DeviceNotSuspended,
		/// Only a revoked device's record can be removed.
		DeviceNotRevoked,
		/// The device is bound to no gateway.
		NotBound,
		/// A device cannot be offered to its own owner.
		TransferToSelf,
		/// No transfer of this device is pending.
		NoPendingTransfer,
		/// The device was offered to another account.
		NotOfferedToYou,
		/// The account is already a manufacturer.
		AlreadyManufacturer,
		/// The caller is not a registered manufacturer.
		NotManufacturer,
		/// Another manufacturer already attested that key, and that attestation stands.
		AttestedByAnother,
		/// The key is weak or malformed: an ed25519 small-order or torsion-shifted point, a
		/// non-canonical encoding, or not a point of its curve.
		WeakKey,
		/// The device already held the most keys it may; revoke it and register a new one.
		TooManyKeys,
		/// The gateway does not serve the device's owner (it must call `serve_owner` first).
		GatewayNotServing,
		/// The gateway already serves that owner.
		AlreadyServing,
		/// The gateway does not serve that owner.
		NotServing,
		/// The device is not bound to the calling gateway.
		NotDeviceGateway,
		/// No standing attestation of that key.
		NotAttested,
		/// The attestation is another manufacturer's.
		NotAttester,
		/// A rotation or report counter overflowed.
		Overflow,
		/// The two readings are not of one device and one sequence number, or they are the same
		/// reading.
		EvidenceNotConflicting,
		/// A reading given as evidence carries too many metrics.
		EvidenceTooLarge,
		/// No key the device held signed both readings.
		BadEvidenceSignature,
		/// The device was already reported at this sequence number or a later one.
		AlreadyReported,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxKeyHistory::get() > 0, "a device holds at least its first key");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register a device whose key is `key`, with `proof`: the device's signature over
		/// [`registration_payload`]`(genesis hash, caller, key)`.
		///
		/// Origin: signed, the owner to be. Fails with `WeakKey`, `KeyRetired`, `KeyInUse`,
		/// `BadSignature`, or when the deposit cannot be held. Holds [`Config::DeviceDeposit`]; picks up a
		/// manufacturer's attestation of the key. Emits [`Event::DeviceRegistered`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register())]
		pub fn register(
			origin: OriginFor<T>,
			key: DevicePublicKey,
			metadata: DeviceMetadata<T>,
			proof: DeviceSignature,
		) -> DispatchResultWithPostInfo {
			let owner = ensure_signed(origin)?;
			Self::do_register(owner, key, metadata, proof)
		}

		/// Replace a device's metadata.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceRevoked`. Emits
		/// [`Event::MetadataUpdated`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::update_metadata())]
		pub fn update_metadata(
			origin: OriginFor<T>,
			device: DeviceId,
			metadata: DeviceMetadata<T>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_update_metadata(who, device, metadata)
		}

		/// Bind a device to `gateway`, the account that submits its data (and pays to anchor
		/// it). The gateway must serve the owner ([`Pallet::serve_owner`]) or be the owner.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceRevoked`,
		/// `GatewayNotServing`. Emits [`Event::GatewayBound`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::bind_gateway())]
		pub fn bind_gateway(
			origin: OriginFor<T>,
			device: DeviceId,
			gateway: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_bind_gateway(who, device, gateway)
		}

		/// Unbind a device from its gateway.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceRevoked`,
		/// `NotBound`. Emits [`Event::GatewayUnbound`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::unbind_gateway())]
		pub fn unbind_gateway(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_unbind_gateway(who, device)
		}

		/// Suspend an active device: its signatures stop counting until it is resumed.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceRevoked`,
		/// `DeviceNotActive`. Emits [`Event::DeviceSuspended`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::suspend())]
		pub fn suspend(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_suspend(who, device)
		}

		/// Resume a suspended device.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceRevoked`,
		/// `DeviceNotSuspended`. Emits [`Event::DeviceResumed`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::resume())]
		pub fn resume(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_resume(who, device)
		}

		/// Revoke a device for good: its key is retired, its gateway binding and any pending
		/// transfer dropped. The record stays (so verification can say why it refuses) until the
		/// owner removes it.
		///
		/// Origin: the owner, or [`Config::ForceOrigin`] (the council). Fails with
		/// `UnknownDevice`, `NotOwner`, `DeviceRevoked`. Emits [`Event::DeviceRevoked`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::revoke())]
		pub fn revoke(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			Self::do_revoke(origin, device)
		}

		/// Remove a revoked device's record and release its deposit. Its keys stay retired; what
		/// other pallets keep for it ([`Config::OnRemoved`]) goes with it. Its key history and
		/// any equivocation stay, as evidence for its anchored readings, until its last anchor
		/// expires (at once if it has none).
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceNotRevoked`. Emits
		/// [`Event::DeviceRemoved`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::remove().saturating_add(T::OnRemoved::max_weight()))]
		pub fn remove(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_remove(who, device)
		}

		/// Rotate a device to `new_key`. Both keys sign [`rotation_payload`]`(genesis hash,
		/// device, new_key, rotations)`; the old key is retired. The device id does not change.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceRevoked`, `WeakKey`,
		/// `KeyRetired`, `KeyInUse`, `BadSignature`, `TooManyKeys`, `Overflow`. Adds the new
		/// key to the device's [`KeyHistory`]. Emits [`Event::KeyRotated`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::rotate_key())]
		pub fn rotate_key(
			origin: OriginFor<T>,
			device: DeviceId,
			new_key: DevicePublicKey,
			old_signature: DeviceSignature,
			new_signature: DeviceSignature,
		) -> DispatchResultWithPostInfo {
			let who = ensure_signed(origin)?;
			Self::do_rotate_key(who, device, new_key, old_signature, new_signature)
		}

		/// Offer a device to `to`; ownership moves when `to` accepts. A new offer replaces an
		/// old one.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceRevoked`,
		/// `TransferToSelf`. Emits [`Event::TransferOffered`].
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::offer_transfer())]
		pub fn offer_transfer(
			origin: OriginFor<T>,
			device: DeviceId,
			to: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_offer_transfer(who, device, to)
		}

		/// Withdraw a pending offer.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `NoPendingTransfer`.
		/// Emits [`Event::TransferCancelled`].
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::cancel_transfer())]
		pub fn cancel_transfer(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel_transfer(who, device)
		}

		/// Accept a device offered to the caller: the deposit is held from the caller and
		/// released to the previous owner; the gateway binding is dropped (the new owner binds
		/// its own).
		///
		/// Origin: the account the device was offered to. Fails with `UnknownDevice`,
		/// `NoPendingTransfer`, `NotOfferedToYou`, `DeviceRevoked`, or when the deposit cannot
		/// be held. Emits [`Event::OwnershipTransferred`].
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::accept_transfer())]
		pub fn accept_transfer(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_accept_transfer(who, device)
		}

		/// Record the firmware a device runs, signed by the device over
		/// [`firmware_payload`]`(genesis hash, device, version, hash, firmware_reports)`. Anyone
		/// may submit it (usually its gateway).
		///
		/// Origin: signed. Fails with `UnknownDevice`, `DeviceNotActive`, `BadSignature`,
		/// `Overflow`. Emits [`Event::FirmwareReported`], saying whether the device's
		/// manufacturer published that version with that hash.
		#[pallet::call_index(12)]
		#[pallet::weight(T::WeightInfo::report_firmware())]
		pub fn report_firmware(
			origin: OriginFor<T>,
			device: DeviceId,
			version: VersionOf<T>,
			hash: H256,
			signature: DeviceSignature,
		) -> DispatchResultWithPostInfo {
			Self::do_report_firmware(origin, device, version, hash, signature)
		}

		/// Register `manufacturer` with its `name`.
		///
		/// Origin: [`Config::ForceOrigin`] (the council). Fails with `AlreadyManufacturer`.
		/// Emits [`Event::ManufacturerRegistered`].
		#[pallet::call_index(13)]
		#[pallet::weight(T::WeightInfo::register_manufacturer())]
		pub fn register_manufacturer(
			origin: OriginFor<T>,
			manufacturer: T::AccountId,
			name: BoundedVec<u8, T::MaxNameLen>,
		) -> DispatchResult {
			Self::do_register_manufacturer(origin, manufacturer, name)
		}

		/// Remove a manufacturer. Its attestations and releases stay on record but no longer
		/// count (they show as [`AttestationStatus::ManufacturerRemoved`]); it can make no new
		/// ones.
		///
		/// Origin: [`Config::ForceOrigin`] (the council). Fails with `NotManufacturer`. Emits
		/// [`Event::ManufacturerRemoved`].
		#[pallet::call_index(14)]
		#[pallet::weight(T::WeightInfo::remove_manufacturer())]
		pub fn remove_manufacturer(
			origin: OriginFor<T>,
			manufacturer: T::AccountId,
		) -> DispatchResult {
			Self::do_remove_manufacturer(origin, manufacturer)
		}

		/// Attest that the caller made devices with these keys, of these models. A device
		/// already registered with one of the keys gets the attestation at once; one registered
		/// later picks it up at registration.
		///
		/// Origin: a registered manufacturer. Fails with `NotManufacturer`, or
		/// `AttestedByAnother` if another manufacturer's attestation of one of the keys stands
		/// (then nothing is stored); a revoked attestation, or a removed manufacturer's, may be
		/// replaced. Emits [`Event::DevicesAttested`].
		#[pallet::call_index(15)]
		#[pallet::weight(T::WeightInfo::attest(devices.len() as u32))]
		pub fn attest(
			origin: OriginFor<T>,
			devices: BoundedVec<(DevicePublicKey, ModelOf<T>), T::MaxAttestationBatch>,
		) -> DispatchResult {
			let manufacturer = ensure_signed(origin)?;
			Self::do_attest(manufacturer, devices)
		}

		/// Publish firmware `version` of `model` with image hash `hash`; devices of that model
		/// reporting it are marked as matching a release. Publishing a version again replaces
		/// its hash.
		///
		/// Origin: a registered manufacturer. Fails with `NotManufacturer`. Emits
		/// [`Event::FirmwarePublished`].
		#[pallet::call_index(16)]
		#[pallet::weight(T::WeightInfo::publish_firmware())]
		pub fn publish_firmware(
			origin: OriginFor<T>,
			model: ModelOf<T>,
			version: VersionOf<T>,
			hash: H256,
		) -> DispatchResult {
			let manufacturer = ensure_signed(origin)?;
			Self::do_publish_firmware(manufacturer, model, version, hash)
		}

		/// Agree to serve `owner`: from now on `owner` may bind its devices to the caller, which
		/// then anchors (and pays for) their data. Holds [`Config::ConsentDeposit`] from the
		/// caller until it stops serving the owner.
		///
		/// Origin: signed, the gateway. Fails with `AlreadyServing`, or when the deposit cannot
		/// be held. Emits [`Event::OwnerServed`].
		#[pallet::call_index(17)]
		#[pallet::weight(T::WeightInfo::serve_owner())]
		pub fn serve_owner(origin: OriginFor<T>, owner: T::AccountId) -> DispatchResult {
			let gateway = ensure_signed(origin)?;
			Self::do_serve_owner(gateway, owner)
		}

		/// Stop accepting new devices of `owner`, releasing the deposit. Devices already bound
		/// stay bound until their owner unbinds them or the gateway releases them
		/// ([`Pallet::release_device`]).
		///
		/// Origin: signed, the gateway. Fails with `NotServing`. Emits
		/// [`Event::OwnerNoLongerServed`].
		#[pallet::call_index(18)]
		#[pallet::weight(T::WeightInfo::stop_serving())]
		pub fn stop_serving(origin: OriginFor<T>, owner: T::AccountId) -> DispatchResult {
			let gateway = ensure_signed(origin)?;
			Self::do_stop_serving(gateway, owner)
		}

		/// Release `device` from the calling gateway: it is unbound, and the gateway no longer
		/// anchors (nor pays for) its data.
		///
		/// Origin: signed, the gateway the device is bound to. Fails with `UnknownDevice`,
		/// `NotDeviceGateway`. Emits [`Event::DeviceReleased`].
		#[pallet::call_index(19)]
		#[pallet::weight(T::WeightInfo::release_device())]
		pub fn release_device(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let gateway = ensure_signed(origin)?;
			Self::do_release_device(gateway, device)
		}

		/// Revoke the attestations of these device keys (by [`key_hash`]): they stay on record,
		/// marked revoked, and count no more; another manufacturer may then attest the key.
		///
		/// Origin: the manufacturer that made each attestation, or [`Config::ForceOrigin`] (the
		/// council) for any. Fails with `NotAttested` (no standing attestation of a key) or
		/// `NotAttester` (another manufacturer's); then nothing changes. Emits
		/// [`Event::AttestationsRevoked`].
		#[pallet::call_index(20)]
		#[pallet::weight(T::WeightInfo::revoke_attestations(keys.len() as u32))]
		pub fn revoke_attestations(
			origin: OriginFor<T>,
			keys: BoundedVec<H256, T::MaxAttestationBatch>,
		) -> DispatchResult {
			Self::do_revoke_attestations(origin, keys)
		}

		/// Show that a device signed two different readings under one sequence number — what an
		/// honest device never does (its sequence number survives reboots) and what a device
		/// does that tells different gateways different things. The device is flagged in
		/// [`Equivocations`], with how often it was caught: verifiers of its readings see it.
		///
		/// Origin: signed, anyone (a gateway group's member holding both copies, typically).
		/// Both readings must be of one device, with one sequence number above the last one
		/// reported, differ, and be signed by the device's current key. Fails with
		/// `EvidenceTooLarge`, `EvidenceNotConflicting`, `UnknownDevice`, `AlreadyReported`,
		/// `BadEvidenceSignature`. Emits [`Event::Equivocated`].
		#[pallet::call_index(21)]
		#[pallet::weight(T::WeightInfo::report_equivocation())]
		pub fn report_equivocation(
			origin: OriginFor<T>,
			first: iotrust_primitives::merkle::SignedReading,
			second: iotrust_primitives::merkle::SignedReading,
		) -> DispatchResult {
			let reporter = ensure_signed(origin)?;
			Self::do_report_equivocation(reporter, first, second)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The hash of block 0, which device signatures bind to.
	pub fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}
}
