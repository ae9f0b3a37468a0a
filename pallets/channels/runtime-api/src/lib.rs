//! # Channels runtime API
//!
//! What clients ask the chain about private channels (polkadot.js: `api.call.channelsApi.*`):
//!
//! - `channel(id)`: its owner, members and roles, auditors and their windows, current epoch and
//!   whether a new epoch is due, as [`ChannelInfo`];
//! - `epoch(channel, epoch)`: when an epoch started and ended, and its key's identifier;
//! - `sealed_key(channel, epoch, who)`: the epoch key sealed to `who`, if it was delivered;
//! - `access(channel, who)`: what `who` may do in the channel now (gateways check callers with it);
//! - `encryption_key(who)`: the X25519 key epoch keys are sealed to for `who`;
//! - `device_channel(device)`: the channel a device's readings are private to, if any;
//!   `device_channels(devices)`: the same for up to [`MAX_DEVICES`] devices at once (a gateway
//!   asks it for each batch);
//! - `document(channel, hash)`: a document published to the channel (since version 2).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::{Codec, Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
pub use iotrust_primitives::{
	channels::{
		Access, ChannelEpoch, ChannelId, DocumentHash, EncryptionKey, KeyId, Role, SealedKey,
	},
	device::DeviceId,
};
use scale_info::TypeInfo;

/// The most devices `device_channels` answers for at once.
pub const MAX_DEVICES: u32 = 1_000;

/// An auditor's grant: it reads the channel's payloads of the epochs that overlap these blocks
/// (both included), and receives no key of an epoch that starts after `until`.
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
pub struct Grant<BlockNumber> {
	/// The first block of the window.
	pub from: BlockNumber,
	/// The last block of the window.
	pub until: BlockNumber,
}

impl<BlockNumber: PartialOrd> Grant<BlockNumber> {
	/// Whether the window holds block `now`.
	pub fn holds(&self, now: &BlockNumber) -> bool {
		self.from <= *now && *now <= self.until
	}
}

/// An epoch key sealed to one recipient, and the recipient's key it was sealed to (a recipient
/// who registers a new encryption key keeps the old one's secret to open older epochs).
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
pub struct SealedEpochKey {
	/// The recipient's encryption key at the time.
	pub to_key: EncryptionKey,
	/// The epoch key, sealed with HPKE.
	pub sealed: SealedKey,
}

/// A channel member.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct MemberInfo<AccountId> {
	/// Its account (a consortium member's).
	pub account: AccountId,
	/// What it may do.
	pub role: Role,
	/// False while the account is not a consortium member: it then has no access and receives
	/// no new keys.
	pub active: bool,
}

/// A channel auditor.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct AuditorInfo<AccountId, BlockNumber> {
	/// Its account.
	pub account: AccountId,
	/// Its window.
	pub grant: Grant<BlockNumber>,
	/// Whether the window holds the current block.
	pub active: bool,
	/// Whether it holds the current epoch's key.
	pub holds_current_key: bool,
}

/// A channel.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct ChannelInfo<AccountId, BlockNumber> {
	/// Its creator, who changes it (so does the council).
	pub owner: AccountId,
	/// Its members, the owner first.
	pub members: Vec<MemberInfo<AccountId>>,
	/// Its auditors.
	pub auditors: Vec<AuditorInfo<AccountId, BlockNumber>>,
	/// The current key epoch.
	pub epoch: ChannelEpoch,
	/// The current epoch's key identifier.
	pub key_id: KeyId,
	/// How long gateways keep its payloads, in blocks (`None`: until the channel closes).
	pub retention: Option<BlockNumber>,
	/// Someone who holds the current key may no longer read (an auditor whose window ended, a
	/// removed consortium member): writers must start a new epoch before sealing anything more.
	pub rekey_due: bool,
	/// Accounts entitled to the current key that have not received it (an auditor whose window
	/// began after the epoch started, a member back in the consortium).
	pub deliveries_due: Vec<AccountId>,
	/// Closed: nothing more is written; its state is being removed.
	pub closed: bool,
}

/// One of a channel's key epochs.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct EpochInfo<AccountId, BlockNumber> {
	/// The block that started it.
	pub started: BlockNumber,
	/// The block that started the next one.
	pub ended: Option<BlockNumber>,
	/// Its key's identifier.
	pub key_id: KeyId,
	/// The writer who made its key (the owner for membership changes).
	pub by: AccountId,
}

/// A document published to a channel.
#[derive(Encode, Decode, TypeInfo, Clone, PartialEq, Eq, Debug)]
pub struct DocumentInfo<AccountId, BlockNumber> {
	/// The epoch whose key seals it.
	pub epoch: ChannelEpoch,
	/// Its size in bytes, plaintext.
	pub size: u32,
	/// The block it was published in.
	pub at: BlockNumber,
	/// Who published it.
	pub by: AccountId,
}

sp_api::decl_runtime_apis! {
	/// Private channels.
	#[api_version(2)]
	pub trait ChannelsApi<AccountId, BlockNumber>
	where
		AccountId: Codec,
		BlockNumber: Codec,
	{
		/// Channel `channel`.
		fn channel(channel: ChannelId) -> Option<ChannelInfo<AccountId, BlockNumber>>;

		/// Epoch `epoch` of channel `channel`.
		fn epoch(channel: ChannelId, epoch: ChannelEpoch) -> Option<EpochInfo<AccountId, BlockNumber>>;

		/// The key of `channel`'s `epoch` sealed to `who`, if it was delivered to `who`.
		fn sealed_key(channel: ChannelId, epoch: ChannelEpoch, who: AccountId) -> Option<SealedEpochKey>;

		/// What `who` may do in `channel` now.
		fn access(channel: ChannelId, who: AccountId) -> Access<BlockNumber>;

		/// The X25519 key epoch keys are sealed to for `who`.
		fn encryption_key(who: AccountId) -> Option<EncryptionKey>;

		/// The channel `device`'s readings are private to, if any.
		fn device_channel(device: DeviceId) -> Option<ChannelId>;

		/// [`device_channel`] of each of `devices`, in order (the first [`MAX_DEVICES`] only).
		fn device_channels(devices: Vec<DeviceId>) -> Vec<Option<ChannelId>>;

		/// Document `hash` of `channel`, if published (since version 2).
		#[api_version(2)]
		fn document(channel: ChannelId, hash: DocumentHash) -> Option<DocumentInfo<AccountId, BlockNumber>>;
	}
}
