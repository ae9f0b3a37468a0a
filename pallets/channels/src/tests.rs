//! Unit tests of the channels pallet: every call's success and each error it returns, and the
//! rules that protect members from one another tried as the attack (a removed member or an
//! expired auditor kept among a new key's recipients, an auditor writing).

use crate::{
	mock::*, Access, ChannelEpoch, ChannelId, Config, Error, Event, HoldReason, NextChannelId,
	Role, SealedEpochKey, SealedKey, SealedKeysOf,
};
use frame_support::BoundedVec;
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold};
use sp_runtime::DispatchError;

/// A stand-in for an epoch key sealed to someone: the chain never opens it.
fn sealed(n: u8) -> SealedKey {
	SealedKey { enc: [n; 32], ciphertext: [n; 48] }
}

fn keys(to: &[u64]) -> SealedKeysOf<Test> {
	to.iter().map(|w| (*w, sealed(*w as u8))).collect::<Vec<_>>().try_into().unwrap()
}

fn members(m: &[(u64, Role)]) -> BoundedVec<(u64, Role), MaxMembersOf> {
	m.to_vec().try_into().unwrap()
}

type MaxMembersOf = <Test as Config>::MaxMembers;

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&HoldReason::ChannelDeposit.into(), &who)
}

fn events() -> Vec<Event<Test>> {
	System::events()
		.into_iter()
		.filter_map(|r| match r.event {
			RuntimeEvent::Channels(e) => Some(e),
			_ => None,
		})
		.collect()
}

fn register(who: &[u64]) {
	for w in who {
		assert_ok!(Channels::set_encryption_key(RuntimeOrigin::signed(*w), [*w as u8; 32]));
	}
}

/// Channel 0: owner A, B a writer, C a reader, epoch 1; everyone but STRANGER has a key.
fn channel_abc() {
	register(&[A, B, C, D, AUDITOR]);
	assert_ok!(Channels::create_channel(
		RuntimeOrigin::signed(A),
		members(&[(B, Role::Writer), (C, Role::Reader)]),
		Some(100),
	));
	assert_ok!(Channels::rotate_key(RuntimeOrigin::signed(A), 0, [1; 32], keys(&[A, B, C])));
}

/// [`channel_abc`], then AUDITOR granted blocks 1 to `until` and epoch 2 sealed to it too.
fn channel_abc_audited_until(until: frame_system::pallet_prelude::BlockNumberFor<Test>) {
	channel_abc();
	assert_ok!(Channels::grant_auditor(RuntimeOrigin::signed(A), 0, AUDITOR, 1, until));
	assert_ok!(Channels::rotate_key(
		RuntimeOrigin::signed(B),
		0,
		[2; 32],
		keys(&[A, B, C, AUDITOR])
	));
}

fn epoch_of(channel: ChannelId) -> ChannelEpoch {
	crate::Channels::<Test>::get(channel).unwrap().epoch
}

#[test]
fn encryption_keys_hold_one_deposit_and_may_be_replaced() {
	ExtBuilder.build_and_execute(|| {
		assert_ok!(Channels::set_encryption_key(RuntimeOrigin::signed(A), [1; 32]));
		assert_eq!(held(A), KEY_DEPOSIT);
		assert_ok!(Channels::set_encryption_key(RuntimeOrigin::signed(A), [2; 32]));
		assert_eq!(held(A), KEY_DEPOSIT);
		assert_eq!(Channels::encryption_key(&A), Some([2; 32]));
		assert_eq!(events().last(), Some(&Event::EncryptionKeySet { who: A, key: [2; 32] }));
		assert_noop!(
			Channels::set_encryption_key(RuntimeOrigin::signed(B), [0; 32]),
			Error::<Test>::InvalidEncryptionKey
		);
		// The attack: a member registers a small-order key, on which every new epoch's sealing
		// would fail, blocking the channel's rotations.
		let small = curve25519_dalek::constants::EIGHT_TORSION[1].to_montgomery().to_bytes();
		assert_noop!(
			Channels::set_encryption_key(RuntimeOrigin::signed(B), small),
			Error::<Test>::InvalidEncryptionKey
		);
	});
}

