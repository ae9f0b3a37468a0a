//! # Anchoring pallet
//!
//! Gateways collect device-signed readings, batch them, and anchor one Merkle root per batch
//! (tree and leaf format in [`iotrust_primitives::merkle`]), with each device's range of sequence
//! numbers and a min/max summary per metric. Anyone holding a reading and its proof can then show
//! that it was anchored, when and by which gateway.
//!
//! Per device the pallet keeps the last anchored sequence number: a range that overlaps it (a
//! replay) is refused; a range that skips ahead is accepted and the gap recorded in an event, so
//! readings lost upstream are visible on chain. Only the gateway a device is bound to may anchor
//! its readings, and only while the device is active (through
//! [`iotrust_primitives::device::DeviceRegistry`]).
//!
//! Device owners set threshold rules per device (alerts, e.g. a cold chain's maximum
//! temperature); a batch whose summary breaks one raises [`Event::RuleBreached`]. Every device's
//! summaries are also handed, with the anchoring gateway, to [`Config::OnAnchored`]: the
//! obligations pallet judges SLA penalties there against the terms each obligation fixed when it
//! was accepted, not against these rules, which their owner may change at any time.
//!
//! A reading checks out against an anchor ([`Pallet::check_reading`]) only if it is a leaf of
//! the anchored tree, within its device's anchored range, *and* signed by the key the device held
//! when the batch was anchored: a gateway cannot put words in a device's mouth.
//!
//! ## Calls
//!
//! - [`Pallet::anchor`]: a gateway anchors a batch.
//! - [`Pallet::set_rules`]: a device's owner replaces its threshold rules.
//! - [`Pallet::reset_sequence`]: a device's owner resets its last anchored sequence number
//!   (e.g. one a gateway pushed to `u64::MAX`).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
pub mod weights;

pub use weights::WeightInfo;

use alloc::{collections::BTreeSet, vec::Vec};
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate, MutateHold},
		tokens::Precision,
	},
};
use frame_system::pallet_prelude::*;
pub use iotrust_primitives::anchoring::{Anchor, AnchorHeader, DeviceRange};
use iotrust_primitives::{
	anchoring::{
		AnchorEvidence, AnchorId, AnchoredRange, GroupAnchor, MetricSummary, OnAnchored,
		RuleBreach, ThresholdRule,
	},
	channels::DeviceChannels,
	device::{DeviceId, DeviceRegistry, OnDeviceRemoved},
	groups::{Endorsement, Epoch, GatewayGroups, GroupId, GroupRefusal, GroupSignature},
	merkle::{verify_proof, MerkleProof, SignedReading},
};
use sp_core::H256;
use sp_runtime::traits::{Saturating, UniqueSaturatedInto, Zero};

/// Sets up what the benchmarks need from the device registry.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// An active device, number `index`, owned by `owner` and bound to `gateway`.
	fn active_device(index: u32, owner: &AccountId, gateway: &AccountId) -> DeviceId;
	/// A gateway group whose active key is `key`: its id, key epoch, a member gateway and the
	/// group's account.
	fn active_group(
		key: iotrust_primitives::groups::GroupPublicKey,
	) -> (GroupId, Epoch, AccountId, AccountId);
}

/// The balance type of [`Config::Currency`].
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The layout of this pallet's storage.
pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

