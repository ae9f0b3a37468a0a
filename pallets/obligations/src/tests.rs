//! Unit tests: every call's success path and every error; offers and their bounds; credit reached
//! exactly and exceeded by one; partial payments and the credit fee; defaults by call and by
//! sweep; SLA penalties from evidence only (a claimed reading, a group's summary, a gap,
//! silence), once per anchor; bonds and named consumers; archival; streams; the version-2
//! migration; and the attacks (a self-defeated SLA, one gateway's made-up breaches, a device
//! moved out of its SLA's sight, squatted SLA slots, a provider locked by unsolicited
//! obligations, credit farmed with a colluder).

use crate::{
	mock::*, Breach, DeviceNonce, DueQueue, Error, Event, HoldReason, ObligationRequest,
	Obligations as Stored, OfferId, OfferTerms, Offers, Outstanding, ProviderOffers, Request, Side,
	Sla, SlaSeen, SlaWatch, Status, Streams, WeightInfo,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{
		fungible::{Inspect, InspectHold},
		Hooks,
	},
};
use iotrust_primitives::merkle::{MerkleProof, SignedReading};
use iotrust_primitives::{
	anchoring::{AnchoredRange, MetricSummary, OnAnchored, ThresholdRule},
	device::obligation_payload,
	merkle::metric,
	reputation::CreditLimit,
};
use sp_runtime::{traits::BadOrigin, DispatchResult, TokenError, Weight};

const TEMP: u16 = metric::TEMPERATURE_MILLI_C;
/// A gateway that is neither party.
const HONEST_GATEWAY: u64 = 8;
/// A gateway group's account.
const GROUP: u64 = 9;

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
		consumers: Default::default(),
	}
}

/// SLA bounds: temperature at most 0.
fn cold() -> ThresholdRule {
	ThresholdRule { metric: TEMP, min: None, max: Some(0) }
}

/// The longest device 2 may go unobserved under [`sla_offer`].
const SILENCE: u64 = 10;

