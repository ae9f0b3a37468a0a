//! Unit tests: every call's success path and every error; replays, gaps, breaches, and proofs
//! against stored anchors.

use crate::{
	mock::*, AnchorByBatch, AnchorHeader, Anchors, DeviceRange, DeviceRangeOf, Error, Event,
	LastBatch, LastSeq, RangeCheck, ReadingCheck, WeightInfo,
};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use iotrust_primitives::{
	anchoring::{GroupAnchor, MetricSummary, OnAnchored, RuleBreach, ThresholdRule},
	device::DeviceSignature,
	merkle::{merkle_proof, merkle_root, metric, Metric, SignedReading},
};
use sp_core::H256;
use sp_runtime::traits::BadOrigin;

const TEMP: u16 = metric::TEMPERATURE_MILLI_C;

fn range(n: u8, first: u64, last: u64, temp: (i64, i64)) -> DeviceRangeOf<Test> {
	DeviceRange {
		device: device(n),
		first,
		last,
		summaries: vec![MetricSummary { id: TEMP, min: temp.0, max: temp.1 }].try_into().unwrap(),
	}
}

fn ranges(
	r: Vec<DeviceRangeOf<Test>>,
) -> BoundedVec<DeviceRangeOf<Test>, frame_support::traits::ConstU32<8>> {
	r.try_into().unwrap()
}

/// Anchor `r` as GATEWAY's batch `batch`, with the count the ranges imply.
fn anchor(batch: u64, r: Vec<DeviceRangeOf<Test>>) -> sp_runtime::DispatchResult {
	// Wrapping: some tests pass deliberately invalid ranges.
	let count =
		r.iter().fold(0u64, |n, r| n.wrapping_add(r.last.wrapping_sub(r.first).wrapping_add(1)));
	Anchoring::anchor(
		RuntimeOrigin::signed(GATEWAY),
		batch,
		H256([9; 32]),
		count as u32,
		1_000,
		2_000,
		ranges(r),
	)
	.map(|_| ())
	.map_err(|e| e.error)
}

fn cold_chain_rule(max: i64) -> BoundedVec<ThresholdRule, frame_support::traits::ConstU32<4>> {
	vec![ThresholdRule { metric: TEMP, min: None, max: Some(max) }].try_into().unwrap()
}

#[test]
fn anchor_stores_the_batch_and_the_sequences() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(anchor(1, vec![range(1, 0, 9, (-20, -18)), range(2, 0, 4, (3, 5))]));
		System::assert_has_event(
			Event::Anchored {
				anchor: 0,
				gateway: GATEWAY,
				batch: 1,
				root: H256([9; 32]),
				reading_count: 15,
			}
			.into(),
		);
		let stored = Anchors::<Test>::get(0).unwrap();
		assert_eq!(stored.gateway, GATEWAY);
		assert_eq!(
			stored.header,
			AnchorHeader {
				batch: 1,
				root: H256([9; 32]),
				reading_count: 15,
				from_ms: 1_000,
				to_ms: 2_000
			}
		);
		assert_eq!(stored.anchored_at, 1);
		assert_eq!(AnchorByBatch::<Test>::get(GATEWAY, 1), Some(0));
		assert_eq!(LastSeq::<Test>::get(device(1)), Some(9));
		assert_eq!(LastSeq::<Test>::get(device(2)), Some(4));
		// The next batch continues where the last left off.
		assert_ok!(anchor(2, vec![range(1, 10, 19, (-20, -18))]));
		assert_eq!(Anchoring::device_anchors(&device(1), None, 10).len(), 2);
		let page = Anchoring::device_anchors(&device(1), Some(0), 10);
		assert_eq!(page.iter().map(|(id, _)| *id).collect::<Vec<_>>(), vec![1]);
	});
}

#[test]
fn a_private_devices_range_carries_no_summary() {
	ExtBuilder.build_and_execute(|| {
		make_private(device(1));
		// The attack: the gateway publishes a channel device's temperatures in the anchor.
		assert_noop!(anchor(0, vec![range(1, 0, 4, (-20, -18))]), Error::<Test>::PrivateSummaries);
		let mut quiet = range(1, 0, 4, (-20, -18));
		quiet.summaries = Default::default();
		assert_ok!(anchor(0, vec![quiet, range(2, 0, 4, (-20, -18))]));
		let stored = Anchors::<Test>::get(0).unwrap();
		assert!(stored.ranges[0].summaries.is_empty());
		assert_eq!(stored.ranges[1].summaries.len(), 1);
	});
}

#[test]
fn a_replayed_range_is_refused() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(anchor(1, vec![range(1, 0, 9, (0, 0))]));
		assert_noop!(anchor(2, vec![range(1, 9, 12, (0, 0))]), Error::<Test>::SequenceReplay);
		assert_noop!(anchor(2, vec![range(1, 0, 3, (0, 0))]), Error::<Test>::SequenceReplay);
		// A replay in one device refuses the whole batch: nothing of device 2 is stored.
		assert_noop!(
			anchor(2, vec![range(2, 0, 3, (0, 0)), range(1, 5, 12, (0, 0))]),
			Error::<Test>::SequenceReplay
		);
		assert_eq!(LastSeq::<Test>::get(device(2)), None);
	});
}

#[test]
fn a_gap_is_accepted_and_recorded() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(anchor(1, vec![range(1, 0, 9, (0, 0))]));
		assert_ok!(anchor(2, vec![range(1, 15, 20, (0, 0))]));
		System::assert_has_event(
			Event::SequenceGap { device: device(1), anchor: 1, expected: 10, first: 15 }.into(),
		);
		// A device's first batch that does not start at 0 is a gap too.
		assert_ok!(anchor(3, vec![range(2, 3, 3, (0, 0))]));
		System::assert_has_event(
			Event::SequenceGap { device: device(2), anchor: 2, expected: 0, first: 3 }.into(),
		);
		assert_eq!(LastSeq::<Test>::get(device(1)), Some(20));
	});
}

