//! What the obligations pallet shares with its runtime API and clients: ids, statuses, and what
//! a consumer or its device asks for.

use crate::anchoring::{AnchorId, ThresholdRule};
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

/// The service level an offer holds its serving device to, copied into each obligation it
/// accepts: bounds on one metric of the device's readings, and the longest the device may go
/// unobserved.
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
pub struct Sla<BlockNumber> {
	/// The bounds: a device-signed reading outside them, anchored during the term, is a breach.
	pub bounds: ThresholdRule,
	/// The most blocks the device's readings may go without being anchored during the term:
	/// each such stretch is a breach, whatever its cause (a stopped device, a suspended one, a
	/// gateway that does not anchor).
	pub max_silence: BlockNumber,
}

/// Why an SLA penalty was applied: the evidence the chain checked.
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
pub enum Breach<BlockNumber> {
	/// A reading the device signed, outside the bounds, proven anchored in `anchor`.
	Reading {
		/// The anchor that holds it.
		anchor: AnchorId,
		/// The reading's sequence number.
		seq: u64,
	},
	/// A batch a gateway group signed, whose summary of the device leaves the bounds.
	Summary {
		/// The group's anchor.
		anchor: AnchorId,
	},
	/// The device's readings skipped sequence numbers in `anchor`: readings it signed that no
	/// anchor will hold.
	Gap {
		/// The anchor whose range skipped numbers.
		anchor: AnchorId,
	},
	/// No reading of the device was anchored from block `from` to block `to`, longer than the
	/// SLA allows.
	Silence {
		/// The first block of the stretch.
		from: BlockNumber,
		/// The block the stretch became a breach at.
		to: BlockNumber,
	},
}

impl<BlockNumber> Breach<BlockNumber> {
	/// The anchor the evidence is in, for breaches found in one.
	pub fn anchor(&self) -> Option<AnchorId> {
		match self {
			Self::Reading { anchor, .. } | Self::Summary { anchor } | Self::Gap { anchor } => {
				Some(*anchor)
			},
			Self::Silence { .. } => None,
		}
	}
}

/// Which devices an SLA watches: a device serving a pending obligation's SLA must stay public,
/// or its provider could hide the readings the consumer needs to prove a breach.
pub trait SlaWatched {
	/// Whether a pending obligation's SLA watches `device`.
	fn is_watched(device: &crate::device::DeviceId) -> bool;
}

impl SlaWatched for () {
	fn is_watched(_: &crate::device::DeviceId) -> bool {
		false
	}
}
