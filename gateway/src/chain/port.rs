//! The chain as the anchorer sees it: the port it submits batches and relayed calls through
//! ([`AnchorChain`]), and what can come back — the chain's limits on a batch, how a submission
//! ended, and typed errors for everything that can go wrong on the way. A group member's port
//! ([`GroupChain`]) is beside it. Tests drive the anchorer and the member through doubles.

use crate::batch::{BatchHead, SealedUnder};
use iotrust_primitives::{
	anchoring::{AnchorId, RangeCheck},
	device::DeviceId,
};
use sp_core::H256;
use std::{future::Future, pin::Pin};

/// The anchoring pallet's errors the anchorer acts on. Each is decoded from the chain's module
/// error by pallet and variant (through the runtime's metadata), never from a message's text; a
/// runtime whose anchoring pallet lacks one is refused when the gateway connects
/// ([`AnchoringError::ALL`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnchoringError {
	/// The batch number is taken: the batch (or another with its number) is anchored.
	BatchAlreadyAnchored,
	/// A device is suspended, revoked or gone ([`RangeCheck::DeviceNotActive`]).
	DeviceNotActive,
	/// A device is bound to another gateway or to none ([`RangeCheck::NotDeviceGateway`]).
	NotDeviceGateway,
	/// A device's range starts at or below its last anchored number
	/// ([`RangeCheck::SequenceReplay`]).
	SequenceReplay,
	/// A device's last anchored number is `u64::MAX` ([`RangeCheck::SequenceExhausted`]).
	SequenceExhausted,
}

impl AnchoringError {
	/// The pallet, as the runtime's metadata names it.
	pub const PALLET: &'static str = "Anchoring";

	/// Every one.
	pub const ALL: [Self; 5] = [
		Self::BatchAlreadyAnchored,
		Self::DeviceNotActive,
		Self::NotDeviceGateway,
		Self::SequenceReplay,
		Self::SequenceExhausted,
	];

	/// Its variant's name in the pallet's `Error` enum.
	pub fn name(self) -> &'static str {
		match self {
			Self::BatchAlreadyAnchored => "BatchAlreadyAnchored",
			Self::DeviceNotActive => "DeviceNotActive",
			Self::NotDeviceGateway => "NotDeviceGateway",
			Self::SequenceReplay => "SequenceReplay",
			Self::SequenceExhausted => "SequenceExhausted",
		}
	}

	/// Whether the chain refused a batch for one of its devices (which a new check names): the
	/// refusals [`RangeCheck`] answers before a batch is submitted.
	pub fn is_about_a_device(self) -> bool {
		!matches!(self, Self::BatchAlreadyAnchored)
	}
}

/// A pallet error the chain dispatched a transaction into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PalletError {
	/// One the anchorer acts on.
	Anchoring(AnchoringError),
	/// Any other, by pallet and variant, to report (never to branch on).
	Other {
		/// The pallet, e.g. `Obligations`.
		pallet: String,
		/// The variant, e.g. `OfferNotFound`.
		error: String,
	},
}

impl PalletError {
	/// The error that `pallet`'s variant `error` (as the runtime's metadata names them) is.
	pub fn of(pallet: &str, error: &str) -> Self {
		let known = (pallet == AnchoringError::PALLET)
			.then(|| AnchoringError::ALL.into_iter().find(|e| e.name() == error))
			.flatten();
		match known {
			Some(e) => Self::Anchoring(e),
			None => Self::Other { pallet: pallet.into(), error: error.into() },
		}
	}
}

impl std::fmt::Display for PalletError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Anchoring(e) => write!(f, "{}.{}", AnchoringError::PALLET, e.name()),
			Self::Other { pallet, error } => write!(f, "{pallet}.{error}"),
		}
	}
}

/// Why the node's transaction pool would not take a transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PoolRefusal {
	/// It could never fit a block (`ExhaustsResources`): too heavy or too long.
	TooBig,
	/// The account cannot pay the fee.
	CannotPay,
	/// Its nonce is used (`Stale`) or ahead of the account's (`Future`): ask for the nonce again.
	Nonce,
	/// Anything else, with the node's words.
	Other(String),
}

