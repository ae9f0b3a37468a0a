//! Runtime tests of the consortium's rules, on the real runtime and its genesis presets: what a
//! council motion may do, what it needs, and when validator changes take effect.

use crate::test_support::CheckedExt;
use crate::{
	configs::CouncilCollective, genesis_config_presets, AccountId, Balances, Consortium, Council,
	Runtime, RuntimeCall, RuntimeEvent, RuntimeGenesisConfig, RuntimeOrigin, Session, SessionKeys,
	System, SS58_PREFIX, UNIT,
};
use codec::Encode;
use frame_support::{assert_noop, assert_ok, dispatch::GetDispatchInfo};
use sp_keyring::Sr25519Keyring::{self, Alice, Bob, Charlie, Dave, Eve};
use sp_keystore::{testing::MemoryKeystore, KeystoreExt};
use sp_runtime::{
	traits::{BadOrigin, BlakeTwo256, Hash},
	BuildStorage, DispatchError,
};

/// Merge `patch` into `base`, the way a chain spec applies a preset to the defaults.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
			for (k, v) in patch {
				merge(base.entry(k).or_insert(serde_json::Value::Null), v);
			}
		},
		(base, patch) => *base = patch,
	}
}

/// Externalities holding the genesis of the named preset, at block 1, with a keystore; the
/// pallets' invariants are checked after each test.
fn ext(preset: &str) -> CheckedExt {
	let patch = genesis_config_presets::get_preset(&preset.into()).expect("preset exists");
	let patch: serde_json::Value = serde_json::from_slice(&patch).expect("preset is JSON");
	let mut config = serde_json::to_value(RuntimeGenesisConfig::default()).expect("serializes");
	merge(&mut config, patch);
	let config: RuntimeGenesisConfig = serde_json::from_value(config).expect("preset fits");
	let mut ext: sp_io::TestExternalities = config.build_storage().expect("genesis builds").into();
	ext.register_extension(KeystoreExt::new(MemoryKeystore::new()));
	ext.execute_with(|| System::set_block_number(1));
	CheckedExt(ext)
}

fn local() -> CheckedExt {
	ext(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
}

fn dev() -> CheckedExt {
	ext(sp_genesis_builder::DEV_RUNTIME_PRESET)
}

fn signed(who: Sr25519Keyring) -> RuntimeOrigin {
	RuntimeOrigin::signed(who.to_account_id())
}

fn acc(who: Sr25519Keyring) -> AccountId {
	who.to_account_id()
}

/// The outcome of the last executed council motion, from its `Executed` event.
fn last_motion_result() -> Option<Result<(), DispatchError>> {
	System::events().into_iter().rev().find_map(|r| match r.event {
		RuntimeEvent::Council(pallet_collective::Event::Executed { result, .. }) => Some(result),
		_ => None,
	})
}

/// `proposer` proposes `call` with `threshold`; `ayes` vote for it; then it is closed. Returns
/// the result of the executed call (or `None` if the motion did not execute).
fn motion(
	proposer: Sr25519Keyring,
	threshold: u32,
	ayes: &[Sr25519Keyring],
	call: RuntimeCall,
) -> Option<Result<(), DispatchError>> {
	let length = call.encoded_size() as u32;
	let weight = call.get_dispatch_info().call_weight;
	let hash = BlakeTwo256::hash_of(&call);
	let index = pallet_collective::ProposalCount::<Runtime, CouncilCollective>::get();
	System::reset_events();
	assert_ok!(Council::propose(signed(proposer), threshold, Box::new(call), length));
	if threshold < 2 {
		// Executed at once.
		return last_motion_result();
	}
	for voter in ayes {
		assert_ok!(Council::vote(signed(*voter), hash, index, true));
	}
	// Closing early works once the ayes reach the threshold.
	let _ = Council::close(signed(proposer), hash, index, weight, length);
	last_motion_result()
}

fn add_validator(who: Sr25519Keyring) -> RuntimeCall {
	RuntimeCall::Consortium(pallet_consortium::Call::add_validator { validator: acc(who) })
}

fn remove_validator(who: Sr25519Keyring) -> RuntimeCall {
	RuntimeCall::Consortium(pallet_consortium::Call::remove_validator { validator: acc(who) })
}

/// `who` registers freshly generated session keys, with their proof of ownership.
fn set_new_session_keys(who: Sr25519Keyring) {
	let owner = acc(who).encode();
	let generated = SessionKeys::generate(&owner, None);
	assert_ok!(Session::set_keys(signed(who), generated.keys, generated.proof.encode()));
}

#[test]
fn local_testnet_has_four_members_validators_and_nodes() {
	local().execute_with(|| {
		let four = vec![acc(Alice), acc(Bob), acc(Charlie), acc(Dave)];
		assert_eq!(Consortium::validators(), four);
		assert_eq!(Session::validators(), four);
		assert_eq!(pallet_collective::Members::<Runtime, CouncilCollective>::get(), {
			let mut sorted = four.clone();
			sorted.sort();
			sorted
		});
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 4);
		assert_eq!(pallet_grandpa::Pallet::<Runtime>::grandpa_authorities().len(), 4);
		let nodes = pallet_consortium::Nodes::<Runtime>::get();
		assert_eq!(nodes.len(), 4);
		assert!(nodes.keys().all(|n| n.len() == 38), "peer ids are 38-byte multihashes");
		assert_eq!(Balances::free_balance(acc(Eve)), genesis_config_presets::PRESET_ENDOWMENT);
	});
}