/// As [`plain_offer`], held to an SLA: device 2's temperature at most 0.
fn sla_offer() -> OfferTerms<Test> {
	OfferTerms {
		device: Some(device(2)),
		sla: Some(Sla { bounds: cold(), max_silence: SILENCE }),
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

/// `gateway` anchored batch `anchor` in which device `n`'s temperature peaked at `max`; a group
/// signed it if `endorsed`, and it skipped numbers if `gap`.
fn observed(gateway: u64, anchor: u64, n: u8, max: i64, endorsed: bool, gap: bool) -> Weight {
	let summaries = [MetricSummary { id: TEMP, min: max - 1, max }];
	let range = AnchoredRange {
		anchor,
		gateway: &gateway,
		device: &device(n),
		summaries: &summaries,
		endorsed,
		gap,
	};
	<Obligations as OnAnchored<u64>>::on_anchored(range)
}

/// As [`observed`], signed by one gateway and without a gap.
fn anchored(gateway: u64, anchor: u64, n: u8, max: i64) -> Weight {
	observed(gateway, anchor, n, max, false, false)
}

/// As [`observed`], signed by a gateway group and without a gap.
fn endorsed(anchor: u64, n: u8, max: i64) -> Weight {
	observed(GROUP, anchor, n, max, true, false)
}

/// Anyone claims that `reading`, proven by `proof`, breached obligation `id` in `anchor`.
fn claim(id: u64, anchor: u64, reading: &SignedReading, proof: &MerkleProof) -> DispatchResult {
	Obligations::claim_breach(
		RuntimeOrigin::signed(OTHER),
		id,
		anchor,
		reading.clone(),
		proof.clone(),
	)
}

/// The last penalty event's breach.
fn last_breach() -> Breach<u64> {
	System::events()
		.iter()
		.rev()
		.find_map(|r| match r.event {
			RuntimeEvent::Obligations(Event::PenaltyApplied { breach, .. }) => Some(breach),
			_ => None,
		})
		.expect("a penalty")
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
		let inverted = ThresholdRule { metric: TEMP, min: Some(1), max: Some(0) };
		let sla = |bounds, max_silence| Some(Sla { bounds, max_silence });
		publish_err(OfferTerms { sla: sla(unbounded, 1), ..sla_offer() }, Error::InvalidSla);
		publish_err(OfferTerms { sla: sla(inverted, 1), ..sla_offer() }, Error::InvalidSla);
		publish_err(OfferTerms { sla: sla(cold(), 0), ..sla_offer() }, Error::InvalidSilence);
		publish_err(OfferTerms { sla: sla(cold(), 1_001), ..sla_offer() }, Error::InvalidSilence);
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

/// The last block the test's device requests are valid in.
const VALID_UNTIL: u64 = 10;

/// Device 1's signed request for `r` with `nonce`, valid until `valid_until`.
fn signed_until(
	r: &Request<Test>,
	nonce: u32,
	valid_until: u64,
) -> iotrust_primitives::device::DeviceSignature {
	let genesis = Obligations::genesis_hash();
	keypair(1).sign(&obligation_payload(&genesis, &device(1), nonce, valid_until as u32, r))
}

/// Device 1's signed request for `r` with `nonce`, valid until [`VALID_UNTIL`].
fn signed_request(r: &Request<Test>, nonce: u32) -> iotrust_primitives::device::DeviceSignature {
	signed_until(r, nonce, VALID_UNTIL)
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
			VALID_UNTIL,
			sig.clone()
		));
		let o = Stored::<Test>::get(0).unwrap();
		assert_eq!((o.consumer, o.consumer_device), (CONSUMER, Some(device(1))));
		assert_eq!(DeviceNonce::<Test>::get(device(1)), 1);
		// The deposit is the consumer's, not the gateway's.
		assert_eq!(held(HoldReason::ObligationDeposit, CONSUMER), OBLIGATION_DEPOSIT);
		// The same request again is a replay: its nonce is spent.
		let submit = |who: u64, n: u8, r: Request<Test>, sig| {
			Obligations::create_for_device(
				RuntimeOrigin::signed(who),
				device(n),
				r,
				VALID_UNTIL,
				sig,
			)
		};
		assert_noop!(submit(GATEWAY, 1, r.clone(), sig), Error::<Test>::BadDeviceSignature);
		// A changed request is not what the device signed.
		let sig = signed_request(&r, 1);
		assert_noop!(
			submit(GATEWAY, 1, request(offer, 31), sig.clone()),
			Error::<Test>::BadDeviceSignature
		);
		assert_noop!(submit(OTHER, 1, r.clone(), sig.clone()), Error::<Test>::NotDeviceGateway);
		// Another last block is not what the device signed.
		assert_noop!(
			Obligations::create_for_device(
				RuntimeOrigin::signed(GATEWAY),
				device(1),
				r.clone(),
				VALID_UNTIL - 1,
				sig.clone()
			),
			Error::<Test>::BadDeviceSignature
		);
		deactivate(device(1));
		assert_noop!(submit(GATEWAY, 1, r, sig), Error::<Test>::DeviceNotActive);
	});
}