pub use iotrust_primitives::anchoring::{RangeCheck, ReadingCheck};

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>, Hash = H256> {
		/// Which devices exist, who owns them, which gateway they are bound to.
		type Devices: DeviceRegistry<Self::AccountId>;

		/// Told what each device's readings in an anchored batch showed, and by which gateway.
		type OnAnchored: OnAnchored<Self::AccountId>;

		/// Gateway groups: their keys, accounts and members, for anchors a group signed.
		type Groups: GatewayGroups<Self::AccountId>;

		/// Which devices' readings are private to a channel: their ranges carry no summaries.
		type Channels: DeviceChannels;

		/// The most devices one batch may cover.
		#[pallet::constant]
		type MaxDevicesPerBatch: Get<u32>;

		/// The most metrics one device's summary may hold in a batch.
		#[pallet::constant]
		type MaxMetrics: Get<u32>;

		/// The most metric summaries one batch may hold in all, which bounds the largest batch's
		/// length and work (`integrity_test` checks that it fits in one extrinsic).
		#[pallet::constant]
		type MaxSummariesPerBatch: Get<u32>;

		/// The most threshold rules one device may have.
		#[pallet::constant]
		type MaxRules: Get<u32>;

		/// The currency anchor deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// Held from whoever submits an anchor (a gateway, or the member gateway that submits
		/// its group's) until the anchor expires: for the anchor's record and index entries.
		#[pallet::constant]
		type AnchorDepositBase: Get<BalanceOf<Self>>;

		/// Held besides for each device the anchor covers (its range and its index entry).
		#[pallet::constant]
		type AnchorDepositPerDevice: Get<BalanceOf<Self>>;

		/// How long an anchor is kept, in blocks after the one it was anchored in, until the
		/// council sets another retention ([`Pallet::set_retention`]).
		#[pallet::constant]
		type DefaultRetention: Get<BlockNumberFor<Self>>;

		/// The shortest retention the council may set: at least as long as anything else takes
		/// an anchor as evidence (the obligations pallet's dispute window).
		#[pallet::constant]
		type MinRetention: Get<BlockNumberFor<Self>>;

		/// Who sets the retention (the council).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;

		/// Makes active devices bound to a gateway, for the benchmarks.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// An anchor's deposit, held until it expires.
		AnchorDeposit,
	}

	/// How long anchors are kept, in blocks after the one each was anchored in; then they
	/// expire, oldest first, in blocks' idle time, and their deposits are released.
	#[pallet::storage]
	pub type Retention<T: Config> =
		StorageValue<_, BlockNumberFor<T>, ValueQuery, T::DefaultRetention>;

	/// The deposit each anchor holds, and from whom (anchors made before deposits hold none).
	#[pallet::storage]
	pub type Deposits<T: Config> =
		StorageMap<_, Twox64Concat, AnchorId, (T::AccountId, BalanceOf<T>)>;

	/// The oldest anchor not yet expired: every id below it is gone.
	#[pallet::storage]
	pub type NextToExpire<T: Config> = StorageValue<_, AnchorId, ValueQuery>;

	/// The id the next anchor gets.
	#[pallet::storage]
	pub type NextAnchorId<T: Config> = StorageValue<_, AnchorId, ValueQuery>;

	/// Anchored batches by id.
	#[pallet::storage]
	pub type Anchors<T: Config> = StorageMap<_, Twox64Concat, AnchorId, AnchorOf<T>>;

	/// Anchor ids by (gateway, the gateway's batch number).
	#[pallet::storage]
	pub type AnchorByBatch<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, T::AccountId, Twox64Concat, u64, AnchorId>;

	/// Each device's anchors, for listing them page by page, oldest first: the second key is the
	/// anchor id big-endian, unhashed, so storage order is numeric order.
	#[pallet::storage]
	pub type DeviceAnchors<T: Config> =
		StorageDoubleMap<_, Blake2_128Concat, DeviceId, Identity, [u8; 8], ()>;

	/// The group, and its key epoch, that signed each anchor a group made.
	#[pallet::storage]
	pub type Endorsements<T: Config> = StorageMap<_, Twox64Concat, AnchorId, Endorsement>;

	/// The highest batch number each gateway has anchored: where a gateway that lost its
	/// database resumes its numbering, and how it tells that another instance anchors with its
	/// account.
	#[pallet::storage]
	pub type LastBatch<T: Config> = StorageMap<_, Blake2_128Concat, T::AccountId, u64>;

	/// The last anchored sequence number of each device.
	#[pallet::storage]
	pub type LastSeq<T: Config> = StorageMap<_, Blake2_128Concat, DeviceId, u64>;

	/// Each device's threshold rules.
	#[pallet::storage]
	pub type Rules<T: Config> = StorageMap<
		_,
		Blake2_128Concat,
		DeviceId,
		BoundedVec<ThresholdRule, T::MaxRules>,
		ValueQuery,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// A batch was anchored.
		Anchored {
			anchor: AnchorId,
			gateway: T::AccountId,
			batch: u64,
			root: H256,
			reading_count: u32,
		},
		/// The batch just anchored was signed by a gateway group's key of `epoch`.
		GroupAnchored { anchor: AnchorId, group: GroupId, epoch: Epoch },
		/// A device's readings skipped sequence numbers: `expected` was next, `first` came.
		SequenceGap { device: DeviceId, anchor: AnchorId, expected: u64, first: u64 },
		/// A batch broke a device's threshold rule.
		RuleBreached { breach: RuleBreach },
		/// A device's owner replaced its threshold rules.
		RulesSet { device: DeviceId, count: u32 },
		/// A device's owner reset its last anchored sequence number from `previous` to `last`
		/// (`None`: the next batch may start anywhere).
		SequenceReset { device: DeviceId, previous: Option<u64>, last: Option<u64> },
		/// An anchor outlived the retention and was removed; its deposit went back to
		/// `depositor` (`None` for an anchor made before deposits).
		AnchorExpired { anchor: AnchorId, depositor: Option<T::AccountId>, released: BalanceOf<T> },
		/// The council set how long anchors are kept.
		RetentionSet { blocks: BlockNumberFor<T> },
	}

	#[pallet::error]
	pub enum Error<T> {
		/// The gateway already anchored a batch with that number.
		BatchAlreadyAnchored,
		/// A batch must cover at least one device.
		EmptyBatch,
		/// A device appears twice in the batch.
		DuplicateDevice,
		/// A range's first sequence number is above its last.
		InvalidRange,
		/// The reading count differs from the sum of the ranges' lengths.
		CountMismatch,
		/// The batch's time range is reversed.
		InvalidTimeRange,
		/// A device in the batch is unknown, suspended or revoked.
		DeviceNotActive,
		/// A device in the batch is bound to another gateway, or to none.
		NotDeviceGateway,
		/// A range overlaps sequence numbers already anchored (a replay).
		SequenceReplay,
		/// A metric summary's min is above its max, or a device's summaries name a metric twice.
		InvalidSummary,
		/// The caller does not own the device.
		NotOwner,
		/// A rule has neither bound, or its min is above its max.
		InvalidRule,
		/// Two rules watch the same metric (a rule holds both bounds).
		DuplicateRule,
		/// The batch holds more metric summaries than `MaxSummariesPerBatch`.
		TooManySummaries,
		/// The device's last anchored sequence number is `u64::MAX`: nothing can follow it until
		/// its owner resets it (`reset_sequence`).
		SequenceExhausted,
		/// Anchor ids ran out.
		Overflow,
		/// The caller is not one of the group's member gateways (or there is no such group).
		NotGroupMember,
		/// The group's key of its current epoch is not active yet (not every member confirmed
		/// it).
		GroupKeyNotActive,
		/// The anchor names an epoch other than the group's current one.
		WrongEpoch,
		/// The signature is not the group's key's over this anchor.
		BadGroupSignature,
		/// A group's batch must be its next: one above its last (0 for its first). A member that
		/// skipped a number would leave the others waiting for the one skipped.
		NotNextBatch,
		/// The group's last batch number is `u64::MAX`: no batch can follow it.
		BatchNumbersExhausted,
		/// One of the group's member gateways belongs to an account that has left the
		/// consortium: the group anchors nothing until the council changes its members.
		GroupMemberLeft,
		/// The retention is shorter than `MinRetention`.
		RetentionTooShort,
		/// A range of a device whose readings are private to a channel carries summaries: they
		/// would publish what only the channel may read.
		PrivateSummaries,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		/// The largest batch the limits allow, with every device charged the [`OnAnchored`]
		/// hook's worst case, fits in one normal extrinsic; and a full batch's devices can each
		/// carry a summary.
		fn integrity_test() {
			use frame_support::dispatch::DispatchClass;
			assert!(
				T::MaxSummariesPerBatch::get() >= T::MaxDevicesPerBatch::get(),
				"every device of a full batch must be able to carry a summary"
			);
			let worst = Pallet::<T>::anchor_weight(
				T::MaxDevicesPerBatch::get(),
				T::MaxSummariesPerBatch::get(),
			);
			let weights = <T as frame_system::Config>::BlockWeights::get();
			let normal = weights.get(DispatchClass::Normal);
			let limit = normal.max_extrinsic.unwrap_or(weights.max_block);
			assert!(
				worst.all_lte(limit),
				"the largest anchor ({worst:?}) does not fit one extrinsic ({limit:?}): lower \
				 MaxSummariesPerBatch or MaxDevicesPerBatch"
			);
			assert!(
				T::DefaultRetention::get() >= T::MinRetention::get(),
				"the default retention is shorter than the shortest allowed"
			);
		}

		/// Anchors that outlived the retention expire, oldest first, as far as the block's idle
		/// weight goes.
		fn on_idle(now: BlockNumberFor<T>, remaining: Weight) -> Weight {
			Self::expire_anchors(now, remaining)
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Anchor a batch of readings: its Merkle `root`, `reading_count`, time span and, per
		/// device, the sequence range and metric summaries.
		///
		/// Origin: signed, the gateway every device in the batch is bound to. Checks every range
		/// before storing anything; fails with `BatchAlreadyAnchored`, `EmptyBatch`,
		/// `TooManySummaries`, `InvalidTimeRange`, `DuplicateDevice`, `InvalidRange`, `CountMismatch`,
		/// `InvalidSummary`, `DeviceNotActive`, `NotDeviceGateway`, `SequenceReplay`,
		/// `SequenceExhausted`, `Overflow`. Emits [`Event::Anchored`], a [`Event::SequenceGap`] per device that
		/// skipped numbers, and a [`Event::RuleBreached`] per broken rule; hands each device's
		/// range (its summaries, whether it skipped numbers) to [`Config::OnAnchored`].
		#[pallet::call_index(0)]
		#[pallet::weight(Pallet::<T>::anchor_weight(
			ranges.len() as u32,
			Pallet::<T>::summary_count(ranges),
		))]
		pub fn anchor(
			origin: OriginFor<T>,
			batch: u64,
			root: H256,
			reading_count: u32,
			from_ms: u64,
			to_ms: u64,
			ranges: RangesOf<T>,
		) -> DispatchResultWithPostInfo {
			let gateway = ensure_signed(origin)?;
			let (devices, summaries) = (ranges.len() as u32, Self::summary_count(&ranges));
			let header = AnchorHeader { batch, root, reading_count, from_ms, to_ms };
			let (_, hooks) = Self::do_anchor(gateway.clone(), &gateway, header, ranges, false)?;
			Ok(Some(T::WeightInfo::anchor(devices, summaries).saturating_add(hooks)).into())
		}

		/// Anchor a batch that gateway group `group` signed with its key of `epoch`: a FROST
		/// signature, checked as one Ed25519 signature over [`GroupAnchor::message`] (the chain's
		/// genesis, the group, the epoch and every argument but the signature). The batch is
		/// anchored as by the group's account, to which its devices are bound, under the group's
		/// batch numbers, which follow one another: the batch must be the group's next (one above
		/// its last, 0 for its first). Then as [`Pallet::anchor`].
		///
		/// Origin: signed, any member gateway of the group (it pays the fee). Fails with
		/// `NotGroupMember`, `GroupMemberLeft`, `GroupKeyNotActive`, `WrongEpoch`,
		/// `BadGroupSignature`, `NotNextBatch`, `BatchNumbersExhausted`, and as
		/// [`Pallet::anchor`]. Emits what [`Pallet::anchor`] does, then
		/// [`Event::GroupAnchored`].
		#[pallet::call_index(3)]
		#[pallet::weight(Pallet::<T>::group_anchor_weight(
			ranges.len() as u32,
			Pallet::<T>::summary_count(ranges),
		))]
		pub fn anchor_as_group(
			origin: OriginFor<T>,
			group: GroupId,
			epoch: Epoch,
			batch: u64,
			root: H256,
			reading_count: u32,
			from_ms: u64,
			to_ms: u64,
			ranges: RangesOf<T>,
			signature: GroupSignature,
		) -> DispatchResultWithPostInfo {
			let submitter = ensure_signed(origin)?;
			let (active, account) =
				T::Groups::anchoring_key(group, &submitter).map_err(|refusal| match refusal {
					GroupRefusal::NotMember => Error::<T>::NotGroupMember,
					GroupRefusal::KeyNotActive => Error::<T>::GroupKeyNotActive,
					GroupRefusal::MemberLeft => Error::<T>::GroupMemberLeft,
				})?;
			ensure!(active.epoch == epoch, Error::<T>::WrongEpoch);
			let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
			let header = AnchorHeader { batch, root, reading_count, from_ms, to_ms };
			let message = GroupAnchor { genesis, group, epoch, header, ranges: &ranges }.message();
			ensure!(
				sp_io::crypto::ed25519_verify(
					&sp_core::ed25519::Signature::from_raw(signature),
					&message,
					&sp_core::ed25519::Public::from_raw(active.key),
				),
				Error::<T>::BadGroupSignature
			);
			ensure!(batch == Self::next_group_batch(&account)?, Error::<T>::NotNextBatch);
			let (devices, summaries) = (ranges.len() as u32, Self::summary_count(&ranges));
			let (id, hooks) = Self::do_anchor(account, &submitter, header, ranges, true)?;
			Endorsements::<T>::insert(id, Endorsement { group, epoch });
			Self::deposit_event(Event::GroupAnchored { anchor: id, group, epoch });
			Ok(Some(T::WeightInfo::anchor_as_group(devices, summaries).saturating_add(hooks))
				.into())
		}

		/// Replace `device`'s threshold rules (an empty list removes them).
		///
		/// Origin: the device's owner. Fails with `NotOwner` (also for an unknown device) or
		/// `InvalidRule`. Emits [`Event::RulesSet`].
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::set_rules(rules.len() as u32))]
		pub fn set_rules(
			origin: OriginFor<T>,
			device: DeviceId,
			rules: BoundedVec<ThresholdRule, T::MaxRules>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(T::Devices::owner_of(&device).as_ref() == Some(&who), Error::<T>::NotOwner);
			let mut metrics = BTreeSet::new();
			for rule in rules.iter() {
				ensure!(rule.min.is_some() || rule.max.is_some(), Error::<T>::InvalidRule);
				ensure!(metrics.insert(rule.metric), Error::<T>::DuplicateRule);
				if let (Some(min), Some(max)) = (rule.min, rule.max) {
					ensure!(min <= max, Error::<T>::InvalidRule);
				}
			}
			let count = rules.len() as u32;
			Rules::<T>::insert(device, rules);
			Self::deposit_event(Event::RulesSet { device, count });
			Ok(())
		}

		/// Set `device`'s last anchored sequence number to `last` (`None`: as if nothing was
		/// anchored, so the next batch may start at any number). For a device whose sequence a
		/// gateway pushed out of reach (up to `u64::MAX`), or one whose counter was reset in the
		/// field. Readings already anchored stay anchored; numbers anchored again after a reset
		/// are told apart by their anchors.
		///
		/// Origin: the device's owner. Fails with `NotOwner` (also for an unknown device).
		/// Emits [`Event::SequenceReset`].
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::reset_sequence())]
		pub fn reset_sequence(
			origin: OriginFor<T>,
			device: DeviceId,
			last: Option<u64>,
		) -> DispatchResult {
			let who = ensure_signed(origin)?;
			ensure!(T::Devices::owner_of(&device).as_ref() == Some(&who), Error::<T>::NotOwner);
			let previous = LastSeq::<T>::get(device);
			LastSeq::<T>::set(device, last);
			Self::deposit_event(Event::SequenceReset { device, previous, last });
			Ok(())
		}

		/// Keep anchors for `blocks` after the block each was anchored in; older ones expire
		/// in the following blocks' idle time (their deposits released), oldest first.
		///
		/// Origin: [`Config::AdminOrigin`] (the council). Fails with `RetentionTooShort`.
		/// Emits [`Event::RetentionSet`].
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::set_retention())]
		pub fn set_retention(origin: OriginFor<T>, blocks: BlockNumberFor<T>) -> DispatchResult {
			T::AdminOrigin::ensure_origin(origin)?;
			ensure!(blocks >= T::MinRetention::get(), Error::<T>::RetentionTooShort);
			Retention::<T>::put(blocks);
			Self::deposit_event(Event::RetentionSet { blocks });
			Ok(())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The batch number a group's account (`account`) must anchor next: one above its last, 0
	/// for its first.
	pub fn next_group_batch(account: &T::AccountId) -> Result<u64, Error<T>> {
		match LastBatch::<T>::get(account) {
			None => Ok(0),
			Some(last) => last.checked_add(1).ok_or(Error::<T>::BatchNumbersExhausted),
		}
	}

	/// Anchor a batch for `gateway` (a gateway's own account, or a group's), its deposit held
	/// from `depositor` (the gateway, or the member gateway that submits its group's): every
	/// check of [`Pallet::anchor`] first, then the writes, events and hooks. Returns the new
	/// anchor's id and the weight the hooks used.
	fn do_anchor(
		gateway: T::AccountId,
		depositor: &T::AccountId,
		header: AnchorHeader,
		ranges: RangesOf<T>,
		endorsed: bool,
	) -> Result<(AnchorId, Weight), DispatchError> {
		let AnchorHeader { batch, root, reading_count, from_ms, to_ms } = header;
		ensure!(
			!AnchorByBatch::<T>::contains_key(&gateway, batch),
			Error::<T>::BatchAlreadyAnchored
		);
		ensure!(!ranges.is_empty(), Error::<T>::EmptyBatch);
		ensure!(
			Self::summary_count(&ranges) <= T::MaxSummariesPerBatch::get(),
			Error::<T>::TooManySummaries
		);
		ensure!(from_ms <= to_ms, Error::<T>::InvalidTimeRange);

		let mut seen = BTreeSet::new();
		let mut total: u64 = 0;
		let mut gaps = Vec::new();
		for range in ranges.iter() {
			ensure!(seen.insert(range.device), Error::<T>::DuplicateDevice);
			ensure!(range.first <= range.last, Error::<T>::InvalidRange);
			let mut metrics = BTreeSet::new();
			ensure!(
				range.summaries.iter().all(|s| s.min <= s.max && metrics.insert(s.id)),
				Error::<T>::InvalidSummary
			);
			ensure!(
				range.summaries.is_empty() || T::Channels::channel_of(&range.device).is_none(),
				Error::<T>::PrivateSummaries
			);
			let len = range.last.checked_sub(range.first).and_then(|d| d.checked_add(1));
			total =
				total.checked_add(len.ok_or(Error::<T>::Overflow)?).ok_or(Error::<T>::Overflow)?;
			let expected = match Self::check_range(&gateway, &range.device, range.first) {
				RangeCheck::Admitted { expected } => expected,
				RangeCheck::DeviceNotActive => return Err(Error::<T>::DeviceNotActive.into()),
				RangeCheck::NotDeviceGateway => return Err(Error::<T>::NotDeviceGateway.into()),
				RangeCheck::SequenceReplay { .. } => return Err(Error::<T>::SequenceReplay.into()),
				RangeCheck::SequenceExhausted => return Err(Error::<T>::SequenceExhausted.into()),
			};
			if range.first > expected {
				gaps.push((range.device, expected, range.first));
			}
		}
		ensure!(total == u64::from(reading_count), Error::<T>::CountMismatch);
		let id = NextAnchorId::<T>::get();
		let next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
		let deposit = Self::deposit_for(ranges.len() as u32);
		T::Currency::hold(&HoldReason::AnchorDeposit.into(), depositor, deposit)?;
		Deposits::<T>::insert(id, (depositor.clone(), deposit));

		for range in ranges.iter() {
			LastSeq::<T>::insert(range.device, range.last);
			DeviceAnchors::<T>::insert(range.device, id.to_be_bytes(), ());
		}
		let breaches = Self::breaches(id, &ranges);
		let observed: Vec<(DeviceId, Vec<MetricSummary>, bool)> = ranges
			.iter()
			.map(|r| {
				let gap = gaps.iter().any(|(device, ..)| *device == r.device);
				(r.device, r.summaries.to_vec(), gap)
			})
			.collect();
		Anchors::<T>::insert(
			id,
			Anchor {
				gateway: gateway.clone(),
				header,
				ranges,
				anchored_at: frame_system::Pallet::<T>::block_number(),
			},
		);
		AnchorByBatch::<T>::insert(&gateway, batch, id);
		LastBatch::<T>::mutate(&gateway, |last| *last = Some(last.map_or(batch, |l| l.max(batch))));
		NextAnchorId::<T>::put(next);

		Self::deposit_event(Event::Anchored {
			anchor: id,
			gateway: gateway.clone(),
			batch,
			root,
			reading_count,
		});
		for (device, expected, first) in gaps {
			Self::deposit_event(Event::SequenceGap { device, anchor: id, expected, first });
		}
		for breach in breaches {
			Self::deposit_event(Event::RuleBreached { breach });
		}
		let mut hooks = Weight::zero();
		for (device, summaries, gap) in observed {
			let range = AnchoredRange {
				anchor: id,
				gateway: &gateway,
				device: &device,
				summaries: &summaries,
				endorsed,
				gap,
			};
			hooks = hooks.saturating_add(T::OnAnchored::on_anchored(range));
		}
		Ok((id, hooks))
	}

	/// How many metric summaries `ranges` hold: each can break at most one rule.
	fn summary_count(ranges: &[DeviceRangeOf<T>]) -> u32 {
		ranges.iter().map(|r| r.summaries.len() as u32).fold(0, u32::saturating_add)
	}

	/// Whether `gateway` may anchor a range of `device`'s readings starting at `first` now: the
	/// checks [`Pallet::anchor`] makes of each device, for gateways to ask before submitting.
	pub fn check_range(gateway: &T::AccountId, device: &DeviceId, first: u64) -> RangeCheck {
		if let Err(refusal) = T::Devices::standing(device, gateway) {
			return refusal.into();
		}
		match LastSeq::<T>::get(device) {
			None => RangeCheck::Admitted { expected: 0 },
			Some(u64::MAX) => RangeCheck::SequenceExhausted,
			Some(last) if first <= last => RangeCheck::SequenceReplay { last },
			Some(last) => RangeCheck::Admitted { expected: last.saturating_add(1) },
		}
	}

	/// The most an anchor of `devices` devices with `summaries` metric summaries in all may
	/// weigh: the pallet's own work plus one [`OnAnchored`] hook per device.
	pub fn anchor_weight(devices: u32, summaries: u32) -> Weight {
		T::WeightInfo::anchor(devices, summaries)
			.saturating_add(T::OnAnchored::max_weight().saturating_mul(u64::from(devices)))
	}

	/// [`Pallet::anchor_weight`] for a group's anchor, its signature checked besides.
	pub fn group_anchor_weight(devices: u32, summaries: u32) -> Weight {
		T::WeightInfo::anchor_as_group(devices, summaries)
			.saturating_add(T::OnAnchored::max_weight().saturating_mul(u64::from(devices)))
			// The consortium's members, read to find a member that left (not in the benchmark's
			// measure yet).
			.saturating_add(T::DbWeight::get().reads(1))
	}

	/// The deposit an anchor of `devices` devices holds.
	pub fn deposit_for(devices: u32) -> BalanceOf<T> {
		T::AnchorDepositBase::get()
			.saturating_add(T::AnchorDepositPerDevice::get().saturating_mul(devices.into()))
	}

	/// Expire the anchors that outlived the retention at block `now`, oldest first, as many as
	/// `limit` allows (each charged the largest anchor's cost until it is read). Returns the
	/// weight used.
	pub fn expire_anchors(now: BlockNumberFor<T>, limit: Weight) -> Weight {
		let db = T::DbWeight::get();
		// The retention, the cursor and the next id.
		let mut used = db.reads(3);
		let worst = Self::expire_weight(T::MaxDevicesPerBatch::get());
		if !used.saturating_add(worst).all_lte(limit) {
			return Weight::zero();
		}
		let retention = Retention::<T>::get();
		let first = NextToExpire::<T>::get();
		let end = NextAnchorId::<T>::get();
		let mut cursor = first;
		while cursor < end && used.saturating_add(worst).all_lte(limit) {
			match Anchors::<T>::get(cursor) {
				Some(anchor) => {
					if anchor.anchored_at.saturating_add(retention) > now {
						used = used.saturating_add(db.reads(1));
						break;
					}
					used = used.saturating_add(Self::expire(cursor, anchor));
				},
				None => used = used.saturating_add(db.reads(1)),
			}
			cursor = cursor.saturating_add(1);
		}
		if cursor != first {
			NextToExpire::<T>::put(cursor);
			used = used.saturating_add(db.writes(1));
		}
		used
	}

	/// What expiring an anchor of `devices` devices may weigh: the benchmarked removal, and for
	/// each device whose record is gone and whose last anchor this was, forgetting its keys (the
	/// worst case; [`Pallet::expire`] returns what it used).
	pub fn expire_weight(devices: u32) -> Weight {
		T::WeightInfo::expire_anchor(devices)
			.saturating_add(T::Devices::forget_weight().saturating_mul(u64::from(devices)))
	}

	/// Remove anchor `id` and what indexes it, release its deposit, and have the registry
	/// forget each of its devices that is removed and has no anchor left. Returns its weight.
	pub(crate) fn expire(id: AnchorId, anchor: AnchorOf<T>) -> Weight {
		let mut weight = T::WeightInfo::expire_anchor(anchor.ranges.len() as u32);
		for range in anchor.ranges.iter() {
			DeviceAnchors::<T>::remove(range.device, id.to_be_bytes());
			if T::Devices::owner_of(&range.device).is_none()
				&& DeviceAnchors::<T>::iter_prefix(range.device).next().is_none()
			{
				T::Devices::forget(&range.device);
				weight = weight.saturating_add(T::Devices::forget_weight());
			}
		}
		if AnchorByBatch::<T>::get(&anchor.gateway, anchor.header.batch) == Some(id) {
			AnchorByBatch::<T>::remove(&anchor.gateway, anchor.header.batch);
		}
		Endorsements::<T>::remove(id);
		Anchors::<T>::remove(id);
		let (depositor, released) = match Deposits::<T>::take(id) {
			Some((who, deposit)) => {
				let released = T::Currency::release(
					&HoldReason::AnchorDeposit.into(),
					&who,
					deposit,
					Precision::BestEffort,
				)
				.unwrap_or_default();
				(Some(who), released)
			},
			None => (None, Zero::zero()),
		};
		Self::deposit_event(Event::AnchorExpired { anchor: id, depositor, released });
		weight
	}

	/// Every rule that a batch with these ranges breaks.
	fn breaches(anchor: AnchorId, ranges: &[DeviceRangeOf<T>]) -> Vec<RuleBreach> {
		let mut out = Vec::new();
		for range in ranges {
			let rules = Rules::<T>::get(range.device);
			for rule in rules.iter() {
				for observed in range.summaries.iter().filter(|s| rule.is_breached_by(s)) {
					out.push(RuleBreach {
						device: range.device,
						anchor,
						rule: *rule,
						observed: *observed,
					});
				}
			}
		}
		out
	}

	/// A page of `device`'s anchors: at most `limit`, after `start_after`, oldest first.
	pub fn device_anchors(
		device: &DeviceId,
		start_after: Option<AnchorId>,
		limit: u32,
	) -> Vec<(AnchorId, AnchorOf<T>)> {
		let iter = match start_after {
			Some(after) => DeviceAnchors::<T>::iter_key_prefix_from(
				device,
				DeviceAnchors::<T>::hashed_key_for(device, after.to_be_bytes()),
			),
			None => DeviceAnchors::<T>::iter_key_prefix(device),
		};
		iter.take(limit as usize)
			.map(AnchorId::from_be_bytes)
			.filter_map(|id| Anchors::<T>::get(id).map(|a| (id, a)))
			.collect()
	}

	/// Whether `reading` was anchored in `anchor`, as `proof` claims, and signed by its device.
	/// The proof's leaf count is taken from the anchor, never from the proof; the signature is
	/// checked against the key the device held in the block the anchor was made in.
	pub fn check_reading(
		anchor: AnchorId,
		reading: &SignedReading,
		proof: &MerkleProof,
	) -> ReadingCheck {
		let Some(stored) = Anchors::<T>::get(anchor) else { return ReadingCheck::UnknownAnchor };
		let in_range = stored
			.ranges
			.iter()
			.any(|r| r.device == reading.device && (r.first..=r.last).contains(&reading.seq));
		if !in_range {
			return ReadingCheck::NotInRange;
		}
		let proof = MerkleProof { leaf_count: stored.header.reading_count, ..proof.clone() };
		if !verify_proof(&stored.header.root, &reading.leaf_hash(), &proof) {
			return ReadingCheck::BadProof;
		}
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		let at: u64 = stored.anchored_at.unique_saturated_into();
		if T::Devices::verify_at(
			&reading.device,
			at,
			&reading.payload(&genesis),
			&reading.signature,
		) {
			match Endorsements::<T>::get(anchor) {
				Some(Endorsement { group, epoch }) => {
					ReadingCheck::AnchoredByGroup { group, epoch }
				},
				None => ReadingCheck::Anchored,
			}
		} else {
			ReadingCheck::BadSignature
		}
	}
}

