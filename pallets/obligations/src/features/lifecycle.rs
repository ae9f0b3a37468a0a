//! An obligation's life: created (by its consumer or a device's gateway), paid, cancelled,
//! defaulted, closed and archived; and the periods that govern it.

use crate::*;

impl<T: Config> Pallet<T> {
	/// The body of [`Pallet::create_for_device`], its origin checked.
	pub(crate) fn do_create_for_device(
		gateway: T::AccountId,
		device: DeviceId,
		request: Request<T>,
		valid_until: BlockNumberFor<T>,
		signature: DeviceSignature,
	) -> DispatchResult {
		let now = frame_system::Pallet::<T>::block_number();
		ensure!(now <= valid_until, Error::<T>::RequestExpired);
		ensure!(
			valid_until <= now.saturating_add(T::MaxRequestLifetime::get()),
			Error::<T>::RequestLifetimeTooLong
		);
		// One read of the device: whether this gateway may submit for it, its owner (the
		// consumer) and the key it signs with.
		let signer = T::Devices::standing(&device, &gateway).map_err(|refusal| match refusal {
			DeviceRefusal::DeviceNotActive => Error::<T>::DeviceNotActive,
			DeviceRefusal::NotDeviceGateway => Error::<T>::NotDeviceGateway,
		})?;
		let nonce = DeviceNonce::<T>::get(device);
		let next = nonce.checked_add(1).ok_or(Error::<T>::Overflow)?;
		let payload = obligation_payload(
			&Self::genesis_hash(),
			&device,
			nonce,
			valid_until.unique_saturated_into(),
			&request,
		);
		ensure!(signer.key.verify(&payload, &signature), Error::<T>::BadDeviceSignature);
		Self::do_create(signer.owner, request, Some(device))?;
		DeviceNonce::<T>::insert(device, next);
		Ok(())
	}

	/// The body of [`Pallet::pay`], its origin checked.
	pub(crate) fn do_pay(
		who: T::AccountId,
		id: ObligationId,
		amount: BalanceOf<T>,
	) -> DispatchResult {
		let mut obligation = Obligations::<T>::get(id).ok_or(Error::<T>::UnknownObligation)?;
		ensure!(obligation.consumer == who, Error::<T>::NotConsumer);
		ensure!(obligation.status == Status::Pending, Error::<T>::NotPending);
		ensure!(!amount.is_zero(), Error::<T>::ZeroPayment);
		let remaining = obligation.remaining();
		ensure!(amount <= remaining, Error::<T>::PaymentExceedsDebt);
		let credit_fee = T::CreditFee::get().mul_floor(amount);

		T::Currency::transfer(&who, &obligation.provider, amount, Preservation::Preserve)?;
		if !credit_fee.is_zero() {
			T::Currency::burn_from(
				&who,
				credit_fee,
				Preservation::Preserve,
				Precision::Exact,
				Fortitude::Polite,
			)?;
		}
		obligation.paid = obligation.paid.saturating_add(amount);
		obligation.credit_fee = obligation.credit_fee.saturating_add(credit_fee);
		Self::reduce_outstanding(&who, amount);
		let remaining = remaining.saturating_sub(amount);
		Self::deposit_event(Event::Paid { id, amount, credit_fee, remaining });
		if remaining.is_zero() {
			Self::fulfil(id, obligation);
		} else {
			Obligations::<T>::insert(id, obligation);
		}
		Ok(())
	}

	/// The body of [`Pallet::cancel`], its origin checked.
	pub(crate) fn do_cancel(who: T::AccountId, id: ObligationId) -> DispatchResult {
		let obligation = Obligations::<T>::get(id).ok_or(Error::<T>::UnknownObligation)?;
		ensure!(obligation.provider == who, Error::<T>::NotProvider);
		ensure!(obligation.status == Status::Pending, Error::<T>::NotPending);
		let forgiven = obligation.remaining();
		Self::close(id, obligation, Status::Cancelled, Outcome::Cancelled, forgiven);
		Self::deposit_event(Event::Cancelled { id, forgiven });
		Ok(())
	}

