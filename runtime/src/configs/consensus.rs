//! Aura, GRANDPA and the sessions that hand them the consortium's validator set.

use crate::{
	AccountId, Balances, BlockNumber, Consortium, Runtime, RuntimeEvent, SessionKeys, MILLI_UNIT,
};
use frame_support::{
	parameter_types,
	traits::{ConstBool, ConstU32, ConstU64},
};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_runtime::traits::{ConvertInto, OpaqueKeys};

/// The most validators (Aura and GRANDPA authorities) the chain supports.
pub const MAX_AUTHORITIES: u32 = 100;

/// Blocks per session: 10 blocks, 20 seconds. A council decision about the validator set is
/// queued at the next session boundary and active at the one after, so within 40 seconds.
pub const SESSION_PERIOD: BlockNumber = 10;

parameter_types! {
	pub const Period: BlockNumber = SESSION_PERIOD;
	pub const Offset: BlockNumber = 0;
	/// Held from an account while it has session keys registered.
	pub const SessionKeyDeposit: crate::Balance = MILLI_UNIT;
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = pallet_session::PeriodicSessions<Period, Offset>;
	type NextSessionRotation = pallet_session::PeriodicSessions<Period, Offset>;
	type SessionManager = Consortium;
	type SessionHandler = <SessionKeys as OpaqueKeys>::KeyTypeIdProviders;
	type Keys = SessionKeys;
	type DisablingStrategy = ();
	type WeightInfo = pallet_session::weights::SubstrateWeight<Runtime>;
	type Currency = Balances;
	type KeyDeposit = SessionKeyDeposit;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	/// Equivocation reports are not wired up yet: validators are known, contracted members.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}
