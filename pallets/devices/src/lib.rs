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
//! the device's signature: [`Pallet::report_firmware`]. Gateways: [`Pallet::serve_owner`],
//! [`Pallet::stop_serving`], [`Pallet::release_device`]. The council:
//! [`Pallet::register_manufacturer`], [`Pallet::remove_manufacturer`]. Manufacturers (or the
//! council): [`Pallet::attest`], [`Pallet::publish_firmware`], [`Pallet::revoke_attestations`].

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

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
	DeviceRegistry, DeviceSignature, KeyScheme, Verification,
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
			ensure!(key.is_acceptable(), Error::<T>::WeakKey);
			let hash = key_hash(&key);
			ensure!(!RetiredKeys::<T>::contains_key(hash), Error::<T>::KeyRetired);
			ensure!(!KeyOwner::<T>::contains_key(hash), Error::<T>::KeyInUse);
			let device = key.device_id();
			// A device id is derived from a first key; a key that was another device's first
			// key is retired or in use, so the id is free.
			ensure!(!Devices::<T>::contains_key(device), Error::<T>::KeyInUse);
			let payload = registration_payload(&Self::genesis_hash(), &owner, &key);
			ensure!(key.verify(&payload, &proof), Error::<T>::BadSignature);

			let deposit = T::DeviceDeposit::get();
			T::Currency::hold(&HoldReason::DeviceDeposit.into(), &owner, deposit)?;
			let now = frame_system::Pallet::<T>::block_number();
			let record = Device {
				owner: owner.clone(),
				key,
				status: DeviceStatus::Active,
				gateway: None,
				metadata,
				firmware: None,
				attestation: Attestations::<T>::contains_key(hash).then_some(hash),
				registered_at: now,
				deposit,
				rotations: 0,
				firmware_reports: 0,
			};
			Self::store_new(device, record);
			Self::deposit_event(Event::DeviceRegistered { device, owner, scheme: key.scheme() });
			Ok(Self::refund_verifies(T::WeightInfo::register(), &[key.scheme()]))
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
			let mut record = Self::owned_live(&who, &device)?;
			record.metadata = metadata;
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::MetadataUpdated { device });
			Ok(())
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
			let mut record = Self::owned_live(&who, &device)?;
			ensure!(
				gateway == who || ServedOwners::<T>::contains_key(&gateway, &who),
				Error::<T>::GatewayNotServing
			);
			record.gateway = Some(gateway.clone());
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::GatewayBound { device, gateway });
			Ok(())
		}

		/// Unbind a device from its gateway.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceRevoked`,
		/// `NotBound`. Emits [`Event::GatewayUnbound`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::unbind_gateway())]
		pub fn unbind_gateway(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Self::owned_live(&who, &device)?;
			ensure!(record.gateway.take().is_some(), Error::<T>::NotBound);
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::GatewayUnbound { device });
			Ok(())
		}

		/// Suspend an active device: its signatures stop counting until it is resumed.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceRevoked`,
		/// `DeviceNotActive`. Emits [`Event::DeviceSuspended`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::suspend())]
		pub fn suspend(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Self::owned_live(&who, &device)?;
			ensure!(record.status == DeviceStatus::Active, Error::<T>::DeviceNotActive);
			record.status = DeviceStatus::Suspended;
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::DeviceSuspended { device });
			Ok(())
		}

		/// Resume a suspended device.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceRevoked`,
		/// `DeviceNotSuspended`. Emits [`Event::DeviceResumed`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::resume())]
		pub fn resume(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Self::owned_live(&who, &device)?;
			ensure!(record.status == DeviceStatus::Suspended, Error::<T>::DeviceNotSuspended);
			record.status = DeviceStatus::Active;
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::DeviceResumed { device });
			Ok(())
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
			let mut record = match T::ForceOrigin::try_origin(origin) {
				Ok(_) => Devices::<T>::get(device).ok_or(Error::<T>::UnknownDevice)?,
				Err(origin) => {
					let who = ensure_signed(origin)?;
					Self::owned(&who, &device)?
				},
			};
			ensure!(record.status != DeviceStatus::Revoked, Error::<T>::DeviceRevoked);
			let hash = key_hash(&record.key);
			record.status = DeviceStatus::Revoked;
			record.gateway = None;
			Devices::<T>::insert(device, record);
			KeyOwner::<T>::remove(hash);
			RetiredKeys::<T>::insert(hash, ());
			PendingTransfers::<T>::remove(device);
			Self::deposit_event(Event::DeviceRevoked { device });
			Ok(())
		}

		/// Remove a revoked device's record and release its deposit. Its keys stay retired.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceNotRevoked`. Emits
		/// [`Event::DeviceRemoved`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::remove())]
		pub fn remove(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let record = Self::owned(&who, &device)?;
			ensure!(record.status == DeviceStatus::Revoked, Error::<T>::DeviceNotRevoked);
			T::Currency::release(
				&HoldReason::DeviceDeposit.into(),
				&who,
				record.deposit,
				Precision::BestEffort,
			)?;
			Devices::<T>::remove(device);
			DevicesByOwner::<T>::remove(&who, device);
			Self::deposit_event(Event::DeviceRemoved { device });
			Ok(())
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
			let mut record = Self::owned_live(&who, &device)?;
			ensure!(new_key.is_acceptable(), Error::<T>::WeakKey);
			let new_hash = key_hash(&new_key);
			ensure!(!RetiredKeys::<T>::contains_key(new_hash), Error::<T>::KeyRetired);
			ensure!(!KeyOwner::<T>::contains_key(new_hash), Error::<T>::KeyInUse);
			let payload =
				rotation_payload(&Self::genesis_hash(), &device, &new_key, record.rotations);
			ensure!(record.key.verify(&payload, &old_signature), Error::<T>::BadSignature);
			ensure!(new_key.verify(&payload, &new_signature), Error::<T>::BadSignature);
			let rotations = record.rotations.checked_add(1).ok_or(Error::<T>::Overflow)?;
			let mut history = KeyHistory::<T>::get(device);
			let from = frame_system::Pallet::<T>::block_number();
			history
				.try_push(KeyPeriod { key: new_key, from })
				.map_err(|_| Error::<T>::TooManyKeys)?;

			let old_hash = key_hash(&record.key);
			let schemes = [record.key.scheme(), new_key.scheme()];
			record.key = new_key;
			record.rotations = rotations;
			Devices::<T>::insert(device, record);
			KeyOwner::<T>::remove(old_hash);
			RetiredKeys::<T>::insert(old_hash, ());
			KeyOwner::<T>::insert(new_hash, device);
			KeyHistory::<T>::insert(device, history);
			Self::deposit_event(Event::KeyRotated { device, scheme: new_key.scheme() });
			Ok(Self::refund_verifies(T::WeightInfo::rotate_key(), &schemes))
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
			Self::owned_live(&who, &device)?;
			ensure!(to != who, Error::<T>::TransferToSelf);
			PendingTransfers::<T>::insert(device, to.clone());
			Self::deposit_event(Event::TransferOffered { device, from: who, to });
			Ok(())
		}

		/// Withdraw a pending offer.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `NoPendingTransfer`.
		/// Emits [`Event::TransferCancelled`].
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::cancel_transfer())]
		pub fn cancel_transfer(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::owned(&who, &device)?;
			ensure!(PendingTransfers::<T>::contains_key(device), Error::<T>::NoPendingTransfer);
			PendingTransfers::<T>::remove(device);
			Self::deposit_event(Event::TransferCancelled { device });
			Ok(())
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
			let mut record = Devices::<T>::get(device).ok_or(Error::<T>::UnknownDevice)?;
			let offered =
				PendingTransfers::<T>::get(device).ok_or(Error::<T>::NoPendingTransfer)?;
			ensure!(offered == who, Error::<T>::NotOfferedToYou);
			ensure!(record.status != DeviceStatus::Revoked, Error::<T>::DeviceRevoked);

			let deposit = T::DeviceDeposit::get();
			let reason = HoldReason::DeviceDeposit.into();
			T::Currency::hold(&reason, &who, deposit)?;
			let from = core::mem::replace(&mut record.owner, who.clone());
			T::Currency::release(&reason, &from, record.deposit, Precision::BestEffort)?;
			record.deposit = deposit;
			record.gateway = None;
			Devices::<T>::insert(device, record);
			DevicesByOwner::<T>::remove(&from, device);
			DevicesByOwner::<T>::insert(&who, device, ());
			PendingTransfers::<T>::remove(device);
			Self::deposit_event(Event::OwnershipTransferred { device, from, to: who });
			Ok(())
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
			ensure_signed(origin)?;
			let mut record = Devices::<T>::get(device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(record.status == DeviceStatus::Active, Error::<T>::DeviceNotActive);
			let payload = firmware_payload(
				&Self::genesis_hash(),
				&device,
				&version,
				&hash,
				record.firmware_reports,
			);
			ensure!(record.key.verify(&payload, &signature), Error::<T>::BadSignature);
			let scheme = record.key.scheme();
			let reports = record.firmware_reports.checked_add(1).ok_or(Error::<T>::Overflow)?;

			let matches_release = record
				.attestation
				.and_then(Attestations::<T>::get)
				.filter(|a| Self::attestation_status(a) == AttestationStatus::Valid)
				.is_some_and(|a| {
					FirmwareReleases::<T>::get((&a.manufacturer, &a.model, &version)) == Some(hash)
				});
			record.firmware = Some(FirmwareReport {
				version: version.clone(),
				hash,
				reported_at: frame_system::Pallet::<T>::block_number(),
				matches_release,
			});
			record.firmware_reports = reports;
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::FirmwareReported { device, version, hash, matches_release });
			Ok(Self::refund_verifies(T::WeightInfo::report_firmware(), &[scheme]))
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
			T::ForceOrigin::ensure_origin(origin)?;
			ensure!(
				!Manufacturers::<T>::contains_key(&manufacturer),
				Error::<T>::AlreadyManufacturer
			);
			Manufacturers::<T>::insert(&manufacturer, name);
			Self::deposit_event(Event::ManufacturerRegistered { manufacturer });
			Ok(())
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
			T::ForceOrigin::ensure_origin(origin)?;
			ensure!(Manufacturers::<T>::contains_key(&manufacturer), Error::<T>::NotManufacturer);
			Manufacturers::<T>::remove(&manufacturer);
			Self::deposit_event(Event::ManufacturerRemoved { manufacturer });
			Ok(())
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
			ensure!(Manufacturers::<T>::contains_key(&manufacturer), Error::<T>::NotManufacturer);
			let hashes: Vec<H256> = devices.iter().map(|(key, _)| key_hash(key)).collect();
			for hash in &hashes {
				if let Some(existing) = Attestations::<T>::get(hash) {
					ensure!(
						existing.manufacturer == manufacturer
							|| Self::attestation_status(&existing) != AttestationStatus::Valid,
						Error::<T>::AttestedByAnother
					);
				}
			}

			let count = devices.len() as u32;
			let now = frame_system::Pallet::<T>::block_number();
			for ((_, model), hash) in devices.into_iter().zip(hashes) {
				let attestation = Attestation {
					manufacturer: manufacturer.clone(),
					model,
					attested_at: now,
					revoked_at: None,
				};
				if let Some(device) = KeyOwner::<T>::get(hash) {
					Devices::<T>::mutate(device, |record| {
						if let Some(record) = record {
							record.attestation = Some(hash);
						}
					});
				}
				Attestations::<T>::insert(hash, attestation);
			}
			Self::deposit_event(Event::DevicesAttested { manufacturer, count });
			Ok(())
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
			ensure!(Manufacturers::<T>::contains_key(&manufacturer), Error::<T>::NotManufacturer);
			FirmwareReleases::<T>::insert((&manufacturer, &model, &version), hash);
			Self::deposit_event(Event::FirmwarePublished { manufacturer, model, version, hash });
			Ok(())
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
			ensure!(!ServedOwners::<T>::contains_key(&gateway, &owner), Error::<T>::AlreadyServing);
			let deposit = T::ConsentDeposit::get();
			T::Currency::hold(&HoldReason::GatewayConsent.into(), &gateway, deposit)?;
			ServedOwners::<T>::insert(&gateway, &owner, deposit);
			Self::deposit_event(Event::OwnerServed { gateway, owner });
			Ok(())
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
			let deposit = ServedOwners::<T>::get(&gateway, &owner).ok_or(Error::<T>::NotServing)?;
			T::Currency::release(
				&HoldReason::GatewayConsent.into(),
				&gateway,
				deposit,
				Precision::BestEffort,
			)?;
			ServedOwners::<T>::remove(&gateway, &owner);
			Self::deposit_event(Event::OwnerNoLongerServed { gateway, owner });
			Ok(())
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
			let mut record = Devices::<T>::get(device).ok_or(Error::<T>::UnknownDevice)?;
			ensure!(record.gateway.as_ref() == Some(&gateway), Error::<T>::NotDeviceGateway);
			record.gateway = None;
			Devices::<T>::insert(device, record);
			Self::deposit_event(Event::DeviceReleased { device, gateway });
			Ok(())
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
			let by = match T::ForceOrigin::try_origin(origin) {
				Ok(_) => None,
				Err(origin) => Some(ensure_signed(origin)?),
			};
			let mut found = Vec::with_capacity(keys.len());
			for hash in keys.iter() {
				let attestation = Attestations::<T>::get(hash)
					.filter(|a| a.revoked_at.is_none())
					.ok_or(Error::<T>::NotAttested)?;
				if let Some(by) = &by {
					ensure!(&attestation.manufacturer == by, Error::<T>::NotAttester);
				}
				found.push((*hash, attestation));
			}
			let now = frame_system::Pallet::<T>::block_number();
			let count = found.len() as u32;
			for (hash, mut attestation) in found {
				attestation.revoked_at = Some(now);
				Attestations::<T>::insert(hash, attestation);
			}
			Self::deposit_event(Event::AttestationsRevoked { by, count });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The hash of block 0, which device signatures bind to.
	pub fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	/// What checking one signature of `scheme` weighs.
	pub fn verify_weight(scheme: KeyScheme) -> Weight {
		match scheme {
			KeyScheme::Ed25519 => T::WeightInfo::verify_ed25519(),
			KeyScheme::Sr25519 => T::WeightInfo::verify_sr25519(),
			KeyScheme::Secp256k1 => T::WeightInfo::verify_secp256k1(),
			KeyScheme::P256 => T::WeightInfo::verify_p256(),
		}
	}

	/// The weight a call charged at `charged` actually used when the signatures it checked were
	/// of `schemes`: its benchmark checks each as P-256, the dearest, so a call is charged that
	/// up front and refunded the difference once the keys are known. The rest of the call is
	/// what its benchmark measured beyond those P-256 checks (none, should the separate
	/// measurements disagree), and it is never charged more than up front.
	fn refund_verifies(
		charged: Weight,
		schemes: &[KeyScheme],
	) -> frame_support::dispatch::PostDispatchInfo {
		let p256 = T::WeightInfo::verify_p256().saturating_mul(schemes.len() as u64);
		let used = schemes
			.iter()
			.fold(charged.saturating_sub(p256), |w, s| w.saturating_add(Self::verify_weight(*s)));
		Some(used.min(charged)).into()
	}

	/// Whether `attestation` still stands, was revoked, or is a removed manufacturer's.
	pub fn attestation_status(attestation: &Attestation<T>) -> AttestationStatus {
		if attestation.revoked_at.is_some() {
			AttestationStatus::Revoked
		} else if !Manufacturers::<T>::contains_key(&attestation.manufacturer) {
			AttestationStatus::ManufacturerRemoved
		} else {
			AttestationStatus::Valid
		}
	}

	/// Store a newly registered `record` with its indexes: its owner's list, its key, and the
	/// key history it starts (the key from its registration block on).
	fn store_new(device: DeviceId, record: Device<T>) {
		let first = KeyPeriod { key: record.key, from: record.registered_at };
		DevicesByOwner::<T>::insert(&record.owner, device, ());
		KeyOwner::<T>::insert(key_hash(&record.key), device);
		KeyHistory::<T>::insert(device, KeyHistoryOf::<T>::truncate_from(alloc::vec![first]));
		Devices::<T>::insert(device, record);
	}

	/// `device`, if `who` owns it.
	fn owned(who: &T::AccountId, device: &DeviceId) -> Result<Device<T>, DispatchError> {
		let record = Devices::<T>::get(device).ok_or(Error::<T>::UnknownDevice)?;
		ensure!(&record.owner == who, Error::<T>::NotOwner);
		Ok(record)
	}

	/// `device`, if `who` owns it and it is not revoked.
	fn owned_live(who: &T::AccountId, device: &DeviceId) -> Result<Device<T>, DispatchError> {
		let record = Self::owned(who, device)?;
		ensure!(record.status != DeviceStatus::Revoked, Error::<T>::DeviceRevoked);
		Ok(record)
	}

	/// Store an active ed25519 device number `index`, owned by `owner` and bound to `gateway`,
	/// without a deposit or proof: for other pallets' benchmarks only.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn benchmark_device(index: u32, owner: &T::AccountId, gateway: &T::AccountId) -> DeviceId {
		let mut raw = [0x5a; 32];
		raw[..4].copy_from_slice(&index.to_le_bytes());
		Self::store_benchmark_device(DevicePublicKey::Ed25519(raw), owner, gateway)
	}

	/// The P-256 signing key of benchmark device number `index`.
	#[cfg(feature = "runtime-benchmarks")]
	fn benchmark_signer(index: u32) -> p256::ecdsa::SigningKey {
		let mut scalar = [0x24u8; 32];
		scalar[28..].copy_from_slice(&index.to_be_bytes());
		p256::ecdsa::SigningKey::from_slice(&scalar).expect("a small fixed scalar is valid; qed")
	}

	/// Store an active P-256 device number `index` (the dearest scheme to verify), owned by
	/// `owner` and bound to `gateway`, that [`Pallet::benchmark_sign`] signs for: for other
	/// pallets' benchmarks only.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn benchmark_signing_device(
		index: u32,
		owner: &T::AccountId,
		gateway: &T::AccountId,
	) -> DeviceId {
		let point = Self::benchmark_signer(index).verifying_key().to_encoded_point(true);
		let mut key = [0u8; 33];
		key.copy_from_slice(point.as_bytes());
		Self::store_benchmark_device(DevicePublicKey::P256(key), owner, gateway)
	}

	/// Benchmark device number `index`'s signature over `message`.
	#[cfg(feature = "runtime-benchmarks")]
	pub fn benchmark_sign(index: u32, message: &[u8]) -> DeviceSignature {
		use p256::ecdsa::signature::Signer;
		let sig: p256::ecdsa::Signature = Self::benchmark_signer(index).sign(message);
		DeviceSignature::P256(sig.to_bytes().into())
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn store_benchmark_device(
		key: DevicePublicKey,
		owner: &T::AccountId,
		gateway: &T::AccountId,
	) -> DeviceId {
		let device = key.device_id();
		let record = Device {
			owner: owner.clone(),
			key,
			status: DeviceStatus::Active,
			gateway: Some(gateway.clone()),
			metadata: DeviceMetadata {
				model: Default::default(),
				serial_hash: H256::zero(),
				uri: Default::default(),
			},
			firmware: None,
			attestation: None,
			registered_at: frame_system::Pallet::<T>::block_number(),
			deposit: Zero::zero(),
			rotations: 0,
			firmware_reports: 0,
		};
		Self::store_new(device, record);
		device
	}

	/// A page of `owner`'s devices: at most `limit`, starting after `start_after` in the
	/// storage order of their ids.
	pub fn devices_of(
		owner: &T::AccountId,
		start_after: Option<DeviceId>,
		limit: u32,
	) -> Vec<(DeviceId, Device<T>)> {
		let iter = match start_after {
			Some(after) => DevicesByOwner::<T>::iter_key_prefix_from(
				owner,
				DevicesByOwner::<T>::hashed_key_for(owner, after),
			),
			None => DevicesByOwner::<T>::iter_key_prefix(owner),
		};
		iter.take(limit as usize)
			.filter_map(|id| Devices::<T>::get(id).map(|record| (id, record)))
			.collect()
	}

	/// Whether `signature` over `payload` is by `device`'s current key and `device` is active,
	/// and if not, why not.
	pub fn check_signature(
		device: &DeviceId,
		payload: &[u8],
		signature: &DeviceSignature,
	) -> Verification {
		match Devices::<T>::get(device) {
			None => Verification::UnknownDevice,
			Some(record) => match record.status {
				DeviceStatus::Revoked => Verification::Revoked,
				DeviceStatus::Suspended => Verification::Suspended,
				DeviceStatus::Active if record.key.verify(payload, signature) => {
					Verification::Valid
				},
				DeviceStatus::Active => Verification::BadSignature,
			},
		}
	}
}