#[test]
fn development_has_one_member() {
	dev().execute_with(|| {
		assert_eq!(Consortium::validators(), vec![acc(Alice)]);
		assert_eq!(
			pallet_collective::Members::<Runtime, CouncilCollective>::get(),
			vec![acc(Alice)]
		);
	});
}

#[test]
fn ss58_prefix_matches_the_chain_properties() {
	let prefix: u16 = <Runtime as frame_system::Config>::SS58Prefix::get();
	assert_eq!(prefix, SS58_PREFIX);
	assert_eq!(UNIT, 10u128.pow(crate::TOKEN_DECIMALS as u32));
}

#[test]
fn two_thirds_of_the_council_adds_a_validator() {
	local().execute_with(|| {
		assert_eq!(motion(Alice, 3, &[Alice, Bob, Charlie], add_validator(Eve)), Some(Ok(())));
		assert!(Consortium::validators().contains(&acc(Eve)));
	});
}

#[test]
fn half_of_the_council_cannot_add_a_validator() {
	local().execute_with(|| {
		// Proposed with threshold 2 and carried by 2 of 4: the call refuses that origin.
		assert_eq!(
			motion(Alice, 2, &[Alice, Bob], add_validator(Eve)),
			Some(Err(BadOrigin.into()))
		);
		assert!(!Consortium::validators().contains(&acc(Eve)));
	});
}

#[test]
fn a_motion_with_too_few_ayes_does_not_execute() {
	local().execute_with(|| {
		// Threshold 3, two ayes: closing early is refused, nothing executes.
		assert_eq!(motion(Alice, 3, &[Alice, Bob], add_validator(Eve)), None);
		assert!(!Consortium::validators().contains(&acc(Eve)));
	});
}

#[test]
fn a_single_account_cannot_change_validators() {
	local().execute_with(|| {
		assert_noop!(Consortium::add_validator(signed(Alice), acc(Eve)), BadOrigin);
		assert_noop!(Consortium::remove_validator(signed(Alice), acc(Bob)), BadOrigin);
	});
}

#[test]
fn a_non_member_cannot_propose() {
	local().execute_with(|| {
		let call = add_validator(Eve);
		let length = call.encoded_size() as u32;
		assert_noop!(
			Council::propose(signed(Eve), 3, Box::new(call), length),
			pallet_collective::Error::<Runtime, CouncilCollective>::NotMember
		);
	});
}

#[test]
fn a_one_member_council_executes_at_once() {
	dev().execute_with(|| {
		assert_eq!(motion(Alice, 1, &[], add_validator(Eve)), Some(Ok(())));
		assert_eq!(Consortium::validators(), vec![acc(Alice), acc(Eve)]);
	});
}

#[test]
fn removing_below_the_minimum_is_refused() {
	dev().execute_with(|| {
		let refused = pallet_consortium::Error::<Runtime>::TooFewValidators.into();
		assert_eq!(motion(Alice, 1, &[], remove_validator(Alice)), Some(Err(refused)));
		assert_eq!(Consortium::validators(), vec![acc(Alice)]);
	});
}