#[test]
fn anchor_checks_the_gateway_and_the_devices() {
	ExtBuilder.build_and_execute(|| {
		// Device 4 is bound to another gateway, 5 to none, 6 is suspended, 99 unknown.
		assert_noop!(anchor(1, vec![range(4, 0, 0, (0, 0))]), Error::<Test>::NotDeviceGateway);
		assert_noop!(anchor(1, vec![range(5, 0, 0, (0, 0))]), Error::<Test>::NotDeviceGateway);
		assert_noop!(anchor(1, vec![range(6, 0, 0, (0, 0))]), Error::<Test>::DeviceNotActive);
		assert_noop!(anchor(1, vec![range(99, 0, 0, (0, 0))]), Error::<Test>::DeviceNotActive);
		assert_noop!(
			Anchoring::anchor(
				RuntimeOrigin::none(),
				1,
				H256::zero(),
				1,
				0,
				0,
				ranges(vec![range(1, 0, 0, (0, 0))])
			),
			BadOrigin
		);
	});
}

/// The attack of a device owner sharing a gateway: one of its devices, suspended (or unbound,
/// or replayed) makes the chain refuse any batch that holds it. `check_range` tells the gateway
/// beforehand, device by device, with the same rules `anchor` applies, so it can leave that
/// device out and anchor the others.
#[test]
fn check_range_names_the_device_a_batch_would_be_refused_for() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(anchor(1, vec![range(1, 0, 9, (0, 0))]));
		let check = |n: u8, first: u64| Anchoring::check_range(&GATEWAY, &device(n), first);
		assert_eq!(check(1, 10), RangeCheck::Admitted { expected: 10 });
		assert_eq!(check(1, 15), RangeCheck::Admitted { expected: 10 });
		assert_eq!(check(1, 9), RangeCheck::SequenceReplay { last: 9 });
		assert_eq!(check(2, 0), RangeCheck::Admitted { expected: 0 });
		assert_eq!(check(4, 0), RangeCheck::NotDeviceGateway);
		assert_eq!(check(5, 0), RangeCheck::NotDeviceGateway);
		assert_eq!(check(6, 0), RangeCheck::DeviceNotActive);
		assert_eq!(check(99, 0), RangeCheck::DeviceNotActive);
		LastSeq::<Test>::insert(device(2), u64::MAX);
		assert_eq!(check(2, 0), RangeCheck::SequenceExhausted);
		assert_noop!(anchor(2, vec![range(2, 0, 0, (0, 0))]), Error::<Test>::SequenceExhausted);
		// Every refusal `check_range` predicts is the one `anchor` gives.
		for (n, first, error) in [
			(1, 9, Error::<Test>::SequenceReplay),
			(4, 0, Error::<Test>::NotDeviceGateway),
			(6, 0, Error::<Test>::DeviceNotActive),
		] {
			assert_noop!(
				anchor(2, vec![range(3, 0, 0, (0, 0)), range(n, first, first, (0, 0))]),
				error
			);
		}
	});
}

/// A gateway that lost its database resumes its numbering from the chain: the highest batch
/// number it anchored, whatever order the numbers came in.
#[test]
fn the_highest_batch_of_each_gateway_is_kept() {
	ExtBuilder.build_and_execute(|| {
		assert_eq!(LastBatch::<Test>::get(GATEWAY), None);
		assert_ok!(anchor(7, vec![range(1, 0, 0, (0, 0))]));
		assert_ok!(anchor(3, vec![range(1, 1, 1, (0, 0))]));
		assert_eq!(LastBatch::<Test>::get(GATEWAY), Some(7));
		assert_ok!(anchor(8, vec![range(1, 2, 2, (0, 0))]));
		assert_eq!(LastBatch::<Test>::get(GATEWAY), Some(8));
	});
}

#[test]
fn anchor_checks_the_batch_itself() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(anchor(1, vec![]), Error::<Test>::EmptyBatch);
		assert_noop!(
			anchor(1, vec![range(1, 0, 1, (0, 0)), range(1, 2, 3, (0, 0))]),
			Error::<Test>::DuplicateDevice
		);
		assert_noop!(anchor(1, vec![range(1, 5, 4, (0, 0))]), Error::<Test>::InvalidRange);
		assert_noop!(anchor(1, vec![range(1, 0, 1, (5, 4))]), Error::<Test>::InvalidSummary);
		let mut twice = range(1, 0, 1, (0, 0));
		twice.summaries.try_push(MetricSummary { id: TEMP, min: 1, max: 1 }).unwrap();
		assert_noop!(anchor(1, vec![twice]), Error::<Test>::InvalidSummary);
		let r = ranges(vec![range(1, 0, 9, (0, 0))]);
		assert_noop!(
			Anchoring::anchor(RuntimeOrigin::signed(GATEWAY), 1, H256::zero(), 11, 0, 0, r.clone()),
			Error::<Test>::CountMismatch
		);
		assert_noop!(
			Anchoring::anchor(RuntimeOrigin::signed(GATEWAY), 1, H256::zero(), 10, 5, 4, r),
			Error::<Test>::InvalidTimeRange
		);
		assert_noop!(anchor(1, vec![range(1, 0, u64::MAX, (0, 0))]), Error::<Test>::Overflow);
		assert_ok!(anchor(1, vec![range(1, 0, 0, (0, 0))]));
		assert_noop!(anchor(1, vec![range(2, 0, 0, (0, 0))]), Error::<Test>::BatchAlreadyAnchored);
	});
}

