//! Benchmarks for the anchoring pallet at their worst case: every device of a batch already
//! anchored before (its last sequence read), with a full set of rules that the batch's summaries
//! all break (each breach an event). An anchor's work grows with its devices and with its metric
//! summaries, so `anchor` measures both: `n` devices sharing `s` summaries. Every device is
//! charged the [`OnAnchored`] hook's worst case besides (SLA penalties, benchmarked by the pallet
//! that implements it).

use super::*;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;
use iotrust_primitives::merkle::MetricId;

/// Device `i`'s part of `s` summaries shared by `n` devices as evenly as they go.
fn shared_summaries<T: Config>(i: u32, n: u32, s: u32) -> BoundedVec<MetricSummary, T::MaxMetrics> {
	let n = n.max(1);
	let share = (s / n + u32::from(i < s % n)).min(T::MaxMetrics::get());
	(0..share)
		.map(|m| MetricSummary { id: m as MetricId, min: -1_000_000, max: 1_000_000 })
		.collect::<Vec<_>>()
		.try_into()
		.expect("at most MaxMetrics; qed")
}

/// `n` active devices bound to `gateway`, each anchored before and with rules that its share of
/// `s` summaries all break: the batch [`anchor`](benchmarks::anchor) measures.
fn batch<T: Config>(n: u32, s: u32, gateway: &T::AccountId) -> Result<RangesOf<T>, BenchmarkError> {
	let owner: T::AccountId = account("owner", 0, 0);
	let mut ranges = Vec::new();
	for i in 0..n {
		let device = T::BenchmarkHelper::active_device(i, &owner, gateway);
		Pallet::<T>::set_rules(
			RawOrigin::Signed(owner.clone()).into(),
			device,
			breaking_rules::<T>(),
		)
		.map_err(|_| BenchmarkError::Stop("set_rules"))?;
		LastSeq::<T>::insert(device, 99);
		ranges.push(DeviceRange {
			device,
			first: 100,
			last: 199,
			summaries: shared_summaries::<T>(i, n, s),
		});
	}
	ranges.try_into().map_err(|_| BenchmarkError::Weightless)
}

/// Give `who` enough to hold anchor deposits.
fn fund<T: Config>(who: &T::AccountId) {
	let plenty = Pallet::<T>::deposit_for(T::MaxDevicesPerBatch::get())
		.saturating_mul(1_000u32.into())
		.saturating_add(T::Currency::minimum_balance());
	T::Currency::set_balance(who, plenty);
}