#[test]
fn a_channels_first_epoch_is_stored_and_paid_for() {
	ExtBuilder.build_and_execute(|| {
		channel_abc();
		let record = crate::Channels::<Test>::get(0).unwrap();
		assert_eq!(record.owner, A);
		assert_eq!(record.epoch, 1);
		assert_eq!(record.retention, Some(100));
		assert_eq!(NextChannelId::<Test>::get(), 1);
		// The owner: key, channel, three slots, the epoch and three sealed keys.
		assert_eq!(
			held(A),
			KEY_DEPOSIT + CHANNEL_DEPOSIT + 3 * MEMBER_DEPOSIT + EPOCH_DEPOSIT + 3 * SEALED_DEPOSIT
		);
		let b = Channels::sealed_key(0, 1, &B).unwrap();
		assert_eq!(b, SealedEpochKey { to_key: [B as u8; 32], sealed: sealed(B as u8) });
		assert_eq!(Channels::access(0, &A), Access::Member(Role::Writer));
		assert_eq!(Channels::access(0, &C), Access::Member(Role::Reader));
		assert_eq!(Channels::access(0, &D), Access::None);
		assert_eq!(
			events()[5..],
			[
				Event::ChannelCreated { channel: 0, owner: A },
				Event::MemberAdded { channel: 0, member: B, role: Role::Writer },
				Event::MemberAdded { channel: 0, member: C, role: Role::Reader },
				Event::EpochStarted { channel: 0, epoch: 1, key_id: [1; 32], by: A, recipients: 3 },
			]
		);
		let info = Channels::channel_info(0).unwrap();
		assert!(!info.rekey_due);
		assert!(info.deliveries_due.is_empty());
		assert_eq!(info.key_id, [1; 32]);
	});
}

#[test]
fn a_new_channel_has_no_key_until_its_first_epoch() {
	ExtBuilder.build_and_execute(|| {
		register(&[A, B]);
		assert_ok!(Channels::create_channel(
			RuntimeOrigin::signed(A),
			members(&[(B, Role::Reader)]),
			None
		));
		assert_eq!(epoch_of(0), 0);
		assert_eq!(held(A), KEY_DEPOSIT + CHANNEL_DEPOSIT + 2 * MEMBER_DEPOSIT);
		let info = Channels::channel_info(0).unwrap();
		assert_eq!(info.deliveries_due, vec![A, B]);
		assert!(!info.rekey_due);
		// The first key, like any, goes to exactly the members.
		assert_noop!(
			Channels::rotate_key(RuntimeOrigin::signed(A), 0, [1; 32], keys(&[A])),
			Error::<Test>::MissingKey
		);
		assert_noop!(
			Channels::rotate_key(RuntimeOrigin::signed(A), 0, [1; 32], keys(&[A, B, STRANGER])),
			Error::<Test>::UnexpectedRecipient
		);
		assert_noop!(
			Channels::rotate_key(RuntimeOrigin::signed(A), 0, [1; 32], keys(&[A, B, B])),
			Error::<Test>::DuplicateAccount
		);
		assert_ok!(Channels::rotate_key(RuntimeOrigin::signed(A), 0, [1; 32], keys(&[A, B])));
		assert_eq!(epoch_of(0), 1);
	});
}

#[test]
fn creating_a_channel_checks_its_members() {
	ExtBuilder.build_and_execute(|| {
		register(&[A, B, C, D, STRANGER]);
		let create = |who: u64, m: &[(u64, Role)]| {
			Channels::create_channel(RuntimeOrigin::signed(who), members(m), None)
		};
		assert_noop!(create(STRANGER, &[]), Error::<Test>::NotConsortiumMember);
		assert_noop!(create(A, &[(STRANGER, Role::Reader)]), Error::<Test>::NotConsortiumMember);
		assert_noop!(create(A, &[(A, Role::Reader)]), Error::<Test>::AlreadyMember);
		assert_noop!(
			create(A, &[(B, Role::Reader), (B, Role::Writer)]),
			Error::<Test>::AlreadyMember
		);
		assert_noop!(
			create(A, &[(B, Role::Reader), (C, Role::Reader), (D, Role::Reader)]),
			Error::<Test>::TooManyMembers
		);
	});
}

