//! Unit tests: every call's success path and every error; credit reached exactly and exceeded by
//! one; partial payments; defaults by call and by sweep; SLA penalties once per breach; streams.

use crate::{
	mock::*, DeviceNonce, DueQueue, Error, Event, Obligations as Stored, Outstanding, Side, Sla,
	SlaWatch, Status, Terms, WeightInfo,
};
use frame_support::{
	assert_noop, assert_ok,
	traits::{fungible::Inspect, Hooks},
};
use iotrust_primitives::{
	anchoring::{MetricSummary, OnRuleBreach, RuleBreach, ThresholdRule},
	device::obligation_payload,
	merkle::metric,
};
use sp_runtime::{traits::BadOrigin, TokenError, Weight};

const TEMP: u16 = metric::TEMPERATURE_MILLI_C;

fn terms(amount: u64) -> Terms<Test> {
	Terms {
		provider: PROVIDER,
		amount,
		service_hash: service(),
		note: b"charging".to_vec().try_into().unwrap(),
		due_in: 100,
		provider_device: None,
		sla: None,
	}
}

fn create(amount: u64) -> u64 {
	let id = crate::NextObligationId::<Test>::get();
	assert_ok!(Obligations::create(RuntimeOrigin::signed(CONSUMER), terms(amount), None));
	id
}

fn sla_terms(amount: u64) -> Terms<Test> {
	Terms {
		provider_device: Some(device(2)),
		sla: Some(Sla { device: device(2), metric: TEMP }),
		..terms(amount)
	}
}

fn breach(device_n: u8, anchor: u64, metric: u16) -> RuleBreach {
	RuleBreach {
		device: device(device_n),
		anchor,
		rule: ThresholdRule { metric, min: None, max: Some(0) },
		observed: MetricSummary { id: metric, min: 5, max: 5 },
	}
}

fn run_to(n: u64) {
	System::set_block_number(n);
}

#[test]
fn create_stores_the_obligation_in_both_streams() {
	new_test_ext().execute_with(|| {
		assert_ok!(Obligations::create(
			RuntimeOrigin::signed(CONSUMER),
			sla_terms(40),
			Some(device(1))
		));
		let o = Stored::<Test>::get(0).unwrap();
		assert_eq!((o.consumer, o.provider, o.amount, o.paid), (CONSUMER, PROVIDER, 40, 0));
		assert_eq!((o.created, o.due, o.status), (1, 101, Status::Pending));
		assert_eq!((o.consumer_device, o.provider_device), (Some(device(1)), Some(device(2))));
		assert_eq!(o.note.to_vec(), b"charging".to_vec());
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 40);
		assert_eq!(SlaWatch::<Test>::get(device(2)).to_vec(), vec![0]);
		assert_eq!(DueQueue::<Test>::iter_keys().count(), 1);
		System::assert_last_event(
			Event::Created {
				id: 0,
				consumer: CONSUMER,
				provider: PROVIDER,
				amount: 40,
				due: 101,
				device: Some(device(1)),
			}
			.into(),
		);
		let provider = Obligations::stream(Side::Provider, PROVIDER, None, None, 10);
		let consumer = Obligations::stream(Side::Consumer, CONSUMER, None, None, 10);
		assert_eq!(provider.items, consumer.items);
		assert_eq!(provider.items.len(), 1);
		assert!(Obligations::stream(Side::Consumer, PROVIDER, None, None, 10).items.is_empty());
	});
}

