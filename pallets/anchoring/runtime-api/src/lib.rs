//! # Anchoring runtime API
//!
//! What clients ask the chain about anchored batches (polkadot.js: `api.call.anchoringApi.*`):
//!
//! - `anchor(id)` and `anchor_by_batch(gateway, batch)`: an anchored batch, as [`AnchorInfo`];
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
//! The return types are concrete types of this crate, so a Rust client can name them.
//! Version 2: anchors are returned as [`AnchorInfo`] (version 1 returned the pallet's stored
//! record, whose encoding is the same). Version 3 adds `last_batch` and `check_ranges`. Version 4 adds `endorsement`, and `check_reading`
//! answers `AnchoredByGroup { group, epoch }` for a reading in an anchor a group signed.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Codec, Decode, Encode};
pub use iotrust_primitives::{
	anchoring::{AnchorId, MetricSummary, RangeCheck, ReadingCheck},
	device::DeviceId,
	groups::Endorsement,
	merkle::{MerkleProof, SignedReading},
};
use scale_info::TypeInfo;
use sp_core::H256;

/// The most anchors one `device_anchors` call returns.
pub const MAX_PAGE: u32 = 100;

/// One device's part of an anchored batch.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct RangeInfo {
	/// The device.
	pub device: DeviceId,
	/// Its first sequence number in the batch.
	pub first: u64,
	/// Its last sequence number in the batch.
	pub last: u64,
	/// Min and max of each metric among its readings in the batch.
	pub summaries: Vec<MetricSummary>,
}

/// An anchored batch.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct AnchorInfo<AccountId, BlockNumber> {
	/// The gateway that anchored it.
	pub gateway: AccountId,
	/// The gateway's own number for the batch.
	pub batch: u64,
	/// The Merkle root over its readings.
	pub root: H256,
	/// How many readings (leaves) it holds.
	pub reading_count: u32,
	/// The earliest reading's timestamp, Unix ms.
	pub from_ms: u64,
	/// The latest reading's timestamp, Unix ms.
	pub to_ms: u64,
	/// Each device's range and summaries.
	pub ranges: Vec<RangeInfo>,
	/// The block it was anchored in.
	pub anchored_at: BlockNumber,
}

sp_api::decl_runtime_apis! {
	/// Anchored batches and reading proofs.
	#[api_version(4)]
	pub trait AnchoringApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// The anchor with id `anchor`.
		fn anchor(anchor: AnchorId) -> Option<AnchorInfo<AccountId, BlockNumber>>;

		/// The anchor `gateway` made of its batch number `batch`.
		fn anchor_by_batch(gateway: AccountId, batch: u64) -> Option<(AnchorId, AnchorInfo<AccountId, BlockNumber>)>;

		/// Up to `limit` (at most [`MAX_PAGE`]) of `device`'s anchors after `start_after`.
		fn device_anchors(device: DeviceId, start_after: Option<AnchorId>, limit: u32) -> Vec<(AnchorId, AnchorInfo<AccountId, BlockNumber>)>;

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
