//! # Reputation pallet
//!
//! Scores computed on chain from obligation outcomes, which the obligations pallet reports
//! through [`ReputationSink`]; the credit limit derived from the score is read back through
//! [`CreditLimit`]. The pallet has no calls: it is fed by other pallets and read by anyone
//! through its runtime API.
//!
//! ## The formula
//!
//! Outcomes earn points (in thousandths): paid on time +1000 good; paid late +500 good and +250
//! bad; defaulted +2000 bad; cancelled (forgiven by the provider) nothing. Points decay: per
//! [`Config::HalfLife`] blocks they halve, and within a half-life they fall linearly toward the
//! next halving, so old behaviour matters less than recent behaviour.
//!
//! `score = 1000 · (good + 1000) / (good + bad + 2000)`: between 0 and 1000, 500 for a new account
//! (one good and one bad point of prior), rising with timely payment and falling with defaults.
//!
//! Credit limit: at or below 500, `BaseCredit · score / 500` (a defaulter's credit shrinks toward
//! nothing); above 500, `BaseCredit + (MaxCredit − BaseCredit) · (score − 500) / 500`.

#![cfg_attr(not(feature = "std"), no_std)]

pub use pallet::*;

#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;

use frame_support::{pallet_prelude::*, traits::Get};
use frame_system::pallet_prelude::*;
use iotrust_primitives::reputation::{CreditLimit, Outcome, ReputationSink};
use sp_runtime::traits::{AtLeast32BitUnsigned, Saturating, UniqueSaturatedInto, Zero};

/// Points an outcome earns, in thousandths: (good, bad).
pub const fn points(outcome: Outcome) -> (u64, u64) {
	match outcome {
		Outcome::FulfilledOnTime => (1_000, 0),
		Outcome::FulfilledLate => (500, 250),
		Outcome::Defaulted => (0, 2_000),
		Outcome::Cancelled => (0, 0),
	}
}

/// The prior every account starts with on each side, in thousandths of a point.
pub const PRIOR: u64 = 1_000;

/// The score of a new account.
pub const NEUTRAL_SCORE: u32 = 500;

/// The highest score.
pub const MAX_SCORE: u32 = 1_000;

/// `points` after `elapsed` blocks of decay with half-life `half_life` (> 0).
pub fn decay(points: u64, elapsed: u64, half_life: u64) -> u64 {
	if half_life == 0 {
		return points;
	}
	let halvings = elapsed / half_life;
	if halvings >= 64 {
		return 0;
	}
	let halved = points >> halvings;
	let into = u128::from(elapsed % half_life);
	// Linear from `halved` toward `halved / 2` across the half-life.
	let lost = u128::from(halved) * into / (2 * u128::from(half_life));
	halved.saturating_sub(lost.unique_saturated_into())
}

/// The score for decayed `good` and `bad` points.
pub fn score(good: u64, bad: u64) -> u32 {
	let good = u128::from(good) + u128::from(PRIOR);
	let total = good + u128::from(bad) + u128::from(PRIOR);
	(u128::from(MAX_SCORE) * good / total).unique_saturated_into()
}

/// What one account's history holds.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug, Default)]
pub struct Record<BlockNumber, Balance> {
	/// Obligations paid on time: count and total value.
	pub on_time: (u32, Balance),
	/// Obligations paid late.
	pub late: (u32, Balance),
	/// Obligations defaulted.
	pub defaulted: (u32, Balance),
	/// Obligations forgiven.
	pub cancelled: (u32, Balance),
	/// Good points, thousandths, decayed to `updated_at`.
	pub good: u64,
	/// Bad points, thousandths, decayed to `updated_at`.
	pub bad: u64,
	/// When the points were last brought up to date.
	pub updated_at: BlockNumber,
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The balance type obligations are valued in.
		type Balance: Parameter + Member + AtLeast32BitUnsigned + Default + Copy + MaxEncodedLen;

