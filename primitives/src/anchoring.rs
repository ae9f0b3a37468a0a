//! What the anchoring pallet shares with gateways and with other pallets: an anchor (its header
//! and each device's range), the anchor a gateway group signs, per-device metric summaries,
//! threshold rules, the chain's verdicts on a reading and on a range, the [`OnAnchored`] hook
//! and the [`AnchorEvidence`] other pallets check readings through.
//!
//! Each is defined once, here, and used alike by the pallet (which stores the lists as
//! `BoundedVec`s), its runtime API, the gateway, the examples and the fuzzer (which use `Vec`s:
//! the two encode alike).

use crate::{
	device::DeviceId,
	groups::{Epoch, GroupId},
	merkle::{MerkleProof, MetricId, SignedReading},
};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
use sp_core::H256;
use sp_runtime::Weight;

/// An anchored batch's number, as the chain assigns it.
pub type AnchorId = u64;

/// The lowest and highest value of one metric among a device's readings in a batch.
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
pub struct MetricSummary {
	/// The metric.
	pub id: MetricId,
	/// Its lowest value in the batch.
	pub min: i64,
	/// Its highest value in the batch.
	pub max: i64,
}

/// One device's share of a batch: its sequence numbers `first..=last` and, per metric, the lowest
/// and highest value among its readings. `Summaries` holds the summaries: a `Vec` by default, a
/// `BoundedVec` in the pallet's storage and calls.
#[derive(
	Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug,
)]
pub struct DeviceRange<Summaries = Vec<MetricSummary>> {
	/// The device.
	pub device: DeviceId,
	/// Its first sequence number in the batch.
	pub first: u64,
	/// Its last sequence number in the batch.
	pub last: u64,
	/// Min and max of each metric among its readings in the batch.
	pub summaries: Summaries,
}

impl<Summaries: Into<Vec<MetricSummary>>> DeviceRange<Summaries> {
	/// The same range with its summaries in a `Vec`.
	pub fn unbounded(self) -> DeviceRange {
		DeviceRange {
			device: self.device,
			first: self.first,
			last: self.last,
			summaries: self.summaries.into(),
		}
	}
}

/// What an anchor says of its batch besides each device's range: the gateway's number for it,
/// the Merkle root over its readings, how many there are and when they were taken.
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
pub struct AnchorHeader {
	/// The gateway's (or group's) own number for the batch.
	pub batch: u64,
	/// The Merkle root over its readings.
	pub root: H256,
	/// How many readings (leaves) it holds.
	pub reading_count: u32,
	/// The earliest reading's timestamp, Unix ms.
	pub from_ms: u64,
	/// The latest reading's timestamp, Unix ms.
	pub to_ms: u64,
}

/// An anchored batch, as the chain stores it and `AnchoringApi` returns it. `Ranges` holds the
/// devices' ranges: a `Vec` by default, a `BoundedVec` in the pallet's storage.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Anchor<AccountId, BlockNumber, Ranges = Vec<DeviceRange>> {
	/// The gateway that anchored it (for a group's anchor, the group's account).
	pub gateway: AccountId,
	/// Its number, root, size and time span.
	pub header: AnchorHeader,
	/// Each device's range and summaries.
	pub ranges: Ranges,
	/// The block it was anchored in.
	pub anchored_at: BlockNumber,
}

impl<AccountId, BlockNumber, Ranges> Anchor<AccountId, BlockNumber, Ranges> {
	/// The same anchor with its ranges, and their summaries, in `Vec`s.
	pub fn unbounded<Summaries>(self) -> Anchor<AccountId, BlockNumber>
	where
		Ranges: IntoIterator<Item = DeviceRange<Summaries>>,
		Summaries: Into<Vec<MetricSummary>>,
	{
		Anchor {
			gateway: self.gateway,
			header: self.header,
			ranges: self.ranges.into_iter().map(DeviceRange::unbounded).collect(),
			anchored_at: self.anchored_at,
		}
	}
}

/// Everything a gateway group's signature over an anchor vouches for. Its
/// [`GroupAnchor::message`] binds the chain (genesis), the group and its epoch, so a signature
/// made for one chain, group or epoch is worth nothing in another. `Ranges` as in [`Anchor`].
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct GroupAnchor<Ranges = Vec<DeviceRange>> {
	/// The chain's genesis hash.
	pub genesis: H256,
	/// The group.
	pub group: GroupId,
	/// The epoch of the key that signs.
	pub epoch: Epoch,
	/// The group's number for the batch, its root, size and time span.
	pub header: AnchorHeader,
	/// Each device's range and summaries.
	pub ranges: Ranges,
}

/// The prefix that keeps a group anchor's message apart from anything else the key may sign.
pub const GROUP_ANCHOR_DOMAIN: &[u8] = b"iotrust/group-anchor/v1";

