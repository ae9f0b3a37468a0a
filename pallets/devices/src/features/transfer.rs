//! Handing a device to another owner: offered, cancelled, accepted.

use crate::*;

impl<T: Config> Pallet<T> {
	/// The body of [`Pallet::offer_transfer`], its origin checked.
	pub(crate) fn do_offer_transfer(
		who: T::AccountId,
		device: DeviceId,
		to: T::AccountId,
	) -> DispatchResult {
		Self::owned_live(&who, &device)?;
		ensure!(to != who, Error::<T>::TransferToSelf);
		PendingTransfers::<T>::insert(device, to.clone());
		Self::deposit_event(Event::TransferOffered { device, from: who, to });
		Ok(())
	}

	/// The body of [`Pallet::cancel_transfer`], its origin checked.
	pub(crate) fn do_cancel_transfer(who: T::AccountId, device: DeviceId) -> DispatchResult {
		Self::owned(&who, &device)?;
		ensure!(PendingTransfers::<T>::contains_key(device), Error::<T>::NoPendingTransfer);
		PendingTransfers::<T>::remove(device);
		Self::deposit_event(Event::TransferCancelled { device });
		Ok(())
	}

	/// The body of [`Pallet::accept_transfer`], its origin checked.
	pub(crate) fn do_accept_transfer(who: T::AccountId, device: DeviceId) -> DispatchResult {
		let mut record = Devices::<T>::get(device).ok_or(Error::<T>::UnknownDevice)?;
		let offered = PendingTransfers::<T>::get(device).ok_or(Error::<T>::NoPendingTransfer)?;
		ensure!(offered == who, Error::<T>::NotOfferedToYou);
		ensure!(record.status != DeviceStatus::Revoked, Error::<T>::DeviceRevoked);

		let deposit = T::DeviceDeposit::get();
		let reason = HoldReason::DeviceDeposit.into();
		T::Currency::hold(&reason, &who, deposit)?;
		let from = core::mem::replace(&mut record.owner, who.clone());
		T::Currency::release(&reason, &from, record.deposit, Precision::BestEffort)?;
		record.deposit = deposit;
		record.gateway = None;
		Devices::<T>::insert(device, record);
		DevicesByOwner::<T>::remove(&from, device);
		DevicesByOwner::<T>::insert(&who, device, ());
		PendingTransfers::<T>::remove(device);
		Self::deposit_event(Event::OwnershipTransferred { device, from, to: who });
		Ok(())
	}
}
