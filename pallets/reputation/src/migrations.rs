//! Storage migrations of the reputation pallet.

/// Version 1 → 2: each record gains [`crate::Record::forgotten`], the remainder the providers it
/// does not remember share.
///
/// Version 1 counted a payment to a provider the record did not remember as the first payment to
/// it, so paying throwaway providers to push a colluder out of memory let the colluder count
/// again and again. Version 2 keeps what was paid to providers not remembered. A record migrated
/// cannot know what it forgot, but version 1 forgot a provider only when its memory was full and
/// a provider paid more came, and then the one paid least: what any forgotten provider was paid
/// is at most the least paid to one it remembers. A full record starts with that as its
/// remainder; one with room forgot nobody (decay aside) and starts from 0. Nothing else
/// changes, which the post-upgrade check verifies.
///
/// One read and one write per record, in one block: a consortium chain's consumers number in the
/// thousands at most, each record under a kilobyte.
pub mod v2 {
	use crate::{Config, Counterparty, Pallet, Record, Records, Tally};
	use alloc::vec::Vec;
	use codec::{Decode, Encode, MaxEncodedLen};
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::*,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use sp_runtime::TryRuntimeError;

	/// The migration, run only when the pallet's stored version is 1; it then stores 2.
	pub type MigrateV1ToV2<T> =
		VersionedMigration<1, 2, AddForgotten<T>, Pallet<T>, <T as frame_system::Config>::DbWeight>;

	/// A record as version 1 stored it.
	#[derive(Encode, Decode, MaxEncodedLen, Clone, PartialEq, Eq, Debug)]
	pub struct RecordV1<AccountId, Balance, BlockNumber, Max: Get<u32>> {
		pub on_time: Tally<Balance>,
		pub late: Tally<Balance>,
		pub defaulted: Tally<Balance>,
		pub cancelled: Tally<Balance>,
		pub forfeited: Tally<Balance>,
		pub good: Balance,
		pub bad: Balance,
		pub earned: Balance,
		pub counterparties: BoundedVec<Counterparty<AccountId, Balance>, Max>,
		pub updated_at: BlockNumber,
	}

	/// A version-1 record of this runtime.
	pub type OldRecord<T> = RecordV1<
		<T as frame_system::Config>::AccountId,
		<T as Config>::Balance,
		BlockNumberFor<T>,
		<T as Config>::MaxCounterparties,
	>;

	/// `old` as version 2 stores it.
	pub fn migrate_record<T: Config>(old: OldRecord<T>) -> Record<T> {
		let full = old.counterparties.len() >= T::MaxCounterparties::get() as usize;
		let least = old.counterparties.iter().map(|c| c.paid).min().unwrap_or_default();
		let forgotten = if full { least } else { Default::default() };
		Record {
			on_time: old.on_time,
			late: old.late,
			defaulted: old.defaulted,
			cancelled: old.cancelled,
			forfeited: old.forfeited,
			good: old.good,
			bad: old.bad,
			earned: old.earned,
			counterparties: old.counterparties,
			forgotten,
			updated_at: old.updated_at,
		}
	}

	/// Adds the remainder to every record. Use it through [`MigrateV1ToV2`].
	pub struct AddForgotten<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for AddForgotten<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut records = 0u64;
			Records::<T>::translate::<OldRecord<T>, _>(|_, old| {
				records = records.saturating_add(1);
				Some(migrate_record::<T>(old))
			});
			T::DbWeight::get().reads_writes(records, records)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			pre_check::<T>().map(|before| before.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before = Decode::decode(&mut &state[..])
				.map_err(|_| "reputation v2: cannot decode the pre-upgrade state")?;
			post_check::<T>(before)
		}
	}

	/// What the pre-upgrade check saw: every record as stored.
	pub type Before<T> = Vec<(<T as frame_system::Config>::AccountId, OldRecord<T>)>;

	/// Before the migration: every record decodes as version 1.
	pub fn pre_check<T: Config>() -> Result<Before<T>, TryRuntimeError> {
		let keys = Records::<T>::iter_keys().count();
		let mut records = Vec::with_capacity(keys);
		for key in Records::<T>::iter_keys() {
			let raw =
				frame_support::storage::unhashed::get_raw(&Records::<T>::hashed_key_for(&key))
					.ok_or("reputation v2: a record vanished while read")?;
			let old = OldRecord::<T>::decode(&mut &raw[..])
				.map_err(|_| "reputation v2: a stored record does not decode as version 1")?;
			records.push((key, old));
		}
		Ok(records)
	}

	/// After the migration: every record is its old self with the remainder added, no other
	/// record appeared, and the stored version is 2.
	pub fn post_check<T: Config>(before: Before<T>) -> Result<(), TryRuntimeError> {
		use frame_support::traits::GetStorageVersion;
		if Records::<T>::iter_keys().count() != before.len() {
			return Err("reputation v2: the number of records changed".into());
		}
		for (who, old) in before {
			let expected = migrate_record::<T>(old);
			if Records::<T>::get(&who) != Some(expected) {
				return Err("reputation v2: a record changed beyond its remainder".into());
			}
		}
		if Pallet::<T>::on_chain_storage_version() != 2 {
			return Err("reputation v2: the stored version is not 2 after the migration".into());
		}
		Ok(())
	}
}
