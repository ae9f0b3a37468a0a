//! The formula at its edges: new accounts, value-weighted outcomes, diminishing returns per
//! counterparty, decay, score bounds, credit bought by fees; and credit farming tried as the
//! attack.

use crate::{
	decay, mock::*, pair_value, score, Counterparty, Event, Records, MAX_SCORE, NEUTRAL_SCORE,
};
use frame_support::traits::Hooks;
use iotrust_primitives::reputation::{CreditLimit, Outcome, ReputationSink, Settlement};

const ALICE: u64 = 1;
const BOB: u64 = 2;

/// Alice's obligation to `provider` worth `value` ended with `outcome`, `fee` burned on it.
fn settle(provider: u64, outcome: Outcome, value: u64, fee: u64) {
	<Reputation as ReputationSink<u64, u64>>::record(Settlement {
		consumer: &ALICE,
		provider: &provider,
		outcome,
		value,
		credit_fee: fee,
	});
}

fn credit() -> u64 {
	<Reputation as CreditLimit<u64, u64>>::credit_limit(&ALICE)
}

fn score_now() -> u32 {
	Reputation::score_of(&ALICE)
}

#[test]
fn a_new_account_is_neutral_with_the_base_credit() {
	ExtBuilder.build_and_execute(|| {
		Reputation::integrity_test();
		assert_eq!(score_now(), NEUTRAL_SCORE);
		assert_eq!(credit(), BASE);
		assert_eq!(Reputation::record_of(&ALICE), None);
	});
}

#[test]
fn paying_on_time_raises_the_score_by_value_and_credit_by_the_fee() {
	ExtBuilder.build_and_execute(|| {
		settle(BOB, Outcome::FulfilledOnTime, 50, 2);
		// Good: 50·50/(50+50) = 25. Score: 1000·(25+100)/(25+0+200) = 555.
		assert_eq!(score_now(), 555);
		System::assert_last_event(
			Event::OutcomeRecorded {
				who: ALICE,
				provider: BOB,
				outcome: Outcome::FulfilledOnTime,
				value: 50,
				score: 555,
			}
			.into(),
		);
		// Credit rises by the fee burned, and by nothing else.
		assert_eq!(credit(), BASE + 2);
		let r = Records::<Test>::get(ALICE).unwrap();
		assert_eq!(r.on_time, (1, 50));
		assert_eq!((r.good, r.bad, r.earned, r.updated_at), (25, 0, 2, 1));
		assert_eq!(r.counterparties.to_vec(), vec![Counterparty { account: BOB, paid: 50 }]);
	});
}

#[test]
fn returns_diminish_per_counterparty() {
	ExtBuilder.build_and_execute(|| {
		for _ in 0..100 {
			settle(BOB, Outcome::FulfilledOnTime, 50, 0);
		}
		// 5000 paid to one provider counts for 50·5000/5050 = 49 < PAIR_CAP.
		let one = Records::<Test>::get(ALICE).unwrap().good;
		assert_eq!(one, 49);
		// The same value spread over more providers counts for more.
		for provider in [3, 4] {
			settle(provider, Outcome::FulfilledOnTime, 50, 0);
		}
		assert_eq!(Records::<Test>::get(ALICE).unwrap().good, 49 + 25 + 25);
	});
}

#[test]
fn late_payment_counts_less_and_a_default_costs_more() {
	ExtBuilder.build_and_execute(|| {
		settle(BOB, Outcome::FulfilledLate, 40, 4);
		let r = Records::<Test>::get(ALICE).unwrap();
		// Half of 50·40/90 = 22, i.e. 11 good; 40/4 = 10 bad; half the fee earned.
		assert_eq!((r.good, r.bad, r.earned), (11, 10, 2));
		let late = score_now();
		assert!(late > NEUTRAL_SCORE - 1 && late < 555, "{late}");
		settle(BOB, Outcome::Defaulted, 10, 0);
		assert_eq!(Records::<Test>::get(ALICE).unwrap().bad, 10 + 20);
		assert!(score_now() < NEUTRAL_SCORE);
		assert!(credit() < BASE);
		settle(BOB, Outcome::Cancelled, 5, 0);
		settle(BOB, Outcome::Forfeited, 7, 0);
		let r = Records::<Test>::get(ALICE).unwrap();
		assert_eq!(
			(r.late, r.defaulted, r.cancelled, r.forfeited),
			((1, 40), (1, 10), (1, 5), (1, 7))
		);
		// Cancelled and forfeited obligations earn nothing.
		assert_eq!((r.good, r.bad), (11, 30));
	});
}

