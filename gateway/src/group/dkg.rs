//! Distributed key generation for a group's epoch, with the Zcash Foundation's `frost-ed25519`
//! (its three-part DKG): no gateway ever holds the group's secret key, each ends with its own
//! share and the group's public key.
//!
//! Round-1 packages are broadcast. Round-2 packages are secret to their recipient: each is
//! sealed ([`super::seal`]) under a key from an X25519 agreement between the sender's and the
//! recipient's exchange keys, which each member announces in its (signed) round-1 message, and
//! bound to the digest of the round-1 packages it was made from. A member that starts again
//! without its state announces a new round-1 package; the others see the set change and make
//! their round-2 packages again, so the key generation converges once every member has stayed up
//! long enough, with no coordinator.

use super::{
	seal,
	wire::{Body, Index},
};
use codec::Encode;
use frost_ed25519::{
	self as frost,
	keys::{
		dkg::{self, round1, round2},
		KeyPackage, PublicKeyPackage,
	},
	Identifier,
};
use std::collections::BTreeMap;
use x25519_dalek::{PublicKey, StaticSecret};

/// Why a key generation step failed.
#[derive(Debug, thiserror::Error)]
pub enum DkgError {
	/// FROST refused a package or a step (a member sent a bad package).
	#[error("FROST: {0}")]
	Frost(#[from] frost::Error),
	/// A round-2 package that does not open under the agreed key.
	#[error("a round-2 package from member {0} does not open")]
	Unsealed(Index),
	/// An exchange key that gives no shared secret (a low-order point).
	#[error("member {0} announced a weak exchange key")]
	WeakExchangeKey(Index),
}

/// A member's FROST identifier: its index plus one (identifiers are non-zero).
pub fn identifier(index: Index) -> Identifier {
	// Non-zero for every index below u16::MAX, and groups are far smaller; qed.
	Identifier::try_from(index.saturating_add(1)).expect("a non-zero identifier; qed")
}

/// One member's key generation for one epoch.
pub struct Dkg {
	me: Index,
	n: u16,
	secret: round1::SecretPackage,
	exchange: StaticSecret,
	/// Every member's round-1 package and exchange key, this member's included.
	round1: BTreeMap<Index, (round1::Package, [u8; 32])>,
	/// Round 2, made from the round-1 set with this digest.
	part2: Option<([u8; 32], round2::SecretPackage)>,
	/// Sealed round-2 packages for this member, with the digest they were made from.
	round2: BTreeMap<Index, ([u8; 32], Vec<u8>)>,
}

impl Dkg {
	/// Start: member `me` of `n`, `t` to sign. Returns the round-1 message to broadcast.
	pub fn start(me: Index, n: u16, t: u16) -> Result<(Self, Body), DkgError> {
		let rng = rand::rngs::OsRng;
		let (secret, package) = dkg::part1(identifier(me), n, t, rng)?;
		let exchange = StaticSecret::random_from_rng(rng);
		let public = PublicKey::from(&exchange).to_bytes();
		let body = Body::Round1 { package: package.serialize()?, exchange: public };
		let round1 = BTreeMap::from([(me, (package, public))]);
		Ok((Self { me, n, secret, exchange, round1, part2: None, round2: BTreeMap::new() }, body))
	}

	/// Member `from`'s round-1 package. Once every member's is in (or one changed), returns the
	/// round-2 messages to broadcast, one per other member.
	pub fn round1(
		&mut self,
		from: Index,
		package: &[u8],
		exchange: [u8; 32],
	) -> Result<Vec<Body>, DkgError> {
		if from == self.me || from >= self.n {
			return Ok(vec![]);
		}
		let package = round1::Package::deserialize(package)?;
		if self.round1.get(&from) == Some(&(package.clone(), exchange)) {
			return Ok(vec![]);
		}
		self.round1.insert(from, (package, exchange));
		if self.round1.len() < usize::from(self.n) {
			return Ok(vec![]);
		}
		let set = self.digest()?;
		let (secret2, packages) = dkg::part2(self.secret.clone(), &self.others())?;
		let mut out = Vec::new();
		for (to, (_, their_exchange)) in self.round1.iter().filter(|(i, _)| **i != self.me) {
			let Some(package) = packages.get(&identifier(*to)) else { continue };
			let key = self.agreed(*to, their_exchange, &set, self.me, *to)?;
			out.push(Body::Round2 {
				to: *to,
				set,
				sealed: seal::seal(&key, &package.serialize()?),
			});
		}
		self.part2 = Some((set, secret2));
		Ok(out)
	}

