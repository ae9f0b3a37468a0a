//! # Reputation pallet
//!
//! Scores computed on chain from obligation outcomes, which the obligations pallet reports
//! through [`ReputationSink`]; the credit limit is read back through [`CreditLimit`]. The pallet
//! has no calls: it is fed by other pallets and read by anyone through its runtime API.
//!
//! Reputation measures money, not the number of obligations, and credit is bought, never farmed.
//!
//! ## The formula
//!
//! All points are in the native token's units (planck), so they weigh what was paid.
//!
//! - **Paid on time**, value `v` to provider `p`: good points rise by `g(P + v) − g(P)`, where `P`
//!   is what the consumer has paid `p` before (decayed) and `g(P) = K·P / (P + K)` with
//!   `K` = [`Config::PairCap`]. The first payments to a provider count almost in full; all of them
//!   together never count more than `K`: one counterparty, however often paid, can vouch for at
//!   most `K`.
//! - **Forgotten counterparties share one cap.** A record remembers at most
//!   [`Config::MaxCounterparties`] providers (the ones paid most). For a provider it does not
//!   remember, `P` is the record's `forgotten` remainder: what was paid to providers it does not
//!   remember, or forgot (the most paid to one of them, plus all paid since). Paying it raises the
//!   remainder, and a provider that comes to be remembered starts from it. So `P` of every
//!   provider only grows (but for decay), and no provider, remembered or not, ever counts for more
//!   than `K`: paying throwaway providers to push a colluder out of memory buys nothing.
//! - **Paid late**: half those good points, and `v / 4` bad points.
//! - **Defaulted**: `2 · unpaid` bad points (defaults are not diminished).
//! - **Cancelled** (forgiven by the provider) and **forfeited** (SLA penalties took what was
//!   left): nothing.
//! - Points decay: per [`Config::HalfLife`] blocks they halve, and within a half-life they fall
//!   linearly toward the next halving.
//!
//! `score = 1000 · (good + R) / (good + bad + 2R)`, `R` = [`Config::Prior`]: between 0 and 1000,
//! 500 for a new account, rising with timely payment to many providers and falling with defaults.
//!
//! **Credit** is bought: each payment burns a credit fee (a share of the payment, set in the
//! obligations pallet), and only burned fees raise the limit, so credit gained by paying a
//! colluding account costs at least the credit it buys:
//! `credit = min(MaxCredit, (BaseCredit + earned) · min(score, 500) / 500)`, where `earned` is the
//! decayed sum of credit fees burned on obligations paid on time (half for late ones). A score
//! below 500 (late payment, defaults) shrinks the limit toward nothing; a score above 500 does not
//! raise it: providers read the score through their offers' minimum score.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;

pub mod migrations;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;

use frame_support::{pallet_prelude::*, traits::Get};
use frame_system::pallet_prelude::*;
use iotrust_primitives::reputation::{CreditLimit, Outcome, ReputationSink, Settlement};
use sp_runtime::{
	helpers_128bit::multiply_by_rational_with_rounding,
	traits::{AtLeast32BitUnsigned, Saturating, UniqueSaturatedFrom, UniqueSaturatedInto, Zero},
	Rounding,
};

/// The score of a new account.
pub const NEUTRAL_SCORE: u32 = 500;

/// The highest score.
pub const MAX_SCORE: u32 = 1_000;

/// `points` after `elapsed` blocks of decay with half-life `half_life` (> 0).
pub fn decay(points: u128, elapsed: u64, half_life: u64) -> u128 {
	if half_life == 0 {
		return points;
	}
	let halvings = elapsed / half_life;
	if halvings >= 128 {
		return 0;
	}
	let halved = points >> halvings;
	let into = u128::from(elapsed % half_life);
	// Linear from `halved` toward `halved / 2` across the half-life.
	let lost = (halved / 2).saturating_mul(into) / u128::from(half_life);
	halved.saturating_sub(lost)
}

/// What all payments totalling `paid` to one provider count for: `cap · paid / (paid + cap)`,
/// which approaches `cap` and never exceeds it.
pub fn pair_value(paid: u128, cap: u128) -> u128 {
	mul_div(cap, paid, paid.saturating_add(cap))
}

/// `a · b / c` rounded down (0 if `c` is 0), without overflowing.
fn mul_div(a: u128, b: u128, c: u128) -> u128 {
	if c == 0 {
		return 0;
	}
	multiply_by_rational_with_rounding(a, b, c, Rounding::Down).unwrap_or(u128::MAX)
}

