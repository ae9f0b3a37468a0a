//! # Groups pallet
//!
//! Gateway groups: gateways of different consortium members that anchor together. A group holds
//! one Ed25519 key that its gateways made between them with a distributed key generation (FROST);
//! any `threshold` of them can sign with it, none alone and no one member's gateways alone. An
//! anchor the group signed is checked by the anchoring pallet as one Ed25519 signature
//! (`anchor_as_group`), the same cost for 3 gateways or 30.
//!
//! The council creates, changes and dissolves groups. Each change of members or threshold starts
//! a new key epoch: the members run a new key generation, and the new key becomes active only when
//! every member has confirmed the same key on chain, from the same transcript (the digest of
//! every member's round-1 commitments); until then the group anchors nothing.
//!
//! A group acts as a gateway through its account ([`Pallet::account_of`]), which no one holds a
//! key for: devices bind to it as to a gateway, with its consent, and only anchors the group
//! signed can anchor their readings. What the group's account does (consent to serve an owner,
//! release a device) a threshold of its members approve on chain ([`Pallet::approve`]), and the
//! runtime restricts it to the calls `CallFilter` lets through.
//!
//! ## Calls
//!
//! - [`Pallet::create_group`], [`Pallet::change_group`], [`Pallet::dissolve_group`]: the council
//!   manages groups.
//! - [`Pallet::confirm_key`]: a member gateway confirms the key its key generation produced.
//! - [`Pallet::approve`]: a member gateway approves a call the group's account should make; the
//!   approval that reaches the threshold makes it.
//! - [`Pallet::withdraw`]: a member gateway takes its approval back.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use weights::WeightInfo;

use alloc::{boxed::Box, collections::BTreeMap, vec::Vec};
use frame_support::{
	dispatch::{GetDispatchInfo, PostDispatchInfo},
	pallet_prelude::*,
	traits::{Contains, SortedMembers},
	PalletId,
};
use frame_system::pallet_prelude::*;
pub use iotrust_primitives::groups::{
	ActiveKey, Epoch, GatewayGroups, GroupId, GroupPublicKey, Proposal, Transcript,
};
use iotrust_primitives::{device::GatewayConsents, groups::GroupRefusal};
use sp_core::H256;
use sp_runtime::traits::{AccountIdConversion, Dispatchable};

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<Call> {
	/// A call a group may make, different for each `n`.
	fn allowed_call(n: u32) -> Call;
}

