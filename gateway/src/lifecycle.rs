//! The life of a reading, as plain rules over plain data: what becomes of a reading offered to
//! the gateway, what the chain's judgement of a device's run (its readings in a batch, in
//! sequence order) means for its readings, when a
//! device is held out of batches and when it is let go, and whose batch an anchor from this
//! gateway's account is. The store persists what these rules decide, in one
//! transaction each; the anchorer logs and counts it. Nothing here reads a database,
//! the chain or the clock, so every rule is tested on its own below.
//!
//! A reading the gateway accepted is **pending** (waiting for a batch), **batched** (in a stored
//! batch) or **set aside** (the chain would not take it, with the reason). A device the chain
//! would not take readings of at all is **held**: its readings wait aside, new ones join them,
//! and it is let go once the chain would take them again.

use codec::{Decode, Encode};
use iotrust_primitives::{anchoring::RangeCheck, merkle::SignedReading};
use sp_core::H256;

/// What became of a reading offered to the gateway.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Accepted {
	/// Stored.
	New,
	/// Already stored, byte for byte (an MQTT redelivery): nothing to do.
	Duplicate,
	/// A different reading with a sequence number at or below the device's highest accepted one.
	Replayed { last: u64 },
	/// Stored, but set aside at once with the other readings of its device, which is held out
	/// of batches for this reason.
	SetAside(AsideReason),
	/// Not stored: its device is held and already has [`MAX_ASIDE_PER_DEVICE`] readings set
	/// aside, its share of the disk, until the chain takes them again or its owner lets them
	/// go.
	Full,
}

/// The most readings one device may have set aside (about 70 MB of disk): a device held out of
/// batches (the chain would not take its readings) that kept sending would otherwise fill the
/// gateway's disk. Its readings that wait for a batch are bounded by its rate (`device_rate`).
pub const MAX_ASIDE_PER_DEVICE: u64 = 100_000;

/// Reading `seq` of a device offered, where the device's highest accepted reading is `last`.
/// `same` says whether the reading stored under `seq` is this one byte for byte, and is asked
/// only of a reading at or below `last`; `held` says why the device is held, if it is, and how
/// many of its readings are set aside, and is asked only of a reading above it.
pub fn offered<E>(
	seq: u64,
	last: Option<u64>,
	same: impl FnOnce() -> Result<bool, E>,
	held: impl FnOnce() -> Result<Option<(AsideReason, u64)>, E>,
) -> Result<Accepted, E> {
	Ok(match last.filter(|last| seq <= *last) {
		Some(last) => {
			if same()? {
				Accepted::Duplicate
			} else {
				Accepted::Replayed { last }
			}
		},
		None => match held()? {
			None => Accepted::New,
			Some((_, aside)) if aside >= MAX_ASIDE_PER_DEVICE => Accepted::Full,
			Some((reason, _)) => Accepted::SetAside(reason),
		},
	})
}

/// Why readings were set aside: the chain would not take them from this gateway. Stored with
/// each set-aside reading (its encoding is the database's).
#[derive(Encode, Decode, Clone, Copy, PartialEq, Eq, Debug)]
pub enum AsideReason {
	/// The device is suspended, revoked or gone. Its readings wait: should it be resumed, they
	/// are queued again.
	DeviceNotActive,
	/// The device is bound to another gateway or to none. Its readings wait: should it be bound
	/// here again, they are queued again.
	NotDeviceGateway,
	/// The chain already has the device's readings up to `last` (from another gateway, or reset
	/// by its owner): these can never be anchored.
	SequenceReplay { last: u64 },
	/// The device's sequence on chain is exhausted (its last anchored reading is `u64::MAX`):
	/// nothing can follow it until its owner resets it (`anchoring.resetSequence`).
	SequenceExhausted,
}

impl AsideReason {
	/// Why the chain would not take a device's run it judged `check`; `None` if it would.
	pub fn of(check: RangeCheck) -> Option<Self> {
		match check {
			RangeCheck::Admitted { .. } => None,
			RangeCheck::DeviceNotActive => Some(Self::DeviceNotActive),
			RangeCheck::NotDeviceGateway => Some(Self::NotDeviceGateway),
			RangeCheck::SequenceReplay { last } => Some(Self::SequenceReplay { last }),
			RangeCheck::SequenceExhausted => Some(Self::SequenceExhausted),
		}
	}

