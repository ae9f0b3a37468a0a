//! What clients read (the runtime API's answers) and the pallet's invariants.

use crate::*;

impl<T: Config> Pallet<T> {
	/// What `who` may do in `channel` now.
	pub fn access(channel: ChannelId, who: &T::AccountId) -> Access<BlockNumberFor<T>> {
		match Channels::<T>::get(channel) {
			Some(record) => Self::access_in(&record, who, Self::now()),
			None => Access::None,
		}
	}

	/// Channel `channel` as clients see it.
	pub fn channel_info(
		channel: ChannelId,
	) -> Option<ChannelInfo<T::AccountId, BlockNumberFor<T>>> {
		let record = Channels::<T>::get(channel)?;
		let now = Self::now();
		let consortium = T::Consortium::sorted_members();
		let holds_current =
			|who: &T::AccountId| SealedKeys::<T>::contains_key((channel, record.epoch, who));
		let members = record
			.members
			.iter()
			.map(|(account, role)| MemberInfo {
				account: account.clone(),
				role: *role,
				active: consortium.binary_search(account).is_ok(),
			})
			.collect();
		let auditors = record
			.auditors
			.iter()
			.map(|(account, grant)| AuditorInfo {
				account: account.clone(),
				grant: *grant,
				active: grant.holds(&now),
				holds_current_key: holds_current(account),
			})
			.collect();
		let entitled = Self::entitled(&record, now);
		let rekey_due = Self::rekey_due(channel, &record);
		let deliveries_due = if record.closed {
			Vec::new()
		} else {
			entitled.into_iter().filter(|w| !holds_current(w)).collect()
		};
		let key_id = Epochs::<T>::get(channel, record.epoch).map(|e| e.key_id).unwrap_or_default();
		Some(ChannelInfo {
			owner: record.owner,
			members,
			auditors,
			epoch: record.epoch,
			key_id,
			retention: record.retention,
			rekey_due: rekey_due && !record.closed,
			deliveries_due,
			closed: record.closed,
		})
	}

	/// Whether someone who holds `channel`'s current key may no longer read it: writers must
	/// start a new epoch before sealing anything more.
	pub fn rekey_due(channel: ChannelId, record: &Channel<T>) -> bool {
		let entitled = Self::entitled(record, Self::now());
		SealedKeys::<T>::iter_key_prefix((channel, record.epoch))
			.any(|holder| !entitled.contains(&holder))
	}

	/// Epoch `epoch` of `channel` as clients see it.
	pub fn epoch_info(
		channel: ChannelId,
		epoch: ChannelEpoch,
	) -> Option<EpochInfo<T::AccountId, BlockNumberFor<T>>> {
		Epochs::<T>::get(channel, epoch).map(|e| EpochInfo {
			started: e.started,
			ended: e.ended,
			key_id: e.key_id,
			by: e.by,
		})
	}

	/// The key of `channel`'s `epoch` sealed to `who`, if delivered.
	pub fn sealed_key(
		channel: ChannelId,
		epoch: ChannelEpoch,
		who: &T::AccountId,
	) -> Option<SealedEpochKey> {
		SealedKeys::<T>::get((channel, epoch, who)).map(|d| d.key)
	}

	/// `who`'s encryption key.
	pub fn encryption_key(who: &T::AccountId) -> Option<EncryptionKey> {
		EncryptionKeys::<T>::get(who).map(|r| r.key)
	}

	/// Document `hash` of `channel`, if published.
	pub fn document_info(
		channel: ChannelId,
		hash: &DocumentHash,
	) -> Option<DocumentInfo<T::AccountId, BlockNumberFor<T>>> {
		Documents::<T>::get(channel, hash).map(|d| DocumentInfo {
			epoch: d.epoch,
			size: d.size,
			at: d.at,
			by: d.by,
		})
	}

	/// The channel `device`'s readings belong to, if any.
	pub fn device_channel(device: &DeviceId) -> Option<ChannelId> {
		DeviceChannel::<T>::get(device).map(|e| e.channel)
	}

	/// The invariants: every channel's owner is its first member and a writer, members and
	/// auditors are distinct, an open channel's current epoch exists and has not ended, every
	/// sealed key belongs to an existing epoch, each private device is in its channel's index and
	/// back, every document belongs to a channel and one of its epochs, and channel numbers are
	/// below the next one.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let next = NextChannelId::<T>::get();
		for (id, record) in Channels::<T>::iter() {
			ensure!(id < next, "a channel's number is not below the next one");
			ensure!(
				record.members.first() == Some(&(record.owner.clone(), Role::Writer)),
				"a channel's owner is not its first member, a writer"
			);
			for (i, (who, _)) in record.members.iter().enumerate() {
				ensure!(
					!record.members.iter().take(i).any(|(w, _)| w == who),
					"a channel member appears twice"
				);
				ensure!(record.grant_of(who).is_none(), "a channel member is also its auditor");
			}
			for (i, (who, _)) in record.auditors.iter().enumerate() {
				ensure!(
					!record.auditors.iter().take(i).any(|(w, _)| w == who),
					"a channel auditor appears twice"
				);
			}
			if !record.closed && record.epoch > 0 {
				let current = Epochs::<T>::get(id, record.epoch)
					.ok_or("an open channel's current epoch has no record")?;
				ensure!(current.ended.is_none(), "an open channel's current epoch has ended");
			}
			if !record.closed {
				ensure!(
					record.deposit == Self::channel_deposit(&record),
					"a channel's deposit does not match its slots"
				);
			}
		}
		for ((channel, epoch, _), _) in SealedKeys::<T>::iter() {
			ensure!(
				Epochs::<T>::contains_key(channel, epoch),
				"a sealed key belongs to no epoch record"
			);
		}
		for (device, entry) in DeviceChannel::<T>::iter() {
			ensure!(
				ChannelDevices::<T>::contains_key(entry.channel, device),
				"a private device is not in its channel's index"
			);
			ensure!(
				Channels::<T>::contains_key(entry.channel),
				"a device's channel does not exist"
			);
		}
		for (channel, device, ()) in ChannelDevices::<T>::iter() {
			ensure!(
				DeviceChannel::<T>::get(device).is_some_and(|e| e.channel == channel),
				"a channel's device index names a device of another channel"
			);
		}
		for (channel, _, document) in Documents::<T>::iter() {
			let record = Channels::<T>::get(channel).ok_or("a document belongs to no channel")?;
			ensure!(
				document.epoch >= 1 && document.epoch <= record.epoch,
				"a document's epoch is beyond its channel's"
			);
			ensure!(
				Epochs::<T>::contains_key(channel, document.epoch),
				"a document's epoch has no record"
			);
			ensure!(document.size >= 1, "a document is empty");
		}
		for (channel, epoch, _) in Epochs::<T>::iter() {
			let record = Channels::<T>::get(channel).ok_or("an epoch belongs to no channel")?;
			ensure!(epoch >= 1 && epoch <= record.epoch, "an epoch is beyond its channel's");
		}
		Ok(())
	}
}

impl<T: Config> DeviceChannels for Pallet<T> {
	fn channel_of(device: &DeviceId) -> Option<ChannelId> {
		Self::device_channel(device)
	}
}