#[test]
fn attack_a_refused_request_cannot_be_replayed_into_success_later() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(plain_offer());
		let submit = |r: &Request<Test>, valid_until: u64, sig| {
			Obligations::create_for_device(
				RuntimeOrigin::signed(GATEWAY),
				device(1),
				r.clone(),
				valid_until,
				sig,
			)
		};
		// A request may not say it stays valid further ahead than MaxRequestLifetime.
		let r = request(offer, 60);
		let far = 1 + MAX_LIFETIME + 1;
		assert_noop!(
			submit(&r, far, signed_until(&r, 0, far)),
			Error::<Test>::RequestLifetimeTooLong
		);
		// The consumer's device asks for 60 while 50 of its 100 of credit are taken: refused.
		let taken = create(offer, 50);
		let sig = signed_request(&r, 0);
		assert_noop!(submit(&r, VALID_UNTIL, sig.clone()), Error::<Test>::CreditLimitExceeded);
		// The consumer pays: its credit frees up. Anyone holding the signed request resends it
		// once its last block has passed: refused, the consumer having given up on it.
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), taken, 50));
		run_to(VALID_UNTIL + 1);
		assert_noop!(submit(&r, VALID_UNTIL, sig), Error::<Test>::RequestExpired);
		// The device may ask again with the same nonce and a new last block.
		let again = VALID_UNTIL + 1;
		assert_ok!(submit(&r, again, signed_until(&r, 0, again)));
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
			Obligations::check_device_request(
				who,
				device(1),
				unbounded(r),
				VALID_UNTIL,
				Clone::clone(sig),
			)
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
			Obligations::check_device_request(GATEWAY, device(1), long, VALID_UNTIL, sig.clone()),
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
			VALID_UNTIL,
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
fn a_group_signed_summary_outside_the_bounds_cuts_once_per_anchor_until_due() {
	ExtBuilder.build_and_execute(|| {
		// No silence rule within the term: only the summaries count here.
		let sla = Some(Sla { bounds: cold(), max_silence: 1_000 });
		let offer = publish(OfferTerms { sla, ..sla_offer() });
		let id = create(offer, 50);
		// Within bounds: nothing; the device was seen.
		assert_eq!(endorsed(1, 2, 0), <() as WeightInfo>::on_anchored(1));
		assert_eq!(Stored::<Test>::get(id).unwrap().breaches, 0);
		assert_eq!(SlaSeen::<Test>::get(device(2)), Some(1));
		// Another device: nothing watched, nothing examined, nothing kept.
		assert_eq!(endorsed(1, 3, 9), <() as WeightInfo>::on_anchored(0));
		assert_eq!(SlaSeen::<Test>::get(device(3)), None);
		// A breach the group signed cuts 10% of the amount.
		endorsed(2, 2, 5);
		let breach = Breach::Summary { anchor: 2 };
		System::assert_last_event(Event::PenaltyApplied { id, breach, cut: 5 }.into());
		// The same batch counts once; another counts, in any order.
		endorsed(2, 2, 5);
		let o = Stored::<Test>::get(id).unwrap();
		assert_eq!((o.penalty, o.breaches, o.last_breach, o.owed()), (5, 1, Some(2), 45));
		endorsed(0, 2, 5);
		let o = Stored::<Test>::get(id).unwrap();
		assert_eq!((o.penalty, o.breaches, o.owed()), (10, 2, 40));
		assert_eq!(o.counted.to_vec(), vec![2, 0]);
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 40);
		// Another metric of the device is not what the SLA watches.
		let humidity = [MetricSummary { id: TEMP + 1, min: 0, max: 99 }];
		let range = AnchoredRange {
			anchor: 3,
			gateway: &GROUP,
			device: &device(2),
			summaries: &humidity,
			endorsed: true,
			gap: false,
		};
		<Obligations as OnAnchored<u64>>::on_anchored(range);
		// After the due block, breaches no longer count.
		run_to(102);
		endorsed(4, 2, 5);
		assert_eq!(Stored::<Test>::get(id).unwrap().breaches, 2);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 40));
		// Nothing watches the device any more: it is no longer kept as seen.
		assert_eq!(SlaSeen::<Test>::get(device(2)), None);
	});
}

#[test]
fn attack_one_gateways_word_costs_the_provider_nothing() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		let id = create(offer, 50);
		// Ten breaching summaries from the device's own gateway and ten from the consumer's,
		// none of them signed by a group and none backed by a reading: nothing counts.
		for anchor in 1..=10 {
			anchored(HONEST_GATEWAY, anchor, 2, 99);
			anchored(CONSUMER, anchor + 10, 2, 99);
		}
		assert_eq!(Stored::<Test>::get(id).unwrap().penalty, 0);
		// A claim needs a reading the device signed: a "reading" the gateway made up, anchored
		// in its tree, is refused for its signature.
		let mut forged = reading(2, 21, 99_000);
		forged.signature = keypair(3).sign(&forged.payload(&genesis()));
		run_to(2);
		let proofs = anchor_readings(21, &[forged.clone()]);
		assert_noop!(claim(id, 21, &forged, &proofs[0]), Error::<Test>::BadReadingSignature);
		// And a genuine reading not in the anchored tree fails its proof.
		let real = reading(2, 21, 99_000);
		assert_noop!(claim(id, 21, &real, &proofs[0]), Error::<Test>::BadProof);
		// The consumer cannot change the terms either: they were copied at acceptance.
		assert_ok!(Obligations::withdraw_offer(RuntimeOrigin::signed(PROVIDER), offer));
		assert_eq!(Stored::<Test>::get(id).unwrap().sla, sla_offer().sla);
		assert_eq!(Stored::<Test>::get(id).unwrap().penalty, 0);
	});
}