impl<T: Config> DeviceRegistry<T::AccountId> for Pallet<T> {
	fn is_active(device: &DeviceId) -> bool {
		Devices::<T>::get(device).is_some_and(|r| r.status == DeviceStatus::Active)
	}

	fn owner_of(device: &DeviceId) -> Option<T::AccountId> {
		Devices::<T>::get(device).map(|r| r.owner)
	}

	fn gateway_of(device: &DeviceId) -> Option<T::AccountId> {
		Devices::<T>::get(device).and_then(|r| r.gateway)
	}

	fn verify(device: &DeviceId, payload: &[u8], signature: &DeviceSignature) -> bool {
		Self::check_signature(device, payload, signature) == Verification::Valid
	}

	fn verify_at(device: &DeviceId, at: u64, payload: &[u8], signature: &DeviceSignature) -> bool {
		let at: BlockNumberFor<T> = at.unique_saturated_into();
		keys_in_effect(&KeyHistory::<T>::get(device), at).any(|key| key.verify(payload, signature))
	}
}

/// Invariants, checked by `try_state` (try-runtime), after every unit test, and after every test
/// of the runtime crate.
impl<T: Config> Pallet<T> {
	/// The pallet's invariants across its maps: every record is listed under its owner, its
	/// current key maps back to it (or is retired once revoked), its key history ends with that
	/// key, and what the currency holds from each account is exactly the deposits on record.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::BTreeMap;
		use frame_support::traits::fungible::InspectHold;
		use sp_runtime::Saturating;

