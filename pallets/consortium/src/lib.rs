//! # Consortium pallet
//!
//! Governance glue for a permissioned iotrust chain. The consortium's members sit on a council
//! (`pallet-collective`, kept in step by `pallet-membership`); this pallet holds what the council
//! decides about the chain itself:
//!
//! - **The validator set.** Validators are the members' gateways. The council adds and removes
//!   them; a change is handed to `pallet-session` through [`SessionManager`], so it takes effect
//!   at a session boundary (queued at the next boundary, active at the one after). A validator
//!   authors only once its session keys are set (`session.set_keys`). The set never shrinks
//!   below [`Config::MinValidators`].
//! - **Peering.** Only nodes whose libp2p peer ids the council authorized may connect to the
//!   members' nodes: each node's offchain worker hands the authorized set to its network layer
//!   (`sp_io::offchain::set_authorized_nodes`), and a node that is not in the set is given none.
//!   Nothing but a council motion changes the set: there are no calls by which an account claims
//!   a peer id or adds connections of its own.
//! - **Root.** The chain has no sudo key. A council motion that satisfies
//!   [`Config::RootOrigin`] may dispatch any call as `Root` (runtime upgrades, parameter
//!   changes), the way a sudo key would on a development chain.
//!
//! ## Calls
//!
//! - [`Pallet::add_validator`]: council adds a validator account.
//! - [`Pallet::remove_validator`]: council removes one.
//! - [`Pallet::dispatch_as_root`]: council dispatches a call with the `Root` origin.
//! - [`Pallet::add_node`]: council authorizes a node's peer id, owned by a member.
//! - [`Pallet::remove_node`]: council withdraws it.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use weights::WeightInfo;

use alloc::{boxed::Box, vec::Vec};
use frame_support::{
	dispatch::{GetDispatchInfo, PostDispatchInfo},
	pallet_prelude::*,
	traits::UnfilteredDispatchable,
};
use frame_system::pallet_prelude::*;
use sp_runtime::traits::Dispatchable;
use sp_staking::SessionIndex;

/// The log target of this pallet.
pub const LOG_TARGET: &str = "runtime::consortium";

