//! What the pallet stores: obligations, their terms and status, and pages of them for clients.

use crate::{BalanceOf, Config};
use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use frame_system::pallet_prelude::BlockNumberFor;
use iotrust_primitives::{anchoring::AnchorId, device::DeviceId, merkle::MetricId};
use sp_core::H256;
use sp_runtime::traits::{Saturating, Zero};

/// An obligation's number, as the chain assigns it.
pub type ObligationId = u64;

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
pub enum Status {
	/// Owed, not yet paid in full.
	Pending,
	/// Paid in full (or its SLA penalties left nothing to pay).
	Fulfilled,
	/// Not paid by its due block plus the grace period.
	Defaulted,
	/// Forgiven by the provider.
	Cancelled,
}

/// Which side of its obligations a stream shows.
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
pub enum Side {
	/// What the account is owed.
	Provider,
	/// What the account owes.
	Consumer,
}

/// A service-level agreement an obligation is bound to: a breach of the threshold rule on
/// `metric` of `device`, anchored while the obligation is pending and not yet due, cuts the
/// amount owed by [`Config::SlaPenalty`].
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
pub struct Sla {
	/// The device whose readings measure the service: the obligation's provider or consumer
	/// device.
	pub device: DeviceId,
	/// The metric of that device's threshold rule.
	pub metric: MetricId,
}

/// What a consumer (or its device) asks the chain to record as owed.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct Terms<T: Config> {
	/// Who is owed.
	pub provider: T::AccountId,
	/// How much, in the native token.
	pub amount: BalanceOf<T>,
	/// A hash identifying the service (e.g. of an off-chain order or session record).
	pub service_hash: H256,
	/// A short human-readable note.
	pub note: BoundedVec<u8, T::MaxNoteLen>,
	/// Blocks from creation until payment is due.
	pub due_in: BlockNumberFor<T>,
	/// The provider's device that serves, if any (e.g. the charging station).
	pub provider_device: Option<DeviceId>,
	/// The SLA the service is held to, if any.
	pub sla: Option<Sla>,
}

/// An obligation: what `consumer` owes `provider` for one service.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	CloneNoBound,
	PartialEqNoBound,
	EqNoBound,
	DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct Obligation<T: Config> {
	/// Who owes.
	pub consumer: T::AccountId,
	/// Who is owed.
	pub provider: T::AccountId,
	/// The amount agreed at creation.
	pub amount: BalanceOf<T>,
	/// Paid so far.
	pub paid: BalanceOf<T>,
	/// Taken off the amount by SLA breaches.
	pub penalty: BalanceOf<T>,
	/// How many SLA breaches cut the amount.
	pub breaches: u32,
	/// The anchor of the last breach that cut it (a breach counts once).
	pub last_breach: Option<AnchorId>,
	/// A hash identifying the service.
	pub service_hash: H256,
	/// A short note.
	pub note: BoundedVec<u8, T::MaxNoteLen>,
	/// The block it was created in.
	pub created: BlockNumberFor<T>,
	/// The block by which it is to be paid.
	pub due: BlockNumberFor<T>,
	/// The consumer's device that asked for the service, if any.
	pub consumer_device: Option<DeviceId>,
	/// The provider's device that served, if any.
	pub provider_device: Option<DeviceId>,
	/// The SLA, if any.
	pub sla: Option<Sla>,
	/// Where it stands.
	pub status: Status,
	/// When it stopped being pending, if it has.
	pub closed_at: Option<BlockNumberFor<T>>,
}

impl<T: Config> Obligation<T> {
	/// What is owed in all: the amount less SLA penalties.
	pub fn owed(&self) -> BalanceOf<T> {
		self.amount.saturating_sub(self.penalty)
	}

	/// What is still to pay (zero once it is no longer pending).
	pub fn remaining(&self) -> BalanceOf<T> {
		if self.status == Status::Pending {
			self.owed().saturating_sub(self.paid)
		} else {
			Zero::zero()
		}
	}
}

/// A page of obligations for a client, oldest first. `next` is where to continue
/// (`start_after`) if the scan stopped before the end of the stream.
#[derive(Encode, Decode, TypeInfo, CloneNoBound, PartialEqNoBound, DebugNoBound)]
#[scale_info(skip_type_params(T))]
pub struct Page<T: Config> {
	/// The obligations found, with their ids.
	pub items: Vec<(ObligationId, Obligation<T>)>,
	/// The id to pass as `start_after` for the next page, if there may be more.
	pub next: Option<ObligationId>,
}
