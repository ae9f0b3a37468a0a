//! The consortium's governance: a council of its members decides, by motion, who is a member,
//! which gateways validate, which nodes may peer, and anything that needs `Root`.

use super::RuntimeBlockWeights;
use crate::{
	AccountId, BlockNumber, Council, Runtime, RuntimeCall, RuntimeEvent, RuntimeOrigin, DAYS,
};
use frame_support::{
	parameter_types,
	traits::{ConstU32, EitherOfDiverse},
	weights::Weight,
};
use frame_system::EnsureRoot;
use sp_runtime::Perbill;

/// The council: the consortium's members, one seat each.
pub type CouncilCollective = pallet_collective::Instance1;

/// A council motion carried by at least two thirds of the members. With one member, a motion
/// proposed with threshold 1 executes at once. To change the threshold, change the two numbers
/// here (and the runtime's `spec_version`).
pub type CouncilMajority =
	pallet_collective::EnsureProportionAtLeast<AccountId, CouncilCollective, 2, 3>;

/// `Root` (reachable only through [`pallet_consortium::Pallet::dispatch_as_root`], itself a
/// council motion) or a council motion.
pub type RootOrCouncil = EitherOfDiverse<EnsureRoot<AccountId>, CouncilMajority>;

/// The most members the consortium (and so its council) may have.
pub const MAX_MEMBERS: u32 = 100;

parameter_types! {
	/// How long a motion stays open for votes: three days.
	pub const MotionDuration: BlockNumber = 3 * DAYS;
	pub MaxProposalWeight: Weight = Perbill::from_percent(50) * RuntimeBlockWeights::get().max_block;
}

impl pallet_collective::Config<CouncilCollective> for Runtime {
	type RuntimeOrigin = RuntimeOrigin;
	type Proposal = RuntimeCall;
	type RuntimeEvent = RuntimeEvent;
	type MotionDuration = MotionDuration;
	type MaxProposals = ConstU32<100>;
	type MaxMembers = ConstU32<MAX_MEMBERS>;
	type DefaultVote = pallet_collective::PrimeDefaultVote;
	type WeightInfo = crate::weights::pallet_collective::WeightInfo<Runtime>;
	/// Seats follow `CouncilMembership`; setting them directly needs `Root`.
	type SetMembersOrigin = EnsureRoot<AccountId>;
	type MaxProposalWeight = MaxProposalWeight;
	type DisapproveOrigin = EnsureRoot<AccountId>;
	type KillOrigin = EnsureRoot<AccountId>;
	/// Proposing needs no deposit: only members may propose.
	type Consideration = ();
}

impl pallet_membership::Config<pallet_membership::Instance1> for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type AddOrigin = RootOrCouncil;
	type RemoveOrigin = RootOrCouncil;
	type SwapOrigin = RootOrCouncil;
	type ResetOrigin = RootOrCouncil;
	type PrimeOrigin = RootOrCouncil;
	type MembershipInitialized = Council;
	type MembershipChanged = Council;
	type MaxMembers = ConstU32<MAX_MEMBERS>;
	type WeightInfo = crate::weights::pallet_membership::WeightInfo<Runtime>;
}

parameter_types! {
	/// The fewest validators the chain keeps. One, so a one-member development chain works;
	/// a production consortium chain should raise it to 4 (one faulty validator tolerated).
	pub const MinValidators: u32 = 1;
}

impl pallet_consortium::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type ValidatorOrigin = RootOrCouncil;
	type RootOrigin = CouncilMajority;
	type MinValidators = MinValidators;
	type MaxValidators = ConstU32<{ crate::configs::MAX_AUTHORITIES }>;
	/// The council alone authorizes nodes to peer.
	type NodeOrigin = RootOrCouncil;
	/// Member nodes the chain knows by peer id.
	type MaxNodes = ConstU32<256>;
	/// A base58-decoded libp2p peer id is 38 bytes; leave room for other key types.
	type MaxPeerIdLength = ConstU32<128>;
	type WeightInfo = pallet_consortium::weights::SubstrateWeight<Runtime>;
}