	/// The readings below `from` of a device whose readings from `from` on the chain would take.
	pub fn replayed_below(from: u64) -> Self {
		Self::SequenceReplay { last: from.saturating_sub(1) }
	}

	/// Whether the device's readings must wait (the device is held out of batches) until the
	/// chain would take them again; a replay only sets the replayed readings aside.
	pub fn holds_device(self) -> bool {
		matches!(self, Self::DeviceNotActive | Self::NotDeviceGateway | Self::SequenceExhausted)
	}

	/// Whether reading `seq` of a device is one the chain will not take for this reason: every
	/// reading, but for a replay only those up to what the chain has.
	pub fn covers(self, seq: u64) -> bool {
		match self {
			Self::SequenceReplay { last } => seq <= last,
			_ => true,
		}
	}

	/// How many of a device's readings `first..=last` it [`covers`](Self::covers).
	pub fn count_in(self, first: u64, last: u64) -> u64 {
		let last = match self {
			Self::SequenceReplay { last: theirs } => last.min(theirs),
			_ => last,
		};
		if last < first {
			0
		} else {
			(last - first).saturating_add(1)
		}
	}

	/// Its name in listings, metrics and the log.
	pub fn name(self) -> &'static str {
		match self {
			Self::DeviceNotActive => "device_not_active",
			Self::NotDeviceGateway => "not_device_gateway",
			Self::SequenceReplay { .. } => "sequence_replay",
			Self::SequenceExhausted => "sequence_exhausted",
		}
	}
}

/// A reading set aside, with why and when.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct AsideReading {
	/// The reading.
	pub reading: SignedReading,
	/// Why.
	pub reason: AsideReason,
	/// When, Unix ms.
	pub at_ms: u64,
}

/// A device with readings set aside.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct AsideDevice {
	/// The latest reason.
	pub reason: AsideReason,
	/// How many of its readings are set aside.
	pub count: u64,
	/// Whether it is held out of batches until the chain would take its readings again.
	pub held: bool,
	/// When its readings were last set aside, Unix ms.
	pub since_ms: u64,
}

impl AsideDevice {
	/// The device's record once `added` more of its readings are set aside for `reason` at
	/// `now_ms`, after `before`: a device once held stays held until it is let go.
	pub fn after(before: Option<&Self>, reason: AsideReason, added: u64, now_ms: u64) -> Self {
		Self {
			reason,
			count: before.map_or(0, |b| b.count).saturating_add(added),
			held: reason.holds_device() || before.is_some_and(|b| b.held),
			since_ms: now_ms,
		}
	}
}

/// A device let go from `from` on (the chain would take its readings from there again): what
/// becomes of one of its set-aside readings.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LetGo {
	/// Back to pending: it was waiting, and the chain would take it now.
	Requeue,
	/// Stays aside, now as a replay of what the chain has (it was waiting below `from`).
	Replayed(AsideReason),
	/// Stays aside as it was (a replay already).
	Stays,
}

impl LetGo {
	/// What becomes of reading `seq`, set aside for `reason`, when its device is let go from
	/// `from`.
	pub fn of(reason: AsideReason, seq: u64, from: u64) -> Self {
		match (reason.holds_device(), seq >= from) {
			(true, true) => Self::Requeue,
			(true, false) => Self::Replayed(AsideReason::replayed_below(from)),
			(false, _) => Self::Stays,
		}
	}
}

/// What the chain said of one device's run in a proposed batch.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Verdict {
	/// Its readings from `from` on may be anchored; any below are replays (set aside).
	Admit { from: u64 },
	/// None may: set them aside.
	Aside(AsideReason),
}

/// A device's run of readings sorted by its [`Verdict`].
#[derive(Debug, PartialEq, Eq)]
pub struct Sorted<'a> {
	/// What goes in the batch.
	pub keep: Vec<&'a SignedReading>,
	/// What is set aside.
	pub aside: Vec<&'a SignedReading>,
	/// Why, if anything is.
	pub reason: Option<AsideReason>,
	/// Whether the device is held from now on (its other pending readings set aside too).
	pub hold: Option<AsideReason>,
}

impl Verdict {
	/// What to do with a run whose device the chain judged `check`.
	pub fn of(check: RangeCheck) -> Self {
		match check {
			RangeCheck::Admitted { .. } => Self::Admit { from: 0 },
			// The readings above `last` may still go; those at or below it never can.
			RangeCheck::SequenceReplay { last } => Self::Admit { from: last.saturating_add(1) },
			other => Self::Aside(AsideReason::of(other).unwrap_or(AsideReason::DeviceNotActive)),
		}
	}