#[test]
fn a_breach_raises_an_event() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(Anchoring::set_rules(
			RuntimeOrigin::signed(OWNER),
			device(1),
			cold_chain_rule(-15_000)
		));
		System::assert_last_event(Event::RulesSet { device: device(1), count: 1 }.into());
		// Within the rule: no event.
		assert_ok!(anchor(1, vec![range(1, 0, 9, (-20_000, -16_000))]));
		assert!(!System::events()
			.iter()
			.any(|r| matches!(r.event, RuntimeEvent::Anchoring(Event::RuleBreached { .. }))));
		// Above the maximum.
		assert_ok!(anchor(
			2,
			vec![range(1, 10, 19, (-20_000, -12_000)), range(2, 0, 0, (9_000, 9_000))]
		));
		let expected = RuleBreach {
			device: device(1),
			anchor: 1,
			rule: ThresholdRule { metric: TEMP, min: None, max: Some(-15_000) },
			observed: MetricSummary { id: TEMP, min: -20_000, max: -12_000 },
		};
		System::assert_has_event(Event::RuleBreached { breach: expected }.into());
	});
}

#[test]
fn every_device_range_is_handed_to_the_hook_with_its_gateway_and_gap() {
	ExtBuilder.build_and_execute(|| {
		let mut silent = range(2, 0, 0, (0, 0));
		silent.summaries = Default::default();
		assert_ok!(anchor(1, vec![range(1, 0, 9, (-3, 4)), silent.clone()]));
		// A device without summaries is handed over too (it was seen); rules play no part; no
		// group signed the batch.
		let summary = vec![MetricSummary { id: TEMP, min: -3, max: 4 }];
		assert_eq!(
			heard(),
			vec![
				(0, GATEWAY, device(1), summary, false, false),
				(0, GATEWAY, device(2), vec![], false, false)
			]
		);
		// Device 1 skips 10..=14: the hook hears of the gap, device 2 follows on.
		assert_ok!(anchor(2, vec![range(1, 15, 15, (0, 0)), range(2, 1, 1, (0, 0))]));
		let gaps: Vec<bool> = heard()[2..].iter().map(|h| h.5).collect();
		assert_eq!(gaps, vec![true, false]);
	});
}

#[test]
fn anchor_charges_a_hook_per_device_and_refunds_the_unused() {
	use frame_support::dispatch::GetDispatchInfo;
	ExtBuilder.build_and_execute(|| {
		let hook = <RecordAnchored as OnAnchored<u64>>::max_weight();
		let mut silent = range(2, 0, 0, (0, 0));
		silent.summaries = Default::default();
		let r = ranges(vec![range(1, 0, 0, (0, 0)), silent]);
		let call = crate::Call::<Test>::anchor {
			batch: 1,
			root: H256::zero(),
			reading_count: 2,
			from_ms: 0,
			to_ms: 0,
			ranges: r.clone(),
		};
		let charged = call.get_dispatch_info().call_weight;
		assert_eq!(
			charged,
			<() as WeightInfo>::anchor(2, 1).saturating_add(hook.saturating_mul(2))
		);
		let post =
			Anchoring::anchor(RuntimeOrigin::signed(GATEWAY), 1, H256::zero(), 2, 0, 0, r).unwrap();
		// Both devices were heard of: both hook calls are paid for (the mock's hook uses its
		// most; the obligations pallet's uses less for a device no SLA watches).
		assert_eq!(
			post.actual_weight,
			Some(<() as WeightInfo>::anchor(2, 1).saturating_add(hook.saturating_mul(2)))
		);
	});
}

#[test]
fn set_rules_checks_the_owner_and_the_rules() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Anchoring::set_rules(RuntimeOrigin::signed(GATEWAY), device(1), cold_chain_rule(0)),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Anchoring::set_rules(RuntimeOrigin::signed(OWNER), device(99), cold_chain_rule(0)),
			Error::<Test>::NotOwner
		);
		let unbounded = vec![ThresholdRule { metric: TEMP, min: None, max: None }];
		assert_noop!(
			Anchoring::set_rules(
				RuntimeOrigin::signed(OWNER),
				device(1),
				unbounded.try_into().unwrap()
			),
			Error::<Test>::InvalidRule
		);
		let twice = vec![
			ThresholdRule { metric: TEMP, min: Some(1), max: None },
			ThresholdRule { metric: TEMP, min: None, max: Some(9) },
		];
		assert_noop!(
			Anchoring::set_rules(
				RuntimeOrigin::signed(OWNER),
				device(1),
				twice.try_into().unwrap()
			),
			Error::<Test>::DuplicateRule
		);
		let reversed = vec![ThresholdRule { metric: TEMP, min: Some(5), max: Some(4) }];
		assert_noop!(
			Anchoring::set_rules(
				RuntimeOrigin::signed(OWNER),
				device(1),
				reversed.try_into().unwrap()
			),
			Error::<Test>::InvalidRule
		);
		assert_ok!(Anchoring::set_rules(
			RuntimeOrigin::signed(OWNER),
			device(1),
			Default::default()
		));
	});
}

/// Reading `seq` of device `n`, signed by its key after `rotations` rotations.
fn signed_reading(n: u8, seq: u64, rotations: u8) -> SignedReading {
	let mut reading = SignedReading {
		device: device(n),
		seq,
		timestamp_ms: 1_000 + seq,
		metrics: vec![Metric { id: TEMP, value: -18_000 - seq as i64 }],
		signature: DeviceSignature::Ed25519([0; 64]),
	};
	let genesis = frame_system::Pallet::<Test>::block_hash(0);
	reading.signature = device_key(n, rotations).sign(&reading.payload(&genesis));
	reading
}

