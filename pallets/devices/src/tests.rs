//! Unit tests: every call's success path and every error it returns.

use crate::{
	key_hash, mock::*, AttestationStatus, Attestations, DeviceMetadata, DeviceStatus,
	Devices as DeviceRecords, DevicesByOwner, Error, Event, FirmwareReleases, KeyHistory, KeyOwner,
	Manufacturers, ModelOf, PendingTransfers, RetiredKeys, ServedOwners, VersionOf,
};
use frame_support::{assert_noop, assert_ok, traits::fungible::InspectHold, BoundedVec};
use iotrust_primitives::{
	device::{
		firmware_payload, registration_payload, rotation_payload, DeviceId, DeviceRefusal,
		DeviceRegistry, DeviceSignature, KeyScheme, Signer,
	},
	keypair::DeviceKeypair,
};
use sp_core::H256;
use sp_runtime::{traits::BadOrigin, TokenError};

fn test_device(scheme: KeyScheme, seed: [u8; 32]) -> DeviceKeypair {
	DeviceKeypair::from_seed(scheme, seed).expect("test seeds are valid for every scheme")
}

const SCHEMES: [KeyScheme; 4] =
	[KeyScheme::Ed25519, KeyScheme::Sr25519, KeyScheme::Secp256k1, KeyScheme::P256];

fn metadata(model: &str) -> DeviceMetadata<Test> {
	DeviceMetadata {
		model: model.as_bytes().to_vec().try_into().unwrap(),
		serial_hash: H256([7; 32]),
		uri: b"https://example.com/d".to_vec().try_into().unwrap(),
	}
}

fn bounded<S: frame_support::traits::Get<u32>>(s: &str) -> BoundedVec<u8, S> {
	s.as_bytes().to_vec().try_into().unwrap()
}

fn model(s: &str) -> ModelOf<Test> {
	bounded(s)
}

fn version(s: &str) -> VersionOf<Test> {
	bounded(s)
}

fn genesis() -> H256 {
	Devices::genesis_hash()
}

/// Register `device` for `owner`, with a valid proof; returns its id.
fn register(owner: u64, device: &DeviceKeypair) -> DeviceId {
	let proof = device.sign(&registration_payload(&genesis(), &owner, &device.key));
	assert_ok!(Devices::register(RuntimeOrigin::signed(owner), device.key, metadata("T1"), proof));
	device.key.device_id()
}

/// `gateway` agrees to serve `owner`.
fn serve(gateway: u64, owner: u64) {
	assert_ok!(Devices::serve_owner(RuntimeOrigin::signed(gateway), owner));
}

fn held(who: u64) -> u64 {
	Balances::balance_on_hold(&crate::HoldReason::DeviceDeposit.into(), &who)
}

fn status(device: DeviceId) -> DeviceStatus {
	DeviceRecords::<Test>::get(device).unwrap().status
}

#[test]
fn register_works_for_every_scheme() {
	ExtBuilder.build_and_execute(|| {
		for (i, scheme) in SCHEMES.into_iter().enumerate() {
			let device = test_device(scheme, [i as u8; 32]);
			let id = register(ALICE, &device);
			System::assert_last_event(
				Event::DeviceRegistered { device: id, owner: ALICE, scheme }.into(),
			);
			let record = DeviceRecords::<Test>::get(id).unwrap();
			assert_eq!(record.owner, ALICE);
			assert_eq!(record.key, device.key);
			assert_eq!(record.status, DeviceStatus::Active);
			assert_eq!(record.deposit, DEPOSIT);
			assert_eq!(record.registered_at, 1);
			assert_eq!(KeyOwner::<Test>::get(key_hash(&device.key)), Some(id));
			assert!(DevicesByOwner::<Test>::contains_key(ALICE, id));
		}
		assert_eq!(held(ALICE), 4 * DEPOSIT);
	});
}

/// A call that checks a device signature is charged the dearest scheme (P-256) up front; one of
/// a cheaper scheme is refunded the difference, so a fleet of ed25519 devices does not pay P-256
/// prices, and a P-256 device pays in full.
#[test]
fn signature_checks_are_charged_for_the_scheme_used() {
	ExtBuilder.build_and_execute(|| {
		let p256 = <() as crate::WeightInfo>::verify_p256();
		// What a call does besides checking `n` P-256 signatures.
		let rest = |charged: frame_support::weights::Weight, n: u64| {
			charged.saturating_sub(p256.saturating_mul(n))
		};
		for (i, scheme) in SCHEMES.into_iter().enumerate() {
			let device = test_device(scheme, [i as u8 + 1; 32]);
			let proof = device.sign(&registration_payload(&genesis(), &ALICE, &device.key));
			let post =
				Devices::register(RuntimeOrigin::signed(ALICE), device.key, metadata("T1"), proof)
					.unwrap();
			let charged = <() as crate::WeightInfo>::register();
			let expected = rest(charged, 1) + Devices::verify_weight(scheme);
			assert_eq!(post.actual_weight, Some(expected), "{scheme:?}");
			if scheme != KeyScheme::P256 {
				assert!(expected.ref_time() < charged.ref_time(), "{scheme:?} is refunded");
			}

			// A rotation from this key to a P-256 one checks one signature of each.
			let next = test_device(KeyScheme::P256, [i as u8 + 50; 32]);
			let id = device.key.device_id();
			let payload = rotation_payload(&genesis(), &id, &next.key, 0);
			let post = Devices::rotate_key(
				RuntimeOrigin::signed(ALICE),
				id,
				next.key,
				device.sign(&payload),
				next.sign(&payload),
			)
			.unwrap();
			let charged = <() as crate::WeightInfo>::rotate_key();
			let expected = rest(charged, 2) + Devices::verify_weight(scheme) + p256;
			assert_eq!(post.actual_weight, Some(expected.min(charged)), "{scheme:?}");
		}

		// A refused proof keeps the whole charge: the signature was checked all the same.
		let device = test_device(KeyScheme::Ed25519, [99; 32]);
		let err = Devices::register(
			RuntimeOrigin::signed(ALICE),
			device.key,
			metadata("T1"),
			device.sign(b"something else"),
		)
		.unwrap_err();
		assert_eq!(err.post_info.actual_weight, None);
	});
}

