//! How obligations and reputation talk without depending on each other: obligations report each
//! obligation's outcome to a [`ReputationSink`] (with its counterparty and the credit fee burned
//! on it), and ask a [`CreditLimit`] how much a consumer may owe at once and what its score is.

use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;

/// How an obligation ended, as reputation counts it.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub enum Outcome {
	/// Paid in full by its due block.
	FulfilledOnTime,
	/// Paid in full, after its due block.
	FulfilledLate,
	/// Not paid in time: marked defaulted.
	Defaulted,
	/// Forgiven by the provider.
	Cancelled,
	/// SLA penalties took all that was left: the provider's service fell short, so the consumer
	/// earns nothing by it (it is never "fulfilled on time").
	Forfeited,
}

/// One obligation's end, as reputation hears it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Settlement<'a, AccountId, Balance> {
	/// Who owed.
	pub consumer: &'a AccountId,
	/// Who was owed: reputation counts diminishing returns per (consumer, provider) pair.
	pub provider: &'a AccountId,
	/// How it ended.
	pub outcome: Outcome,
	/// What it was worth: paid (fulfilled), unpaid (defaulted), forgiven (cancelled) or taken by
	/// penalties (forfeited).
	pub value: Balance,
	/// The credit fee the consumer burned paying it: the only thing that buys credit.
	pub credit_fee: Balance,
}

/// Receives obligation outcomes.
pub trait ReputationSink<AccountId, Balance> {
	/// An obligation ended.
	fn record(settlement: Settlement<'_, AccountId, Balance>);
}

/// How much an account may owe at once, and how it stands.
pub trait CreditLimit<AccountId, Balance> {
	/// `who`'s current credit limit.
	fn credit_limit(who: &AccountId) -> Balance;

	/// `who`'s score now, 0 to 1000 (500 for an account with no history).
	fn score(who: &AccountId) -> u32;

	/// `who`'s score and credit limit together. The default asks each; an implementation may
	/// answer from one read.
	fn standing(who: &AccountId) -> (u32, Balance) {
		(Self::score(who), Self::credit_limit(who))
	}
}