#[test]
fn removing_a_non_validator_is_refused() {
	local().execute_with(|| {
		let refused = pallet_consortium::Error::<Runtime>::NotValidator.into();
		assert_eq!(
			motion(Alice, 3, &[Alice, Bob, Charlie], remove_validator(Eve)),
			Some(Err(refused))
		);
	});
}

#[test]
fn adding_an_existing_validator_is_refused() {
	local().execute_with(|| {
		let refused = pallet_consortium::Error::<Runtime>::AlreadyValidator.into();
		assert_eq!(
			motion(Alice, 3, &[Alice, Bob, Charlie], add_validator(Bob)),
			Some(Err(refused))
		);
	});
}

#[test]
fn validator_changes_take_effect_at_the_session_after_next() {
	local().execute_with(|| {
		set_new_session_keys(Eve);
		assert_eq!(motion(Alice, 3, &[Alice, Bob, Charlie], add_validator(Eve)), Some(Ok(())));
		// Not yet active: the next session only queues it.
		assert!(!Session::validators().contains(&acc(Eve)));
		Session::rotate_session();
		assert!(!Session::validators().contains(&acc(Eve)));
		Session::rotate_session();
		assert!(Session::validators().contains(&acc(Eve)));
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 5);

		assert_eq!(motion(Bob, 3, &[Bob, Charlie, Dave], remove_validator(Eve)), Some(Ok(())));
		Session::rotate_session();
		Session::rotate_session();
		assert!(!Session::validators().contains(&acc(Eve)));
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 4);
	});
}

/// A session ends at a 10-block boundary only when something waits for it (a council's
/// validator change, queued keys or set, a stalled GRANDPA; a validator's new keys at 60-block
/// boundaries only), and every 300 blocks regardless; each boundary's reads are charged to its
/// block.
#[test]
fn sessions_end_only_when_a_change_waits() {
	use crate::configs::{SessionsOnChange, MAX_SESSION_PERIOD, SESSION_PERIOD};
	use pallet_session::ShouldEndSession;
	let ends = |boundary: u32| SessionsOnChange::should_end_session(boundary * SESSION_PERIOD);
	local().execute_with(|| {
		while pallet_session::QueuedChanged::<Runtime>::get() {
			Session::rotate_session();
		}
		// Nothing waits: the boundaries pass, the long period ends a session anyway.
		assert!(!ends(1));
		assert!(!SessionsOnChange::should_end_session(SESSION_PERIOD + 1));
		assert!(SessionsOnChange::should_end_session(MAX_SESSION_PERIOD));
		let before = System::block_weight().total();
		assert!(!ends(1));
		assert!(System::block_weight().total().ref_time() > before.ref_time(), "reads charged");
		// Keys of an account that is no validator change nothing.
		set_new_session_keys(Eve);
		assert!(!ends(1));

		// The council adds Eve: one session queues her, the next makes her active, then quiet.
		assert_eq!(motion(Alice, 3, &[Alice, Bob, Charlie], add_validator(Eve)), Some(Ok(())));
		assert!(ends(1));
		assert!(!SessionsOnChange::should_end_session(SESSION_PERIOD + 5), "only at boundaries");
		Session::rotate_session();
		assert!(ends(2));
		Session::rotate_session();
		assert!(Session::validators().contains(&acc(Eve)));
		assert!(!ends(3));

		// Bob rotates his keys: queued at the next 60-block boundary, active at the one after.
		set_new_session_keys(Bob);
		assert!(!ends(4));
		assert!(!ends(5));
		assert!(ends(6));
		Session::rotate_session();
		assert!(!ends(7));
		assert!(ends(12));
		Session::rotate_session();
		assert!(!ends(13));
		assert!(!ends(18));

		// GRANDPA stalled: its forced change is scheduled at a new session.
		pallet_grandpa::Stalled::<Runtime>::put((10, 1));
		assert!(ends(19));
	});
}

/// The attack: a validator registers new session keys at every 10-block boundary, to force a
/// session end (a whole block) at each. Over 600 blocks it forces one per 60 blocks, a sixth of
/// what it could before.
#[test]
fn attack_toggling_session_keys_forces_few_session_ends() {
	use crate::configs::{SessionsOnChange, MAX_SESSION_PERIOD, SESSION_PERIOD};
	use pallet_session::ShouldEndSession;
	local().execute_with(|| {
		while pallet_session::QueuedChanged::<Runtime>::get() {
			Session::rotate_session();
		}
		let mut ends = 0;
		for boundary in 1..=(2 * MAX_SESSION_PERIOD / SESSION_PERIOD) {
			set_new_session_keys(Bob);
			if SessionsOnChange::should_end_session(boundary * SESSION_PERIOD) {
				Session::rotate_session();
				ends += 1;
			}
		}
		assert_eq!(ends, 10, "one session end per 60 blocks, not one per 10");
	});
}

