//! What the pallet stores: providers' offers, obligations, their terms and status, and pages of
//! them for clients.

use crate::{BalanceOf, Config};
use alloc::vec::Vec;
use frame_support::{pallet_prelude::*, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use frame_system::pallet_prelude::BlockNumberFor;
use iotrust_primitives::{anchoring::AnchorId, device::DeviceId};
use sp_core::H256;
use sp_runtime::traits::{Saturating, Zero};

pub use iotrust_primitives::obligations::{
	Breach, ObligationId, ObligationRequest, ObligationStatus as Status, OfferId, Sla,
};

/// An SLA with this runtime's block numbers.
pub type SlaOf<T> = Sla<BlockNumberFor<T>>;

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

/// What a provider accepts, stated once: any request that matches is accepted at once.
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
pub struct OfferTerms<T: Config> {
	/// A hash identifying the service (e.g. of a tariff or a service description).
	pub service_hash: H256,
	/// The least one obligation may be for: the price of the service (at least the chain's
	/// [`Config::MinAmount`]).
	pub min_amount: BalanceOf<T>,
	/// The most one obligation may be for.
	pub max_amount: BalanceOf<T>,
	/// Blocks from acceptance until payment is due.
	pub due_in: BlockNumberFor<T>,
	/// The lowest reputation score (0 to 1000) a consumer must have.
	pub min_score: u32,
	/// The provider's device that serves, if any (e.g. the charging station, the reefer).
	pub device: Option<DeviceId>,
	/// The SLA the service is held to, if any: bounds on one metric of `device`'s readings and
	/// the longest the device may go unobserved. Each breach the chain can check during the
	/// term (see the pallet's SLA section) cuts what is owed by [`Config::SlaPenalty`] of the
	/// amount; accepting an obligation under it holds [`Config::SlaBond`] of the amount from
	/// the consumer.
	pub sla: Option<SlaOf<T>>,
	/// The only consumers it accepts; empty: any that meets `min_score`.
	pub consumers: BoundedVec<T::AccountId, T::MaxNamedConsumers>,
}

/// A provider's standing offer.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct Offer<T: Config> {
	/// Who is offering.
	pub provider: T::AccountId,
	/// What it accepts.
	pub terms: OfferTerms<T>,
	/// Held from the provider while the offer stands.
	pub deposit: BalanceOf<T>,
}

/// What a consumer (or its device) asks for under an offer, as the pallet takes it.
pub type Request<T> = ObligationRequest<BalanceOf<T>, BoundedVec<u8, <T as Config>::MaxNoteLen>>;

/// An obligation: what `consumer` owes `provider` for one service, on the terms of the offer
/// as they stood when it was accepted.
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
	/// The offer it was accepted under.
	pub offer: OfferId,
	/// The amount agreed.
	pub amount: BalanceOf<T>,
	/// Paid so far.
	pub paid: BalanceOf<T>,
	/// Taken off the amount by SLA breaches.
	pub penalty: BalanceOf<T>,
	/// How many SLA breaches cut the amount.
	pub breaches: u32,
	/// The anchor of the last breach found in an anchor that cut it.
	pub last_breach: Option<AnchorId>,
	/// Every anchor a breach was counted from: each counts once, claimed in any order.
	pub counted: BoundedVec<AnchorId, T::MaxBreaches>,
	/// The block up to which the serving device's silence has been judged: a silence breach
	/// runs from here (or from the device's last anchor, if later). At first, `created`.
	pub silent_until: BlockNumberFor<T>,
	/// Credit fees the consumer burned paying it.
	pub credit_fee: BalanceOf<T>,
	/// The offer's service hash.
	pub service_hash: H256,
	/// The request's note.
	pub note: BoundedVec<u8, T::MaxNoteLen>,
	/// The block it was accepted in.
	pub created: BlockNumberFor<T>,
	/// The block by which it is to be paid.
	pub due: BlockNumberFor<T>,
	/// The consumer's device that asked for the service, if any.
	pub consumer_device: Option<DeviceId>,
	/// The provider's device that serves, if any.
	pub provider_device: Option<DeviceId>,
	/// The SLA on `provider_device`, copied from the offer at acceptance.
	pub sla: Option<SlaOf<T>>,
	/// Held from the consumer until the obligation is archived.
	pub deposit: BalanceOf<T>,
	/// Held from the consumer while it is pending, for an SLA obligation: back to the consumer
	/// when paid or forfeited; to the provider (up to what was not paid) when it defaults or the
	/// provider cancels it.
	pub bond: BalanceOf<T>,
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

/// An obligation as the runtime API returns it, with this runtime's types.
pub type ObligationInfoOf<T> = pallet_obligations_runtime_api::ObligationInfo<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;

/// A page of a stream as the runtime API returns it.
pub type PageInfoOf<T> = pallet_obligations_runtime_api::Page<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;

/// An offer as the runtime API returns it.
pub type OfferInfoOf<T> = pallet_obligations_runtime_api::OfferInfo<
	<T as frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;

impl<T: Config> Obligation<T> {
	/// As clients see it (`obligationsApi.obligation`), with what is still to pay.
	pub fn info(self) -> ObligationInfoOf<T> {
		pallet_obligations_runtime_api::ObligationInfo {
			remaining: self.remaining(),
			consumer: self.consumer,
			provider: self.provider,
			offer: self.offer,
			amount: self.amount,
			paid: self.paid,
			penalty: self.penalty,
			breaches: self.breaches,
			last_breach: self.last_breach,
			silent_until: self.silent_until,
			credit_fee: self.credit_fee,
			service_hash: self.service_hash,
			note: self.note.into_inner(),
			created: self.created,
			due: self.due,
			consumer_device: self.consumer_device,
			provider_device: self.provider_device,
			sla: self.sla,
			deposit: self.deposit,
			bond: self.bond,
			status: self.status,
			closed_at: self.closed_at,
		}
	}
}

impl<T: Config> Page<T> {
	/// As clients see it (`obligationsApi.providerStream`, `consumerStream`).
	pub fn info(self) -> PageInfoOf<T> {
		pallet_obligations_runtime_api::Page {
			items: self.items.into_iter().map(|(id, o)| (id, o.info())).collect(),
			next: self.next,
		}
	}
}

impl<T: Config> Offer<T> {
	/// As clients see it (`obligationsApi.offer`, `offersOf`).
	pub fn info(self) -> OfferInfoOf<T> {
		let t = self.terms;
		pallet_obligations_runtime_api::OfferInfo {
			provider: self.provider,
			service_hash: t.service_hash,
			min_amount: t.min_amount,
			max_amount: t.max_amount,
			due_in: t.due_in,
			min_score: t.min_score,
			device: t.device,
			sla: t.sla,
			consumers: t.consumers.into_inner(),
			deposit: self.deposit,
		}
	}
}
