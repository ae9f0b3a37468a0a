//! # Anchoring runtime API
//!
//! What clients ask the chain about anchored batches (polkadot.js: `api.call.anchoringApi.*`):
//!
//! - `anchor(id)` and `anchor_by_batch(gateway, batch)`: an anchored batch;
//! - `device_anchors(device, start_after, limit)`: a device's anchors, oldest first, at most
//!   [`MAX_PAGE`] a call;
//! - `check_reading(anchor, reading, proof)`: whether a reading is in that batch.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
pub use iotrust_primitives::{
	anchoring::AnchorId,
	device::DeviceId,
	merkle::{MerkleProof, SignedReading},
};

/// The most anchors one `device_anchors` call returns.
pub const MAX_PAGE: u32 = 100;

sp_api::decl_runtime_apis! {
	/// Anchored batches and reading proofs.
	pub trait AnchoringApi<AccountId, Anchor, ReadingCheck>
	where
		AccountId: Codec,
		Anchor: Codec,
		ReadingCheck: Codec,
	{
		/// The anchor with id `anchor`.
		fn anchor(anchor: AnchorId) -> Option<Anchor>;

		/// The anchor `gateway` made of its batch number `batch`.
		fn anchor_by_batch(gateway: AccountId, batch: u64) -> Option<(AnchorId, Anchor)>;

		/// Up to `limit` (at most [`MAX_PAGE`]) of `device`'s anchors after `start_after`.
		fn device_anchors(device: DeviceId, start_after: Option<AnchorId>, limit: u32) -> Vec<(AnchorId, Anchor)>;

		/// Whether `reading` is in anchor `anchor`, as `proof` claims.
		fn check_reading(anchor: AnchorId, reading: SignedReading, proof: MerkleProof) -> ReadingCheck;
	}
}
