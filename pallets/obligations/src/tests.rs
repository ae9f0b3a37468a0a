//! Unit tests: every call's success path and every error; offers and their bounds; credit reached
//! exactly and exceeded by one; partial payments and the credit fee; defaults by call and by
//! sweep; SLA penalties once per batch; archival; streams; and the attacks of old (a self-defeated
//! SLA, a provider locked by unsolicited obligations, credit farmed with a colluder) tried again.

use crate::{
	mock::*, DeviceNonce, DueQueue, Error, Event, HoldReason, ObligationRequest,
	Obligations as Stored, OfferId, OfferTerms, Offers, Outstanding, ProviderOffers, Request, Side,
	SlaWatch, Status, Streams, WeightInfo,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, InspectHold},
		Hooks,
	},
};
use iotrust_primitives::{
	anchoring::{MetricSummary, OnAnchored, ThresholdRule},
	device::obligation_payload,
	merkle::metric,
	reputation::CreditLimit,
};
use sp_runtime::{traits::BadOrigin, TokenError, Weight};

const TEMP: u16 = metric::TEMPERATURE_MILLI_C;
/// A gateway that is neither party.
const HONEST_GATEWAY: u64 = 8;

/// An offer of PROVIDER's: 5 to 100, due in 100 blocks, any score, no device.
fn plain_offer() -> OfferTerms<Test> {
	OfferTerms {
		service_hash: service(),
		min_amount: MIN_AMOUNT,
		max_amount: 100,
		due_in: 100,
		min_score: 0,
		device: None,
		sla: None,
	}
}

/// As [`plain_offer`], held to an SLA: device 2's temperature at most 0.
fn sla_offer() -> OfferTerms<Test> {
	OfferTerms {
		device: Some(device(2)),
		sla: Some(ThresholdRule { metric: TEMP, min: None, max: Some(0) }),
		..plain_offer()
	}
}

fn publish(terms: OfferTerms<Test>) -> OfferId {
	let id = crate::NextOfferId::<Test>::get();
	assert_ok!(Obligations::publish_offer(RuntimeOrigin::signed(PROVIDER), terms));
	id
}

fn request(offer: OfferId, amount: u64) -> Request<Test> {
	Request::<Test> { offer, amount, note: b"charging".to_vec().try_into().unwrap() }
}

/// CONSUMER takes up `offer` for `amount`; returns the obligation's id.
fn create(offer: OfferId, amount: u64) -> u64 {
	let id = crate::NextObligationId::<Test>::get();
	assert_ok!(Obligations::create(RuntimeOrigin::signed(CONSUMER), request(offer, amount), None));
	id
}

/// `gateway` anchored batch `anchor` in which device `n`'s temperature peaked at `max`.
fn anchored(gateway: u64, anchor: u64, n: u8, max: i64) -> Weight {
	let summaries = [MetricSummary { id: TEMP, min: max - 1, max }];
	<Obligations as OnAnchored<u64>>::on_anchored(anchor, &gateway, &device(n), &summaries)
}

fn held(reason: HoldReason, who: u64) -> u64 {
	Balances::balance_on_hold(&reason.into(), &who)
}

fn run_to(n: u64) {
	System::set_block_number(n);
}

#[test]
fn publish_offer_checks_its_terms_and_holds_a_deposit() {
	ExtBuilder.build_and_execute(|| {
		let publish_err = |terms: OfferTerms<Test>, err: Error<Test>| {
			assert_noop!(Obligations::publish_offer(RuntimeOrigin::signed(PROVIDER), terms), err);
		};
		publish_err(
			OfferTerms { min_amount: MIN_AMOUNT - 1, ..plain_offer() },
			Error::InvalidAmountRange,
		);
		publish_err(OfferTerms { min_amount: 101, ..plain_offer() }, Error::InvalidAmountRange);
		publish_err(OfferTerms { due_in: 0, ..plain_offer() }, Error::InvalidDueIn);
		publish_err(OfferTerms { due_in: 1_001, ..plain_offer() }, Error::InvalidDueIn);
		publish_err(OfferTerms { min_score: 1_001, ..plain_offer() }, Error::InvalidScore);
		publish_err(OfferTerms { device: None, ..sla_offer() }, Error::SlaWithoutDevice);
		let unbounded = ThresholdRule { metric: TEMP, min: None, max: None };
		publish_err(OfferTerms { sla: Some(unbounded), ..sla_offer() }, Error::InvalidSla);
		let inverted = ThresholdRule { metric: TEMP, min: Some(1), max: Some(0) };
		publish_err(OfferTerms { sla: Some(inverted), ..sla_offer() }, Error::InvalidSla);
		// Only the provider's own device may serve, and watch, its SLA.
		publish_err(OfferTerms { device: Some(device(1)), ..sla_offer() }, Error::NotDeviceOwner);

		let id = publish(sla_offer());
		System::assert_last_event(Event::OfferPublished { offer: id, provider: PROVIDER }.into());
		assert_eq!(Offers::<Test>::get(id).unwrap().terms, sla_offer());
		assert_eq!(held(HoldReason::OfferDeposit, PROVIDER), OFFER_DEPOSIT);
		publish(plain_offer());
		publish_err(plain_offer(), Error::TooManyOffers);
		deactivate(device(2));
		assert_eq!(ProviderOffers::<Test>::get(PROVIDER).len() as u32, MAX_OFFERS);
	});
}