#[test]
fn a_member_without_an_encryption_key_cannot_join() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Channels::create_channel(RuntimeOrigin::signed(A), members(&[]), None),
			Error::<Test>::NoEncryptionKey
		);
		register(&[A]);
		assert_noop!(
			Channels::create_channel(RuntimeOrigin::signed(A), members(&[(B, Role::Reader)]), None),
			Error::<Test>::NoEncryptionKey
		);
	});
}

#[test]
fn a_removed_member_holds_no_key_of_later_epochs() {
	ExtBuilder.build_and_execute(|| {
		channel_abc();
		System::set_block_number(5);
		// The attack: the owner removes B but seals the new key to B as well.
		assert_noop!(
			Channels::change_members(
				RuntimeOrigin::signed(A),
				0,
				members(&[]),
				vec![B].try_into().unwrap(),
				[2; 32],
				keys(&[A, B, C])
			),
			Error::<Test>::UnexpectedRecipient
		);
		assert_ok!(Channels::change_members(
			RuntimeOrigin::signed(A),
			0,
			members(&[(D, Role::Reader)]),
			vec![B].try_into().unwrap(),
			[2; 32],
			keys(&[A, C, D])
		));
		assert_eq!(epoch_of(0), 2);
		assert!(Channels::sealed_key(0, 1, &B).is_some());
		assert!(Channels::sealed_key(0, 2, &B).is_none());
		assert!(Channels::sealed_key(0, 2, &D).is_some());
		assert_eq!(Channels::access(0, &B), Access::None);
		assert_eq!(Channels::epoch_info(0, 1).unwrap().ended, Some(5));
		assert_eq!(Channels::epoch_info(0, 2).unwrap().started, 5);
		let tail = events();
		assert_eq!(
			tail[tail.len() - 3..],
			[
				Event::MemberRemoved { channel: 0, member: B },
				Event::MemberAdded { channel: 0, member: D, role: Role::Reader },
				Event::EpochStarted { channel: 0, epoch: 2, key_id: [2; 32], by: A, recipients: 3 },
			]
		);
		// B's slot went, D's came: the owner holds the same for slots, plus epoch 2.
		assert_eq!(
			held(A),
			KEY_DEPOSIT
				+ CHANNEL_DEPOSIT
				+ 3 * MEMBER_DEPOSIT
				+ 2 * EPOCH_DEPOSIT
				+ 6 * SEALED_DEPOSIT
		);
	});
}

#[test]
fn changing_members_checks_who_and_what() {
	ExtBuilder.build_and_execute(|| {
		channel_abc();
		let change = |who: u64, add: &[(u64, Role)], remove: &[u64], id: u8, to: &[u64]| {
			Channels::change_members(
				RuntimeOrigin::signed(who),
				0,
				members(add),
				remove.to_vec().try_into().unwrap(),
				[id; 32],
				keys(to),
			)
		};
		assert_noop!(change(B, &[], &[C], 2, &[A, B]), Error::<Test>::NotOwner);
		assert_noop!(change(A, &[], &[A], 2, &[B, C]), Error::<Test>::OwnerCannotLeave);
		assert_noop!(change(A, &[], &[D], 2, &[A, B, C]), Error::<Test>::NotMember);
		assert_noop!(change(A, &[], &[C, C], 2, &[A, B]), Error::<Test>::DuplicateAccount);
		assert_noop!(
			change(A, &[(B, Role::Reader)], &[], 2, &[A, B, C]),
			Error::<Test>::AlreadyMember
		);
		assert_noop!(
			Channels::change_members(
				RuntimeOrigin::signed(A),
				7,
				members(&[]),
				Default::default(),
				[2; 32],
				keys(&[A])
			),
			Error::<Test>::UnknownChannel
		);
		assert_noop!(
			change(A, &[(AUDITOR, Role::Reader)], &[], 2, &[A, B, C]),
			Error::<Test>::NotConsortiumMember
		);
		// A consortium member who audits the channel is not also its member.
		assert_ok!(Channels::grant_auditor(RuntimeOrigin::signed(A), 0, D, 10, 20));
		assert_noop!(
			change(A, &[(D, Role::Reader)], &[], 2, &[A, B, C, D]),
			Error::<Test>::AlreadyAuditor
		);
		// A role changes by removing and adding in one call; the council may change any channel.
		assert_ok!(Channels::change_members(
			RuntimeOrigin::signed(COUNCIL),
			0,
			members(&[(C, Role::Writer)]),
			vec![C].try_into().unwrap(),
			[2; 32],
			keys(&[A, B, C]),
		));
		assert_eq!(Channels::access(0, &C), Access::Member(Role::Writer));
		// The owner pays for the council's change.
		assert_eq!(Channels::epoch_info(0, 2).unwrap().by, A);
		// A departed owner changes nothing; the council still does.
		leave(A);
		assert_noop!(change(A, &[], &[C], 3, &[B, C]), Error::<Test>::NotConsortiumMember);
	});
}

