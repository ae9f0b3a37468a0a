use crate::{mock::*, Error, Event, GatewayGroups, KeyStatus, Membership};
use frame_support::{assert_noop, assert_ok, BoundedVec};
use iotrust_primitives::{device::GatewayConsents, groups::GroupRefusal};
use sp_core::H256;

fn members(list: &[(u64, u64)]) -> BoundedVec<Membership<u64>, ConstU32Five> {
	list.iter()
		.map(|&(member, gw)| Membership { gateway: gw, member })
		.collect::<Vec<_>>()
		.try_into()
		.expect("at most 5 members")
}

type ConstU32Five = frame_support::traits::ConstU32<5>;

/// Gateways of A, B and C, one each.
fn three() -> BoundedVec<Membership<u64>, ConstU32Five> {
	members(&[(A, gateway(A, 1)), (B, gateway(B, 1)), (C, gateway(C, 1))])
}

fn council() -> RuntimeOrigin {
	RuntimeOrigin::signed(COUNCIL)
}

fn signed(who: u64) -> RuntimeOrigin {
	RuntimeOrigin::signed(who)
}

/// Group 0: A's, B's and C's gateways, 2 of 3, its key `[7; 32]` confirmed by all.
fn active_group() {
	assert_ok!(Groups::create_group(council(), three(), 2));
	for m in [A, B, C] {
		assert_ok!(Groups::confirm_key(signed(gateway(m, 1)), 0, 1, [7; 32], [1; 32]));
	}
}

fn remark(bytes: &[u8]) -> Box<RuntimeCall> {
	Box::new(RuntimeCall::System(frame_system::Call::remark_with_event { remark: bytes.to_vec() }))
}

fn hash_of(call: &RuntimeCall) -> H256 {
	use codec::Encode;
	H256(sp_io::hashing::blake2_256(&call.encode()))
}

#[test]
fn the_council_creates_a_group_whose_key_is_pending() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Groups::create_group(signed(A), three(), 2),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_ok!(Groups::create_group(council(), three(), 2));
		let account = Groups::account_of(0);
		System::assert_last_event(
			Event::GroupCreated { group: 0, account, threshold: 2, epoch: 1 }.into(),
		);
		let group = crate::Groups::<Test>::get(0).unwrap();
		assert_eq!(group.key, KeyStatus::Pending(Default::default()));
		assert_eq!(<Groups as GatewayGroups<u64>>::active_key(0), None);
		assert_eq!(<Groups as GatewayGroups<u64>>::account_of(0), Some(account));
		assert!(<Groups as GatewayGroups<u64>>::is_member(0, &gateway(B, 1)));
		assert!(!<Groups as GatewayGroups<u64>>::is_member(0, &B));
		// A second group. (Its account differs in the runtime, whose 32-byte accounts hold the
		// group's number; the mock's u64 accounts truncate it away.)
		assert_ok!(Groups::create_group(council(), three(), 3));
		assert!(![A, B, C, gateway(A, 1)].contains(&account));
		assert_eq!(Groups::groups_of(&gateway(C, 1)), vec![0, 1]);
	});
}

#[test]
fn a_group_is_refused_unless_no_single_member_can_sign_for_it() {
	ExtBuilder.build_and_execute(|| {
		let create = |m, t| Groups::create_group(council(), m, t);
		assert_noop!(create(members(&[(A, gateway(A, 1))]), 2), Error::<Test>::TooFewMembers);
		assert_noop!(
			create(members(&[(A, gateway(A, 1)), (B, gateway(A, 1))]), 2),
			Error::<Test>::DuplicateGateway
		);
		assert_noop!(
			create(members(&[(A, gateway(A, 1)), (STRANGER, gateway(STRANGER, 1))]), 2),
			Error::<Test>::NotConsortiumMember
		);
		// One member's gateways only.
		assert_noop!(
			create(members(&[(A, gateway(A, 1)), (A, gateway(A, 2))]), 2),
			Error::<Test>::SingleMember
		);
		assert_noop!(create(three(), 1), Error::<Test>::InvalidThreshold);
		assert_noop!(create(three(), 4), Error::<Test>::InvalidThreshold);
		// The attack: A puts three gateways beside B's and C's, so that 3 of 5 are all A's.
		let stacked = members(&[
			(A, gateway(A, 1)),
			(A, gateway(A, 2)),
			(A, gateway(A, 3)),
			(B, gateway(B, 1)),
			(C, gateway(C, 1)),
		]);
		assert_noop!(create(stacked.clone(), 3), Error::<Test>::OneMemberReachesThreshold);
		// At 4 of 5 A needs another member's gateway.
		assert_ok!(create(stacked, 4));
	});
}

