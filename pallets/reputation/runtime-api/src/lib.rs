//! # Reputation runtime API
//!
//! Anyone may read an account's reputation (polkadot.js: `api.call.reputationApi.*`): its score
//! (0 to 1000, 500 for a new account), its history as [`ReputationInfo`], and its credit limit.
//!
//! The return types are concrete types of this crate, so a Rust client can name them.
//! Version 3: [`ReputationInfo`] has `forgotten`, the remainder the providers a record does not
//! remember share. Version 2: `record` returns [`ReputationInfo`], points decayed to the block
//! read (version 1 returned the pallet's stored record, counting obligations rather than value).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
use scale_info::TypeInfo;

/// How many obligations ended one way, and what they were worth.
pub type Tally<Balance> = (u32, Balance);

/// An account's reputation, decayed to the block it was read at.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ReputationInfo<AccountId, Balance, BlockNumber> {
	/// The score, 0 to 1000.
	pub score: u32,
	/// How much the account may owe at once.
	pub credit_limit: Balance,
	/// Obligations paid on time, and what was paid.
	pub on_time: Tally<Balance>,
	/// Obligations paid late.
	pub late: Tally<Balance>,
	/// Obligations defaulted, and what was left unpaid.
	pub defaulted: Tally<Balance>,
	/// Obligations forgiven by their provider.
	pub cancelled: Tally<Balance>,
	/// Obligations whose SLA penalties took what was left.
	pub forfeited: Tally<Balance>,
	/// Good points (value, diminished per counterparty), decayed.
	pub good: Balance,
	/// Bad points (value), decayed.
	pub bad: Balance,
	/// Credit bought with burned credit fees, decayed.
	pub earned: Balance,
	/// The providers remembered, with what was paid to each (decayed).
	pub counterparties: Vec<(AccountId, Balance)>,
	/// What counts as paid before to any provider not remembered (decayed): the providers it does
	/// not remember share one cap.
	pub forgotten: Balance,
	/// When the record last changed.
	pub updated_at: BlockNumber,
}

sp_api::decl_runtime_apis! {
	/// Reputation scores, histories and credit limits.
	#[api_version(3)]
	pub trait ReputationApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// `who`'s score now, 0 to 1000.
		fn score(who: AccountId) -> u32;

		/// `who`'s history of obligation outcomes, if any.
		fn record(who: AccountId) -> Option<ReputationInfo<AccountId, Balance, BlockNumber>>;

		/// How much `who` may owe at once now.
		fn credit_limit(who: AccountId) -> Balance;
	}
}
