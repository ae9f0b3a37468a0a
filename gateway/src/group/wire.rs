//! What the gateways of a group say to each other over MQTT, and how each message is
//! authenticated: every message is an [`Envelope`] signed with the sending gateway's account key
//! (sr25519), the key the chain lists it under as a member of the group. A message whose
//! signature does not check against the member it names is dropped unread. The signature binds
//! the chain (genesis), the group, the key epoch, the sender, the time it was sent and its
//! number in the sender's stream.
//!
//! Replays: a sender numbers its messages ([`Sequencer`]: rising, across restarts too), each of
//! its streams (round 1, round 2 to each member, everything else) apart. A member takes a
//! message only if its number is above the last it took from that stream, and one that is not
//! key generation's only if it was sent within the last minute ([`Freshness`]). A message
//! captured and published again by any client of the broker is dropped and counted.
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
const DOMAIN: &[u8] = b"iotrust/group-msg/v2";

/// How long ago a message other than key generation's may have been sent: a member that
/// restarted (and so remembers no numbers) takes no message captured earlier than this.
pub const MAX_AGE_MS: u64 = 60_000;
/// How far ahead of this member's clock a message's send time may be.
pub const MAX_AHEAD_MS: u64 = 30_000;

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
	/// A coordinator proposes that the group sign `anchor` (attempt `attempt` at its batch; its
	/// `retry`th proposal of it, after members withheld their shares).
	Propose { attempt: u32, retry: u32, anchor: GroupAnchor },
	/// A signer checked `coordinator`'s proposal whose message is `message` and commits to its
	/// nonces (for that coordinator's round and retry only: two coordinators may propose the
	/// same batch, and a commitment to an earlier try is not taken into a later one).
	Commit { coordinator: Index, batch: u64, retry: u32, message: [u8; 32], commitments: Vec<u8> },
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
	/// Its number in the sender's stream ([`Body::stream`]), above every earlier one.
	pub seq: u64,
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

/// Which of a sender's streams a message is numbered in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Stream {
	/// Key generation, round 1 (retained by the broker).
	Round1,
	/// Key generation, round 2 to member `to` (retained).
	Round2 { to: Index },
	/// Everything else.
	Messages,
}

impl Body {
	/// The stream this message is numbered in.
	pub fn stream(&self) -> Stream {
		match self {
			Body::Round1 { .. } => Stream::Round1,
			Body::Round2 { to, .. } => Stream::Round2 { to: *to },
			_ => Stream::Messages,
		}
	}
}

/// Why a message that checked was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Stale {
	/// Its number is not above the last taken from its stream: a replay (or a duplicate).
	#[error("number {seq}, not above the last taken from its sender ({last})")]
	Replayed { seq: u64, last: u64 },
	/// Sent longer ago than [`MAX_AGE_MS`], or further ahead than [`MAX_AHEAD_MS`].
	#[error("sent at {sent_ms}, this member's clock says {now_ms}")]
	Untimely { sent_ms: u64, now_ms: u64 },
}

/// The numbers a member took last from each sender's streams (state alone, no I/O).
#[derive(Default, Debug)]
pub struct Freshness {
	last: std::collections::HashMap<(Index, Stream), u64>,
}

impl Freshness {
	/// Take `env` (which checked) at `now_ms` if it is newer than the last of its stream, and,
	/// unless it is key generation's (retained, so legitimately old), sent within the last
	/// [`MAX_AGE_MS`] and not more than [`MAX_AHEAD_MS`] ahead.
	pub fn admit(&mut self, env: &Envelope, now_ms: u64) -> Result<(), Stale> {
		let stream = env.body.stream();
		if stream == Stream::Messages
			&& (env.sent_ms.saturating_add(MAX_AGE_MS) < now_ms
				|| env.sent_ms > now_ms.saturating_add(MAX_AHEAD_MS))
		{
			return Err(Stale::Untimely { sent_ms: env.sent_ms, now_ms });
		}
		let last = self.last.entry((env.from, stream)).or_default();
		if env.seq <= *last {
			return Err(Stale::Replayed { seq: env.seq, last: *last });
		}
		*last = env.seq;
		Ok(())
	}

	/// Forget everything (a new epoch).
	pub fn clear(&mut self) {
		self.last.clear();
	}
}

/// A sender's message numbers: each above the last, and at least the time in microseconds, so
/// they keep rising when the sender starts again.
#[derive(Default, Debug)]
pub struct Sequencer {
	last: std::sync::atomic::AtomicU64,
}

