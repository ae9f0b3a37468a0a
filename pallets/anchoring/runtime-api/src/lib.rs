//! # Anchoring runtime API
//!
//! What clients ask the chain about anchored batches (polkadot.js: `api.call.anchoringApi.*`):
//!
//! - `anchor(id)` and `anchor_by_batch(gateway, batch)`: an anchored batch, as [`Anchor`];
//! - `device_anchors(device, start_after, limit)`: a device's anchors, oldest first, at most
//!   [`MAX_PAGE`] a call;
//! - `check_reading(anchor, reading, proof)`: whether a reading is in that batch, signed by the
//!   key its device held then ([`ReadingCheck`]);
//! - `last_batch(gateway)`: the highest batch number the gateway has anchored (since version 3);
//! - `check_ranges(gateway, ranges)`: whether the chain would take each `(device, first)` range
//!   from that gateway now, and if not why ([`RangeCheck`]; at most [`MAX_PAGE`] a call; since
//!   version 3);
//! - `endorsement(anchor)`: the gateway group, and its key epoch, that signed an anchor, if a
//!   group did (since version 4).
//!
//! The types are the chain's own, from `iotrust_primitives::anchoring` (re-exported here), with
//! `Vec`s where the pallet stores `BoundedVec`s: the same encoding, one definition.
//! Version 2: anchors are returned with concrete list types (version 1 returned the pallet's
//! stored record, whose encoding is the same). Version 3 adds `last_batch` and `check_ranges`. Version 4 adds `endorsement`, and `check_reading`
//! answers `AnchoredByGroup { group, epoch }` for a reading in an anchor a group signed.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
pub use iotrust_primitives::{
	anchoring::{
		Anchor, AnchorHeader, AnchorId, DeviceRange, MetricSummary, RangeCheck, ReadingCheck,
	},
	device::DeviceId,
	groups::Endorsement,
	merkle::{MerkleProof, SignedReading},
};

/// The most anchors one `device_anchors` call returns.
pub const MAX_PAGE: u32 = 100;

sp_api::decl_runtime_apis! {
	/// Anchored batches and reading proofs.
	#[api_version(4)]
	pub trait AnchoringApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// The anchor with id `anchor`.
		fn anchor(anchor: AnchorId) -> Option<Anchor<AccountId, BlockNumber>>;

		/// The anchor `gateway` made of its batch number `batch`.
		fn anchor_by_batch(gateway: AccountId, batch: u64) -> Option<(AnchorId, Anchor<AccountId, BlockNumber>)>;

		/// Up to `limit` (at most [`MAX_PAGE`]) of `device`'s anchors after `start_after`.
		fn device_anchors(device: DeviceId, start_after: Option<AnchorId>, limit: u32) -> Vec<(AnchorId, Anchor<AccountId, BlockNumber>)>;

		/// Whether `reading` is in anchor `anchor`, as `proof` claims, signed by its device.
		fn check_reading(anchor: AnchorId, reading: SignedReading, proof: MerkleProof) -> ReadingCheck;

		/// The highest batch number `gateway` has anchored, if any (since version 3).
		fn last_batch(gateway: AccountId) -> Option<u64>;

		/// Whether the chain would take from `gateway` now a range of each device's readings
		/// starting at the given sequence number: one answer per range, in order (the first
		/// [`MAX_PAGE`] ranges only; since version 3).
		fn check_ranges(gateway: AccountId, ranges: Vec<(DeviceId, u64)>) -> Vec<RangeCheck>;

		/// The gateway group, and its key epoch, that signed anchor `anchor`, if a group did
		/// (since version 4).
		fn endorsement(anchor: AnchorId) -> Option<Endorsement>;
	}
}
