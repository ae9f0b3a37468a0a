//! A device's keys: rotation, and revocation for good.

use crate::*;

impl<T: Config> Pallet<T> {
	/// The body of [`Pallet::revoke`], from its origin.
	pub(crate) fn do_revoke(origin: OriginFor<T>, device: DeviceId) -> DispatchResult {
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

	/// The body of [`Pallet::rotate_key`], its origin checked.
	pub(crate) fn do_rotate_key(
		who: T::AccountId,
		device: DeviceId,
		new_key: DevicePublicKey,
		old_signature: DeviceSignature,
		new_signature: DeviceSignature,
	) -> DispatchResultWithPostInfo {
		let mut record = Self::owned_live(&who, &device)?;
		ensure!(new_key.is_acceptable(), Error::<T>::WeakKey);
		let new_hash = key_hash(&new_key);
		ensure!(!RetiredKeys::<T>::contains_key(new_hash), Error::<T>::KeyRetired);
		ensure!(!KeyOwner::<T>::contains_key(new_hash), Error::<T>::KeyInUse);
		let payload = rotation_payload(&Self::genesis_hash(), &device, &new_key, record.rotations);
		ensure!(record.key.verify(&payload, &old_signature), Error::<T>::BadSignature);
		ensure!(new_key.verify(&payload, &new_signature), Error::<T>::BadSignature);
		let rotations = record.rotations.checked_add(1).ok_or(Error::<T>::Overflow)?;
		let mut history = KeyHistory::<T>::get(device);
		let from = frame_system::Pallet::<T>::block_number();
		history.try_push(KeyPeriod { key: new_key, from }).map_err(|_| Error::<T>::TooManyKeys)?;

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
}
