//! What the groups pallet stores.

use crate::Config;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use iotrust_primitives::groups::{Epoch, GroupPublicKey, Proposal, Transcript};
use scale_info::TypeInfo;

/// A member gateway of a group, and the consortium member that runs it.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct Membership<AccountId> {
	/// The gateway's account: it takes part in key generation and signing, and confirms keys.
	pub gateway: AccountId,
	/// The consortium member it belongs to.
	pub member: AccountId,
}

/// Where a group's key of the current epoch stands.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub enum KeyStatus<T: Config> {
	/// Being made: the keys members have confirmed so far, each with the transcript of the key
	/// generation it came from.
	Pending(BoundedVec<(T::AccountId, GroupPublicKey, Transcript), T::MaxMembers>),
	/// Confirmed by every member: anchors are checked against it.
	Active(GroupPublicKey),
}

/// A gateway group.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct Group<T: Config> {
	/// Its member gateways, in the order the council gave them (a gateway's FROST identifier is
	/// its position, from 1).
	pub members: BoundedVec<Membership<T::AccountId>, T::MaxMembers>,
	/// How many members must sign together.
	pub threshold: u32,
	/// The current key epoch.
	pub epoch: Epoch,
	/// The current epoch's key.
	pub key: KeyStatus<T>,
}

/// A call members approve for their group's account to make, as the pallet stores it.
pub type ProposalOf<T> = Proposal<
	<T as frame_system::Config>::AccountId,
	BoundedVec<<T as frame_system::Config>::AccountId, <T as Config>::MaxMembers>,
>;