#[test]
fn old_behaviour_decays_toward_neutral() {
	ExtBuilder.build_and_execute(|| {
		settle(BOB, Outcome::Defaulted, 100, 0);
		let fresh = score_now();
		System::set_block_number(1 + HALF_LIFE);
		let older = score_now();
		System::set_block_number(1 + 20 * HALF_LIFE);
		let ancient = score_now();
		assert!(fresh < older && older < ancient, "{fresh} {older} {ancient}");
		assert_eq!(ancient, NEUTRAL_SCORE);
		// A recent on-time payment outweighs an old default.
		settle(BOB, Outcome::FulfilledOnTime, 10, 0);
		assert!(score_now() > NEUTRAL_SCORE);
	});
}

#[test]
fn earned_credit_and_counterparties_decay_too() {
	ExtBuilder.build_and_execute(|| {
		settle(BOB, Outcome::FulfilledOnTime, 100, 40);
		assert_eq!(credit(), BASE + 40);
		System::set_block_number(1 + HALF_LIFE);
		assert_eq!(credit(), BASE + 20);
		let r = Reputation::record_of(&ALICE).unwrap();
		assert_eq!(r.counterparties.to_vec(), vec![Counterparty { account: BOB, paid: 50 }]);
		// After long enough the pair is forgotten and counts afresh.
		System::set_block_number(1 + 200 * HALF_LIFE);
		settle(3, Outcome::FulfilledOnTime, 1, 0);
		let r = Records::<Test>::get(ALICE).unwrap();
		assert_eq!(r.counterparties.to_vec(), vec![Counterparty { account: 3, paid: 1 }]);
	});
}

#[test]
fn a_full_memory_forgets_the_counterparty_paid_least() {
	ExtBuilder.build_and_execute(|| {
		settle(10, Outcome::FulfilledOnTime, 30, 0);
		settle(11, Outcome::FulfilledOnTime, 10, 0);
		settle(12, Outcome::FulfilledOnTime, 20, 0);
		// Full (three): a fourth paid more replaces the one paid least.
		settle(13, Outcome::FulfilledOnTime, 15, 0);
		let accounts =
			|r: crate::Record<Test>| r.counterparties.iter().map(|c| c.account).collect::<Vec<_>>();
		assert_eq!(accounts(Records::<Test>::get(ALICE).unwrap()), vec![10, 13, 12]);
		// One paid less than every remembered one is not remembered.
		settle(14, Outcome::FulfilledOnTime, 1, 0);
		assert_eq!(accounts(Records::<Test>::get(ALICE).unwrap()), vec![10, 13, 12]);
	});
}

/// Alice pays the colluder `BOB` 1 `rounds` times; returns the good points that added.
fn pay_colluder(rounds: u32) -> u64 {
	let before = Records::<Test>::get(ALICE).map_or(0, |r| r.good);
	for _ in 0..rounds {
		settle(BOB, Outcome::FulfilledOnTime, 1, 0);
	}
	Records::<Test>::get(ALICE).unwrap().good - before
}

#[test]
fn attack_throwaway_providers_push_a_colluder_out_of_memory_and_it_still_counts_once() {
	ExtBuilder.build_and_execute(|| {
		// The record remembers three providers: fill it with throwaways paid more than one
		// round to the colluder, so that the colluder starts out not remembered.
		for throwaway in [10, 11, 12] {
			settle(throwaway, Outcome::FulfilledOnTime, 2, 0);
		}
		// 600 paid to it count as one provider paid 600: 50·600/650.
		let first = pay_colluder(600);
		assert_eq!(first, 46);
		// Throwaways paid more push it out of memory again.
		for throwaway in [20, 21, 22] {
			settle(throwaway, Outcome::FulfilledOnTime, 1_000, 0);
		}
		let r = Records::<Test>::get(ALICE).unwrap();
		assert!(r.counterparties.iter().all(|c| c.account != BOB));
		assert_eq!(r.forgotten, 600);
		// Paid again, it counts from what it had: 1,200 in all count 50·1200/1250 = 48.
		let second = pay_colluder(600);
		assert_eq!(first + second, 48);
		assert!(first + second < PAIR_CAP);
		// However many more rounds.
		let rest = pay_colluder(5_000);
		assert!(first + second + rest < PAIR_CAP, "{}", first + second + rest);
	});
}