/// What can go wrong talking to the chain.
#[derive(Clone, Debug, thiserror::Error)]
pub enum ChainError {
	/// The node cannot be reached or the request failed on the way; worth retrying.
	#[error("the node is unreachable: {0}")]
	Unreachable(String),
	/// The node's transaction pool refused the transaction.
	#[error("the transaction pool refused it: {0:?}")]
	Refused(PoolRefusal),
	/// The chain answered something this gateway cannot read (another runtime version?).
	#[error("cannot read the chain's answer: {0}")]
	Unreadable(String),
	/// The runtime's calls, runtime API methods, events or errors are not those this gateway was
	/// built for ([`super::interface::check`]).
	#[error("{0}; this gateway does not match the chain's runtime")]
	Mismatch(#[from] super::interface::Mismatch),
	/// Something must be signed and the gateway was given no account.
	#[error("no signing account")]
	NoSigner,
	/// A transaction the pool took was dropped, found invalid or usurped, or its progress was
	/// lost with the connection: it may or may not be on chain.
	#[error("lost track of the transaction: {0}")]
	Lost(String),
}

/// Why a transaction submitted and awaited to finality ([`GroupChain::submit`]) did not succeed.
#[derive(Clone, Debug, thiserror::Error)]
pub enum SubmitError {
	/// The chain ran it and it failed, e.g. `Groups.NotMember` (for a `Utility.batch_all`, the
	/// call that failed).
	#[error("the chain refused it: {0}")]
	Dispatch(PalletError),
	/// It never ran, or the gateway lost track of it.
	#[error(transparent)]
	Chain(#[from] ChainError),
}

impl ChainError {
	/// The node did not answer: `what` failed with `e`.
	pub fn unreachable(what: impl std::fmt::Display, e: impl std::fmt::Display) -> Self {
		Self::Unreachable(format!("{what}: {e}"))
	}

	/// The chain's answer to `what` could not be read: `e`.
	pub fn unreadable(what: impl std::fmt::Display, e: impl std::fmt::Display) -> Self {
		Self::Unreadable(format!("{what}: {e}"))
	}
}

/// How a submitted batch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
	/// In a finalized block, anchored.
	Anchored { anchor: AnchorId, block: H256 },
	/// In a finalized block, failed with this error.
	Failed(PalletError),
	/// Dropped, invalid or usurped in the pool, or its progress lost with the connection: it
	/// may or may not be on chain; look it up.
	Lost(String),
}

/// A submitted batch, until it ends.
pub type InFlight = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// The chain's limits on a batch, read from its metadata and its weights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainLimits {
	/// `Anchoring.MaxDevicesPerBatch`, or fewer if an anchor of that many would not fit one
	/// extrinsic's weight or length.
	pub max_devices: usize,
	/// `Anchoring.MaxMetrics`.
	pub max_metrics: usize,
	/// `Anchoring.MaxSummariesPerBatch`.
	pub max_summaries: usize,
}

/// What the anchorer needs of the chain (the real one is [`super::Chain`]; tests use doubles).
pub trait AnchorChain: Send + Sync + 'static {
	/// The chain's limits on a batch.
	fn limits(&self) -> impl Future<Output = Result<ChainLimits, ChainError>> + Send;
	/// Whether the chain would take each `(device, first)` range from this gateway now.
	fn check_ranges(
		&self,
		ranges: &[(DeviceId, u64)],
	) -> impl Future<Output = Result<Vec<RangeCheck>, ChainError>> + Send;
	/// The channel each of `devices` has its readings private to, if any, with that channel's
	/// current epoch (`channelsApi.deviceChannels`, then `channelsApi.channel`).
	fn private_devices(
		&self,
		devices: &[DeviceId],
	) -> impl Future<Output = Result<Vec<Option<SealedUnder>>, ChainError>> + Send;
	/// The anchor of this gateway's batch `number`, with its root.
	fn anchor_of(
		&self,
		number: u64,
	) -> impl Future<Output = Result<Option<(AnchorId, H256)>, ChainError>> + Send;
	/// The highest batch number this gateway's account has anchored.
	fn last_batch(&self) -> impl Future<Output = Result<Option<u64>, ChainError>> + Send;
	/// The account's next nonce, counting its transactions in the node's pool.
	fn next_nonce(&self) -> impl Future<Output = Result<u64, ChainError>> + Send;
	/// Sign `head` as an `anchoring.anchor` with `nonce` and hand it to the pool; once the
	/// pool took it, the future that ends with its outcome.
	fn submit(
		&self,
		head: &BatchHead,
		nonce: u64,
	) -> impl Future<Output = Result<InFlight, ChainError>> + Send;
	/// Sign another `call` (one the gateway relays) with `nonce` and hand it to the pool; once
	/// the pool took it, the future that ends with its events in a finalized block.
	fn submit_call(
		&self,
		call: &super::Call,
		nonce: u64,
	) -> impl Future<Output = Result<CallInFlight, ChainError>> + Send;
}