#[test]
fn withdraw_offer_releases_the_deposit_and_keeps_accepted_terms() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		let id = create(offer, 40);
		assert_noop!(
			Obligations::withdraw_offer(RuntimeOrigin::signed(CONSUMER), offer),
			Error::<Test>::NotOfferProvider
		);
		assert_noop!(
			Obligations::withdraw_offer(RuntimeOrigin::signed(PROVIDER), 9),
			Error::<Test>::UnknownOffer
		);
		assert_ok!(Obligations::withdraw_offer(RuntimeOrigin::signed(PROVIDER), offer));
		System::assert_last_event(Event::OfferWithdrawn { offer }.into());
		assert_eq!(held(HoldReason::OfferDeposit, PROVIDER), 0);
		assert_eq!(ProviderOffers::<Test>::get(PROVIDER).len(), 0);
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(CONSUMER), request(offer, 40), None),
			Error::<Test>::UnknownOffer
		);
		// The accepted obligation keeps the SLA it was accepted with.
		let o = Stored::<Test>::get(id).unwrap();
		assert_eq!(o.sla, sla_offer().sla);
		assert_eq!(SlaWatch::<Test>::get(device(2)).to_vec(), vec![id]);
	});
}

#[test]
fn create_accepts_a_matching_request_at_once() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		assert_ok!(Obligations::create(
			RuntimeOrigin::signed(CONSUMER),
			request(offer, 40),
			Some(device(1))
		));
		let o = Stored::<Test>::get(0).unwrap();
		assert_eq!(
			(o.consumer, o.provider, o.offer, o.amount, o.paid),
			(CONSUMER, PROVIDER, 0, 40, 0)
		);
		assert_eq!((o.created, o.due, o.status), (1, 101, Status::Pending));
		assert_eq!((o.consumer_device, o.provider_device), (Some(device(1)), Some(device(2))));
		assert_eq!((o.sla, o.service_hash), (sla_offer().sla, service()));
		assert_eq!(o.note.to_vec(), b"charging".to_vec());
		assert_eq!(o.deposit, OBLIGATION_DEPOSIT);
		assert_eq!(held(HoldReason::ObligationDeposit, CONSUMER), OBLIGATION_DEPOSIT);
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 40);
		assert_eq!(SlaWatch::<Test>::get(device(2)).to_vec(), vec![0]);
		assert_eq!(DueQueue::<Test>::iter_keys().count(), 1);
		System::assert_last_event(
			Event::Created {
				id: 0,
				offer,
				consumer: CONSUMER,
				provider: PROVIDER,
				amount: 40,
				due: 101,
				device: Some(device(1)),
			}
			.into(),
		);
		let page = Obligations::stream(Side::Provider, PROVIDER, None, None, 10);
		assert_eq!(page.items.len(), 1);
		let page = Obligations::stream(Side::Consumer, CONSUMER, None, None, 10);
		assert_eq!(page.items.len(), 1);
		assert!(Obligations::stream(Side::Consumer, PROVIDER, None, None, 10).items.is_empty());
	});
}