#[test]
fn register_refuses_a_bad_proof() {
	ExtBuilder.build_and_execute(|| {
		for scheme in SCHEMES {
			let device = test_device(scheme, [1; 32]);
			let other = test_device(scheme, [2; 32]);
			// Signed by another key.
			let proof = other.sign(&registration_payload(&genesis(), &ALICE, &device.key));
			assert_noop!(
				Devices::register(RuntimeOrigin::signed(ALICE), device.key, metadata("T1"), proof),
				Error::<Test>::BadSignature
			);
			// Made for another owner: Bob cannot replay Alice's registration.
			let proof = device.sign(&registration_payload(&genesis(), &ALICE, &device.key));
			assert_noop!(
				Devices::register(RuntimeOrigin::signed(BOB), device.key, metadata("T1"), proof),
				Error::<Test>::BadSignature
			);
			// Made for another chain.
			let proof = device.sign(&registration_payload(&H256([9; 32]), &ALICE, &device.key));
			assert_noop!(
				Devices::register(RuntimeOrigin::signed(ALICE), device.key, metadata("T1"), proof),
				Error::<Test>::BadSignature
			);
		}
	});
}

#[test]
fn register_refuses_a_key_in_use_a_retired_key_and_a_pauper() {
	ExtBuilder.build_and_execute(|| {
		let device = test_device(KeyScheme::P256, [1; 32]);
		let id = register(ALICE, &device);
		let proof = device.sign(&registration_payload(&genesis(), &BOB, &device.key));
		assert_noop!(
			Devices::register(
				RuntimeOrigin::signed(BOB),
				device.key,
				metadata("T1"),
				proof.clone()
			),
			Error::<Test>::KeyInUse
		);
		assert_ok!(Devices::revoke(RuntimeOrigin::signed(ALICE), id));
		assert_ok!(Devices::remove(RuntimeOrigin::signed(ALICE), id));
		// Removed, but the key stays retired for good.
		assert_noop!(
			Devices::register(RuntimeOrigin::signed(BOB), device.key, metadata("T1"), proof),
			Error::<Test>::KeyRetired
		);

		let fresh = test_device(KeyScheme::Ed25519, [5; 32]);
		let proof = fresh.sign(&registration_payload(&genesis(), &PAUPER, &fresh.key));
		assert_noop!(
			Devices::register(RuntimeOrigin::signed(PAUPER), fresh.key, metadata("T1"), proof),
			TokenError::FundsUnavailable
		);
	});
}

#[test]
fn update_metadata_works_and_checks_the_owner() {
	ExtBuilder.build_and_execute(|| {
		let id = register(ALICE, &test_device(KeyScheme::Sr25519, [1; 32]));
		assert_ok!(Devices::update_metadata(RuntimeOrigin::signed(ALICE), id, metadata("T2")));
		assert_eq!(DeviceRecords::<Test>::get(id).unwrap().metadata, metadata("T2"));
		System::assert_last_event(Event::MetadataUpdated { device: id }.into());
		assert_noop!(
			Devices::update_metadata(RuntimeOrigin::signed(BOB), id, metadata("X")),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Devices::update_metadata(RuntimeOrigin::signed(ALICE), H256([0; 32]), metadata("X")),
			Error::<Test>::UnknownDevice
		);
		assert_ok!(Devices::revoke(RuntimeOrigin::signed(ALICE), id));
		assert_noop!(
			Devices::update_metadata(RuntimeOrigin::signed(ALICE), id, metadata("X")),
			Error::<Test>::DeviceRevoked
		);
	});
}