#[test]
fn a_claimed_reading_with_its_proof_cuts_the_amount_and_every_check_has_its_error() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		let plain = publish(plain_offer());
		// An anchor made before the obligation was accepted is outside its term.
		let early = [reading(2, 0, 9_000)];
		let early_proof = anchor_readings(1, &early);
		run_to(2);
		let id = create(offer, 50);
		let other = create(plain, 10);
		let readings: Vec<_> =
			(1..=4).map(|seq| reading(2, seq, if seq == 3 { 9_000 } else { -5 })).collect();
		run_to(5);
		let proofs = anchor_readings(2, &readings);
		let (hot, hot_proof) = (&readings[2], &proofs[2]);

		let mut bloated = hot.clone();
		bloated.metrics = vec![bloated.metrics[0]; 5];
		assert_noop!(claim(id, 2, &bloated, hot_proof), Error::<Test>::EvidenceTooLarge);
		let mut deep = hot_proof.clone();
		deep.siblings = vec![Default::default(); 33];
		assert_noop!(claim(id, 2, hot, &deep), Error::<Test>::EvidenceTooLarge);
		assert_noop!(claim(99, 2, hot, hot_proof), Error::<Test>::UnknownObligation);
		assert_noop!(claim(other, 2, hot, hot_proof), Error::<Test>::NoSla);
		let foreign = reading(3, 3, 9_000);
		assert_noop!(claim(id, 2, &foreign, hot_proof), Error::<Test>::NotServingDevice);
		assert_noop!(claim(id, 7, hot, hot_proof), Error::<Test>::UnknownAnchor);
		assert_noop!(claim(id, 1, &early[0], &early_proof[0]), Error::<Test>::OutsideTerm);
		assert_noop!(claim(id, 2, &readings[0], &proofs[0]), Error::<Test>::NotABreach);
		let mut renumbered = hot.clone();
		renumbered.seq = 9;
		assert_noop!(claim(id, 2, &renumbered, hot_proof), Error::<Test>::ReadingNotInRange);
		let mut altered = hot.clone();
		altered.metrics[0].value = 9_001;
		assert_noop!(claim(id, 2, &altered, hot_proof), Error::<Test>::BadProof);

		// The real thing: the device's own reading, outside the bounds, in the anchored tree.
		assert_ok!(claim(id, 2, hot, hot_proof));
		System::assert_last_event(
			Event::PenaltyApplied { id, breach: Breach::Reading { anchor: 2, seq: 3 }, cut: 5 }
				.into(),
		);
		let o = Stored::<Test>::get(id).unwrap();
		assert_eq!((o.penalty, o.breaches, o.last_breach), (5, 1, Some(2)));
		// An anchor counts once, and claims go in anchor order.
		assert_noop!(claim(id, 2, hot, hot_proof), Error::<Test>::BreachAlreadyCounted);
		// A later anchor counts, within the dispute window only.
		let later = [reading(2, 5, 7_000)];
		let later_proof = anchor_readings(3, &later);
		run_to(5 + DISPUTE_WINDOW + 1);
		assert_noop!(claim(id, 3, &later[0], &later_proof[0]), Error::<Test>::DisputeWindowOver);
		run_to(5 + DISPUTE_WINDOW);
		assert_ok!(claim(id, 3, &later[0], &later_proof[0]));
		assert_eq!(Stored::<Test>::get(id).unwrap().penalty, 10);
		// Paid in full, it is no longer pending.
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 40));
		let last = [reading(2, 6, 7_000)];
		let last_proof = anchor_readings(4, &last);
		assert_noop!(claim(id, 4, &last[0], &last_proof[0]), Error::<Test>::NotPending);
		// An anchor after the due block is outside the term.
		let id = create(offer, 50);
		run_to(5 + DISPUTE_WINDOW + 101);
		let late = [reading(2, 7, 7_000)];
		let late_proof = anchor_readings(5, &late);
		assert_noop!(claim(id, 5, &late[0], &late_proof[0]), Error::<Test>::OutsideTerm);
	});
}

