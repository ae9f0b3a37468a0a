//! What the reputation pallet stores.

use crate::Config;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use frame_support::{
	pallet_prelude::*, CloneNoBound, DebugNoBound, DefaultNoBound, EqNoBound, PartialEqNoBound,
};
use frame_system::pallet_prelude::BlockNumberFor;
use scale_info::TypeInfo;

/// What a consumer has paid one provider, as the pair's diminishing returns remember it.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug, DecodeWithMemTracking,
)]
pub struct Counterparty<AccountId, Balance> {
	/// The provider.
	pub account: AccountId,
	/// Paid to it on time or late, decayed to the record's `updated_at`; counted from the
	/// record's `forgotten` remainder at the time it came to be remembered.
	pub paid: Balance,
}

/// How many obligations ended one way, and what they were worth.
pub type Tally<Balance> = (u32, Balance);

/// What one account's history holds.
#[derive(
	Encode,
	Decode,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
	DefaultNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct Record<T: Config> {
	/// Obligations paid on time: count and total value.
	pub on_time: Tally<T::Balance>,
	/// Obligations paid late.
	pub late: Tally<T::Balance>,
	/// Obligations defaulted, with what was left unpaid.
	pub defaulted: Tally<T::Balance>,
	/// Obligations forgiven by their provider.
	pub cancelled: Tally<T::Balance>,
	/// Obligations whose SLA penalties took what was left.
	pub forfeited: Tally<T::Balance>,
	/// Good points, decayed to `updated_at`.
	pub good: T::Balance,
	/// Bad points, decayed to `updated_at`.
	pub bad: T::Balance,
	/// Credit bought with burned credit fees, decayed to `updated_at`.
	pub earned: T::Balance,
	/// The providers paid most recently and most (at most [`Config::MaxCounterparties`]).
	pub counterparties: BoundedVec<Counterparty<T::AccountId, T::Balance>, T::MaxCounterparties>,
	/// What counts as paid before to a provider not remembered, decayed to `updated_at`: the most
	/// paid to one forgotten provider, plus all paid since to providers not remembered.
	pub forgotten: T::Balance,
	/// When the points were last brought up to date.
	pub updated_at: BlockNumberFor<T>,
}
