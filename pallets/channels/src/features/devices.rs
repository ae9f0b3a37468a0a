//! Devices whose readings are private to a channel.

use crate::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_set_device_channel(
		origin: OriginFor<T>,
		device: DeviceId,
		channel: Option<ChannelId>,
	) -> DispatchResult {
		let who = ensure_signed(origin)?;
		let owner = T::Devices::owner_of(&device).ok_or(Error::<T>::UnknownDevice)?;
		ensure!(owner == who, Error::<T>::NotDeviceOwner);
		let current = DeviceChannel::<T>::get(device);
		if let Some(id) = channel {
			ensure!(
				!<T::SlaWatched as iotrust_primitives::obligations::SlaWatched>::is_watched(
					&device
				),
				Error::<T>::DeviceUnderSla
			);
			let record = Channels::<T>::get(id).ok_or(Error::<T>::UnknownChannel)?;
			ensure!(!record.closed, Error::<T>::ChannelClosed);
			ensure!(Self::access_in(&record, &who, Self::now()).writes(), Error::<T>::NotWriter);
		} else {
			ensure!(current.is_some(), Error::<T>::DeviceInNoChannel);
		}
		let deposit = T::DeviceDeposit::get();
		if channel.is_some() {
			Self::hold(&who, deposit)?;
		}
		if let Some(old) = current {
			ChannelDevices::<T>::remove(old.channel, device);
			Self::release(&old.by, old.deposit);
		}
		match channel {
			Some(id) => {
				DeviceChannel::<T>::insert(device, DeviceEntry { channel: id, by: who, deposit });
				ChannelDevices::<T>::insert(id, device, ());
			},
			None => DeviceChannel::<T>::remove(device),
		}
		Self::deposit_event(Event::DeviceChannelSet { device, channel });
		Ok(())
	}
}
