//! Unit tests: every call's success path and every error it returns.

use crate::{mock::*, Error, Event, Nodes, PeerIdOf, Validators};
use frame_support::{assert_noop, assert_ok, traits::Hooks};
use pallet_session::SessionManager;
use sp_runtime::{traits::BadOrigin, DispatchError};

fn validators() -> Vec<u64> {
	Validators::<Test>::get().into_inner()
}

#[test]
fn genesis_sets_the_validators() {
	build_and_execute(3, || {
		assert_eq!(validators(), vec![1, 2, 3]);
		Consortium::integrity_test();
		assert_ok!(Consortium::do_try_state());
	});
}

#[test]
#[should_panic(expected = "genesis needs at least MinValidators validators")]
fn genesis_below_the_minimum_is_refused() {
	new_test_ext(1);
}

#[test]
fn an_empty_genesis_hands_no_set_to_the_session() {
	build_and_execute(0, || {
		assert!(validators().is_empty());
		assert_eq!(<Consortium as SessionManager<u64>>::new_session_genesis(0), None);
		assert_eq!(<Consortium as SessionManager<u64>>::new_session(1), None);
	});
}

#[test]
fn add_validator_works_and_emits() {
	build_and_execute(3, || {
		assert_ok!(Consortium::add_validator(RuntimeOrigin::root(), 4));
		assert_eq!(validators(), vec![1, 2, 3, 4]);
		System::assert_last_event(Event::ValidatorAdded { validator: 4 }.into());
	});
}

#[test]
fn add_validator_errors() {
	build_and_execute(3, || {
		assert_noop!(Consortium::add_validator(RuntimeOrigin::signed(1), 4), BadOrigin);
		assert_noop!(Consortium::add_validator(RuntimeOrigin::signed(COUNCIL), 4), BadOrigin);
		assert_noop!(
			Consortium::add_validator(RuntimeOrigin::root(), 2),
			Error::<Test>::AlreadyValidator
		);
		assert_ok!(Consortium::add_validator(RuntimeOrigin::root(), 4));
		assert_ok!(Consortium::add_validator(RuntimeOrigin::root(), 5));
		// MaxValidators is 5.
		assert_noop!(
			Consortium::add_validator(RuntimeOrigin::root(), 6),
			Error::<Test>::TooManyValidators
		);
	});
}

#[test]
fn remove_validator_works_and_emits() {
	build_and_execute(3, || {
		assert_ok!(Consortium::remove_validator(RuntimeOrigin::root(), 2));
		assert_eq!(validators(), vec![1, 3]);
		System::assert_last_event(Event::ValidatorRemoved { validator: 2 }.into());
	});
}

#[test]
fn remove_validator_errors() {
	build_and_execute(3, || {
		assert_noop!(Consortium::remove_validator(RuntimeOrigin::signed(1), 2), BadOrigin);
		assert_noop!(
			Consortium::remove_validator(RuntimeOrigin::root(), 9),
			Error::<Test>::NotValidator
		);
		assert_ok!(Consortium::remove_validator(RuntimeOrigin::root(), 3));
		// MinValidators is 2: the set keeps two.
		assert_noop!(
			Consortium::remove_validator(RuntimeOrigin::root(), 1),
			Error::<Test>::TooFewValidators
		);
		assert_eq!(validators(), vec![1, 2]);
	});
}

#[test]
fn session_manager_hands_over_the_set_only_when_it_changed() {
	build_and_execute(3, || {
		assert_eq!(
			<Consortium as SessionManager<u64>>::new_session_genesis(0),
			Some(vec![1, 2, 3])
		);
		// Unchanged: the session keeps its set.
		assert_eq!(<Consortium as SessionManager<u64>>::new_session(1), None);
		assert_ok!(Consortium::add_validator(RuntimeOrigin::root(), 4));
		assert_ok!(Consortium::remove_validator(RuntimeOrigin::root(), 1));
		assert_eq!(<Consortium as SessionManager<u64>>::new_session(2), Some(vec![2, 3, 4]));
		assert_eq!(<Consortium as SessionManager<u64>>::new_session(3), None);
	});
}

