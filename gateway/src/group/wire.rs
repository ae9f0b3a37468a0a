//! What the gateways of a group say to each other over MQTT, and how each message is
//! authenticated: every message is an [`Envelope`] signed with the sending gateway's account key
//! (sr25519), the key the chain lists it under as a member of the group. A message whose
//! signature does not check against the member it names is dropped unread. The signature binds
//! the chain (genesis), the group, the key epoch, the sender and the time it was sent.
//!
//! Topics, under `iotrust/groups/<group>/<epoch>/`:
//!
//! - `r1/<from>`: key generation, round 1 (retained, so a gateway that starts later reads it);
//! - `r2/<from>/<to>`: key generation, round 2, sealed for `to` alone (retained);
//! - `msg/<from>`: everything else (proposals, commitments, signing packages, signature shares,
//!   requests for readings and the readings sent back).

use codec::{Decode, Encode};
use iotrust_primitives::{
	anchoring::GroupAnchor,
	device::DeviceId,
	groups::{Epoch, GroupId},
	merkle::SignedReading,
};
use sp_core::H256;

/// The prefix of every group topic.
pub const TOPIC_ROOT: &str = "iotrust/groups";

/// The domain of a group message's signature: nothing else the account key signs (its
/// transactions) can be taken for one.
const DOMAIN: &[u8] = b"iotrust/group-msg/v1";

/// A member's place in its group: its position in the chain's member list, from 0. Its FROST
/// identifier is this plus one.
pub type Index = u16;

/// What a message says.
#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub enum Body {
	/// Key generation, round 1: the sender's FROST round-1 package, and the X25519 public key
	/// round-2 packages for it are sealed to.
	Round1 { package: Vec<u8>, exchange: [u8; 32] },
	/// Key generation, round 2: the sender's FROST round-2 package for member `to`, sealed so
	/// only `to` reads it, made from the round-1 packages whose digest is `set`.
	Round2 { to: Index, set: [u8; 32], sealed: Vec<u8> },
	/// A coordinator proposes that the group sign `anchor` (attempt `attempt` at its batch).
	Propose { attempt: u32, anchor: GroupAnchor },
	/// A signer checked `coordinator`'s proposal whose message is `message` and commits to its
	/// nonces (for that coordinator's round only: two coordinators may propose the same batch).
	Commit { coordinator: Index, batch: u64, message: [u8; 32], commitments: Vec<u8> },
	/// The coordinator's FROST signing package: the message and the signers' commitments.
	Sign { batch: u64, message: [u8; 32], package: Vec<u8> },
	/// A signer's signature share for `coordinator`'s signing package over `message`.
	Share { coordinator: Index, batch: u64, message: [u8; 32], share: Vec<u8> },
	/// Which readings the sender lacks: `(device, first, last)` ranges.
	Want { ranges: Vec<(DeviceId, u64, u64)> },
	/// Readings sent in answer to a `Want` (each is signed by its device; the receiver checks).
	Have { readings: Vec<SignedReading> },
}

/// A signed message.
#[derive(Encode, Decode, Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
	/// The group.
	pub group: GroupId,
	/// The key epoch it belongs to.
	pub epoch: Epoch,
	/// The sender.
	pub from: Index,
	/// When it was sent, Unix ms.
	pub sent_ms: u64,
	/// What it says.
	pub body: Body,
	/// The sender's sr25519 signature.
	pub signature: [u8; 64],
}

/// Why a message was dropped.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WireError {
	/// Not a SCALE envelope.
	#[error("not a group message")]
	Malformed,
	/// For another group or epoch.
	#[error("for group {0} epoch {1}")]
	Elsewhere(GroupId, Epoch),
	/// From no member of the group.
	#[error("from no member (index {0})")]
	NoSuchMember(Index),
	/// The signature does not check against the member it names.
	#[error("not signed by member {0}")]
	BadSignature(Index),
}

fn signed_bytes(
	genesis: &H256,
	group: GroupId,
	epoch: Epoch,
	from: Index,
	sent_ms: u64,
	body: &Body,
) -> Vec<u8> {
	let mut bytes = DOMAIN.to_vec();
	bytes.extend_from_slice(genesis.as_bytes());
	(group, epoch, from, sent_ms, body).encode_to(&mut bytes);
	bytes
}

