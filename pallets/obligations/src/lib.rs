//! # Obligations pallet
//!
//! Obligation streams: a service consumer owes a service provider for a service (a charging
//! session, a data feed, a maintenance job). The provider accepts the obligation at once,
//! trusting the consumer's on-chain reputation, and payment settles later on chain.
//!
//! Obligations are kept per provider, as the original obligation chain kept them, and per
//! consumer; clients read both streams page by page through the runtime API. How much a consumer
//! may owe at once is its credit limit, read through [`CreditLimit`] (the reputation pallet in
//! the runtime); every outcome is reported to a [`ReputationSink`].
//!
//! An obligation may be held to an SLA: one threshold rule of one of its devices. Each breach of
//! that rule anchored while the obligation is pending and not yet due (reported through
//! [`iotrust_primitives::anchoring::OnRuleBreach`]) cuts the amount owed by
//! [`Config::SlaPenalty`] of the original amount, once per breaching batch.
//!
//! ## Calls
//!
//! - [`Pallet::create`]: a consumer records what it owes.
//! - [`Pallet::create_for_device`]: a gateway records what a consumer's device asked for, with
//!   the device's signature.
//! - [`Pallet::pay`]: the consumer pays, in full or in part.
//! - [`Pallet::cancel`]: the provider forgives what is left.
//! - [`Pallet::mark_defaulted`]: anyone marks an overdue obligation defaulted once its grace
//!   period is over; `on_idle` does the same in a bounded sweep.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use types::*;
pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate},
		tokens::Preservation,
	},
};
use frame_system::pallet_prelude::*;
use iotrust_primitives::{
	anchoring::{OnRuleBreach, RuleBreach},
	device::{obligation_payload, DeviceId, DeviceRegistry, DeviceSignature},
	reputation::{CreditLimit, Outcome, ReputationSink},
};
use sp_runtime::{
	traits::{CheckedAdd, Saturating, UniqueSaturatedInto, Zero},
	Perbill,
};

/// The balance type of the pallet's currency.
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The most stream entries one page read examines, whatever its status filter.
pub const MAX_SCAN: u32 = 1_000;