impl Sequencer {
	/// The next number, at `now_ms`.
	pub fn next(&self, now_ms: u64) -> u64 {
		use std::sync::atomic::Ordering;
		let floor = now_ms.saturating_mul(1_000);
		let step = |last: u64| Some(last.saturating_add(1).max(floor));
		let last = self.last.fetch_update(Ordering::SeqCst, Ordering::SeqCst, step);
		// `step` always answers; qed.
		last.map_or(floor, |last| last.saturating_add(1).max(floor))
	}
}

fn signed_bytes(genesis: &H256, env: &Envelope) -> Vec<u8> {
	let mut bytes = DOMAIN.to_vec();
	bytes.extend_from_slice(genesis.as_bytes());
	(env.group, env.epoch, env.from, env.sent_ms, env.seq, &env.body).encode_to(&mut bytes);
	bytes
}

impl Envelope {
	/// `body`, sent at `sent_ms` as number `seq` of its stream by member `from` of `group` in
	/// `epoch`, signed with `key`.
	pub fn seal(
		key: &subxt_signer::sr25519::Keypair,
		genesis: &H256,
		(group, epoch, from): (GroupId, Epoch, Index),
		(sent_ms, seq): (u64, u64),
		body: Body,
	) -> Vec<u8> {
		let mut env = Envelope { group, epoch, from, sent_ms, seq, body, signature: [0; 64] };
		env.signature = key.sign(&signed_bytes(genesis, &env)).0;
		env.encode()
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
		let bytes = signed_bytes(genesis, &env);
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
		let bytes = Envelope::seal(&alice, &genesis, (3, 1, 0), (1_000, 1), body.clone());
		assert_eq!(Envelope::open(&bytes, &genesis, 3, 1, &members).unwrap().body, body);
		// Bob signs, claiming to be Alice: dropped.
		let forged = Envelope::seal(&bob, &genesis, (3, 1, 0), (1_000, 1), body.clone());
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
		let stranger = Envelope::seal(&bob, &genesis, (3, 1, 5), (1_000, 1), body);
		assert_eq!(
			Envelope::open(&stranger, &genesis, 3, 1, &members),
			Err(WireError::NoSuchMember(5))
		);
	}

	/// The attacks of a broker client that captured members' messages: it publishes a `Want`
	/// again (every member would answer with up to 5,000 readings), or an old round-1 message
	/// after its sender started key generation again. Both are dropped; a member that restarted
	/// remembers no numbers but takes no message older than a minute.
	#[test]
	fn a_captured_message_published_again_is_dropped() {
		let genesis = H256::repeat_byte(7);
		let alice = crate::chain::keypair("//Alice").unwrap();
		let members = [alice.public_key().0];
		let numbers = Sequencer::default();
		let now = 1_700_000_000_000;
		let seal = |at: u64, body: Body| {
			let seq = numbers.next(at);
			Envelope::open(
				&Envelope::seal(&alice, &genesis, (3, 1, 0), (at, seq), body),
				&genesis,
				3,
				1,
				&members,
			)
			.unwrap()
		};
		let want = seal(now, Body::Want { ranges: vec![(DeviceId::repeat_byte(1), 0, 9)] });
		let old_round1 = seal(now, Body::Round1 { package: vec![1], exchange: [0; 32] });
		let new_round1 = seal(now + 5, Body::Round1 { package: vec![2], exchange: [0; 32] });
		let later = seal(now + 10, Body::Want { ranges: vec![] });
		let mut fresh = Freshness::default();
		assert_eq!(fresh.admit(&want, now), Ok(()));
		assert!(matches!(fresh.admit(&want, now + 1), Err(Stale::Replayed { .. })));
		assert_eq!(fresh.admit(&new_round1, now + 6), Ok(()));
		assert!(matches!(fresh.admit(&old_round1, now + 7), Err(Stale::Replayed { .. })));
		assert_eq!(fresh.admit(&later, now + 11), Ok(()));
		assert!(matches!(fresh.admit(&want, now + 12), Err(Stale::Replayed { .. })));
		// Restarted: no numbers remembered; a captured message is too old, retained key
		// generation is not judged by age.
		let mut restarted = Freshness::default();
		assert!(matches!(
			restarted.admit(&want, now + MAX_AGE_MS + 1),
			Err(Stale::Untimely { .. })
		));
		assert_eq!(restarted.admit(&new_round1, now + 10 * MAX_AGE_MS), Ok(()));
		// From the future.
		let ahead = seal(now + MAX_AHEAD_MS + 1_000, Body::Want { ranges: vec![] });
		assert!(matches!(restarted.admit(&ahead, now), Err(Stale::Untimely { .. })));
		// Streams are numbered apart, and numbers rise across restarts.
		assert!(matches!(
			restarted.admit(&old_round1, now + 10 * MAX_AGE_MS),
			Err(Stale::Replayed { .. })
		));
		let again = Sequencer::default();
		assert!(again.next(now + 20) > later.seq);
	}
}
