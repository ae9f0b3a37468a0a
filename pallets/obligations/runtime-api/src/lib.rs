//! # Obligations runtime API
//!
//! What clients ask the chain about offers and obligations (polkadot.js:
//! `api.call.obligationsApi.*`):
//!
//! - `offer(id)` and `offers_of(provider)`: providers' standing offers, as [`OfferInfo`];
//! - `obligation(id)`: one obligation, as [`ObligationInfo`];
//! - `provider_stream(provider, status, start_after, limit)` and
//!   `consumer_stream(consumer, status, start_after, limit)`: what an account is owed or owes,
//!   oldest first, filtered by status if one is given, at most [`MAX_PAGE`] a call; a page's
//!   `next` is the `start_after` of the next page;
//! - `outstanding(consumer)` and `remaining_credit(consumer)`: what it owes on pending
//!   obligations, and what it may still take on;
//! - `device_nonce(device)`: the device's count of obligation requests, the nonce its next one
//!   signs (since version 3);
//! - `check_device_request(gateway, device, request, valid_until, signature)`: what
//!   `obligations.createForDevice` would do if `gateway` submitted it now — `Ok`, or the error
//!   it would fail with (since version 3; `valid_until` since version 4), for gateways to ask
//!   before paying for a refusal.
//!
//! The return types are concrete types of this crate, so a Rust client can name them.
//! Version 2: offers, and obligations as [`ObligationInfo`] (version 1 returned the pallet's
//! stored records, without offers). Version 4: an SLA is an [`Sla`] (bounds and the longest
//! silence), offers name their consumers, obligations show their bond and how far silence has
//! been judged, and a device's request carries the last block it is valid in.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
pub use iotrust_primitives::{
	anchoring::{AnchorId, ThresholdRule},
	device::{DeviceId, DeviceSignature},
	obligations::{Breach, ObligationId, ObligationRequest, ObligationStatus, OfferId, Sla},
};
use scale_info::TypeInfo;
use sp_core::H256;
pub use sp_runtime::DispatchError;

/// The most obligations one stream call returns.
pub const MAX_PAGE: u32 = 100;

/// A provider's standing offer: what it accepts at once.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct OfferInfo<AccountId, Balance, BlockNumber> {
	/// Who offers.
	pub provider: AccountId,
	/// A hash identifying the service.
	pub service_hash: H256,
	/// The least one obligation may be for.
	pub min_amount: Balance,
	/// The most one obligation may be for.
	pub max_amount: Balance,
	/// Blocks from acceptance until payment is due.
	pub due_in: BlockNumber,
	/// The lowest score a consumer must have.
	pub min_score: u32,
	/// The provider's serving device, if any.
	pub device: Option<DeviceId>,
	/// The SLA on that device, if any.
	pub sla: Option<Sla<BlockNumber>>,
	/// The only consumers it accepts; empty: any that meets `min_score` (since version 4).
	pub consumers: Vec<AccountId>,
	/// Held from the provider while the offer stands.
	pub deposit: Balance,
}

/// An obligation, with what is still to pay.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ObligationInfo<AccountId, Balance, BlockNumber> {
	/// Who owes.
	pub consumer: AccountId,
	/// Who is owed.
	pub provider: AccountId,
	/// The offer it was accepted under.
	pub offer: OfferId,
	/// The amount agreed.
	pub amount: Balance,
	/// Paid so far.
	pub paid: Balance,
	/// Taken off by SLA penalties.
	pub penalty: Balance,
	/// Still to pay (zero unless pending).
	pub remaining: Balance,
	/// How many SLA breaches cut it.
	pub breaches: u32,
	/// The anchor of the last breach found in an anchor that cut it.
	pub last_breach: Option<AnchorId>,
	/// The block up to which the serving device's silence has been judged (since version 4).
	pub silent_until: BlockNumber,
	/// Credit fees burned paying it.
	pub credit_fee: Balance,
	/// The offer's service hash.
	pub service_hash: H256,
	/// The request's note.
	pub note: Vec<u8>,
	/// The block it was accepted in.
	pub created: BlockNumber,
	/// The block by which it is to be paid.
	pub due: BlockNumber,
	/// The consumer's device that asked for it, if any.
	pub consumer_device: Option<DeviceId>,
	/// The provider's serving device, if any.
	pub provider_device: Option<DeviceId>,
	/// The SLA fixed at acceptance, if any.
	pub sla: Option<Sla<BlockNumber>>,
	/// Held from the consumer until it is archived.
	pub deposit: Balance,
	/// Held from the consumer while an SLA obligation is pending (since version 4).
	pub bond: Balance,
	/// Where it stands.
	pub status: ObligationStatus,
	/// When it stopped being pending.
	pub closed_at: Option<BlockNumber>,
}

/// A page of a stream, oldest first; `next` is the `start_after` of the next page, if any.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Page<AccountId, Balance, BlockNumber> {
	/// The obligations found, with their ids.
	pub items: Vec<(ObligationId, ObligationInfo<AccountId, Balance, BlockNumber>)>,
	/// Where to continue, if the page stopped before the end of the stream.
	pub next: Option<ObligationId>,
}

sp_api::decl_runtime_apis! {
	/// Offers, obligation streams and credit.
	#[api_version(4)]
	pub trait ObligationsApi<AccountId, Balance, BlockNumber>
	where
		AccountId: Codec,
		Balance: Codec,
		BlockNumber: Codec,
	{
		/// The obligation with id `id`.
		fn obligation(id: ObligationId) -> Option<ObligationInfo<AccountId, Balance, BlockNumber>>;

		/// Up to `limit` (at most [`MAX_PAGE`]) of what `provider` is owed, after `start_after`.
		fn provider_stream(provider: AccountId, status: Option<ObligationStatus>, start_after: Option<ObligationId>, limit: u32) -> Page<AccountId, Balance, BlockNumber>;

		/// Up to `limit` (at most [`MAX_PAGE`]) of what `consumer` owes, after `start_after`.
		fn consumer_stream(consumer: AccountId, status: Option<ObligationStatus>, start_after: Option<ObligationId>, limit: u32) -> Page<AccountId, Balance, BlockNumber>;

		/// What `consumer` still owes on its pending obligations.
		fn outstanding(consumer: AccountId) -> Balance;

		/// `consumer`'s credit limit less what it owes.
		fn remaining_credit(consumer: AccountId) -> Balance;

		/// The standing offer with id `id`.
		fn offer(id: OfferId) -> Option<OfferInfo<AccountId, Balance, BlockNumber>>;

		/// `provider`'s standing offers, oldest first.
		fn offers_of(provider: AccountId) -> Vec<(OfferId, OfferInfo<AccountId, Balance, BlockNumber>)>;

		/// `device`'s count of obligation requests: the nonce its next request signs (since
		/// version 3).
		fn device_nonce(device: DeviceId) -> u32;

		/// What `obligations.createForDevice(device, request, valid_until, signature)` would do
		/// if `gateway` submitted it now: `Ok`, or the error it would fail with (since version
		/// 3; `valid_until` since version 4).
		fn check_device_request(
			gateway: AccountId,
			device: DeviceId,
			request: ObligationRequest<Balance>,
			valid_until: BlockNumber,
			signature: DeviceSignature,
		) -> Result<(), DispatchError>;
	}
}