#[test]
fn silence_longer_than_the_sla_allows_is_claimed_stretch_by_stretch() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		let id = create(offer, 50);
		let silence = |id| Obligations::claim_silence(RuntimeOrigin::signed(OTHER), id);
		// Not yet longer than SILENCE blocks since acceptance (block 1).
		run_to(1 + SILENCE);
		assert_noop!(silence(id), Error::<Test>::NotSilent);
		// Seen at block 8: silence runs from there.
		run_to(8);
		anchored(HONEST_GATEWAY, 1, 2, -5);
		run_to(8 + SILENCE);
		assert_noop!(silence(id), Error::<Test>::NotSilent);
		run_to(8 + SILENCE + 1);
		assert_ok!(silence(id));
		System::assert_last_event(
			Event::PenaltyApplied { id, breach: Breach::Silence { from: 8, to: 18 }, cut: 5 }
				.into(),
		);
		// The stretch counts once; claimed late, each later stretch still counts on its own.
		assert_noop!(silence(id), Error::<Test>::NotSilent);
		run_to(60);
		for _ in 0..4 {
			assert_ok!(silence(id));
		}
		assert_eq!(last_breach(), Breach::Silence { from: 48, to: 58 });
		assert_noop!(silence(id), Error::<Test>::NotSilent);
		assert_eq!(Stored::<Test>::get(id).unwrap().penalty, 25);
		// A stretch that would end after the due block (101) does not count.
		run_to(200);
		for _ in 0..4 {
			assert_ok!(silence(id));
		}
		assert_eq!(last_breach(), Breach::Silence { from: 88, to: 98 });
		assert_noop!(silence(id), Error::<Test>::NotSilent);
		let plain = create(publish(plain_offer()), 10);
		assert_noop!(silence(plain), Error::<Test>::NoSla);
		assert_noop!(silence(99), Error::<Test>::UnknownObligation);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 5));
		assert_noop!(silence(id), Error::<Test>::NotPending);
	});
}

#[test]
fn a_gap_in_the_devices_readings_is_a_breach_unless_the_consumers_gateway_made_it() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		let id = create(offer, 50);
		// The consumer's own gateway cannot make a gap count on its word.
		observed(CONSUMER, 1, 2, -5, false, true);
		assert_eq!(Stored::<Test>::get(id).unwrap().breaches, 0);
		// The device's gateway skipped numbers: readings the device signed are lost for good.
		observed(HONEST_GATEWAY, 2, 2, -5, false, true);
		assert_eq!(last_breach(), Breach::Gap { anchor: 2 });
		assert_eq!(Stored::<Test>::get(id).unwrap().penalty, 5);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 45));
	});
}

#[test]
fn attack_moving_the_device_out_of_sight_hides_no_breach() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		let id = create(offer, 50);
		// The provider hands the device to another account and another gateway: its readings
		// are still its own, and a breaching one still counts.
		add_device(2, OTHER, Some(OTHER));
		run_to(2);
		let hot = [reading(2, 0, 9_000)];
		let proof = anchor_readings(1, &hot);
		assert_ok!(claim(id, 1, &hot[0], &proof[0]));
		// Suspended, the device is not anchored: that is silence, stretch by stretch.
		deactivate(device(2));
		run_to(1 + SILENCE + 1);
		assert_ok!(Obligations::claim_silence(RuntimeOrigin::signed(CONSUMER), id));
		// Penalties that take everything forfeit it; reputation counts nothing good.
		run_to(101);
		for _ in 0..8 {
			assert_ok!(Obligations::claim_silence(RuntimeOrigin::signed(CONSUMER), id));
		}
		let o = Stored::<Test>::get(id).unwrap();
		assert_eq!((o.status, o.penalty, o.breaches), (Status::Forfeited, 50, 10));
		System::assert_last_event(Event::Forfeited { id, penalty: 50 }.into());
		let r = Reputation::record_of(&CONSUMER).unwrap();
		assert_eq!((r.on_time.0, r.forfeited, r.good), (0, (1, 50), 0));
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 0);
		assert!(SlaWatch::<Test>::get(device(2)).is_empty());
		// The bond went back: a forfeit is the provider's failure.
		assert_eq!(held(HoldReason::SlaBond, CONSUMER), 0);
	});
}