		/// Blocks over which points halve.
		#[pallet::constant]
		type HalfLife: Get<BlockNumberFor<Self>>;

		/// The credit limit at the neutral score (a new account's).
		#[pallet::constant]
		type BaseCredit: Get<Self::Balance>;

		/// The credit limit at the highest score.
		#[pallet::constant]
		type MaxCredit: Get<Self::Balance>;
	}

	/// Each account's history; absent for an account with none.
	#[pallet::storage]
	pub type Records<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, Record<BlockNumberFor<T>, T::Balance>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An obligation outcome was recorded; `score` is the account's new score.
		OutcomeRecorded { who: T::AccountId, outcome: Outcome, value: T::Balance, score: u32 },
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(!T::HalfLife::get().is_zero(), "HalfLife must be at least one block");
			assert!(T::BaseCredit::get() <= T::MaxCredit::get(), "BaseCredit above MaxCredit");
		}
	}
}

impl<T: Config> Pallet<T> {
	fn now() -> u64 {
		frame_system::Pallet::<T>::block_number().unique_saturated_into()
	}

	/// `who`'s good and bad points, decayed to now.
	fn current_points(record: &Record<BlockNumberFor<T>, T::Balance>) -> (u64, u64) {
		let half_life: u64 = T::HalfLife::get().unique_saturated_into();
		let updated: u64 = record.updated_at.unique_saturated_into();
		let elapsed = Self::now().saturating_sub(updated);
		(decay(record.good, elapsed, half_life), decay(record.bad, elapsed, half_life))
	}

	/// `who`'s score now, between 0 and 1000 (500 for an account with no history).
	pub fn score_of(who: &T::AccountId) -> u32 {
		Records::<T>::get(who).map_or(NEUTRAL_SCORE, |record| {
			let (good, bad) = Self::current_points(&record);
			score(good, bad)
		})
	}

	/// `who`'s history.
	pub fn record_of(who: &T::AccountId) -> Option<Record<BlockNumberFor<T>, T::Balance>> {
		Records::<T>::get(who)
	}

	/// The credit limit that goes with `score`.
	pub fn credit_for_score(score: u32) -> T::Balance {
		let base = T::BaseCredit::get();
		let max = T::MaxCredit::get();
		let score = score.min(MAX_SCORE);
		if score <= NEUTRAL_SCORE {
			base.saturating_mul(score.into()) / NEUTRAL_SCORE.into()
		} else {
			let above = (max.saturating_sub(base)).saturating_mul((score - NEUTRAL_SCORE).into())
				/ (MAX_SCORE - NEUTRAL_SCORE).into();
			base.saturating_add(above)
		}
	}
}

impl<T: Config> ReputationSink<T::AccountId, T::Balance> for Pallet<T> {
	fn record(who: &T::AccountId, outcome: Outcome, value: T::Balance) {
		let mut record = Records::<T>::get(who).unwrap_or_default();
		let (good, bad) = Self::current_points(&record);
		let (add_good, add_bad) = points(outcome);
		record.good = good.saturating_add(add_good);
		record.bad = bad.saturating_add(add_bad);
		record.updated_at = frame_system::Pallet::<T>::block_number();
		let tally = match outcome {
			Outcome::FulfilledOnTime => &mut record.on_time,
			Outcome::FulfilledLate => &mut record.late,
			Outcome::Defaulted => &mut record.defaulted,
			Outcome::Cancelled => &mut record.cancelled,
		};
		tally.0 = tally.0.saturating_add(1);
		tally.1 = tally.1.saturating_add(value);
		let new_score = score(record.good, record.bad);
		Records::<T>::insert(who, record);
		Self::deposit_event(Event::OutcomeRecorded {
			who: who.clone(),
			outcome,
			value,
			score: new_score,
		});
	}
}

impl<T: Config> CreditLimit<T::AccountId, T::Balance> for Pallet<T> {
	fn credit_limit(who: &T::AccountId) -> T::Balance {
		Self::credit_for_score(Self::score_of(who))
	}
}