	/// The body of [`Pallet::mark_defaulted`], from its origin.
	pub(crate) fn do_mark_defaulted(origin: OriginFor<T>, id: ObligationId) -> DispatchResult {
		ensure_signed(origin)?;
		let obligation = Obligations::<T>::get(id).ok_or(Error::<T>::UnknownObligation)?;
		ensure!(obligation.status == Status::Pending, Error::<T>::NotPending);
		ensure!(Self::is_overdue(&obligation), Error::<T>::NotOverdue);
		Self::default(id, obligation);
		Ok(())
	}

	/// The body of [`Pallet::set_grace_period`], from its origin.
	pub(crate) fn do_set_grace_period(
		origin: OriginFor<T>,
		blocks: BlockNumberFor<T>,
	) -> DispatchResult {
		T::AdminOrigin::ensure_origin(origin)?;
		GracePeriod::<T>::put(blocks);
		Self::deposit_event(Event::GracePeriodSet { blocks });
		Ok(())
	}

	/// The body of [`Pallet::archive`], from its origin.
	pub(crate) fn do_archive(origin: OriginFor<T>, id: ObligationId) -> DispatchResult {
		ensure_signed(origin)?;
		let obligation = Obligations::<T>::get(id).ok_or(Error::<T>::UnknownObligation)?;
		let closed_at = obligation.closed_at.ok_or(Error::<T>::StillPending)?;
		ensure!(
			frame_system::Pallet::<T>::block_number()
				> closed_at.saturating_add(Retention::<T>::get()),
			Error::<T>::RetentionNotOver
		);
		T::Currency::release(
			&HoldReason::ObligationDeposit.into(),
			&obligation.consumer,
			obligation.deposit,
			Precision::BestEffort,
		)?;
		Obligations::<T>::remove(id);
		Streams::<T>::remove((Side::Provider, &obligation.provider), id.to_be_bytes());
		Streams::<T>::remove((Side::Consumer, &obligation.consumer), id.to_be_bytes());
		Self::deposit_event(Event::Archived { id });
		Ok(())
	}

	/// The body of [`Pallet::set_retention`], from its origin.
	pub(crate) fn do_set_retention(
		origin: OriginFor<T>,
		blocks: BlockNumberFor<T>,
	) -> DispatchResult {
		T::AdminOrigin::ensure_origin(origin)?;
		Retention::<T>::put(blocks);
		Self::deposit_event(Event::RetentionSet { blocks });
		Ok(())
	}

	/// `device` is active and belongs to `party`.
	pub(crate) fn ensure_device_of(device: &DeviceId, party: &T::AccountId) -> DispatchResult {
		ensure!(T::Devices::is_active(device), Error::<T>::DeviceNotActive);
		ensure!(T::Devices::owner_of(device).as_ref() == Some(party), Error::<T>::NotDeviceOwner);
		Ok(())
	}

