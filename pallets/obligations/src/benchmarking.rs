//! Benchmarks for the obligations pallet at their worst case: offers with an SLA on the
//! provider's device (its watch list updated), requests naming the consumer's device, with the
//! longest note, from consumers whose reputation records remember a full set of counterparties; a
//! device request signed with the dearest scheme to verify; closings that report to reputation.

use super::*;
use alloc::vec;
use frame_benchmarking::v2::*;
use frame_support::traits::{fungible::Mutate, Hooks};
use frame_system::RawOrigin;
use iotrust_primitives::{anchoring::MetricSummary, merkle::metric};

const TEMP: u16 = metric::TEMPERATURE_MILLI_C;

/// How many counterparties a benchmark consumer's reputation record remembers (the runtime's
/// `MaxCounterparties`).
const COUNTERPARTIES: u32 = 16;

/// An account with plenty to pay with, deposits and fees included.
fn funded<T: Config>(name: &'static str, index: u32) -> T::AccountId {
	let who: T::AccountId = account(name, index, 0);
	let plenty = T::Credit::credit_limit(&who)
		.saturating_mul(4u32.into())
		.saturating_add(T::Currency::minimum_balance().saturating_mul(1_000u32.into()))
		.saturating_add(T::OfferDeposit::get().saturating_mul(100u32.into()))
		.saturating_add(T::ObligationDeposit::get().saturating_mul(100u32.into()));
	T::Currency::set_balance(&who, plenty);
	who
}

/// Give `consumer` a reputation record that remembers a full set of counterparties, so reading
/// and updating it costs the most.
fn seasoned<T: Config>(consumer: &T::AccountId) {
	for i in 0..COUNTERPARTIES {
		let provider: T::AccountId = account("past provider", i, 0);
		T::Reputation::record(Settlement {
			consumer,
			provider: &provider,
			outcome: Outcome::FulfilledOnTime,
			value: T::MinAmount::get(),
			credit_fee: Zero::zero(),
		});
	}
}

/// An amount a consumer may owe as many times as an SLA device holds obligations.
fn amount<T: Config>(consumer: &T::AccountId) -> BalanceOf<T> {
	(T::Credit::credit_limit(consumer) / T::MaxSlaPerDevice::get().saturating_add(1).into())
		.max(T::MinAmount::get())
}

/// The longest note.
fn note<T: Config>() -> BoundedVec<u8, T::MaxNoteLen> {
	vec![b'n'; T::MaxNoteLen::get() as usize].try_into().expect("exactly the bound; qed")
}

/// Terms held to an SLA on the provider's device number `index`.
fn sla_terms<T: Config>(provider: &T::AccountId, index: u32) -> OfferTerms<T> {
	let gateway: T::AccountId = account("gateway", 0, 0);
	let device = T::BenchmarkHelper::signing_device(index, provider, &gateway);
	OfferTerms {
		service_hash: sp_core::H256::repeat_byte(7),
		min_amount: T::MinAmount::get(),
		max_amount: T::Credit::credit_limit(provider).saturating_mul(10u32.into()),
		due_in: 10u32.into(),
		min_score: 0,
		device: Some(device),
		sla: Some(Sla {
			bounds: ThresholdRule { metric: TEMP, min: None, max: Some(0) },
			max_silence: 1u32.into(),
		}),
		consumers: BoundedVec::new(),
	}
}

/// The most consumers an offer may name, `last` the last of them.
fn named<T: Config>(last: &T::AccountId) -> BoundedVec<T::AccountId, T::MaxNamedConsumers> {
	let mut list: Vec<T::AccountId> =
		(1..T::MaxNamedConsumers::get()).map(|i| account("named", i, 0)).collect();
	list.push(last.clone());
	list.try_into().expect("exactly the bound; qed")
}

/// A pending obligation of a seasoned consumer under `provider`'s SLA offer on its device
/// number 1, paid all but one unit so that one penalty forfeits it (the dearest outcome).
fn nearly_paid<T: Config>(provider: &T::AccountId) -> Result<ObligationId, BenchmarkError> {
	let consumer = funded::<T>("consumer", 0);
	seasoned::<T>(&consumer);
	let offer = sla_offer::<T>(provider, 1)?;
	let id = pending::<T>(&consumer, offer, 1)?[0];
	let owed = Obligations::<T>::get(id).ok_or(BenchmarkError::Weightless)?.remaining();
	Pallet::<T>::pay(RawOrigin::Signed(consumer).into(), id, owed.saturating_sub(1u32.into()))
		.map_err(|_| BenchmarkError::Stop("pay"))?;
	Ok(id)
}

