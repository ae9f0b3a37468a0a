//! What other pallets (through [`DeviceRegistry`]) and clients (through the runtime API) ask of
//! devices.

use crate::*;
use pallet_devices_runtime_api::{AttestationInfo, DeviceInfo, FirmwareInfo, MetadataInfo};

/// A device as the runtime API returns it, with this runtime's types.
pub type DeviceInfoOf<T> =
	DeviceInfo<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

impl<T: Config> Pallet<T> {
	/// Device `id` as clients see it (`devicesApi.device`): its record, every key it held, and
	/// its attestation looked up with whether it still stands.
	pub fn device_info(id: DeviceId) -> Option<DeviceInfoOf<T>> {
		Devices::<T>::get(id).map(|record| Self::info_of(id, record))
	}

	/// Up to `limit` of `owner`'s devices after `start_after`, as clients see them
	/// (`devicesApi.devicesOf`).
	pub fn device_infos_of(
		owner: &T::AccountId,
		start_after: Option<DeviceId>,
		limit: u32,
	) -> Vec<(DeviceId, DeviceInfoOf<T>)> {
		Self::devices_of(owner, start_after, limit)
			.into_iter()
			.map(|(id, record)| (id, Self::info_of(id, record)))
			.collect()
	}

	fn info_of(id: DeviceId, record: Device<T>) -> DeviceInfoOf<T> {
		let attestation =
			record.attestation.and_then(Attestations::<T>::get).map(|a| AttestationInfo {
				status: Self::attestation_status(&a),
				manufacturer: a.manufacturer,
				model: a.model.into_inner(),
				attested_at: a.attested_at,
				revoked_at: a.revoked_at,
			});
		DeviceInfo {
			owner: record.owner,
			key: record.key,
			status: record.status,
			gateway: record.gateway,
			metadata: MetadataInfo {
				model: record.metadata.model.into_inner(),
				serial_hash: record.metadata.serial_hash,
				uri: record.metadata.uri.into_inner(),
			},
			firmware: record.firmware.map(|f| FirmwareInfo {
				version: f.version.into_inner(),
				hash: f.hash,
				reported_at: f.reported_at,
				matches_release: f.matches_release,
			}),
			attestation,
			registered_at: record.registered_at,
			deposit: record.deposit,
			rotations: record.rotations,
			firmware_reports: record.firmware_reports,
			keys: KeyHistory::<T>::get(id).into_inner(),
			equivocation: Equivocations::<T>::get(id),
		}
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

	fn standing(
		device: &DeviceId,
		gateway: &T::AccountId,
	) -> Result<Signer<T::AccountId>, DeviceRefusal> {
		let record = Devices::<T>::get(device).ok_or(DeviceRefusal::DeviceNotActive)?;
		DeviceRefusal::judge(Some(record.status), record.gateway.as_ref(), gateway)?;
		Ok(Signer { owner: record.owner, key: record.key })
	}

	fn forget(device: &DeviceId) {
		if !Devices::<T>::contains_key(device) {
			KeyHistory::<T>::remove(device);
			Equivocations::<T>::remove(device);
		}
	}

	fn forget_weight() -> Weight {
		T::DbWeight::get().reads_writes(1, 2)
	}
}
