//! Documents published to a channel: the hash on chain, the ciphertext on gateways.

use crate::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_publish_document(
		origin: OriginFor<T>,
		channel: ChannelId,
		hash: DocumentHash,
		epoch: ChannelEpoch,
		size: u32,
	) -> DispatchResult {
		let who = ensure_signed(origin)?;
		let record = Channels::<T>::get(channel).ok_or(Error::<T>::UnknownChannel)?;
		ensure!(!record.closed, Error::<T>::ChannelClosed);
		ensure!(Self::access_in(&record, &who, Self::now()).writes(), Error::<T>::NotWriter);
		ensure!(epoch >= 1 && epoch == record.epoch, Error::<T>::NotCurrentEpoch);
		ensure!(!Self::rekey_due(channel, &record), Error::<T>::RekeyDue);
		ensure!(size >= 1 && size <= T::MaxDocumentSize::get(), Error::<T>::BadDocumentSize);
		ensure!(!Documents::<T>::contains_key(channel, hash), Error::<T>::DocumentExists);
		let deposit = T::DocumentDeposit::get();
		Self::hold(&who, deposit)?;
		let at = Self::now();
		Documents::<T>::insert(
			channel,
			hash,
			DocumentRecord { epoch, size, at, by: who.clone(), deposit },
		);
		Self::deposit_event(Event::DocumentPublished { channel, hash, epoch, size, by: who });
		Ok(())
	}
}