#[test]
fn a_key_becomes_active_only_when_every_member_confirmed_the_same_one() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(Groups::create_group(council(), three(), 2));
		assert_noop!(
			Groups::confirm_key(signed(STRANGER), 0, 1, [7; 32], [1; 32]),
			Error::<Test>::NotMember
		);
		assert_noop!(
			Groups::confirm_key(signed(gateway(A, 1)), 0, 2, [7; 32], [1; 32]),
			Error::<Test>::WrongEpoch
		);
		assert_noop!(
			Groups::confirm_key(signed(gateway(A, 1)), 1, 1, [7; 32], [1; 32]),
			Error::<Test>::UnknownGroup
		);
		assert_ok!(Groups::confirm_key(signed(gateway(A, 1)), 0, 1, [7; 32], [1; 32]));
		assert_ok!(Groups::confirm_key(signed(gateway(B, 1)), 0, 1, [7; 32], [1; 32]));
		// A threshold of confirmations is not enough: C was not heard.
		assert_eq!(<Groups as GatewayGroups<u64>>::active_key(0), None);
		// C's key generation produced another key (a faulty or dishonest member): nothing
		// becomes active.
		assert_ok!(Groups::confirm_key(signed(gateway(C, 1)), 0, 1, [8; 32], [1; 32]));
		assert_eq!(<Groups as GatewayGroups<u64>>::active_key(0), None);
		// C confirms again, replacing its confirmation; now all agree.
		assert_ok!(Groups::confirm_key(signed(gateway(C, 1)), 0, 1, [7; 32], [1; 32]));
		System::assert_last_event(Event::KeyActivated { group: 0, epoch: 1, key: [7; 32] }.into());
		assert_eq!(
			<Groups as GatewayGroups<u64>>::active_key(0),
			Some(crate::ActiveKey { epoch: 1, key: [7; 32] })
		);
		// An active key cannot be replaced by a confirmation: only a change starts a new epoch.
		assert_noop!(
			Groups::confirm_key(signed(gateway(A, 1)), 0, 1, [9; 32], [1; 32]),
			Error::<Test>::KeyAlreadyActive
		);
	});
}

#[test]
fn a_change_starts_a_new_epoch_whose_key_is_pending() {
	ExtBuilder.build_and_execute(|| {
		active_group();
		assert_ok!(Groups::approve(signed(gateway(A, 1)), 0, remark(b"x")));
		let four = members(&[
			(A, gateway(A, 1)),
			(B, gateway(B, 1)),
			(C, gateway(C, 1)),
			(C, gateway(C, 2)),
		]);
		assert_noop!(
			Groups::change_group(signed(A), 0, four.clone(), 3),
			sp_runtime::DispatchError::BadOrigin
		);
		assert_noop!(
			Groups::change_group(council(), 5, four.clone(), 3),
			Error::<Test>::UnknownGroup
		);
		assert_noop!(
			Groups::change_group(council(), 0, four.clone(), 2),
			Error::<Test>::OneMemberReachesThreshold
		);
		assert_ok!(Groups::change_group(council(), 0, four, 3));
		System::assert_last_event(Event::GroupChanged { group: 0, threshold: 3, epoch: 2 }.into());
		// The old key no longer counts, and approvals made under the old members are gone.
		assert_eq!(<Groups as GatewayGroups<u64>>::active_key(0), None);
		assert_eq!(crate::Proposals::<Test>::iter_prefix(0).count(), 0);
		// A confirmation for the old epoch is refused.
		assert_noop!(
			Groups::confirm_key(signed(gateway(A, 1)), 0, 1, [7; 32], [1; 32]),
			Error::<Test>::WrongEpoch
		);
		for gw in [gateway(A, 1), gateway(B, 1), gateway(C, 1), gateway(C, 2)] {
			assert_ok!(Groups::confirm_key(signed(gw), 0, 2, [3; 32], [1; 32]));
		}
		assert_eq!(
			<Groups as GatewayGroups<u64>>::active_key(0),
			Some(crate::ActiveKey { epoch: 2, key: [3; 32] })
		);
	});
}

