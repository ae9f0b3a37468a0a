//! Encryption keys: registering the X25519 key epoch keys are sealed to.

use crate::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_set_encryption_key(
		origin: OriginFor<T>,
		key: EncryptionKey,
	) -> DispatchResult {
		let who = ensure_signed(origin)?;
		ensure!(
			iotrust_primitives::channels::is_usable_encryption_key(&key),
			Error::<T>::InvalidEncryptionKey
		);
		let deposit = match EncryptionKeys::<T>::get(&who) {
			Some(record) => record.deposit,
			None => {
				let deposit = T::KeyDeposit::get();
				Self::hold(&who, deposit)?;
				deposit
			},
		};
		EncryptionKeys::<T>::insert(&who, KeyRecord { key, deposit });
		Self::deposit_event(Event::EncryptionKeySet { who, key });
		Ok(())
	}
}
