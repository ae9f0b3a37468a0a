//! Closing a channel and reaping its state.

use crate::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_close_channel(origin: OriginFor<T>, channel: ChannelId) -> DispatchResult {
		let mut record = Self::managed(origin, channel)?;
		Self::release(&record.owner, record.deposit);
		record.deposit = Zero::zero();
		record.closed = true;
		record.auditors = Default::default();
		Channels::<T>::insert(channel, record);
		Self::deposit_event(Event::ChannelClosed { channel });
		Ok(())
	}

	pub(crate) fn do_reap_channel(
		origin: OriginFor<T>,
		channel: ChannelId,
		limit: u32,
	) -> DispatchResultWithPostInfo {
		ensure_signed(origin)?;
		let record = Channels::<T>::get(channel).ok_or(Error::<T>::UnknownChannel)?;
		ensure!(record.closed, Error::<T>::ChannelNotClosed);
		let mut removed = 0u32;
		for (_, delivery) in SealedKeys::<T>::drain_prefix((channel,)).take(limit as usize) {
			Self::release(&delivery.by, delivery.deposit);
			removed.saturating_inc();
		}
		let left = limit.saturating_sub(removed);
		for (device, ()) in ChannelDevices::<T>::drain_prefix(channel).take(left as usize) {
			if let Some(entry) = DeviceChannel::<T>::take(device) {
				Self::release(&entry.by, entry.deposit);
			}
			removed.saturating_inc();
		}
		let left = limit.saturating_sub(removed);
		for (_, document) in Documents::<T>::drain_prefix(channel).take(left as usize) {
			Self::release(&document.by, document.deposit);
			removed.saturating_inc();
		}
		let left = limit.saturating_sub(removed);
		for (_, epoch) in Epochs::<T>::drain_prefix(channel).take(left as usize) {
			Self::release(&epoch.by, epoch.deposit);
			removed.saturating_inc();
		}
		let done = SealedKeys::<T>::iter_prefix((channel,)).next().is_none()
			&& ChannelDevices::<T>::iter_prefix(channel).next().is_none()
			&& Documents::<T>::iter_prefix(channel).next().is_none()
			&& Epochs::<T>::iter_prefix(channel).next().is_none();
		if done {
			Channels::<T>::remove(channel);
		}
		Self::deposit_event(Event::ChannelReaped { channel, removed, done });
		Ok(Some(T::WeightInfo::reap_channel(removed)).into())
	}
}