/// `provider`'s SLA offer on its device number `index`.
fn sla_offer<T: Config>(provider: &T::AccountId, index: u32) -> Result<OfferId, BenchmarkError> {
	let id = NextOfferId::<T>::get();
	Pallet::<T>::publish_offer(
		RawOrigin::Signed(provider.clone()).into(),
		sla_terms::<T>(provider, index),
	)
	.map_err(|_| BenchmarkError::Stop("publish_offer"))?;
	Ok(id)
}

/// `count` pending obligations of `consumer` under `offer`.
fn pending<T: Config>(
	consumer: &T::AccountId,
	offer: OfferId,
	count: u32,
) -> Result<Vec<ObligationId>, BenchmarkError> {
	let each = amount::<T>(consumer);
	let mut ids = Vec::new();
	for _ in 0..count {
		ids.push(NextObligationId::<T>::get());
		let request = Request::<T> { offer, amount: each, note: note::<T>() };
		Pallet::<T>::create(RawOrigin::Signed(consumer.clone()).into(), request, None)
			.map_err(|_| BenchmarkError::Stop("create"))?;
	}
	Ok(ids)
}

#[benchmarks]
mod benchmarks {
	use super::*;

	/// An SLA offer on the provider's device, one short of the most offers it may have.
	#[benchmark]
	fn publish_offer() -> Result<(), BenchmarkError> {
		let provider = funded::<T>("provider", 0);
		for _ in 1..T::MaxOffersPerProvider::get() {
			sla_offer::<T>(&provider, 1)?;
		}
		let terms = OfferTerms { consumers: named::<T>(&provider), ..sla_terms::<T>(&provider, 1) };

		#[extrinsic_call]
		_(RawOrigin::Signed(provider.clone()), terms);

		assert_eq!(
			ProviderOffers::<T>::get(&provider).len() as u32,
			T::MaxOffersPerProvider::get()
		);
		Ok(())
	}

	#[benchmark]
	fn withdraw_offer() -> Result<(), BenchmarkError> {
		let provider = funded::<T>("provider", 0);
		let offer = sla_offer::<T>(&provider, 1)?;

		#[extrinsic_call]
		_(RawOrigin::Signed(provider), offer);

		assert!(!Offers::<T>::contains_key(offer));
		Ok(())
	}

	/// With a consumer device, under an SLA offer whose watch list is one short of full and
	/// which names the most consumers, the caller last.
	#[benchmark]
	fn create() -> Result<(), BenchmarkError> {
		let consumer = funded::<T>("consumer", 0);
		let provider = funded::<T>("provider", 0);
		let gateway: T::AccountId = account("gateway", 0, 0);
		seasoned::<T>(&consumer);
		let offer = sla_offer::<T>(&provider, 1)?;
		let full = T::MaxSlaPerDevice::get();
		pending::<T>(&consumer, offer, full - 1)?;
		Offers::<T>::mutate(offer, |o| {
			if let Some(o) = o {
				o.terms.consumers = named::<T>(&consumer);
			}
		});
		let consumer_device = T::BenchmarkHelper::signing_device(2, &consumer, &gateway);
		let request = Request::<T> { offer, amount: amount::<T>(&consumer), note: note::<T>() };

		#[extrinsic_call]
		_(RawOrigin::Signed(consumer.clone()), request, Some(consumer_device));

		let device = sla_terms::<T>(&provider, 1).device.ok_or(BenchmarkError::Weightless)?;
		assert_eq!(SlaWatch::<T>::get(device).len() as u32, full);
		Ok(())
	}

