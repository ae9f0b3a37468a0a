//! What the channels pallet stores.

use crate::{BalanceOf, Config};
use codec::{Decode, Encode, MaxEncodedLen};
use frame_support::{pallet_prelude::*, CloneNoBound, DebugNoBound, EqNoBound, PartialEqNoBound};
use frame_system::pallet_prelude::BlockNumberFor;
use iotrust_primitives::channels::{ChannelEpoch, ChannelId, EncryptionKey, KeyId, Role};
use pallet_channels_runtime_api::{Grant, SealedEpochKey};
use scale_info::TypeInfo;

/// An account's registered encryption key and the deposit it holds.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct KeyRecord<T: Config> {
	/// The X25519 public key.
	pub key: EncryptionKey,
	/// Held from the account.
	pub deposit: BalanceOf<T>,
}

/// A channel's auditors and their windows.
pub type AuditorsOf<T> = BoundedVec<
	(<T as frame_system::Config>::AccountId, Grant<BlockNumberFor<T>>),
	<T as Config>::MaxAuditors,
>;

/// A channel.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct Channel<T: Config> {
	/// Its creator: it changes the channel's members and auditors, and pays for the channel.
	pub owner: T::AccountId,
	/// Its members and their roles, the owner first (always a writer).
	pub members: BoundedVec<(T::AccountId, Role), T::MaxMembers>,
	/// Its auditors and their windows.
	pub auditors: AuditorsOf<T>,
	/// The current key epoch.
	pub epoch: ChannelEpoch,
	/// How long gateways keep its payloads (`None`: until it closes).
	pub retention: Option<BlockNumberFor<T>>,
	/// Held from the owner for the channel and its member and auditor slots.
	pub deposit: BalanceOf<T>,
	/// Closed: nothing more may be written, and anyone may remove its epochs and keys.
	pub closed: bool,
}

impl<T: Config> Channel<T> {
	/// `who`'s role, if a member.
	pub fn role_of(&self, who: &T::AccountId) -> Option<Role> {
		self.members.iter().find(|(a, _)| a == who).map(|(_, r)| *r)
	}

	/// `who`'s grant, if an auditor.
	pub fn grant_of(&self, who: &T::AccountId) -> Option<Grant<BlockNumberFor<T>>> {
		self.auditors.iter().find(|(a, _)| a == who).map(|(_, g)| *g)
	}
}

/// One of a channel's key epochs.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct EpochRecord<T: Config> {
	/// The block that started it.
	pub started: BlockNumberFor<T>,
	/// The block that started the next one.
	pub ended: Option<BlockNumberFor<T>>,
	/// Its key's identifier.
	pub key_id: KeyId,
	/// Who made its key; its deposit is held from them.
	pub by: T::AccountId,
	/// Held from `by` for this record.
	pub deposit: BalanceOf<T>,
}

/// A device whose readings belong to a channel.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct DeviceEntry<T: Config> {
	/// The channel.
	pub channel: ChannelId,
	/// Who put it there (the device's owner then); the deposit is held from them.
	pub by: T::AccountId,
	/// Held from `by` for this entry.
	pub deposit: BalanceOf<T>,
}

/// An epoch key delivered to one recipient.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct Delivery<T: Config> {
	/// The sealed key and the recipient key it was sealed to.
	pub key: SealedEpochKey,
	/// Who delivered it; the deposit is held from them.
	pub by: T::AccountId,
	/// Held from `by` for this entry.
	pub deposit: BalanceOf<T>,
}

/// A document published to a channel: its hash on chain, its ciphertext (sealed under `epoch`'s
/// key) kept by the channel's gateways.
#[derive(
	Encode, Decode, MaxEncodedLen, TypeInfo, CloneNoBound, PartialEqNoBound, EqNoBound, DebugNoBound,
)]
#[scale_info(skip_type_params(T))]
pub struct DocumentRecord<T: Config> {
	/// The epoch whose key seals it.
	pub epoch: ChannelEpoch,
	/// Its size in bytes, plaintext.
	pub size: u32,
	/// The block it was published in.
	pub at: BlockNumberFor<T>,
	/// Who published it; the deposit is held from them.
	pub by: T::AccountId,
	/// Held from `by` for this record.
	pub deposit: BalanceOf<T>,
}
