//! Manufacturers and their attestations of devices.

use crate::*;

impl<T: Config> Pallet<T> {
	/// The body of [`Pallet::register_manufacturer`], from its origin.
	pub(crate) fn do_register_manufacturer(
		origin: OriginFor<T>,
		manufacturer: T::AccountId,
		name: BoundedVec<u8, T::MaxNameLen>,
	) -> DispatchResult {
		T::ForceOrigin::ensure_origin(origin)?;
		ensure!(!Manufacturers::<T>::contains_key(&manufacturer), Error::<T>::AlreadyManufacturer);
		Manufacturers::<T>::insert(&manufacturer, name);
		Self::deposit_event(Event::ManufacturerRegistered { manufacturer });
		Ok(())
	}

	/// The body of [`Pallet::remove_manufacturer`], from its origin.
	pub(crate) fn do_remove_manufacturer(
		origin: OriginFor<T>,
		manufacturer: T::AccountId,
	) -> DispatchResult {
		T::ForceOrigin::ensure_origin(origin)?;
		ensure!(Manufacturers::<T>::contains_key(&manufacturer), Error::<T>::NotManufacturer);
		Manufacturers::<T>::remove(&manufacturer);
		Self::deposit_event(Event::ManufacturerRemoved { manufacturer });
		Ok(())
	}

	/// The body of [`Pallet::attest`], its origin checked.
	pub(crate) fn do_attest(
		manufacturer: T::AccountId,
		devices: BoundedVec<(DevicePublicKey, ModelOf<T>), T::MaxAttestationBatch>,
	) -> DispatchResult {
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

	/// The body of [`Pallet::revoke_attestations`], from its origin.
	pub(crate) fn do_revoke_attestations(
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