/// The score for decayed `good` and `bad` points with prior `prior`.
pub fn score(good: u128, bad: u128, prior: u128) -> u32 {
	let good = good.saturating_add(prior);
	let total = good.saturating_add(bad).saturating_add(prior);
	if total == 0 {
		return NEUTRAL_SCORE;
	}
	mul_div(u128::from(MAX_SCORE), good, total).min(u128::from(MAX_SCORE)) as u32
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// 1: records weigh value, remember counterparties and earned credit (0 counted outcomes).
	/// 2: records keep what was paid to the counterparties they do not remember
	/// ([`Record::forgotten`]; [`crate::migrations::v2`]).
	const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The balance type obligations are valued in.
		type Balance: Parameter
			+ Member
			+ AtLeast32BitUnsigned
			+ Default
			+ Copy
			+ MaxEncodedLen
			+ UniqueSaturatedFrom<u128>;

		/// Blocks over which points halve.
		#[pallet::constant]
		type HalfLife: Get<BlockNumberFor<Self>>;

		/// The credit limit of a new account, before any credit fee is burned.
		#[pallet::constant]
		type BaseCredit: Get<Self::Balance>;

		/// The highest credit limit.
		#[pallet::constant]
		type MaxCredit: Get<Self::Balance>;

		/// The prior on each side of the score, in value: how much good history it takes to
		/// move a new account's score far from 500.
		#[pallet::constant]
		type Prior: Get<Self::Balance>;

		/// The most good points payments to one provider can ever add up to.
		#[pallet::constant]
		type PairCap: Get<Self::Balance>;

		/// The most counterparties a record remembers; when full, the one paid least (after
		/// decay) is forgotten.
		#[pallet::constant]
		type MaxCounterparties: Get<u32>;
	}

	/// Each account's history; absent for an account with none.
	#[pallet::storage]
	pub type Records<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, Record<T>>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An obligation outcome was recorded; `score` is the consumer's new score.
		OutcomeRecorded {
			who: T::AccountId,
			provider: T::AccountId,
			outcome: Outcome,
			value: T::Balance,
			score: u32,
		},
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(!T::HalfLife::get().is_zero(), "HalfLife must be at least one block");
			assert!(T::BaseCredit::get() <= T::MaxCredit::get(), "BaseCredit above MaxCredit");
			assert!(!T::PairCap::get().is_zero(), "a counterparty must be able to count");
			assert!(T::MaxCounterparties::get() > 0, "a record remembers a counterparty");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}
}

fn wide<B: UniqueSaturatedInto<u128>>(b: B) -> u128 {
	b.unique_saturated_into()
}

fn narrow<B: UniqueSaturatedFrom<u128>>(b: u128) -> B {
	B::unique_saturated_from(b)
}

impl<T: Config> Pallet<T> {
	/// `record` with every point decayed to now.
	fn decayed(mut record: Record<T>) -> Record<T> {
		let half_life: u64 = T::HalfLife::get().unique_saturated_into();
		let now = frame_system::Pallet::<T>::block_number();
		let elapsed: u64 = now.saturating_sub(record.updated_at).unique_saturated_into();
		let d = |b: T::Balance| -> T::Balance { narrow(decay(wide(b), elapsed, half_life)) };
		record.good = d(record.good);
		record.bad = d(record.bad);
		record.earned = d(record.earned);
		record.forgotten = d(record.forgotten);
		for c in record.counterparties.iter_mut() {
			c.paid = d(c.paid);
		}
		record.counterparties.retain(|c| !c.paid.is_zero());
		record.updated_at = now;
		record
	}

	/// `who`'s history, decayed to now.
	pub fn record_of(who: &T::AccountId) -> Option<Record<T>> {
		Records::<T>::get(who).map(Self::decayed)
	}

	/// `who`'s reputation as clients see it (`reputationApi.record`): decayed to now, with its
	/// score and credit limit.
	pub fn reputation_info(
		who: &T::AccountId,
	) -> Option<
		pallet_reputation_runtime_api::ReputationInfo<T::AccountId, T::Balance, BlockNumberFor<T>>,
	> {
		let record = Self::record_of(who)?;
		Some(pallet_reputation_runtime_api::ReputationInfo {
			score: Self::score_of_record(&record),
			credit_limit: Self::credit_of(Some(&record)),
			on_time: record.on_time,
			late: record.late,
			defaulted: record.defaulted,
			cancelled: record.cancelled,
			forfeited: record.forfeited,
			good: record.good,
			bad: record.bad,
			earned: record.earned,
			counterparties: record
				.counterparties
				.into_iter()
				.map(|c| (c.account, c.paid))
				.collect(),
			forgotten: record.forgotten,
			updated_at: record.updated_at,
		})
	}

	/// The score of `record` (already decayed).
	pub fn score_of_record(record: &Record<T>) -> u32 {
		score(wide(record.good), wide(record.bad), wide(T::Prior::get()))
	}

	/// `who`'s score now, between 0 and 1000 (500 for an account with no history).
	pub fn score_of(who: &T::AccountId) -> u32 {
		Self::record_of(who).map_or(NEUTRAL_SCORE, |r| Self::score_of_record(&r))
	}

	/// The credit limit of an account with `record` (already decayed), or of a new account.
	pub fn credit_of(record: Option<&Record<T>>) -> T::Balance {
		let base = wide(T::BaseCredit::get());
		let (earned, score) =
			record.map_or((0, NEUTRAL_SCORE), |r| (wide(r.earned), Self::score_of_record(r)));
		let factor = u128::from(score.min(NEUTRAL_SCORE));
		let credit = mul_div(base.saturating_add(earned), factor, u128::from(NEUTRAL_SCORE));
		narrow::<T::Balance>(credit).min(T::MaxCredit::get())
	}