#[test]
fn a_dissolved_group_has_no_key_and_no_account() {
	ExtBuilder.build_and_execute(|| {
		active_group();
		assert_ok!(Groups::approve(signed(gateway(B, 1)), 0, remark(b"x")));
		assert_noop!(Groups::dissolve_group(signed(A), 0), sp_runtime::DispatchError::BadOrigin);
		assert_noop!(Groups::dissolve_group(council(), 1), Error::<Test>::UnknownGroup);
		assert_ok!(Groups::dissolve_group(council(), 0));
		System::assert_last_event(Event::GroupDissolved { group: 0 }.into());
		assert_eq!(<Groups as GatewayGroups<u64>>::active_key(0), None);
		assert_eq!(<Groups as GatewayGroups<u64>>::account_of(0), None);
		assert!(!<Groups as GatewayGroups<u64>>::is_member(0, &gateway(B, 1)));
		assert_eq!(crate::Proposals::<Test>::iter_prefix(0).count(), 0);
		// Its number is not given again.
		assert_ok!(Groups::create_group(council(), three(), 2));
		assert!(crate::Groups::<Test>::contains_key(1));
	});
}

#[test]
fn one_member_cannot_make_the_group_act_alone() {
	ExtBuilder.build_and_execute(|| {
		active_group();
		let call = remark(b"serve my owner");
		let call_hash = hash_of(&call);
		// A stranger and a non-allowed call are refused outright.
		assert_noop!(Groups::approve(signed(STRANGER), 0, call.clone()), Error::<Test>::NotMember);
		let forbidden =
			Box::new(RuntimeCall::System(frame_system::Call::remark { remark: vec![1] }));
		assert_noop!(
			Groups::approve(signed(gateway(A, 1)), 0, forbidden),
			Error::<Test>::CallNotAllowed
		);
		// The attack: A's gateway approves twice.
		assert_ok!(Groups::approve(signed(gateway(A, 1)), 0, call.clone()));
		assert_noop!(
			Groups::approve(signed(gateway(A, 1)), 0, call.clone()),
			Error::<Test>::AlreadyApproved
		);
		assert!(!System::events().iter().any(|r| matches!(
			r.event,
			RuntimeEvent::System(frame_system::Event::Remarked { .. })
		)));
		// B's approval reaches the threshold: the group's account makes the call.
		assert_ok!(Groups::approve(signed(gateway(B, 1)), 0, call.clone()));
		System::assert_has_event(
			frame_system::Event::Remarked {
				sender: Groups::account_of(0),
				hash: sp_core::H256(sp_io::hashing::blake2_256(b"serve my owner")),
			}
			.into(),
		);
		System::assert_last_event(Event::Acted { group: 0, call_hash, result: Ok(()) }.into());
		assert_eq!(crate::Proposals::<Test>::get(0, call_hash), None);
	});
}

#[test]
fn a_member_cannot_crowd_out_the_others_proposals() {
	ExtBuilder.build_and_execute(|| {
		active_group();
		// The attack: A's gateway opens proposal after proposal to fill the group's storage.
		assert_ok!(Groups::approve(signed(gateway(A, 1)), 0, remark(b"1")));
		assert_noop!(
			Groups::approve(signed(gateway(A, 1)), 0, remark(b"2")),
			Error::<Test>::AlreadyProposing
		);
		// The others still propose, and A may still approve theirs.
		assert_ok!(Groups::approve(signed(gateway(B, 1)), 0, remark(b"2")));
		assert_ok!(Groups::approve(signed(gateway(C, 1)), 0, remark(b"3")));
		assert_eq!(crate::Proposals::<Test>::iter_prefix(0).count(), 3);
		assert_ok!(Groups::approve(signed(gateway(A, 1)), 0, remark(b"2")));
		assert_eq!(crate::Proposals::<Test>::iter_prefix(0).count(), 2);
		// A withdraws its own proposal, and may propose again.
		assert_ok!(Groups::withdraw(signed(gateway(A, 1)), 0, hash_of(&remark(b"1"))));
		assert_ok!(Groups::approve(signed(gateway(A, 1)), 0, remark(b"4")));
	});
}