#[test]
fn create_checks_the_request_against_its_offer() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		let create_err = |who: u64, r: Request<Test>, device: Option<_>, err: Error<Test>| {
			assert_noop!(Obligations::create(RuntimeOrigin::signed(who), r, device), err);
		};
		create_err(CONSUMER, request(7, 40), None, Error::UnknownOffer);
		create_err(PROVIDER, request(offer, 40), None, Error::SelfObligation);
		create_err(CONSUMER, request(offer, MIN_AMOUNT - 1), None, Error::AmountOutOfRange);
		create_err(CONSUMER, request(offer, 101), None, Error::AmountOutOfRange);
		create_err(CONSUMER, request(offer, 40), Some(device(3)), Error::NotDeviceOwner);
		deactivate(device(1));
		create_err(CONSUMER, request(offer, 40), Some(device(1)), Error::DeviceNotActive);
		// The serving device went out of service after the offer: nothing is accepted on it.
		deactivate(device(2));
		create_err(CONSUMER, request(offer, 40), None, Error::DeviceNotActive);
		let picky = publish(OfferTerms { min_score: 501, ..plain_offer() });
		create_err(CONSUMER, request(picky, 40), None, Error::ScoreTooLow);
	});
}

#[test]
fn the_deposit_must_be_affordable() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		let poor = 42;
		assert_ok!(Balances::force_set_balance(RuntimeOrigin::root(), poor, 1));
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(poor), request(offer, 40), None),
			TokenError::FundsUnavailable
		);
	});
}

#[test]
fn credit_limit_reached_exactly_then_exceeded_by_one() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		assert_eq!(Obligations::remaining_credit(&CONSUMER), BASE_CREDIT);
		create(offer, 60);
		create(offer, 35);
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(CONSUMER), request(offer, 6), None),
			Error::<Test>::CreditLimitExceeded
		);
		create(offer, 5);
		assert_eq!(Obligations::remaining_credit(&CONSUMER), 0);
	});
}

/// Device 1's signed request for `r` with `nonce`.
fn signed_request(r: &Request<Test>, nonce: u32) -> iotrust_primitives::device::DeviceSignature {
	let genesis = Obligations::genesis_hash();
	keypair(1).sign(&obligation_payload(&genesis, &device(1), nonce, r))
}

#[test]
fn a_gateway_creates_for_a_device_that_signed_the_request_once() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		let r = request(offer, 30);
		let sig = signed_request(&r, 0);
		assert_ok!(Obligations::create_for_device(
			RuntimeOrigin::signed(GATEWAY),
			device(1),
			r.clone(),
			sig.clone()
		));
		let o = Stored::<Test>::get(0).unwrap();
		assert_eq!((o.consumer, o.consumer_device), (CONSUMER, Some(device(1))));
		assert_eq!(DeviceNonce::<Test>::get(device(1)), 1);
		// The deposit is the consumer's, not the gateway's.
		assert_eq!(held(HoldReason::ObligationDeposit, CONSUMER), OBLIGATION_DEPOSIT);
		// The same request again is a replay: its nonce is spent.
		let submit = |who: u64, n: u8, r: Request<Test>, sig| {
			Obligations::create_for_device(RuntimeOrigin::signed(who), device(n), r, sig)
		};
		assert_noop!(submit(GATEWAY, 1, r.clone(), sig), Error::<Test>::BadDeviceSignature);
		// A changed request is not what the device signed.
		let sig = signed_request(&r, 1);
		assert_noop!(
			submit(GATEWAY, 1, request(offer, 31), sig.clone()),
			Error::<Test>::BadDeviceSignature
		);
		assert_noop!(submit(OTHER, 1, r.clone(), sig.clone()), Error::<Test>::NotDeviceGateway);
		deactivate(device(1));
		assert_noop!(submit(GATEWAY, 1, r, sig), Error::<Test>::DeviceNotActive);
	});
}