/// Reading `seq` of device `n`, signed by its first key.
fn reading(n: u8, seq: u64) -> SignedReading {
	signed_reading(n, seq, 0)
}

#[test]
fn readings_check_out_against_their_anchor_only() {
	ExtBuilder.build_and_execute(|| {
		let readings: Vec<SignedReading> = (0..5).map(|s| reading(1, s)).collect();
		let leaves: Vec<H256> = readings.iter().map(|r| r.leaf_hash()).collect();
		let root = merkle_root(&leaves).unwrap();
		assert_ok!(Anchoring::anchor(
			RuntimeOrigin::signed(GATEWAY),
			1,
			root,
			5,
			1_000,
			1_004,
			ranges(vec![range(1, 0, 4, (-18_004, -18_000))])
		));
		let other: Vec<H256> = (0..3).map(|s| reading(2, s).leaf_hash()).collect();
		assert_ok!(Anchoring::anchor(
			RuntimeOrigin::signed(GATEWAY),
			2,
			merkle_root(&other).unwrap(),
			3,
			1_000,
			1_002,
			ranges(vec![range(2, 0, 2, (0, 0))])
		));

		for (i, r) in readings.iter().enumerate() {
			let proof = merkle_proof(&leaves, i as u32).unwrap();
			assert_eq!(Anchoring::check_reading(0, r, &proof), ReadingCheck::Anchored);
			// The proof for another batch.
			assert_eq!(Anchoring::check_reading(1, r, &proof), ReadingCheck::NotInRange);
		}
		// A tampered reading.
		let mut tampered = readings[2].clone();
		tampered.metrics[0].value = 4_000;
		let proof = merkle_proof(&leaves, 2).unwrap();
		assert_eq!(Anchoring::check_reading(0, &tampered, &proof), ReadingCheck::BadProof);
		// A proof's own claim about the batch size is ignored: the stored count is used.
		let mut lying = merkle_proof(&leaves, 4).unwrap();
		lying.leaf_count = 8;
		assert_eq!(Anchoring::check_reading(0, &readings[4], &lying), ReadingCheck::Anchored);
		// Outside the anchored range, and an unknown anchor.
		assert_eq!(Anchoring::check_reading(0, &reading(1, 7), &proof), ReadingCheck::NotInRange);
		assert_eq!(Anchoring::check_reading(9, &readings[0], &proof), ReadingCheck::UnknownAnchor);
	});
}

/// The attack: a gateway anchors a reading whose values it made up, with signature bytes of its
/// own. The Merkle proof is valid (the gateway built the tree), but the chain refuses to call it
/// anchored: the device never signed it.
#[test]
fn attack_a_reading_the_device_did_not_sign_is_not_anchored() {
	ExtBuilder.build_and_execute(|| {
		let mut forged = reading(1, 0);
		forged.metrics[0].value = -25_000;
		forged.signature = DeviceSignature::Ed25519([7; 64]);
		let honest = reading(1, 1);
		let leaves = vec![forged.leaf_hash(), honest.leaf_hash()];
		assert_ok!(Anchoring::anchor(
			RuntimeOrigin::signed(GATEWAY),
			1,
			merkle_root(&leaves).unwrap(),
			2,
			1_000,
			1_001,
			ranges(vec![range(1, 0, 1, (-25_000, -18_001))])
		));
		let proof = merkle_proof(&leaves, 0).unwrap();
		assert_eq!(Anchoring::check_reading(0, &forged, &proof), ReadingCheck::BadSignature);
		// The honest reading beside it checks out.
		let proof = merkle_proof(&leaves, 1).unwrap();
		assert_eq!(Anchoring::check_reading(0, &honest, &proof), ReadingCheck::Anchored);
		// A reading signed by another device's key, passed off as device 1's: refused too.
		let mut borrowed = reading(2, 2);
		borrowed.device = device(1);
		let leaves = vec![borrowed.leaf_hash()];
		assert_ok!(Anchoring::anchor(
			RuntimeOrigin::signed(GATEWAY),
			2,
			merkle_root(&leaves).unwrap(),
			1,
			1_002,
			1_002,
			ranges(vec![range(1, 2, 2, (-18_002, -18_002))])
		));
		let proof = merkle_proof(&leaves, 0).unwrap();
		assert_eq!(Anchoring::check_reading(1, &borrowed, &proof), ReadingCheck::BadSignature);
	});
}

#[test]
fn readings_check_against_the_key_of_their_anchors_time() {
	ExtBuilder.build_and_execute(|| {
		let before = reading(1, 0);
		let leaves = vec![before.leaf_hash()];
		assert_ok!(Anchoring::anchor(
			RuntimeOrigin::signed(GATEWAY),
			1,
			merkle_root(&leaves).unwrap(),
			1,
			1_000,
			1_000,
			ranges(vec![range(1, 0, 0, (-18_000, -18_000))])
		));
		// The device rotates its key at block 5; a later batch signed with the old key (a
		// gateway that kept a leaked key, say) is not the device's word.
		rotate_key(1, 5);
		System::set_block_number(6);
		let stale = signed_reading(1, 1, 0);
		let fresh = signed_reading(1, 2, 1);
		let leaves = vec![stale.leaf_hash(), fresh.leaf_hash()];
		assert_ok!(Anchoring::anchor(
			RuntimeOrigin::signed(GATEWAY),
			2,
			merkle_root(&leaves).unwrap(),
			2,
			1_001,
			1_002,
			ranges(vec![range(1, 1, 2, (-18_002, -18_001))])
		));
		let proof = |i| merkle_proof(&leaves, i).unwrap();
		assert_eq!(Anchoring::check_reading(1, &stale, &proof(0)), ReadingCheck::BadSignature);
		assert_eq!(Anchoring::check_reading(1, &fresh, &proof(1)), ReadingCheck::Anchored);
		// The reading anchored before the rotation still checks out with the old key.
		let proof = merkle_proof(&[before.leaf_hash()], 0).unwrap();
		assert_eq!(Anchoring::check_reading(0, &before, &proof), ReadingCheck::Anchored);
	});
}

