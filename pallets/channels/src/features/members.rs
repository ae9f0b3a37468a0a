//! Creating channels, changing their members and their payloads' retention.

use crate::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_create_channel(
		origin: OriginFor<T>,
		members: BoundedVec<(T::AccountId, Role), T::MaxMembers>,
		retention: Option<BlockNumberFor<T>>,
	) -> DispatchResult {
		let owner = ensure_signed(origin)?;
		ensure!(T::Consortium::contains(&owner), Error::<T>::NotConsortiumMember);
		ensure!(EncryptionKeys::<T>::contains_key(&owner), Error::<T>::NoEncryptionKey);
		let mut all = BoundedVec::<_, T::MaxMembers>::new();
		all.try_push((owner.clone(), Role::Writer)).map_err(|_| Error::<T>::TooManyMembers)?;
		for (who, role) in members.iter() {
			Self::check_new_member(&all, who)?;
			all.try_push((who.clone(), *role)).map_err(|_| Error::<T>::TooManyMembers)?;
		}
		let id = NextChannelId::<T>::get();
		let next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
		let mut channel = Channel::<T> {
			owner: owner.clone(),
			members: all,
			auditors: Default::default(),
			epoch: 0,
			retention,
			deposit: Zero::zero(),
			closed: false,
		};
		let deposit = Self::channel_deposit(&channel);
		Self::hold(&owner, deposit)?;
		channel.deposit = deposit;

		NextChannelId::<T>::put(next);
		Self::deposit_event(Event::ChannelCreated { channel: id, owner });
		for (member, role) in channel.members.iter().skip(1) {
			Self::deposit_event(Event::MemberAdded {
				channel: id,
				member: member.clone(),
				role: *role,
			});
		}
		Channels::<T>::insert(id, channel);
		Ok(())
	}

	pub(crate) fn do_change_members(
		origin: OriginFor<T>,
		channel: ChannelId,
		add: BoundedVec<(T::AccountId, Role), T::MaxMembers>,
		remove: BoundedVec<T::AccountId, T::MaxMembers>,
		key_id: KeyId,
		keys: SealedKeysOf<T>,
	) -> DispatchResult {
		let mut record = Self::managed(origin, channel)?;
		for (i, who) in remove.iter().enumerate() {
			ensure!(*who != record.owner, Error::<T>::OwnerCannotLeave);
			ensure!(!remove.iter().take(i).any(|w| w == who), Error::<T>::DuplicateAccount);
			ensure!(record.role_of(who).is_some(), Error::<T>::NotMember);
		}
		let mut members = record.members.clone();
		members.retain(|(who, _)| !remove.contains(who));
		for (who, role) in add.iter() {
			Self::check_new_member(&members, who)?;
			ensure!(record.grant_of(who).is_none(), Error::<T>::AlreadyAuditor);
			members.try_push((who.clone(), *role)).map_err(|_| Error::<T>::TooManyMembers)?;
		}
		record.members = members;
		let deliveries = Self::check_epoch(&record, &keys)?;
		let owner = record.owner.clone();
		Self::set_channel_deposit(&mut record)?;

		for member in remove {
			Self::deposit_event(Event::MemberRemoved { channel, member });
		}
		for (member, role) in add {
			Self::deposit_event(Event::MemberAdded { channel, member, role });
		}
		Self::start_epoch(channel, &mut record, &owner, key_id, deliveries)?;
		Channels::<T>::insert(channel, record);
		Ok(())
	}

	pub(crate) fn do_set_retention(
		origin: OriginFor<T>,
		channel: ChannelId,
		retention: Option<BlockNumberFor<T>>,
	) -> DispatchResult {
		let mut record = Self::managed(origin, channel)?;
		record.retention = retention;
		Channels::<T>::insert(channel, record);
		Self::deposit_event(Event::RetentionSet { channel, retention });
		Ok(())
	}
}
