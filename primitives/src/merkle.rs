//! Sensor readings and the Merkle tree gateways anchor them in.
//!
//! ## The reading
//!
//! A device signs the SCALE encoding of [`ReadingPayload`]:
//! `("iotrust/reading/v1", genesis hash, device id, seq, timestamp_ms, metrics)`. A
//! [`SignedReading`] is the payload's fields plus the device's signature.
//!
//! ## The tree
//!
//! - Leaf: `blake2_256(0x00 ‖ SCALE(SignedReading))`: the signature is in the leaf, so a
//!   reading and its proof are enough to check both the anchoring and the device's signature.
//! - Inner node: `blake2_256(0x01 ‖ left ‖ right)`. The prefixes keep a leaf from ever
//!   passing for an inner node.
//! - Leaves stay in batch order. At each level, nodes pair up left to right; an odd node out is
//!   carried up unchanged (never paired with itself, so no two batches of different sizes share a
//!   root by duplication).
//! - The root of one leaf is that leaf's hash; an empty batch has no root.
//! - A proof is the sibling hashes from the leaf up, skipping the levels where the node was
//!   carried up alone; it is checked against the leaf's index and the batch's leaf count.

use crate::device::{DeviceId, DeviceSignature};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use core::fmt::Debug;
use scale_info::TypeInfo;
use sp_core::H256;

/// Domain separator of a reading's signed payload.
pub const READING_DOMAIN: &[u8] = b"iotrust/reading/v1";

/// Which quantity a metric measures. Values are fixed-point integers in the unit listed.
pub type MetricId = u16;

/// Well-known metric ids.
pub mod metric {
	use super::MetricId;
	/// Temperature, milli-degrees Celsius.
	pub const TEMPERATURE_MILLI_C: MetricId = 1;
	/// Relative humidity, per-mille.
	pub const HUMIDITY_PER_MILLE: MetricId = 2;
	/// Pressure, pascals.
	pub const PRESSURE_PA: MetricId = 3;
	/// Battery, millivolts.
	pub const BATTERY_MV: MetricId = 4;
}

/// One measured value.
#[derive(
	Encode,
	Decode,
	DecodeWithMemTracking,
	MaxEncodedLen,
	TypeInfo,
	Clone,
	Copy,
	PartialEq,
	Eq,
	Debug,
)]
pub struct Metric {
	/// What it measures.
	pub id: MetricId,
	/// The value, fixed point in the metric's unit.
	pub value: i64,
}

/// What a device signs for one reading.
#[derive(Encode, Clone, PartialEq, Eq, Debug)]
pub struct ReadingPayload<'a> {
	/// [`READING_DOMAIN`].
	pub domain: &'a [u8],
	/// The chain's genesis hash.
	pub genesis: H256,
	/// The device.
	pub device: DeviceId,
	/// The device's sequence number for this reading, counting up from 0 without gaps.
	pub seq: u64,
	/// When it was measured, Unix milliseconds (the device's clock).
	pub timestamp_ms: u64,
	/// The values.
	pub metrics: &'a [Metric],
}

/// A reading as a gateway receives, checks, batches and proves it.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct SignedReading {
	/// The device.
	pub device: DeviceId,
	/// The device's sequence number.
	pub seq: u64,
	/// When it was measured, Unix milliseconds.
	pub timestamp_ms: u64,
	/// The values.
	pub metrics: Vec<Metric>,
	/// The device's signature over [`SignedReading::payload`].
	pub signature: DeviceSignature,
}

impl SignedReading {
	/// The bytes the device signed, on the chain with `genesis`.
	pub fn payload(&self, genesis: &H256) -> Vec<u8> {
		ReadingPayload {
			domain: READING_DOMAIN,
			genesis: *genesis,
			device: self.device,
			seq: self.seq,
			timestamp_ms: self.timestamp_ms,
			metrics: &self.metrics,
		}
		.encode()
	}

	/// This reading's leaf in a batch's tree.
	pub fn leaf_hash(&self) -> H256 {
		leaf_hash(&self.encode())
	}
}

/// The leaf hash of an encoded leaf: `blake2_256(0x00 ‖ leaf)`.
pub fn leaf_hash(encoded_leaf: &[u8]) -> H256 {
	let mut data = Vec::with_capacity(encoded_leaf.len() + 1);
	data.push(0u8);
	data.extend_from_slice(encoded_leaf);
	H256(sp_io::hashing::blake2_256(&data))
}

/// An inner node: `blake2_256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &H256, right: &H256) -> H256 {
	let mut data = [0u8; 65];
	data[0] = 1;
	data[1..33].copy_from_slice(left.as_bytes());
	data[33..].copy_from_slice(right.as_bytes());
	H256(sp_io::hashing::blake2_256(&data))
}