	/// `run` (one device's readings, in sequence order) sorted by this verdict.
	pub fn sort<'a>(self, run: impl IntoIterator<Item = &'a SignedReading>) -> Sorted<'a> {
		match self {
			Self::Admit { from } => {
				let (aside, keep): (Vec<_>, Vec<_>) = run.into_iter().partition(|r| r.seq < from);
				let reason = (!aside.is_empty()).then(|| AsideReason::replayed_below(from));
				Sorted { keep, aside, reason, hold: None }
			},
			Self::Aside(reason) => Sorted {
				keep: vec![],
				aside: run.into_iter().collect(),
				reason: Some(reason),
				hold: reason.holds_device().then_some(reason),
			},
		}
	}
}

/// Whose batch an anchor from this gateway's account is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
	/// This database built it, with that root.
	Ours,
	/// Numbered below this database's first batch: built before it (by the database it
	/// replaces), so no sign of another gateway.
	Earlier,
	/// Not built here under that number and root: another gateway anchors with this account.
	Foreign {
		/// The root this database built under that number, if it built one.
		ours: Option<H256>,
	},
}

impl Origin {
	/// An anchor of batch `number` with `root`, where this database built `built` (the root it
	/// built under that number, if any) and numbered its first batch `first`.
	pub fn of(number: u64, root: &H256, built: Option<H256>, first: u64) -> Self {
		match built {
			Some(ours) if ours == *root => Self::Ours,
			Some(ours) => Self::Foreign { ours: Some(ours) },
			None if number < first => Self::Earlier,
			None => Self::Foreign { ours: None },
		}
	}
}

#[cfg(test)]
pub(crate) mod tests {
	use super::*;
	use iotrust_primitives::{device::DeviceSignature, merkle::Metric};

	/// A reading of device `[device; 32]` numbered `seq`, one metric, a placeholder signature.
	pub(crate) fn reading(device: u8, seq: u64, value: i64) -> SignedReading {
		SignedReading {
			device: H256([device; 32]),
			seq,
			timestamp_ms: seq,
			metrics: vec![Metric { id: 1, value }],
			signature: DeviceSignature::Ed25519([device; 64]),
		}
	}

	#[test]
	fn a_reading_is_new_a_redelivery_or_a_replay() {
		type Answer<T> = Result<T, &'static str>;
		let never_compared = || -> Answer<bool> { panic!("a fresh reading is never compared") };
		let never_held =
			|| -> Answer<Option<(AsideReason, u64)>> { panic!("a replay's device is not asked") };
		let free = || -> Answer<Option<(AsideReason, u64)>> { Ok(None) };
		assert_eq!(offered(0, None, never_compared, free), Ok(Accepted::New));
		assert_eq!(offered(5, Some(4), never_compared, free), Ok(Accepted::New));
		assert_eq!(offered(4, Some(4), || Ok(true), never_held), Ok(Accepted::Duplicate));
		assert_eq!(
			offered(3, Some(4), || Ok(false), never_held),
			Ok(Accepted::Replayed { last: 4 })
		);
		// A held device's new readings join the others aside, up to its share of the disk.
		let held = |n| {
			move || -> Answer<Option<(AsideReason, u64)>> {
				Ok(Some((AsideReason::NotDeviceGateway, n)))
			}
		};
		assert_eq!(
			offered(5, Some(4), never_compared, held(MAX_ASIDE_PER_DEVICE - 1)),
			Ok(Accepted::SetAside(AsideReason::NotDeviceGateway))
		);
		assert_eq!(
			offered(5, Some(4), never_compared, held(MAX_ASIDE_PER_DEVICE)),
			Ok(Accepted::Full)
		);
		assert_eq!(offered(2, Some(4), || Err("db"), never_held), Err("db"));
		assert_eq!(offered(5, Some(4), never_compared, || Err("db")), Err("db"));
	}

