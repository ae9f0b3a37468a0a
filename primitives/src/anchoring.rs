//! What the anchoring pallet shares with gateways and with other pallets: per-device metric
//! summaries in an anchored batch, threshold rules, and the [`OnAnchored`] hook.

use crate::{device::DeviceId, merkle::MetricId};
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
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
		group: crate::groups::GroupId,
		/// The key epoch it signed in.
		epoch: crate::groups::Epoch,
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

/// Told what each device's readings in an anchored batch showed; the obligations pallet
/// implements it to apply SLA penalties against the terms each obligation fixed at acceptance
/// (never against rules a party may still change).
pub trait OnAnchored<AccountId> {
	/// `gateway` anchored batch `anchor`, in which `device`'s readings spanned `summaries`;
	/// returns the weight used, at most [`OnAnchored::max_weight`].
	fn on_anchored(
		anchor: AnchorId,
		gateway: &AccountId,
		device: &DeviceId,
		summaries: &[MetricSummary],
	) -> Weight;

	/// The most weight one [`OnAnchored::on_anchored`] call may use. The anchoring pallet charges
	/// it up front once per device in a batch and refunds what is not used.
	fn max_weight() -> Weight;
}

impl<AccountId> OnAnchored<AccountId> for () {
	fn on_anchored(_: AnchorId, _: &AccountId, _: &DeviceId, _: &[MetricSummary]) -> Weight {
		Weight::zero()
	}

	fn max_weight() -> Weight {
		Weight::zero()
	}
}
