//! # Obligations pallet
//!
//! Obligation streams: a service consumer owes a service provider for a service (a charging
//! session, a data feed, a cold-chain transport), and payment settles later on chain.
//!
//! Obligations are agreements. A provider states once what it accepts — a standing offer: the
//! service, the price range, when payment falls due, the lowest reputation score it serves, and
//! optionally an SLA on one of its own devices — and holds a deposit while the offer stands. A
//! consumer's (or its device's) request under an offer is accepted at once if it matches and the
//! consumer's credit allows it, as the obligation chain's providers accept locally based on
//! reputation. Nothing that a provider has not offered takes its SLA slots, and nothing
//! unaccepted is stored: the only obligations are accepted ones, each holding a deposit from its
//! consumer until it is archived.
//!
//! Obligations are kept per provider, as the original obligation chain kept them, and per
//! consumer; clients read both streams page by page through the runtime API. How much a consumer
//! may owe at once is its credit limit, read through [`CreditLimit`] (the reputation pallet in
//! the runtime); every outcome is reported to a [`ReputationSink`] with its counterparty. Each
//! payment burns a credit fee ([`Config::CreditFee`]) besides: the only thing that buys credit.
//!
//! ## SLAs
//!
//! An offer's SLA ([`Sla`]) bounds one metric of the provider's own serving device and says how
//! long the device may go unobserved; it is copied into each obligation when it is accepted, so
//! neither party can change it afterwards. A penalty needs evidence the chain checks itself,
//! never one gateway's word; each breach cuts what is owed by [`Config::SlaPenalty`] of the
//! amount while the obligation is pending, and an anchor counts once:
//!
//! - **a reading** ([`Pallet::claim_breach`]): a reading the device signed, outside the bounds,
//!   with its Merkle proof against an anchor made during the term, submitted within
//!   [`Config::DisputeWindow`] blocks of that anchor (checked through [`AnchorEvidence`]: leaf of
//!   the anchored root, in the device's range, signed by the key the device held);
//! - **a group's summary**: a batch a gateway group signed whose summary of the device leaves
//!   the bounds (the group's threshold of members each checked the device-signed readings);
//! - **a gap**: a batch in which the device's sequence numbers skip ahead, anchored by a gateway
//!   other than the consumer — readings the device signed that no anchor will ever hold;
//! - **silence** ([`Pallet::claim_silence`]): no reading of the device anchored for longer than
//!   the SLA's `max_silence` during the term — whether the device stopped, its owner suspended,
//!   revoked or rebound it, or its gateway stopped anchoring.
//!
//! Evidence is the device's, so it counts whoever owns the device or whichever gateway serves it
//! after acceptance: transferring or rebinding the device hides nothing, and suspending it is
//! silence. What remains on trust: the gateway the *provider* binds its device to could anchor
//! made-up ranges that keep the device looking observed while withholding its real readings;
//! bind the device to a gateway group (which anchors only readings its members hold, signed by
//! the device) to remove that trust too. An obligation whose penalties leave nothing to pay is
//! forfeited, never "fulfilled on time".
//!
//! SLA slots are few ([`Config::MaxSlaPerDevice`] per device), so taking one costs: accepting an
//! SLA obligation holds a bond of [`Config::SlaBond`] of its amount from the consumer, returned
//! when it is paid or forfeited, paid to the provider up to what is left unpaid when it
//! defaults, and in the share of the term the slot was held when the provider cancels it (so a
//! provider cannot farm bonds by cancelling consumers it just accepted). A provider may also
//! name the only consumers an offer accepts.
//!
//! ## Calls
//!
//! - [`Pallet::publish_offer`] / [`Pallet::withdraw_offer`]: a provider states or withdraws what
//!   it accepts.
//! - [`Pallet::create`]: a consumer takes up an offer.
//! - [`Pallet::create_for_device`]: a gateway submits what a consumer's device asked for under an
//!   offer, with the device's signature.
//! - [`Pallet::pay`]: the consumer pays, in full or in part, and burns the credit fee.
//! - [`Pallet::cancel`]: the provider forgives what is left.
//! - [`Pallet::claim_breach`] / [`Pallet::claim_silence`]: anyone shows an SLA breach with
//!   evidence the chain checks.
//! - [`Pallet::mark_defaulted`]: anyone marks an overdue obligation defaulted once its grace
//!   period is over; `on_idle` does the same in a bounded sweep.
//! - [`Pallet::archive`]: anyone removes a closed obligation once the retention period is over,
//!   releasing its deposit.
//! - [`Pallet::set_grace_period`] / [`Pallet::set_retention`]: the council sets the periods.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod features;
pub mod migrations;
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
		fungible::{Inspect, Mutate, MutateHold},
		tokens::{Fortitude, Precision, Preservation},
	},
};
use frame_system::pallet_prelude::*;
use iotrust_primitives::{
	anchoring::{AnchorEvidence, AnchorId, AnchoredRange, OnAnchored, ReadingCheck, ThresholdRule},
	device::{
		obligation_payload, DeviceId, DeviceRefusal, DeviceRegistry, DeviceSignature,
		OnDeviceRemoved,
	},
	merkle::{MerkleProof, SignedReading},
	reputation::{CreditLimit, Outcome, ReputationSink, Settlement},
};
use sp_runtime::{
	traits::{CheckedAdd, CheckedSub, One, Saturating, UniqueSaturatedInto, Zero},
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
	/// `gateway` anchors, now, a batch with root `root` of `leaf_count` readings: `device`'s
	/// numbers from `first` on. Returns the anchor's id.
	fn anchor(
		gateway: &AccountId,
		device: DeviceId,
		first: u64,
		root: sp_core::H256,
		leaf_count: u32,
	) -> AnchorId;
}

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	/// 2: an SLA is an [`Sla`] (bounds and the longest silence), offers may name consumers, SLA
	/// obligations hold a bond and judge silence (1: an SLA was its bounds; 0: consumer-made
	/// terms).
	pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(2);

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	/// Why the pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A provider's deposit for a standing offer.
		OfferDeposit,
		/// A consumer's deposit for an obligation, until it is archived.
		ObligationDeposit,
		/// A consumer's bond for an SLA obligation, while it is pending.
		SlaBond,
	}

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The native token obligations are paid in and deposits are held in.
		type Currency: Mutate<Self::AccountId>
			+ MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Which devices exist, who owns them, which gateway they are bound to; checks their
		/// signatures.
		type Devices: DeviceRegistry<Self::AccountId>;

		/// Which devices' readings are private to a channel: an SLA cannot be taken on one,
		/// whose summaries no anchor carries and whose readings its consumer may not read.
		type Channels: iotrust_primitives::channels::DeviceChannels;

		/// Told of every obligation's outcome.
		type Reputation: ReputationSink<Self::AccountId, BalanceOf<Self>>;

		/// How much a consumer may owe at once, and its score.
		type Credit: CreditLimit<Self::AccountId, BalanceOf<Self>>;

		/// Anchored readings: what SLA breach claims are checked against.
		type Anchors: AnchorEvidence;

		/// Blocks after the due block before an unpaid obligation may be marked defaulted, until
		/// [`Config::AdminOrigin`] sets another with [`Pallet::set_grace_period`].
		#[pallet::constant]
		type DefaultGracePeriod: Get<BlockNumberFor<Self>>;

		/// Blocks after it closes before an obligation may be archived, until
		/// [`Config::AdminOrigin`] sets another with [`Pallet::set_retention`].
		#[pallet::constant]
		type DefaultRetention: Get<BlockNumberFor<Self>>;

		/// Who may change the grace and retention periods (the consortium's council).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The longest an obligation may run until due.
		#[pallet::constant]
		type MaxDueIn: Get<BlockNumberFor<Self>>;

		/// The least any obligation may be for.
		#[pallet::constant]
		type MinAmount: Get<BalanceOf<Self>>;

		/// The share of each payment the consumer burns besides, which buys it as much credit.
		#[pallet::constant]
		type CreditFee: Get<Perbill>;

		/// The share of an obligation's amount one SLA breach takes off.
		#[pallet::constant]
		type SlaPenalty: Get<Perbill>;

		/// The share of an SLA obligation's amount held from the consumer while it is pending.
		#[pallet::constant]
		type SlaBond: Get<Perbill>;

		/// Blocks after an anchor during which a reading in it may be claimed as an SLA breach.
		#[pallet::constant]
		type DisputeWindow: Get<BlockNumberFor<Self>>;

		/// The most metrics a reading claimed as a breach may carry.
		#[pallet::constant]
		type MaxReadingMetrics: Get<u32>;

		/// The most consumers an offer may name.
		#[pallet::constant]
		type MaxNamedConsumers: Get<u32>;

		/// The most breaches found in anchors one obligation records; the last it allows takes
		/// all that is left (at least `1 / SlaPenalty`, which `integrity_test` checks).
		#[pallet::constant]
		type MaxBreaches: Get<u32>;

		/// The most blocks ahead a device's request may say it stays valid: how long a request
		/// that was signed and not accepted can be replayed at most.
		#[pallet::constant]
		type MaxRequestLifetime: Get<BlockNumberFor<Self>>;

		/// Held from a provider for each standing offer.
		#[pallet::constant]
		type OfferDeposit: Get<BalanceOf<Self>>;

		/// Held from a consumer for each obligation until it is archived.
		#[pallet::constant]
		type ObligationDeposit: Get<BalanceOf<Self>>;

		/// The most standing offers one provider may have.
		#[pallet::constant]
		type MaxOffersPerProvider: Get<u32>;

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

	/// Blocks after it closes before an obligation may be archived.
	#[pallet::storage]
	pub type Retention<T: Config> =
		StorageValue<_, BlockNumberFor<T>, ValueQuery, T::DefaultRetention>;

	/// The id the next offer gets.
	#[pallet::storage]
	pub type NextOfferId<T: Config> = StorageValue<_, OfferId, ValueQuery>;

	/// Standing offers by id.
	#[pallet::storage]
	pub type Offers<T: Config> = StorageMap<_, Twox64Concat, OfferId, Offer<T>>;

	/// Each provider's standing offers.
	#[pallet::storage]
	pub type ProviderOffers<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		T::AccountId,
		BoundedVec<OfferId, T::MaxOffersPerProvider>,
		ValueQuery,
	>;

	/// The id the next obligation gets.
	#[pallet::storage]
	pub type NextObligationId<T: Config> = StorageValue<_, ObligationId, ValueQuery>;

	/// Obligations by id, kept after they close as the streams' history until archived.
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

	/// The pending obligations each provider device's SLA holds.
	#[pallet::storage]
	pub type SlaWatch<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		DeviceId,
		BoundedVec<ObligationId, T::MaxSlaPerDevice>,
		ValueQuery,
	>;

	/// The block each SLA device's readings were last anchored in, kept while an SLA watches it.
	#[pallet::storage]
	pub type SlaSeen<T: Config> =
		StorageMap<_, Blake2_128Concat, DeviceId, BlockNumberFor<T>, OptionQuery>;

	/// How many obligations each device has asked for through its gateway: the nonce its next
	/// request signs.
	#[pallet::storage]
	pub type DeviceNonce<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, u32, ValueQuery>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A provider published a standing offer.
		OfferPublished { offer: OfferId, provider: T::AccountId },
		/// A provider withdrew an offer; obligations accepted under it keep their terms.
		OfferWithdrawn { offer: OfferId },
		/// A request under `offer` was accepted: an obligation was created.
		Created {
			id: ObligationId,
			offer: OfferId,
			consumer: T::AccountId,
			provider: T::AccountId,
			amount: BalanceOf<T>,
			due: BlockNumberFor<T>,
			device: Option<DeviceId>,
		},
		/// The consumer paid `amount` (and burned `credit_fee`); `remaining` is still owed.
		Paid {
			id: ObligationId,
			amount: BalanceOf<T>,
			credit_fee: BalanceOf<T>,
			remaining: BalanceOf<T>,
		},
		/// Paid in full.
		Fulfilled { id: ObligationId, on_time: bool },
		/// The provider forgave what was left.
		Cancelled { id: ObligationId, forgiven: BalanceOf<T> },
		/// The consumer did not pay in time.
		Defaulted { id: ObligationId, unpaid: BalanceOf<T> },
		/// An SLA breach, shown by `breach`, cut what is owed by `cut`.
		PenaltyApplied { id: ObligationId, breach: Breach<BlockNumberFor<T>>, cut: BalanceOf<T> },
		/// A bond was settled: `to_provider` of it paid to the provider, the rest released.
		BondSettled { id: ObligationId, to_provider: BalanceOf<T> },
		/// SLA penalties took all that was left to pay.
		Forfeited { id: ObligationId, penalty: BalanceOf<T> },
		/// A closed obligation was removed from storage and its deposit released.
		Archived { id: ObligationId },
		/// The grace period was set.
		GracePeriodSet { blocks: BlockNumberFor<T> },
		/// The retention period was set.
		RetentionSet { blocks: BlockNumberFor<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No offer has that id.
		UnknownOffer,
		/// Only the offer's provider may withdraw it.
		NotOfferProvider,
		/// The provider already has the most standing offers it may.
		TooManyOffers,
		/// An offer's least amount is below the chain's minimum, or above its most.
		InvalidAmountRange,
		/// A minimum score is above 1000.
		InvalidScore,
		/// An SLA needs the provider's serving device.
		SlaWithoutDevice,
		/// An SLA's bounds are missing or inverted.
		InvalidSla,
		/// The amount is outside the offer's bounds.
		AmountOutOfRange,
		/// The consumer's score is below the offer's minimum.
		ScoreTooLow,
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
		/// The request's last valid block has passed.
		RequestExpired,
		/// The request says it stays valid further ahead than `MaxRequestLifetime`.
		RequestLifetimeTooLong,
		/// The SLA device already holds the most pending obligations it may.
		TooManySlaObligations,
		/// The offer names its consumers, and the caller is not one of them.
		NotNamedConsumer,
		/// An SLA's longest silence is zero or beyond `MaxDueIn`.
		InvalidSilence,
		/// The obligation has no SLA.
		NoSla,
		/// The reading is not of the obligation's serving device.
		NotServingDevice,
		/// No anchor has that id.
		UnknownAnchor,
		/// The anchor was made before the obligation was accepted or after it fell due.
		OutsideTerm,
		/// The anchor is older than the dispute window.
		DisputeWindowOver,
		/// A breach in this anchor was already counted: an anchor counts once.
		BreachAlreadyCounted,
		/// The reading is within the SLA's bounds.
		NotABreach,
		/// The reading carries more metrics, or the proof more levels, than a claim may.
		EvidenceTooLarge,
		/// The anchor holds no range of the device that contains the reading's sequence number.
		ReadingNotInRange,
		/// The proof does not lead from the reading to the anchored root.
		BadProof,
		/// The reading is not signed by the key its device held when it was anchored.
		BadReadingSignature,
		/// The serving device has not been silent for longer than the SLA allows, or the silence
		/// would end after the obligation fell due.
		NotSilent,
		/// No obligation has that id.
		UnknownObligation,
		/// The obligation is no longer pending.
		NotPending,
		/// The obligation is still pending: it cannot be archived.
		StillPending,
		/// The obligation closed less than the retention period ago.
		RetentionNotOver,
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
		/// The SLA's device is private to a channel: no anchor shows its summaries, and its
		/// consumer could not read the readings that prove a breach.
		SlaDevicePrivate,
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
			assert!(!T::MinAmount::get().is_zero(), "obligations must be worth something");
			assert!(T::MaxOffersPerProvider::get() > 0, "a provider must be able to offer");
			assert!(!T::DisputeWindow::get().is_zero(), "a breach must be claimable");
			assert!(
				T::SlaPenalty::get().saturating_reciprocal_mul_ceil(1u32) <= T::MaxBreaches::get(),
				"MaxBreaches penalties must be able to take the whole amount"
			);
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Take up offer `request.offer` for `request.amount`: the obligation is created at once,
		/// due the offer's `due_in` blocks from now, with the offer's SLA bounds copied into it.
		///
		/// Origin: signed, the consumer. `consumer_device`, if given, must be an active device of
		/// the caller. Checks the offer's amount bounds and minimum score, that the offer's device
		/// is still the provider's and active, that an SLA slot is free, that the offer names the
		/// caller if it names anyone, and the caller's credit. Holds [`Config::ObligationDeposit`]
		/// from the caller, and [`Config::SlaBond`] of the amount for an SLA. Fails with
		/// `UnknownOffer`, `NotNamedConsumer`, `SelfObligation`, `AmountOutOfRange`, `ScoreTooLow`, `DeviceNotActive`,
		/// `NotDeviceOwner`, `TooManySlaObligations`, `CreditLimitExceeded`, `Overflow`, or the
		/// currency's error if the deposit cannot be held. Emits [`Event::Created`].
		#[pallet::call_index(0)]
		// The benchmark predates the SLA device's channel check: one read more.
		#[pallet::weight(T::WeightInfo::create().saturating_add(T::DbWeight::get().reads(1)))]
		pub fn create(
			origin: OriginFor<T>,
			request: Request<T>,
			consumer_device: Option<DeviceId>,
		) -> DispatchResult {
			let consumer = ensure_signed(origin)?;
			if let Some(device) = consumer_device {
				Self::ensure_device_of(&device, &consumer)?;
			}
			Self::do_create(consumer, request, consumer_device)
		}

		/// Submit what a consumer's `device` asked for under an offer: the consumer is the
		/// device's owner, and the device signed [`obligation_payload`]`(genesis hash, device,
		/// nonce, valid_until, request)` with its current key, `nonce` being its count of such
		/// requests and `valid_until` the last block the request may be accepted in (at most
		/// [`Config::MaxRequestLifetime`] ahead).
		///
		/// Origin: signed, the gateway the device is bound to (it pays the fee; the deposit is
		/// held from the consumer). Checks as [`Pallet::create`], and fails also with
		/// `RequestExpired`, `RequestLifetimeTooLong`, `NotDeviceGateway` or
		/// `BadDeviceSignature`. Emits [`Event::Created`].
		#[pallet::call_index(1)]
		// The benchmark predates the SLA device's channel check: one read more.
		#[pallet::weight(T::WeightInfo::create_for_device().saturating_add(T::DbWeight::get().reads(1)))]
		pub fn create_for_device(
			origin: OriginFor<T>,
			device: DeviceId,
			request: Request<T>,
			valid_until: BlockNumberFor<T>,
			signature: DeviceSignature,
		) -> DispatchResult {
			let gateway = ensure_signed(origin)?;
			Self::do_create_for_device(gateway, device, request, valid_until, signature)
		}

		/// Pay `amount` of obligation `id` from the consumer to the provider, and burn
		/// [`Config::CreditFee`] of it from the consumer besides. Paid in full, it is fulfilled:
		/// on time by its due block, late after.
		///
		/// Origin: signed, the consumer. Fails with `UnknownObligation`, `NotConsumer`,
		/// `NotPending`, `ZeroPayment`, `PaymentExceedsDebt`, or the currency's error if the
		/// consumer cannot pay both and keep its account alive. Emits [`Event::Paid`], and
		/// [`Event::Fulfilled`] when nothing is left.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::pay())]
		pub fn pay(origin: OriginFor<T>, id: ObligationId, amount: BalanceOf<T>) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_pay(who, id, amount)
		}

		/// Forgive what is left of obligation `id`. An SLA obligation's bond pays the provider
		/// the share of the term the slot was held, up to what is forgiven (a slot held and then
		/// let go costs its holder); the rest goes back to the consumer.
		///
		/// Origin: signed, the provider. Fails with `UnknownObligation`, `NotProvider`,
		/// `NotPending`. Reports the outcome as cancelled (neither good nor bad for the
		/// consumer). Emits [`Event::Cancelled`], and [`Event::BondSettled`] for a bond.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::cancel())]
		pub fn cancel(origin: OriginFor<T>, id: ObligationId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_cancel(who, id)
		}

		/// Mark obligation `id` defaulted: it is pending and its due block plus the grace period
		/// has passed.
		///
		/// Origin: signed, anyone. Fails with `UnknownObligation`, `NotPending`, `NotOverdue`.
		/// Reports the default to reputation. Emits [`Event::Defaulted`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::mark_defaulted())]
		pub fn mark_defaulted(origin: OriginFor<T>, id: ObligationId) -> DispatchResult {
			Self::do_mark_defaulted(origin, id)
		}

		/// Set the grace period: how many blocks after its due block an unpaid obligation may be
		/// marked defaulted. Applies to every pending obligation from now on.
		///
		/// Origin: [`Config::AdminOrigin`]. Emits [`Event::GracePeriodSet`].
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::set_grace_period())]
		pub fn set_grace_period(origin: OriginFor<T>, blocks: BlockNumberFor<T>) -> DispatchResult {
			Self::do_set_grace_period(origin, blocks)
		}

		/// Publish a standing offer: requests that match `terms` are accepted at once.
		///
		/// Origin: signed, the provider. `terms.device`, if given, must be the caller's active
		/// device; an SLA needs it, bounds with at least one side, the lower not above the
		/// upper, and a longest silence from 1 to `MaxDueIn` blocks. Holds
		/// [`Config::OfferDeposit`]. Fails with `InvalidAmountRange` (below `MinAmount` or
		/// inverted), `InvalidDueIn`, `InvalidScore`, `SlaWithoutDevice`, `InvalidSla`,
		/// `InvalidSilence`, `DeviceNotActive`, `NotDeviceOwner`, `TooManyOffers`, `Overflow`, or the
		/// currency's error if the deposit cannot be held. Emits [`Event::OfferPublished`].
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::publish_offer())]
		pub fn publish_offer(origin: OriginFor<T>, terms: OfferTerms<T>) -> DispatchResult {
			let provider = ensure_signed(origin)?;
			Self::do_publish_offer(provider, terms)
		}

		/// Withdraw offer `offer`: no new request is accepted under it; obligations already
		/// accepted keep their terms. Releases the offer's deposit.
		///
		/// Origin: signed, the offer's provider. Fails with `UnknownOffer`, `NotOfferProvider`.
		/// Emits [`Event::OfferWithdrawn`].
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::withdraw_offer())]
		pub fn withdraw_offer(origin: OriginFor<T>, offer: OfferId) -> DispatchResult {
			let who = ensure_signed(origin)?;
			Self::do_withdraw_offer(who, offer)
		}

		/// Archive obligation `id`: remove it and its stream entries, and release its deposit
		/// to the consumer. Its outcome stays in the consumer's reputation record.
		///
		/// Origin: signed, anyone. Fails with `UnknownObligation`, `StillPending`,
		/// `RetentionNotOver` (it closed less than [`Retention`] blocks ago). Emits
		/// [`Event::Archived`].
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::archive())]
		pub fn archive(origin: OriginFor<T>, id: ObligationId) -> DispatchResult {
			Self::do_archive(origin, id)
		}

		/// Set the retention period: how many blocks after it closes an obligation may be
		/// archived.
		///
		/// Origin: [`Config::AdminOrigin`]. Emits [`Event::RetentionSet`].
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::set_retention())]
		pub fn set_retention(origin: OriginFor<T>, blocks: BlockNumberFor<T>) -> DispatchResult {
			Self::do_set_retention(origin, blocks)
		}

		/// Show that obligation `id`'s serving device breached its SLA: `reading`, signed by the
		/// device and outside the SLA's bounds, was anchored in `anchor` as `proof` shows. The
		/// anchor must have been made during the term (after the block of acceptance, by the
		/// due block) at most [`Config::DisputeWindow`] blocks ago, and not have counted yet
		/// (claims go in any order). Cuts what is owed by [`Config::SlaPenalty`] of the amount;
		/// forfeits the obligation if nothing is left.
		///
		/// Origin: signed, anyone (the consumer, or a watcher on its behalf). Fails with
		/// `EvidenceTooLarge`, `UnknownObligation`, `NotPending`, `NoSla`, `NotServingDevice`,
		/// `UnknownAnchor`, `OutsideTerm`, `DisputeWindowOver`, `BreachAlreadyCounted`,
		/// `NotABreach`, `ReadingNotInRange`, `BadProof`, `BadReadingSignature`. Emits
		/// [`Event::PenaltyApplied`], and [`Event::Forfeited`] when nothing is left.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::claim_breach())]
		pub fn claim_breach(
			origin: OriginFor<T>,
			id: ObligationId,
			anchor: AnchorId,
			reading: SignedReading,
			proof: MerkleProof,
		) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_claim_breach(id, anchor, reading, proof)
		}

		/// Show that obligation `id`'s serving device went unobserved for longer than its SLA
		/// allows: no reading of it was anchored for more than the SLA's `max_silence` blocks,
		/// counted from the later of its last anchor and where silence was last judged (at first
		/// the obligation's acceptance), and the stretch ended by the due block. Each stretch
		/// counts once: the next one starts where this one ended. (An anchor of the device
		/// judges the silence before it on its own: an anchor ends a silence, it does not erase
		/// it.) Cuts what is owed by [`Config::SlaPenalty`] of the amount.
		///
		/// Origin: signed, anyone. Fails with `UnknownObligation`, `NotPending`, `NoSla`,
		/// `NotSilent`, `Overflow`. Emits [`Event::PenaltyApplied`], and [`Event::Forfeited`]
		/// when nothing is left.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::claim_silence())]
		pub fn claim_silence(origin: OriginFor<T>, id: ObligationId) -> DispatchResult {
			ensure_signed(origin)?;
			Self::do_claim_silence(id)
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The chain's genesis hash, which device requests sign so they cannot be replayed elsewhere.
	pub fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
	}

	/// Check the pallet's invariants:
	/// - each consumer's [`Outstanding`] is the sum of what its pending obligations leave to pay;
	/// - the [`DueQueue`] holds exactly the pending obligations, under their due blocks;
	/// - [`SlaWatch`] holds exactly the pending obligations with an SLA, under their device, and
	///   [`SlaSeen`] only devices it watches;
	/// - only pending obligations hold bonds;
	/// - every obligation is in both parties' streams, and every stream entry is an obligation
	///   of that party;
	/// - [`ProviderOffers`] lists each provider's offers; no id is at or past its next id;
	/// - what is held for offers and obligations is what their records say.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		use alloc::collections::{BTreeMap, BTreeSet};
		use frame_support::traits::fungible::InspectHold;

		let next_id = NextObligationId::<T>::get();
		let mut owed: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut bonds: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		let mut due_keys = BTreeSet::new();
		let mut watched: BTreeMap<DeviceId, BTreeSet<ObligationId>> = BTreeMap::new();
		for (id, o) in Obligations::<T>::iter() {
			ensure!(id < next_id, "an obligation id is at or past NextObligationId");
			ensure!(
				Streams::<T>::contains_key((Side::Provider, &o.provider), id.to_be_bytes())
					&& Streams::<T>::contains_key((Side::Consumer, &o.consumer), id.to_be_bytes()),
				"an obligation is missing from a stream"
			);
			ensure!(o.paid.saturating_add(o.penalty) <= o.amount, "paid and penalties exceed it");
			let deposit = held.entry(o.consumer.clone()).or_insert_with(Zero::zero);
			*deposit = deposit.saturating_add(o.deposit);
			ensure!(
				(o.status == Status::Pending) == o.closed_at.is_none(),
				"an obligation's closing block disagrees with its status"
			);
			ensure!(
				o.status == Status::Pending || o.bond.is_zero(),
				"a closed obligation still holds a bond"
			);
			let bond = bonds.entry(o.consumer.clone()).or_insert_with(Zero::zero);
			*bond = bond.saturating_add(o.bond);
			if o.status == Status::Pending {
				let sum = owed.entry(o.consumer.clone()).or_insert_with(Zero::zero);
				*sum = sum.saturating_add(o.remaining());
				due_keys.insert(Self::due_key(o.due, id));
				if let (Some(_), Some(device)) = (o.sla, o.provider_device) {
					watched.entry(device).or_default().insert(id);
				}
			}
		}
		for (consumer, sum) in owed.iter() {
			ensure!(
				Outstanding::<T>::get(consumer) == *sum,
				"a consumer's outstanding total is not the sum it owes"
			);
		}
		for (consumer, _) in Outstanding::<T>::iter() {
			ensure!(owed.contains_key(&consumer), "an outstanding total without pending debt");
		}
		let queued: BTreeSet<[u8; 16]> = DueQueue::<T>::iter_keys().collect();
		ensure!(queued == due_keys, "the due queue does not match the pending obligations");
		let mut watch_lists = BTreeMap::new();
		for (device, list) in SlaWatch::<T>::iter() {
			let ids: BTreeSet<ObligationId> = list.iter().copied().collect();
			ensure!(ids.len() == list.len(), "an SLA watch list names an obligation twice");
			watch_lists.insert(device, ids);
		}
		ensure!(watch_lists == watched, "the SLA watch lists do not match the pending SLAs");
		for device in SlaSeen::<T>::iter_keys() {
			ensure!(watched.contains_key(&device), "a device is kept as seen with no SLA watching");
		}
		for ((side, who), raw) in Streams::<T>::iter_keys() {
			let id = ObligationId::from_be_bytes(raw);
			let o = Obligations::<T>::get(id).ok_or("a stream names a missing obligation")?;
			let party = if side == Side::Provider { &o.provider } else { &o.consumer };
			ensure!(party == &who, "a stream names another party's obligation");
		}
		let next_offer = NextOfferId::<T>::get();
		let mut offers: BTreeMap<T::AccountId, BTreeSet<OfferId>> = BTreeMap::new();
		let mut offer_held: BTreeMap<T::AccountId, BalanceOf<T>> = BTreeMap::new();
		for (id, offer) in Offers::<T>::iter() {
			ensure!(id < next_offer, "an offer id is at or past NextOfferId");
			offers.entry(offer.provider.clone()).or_default().insert(id);
			let sum = offer_held.entry(offer.provider.clone()).or_insert_with(Zero::zero);
			*sum = sum.saturating_add(offer.deposit);
		}
		let listed: BTreeMap<T::AccountId, BTreeSet<OfferId>> = ProviderOffers::<T>::iter()
			.map(|(who, list)| (who, list.iter().copied().collect()))
			.collect();
		ensure!(listed == offers, "ProviderOffers does not list each provider's offers");
		for (reason, deposits) in [
			(HoldReason::ObligationDeposit, held),
			(HoldReason::OfferDeposit, offer_held),
			(HoldReason::SlaBond, bonds),
		] {
			for (who, sum) in deposits {
				ensure!(
					T::Currency::balance_on_hold(&reason.into(), &who) == sum,
					"what is held does not match the deposits on record"
				);
			}
		}
		Ok(())
	}
}