/// The attack: a (current or former) gateway anchors a range ending at `u64::MAX`, so every
/// later batch of the device fails. Its owner resets the sequence and the device anchors again;
/// nobody else may reset it.
#[test]
fn attack_a_bricked_sequence_is_reset_by_the_owner() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(anchor(1, vec![range(1, u64::MAX - 1, u64::MAX, (0, 0))]));
		assert_eq!(LastSeq::<Test>::get(device(1)), Some(u64::MAX));
		assert_noop!(anchor(2, vec![range(1, 0, 9, (0, 0))]), Error::<Test>::SequenceExhausted);
		assert_noop!(
			Anchoring::reset_sequence(RuntimeOrigin::signed(GATEWAY), device(1), None),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Anchoring::reset_sequence(RuntimeOrigin::signed(OWNER), device(9), None),
			Error::<Test>::NotOwner
		);
		assert_noop!(Anchoring::reset_sequence(RuntimeOrigin::none(), device(1), None), BadOrigin);
		assert_ok!(Anchoring::reset_sequence(RuntimeOrigin::signed(OWNER), device(1), Some(99)));
		System::assert_last_event(
			Event::SequenceReset { device: device(1), previous: Some(u64::MAX), last: Some(99) }
				.into(),
		);
		assert_noop!(anchor(2, vec![range(1, 99, 109, (0, 0))]), Error::<Test>::SequenceReplay);
		assert_ok!(anchor(2, vec![range(1, 100, 109, (0, 0))]));
		assert_ok!(Anchoring::reset_sequence(RuntimeOrigin::signed(OWNER), device(1), None));
		assert_eq!(LastSeq::<Test>::get(device(1)), None);
		assert_ok!(anchor(3, vec![range(1, 0, 0, (0, 0))]));
	});
}

#[test]
fn a_batch_over_the_summary_limit_is_refused() {
	ExtBuilder.build_and_execute(|| {
		let two = |n: u8, first: u64| DeviceRange {
			device: device(n),
			first,
			last: first,
			summaries: vec![
				MetricSummary { id: TEMP, min: 0, max: 0 },
				MetricSummary { id: metric::BATTERY_MV, min: 0, max: 0 },
			]
			.try_into()
			.unwrap(),
		};
		// 4 devices × 2 metrics = 8, the limit; 5 × 2 is over it.
		add_device(device(7), OWNER, Some(GATEWAY), true);
		add_device(device(8), OWNER, Some(GATEWAY), true);
		assert_ok!(anchor(1, vec![two(1, 0), two(2, 0), two(3, 0), two(7, 0)]));
		assert_noop!(
			anchor(2, vec![two(1, 1), two(2, 1), two(3, 1), two(7, 1), two(8, 0)]),
			Error::<Test>::TooManySummaries
		);
	});
}

/// Group 0's signature, by `pair`, over an anchor of `r` as its batch `batch` in `epoch`.
fn group_signature(
	pair: &sp_core::ed25519::Pair,
	group: u32,
	epoch: u32,
	batch: u64,
	root: H256,
	r: &BoundedVec<DeviceRangeOf<Test>, frame_support::traits::ConstU32<8>>,
) -> [u8; 64] {
	use sp_core::Pair;
	let count = r.iter().map(|r| (r.last - r.first + 1) as u32).sum::<u32>();
	let genesis = frame_system::Pallet::<Test>::block_hash(0);
	let header = AnchorHeader { batch, root, reading_count: count, from_ms: 1_000, to_ms: 2_000 };
	let message = GroupAnchor { genesis, group, epoch, header, ranges: r }.message();
	pair.sign(&message).0
}

/// Submit, as `who`, group `group`'s anchor of `r` with `signature`, claiming `epoch`.
fn anchor_as_group(
	who: u64,
	group: u32,
	epoch: u32,
	batch: u64,
	root: H256,
	r: BoundedVec<DeviceRangeOf<Test>, frame_support::traits::ConstU32<8>>,
	signature: [u8; 64],
) -> sp_runtime::DispatchResult {
	let count = r.iter().map(|r| (r.last - r.first + 1) as u32).sum::<u32>();
	Anchoring::anchor_as_group(
		RuntimeOrigin::signed(who),
		group,
		epoch,
		batch,
		root,
		count,
		1_000,
		2_000,
		r,
		signature,
	)
	.map(|_| ())
	.map_err(|e| e.error)
}