/// `MaxRules` rules, each broken by [`shared_summaries`].
fn breaking_rules<T: Config>() -> BoundedVec<ThresholdRule, T::MaxRules> {
	(0..T::MaxRules::get())
		.map(|i| ThresholdRule {
			metric: (i % T::MaxMetrics::get().max(1)) as MetricId,
			min: Some(0),
			max: Some(1),
		})
		.collect::<Vec<_>>()
		.try_into()
		.expect("exactly MaxRules; qed")
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// A batch of `n` devices carrying `s` metric summaries in all. `n` starts where every
	/// device's share of the most summaries fits its `MaxMetrics`, so each point measured is a
	/// batch the pallet accepts; fewer devices are charged along the same line.
	#[benchmark]
	fn anchor(
		n: Linear<
			{ T::MaxSummariesPerBatch::get().div_ceil(T::MaxMetrics::get().max(1)).max(1) },
			{ T::MaxDevicesPerBatch::get() },
		>,
		s: Linear<0, { T::MaxSummariesPerBatch::get() }>,
	) -> Result<(), BenchmarkError> {
		let gateway: T::AccountId = account("gateway", 0, 0);
		fund::<T>(&gateway);
		let ranges = batch::<T>(n, s, &gateway)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(gateway.clone()), 7, H256::repeat_byte(1), n * 100, 0, 1, ranges);

		assert!(AnchorByBatch::<T>::contains_key(gateway, 7));
		Ok(())
	}

	/// [`anchor`]'s batch, signed by a gateway group's key and submitted by one of its members.
	#[benchmark]
	fn anchor_as_group(
		n: Linear<
			{ T::MaxSummariesPerBatch::get().div_ceil(T::MaxMetrics::get().max(1)).max(1) },
			{ T::MaxDevicesPerBatch::get() },
		>,
		s: Linear<0, { T::MaxSummariesPerBatch::get() }>,
	) -> Result<(), BenchmarkError> {
		let key_type = sp_core::crypto::KeyTypeId(*b"grup");
		let public = sp_io::crypto::ed25519_generate(key_type, None);
		let (group, epoch, member, account) = T::BenchmarkHelper::active_group(public.0);
		fund::<T>(&member);
		let ranges = batch::<T>(n, s, &account)?;
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		let root = H256::repeat_byte(1);
		let header = AnchorHeader { batch: 0, root, reading_count: n * 100, from_ms: 0, to_ms: 1 };
		let message = GroupAnchor { genesis, group, epoch, header, ranges: &ranges }.message();
		let signature = sp_io::crypto::ed25519_sign(key_type, &public, &message)
			.ok_or(BenchmarkError::Stop("no keystore to sign with"))?;

		#[extrinsic_call]
		_(RawOrigin::Signed(member), group, epoch, 0, root, n * 100, 0, 1, ranges, signature.0);

		assert!(AnchorByBatch::<T>::contains_key(account, 0));
		Ok(())
	}

	/// Setting `n` rules.
	#[benchmark]
	fn set_rules(n: Linear<0, { T::MaxRules::get() }>) -> Result<(), BenchmarkError> {
		let owner: T::AccountId = account("owner", 0, 0);
		let gateway: T::AccountId = account("gateway", 0, 0);
		let device = T::BenchmarkHelper::active_device(0, &owner, &gateway);
		let rules: BoundedVec<_, _> = breaking_rules::<T>()
			.into_iter()
			.take(n as usize)
			.collect::<Vec<_>>()
			.try_into()
			.map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device, rules);

		assert_eq!(Rules::<T>::get(device).len() as u32, n);
		Ok(())
	}

	/// An owner resets its device's sequence.
	#[benchmark]
	fn reset_sequence() {
		let owner: T::AccountId = account("owner", 0, 0);
		let gateway: T::AccountId = account("gateway", 0, 0);
		let device = T::BenchmarkHelper::active_device(0, &owner, &gateway);
		LastSeq::<T>::insert(device, u64::MAX);

		#[extrinsic_call]
		_(RawOrigin::Signed(owner), device, Some(99));

		assert_eq!(LastSeq::<T>::get(device), Some(99));
	}

	/// An anchor of `n` devices (each with its summaries) expires: its record, its index
	/// entries and its endorsement removed, its deposit released.
	#[benchmark]
	fn expire_anchor(n: Linear<1, { T::MaxDevicesPerBatch::get() }>) -> Result<(), BenchmarkError> {
		let gateway: T::AccountId = account("gateway", 0, 0);
		fund::<T>(&gateway);
		let s = T::MaxSummariesPerBatch::get().min(n.saturating_mul(T::MaxMetrics::get()));
		let ranges = batch::<T>(n, s, &gateway)?;
		Pallet::<T>::anchor(
			RawOrigin::Signed(gateway.clone()).into(),
			7,
			H256::repeat_byte(1),
			n * 100,
			0,
			1,
			ranges,
		)
		.map_err(|_| BenchmarkError::Stop("anchor"))?;
		let id = NextAnchorId::<T>::get().saturating_sub(1);
		Endorsements::<T>::insert(id, Endorsement { group: 0, epoch: 1 });
		let stored = Anchors::<T>::get(id).ok_or(BenchmarkError::Stop("no anchor"))?;

		#[block]
		{
			let _ = Pallet::<T>::expire(id, stored);
		}

		assert!(!Anchors::<T>::contains_key(id));
		assert!(!Deposits::<T>::contains_key(id));
		Ok(())
	}

	/// The council sets the retention.
	#[benchmark]
	fn set_retention() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;
		let blocks = T::MinRetention::get();

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, blocks);

		assert_eq!(Retention::<T>::get(), blocks);
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