#[test]
fn a_failed_change_does_not_mark_the_set_changed() {
	build_and_execute(3, || {
		assert_noop!(
			Consortium::add_validator(RuntimeOrigin::root(), 1),
			Error::<Test>::AlreadyValidator
		);
		assert_eq!(<Consortium as SessionManager<u64>>::new_session(1), None);
	});
}

#[test]
fn dispatch_as_root_runs_the_call_as_root() {
	build_and_execute(3, || {
		let call = Box::new(RuntimeCall::Consortium(crate::Call::add_validator { validator: 4 }));
		assert_ok!(Consortium::dispatch_as_root(RuntimeOrigin::signed(COUNCIL), call));
		assert_eq!(validators(), vec![1, 2, 3, 4]);
		System::assert_last_event(Event::DispatchedAsRoot { result: Ok(()) }.into());
	});
}

#[test]
fn dispatch_as_root_reports_the_inner_error() {
	build_and_execute(3, || {
		let call = Box::new(RuntimeCall::Consortium(crate::Call::add_validator { validator: 1 }));
		assert_ok!(Consortium::dispatch_as_root(RuntimeOrigin::signed(COUNCIL), call));
		let error: DispatchError = Error::<Test>::AlreadyValidator.into();
		System::assert_last_event(Event::DispatchedAsRoot { result: Err(error) }.into());
	});
}

#[test]
fn dispatch_as_root_needs_the_root_origin() {
	build_and_execute(3, || {
		let call = Box::new(RuntimeCall::Consortium(crate::Call::add_validator { validator: 4 }));
		assert_noop!(
			Consortium::dispatch_as_root(RuntimeOrigin::signed(1), call.clone()),
			BadOrigin
		);
		assert_noop!(Consortium::dispatch_as_root(RuntimeOrigin::root(), call), BadOrigin);
	});
}

fn bounded_peer(n: u8) -> PeerIdOf<Test> {
	peer(n).try_into().unwrap()
}

#[test]
fn the_council_adds_and_removes_nodes() {
	build_and_execute(3, || {
		assert_eq!(Nodes::<Test>::get().len(), 2);
		assert_ok!(Consortium::add_node(RuntimeOrigin::root(), bounded_peer(3), 3));
		System::assert_last_event(Event::NodeAdded { peer_id: bounded_peer(3), owner: 3 }.into());
		assert_noop!(
			Consortium::add_node(RuntimeOrigin::root(), bounded_peer(3), 3),
			Error::<Test>::NodeAlreadyAuthorized
		);
		assert_noop!(
			Consortium::add_node(RuntimeOrigin::root(), bounded_peer(4), 4),
			Error::<Test>::TooManyNodes
		);
		assert_noop!(
			Consortium::add_node(RuntimeOrigin::root(), Default::default(), 4),
			Error::<Test>::EmptyPeerId
		);
		assert_ok!(Consortium::remove_node(RuntimeOrigin::root(), bounded_peer(1)));
		System::assert_last_event(Event::NodeRemoved { peer_id: bounded_peer(1) }.into());
		assert_noop!(
			Consortium::remove_node(RuntimeOrigin::root(), bounded_peer(1)),
			Error::<Test>::NodeNotAuthorized
		);
		assert_eq!(Nodes::<Test>::get().get(&bounded_peer(3)), Some(&3));
	});
}

/// The attack: an outsider (or a member acting alone) authorizes its own node, or adds it as a
/// connection of a node the council is about to admit. No signed account can change the set.
#[test]
fn attack_no_account_but_the_council_changes_the_peers() {
	build_and_execute(3, || {
		for who in [1u64, 2, 42, COUNCIL] {
			assert_noop!(
				Consortium::add_node(RuntimeOrigin::signed(who), bounded_peer(9), who),
				BadOrigin
			);
			assert_noop!(
				Consortium::remove_node(RuntimeOrigin::signed(who), bounded_peer(1)),
				BadOrigin
			);
		}
		// What each node is told to peer with: the other authorized nodes, or none at all.
		let ids =
			|peers: Vec<sp_core::OpaquePeerId>| peers.into_iter().map(|p| p.0).collect::<Vec<_>>();
		assert_eq!(ids(Consortium::peers_of(&peer(1))), vec![peer(2)]);
		assert!(Consortium::peers_of(&peer(9)).is_empty());
	});
}