#[test]
fn create_checks_its_terms() {
	new_test_ext().execute_with(|| {
		let origin = || RuntimeOrigin::signed(CONSUMER);
		assert_noop!(Obligations::create(RuntimeOrigin::none(), terms(1), None), BadOrigin);
		assert_noop!(Obligations::create(origin(), terms(0), None), Error::<Test>::ZeroAmount);
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(PROVIDER), terms(1), None),
			Error::<Test>::SelfObligation
		);
		for due_in in [0, 1_001] {
			assert_noop!(
				Obligations::create(origin(), Terms { due_in, ..terms(1) }, None),
				Error::<Test>::InvalidDueIn
			);
		}
		// The consumer device must be the consumer's, the provider device the provider's.
		assert_noop!(
			Obligations::create(origin(), terms(1), Some(device(3))),
			Error::<Test>::NotDeviceOwner
		);
		assert_noop!(
			Obligations::create(
				origin(),
				Terms { provider_device: Some(device(1)), ..terms(1) },
				None
			),
			Error::<Test>::NotDeviceOwner
		);
		deactivate(device(1));
		assert_noop!(
			Obligations::create(origin(), terms(1), Some(device(1))),
			Error::<Test>::DeviceNotActive
		);
		assert_noop!(
			Obligations::create(
				origin(),
				Terms { sla: Some(Sla { device: device(3), metric: TEMP }), ..sla_terms(1) },
				None
			),
			Error::<Test>::SlaDeviceNotInObligation
		);
		for _ in 0..MAX_SLA {
			assert_ok!(Obligations::create(origin(), sla_terms(1), None));
		}
		assert_noop!(
			Obligations::create(origin(), sla_terms(1), None),
			Error::<Test>::TooManySlaObligations
		);
	});
}

#[test]
fn credit_limit_reached_exactly_then_exceeded_by_one() {
	new_test_ext().execute_with(|| {
		assert_eq!(Obligations::remaining_credit(&CONSUMER), BASE_CREDIT);
		create(60);
		create(BASE_CREDIT - 60);
		assert_eq!(Obligations::remaining_credit(&CONSUMER), 0);
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(CONSUMER), terms(1), None),
			Error::<Test>::CreditLimitExceeded
		);
		// Paying frees credit again.
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), 0, 1));
		create(1);
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(CONSUMER), terms(1), None),
			Error::<Test>::CreditLimitExceeded
		);
	});
}

/// Device 1's signed request for `terms` with `nonce`.
fn signed_request(terms: &Terms<Test>, nonce: u32) -> iotrust_primitives::device::DeviceSignature {
	let genesis = Obligations::genesis_hash();
	keypair(1).sign(&obligation_payload(&genesis, &device(1), nonce, terms))
}

#[test]
fn a_gateway_creates_for_a_device_that_signed_the_terms_once() {
	new_test_ext().execute_with(|| {
		let t = terms(30);
		let sig = signed_request(&t, 0);
		assert_ok!(Obligations::create_for_device(
			RuntimeOrigin::signed(GATEWAY),
			device(1),
			t.clone(),
			sig.clone()
		));
		let o = Stored::<Test>::get(0).unwrap();
		assert_eq!((o.consumer, o.consumer_device), (CONSUMER, Some(device(1))));
		assert_eq!(DeviceNonce::<Test>::get(device(1)), 1);
		// The same request again is a replay: its nonce is spent.
		assert_noop!(
			Obligations::create_for_device(
				RuntimeOrigin::signed(GATEWAY),
				device(1),
				t.clone(),
				sig
			),
			Error::<Test>::BadDeviceSignature
		);
		// Changed terms are not what the device signed.
		let sig = signed_request(&t, 1);
		assert_noop!(
			Obligations::create_for_device(
				RuntimeOrigin::signed(GATEWAY),
				device(1),
				terms(31),
				sig.clone()
			),
			Error::<Test>::BadDeviceSignature
		);
		assert_noop!(
			Obligations::create_for_device(
				RuntimeOrigin::signed(OTHER),
				device(1),
				t.clone(),
				sig.clone()
			),
			Error::<Test>::NotDeviceGateway
		);
		// Device 2 is bound to no gateway.
		assert_noop!(
			Obligations::create_for_device(
				RuntimeOrigin::signed(GATEWAY),
				device(2),
				t.clone(),
				sig.clone()
			),
			Error::<Test>::NotDeviceGateway
		);
		deactivate(device(1));
		assert_noop!(
			Obligations::create_for_device(RuntimeOrigin::signed(GATEWAY), device(1), t, sig),
			Error::<Test>::DeviceNotActive
		);
	});
}

