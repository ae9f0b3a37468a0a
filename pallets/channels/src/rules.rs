//! What every call checks and does alike: who may act, who is entitled to a key, a new
//! epoch's checks and start, deposits.

use crate::*;

impl<T: Config> Pallet<T> {
	/// The current block.
	pub(crate) fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// What `who` may do in `record` at block `now`.
	pub(crate) fn access_in(
		record: &Channel<T>,
		who: &T::AccountId,
		now: BlockNumberFor<T>,
	) -> Access<BlockNumberFor<T>> {
		if record.closed {
			return Access::None;
		}
		if let Some(role) = record.role_of(who) {
			return if T::Consortium::contains(who) { Access::Member(role) } else { Access::None };
		}
		match record.grant_of(who) {
			Some(grant) if grant.holds(&now) => {
				Access::Auditor { from: grant.from, until: grant.until }
			},
			_ => Access::None,
		}
	}

	/// The accounts entitled to a key made now: members still in the consortium and auditors
	/// whose window holds now.
	pub(crate) fn entitled(record: &Channel<T>, now: BlockNumberFor<T>) -> Vec<T::AccountId> {
		let consortium = T::Consortium::sorted_members();
		let members = record
			.members
			.iter()
			.filter(|(who, _)| consortium.binary_search(who).is_ok())
			.map(|(who, _)| who.clone());
		let auditors =
			record.auditors.iter().filter(|(_, g)| g.holds(&now)).map(|(who, _)| who.clone());
		members.chain(auditors).collect()
	}

	/// The channel, if `origin` may change it: its owner while a consortium member, or
	/// `AdminOrigin`; and it is open.
	pub(crate) fn managed(
		origin: OriginFor<T>,
		channel: ChannelId,
	) -> Result<Channel<T>, DispatchError> {
		let record = Channels::<T>::get(channel).ok_or(Error::<T>::UnknownChannel)?;
		if T::AdminOrigin::try_origin(origin.clone()).is_err() {
			let who = ensure_signed(origin)?;
			ensure!(who == record.owner, Error::<T>::NotOwner);
			ensure!(T::Consortium::contains(&who), Error::<T>::NotConsortiumMember);
		}
		ensure!(!record.closed, Error::<T>::ChannelClosed);
		Ok(record)
	}

	/// Whether `who` may join as a member beside `members`.
	pub(crate) fn check_new_member(
		members: &[(T::AccountId, Role)],
		who: &T::AccountId,
	) -> Result<(), DispatchError> {
		ensure!(!members.iter().any(|(m, _)| m == who), Error::<T>::AlreadyMember);
		ensure!(T::Consortium::contains(who), Error::<T>::NotConsortiumMember);
		ensure!(EncryptionKeys::<T>::contains_key(who), Error::<T>::NoEncryptionKey);
		Ok(())
	}

	/// Checks a new epoch of `record`: `keys` seal its key to exactly the accounts entitled now,
	/// each once. The deliveries to store.
	pub(crate) fn check_epoch(
		record: &Channel<T>,
		keys: &[(T::AccountId, SealedKey)],
	) -> Result<Vec<(T::AccountId, SealedEpochKey)>, DispatchError> {
		let entitled = Self::entitled(record, Self::now());
		let mut out = Vec::with_capacity(keys.len());
		for (i, (who, sealed)) in keys.iter().enumerate() {
			ensure!(!keys.iter().take(i).any(|(w, _)| w == who), Error::<T>::DuplicateAccount);
			ensure!(entitled.contains(who), Error::<T>::UnexpectedRecipient);
			let to_key = EncryptionKeys::<T>::get(who).ok_or(Error::<T>::NoEncryptionKey)?.key;
			out.push((who.clone(), SealedEpochKey { to_key, sealed: *sealed }));
		}
		// Every key is for a distinct entitled account: as many keys as accounts covers them all.
		ensure!(out.len() == entitled.len(), Error::<T>::MissingKey);
		Ok(out)
	}

	/// Starts `record`'s next epoch with the checked `deliveries`, its deposits held from `by`.
	/// The caller stores `record`.
	pub(crate) fn start_epoch(
		channel: ChannelId,
		record: &mut Channel<T>,
		by: &T::AccountId,
		key_id: KeyId,
		deliveries: Vec<(T::AccountId, SealedEpochKey)>,
	) -> DispatchResult {
		let epoch = record.epoch.checked_add(1).ok_or(Error::<T>::Overflow)?;
		let per_key = T::SealedKeyDeposit::get();
		let recipients = deliveries.len() as u32;
		let epoch_deposit = T::EpochDeposit::get();
		Self::hold(by, epoch_deposit.saturating_add(per_key.saturating_mul(recipients.into())))?;
		let now = Self::now();
		if record.epoch > 0 {
			Epochs::<T>::mutate(channel, record.epoch, |e| {
				if let Some(e) = e {
					e.ended = Some(now);
				}
			});
		}
		record.epoch = epoch;
		Epochs::<T>::insert(
			channel,
			epoch,
			EpochRecord {
				started: now,
				ended: None,
				key_id,
				by: by.clone(),
				deposit: epoch_deposit,
			},
		);
		Self::deposit_event(Event::EpochStarted {
			channel,
			epoch,
			key_id,
			by: by.clone(),
			recipients,
		});
		for (to, key) in deliveries {
			if record.grant_of(&to).is_some() {
				Self::deposit_event(Event::EpochKeyDelivered { channel, epoch, to: to.clone() });
			}
			SealedKeys::<T>::insert(
				(channel, epoch, &to),
				Delivery { key, by: by.clone(), deposit: per_key },
			);
		}
		Ok(())
	}

	/// What the owner holds for `record`: the channel and a slot per member and auditor.
	pub(crate) fn channel_deposit(record: &Channel<T>) -> BalanceOf<T> {
		let slots = (record.members.len().saturating_add(record.auditors.len())) as u32;
		T::ChannelDeposit::get()
			.saturating_add(T::MemberDeposit::get().saturating_mul(slots.into()))
	}

	/// Holds or releases the owner's deposit so that it matches `record`'s slots.
	pub(crate) fn set_channel_deposit(record: &mut Channel<T>) -> DispatchResult {
		let wanted = Self::channel_deposit(record);
		if wanted > record.deposit {
			Self::hold(&record.owner, wanted.saturating_sub(record.deposit))?;
		} else {
			Self::release(&record.owner, record.deposit.saturating_sub(wanted));
		}
		record.deposit = wanted;
		Ok(())
	}

	pub(crate) fn hold(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::hold(&HoldReason::ChannelDeposit.into(), who, amount)
	}

	pub(crate) fn release(who: &T::AccountId, amount: BalanceOf<T>) {
		if amount.is_zero() {
			return;
		}
		// Best effort: what this pallet holds was held by it, so the release cannot fall short
		// unless a slash took some, and then whatever is left is released.
		let _ = T::Currency::release(
			&HoldReason::ChannelDeposit.into(),
			who,
			amount,
			Precision::BestEffort,
		);
	}
}