	/// As [`create`], plus the gateway checks, the nonce and the device signature.
	#[benchmark]
	fn create_for_device() -> Result<(), BenchmarkError> {
		let consumer = funded::<T>("consumer", 0);
		let provider = funded::<T>("provider", 0);
		let gateway = funded::<T>("gateway", 0);
		seasoned::<T>(&consumer);
		let offer = sla_offer::<T>(&provider, 1)?;
		pending::<T>(&consumer, offer, T::MaxSlaPerDevice::get() - 1)?;
		let device = T::BenchmarkHelper::signing_device(2, &consumer, &gateway);
		let request = Request::<T> { offer, amount: amount::<T>(&consumer), note: note::<T>() };
		// Valid for a few blocks, whatever block the call runs in.
		let valid_until = frame_system::Pallet::<T>::block_number().saturating_add(5u32.into());
		let payload = obligation_payload(
			&Pallet::<T>::genesis_hash(),
			&device,
			0,
			valid_until.unique_saturated_into(),
			&request,
		);
		let signature = T::BenchmarkHelper::sign(2, &payload);

		#[extrinsic_call]
		_(RawOrigin::Signed(gateway), device, request, valid_until, signature);

		assert_eq!(DeviceNonce::<T>::get(device), 1);
		Ok(())
	}

	/// A payment in full: a transfer, a burn, and the obligation closes.
	#[benchmark]
	fn pay() -> Result<(), BenchmarkError> {
		let consumer = funded::<T>("consumer", 0);
		let provider = funded::<T>("provider", 0);
		seasoned::<T>(&consumer);
		let offer = sla_offer::<T>(&provider, 1)?;
		let ids = pending::<T>(&consumer, offer, T::MaxSlaPerDevice::get())?;
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
		seasoned::<T>(&consumer);
		let offer = sla_offer::<T>(&provider, 1)?;
		let ids = pending::<T>(&consumer, offer, T::MaxSlaPerDevice::get())?;

		#[extrinsic_call]
		_(RawOrigin::Signed(provider), ids[0]);

		assert_eq!(Obligations::<T>::get(ids[0]).map(|o| o.status), Some(Status::Cancelled));
		Ok(())
	}

	#[benchmark]
	fn mark_defaulted() -> Result<(), BenchmarkError> {
		let consumer = funded::<T>("consumer", 0);
		let provider = funded::<T>("provider", 0);
		seasoned::<T>(&consumer);
		let offer = sla_offer::<T>(&provider, 1)?;
		let ids = pending::<T>(&consumer, offer, T::MaxSlaPerDevice::get())?;
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

	#[benchmark]
	fn set_retention() -> Result<(), BenchmarkError> {
		let origin =
			T::AdminOrigin::try_successful_origin().map_err(|_| BenchmarkError::Weightless)?;

		#[extrinsic_call]
		_(origin as T::RuntimeOrigin, 5u32.into());

		assert_eq!(Retention::<T>::get(), 5u32.into());
		Ok(())
	}

	/// A fulfilled obligation removed with its stream entries, its deposit released.
	#[benchmark]
	fn archive() -> Result<(), BenchmarkError> {
		let consumer = funded::<T>("consumer", 0);
		let provider = funded::<T>("provider", 0);
		let offer = sla_offer::<T>(&provider, 1)?;
		let id = pending::<T>(&consumer, offer, 1)?[0];
		let owed = Obligations::<T>::get(id).ok_or(BenchmarkError::Weightless)?.remaining();
		Pallet::<T>::pay(RawOrigin::Signed(consumer.clone()).into(), id, owed)
			.map_err(|_| BenchmarkError::Stop("pay"))?;
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number()
				.saturating_add(Retention::<T>::get())
				.saturating_add(1u32.into()),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(provider), id);

		assert!(!Obligations::<T>::contains_key(id));
		Ok(())
	}