#[test]
fn a_group_anchor_is_taken_with_the_groups_signature_and_names_it() {
	ExtBuilder.build_and_execute(|| {
		let readings: Vec<SignedReading> = (0..3).map(|s| reading(7, s)).collect();
		let leaves: Vec<H256> = readings.iter().map(|r| r.leaf_hash()).collect();
		let root = merkle_root(&leaves).unwrap();
		let r = ranges(vec![range(7, 0, 2, (-18_002, -18_000))]);
		let sig = group_signature(&group_pair(), 0, 1, 0, root, &r);
		// Any member submits it, and pays for it: the fee, and the deposit.
		assert_ok!(anchor_as_group(OTHER_GATEWAY, 0, 1, 0, root, r, sig));
		assert_eq!(held(OTHER_GATEWAY), DEPOSIT_BASE + 1);
		assert_eq!(held(GROUP_ACCOUNT), 0);
		System::assert_has_event(
			Event::Anchored { anchor: 0, gateway: GROUP_ACCOUNT, batch: 0, root, reading_count: 3 }
				.into(),
		);
		System::assert_last_event(Event::GroupAnchored { anchor: 0, group: 0, epoch: 1 }.into());
		assert_eq!(
			crate::Endorsements::<Test>::get(0),
			Some(iotrust_primitives::groups::Endorsement { group: 0, epoch: 1 })
		);
		assert_eq!(LastSeq::<Test>::get(device(7)), Some(2));
		// The hook hears the group's account as the gateway, and that the group signed.
		assert_eq!((heard()[0].1, heard()[0].4), (GROUP_ACCOUNT, true));
		let proof = merkle_proof(&leaves, 1).unwrap();
		assert_eq!(
			Anchoring::check_reading(0, &readings[1], &proof),
			ReadingCheck::AnchoredByGroup { group: 0, epoch: 1 }
		);
		assert!(Anchoring::check_reading(0, &readings[1], &proof).is_anchored());
		// One anchor per batch number per group, whoever submits it; the next is 1.
		let r = ranges(vec![range(8, 0, 0, (0, 0))]);
		let sig = group_signature(&group_pair(), 0, 1, 0, root, &r);
		assert_noop!(
			anchor_as_group(GATEWAY, 0, 1, 0, root, r.clone(), sig),
			Error::<Test>::NotNextBatch
		);
		let sig = group_signature(&group_pair(), 0, 1, 1, root, &r);
		assert_ok!(anchor_as_group(GATEWAY, 0, 1, 1, root, r, sig));
	});
}

/// The attack of a member that gets the group to sign its batch under a number above the next
/// (the others would wait for the number skipped for ever), or at `u64::MAX` (nothing follows
/// it): the chain takes a group's batches in order only.
#[test]
fn attack_a_group_batch_that_skips_a_number_is_refused() {
	ExtBuilder.build_and_execute(|| {
		let root = H256([9; 32]);
		let r = ranges(vec![range(7, 0, 2, (-18_002, -18_000))]);
		for skipped in [1, 2, u64::MAX] {
			let sig = group_signature(&group_pair(), 0, 1, skipped, root, &r);
			assert_noop!(
				anchor_as_group(GATEWAY, 0, 1, skipped, root, r.clone(), sig),
				Error::<Test>::NotNextBatch
			);
		}
		assert_eq!(Anchoring::next_group_batch(&GROUP_ACCOUNT).ok(), Some(0));
		let sig = group_signature(&group_pair(), 0, 1, 0, root, &r);
		assert_ok!(anchor_as_group(GATEWAY, 0, 1, 0, root, r, sig));
		assert_eq!(Anchoring::next_group_batch(&GROUP_ACCOUNT).ok(), Some(1));
		// A chain whose group account reached the last number (anchored before this rule): no
		// arithmetic overflows, and nothing follows.
		crate::LastBatch::<Test>::insert(GROUP_ACCOUNT, u64::MAX);
		assert!(matches!(
			Anchoring::next_group_batch(&GROUP_ACCOUNT),
			Err(Error::<Test>::BatchNumbersExhausted)
		));
		let r = ranges(vec![range(7, 3, 3, (0, 0))]);
		for batch in [0, u64::MAX] {
			let sig = group_signature(&group_pair(), 0, 1, batch, root, &r);
			assert_noop!(
				anchor_as_group(GATEWAY, 0, 1, batch, root, r.clone(), sig),
				Error::<Test>::BatchNumbersExhausted
			);
		}
		crate::LastBatch::<Test>::insert(GROUP_ACCOUNT, 0);
	});
}

