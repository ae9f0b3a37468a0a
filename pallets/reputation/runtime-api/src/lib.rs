//! # Reputation runtime API
//!
//! Anyone may read an account's reputation (polkadot.js: `api.call.reputationApi.*`): its score
//! (0 to 1000, 500 for a new account), its history, and the credit limit the score allows.

#![cfg_attr(not(feature = "std"), no_std)]

use codec::Codec;

sp_api::decl_runtime_apis! {
	/// Reputation scores, histories and credit limits.
	pub trait ReputationApi<AccountId, Balance, Record>
	where
		AccountId: Codec,
		Balance: Codec,
		Record: Codec,
	{
		/// `who`'s score now, 0 to 1000.
		fn score(who: AccountId) -> u32;

		/// `who`'s history of obligation outcomes, if any.
		fn record(who: AccountId) -> Option<Record>;

		/// How much `who` may owe at once now.
		fn credit_limit(who: AccountId) -> Balance;
	}
}