#[test]
fn only_writers_rotate_and_deliver() {
	ExtBuilder.build_and_execute(|| {
		channel_abc();
		assert_ok!(Channels::grant_auditor(RuntimeOrigin::signed(A), 0, AUDITOR, 1, 20));
		for who in [C, AUDITOR, STRANGER, D] {
			assert_noop!(
				Channels::rotate_key(
					RuntimeOrigin::signed(who),
					0,
					[2; 32],
					keys(&[A, B, C, AUDITOR])
				),
				Error::<Test>::NotWriter
			);
			assert_noop!(
				Channels::deliver_keys(
					RuntimeOrigin::signed(who),
					0,
					AUDITOR,
					vec![(1, sealed(7))].try_into().unwrap()
				),
				Error::<Test>::NotWriter
			);
		}
		// B, a writer, rotates and pays for it; the active auditor must receive the new key.
		assert_noop!(
			Channels::rotate_key(RuntimeOrigin::signed(B), 0, [2; 32], keys(&[A, B, C])),
			Error::<Test>::MissingKey
		);
		assert_ok!(Channels::rotate_key(
			RuntimeOrigin::signed(B),
			0,
			[2; 32],
			keys(&[A, B, C, AUDITOR])
		));
		assert_eq!(held(B), KEY_DEPOSIT + EPOCH_DEPOSIT + 4 * SEALED_DEPOSIT);
		let tail = events();
		assert_eq!(
			tail[tail.len() - 2..],
			[
				Event::EpochStarted { channel: 0, epoch: 2, key_id: [2; 32], by: B, recipients: 4 },
				Event::EpochKeyDelivered { channel: 0, epoch: 2, to: AUDITOR },
			]
		);
		// A writer who left the consortium writes nothing, and gets no new key.
		leave(B);
		assert_noop!(
			Channels::rotate_key(RuntimeOrigin::signed(B), 0, [3; 32], keys(&[A, C, AUDITOR])),
			Error::<Test>::NotWriter
		);
		assert_eq!(Channels::access(0, &B), Access::None);
		assert!(Channels::channel_info(0).unwrap().rekey_due);
		assert_noop!(
			Channels::rotate_key(RuntimeOrigin::signed(A), 0, [3; 32], keys(&[A, B, C, AUDITOR])),
			Error::<Test>::UnexpectedRecipient
		);
		assert_ok!(Channels::rotate_key(
			RuntimeOrigin::signed(A),
			0,
			[3; 32],
			keys(&[A, C, AUDITOR])
		));
		assert!(!Channels::channel_info(0).unwrap().rekey_due);
		// Back in the consortium, B is due the current key, which a writer delivers.
		rejoin(B);
		assert_eq!(Channels::channel_info(0).unwrap().deliveries_due, vec![B]);
		assert_ok!(Channels::deliver_keys(
			RuntimeOrigin::signed(A),
			0,
			B,
			vec![(3, sealed(2))].try_into().unwrap()
		));
		assert!(Channels::channel_info(0).unwrap().deliveries_due.is_empty());
	});
}