		let mut deposits: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (device, record) in Devices::<T>::iter() {
			ensure!(
				DevicesByOwner::<T>::contains_key(&record.owner, device),
				"a device is not listed under its owner"
			);
			let history = KeyHistory::<T>::get(device);
			ensure!(
				history.last().map(|p| p.key) == Some(record.key),
				"a device's key history does not end with its key"
			);
			ensure!(
				history.len() as u64 == u64::from(record.rotations) + 1,
				"a device's key history does not hold one key per rotation"
			);
			for past in history.iter().take(history.len().saturating_sub(1)) {
				ensure!(
					RetiredKeys::<T>::contains_key(key_hash(&past.key)),
					"a rotated-out key is not retired"
				);
			}
			let hash = key_hash(&record.key);
			if record.status == DeviceStatus::Revoked {
				ensure!(RetiredKeys::<T>::contains_key(hash), "a revoked key is not retired");
				ensure!(!KeyOwner::<T>::contains_key(hash), "a revoked key is still indexed");
				ensure!(record.gateway.is_none(), "a revoked device is bound");
				ensure!(
					!PendingTransfers::<T>::contains_key(device),
					"a revoked device is offered"
				);
			} else {
				ensure!(
					KeyOwner::<T>::get(hash) == Some(device),
					"a key does not map to its device"
				);
				ensure!(!RetiredKeys::<T>::contains_key(hash), "a live device's key is retired");
			}
			if let Some(attested) = record.attestation {
				ensure!(
					Attestations::<T>::contains_key(attested),
					"a device points at a missing attestation"
				);
			}
			let held = deposits.entry(record.owner.clone()).or_insert_with(Zero::zero);
			*held = held.saturating_add(record.deposit);
		}
		for (owner, device, ()) in DevicesByOwner::<T>::iter() {
			ensure!(
				Devices::<T>::get(device).is_some_and(|r| r.owner == owner),
				"an owner lists a device it does not own"
			);
		}
		for (hash, device) in KeyOwner::<T>::iter() {
			ensure!(
				Devices::<T>::get(device).is_some_and(|r| key_hash(&r.key) == hash),
				"a key index entry names a device without that key"
			);
		}
		for device in PendingTransfers::<T>::iter_keys() {
			ensure!(Devices::<T>::contains_key(device), "a transfer is offered for no device");
		}
		for (owner, expected) in deposits {
			let held = T::Currency::balance_on_hold(&HoldReason::DeviceDeposit.into(), &owner);
			ensure!(held == expected, "device deposits held differ from the records");
		}
		let mut consents: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (gateway, _owner, deposit) in ServedOwners::<T>::iter() {
			let held = consents.entry(gateway).or_insert_with(Zero::zero);
			*held = held.saturating_add(deposit);
		}
		for (gateway, expected) in consents {
			let held = T::Currency::balance_on_hold(&HoldReason::GatewayConsent.into(), &gateway);
			ensure!(held == expected, "consent deposits held differ from the records");
		}
		Ok(())
	}
}
