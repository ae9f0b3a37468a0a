//! What the anchoring pallet shares with gateways and with other pallets: per-device metric
//! summaries in an anchored batch, threshold rules, and the [`OnRuleBreach`] hook.

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

/// Called for every rule an anchored batch breaks; the obligations pallet implements it for SLA
/// penalties.
pub trait OnRuleBreach {
	/// React to `breach`; returns the weight used, at most [`OnRuleBreach::max_weight`].
	fn on_rule_breach(breach: &RuleBreach) -> Weight;

	/// The most weight one [`OnRuleBreach::on_rule_breach`] call may use. The anchoring pallet
	/// charges it up front once per metric summary in a batch (each can break at most one rule)
	/// and refunds what is not used.
	fn max_weight() -> Weight;
}

impl OnRuleBreach for () {
	fn on_rule_breach(_breach: &RuleBreach) -> Weight {
		Weight::zero()
	}

	fn max_weight() -> Weight {
		Weight::zero()
	}
}