#[test]
fn an_auditor_reads_its_window_and_nothing_after() {
	ExtBuilder.build_and_execute(|| {
		channel_abc();
		System::set_block_number(10);
		assert_ok!(Channels::rotate_key(RuntimeOrigin::signed(A), 0, [2; 32], keys(&[A, B, C])));
		System::set_block_number(20);
		assert_ok!(Channels::rotate_key(RuntimeOrigin::signed(A), 0, [3; 32], keys(&[A, B, C])));
		// Epochs: 1 in [1, 10], 2 in [10, 20], 3 from 20. The auditor may see [12, 30].
		assert_ok!(Channels::grant_auditor(RuntimeOrigin::signed(COUNCIL), 0, AUDITOR, 12, 30));
		assert_eq!(
			events().last(),
			Some(&Event::AuditorGranted { channel: 0, auditor: AUDITOR, from: 12, until: 30 })
		);
		assert_eq!(Channels::access(0, &AUDITOR), Access::Auditor { from: 12, until: 30 });
		assert_eq!(Channels::channel_info(0).unwrap().deliveries_due, vec![AUDITOR]);
		assert_noop!(
			Channels::deliver_keys(
				RuntimeOrigin::signed(B),
				0,
				AUDITOR,
				vec![(1, sealed(7))].try_into().unwrap()
			),
			Error::<Test>::EpochOutsideGrant
		);
		assert_noop!(
			Channels::deliver_keys(
				RuntimeOrigin::signed(B),
				0,
				AUDITOR,
				vec![(4, sealed(7))].try_into().unwrap()
			),
			Error::<Test>::UnknownEpoch
		);
		assert_noop!(
			Channels::deliver_keys(
				RuntimeOrigin::signed(B),
				0,
				AUDITOR,
				vec![(2, sealed(7)), (2, sealed(7))].try_into().unwrap()
			),
			Error::<Test>::AlreadyDelivered
		);
		assert_ok!(Channels::deliver_keys(
			RuntimeOrigin::signed(B),
			0,
			AUDITOR,
			vec![(2, sealed(7)), (3, sealed(7))].try_into().unwrap()
		));
		assert_eq!(held(B), KEY_DEPOSIT + 2 * SEALED_DEPOSIT);
		let tail = events();
		assert_eq!(
			tail[tail.len() - 2..],
			[
				Event::EpochKeyDelivered { channel: 0, epoch: 2, to: AUDITOR },
				Event::EpochKeyDelivered { channel: 0, epoch: 3, to: AUDITOR },
			]
		);
		assert_noop!(
			Channels::deliver_keys(
				RuntimeOrigin::signed(B),
				0,
				AUDITOR,
				vec![(3, sealed(7))].try_into().unwrap()
			),
			Error::<Test>::AlreadyDelivered
		);
		assert!(Channels::channel_info(0).unwrap().auditors[0].holds_current_key);
		// After its window, the auditor reads nothing: writers must start a new epoch without it.
		System::set_block_number(31);
		assert_eq!(Channels::access(0, &AUDITOR), Access::None);
		assert!(Channels::channel_info(0).unwrap().rekey_due);
		assert_noop!(
			Channels::rotate_key(RuntimeOrigin::signed(A), 0, [4; 32], keys(&[A, B, C, AUDITOR])),
			Error::<Test>::UnexpectedRecipient
		);
		assert_noop!(
			Channels::deliver_keys(
				RuntimeOrigin::signed(B),
				0,
				AUDITOR,
				vec![(2, sealed(7))].try_into().unwrap()
			),
			Error::<Test>::NotEntitled
		);
		assert_ok!(Channels::rotate_key(RuntimeOrigin::signed(A), 0, [4; 32], keys(&[A, B, C])));
		assert!(!Channels::channel_info(0).unwrap().rekey_due);
		assert!(Channels::sealed_key(0, 4, &AUDITOR).is_none());
	});
}