#[test]
fn withdrawing_an_approval() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(Groups::create_group(
			council(),
			members(&[(A, gateway(A, 1)), (B, gateway(B, 1)), (C, gateway(C, 1))]),
			3
		));
		let call = remark(b"r");
		let h = hash_of(&call);
		assert_noop!(Groups::withdraw(signed(gateway(A, 1)), 0, h), Error::<Test>::NotApproved);
		assert_ok!(Groups::approve(signed(gateway(A, 1)), 0, call.clone()));
		assert_ok!(Groups::approve(signed(gateway(B, 1)), 0, call.clone()));
		assert_noop!(Groups::withdraw(signed(gateway(C, 1)), 0, h), Error::<Test>::NotApproved);
		// B takes its approval back: the proposal stays, with A's alone.
		assert_ok!(Groups::withdraw(signed(gateway(B, 1)), 0, h));
		System::assert_last_event(
			Event::Withdrawn { group: 0, call_hash: h, gateway: gateway(B, 1) }.into(),
		);
		assert_eq!(
			crate::Proposals::<Test>::get(0, h).unwrap().approvals.to_vec(),
			vec![gateway(A, 1)]
		);
		// C's approval does not reach 3 now.
		assert_ok!(Groups::approve(signed(gateway(C, 1)), 0, call.clone()));
		assert!(crate::Proposals::<Test>::get(0, h).is_some());
		// The proposer's withdrawal takes the proposal away.
		assert_ok!(Groups::withdraw(signed(gateway(A, 1)), 0, h));
		assert_eq!(crate::Proposals::<Test>::get(0, h), None);
	});
}

#[test]
fn a_failing_call_closes_its_proposal_and_reports_why() {
	ExtBuilder.build_and_execute(|| {
		active_group();
		// `set_heap_pages` needs root: the group's account is refused it.
		let call = Box::new(RuntimeCall::System(frame_system::Call::set_heap_pages { pages: 1 }));
		let h = hash_of(&call);
		assert_ok!(Groups::approve(signed(gateway(A, 1)), 0, call.clone()));
		assert_ok!(Groups::approve(signed(gateway(C, 1)), 0, call));
		System::assert_last_event(
			Event::Acted {
				group: 0,
				call_hash: h,
				result: Err(sp_runtime::DispatchError::BadOrigin),
			}
			.into(),
		);
		assert!(crate::Proposals::<Test>::iter_prefix(0).next().is_none());
	});
}

#[test]
fn a_gateways_groups_are_indexed_through_changes_and_dissolution() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(Groups::create_group(council(), three(), 2));
		assert_ok!(Groups::create_group(council(), three(), 3));
		// Group 1 swaps C's gateway for its second one.
		let swapped = members(&[(A, gateway(A, 1)), (B, gateway(B, 1)), (C, gateway(C, 2))]);
		assert_ok!(Groups::change_group(council(), 1, swapped, 2));
		assert_eq!(Groups::groups_of(&gateway(C, 1)), vec![0]);
		assert_eq!(Groups::groups_of(&gateway(C, 2)), vec![1]);
		assert_eq!(Groups::groups_of(&gateway(A, 1)), vec![0, 1]);
		assert_ok!(Groups::dissolve_group(council(), 0));
		assert_eq!(Groups::groups_of(&gateway(C, 1)), Vec::<u32>::new());
		assert_eq!(Groups::groups_of(&gateway(A, 1)), vec![1]);
		// (build_and_execute checks afterwards that the index holds nothing else.)
	});
}