/// The runtime API's check answers what the call would, and changes nothing.
#[test]
fn a_device_request_is_checked_as_the_call_would_judge_it_without_a_trace() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		let r = request(offer, 30);
		let sig = signed_request(&r, 0);
		let unbounded = |r: &Request<Test>| ObligationRequest {
			offer: r.offer,
			amount: r.amount,
			note: r.note.to_vec(),
		};
		let check = |who: u64, r: &Request<Test>, sig: &_| {
			Obligations::check_device_request(who, device(1), unbounded(r), Clone::clone(sig))
		};
		let before = sp_io::storage::root(sp_runtime::StateVersion::V1);
		assert_ok!(check(GATEWAY, &r, &sig));
		assert_eq!(check(OTHER, &r, &sig), Err(Error::<Test>::NotDeviceGateway.into()));
		assert_eq!(
			check(GATEWAY, &request(offer, 31), &sig),
			Err(Error::<Test>::BadDeviceSignature.into())
		);
		let too_much = request(offer, 1_000_000);
		assert_eq!(
			check(GATEWAY, &too_much, &signed_request(&too_much, 0)),
			Err(Error::<Test>::AmountOutOfRange.into())
		);
		let long = ObligationRequest { note: vec![0; 1_000], ..unbounded(&r) };
		assert!(matches!(
			Obligations::check_device_request(GATEWAY, device(1), long, sig.clone()),
			Err(sp_runtime::DispatchError::Other(_))
		));
		assert_eq!(
			sp_io::storage::root(sp_runtime::StateVersion::V1),
			before,
			"checking wrote nothing"
		);
		assert_eq!(DeviceNonce::<Test>::get(device(1)), 0);
		// The call then does what the check said.
		assert_ok!(Obligations::create_for_device(
			RuntimeOrigin::signed(GATEWAY),
			device(1),
			r,
			sig
		));
	});
}

#[test]
fn partial_payments_burn_the_credit_fee_and_fulfil_on_time() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		let id = create(offer, 50);
		let (consumer_before, provider_before) =
			(Balances::balance(&CONSUMER), Balances::balance(&PROVIDER));
		let issuance = Balances::total_issuance();
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 20));
		System::assert_last_event(
			Event::Paid { id, amount: 20, credit_fee: 2, remaining: 30 }.into(),
		);
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 30);
		run_to(101);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 30));
		System::assert_last_event(Event::Fulfilled { id, on_time: true }.into());
		let o = Stored::<Test>::get(id).unwrap();
		assert_eq!(
			(o.status, o.paid, o.credit_fee, o.closed_at),
			(Status::Fulfilled, 50, 5, Some(101))
		);
		// The provider got the amount; the consumer paid it and burned 10% besides.
		assert_eq!(Balances::balance(&PROVIDER) - provider_before, 50);
		assert_eq!(consumer_before - Balances::balance(&CONSUMER), 55);
		assert_eq!(issuance - Balances::total_issuance(), 5);
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 0);
		assert_eq!(DueQueue::<Test>::iter_keys().count(), 0);
		let r = Reputation::record_of(&CONSUMER).unwrap();
		assert_eq!((r.on_time, r.earned), ((1, 50), 5));
		// The burned fee, and nothing more, bought credit.
		assert_eq!(Reputation::credit_limit(&CONSUMER), BASE_CREDIT + 5);
	});
}

#[test]
fn a_late_payment_counts_as_late() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		let id = create(offer, 20);
		run_to(102);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 20));
		System::assert_last_event(Event::Fulfilled { id, on_time: false }.into());
		assert_eq!(Reputation::record_of(&CONSUMER).unwrap().late, (1, 20));
	});
}

#[test]
fn pay_checks_who_what_and_how_much() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		let id = create(offer, 20);
		let pay = |who: u64, id: u64, amount: u64| {
			Obligations::pay(RuntimeOrigin::signed(who), id, amount)
		};
		assert_noop!(pay(CONSUMER, 9, 1), Error::<Test>::UnknownObligation);
		assert_noop!(pay(OTHER, id, 1), Error::<Test>::NotConsumer);
		assert_noop!(pay(CONSUMER, id, 0), Error::<Test>::ZeroPayment);
		assert_noop!(pay(CONSUMER, id, 21), Error::<Test>::PaymentExceedsDebt);
		// The fee must be affordable too: with 20 left free (besides the deposit and the
		// existential deposit), 20 cannot be paid with its fee of 2.
		let free = Balances::balance(&CONSUMER);
		assert_ok!(Balances::transfer_allow_death(
			RuntimeOrigin::signed(CONSUMER),
			OTHER,
			free - 21
		));
		assert_noop!(pay(CONSUMER, id, 20), TokenError::FundsUnavailable);
		assert_ok!(pay(CONSUMER, id, 10));
		assert_ok!(Balances::transfer_allow_death(RuntimeOrigin::signed(OTHER), CONSUMER, 100));
		assert_ok!(pay(CONSUMER, id, 10));
		assert_noop!(pay(CONSUMER, id, 1), Error::<Test>::NotPending);
	});
}

