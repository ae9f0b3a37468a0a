//! FROST signing, two rounds, with `frost-ed25519`: a coordinator gathers `t` signers'
//! commitments to fresh nonces ([`Round::commitment`]), sends them the signing package, and
//! aggregates their signature shares into one Ed25519 signature ([`Round::share`]), which
//! `frost-ed25519` checks (naming a signer whose share is bad).
//!
//! A member that commits and then sends no share would stall every round it is let into: the
//! coordinator names the signers whose shares are missing ([`Round::withheld`]) and starts the
//! round again without them ([`Round::new`]'s `excluded`), as long as enough others remain.
//!
//! A signer ([`Signer`]) commits only to a message it checked itself, and signs only a signing
//! package over that same message with its own commitment in it: its nonces are used once and
//! forgotten, so no coordinator gets two signatures from one pair of nonces.

use super::{dkg::identifier, wire::Index};
use frost_ed25519::{
	self as frost,
	keys::{KeyPackage, PublicKeyPackage},
	round1::{SigningCommitments, SigningNonces},
	round2::SignatureShare,
	Identifier, SigningPackage,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Why a signing step was refused.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
	/// FROST refused it (malformed, or a bad share: `frost` names the signer).
	#[error("FROST: {0}")]
	Frost(#[from] frost::Error),
	/// A signing package for which this signer holds no commitment (never checked that
	/// message, or already signed with those nonces).
	#[error("no commitment of ours for batch {0} with that message")]
	NotCommitted(u64),
	/// A signing package that does not carry this signer's commitment as it made it.
	#[error("the signing package does not carry our commitment")]
	CommitmentChanged,
	/// A signing package over a message other than the one checked.
	#[error("the signing package signs another message")]
	OtherMessage,
}

/// Open commitments kept for one coordinator at most (its oldest forgotten first), so that a
/// member flooding proposals pushes out only commitments to itself.
const OPEN_PER_COORDINATOR: usize = 4;
/// Open commitments kept at most (oldest forgotten first): bounds what proposals cost.
const OPEN_AT_MOST: usize = 256;

/// Nonces committed for (coordinator, batch, message).
type Committed = ((Index, u64, [u8; 32]), SigningNonces);

/// A member's signing side.
pub struct Signer {
	key: KeyPackage,
	open: VecDeque<Committed>,
}

impl Signer {
	/// A signer with key share `key`.
	pub fn new(key: KeyPackage) -> Self {
		Self { key, open: VecDeque::new() }
	}

	/// Commit to fresh nonces for `coordinator`'s batch `batch` over `message` (which the caller
	/// checked); returns the commitments to send.
	pub fn commit(
		&mut self,
		coordinator: Index,
		batch: u64,
		message: [u8; 32],
	) -> Result<Vec<u8>, SignError> {
		let (nonces, commitments) =
			frost::round1::commit(self.key.signing_share(), &mut rand::rngs::OsRng);
		self.open.retain(|(k, _)| *k != (coordinator, batch, message));
		let theirs = self.open.iter().filter(|((c, _, _), _)| *c == coordinator).count();
		if theirs >= OPEN_PER_COORDINATOR {
			if let Some(oldest) = self.open.iter().position(|((c, _, _), _)| *c == coordinator) {
				self.open.remove(oldest);
			}
		} else if self.open.len() >= OPEN_AT_MOST {
			self.open.pop_front();
		}
		self.open.push_back(((coordinator, batch, message), nonces));
		Ok(commitments.serialize()?)
	}

	/// Sign `coordinator`'s signing `package` for batch `batch` over `message`: only with the
	/// nonces committed for exactly that, once.
	pub fn sign(
		&mut self,
		coordinator: Index,
		batch: u64,
		message: [u8; 32],
		package: &[u8],
	) -> Result<Vec<u8>, SignError> {
		let package = SigningPackage::deserialize(package)?;
		if package.message().as_slice() != message {
			return Err(SignError::OtherMessage);
		}
		let at = self
			.open
			.iter()
			.position(|(k, _)| *k == (coordinator, batch, message))
			.ok_or(SignError::NotCommitted(batch))?;
		let ours = package.signing_commitments().get(self.key.identifier());
		if ours != Some(self.open[at].1.commitments()) {
			return Err(SignError::CommitmentChanged);
		}
		// Used once, whatever happens next.
		let (_, nonces) = self.open.remove(at).ok_or(SignError::NotCommitted(batch))?;
		Ok(frost::round2::sign(&package, &nonces, &self.key)?.serialize())
	}
}

/// A coordinator's round over one message.
pub struct Round {
	/// The message signed.
	pub message: [u8; 32],
	threshold: usize,
	excluded: BTreeSet<Index>,
	commitments: BTreeMap<Identifier, SigningCommitments>,
	/// The members committed, by their FROST identifiers.
	signers: BTreeMap<Identifier, Index>,
	package: Option<SigningPackage>,
	shares: BTreeMap<Identifier, SignatureShare>,
}

impl Round {
	/// A round over `message`, `threshold` signers needed, whose commitments from `excluded`
	/// members are not taken.
	pub fn new(message: [u8; 32], threshold: u16, excluded: BTreeSet<Index>) -> Self {
		Self {
			message,
			threshold: usize::from(threshold),
			excluded,
			commitments: BTreeMap::new(),
			signers: BTreeMap::new(),
			package: None,
			shares: BTreeMap::new(),
		}
	}

	/// Whether the signing package went out (the round waits for shares).
	pub fn signing(&self) -> bool {
		self.package.is_some()
	}

	/// The members in the signing package whose shares have not come.
	pub fn withheld(&self) -> BTreeSet<Index> {
		self.signers
			.iter()
			.filter(|(id, _)| !self.shares.contains_key(*id))
			.map(|(_, index)| *index)
			.collect()
	}

	/// Member `from`'s commitments. Once `threshold` signers have committed, returns the signing
	/// package to send them (once). An excluded member's are not taken.
	pub fn commitment(&mut self, from: Index, bytes: &[u8]) -> Result<Option<Vec<u8>>, SignError> {
		if self.package.is_some() || self.excluded.contains(&from) {
			return Ok(None);
		}
		let commitments = SigningCommitments::deserialize(bytes)?;
		self.commitments.insert(identifier(from), commitments);
		self.signers.insert(identifier(from), from);
		if self.commitments.len() < self.threshold {
			return Ok(None);
		}
		let package = SigningPackage::new(self.commitments.clone(), &self.message);
		let bytes = package.serialize()?;
		self.package = Some(package);
		Ok(Some(bytes))
	}

	/// Member `from`'s signature share. Once every signer's is in, the group's signature.
	pub fn share(
		&mut self,
		from: Index,
		bytes: &[u8],
		public: &PublicKeyPackage,
	) -> Result<Option<[u8; 64]>, SignError> {
		let Some(package) = &self.package else { return Ok(None) };
		let id = identifier(from);
		if !package.signing_commitments().contains_key(&id) {
			return Ok(None);
		}
		self.shares.insert(id, SignatureShare::deserialize(bytes)?);
		if self.shares.len() < package.signing_commitments().len() {
			return Ok(None);
		}
		let signature = frost::aggregate(package, &self.shares, public);
		// A bad share stays out of the next try.
		if let Err(frost::Error::InvalidSignatureShare { culprits }) = &signature {
			for culprit in culprits {
				self.shares.remove(culprit);
			}
		}
		let bytes = signature?.serialize()?;
		let mut out = [0u8; 64];
		if bytes.len() != 64 {
			return Err(SignError::Frost(frost::Error::MalformedSignature));
		}
		out.copy_from_slice(&bytes);
		Ok(Some(out))
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::group::dkg::{group_key, tests::generate};

	#[test]
	fn three_of_four_sign_a_message_the_chain_checks_as_one_ed25519_signature() {
		let keys = generate(4, 3, None);
		let mut signers: Vec<Signer> = keys.iter().map(|(k, _)| Signer::new(k.clone())).collect();
		let message = [9u8; 32];
		let mut round = Round::new(message, 3, BTreeSet::new());
		let mut package = None;
		for i in [3u16, 0, 2] {
			let c = signers[usize::from(i)].commit(1, 7, message).unwrap();
			package = round.commitment(i, &c).unwrap().or(package);
		}
		let package = package.expect("three commitments make a package");
		let mut signature = None;
		for i in [3u16, 0, 2] {
			let share = signers[usize::from(i)].sign(1, 7, message, &package).unwrap();
			signature = round.share(i, &share, &keys[0].1).unwrap().or(signature);
		}
		let signature = signature.expect("three shares make a signature");
		// What the runtime does: one Ed25519 check with the group's key.
		let key = sp_core::ed25519::Public::from_raw(group_key(&keys[0].1).unwrap());
		let sig = sp_core::ed25519::Signature::from_raw(signature);
		assert!(sp_io::crypto::ed25519_verify(&sig, &message, &key));
		assert!(!sp_io::crypto::ed25519_verify(&sig, &[8u8; 32], &key));
	}

	/// The attack of a member that commits to every round at once and never sends its share:
	/// the coordinator names it, and the round started again without it gets its signature from
	/// the others.
	#[test]
	fn a_signer_that_withholds_its_share_is_left_out_of_the_next_try() {
		let keys = generate(4, 3, None);
		let mut signers: Vec<Signer> = keys.iter().map(|(k, _)| Signer::new(k.clone())).collect();
		let message = [3u8; 32];
		// Member 1 commits first; its share never comes.
		let mut round = Round::new(message, 3, BTreeSet::new());
		let mut package = None;
		for i in [1u16, 0, 2] {
			let c = signers[usize::from(i)].commit(0, 9, message).unwrap();
			package = round.commitment(i, &c).unwrap().or(package);
		}
		assert!(round.signing());
		let package = package.unwrap();
		for i in [0u16, 2] {
			let share = signers[usize::from(i)].sign(0, 9, message, &package).unwrap();
			assert_eq!(round.share(i, &share, &keys[0].1).unwrap(), None);
		}
		assert_eq!(round.withheld(), BTreeSet::from([1]));
		// Again without member 1: its commitment, first again, is not taken.
		let mut again = Round::new(message, 3, round.withheld());
		let mut package = None;
		for i in [1u16, 0, 2, 3] {
			let c = signers[usize::from(i)].commit(0, 9, message).unwrap();
			package = again.commitment(i, &c).unwrap().or(package);
		}
		let package = package.unwrap();
		let mut signature = None;
		for i in [0u16, 2, 3] {
			let share = signers[usize::from(i)].sign(0, 9, message, &package).unwrap();
			signature = again.share(i, &share, &keys[0].1).unwrap().or(signature);
		}
		assert!(signature.is_some());
		assert!(again.withheld().is_empty());
	}

	/// The attack of a member that floods proposals to push out the commitments honest members
	/// made to the real coordinator (who would then blame them for a missing share).
	#[test]
	fn a_flood_of_proposals_pushes_out_only_commitments_to_its_sender() {
		let keys = generate(3, 2, None);
		let mut signer = Signer::new(keys[1].0.clone());
		let mut other = Signer::new(keys[2].0.clone());
		let message = [5u8; 32];
		let mut round = Round::new(message, 2, BTreeSet::new());
		round.commitment(1, &signer.commit(0, 7, message).unwrap()).unwrap();
		let package = round.commitment(2, &other.commit(0, 7, message).unwrap()).unwrap().unwrap();
		for i in 0..1_000u64 {
			signer.commit(2, i, [i as u8; 32]).unwrap();
		}
		assert!(signer.sign(0, 7, message, &package).is_ok(), "member 0's round is intact");
	}

	#[test]
	fn a_signer_signs_only_the_message_it_checked_and_only_once() {
		let keys = generate(3, 2, None);
		let mut a = Signer::new(keys[0].0.clone());
		let mut b = Signer::new(keys[1].0.clone());
		let checked = [1u8; 32];
		let other = [2u8; 32];
		let mut round = Round::new(checked, 2, BTreeSet::new());
		round.commitment(0, &a.commit(0, 5, checked).unwrap()).unwrap();
		let package = round.commitment(1, &b.commit(0, 5, checked).unwrap()).unwrap().unwrap();
		// A coordinator that swaps the message gets nothing.
		let mut swapped = Round::new(other, 2, BTreeSet::new());
		swapped.commitment(0, &a.commit(0, 5, checked).unwrap()).unwrap();
		let bad = swapped.commitment(1, &b.commit(0, 5, checked).unwrap()).unwrap().unwrap();
		assert!(matches!(b.sign(0, 5, checked, &bad), Err(SignError::OtherMessage)));
		assert!(matches!(b.sign(0, 5, other, &bad), Err(SignError::NotCommitted(5))));
		// The checked message, once; the same nonces never again.
		let b_latest = b.commit(0, 5, checked).unwrap();
		let mut round = Round::new(checked, 2, BTreeSet::new());
		round.commitment(0, &a.commit(0, 5, checked).unwrap()).unwrap();
		let package2 = round.commitment(1, &b_latest).unwrap().unwrap();
		assert!(b.sign(0, 5, checked, &package2).is_ok());
		assert!(matches!(b.sign(0, 5, checked, &package2), Err(SignError::NotCommitted(5))));
		// A package carrying a commitment b no longer holds: refused.
		assert!(b.sign(0, 5, checked, &package).is_err());
	}
}
