//! How obligations and reputation talk without depending on each other: obligations report each
//! obligation's outcome to a [`ReputationSink`], and ask a [`CreditLimit`] how much a consumer may
//! owe at once.

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
}

/// Receives obligation outcomes.
pub trait ReputationSink<AccountId, Balance> {
	/// `who`'s obligation worth `value` ended with `outcome`.
	fn record(who: &AccountId, outcome: Outcome, value: Balance);
}

/// How much an account may owe at once.
pub trait CreditLimit<AccountId, Balance> {
	/// `who`'s current credit limit.
	fn credit_limit(who: &AccountId) -> Balance;
}