#[test]
fn a_provider_not_remembered_counts_from_the_remainder() {
	ExtBuilder.build_and_execute(|| {
		for (provider, value) in [(10, 30), (11, 10), (12, 20)] {
			settle(provider, Outcome::FulfilledOnTime, value, 0);
		}
		// Paid less than every remembered provider: not remembered, counted from a remainder of
		// 0, which it raises.
		settle(14, Outcome::FulfilledOnTime, 5, 0);
		let r = Records::<Test>::get(ALICE).unwrap();
		assert_eq!(r.forgotten, 5);
		// Another provider not remembered shares the same remainder: 50·9/59 − 50·5/55.
		let good = r.good;
		settle(15, Outcome::FulfilledOnTime, 4, 0);
		let r = Records::<Test>::get(ALICE).unwrap();
		assert_eq!(r.good - good, 7 - 4);
		assert_eq!(r.forgotten, 9);
		// A provider remembered from the remainder pushes out the one paid least (11, paid 10),
		// which leaves the remainder at the larger of the two.
		settle(16, Outcome::FulfilledOnTime, 3, 0);
		let r = Records::<Test>::get(ALICE).unwrap();
		assert!(r.counterparties.contains(&Counterparty { account: 16, paid: 12 }));
		assert_eq!(r.forgotten, 10);
		// The remainder decays with everything else.
		System::set_block_number(1 + HALF_LIFE);
		assert_eq!(Reputation::record_of(&ALICE).unwrap().forgotten, 5);
		assert_eq!(Reputation::reputation_info(&ALICE).unwrap().forgotten, 5);
	});
}

/// A record as version 1 stored it, updated at block 1: its on-time and defaulted tallies, its
/// (good, bad, earned) points and the providers it remembers with what each was paid.
fn v1_record(
	(on_time, defaulted): ((u32, u64), (u32, u64)),
	(good, bad, earned): (u64, u64, u64),
	remembered: &[(u64, u64)],
) -> crate::migrations::v2::OldRecord<Test> {
	crate::migrations::v2::RecordV1 {
		on_time,
		late: (0, 0),
		defaulted,
		cancelled: (0, 0),
		forfeited: (0, 0),
		good,
		bad,
		earned,
		counterparties: remembered
			.iter()
			.map(|&(account, paid)| Counterparty { account, paid })
			.collect::<Vec<_>>()
			.try_into()
			.expect("at most three remembered in the mock"),
		updated_at: 1,
	}
}

#[test]
fn the_v2_migration_adds_the_remainder_and_changes_nothing_else() {
	use crate::migrations::v2::{self, MigrateV1ToV2};
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	ExtBuilder.build_and_execute(|| {
		StorageVersion::new(1).put::<Reputation>();
		let old = v1_record(((2, 70), (1, 5)), (40, 10, 3), &[(BOB, 50), (3, 20)]);
		frame_support::storage::unhashed::put_raw(
			&Records::<Test>::hashed_key_for(ALICE),
			&old.encode(),
		);
		let before = v2::pre_check::<Test>().unwrap();
		assert_eq!(before.len(), 1);
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		v2::post_check::<Test>(before).unwrap();
		let r = Records::<Test>::get(ALICE).unwrap();
		assert_eq!((r.good, r.bad, r.earned, r.on_time, r.defaulted), (40, 10, 3, (2, 70), (1, 5)));
		// With room left (2 of 3 remembered), it forgot nobody.
		assert_eq!(r.forgotten, 0);
		assert_eq!(Reputation::on_chain_storage_version(), 2);
		// Run again, it does nothing.
		MigrateV1ToV2::<Test>::on_runtime_upgrade();
		assert_eq!(Records::<Test>::get(ALICE).unwrap(), r);
	});
}

