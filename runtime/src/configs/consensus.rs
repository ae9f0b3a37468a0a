//! Aura, GRANDPA and the sessions that hand them the consortium's validator set.

use crate::{
	AccountId, Balances, BlockNumber, Consortium, Runtime, RuntimeEvent, SessionKeys, MILLI_UNIT,
};
use frame_support::{
	parameter_types,
	traits::{ConstBool, ConstU32, ConstU64},
	weights::Weight,
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
	type WeightInfo = GrandpaWeights;
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	/// Equivocation reports are not wired up yet: validators are known, contracted members.
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

/// GRANDPA's call weights, charged at this runtime's database weights. The pallet ships no
/// benchmarked `WeightInfo` for its calls (only for its equivocation check and `note_stalled`),
/// so these combine polkadot-sdk's reference measurements of those two with the storage the calls
/// touch; `scripts/bench.sh` is to replace the reference figures with ones measured here.
pub struct GrandpaWeights;

impl pallet_grandpa::WeightInfo for GrandpaWeights {
	fn report_equivocation(validator_count: u32, max_nominators_per_validator: u32) -> Weight {
		use frame_support::weights::constants::WEIGHT_REF_TIME_PER_NANOS;
		let db = <Runtime as frame_system::Config>::DbWeight::get();
		let nominators = u64::from(max_nominators_per_validator);
		// The membership proof's check grows with the validator set (at least 100 charged).
		Weight::from_parts(35_000 * WEIGHT_REF_TIME_PER_NANOS, 0)
			.saturating_add(
				Weight::from_parts(175 * WEIGHT_REF_TIME_PER_NANOS, 0)
					.saturating_mul(u64::from(validator_count.max(100))),
			)
			// The equivocation proof's two signatures (reference: 78 µs).
			.saturating_add(Weight::from_parts(78_253 * WEIGHT_REF_TIME_PER_NANOS, 0))
			// Reporting the offence, per nominator too.
			.saturating_add(Weight::from_parts(110_000 * WEIGHT_REF_TIME_PER_NANOS, 0))
			.saturating_add(
				Weight::from_parts(25_000 * WEIGHT_REF_TIME_PER_NANOS, 0)
					.saturating_mul(nominators),
			)
			.saturating_add(db.reads(21u64.saturating_add(3 * nominators)))
			.saturating_add(db.writes(10u64.saturating_add(3 * nominators)))
	}

	fn note_stalled() -> Weight {
		// Reference: 2.1 µs and one write.
		Weight::from_parts(2_117_000, 0)
			.saturating_add(<Runtime as frame_system::Config>::DbWeight::get().writes(1))
	}
}