impl<Ranges: Encode> GroupAnchor<Ranges> {
	/// The 32 bytes the group signs: BLAKE2-256 of the domain followed by the anchor's SCALE
	/// encoding.
	pub fn message(&self) -> [u8; 32] {
		let mut bytes = Vec::with_capacity(GROUP_ANCHOR_DOMAIN.len() + self.size_hint());
		bytes.extend_from_slice(GROUP_ANCHOR_DOMAIN);
		self.encode_to(&mut bytes);
		sp_io::hashing::blake2_256(&bytes)
	}
}

/// A threshold rule a device's owner sets: the metric must stay within `[min, max]` (either
/// bound optional), e.g. a cold chain's maximum temperature.
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
pub struct ThresholdRule {
	/// The metric the rule watches.
	pub metric: MetricId,
	/// The lowest allowed value, if any.
	pub min: Option<i64>,
	/// The highest allowed value, if any.
	pub max: Option<i64>,
}

impl ThresholdRule {
	/// Whether a batch whose values of this metric span `summary` breaks the rule.
	pub fn is_breached_by(&self, summary: &MetricSummary) -> bool {
		summary.id == self.metric
			&& (self.min.is_some_and(|min| summary.min < min)
				|| self.max.is_some_and(|max| summary.max > max))
	}

	/// Whether one reading's `metrics` break the rule: one of them is the rule's metric and
	/// outside its bounds.
	pub fn is_breached_by_reading(&self, metrics: &[crate::merkle::Metric]) -> bool {
		metrics
			.iter()
			.any(|m| self.is_breached_by(&MetricSummary { id: m.id, min: m.value, max: m.value }))
	}
}

/// A rule broken by an anchored batch.
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
pub struct RuleBreach {
	/// The device whose readings broke it.
	pub device: DeviceId,
	/// The batch that carried them.
	pub anchor: AnchorId,
	/// The rule.
	pub rule: ThresholdRule,
	/// What the batch held of that metric.
	pub observed: MetricSummary,
}

/// Why a reading does or does not check out against an anchor.
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
pub enum ReadingCheck {
	/// The reading is a leaf of the anchor's tree and within its device's anchored range.
	Anchored,
	/// No anchor has that id.
	UnknownAnchor,
	/// The anchor holds no range for the reading's device, or not its sequence number.
	NotInRange,
	/// The proof does not lead from the reading to the anchor's root.
	BadProof,
	/// The reading is in the anchored tree, but its signature is not by the key its device held
	/// when the batch was anchored: the gateway anchored a reading the device did not sign.
	BadSignature,
	/// As [`ReadingCheck::Anchored`], in an anchor that gateway group `group` signed with its key
	/// of `epoch`: no one gateway's word.
	AnchoredByGroup {
		/// The group.
		group: GroupId,
		/// The key epoch it signed in.
		epoch: Epoch,
	},
}

impl ReadingCheck {
	/// Whether the reading checks out, whoever anchored it.
	pub fn is_anchored(&self) -> bool {
		matches!(self, Self::Anchored | Self::AnchoredByGroup { .. })
	}
}

/// Whether the chain would take a range of a device's readings from a gateway now, and if not
/// why: the checks `anchoring.anchor` makes of each device, asked before submitting so that one
/// device the chain refuses does not sink a whole batch.
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
pub enum RangeCheck {
	/// Taken; the chain expects the device's range to start at `expected` or later (a later
	/// start is recorded as a gap).
	Admitted { expected: u64 },
	/// No such device, or it is suspended or revoked.
	DeviceNotActive,
	/// The device is bound to another gateway or to none.
	NotDeviceGateway,
	/// The range starts at or below the device's last anchored sequence number `last`.
	SequenceReplay { last: u64 },
	/// The device's last anchored sequence number is `u64::MAX`: nothing can follow it.
	SequenceExhausted,
}

impl From<crate::device::DeviceRefusal> for RangeCheck {
	fn from(refusal: crate::device::DeviceRefusal) -> Self {
		match refusal {
			crate::device::DeviceRefusal::DeviceNotActive => Self::DeviceNotActive,
			crate::device::DeviceRefusal::NotDeviceGateway => Self::NotDeviceGateway,
		}
	}
}

/// One device's part of an anchored batch, as [`OnAnchored`] hears it.
#[derive(Clone, Copy, Debug)]
pub struct AnchoredRange<'a, AccountId> {
	/// The anchor.
	pub anchor: AnchorId,
	/// Who anchored it: a gateway's account, or a group's.
	pub gateway: &'a AccountId,
	/// The device.
	pub device: &'a DeviceId,
	/// Min and max of each metric among the device's readings in the batch.
	pub summaries: &'a [MetricSummary],
	/// Whether a gateway group signed the batch: its summaries are then the word of the group's
	/// threshold of members, each of which holds the device-signed readings, not one gateway's.
	pub endorsed: bool,
	/// Whether the range skipped sequence numbers: readings the device signed that no anchor
	/// will ever hold (a range may not reach back below the device's last anchored number).
	pub gap: bool,
}