	/// Count `value` paid to `provider` in `record` (decayed to now): what was paid before is
	/// `provider`'s remembered total, or the record's `forgotten` remainder for a provider it does
	/// not remember; both grow by `value`. A provider not remembered is remembered, starting from
	/// the remainder, when the record has room or one remembered provider was paid less; the one
	/// forgotten then leaves its total to the remainder if it is larger. Returns the good points
	/// the payment is worth, `g(before + value) − g(before)`.
	fn count_payment(record: &mut Record<T>, provider: &T::AccountId, value: u128) -> u128 {
		let cap = wide(T::PairCap::get());
		let gain = |before: u128| {
			pair_value(before.saturating_add(value), cap).saturating_sub(pair_value(before, cap))
		};
		if let Some(c) = record.counterparties.iter_mut().find(|c| &c.account == provider) {
			let before = wide(c.paid);
			c.paid = narrow(before.saturating_add(value));
			return gain(before);
		}
		let before = wide(record.forgotten);
		let after = before.saturating_add(value);
		let entry = Counterparty { account: provider.clone(), paid: narrow(after) };
		if let Err(entry) = record.counterparties.try_push(entry) {
			let least = record.counterparties.iter_mut().min_by_key(|c| c.paid);
			match least {
				Some(least) if least.paid < entry.paid => {
					let forgotten = core::mem::replace(least, entry);
					record.forgotten = record.forgotten.max(forgotten.paid);
				},
				_ => record.forgotten = narrow(after),
			}
		}
		gain(before)
	}

	/// Check the records' invariants: no counterparty remembered twice, none at zero, no update
	/// from the future, and the tallies' counts agree with there being a record.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let now = frame_system::Pallet::<T>::block_number();
		for (who, record) in Records::<T>::iter() {
			ensure!(record.updated_at <= now, "a reputation record was updated in the future");
			let mut seen = alloc::collections::BTreeSet::new();
			for c in record.counterparties.iter() {
				ensure!(seen.insert(c.account.clone()), "a counterparty is remembered twice");
				ensure!(c.account != who, "an account is its own counterparty");
			}
			let count = [record.on_time, record.late, record.defaulted, record.cancelled]
				.iter()
				.chain(core::iter::once(&record.forfeited))
				.fold(0u64, |n, t| n.saturating_add(u64::from(t.0)));
			ensure!(count > 0, "a reputation record holds no outcome");
		}
		Ok(())
	}
}

impl<T: Config> ReputationSink<T::AccountId, T::Balance> for Pallet<T> {
	fn record(s: Settlement<'_, T::AccountId, T::Balance>) {
		let mut record = Self::decayed(Records::<T>::get(s.consumer).unwrap_or_default());
		let value = wide(s.value);
		let fee = wide(s.credit_fee);
		let paid = matches!(s.outcome, Outcome::FulfilledOnTime | Outcome::FulfilledLate);
		if paid && s.consumer != s.provider {
			let gain = Self::count_payment(&mut record, s.provider, value);
			let (gain, earned) = match s.outcome {
				Outcome::FulfilledLate => {
					record.bad = narrow(wide(record.bad).saturating_add(value / 4));
					(gain / 2, fee / 2)
				},
				_ => (gain, fee),
			};
			record.good = narrow(wide(record.good).saturating_add(gain));
			record.earned = narrow(wide(record.earned).saturating_add(earned));
		}
		let tally = match s.outcome {
			Outcome::FulfilledOnTime => &mut record.on_time,
			Outcome::FulfilledLate => &mut record.late,
			Outcome::Defaulted => {
				record.bad = narrow(wide(record.bad).saturating_add(value.saturating_mul(2)));
				&mut record.defaulted
			},
			Outcome::Cancelled => &mut record.cancelled,
			Outcome::Forfeited => &mut record.forfeited,
		};
		tally.0 = tally.0.saturating_add(1);
		tally.1 = tally.1.saturating_add(s.value);
		let new_score = Self::score_of_record(&record);
		Records::<T>::insert(s.consumer, record);
		Self::deposit_event(Event::OutcomeRecorded {
			who: s.consumer.clone(),
			provider: s.provider.clone(),
			outcome: s.outcome,
			value: s.value,
			score: new_score,
		});
	}
}

impl<T: Config> CreditLimit<T::AccountId, T::Balance> for Pallet<T> {
	fn credit_limit(who: &T::AccountId) -> T::Balance {
		Self::credit_of(Self::record_of(who).as_ref())
	}

	fn score(who: &T::AccountId) -> u32 {
		Self::score_of(who)
	}

	fn standing(who: &T::AccountId) -> (u32, T::Balance) {
		let record = Self::record_of(who);
		let score = record.as_ref().map_or(NEUTRAL_SCORE, Self::score_of_record);
		(score, Self::credit_of(record.as_ref()))
	}
}
