//! Benchmarks for the anchoring pallet at their worst case: every device of a full batch already
//! anchored before (its last sequence read), with a full set of rules that the batch's summaries
//! all break (each breach an event). A batch holds at most `MaxSummariesPerBatch` summaries, so
//! each device carries its share of them (at least one). Every device is charged the
//! [`OnAnchored`] hook's worst case besides (SLA penalties, benchmarked by the pallet that
//! implements it).

use super::*;
use frame_benchmarking::v2::*;
use frame_system::RawOrigin;
use iotrust_primitives::merkle::MetricId;

/// One device's share of a full batch's summaries.
fn full_summaries<T: Config>() -> BoundedVec<MetricSummary, T::MaxMetrics> {
	let share = (T::MaxSummariesPerBatch::get() / T::MaxDevicesPerBatch::get().max(1))
		.clamp(1, T::MaxMetrics::get());
	(0..share)
		.map(|i| MetricSummary { id: i as MetricId, min: -1_000_000, max: 1_000_000 })
		.collect::<Vec<_>>()
		.try_into()
		.expect("at most MaxMetrics; qed")
}

/// `MaxRules` rules, each broken by [`full_summaries`].
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

	/// A batch of `n` devices.
	#[benchmark]
	fn anchor(n: Linear<1, { T::MaxDevicesPerBatch::get() }>) -> Result<(), BenchmarkError> {
		let owner: T::AccountId = account("owner", 0, 0);
		let gateway: T::AccountId = account("gateway", 0, 0);
		let mut ranges = Vec::new();
		for i in 0..n {
			let device = T::BenchmarkHelper::active_device(i, &owner, &gateway);
			Pallet::<T>::set_rules(
				RawOrigin::Signed(owner.clone()).into(),
				device,
				breaking_rules::<T>(),
			)
			.map_err(|_| BenchmarkError::Stop("set_rules"))?;
			LastSeq::<T>::insert(device, 99);
			ranges.push(DeviceRange::<T> {
				device,
				first: 100,
				last: 199,
				summaries: full_summaries::<T>(),
			});
		}
		let ranges: BoundedVec<_, _> = ranges.try_into().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(gateway.clone()), 7, H256::repeat_byte(1), n * 100, 0, 1, ranges);

		assert!(AnchorByBatch::<T>::contains_key(gateway, 7));
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

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