#[test]
fn a_full_record_migrates_with_the_least_it_remembers_as_its_remainder() {
	use crate::migrations::v2::migrate_record;
	ExtBuilder.build_and_execute(|| {
		// Version 1 forgot a provider only when full, and then the one paid least: what any
		// forgotten provider was paid is at most the least paid to one remembered.
		let old = v1_record(((3, 10_060), (0, 0)), (80, 0, 0), &[(BOB, 10_000), (3, 40), (4, 20)]);
		assert_eq!(migrate_record::<Test>(old).forgotten, 20);
	});
}

#[test]
fn attack_farming_credit_with_a_colluder_buys_nothing_it_did_not_burn() {
	ExtBuilder.build_and_execute(|| {
		// The attack of old: many tiny obligations to an account of one's own, paid at once.
		for _ in 0..1_000 {
			settle(BOB, Outcome::FulfilledOnTime, 1, 0);
		}
		assert_eq!(credit(), BASE, "no fee burned, no credit");
		// Large ones do no better: one counterparty vouches for at most PAIR_CAP.
		for _ in 0..1_000 {
			settle(BOB, Outcome::FulfilledOnTime, 1_000_000, 0);
		}
		assert_eq!(credit(), BASE);
		assert!(Records::<Test>::get(ALICE).unwrap().good < PAIR_CAP);
		// 1000·(50+100)/(50+200) = 600 at most from one colluder.
		assert!(score_now() <= 600, "{}", score_now());
		// Credit moves only by what was burned: it costs what it buys.
		settle(BOB, Outcome::FulfilledOnTime, 1_000, 30);
		assert_eq!(credit(), BASE + 30);
	});
}

#[test]
fn decay_at_its_edges() {
	assert_eq!(decay(1_000, 0, 100), 1_000);
	assert_eq!(decay(1_000, 50, 100), 750);
	assert_eq!(decay(1_000, 100, 100), 500);
	assert_eq!(decay(1_000, 150, 100), 375);
	assert_eq!(decay(1_000, 200, 100), 250);
	assert_eq!(decay(u128::MAX, 128 * 100, 100), 0);
	assert_eq!(decay(u128::MAX, u64::MAX, 1), 0);
	assert!(decay(u128::MAX, 99, 100) > u128::MAX / 2);
	// Monotone over time.
	let mut last = u128::MAX;
	for t in 0..1_000 {
		let d = decay(1_000_000, t, 100);
		assert!(d <= last);
		last = d;
	}
}

#[test]
fn pair_value_approaches_its_cap() {
	assert_eq!(pair_value(0, 50), 0);
	assert_eq!(pair_value(50, 50), 25);
	// Saturated arithmetic at the very top still never exceeds the cap.
	assert_eq!(pair_value(u128::MAX, 50), 50);
	assert_eq!(pair_value(u128::MAX / 2, 50), 49);
	assert_eq!(pair_value(7, 0), 0);
	let mut last = 0;
	for paid in 0..500 {
		let v = pair_value(paid, 50);
		assert!(v >= last && v <= paid && v < 50);
		last = v;
	}
}

#[test]
fn the_score_stays_within_its_bounds() {
	assert_eq!(score(0, 0, 0), NEUTRAL_SCORE);
	assert_eq!(score(0, 0, 100), NEUTRAL_SCORE);
	assert_eq!(score(0, u128::MAX, 100), 0);
	assert_eq!(score(u128::MAX / 2, 0, 100), MAX_SCORE - 1);
	assert_eq!(score(u128::MAX, 0, 100), MAX_SCORE);
	assert!(score(u128::MAX, u128::MAX, u128::MAX) <= MAX_SCORE);
	ExtBuilder.build_and_execute(|| {
		for _ in 0..1_000 {
			settle(BOB, Outcome::Defaulted, 100, 0);
		}
		assert!(score_now() < 10);
		assert!(credit() < BASE / 50);
	});
}

#[test]
fn credit_at_its_edges() {
	ExtBuilder.build_and_execute(|| {
		// Bought credit stops at MaxCredit.
		settle(BOB, Outcome::FulfilledOnTime, 1_000, 2_000);
		assert_eq!(credit(), MAX);
		// A default shrinks the base and the bought credit alike.
		settle(BOB, Outcome::Defaulted, 10_000, 0);
		assert!(credit() < MAX / 10, "{}", credit());
	});
}
