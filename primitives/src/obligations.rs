//! What the obligations pallet shares with its runtime API and clients: ids and statuses.

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