/// The attacks on a group's devices: one member gateway anchors them on its own word, forges or
/// alters what the group signed, replays a signature of another group, epoch or chain.
#[test]
fn attack_no_single_gateway_anchors_a_groups_devices() {
	ExtBuilder.build_and_execute(|| {
		let root = H256([9; 32]);
		let r = ranges(vec![range(7, 0, 9, (-20, -18))]);
		// A member anchors the group's device as a plain gateway: not its device.
		assert_noop!(
			Anchoring::anchor(RuntimeOrigin::signed(GATEWAY), 1, root, 10, 1_000, 2_000, r.clone()),
			Error::<Test>::NotDeviceGateway
		);
		// A member signs with its own key.
		let own = sp_core::ed25519::Pair::from_seed(&[7; 32]);
		use sp_core::Pair;
		let sig = group_signature(&own, 0, 1, 1, root, &r);
		assert_noop!(
			anchor_as_group(GATEWAY, 0, 1, 1, root, r.clone(), sig),
			Error::<Test>::BadGroupSignature
		);
		// The group signed a cold batch; a member submits it with a warmer summary (or another
		// root, count or range).
		let sig = group_signature(&group_pair(), 0, 1, 1, root, &r);
		let warmer = ranges(vec![range(7, 0, 9, (-20, 5))]);
		assert_noop!(
			anchor_as_group(GATEWAY, 0, 1, 1, root, warmer, sig),
			Error::<Test>::BadGroupSignature
		);
		assert_noop!(
			anchor_as_group(GATEWAY, 0, 1, 1, H256([8; 32]), r.clone(), sig),
			Error::<Test>::BadGroupSignature
		);
		assert_noop!(
			anchor_as_group(GATEWAY, 0, 1, 2, root, r.clone(), sig),
			Error::<Test>::BadGroupSignature
		);
		// A signature for another group (same key), or from another epoch.
		set_group(
			1,
			MockGroup {
				members: vec![GATEWAY],
				account: GROUP_ACCOUNT,
				key: Some(iotrust_primitives::groups::ActiveKey {
					epoch: 1,
					key: group_pair().public().0,
				}),
			},
		);
		assert_noop!(
			anchor_as_group(GATEWAY, 1, 1, 1, root, r.clone(), sig),
			Error::<Test>::BadGroupSignature
		);
		// A stranger may not submit even a valid one.
		assert_noop!(
			anchor_as_group(STRANGER, 0, 1, 1, root, r.clone(), sig),
			Error::<Test>::NotGroupMember
		);
		assert_noop!(
			anchor_as_group(GATEWAY, 5, 1, 1, root, r.clone(), sig),
			Error::<Test>::NotGroupMember
		);
		// The group changed: epoch 2, key pending.
		set_group(
			0,
			MockGroup { members: vec![GATEWAY, OTHER_GATEWAY], account: GROUP_ACCOUNT, key: None },
		);
		assert_noop!(
			anchor_as_group(GATEWAY, 0, 1, 1, root, r.clone(), sig),
			Error::<Test>::GroupKeyNotActive
		);
		set_group(
			0,
			MockGroup {
				members: vec![GATEWAY, OTHER_GATEWAY],
				account: GROUP_ACCOUNT,
				key: Some(iotrust_primitives::groups::ActiveKey {
					epoch: 2,
					key: group_pair().public().0,
				}),
			},
		);
		assert_noop!(
			anchor_as_group(GATEWAY, 0, 1, 1, root, r.clone(), sig),
			Error::<Test>::WrongEpoch
		);
		// A member of the group left the consortium: the group anchors nothing until changed.
		member_left(0, true);
		assert_noop!(
			anchor_as_group(GATEWAY, 0, 2, 0, root, r.clone(), sig),
			Error::<Test>::GroupMemberLeft
		);
		member_left(0, false);
		// Epoch 1's signature under epoch 2's (same) key.
		assert_noop!(
			anchor_as_group(GATEWAY, 0, 2, 1, root, r.clone(), sig),
			Error::<Test>::BadGroupSignature
		);
		let sig = group_signature(&group_pair(), 0, 2, 0, root, &r);
		assert_ok!(anchor_as_group(GATEWAY, 0, 2, 0, root, r, sig));
	});
}

/// The chain takes what FROST makes: a 2-of-3 key generation and signing with the Zcash
/// Foundation's `frost-ed25519`, checked as one Ed25519 signature.
#[test]
fn a_frost_threshold_signature_anchors() {
	use frost_ed25519 as frost;
	use std::collections::BTreeMap;
	let mut rng = rand::thread_rng();
	let ids: Vec<frost::Identifier> = (1..=3u16).map(|i| i.try_into().unwrap()).collect();
	// Key generation, each participant's part.
	let mut secret1 = BTreeMap::new();
	let mut round1 = BTreeMap::new();
	for id in &ids {
		let (s, p) = frost::keys::dkg::part1(*id, 3, 2, &mut rng).unwrap();
		secret1.insert(*id, s);
		round1.insert(*id, p);
	}
	let others = |me: &frost::Identifier| {
		round1.iter().filter(|(k, _)| *k != me).map(|(k, v)| (*k, v.clone())).collect()
	};
	let mut secret2 = BTreeMap::new();
	let mut round2: BTreeMap<frost::Identifier, BTreeMap<_, _>> = BTreeMap::new();
	for id in &ids {
		let (s, packages) =
			frost::keys::dkg::part2(secret1.remove(id).unwrap(), &others(id)).unwrap();
		secret2.insert(*id, s);
		for (to, p) in packages {
			round2.entry(to).or_default().insert(*id, p);
		}
	}
	let mut shares = BTreeMap::new();
	let mut public = None;
	for id in &ids {
		let (key, pubkeys) =
			frost::keys::dkg::part3(&secret2[id], &others(id), &round2[id]).unwrap();
		shares.insert(*id, key);
		public = Some(pubkeys);
	}
	let public = public.unwrap();
	let group_key: [u8; 32] = public.verifying_key().serialize().unwrap().try_into().unwrap();

	ExtBuilder.build_and_execute(|| {
		set_group(
			0,
			MockGroup {
				members: vec![GATEWAY, OTHER_GATEWAY],
				account: GROUP_ACCOUNT,
				key: Some(iotrust_primitives::groups::ActiveKey { epoch: 1, key: group_key }),
			},
		);
		let root = H256([9; 32]);
		let r = ranges(vec![range(7, 0, 9, (-20, -18)), range(8, 0, 4, (1, 2))]);
		let genesis = frame_system::Pallet::<Test>::block_hash(0);
		let header =
			AnchorHeader { batch: 0, root, reading_count: 15, from_ms: 1_000, to_ms: 2_000 };
		let message = GroupAnchor { genesis, group: 0, epoch: 1, header, ranges: &r }.message();
		// Participants 1 and 3 sign; 2 is away.
		let signers = [ids[0], ids[2]];
		let mut nonces = BTreeMap::new();
		let mut commitments = BTreeMap::new();
		for id in signers {
			let (n, c) = frost::round1::commit(shares[&id].signing_share(), &mut rng);
			nonces.insert(id, n);
			commitments.insert(id, c);
		}
		let package = frost::SigningPackage::new(commitments, &message);
		let mut sig_shares = BTreeMap::new();
		for id in signers {
			let kp: frost::keys::KeyPackage = shares[&id].clone();
			sig_shares.insert(id, frost::round2::sign(&package, &nonces[&id], &kp).unwrap());
		}
		let signature = frost::aggregate(&package, &sig_shares, &public).unwrap();
		let signature: [u8; 64] = signature.serialize().unwrap().try_into().unwrap();
		assert_ok!(anchor_as_group(OTHER_GATEWAY, 0, 1, 0, root, r, signature));
		System::assert_last_event(Event::GroupAnchored { anchor: 0, group: 0, epoch: 1 }.into());
	});
}