	/// The transcript this member's round 2 was made from, once it was: the digest of every
	/// member's round-1 package and exchange key, which members confirm on chain with the key.
	pub fn transcript(&self) -> Option<[u8; 32]> {
		self.part2.as_ref().map(|(set, _)| *set)
	}

	/// A round-2 message from `from`; kept if it is for this member.
	pub fn round2(&mut self, from: Index, to: Index, set: [u8; 32], sealed: Vec<u8>) {
		if to == self.me && from != self.me && from < self.n {
			self.round2.insert(from, (set, sealed));
		}
	}

	/// The key share and the group's public keys, once every other member's round-2 package
	/// made from the current round-1 set is in.
	pub fn finish(&self) -> Option<Result<(KeyPackage, PublicKeyPackage), DkgError>> {
		let (set, secret2) = self.part2.as_ref()?;
		let mine: Vec<_> = self.round2.iter().filter(|(_, (s, _))| s == set).collect();
		if mine.len() + 1 < usize::from(self.n) {
			return None;
		}
		let open = || -> Result<(KeyPackage, PublicKeyPackage), DkgError> {
			let mut packages = BTreeMap::new();
			for (from, (_, sealed)) in mine {
				let (_, their_exchange) =
					&self.round1.get(from).ok_or(DkgError::Unsealed(*from))?;
				let key = self.agreed(*from, their_exchange, set, *from, self.me)?;
				let bytes = seal::open(&key, sealed).ok_or(DkgError::Unsealed(*from))?;
				packages.insert(identifier(*from), round2::Package::deserialize(&bytes)?);
			}
			Ok(dkg::part3(secret2, &self.others(), &packages)?)
		};
		Some(open())
	}

	fn others(&self) -> BTreeMap<Identifier, round1::Package> {
		self.round1
			.iter()
			.filter(|(i, _)| **i != self.me)
			.map(|(i, (p, _))| (identifier(*i), p.clone()))
			.collect()
	}

	/// The digest of the round-1 set: every member's package and exchange key.
	fn digest(&self) -> Result<[u8; 32], DkgError> {
		let mut all = Vec::new();
		for (i, (p, x)) in &self.round1 {
			all.push((*i, p.serialize()?, *x));
		}
		Ok(sp_io::hashing::blake2_256(&all.encode()))
	}

	/// The key sealing the round-2 package `from` → `to` made from round-1 set `set`.
	fn agreed(
		&self,
		other: Index,
		their_exchange: &[u8; 32],
		set: &[u8; 32],
		from: Index,
		to: Index,
	) -> Result<[u8; 32], DkgError> {
		let shared = self.exchange.diffie_hellman(&PublicKey::from(*their_exchange));
		if !shared.was_contributory() {
			return Err(DkgError::WeakExchangeKey(other));
		}
		let mut bytes = b"iotrust/group-dkg-round2/v1".to_vec();
		bytes.extend_from_slice(shared.as_bytes());
		bytes.extend_from_slice(set);
		(from, to).encode_to(&mut bytes);
		Ok(sp_io::hashing::blake2_256(&bytes))
	}
}

/// The group's public key, as the chain holds it.
pub fn group_key(public: &PublicKeyPackage) -> Result<[u8; 32], frost::Error> {
	let bytes = public.verifying_key().serialize()?;
	let mut key = [0u8; 32];
	if bytes.len() != 32 {
		return Err(frost::Error::MalformedVerifyingKey);
	}
	key.copy_from_slice(&bytes);
	Ok(key)
}

#[cfg(test)]
pub mod tests {
	use super::*;