/// The layout of this pallet's storage.
///
/// 2: a pending key's confirmations carry the key generation's transcript; 1: each gateway's
/// groups are indexed ([`GroupsOf`]); 0 had them found by scanning every group.
pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::groups";

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The calls a group's account may make once its members approve them.
		type RuntimeCall: Parameter
			+ Dispatchable<RuntimeOrigin = Self::RuntimeOrigin, PostInfo = PostDispatchInfo>
			+ GetDispatchInfo;

		/// Which of those calls a group may make (e.g. consenting to serve an owner).
		type CallFilter: Contains<<Self as Config>::RuntimeCall>;

		/// Who creates, changes and dissolves groups (the council).
		type ManageOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The consortium's members (the council's membership): every gateway of a group belongs
		/// to one.
		type Consortium: SortedMembers<Self::AccountId>;

		/// The owners a gateway serves (the devices pallet): a dissolved group's account stops
		/// serving them all, which releases its consent deposits and refuses new bindings.
		type Consents: GatewayConsents<Self::AccountId>;

		/// The most owners a group may serve when it is dissolved (each consent is released in
		/// the dissolving call); a group that serves more must stop serving some first.
		#[pallet::constant]
		type MaxServedOnDissolve: Get<u32>;

		/// Groups' accounts are sub-accounts of this id.
		#[pallet::constant]
		type PalletId: Get<PalletId>;

		/// The most member gateways a group may have.
		#[pallet::constant]
		type MaxMembers: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;

		/// A call [`Config::CallFilter`] lets through, for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<<Self as Config>::RuntimeCall>;
	}

	/// The number the next group gets.
	#[pallet::storage]
	pub type NextGroupId<T: Config> = StorageValue<_, GroupId, ValueQuery>;

	/// Every group.
	#[pallet::storage]
	pub type Groups<T: Config> = StorageMap<_, Twox64Concat, GroupId, Group<T>>;

	/// The groups each gateway is a member of: (gateway, group). Kept with [`Groups`], so that a
	/// gateway's groups are read without scanning every group.
	#[pallet::storage]
	pub type GroupsOf<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, GroupId, ()>;

	/// Calls a group's members approve for its account to make, by the call's BLAKE2-256 hash.
	#[pallet::storage]
	pub type Proposals<T: Config> =
		StorageDoubleMap<_, Twox64Concat, GroupId, Identity, H256, ProposalOf<T>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A group was created; its members now make its first key.
		GroupCreated { group: GroupId, account: T::AccountId, threshold: u32, epoch: Epoch },
		/// A group's members or threshold changed; its members now make the new epoch's key.
		GroupChanged { group: GroupId, threshold: u32, epoch: Epoch },
		/// A group was dissolved.
		GroupDissolved { group: GroupId },
		/// A member gateway confirmed the key its key generation produced, and that generation's
		/// transcript.
		KeyConfirmed {
			group: GroupId,
			epoch: Epoch,
			gateway: T::AccountId,
			key: GroupPublicKey,
			transcript: Transcript,
		},
		/// Every member confirmed the same key: the group's anchors are checked against it.
		KeyActivated { group: GroupId, epoch: Epoch, key: GroupPublicKey },
		/// A member gateway approved a call for the group's account.
		Approved { group: GroupId, call_hash: H256, gateway: T::AccountId, approvals: u32 },
		/// A member gateway took its approval back (the proposer's takes the proposal away).
		Withdrawn { group: GroupId, call_hash: H256, gateway: T::AccountId },
		/// The group's account made an approved call.
		Acted { group: GroupId, call_hash: H256, result: DispatchResult },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No group has this number.
		UnknownGroup,
		/// A group needs at least two member gateways.
		TooFewMembers,
		/// A gateway appears twice among the members.
		DuplicateGateway,
		/// A member gateway belongs to an account that is not a consortium member.
		NotConsortiumMember,
		/// A group's gateways must belong to at least two different consortium members.
		SingleMember,
		/// The threshold must be at least 2 and at most the number of members.
		InvalidThreshold,
		/// One consortium member's gateways alone would reach the threshold.
		OneMemberReachesThreshold,
		/// The caller is not one of the group's member gateways.
		NotMember,
		/// The epoch is not the group's current one.
		WrongEpoch,
		/// The group's key of this epoch is already active.
		KeyAlreadyActive,
		/// The group's account may not make this call.
		CallNotAllowed,
		/// The caller already approves this call.
		AlreadyApproved,
		/// The caller already has another proposal open; it may withdraw it first.
		AlreadyProposing,
		/// No such call awaits approval, or the caller does not approve it.
		NotApproved,
		/// Group numbers ran out.
		Overflow,
		/// The group serves more owners than [`Config::MaxServedOnDissolve`]: its members
		/// approve `stopServing` for some of them first.
		ServesTooMany,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxMembers::get() >= 2, "a group has at least two members");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Create a group of `members` that signs `threshold` at a time. Its key epoch is 1, and
		/// its key is pending until every member confirms it ([`Pallet::confirm_key`]).
		///
		/// Origin: [`Config::ManageOrigin`]. Fails with `TooFewMembers`, `DuplicateGateway`,
		/// `NotConsortiumMember`, `SingleMember`, `InvalidThreshold`,
		/// `OneMemberReachesThreshold`, `Overflow`. Emits [`Event::GroupCreated`].
		#[pallet::call_index(0)]
		#[pallet::weight(
			T::WeightInfo::create_group(members.len() as u32)
				.saturating_add(Pallet::<T>::index_weight(members.len() as u32))
		)]
		pub fn create_group(
			origin: OriginFor<T>,
			members: BoundedVec<Membership<T::AccountId>, T::MaxMembers>,
			threshold: u32,
		) -> DispatchResult {
			T::ManageOrigin::ensure_origin(origin)?;
			Self::check_members(&members, threshold)?;
			let group = NextGroupId::<T>::get();
			let next = group.checked_add(1).ok_or(Error::<T>::Overflow)?;
			let epoch = 1;
			Self::add_to_index(group, &members);
			Groups::<T>::insert(
				group,
				Group { members, threshold, epoch, key: KeyStatus::Pending(Default::default()) },
			);
			NextGroupId::<T>::put(next);
			let account = Self::account_of(group);
			Self::deposit_event(Event::GroupCreated { group, account, threshold, epoch });
			Ok(())
		}

		/// Give `group` new `members` and `threshold`: a new key epoch starts, whose key is
		/// pending until every member confirms it; until then the group anchors nothing. Calls
		/// awaiting approval are dropped.
		///
		/// Origin: [`Config::ManageOrigin`]. Fails with `UnknownGroup` and as
		/// [`Pallet::create_group`]. Emits [`Event::GroupChanged`].
		#[pallet::call_index(1)]
		#[pallet::weight(
			T::WeightInfo::change_group(members.len() as u32)
				.saturating_add(Pallet::<T>::index_weight(T::MaxMembers::get()))
				.saturating_add(Pallet::<T>::index_weight(members.len() as u32))
		)]
		pub fn change_group(
			origin: OriginFor<T>,
			group: GroupId,
			members: BoundedVec<Membership<T::AccountId>, T::MaxMembers>,
			threshold: u32,
		) -> DispatchResult {
			T::ManageOrigin::ensure_origin(origin)?;
			let mut record = Groups::<T>::get(group).ok_or(Error::<T>::UnknownGroup)?;
			Self::check_members(&members, threshold)?;
			let epoch = record.epoch.checked_add(1).ok_or(Error::<T>::Overflow)?;
			Self::remove_from_index(group, &record.members);
			Self::add_to_index(group, &members);
			record.members = members;
			record.threshold = threshold;
			record.epoch = epoch;
			record.key = KeyStatus::Pending(Default::default());
			Groups::<T>::insert(group, record);
			let _ = Proposals::<T>::clear_prefix(group, T::MaxMembers::get(), None);
			Self::deposit_event(Event::GroupChanged { group, threshold, epoch });
			Ok(())
		}

		/// Dissolve `group`: it anchors nothing more, calls awaiting approval are dropped, and its
		/// account stops serving every owner it served: each consent's deposit is released to the
		/// account (the council may move what the account holds with a root call), and no owner
		/// may bind a device to it any more. Its anchors stay; devices bound to its account stay
		/// bound until their owners unbind them.
		///
		/// Origin: [`Config::ManageOrigin`]. Fails with `UnknownGroup`, `ServesTooMany`. Emits
		/// [`Event::GroupDissolved`] (and the devices pallet's `OwnerNoLongerServed` for each
		/// owner).
		#[pallet::call_index(2)]
		#[pallet::weight(
			T::WeightInfo::dissolve_group()
				.saturating_add(Pallet::<T>::index_weight(T::MaxMembers::get()))
				.saturating_add(T::Consents::stop_serving_weight(T::MaxServedOnDissolve::get()))
		)]
		pub fn dissolve_group(origin: OriginFor<T>, group: GroupId) -> DispatchResultWithPostInfo {
			T::ManageOrigin::ensure_origin(origin)?;
			let record = Groups::<T>::get(group).ok_or(Error::<T>::UnknownGroup)?;
			let released = T::Consents::stop_serving_all(
				&Self::account_of(group),
				T::MaxServedOnDissolve::get(),
			)
			.map_err(|_| Error::<T>::ServesTooMany)?;
			Self::remove_from_index(group, &record.members);
			Groups::<T>::remove(group);
			let _ = Proposals::<T>::clear_prefix(group, T::MaxMembers::get(), None);
			Self::deposit_event(Event::GroupDissolved { group });
			Ok(Some(
				T::WeightInfo::dissolve_group()
					.saturating_add(Pallet::<T>::index_weight(record.members.len() as u32))
					.saturating_add(T::Consents::stop_serving_weight(released)),
			)
			.into())
		}

		/// Confirm `key` as the group's key of `epoch`, as the caller's key generation produced
		/// it from `transcript` (the digest of every member's round-1 package; a later
		/// confirmation replaces the caller's earlier one). When every member has confirmed the
		/// same key from the same transcript, it becomes active: a member that sent different
		/// commitments to different members, leaving them shares of different polynomials under
		/// one key, leaves the key pending, for all to see.
		///
		/// Origin: signed, a member gateway. Fails with `UnknownGroup`, `NotMember`,
		/// `WrongEpoch`, `KeyAlreadyActive`. Emits [`Event::KeyConfirmed`], and
		/// [`Event::KeyActivated`] with the last confirmation.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::confirm_key(T::MaxMembers::get()))]
		pub fn confirm_key(
			origin: OriginFor<T>,
			group: GroupId,
			epoch: Epoch,
			key: GroupPublicKey,
			transcript: Transcript,
		) -> DispatchResult {
			let gateway = ensure_signed(origin)?;
			let mut record = Groups::<T>::get(group).ok_or(Error::<T>::UnknownGroup)?;
			ensure!(record.members.iter().any(|m| m.gateway == gateway), Error::<T>::NotMember);
			ensure!(epoch == record.epoch, Error::<T>::WrongEpoch);
			let KeyStatus::Pending(mut confirmed) = record.key else {
				return Err(Error::<T>::KeyAlreadyActive.into());
			};
			confirmed.retain(|(who, ..)| *who != gateway);
			confirmed
				.try_push((gateway.clone(), key, transcript))
				.map_err(|_| Error::<T>::NotMember)?;
			let unanimous = confirmed.len() == record.members.len()
				&& confirmed.iter().all(|(_, k, t)| (*k, *t) == (key, transcript));
			record.key =
				if unanimous { KeyStatus::Active(key) } else { KeyStatus::Pending(confirmed) };
			Groups::<T>::insert(group, record);
			Self::deposit_event(Event::KeyConfirmed { group, epoch, gateway, key, transcript });
			if unanimous {
				Self::deposit_event(Event::KeyActivated { group, epoch, key });
			}
			Ok(())
		}

		/// Approve `call` for `group`'s account to make. The first approval opens a proposal (a
		/// member may have one open at a time); the approval that reaches the group's threshold
		/// makes the call, with the group's account as its signed origin, and closes the
		/// proposal whatever the call's outcome.
		///
		/// Origin: signed, a member gateway whose member is still in the consortium. Fails with
		/// `UnknownGroup`, `NotMember`, `NotConsortiumMember`, `CallNotAllowed`,
		/// `AlreadyApproved`, `AlreadyProposing`. Emits [`Event::Approved`],
		/// and [`Event::Acted`] when the call is made.
		#[pallet::call_index(4)]
		#[pallet::weight({
			let info = call.get_dispatch_info();
			T::WeightInfo::approve(T::MaxMembers::get())
				.saturating_add(info.call_weight)
				.saturating_add(info.extension_weight)
		})]
		pub fn approve(
			origin: OriginFor<T>,
			group: GroupId,
			call: Box<<T as Config>::RuntimeCall>,
		) -> DispatchResultWithPostInfo {
			let gateway = ensure_signed(origin)?;
			let record = Groups::<T>::get(group).ok_or(Error::<T>::UnknownGroup)?;
			let membership = record
				.members
				.iter()
				.find(|m| m.gateway == gateway)
				.ok_or(Error::<T>::NotMember)?;
			// A gateway whose member left the consortium approves nothing for the group.
			ensure!(T::Consortium::contains(&membership.member), Error::<T>::NotConsortiumMember);
			ensure!(T::CallFilter::contains(&call), Error::<T>::CallNotAllowed);
			let call_hash = H256(sp_io::hashing::blake2_256(&call.encode()));
			let mut proposal = match Proposals::<T>::get(group, call_hash) {
				Some(p) => {
					ensure!(!p.approvals.contains(&gateway), Error::<T>::AlreadyApproved);
					p
				},
				None => {
					ensure!(
						!Proposals::<T>::iter_prefix_values(group).any(|p| p.proposer == gateway),
						Error::<T>::AlreadyProposing
					);
					Proposal { proposer: gateway.clone(), approvals: Default::default() }
				},
			};
			proposal.approvals.try_push(gateway.clone()).map_err(|_| Error::<T>::NotMember)?;
			let approvals = proposal.approvals.len() as u32;
			Self::deposit_event(Event::Approved { group, call_hash, gateway, approvals });
			// Approvals given before their member left the consortium no longer count.
			if Self::counted(&record.members, &proposal.approvals) < record.threshold {
				Proposals::<T>::insert(group, call_hash, proposal);
				return Ok(Some(T::WeightInfo::approve(T::MaxMembers::get())).into());
			}
			Proposals::<T>::remove(group, call_hash);
			let origin = frame_system::RawOrigin::Signed(Self::account_of(group)).into();
			let charged = call.get_dispatch_info().call_weight;
			let outcome = call.dispatch(origin);
			let used = match &outcome {
				Ok(post) => post.actual_weight,
				Err(e) => e.post_info.actual_weight,
			};
			let call_weight = used.unwrap_or(charged);
			let result = outcome.map(|_| ()).map_err(|e| e.error);
			Self::deposit_event(Event::Acted { group, call_hash, result });
			Ok(Some(T::WeightInfo::approve(T::MaxMembers::get()).saturating_add(call_weight))
				.into())
		}

		/// Take back the caller's approval of the call with `call_hash`. The proposer's takes the
		/// whole proposal away (and frees it to propose another).
		///
		/// Origin: signed, a member gateway that approves the call. Fails with `NotApproved`.
		/// Emits [`Event::Withdrawn`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::withdraw(T::MaxMembers::get()))]
		pub fn withdraw(origin: OriginFor<T>, group: GroupId, call_hash: H256) -> DispatchResult {
			let gateway = ensure_signed(origin)?;
			let mut proposal =
				Proposals::<T>::get(group, call_hash).ok_or(Error::<T>::NotApproved)?;
			ensure!(proposal.approvals.contains(&gateway), Error::<T>::NotApproved);
			if proposal.proposer == gateway {
				Proposals::<T>::remove(group, call_hash);
			} else {
				proposal.approvals.retain(|who| *who != gateway);
				Proposals::<T>::insert(group, call_hash, proposal);
			}
			Self::deposit_event(Event::Withdrawn { group, call_hash, gateway });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The account devices bind to in order to be anchored by `group`: a sub-account of
	/// [`Config::PalletId`], which no one holds a key for.
	pub fn account_of(group: GroupId) -> T::AccountId {
		T::PalletId::get().into_sub_account_truncating(group)
	}

	/// At least two distinct gateways of at least two consortium members, and a threshold of at
	/// least two that no one member's gateways reach alone.
	fn check_members(members: &[Membership<T::AccountId>], threshold: u32) -> Result<(), Error<T>> {
		for m in members {
			ensure!(T::Consortium::contains(&m.member), Error::<T>::NotConsortiumMember);
		}
		Self::check_shape(members, threshold)
	}

	/// What a group's members and threshold must be whoever is in the consortium now: at least
	/// two members' gateways, none twice, a threshold of 2 to n that no one member reaches alone.
	/// (A member who leaves the consortium leaves its gateways in its groups until the council
	/// changes them; until then the group anchors nothing, see [`Pallet::departed`].)
	fn check_shape(members: &[Membership<T::AccountId>], threshold: u32) -> Result<(), Error<T>> {
		ensure!(members.len() >= 2, Error::<T>::TooFewMembers);
		let mut per_member: BTreeMap<&T::AccountId, u32> = BTreeMap::new();
		let mut gateways = alloc::collections::BTreeSet::new();
		for m in members {
			ensure!(gateways.insert(&m.gateway), Error::<T>::DuplicateGateway);
			let count = per_member.entry(&m.member).or_default();
			*count = count.saturating_add(1);
		}
		ensure!(per_member.len() >= 2, Error::<T>::SingleMember);
		ensure!(
			threshold >= 2 && threshold as usize <= members.len(),
			Error::<T>::InvalidThreshold
		);
		let most = per_member.values().copied().max().unwrap_or(0);
		ensure!(most < threshold, Error::<T>::OneMemberReachesThreshold);
		Ok(())
	}

	/// Group `group` as clients see it (`groupsApi.group`): its members, each with the key it
	/// confirmed while the epoch's key is pending, its threshold, epoch, key and account.
	pub fn group_info(
		group: GroupId,
	) -> Option<pallet_groups_runtime_api::GroupInfo<T::AccountId>> {
		let record = Groups::<T>::get(group)?;
		let (key, confirmed) = match record.key {
			KeyStatus::Active(key) => (Some(key), Default::default()),
			KeyStatus::Pending(confirmed) => (None, confirmed.into_inner()),
		};
		let members = record
			.members
			.into_iter()
			.map(|m| pallet_groups_runtime_api::MemberInfo {
				confirmed: confirmed.iter().find(|(who, ..)| *who == m.gateway).map(|(_, k, _)| *k),
				transcript: confirmed
					.iter()
					.find(|(who, ..)| *who == m.gateway)
					.map(|(_, _, t)| *t),
				gateway: m.gateway,
				member: m.member,
			})
			.collect();
		Some(pallet_groups_runtime_api::GroupInfo {
			members,
			threshold: record.threshold,
			epoch: record.epoch,
			key,
			account: Self::account_of(group),
		})
	}

	/// The member gateways of `members` whose consortium member has left: while there is one,
	/// the group anchors nothing, until the council changes its members. One read of the
	/// consortium's members.
	pub fn departed(
		members: &[Membership<T::AccountId>],
	) -> impl Iterator<Item = &Membership<T::AccountId>> {
		let consortium = T::Consortium::sorted_members();
		members.iter().filter(move |m| consortium.binary_search(&m.member).is_err())
	}

	/// How many of `approvals` count toward the threshold: those of gateways whose member is
	/// still in the consortium.
	fn counted(members: &[Membership<T::AccountId>], approvals: &[T::AccountId]) -> u32 {
		let departed: Vec<&T::AccountId> = Self::departed(members).map(|m| &m.gateway).collect();
		approvals.iter().filter(|who| !departed.contains(who)).count() as u32
	}

	/// The groups `gateway` is a member of, in numeric order.
	pub fn groups_of(gateway: &T::AccountId) -> Vec<GroupId> {
		let mut ids: Vec<GroupId> = GroupsOf::<T>::iter_key_prefix(gateway).collect();
		ids.sort_unstable();
		ids
	}

	/// [`GroupsOf`] lists exactly the groups' member gateways: each under every group it is a
	/// member of, and nothing else.
	pub fn check_index() -> Result<(), sp_runtime::TryRuntimeError> {
		let mut memberships: u64 = 0;
		for (id, group) in Groups::<T>::iter() {
			for m in group.members.iter() {
				ensure!(
					GroupsOf::<T>::contains_key(&m.gateway, id),
					"a member gateway's group is not in its index"
				);
				memberships = memberships.saturating_add(1);
			}
		}
		// Each group lists a gateway once, so as many index entries as memberships means none
		// is left over.
		ensure!(
			GroupsOf::<T>::iter_keys().count() as u64 == memberships,
			"the gateways' index lists a group a gateway is not a member of"
		);
		Ok(())
	}

	/// List `group` under each of `members`' gateways in [`GroupsOf`].
	fn add_to_index(group: GroupId, members: &[Membership<T::AccountId>]) {
		for m in members {
			GroupsOf::<T>::insert(&m.gateway, group, ());
		}
	}

	/// Take `group` from under each of `members`' gateways in [`GroupsOf`].
	fn remove_from_index(group: GroupId, members: &[Membership<T::AccountId>]) {
		for m in members {
			GroupsOf::<T>::remove(&m.gateway, group);
		}
	}

	/// What keeping [`GroupsOf`] costs for `n` members: one write each. Added to the benchmarked
	/// weights of the calls that change a group's members until they are benchmarked again with
	/// the index in place.
	fn index_weight(n: u32) -> Weight {
		T::DbWeight::get().writes(u64::from(n))
	}

	/// The pallet's invariants: every group valid as the council made it, its epoch at least 1,
	/// its pending confirmations by its members, fewer than all of them or not unanimous; every
	/// proposal of an existing group, approved by members, its proposer first, open only one per
	/// proposer.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let next = NextGroupId::<T>::get();
		for (id, group) in Groups::<T>::iter() {
			ensure!(id < next, "a group's number is not below NextGroupId");
			ensure!(group.epoch >= 1, "a group's epoch is 0");
			// Not whether its members are still the consortium's: the council may remove one.
			Self::check_shape(&group.members, group.threshold)
				.map_err(|_| "a group's members or threshold are invalid")?;
			if let KeyStatus::Pending(confirmed) = &group.key {
				let by_members = confirmed
					.iter()
					.all(|(who, ..)| group.members.iter().any(|m| m.gateway == *who));
				ensure!(by_members, "a key confirmed by a non-member");
				let unanimous = confirmed.len() == group.members.len()
					&& confirmed.windows(2).all(|w| (w[0].1, w[0].2) == (w[1].1, w[1].2));
				ensure!(!unanimous, "a unanimously confirmed key is still pending");
			}
		}
		Self::check_index()?;
		let mut proposers = alloc::collections::BTreeSet::new();
		for (id, _, proposal) in Proposals::<T>::iter() {
			let group = Groups::<T>::get(id).ok_or("a proposal of no group")?;
			ensure!(
				proposal
					.approvals
					.iter()
					.all(|who| group.members.iter().any(|m| m.gateway == *who)),
				"a proposal approved by a non-member"
			);
			ensure!(
				proposal.approvals.first() == Some(&proposal.proposer),
				"a proposal's first approval is not its proposer's"
			);
			ensure!(
				Self::counted(&group.members, &proposal.approvals) < group.threshold,
				"a proposal at the threshold was not carried out"
			);
			ensure!(proposers.insert((id, proposal.proposer)), "a member proposes twice");
		}
		Ok(())
	}
}