/// What `who` holds in anchor deposits.
fn held(who: u64) -> u64 {
	use frame_support::traits::fungible::InspectHold;
	Balances::balance_on_hold(&crate::HoldReason::AnchorDeposit.into(), &who)
}

/// Run the idle hook at block `now` with plenty of weight.
fn idle(now: u64) {
	use frame_support::traits::Hooks;
	System::set_block_number(now);
	Anchoring::on_idle(now, frame_support::weights::Weight::MAX);
}

#[test]
fn an_anchor_holds_a_deposit_until_it_expires_after_the_retention() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(anchor(1, vec![range(1, 0, 9, (0, 0)), range(2, 0, 4, (0, 0))]));
		assert_eq!(held(GATEWAY), DEPOSIT_BASE + 2);
		assert_eq!(crate::Deposits::<Test>::get(0), Some((GATEWAY, DEPOSIT_BASE + 2)));
		System::set_block_number(5);
		assert_ok!(anchor(2, vec![range(1, 10, 19, (0, 0))]));
		assert_eq!(held(GATEWAY), 2 * DEPOSIT_BASE + 3);
		// Kept for RETENTION blocks after the block each was anchored in.
		idle(RETENTION);
		assert!(Anchors::<Test>::contains_key(0));
		idle(1 + RETENTION);
		assert!(!Anchors::<Test>::contains_key(0));
		assert!(Anchors::<Test>::contains_key(1));
		System::assert_has_event(
			Event::AnchorExpired {
				anchor: 0,
				depositor: Some(GATEWAY),
				released: DEPOSIT_BASE + 2,
			}
			.into(),
		);
		assert_eq!(held(GATEWAY), DEPOSIT_BASE + 1);
		assert_eq!(AnchorByBatch::<Test>::get(GATEWAY, 1), None);
		assert_eq!(crate::DeviceAnchors::<Test>::iter_prefix(device(2)).count(), 0);
		assert_eq!(crate::DeviceAnchors::<Test>::iter_prefix(device(1)).count(), 1);
		assert_eq!(crate::NextToExpire::<Test>::get(), 1);
		// Its readings cannot be anchored again: the last sequence numbers stay.
		assert_noop!(anchor(3, vec![range(2, 0, 4, (0, 0))]), Error::<Test>::SequenceReplay);
		idle(5 + RETENTION);
		assert_eq!(held(GATEWAY), 0);
		assert_eq!(crate::NextToExpire::<Test>::get(), 2);
	});
}

#[test]
fn expiry_takes_only_the_idle_weight_a_block_has_left() {
	use frame_support::traits::Get;
	ExtBuilder.build_and_execute(|| {
		for batch in 0..5 {
			assert_ok!(anchor(batch, vec![range(1, batch * 10, batch * 10 + 9, (0, 0))]));
		}
		System::set_block_number(1 + RETENTION);
		let one = crate::Pallet::<Test>::expire_weight(8).saturating_add(
			<<Test as frame_system::Config>::DbWeight as Get<
				frame_support::weights::RuntimeDbWeight,
			>>::get()
			.reads(3),
		);
		// Not even one anchor's worst case: nothing is read or charged.
		assert_eq!(
			Anchoring::expire_anchors(
				1 + RETENTION,
				one.saturating_sub(frame_support::weights::Weight::from_parts(1, 0))
			),
			frame_support::weights::Weight::zero()
		);
		assert_eq!(crate::NextToExpire::<Test>::get(), 0);
		let used = Anchoring::expire_anchors(1 + RETENTION, one);
		assert!(used.all_lte(
			one.saturating_add(
				<<Test as frame_system::Config>::DbWeight as Get<
					frame_support::weights::RuntimeDbWeight,
				>>::get()
				.writes(1)
			)
		));
		assert_eq!(crate::NextToExpire::<Test>::get(), 1);
		assert_eq!(Anchors::<Test>::iter().count(), 4);
		idle(1 + RETENTION);
		assert_eq!(Anchors::<Test>::iter().count(), 0);
		assert_eq!(held(GATEWAY), 0);
	});
}

#[test]
fn the_council_sets_the_retention_no_shorter_than_the_minimum() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(anchor(1, vec![range(1, 0, 9, (0, 0))]));
		assert_noop!(Anchoring::set_retention(RuntimeOrigin::signed(GATEWAY), 50), BadOrigin);
		assert_noop!(
			Anchoring::set_retention(RuntimeOrigin::signed(COUNCIL), 19),
			Error::<Test>::RetentionTooShort
		);
		assert_ok!(Anchoring::set_retention(RuntimeOrigin::signed(COUNCIL), 20));
		System::assert_last_event(Event::RetentionSet { blocks: 20 }.into());
		idle(21);
		assert!(!Anchors::<Test>::contains_key(0));
	});
}

#[test]
fn a_gateway_that_cannot_hold_the_deposit_anchors_nothing() {
	ExtBuilder.build_and_execute(|| {
		const POOR: u64 = 500;
		add_device(device(30), OWNER, Some(POOR), true);
		let r = ranges(vec![range(30, 0, 0, (0, 0))]);
		assert!(
			Anchoring::anchor(RuntimeOrigin::signed(POOR), 0, H256([9; 32]), 1, 0, 0, r).is_err()
		);
		assert_eq!(crate::NextAnchorId::<Test>::get(), 0);
		assert_eq!(LastSeq::<Test>::get(device(30)), None);
	});
}