/// The chain as a member gateway of a gateway group sees it (the group module's `Member`).
pub trait GroupChain: Send + Sync + 'static {
	/// The chain's genesis hash.
	fn genesis(&self) -> H256;
	/// Gateway group `group` (`groupsApi.group`).
	fn group(
		&self,
		group: u32,
	) -> impl Future<Output = Result<Option<super::GroupInfo>, ChainError>> + Send;
	/// The highest batch number `gateway` has anchored.
	fn last_batch_of(
		&self,
		gateway: &super::AccountId,
	) -> impl Future<Output = Result<Option<u64>, ChainError>> + Send;
	/// The anchor `gateway` made of its batch `batch`, with its id.
	fn anchor_by_batch(
		&self,
		gateway: &super::AccountId,
		batch: u64,
	) -> impl Future<Output = Result<Option<(AnchorId, super::ChainAnchor)>, ChainError>> + Send;
	/// Whether the chain would take from `gateway` now each `(device, first)` range.
	fn check_ranges_of(
		&self,
		gateway: &super::AccountId,
		ranges: &[(DeviceId, u64)],
	) -> impl Future<Output = Result<Vec<RangeCheck>, ChainError>> + Send;
	/// The number of the latest finalized block, and the chain's block time in ms
	/// (`Timestamp.MinimumPeriod` × 2): the clock every member of a group reads alike.
	fn finalized_number(&self) -> impl Future<Output = Result<(u64, u64), ChainError>> + Send;
	/// Sign `calls` (in a batch if more than one) with the member's account, submit them and
	/// wait until they are finalized: the block, and the events.
	fn submit(
		&self,
		calls: &[super::Call],
	) -> impl Future<Output = Result<(H256, super::Events), SubmitError>> + Send;
}

/// How a relayed call ended: its events (pallet, name, SCALE fields) in a finalized block, or
/// the chain's error.
pub type CallOutcome = Result<Vec<(String, String, Vec<u8>)>, CallFailure>;

/// Why a relayed call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallFailure {
	/// In a finalized block, it failed with this error.
	#[error("{0}")]
	Failed(PalletError),
	/// The pool would not take it, or its progress was lost: it may be tried again.
	#[error("not submitted: {0}")]
	NotSubmitted(String),
}

/// A relayed call, until it ends.
pub type CallInFlight = Pin<Box<dyn Future<Output = CallOutcome> + Send>>;

/// A call the gateway relays for a device, handed to the one submitter of the account's
/// transactions (the anchorer): it owns the account's nonces, so relayed calls and anchors
/// never take the same one.
pub struct Relayed {
	/// The call.
	pub call: super::Call,
	/// Where its outcome goes.
	pub done: tokio::sync::oneshot::Sender<CallOutcome>,
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_pallet_error_is_known_by_its_pallet_and_variant() {
		for e in AnchoringError::ALL {
			let decoded = PalletError::of("Anchoring", e.name());
			assert_eq!(decoded, PalletError::Anchoring(e));
			assert_eq!(decoded.to_string(), format!("Anchoring.{}", e.name()));
		}
		// The same name in another pallet is another error.
		assert_eq!(
			PalletError::of("Obligations", "DeviceNotActive"),
			PalletError::Other { pallet: "Obligations".into(), error: "DeviceNotActive".into() }
		);
		let device_refusals: Vec<_> =
			AnchoringError::ALL.into_iter().filter(|e| e.is_about_a_device()).collect();
		assert_eq!(device_refusals.len(), 4, "the four refusals RangeCheck names");
	}
}
