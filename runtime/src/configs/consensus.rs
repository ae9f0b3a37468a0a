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

/// Session boundaries fall on multiples of 10 blocks (20 s), but a session ends there only when
/// a change waits for it (see [`SessionsOnChange`]): a council decision about the validator set
/// is queued at the next boundary and active at the one after, so within 40 seconds.
pub const SESSION_PERIOD: BlockNumber = 10;

/// With no change waiting, a session still ends every 300 blocks (10 minutes).
pub const MAX_SESSION_PERIOD: BlockNumber = 300;

parameter_types! {
	/// Held from an account while it has session keys registered.
	pub const SessionKeyDeposit: crate::Balance = MILLI_UNIT;
}

/// Sessions that end at a [`SESSION_PERIOD`] boundary only when something waits for a new
/// session, and at least every [`MAX_SESSION_PERIOD`] blocks.
///
/// Ending a session costs a block: `pallet-session` charges the whole block's weight for it, so
/// a session every 10 blocks cost a tenth of the chain's capacity, and two seconds to whatever
/// waited for that block. What waits for a new session:
/// - the council changed the validator set (`Consortium::SetChanged`), which the next session
///   queues;
/// - a queued set or queued keys differ from the active ones (`Session::QueuedChanged`), which
///   the next session makes active;
/// - a validator registered new session keys (its `NextKeys` are not its queued keys);
/// - GRANDPA stalled and waits for a forced change (`Grandpa::Stalled`), which is scheduled at a
///   new session.
///
/// The reads are charged to the block at each boundary.
pub struct SessionsOnChange;

impl SessionsOnChange {
	fn at_boundary(now: BlockNumber) -> bool {
		now > 0 && now.is_multiple_of(SESSION_PERIOD)
	}

	/// Whether a change waits for the next session, with the weight of finding out.
	fn change_waiting() -> (bool, Weight) {
		let reads = |n: usize| <Runtime as frame_system::Config>::DbWeight::get().reads(n as u64);
		if pallet_consortium::SetChanged::<Runtime>::get()
			|| pallet_session::QueuedChanged::<Runtime>::get()
			|| pallet_grandpa::Pallet::<Runtime>::stalled().is_some()
		{
			return (true, reads(3));
		}
		let queued = pallet_session::QueuedKeys::<Runtime>::get();
		let rekeyed = queued.iter().any(|(validator, keys)| {
			pallet_session::NextKeys::<Runtime>::get(validator).as_ref() != Some(keys)
		});
		(rekeyed, reads(4 + queued.len()))
	}

	/// The next boundary at which a session ends, as things stand, and the weight of finding out.
	fn next_end(now: BlockNumber) -> (BlockNumber, Weight) {
		let (waiting, weight) = Self::change_waiting();
		let period = if waiting { SESSION_PERIOD } else { MAX_SESSION_PERIOD };
		let next = now.saturating_add(period).saturating_sub(now % period);
		(next, weight)
	}
}

impl pallet_session::ShouldEndSession<BlockNumber> for SessionsOnChange {
	fn should_end_session(now: BlockNumber) -> bool {
		if !Self::at_boundary(now) {
			return false;
		}
		if now.is_multiple_of(MAX_SESSION_PERIOD) {
			return true;
		}
		let (waiting, weight) = Self::change_waiting();
		frame_system::Pallet::<Runtime>::register_extra_weight_unchecked(
			weight,
			frame_support::dispatch::DispatchClass::Mandatory,
		);
		waiting
	}
}

impl frame_support::traits::EstimateNextSessionRotation<BlockNumber> for SessionsOnChange {
	fn average_session_length() -> BlockNumber {
		MAX_SESSION_PERIOD
	}

	/// Not known: when the current session began is not recorded.
	fn estimate_current_session_progress(
		_now: BlockNumber,
	) -> (Option<sp_runtime::Permill>, Weight) {
		(None, Weight::zero())
	}

	fn estimate_next_session_rotation(now: BlockNumber) -> (Option<BlockNumber>, Weight) {
		let (next, weight) = Self::next_end(now);
		(Some(next), weight)
	}
}

impl pallet_session::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type ValidatorId = AccountId;
	type ValidatorIdOf = ConvertInto;
	type ShouldEndSession = SessionsOnChange;
	type NextSessionRotation = SessionsOnChange;
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