/// The next level up: pairs hashed left to right, an odd node out carried up as it is.
fn next_level(level: &[H256]) -> Vec<H256> {
	let mut next = Vec::with_capacity(level.len().div_ceil(2));
	let mut nodes = level.iter();
	while let Some(left) = nodes.next() {
		next.push(match nodes.next() {
			Some(right) => node_hash(left, right),
			None => *left,
		});
	}
	next
}

/// The root over `leaves` (leaf hashes, in batch order); `None` for an empty batch.
pub fn merkle_root(leaves: &[H256]) -> Option<H256> {
	let mut level = leaves.to_vec();
	while level.len() > 1 {
		level = next_level(&level);
	}
	level.first().copied()
}

/// A proof that the leaf at `index` is in a tree of `leaf_count` leaves.
#[derive(Encode, Decode, DecodeWithMemTracking, TypeInfo, Clone, PartialEq, Eq, Debug, Default)]
pub struct MerkleProof {
	/// The leaf's position in the batch.
	pub index: u32,
	/// How many leaves the batch has.
	pub leaf_count: u32,
	/// Sibling hashes from the leaf level up.
	pub siblings: Vec<H256>,
}

/// The proof for the leaf at `index` among `leaves`; `None` if `index` is out of range. It
/// hashes the whole tree: to serve many proofs of one batch, build its [`MerkleTree`] once.
pub fn merkle_proof(leaves: &[H256], index: u32) -> Option<MerkleProof> {
	MerkleTree::new(leaves.to_vec())?.proof(index)
}

/// A batch's whole tree, every level from the leaves up to the root, hashed once: any leaf's
/// proof is then read from it without hashing (a gateway serving proofs keeps the trees of the
/// batches it serves from).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleTree {
	/// `levels[0]` are the leaves; the last level holds the root alone.
	levels: Vec<Vec<H256>>,
}

impl MerkleTree {
	/// The tree over `leaves` (in batch order); `None` for none, or more than `u32::MAX`.
	pub fn new(leaves: Vec<H256>) -> Option<Self> {
		if leaves.is_empty() || u32::try_from(leaves.len()).is_err() {
			return None;
		}
		let mut levels = alloc::vec![leaves];
		while let Some(top) = levels.last().filter(|l| l.len() > 1) {
			let next = next_level(top);
			levels.push(next);
		}
		Some(Self { levels })
	}

	/// The root.
	pub fn root(&self) -> H256 {
		self.levels.last().and_then(|l| l.first()).copied().unwrap_or_default()
	}

	/// The leaves, in batch order.
	pub fn leaves(&self) -> &[H256] {
		self.levels.first().map_or(&[], |l| &l[..])
	}

	/// The proof for the leaf at `index`; `None` if it is out of range.
	pub fn proof(&self, index: u32) -> Option<MerkleProof> {
		let leaf_count = u32::try_from(self.leaves().len()).ok()?;
		if index >= leaf_count {
			return None;
		}
		let mut position = index as usize;
		let mut siblings = Vec::new();
		for level in self.levels.iter().take(self.levels.len().saturating_sub(1)) {
			if let Some(hash) = level.get(position ^ 1) {
				siblings.push(*hash);
			}
			position /= 2;
		}
		Some(MerkleProof { index, leaf_count, siblings })
	}
}

/// Whether `proof` shows that `leaf` is in the tree whose root is `root`. The proof's
/// `leaf_count` shapes the path, and different counts can share a shape (index 0 of 3 leaves and
/// of 4): a verifier must take the count from the anchored batch, not from the proof.
pub fn verify_proof(root: &H256, leaf: &H256, proof: &MerkleProof) -> bool {
	if proof.index >= proof.leaf_count {
		return false;
	}
	let mut hash = *leaf;
	let mut position = proof.index as u64;
	let mut width = proof.leaf_count as u64;
	let mut siblings = proof.siblings.iter();
	while width > 1 {
		let sibling = position ^ 1;
		if sibling < width {
			let Some(other) = siblings.next() else { return false };
			hash = if position.is_multiple_of(2) {
				node_hash(&hash, other)
			} else {
				node_hash(other, &hash)
			};
		}
		position /= 2;
		width = width.div_ceil(2);
	}
	siblings.next().is_none() && &hash == root
}

#[cfg(test)]
mod tests {
	use super::*;

	fn leaves(n: usize) -> Vec<H256> {
		(0..n).map(|i| leaf_hash(alloc::format!("leaf-{i}").as_bytes())).collect()
	}

	fn h(hex: &str) -> H256 {
		H256(hex::decode(hex).unwrap().try_into().unwrap())
	}