/// Sets up what the benchmarks need from the device registry.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// An active device, number `index`, owned by `owner` and bound to `gateway`, that
	/// [`BenchmarkHelper::sign`] can sign for with the dearest scheme to verify.
	fn signing_device(index: u32, owner: &AccountId, gateway: &AccountId) -> DeviceId;
	/// The signature of device number `index` over `payload`.
	fn sign(index: u32, payload: &[u8]) -> DeviceSignature;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The native token obligations are paid in.
		type Currency: Mutate<Self::AccountId>;

		/// Which devices exist, who owns them, which gateway they are bound to; checks their
		/// signatures.
		type Devices: DeviceRegistry<Self::AccountId>;

		/// Told of every obligation's outcome.
		type Reputation: ReputationSink<Self::AccountId, BalanceOf<Self>>;

		/// How much a consumer may owe at once.
		type Credit: CreditLimit<Self::AccountId, BalanceOf<Self>>;

		/// Blocks after the due block before an unpaid obligation may be marked defaulted, until
		/// [`Config::AdminOrigin`] sets another with [`Pallet::set_grace_period`].
		#[pallet::constant]
		type DefaultGracePeriod: Get<BlockNumberFor<Self>>;

		/// Who may change the grace period (the consortium's council).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The longest an obligation may run until due.
		#[pallet::constant]
		type MaxDueIn: Get<BlockNumberFor<Self>>;

		/// The share of an obligation's amount one SLA breach takes off.
		#[pallet::constant]
		type SlaPenalty: Get<Perbill>;

		/// The longest note an obligation may carry, in bytes.
		#[pallet::constant]
		type MaxNoteLen: Get<u32>;

		/// The most pending obligations one device's SLA may hold at once.
		#[pallet::constant]
		type MaxSlaPerDevice: Get<u32>;

		/// The most obligations one `on_idle` sweep marks defaulted.
		#[pallet::constant]
		type MaxSweep: Get<u32>;

		/// Weights of this pallet's calls and hooks, from its benchmarks.
		type WeightInfo: WeightInfo;

		/// Makes signing devices for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Blocks after the due block before an unpaid obligation may be marked defaulted.
	#[pallet::storage]
	pub type GracePeriod<T: Config> =
		StorageValue<_, BlockNumberFor<T>, ValueQuery, T::DefaultGracePeriod>;

	/// The id the next obligation gets.
	#[pallet::storage]
	pub type NextObligationId<T: Config> = StorageValue<_, ObligationId, ValueQuery>;

	/// Obligations by id, kept after they close as the streams' history.
	#[pallet::storage]
	pub type Obligations<T: Config> = StorageMap<_, Twox64Concat, ObligationId, Obligation<T>>;

	/// Each provider's and each consumer's stream: the second key is the obligation id
	/// big-endian, unhashed, so storage order is creation order.
	#[pallet::storage]
	pub type Streams<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, (Side, T::AccountId), Identity, [u8; 8], ()>;

	/// What each consumer still owes on its pending obligations.
	#[pallet::storage]
	pub type Outstanding<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, BalanceOf<T>, ValueQuery>;

	/// Pending obligations by due block: the key is the due block (u64) and the id, both
	/// big-endian and unhashed, so the earliest due comes first.
	#[pallet::storage]
	pub type DueQueue<T: Config> = StorageMap<_, Identity, [u8; 16], ()>;

	/// The pending obligations each device's SLA holds.
	#[pallet::storage]
	pub type SlaWatch<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		DeviceId,
		BoundedVec<ObligationId, T::MaxSlaPerDevice>,
		ValueQuery,
	>;

	/// How many obligations each device has asked for through its gateway: the nonce its next
	/// request signs.
	#[pallet::storage]
	pub type DeviceNonce<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, u32, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An obligation was created.
		Created {
			id: ObligationId,
			consumer: T::AccountId,
			provider: T::AccountId,
			amount: BalanceOf<T>,
			due: BlockNumberFor<T>,
			device: Option<DeviceId>,
		},
		/// The consumer paid `amount`; `remaining` is still owed.
		Paid { id: ObligationId, amount: BalanceOf<T>, remaining: BalanceOf<T> },
		/// Nothing is owed any more.
		Fulfilled { id: ObligationId, on_time: bool },
		/// The provider forgave what was left.
		Cancelled { id: ObligationId, forgiven: BalanceOf<T> },
		/// The consumer did not pay in time.
		Defaulted { id: ObligationId, unpaid: BalanceOf<T> },
		/// An SLA breach in batch `anchor` cut what is owed by `cut`.
		PenaltyApplied { id: ObligationId, anchor: u64, cut: BalanceOf<T> },
		/// The grace period was set.
		GracePeriodSet { blocks: BlockNumberFor<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// An obligation must be for more than nothing.
		ZeroAmount,
		/// A consumer cannot owe itself.
		SelfObligation,
		/// `due_in` is zero or beyond `MaxDueIn`.
		InvalidDueIn,
		/// The consumer's pending obligations would exceed its credit limit.
		CreditLimitExceeded,
		/// A device is unknown, suspended or revoked.
		DeviceNotActive,
		/// A device does not belong to the party it is named for.
		NotDeviceOwner,
		/// The caller is not the gateway the device is bound to.
		NotDeviceGateway,
		/// The device's signature over the request does not check out.
		BadDeviceSignature,
		/// The SLA's device is neither the obligation's consumer device nor its provider device.
		SlaDeviceNotInObligation,
		/// The SLA device already holds the most pending obligations it may.
		TooManySlaObligations,
		/// No obligation has that id.
		UnknownObligation,
		/// The obligation is no longer pending.
		NotPending,
		/// Only the consumer may pay.
		NotConsumer,
		/// Only the provider may forgive.
		NotProvider,
		/// A payment must be for more than nothing.
		ZeroPayment,
		/// The payment is more than what is still owed.
		PaymentExceedsDebt,
		/// The obligation's grace period is not over yet.
		NotOverdue,
		/// Ids, blocks or balances ran out.
		Overflow,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// Mark overdue obligations defaulted, earliest due first, as many as the block's spare
		/// weight allows and at most `MaxSweep`.
		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			let base = T::WeightInfo::on_idle(0);
			if !remaining.all_gte(base) {
				return Weight::zero();
			}
			let each = T::WeightInfo::on_idle(1).saturating_sub(base);
			let spare = remaining.saturating_sub(base);
			let fits = |have: u64, need: u64| have.checked_div(need).unwrap_or(u64::MAX);
			let room = fits(spare.ref_time(), each.ref_time())
				.min(fits(spare.proof_size(), each.proof_size()))
				.min(u64::from(T::MaxSweep::get()));
			let done = Self::sweep(now, room as u32);
			T::WeightInfo::on_idle(done)
		}

		fn integrity_test() {
			assert!(T::MaxSlaPerDevice::get() > 0, "an SLA device must hold at least one");
			assert!(T::MaxSweep::get() > 0, "the sweep must make progress");
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Record that the caller owes `terms.provider` `terms.amount` for a service, due
		/// `terms.due_in` blocks from now.
		///
		/// Origin: signed, the consumer. `consumer_device` (the caller's) and
		/// `terms.provider_device` (the provider's) must be active devices of their parties; an
		/// SLA must name one of them. The consumer's pending total may not exceed its credit
		/// limit. Fails with `ZeroAmount`, `SelfObligation`, `InvalidDueIn`, `DeviceNotActive`,
		/// `NotDeviceOwner`, `SlaDeviceNotInObligation`, `TooManySlaObligations`,
		/// `CreditLimitExceeded`, `Overflow`. Emits [`Event::Created`].
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::create())]
		pub fn create(
			origin: OriginFor<T>,
			terms: Terms<T>,
			consumer_device: Option<DeviceId>,
		) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			Self::do_create(consumer, terms, consumer_device)
		}

		/// Record what a consumer's `device` asked for: the consumer is the device's owner, and
		/// the device signed [`obligation_payload`]`(genesis hash, device, nonce, terms)` with
		/// its current key, `nonce` being its count of such requests.
		///
		/// Origin: signed, the gateway the device is bound to (it pays the fee). Checks as
		/// [`Pallet::create`], and fails also with `NotDeviceGateway` or `BadDeviceSignature`.
		/// Emits [`Event::Created`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::create_for_device())]
		pub fn create_for_device(
			origin: OriginFor<T>,
			device: DeviceId,
			terms: Terms<T>,
			signature: DeviceSignature,
		) -> DispatchResult {
			let gateway = ensure_signed(origin)?;
			ensure!(T::Devices::is_active(&device), Error::<T>::DeviceNotActive);
			ensure!(
				T::Devices::gateway_of(&device).as_ref() == Some(&gateway),
				Error::<T>::NotDeviceGateway
			);
			let consumer = T::Devices::owner_of(&device).ok_or(Error::<T>::DeviceNotActive)?;
			let nonce = DeviceNonce::<T>::get(device);
			let next = nonce.checked_add(1).ok_or(Error::<T>::Overflow)?;
			let payload = obligation_payload(&Self::genesis_hash(), &device, nonce, &terms);
			ensure!(
				T::Devices::verify(&device, &payload, &signature),
				Error::<T>::BadDeviceSignature
			);
			Self::do_create(consumer, terms, Some(device))?;
			DeviceNonce::<T>::insert(device, next);
			Ok(())
		}

		/// Pay `amount` of obligation `id` from the consumer to the provider. Paid in full, it is
		/// fulfilled: on time by its due block, late after.
		///
		/// Origin: signed, the consumer. Fails with `UnknownObligation`, `NotConsumer`,
		/// `NotPending`, `ZeroPayment`, `PaymentExceedsDebt`, or the currency's error if the
		/// consumer cannot pay and keep its account alive. Emits [`Event::Paid`], and
		/// [`Event::Fulfilled`] when nothing is left.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::pay())]
		pub fn pay(origin: OriginFor<T>, id: ObligationId, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let mut obligation = Obligations::<T>::get(id).ok_or(Error::<T>::UnknownObligation)?;
			ensure!(obligation.consumer == who, Error::<T>::NotConsumer);
			ensure!(obligation.status == Status::Pending, Error::<T>::NotPending);
			ensure!(!amount.is_zero(), Error::<T>::ZeroPayment);
			let remaining = obligation.remaining();
			ensure!(amount <= remaining, Error::<T>::PaymentExceedsDebt);

			T::Currency::transfer(&who, &obligation.provider, amount, Preservation::Preserve)?;
			obligation.paid = obligation.paid.saturating_add(amount);
			Self::reduce_outstanding(&who, amount);
			let remaining = remaining.saturating_sub(amount);
			Self::deposit_event(Event::Paid { id, amount, remaining });
			if remaining.is_zero() {
				Self::fulfil(id, obligation);
			} else {
				Obligations::<T>::insert(id, obligation);
			}
			Ok(())
		}

		/// Forgive what is left of obligation `id`.
		///
		/// Origin: signed, the provider. Fails with `UnknownObligation`, `NotProvider`,
		/// `NotPending`. Reports the outcome as cancelled (neither good nor bad for the
		/// consumer). Emits [`Event::Cancelled`].
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::cancel())]
		pub fn cancel(origin: OriginFor<T>, id: ObligationId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			let obligation = Obligations::<T>::get(id).ok_or(Error::<T>::UnknownObligation)?;
			ensure!(obligation.provider == who, Error::<T>::NotProvider);
			ensure!(obligation.status == Status::Pending, Error::<T>::NotPending);
			let forgiven = obligation.remaining();
			Self::close(id, obligation, Status::Cancelled, Outcome::Cancelled, forgiven);
			Self::deposit_event(Event::Cancelled { id, forgiven });
			Ok(())
		}

		/// Mark obligation `id` defaulted: it is pending and its due block plus the grace period
		/// has passed.
		///
		/// Origin: signed, anyone. Fails with `UnknownObligation`, `NotPending`, `NotOverdue`.
		/// Reports the default to reputation. Emits [`Event::Defaulted`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::mark_defaulted())]
		pub fn mark_defaulted(origin: OriginFor<T>, id: ObligationId) -> DispatchResult {
			ensure_signed(origin)?;
			let obligation = Obligations::<T>::get(id).ok_or(Error::<T>::UnknownObligation)?;
			ensure!(obligation.status == Status::Pending, Error::<T>::NotPending);
			ensure!(Self::is_overdue(&obligation), Error::<T>::NotOverdue);
			Self::default(id, obligation);
			Ok(())
		}

		/// Set the grace period: how many blocks after its due block an unpaid obligation may be
		/// marked defaulted. Applies to every pending obligation from now on.
		///
		/// Origin: [`Config::AdminOrigin`]. Emits [`Event::GracePeriodSet`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_grace_period())]
		pub fn set_grace_period(origin: OriginFor<T>, blocks: BlockNumberFor<T>) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			GracePeriod::<T>::put(blocks);
			Self::deposit_event(Event::GracePeriodSet { blocks });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The chain's genesis hash, which device requests sign so they cannot be replayed elsewhere.
	pub fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	fn do_create(
		consumer: T::AccountId,
		terms: Terms<T>,
		consumer_device: Option<DeviceId>,
	) -> DispatchResult {
		ensure!(!terms.amount.is_zero(), Error::<T>::ZeroAmount);
		ensure!(consumer != terms.provider, Error::<T>::SelfObligation);
		ensure!(
			!terms.due_in.is_zero() && terms.due_in <= T::MaxDueIn::get(),
			Error::<T>::InvalidDueIn
		);
		for (device, party) in
			[(consumer_device, &consumer), (terms.provider_device, &terms.provider)]
		{
			if let Some(device) = device {
				ensure!(T::Devices::is_active(&device), Error::<T>::DeviceNotActive);
				ensure!(
					T::Devices::owner_of(&device).as_ref() == Some(party),
					Error::<T>::NotDeviceOwner
				);
			}
		}
		let mut watch = None;
		if let Some(sla) = terms.sla {
			ensure!(
				Some(sla.device) == consumer_device || Some(sla.device) == terms.provider_device,
				Error::<T>::SlaDeviceNotInObligation
			);
			let list = SlaWatch::<T>::get(sla.device);
			ensure!(
				list.len() < T::MaxSlaPerDevice::get() as usize,
				Error::<T>::TooManySlaObligations
			);
			watch = Some((sla.device, list));
		}
		let outstanding = Outstanding::<T>::get(&consumer)
			.checked_add(&terms.amount)
			.ok_or(Error::<T>::Overflow)?;
		ensure!(outstanding <= T::Credit::credit_limit(&consumer), Error::<T>::CreditLimitExceeded);
		let id = NextObligationId::<T>::get();
		let next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
		let now = frame_system::Pallet::<T>::block_number();
		let due = now.checked_add(&terms.due_in).ok_or(Error::<T>::Overflow)?;

		if let Some((device, mut list)) = watch {
			list.try_push(id).map_err(|_| Error::<T>::TooManySlaObligations)?;
			SlaWatch::<T>::insert(device, list);
		}
		Outstanding::<T>::insert(&consumer, outstanding);
		Streams::<T>::insert((Side::Provider, &terms.provider), id.to_be_bytes(), ());
		Streams::<T>::insert((Side::Consumer, &consumer), id.to_be_bytes(), ());
		DueQueue::<T>::insert(Self::due_key(due, id), ());
		NextObligationId::<T>::put(next);
		let Terms { provider, amount, service_hash, note, provider_device, sla, .. } = terms;
		Obligations::<T>::insert(
			id,
			Obligation {
				consumer: consumer.clone(),
				provider: provider.clone(),
				amount,
				paid: Zero::zero(),
				penalty: Zero::zero(),
				breaches: 0,
				last_breach: None,
				service_hash,
				note,
				created: now,
				due,
				consumer_device,
				provider_device,
				sla,
				status: Status::Pending,
				closed_at: None,
			},
		);
		Self::deposit_event(Event::Created {
			id,
			consumer,
			provider,
			amount,
			due,
			device: consumer_device,
		});
		Ok(())
	}

	/// The [`DueQueue`] key of obligation `id` due at `due`.
	fn due_key(due: BlockNumberFor<T>, id: ObligationId) -> [u8; 16] {
		let due: u64 = due.unique_saturated_into();
		let mut key = [0u8; 16];
		key[..8].copy_from_slice(&due.to_be_bytes());
		key[8..].copy_from_slice(&id.to_be_bytes());
		key
	}

	/// Whether `obligation`'s grace period is over.
	fn is_overdue(obligation: &Obligation<T>) -> bool {
		frame_system::Pallet::<T>::block_number()
			> obligation.due.saturating_add(GracePeriod::<T>::get())
	}

	/// Close a fully paid obligation, on time or late.
	fn fulfil(id: ObligationId, obligation: Obligation<T>) {
		let on_time = frame_system::Pallet::<T>::block_number() <= obligation.due;
		let outcome = if on_time { Outcome::FulfilledOnTime } else { Outcome::FulfilledLate };
		let paid = obligation.paid;
		Self::close(id, obligation, Status::Fulfilled, outcome, paid);
		Self::deposit_event(Event::Fulfilled { id, on_time });
	}

	/// Mark a pending obligation defaulted.
	fn default(id: ObligationId, obligation: Obligation<T>) {
		let unpaid = obligation.remaining();
		Self::close(id, obligation, Status::Defaulted, Outcome::Defaulted, unpaid);
		Self::deposit_event(Event::Defaulted { id, unpaid });
	}

	/// Take `by` off what `consumer` owes; the entry goes once nothing is owed.
	fn reduce_outstanding(consumer: &T::AccountId, by: BalanceOf<T>) {
		Outstanding::<T>::mutate_exists(consumer, |o| {
			let rest = o.unwrap_or_default().saturating_sub(by);
			*o = if rest.is_zero() { None } else { Some(rest) };
		});
	}

	/// End a pending obligation with `status`: it leaves the consumer's outstanding total, the
	/// due queue and its SLA device's watch list, and reputation hears `outcome` worth `value`.
	fn close(
		id: ObligationId,
		mut obligation: Obligation<T>,
		status: Status,
		outcome: Outcome,
		value: BalanceOf<T>,
	) {
		let left = obligation.remaining();
		if !left.is_zero() {
			Self::reduce_outstanding(&obligation.consumer, left);
		}
		DueQueue::<T>::remove(Self::due_key(obligation.due, id));
		if let Some(sla) = obligation.sla {
			SlaWatch::<T>::mutate_exists(sla.device, |list| {
				if let Some(l) = list {
					l.retain(|o| *o != id);
					if l.is_empty() {
						*list = None;
					}
				}
			});
		}
		T::Reputation::record(&obligation.consumer, outcome, value);
		obligation.status = status;
		obligation.closed_at = Some(frame_system::Pallet::<T>::block_number());
		Obligations::<T>::insert(id, obligation);
	}

	/// Default up to `max` overdue obligations, earliest due first; returns how many.
	fn sweep(now: BlockNumberFor<T>, max: u32) -> u32 {
		if max == 0 {
			return 0;
		}
		let grace: u64 = GracePeriod::<T>::get().unique_saturated_into();
		let now: u64 = now.unique_saturated_into();
		let overdue: Vec<[u8; 16]> = DueQueue::<T>::iter_keys()
			.take(max as usize)
			.take_while(|key| {
				let mut due = [0u8; 8];
				due.copy_from_slice(&key[..8]);
				u64::from_be_bytes(due).saturating_add(grace) < now
			})
			.collect();
		let mut done = 0;
		for key in overdue {
			let mut raw = [0u8; 8];
			raw.copy_from_slice(&key[8..]);
			let id = ObligationId::from_be_bytes(raw);
			match Obligations::<T>::get(id) {
				Some(obligation) if obligation.status == Status::Pending => {
					Self::default(id, obligation);
				},
				// Not pending any more: a stale entry, dropped.
				_ => DueQueue::<T>::remove(key),
			}
			done += 1;
		}
		done
	}

	/// Apply an SLA breach to the pending obligations that watch its device and metric.
	fn apply_breach(breach: &RuleBreach) -> u32 {
		let watchers = SlaWatch::<T>::get(breach.device);
		let now = frame_system::Pallet::<T>::block_number();
		for id in watchers.iter().copied() {
			let Some(mut obligation) = Obligations::<T>::get(id) else { continue };
			let applies = obligation.status == Status::Pending
				&& obligation.sla.is_some_and(|s| s.metric == breach.rule.metric)
				&& now <= obligation.due
				&& obligation.last_breach.is_none_or(|last| breach.anchor > last);
			if !applies {
				continue;
			}
			let remaining = obligation.remaining();
			let cut = T::SlaPenalty::get().mul_floor(obligation.amount).min(remaining);
			obligation.penalty = obligation.penalty.saturating_add(cut);
			obligation.breaches = obligation.breaches.saturating_add(1);
			obligation.last_breach = Some(breach.anchor);
			Self::reduce_outstanding(&obligation.consumer, cut);
			Self::deposit_event(Event::PenaltyApplied { id, anchor: breach.anchor, cut });
			if obligation.remaining().is_zero() {
				Self::fulfil(id, obligation);
			} else {
				Obligations::<T>::insert(id, obligation);
			}
		}
		watchers.len() as u32
	}

	/// A page of a stream: at most `limit` obligations with `status` (any if `None`) among
	/// the stream's ids after `start_after`, examining at most [`MAX_SCAN`] entries.
	fn page(ids: impl Iterator<Item = [u8; 8]>, status: Option<Status>, limit: u32) -> Page<T> {
		let mut items = Vec::new();
		let mut last = None;
		let mut more = false;
		for (scanned, raw) in ids.enumerate() {
			if items.len() as u32 >= limit || scanned as u32 >= MAX_SCAN {
				more = true;
				break;
			}
			let id = ObligationId::from_be_bytes(raw);
			last = Some(id);
			if let Some(obligation) = Obligations::<T>::get(id) {
				if status.is_none_or(|s| s == obligation.status) {
					items.push((id, obligation));
				}
			}
		}
		Page { items, next: if more { last } else { None } }
	}

	/// A page of `who`'s stream on `side`, oldest first (see [`Page`]).
	pub fn stream(
		side: Side,
		who: T::AccountId,
		status: Option<Status>,
		start_after: Option<ObligationId>,
		limit: u32,
	) -> Page<T> {
		let key = (side, who);
		let ids: alloc::boxed::Box<dyn Iterator<Item = [u8; 8]>> = match start_after {
			Some(after) => alloc::boxed::Box::new(Streams::<T>::iter_key_prefix_from(
				&key,
				Streams::<T>::hashed_key_for(&key, after.to_be_bytes()),
			)),
			None => alloc::boxed::Box::new(Streams::<T>::iter_key_prefix(&key)),
		};
		Self::page(ids, status, limit)
	}

	/// What `consumer` may still take on: its credit limit less what it owes.
	pub fn remaining_credit(consumer: &T::AccountId) -> BalanceOf<T> {
		T::Credit::credit_limit(consumer).saturating_sub(Outstanding::<T>::get(consumer))
	}
}

impl<T: Config> OnRuleBreach for Pallet<T> {
	fn on_rule_breach(breach: &RuleBreach) -> Weight {
		let watchers = Self::apply_breach(breach);
		T::WeightInfo::on_rule_breach(watchers)
	}

	fn max_weight() -> Weight {
		T::WeightInfo::on_rule_breach(T::MaxSlaPerDevice::get())
	}
}