impl<T: Config> GatewayGroups<T::AccountId> for Pallet<T> {
	fn active_key(group: GroupId) -> Option<ActiveKey> {
		let record = Groups::<T>::get(group)?;
		match record.key {
			KeyStatus::Active(key) => Some(ActiveKey { epoch: record.epoch, key }),
			KeyStatus::Pending(_) => None,
		}
	}

	fn account_of(group: GroupId) -> Option<T::AccountId> {
		Groups::<T>::contains_key(group).then(|| Self::account_of(group))
	}

	fn is_member(group: GroupId, who: &T::AccountId) -> bool {
		Groups::<T>::get(group).is_some_and(|g| g.members.iter().any(|m| m.gateway == *who))
	}

	/// One read of the group answers all three questions.
	fn anchoring_key(
		group: GroupId,
		submitter: &T::AccountId,
	) -> Result<(ActiveKey, T::AccountId), GroupRefusal> {
		let record = Groups::<T>::get(group).ok_or(GroupRefusal::NotMember)?;
		if !record.members.iter().any(|m| m.gateway == *submitter) {
			return Err(GroupRefusal::NotMember);
		}
		if Self::departed(&record.members).next().is_some() {
			return Err(GroupRefusal::MemberLeft);
		}
		match record.key {
			KeyStatus::Active(key) => {
				Ok((ActiveKey { epoch: record.epoch, key }, Self::account_of(group)))
			},
			KeyStatus::Pending(_) => Err(GroupRefusal::KeyNotActive),
		}
	}
}
