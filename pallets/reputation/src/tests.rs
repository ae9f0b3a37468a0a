//! The formula at its edges: new accounts, outcomes, decay over time, score bounds, credit.

use crate::{decay, mock::*, score, Event, Records, MAX_SCORE, NEUTRAL_SCORE};
use frame_support::traits::Hooks;
use iotrust_primitives::reputation::{CreditLimit, Outcome, ReputationSink};

const ALICE: u64 = 1;

fn record(outcome: Outcome, value: u64) {
	<Reputation as ReputationSink<u64, u64>>::record(&ALICE, outcome, value);
}

fn credit() -> u64 {
	<Reputation as CreditLimit<u64, u64>>::credit_limit(&ALICE)
}

#[test]
fn a_new_account_is_neutral_with_the_base_credit() {
	new_test_ext().execute_with(|| {
		Reputation::integrity_test();
		assert_eq!(Reputation::score_of(&ALICE), NEUTRAL_SCORE);
		assert_eq!(credit(), BASE);
		assert_eq!(Reputation::record_of(&ALICE), None);
	});
}

#[test]
fn paying_on_time_raises_the_score_and_credit() {
	new_test_ext().execute_with(|| {
		record(Outcome::FulfilledOnTime, 40);
		// (1000 + 1000) / (1000 + 0 + 2000) = 2/3.
		assert_eq!(Reputation::score_of(&ALICE), 666);
		System::assert_last_event(
			Event::OutcomeRecorded {
				who: ALICE,
				outcome: Outcome::FulfilledOnTime,
				value: 40,
				score: 666,
			}
			.into(),
		);
		assert!(credit() > BASE);
		let r = Records::<Test>::get(ALICE).unwrap();
		assert_eq!(r.on_time, (1, 40));
		assert_eq!((r.good, r.bad, r.updated_at), (1_000, 0, 1));
	});
}

#[test]
fn late_payment_counts_less_and_a_default_costs_more() {
	new_test_ext().execute_with(|| {
		record(Outcome::FulfilledLate, 10);
		let late = Reputation::score_of(&ALICE);
		assert!(late > NEUTRAL_SCORE && late < 666, "{late}");
		record(Outcome::Defaulted, 10);
		assert!(Reputation::score_of(&ALICE) < NEUTRAL_SCORE);
		assert!(credit() < BASE);
		record(Outcome::Cancelled, 5);
		let r = Records::<Test>::get(ALICE).unwrap();
		assert_eq!((r.late, r.defaulted, r.cancelled), ((1, 10), (1, 10), (1, 5)));
	});
}

#[test]
fn old_behaviour_decays_toward_neutral() {
	new_test_ext().execute_with(|| {
		record(Outcome::Defaulted, 10);
		let fresh = Reputation::score_of(&ALICE);
		System::set_block_number(1 + HALF_LIFE);
		let older = Reputation::score_of(&ALICE);
		System::set_block_number(1 + 20 * HALF_LIFE);
		let ancient = Reputation::score_of(&ALICE);
		assert!(fresh < older && older < ancient, "{fresh} {older} {ancient}");
		assert_eq!(ancient, NEUTRAL_SCORE);
		// A recent on-time payment outweighs an old default.
		record(Outcome::FulfilledOnTime, 10);
		assert!(Reputation::score_of(&ALICE) > NEUTRAL_SCORE);
	});
}

#[test]
fn decay_at_its_edges() {
	assert_eq!(decay(1_000, 0, 100), 1_000);
	assert_eq!(decay(1_000, 50, 100), 750);
	assert_eq!(decay(1_000, 100, 100), 500);
	assert_eq!(decay(1_000, 150, 100), 375);
	assert_eq!(decay(1_000, 200, 100), 250);
	assert_eq!(decay(u64::MAX, 64 * 100, 100), 0);
	assert_eq!(decay(u64::MAX, u64::MAX, 1), 0);
	// Monotone over time.
	let mut last = u64::MAX;
	for t in 0..1_000 {
		let d = decay(1_000_000, t, 100);
		assert!(d <= last);
		last = d;
	}
}

#[test]
fn the_score_stays_within_its_bounds() {
	assert_eq!(score(0, 0), NEUTRAL_SCORE);
	assert_eq!(score(0, u64::MAX), 0);
	assert_eq!(score(u64::MAX, 0), MAX_SCORE - 1);
	assert!(score(u64::MAX, u64::MAX) <= MAX_SCORE);
	new_test_ext().execute_with(|| {
		for _ in 0..1_000 {
			record(Outcome::Defaulted, 1);
		}
		assert!(Reputation::score_of(&ALICE) < 10);
		assert!(credit() < BASE / 50);
	});
}

#[test]
fn credit_at_its_edges() {
	new_test_ext().execute_with(|| {
		assert_eq!(Reputation::credit_for_score(0), 0);
		assert_eq!(Reputation::credit_for_score(250), BASE / 2);
		assert_eq!(Reputation::credit_for_score(NEUTRAL_SCORE), BASE);
		assert_eq!(Reputation::credit_for_score(750), BASE + (MAX - BASE) / 2);
		assert_eq!(Reputation::credit_for_score(MAX_SCORE), MAX);
		assert_eq!(Reputation::credit_for_score(u32::MAX), MAX);
		let mut last = 0;
		for s in 0..=MAX_SCORE {
			let c = Reputation::credit_for_score(s);
			assert!(c >= last);
			last = c;
		}
	});
}
