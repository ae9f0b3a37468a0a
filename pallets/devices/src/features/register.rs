//! Registering a device, its metadata, suspending and resuming it, and removing its record.

use crate::*;

impl<T: Config> Pallet<T> {
	/// The body of [`Pallet::register`], its origin checked.
	pub(crate) fn do_register(
		owner: T::AccountId,
		key: DevicePublicKey,
		metadata: DeviceMetadata<T>,
		proof: DeviceSignature,
	) -> DispatchResultWithPostInfo {
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

	/// The body of [`Pallet::update_metadata`], its origin checked.
	pub(crate) fn do_update_metadata(
		who: T::AccountId,
		device: DeviceId,
		metadata: DeviceMetadata<T>,
	) -> DispatchResult {
		let mut record = Self::owned_live(&who, &device)?;
		record.metadata = metadata;
		Devices::<T>::insert(device, record);
		Self::deposit_event(Event::MetadataUpdated { device });
		Ok(())
	}

	/// The body of [`Pallet::suspend`], its origin checked.
	pub(crate) fn do_suspend(who: T::AccountId, device: DeviceId) -> DispatchResult {
		let mut record = Self::owned_live(&who, &device)?;
		ensure!(record.status == DeviceStatus::Active, Error::<T>::DeviceNotActive);
		record.status = DeviceStatus::Suspended;
		Devices::<T>::insert(device, record);
		Self::deposit_event(Event::DeviceSuspended { device });
		Ok(())
	}

	/// The body of [`Pallet::resume`], its origin checked.
	pub(crate) fn do_resume(who: T::AccountId, device: DeviceId) -> DispatchResult {
		let mut record = Self::owned_live(&who, &device)?;
		ensure!(record.status == DeviceStatus::Suspended, Error::<T>::DeviceNotSuspended);
		record.status = DeviceStatus::Active;
		Devices::<T>::insert(device, record);
		Self::deposit_event(Event::DeviceResumed { device });
		Ok(())
	}

	/// The body of [`Pallet::remove`], its origin checked.
	pub(crate) fn do_remove(who: T::AccountId, device: DeviceId) -> DispatchResult {
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
		T::OnRemoved::on_device_removed(&device);
		Self::deposit_event(Event::DeviceRemoved { device });
		Ok(())
	}
}