/// The layout of this pallet's storage. Version 1: the authorized nodes moved here from
/// `pallet-node-authorization`.
pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(1);

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The overarching call type, for [`Pallet::dispatch_as_root`].
		type RuntimeCall: Parameter
			+ Dispatchable<RuntimeOrigin = Self::RuntimeOrigin, PostInfo = PostDispatchInfo>
			+ UnfilteredDispatchable<RuntimeOrigin = Self::RuntimeOrigin>
			+ GetDispatchInfo
			+ From<frame_system::Call<Self>>;

		/// Who may add and remove validators: the council, by motion.
		type ValidatorOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Who may dispatch a call as `Root`: the council, by motion.
		type RootOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Who may authorize and remove nodes: the council, by motion.
		type NodeOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The most nodes that may be authorized.
		#[pallet::constant]
		type MaxNodes: Get<u32>;

		/// The longest peer id, in bytes.
		#[pallet::constant]
		type MaxPeerIdLength: Get<u32>;

		/// The fewest validators the chain keeps; a removal that would go below is refused.
		#[pallet::constant]
		type MinValidators: Get<u32>;

		/// The most validators the chain may have.
		#[pallet::constant]
		type MaxValidators: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;
	}

	/// The validator accounts, in the order they were added. Handed to `pallet-session` at every
	/// new session; those without session keys are left out by `pallet-session`.
	#[pallet::storage]
	pub type Validators<T: Config> =
		StorageValue<_, BoundedVec<T::AccountId, T::MaxValidators>, ValueQuery>;

	/// Whether the council changed the validator set since the last session began. Only then is
	/// the set handed to `pallet-session`, which treats any handed set as a change (and GRANDPA
	/// would schedule an authority-set change for nothing).
	#[pallet::storage]
	pub type SetChanged<T: Config> = StorageValue<_, bool, ValueQuery>;

	/// The nodes the council authorized to peer, with the account that answers for each.
	#[pallet::storage]
	pub type Nodes<T: Config> = StorageValue<_, NodesOf<T>, ValueQuery>;

	#[pallet::genesis_config]
	#[derive(frame_support::DefaultNoBound)]
	pub struct GenesisConfig<T: Config> {
		/// The validators at genesis.
		pub validators: Vec<T::AccountId>,
		/// The authorized nodes at genesis: (peer id bytes, owner).
		pub nodes: Vec<(Vec<u8>, T::AccountId)>,
	}

	#[pallet::genesis_build]
	impl<T: Config> BuildGenesisConfig for GenesisConfig<T> {
		fn build(&self) {
			let mut seen = alloc::collections::BTreeSet::new();
			for v in &self.validators {
				assert!(seen.insert(v.clone()), "genesis validators must be unique");
			}
			// An empty list is a default config (tooling builds one); a chain's real genesis
			// names at least `MinValidators`.
			assert!(
				self.validators.is_empty()
					|| self.validators.len() as u32 >= T::MinValidators::get(),
				"genesis needs at least MinValidators validators"
			);
			let validators: BoundedVec<_, _> = self
				.validators
				.clone()
				.try_into()
				.expect("genesis validators must not exceed MaxValidators");
			Validators::<T>::put(validators);
			let mut nodes = NodesOf::<T>::new();
			for (peer, owner) in &self.nodes {
				let peer: PeerIdOf<T> =
					peer.clone().try_into().expect("genesis peer ids must fit MaxPeerIdLength");
				let fresh = nodes
					.try_insert(peer, owner.clone())
					.expect("genesis nodes must not exceed MaxNodes");
				assert!(fresh.is_none(), "genesis peer ids must be unique");
			}
			Nodes::<T>::put(nodes);
		}
	}

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A validator was added; it authors from the session after next, once its keys are set.
		ValidatorAdded { validator: T::AccountId },
		/// A validator was removed; it stops authoring from the session after next.
		ValidatorRemoved { validator: T::AccountId },
		/// The council dispatched a call as `Root`, with this result.
		DispatchedAsRoot { result: DispatchResult },
		/// The council authorized a node to peer.
		NodeAdded { peer_id: PeerIdOf<T>, owner: T::AccountId },
		/// The council withdrew a node's authorization.
		NodeRemoved { peer_id: PeerIdOf<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The account is already a validator.
		AlreadyValidator,
		/// The account is not a validator.
		NotValidator,
		/// The validator set is full (`MaxValidators`).
		TooManyValidators,
		/// Removing the validator would leave fewer than `MinValidators`.
		TooFewValidators,
		/// The peer id is already authorized.
		NodeAlreadyAuthorized,
		/// The peer id is not authorized.
		NodeNotAuthorized,
		/// The authorized set is full (`MaxNodes`).
		TooManyNodes,
		/// A peer id must not be empty.
		EmptyPeerId,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MinValidators::get() >= 1, "a chain needs at least one validator");
			assert!(
				T::MinValidators::get() <= T::MaxValidators::get(),
				"MinValidators must not exceed MaxValidators"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}

		/// Hand this node's network layer the nodes it may peer with: every other authorized
		/// node if it is authorized itself, none otherwise.
		fn offchain_worker(now: BlockNumberFor<T>) {
			let Ok(state) = sp_io::offchain::network_state() else {
				log::error!(target: LOG_TARGET, "no network state at block {now:?}");
				return;
			};
			// The host hands the peer id SCALE-encoded, as a byte vector.
			let Ok(local) = Vec::<u8>::decode(&mut &state.peer_id.0[..]) else {
				log::error!(target: LOG_TARGET, "cannot decode the local peer id at {now:?}");
				return;
			};
			sp_io::offchain::set_authorized_nodes(Self::peers_of(&local), true);
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Add `validator` to the validator set.
		///
		/// Origin: [`Config::ValidatorOrigin`] (a council motion). Fails with `AlreadyValidator`
		/// or `TooManyValidators`. The change reaches `pallet-session` at the next session
		/// boundary and the validator authors from the one after, provided it has set its session
		/// keys. Emits [`Event::ValidatorAdded`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::add_validator(T::MaxValidators::get()))]
		pub fn add_validator(origin: OriginFor<T>, validator: T::AccountId) -> DispatchResult {
			T::ValidatorOrigin::ensure_origin(origin)?;
			let mut validators = Validators::<T>::get();
			ensure!(!validators.contains(&validator), Error::<T>::AlreadyValidator);
			validators.try_push(validator.clone()).map_err(|_| Error::<T>::TooManyValidators)?;
			Validators::<T>::put(validators);
			SetChanged::<T>::put(true);
			Self::deposit_event(Event::ValidatorAdded { validator });
			Ok(())
		}

		/// Remove `validator` from the validator set.
		///
		/// Origin: [`Config::ValidatorOrigin`] (a council motion). Fails with `NotValidator`, or
		/// `TooFewValidators` when the set would drop below [`Config::MinValidators`]. Takes
		/// effect like [`Pallet::add_validator`]. Emits [`Event::ValidatorRemoved`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::remove_validator(T::MaxValidators::get()))]
		pub fn remove_validator(origin: OriginFor<T>, validator: T::AccountId) -> DispatchResult {
			T::ValidatorOrigin::ensure_origin(origin)?;
			let mut validators = Validators::<T>::get();
			let position =
				validators.iter().position(|v| v == &validator).ok_or(Error::<T>::NotValidator)?;
			ensure!(
				validators.len() as u32 > T::MinValidators::get(),
				Error::<T>::TooFewValidators
			);
			validators.remove(position);
			Validators::<T>::put(validators);
			SetChanged::<T>::put(true);
			Self::deposit_event(Event::ValidatorRemoved { validator });
			Ok(())
		}

		/// Dispatch `call` with the `Root` origin.
		///
		/// Origin: [`Config::RootOrigin`] (a council motion). The call's own result is reported
		/// in [`Event::DispatchedAsRoot`]; this call succeeds once the origin is accepted. The
		/// weight is this call's plus the inner call's.
		#[pallet::call_index(2)]
		#[pallet::weight({
			let info = call.get_dispatch_info();
			(T::WeightInfo::dispatch_as_root().saturating_add(info.call_weight), info.class)
		})]
		pub fn dispatch_as_root(
			origin: OriginFor<T>,
			call: Box<<T as Config>::RuntimeCall>,
		) -> DispatchResultWithPostInfo {
			T::RootOrigin::ensure_origin(origin)?;
			let result = call.dispatch_bypass_filter(frame_system::RawOrigin::Root.into());
			let actual = result
				.map(|post| post.actual_weight)
				.unwrap_or_else(|err| err.post_info.actual_weight)
				.map(|w| T::WeightInfo::dispatch_as_root().saturating_add(w));
			Self::deposit_event(Event::DispatchedAsRoot {
				result: result.map(|_| ()).map_err(|e| e.error),
			});
			Ok(actual.into())
		}

		/// Authorize the node with libp2p peer id `peer_id` (the bytes of its multihash, as
		/// `iotrust-node key inspect-node-key` prints base58-decoded), answered for by `owner`.
		/// Every authorized node peers with it from the next block on.
		///
		/// Origin: [`Config::NodeOrigin`] (a council motion). Fails with `EmptyPeerId`,
		/// `NodeAlreadyAuthorized`, `TooManyNodes`. Emits [`Event::NodeAdded`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::add_node())]
		pub fn add_node(
			origin: OriginFor<T>,
			peer_id: PeerIdOf<T>,
			owner: T::AccountId,
		) -> DispatchResult {
			T::NodeOrigin::ensure_origin(origin)?;
			ensure!(!peer_id.is_empty(), Error::<T>::EmptyPeerId);
			let mut nodes = Nodes::<T>::get();
			ensure!(!nodes.contains_key(&peer_id), Error::<T>::NodeAlreadyAuthorized);
			nodes
				.try_insert(peer_id.clone(), owner.clone())
				.map_err(|_| Error::<T>::TooManyNodes)?;
			Nodes::<T>::put(nodes);
			Self::deposit_event(Event::NodeAdded { peer_id, owner });
			Ok(())
		}

		/// Withdraw the authorization of node `peer_id`: the other nodes drop it from the next
		/// block on.
		///
		/// Origin: [`Config::NodeOrigin`] (a council motion). Fails with `NodeNotAuthorized`.
		/// Emits [`Event::NodeRemoved`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::remove_node())]
		pub fn remove_node(origin: OriginFor<T>, peer_id: PeerIdOf<T>) -> DispatchResult {
			T::NodeOrigin::ensure_origin(origin)?;
			let mut nodes = Nodes::<T>::get();
			nodes.remove(&peer_id).ok_or(Error::<T>::NodeNotAuthorized)?;
			Nodes::<T>::put(nodes);
			Self::deposit_event(Event::NodeRemoved { peer_id });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The current validator accounts.
	pub fn validators() -> Vec<T::AccountId> {
		Validators::<T>::get().into_inner()
	}

	/// The nodes a node with peer id `local` may connect to: every other authorized node if it
	/// is authorized, none if not.
	pub fn peers_of(local: &[u8]) -> Vec<sp_core::OpaquePeerId> {
		let nodes = Nodes::<T>::get();
		if !nodes.keys().any(|peer| peer.as_slice() == local) {
			return Vec::new();
		}
		nodes
			.keys()
			.filter(|peer| peer.as_slice() != local)
			.map(|peer| sp_core::OpaquePeerId(peer.to_vec()))
			.collect()
	}

	/// The set has no duplicates and respects the configured bounds; no authorized peer id is
	/// empty.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let validators = Validators::<T>::get();
		let unique: alloc::collections::BTreeSet<_> = validators.iter().collect();
		ensure!(unique.len() == validators.len(), "duplicate validator");
		ensure!(
			validators.is_empty() || validators.len() as u32 >= T::MinValidators::get(),
			"fewer than MinValidators"
		);
		ensure!(Nodes::<T>::get().keys().all(|p| !p.is_empty()), "an empty peer id is authorized");
		Ok(())
	}
}

/// The validator set, as `pallet-session` asks for it at each new session.
impl<T: Config> pallet_session::SessionManager<T::AccountId> for Pallet<T> {
	/// The validators if the council changed them since the last session, else `None` (keep the
	/// session's set). Never an empty set.
	fn new_session(new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
		if !SetChanged::<T>::take() {
			return None;
		}
		let validators = Self::validators();
		log::info!(target: LOG_TARGET, "session {new_index}: {} validators queued", validators.len());
		(!validators.is_empty()).then_some(validators)
	}

	/// The genesis validators, unless genesis names none.
	fn new_session_genesis(_new_index: SessionIndex) -> Option<Vec<T::AccountId>> {
		let validators = Self::validators();
		(!validators.is_empty()).then_some(validators)
	}

	fn end_session(_end_index: SessionIndex) {}

	fn start_session(_start_index: SessionIndex) {}
}
