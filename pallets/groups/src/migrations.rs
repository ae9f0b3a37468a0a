//! Storage migrations of the groups pallet.

/// Version 0 → 1: index each gateway's groups ([`crate::GroupsOf`]).
///
/// Version 0 found a gateway's groups (the `groups_of` runtime API the gateways call) by decoding
/// every group. Version 1 keeps them in an index beside the groups; this migration builds the
/// index from the groups there are. Nothing else changes: the groups and their proposals read the
/// same afterwards, which the post-upgrade check verifies.
///
/// Its work is one read per group and one write per member gateway. The council makes groups one
/// motion at a time, so a chain holds tens of them, not thousands: one block's migration.
pub mod v1 {
	use crate::{Config, Group, GroupId, Groups, GroupsOf, Pallet, LOG_TARGET};
	use alloc::vec::Vec;
	#[cfg(feature = "try-runtime")]
	use codec::{Decode, Encode};
	use frame_support::{
		migrations::VersionedMigration,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use sp_runtime::TryRuntimeError;

	/// The migration, run only when the pallet's stored version is 0; it then stores 1.
	pub type MigrateV0ToV1<T> = VersionedMigration<
		0,
		1,
		IndexGateways<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;

	/// Builds the gateways' index. Use it through [`MigrateV0ToV1`], which checks the version.
	pub struct IndexGateways<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for IndexGateways<T> {
		fn on_runtime_upgrade() -> Weight {
			let (mut groups, mut entries) = (0u64, 0u64);
			for (id, group) in Groups::<T>::iter() {
				groups = groups.saturating_add(1);
				entries = entries.saturating_add(group.members.len() as u64);
				Pallet::<T>::add_to_index(id, &group.members);
			}
			log::info!(
				target: LOG_TARGET,
				"indexed the member gateways of {groups} groups ({entries} entries)"
			);
			T::DbWeight::get().reads_writes(groups, entries)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			pre_check::<T>().map(|before| before.encode())
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before = Decode::decode(&mut &state[..])
				.map_err(|_| "groups v1: cannot decode the pre-upgrade state")?;
			post_check::<T>(before)
		}
	}

	/// What the pre-upgrade check saw: every group as stored.
	pub type Before<T> = Vec<(GroupId, Group<T>)>;

	/// Before the migration: the index is empty, and every group decodes.
	pub fn pre_check<T: Config>() -> Result<Before<T>, TryRuntimeError> {
		if GroupsOf::<T>::iter_keys().next().is_some() {
			return Err("groups v1: the gateways' index is not empty before the migration".into());
		}
		let keys = Groups::<T>::iter_keys().count();
		let groups: Before<T> = Groups::<T>::iter().collect();
		if groups.len() != keys {
			return Err("groups v1: a stored group does not decode".into());
		}
		Ok(groups)
	}

	/// After the migration: the groups are exactly as before, each member gateway lists its
	/// groups and nothing else is listed (`Pallet::check_index`), and the stored version is 1.
	pub fn post_check<T: Config>(before: Before<T>) -> Result<(), TryRuntimeError> {
		use frame_support::traits::GetStorageVersion;
		let after: Before<T> = Groups::<T>::iter().collect();
		if after.len() != before.len() || before.iter().any(|g| !after.contains(g)) {
			return Err("groups v1: the groups changed in the migration".into());
		}
		Pallet::<T>::check_index()?;
		if Pallet::<T>::on_chain_storage_version() != 1 {
			return Err("groups v1: the stored version is not 1 after the migration".into());
		}
		Ok(())
	}
}

/// Version 1 → 2: a pending key's confirmations carry the key generation's transcript
/// ([`crate::KeyStatus::Pending`]).
///
/// Version 1 took a key as active once every member confirmed its 32 bytes, so a member that
/// sent different round-1 commitments to different members (with the same constant term) could
/// leave an active key whose shares did not fit together. A confirmation made under version 1
/// has no transcript to compare; this migration drops the confirmations of pending keys, and the
/// members' gateways confirm again with theirs (a gateway confirms whenever the chain does not
/// show its key and transcript). Active keys, members, thresholds and epochs do not change,
/// which the post-upgrade check verifies.
///
/// One read and at most one write per group: tens of groups, one block.
pub mod v2 {
	use crate::{Config, Group, GroupId, Groups, KeyStatus, Membership, Pallet};
	use alloc::vec::Vec;
	use codec::{Decode, Encode};
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::*,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use iotrust_primitives::groups::{Epoch, GroupPublicKey};
	#[cfg(feature = "try-runtime")]
	use sp_runtime::TryRuntimeError;

