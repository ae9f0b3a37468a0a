//! Benchmarks for the obligations pallet at their worst case: obligations held to an SLA (its
//! watch list updated), naming both devices, with the longest note; a device request signed with
//! the dearest scheme to verify; closings that report to reputation.

use super::*;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::traits::fungible::Inspect;
use frame_support::traits::{fungible::Mutate, Hooks};
use frame_system::RawOrigin;
use iotrust_primitives::{
	anchoring::{MetricSummary, ThresholdRule},
	merkle::metric,
};

const TEMP: u16 = metric::TEMPERATURE_MILLI_C;

/// An account with plenty to pay with.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let plenty = T::Credit::credit_limit(&who)
		.saturating_mul(2u32.into())
		.saturating_add(T::Currency::minimum_balance().saturating_mul(1_000u32.into()));
	T::Currency::set_balance(&who, plenty);
	who
}

/// An amount a fresh consumer may owe as many times as an SLA device holds obligations.
fn amount<T: Config>(consumer: &T::AccountId) -> BalanceOf<T> {
	T::Credit::credit_limit(consumer) / T::MaxSlaPerDevice::get().saturating_add(1).into()
}

/// Terms from `consumer` to `provider` held to an SLA on the provider's device number `index`.
fn sla_terms<T: Config>(
	provider: &T::AccountId,
	gateway: &T::AccountId,
	index: u32,
	amount: BalanceOf<T>,
) -> Terms<T> {
	let device = T::BenchmarkHelper::signing_device(index, provider, gateway);
	Terms {
		provider: provider.clone(),
		amount,
		service_hash: sp_core::H256::repeat_byte(7),
		note: vec![b'n'; T::MaxNoteLen::get() as usize].try_into().expect("exactly the bound; qed"),
		due_in: 10u32.into(),
		provider_device: Some(device),
		sla: Some(Sla { device, metric: TEMP }),
	}
}

/// `count` pending obligations of `consumer`, all held to the SLA of provider device `index`.
fn pending<T: Config>(
	consumer: &T::AccountId,
	provider: &T::AccountId,
	index: u32,
	count: u32,
) -> Result<Vec<ObligationId>, BenchmarkError> {
	let gateway: T::AccountId = account("gateway", 0, 0);
	let each = amount::<T>(consumer);
	let mut ids = Vec::new();
	for _ in 0..count {
		ids.push(NextObligationId::<T>::get());
		Pallet::<T>::create(
			RawOrigin::Signed(consumer.clone()).into(),
			sla_terms::<T>(provider, &gateway, index, each),
			None,
		)
		.map_err(|_| BenchmarkError::Stop("create"))?;
	}
	Ok(ids)
}

