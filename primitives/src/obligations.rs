//! What the obligations pallet shares with its runtime API and clients: ids, statuses, and what
//! a consumer or its device asks for.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// An obligation's number, as the chain assigns it.
pub type ObligationId = u64;

/// A provider's offer's number, as the chain assigns it.
pub type OfferId = u64;

/// Where an obligation stands.
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
pub enum ObligationStatus {
	/// Owed, not yet paid in full.
	Pending,
	/// Paid in full.
	Fulfilled,
	/// Not paid by its due block plus the grace period.
	Defaulted,
	/// Forgiven by the provider.
	Cancelled,
	/// SLA penalties took all that was left to pay: the service fell short.
	Forfeited,
}

/// What a consumer (or its device) asks for under an offer: the argument of the obligations
/// pallet's `create` and `create_for_device`, and what a device signs for the latter
/// ([`crate::device::obligation_payload`]). `Note` holds the note: a `Vec` by default, a
/// `BoundedVec` in the pallet (they encode alike).
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct ObligationRequest<Balance, Note = Vec<u8>> {
	/// The offer it takes up.
	pub offer: OfferId,
	/// How much, within the offer's bounds.
	pub amount: Balance,
	/// A short human-readable note (e.g. the session's number).
	pub note: Note,
}