#[test]
fn attack_squatting_sla_slots_costs_the_bond() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		let provider_before = Balances::balance(&PROVIDER);
		// A squatter takes every slot at the least price: each holds a 10% bond.
		let ids: Vec<u64> = (0..MAX_SLA).map(|_| create(offer, 20)).collect();
		assert_eq!(held(HoldReason::SlaBond, CONSUMER), 2 * u64::from(MAX_SLA));
		assert_eq!(Stored::<Test>::get(ids[0]).unwrap().bond, 2);
		// Halfway through the term the provider lets one go: half its bond is the provider's.
		run_to(51);
		assert_ok!(Obligations::cancel(RuntimeOrigin::signed(PROVIDER), ids[0]));
		System::assert_has_event(Event::BondSettled { id: ids[0], to_provider: 1 }.into());
		// Taking the slot back costs another bond; holding slots unpaid past grace costs them
		// whole.
		let retaken = create(offer, 20);
		run_to(102 + GRACE);
		Obligations::on_idle(102 + GRACE, Weight::MAX);
		run_to(152 + GRACE);
		Obligations::on_idle(152 + GRACE, Weight::MAX);
		assert_eq!(Stored::<Test>::get(retaken).unwrap().status, Status::Defaulted);
		assert_eq!(held(HoldReason::SlaBond, CONSUMER), 0);
		assert_eq!(Balances::balance(&PROVIDER), provider_before + 1 + 2 * u64::from(MAX_SLA));

		// The other way round: a provider cannot farm bonds by cancelling consumers it just
		// accepted: the block after, the consumer loses nothing of it.
		let honest = create(offer, 20);
		run_to(153 + GRACE);
		assert_ok!(Obligations::cancel(RuntimeOrigin::signed(PROVIDER), honest));
		System::assert_has_event(Event::BondSettled { id: honest, to_provider: 0 }.into());
		// An honest consumer that pays gets its bond back whole.
		let paid = create(offer, 20);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), paid, 20));
		System::assert_has_event(Event::BondSettled { id: paid, to_provider: 0 }.into());
		// Cancelled at the end of its term, an almost paid one costs no more than is forgiven.
		let nearly = create(offer, 20);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), nearly, 19));
		run_to(153 + GRACE + 100);
		assert_ok!(Obligations::cancel(RuntimeOrigin::signed(PROVIDER), nearly));
		System::assert_has_event(Event::BondSettled { id: nearly, to_provider: 1 }.into());
		assert_eq!(held(HoldReason::SlaBond, CONSUMER), 0);
	});
}

#[test]
fn an_anchor_ends_a_silence_but_does_not_erase_it() {
	ExtBuilder.build_and_execute(|| {
		let offer = publish(sla_offer());
		let id = create(offer, 50);
		// Seen at block 8, then silent until the provider's gateway anchors again at 59: the
		// five stretches of ten blocks that ended before are judged then and there.
		run_to(8);
		anchored(HONEST_GATEWAY, 1, 2, -5);
		run_to(59);
		anchored(HONEST_GATEWAY, 2, 2, -5);
		System::assert_has_event(
			Event::PenaltyApplied { id, breach: Breach::Silence { from: 8, to: 58 }, cut: 25 }
				.into(),
		);
		let o = Stored::<Test>::get(id).unwrap();
		assert_eq!((o.penalty, o.breaches, o.silent_until), (25, 5, 58));
		// Nothing is left to claim for them, and the silence runs again from the anchor.
		run_to(60);
		assert_noop!(
			Obligations::claim_silence(RuntimeOrigin::signed(CONSUMER), id),
			Error::<Test>::NotSilent
		);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 25));
	});
}

