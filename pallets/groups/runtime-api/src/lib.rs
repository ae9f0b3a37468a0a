//! # Groups runtime API
//!
//! What clients ask the chain about gateway groups (polkadot.js: `api.call.groupsApi.*`):
//!
//! - `group(id)`: a group's members, threshold, key epoch, key and account, as [`GroupInfo`];
//! - `groups_of(gateway)`: the groups a gateway is a member of;
//! - `proposal(group, call_hash)`: the group's open proposal of the call with that BLAKE2-256
//!   hash, if any: who proposed it and which members approve it (since version 2).
//!
//! Version 3: each member's pending confirmation shows the key generation's transcript.
//!
//! Which group endorsed an anchor: `anchoringApi.endorsement(anchor)`, and `checkReading`
//! answers `AnchoredByGroup { group, epoch }`.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
pub use iotrust_primitives::groups::{Epoch, GroupId, GroupPublicKey, Proposal, Transcript};
use scale_info::TypeInfo;

/// A member gateway and the consortium member that runs it.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct MemberInfo<AccountId> {
	/// The gateway's account; its FROST identifier is its position among the members, from 1.
	pub gateway: AccountId,
	/// The consortium member it belongs to.
	pub member: AccountId,
	/// The key it confirmed for the current epoch, if it did and the key is not active yet.
	pub confirmed: Option<GroupPublicKey>,
	/// The transcript of the key generation it confirmed the key from (since version 3).
	pub transcript: Option<Transcript>,
}

/// A gateway group.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct GroupInfo<AccountId> {
	/// Its member gateways, in order.
	pub members: Vec<MemberInfo<AccountId>>,
	/// How many of them sign together.
	pub threshold: u32,
	/// The current key epoch.
	pub epoch: Epoch,
	/// The current epoch's key, once every member confirmed it.
	pub key: Option<GroupPublicKey>,
	/// The account its devices bind to.
	pub account: AccountId,
}

sp_api::decl_runtime_apis! {
	/// Gateway groups.
	#[api_version(3)]
	pub trait GroupsApi<AccountId>
	where
		AccountId: Codec,
	{
		/// Group `group`.
		fn group(group: GroupId) -> Option<GroupInfo<AccountId>>;

		/// The groups `gateway` is a member of.
		fn groups_of(gateway: AccountId) -> Vec<GroupId>;

		/// Group `group`'s open proposal of the call whose BLAKE2-256 hash is `call_hash`, if
		/// one is open (since version 2).
		fn proposal(group: GroupId, call_hash: [u8; 32]) -> Option<Proposal<AccountId>>;
	}
}