#[test]
fn the_v1_migration_indexes_the_groups_a_version_0_chain_holds() {
	use crate::migrations::v1;
	use frame_support::traits::{
		GetStorageVersion, OnRuntimeUpgrade, StorageVersion, UncheckedOnRuntimeUpgrade,
	};
	ExtBuilder.build_and_execute(|| {
		active_group();
		assert_ok!(Groups::create_group(council(), three(), 3));
		let swapped = members(&[(A, gateway(A, 2)), (B, gateway(B, 1))]);
		assert_ok!(Groups::create_group(council(), swapped, 2));
		assert_ok!(Groups::approve(signed(gateway(A, 1)), 0, remark(b"pending")));
		// What version 0 stored: the groups without their index.
		let _ = crate::GroupsOf::<Test>::clear(u32::MAX, None);
		StorageVersion::new(0).put::<Groups>();
		assert_eq!(Groups::groups_of(&gateway(B, 1)), Vec::<u32>::new());
		let groups_before: Vec<_> = crate::Groups::<Test>::iter().collect();
		let before = v1::pre_check::<Test>().expect("a version 0 state");

		let weight = v1::MigrateV0ToV1::<Test>::on_runtime_upgrade();

		v1::post_check::<Test>(before).expect("the migration's checks");
		assert_eq!(Groups::on_chain_storage_version(), 1);
		assert_eq!(Groups::groups_of(&gateway(B, 1)), vec![0, 1, 2]);
		assert_eq!(Groups::groups_of(&gateway(A, 2)), vec![2]);
		assert_eq!(crate::Groups::<Test>::iter().collect::<Vec<_>>(), groups_before);
		assert_eq!(crate::Proposals::<Test>::iter().count(), 1);
		// Three groups read, eight member gateways written, the version read and written.
		let db: frame_support::weights::RuntimeDbWeight =
			<Test as frame_system::Config>::DbWeight::get();
		assert_eq!(weight, db.reads_writes(3, 8).saturating_add(db.reads_writes(1, 1)));
		// A second run finds version 1 and does nothing (not even rebuild an emptied index).
		let _ = crate::GroupsOf::<Test>::clear(u32::MAX, None);
		assert_eq!(v1::MigrateV0ToV1::<Test>::on_runtime_upgrade(), db.reads(1));
		assert_eq!(Groups::groups_of(&gateway(B, 1)), Vec::<u32>::new());
		<v1::IndexGateways<Test> as UncheckedOnRuntimeUpgrade>::on_runtime_upgrade();
	});
}

#[test]
fn attack_one_key_from_two_transcripts_stays_pending() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(Groups::create_group(council(), three(), 2));
		// A member sent C other round-1 commitments than A and B, with the same constant
		// term: all three end with key [7; 32], C from another transcript. The shares do not
		// fit together, and the chain sees it: the key stays pending.
		assert_ok!(Groups::confirm_key(signed(gateway(A, 1)), 0, 1, [7; 32], [1; 32]));
		assert_ok!(Groups::confirm_key(signed(gateway(B, 1)), 0, 1, [7; 32], [1; 32]));
		assert_ok!(Groups::confirm_key(signed(gateway(C, 1)), 0, 1, [7; 32], [2; 32]));
		System::assert_last_event(
			Event::KeyConfirmed {
				group: 0,
				epoch: 1,
				gateway: gateway(C, 1),
				key: [7; 32],
				transcript: [2; 32],
			}
			.into(),
		);
		assert_eq!(<Groups as GatewayGroups<u64>>::active_key(0), None);
		let info = Groups::group_info(0).unwrap();
		let transcripts: Vec<_> = info.members.iter().map(|m| m.transcript).collect();
		assert_eq!(transcripts, vec![Some([1; 32]), Some([1; 32]), Some([2; 32])]);
		// Once every member's generation ends from the same transcript, the key is active.
		assert_ok!(Groups::confirm_key(signed(gateway(C, 1)), 0, 1, [7; 32], [1; 32]));
		assert!(<Groups as GatewayGroups<u64>>::active_key(0).is_some());
	});
}

#[test]
fn the_v2_migration_drops_untranscribed_confirmations_and_keeps_active_keys() {
	use crate::migrations::v2;
	use codec::Encode;
	use frame_support::traits::{GetStorageVersion, OnRuntimeUpgrade, StorageVersion};
	ExtBuilder.build_and_execute(|| {
		active_group();
		assert_ok!(Groups::create_group(council(), three(), 3));
		let members = crate::Groups::<Test>::get(1).unwrap().members;
		// What version 1 stored for group 1: two confirmations without transcripts.
		let old = v2::GroupV1::<u64, <Test as crate::Config>::MaxMembers> {
			members: members.clone(),
			threshold: 3,
			epoch: 1,
			key: v2::KeyStatusV1::Pending(
				vec![(gateway(A, 1), [5; 32]), (gateway(B, 1), [5; 32])].try_into().unwrap(),
			),
		};
		frame_support::storage::unhashed::put_raw(
			&crate::Groups::<Test>::hashed_key_for(1),
			&old.encode(),
		);
		let active = v2::GroupV1::<u64, <Test as crate::Config>::MaxMembers> {
			members: crate::Groups::<Test>::get(0).unwrap().members,
			threshold: 2,
			epoch: 1,
			key: v2::KeyStatusV1::Active([7; 32]),
		};
		frame_support::storage::unhashed::put_raw(
			&crate::Groups::<Test>::hashed_key_for(0),
			&active.encode(),
		);
		StorageVersion::new(1).put::<Groups>();
		let before = v2::pre_check::<Test>().unwrap();
		v2::MigrateV1ToV2::<Test>::on_runtime_upgrade();
		v2::post_check::<Test>(before).unwrap();
		assert_eq!(Groups::on_chain_storage_version(), 2);
		assert_eq!(
			crate::Groups::<Test>::get(1).unwrap().key,
			KeyStatus::Pending(Default::default())
		);
		assert_eq!(<Groups as GatewayGroups<u64>>::active_key(0).map(|k| k.key), Some([7; 32]));
	});
}