#[test]
fn an_unchanged_set_schedules_no_grandpa_change() {
	local().execute_with(|| {
		for _ in 0..3 {
			Session::rotate_session();
		}
		assert_eq!(pallet_grandpa::CurrentSetId::<Runtime>::get(), 0);

		set_new_session_keys(Eve);
		assert_eq!(motion(Alice, 3, &[Alice, Bob, Charlie], add_validator(Eve)), Some(Ok(())));
		Session::rotate_session();
		Session::rotate_session();
		assert!(pallet_grandpa::CurrentSetId::<Runtime>::get() > 0);
	});
}

#[test]
fn a_validator_without_session_keys_does_not_author() {
	local().execute_with(|| {
		assert_eq!(motion(Alice, 3, &[Alice, Bob, Charlie], add_validator(Eve)), Some(Ok(())));
		Session::rotate_session();
		Session::rotate_session();
		assert!(!Session::validators().contains(&acc(Eve)));
		assert_eq!(pallet_aura::Authorities::<Runtime>::get().len(), 4);
	});
}

#[test]
fn session_keys_need_a_proof_of_ownership() {
	local().execute_with(|| {
		let generated = SessionKeys::generate(&acc(Eve).encode(), None);
		// Proved for Eve, submitted by Ferdie.
		assert_noop!(
			Session::set_keys(
				signed(Sr25519Keyring::Ferdie),
				generated.keys,
				generated.proof.encode()
			),
			pallet_session::Error::<Runtime>::InvalidProof
		);
	});
}

#[test]
fn the_council_votes_members_in_and_out() {
	local().execute_with(|| {
		let add = RuntimeCall::CouncilMembership(pallet_membership::Call::add_member {
			who: acc(Eve).into(),
		});
		assert_eq!(motion(Alice, 3, &[Alice, Bob, Charlie], add), Some(Ok(())));
		assert!(pallet_collective::Members::<Runtime, CouncilCollective>::get().contains(&acc(Eve)));
		assert!(pallet_membership::Members::<Runtime, pallet_membership::Instance1>::get()
			.contains(&acc(Eve)));

		let remove = RuntimeCall::CouncilMembership(pallet_membership::Call::remove_member {
			who: acc(Bob).into(),
		});
		// Five members now: two thirds is four ayes.
		assert_eq!(motion(Alice, 4, &[Alice, Charlie, Dave, Eve], remove), Some(Ok(())));
		assert!(
			!pallet_collective::Members::<Runtime, CouncilCollective>::get().contains(&acc(Bob))
		);
	});
}

#[test]
fn the_council_authorizes_a_node() {
	local().execute_with(|| {
		let peer: pallet_consortium::PeerIdOf<Runtime> = vec![7; 38].try_into().unwrap();
		let call = RuntimeCall::Consortium(pallet_consortium::Call::add_node {
			peer_id: peer.clone(),
			owner: acc(Eve),
		});
		assert_eq!(motion(Alice, 3, &[Alice, Bob, Charlie], call), Some(Ok(())));
		assert_eq!(pallet_consortium::Nodes::<Runtime>::get().get(&peer), Some(&acc(Eve)));
		// No signed account can authorize a node, a member's included.
		assert_noop!(
			Consortium::add_node(signed(Alice), vec![8; 38].try_into().unwrap(), acc(Alice)),
			BadOrigin
		);
	});
}

#[test]
fn the_council_acts_as_root() {
	local().execute_with(|| {
		let inner = RuntimeCall::Balances(pallet_balances::Call::force_set_balance {
			who: acc(Eve).into(),
			new_free: 7 * UNIT,
		});
		let call = RuntimeCall::Consortium(pallet_consortium::Call::dispatch_as_root {
			call: Box::new(inner),
		});
		assert_eq!(motion(Alice, 3, &[Alice, Bob, Charlie], call), Some(Ok(())));
		assert_eq!(Balances::free_balance(acc(Eve)), 7 * UNIT);
	});
}