#[test]
fn gateways_bind_and_unbind() {
	ExtBuilder.build_and_execute(|| {
		let id = register(ALICE, &test_device(KeyScheme::Ed25519, [1; 32]));
		assert_noop!(
			Devices::unbind_gateway(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::NotBound
		);
		assert_noop!(
			Devices::bind_gateway(RuntimeOrigin::signed(BOB), id, GATEWAY),
			Error::<Test>::NotOwner
		);
		// The gateway has not agreed to serve Alice: it would pay to anchor her device.
		assert_noop!(
			Devices::bind_gateway(RuntimeOrigin::signed(ALICE), id, GATEWAY),
			Error::<Test>::GatewayNotServing
		);
		// Her own account serves her without asking.
		assert_ok!(Devices::bind_gateway(RuntimeOrigin::signed(ALICE), id, ALICE));
		serve(GATEWAY, ALICE);
		assert_ok!(Devices::bind_gateway(RuntimeOrigin::signed(ALICE), id, GATEWAY));
		System::assert_last_event(Event::GatewayBound { device: id, gateway: GATEWAY }.into());
		assert_eq!(<Devices as DeviceRegistry<u64>>::gateway_of(&id), Some(GATEWAY));
		assert_ok!(Devices::unbind_gateway(RuntimeOrigin::signed(ALICE), id));
		System::assert_last_event(Event::GatewayUnbound { device: id }.into());
		assert_eq!(<Devices as DeviceRegistry<u64>>::gateway_of(&id), None);
	});
}

/// What other pallets ask before taking what a device signed from a gateway: active and bound
/// to that gateway, with its owner and current key in the answer.
#[test]
fn a_devices_standing_is_judged_for_a_gateway() {
	ExtBuilder.build_and_execute(|| {
		let device = test_device(KeyScheme::Ed25519, [1; 32]);
		let id = register(ALICE, &device);
		let standing = |gateway: u64| <Devices as DeviceRegistry<u64>>::standing(&id, &gateway);
		assert_eq!(standing(GATEWAY), Err(DeviceRefusal::NotDeviceGateway), "bound to none");
		serve(GATEWAY, ALICE);
		assert_ok!(Devices::bind_gateway(RuntimeOrigin::signed(ALICE), id, GATEWAY));
		assert_eq!(standing(GATEWAY), Ok(Signer { owner: ALICE, key: device.key }));
		assert_eq!(standing(BOB), Err(DeviceRefusal::NotDeviceGateway), "another gateway");
		assert_ok!(Devices::suspend(RuntimeOrigin::signed(ALICE), id));
		assert_eq!(standing(GATEWAY), Err(DeviceRefusal::DeviceNotActive), "suspended");
		let unknown = H256::repeat_byte(9);
		assert_eq!(
			<Devices as DeviceRegistry<u64>>::standing(&unknown, &GATEWAY),
			Err(DeviceRefusal::DeviceNotActive),
			"unknown"
		);
	});
}

#[test]
fn suspend_and_resume() {
	ExtBuilder.build_and_execute(|| {
		let device = test_device(KeyScheme::P256, [1; 32]);
		let id = register(ALICE, &device);
		let sig = device.sign(b"reading");
		assert!(<Devices as DeviceRegistry<u64>>::verify(&id, b"reading", &sig));
		assert_noop!(
			Devices::resume(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::DeviceNotSuspended
		);
		assert_noop!(Devices::suspend(RuntimeOrigin::signed(BOB), id), Error::<Test>::NotOwner);
		assert_ok!(Devices::suspend(RuntimeOrigin::signed(ALICE), id));
		System::assert_last_event(Event::DeviceSuspended { device: id }.into());
		assert_eq!(status(id), DeviceStatus::Suspended);
		assert!(!<Devices as DeviceRegistry<u64>>::is_active(&id));
		assert!(!<Devices as DeviceRegistry<u64>>::verify(&id, b"reading", &sig));
		assert_noop!(
			Devices::suspend(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::DeviceNotActive
		);
		assert_ok!(Devices::resume(RuntimeOrigin::signed(ALICE), id));
		System::assert_last_event(Event::DeviceResumed { device: id }.into());
		assert!(<Devices as DeviceRegistry<u64>>::verify(&id, b"reading", &sig));
	});
}

#[test]
fn revoke_by_owner_retires_the_key_and_refuses_verification() {
	ExtBuilder.build_and_execute(|| {
		let device = test_device(KeyScheme::Sr25519, [1; 32]);
		let id = register(ALICE, &device);
		serve(GATEWAY, ALICE);
		assert_ok!(Devices::bind_gateway(RuntimeOrigin::signed(ALICE), id, GATEWAY));
		assert_ok!(Devices::offer_transfer(RuntimeOrigin::signed(ALICE), id, BOB));
		assert_noop!(Devices::revoke(RuntimeOrigin::signed(BOB), id), Error::<Test>::NotOwner);
		assert_ok!(Devices::revoke(RuntimeOrigin::signed(ALICE), id));
		System::assert_last_event(Event::DeviceRevoked { device: id }.into());
		assert_eq!(status(id), DeviceStatus::Revoked);
		assert!(RetiredKeys::<Test>::contains_key(key_hash(&device.key)));
		assert!(!KeyOwner::<Test>::contains_key(key_hash(&device.key)));
		assert!(!PendingTransfers::<Test>::contains_key(id));
		assert_eq!(<Devices as DeviceRegistry<u64>>::gateway_of(&id), None);
		assert!(!<Devices as DeviceRegistry<u64>>::verify(&id, b"x", &device.sign(b"x")));
		assert_noop!(
			Devices::revoke(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::DeviceRevoked
		);
	});
}

#[test]
fn the_council_revokes_any_device() {
	ExtBuilder.build_and_execute(|| {
		let id = register(ALICE, &test_device(KeyScheme::Secp256k1, [1; 32]));
		assert_ok!(Devices::revoke(RuntimeOrigin::root(), id));
		assert_eq!(status(id), DeviceStatus::Revoked);
		assert_noop!(
			Devices::revoke(RuntimeOrigin::root(), H256([0; 32])),
			Error::<Test>::UnknownDevice
		);
		assert_noop!(Devices::revoke(RuntimeOrigin::none(), id), BadOrigin);
	});
}

#[test]
fn remove_releases_the_deposit_of_a_revoked_device_only() {
	ExtBuilder.build_and_execute(|| {
		let id = register(ALICE, &test_device(KeyScheme::Ed25519, [1; 32]));
		assert_eq!(held(ALICE), DEPOSIT);
		assert_noop!(
			Devices::remove(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::DeviceNotRevoked
		);
		assert_ok!(Devices::revoke(RuntimeOrigin::signed(ALICE), id));
		assert_noop!(Devices::remove(RuntimeOrigin::signed(BOB), id), Error::<Test>::NotOwner);
		assert_ok!(Devices::remove(RuntimeOrigin::signed(ALICE), id));
		System::assert_last_event(Event::DeviceRemoved { device: id }.into());
		assert_eq!(held(ALICE), 0);
		assert!(!DeviceRecords::<Test>::contains_key(id));
		assert!(!DevicesByOwner::<Test>::contains_key(ALICE, id));
		assert_noop!(
			Devices::remove(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::UnknownDevice
		);
	});
}

#[test]
fn rotate_key_needs_both_signatures_and_keeps_the_id() {
	ExtBuilder.build_and_execute(|| {
		for (i, scheme) in SCHEMES.into_iter().enumerate() {
			let old = test_device(scheme, [i as u8 + 1; 32]);
			// Rotate across schemes too: the new key is P-256 unless the old one is.
			let new_scheme =
				if scheme == KeyScheme::P256 { KeyScheme::Ed25519 } else { KeyScheme::P256 };
			let new = test_device(new_scheme, [i as u8 + 100; 32]);
			let id = register(ALICE, &old);
			let payload = rotation_payload(&genesis(), &id, &new.key, 0);
			// Only the old key signed; only the new key signed.
			assert_noop!(
				Devices::rotate_key(
					RuntimeOrigin::signed(ALICE),
					id,
					new.key,
					old.sign(&payload),
					old.sign(&payload)
				),
				Error::<Test>::BadSignature
			);
			assert_noop!(
				Devices::rotate_key(
					RuntimeOrigin::signed(ALICE),
					id,
					new.key,
					new.sign(&payload),
					new.sign(&payload)
				),
				Error::<Test>::BadSignature
			);
			assert_noop!(
				Devices::rotate_key(
					RuntimeOrigin::signed(BOB),
					id,
					new.key,
					old.sign(&payload),
					new.sign(&payload)
				),
				Error::<Test>::NotOwner
			);
			assert_ok!(Devices::rotate_key(
				RuntimeOrigin::signed(ALICE),
				id,
				new.key,
				old.sign(&payload),
				new.sign(&payload)
			));
			System::assert_last_event(Event::KeyRotated { device: id, scheme: new_scheme }.into());
			let record = DeviceRecords::<Test>::get(id).unwrap();
			assert_eq!(record.key, new.key);
			assert_eq!(record.rotations, 1);
			assert!(RetiredKeys::<Test>::contains_key(key_hash(&old.key)));
			assert_eq!(KeyOwner::<Test>::get(key_hash(&new.key)), Some(id));
			assert!(<Devices as DeviceRegistry<u64>>::verify(&id, b"m", &new.sign(b"m")));
			assert!(!<Devices as DeviceRegistry<u64>>::verify(&id, b"m", &old.sign(b"m")));
			// The same rotation cannot be replayed (the nonce moved on), and the old key is retired.
			assert_noop!(
				Devices::rotate_key(
					RuntimeOrigin::signed(ALICE),
					id,
					old.key,
					new.sign(&payload),
					old.sign(&payload)
				),
				Error::<Test>::KeyRetired
			);
		}
	});
}

#[test]
fn rotate_key_refuses_a_key_in_use_and_a_revoked_device() {
	ExtBuilder.build_and_execute(|| {
		let a = test_device(KeyScheme::Ed25519, [1; 32]);
		let b = test_device(KeyScheme::Ed25519, [2; 32]);
		let id_a = register(ALICE, &a);
		register(ALICE, &b);
		let payload = rotation_payload(&genesis(), &id_a, &b.key, 0);
		assert_noop!(
			Devices::rotate_key(
				RuntimeOrigin::signed(ALICE),
				id_a,
				b.key,
				a.sign(&payload),
				b.sign(&payload)
			),
			Error::<Test>::KeyInUse
		);
		assert_ok!(Devices::revoke(RuntimeOrigin::signed(ALICE), id_a));
		let c = test_device(KeyScheme::Ed25519, [3; 32]);
		let payload = rotation_payload(&genesis(), &id_a, &c.key, 0);
		assert_noop!(
			Devices::rotate_key(
				RuntimeOrigin::signed(ALICE),
				id_a,
				c.key,
				a.sign(&payload),
				c.sign(&payload)
			),
			Error::<Test>::DeviceRevoked
		);
	});
}

#[test]
fn ownership_moves_in_two_steps_with_the_deposit() {
	ExtBuilder.build_and_execute(|| {
		let id = register(ALICE, &test_device(KeyScheme::P256, [1; 32]));
		serve(GATEWAY, ALICE);
		assert_ok!(Devices::bind_gateway(RuntimeOrigin::signed(ALICE), id, GATEWAY));
		assert_noop!(
			Devices::offer_transfer(RuntimeOrigin::signed(ALICE), id, ALICE),
			Error::<Test>::TransferToSelf
		);
		assert_noop!(
			Devices::offer_transfer(RuntimeOrigin::signed(BOB), id, BOB),
			Error::<Test>::NotOwner
		);
		assert_noop!(
			Devices::accept_transfer(RuntimeOrigin::signed(BOB), id),
			Error::<Test>::NoPendingTransfer
		);
		assert_ok!(Devices::offer_transfer(RuntimeOrigin::signed(ALICE), id, BOB));
		System::assert_last_event(
			Event::TransferOffered { device: id, from: ALICE, to: BOB }.into(),
		);
		assert_noop!(
			Devices::accept_transfer(RuntimeOrigin::signed(PAUPER), id),
			Error::<Test>::NotOfferedToYou
		);
		assert_ok!(Devices::accept_transfer(RuntimeOrigin::signed(BOB), id));
		System::assert_last_event(
			Event::OwnershipTransferred { device: id, from: ALICE, to: BOB }.into(),
		);
		assert_eq!(<Devices as DeviceRegistry<u64>>::owner_of(&id), Some(BOB));
		assert_eq!(<Devices as DeviceRegistry<u64>>::gateway_of(&id), None);
		assert_eq!((held(ALICE), held(BOB)), (0, DEPOSIT));
		assert!(DevicesByOwner::<Test>::contains_key(BOB, id));
		assert!(!DevicesByOwner::<Test>::contains_key(ALICE, id));
		assert!(!PendingTransfers::<Test>::contains_key(id));
	});
}

#[test]
fn an_offer_can_be_cancelled_and_a_pauper_cannot_accept() {
	ExtBuilder.build_and_execute(|| {
		let id = register(ALICE, &test_device(KeyScheme::Sr25519, [1; 32]));
		assert_noop!(
			Devices::cancel_transfer(RuntimeOrigin::signed(ALICE), id),
			Error::<Test>::NoPendingTransfer
		);
		assert_ok!(Devices::offer_transfer(RuntimeOrigin::signed(ALICE), id, PAUPER));
		assert_noop!(
			Devices::accept_transfer(RuntimeOrigin::signed(PAUPER), id),
			TokenError::FundsUnavailable
		);
		assert_noop!(
			Devices::cancel_transfer(RuntimeOrigin::signed(BOB), id),
			Error::<Test>::NotOwner
		);
		assert_ok!(Devices::cancel_transfer(RuntimeOrigin::signed(ALICE), id));
		System::assert_last_event(Event::TransferCancelled { device: id }.into());
		assert_noop!(
			Devices::accept_transfer(RuntimeOrigin::signed(PAUPER), id),
			Error::<Test>::NoPendingTransfer
		);
	});
}

#[test]
fn a_revoked_device_cannot_be_offered_or_accepted() {
	ExtBuilder.build_and_execute(|| {
		let id = register(ALICE, &test_device(KeyScheme::Ed25519, [1; 32]));
		assert_ok!(Devices::revoke(RuntimeOrigin::signed(ALICE), id));
		assert_noop!(
			Devices::offer_transfer(RuntimeOrigin::signed(ALICE), id, BOB),
			Error::<Test>::DeviceRevoked
		);
	});
}

#[test]
fn manufacturers_are_registered_by_the_council() {
	ExtBuilder.build_and_execute(|| {
		assert_noop!(
			Devices::register_manufacturer(RuntimeOrigin::signed(ALICE), MAKER, bounded("Acme")),
			BadOrigin
		);
		assert_ok!(Devices::register_manufacturer(RuntimeOrigin::root(), MAKER, bounded("Acme")));
		System::assert_last_event(Event::ManufacturerRegistered { manufacturer: MAKER }.into());
		assert!(Manufacturers::<Test>::contains_key(MAKER));
		assert_noop!(
			Devices::register_manufacturer(RuntimeOrigin::root(), MAKER, bounded("Acme")),
			Error::<Test>::AlreadyManufacturer
		);
		assert_noop!(Devices::remove_manufacturer(RuntimeOrigin::signed(MAKER), MAKER), BadOrigin);
		assert_ok!(Devices::remove_manufacturer(RuntimeOrigin::root(), MAKER));
		System::assert_last_event(Event::ManufacturerRemoved { manufacturer: MAKER }.into());
		assert_noop!(
			Devices::remove_manufacturer(RuntimeOrigin::root(), MAKER),
			Error::<Test>::NotManufacturer
		);
	});
}

#[test]
fn attestation_before_and_after_registration() {
	ExtBuilder.build_and_execute(|| {
		let early = test_device(KeyScheme::P256, [1; 32]);
		let late = test_device(KeyScheme::P256, [2; 32]);
		let late_id = register(ALICE, &late);
		let batch = vec![(early.key, model("T1")), (late.key, model("T1"))];
		assert_noop!(
			Devices::attest(RuntimeOrigin::signed(MAKER), batch.clone().try_into().unwrap()),
			Error::<Test>::NotManufacturer
		);
		assert_ok!(Devices::register_manufacturer(RuntimeOrigin::root(), MAKER, bounded("Acme")));
		assert_ok!(Devices::attest(RuntimeOrigin::signed(MAKER), batch.try_into().unwrap()));
		System::assert_last_event(Event::DevicesAttested { manufacturer: MAKER, count: 2 }.into());
		// Registered before: attested at once.
		let pointer = DeviceRecords::<Test>::get(late_id).unwrap().attestation;
		assert_eq!(pointer, Some(key_hash(&late.key)));
		let attestation = Attestations::<Test>::get(key_hash(&late.key)).unwrap();
		assert_eq!((attestation.manufacturer, attestation.model.to_vec()), (MAKER, b"T1".to_vec()));
		assert_eq!(Devices::attestation_status(&attestation), AttestationStatus::Valid);
		// Registered after: picks it up.
		let early_id = register(BOB, &early);
		assert_eq!(
			DeviceRecords::<Test>::get(early_id).unwrap().attestation,
			Some(key_hash(&early.key))
		);
	});
}

#[test]
fn another_manufacturer_cannot_attest_the_same_key() {
	ExtBuilder.build_and_execute(|| {
		let device = test_device(KeyScheme::P256, [1; 32]);
		let other = test_device(KeyScheme::P256, [2; 32]);
		assert_ok!(Devices::register_manufacturer(RuntimeOrigin::root(), MAKER, bounded("Acme")));
		assert_ok!(Devices::register_manufacturer(
			RuntimeOrigin::root(),
			OTHER_MAKER,
			bounded("Rival")
		));
		assert_ok!(Devices::attest(
			RuntimeOrigin::signed(MAKER),
			vec![(device.key, model("T1"))].try_into().unwrap()
		));
		// Nothing of the batch is stored when one key is another's.
		assert_noop!(
			Devices::attest(
				RuntimeOrigin::signed(OTHER_MAKER),
				vec![(other.key, model("R1")), (device.key, model("R1"))].try_into().unwrap()
			),
			Error::<Test>::AttestedByAnother
		);
		assert!(!Attestations::<Test>::contains_key(key_hash(&other.key)));
		// The same manufacturer may restate its own.
		assert_ok!(Devices::attest(
			RuntimeOrigin::signed(MAKER),
			vec![(device.key, model("T1b"))].try_into().unwrap()
		));
	});
}

#[test]
fn firmware_reports_say_whether_they_match_a_release() {
	ExtBuilder.build_and_execute(|| {
		let device = test_device(KeyScheme::P256, [1; 32]);
		assert_ok!(Devices::register_manufacturer(RuntimeOrigin::root(), MAKER, bounded("Acme")));
		assert_ok!(Devices::attest(
			RuntimeOrigin::signed(MAKER),
			vec![(device.key, model("T1"))].try_into().unwrap()
		));
		assert_noop!(
			Devices::publish_firmware(
				RuntimeOrigin::signed(ALICE),
				model("T1"),
				version("2.0"),
				H256([2; 32])
			),
			Error::<Test>::NotManufacturer
		);
		assert_ok!(Devices::publish_firmware(
			RuntimeOrigin::signed(MAKER),
			bounded("T1"),
			bounded("2.0"),
			H256([2; 32])
		));
		assert_eq!(
			FirmwareReleases::<Test>::get((MAKER, model("T1"), version("2.0"))),
			Some(H256([2; 32]))
		);
		let id = register(ALICE, &device);

		let report =
			|version: &str, hash: H256, nonce: u32, signer: &DeviceKeypair| -> DeviceSignature {
				signer.sign(&firmware_payload(&genesis(), &id, version.as_bytes(), &hash, nonce))
			};
		// The published version and hash: a match.
		let sig = report("2.0", H256([2; 32]), 0, &device);
		assert_ok!(Devices::report_firmware(
			RuntimeOrigin::signed(GATEWAY),
			id,
			version("2.0"),
			H256([2; 32]),
			sig.clone()
		));
		System::assert_last_event(
			Event::FirmwareReported {
				device: id,
				version: version("2.0"),
				hash: H256([2; 32]),
				matches_release: true,
			}
			.into(),
		);
		// Replayed: the nonce moved on.
		assert_noop!(
			Devices::report_firmware(
				RuntimeOrigin::signed(GATEWAY),
				id,
				version("2.0"),
				H256([2; 32]),
				sig
			),
			Error::<Test>::BadSignature
		);
		// A tampered image: no match, and recorded as such.
		let sig = report("2.0", H256([6; 32]), 1, &device);
		assert_ok!(Devices::report_firmware(
			RuntimeOrigin::signed(GATEWAY),
			id,
			version("2.0"),
			H256([6; 32]),
			sig
		));
		let firmware = DeviceRecords::<Test>::get(id).unwrap().firmware.unwrap();
		assert!(!firmware.matches_release);
		assert_eq!(firmware.hash, H256([6; 32]));
		// Signed by another key.
		let stranger = test_device(KeyScheme::P256, [9; 32]);
		let sig = report("2.0", H256([2; 32]), 2, &stranger);
		assert_noop!(
			Devices::report_firmware(
				RuntimeOrigin::signed(GATEWAY),
				id,
				version("2.0"),
				H256([2; 32]),
				sig
			),
			Error::<Test>::BadSignature
		);
		// A suspended device does not report.
		assert_ok!(Devices::suspend(RuntimeOrigin::signed(ALICE), id));
		let sig = report("2.0", H256([2; 32]), 2, &device);
		assert_noop!(
			Devices::report_firmware(
				RuntimeOrigin::signed(GATEWAY),
				id,
				version("2.0"),
				H256([2; 32]),
				sig
			),
			Error::<Test>::DeviceNotActive
		);
		assert_noop!(
			Devices::report_firmware(
				RuntimeOrigin::signed(GATEWAY),
				H256([0; 32]),
				version("2.0"),
				H256([2; 32]),
				report("2.0", H256([2; 32]), 0, &device)
			),
			Error::<Test>::UnknownDevice
		);
	});
}

#[test]
fn owners_list_their_devices_page_by_page() {
	ExtBuilder.build_and_execute(|| {
		let ids: Vec<DeviceId> =
			(0..5u8).map(|i| register(ALICE, &test_device(KeyScheme::Ed25519, [i; 32]))).collect();
		register(BOB, &test_device(KeyScheme::Ed25519, [50; 32]));
		let mut seen = Vec::new();
		let mut cursor = None;
		loop {
			let page = Devices::devices_of(&ALICE, cursor, 2);
			if page.is_empty() {
				break;
			}
			assert!(page.len() <= 2);
			cursor = page.last().map(|(id, _)| *id);
			seen.extend(page.into_iter().map(|(id, record)| {
				assert_eq!(record.owner, ALICE);
				id
			}));
		}
		seen.sort();
		let mut expected = ids;
		expected.sort();
		assert_eq!(seen, expected);
	});
}

#[test]
fn check_signature_says_why_it_refuses() {
	use iotrust_primitives::device::Verification;
	ExtBuilder.build_and_execute(|| {
		let device = test_device(KeyScheme::P256, [1; 32]);
		let id = register(ALICE, &device);
		let sig = device.sign(b"reading");
		assert_eq!(Devices::check_signature(&id, b"reading", &sig), Verification::Valid);
		assert_eq!(Devices::check_signature(&id, b"other", &sig), Verification::BadSignature);
		assert_eq!(
			Devices::check_signature(&H256([0; 32]), b"reading", &sig),
			Verification::UnknownDevice
		);
		assert_ok!(Devices::suspend(RuntimeOrigin::signed(ALICE), id));
		assert_eq!(Devices::check_signature(&id, b"reading", &sig), Verification::Suspended);
		assert_ok!(Devices::resume(RuntimeOrigin::signed(ALICE), id));
		assert_ok!(Devices::revoke(RuntimeOrigin::signed(ALICE), id));
		assert_eq!(Devices::check_signature(&id, b"reading", &sig), Verification::Revoked);
	});
}

#[test]
fn counters_at_their_limit_overflow_instead_of_wrapping() {
	// The counters are forced to their limit by hand, past what the key history records, so
	// the invariants are not checked at the end.
	ExtBuilder.build().execute_with(|| {
		let device = test_device(KeyScheme::Ed25519, [1; 32]);
		let id = register(ALICE, &device);
		DeviceRecords::<Test>::mutate(id, |r| {
			let r = r.as_mut().unwrap();
			r.rotations = u32::MAX;
			r.firmware_reports = u32::MAX;
		});
		let new = test_device(KeyScheme::Ed25519, [2; 32]);
		let payload = rotation_payload(&genesis(), &id, &new.key, u32::MAX);
		assert_noop!(
			Devices::rotate_key(
				RuntimeOrigin::signed(ALICE),
				id,
				new.key,
				device.sign(&payload),
				new.sign(&payload)
			),
			Error::<Test>::Overflow
		);
		let hash = H256([2; 32]);
		let sig = device.sign(&firmware_payload(&genesis(), &id, b"1.0", &hash, u32::MAX));
		assert_noop!(
			Devices::report_firmware(RuntimeOrigin::signed(GATEWAY), id, version("1.0"), hash, sig),
			Error::<Test>::Overflow
		);
	});
}

#[test]
fn gateways_serve_owners_with_a_deposit_and_release_devices() {
	ExtBuilder.build_and_execute(|| {
		let id = register(ALICE, &test_device(KeyScheme::Ed25519, [1; 32]));
		assert_noop!(
			Devices::stop_serving(RuntimeOrigin::signed(GATEWAY), ALICE),
			Error::<Test>::NotServing
		);
		serve(GATEWAY, ALICE);
		System::assert_last_event(Event::OwnerServed { gateway: GATEWAY, owner: ALICE }.into());
		assert_eq!(
			Balances::balance_on_hold(&crate::HoldReason::GatewayConsent.into(), &GATEWAY),
			CONSENT
		);
		assert_noop!(
			Devices::serve_owner(RuntimeOrigin::signed(GATEWAY), ALICE),
			Error::<Test>::AlreadyServing
		);
		// A gateway without funds cannot hold the deposit.
		assert_noop!(
			Devices::serve_owner(RuntimeOrigin::signed(PAUPER), ALICE),
			TokenError::FundsUnavailable
		);
		assert_ok!(Devices::bind_gateway(RuntimeOrigin::signed(ALICE), id, GATEWAY));
		// Only the device's gateway may release it.
		assert_noop!(
			Devices::release_device(RuntimeOrigin::signed(BOB), id),
			Error::<Test>::NotDeviceGateway
		);
		assert_ok!(Devices::release_device(RuntimeOrigin::signed(GATEWAY), id));
		System::assert_last_event(Event::DeviceReleased { device: id, gateway: GATEWAY }.into());
		assert_eq!(<Devices as DeviceRegistry<u64>>::gateway_of(&id), None);
		assert_noop!(
			Devices::release_device(RuntimeOrigin::signed(GATEWAY), id),
			Error::<Test>::NotDeviceGateway
		);
		assert_noop!(
			Devices::release_device(RuntimeOrigin::signed(GATEWAY), H256([9; 32])),
			Error::<Test>::UnknownDevice
		);
		// Stopping releases the deposit and refuses new bindings.
		assert_ok!(Devices::stop_serving(RuntimeOrigin::signed(GATEWAY), ALICE));
		System::assert_last_event(
			Event::OwnerNoLongerServed { gateway: GATEWAY, owner: ALICE }.into(),
		);
		assert!(!ServedOwners::<Test>::contains_key(GATEWAY, ALICE));
		assert_eq!(
			Balances::balance_on_hold(&crate::HoldReason::GatewayConsent.into(), &GATEWAY),
			0
		);
		assert_noop!(
			Devices::bind_gateway(RuntimeOrigin::signed(ALICE), id, GATEWAY),
			Error::<Test>::GatewayNotServing
		);
	});
}

/// The attack: an owner binds its devices to a gateway that never agreed, which would then pay
/// to anchor them (and be scheduled for them). Every binding is refused.
#[test]
fn attack_binding_devices_to_an_unwilling_gateway_fails() {
	ExtBuilder.build_and_execute(|| {
		for i in 0..3u8 {
			let id = register(BOB, &test_device(KeyScheme::Ed25519, [i + 1; 32]));
			assert_noop!(
				Devices::bind_gateway(RuntimeOrigin::signed(BOB), id, GATEWAY),
				Error::<Test>::GatewayNotServing
			);
		}
		// Serving Alice does not open the gateway to Bob.
		serve(GATEWAY, ALICE);
		let id = register(BOB, &test_device(KeyScheme::Ed25519, [9; 32]));
		assert_noop!(
			Devices::bind_gateway(RuntimeOrigin::signed(BOB), id, GATEWAY),
			Error::<Test>::GatewayNotServing
		);
	});
}

/// The attack: register a device with an ed25519 key anyone can sign for (a small-order point),
/// or re-register a retired key shifted by a torsion point. Both are refused as weak keys, at
/// registration and at rotation.
#[test]
fn attack_weak_and_torsion_shifted_keys_are_refused() {
	use curve25519_dalek::{constants::EIGHT_TORSION, edwards::CompressedEdwardsY};
	use iotrust_primitives::device::DevicePublicKey;
	ExtBuilder.build_and_execute(|| {
		// A small-order key: anyone can forge its signatures. Refused before its proof is read.
		let weak = DevicePublicKey::Ed25519(EIGHT_TORSION[1].compress().0);
		assert_noop!(
			Devices::register(
				RuntimeOrigin::signed(ALICE),
				weak,
				metadata("T1"),
				DeviceSignature::Ed25519([0; 64])
			),
			Error::<Test>::WeakKey
		);
		// A key revoked, then offered again plus a torsion point: the same secret.
		let device = test_device(KeyScheme::Ed25519, [1; 32]);
		let id = register(ALICE, &device);
		assert_ok!(Devices::revoke(RuntimeOrigin::signed(ALICE), id));
		let DevicePublicKey::Ed25519(raw) = device.key else { unreachable!() };
		let point = CompressedEdwardsY(raw).decompress().unwrap();
		let shifted = DevicePublicKey::Ed25519((point + EIGHT_TORSION[4]).compress().0);
		assert_noop!(
			Devices::register(
				RuntimeOrigin::signed(ALICE),
				shifted,
				metadata("T1"),
				DeviceSignature::Ed25519([0; 64])
			),
			Error::<Test>::WeakKey
		);
		// Rotation refuses a weak key too.
		let live = test_device(KeyScheme::Ed25519, [2; 32]);
		let live_id = register(ALICE, &live);
		let payload = rotation_payload(&genesis(), &live_id, &weak, 0);
		assert_noop!(
			Devices::rotate_key(
				RuntimeOrigin::signed(ALICE),
				live_id,
				weak,
				live.sign(&payload),
				DeviceSignature::Ed25519([0; 64])
			),
			Error::<Test>::WeakKey
		);
	});
}

/// Rotate Alice's device `id` from `old` to `new`, both signing the rotation.
fn rotate(id: DeviceId, old: &DeviceKeypair, new: &DeviceKeypair) -> sp_runtime::DispatchResult {
	let nonce = DeviceRecords::<Test>::get(id).unwrap().rotations;
	let payload = rotation_payload(&genesis(), &id, &new.key, nonce);
	Devices::rotate_key(
		RuntimeOrigin::signed(ALICE),
		id,
		new.key,
		old.sign(&payload),
		new.sign(&payload),
	)
	.map(|_| ())
	.map_err(|e| e.error)
}

#[test]
fn every_key_is_kept_with_its_block_and_old_signatures_check_against_it() {
	ExtBuilder.build_and_execute(|| {
		let first = test_device(KeyScheme::Ed25519, [1; 32]);
		let id = register(ALICE, &first);
		let signed_then = first.sign(b"reading at block 1");
		let second = test_device(KeyScheme::P256, [2; 32]);
		let third = test_device(KeyScheme::P256, [3; 32]);
		System::set_block_number(5);
		assert_ok!(rotate(id, &first, &second));
		System::set_block_number(9);
		assert_ok!(rotate(id, &second, &third));
		let history = KeyHistory::<Test>::get(id);
		assert_eq!(
			history.iter().map(|p| (p.key, p.from)).collect::<Vec<_>>(),
			vec![(first.key, 1), (second.key, 5), (third.key, 9)]
		);
		let verify_at = <Devices as DeviceRegistry<u64>>::verify_at;
		// The first key's signature counts for blocks 1..=5, not after.
		assert!(verify_at(&id, 3, b"reading at block 1", &signed_then));
		assert!(verify_at(&id, 5, b"reading at block 1", &signed_then));
		assert!(!verify_at(&id, 6, b"reading at block 1", &signed_then));
		// The current key's only from its rotation on.
		let now = third.sign(b"m");
		assert!(verify_at(&id, 12, b"m", &now));
		assert!(!verify_at(&id, 8, b"m", &now));
		// Revoked and removed, the history stays as evidence.
		assert_ok!(Devices::revoke(RuntimeOrigin::signed(ALICE), id));
		assert_ok!(Devices::remove(RuntimeOrigin::signed(ALICE), id));
		assert!(verify_at(&id, 3, b"reading at block 1", &signed_then));
		// The history is bounded (3 keys in the mock): a fourth key is refused.
		let keys: Vec<_> =
			(7..=10).map(|seed| test_device(KeyScheme::Ed25519, [seed; 32])).collect();
		let id = register(ALICE, &keys[0]);
		assert_ok!(rotate(id, &keys[0], &keys[1]));
		assert_ok!(rotate(id, &keys[1], &keys[2]));
		assert_noop!(rotate(id, &keys[2], &keys[3]), Error::<Test>::TooManyKeys);
	});
}

/// The attack: a manufacturer attests a key it did not make, first, so the real maker is locked
/// out. The council revokes the false attestation and the real maker attests the key.
#[test]
fn attack_a_false_first_attestation_is_revoked_and_replaced() {
	ExtBuilder.build_and_execute(|| {
		let device = test_device(KeyScheme::P256, [1; 32]);
		let hash = key_hash(&device.key);
		let id = register(ALICE, &device);
		assert_ok!(Devices::register_manufacturer(RuntimeOrigin::root(), MAKER, bounded("Acme")));
		assert_ok!(Devices::register_manufacturer(
			RuntimeOrigin::root(),
			OTHER_MAKER,
			bounded("Squatter")
		));
		assert_ok!(Devices::attest(
			RuntimeOrigin::signed(OTHER_MAKER),
			vec![(device.key, model("Fake"))].try_into().unwrap()
		));
		assert_noop!(
			Devices::attest(
				RuntimeOrigin::signed(MAKER),
				vec![(device.key, model("T1"))].try_into().unwrap()
			),
			Error::<Test>::AttestedByAnother
		);
		// The real maker cannot revoke another's attestation; nobody revokes a missing one.
		assert_noop!(
			Devices::revoke_attestations(
				RuntimeOrigin::signed(MAKER),
				vec![hash].try_into().unwrap()
			),
			Error::<Test>::NotAttester
		);
		assert_noop!(
			Devices::revoke_attestations(
				RuntimeOrigin::root(),
				vec![H256([3; 32])].try_into().unwrap()
			),
			Error::<Test>::NotAttested
		);
		assert_noop!(
			Devices::revoke_attestations(
				RuntimeOrigin::signed(BOB),
				vec![hash].try_into().unwrap()
			),
			Error::<Test>::NotAttester
		);
		// The council revokes it.
		assert_ok!(Devices::revoke_attestations(
			RuntimeOrigin::root(),
			vec![hash].try_into().unwrap()
		));
		System::assert_last_event(Event::AttestationsRevoked { by: None, count: 1 }.into());
		let revoked = Attestations::<Test>::get(hash).unwrap();
		assert_eq!(Devices::attestation_status(&revoked), AttestationStatus::Revoked);
		assert_noop!(
			Devices::revoke_attestations(RuntimeOrigin::root(), vec![hash].try_into().unwrap()),
			Error::<Test>::NotAttested
		);
		// Now the real maker attests, and the device shows it.
		assert_ok!(Devices::attest(
			RuntimeOrigin::signed(MAKER),
			vec![(device.key, model("T1"))].try_into().unwrap()
		));
		let standing = Attestations::<Test>::get(hash).unwrap();
		assert_eq!(standing.manufacturer, MAKER);
		assert_eq!(Devices::attestation_status(&standing), AttestationStatus::Valid);
		assert_eq!(DeviceRecords::<Test>::get(id).unwrap().attestation, Some(hash));
		// A maker revokes its own.
		assert_ok!(Devices::revoke_attestations(
			RuntimeOrigin::signed(MAKER),
			vec![hash].try_into().unwrap()
		));
		System::assert_last_event(Event::AttestationsRevoked { by: Some(MAKER), count: 1 }.into());
	});
}

#[test]
fn a_removed_manufacturers_attestations_no_longer_count() {
	ExtBuilder.build_and_execute(|| {
		let device = test_device(KeyScheme::P256, [1; 32]);
		let id = register(ALICE, &device);
		assert_ok!(Devices::register_manufacturer(RuntimeOrigin::root(), MAKER, bounded("Acme")));
		assert_ok!(Devices::attest(
			RuntimeOrigin::signed(MAKER),
			vec![(device.key, model("T1"))].try_into().unwrap()
		));
		let hash = H256([5; 32]);
		assert_ok!(Devices::publish_firmware(
			RuntimeOrigin::signed(MAKER),
			model("T1"),
			version("1.0"),
			hash
		));
		assert_ok!(Devices::remove_manufacturer(RuntimeOrigin::root(), MAKER));
		let attestation = Attestations::<Test>::get(key_hash(&device.key)).unwrap();
		assert_eq!(
			Devices::attestation_status(&attestation),
			AttestationStatus::ManufacturerRemoved
		);
		// Its release no longer vouches for the device's firmware.
		let sig = device.sign(&firmware_payload(&genesis(), &id, b"1.0", &hash, 0));
		assert_ok!(Devices::report_firmware(
			RuntimeOrigin::signed(GATEWAY),
			id,
			version("1.0"),
			hash,
			sig
		));
		assert!(!DeviceRecords::<Test>::get(id).unwrap().firmware.unwrap().matches_release);
		// Another manufacturer may attest the key now.
		assert_ok!(Devices::register_manufacturer(
			RuntimeOrigin::root(),
			OTHER_MAKER,
			bounded("Heir")
		));
		assert_ok!(Devices::attest(
			RuntimeOrigin::signed(OTHER_MAKER),
			vec![(device.key, model("T1"))].try_into().unwrap()
		));
	});
}

/// `device`'s reading number `seq` with temperature `value`, signed by `key`.
fn reading_by(
	device: DeviceId,
	key: &DeviceKeypair,
	seq: u64,
	value: i64,
) -> iotrust_primitives::merkle::SignedReading {
	use iotrust_primitives::merkle::{Metric, SignedReading};
	let mut r = SignedReading {
		device,
		seq,
		timestamp_ms: 1_000 + seq,
		metrics: vec![Metric { id: 1, value }],
		signature: DeviceSignature::Ed25519([0; 64]),
	};
	r.signature = key.sign(&r.payload(&genesis()));
	r
}

#[test]
fn attack_a_device_that_signs_two_readings_under_one_number_is_flagged_on_chain() {
	ExtBuilder.build_and_execute(|| {
		let key = test_device(KeyScheme::Ed25519, [21; 32]);
		let id = register(ALICE, &key);
		let report =
			|first, second| Devices::report_equivocation(RuntimeOrigin::signed(BOB), first, second);
		let (a, b) = (reading_by(id, &key, 5, -18_000), reading_by(id, &key, 5, -9_000));
		// Not evidence: the same reading twice, two numbers, two devices, a forged copy.
		assert_noop!(report(a.clone(), a.clone()), Error::<Test>::EvidenceNotConflicting);
		assert_noop!(
			report(a.clone(), reading_by(id, &key, 6, -9_000)),
			Error::<Test>::EvidenceNotConflicting
		);
		let stranger = test_device(KeyScheme::Ed25519, [22; 32]);
		let other = stranger.key.device_id();
		assert_noop!(
			report(a.clone(), reading_by(other, &stranger, 5, 0)),
			Error::<Test>::EvidenceNotConflicting
		);
		let forged = reading_by(id, &stranger, 5, -9_000);
		assert_noop!(report(a.clone(), forged), Error::<Test>::BadEvidenceSignature);
		assert_noop!(
			report(reading_by(other, &stranger, 5, 0), reading_by(other, &stranger, 5, 1)),
			Error::<Test>::UnknownDevice
		);
		let mut bloated = b.clone();
		bloated.metrics = vec![bloated.metrics[0]; 33];
		assert_noop!(report(a.clone(), bloated), Error::<Test>::EvidenceTooLarge);

		// The real thing: both signed by the device's key. It is flagged, with an event.
		assert_ok!(report(a.clone(), b.clone()));
		System::assert_last_event(
			Event::Equivocated { device: id, seq: 5, reporter: BOB, count: 1 }.into(),
		);
		let record = crate::Equivocations::<Test>::get(id).unwrap();
		assert_eq!((record.count, record.last_seq), (1, 5));
		// Once per number: the same evidence, or older, again is refused; a later one counts.
		assert_noop!(report(b.clone(), a.clone()), Error::<Test>::AlreadyReported);
		assert_ok!(report(reading_by(id, &key, 9, 1), reading_by(id, &key, 9, 2)));
		assert_eq!(crate::Equivocations::<Test>::get(id).unwrap().count, 2);

		// A key the device rotated away from (perhaps because it leaked) speaks for no one:
		// both readings must be signed by the device's current key.
		let new = test_device(KeyScheme::Ed25519, [23; 32]);
		assert_ok!(rotate(id, &key, &new));
		assert_noop!(
			report(reading_by(id, &key, 12, 1), reading_by(id, &key, 12, 2)),
			Error::<Test>::BadEvidenceSignature
		);
		assert_noop!(
			report(reading_by(id, &key, 12, 1), reading_by(id, &new, 12, 2)),
			Error::<Test>::BadEvidenceSignature
		);
		assert_ok!(report(reading_by(id, &new, 12, 1), reading_by(id, &new, 12, 2)));
		// Verifiers see the flag in the device's record.
		let info = Devices::device_info(id).unwrap();
		assert_eq!(info.equivocation.map(|e| (e.count, e.last_seq)), Some((3, 12)));
	});
}