#[test]
fn grants_check_their_window_and_auditor() {
	ExtBuilder.build_and_execute(|| {
		channel_abc();
		System::set_block_number(10);
		let grant = |who: u64, auditor: u64, from: u64, until: u64| {
			Channels::grant_auditor(RuntimeOrigin::signed(who), 0, auditor, from, until)
		};
		assert_noop!(grant(B, AUDITOR, 10, 20), Error::<Test>::NotOwner);
		assert_noop!(grant(A, AUDITOR, 20, 19), Error::<Test>::InvalidWindow);
		assert_noop!(grant(A, AUDITOR, 1, 9), Error::<Test>::InvalidWindow);
		assert_noop!(grant(A, B, 10, 20), Error::<Test>::AlreadyMember);
		assert_noop!(grant(A, STRANGER, 10, 20), Error::<Test>::NoEncryptionKey);
		assert_ok!(grant(A, AUDITOR, 10, 20));
		assert_eq!(
			held(A),
			KEY_DEPOSIT + CHANNEL_DEPOSIT + 4 * MEMBER_DEPOSIT + EPOCH_DEPOSIT + 3 * SEALED_DEPOSIT
		);
		assert_noop!(grant(A, AUDITOR, 10, 20), Error::<Test>::AlreadyAuditor);
		assert_ok!(grant(A, D, 30, 40));
		register(&[8]);
		assert_noop!(grant(A, 8, 10, 20), Error::<Test>::TooManyAuditors);
		// A grant that has not begun gives no access.
		assert_eq!(Channels::access(0, &D), Access::None);
		assert_noop!(
			Channels::revoke_auditor(RuntimeOrigin::signed(A), 0, 8),
			Error::<Test>::NotAuditor
		);
		assert_noop!(
			Channels::revoke_auditor(RuntimeOrigin::signed(B), 0, AUDITOR),
			Error::<Test>::NotOwner
		);
		assert_ok!(Channels::revoke_auditor(RuntimeOrigin::signed(COUNCIL), 0, AUDITOR));
		assert_eq!(events().last(), Some(&Event::AuditorRevoked { channel: 0, auditor: AUDITOR }));
		assert_eq!(Channels::access(0, &AUDITOR), Access::None);
		assert_eq!(
			held(A),
			KEY_DEPOSIT + CHANNEL_DEPOSIT + 4 * MEMBER_DEPOSIT + EPOCH_DEPOSIT + 3 * SEALED_DEPOSIT
		);
	});
}

#[test]
fn retention_is_the_owners_to_set() {
	ExtBuilder.build_and_execute(|| {
		channel_abc();
		assert_noop!(
			Channels::set_retention(RuntimeOrigin::signed(B), 0, None),
			Error::<Test>::NotOwner
		);
		assert_ok!(Channels::set_retention(RuntimeOrigin::signed(A), 0, Some(7)));
		assert_eq!(Channels::channel_info(0).unwrap().retention, Some(7));
		assert_eq!(events().last(), Some(&Event::RetentionSet { channel: 0, retention: Some(7) }));
		assert_noop!(
			Channels::set_retention(RuntimeOrigin::signed(A), 3, None),
			Error::<Test>::UnknownChannel
		);
	});
}

#[test]
fn a_closed_channel_is_reaped_and_every_deposit_returns() {
	ExtBuilder.build_and_execute(|| {
		channel_abc_audited_until(50);
		assert_noop!(
			Channels::reap_channel(RuntimeOrigin::signed(STRANGER), 0, 10),
			Error::<Test>::ChannelNotClosed
		);
		assert_noop!(Channels::close_channel(RuntimeOrigin::signed(B), 0), Error::<Test>::NotOwner);
		assert_ok!(Channels::close_channel(RuntimeOrigin::signed(A), 0));
		assert_eq!(events().last(), Some(&Event::ChannelClosed { channel: 0 }));
		assert_eq!(Channels::access(0, &A), Access::None);
		assert_eq!(Channels::access(0, &AUDITOR), Access::None);
		assert_noop!(
			Channels::rotate_key(RuntimeOrigin::signed(A), 0, [3; 32], keys(&[A, B, C])),
			Error::<Test>::ChannelClosed
		);
		assert_noop!(
			Channels::set_retention(RuntimeOrigin::signed(A), 0, None),
			Error::<Test>::ChannelClosed
		);
		// 7 sealed keys and 2 epochs: anyone removes them, 5 at a time.
		assert_ok!(Channels::reap_channel(RuntimeOrigin::signed(STRANGER), 0, 5));
		assert_eq!(
			events().last(),
			Some(&Event::ChannelReaped { channel: 0, removed: 5, done: false })
		);
		assert_ok!(Channels::reap_channel(RuntimeOrigin::signed(STRANGER), 0, 5));
		assert_eq!(
			events().last(),
			Some(&Event::ChannelReaped { channel: 0, removed: 4, done: true })
		);
		assert!(crate::Channels::<Test>::get(0).is_none());
		assert_eq!(held(A), KEY_DEPOSIT);
		assert_eq!(held(B), KEY_DEPOSIT);
		assert_noop!(
			Channels::reap_channel(RuntimeOrigin::signed(STRANGER), 0, 5),
			Error::<Test>::UnknownChannel
		);
	});
}