#[test]
fn the_last_breach_an_obligation_records_takes_what_is_left() {
	ExtBuilder.build_and_execute(|| {
		// 10% of 55 is 5 (rounded down): ten breaches would leave 5 unpaid for ever; the
		// tenth takes it all.
		let offer = publish(sla_offer());
		let id = create(offer, 55);
		for anchor in 0..9 {
			endorsed(anchor, 2, 5);
		}
		assert_eq!(Stored::<Test>::get(id).unwrap().penalty, 45);
		endorsed(9, 2, 5);
		let o = Stored::<Test>::get(id).unwrap();
		assert_eq!((o.status, o.penalty, o.breaches), (Status::Forfeited, 55, 10));
	});
}

#[test]
fn an_offer_that_names_its_consumers_accepts_only_them() {
	ExtBuilder.build_and_execute(|| {
		let named = OfferTerms { consumers: vec![OTHER].try_into().unwrap(), ..sla_offer() };
		let offer = publish(named);
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(CONSUMER), request(offer, 20), None),
			Error::<Test>::NotNamedConsumer
		);
		assert_ok!(Obligations::create(RuntimeOrigin::signed(OTHER), request(offer, 20), None));
	});
}

#[test]
fn the_version_2_migration_keeps_what_stood_and_adds_no_silence_rule() {
	use crate::migrations::v2;
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	ExtBuilder.build_and_execute(|| {
		let old_offer = v2::OfferV1::<u64, u64, u64> {
			provider: PROVIDER,
			service_hash: service(),
			min_amount: MIN_AMOUNT,
			max_amount: 100,
			due_in: 100,
			min_score: 0,
			device: Some(device(2)),
			sla: Some(cold()),
			deposit: OFFER_DEPOSIT,
		};
		let old_obligation = v2::OldObligation::<Test> {
			consumer: CONSUMER,
			provider: PROVIDER,
			offer: 0,
			amount: 50,
			paid: 0,
			penalty: 0,
			breaches: 0,
			last_breach: None,
			credit_fee: 0,
			service_hash: service(),
			note: Default::default(),
			created: 1,
			due: 101,
			consumer_device: None,
			provider_device: Some(device(2)),
			sla: Some(cold()),
			deposit: 0,
			status: Status::Fulfilled,
			closed_at: Some(1),
		};
		let put =
			|key: Vec<u8>, value: Vec<u8>| frame_support::storage::unhashed::put_raw(&key, &value);
		put(Offers::<Test>::hashed_key_for(0), old_offer.encode());
		put(Stored::<Test>::hashed_key_for(0), old_obligation.encode());
		StorageVersion::new(1).put::<Obligations>();
		let before = v2::pre_check::<Test>().unwrap();
		v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		v2::post_check::<Test>(before).unwrap();
		assert_eq!(Obligations::on_chain_storage_version(), 2);
		let offer = Offers::<Test>::get(0).unwrap();
		assert_eq!(offer.terms.sla, Some(Sla { bounds: cold(), max_silence: 1_000 }));
		assert!(offer.terms.consumers.is_empty());
		let o = Stored::<Test>::get(0).unwrap();
		assert_eq!((o.silent_until, o.bond, o.amount), (101, 0, 50));
		// Run again, it does nothing: the version is 2.
		v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Stored::<Test>::get(0).unwrap(), o);
		// The test's invariants expect the offer's deposit held.
		Offers::<Test>::remove(0);
		Stored::<Test>::remove(0);
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

#[test]
fn attack_no_sla_is_taken_on_a_device_hidden_in_a_channel() {
	ExtBuilder.build_and_execute(|| {
		// The provider offers an SLA on its device, then puts the device in a private channel:
		// its summaries leave the anchors and its consumer could not read a breaching reading.
		let offer = publish(sla_offer());
		make_private(device(2));
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(CONSUMER), request(offer, 40), None),
			Error::<Test>::SlaDevicePrivate
		);
		// Without an SLA, serving from a private device is the parties' business.
		create(publish(OfferTerms { device: Some(device(2)), ..plain_offer() }), 40);
	});
}