	/// `n` overdue obligations, each of its own consumer, defaulted by the idle sweep.
	#[benchmark]
	fn on_idle(n: Linear<0, { T::MaxSweep::get() }>) -> Result<(), BenchmarkError> {
		let provider = funded::<T>("provider", 0);
		let mut offer = sla_offer::<T>(&provider, 1)?;
		let mut ids = Vec::new();
		for i in 0..n {
			let consumer = funded::<T>("consumer", i);
			seasoned::<T>(&consumer);
			ids.extend(pending::<T>(&consumer, offer, 1)?);
			// A fresh SLA device whenever one's watch list is full.
			if (i + 1) % T::MaxSlaPerDevice::get() == 0 {
				Pallet::<T>::withdraw_offer(RawOrigin::Signed(provider.clone()).into(), offer)
					.map_err(|_| BenchmarkError::Stop("withdraw_offer"))?;
				offer = sla_offer::<T>(&provider, 100 + i)?;
			}
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

	/// A batch breaching the SLA of a device that holds `n` obligations, each forfeited by its
	/// cut.
	#[benchmark]
	fn on_anchored(n: Linear<0, { T::MaxSlaPerDevice::get() }>) -> Result<(), BenchmarkError> {
		let provider = funded::<T>("provider", 0);
		let offer = sla_offer::<T>(&provider, 1)?;
		let mut ids = Vec::new();
		for i in 0..n {
			let consumer = funded::<T>("consumer", i);
			seasoned::<T>(&consumer);
			let id = pending::<T>(&consumer, offer, 1)?[0];
			let owed = Obligations::<T>::get(id).ok_or(BenchmarkError::Weightless)?.remaining();
			Pallet::<T>::pay(
				RawOrigin::Signed(consumer).into(),
				id,
				owed.saturating_sub(1u32.into()),
			)
			.map_err(|_| BenchmarkError::Stop("pay"))?;
			ids.push(id);
		}
		let device = sla_terms::<T>(&provider, 1).device.ok_or(BenchmarkError::Weightless)?;
		let gateway: T::AccountId = account("gateway", 0, 0);
		let summaries = [MetricSummary { id: TEMP, min: 1, max: 1 }];
		let range = AnchoredRange {
			anchor: 1,
			gateway: &gateway,
			device: &device,
			summaries: &summaries,
			endorsed: true,
			gap: false,
		};

		#[block]
		{
			<Pallet<T> as OnAnchored<T::AccountId>>::on_anchored(range);
		}

		for id in ids {
			assert_eq!(Obligations::<T>::get(id).map(|o| o.status), Some(Status::Forfeited));
		}
		Ok(())
	}

	/// A reading of the most metrics, signed with the dearest scheme, proven 32 levels deep,
	/// that forfeits a nearly paid obligation.
	#[benchmark]
	fn claim_breach() -> Result<(), BenchmarkError> {
		use iotrust_primitives::merkle::{node_hash, Metric};
		let provider = funded::<T>("provider", 0);
		let id = nearly_paid::<T>(&provider)?;
		let device = sla_terms::<T>(&provider, 1).device.ok_or(BenchmarkError::Weightless)?;
		let metrics = (0..T::MaxReadingMetrics::get())
			.map(|i| Metric { id: TEMP.saturating_add(i as u16), value: 1 })
			.collect();
		let mut reading = SignedReading {
			device,
			seq: 0,
			timestamp_ms: 0,
			metrics,
			signature: DeviceSignature::Ed25519([0; 64]),
		};
		let genesis = sp_core::H256::from_slice(Pallet::<T>::genesis_hash().as_ref());
		reading.signature = T::BenchmarkHelper::sign(1, &reading.payload(&genesis));
		let siblings: Vec<sp_core::H256> = (0..crate::features::sla::MAX_PROOF_DEPTH as u8)
			.map(sp_core::H256::repeat_byte)
			.collect();
		let root = siblings.iter().fold(reading.leaf_hash(), |hash, s| node_hash(&hash, s));
		let gateway: T::AccountId = account("gateway", 0, 0);
		// Anchored in the block after the obligation's acceptance: within its term.
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(1u32.into()),
		);
		let anchor = T::BenchmarkHelper::anchor(&gateway, device, 0, root, u32::MAX);
		let proof = MerkleProof { index: 0, leaf_count: u32::MAX, siblings };

		#[extrinsic_call]
		_(RawOrigin::Signed(provider), id, anchor, reading, proof);

		assert_eq!(Obligations::<T>::get(id).map(|o| o.status), Some(Status::Forfeited));
		Ok(())
	}

	/// A silence that forfeits a nearly paid obligation.
	#[benchmark]
	fn claim_silence() -> Result<(), BenchmarkError> {
		let provider = funded::<T>("provider", 0);
		let id = nearly_paid::<T>(&provider)?;
		frame_system::Pallet::<T>::set_block_number(
			frame_system::Pallet::<T>::block_number().saturating_add(5u32.into()),
		);

		#[extrinsic_call]
		_(RawOrigin::Signed(provider), id);

		assert_eq!(Obligations::<T>::get(id).map(|o| o.status), Some(Status::Forfeited));
		Ok(())
	}

	impl_benchmark_test_suite!(Pallet, crate::mock::new_test_ext(), crate::mock::Test);
}