impl Envelope {
	/// `body`, sent by member `from` of `group` in `epoch`, signed with `key`.
	pub fn seal(
		key: &subxt_signer::sr25519::Keypair,
		genesis: &H256,
		(group, epoch, from): (GroupId, Epoch, Index),
		body: Body,
	) -> Vec<u8> {
		let sent_ms = crate::clock::now_ms();
		let signature = key.sign(&signed_bytes(genesis, group, epoch, from, sent_ms, &body)).0;
		Envelope { group, epoch, from, sent_ms, body, signature }.encode()
	}

	/// The message in `bytes` if it is for `group` in `epoch` and signed by the member it
	/// names among `members` (the chain's list, in order).
	pub fn open(
		bytes: &[u8],
		genesis: &H256,
		group: GroupId,
		epoch: Epoch,
		members: &[crate::chain::AccountId],
	) -> Result<Self, WireError> {
		let env = Envelope::decode(&mut &bytes[..]).map_err(|_| WireError::Malformed)?;
		if env.group != group || env.epoch != epoch {
			return Err(WireError::Elsewhere(env.group, env.epoch));
		}
		let member = members.get(usize::from(env.from)).ok_or(WireError::NoSuchMember(env.from))?;
		let bytes = signed_bytes(genesis, env.group, env.epoch, env.from, env.sent_ms, &env.body);
		let ok = subxt_signer::sr25519::verify(
			&subxt_signer::sr25519::Signature(env.signature),
			bytes,
			&subxt_signer::sr25519::PublicKey(*member),
		);
		if !ok {
			return Err(WireError::BadSignature(env.from));
		}
		Ok(env)
	}
}

/// Every topic of `group`.
pub fn filter(group: GroupId) -> String {
	format!("{TOPIC_ROOT}/{group}/#")
}

/// Where member `from` publishes `body` in `epoch`, and whether the broker keeps it for members
/// that subscribe later.
pub fn topic(group: GroupId, epoch: Epoch, from: Index, body: &Body) -> (String, bool) {
	let base = format!("{TOPIC_ROOT}/{group}/{epoch}");
	match body {
		Body::Round1 { .. } => (format!("{base}/r1/{from}"), true),
		Body::Round2 { to, .. } => (format!("{base}/r2/{from}/{to}"), true),
		_ => (format!("{base}/msg/{from}"), false),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_the_named_member_can_sign_a_message() {
		let genesis = H256::repeat_byte(7);
		let alice = crate::chain::keypair("//Alice").unwrap();
		let bob = crate::chain::keypair("//Bob").unwrap();
		let members = [alice.public_key().0, bob.public_key().0];
		let body = Body::Want { ranges: vec![] };
		let bytes = Envelope::seal(&alice, &genesis, (3, 1, 0), body.clone());
		assert_eq!(Envelope::open(&bytes, &genesis, 3, 1, &members).unwrap().body, body);
		// Bob signs, claiming to be Alice: dropped.
		let forged = Envelope::seal(&bob, &genesis, (3, 1, 0), body.clone());
		assert_eq!(
			Envelope::open(&forged, &genesis, 3, 1, &members),
			Err(WireError::BadSignature(0))
		);
		// Altered on its way: dropped.
		let mut env = Envelope::decode(&mut &bytes[..]).unwrap();
		env.body = Body::Want { ranges: vec![(DeviceId::repeat_byte(1), 0, 9)] };
		assert_eq!(
			Envelope::open(&env.encode(), &genesis, 3, 1, &members),
			Err(WireError::BadSignature(0))
		);
		// Another chain, group or epoch: not taken.
		assert!(Envelope::open(&bytes, &H256::zero(), 3, 1, &members).is_err());
		assert_eq!(
			Envelope::open(&bytes, &genesis, 3, 2, &members),
			Err(WireError::Elsewhere(3, 1))
		);
		let stranger = Envelope::seal(&bob, &genesis, (3, 1, 5), body);
		assert_eq!(
			Envelope::open(&stranger, &genesis, 3, 1, &members),
			Err(WireError::NoSuchMember(5))
		);
	}
}