/// Told of each device's part of every anchored batch; the obligations pallet implements it to
/// keep SLAs (a device's readings seen, group-endorsed summaries outside an SLA's bounds, gaps)
/// against the terms each obligation fixed at acceptance (never against rules a party may still
/// change).
pub trait OnAnchored<AccountId> {
	/// `range.gateway` anchored batch `range.anchor`, which holds `range.device`'s readings;
	/// returns the weight used, at most [`OnAnchored::max_weight`].
	fn on_anchored(range: AnchoredRange<'_, AccountId>) -> Weight;

	/// The most weight one [`OnAnchored::on_anchored`] call may use. The anchoring pallet charges
	/// it up front once per device in a batch and refunds what is not used.
	fn max_weight() -> Weight;
}

impl<AccountId> OnAnchored<AccountId> for () {
	fn on_anchored(_: AnchoredRange<'_, AccountId>) -> Weight {
		Weight::zero()
	}

	fn max_weight() -> Weight {
		Weight::zero()
	}
}

/// What the anchoring pallet shows other pallets of anchored readings: the evidence an SLA claim
/// rests on.
pub trait AnchorEvidence {
	/// The block anchor `anchor` was made in, if it exists.
	fn anchored_at(anchor: AnchorId) -> Option<u64>;

	/// Whether `reading` was anchored in `anchor`, as `proof` claims, and signed by the key its
	/// device held then (the anchoring pallet's `check_reading`).
	fn check_reading(
		anchor: AnchorId,
		reading: &SignedReading,
		proof: &MerkleProof,
	) -> ReadingCheck;
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_group_anchors_message_binds_every_field() {
		let anchor = GroupAnchor {
			genesis: H256::repeat_byte(1),
			group: 3,
			epoch: 2,
			header: AnchorHeader {
				batch: 7,
				root: H256::repeat_byte(9),
				reading_count: 10,
				from_ms: 1,
				to_ms: 2,
			},
			ranges: alloc::vec![DeviceRange {
				device: H256::repeat_byte(5),
				first: 0,
				last: 9,
				summaries: alloc::vec![MetricSummary { id: 1, min: -3, max: 4 }],
			}],
		};
		let m = anchor.message();
		let header = |change: fn(&mut AnchorHeader)| {
			let mut h = anchor.header;
			change(&mut h);
			GroupAnchor { header: h, ..anchor.clone() }
		};
		let variants = [
			GroupAnchor { genesis: H256::repeat_byte(2), ..anchor.clone() },
			GroupAnchor { group: 4, ..anchor.clone() },
			GroupAnchor { epoch: 3, ..anchor.clone() },
			header(|h| h.batch = 8),
			header(|h| h.root = H256::repeat_byte(8)),
			header(|h| h.reading_count = 11),
			header(|h| h.from_ms = 0),
			header(|h| h.to_ms = 3),
			GroupAnchor { ranges: alloc::vec![], ..anchor.clone() },
		];
		for v in variants {
			assert_ne!(v.message(), m, "{v:?}");
		}
		// Without the domain it is another message.
		assert_ne!(sp_io::hashing::blake2_256(&anchor.encode()), m);
	}

	#[test]
	fn bounded_and_unbounded_lists_encode_alike() {
		use sp_core::ConstU32;
		use sp_runtime::BoundedVec;
		let summaries = alloc::vec![MetricSummary { id: 1, min: -3, max: 4 }];
		let bounded: DeviceRange<BoundedVec<MetricSummary, ConstU32<4>>> = DeviceRange {
			device: H256::repeat_byte(5),
			first: 2,
			last: 9,
			summaries: summaries.clone().try_into().unwrap(),
		};
		let ranges: BoundedVec<_, ConstU32<2>> = alloc::vec![bounded.clone()].try_into().unwrap();
		let anchor = Anchor {
			gateway: [7u8; 32],
			header: AnchorHeader {
				batch: 1,
				root: H256::repeat_byte(9),
				reading_count: 8,
				from_ms: 1,
				to_ms: 2,
			},
			ranges,
			anchored_at: 12u32,
		};
		assert_eq!(bounded.encode(), bounded.clone().unbounded().encode());
		assert_eq!(anchor.encode(), anchor.clone().unbounded().encode());
		assert_eq!(anchor.clone().unbounded().ranges[0].summaries, summaries);
	}
}