#[test]
fn partial_payments_then_full_payment_on_time() {
	new_test_ext().execute_with(|| {
		let id = create(50);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 20));
		System::assert_last_event(Event::Paid { id, amount: 20, remaining: 30 }.into());
		assert_eq!(Stored::<Test>::get(id).unwrap().status, Status::Pending);
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 30);
		run_to(101);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 30));
		System::assert_last_event(Event::Fulfilled { id, on_time: true }.into());
		let o = Stored::<Test>::get(id).unwrap();
		assert_eq!((o.status, o.paid, o.closed_at), (Status::Fulfilled, 50, Some(101)));
		assert_eq!(Balances::balance(&CONSUMER), 950);
		assert_eq!(Balances::balance(&PROVIDER), 1_050);
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 0);
		assert_eq!(DueQueue::<Test>::iter_keys().count(), 0);
		let record = Reputation::record_of(&CONSUMER).unwrap();
		assert_eq!(record.on_time, (1, 50));
		assert!(Reputation::score_of(&CONSUMER) > 500);
		assert!(Obligations::remaining_credit(&CONSUMER) > BASE_CREDIT);
	});
}

#[test]
fn a_late_payment_counts_as_late() {
	new_test_ext().execute_with(|| {
		let id = create(50);
		run_to(102);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 50));
		System::assert_last_event(Event::Fulfilled { id, on_time: false }.into());
		assert_eq!(Reputation::record_of(&CONSUMER).unwrap().late, (1, 50));
	});
}

#[test]
fn pay_checks_who_what_and_how_much() {
	new_test_ext().execute_with(|| {
		assert_noop!(
			Obligations::pay(RuntimeOrigin::signed(CONSUMER), 9, 1),
			Error::<Test>::UnknownObligation
		);
		let id = create(50);
		assert_noop!(
			Obligations::pay(RuntimeOrigin::signed(PROVIDER), id, 1),
			Error::<Test>::NotConsumer
		);
		assert_noop!(
			Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 0),
			Error::<Test>::ZeroPayment
		);
		assert_noop!(
			Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 51),
			Error::<Test>::PaymentExceedsDebt
		);
		// The consumer cannot pay what it does not have: nothing changes.
		assert_ok!(Balances::transfer_allow_death(RuntimeOrigin::signed(CONSUMER), OTHER, 960));
		assert_noop!(
			Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 50),
			TokenError::FundsUnavailable
		);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 39));
		assert_ok!(Obligations::cancel(RuntimeOrigin::signed(PROVIDER), id));
		assert_noop!(
			Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 1),
			Error::<Test>::NotPending
		);
	});
}

#[test]
fn the_provider_forgives_what_is_left() {
	new_test_ext().execute_with(|| {
		let id = create(50);
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
		System::assert_last_event(Event::Cancelled { id, forgiven: 40 }.into());
		assert_eq!(Stored::<Test>::get(id).unwrap().status, Status::Cancelled);
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 0);
		assert_eq!(Reputation::record_of(&CONSUMER).unwrap().cancelled, (1, 40));
		assert_eq!(Reputation::score_of(&CONSUMER), 500);
		assert_noop!(
			Obligations::cancel(RuntimeOrigin::signed(PROVIDER), id),
			Error::<Test>::NotPending
		);
	});
}

#[test]
fn default_by_call_after_the_grace_period_and_credit_shrinks() {
	new_test_ext().execute_with(|| {
		let id = create(80);
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
		// A defaulter's credit shrinks below what a new account gets: the same obligation is
		// refused now.
		let left = Obligations::remaining_credit(&CONSUMER);
		assert!(left < 80);
		assert_noop!(
			Obligations::create(RuntimeOrigin::signed(CONSUMER), terms(left + 1), None),
			Error::<Test>::CreditLimitExceeded
		);
		assert_noop!(
			Obligations::pay(RuntimeOrigin::signed(CONSUMER), id, 1),
			Error::<Test>::NotPending
		);
	});
}

