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
