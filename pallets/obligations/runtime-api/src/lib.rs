//! # Obligations runtime API
//!
//! What clients ask the chain about obligations (polkadot.js: `api.call.obligationsApi.*`):
//!
//! - `obligation(id)`: one obligation;
//! - `provider_stream(provider, status, start_after, limit)` and
//!   `consumer_stream(consumer, status, start_after, limit)`: what an account is owed or owes,
//!   oldest first, filtered by status if one is given, at most [`MAX_PAGE`] a call; a page's
//!   `next` is the `start_after` of the next page;
//! - `outstanding(consumer)` and `remaining_credit(consumer)`: what it owes on pending
//!   obligations, and what it may still take on.

#![cfg_attr(not(feature = "std"), no_std)]

use codec::Codec;

/// The most obligations one stream call returns.
pub const MAX_PAGE: u32 = 100;

sp_api::decl_runtime_apis! {
	/// Obligation streams and credit.
	pub trait ObligationsApi<AccountId, Balance, Obligation, Status, Page>
	where
		AccountId: Codec,
		Balance: Codec,
		Obligation: Codec,
		Status: Codec,
		Page: Codec,
	{
		/// The obligation with id `id`.
		fn obligation(id: u64) -> Option<Obligation>;

		/// Up to `limit` (at most [`MAX_PAGE`]) of what `provider` is owed, after `start_after`.
		fn provider_stream(provider: AccountId, status: Option<Status>, start_after: Option<u64>, limit: u32) -> Page;

		/// Up to `limit` (at most [`MAX_PAGE`]) of what `consumer` owes, after `start_after`.
		fn consumer_stream(consumer: AccountId, status: Option<Status>, start_after: Option<u64>, limit: u32) -> Page;

		/// What `consumer` still owes on its pending obligations.
		fn outstanding(consumer: AccountId) -> Balance;

		/// `consumer`'s credit limit less what it owes.
		fn remaining_credit(consumer: AccountId) -> Balance;
	}
}
