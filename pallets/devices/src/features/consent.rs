//! Gateways: the owners a gateway serves, and the devices bound to it.

use crate::*;

impl<T: Config> Pallet<T> {
	/// The body of [`Pallet::bind_gateway`], its origin checked.
	pub(crate) fn do_bind_gateway(
		who: T::AccountId,
		device: DeviceId,
		gateway: T::AccountId,
	) -> DispatchResult {
		let mut record = Self::owned_live(&who, &device)?;
		ensure!(
			gateway == who || ServedOwners::<T>::contains_key(&gateway, &who),
			Error::<T>::GatewayNotServing
		);
		record.gateway = Some(gateway.clone());
		Devices::<T>::insert(device, record);
		Self::deposit_event(Event::GatewayBound { device, gateway });
		Ok(())
	}

	/// The body of [`Pallet::unbind_gateway`], its origin checked.
	pub(crate) fn do_unbind_gateway(who: T::AccountId, device: DeviceId) -> DispatchResult {
		let mut record = Self::owned_live(&who, &device)?;
		ensure!(record.gateway.take().is_some(), Error::<T>::NotBound);
		Devices::<T>::insert(device, record);
		Self::deposit_event(Event::GatewayUnbound { device });
		Ok(())
	}

	/// The body of [`Pallet::serve_owner`], its origin checked.
	pub(crate) fn do_serve_owner(gateway: T::AccountId, owner: T::AccountId) -> DispatchResult {
		ensure!(!ServedOwners::<T>::contains_key(&gateway, &owner), Error::<T>::AlreadyServing);
		let deposit = T::ConsentDeposit::get();
		T::Currency::hold(&HoldReason::GatewayConsent.into(), &gateway, deposit)?;
		ServedOwners::<T>::insert(&gateway, &owner, deposit);
		Self::deposit_event(Event::OwnerServed { gateway, owner });
		Ok(())
	}

	/// The body of [`Pallet::stop_serving`], its origin checked.
	pub(crate) fn do_stop_serving(gateway: T::AccountId, owner: T::AccountId) -> DispatchResult {
		let deposit = ServedOwners::<T>::take(&gateway, &owner).ok_or(Error::<T>::NotServing)?;
		T::Currency::release(
			&HoldReason::GatewayConsent.into(),
			&gateway,
			deposit,
			Precision::BestEffort,
		)?;
		Self::deposit_event(Event::OwnerNoLongerServed { gateway, owner });
		Ok(())
	}

	/// The body of [`Pallet::release_device`], its origin checked.
	pub(crate) fn do_release_device(gateway: T::AccountId, device: DeviceId) -> DispatchResult {
		let mut record = Devices::<T>::get(device).ok_or(Error::<T>::UnknownDevice)?;
		ensure!(record.gateway.as_ref() == Some(&gateway), Error::<T>::NotDeviceGateway);
		record.gateway = None;
		Devices::<T>::insert(device, record);
		Self::deposit_event(Event::DeviceReleased { device, gateway });
		Ok(())
	}
}

impl<T: Config> GatewayConsents<T::AccountId> for Pallet<T> {
	/// Reads at most `limit + 1` consents before changing anything.
	fn stop_serving_all(gateway: &T::AccountId, limit: u32) -> Result<u32, TooManyServed> {
		let owners: Vec<T::AccountId> =
			ServedOwners::<T>::iter_key_prefix(gateway).take(limit as usize + 1).collect();
		if owners.len() > limit as usize {
			return Err(TooManyServed);
		}
		for owner in &owners {
			// Each owner was just read under this gateway, and its consent is gone even if its
			// deposit could not be released: no owner binds to the gateway any more.
			let _ = Self::do_stop_serving(gateway.clone(), owner.clone());
		}
		Ok(owners.len() as u32)
	}

	fn stop_serving_weight(n: u32) -> Weight {
		T::DbWeight::get()
			.reads(1)
			.saturating_add(T::WeightInfo::stop_serving().saturating_mul(u64::from(n)))
	}
}
