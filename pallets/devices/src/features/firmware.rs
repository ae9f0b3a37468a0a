//! Firmware: the releases a manufacturer publishes, and what a device reports it runs.

use crate::*;

impl<T: Config> Pallet<T> {
	/// The body of [`Pallet::report_firmware`], from its origin.
	pub(crate) fn do_report_firmware(
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

	/// The body of [`Pallet::publish_firmware`], its origin checked.
	pub(crate) fn do_publish_firmware(
		manufacturer: T::AccountId,
		model: ModelOf<T>,
		version: VersionOf<T>,
		hash: H256,
	) -> DispatchResult {
		ensure!(Manufacturers::<T>::contains_key(&manufacturer), Error::<T>::NotManufacturer);
		FirmwareReleases::<T>::insert((&manufacturer, &model, &version), hash);
		Self::deposit_event(Event::FirmwarePublished { manufacturer, model, version, hash });
		Ok(())
	}
}