#[test]
fn unsigned_callers_are_refused() {
	ExtBuilder.build_and_execute(|| {
		channel_abc();
		assert_noop!(Channels::close_channel(RuntimeOrigin::none(), 0), DispatchError::BadOrigin);
		assert_noop!(
			Channels::set_encryption_key(RuntimeOrigin::none(), [1; 32]),
			DispatchError::BadOrigin
		);
	});
}

#[test]
fn a_writer_puts_its_device_in_a_channel_and_takes_it_out() {
	ExtBuilder.build_and_execute(|| {
		channel_abc();
		let mine = add_device(1, B);
		let readers = add_device(2, C);
		let set = |who: u64, device, channel| {
			Channels::set_device_channel(RuntimeOrigin::signed(who), device, channel)
		};
		assert_noop!(set(B, device(9), Some(0)), Error::<Test>::UnknownDevice);
		// The attack: a writer puts someone else's device in its channel.
		assert_noop!(set(A, mine, Some(0)), Error::<Test>::NotDeviceOwner);
		// A reader's device cannot be put in: only writers write.
		assert_noop!(set(C, readers, Some(0)), Error::<Test>::NotWriter);
		assert_noop!(set(B, mine, Some(5)), Error::<Test>::UnknownChannel);
		assert_noop!(set(B, mine, None), Error::<Test>::DeviceInNoChannel);
		// The attack: a provider hides the device its consumer's SLA watches.
		let watched = add_device(66, B);
		assert_noop!(set(B, watched, Some(0)), Error::<Test>::DeviceUnderSla);
		assert_ok!(set(B, mine, Some(0)));
		assert_eq!(Channels::device_channel(&mine), Some(0));
		assert_eq!(held(B), KEY_DEPOSIT + DEVICE_DEPOSIT);
		assert_eq!(
			events().last(),
			Some(&Event::DeviceChannelSet { device: mine, channel: Some(0) })
		);
		assert_ok!(set(B, mine, None));
		assert_eq!(Channels::device_channel(&mine), None);
		assert_eq!(held(B), KEY_DEPOSIT);
	});
}

#[test]
fn a_removed_or_reaped_device_leaves_its_channel() {
	ExtBuilder.build_and_execute(|| {
		use iotrust_primitives::device::OnDeviceRemoved;
		channel_abc();
		let one = add_device(1, B);
		let two = add_device(2, A);
		assert_ok!(Channels::set_device_channel(RuntimeOrigin::signed(B), one, Some(0)));
		assert_ok!(Channels::set_device_channel(RuntimeOrigin::signed(A), two, Some(0)));
		<Channels as OnDeviceRemoved>::on_device_removed(&one);
		assert_eq!(Channels::device_channel(&one), None);
		assert_eq!(held(B), KEY_DEPOSIT);
		assert_ok!(Channels::close_channel(RuntimeOrigin::signed(A), 0));
		assert_noop!(
			Channels::set_device_channel(RuntimeOrigin::signed(A), one, Some(0)),
			Error::<Test>::NotDeviceOwner
		);
		// Reaping takes the device out; its readings are public again.
		assert_ok!(Channels::reap_channel(RuntimeOrigin::signed(STRANGER), 0, 100));
		assert_eq!(Channels::device_channel(&two), None);
		assert_eq!(held(A), KEY_DEPOSIT);
	});
}

