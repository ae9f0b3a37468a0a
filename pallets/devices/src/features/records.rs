//! Device records: reading one its caller may change, storing a new one, and what checking a
//! signature costs.

use crate::*;

impl<T: Config> Pallet<T> {
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
	pub(crate) fn refund_verifies(
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
	pub(crate) fn store_new(device: DeviceId, record: Device<T>) {
		let first = KeyPeriod { key: record.key, from: record.registered_at };
		DevicesByOwner::<T>::insert(&record.owner, device, ());
		KeyOwner::<T>::insert(key_hash(&record.key), device);
		KeyHistory::<T>::insert(device, KeyHistoryOf::<T>::truncate_from(alloc::vec![first]));
		Devices::<T>::insert(device, record);
	}

	/// `device`, if `who` owns it.
	pub(crate) fn owned(who: &T::AccountId, device: &DeviceId) -> Result<Device<T>, DispatchError> {
		let record = Devices::<T>::get(device).ok_or(Error::<T>::UnknownDevice)?;
		ensure!(&record.owner == who, Error::<T>::NotOwner);
		Ok(record)
	}

	/// `device`, if `who` owns it and it is not revoked.
	pub(crate) fn owned_live(
		who: &T::AccountId,
		device: &DeviceId,
	) -> Result<Device<T>, DispatchError> {
		let record = Self::owned(who, device)?;
		ensure!(record.status != DeviceStatus::Revoked, Error::<T>::DeviceRevoked);
		Ok(record)
	}
}