	/// The migration, run only when the pallet's stored version is 1; it then stores 2.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		DropUntranscribed<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;

	/// A key's status as version 1 stored it.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub enum KeyStatusV1<AccountId, Max: Get<u32>> {
		Pending(BoundedVec<(AccountId, GroupPublicKey), Max>),
		Active(GroupPublicKey),
	}

	/// A group as version 1 stored it.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct GroupV1<AccountId, Max: Get<u32>> {
		pub members: BoundedVec<Membership<AccountId>, Max>,
		pub threshold: u32,
		pub epoch: Epoch,
		pub key: KeyStatusV1<AccountId, Max>,
	}

	/// A version-1 group of this runtime.
	pub type OldGroup<T> =
		GroupV1<<T as frame_system::Config>::AccountId, <T as Config>::MaxMembers>;

	/// `old` as version 2 stores it.
	pub fn migrate_group<T: Config>(old: OldGroup<T>) -> Group<T> {
		let key = match old.key {
			KeyStatusV1::Active(key) => KeyStatus::Active(key),
			KeyStatusV1::Pending(_) => KeyStatus::Pending(Default::default()),
		};
		Group { members: old.members, threshold: old.threshold, epoch: old.epoch, key }
	}

	/// Rewrites every group. Use it through [`MigrateV1ToV2`].
	pub struct DropUntranscribed<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for DropUntranscribed<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut groups = 0u64;
			Groups::<T>::translate::<OldGroup<T>, _>(|_, old| {
				groups = groups.saturating_add(1);
				Some(migrate_group::<T>(old))
			});
			T::DbWeight::get().reads_writes(groups, groups)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			pre_check::<T>().map(|before| before.encode()).map_err(Into::into)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before = Decode::decode(&mut &state[..])
				.map_err(|_| "groups v2: cannot decode the pre-upgrade state")?;
			post_check::<T>(before).map_err(Into::into)
		}
	}

	/// What the pre-upgrade check saw: every group as stored.
	pub type Before<T> = Vec<(GroupId, OldGroup<T>)>;

	/// Before the migration: every group decodes as version 1.
	pub fn pre_check<T: Config>() -> Result<Before<T>, &'static str> {
		let mut groups = Vec::new();
		for id in Groups::<T>::iter_keys() {
			let raw = frame_support::storage::unhashed::get_raw(&Groups::<T>::hashed_key_for(id))
				.ok_or("groups v2: a group vanished while read")?;
			let old = OldGroup::<T>::decode(&mut &raw[..])
				.map_err(|_| "groups v2: a stored group does not decode as version 1")?;
			groups.push((id, old));
		}
		Ok(groups)
	}

	/// After the migration: every group is its old self, its pending confirmations dropped, and
	/// the stored version is 2.
	pub fn post_check<T: Config>(before: Before<T>) -> Result<(), &'static str> {
		use frame_support::traits::GetStorageVersion;
		if Groups::<T>::iter_keys().count() != before.len() {
			return Err("groups v2: the number of groups changed");
		}
		for (id, old) in before {
			if Groups::<T>::get(id) != Some(migrate_group::<T>(old)) {
				return Err("groups v2: a group changed beyond its pending confirmations");
			}
		}
		if Pallet::<T>::on_chain_storage_version() != 2 {
			return Err("groups v2: the stored version is not 2 after the migration");
		}
		Ok(())
	}
}
