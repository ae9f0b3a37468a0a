//! The pallet's invariants, checked by `try_state`.

use crate::*;

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