#[test]
fn the_provider_forgives_what_is_left() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		let id = create(offer, 30);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 10));
		assert_noop!(
			Obligations::cancel(RuntimeOrigin::signed(CONSUMER), id),
			Error::<Test>::NotProvider
		);
		assert_noop!(
			Obligations::cancel(RuntimeOrigin::signed(PROVIDER), 9),
			Error::<Test>::UnknownObligation
		);
		assert_ok!(Obligations::cancel(RuntimeOrigin::signed(PROVIDER), id));
		System::assert_last_event(Event::Cancelled { id, forgiven: 20 }.into());
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 0);
		assert!(SlaWatch::<Test>::get(device(2)).is_empty());
		assert_eq!(Reputation::record_of(&CONSUMER).unwrap().cancelled, (1, 20));
		assert_noop!(
			Obligations::cancel(RuntimeOrigin::signed(PROVIDER), id),
			Error::<Test>::NotPending
		);
	});
}

#[test]
fn default_by_call_after_the_grace_period_and_credit_shrinks() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		let id = create(offer, 80);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 30));
		run_to(101 + GRACE);
		assert_noop!(
			Obligations::mark_defaulted(RuntimeOrigin::signed(OTHER), id),
			Error::<Test>::NotOverdue
		);
		run_to(102 + GRACE);
		assert_noop!(
			Obligations::mark_defaulted(RuntimeOrigin::signed(OTHER), 9),
			Error::<Test>::UnknownObligation
		);
		assert_ok!(Obligations::mark_defaulted(RuntimeOrigin::signed(OTHER), id));
		System::assert_last_event(Event::Defaulted { id, unpaid: 50 }.into());
		assert_eq!(Stored::<Test>::get(id).unwrap().status, Status::Defaulted);
		assert_noop!(
			Obligations::mark_defaulted(RuntimeOrigin::signed(OTHER), id),
			Error::<Test>::NotPending
		);
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 0);
		assert_eq!(Reputation::record_of(&CONSUMER).unwrap().defaulted, (1, 50));
		// A defaulter's credit shrinks below what a new account gets.
		let left = Obligations::remaining_credit(&CONSUMER);
		assert!(left < 80, "{left}");
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(CONSUMER), request(offer, left + 1), None),
			Error::<Test>::CreditLimitExceeded
		);
	});
}

#[test]
fn the_idle_sweep_defaults_overdue_obligations_earliest_first_and_bounded() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		for _ in 0..6 {
			create(offer, 10);
		}
		run_to(50);
		// Due later: not swept.
		create(offer, 10);
		run_to(101 + GRACE);
		assert_eq!(Obligations::on_idle(101 + GRACE, Weight::MAX), <() as WeightInfo>::on_idle(0));
		run_to(102 + GRACE);
		// MaxSweep is 4.
		assert_eq!(Obligations::on_idle(102 + GRACE, Weight::MAX), <() as WeightInfo>::on_idle(4));
		let status = |id| Stored::<Test>::get(id).unwrap().status;
		assert_eq!((0..4).map(status).collect::<Vec<_>>(), vec![Status::Defaulted; 4]);
		assert_eq!(status(4), Status::Pending);
		// Only room for one more.
		let room = <() as WeightInfo>::on_idle(1);
		assert_eq!(Obligations::on_idle(102 + GRACE, room), room);
		assert_eq!(status(4), Status::Defaulted);
		assert_eq!(status(5), Status::Pending);
		// No room at all: nothing done, nothing charged.
		assert_eq!(Obligations::on_idle(102 + GRACE, Weight::zero()), Weight::zero());
		Obligations::on_idle(102 + GRACE, Weight::MAX);
		assert_eq!(status(5), Status::Defaulted);
		assert_eq!(status(6), Status::Pending);
		assert_eq!(Reputation::record_of(&CONSUMER).unwrap().defaulted, (6, 60));
		assert_eq!(DueQueue::<Test>::iter_keys().count(), 1);
	});
}

