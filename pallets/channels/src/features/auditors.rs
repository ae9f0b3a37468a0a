//! Auditors: grants of a window of blocks, and their revocation.

use crate::*;

impl<T: Config> Pallet<T> {
	pub(crate) fn do_grant_auditor(
		origin: OriginFor<T>,
		channel: ChannelId,
		auditor: T::AccountId,
		from: BlockNumberFor<T>,
		until: BlockNumberFor<T>,
	) -> DispatchResult {
		let mut record = Self::managed(origin, channel)?;
		ensure!(from <= until && until >= Self::now(), Error::<T>::InvalidWindow);
		ensure!(record.role_of(&auditor).is_none(), Error::<T>::AlreadyMember);
		ensure!(record.grant_of(&auditor).is_none(), Error::<T>::AlreadyAuditor);
		ensure!(EncryptionKeys::<T>::contains_key(&auditor), Error::<T>::NoEncryptionKey);
		record
			.auditors
			.try_push((auditor.clone(), Grant { from, until }))
			.map_err(|_| Error::<T>::TooManyAuditors)?;
		Self::set_channel_deposit(&mut record)?;
		Channels::<T>::insert(channel, record);
		Self::deposit_event(Event::AuditorGranted { channel, auditor, from, until });
		Ok(())
	}

	pub(crate) fn do_revoke_auditor(
		origin: OriginFor<T>,
		channel: ChannelId,
		auditor: T::AccountId,
	) -> DispatchResult {
		let mut record = Self::managed(origin, channel)?;
		let before = record.auditors.len();
		record.auditors.retain(|(who, _)| *who != auditor);
		ensure!(record.auditors.len() < before, Error::<T>::NotAuditor);
		Self::set_channel_deposit(&mut record)?;
		Channels::<T>::insert(channel, record);
		Self::deposit_event(Event::AuditorRevoked { channel, auditor });
		Ok(())
	}
}
