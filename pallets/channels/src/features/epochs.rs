//! Key epochs: a writer's rotation and deliveries of epoch keys to auditors and members.

use crate::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_rotate_key(
		origin: OriginFor<T>,
		channel: ChannelId,
		key_id: KeyId,
		keys: SealedKeysOf<T>,
	) -> DispatchResult {
		let who = ensure_signed(origin)?;
		let mut record = Channels::<T>::get(channel).ok_or(Error::<T>::UnknownChannel)?;
		ensure!(!record.closed, Error::<T>::ChannelClosed);
		ensure!(Self::access_in(&record, &who, Self::now()).writes(), Error::<T>::NotWriter);
		let deliveries = Self::check_epoch(&record, &keys)?;
		Self::start_epoch(channel, &mut record, &who, key_id, deliveries)?;
		Channels::<T>::insert(channel, record);
		Ok(())
	}

	pub(crate) fn do_deliver_keys(
		origin: OriginFor<T>,
		channel: ChannelId,
		to: T::AccountId,
		keys: BoundedVec<(ChannelEpoch, SealedKey), T::MaxDeliveries>,
	) -> DispatchResult {
		let who = ensure_signed(origin)?;
		let record = Channels::<T>::get(channel).ok_or(Error::<T>::UnknownChannel)?;
		ensure!(!record.closed, Error::<T>::ChannelClosed);
		let now = Self::now();
		ensure!(Self::access_in(&record, &who, now).writes(), Error::<T>::NotWriter);
		let access = Self::access_in(&record, &to, now);
		ensure!(access.reads(), Error::<T>::NotEntitled);
		let to_key = EncryptionKeys::<T>::get(&to).ok_or(Error::<T>::NoEncryptionKey)?.key;
		for (i, (epoch, _)) in keys.iter().enumerate() {
			ensure!(!keys.iter().take(i).any(|(e, _)| e == epoch), Error::<T>::AlreadyDelivered);
			let info = Epochs::<T>::get(channel, epoch).ok_or(Error::<T>::UnknownEpoch)?;
			if let Access::Auditor { from, until } = access {
				let overlaps = info.started <= until && info.ended.is_none_or(|e| e >= from);
				ensure!(overlaps, Error::<T>::EpochOutsideGrant);
			}
			ensure!(
				!SealedKeys::<T>::contains_key((channel, epoch, &to)),
				Error::<T>::AlreadyDelivered
			);
		}
		let per_key = T::SealedKeyDeposit::get();
		Self::hold(&who, per_key.saturating_mul((keys.len() as u32).into()))?;
		for (epoch, sealed) in keys {
			let key = SealedEpochKey { to_key, sealed };
			let delivery = Delivery { key, by: who.clone(), deposit: per_key };
			SealedKeys::<T>::insert((channel, epoch, &to), delivery);
			Self::deposit_event(Event::EpochKeyDelivered { channel, epoch, to: to.clone() });
		}
		Ok(())
	}
}
