//! # Devices pallet
//!
//! Device identity for iotrust. Devices hold their own keys (ed25519, sr25519, secp256k1, or
//! P-256 as in secure elements) and never need tokens or a connection to the chain: their owner
//! registers them, proving with the device's signature that the device holds the key, and
//! gateways submit what they sign. Anyone can then check that a payload came from a
//! registered, active device of a known owner and, when attested, a known manufacturer.
//!
//! A device's id is derived from the first key it registers with and survives key rotation.
//! A revoked key, or a key rotated out, can never be registered again. Each record holds a
//! deposit from its owner while it exists.
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
//! the device's signature: [`Pallet::report_firmware`]. The council:
//! [`Pallet::register_manufacturer`], [`Pallet::remove_manufacturer`]. Manufacturers:
//! [`Pallet::attest`], [`Pallet::publish_firmware`].

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
	firmware_payload, registration_payload, rotation_payload, DeviceId, DevicePublicKey,
	DeviceRegistry, DeviceSignature, KeyScheme, Verification,
};
use sp_core::H256;
use sp_runtime::traits::Zero;

/// The hash under which a key is indexed (current and retired keys).
pub fn key_hash(key: &DevicePublicKey) -> H256 {
	H256(sp_io::hashing::blake2_256(&key.encode()))
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	/// Why the pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// The deposit for a device record.
		DeviceDeposit,
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
		/// Another manufacturer already attested that key.
		AttestedByAnother,
		/// A rotation or report counter overflowed.
		Overflow,
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register a device whose key is `key`, with `proof`: the device's signature over
		/// [`registration_payload`]`(genesis hash, caller, key)`.
		///
		/// Origin: signed, the owner to be. Fails with `KeyRetired`, `KeyInUse`, `BadSignature`,
		/// or when the deposit cannot be held. Holds [`Config::DeviceDeposit`]; picks up a
		/// manufacturer's attestation of the key. Emits [`Event::DeviceRegistered`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::register())]
		pub fn register(
			origin: OriginFor<T>,
			key: DevicePublicKey,
			metadata: DeviceMetadata<T>,
			proof: DeviceSignature,
		) -> DispatchResult {
			let owner = ensure_signed(origin)?;
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
			let record = Device {
				owner: owner.clone(),
				key,
				status: DeviceStatus::Active,
				gateway: None,
				metadata,
				firmware: None,
				attestation: Attestations::<T>::get(hash),
				registered_at: frame_system::Pallet::<T>::block_number(),
				deposit,
				rotations: 0,
				firmware_reports: 0,
			};
			Devices::<T>::insert(device, record);
			DevicesByOwner::<T>::insert(&owner, device, ());
			KeyOwner::<T>::insert(hash, device);
			Self::deposit_event(Event::DeviceRegistered { device, owner, scheme: key.scheme() });
			Ok(())
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

		/// Bind a device to `gateway`, the account that submits its data.
		///
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceRevoked`. Emits
		/// [`Event::GatewayBound`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::bind_gateway())]
		pub fn bind_gateway(
			origin: OriginFor<T>,
			device: DeviceId,
			gateway: T::AccountId,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Self::owned_live(&who, &device)?;
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
		/// Origin: the owner. Fails with `UnknownDevice`, `NotOwner`, `DeviceRevoked`,
		/// `KeyRetired`, `KeyInUse`, `BadSignature`, `Overflow`. Emits [`Event::KeyRotated`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::rotate_key())]
		pub fn rotate_key(
			origin: OriginFor<T>,
			device: DeviceId,
			new_key: DevicePublicKey,
			old_signature: DeviceSignature,
			new_signature: DeviceSignature,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut record = Self::owned_live(&who, &device)?;
			let new_hash = key_hash(&new_key);
			ensure!(!RetiredKeys::<T>::contains_key(new_hash), Error::<T>::KeyRetired);
			ensure!(!KeyOwner::<T>::contains_key(new_hash), Error::<T>::KeyInUse);
			let payload =
				rotation_payload(&Self::genesis_hash(), &device, &new_key, record.rotations);
			ensure!(record.key.verify(&payload, &old_signature), Error::<T>::BadSignature);
			ensure!(new_key.verify(&payload, &new_signature), Error::<T>::BadSignature);
			let rotations = record.rotations.checked_add(1).ok_or(Error::<T>::Overflow)?;

			let old_hash = key_hash(&record.key);
			record.key = new_key;
			record.rotations = rotations;
			Devices::<T>::insert(device, record);
			KeyOwner::<T>::remove(old_hash);
			RetiredKeys::<T>::insert(old_hash, ());
			KeyOwner::<T>::insert(new_hash, device);
			Self::deposit_event(Event::KeyRotated { device, scheme: new_key.scheme() });
			Ok(())
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
		) -> DispatchResult {
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
			let reports = record.firmware_reports.checked_add(1).ok_or(Error::<T>::Overflow)?;

			let matches_release = record.attestation.as_ref().is_some_and(|a| {
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
			Ok(())
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

		/// Remove a manufacturer. Its attestations and releases stay on record; it can make no
		/// new ones.
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
		/// `AttestedByAnother` if another manufacturer attested one of the keys (then nothing is
		/// stored). Emits [`Event::DevicesAttested`].
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
					ensure!(existing.manufacturer == manufacturer, Error::<T>::AttestedByAnother);
				}
			}

			let count = devices.len() as u32;
			for ((_, model), hash) in devices.into_iter().zip(hashes) {
				let attestation = Attestation { manufacturer: manufacturer.clone(), model };
				if let Some(device) = KeyOwner::<T>::get(hash) {
					Devices::<T>::mutate(device, |record| {
						if let Some(record) = record {
							record.attestation = Some(attestation.clone());
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
	}
}

impl<T: Config> Pallet<T> {
	/// The hash of block 0, which device signatures bind to.
	pub fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
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
		Devices::<T>::insert(device, record);
		DevicesByOwner::<T>::insert(owner, device, ());
		KeyOwner::<T>::insert(key_hash(&key), device);
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
}