	/// Accept `request` from `consumer` if it matches its offer; everything is checked before
	/// anything is written.
	pub(crate) fn do_create(
		consumer: T::AccountId,
		request: Request<T>,
		consumer_device: Option<DeviceId>,
	) -> DispatchResult {
		let Offer { provider, terms, .. } =
			Offers::<T>::get(request.offer).ok_or(Error::<T>::UnknownOffer)?;
		ensure!(
			terms.consumers.is_empty() || terms.consumers.contains(&consumer),
			Error::<T>::NotNamedConsumer
		);
		ensure!(consumer != provider, Error::<T>::SelfObligation);
		ensure!(
			request.amount >= terms.min_amount && request.amount <= terms.max_amount,
			Error::<T>::AmountOutOfRange
		);
		// One read of the consumer's reputation: its score and its credit limit.
		let (score, credit_limit) = T::Credit::standing(&consumer);
		ensure!(score >= terms.min_score, Error::<T>::ScoreTooLow);
		if let Some(device) = terms.device {
			Self::ensure_device_of(&device, &provider)?;
		}
		let mut watch = None;
		if let (Some(_), Some(device)) = (terms.sla, terms.device) {
			ensure!(
				<T::Channels as iotrust_primitives::channels::DeviceChannels>::channel_of(&device)
					.is_none(),
				Error::<T>::SlaDevicePrivate
			);
			let list = SlaWatch::<T>::get(device);
			ensure!(
				list.len() < T::MaxSlaPerDevice::get() as usize,
				Error::<T>::TooManySlaObligations
			);
			watch = Some((device, list));
		}
		let outstanding = Outstanding::<T>::get(&consumer)
			.checked_add(&request.amount)
			.ok_or(Error::<T>::Overflow)?;
		ensure!(outstanding <= credit_limit, Error::<T>::CreditLimitExceeded);
		let id = NextObligationId::<T>::get();
		let next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
		let now = frame_system::Pallet::<T>::block_number();
		let due = now.checked_add(&terms.due_in).ok_or(Error::<T>::Overflow)?;
		let deposit = T::ObligationDeposit::get();
		let bond = if watch.is_some() {
			T::SlaBond::get().mul_floor(request.amount)
		} else {
			Zero::zero()
		};
		T::Currency::hold(&HoldReason::ObligationDeposit.into(), &consumer, deposit)?;
		if !bond.is_zero() {
			T::Currency::hold(&HoldReason::SlaBond.into(), &consumer, bond)?;
		}

		if let Some((device, mut list)) = watch {
			list.try_push(id).map_err(|_| Error::<T>::TooManySlaObligations)?;
			SlaWatch::<T>::insert(device, list);
		}
		Outstanding::<T>::insert(&consumer, outstanding);
		Streams::<T>::insert((Side::Provider, &provider), id.to_be_bytes(), ());
		Streams::<T>::insert((Side::Consumer, &consumer), id.to_be_bytes(), ());
		DueQueue::<T>::insert(Self::due_key(due, id), ());
		NextObligationId::<T>::put(next);
		let amount = request.amount;
		Obligations::<T>::insert(
			id,
			Obligation {
				consumer: consumer.clone(),
				provider: provider.clone(),
				offer: request.offer,
				amount,
				paid: Zero::zero(),
				penalty: Zero::zero(),
				breaches: 0,
				last_breach: None,
				counted: Default::default(),
				silent_until: now,
				credit_fee: Zero::zero(),
				service_hash: terms.service_hash,
				note: request.note,
				created: now,
				due,
				consumer_device,
				provider_device: terms.device,
				sla: terms.sla,
				deposit,
				bond,
				status: Status::Pending,
				closed_at: None,
			},
		);
		Self::deposit_event(Event::Created {
			id,
			offer: request.offer,
			consumer,
			provider,
			amount,
			due,
			device: consumer_device,
		});
		Ok(())
	}

	/// Close a fully paid obligation, on time or late.
	pub(crate) fn fulfil(id: ObligationId, obligation: Obligation<T>) {
		let on_time = frame_system::Pallet::<T>::block_number() <= obligation.due;
		let outcome = if on_time { Outcome::FulfilledOnTime } else { Outcome::FulfilledLate };
		let paid = obligation.paid;
		Self::close(id, obligation, Status::Fulfilled, outcome, paid);
		Self::deposit_event(Event::Fulfilled { id, on_time });
	}

	/// Mark a pending obligation defaulted.
	pub(crate) fn default(id: ObligationId, obligation: Obligation<T>) {
		let unpaid = obligation.remaining();
		Self::close(id, obligation, Status::Defaulted, Outcome::Defaulted, unpaid);
		Self::deposit_event(Event::Defaulted { id, unpaid });
	}

	/// Take `by` off what `consumer` owes; the entry goes once nothing is owed.
	pub(crate) fn reduce_outstanding(consumer: &T::AccountId, by: BalanceOf<T>) {
		Outstanding::<T>::mutate_exists(consumer, |o| {
			let rest = o.unwrap_or_default().saturating_sub(by);
			*o = if rest.is_zero() { None } else { Some(rest) };
		});
	}