	/// Run a whole key generation among `n` members, `t` to sign, delivering every message to
	/// every member; `restart` starts that member again (a new round 1) once round 2 began.
	pub fn generate(n: u16, t: u16, restart: Option<Index>) -> Vec<(KeyPackage, PublicKeyPackage)> {
		let mut members = Vec::new();
		let mut mail: Vec<(Index, Body)> = Vec::new();
		for i in 0..n {
			let (dkg, body) = Dkg::start(i, n, t).unwrap();
			members.push(dkg);
			mail.push((i, body));
		}
		// What the broker retains: each member's round-1 message.
		let retained = mail.clone();
		let mut restarted = restart.is_none();
		while let Some((from, body)) = mail.pop() {
			for member in members.iter_mut() {
				match &body {
					Body::Round1 { package, exchange } => {
						let out = member.round1(from, package, *exchange).unwrap();
						mail.extend(out.into_iter().map(|b| (member.me, b)));
					},
					Body::Round2 { to, set, sealed } => {
						member.round2(from, *to, *set, sealed.clone())
					},
					_ => unreachable!(),
				}
			}
			if !restarted && matches!(body, Body::Round2 { .. }) {
				restarted = true;
				let i = restart.unwrap();
				let (dkg, body) = Dkg::start(i, n, t).unwrap();
				members[usize::from(i)] = dkg;
				mail.insert(0, (i, body));
				// It reads the others' retained round-1 messages again.
				mail.extend(retained.iter().filter(|(from, _)| *from != i).cloned());
			}
		}
		members.iter().map(|m| m.finish().expect("finished").unwrap()).collect()
	}

	#[test]
	fn every_member_ends_with_the_same_group_key_and_its_own_share() {
		let keys = generate(4, 3, None);
		let group = group_key(&keys[0].1).unwrap();
		for (i, (share, public)) in keys.iter().enumerate() {
			assert_eq!(group_key(public).unwrap(), group);
			assert_eq!(*share.identifier(), identifier(i as Index));
			assert_eq!(*share.min_signers(), 3);
		}
		assert_ne!(keys[0].0.signing_share(), keys[1].0.signing_share());
	}

	#[test]
	fn a_member_that_starts_again_mid_way_still_ends_with_one_key_for_all() {
		let keys = generate(4, 3, Some(2));
		let group = group_key(&keys[0].1).unwrap();
		assert!(keys.iter().all(|(_, p)| group_key(p).unwrap() == group));
	}

	#[test]
	fn a_round2_package_opens_for_its_recipient_only() {
		let (mut a, a1) = Dkg::start(0, 3, 2).unwrap();
		let (mut b, b1) = Dkg::start(1, 3, 2).unwrap();
		let (mut c, c1) = Dkg::start(2, 3, 2).unwrap();
		let r1 = |body: &Body| match body {
			Body::Round1 { package, exchange } => (package.clone(), *exchange),
			_ => unreachable!(),
		};
		for (i, body) in [(0, &a1), (1, &b1), (2, &c1)] {
			let (p, x) = r1(body);
			for m in [&mut a, &mut b, &mut c] {
				m.round1(i, &p, x).unwrap();
			}
		}
		// What a sent to b, c keeps as if it were for it: it cannot open it.
		let a_to_b = a.round1(1, &r1(&b1).0, r1(&b1).1).unwrap();
		assert!(a_to_b.is_empty(), "nothing changed, nothing sent again");
		let (set, secret2) = a.part2.clone().unwrap();
		let (_, packages) = dkg::part2(a.secret.clone(), &a.others()).unwrap();
		let key_ab = a.agreed(1, &b.round1[&1].1, &set, 0, 1).unwrap();
		let sealed = seal::seal(&key_ab, &packages[&identifier(1)].serialize().unwrap());
		let key_ac = c.agreed(0, &c.round1[&0].1, &set, 0, 2).unwrap();
		assert!(seal::open(&key_ac, &sealed).is_none());
		let key_b = b.agreed(0, &b.round1[&0].1, &set, 0, 1).unwrap();
		assert!(seal::open(&key_b, &sealed).is_some());
		drop(secret2);
	}
}