fn breach(device: DeviceId, anchor: u64) -> RuleBreach {
	RuleBreach {
		device,
		anchor,
		rule: ThresholdRule { metric: TEMP, min: None, max: Some(0) },
		observed: MetricSummary { id: TEMP, min: 1, max: 1 },
	}
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// With a consumer device and an SLA whose watch list is one short of full.
	#[benchmark]
	fn create() -> Result<(), BenchmarkError> {
		let consumer = funded::<T>("consumer", 0);
		let provider = funded::<T>("provider", 0);
		let gateway: T::AccountId = account("gateway", 0, 0);
		let full = T::MaxSlaPerDevice::get();
		pending::<T>(&consumer, &provider, 1, full - 1)?;
		let consumer_device = T::BenchmarkHelper::signing_device(2, &consumer, &gateway);
		let each = amount::<T>(&consumer);
		let terms = sla_terms::<T>(&provider, &gateway, 1, each);

		#[extrinsic_call]
		_(RawOrigin::Signed(consumer.clone()), terms, Some(consumer_device));

		assert_eq!(SlaWatch::<T>::get(terms_device::<T>(1, &provider)).len() as u32, full);
		Ok(())
	}

	/// As [`create`], plus the gateway checks, the nonce and the device signature.
	#[benchmark]
	fn create_for_device() -> Result<(), BenchmarkError> {
		let consumer = funded::<T>("consumer", 0);
		let provider = funded::<T>("provider", 0);
		let gateway = funded::<T>("gateway", 0);
		let full = T::MaxSlaPerDevice::get();
		pending::<T>(&consumer, &provider, 1, full - 1)?;
		let device = T::BenchmarkHelper::signing_device(2, &consumer, &gateway);
		let each = amount::<T>(&consumer);
		let terms = sla_terms::<T>(&provider, &gateway, 1, each);
		let payload = obligation_payload(&Pallet::<T>::genesis_hash(), &device, 0, &terms);
		let signature = T::BenchmarkHelper::sign(2, &payload);

		#[extrinsic_call]
		_(RawOrigin::Signed(gateway), device, terms, signature);

		assert_eq!(DeviceNonce::<T>::get(device), 1);
		Ok(())
	}

	/// A payment in full: a transfer, and the obligation closes.
	#[benchmark]
	fn pay() -> Result<(), BenchmarkError> {
		let consumer = funded::<T>("consumer", 0);
		let provider = funded::<T>("provider", 0);
		let ids = pending::<T>(&consumer, &provider, 1, T::MaxSlaPerDevice::get())?;
		let id = ids[0];
		let owed = Obligations::<T>::get(id).ok_or(BenchmarkError::Weightless)?.remaining();

		#[extrinsic_call]
		_(RawOrigin::Signed(consumer), id, owed);

		assert_eq!(Obligations::<T>::get(id).map(|o| o.status), Some(Status::Fulfilled));
		Ok(())
	}

	#[benchmark]
	fn cancel() -> Result<(), BenchmarkError> {
		let consumer = funded::<T>("consumer", 0);
		let provider = funded::<T>("provider", 0);
		let ids = pending::<T>(&consumer, &provider, 1, T::MaxSlaPerDevice::get())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(provider), ids[0]);

		assert_eq!(Obligations::<T>::get(ids[0]).map(|o| o.status), Some(Status::Cancelled));
		Ok(())
	}

	#[benchmark]
	fn mark_defaulted() -> Result<(), BenchmarkError> {
		let consumer = funded::<T>("consumer", 0);
		let provider = funded::<T>("provider", 0);
		let ids = pending::<T>(&consumer, &provider, 1, T::MaxSlaPerDevice::get())?;
		let due = Obligations::<T>::get(ids[0]).ok_or(BenchmarkError::Weightless)?.due;
		frame_system::Pallet::<T>::set_block_number(
			due.saturating_add(GracePeriod::<T>::get()).saturating_add(1u32.into()),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(provider), ids[0]);

		assert_eq!(Obligations::<T>::get(ids[0]).map(|o| o.status), Some(Status::Defaulted));
		Ok(())
	}

	#[benchmark]
	fn set_grace_period() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 5u32.into());

		assert_eq!(GracePeriod::<T>::get(), 5u32.into());
		Ok(())
	}

	/// `n` overdue obligations, each of its own consumer, defaulted by the idle sweep.
	#[benchmark]
	fn on_idle(n: Linear<0, { T::MaxSweep::get() }>) -> Result<(), BenchmarkError> {
		let provider = funded::<T>("provider", 0);
		let mut ids = Vec::new();
		for i in 0..n {
			let consumer: T::AccountId = account("consumer", i, 0);
			ids.extend(pending::<T>(&consumer, &provider, i, 1)?);
		}
		let now = frame_system::Pallet::<T>::block_number()
			.saturating_add(10u32.into())
			.saturating_add(GracePeriod::<T>::get())
			.saturating_add(1u32.into());
		frame_system::Pallet::<T>::set_block_number(now);

		#[block]
		{
			Pallet::<T>::on_idle(now, Weight::MAX);
		}

		for id in ids {
			assert_eq!(Obligations::<T>::get(id).map(|o| o.status), Some(Status::Defaulted));
		}
		Ok(())
	}

	/// A breach of a device whose SLA holds `n` obligations, each closed by its cut.
	#[benchmark]
	fn on_rule_breach(n: Linear<0, { T::MaxSlaPerDevice::get() }>) -> Result<(), BenchmarkError> {
		let provider = funded::<T>("provider", 0);
		let mut ids = Vec::new();
		for i in 0..n {
			let consumer = funded::<T>("consumer", i);
			let id = pending::<T>(&consumer, &provider, 1, 1)?[0];
			let owed = Obligations::<T>::get(id).ok_or(BenchmarkError::Weightless)?.remaining();
			Pallet::<T>::pay(
				RawOrigin::Signed(consumer).into(),
				id,
				owed.saturating_sub(1u32.into()),
			)
			.map_err(|_| BenchmarkError::Stop("pay"))?;
			ids.push(id);
		}
		let device = terms_device::<T>(1, &provider);

		#[block]
		{
			<Pallet<T> as OnRuleBreach>::on_rule_breach(&breach(device, 1));
		}

		for id in ids {
			assert_eq!(Obligations::<T>::get(id).map(|o| o.breaches), Some(1));
		}
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}

/// The id of provider device number `index` (registering it again is harmless).
fn terms_device<T: Config>(index: u32, provider: &T::AccountId) -> DeviceId {
	let gateway: T::AccountId = account("gateway", 0, 0);
	T::BenchmarkHelper::signing_device(index, provider, &gateway)
}