	/// End a pending obligation with `status`: it leaves the consumer's outstanding total, the
	/// due queue and its SLA device's watch list, its bond is settled, and reputation hears
	/// `outcome` worth `value`.
	pub(crate) fn close(
		id: ObligationId,
		mut obligation: Obligation<T>,
		status: Status,
		outcome: Outcome,
		value: BalanceOf<T>,
	) {
		let left = obligation.remaining();
		if !left.is_zero() {
			Self::reduce_outstanding(&obligation.consumer, left);
		}
		DueQueue::<T>::remove(Self::due_key(obligation.due, id));
		if let (Some(_), Some(device)) = (obligation.sla, obligation.provider_device) {
			SlaWatch::<T>::mutate_exists(device, |list| {
				if let Some(l) = list {
					l.retain(|o| *o != id);
					if l.is_empty() {
						*list = None;
						SlaSeen::<T>::remove(device);
					}
				}
			});
		}
		// What the provider may take of the bond: on a default, up to what was left unpaid; on
		// a cancellation, the share of the term the slot was held (a provider cancelling a
		// consumer it just accepted takes next to nothing), up to what was forgiven.
		let now = frame_system::Pallet::<T>::block_number();
		let claim = match status {
			Status::Defaulted => left,
			Status::Cancelled => {
				let term = obligation.due.saturating_sub(obligation.created).max(One::one());
				let held = now.saturating_sub(obligation.created).min(term);
				Perbill::from_rational(held, term).mul_floor(obligation.bond).min(left)
			},
			_ => Zero::zero(),
		};
		Self::settle_bond(id, &mut obligation, claim);
		T::Reputation::record(Settlement {
			consumer: &obligation.consumer,
			provider: &obligation.provider,
			outcome,
			value,
			credit_fee: obligation.credit_fee,
		});
		obligation.status = status;
		obligation.closed_at = Some(frame_system::Pallet::<T>::block_number());
		Obligations::<T>::insert(id, obligation);
	}

	/// Settle `obligation`'s bond: up to `claim` of it to the provider, the rest back to the
	/// consumer. Should paying the provider fail (its account cannot take it), all of it goes
	/// back to the consumer: nothing stays held without a pending obligation.
	fn settle_bond(id: ObligationId, obligation: &mut Obligation<T>, claim: BalanceOf<T>) {
		use frame_support::traits::tokens::Restriction;
		let bond = core::mem::take(&mut obligation.bond);
		if bond.is_zero() {
			return;
		}
		let reason = HoldReason::SlaBond.into();
		let mut to_provider = claim.min(bond);
		if !to_provider.is_zero()
			&& T::Currency::transfer_on_hold(
				&reason,
				&obligation.consumer,
				&obligation.provider,
				to_provider,
				Precision::BestEffort,
				Restriction::Free,
				Fortitude::Polite,
			)
			.is_err()
		{
			to_provider = Zero::zero();
		}
		let rest = bond.saturating_sub(to_provider);
		if !rest.is_zero() {
			let _ =
				T::Currency::release(&reason, &obligation.consumer, rest, Precision::BestEffort);
		}
		Self::deposit_event(Event::BondSettled { id, to_provider });
	}

	/// What `consumer` may still take on: its credit limit less what it owes.
	pub fn remaining_credit(consumer: &T::AccountId) -> BalanceOf<T> {
		T::Credit::credit_limit(consumer).saturating_sub(Outstanding::<T>::get(consumer))
	}

	/// What [`Pallet::create_for_device`] would do if `gateway` submitted it now: the call's own
	/// result, every write it made undone. Gateways ask it (through the runtime API) before
	/// paying for a refusal. A note longer than [`Config::MaxNoteLen`], which no call can carry,
	/// is `DispatchError::Other`.
	pub fn check_device_request(
		gateway: T::AccountId,
		device: DeviceId,
		request: ObligationRequest<BalanceOf<T>>,
		valid_until: BlockNumberFor<T>,
		signature: DeviceSignature,
	) -> DispatchResult {
		let Ok(note) = request.note.try_into() else {
			return Err(DispatchError::Other("the note is longer than MaxNoteLen"));
		};
		let request = Request::<T> { offer: request.offer, amount: request.amount, note };
		frame_support::storage::with_transaction(|| {
			let origin = frame_system::RawOrigin::Signed(gateway).into();
			sp_runtime::TransactionOutcome::Rollback(Self::create_for_device(
				origin,
				device,
				request,
				valid_until,
				signature,
			))
		})
	}
}

/// A removed device's relay nonce goes with it: its id never comes back, so none of its signed
/// requests can be submitted again.
impl<T: Config> iotrust_primitives::obligations::SlaWatched for Pallet<T> {
	fn is_watched(device: &DeviceId) -> bool {
		SlaWatch::<T>::contains_key(device)
	}
}

impl<T: Config> OnDeviceRemoved for Pallet<T> {
	fn on_device_removed(device: &DeviceId) -> Weight {
		DeviceNonce::<T>::remove(device);
		<Self as OnDeviceRemoved>::max_weight()
	}

	fn max_weight() -> Weight {
		T::DbWeight::get().writes(1)
	}
}
