//! Gateway groups: what the groups pallet shares with the anchoring pallet and with gateways.
//!
//! A group is a set of gateways of different consortium members that holds one Ed25519 key
//! between them, made by a distributed key generation (FROST); any `threshold` of them can sign
//! with it together, none alone. An anchor a group signs ([`GroupAnchor`]) is checked on chain as
//! one Ed25519 signature, whatever the group's size. Devices bind to the group's account
//! ([`GatewayGroups::account_of`]), which no one holds a key for: only anchors the group signed
//! can anchor their readings.

use crate::{anchoring::MetricSummary, device::DeviceId};
use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;
use sp_core::H256;

/// A group's number, as the chain assigns it.
pub type GroupId = u32;

/// A group's key epoch: it starts at 1 and grows by one with every change of the group's members
/// or threshold, each epoch with a key of its own.
pub type Epoch = u32;

/// A group's Ed25519 public key (32 bytes, compressed Edwards point).
pub type GroupPublicKey = [u8; 32];

/// An Ed25519 signature (64 bytes) by a group's key.
pub type GroupSignature = [u8; 64];

/// The group key a group's anchors are checked against now.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, Copy, PartialEq, Eq, Debug)]
pub struct ActiveKey {
	/// The key's epoch.
	pub epoch: Epoch,
	/// The key.
	pub key: GroupPublicKey,
}

/// Which group, in which epoch, endorsed an anchor.
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
pub struct Endorsement {
	/// The group.
	pub group: GroupId,
	/// The key epoch its signature was made in.
	pub epoch: Epoch,
}

/// What the anchoring pallet needs to know of groups.
pub trait GatewayGroups<AccountId> {
	/// The key `group`'s anchors are checked against now: `None` if the group does not exist or
	/// its current epoch's key is not yet confirmed by every member.
	fn active_key(group: GroupId) -> Option<ActiveKey>;
	/// The account devices bind to in order to be anchored by `group`, if it exists.
	fn account_of(group: GroupId) -> Option<AccountId>;
	/// Whether `who` is one of `group`'s member gateways.
	fn is_member(group: GroupId, who: &AccountId) -> bool;
	/// What an anchor `submitter` brings for `group` is checked against: the group's active key
	/// and its account, if `submitter` is a member and the key is active. The default asks the
	/// three questions above; an implementation may answer them from one read.
	fn anchoring_key(
		group: GroupId,
		submitter: &AccountId,
	) -> Result<(ActiveKey, AccountId), GroupRefusal> {
		if !Self::is_member(group, submitter) {
			return Err(GroupRefusal::NotMember);
		}
		let key = Self::active_key(group).ok_or(GroupRefusal::KeyNotActive)?;
		let account = Self::account_of(group).ok_or(GroupRefusal::NotMember)?;
		Ok((key, account))
	}
}

/// Why a group's anchor cannot be checked.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum GroupRefusal {
	/// The submitter is not one of the group's member gateways, or there is no such group.
	NotMember,
	/// The group's key of its current epoch is not active.
	KeyNotActive,
}

impl<AccountId> GatewayGroups<AccountId> for () {
	fn active_key(_: GroupId) -> Option<ActiveKey> {
		None
	}
	fn account_of(_: GroupId) -> Option<AccountId> {
		None
	}
	fn is_member(_: GroupId, _: &AccountId) -> bool {
		false
	}
}

/// One device's share of a group anchor, as signed: the same fields, in the same order, as the
/// anchoring pallet's `DeviceRange` (so the two encode alike).
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct SignedRange {
	/// The device.
	pub device: DeviceId,
	/// Its first sequence number in the batch.
	pub first: u64,
	/// Its last sequence number in the batch.
	pub last: u64,
	/// Min and max of each metric among its readings in the batch.
	pub summaries: Vec<MetricSummary>,
}

/// Everything a group's signature over an anchor vouches for. Its [`GroupAnchor::message`] binds
/// the chain (genesis), the group and its epoch, so a signature made for one chain, group or
/// epoch is worth nothing in another.
#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
pub struct GroupAnchor {
	/// The chain's genesis hash.
	pub genesis: H256,
	/// The group.
	pub group: GroupId,
	/// The epoch of the key that signs.
	pub epoch: Epoch,
	/// The group's number for the batch.
	pub batch: u64,
	/// The Merkle root over its readings.
	pub root: H256,
	/// How many readings it holds.
	pub reading_count: u32,
	/// The earliest reading's timestamp, Unix ms.
	pub from_ms: u64,
	/// The latest reading's timestamp, Unix ms.
	pub to_ms: u64,
	/// Each device's range and summaries.
	pub ranges: Vec<SignedRange>,
}

/// The prefix that keeps a group anchor's message apart from anything else the key may sign.
pub const GROUP_ANCHOR_DOMAIN: &[u8] = b"iotrust/group-anchor/v1";

impl GroupAnchor {
	/// The 32 bytes the group signs: BLAKE2-256 of the domain followed by the anchor's SCALE
	/// encoding.
	pub fn message(&self) -> [u8; 32] {
		Self::message_of(self)
	}

	/// [`GroupAnchor::message`] of anything that encodes as a `GroupAnchor` does (the pallet
	/// passes its own fields, which encode alike), encoded once, straight after the domain.
	pub fn message_of(anchor: &impl Encode) -> [u8; 32] {
		let mut bytes = Vec::with_capacity(GROUP_ANCHOR_DOMAIN.len() + anchor.size_hint());
		bytes.extend_from_slice(GROUP_ANCHOR_DOMAIN);
		anchor.encode_to(&mut bytes);
		sp_io::hashing::blake2_256(&bytes)
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn the_message_binds_every_field() {
		let anchor = GroupAnchor {
			genesis: H256::repeat_byte(1),
			group: 3,
			epoch: 2,
			batch: 7,
			root: H256::repeat_byte(9),
			reading_count: 10,
			from_ms: 1,
			to_ms: 2,
			ranges: alloc::vec![SignedRange {
				device: H256::repeat_byte(5),
				first: 0,
				last: 9,
				summaries: alloc::vec![MetricSummary { id: 1, min: -3, max: 4 }],
			}],
		};
		let m = anchor.message();
		let variants = [
			GroupAnchor { genesis: H256::repeat_byte(2), ..anchor.clone() },
			GroupAnchor { group: 4, ..anchor.clone() },
			GroupAnchor { epoch: 3, ..anchor.clone() },
			GroupAnchor { batch: 8, ..anchor.clone() },
			GroupAnchor { root: H256::repeat_byte(8), ..anchor.clone() },
			GroupAnchor { reading_count: 11, ..anchor.clone() },
			GroupAnchor { to_ms: 3, ..anchor.clone() },
			GroupAnchor { ranges: alloc::vec![], ..anchor.clone() },
		];
		for v in variants {
			assert_ne!(v.message(), m, "{v:?}");
		}
		// Without the domain it is another message.
		assert_ne!(sp_io::hashing::blake2_256(&anchor.encode()), m);
	}
}
