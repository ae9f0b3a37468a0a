//! Gateway groups: what the groups pallet shares with the anchoring pallet and with gateways.
//!
//! A group is a set of gateways of different consortium members that holds one Ed25519 key
//! between them, made by a distributed key generation (FROST); any `threshold` of them can sign
//! with it together, none alone. An anchor a group signs (`anchoring::GroupAnchor`) is checked
//! on chain as one Ed25519 signature, whatever the group's size. Devices bind to the group's account
//! ([`GatewayGroups::account_of`]), which no one holds a key for: only anchors the group signed
//! can anchor their readings.

use alloc::vec::Vec;
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
use scale_info::TypeInfo;

/// A group's number, as the chain assigns it.
pub type GroupId = u32;

/// A group's key epoch: it starts at 1 and grows by one with every change of the group's members
/// or threshold, each epoch with a key of its own.
pub type Epoch = u32;

/// A group's Ed25519 public key (32 bytes, compressed Edwards point).
pub type GroupPublicKey = [u8; 32];

/// The digest a member's key generation ends with: BLAKE2-256 of every member's round-1 package
/// (its commitments) and exchange key, in member order. Members confirm it with the key: the
/// same key from different transcripts means members hold shares of different polynomials, and
/// the key must not become active.
pub type Transcript = [u8; 32];

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

/// A call a group's members approve for its account to make, while it is open. `Approvals`
/// holds the approving gateways: a `Vec` by default, a `BoundedVec` in the pallet's storage.
#[derive(Encode, Decode, MaxEncodedLen, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct Proposal<AccountId, Approvals = Vec<AccountId>> {
	/// The member gateway that approved it first; it may have one proposal open at a time.
	pub proposer: AccountId,
	/// The member gateways that approve it.
	pub approvals: Approvals,
}

impl<AccountId, Approvals: Into<Vec<AccountId>>> Proposal<AccountId, Approvals> {
	/// The same proposal with its approvals in a `Vec`.
	pub fn unbounded(self) -> Proposal<AccountId> {
		Proposal { proposer: self.proposer, approvals: self.approvals.into() }
	}
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
	/// A member gateway belongs to an account that has left the consortium: the group anchors
	/// nothing until the council changes its members.
	MemberLeft,
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