	/// Roots of the first n of the leaves `blake2_256(0x00 ‖ "leaf-i")`, computed by an
	/// independent implementation (Python's hashlib BLAKE2b): the documented test vectors.
	const ROOTS: [&str; 7] = [
		"a5cb1c72689aab7acbf03cc4d7a3ae52a770ef186014d84433eb9c321b7e8761",
		"e10d915faab406689186e0251e9bd5cc53b2b9525c1ea544c86e5fe57ece8bf6",
		"55d054ebeb3152b0ccc9ee37e2bf2565344fc079e77b61dc0509c7c1d91dd9f5",
		"9b67219ecc791ef35c029c4436abd0d1c503594645413284119a3472eca180a1",
		"9c479a1682024f7632444814bfd09270da9b382047184a2ece72fb3ca875fc7b",
		"8c789afc289c1a7cc981e590ad541371aed092538fb77180f6ef55410d182b94",
		"94503b729fb0bc5d2da8a069ed93325165b5f4d827e7dbdb2326b406c223a5c2",
	];

	#[test]
	fn roots_match_the_independent_vectors() {
		assert_eq!(merkle_root(&[]), None);
		for (n, expected) in ROOTS.iter().enumerate() {
			assert_eq!(merkle_root(&leaves(n + 1)), Some(h(expected)), "{} leaves", n + 1);
		}
	}

	#[test]
	fn a_reading_encodes_and_hashes_as_documented() {
		let reading = SignedReading {
			device: H256([0x11; 32]),
			seq: 42,
			timestamp_ms: 1_790_000_000_000,
			metrics: alloc::vec![
				Metric { id: metric::TEMPERATURE_MILLI_C, value: -18_500 },
				Metric { id: metric::HUMIDITY_PER_MILLE, value: 655 },
			],
			signature: DeviceSignature::P256([0x22; 64]),
		};
		assert_eq!(
			reading.leaf_hash(),
			h("07e02c2e8b75e5a28ae068fde48d37ad51a172c0949591fcbc4bceeb2735b34d")
		);
		assert_eq!(
			hex::encode(reading.payload(&H256([0x33; 32]))),
			"48696f74727573742f72656164696e672f7631\
			 3333333333333333333333333333333333333333333333333333333333333333\
			 1111111111111111111111111111111111111111111111111111111111111111\
			 2a00000000000000006c50c4a0010000\
			 08\
			 0100bcb7ffffffffffff\
			 02008f02000000000000"
		);
	}

	#[test]
	fn every_leaf_of_every_size_proves_and_nothing_else_does() {
		for n in 1..=17usize {
			let leaves = leaves(n);
			let root = merkle_root(&leaves).unwrap();
			let other_root = merkle_root(&self::leaves(n + 1)).unwrap();
			for (i, leaf) in leaves.iter().enumerate() {
				let proof = merkle_proof(&leaves, i as u32).unwrap();
				assert!(verify_proof(&root, leaf, &proof), "n={n} i={i}");
				// A tampered leaf.
				assert!(!verify_proof(&root, &leaf_hash(b"tampered"), &proof));
				// Another batch's root.
				assert!(!verify_proof(&other_root, leaf, &proof));
				// Another position, or a lied-about size.
				if n > 1 {
					let moved =
						MerkleProof { index: (proof.index + 1) % n as u32, ..proof.clone() };
					assert!(!verify_proof(&root, leaf, &moved), "n={n} i={i} moved");
				}
				// A sibling too many or too few.
				let mut longer = proof.clone();
				longer.siblings.push(H256::zero());
				assert!(!verify_proof(&root, leaf, &longer));
				if !proof.siblings.is_empty() {
					let mut shorter = proof.clone();
					shorter.siblings.pop();
					assert!(!verify_proof(&root, leaf, &shorter));
				}
			}
			assert_eq!(merkle_proof(&leaves, n as u32), None);
		}
	}

	#[test]
	fn a_tree_built_once_has_the_root_and_proofs_of_its_leaves() {
		assert_eq!(MerkleTree::new(Vec::new()), None);
		for n in [1usize, 2, 3, 7, 8, 9, 100] {
			let leaves = leaves(n);
			let tree = MerkleTree::new(leaves.clone()).unwrap();
			assert_eq!(Some(tree.root()), merkle_root(&leaves));
			assert_eq!(tree.leaves(), &leaves[..]);
			for i in 0..n as u32 {
				let proof = tree.proof(i).unwrap();
				assert!(verify_proof(&tree.root(), &leaves[i as usize], &proof), "n={n} i={i}");
			}
			assert_eq!(tree.proof(n as u32), None);
		}
	}

	#[test]
	fn a_leaf_cannot_pass_for_an_inner_node() {
		let leaves = leaves(2);
		let root = merkle_root(&leaves).unwrap();
		// The root of two leaves is an inner node; presenting the concatenated leaves as a
		// one-leaf "batch" must not reproduce it.
		let mut joined = Vec::new();
		joined.extend_from_slice(leaves[0].as_bytes());
		joined.extend_from_slice(leaves[1].as_bytes());
		assert_ne!(leaf_hash(&joined), root);
	}
}
