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

/// A validator's new session keys end a session only at multiples of 60 blocks (2 minutes): a
/// validator that toggles its keys (`session.setKeys` costs only a fee) could otherwise force a
/// session end, a whole block, every [`SESSION_PERIOD`]. A key change is queued at the next such
/// boundary and active at the one after, within 4 minutes. Changes of the validator set keep
/// the 10-block pace.
pub const REKEY_PERIOD: BlockNumber = 60;

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
/// - a queued set differs from the active one (`Session::QueuedChanged`), which the next
///   session makes active;
/// - a validator registered new session keys (its `NextKeys` are not its queued keys), or
///   queued keys wait to become active: at a [`REKEY_PERIOD`] boundary only;
/// - GRANDPA stalled and waits for a forced change (`Grandpa::Stalled`), which is scheduled at a
///   new session.
///
/// The reads are charged to the block at each boundary.
pub struct SessionsOnChange;

impl SessionsOnChange {
	fn at_boundary(now: BlockNumber) -> bool {
		now > 0 && now.is_multiple_of(SESSION_PERIOD)
	}

	/// What waits for the next session, with the weight of finding out.
	fn waiting() -> (Waiting, Weight) {
		let reads = |n: usize| <Runtime as frame_system::Config>::DbWeight::get().reads(n as u64);
		if pallet_consortium::SetChanged::<Runtime>::get()
			|| pallet_grandpa::Pallet::<Runtime>::stalled().is_some()
		{
			return (Waiting::Change, reads(2));
		}
		let queued = pallet_session::QueuedKeys::<Runtime>::get();
		if pallet_session::QueuedChanged::<Runtime>::get() {
			// A queued set waits to become active at once; queued keys of the same validators
			// only at the rekeying pace (each session queues the newest keys, so a validator
			// that keeps changing them would otherwise keep this flag up).
			let active = pallet_session::Validators::<Runtime>::get();
			let same_set = queued.len() == active.len()
				&& queued.iter().zip(active.iter()).all(|((queued, _), active)| queued == active);
			let waiting = if same_set { Waiting::Rekey } else { Waiting::Change };
			return (waiting, reads(5));
		}
		let rekeyed = queued.iter().any(|(validator, keys)| {
			pallet_session::NextKeys::<Runtime>::get(validator).as_ref() != Some(keys)
		});
		(if rekeyed { Waiting::Rekey } else { Waiting::Nothing }, reads(5 + queued.len()))
	}

	/// The next boundary at which a session ends, as things stand, and the weight of finding out.
	fn next_end(now: BlockNumber) -> (BlockNumber, Weight) {
		let (waiting, weight) = Self::waiting();
		let period = waiting.period();
		let next = now.saturating_add(period).saturating_sub(now % period);
		(next, weight)
	}
}

/// What waits for a new session.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Waiting {
	/// A change of the set (to queue or to make active), or a stalled GRANDPA.
	Change,
	/// Only validators' new session keys (to queue or to make active).
	Rekey,
	/// Nothing.
	Nothing,
}

impl Waiting {
	/// The boundaries at which a session ends for it.
	fn period(self) -> BlockNumber {
		match self {
			Self::Change => SESSION_PERIOD,
			Self::Rekey => REKEY_PERIOD,
			Self::Nothing => MAX_SESSION_PERIOD,
		}
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
		let (waiting, weight) = Self::waiting();
		frame_system::Pallet::<Runtime>::register_extra_weight_unchecked(
			weight,
			frame_support::dispatch::DispatchClass::Mandatory,
		);
		waiting != Waiting::Nothing && now.is_multiple_of(waiting.period())
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
