//! The anchorer's decisions, as plain code over plain data: when to cut a batch, under which
//! limits, what to do once a submitted batch ended, and what a batch found on chain under its
//! number means. The anchorer ([`super::Anchorer`]) asks these and does what they say; nothing
//! here talks to the chain or the database, so each decision is tested on its own below.

use crate::{
	batch::Limits,
	chain::port::{AnchoringError, ChainError, ChainLimits, Outcome, PalletError, PoolRefusal},
	lifecycle::Origin,
};
use iotrust_primitives::anchoring::AnchorId;
use sp_core::H256;
use std::time::Duration;

/// The limits batches are planned against: the operator's (`max_devices`, `max_readings`)
/// within the chain's.
pub fn limits(max_devices: usize, max_readings: usize, chain: ChainLimits) -> Limits {
	Limits {
		max_devices: max_devices.min(chain.max_devices).max(1),
		max_readings: max_readings.max(1),
		max_metrics: chain.max_metrics,
		max_summaries: chain.max_summaries,
	}
}

/// Whether to cut batches now, with `pending` readings waiting (in flight or not) and `queued`
/// devices whose readings a batch may take now, for `waited` since the last cut (or since the
/// anchorer found readings pending): once a batch would be full, by readings or by devices (a
/// fleet of many slow devices fills batches by devices long before it fills them by readings),
/// or once they have waited a `window`.
pub fn time_to_cut(
	pending: u64,
	queued: u64,
	limits: &Limits,
	waited: Duration,
	window: Duration,
) -> bool {
	pending > 0
		&& (pending >= limits.max_readings as u64
			|| queued >= limits.max_devices as u64
			|| waited >= window)
}

/// The limits after a batch of `devices` devices and `readings` readings could never fit a
/// block: half of each, at least one.
pub fn smaller(limits: Limits, devices: usize, readings: usize) -> Limits {
	Limits { max_devices: (devices / 2).max(1), max_readings: (readings / 2).max(1), ..limits }
}

/// What to do once a submitted batch ended. To settle a batch is to record in the database how it
/// ended: anchored (its readings provable), or refused (its readings set aside or back in the
/// queue).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
	/// It is anchored: settle it.
	Settle { anchor: AnchorId, block: H256 },
	/// It may or may not be on chain (its progress was lost, or the chain says its number is
	/// taken): look it up, and submit it again if it is not there. `fresh_nonce`: ask for the
	/// account's nonce again first (the lost transaction's may be free).
	LookUp { fresh_nonce: bool },
	/// The chain refused it in a block: settle it as refused, setting aside the readings of the
	/// devices it was refused for if the error is about a device (`ask_why`), or else reading
	/// the chain's limits again (they may have changed with an upgrade).
	Refused { error: PalletError, ask_why: bool },
	/// The pool would never take it (it cannot fit a block): settle it as refused, its readings
	/// back in the queue, and plan smaller batches.
	Split,
	/// The pool did not take it now: pause, and submit it again. `cannot_pay`: the account
	/// cannot pay the fee (the operator must fund it).
	Retry { cannot_pay: bool },
}

impl Next {
	/// What to do with a batch whose submission `ended` so: the pool did not take it
	/// (`Err`), or it reached an [`Outcome`].
	pub fn after(ended: Result<Outcome, ChainError>) -> Self {
		match ended {
			Ok(Outcome::Anchored { anchor, block }) => Self::Settle { anchor, block },
			Ok(Outcome::Failed(PalletError::Anchoring(AnchoringError::BatchAlreadyAnchored))) => {
				Self::LookUp { fresh_nonce: false }
			},
			Ok(Outcome::Failed(error)) => {
				let ask_why = matches!(error, PalletError::Anchoring(e) if e.is_about_a_device());
				Self::Refused { error, ask_why }
			},
			Ok(Outcome::Lost(_)) => Self::LookUp { fresh_nonce: true },
			Err(ChainError::Refused(PoolRefusal::TooBig)) => Self::Split,
			Err(ChainError::Refused(PoolRefusal::CannotPay)) => Self::Retry { cannot_pay: true },
			Err(_) => Self::Retry { cannot_pay: false },
		}
	}
}

/// What the chain holds under one of this gateway's batch numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
	/// This batch, anchored as `anchor`.
	Ours(AnchorId),
	/// Another batch with root `theirs`: another gateway anchors with this account.
	Theirs(H256),
	/// Nothing yet.
	Absent,
}