#[test]
fn an_sla_breach_cuts_the_amount_once_per_batch_until_due() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		let id = create(offer, 50);
		// Within bounds: nothing.
		assert_eq!(anchored(HONEST_GATEWAY, 1, 2, 0), <() as WeightInfo>::on_anchored(1));
		assert_eq!(Stored::<Test>::get(id).unwrap().breaches, 0);
		// Another device: nothing watched, nothing examined.
		assert_eq!(anchored(HONEST_GATEWAY, 1, 3, 9), <() as WeightInfo>::on_anchored(0));
		// A breach cuts 10% of the amount.
		anchored(HONEST_GATEWAY, 2, 2, 5);
		System::assert_last_event(Event::PenaltyApplied { id, anchor: 2, cut: 5 }.into());
		// The same batch, or an older one, counts once.
		anchored(HONEST_GATEWAY, 2, 2, 5);
		anchored(HONEST_GATEWAY, 1, 2, 5);
		let o = Stored::<Test>::get(id).unwrap();
		assert_eq!((o.penalty, o.breaches, o.last_breach, o.owed()), (5, 1, Some(2), 45));
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 45);
		// Another metric of the device is not what the SLA watches.
		let humidity = [MetricSummary { id: TEMP + 1, min: 0, max: 99 }];
		<Obligations as OnAnchored<u64>>::on_anchored(3, &HONEST_GATEWAY, &device(2), &humidity);
		// After the due block, breaches no longer count.
		run_to(102);
		anchored(HONEST_GATEWAY, 4, 2, 5);
		assert_eq!(Stored::<Test>::get(id).unwrap().breaches, 1);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 45));
	});
}

#[test]
fn attack_a_consumer_cannot_defeat_its_sla() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		let id = create(offer, 50);
		// Ten breach anchors from the consumer's own gateway in one block: nothing counts.
		for anchor in 1..=10 {
			anchored(CONSUMER, anchor, 2, 99);
		}
		assert_eq!(Stored::<Test>::get(id).unwrap().penalty, 0);
		// The terms are the offer's, copied at acceptance: a new offer with looser bounds
		// changes nothing for the obligation already accepted.
		assert_ok!(Obligations::withdraw_offer(RuntimeOrigin::signed(PROVIDER), offer));
		assert_eq!(Stored::<Test>::get(id).unwrap().sla, sla_offer().sla);
		// A device that no longer belongs to the provider proves nothing about its service.
		add_device(2, CONSUMER, Some(CONSUMER));
		anchored(HONEST_GATEWAY, 11, 2, 99);
		assert_eq!(Stored::<Test>::get(id).unwrap().penalty, 0);
		add_device(2, PROVIDER, Some(HONEST_GATEWAY));
		// A consumer paying nothing cannot claim "on time": when penalties take everything the
		// obligation is forfeited, and reputation counts nothing good.
		for anchor in 12..22 {
			anchored(HONEST_GATEWAY, anchor, 2, 99);
		}
		let o = Stored::<Test>::get(id).unwrap();
		assert_eq!((o.status, o.penalty, o.breaches), (Status::Forfeited, 50, 10));
		System::assert_last_event(Event::Forfeited { id, penalty: 50 }.into());
		assert!(!System::events()
			.iter()
			.any(|r| matches!(r.event, RuntimeEvent::Obligations(Event::Fulfilled { .. }))));
		let r = Reputation::record_of(&CONSUMER).unwrap();
		assert_eq!((r.on_time.0, r.forfeited, r.good), (0, (1, 50), 0));
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 0);
		assert!(SlaWatch::<Test>::get(device(2)).is_empty());
	});
}

#[test]
fn attack_unsolicited_obligations_cannot_lock_a_provider() {
	ExtBuilder.build_and_execute(|| {
		// Nothing the provider has not offered can be put on it: no offer, no obligation.
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(OTHER), request(0, MIN_AMOUNT), None),
			Error::<Test>::UnknownOffer
		);
		let price = 20;
		let offer = publish(OfferTerms { min_amount: price, ..sla_offer() });
		// Not for 1 planck: a slot costs the offer's price.
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(OTHER), request(offer, 1), None),
			Error::<Test>::AmountOutOfRange
		);
		// Filling every slot means owing the price for each, within one's credit, and paying
		// it to the provider (or defaulting on it).
		for _ in 0..MAX_SLA {
			assert_ok!(Obligations::create(
				RuntimeOrigin::signed(OTHER),
				request(offer, price),
				None
			));
		}
		assert_eq!(Outstanding::<Test>::get(OTHER), price * u64::from(MAX_SLA));
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(CONSUMER), request(offer, price), None),
			Error::<Test>::TooManySlaObligations
		);
		// The provider keeps serving through an offer without an SLA, at no cost to it.
		let plain = publish(plain_offer());
		create(plain, price);
	});
}