impl<T: Config> AnchorEvidence for Pallet<T> {
	fn anchored_at(anchor: AnchorId) -> Option<u64> {
		Anchors::<T>::get(anchor).map(|a| a.anchored_at.unique_saturated_into())
	}

	fn check_reading(
		anchor: AnchorId,
		reading: &SignedReading,
		proof: &MerkleProof,
	) -> ReadingCheck {
		Self::check_reading(anchor, reading, proof)
	}
}

/// A removed device's rules and last sequence number go with it (its id never comes back). Its
/// anchors stay, with their index entries, as the evidence they are, until they expire; the
/// registry forgets its keys when its last anchor goes (now, if it has none).
impl<T: Config> OnDeviceRemoved for Pallet<T> {
	fn on_device_removed(device: &DeviceId) -> Weight {
		Rules::<T>::remove(device);
		LastSeq::<T>::remove(device);
		if DeviceAnchors::<T>::iter_prefix(device).next().is_none() {
			T::Devices::forget(device);
		}
		<Self as OnDeviceRemoved>::max_weight()
	}

	fn max_weight() -> Weight {
		T::DbWeight::get().reads_writes(1, 2).saturating_add(T::Devices::forget_weight())
	}
}

/// Invariants, checked by `try_state` (try-runtime), after every unit test, and after every test
/// of the runtime crate.
impl<T: Config> Pallet<T> {
	/// The pallet's invariants: every anchor is found by its (gateway, batch) and listed under
	/// each of its devices, every index entry points at an anchor that holds it, no gateway's
	/// batch is above its recorded last batch, every anchor id is between the expiry cursor and
	/// the next one to be given, and every group endorsement and deposit is of an anchor.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let next = NextAnchorId::<T>::get();
		let expired_below = NextToExpire::<T>::get();
		ensure!(expired_below <= next, "the expiry cursor is past the next id");
		let mut anchors: u64 = 0;
		for (id, anchor) in Anchors::<T>::iter() {
			anchors += 1;
			ensure!(id < next, "an anchor id is not below the next id");
			ensure!(id >= expired_below, "an anchor below the expiry cursor was kept");
			ensure!(
				AnchorByBatch::<T>::get(&anchor.gateway, anchor.header.batch) == Some(id),
				"an anchor is not found by its gateway and batch"
			);
			let mut total: u64 = 0;
			for range in anchor.ranges.iter() {
				ensure!(
					DeviceAnchors::<T>::contains_key(range.device, id.to_be_bytes()),
					"an anchor is not listed under one of its devices"
				);
				total = total.saturating_add(range.last.saturating_sub(range.first) + 1);
			}
			ensure!(total == u64::from(anchor.header.reading_count), "an anchor's ranges miscount");
		}
		let mut by_batch: u64 = 0;
		for (gateway, batch, id) in AnchorByBatch::<T>::iter() {
			by_batch += 1;
			ensure!(
				Anchors::<T>::get(id)
					.is_some_and(|a| a.gateway == gateway && a.header.batch == batch),
				"a batch index entry points at another anchor"
			);
			ensure!(
				LastBatch::<T>::get(&gateway).is_some_and(|last| batch <= last),
				"a gateway anchored a batch above its last batch number"
			);
		}
		ensure!(by_batch == anchors, "anchors and the batch index differ in number");
		for (device, raw, ()) in DeviceAnchors::<T>::iter() {
			let id = AnchorId::from_be_bytes(raw);
			ensure!(
				Anchors::<T>::get(id).is_some_and(|a| a.ranges.iter().any(|r| r.device == device)),
				"a device lists an anchor without its range"
			);
		}
		for (id, _) in Endorsements::<T>::iter() {
			ensure!(Anchors::<T>::contains_key(id), "an endorsement of no anchor");
		}
		for (id, _) in Deposits::<T>::iter() {
			ensure!(Anchors::<T>::contains_key(id), "a deposit of no anchor");
		}
		Ok(())
	}
}
