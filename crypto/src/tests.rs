//! The constructions round-trip, and each binding holds: a sealed key opens only for its
//! recipient, channel and epoch and only with the chain's key identifier; a payload opens only
//! under its key, channel, epoch and context, and not once altered.

use super::*;

fn reading(seq: u64) -> PayloadKind {
	PayloadKind::Reading { device: [7; 32], seq }
}

#[test]
fn an_epoch_key_reaches_its_recipient_and_no_one_else() {
	let alice = SecretKey::generate();
	let mallory = SecretKey::generate();
	let key = EpochKey::generate();
	let id = key.id(3, 2);
	let sealed = seal_epoch_key(&alice.public(), 3, 2, &key).unwrap();
	assert_eq!(open_epoch_key(&alice, 3, 2, &sealed, &id).unwrap(), key);
	assert_eq!(open_epoch_key(&mallory, 3, 2, &sealed, &id), Err(Error::Open));
	// Bound to its channel and epoch: it does not pass for another epoch's key.
	assert_eq!(open_epoch_key(&alice, 3, 3, &sealed, &key.id(3, 3)), Err(Error::Open));
	assert_eq!(open_epoch_key(&alice, 4, 2, &sealed, &key.id(4, 2)), Err(Error::Open));
	let mut tampered = sealed;
	tampered.ciphertext[0] ^= 1;
	assert_eq!(open_epoch_key(&alice, 3, 2, &tampered, &id), Err(Error::Open));
}

#[test]
fn a_key_that_is_not_the_chains_is_refused() {
	let bob = SecretKey::generate();
	let other = EpochKey::generate();
	let sealed = seal_epoch_key(&bob.public(), 1, 1, &other).unwrap();
	let chains = EpochKey::generate().id(1, 1);
	assert_eq!(open_epoch_key(&bob, 1, 1, &sealed, &chains), Err(Error::WrongKeyId));
}

#[test]
fn key_ids_differ_by_key_channel_and_epoch() {
	let key = EpochKey::from_bytes([1; 32]);
	assert_ne!(key.id(1, 1), key.id(1, 2));
	assert_ne!(key.id(1, 1), key.id(2, 1));
	assert_ne!(key.id(1, 1), EpochKey::from_bytes([2; 32]).id(1, 1));
	// HKDF-SHA256 (RFC 5869) with no salt, computed independently (Python's hmac module):
	// a change to the construction would change every identifier on chain.
	assert_eq!(
		hex::encode(key.id(1, 1)),
		"48bf68ca14752715710a07414264f701ab5eeb4172183ab72d6ca397682ae74f"
	);
}

#[test]
fn a_payload_opens_only_in_its_context() {
	let key = EpochKey::generate();
	let sealed = seal_payload(&key, 5, 1, &reading(9), b"{\"t\":4.2}");
	assert_eq!(sealed.len(), NONCE_LEN + 9 + TAG_LEN);
	assert_eq!(open_payload(&key, 5, 1, &reading(9), &sealed).unwrap(), b"{\"t\":4.2}");
	for (channel, epoch, kind) in [(5, 1, reading(10)), (5, 2, reading(9)), (6, 1, reading(9))] {
		assert_eq!(open_payload(&key, channel, epoch, &kind, &sealed), Err(Error::PayloadOpen));
	}
	let doc = PayloadKind::Document { hash: [1; 32] };
	assert_eq!(open_payload(&key, 5, 1, &doc, &sealed), Err(Error::PayloadOpen));
	assert_eq!(
		open_payload(&EpochKey::generate(), 5, 1, &reading(9), &sealed),
		Err(Error::PayloadOpen)
	);
	let mut altered = sealed.clone();
	*altered.last_mut().unwrap() ^= 1;
	assert_eq!(open_payload(&key, 5, 1, &reading(9), &altered), Err(Error::PayloadOpen));
	assert_eq!(open_payload(&key, 5, 1, &reading(9), &sealed[..30]), Err(Error::Truncated(30)));
}

#[test]
fn nonces_are_fresh() {
	let key = EpochKey::generate();
	let a = seal_payload(&key, 1, 1, &reading(1), b"x");
	let b = seal_payload(&key, 1, 1, &reading(1), b"x");
	assert_ne!(a[..NONCE_LEN], b[..NONCE_LEN]);
}

#[test]
fn a_low_order_public_key_is_refused() {
	// The all-zero point: X25519 with it yields the all-zero secret, which HPKE refuses.
	let key = EpochKey::generate();
	assert!(seal_epoch_key(&[0; 32], 1, 1, &key).is_err());
}
