//! Runtime tests of how the IoT pallets work together on the real runtime: a threshold-rule
//! breach in an anchored batch cuts what is owed on an obligation held to that SLA, and the
//! anchor pays for that work.

use crate::{
	test_support::CheckedExt, AccountId, Anchoring, Devices, Obligations, Runtime,
	RuntimeGenesisConfig, RuntimeOrigin, System, UNIT,
};
use frame_support::{assert_ok, traits::fungible::Inspect};
use iotrust_primitives::{
	anchoring::{MetricSummary, ThresholdRule},
	device::{registration_payload, DeviceId, KeyScheme},
	keypair::DeviceKeypair,
	merkle::metric::TEMPERATURE_MILLI_C as TEMP,
};
use pallet_anchoring::WeightInfo as _;
use pallet_obligations::WeightInfo as _;
use pallet_obligations::{Sla, Status, Terms};
use sp_core::H256;
use sp_keyring::Sr25519Keyring::{self, Alice, Bob, Charlie};
use sp_runtime::BuildStorage;

/// The runtime with funded accounts at block 1; the pallets' invariants are checked after each
/// test.
fn ext() -> CheckedExt {
	let endowed = [Alice, Bob, Charlie].map(|k| (k.to_account_id(), 1_000 * UNIT)).to_vec();
	let config = RuntimeGenesisConfig {
		balances: pallet_balances::GenesisConfig { balances: endowed, ..Default::default() },
		..Default::default()
	};
	let mut ext: sp_io::TestExternalities = config.build_storage().expect("genesis builds").into();
	ext.execute_with(|| System::set_block_number(1));
	CheckedExt(ext)
}

fn signed(who: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.to_account_id())
}

fn acc(who: Sr25519Keyring) -> AccountId {
	who.to_account_id()
}

/// Register an ed25519 device for `owner`, bound to `gateway`.
fn device(owner: Sr25519Keyring, gateway: Sr25519Keyring) -> DeviceId {
	let pair = DeviceKeypair::from_seed(KeyScheme::Ed25519, [7; 32]).expect("any seed; qed");
	let proof = pair.sign(&registration_payload(&Devices::genesis_hash(), &acc(owner), &pair.key));
	let metadata = pallet_devices::DeviceMetadata::<Runtime> {
		model: Default::default(),
		serial_hash: H256::zero(),
		uri: Default::default(),
	};
	assert_ok!(Devices::register(signed(owner), pair.key, metadata, proof));
	let id = pair.key.device_id();
	assert_ok!(Devices::serve_owner(signed(gateway), acc(owner)));
	assert_ok!(Devices::bind_gateway(signed(owner), id, acc(gateway)));
	id
}

#[test]
fn a_breach_in_an_anchored_batch_cuts_an_sla_obligation() {
	ext().execute_with(|| {
		// Bob provides cold storage monitored by his sensor, Charlie is its gateway.
		let sensor = device(Bob, Charlie);
		let rule = ThresholdRule { metric: TEMP, min: None, max: Some(-15_000) };
		assert_ok!(Anchoring::set_rules(signed(Bob), sensor, vec![rule].try_into().unwrap()));
		let terms = Terms::<Runtime> {
			provider: acc(Bob),
			amount: 20 * UNIT,
			service_hash: H256::repeat_byte(1),
			note: Default::default(),
			due_in: 100,
			provider_device: Some(sensor),
			sla: Some(Sla { device: sensor, metric: TEMP }),
		};
		assert_ok!(Obligations::create(signed(Alice), terms, None));

		// A batch that ran too warm.
		let range = pallet_anchoring::DeviceRange::<Runtime> {
			device: sensor,
			first: 0,
			last: 9,
			summaries: vec![MetricSummary { id: TEMP, min: -18_000, max: -9_000 }]
				.try_into()
				.unwrap(),
		};
		let post = Anchoring::anchor(
			signed(Charlie),
			0,
			H256::repeat_byte(2),
			10,
			0,
			1,
			vec![range].try_into().unwrap(),
		)
		.expect("the batch anchors");

		let o = pallet_obligations::Obligations::<Runtime>::get(0).unwrap();
		assert_eq!((o.penalty, o.breaches, o.status), (2 * UNIT, 1, Status::Pending));
		assert_eq!(Obligations::remaining_credit(&acc(Alice)), 100 * UNIT - 18 * UNIT);
		// The anchor paid for its own work and one breach hook.
		let expected = <Runtime as pallet_anchoring::Config>::WeightInfo::anchor(1)
			.saturating_add(<Runtime as pallet_obligations::Config>::WeightInfo::on_rule_breach(1));
		assert_eq!(post.actual_weight, Some(expected));

		// Alice pays what is left; Bob gets 18.
		let before = crate::Balances::balance(&acc(Bob));
		assert_ok!(Obligations::pay(signed(Alice), 0, 18 * UNIT));
		assert_eq!(crate::Balances::balance(&acc(Bob)), before + 18 * UNIT);
		assert!(crate::Reputation::score_of(&acc(Alice)) > 500);
	});
}