#[test]
fn the_idle_sweep_defaults_overdue_obligations_earliest_first_and_bounded() {
	new_test_ext().execute_with(|| {
		for _ in 0..6 {
			create(10);
		}
		run_to(50);
		// Due later: not swept.
		create(10);
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
fn an_sla_breach_cuts_the_amount_once_per_batch() {
	new_test_ext().execute_with(|| {
		assert_ok!(Obligations::create(RuntimeOrigin::signed(CONSUMER), sla_terms(50), None));
		let used = <crate::Pallet<Test> as OnRuleBreach>::on_rule_breach(&breach(2, 7, TEMP));
		assert_eq!(used, <() as WeightInfo>::on_rule_breach(1));
		System::assert_last_event(Event::PenaltyApplied { id: 0, anchor: 7, cut: 5 }.into());
		// The same batch again, and an older one: no second cut.
		<crate::Pallet<Test> as OnRuleBreach>::on_rule_breach(&breach(2, 7, TEMP));
		<crate::Pallet<Test> as OnRuleBreach>::on_rule_breach(&breach(2, 6, TEMP));
		// Another metric, another device: not this SLA.
		<crate::Pallet<Test> as OnRuleBreach>::on_rule_breach(&breach(
			2,
			8,
			metric::HUMIDITY_PER_MILLE,
		));
		<crate::Pallet<Test> as OnRuleBreach>::on_rule_breach(&breach(1, 9, TEMP));
		let o = Stored::<Test>::get(0).unwrap();
		assert_eq!((o.penalty, o.breaches, o.last_breach, o.owed()), (5, 1, Some(7), 45));
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 45);
		// A later batch cuts again.
		<crate::Pallet<Test> as OnRuleBreach>::on_rule_breach(&breach(2, 10, TEMP));
		assert_eq!(Stored::<Test>::get(0).unwrap().owed(), 40);
		// After the due block the service is over: breaches no longer count.
		run_to(102);
		<crate::Pallet<Test> as OnRuleBreach>::on_rule_breach(&breach(2, 11, TEMP));
		assert_eq!(Stored::<Test>::get(0).unwrap().owed(), 40);
		assert_noop!(
			Obligations::pay(RuntimeOrigin::signed(CONSUMER), 0, 41),
			Error::<Test>::PaymentExceedsDebt
		);
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), 0, 40));
		assert_eq!(Stored::<Test>::get(0).unwrap().status, Status::Fulfilled);
		assert!(SlaWatch::<Test>::get(device(2)).is_empty());
	});
}

#[test]
fn penalties_never_cut_below_what_was_paid() {
	new_test_ext().execute_with(|| {
		assert_ok!(Obligations::create(RuntimeOrigin::signed(CONSUMER), sla_terms(50), None));
		assert_ok!(Obligations::pay(RuntimeOrigin::signed(CONSUMER), 0, 48));
		// 10% of 50 is 5, but only 2 are left: the cut is 2 and nothing is owed.
		<crate::Pallet<Test> as OnRuleBreach>::on_rule_breach(&breach(2, 1, TEMP));
		System::assert_has_event(Event::PenaltyApplied { id: 0, anchor: 1, cut: 2 }.into());
		System::assert_last_event(Event::Fulfilled { id: 0, on_time: true }.into());
		let o = Stored::<Test>::get(0).unwrap();
		assert_eq!((o.status, o.paid, o.penalty), (Status::Fulfilled, 48, 2));
		assert_eq!(Outstanding::<Test>::get(CONSUMER), 0);
	});
}

#[test]
fn streams_page_by_status() {
	new_test_ext().execute_with(|| {
		for _ in 0..5 {
			create(10);
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
fn the_admin_sets_the_grace_period() {
	new_test_ext().execute_with(|| {
		let id = create(10);
		assert_noop!(Obligations::set_grace_period(RuntimeOrigin::signed(PROVIDER), 0), BadOrigin);
		assert_ok!(Obligations::set_grace_period(RuntimeOrigin::root(), 0));
		System::assert_last_event(Event::GracePeriodSet { blocks: 0 }.into());
		run_to(101);
		assert_noop!(
			Obligations::mark_defaulted(RuntimeOrigin::signed(OTHER), id),
			Error::<Test>::NotOverdue
		);
		run_to(102);
		assert_ok!(Obligations::mark_defaulted(RuntimeOrigin::signed(OTHER), id));
	});
}