	#[test]
	fn every_refusal_of_the_chain_has_a_reason_and_only_a_replay_lets_the_device_go_on() {
		for (check, reason, holds) in [
			(RangeCheck::DeviceNotActive, AsideReason::DeviceNotActive, true),
			(RangeCheck::NotDeviceGateway, AsideReason::NotDeviceGateway, true),
			(RangeCheck::SequenceExhausted, AsideReason::SequenceExhausted, true),
			(
				RangeCheck::SequenceReplay { last: 7 },
				AsideReason::SequenceReplay { last: 7 },
				false,
			),
		] {
			assert_eq!(AsideReason::of(check), Some(reason));
			assert_eq!(reason.holds_device(), holds, "{reason:?}");
		}
		assert_eq!(AsideReason::of(RangeCheck::Admitted { expected: 3 }), None);
		assert!(AsideReason::SequenceReplay { last: 7 }.covers(7));
		assert!(!AsideReason::SequenceReplay { last: 7 }.covers(8));
		assert!(AsideReason::DeviceNotActive.covers(u64::MAX));
		assert_eq!(AsideReason::replayed_below(0), AsideReason::SequenceReplay { last: 0 });
		// Of readings 3..=9, a replay of what the chain has up to 5 covers 3, 4 and 5.
		assert_eq!(AsideReason::SequenceReplay { last: 5 }.count_in(3, 9), 3);
		assert_eq!(AsideReason::SequenceReplay { last: 2 }.count_in(3, 9), 0);
		assert_eq!(AsideReason::NotDeviceGateway.count_in(3, 9), 7);
	}

	#[test]
	fn a_run_is_sorted_by_the_chains_verdict() {
		let run: Vec<_> = (3..7).map(|seq| reading(1, seq, 0)).collect();
		let all: Vec<_> = run.iter().collect();

		let admitted = Verdict::of(RangeCheck::Admitted { expected: 3 }).sort(&run);
		assert_eq!(admitted, Sorted { keep: all.clone(), aside: vec![], reason: None, hold: None });

		// The chain has up to 4: 3 and 4 are replays, 5 and 6 still go.
		let verdict = Verdict::of(RangeCheck::SequenceReplay { last: 4 });
		assert_eq!(verdict, Verdict::Admit { from: 5 });
		let replayed = verdict.sort(&run);
		assert_eq!(replayed.keep, all[2..].to_vec());
		assert_eq!(replayed.aside, all[..2].to_vec());
		assert_eq!(replayed.reason, Some(AsideReason::SequenceReplay { last: 4 }));
		assert_eq!(replayed.hold, None);

		let gone = Verdict::of(RangeCheck::NotDeviceGateway).sort(&run);
		assert_eq!(
			gone,
			Sorted {
				keep: vec![],
				aside: all,
				reason: Some(AsideReason::NotDeviceGateway),
				hold: Some(AsideReason::NotDeviceGateway),
			}
		);
	}

	#[test]
	fn a_held_device_stays_held_until_it_is_let_go() {
		let first = AsideDevice::after(None, AsideReason::SequenceReplay { last: 2 }, 3, 10);
		assert_eq!((first.count, first.held), (3, false));
		let held = AsideDevice::after(Some(&first), AsideReason::DeviceNotActive, 2, 20);
		assert_eq!((held.count, held.held, held.since_ms), (5, true, 20));
		// A replay after it does not let it go.
		let still = AsideDevice::after(Some(&held), AsideReason::SequenceReplay { last: 9 }, 1, 30);
		assert_eq!((still.count, still.held, still.reason.name()), (6, true, "sequence_replay"));

		// Let go from 5: what waited from 5 on goes back; what waited below is a replay now;
		// a replay stays one.
		assert_eq!(LetGo::of(AsideReason::DeviceNotActive, 5, 5), LetGo::Requeue);
		assert_eq!(
			LetGo::of(AsideReason::NotDeviceGateway, 4, 5),
			LetGo::Replayed(AsideReason::SequenceReplay { last: 4 })
		);
		assert_eq!(LetGo::of(AsideReason::SequenceReplay { last: 2 }, 9, 5), LetGo::Stays);
	}

	#[test]
	fn an_anchor_from_this_account_is_ours_earlier_or_another_gateways() {
		let (root, other) = (H256([1; 32]), H256([2; 32]));
		assert_eq!(Origin::of(7, &root, Some(root), 0), Origin::Ours);
		assert_eq!(Origin::of(7, &root, Some(other), 0), Origin::Foreign { ours: Some(other) });
		// Never built here: below this database's first batch it came before this database.
		assert_eq!(Origin::of(3, &root, None, 5), Origin::Earlier);
		assert_eq!(Origin::of(5, &root, None, 5), Origin::Foreign { ours: None });
	}
}