impl Found {
	/// The chain's anchor under our batch's number (`on_chain`: its id and root), for our batch
	/// with root `ours`: whose it is, by the rule of [`Origin::of`].
	pub fn of(on_chain: Option<(AnchorId, H256)>, ours: &H256) -> Self {
		let Some((anchor, root)) = on_chain else { return Self::Absent };
		// This database built the batch, so it is never `Earlier`.
		match Origin::of(0, &root, Some(*ours), 0) {
			Origin::Ours => Self::Ours(anchor),
			Origin::Foreign { .. } | Origin::Earlier => Self::Theirs(root),
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	const CHAIN: ChainLimits = ChainLimits { max_devices: 50, max_metrics: 8, max_summaries: 400 };

	#[test]
	fn the_operators_limits_apply_within_the_chains() {
		let l = limits(100, 500, CHAIN);
		assert_eq!(
			(l.max_devices, l.max_readings, l.max_metrics, l.max_summaries),
			(50, 500, 8, 400)
		);
		let l = limits(0, 0, CHAIN);
		assert_eq!((l.max_devices, l.max_readings), (1, 1), "never an empty batch");
		let s = smaller(limits(50, 500, CHAIN), 40, 300);
		assert_eq!((s.max_devices, s.max_readings, s.max_metrics), (20, 150, 8));
		assert_eq!(smaller(s, 1, 1).max_devices, 1);
	}

	#[test]
	fn a_batch_is_cut_once_full_by_readings_or_devices_or_once_its_oldest_reading_waited() {
		let l = limits(10, 100, CHAIN);
		let window = Duration::from_millis(500);
		let short = Duration::from_millis(10);
		assert!(!time_to_cut(0, 0, &l, window * 2, window), "nothing to cut");
		assert!(!time_to_cut(99, 9, &l, short, window), "neither full nor old");
		assert!(time_to_cut(100, 1, &l, short, window), "full by readings");
		assert!(time_to_cut(10, 10, &l, short, window), "full by devices");
		assert!(time_to_cut(1, 1, &l, window, window), "waited a window");
	}

	#[test]
	fn each_end_of_a_submission_has_its_next_step() {
		let block = H256([3; 32]);
		assert_eq!(
			Next::after(Ok(Outcome::Anchored { anchor: 7, block })),
			Next::Settle { anchor: 7, block }
		);
		// Its number taken: ours from before (a restart), or a fork; look, do not resubmit.
		assert_eq!(
			Next::after(Ok(Outcome::Failed(PalletError::Anchoring(
				AnchoringError::BatchAlreadyAnchored
			)))),
			Next::LookUp { fresh_nonce: false }
		);
		assert_eq!(
			Next::after(Ok(Outcome::Lost("gone".into()))),
			Next::LookUp { fresh_nonce: true }
		);
		// A device's refusal: find which devices; anything else: the limits may have changed.
		let not_active = PalletError::Anchoring(AnchoringError::DeviceNotActive);
		assert!(AnchoringError::DeviceNotActive.is_about_a_device());
		assert_eq!(
			Next::after(Ok(Outcome::Failed(not_active.clone()))),
			Next::Refused { error: not_active, ask_why: true }
		);
		let other =
			PalletError::Other { pallet: "Anchoring".into(), error: "TooManyDevices".into() };
		assert_eq!(
			Next::after(Ok(Outcome::Failed(other.clone()))),
			Next::Refused { error: other, ask_why: false }
		);
		// The pool's refusals.
		assert_eq!(Next::after(Err(ChainError::Refused(PoolRefusal::TooBig))), Next::Split);
		assert_eq!(
			Next::after(Err(ChainError::Refused(PoolRefusal::CannotPay))),
			Next::Retry { cannot_pay: true }
		);
		assert_eq!(
			Next::after(Err(ChainError::Refused(PoolRefusal::Nonce))),
			Next::Retry { cannot_pay: false }
		);
	}

	#[test]
	fn a_batch_found_under_our_number_is_ours_only_with_our_root() {
		let (ours, theirs) = (H256([1; 32]), H256([2; 32]));
		assert_eq!(Found::of(Some((4, ours)), &ours), Found::Ours(4));
		assert_eq!(Found::of(Some((4, theirs)), &ours), Found::Theirs(theirs));
		assert_eq!(Found::of(None, &ours), Found::Absent);
	}
}
