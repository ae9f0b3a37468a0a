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
	type WeightInfo = crate::weights::pallet_session::WeightInfo<Runtime>;
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

/// GRANDPA's call weights. The pallet benchmarks the check of an equivocation proof and
/// `note_stalled`, not its calls: both measured here (`scripts/bench.sh pallet_grandpa`) are used
/// as they are; reporting an equivocation adds to the measured proof check polkadot-sdk's
/// reference figures for the key-ownership proof and the offence report, and the storage they
/// touch. Equivocation reports are not wired up (`EquivocationReportSystem = ()`), so that call
/// only fails, charged at this bound.
pub struct GrandpaWeights;

impl pallet_grandpa::WeightInfo for GrandpaWeights {
	fn report_equivocation(validator_count: u32, max_nominators_per_validator: u32) -> Weight {
		use crate::weights::pallet_grandpa::WeightInfo as Measured;
		use frame_support::weights::constants::WEIGHT_REF_TIME_PER_NANOS;
		let db = <Runtime as frame_system::Config>::DbWeight::get();
		let nominators = u64::from(max_nominators_per_validator);
		let reference = |nanos: u64| Weight::from_parts(nanos * WEIGHT_REF_TIME_PER_NANOS, 0);
		Measured::<Runtime>::check_equivocation_proof(1)
			// The key-ownership proof: a base and a share per validator (at least 100 charged).
			.saturating_add(reference(35_000))
			.saturating_add(reference(175).saturating_mul(u64::from(validator_count.max(100))))
			// Reporting the offence, per nominator too.
			.saturating_add(reference(110_000))
			.saturating_add(reference(25_000).saturating_mul(nominators))
			.saturating_add(db.reads(21u64.saturating_add(3 * nominators)))
			.saturating_add(db.writes(10u64.saturating_add(3 * nominators)))
	}

	fn note_stalled() -> Weight {
		crate::weights::pallet_grandpa::WeightInfo::<Runtime>::note_stalled()
	}
}
