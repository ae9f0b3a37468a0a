//! Providers' standing offers: published, withdrawn, listed.

use crate::*;

impl<T: Config> Pallet<T> {
	/// The body of [`Pallet::publish_offer`], its origin checked.
	pub(crate) fn do_publish_offer(provider: T::AccountId, terms: OfferTerms<T>) -> DispatchResult {
		ensure!(
			terms.min_amount >= T::MinAmount::get() && terms.min_amount <= terms.max_amount,
			Error::<T>::InvalidAmountRange
		);
		ensure!(
			!terms.due_in.is_zero() && terms.due_in <= T::MaxDueIn::get(),
			Error::<T>::InvalidDueIn
		);
		ensure!(terms.min_score <= 1_000, Error::<T>::InvalidScore);
		if let Some(sla) = terms.sla {
			ensure!(terms.device.is_some(), Error::<T>::SlaWithoutDevice);
			ensure!(Self::is_valid_sla(&sla.bounds), Error::<T>::InvalidSla);
			ensure!(
				!sla.max_silence.is_zero() && sla.max_silence <= T::MaxDueIn::get(),
				Error::<T>::InvalidSilence
			);
		}
		if let Some(device) = terms.device {
			Self::ensure_device_of(&device, &provider)?;
		}
		let mut offers = ProviderOffers::<T>::get(&provider);
		let offer = NextOfferId::<T>::get();
		let next = offer.checked_add(1).ok_or(Error::<T>::Overflow)?;
		offers.try_push(offer).map_err(|_| Error::<T>::TooManyOffers)?;
		let deposit = T::OfferDeposit::get();
		T::Currency::hold(&HoldReason::OfferDeposit.into(), &provider, deposit)?;

		ProviderOffers::<T>::insert(&provider, offers);
		NextOfferId::<T>::put(next);
		Offers::<T>::insert(offer, Offer { provider: provider.clone(), terms, deposit });
		Self::deposit_event(Event::OfferPublished { offer, provider });
		Ok(())
	}

	/// The body of [`Pallet::withdraw_offer`], its origin checked.
	pub(crate) fn do_withdraw_offer(who: T::AccountId, offer: OfferId) -> DispatchResult {
		let standing = Offers::<T>::get(offer).ok_or(Error::<T>::UnknownOffer)?;
		ensure!(standing.provider == who, Error::<T>::NotOfferProvider);
		T::Currency::release(
			&HoldReason::OfferDeposit.into(),
			&who,
			standing.deposit,
			Precision::BestEffort,
		)?;
		Offers::<T>::remove(offer);
		ProviderOffers::<T>::mutate_exists(&who, |offers| {
			if let Some(list) = offers {
				list.retain(|o| *o != offer);
				if list.is_empty() {
					*offers = None;
				}
			}
		});
		Self::deposit_event(Event::OfferWithdrawn { offer });
		Ok(())
	}

	/// `provider`'s standing offers, oldest first.
	pub fn offers_of(provider: &T::AccountId) -> Vec<(OfferId, Offer<T>)> {
		ProviderOffers::<T>::get(provider)
			.into_iter()
			.filter_map(|id| Offers::<T>::get(id).map(|offer| (id, offer)))
			.collect()
	}
}