#[test]
fn attack_farming_credit_with_a_colluder_costs_what_it_buys() {
	ExtBuilder.build_and_execute(|| {
		// OTHER colludes with CONSUMER: it offers, CONSUMER takes up and pays at once, again
		// and again.
		assert_ok!(Obligations::publish_offer(RuntimeOrigin::signed(OTHER), plain_offer()));
		let issuance = Balances::total_issuance();
		for _ in 0..18 {
			let id = crate::NextObligationId::<Test>::get();
			assert_ok!(Obligations::create(
				RuntimeOrigin::signed(CONSUMER),
				request(0, MIN_AMOUNT),
				None
			));
			assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, MIN_AMOUNT));
		}
		let burned = issuance - Balances::total_issuance();
		let gained = Reputation::credit_limit(&CONSUMER) - BASE_CREDIT;
		assert!(gained <= burned, "gained {gained} credit for {burned} burned");
		// 18 obligations of the minimum moved the credit limit by 18·5·10% at most.
		assert!(gained <= 9, "{gained}");
	});
}

#[test]
fn archive_removes_a_closed_obligation_after_the_retention_period() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		let id = create(offer, 20);
		assert_noop!(
			Obligations::archive(RuntimeOrigin::signed(OTHER), id),
			Error::<Test>::StillPending
		);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 20));
		run_to(1 + RETENTION);
		assert_noop!(
			Obligations::archive(RuntimeOrigin::signed(OTHER), id),
			Error::<Test>::RetentionNotOver
		);
		run_to(2 + RETENTION);
		assert_ok!(Obligations::archive(RuntimeOrigin::signed(OTHER), id));
		System::assert_last_event(Event::Archived { id }.into());
		assert!(Stored::<Test>::get(id).is_none());
		assert_eq!(Streams::<Test>::iter().count(), 0);
		assert_eq!(held(HoldReason::ObligationDeposit, CONSUMER), 0);
		// Its outcome stays in the consumer's reputation.
		assert_eq!(Reputation::record_of(&CONSUMER).unwrap().on_time, (1, 20));
		assert_noop!(
			Obligations::archive(RuntimeOrigin::signed(OTHER), id),
			Error::<Test>::UnknownObligation
		);
	});
}

#[test]
fn streams_page_by_status() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		for _ in 0..5 {
			create(offer, 10);
		}
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), 1, 10));
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), 3, 10));
		let ids = |p: &crate::Page<Test>| p.items.iter().map(|(id, _)| *id).collect::<Vec<_>>();
		let first = Obligations::stream(Side::Provider, PROVIDER, None, None, 2);
		assert_eq!((ids(&first), first.next), (vec![0, 1], Some(1)));
		let second = Obligations::stream(Side::Provider, PROVIDER, None, first.next, 2);
		assert_eq!((ids(&second), second.next), (vec![2, 3], Some(3)));
		let last = Obligations::stream(Side::Provider, PROVIDER, None, second.next, 2);
		assert_eq!((ids(&last), last.next), (vec![4], None));
		let pending = Obligations::stream(Side::Provider, PROVIDER, Some(Status::Pending), None, 9);
		assert_eq!((ids(&pending), pending.next), (vec![0, 2, 4], None));
		let paid = Obligations::stream(Side::Consumer, CONSUMER, Some(Status::Fulfilled), None, 1);
		assert_eq!((ids(&paid), paid.next), (vec![1], Some(1)));
	});
}

#[test]
fn the_admin_sets_the_grace_and_retention_periods() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		let id = create(offer, 10);
		assert_noop!(Obligations::set_grace_period(RuntimeOrigin::signed(PROVIDER), 0), BadOrigin);
		assert_noop!(Obligations::set_retention(RuntimeOrigin::signed(PROVIDER), 0), BadOrigin);
		assert_ok!(Obligations::set_grace_period(RuntimeOrigin::root(), 0));
		System::assert_last_event(Event::GracePeriodSet { blocks: 0 }.into());
		assert_ok!(Obligations::set_retention(RuntimeOrigin::root(), 0));
		System::assert_last_event(Event::RetentionSet { blocks: 0 }.into());
		run_to(101);
		assert_noop!(
			Obligations::mark_defaulted(RuntimeOrigin::signed(OTHER), id),
			Error::<Test>::NotOverdue
		);
		run_to(102);
		assert_ok!(Obligations::mark_defaulted(RuntimeOrigin::signed(OTHER), id));
		run_to(103);
		assert_ok!(Obligations::archive(RuntimeOrigin::signed(OTHER), id));
	});
}