#[test]
fn attack_a_member_that_left_keeps_no_group_anchoring_until_the_council_changes_it() {
	ExtBuilder.build_and_execute(|| {
		active_group();
		let key = |who| <Groups as GatewayGroups<u64>>::anchoring_key(0, &who);
		assert!(key(gateway(A, 1)).is_ok());
		// Before it leaves, C's gateway opens a proposal.
		assert_ok!(Groups::approve(signed(gateway(C, 1)), 0, remark(b"y")));
		// The council removes C; C's gateway is still listed in group 0.
		leave(C);
		for m in [A, B, C] {
			assert_eq!(key(gateway(m, 1)), Err(GroupRefusal::MemberLeft));
		}
		assert_eq!(
			Groups::departed(&crate::Groups::<Test>::get(0).unwrap().members)
				.map(|m| m.member)
				.collect::<Vec<_>>(),
			vec![C]
		);
		// C's gateway approves nothing for the group any more; the others still may.
		assert_noop!(
			Groups::approve(signed(gateway(C, 1)), 0, remark(b"x")),
			Error::<Test>::NotConsortiumMember
		);
		assert_ok!(Groups::approve(signed(gateway(A, 1)), 0, remark(b"x")));
		// C's approval from before no longer counts: with A's, the proposal stays open short of
		// the threshold of 2; B's carries it.
		let y = hash_of(&remark(b"y"));
		assert_ok!(Groups::approve(signed(gateway(A, 1)), 0, remark(b"y")));
		assert!(crate::Proposals::<Test>::contains_key(0, y));
		assert_ok!(Groups::approve(signed(gateway(B, 1)), 0, remark(b"y")));
		assert!(!crate::Proposals::<Test>::contains_key(0, y));
		// The council cannot keep C in, and changes the group without it: a new epoch, whose key
		// the remaining members make; then the group anchors again.
		assert_noop!(
			Groups::change_group(council(), 0, three(), 2),
			Error::<Test>::NotConsortiumMember
		);
		let two = members(&[(A, gateway(A, 1)), (B, gateway(B, 1))]);
		assert_ok!(Groups::change_group(council(), 0, two, 2));
		for m in [A, B] {
			assert_ok!(Groups::confirm_key(signed(gateway(m, 1)), 0, 2, [8; 32], [2; 32]));
		}
		assert_eq!(key(gateway(A, 1)).map(|(k, _)| k.key), Ok([8; 32]));
		assert_eq!(key(gateway(C, 1)), Err(GroupRefusal::NotMember));
	});
}

#[test]
fn dissolving_a_group_releases_its_consents_so_no_owner_binds_to_it() {
	ExtBuilder.build_and_execute(|| {
		active_group();
		let account = Groups::account_of(0);
		for owner in [A, B, C, STRANGER] {
			serve(account, owner);
		}
		// More owners than one call releases (3 in this mock): nothing changes.
		assert_noop!(Groups::dissolve_group(council(), 0), Error::<Test>::ServesTooMany);
		assert_eq!(served_by(account), 4);
		// The group's members stop serving one (here, straight in the mock's registry).
		assert_ok!(<Consents as GatewayConsents<u64>>::stop_serving_all(&account, 4));
		for owner in [A, B, C] {
			serve(account, owner);
		}
		assert_ok!(Groups::dissolve_group(council(), 0));
		assert_eq!(served_by(account), 0);
		// Another group's consents are not touched.
		assert_ok!(Groups::create_group(council(), three(), 2));
		serve(Groups::account_of(1), A);
		assert_eq!(served_by(Groups::account_of(1)), 1);
	});
}