#[test]
fn a_writer_publishes_a_document_under_the_current_epoch_and_it_is_reaped_with_its_channel() {
	ExtBuilder.build_and_execute(|| {
		channel_abc();
		let publish = |who: u64, hash: [u8; 32], epoch, size| {
			Channels::publish_document(RuntimeOrigin::signed(who), 0, hash, epoch, size)
		};
		assert_ok!(publish(B, [9; 32], 1, 500));
		assert_eq!(held(B), KEY_DEPOSIT + DOCUMENT_DEPOSIT);
		assert_eq!(
			events().last(),
			Some(&Event::DocumentPublished {
				channel: 0,
				hash: [9; 32],
				epoch: 1,
				size: 500,
				by: B
			})
		);
		let info = Channels::document_info(0, &[9; 32]).unwrap();
		assert_eq!((info.epoch, info.size, info.by), (1, 500, B));
		assert_noop!(publish(A, [9; 32], 1, 500), Error::<Test>::DocumentExists);
		// A reader, an auditor, an outsider: not writers.
		assert_noop!(publish(C, [8; 32], 1, 500), Error::<Test>::NotWriter);
		assert_noop!(publish(STRANGER, [8; 32], 1, 500), Error::<Test>::NotWriter);
		assert_noop!(publish(A, [8; 32], 1, 0), Error::<Test>::BadDocumentSize);
		assert_noop!(publish(A, [8; 32], 1, 1_001), Error::<Test>::BadDocumentSize);
		assert_noop!(
			Channels::publish_document(RuntimeOrigin::signed(A), 7, [8; 32], 1, 5),
			Error::<Test>::UnknownChannel
		);
		// The attack: a writer seals a document under an old epoch's key, which a removed
		// member still holds.
		assert_ok!(Channels::change_members(
			RuntimeOrigin::signed(A),
			0,
			members(&[]),
			vec![C].try_into().unwrap(),
			[2; 32],
			keys(&[A, B]),
		));
		assert_noop!(publish(B, [8; 32], 1, 500), Error::<Test>::NotCurrentEpoch);
		assert_noop!(publish(B, [8; 32], 3, 500), Error::<Test>::NotCurrentEpoch);
		assert_ok!(publish(B, [8; 32], 2, 500));
		// Closed: nothing more; reaped with the rest, deposits back.
		assert_ok!(Channels::close_channel(RuntimeOrigin::signed(A), 0));
		assert_noop!(publish(B, [7; 32], 2, 5), Error::<Test>::ChannelClosed);
		assert_ok!(Channels::reap_channel(RuntimeOrigin::signed(STRANGER), 0, 100));
		assert_eq!(
			events().last().map(|e| matches!(e, Event::ChannelReaped { done: true, .. })),
			Some(true)
		);
		assert!(Channels::document_info(0, &[9; 32]).is_none());
		assert_eq!(held(B), KEY_DEPOSIT);
	});
}

#[test]
fn a_channel_without_a_key_takes_no_document() {
	ExtBuilder.build_and_execute(|| {
		register(&[A, B]);
		assert_ok!(Channels::create_channel(
			RuntimeOrigin::signed(A),
			members(&[(B, Role::Writer)]),
			None
		));
		assert_noop!(
			Channels::publish_document(RuntimeOrigin::signed(A), 0, [1; 32], 0, 5),
			Error::<Test>::NotCurrentEpoch
		);
	});
}

#[test]
fn attack_a_document_sealed_under_a_key_an_expired_auditor_still_holds_is_refused() {
	ExtBuilder.build_and_execute(|| {
		channel_abc_audited_until(50);
		System::set_block_number(51);
		assert_noop!(
			Channels::publish_document(RuntimeOrigin::signed(B), 0, [5; 32], 2, 10),
			Error::<Test>::RekeyDue
		);
		assert_ok!(Channels::rotate_key(RuntimeOrigin::signed(B), 0, [3; 32], keys(&[A, B, C])));
		assert_ok!(Channels::publish_document(RuntimeOrigin::signed(B), 0, [5; 32], 3, 10));
	});
}
