//! # Channels pallet
//!
//! Private channels between consortium members. A channel has members — consortium members'
//! accounts, each a writer or a reader — and, for a time, auditors; its payloads (device readings,
//! documents, obligation terms) are encrypted end to end under a symmetric key that only they
//! hold. The chain never sees a key: it orders the channel's key epochs and stores each epoch's
//! key sealed to every recipient's registered X25519 key with HPKE (RFC 9180), so that every
//! member sees on chain who received which key, when.
//!
//! ## Epochs
//!
//! Every change of members and every key rotation starts a new epoch, whose key a writer's client
//! makes and seals to exactly the accounts entitled to it then: the members who are still
//! consortium members and the auditors whose window holds the current block. The call carries
//! those sealed keys and the key's identifier (HKDF of the key, see
//! `iotrust_primitives::channels`); the chain checks that the recipients are exactly the entitled
//! accounts. A removed member therefore holds no key of any epoch after
//! its removal and still holds those before.
//!
//! ## Who changes a channel
//!
//! Its owner (its creator, while a consortium member) or the council (`AdminOrigin`) change its
//! members, grant and revoke auditors, set its payloads' retention and close it. Any writer starts
//! a new epoch with a fresh key (e.g. when an auditor's window ended: `rekey_due` in the runtime
//! API) and delivers epoch keys to auditors and members. Auditors read and never write.
//!
//! ## Auditors
//!
//! A grant has a first and a last block. While the window holds, writers deliver the auditor the
//! keys of the epochs that overlap it ([`Pallet::deliver_keys`]), each delivery an event every
//! member sees. After the window, the auditor receives no new key, and writers start a new epoch
//! before sealing anything more.
//!
//! ## Deposits
//!
//! The owner holds a deposit for the channel and each member and auditor slot; whoever starts an
//! epoch or delivers keys holds one for the epoch record and each sealed key; an account holds one
//! for its encryption key. A closed channel's epochs and keys are removed by anyone
//! ([`Pallet::reap_channel`]), which releases every deposit to whoever paid it.
//!
//! ## Calls
//!
//! - [`Pallet::set_encryption_key`]: an account registers or replaces its X25519 key.
//! - [`Pallet::create_channel`]: a consortium member creates a channel (epoch 0, no key yet).
//! - [`Pallet::change_members`]: the owner or the council adds and removes members: a new epoch.
//! - [`Pallet::rotate_key`]: a writer starts a new epoch with a fresh key.
//! - [`Pallet::grant_auditor`], [`Pallet::revoke_auditor`]: the owner or the council.
//! - [`Pallet::deliver_keys`]: a writer delivers epoch keys to an auditor or a member.
//! - [`Pallet::set_retention`]: how long gateways keep the channel's payloads.
//! - [`Pallet::close_channel`], [`Pallet::reap_channel`]: closing and removing a channel.
//! - [`Pallet::set_device_channel`]: a device's owner, a writer, puts the device's readings in a
//!   channel (or takes them out): anchors then carry no public summary of them.
//! - [`Pallet::publish_document`]: a writer anchors the hash of a document sealed under the
//!   current epoch's key, whose ciphertext the channel's gateways keep.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
mod features;
#[cfg(test)]
mod mock;
mod rules;
#[cfg(test)]
mod tests;
pub mod types;
mod view;
pub mod weights;

pub use weights::WeightInfo;

use alloc::vec::Vec;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::{Inspect, Mutate, MutateHold},
		tokens::Precision,
		SortedMembers,
	},
};
use frame_system::pallet_prelude::*;
pub use iotrust_primitives::channels::{
	Access, ChannelEpoch, ChannelId, DeviceChannels, DocumentHash, EncryptionKey, KeyId, Role,
	SealedKey,
};
use iotrust_primitives::device::{DeviceId, DeviceRegistry, OnDeviceRemoved};
pub use pallet_channels_runtime_api::{
	AuditorInfo, ChannelInfo, DocumentInfo, EpochInfo, Grant, MemberInfo, SealedEpochKey,
};
use sp_runtime::traits::{Saturating, Zero};

/// What the benchmarks need from the runtime.
#[cfg(feature = "runtime-benchmarks")]
pub trait BenchmarkHelper<AccountId> {
	/// A registered device, owned by `owner`.
	fn device(owner: &AccountId) -> DeviceId;
}

/// The balance type of [`Config::Currency`].
pub type BalanceOf<T> =
	<<T as Config>::Currency as Inspect<<T as frame_system::Config>::AccountId>>::Balance;

/// The most recipients an epoch's key may have: every member and every auditor.
pub struct MaxRecipientsOf<T>(core::marker::PhantomData<T>);
impl<T: Config> Get<u32> for MaxRecipientsOf<T> {
	fn get() -> u32 {
		T::MaxMembers::get().saturating_add(T::MaxAuditors::get())
	}
}

/// Epoch keys sealed to each recipient, as a call carries them.
pub type SealedKeysOf<T> =
	BoundedVec<(<T as frame_system::Config>::AccountId, SealedKey), MaxRecipientsOf<T>>;

/// The layout of this pallet's storage.
pub const STORAGE_VERSION: StorageVersion = StorageVersion::new(0);

#[frame_support::pallet]
pub mod pallet {
	use super::*;

	#[pallet::pallet]
	#[pallet::storage_version(STORAGE_VERSION)]
	pub struct Pallet<T>(_);

	#[pallet::config]
	pub trait Config: frame_system::Config<RuntimeEvent: From<Event<Self>>> {
		/// The currency deposits are held in.
		type Currency: MutateHold<Self::AccountId, Reason = Self::RuntimeHoldReason>
			+ Mutate<Self::AccountId>;

		/// The overarching hold reason.
		type RuntimeHoldReason: From<HoldReason>;

		/// The consortium's members (the council's membership): channel members are among them.
		type Consortium: SortedMembers<Self::AccountId>;

		/// Who may change any channel and grant auditors besides its owner (the council).
		type AdminOrigin: EnsureOrigin<Self::RuntimeOrigin>;

		/// The device registry: who owns a device put in a channel.
		type Devices: DeviceRegistry<Self::AccountId>;

		/// Devices an SLA watches (the obligations pallet): they may not be put in a channel,
		/// where their readings would be hidden from the obligation's consumer.
		type SlaWatched: iotrust_primitives::obligations::SlaWatched;

		/// Held from an account while its encryption key is registered.
		#[pallet::constant]
		type KeyDeposit: Get<BalanceOf<Self>>;

		/// Held from a channel's owner for the channel.
		#[pallet::constant]
		type ChannelDeposit: Get<BalanceOf<Self>>;

		/// Held from a channel's owner for each member and auditor.
		#[pallet::constant]
		type MemberDeposit: Get<BalanceOf<Self>>;

		/// Held from whoever starts an epoch, for its record.
		#[pallet::constant]
		type EpochDeposit: Get<BalanceOf<Self>>;

		/// Held from whoever delivers a sealed key, for each.
		#[pallet::constant]
		type SealedKeyDeposit: Get<BalanceOf<Self>>;

		/// Held from a device's owner while the device is in a channel.
		#[pallet::constant]
		type DeviceDeposit: Get<BalanceOf<Self>>;

		/// Held from whoever publishes a document, for its record.
		#[pallet::constant]
		type DocumentDeposit: Get<BalanceOf<Self>>;

		/// The largest document, in bytes, that may be published.
		#[pallet::constant]
		type MaxDocumentSize: Get<u32>;

		/// The most members a channel may have, its owner included.
		#[pallet::constant]
		type MaxMembers: Get<u32>;

		/// The most auditors a channel may have at once.
		#[pallet::constant]
		type MaxAuditors: Get<u32>;

		/// The most epoch keys one delivery may carry.
		#[pallet::constant]
		type MaxDeliveries: Get<u32>;

		/// Weights of this pallet's calls, from its benchmarks.
		type WeightInfo: WeightInfo;

		/// A device the benchmarks may put in a channel.
		#[cfg(feature = "runtime-benchmarks")]
		type BenchmarkHelper: BenchmarkHelper<Self::AccountId>;
	}

	/// Why this pallet holds funds.
	#[pallet::composite_enum]
	pub enum HoldReason {
		/// A channel, its slots, epochs and sealed keys, or an encryption key.
		ChannelDeposit,
	}

	/// The number the next channel gets.
	#[pallet::storage]
	pub type NextChannelId<T: Config> = StorageValue<_, ChannelId, ValueQuery>;

	/// Each account's X25519 key, which epoch keys are sealed to.
	#[pallet::storage]
	pub type EncryptionKeys<T: Config> =
		StorageMap<_, Blake2_128Concat, T::AccountId, KeyRecord<T>>;

	/// Every channel.
	#[pallet::storage]
	pub type Channels<T: Config> = StorageMap<_, Twox64Concat, ChannelId, Channel<T>>;

	/// Each channel's key epochs.
	#[pallet::storage]
	pub type Epochs<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ChannelId, Twox64Concat, ChannelEpoch, EpochRecord<T>>;

	/// Each epoch's key, sealed to each recipient it was delivered to.
	#[pallet::storage]
	pub type SealedKeys<T: Config> = StorageNMap<
		_,
		(
			NMapKey<Twox64Concat, ChannelId>,
			NMapKey<Twox64Concat, ChannelEpoch>,
			NMapKey<Blake2_128Concat, T::AccountId>,
		),
		Delivery<T>,
	>;

	/// The channel each private device's readings belong to.
	#[pallet::storage]
	pub type DeviceChannel<T: Config> = StorageMap<_, Identity, DeviceId, DeviceEntry<T>>;

	/// The devices in each channel, kept with [`DeviceChannel`] (for reaping a closed channel).
	#[pallet::storage]
	pub type ChannelDevices<T: Config> =
		StorageDoubleMap<_, Twox64Concat, ChannelId, Identity, DeviceId, ()>;

	/// Each channel's documents, by the BLAKE2-256 hash of their plaintext.
	#[pallet::storage]
	pub type Documents<T: Config> = StorageDoubleMap<
		_,
		Twox64Concat,
		ChannelId,
		Blake2_128Concat,
		DocumentHash,
		DocumentRecord<T>,
	>;

	#[pallet::event]
	#[pallet::generate_deposit(pub(super) fn deposit_event)]
	pub enum Event<T: Config> {
		/// An account registered or replaced its encryption key.
		EncryptionKeySet { who: T::AccountId, key: EncryptionKey },
		/// A channel was created; its owner is its first member, a writer.
		ChannelCreated { channel: ChannelId, owner: T::AccountId },
		/// A member joined a channel.
		MemberAdded { channel: ChannelId, member: T::AccountId, role: Role },
		/// A member left a channel: it receives no key of any later epoch.
		MemberRemoved { channel: ChannelId, member: T::AccountId },
		/// A channel's new key epoch started, its key sealed to `recipients` accounts.
		EpochStarted {
			channel: ChannelId,
			epoch: ChannelEpoch,
			key_id: KeyId,
			by: T::AccountId,
			recipients: u32,
		},
		/// An epoch's key was delivered to an auditor (in any call) or to a member (by
		/// `deliver_keys`).
		EpochKeyDelivered { channel: ChannelId, epoch: ChannelEpoch, to: T::AccountId },
		/// An auditor was granted a window.
		AuditorGranted {
			channel: ChannelId,
			auditor: T::AccountId,
			from: BlockNumberFor<T>,
			until: BlockNumberFor<T>,
		},
		/// An auditor's grant was revoked.
		AuditorRevoked { channel: ChannelId, auditor: T::AccountId },
		/// How long gateways keep a channel's payloads changed.
		RetentionSet { channel: ChannelId, retention: Option<BlockNumberFor<T>> },
		/// A channel was closed.
		ChannelClosed { channel: ChannelId },
		/// Epoch records, sealed keys and devices of a closed channel were removed; `done` once
		/// none is left and the channel is gone.
		ChannelReaped { channel: ChannelId, removed: u32, done: bool },
		/// A device's readings were put in a channel (`Some`) or taken out (`None`).
		DeviceChannelSet { device: DeviceId, channel: Option<ChannelId> },
		/// A document was published to a channel, sealed under `epoch`'s key.
		DocumentPublished {
			channel: ChannelId,
			hash: DocumentHash,
			epoch: ChannelEpoch,
			size: u32,
			by: T::AccountId,
		},
	}

	#[pallet::error]
	pub enum Error<T> {
		/// No channel has this number.
		UnknownChannel,
		/// The channel is closed.
		ChannelClosed,
		/// The channel is not closed.
		ChannelNotClosed,
		/// The account is not a consortium member.
		NotConsortiumMember,
		/// The caller is not the channel's owner (nor the council).
		NotOwner,
		/// The caller is not one of the channel's writers.
		NotWriter,
		/// The account has registered no encryption key.
		NoEncryptionKey,
		/// The encryption key is all zeros or a point of small order: no key can be sealed to it.
		InvalidEncryptionKey,
		/// The account is a member of the channel already.
		AlreadyMember,
		/// The account is not a member of the channel.
		NotMember,
		/// The account is an auditor of the channel already.
		AlreadyAuditor,
		/// The account is not an auditor of the channel.
		NotAuditor,
		/// An account appears twice.
		DuplicateAccount,
		/// The owner cannot leave its channel.
		OwnerCannotLeave,
		/// The channel would have more than `MaxMembers` members.
		TooManyMembers,
		/// The channel would have more than `MaxAuditors` auditors.
		TooManyAuditors,
		/// The window is empty or already over.
		InvalidWindow,
		/// An account entitled to the new epoch's key has no sealed key in the call.
		MissingKey,
		/// A sealed key is for an account not entitled to it.
		UnexpectedRecipient,
		/// The channel has no such epoch.
		UnknownEpoch,
		/// The epoch does not overlap the auditor's window.
		EpochOutsideGrant,
		/// The recipient holds that epoch's key already.
		AlreadyDelivered,
		/// The recipient is neither a member nor an auditor whose window holds now.
		NotEntitled,
		/// A number overflowed.
		Overflow,
		/// The device is not registered.
		UnknownDevice,
		/// The caller does not own the device.
		NotDeviceOwner,
		/// The device is in no channel.
		DeviceInNoChannel,
		/// A pending obligation's SLA watches the device: its readings must stay public to
		/// prove or disprove a breach.
		DeviceUnderSla,
		/// A document with this hash is published in the channel already.
		DocumentExists,
		/// The document is empty or larger than `MaxDocumentSize`.
		BadDocumentSize,
		/// The epoch is not the channel's current one (or the channel has no key yet).
		NotCurrentEpoch,
		/// Someone who holds the current epoch's key may no longer read the channel (an auditor
		/// past its window, a member who left the consortium): start a new epoch first.
		RekeyDue,
	}

	#[pallet::hooks]
	impl<T: Config> Hooks<BlockNumberFor<T>> for Pallet<T> {
		fn integrity_test() {
			assert!(T::MaxMembers::get() >= 2, "a channel has room for two members");
			assert!(T::MaxDeliveries::get() >= 1, "a delivery carries a key");
		}

		#[cfg(feature = "try-runtime")]
		fn try_state(_n: BlockNumberFor<T>) -> Result<(), sp_runtime::TryRuntimeError> {
			Self::do_try_state()
		}
	}

	#[pallet::call]
	impl<T: Config> Pallet<T> {
		/// Register or replace the caller's X25519 public key, which epoch keys are sealed to.
		///
		/// Origin: any signed account. The first registration holds `KeyDeposit`. Keys already
		/// sealed to the old key stay so (the caller keeps the old secret to open them). Emits
		/// `EncryptionKeySet`.
		#[pallet::call_index(0)]
		#[pallet::weight(T::WeightInfo::set_encryption_key())]
		pub fn set_encryption_key(origin: OriginFor<T>, key: EncryptionKey) -> DispatchResult {
			Self::do_set_encryption_key(origin, key)
		}

		/// Create a channel whose owner is the caller (a writer) and whose other members are
		/// `members`. It starts in epoch 0, without a key: its owner's client then seals the first
		/// key for the channel's number, which the `ChannelCreated` event tells, and starts
		/// epoch 1 with `rotate_key`.
		///
		/// Origin: a consortium member with an encryption key. Every member must be a consortium
		/// member with an encryption key, each once. Holds `ChannelDeposit` and `MemberDeposit`
		/// per member from the caller. Emits `ChannelCreated` and `MemberAdded` for each other
		/// member.
		#[pallet::call_index(1)]
		#[pallet::weight(T::WeightInfo::create_channel(members.len() as u32 + 1))]
		pub fn create_channel(
			origin: OriginFor<T>,
			members: BoundedVec<(T::AccountId, Role), T::MaxMembers>,
			retention: Option<BlockNumberFor<T>>,
		) -> DispatchResult {
			Self::do_create_channel(origin, members, retention)
		}

		/// Remove the members in `remove`, then add those in `add`, and start a new epoch whose
		/// key `keys` holds sealed to exactly the accounts entitled to it (see the module docs).
		///
		/// Origin: the channel's owner or `AdminOrigin`. The owner cannot be removed; added
		/// accounts must be consortium members with encryption keys, not members or auditors
		/// already. A role changes by removing and adding in one call. The owner's slot deposit
		/// follows the member count; the epoch's deposits are held from the owner. Emits
		/// `MemberRemoved`, `MemberAdded`, `EpochStarted` and `EpochKeyDelivered` for auditors.
		#[pallet::call_index(2)]
		#[pallet::weight(T::WeightInfo::change_members(keys.len() as u32))]
		pub fn change_members(
			origin: OriginFor<T>,
			channel: ChannelId,
			add: BoundedVec<(T::AccountId, Role), T::MaxMembers>,
			remove: BoundedVec<T::AccountId, T::MaxMembers>,
			key_id: KeyId,
			keys: SealedKeysOf<T>,
		) -> DispatchResult {
			Self::do_change_members(origin, channel, add, remove, key_id, keys)
		}

		/// Start a new epoch of `channel` with a fresh key, sealed in `keys` to exactly the
		/// accounts entitled to it now (epoch 1 is a new channel's first key).
		///
		/// Origin: a writer of the channel. Holds the epoch's deposits from the caller. Emits
		/// `EpochStarted` and `EpochKeyDelivered` for auditors.
		#[pallet::call_index(3)]
		#[pallet::weight(T::WeightInfo::rotate_key(keys.len() as u32))]
		pub fn rotate_key(
			origin: OriginFor<T>,
			channel: ChannelId,
			key_id: KeyId,
			keys: SealedKeysOf<T>,
		) -> DispatchResult {
			Self::do_rotate_key(origin, channel, key_id, keys)
		}

		/// Grant `auditor` a window of `channel`: from block `from` to block `until`, both
		/// included.
		///
		/// Origin: the channel's owner or `AdminOrigin`. The auditor needs an encryption key and
		/// must not be a member; the window must not be over. Holds `MemberDeposit` from the
		/// owner. The auditor receives keys from writers (`deliver_keys`, and every epoch that
		/// starts within the window). Emits `AuditorGranted`.
		#[pallet::call_index(4)]
		#[pallet::weight(T::WeightInfo::grant_auditor())]
		pub fn grant_auditor(
			origin: OriginFor<T>,
			channel: ChannelId,
			auditor: T::AccountId,
			from: BlockNumberFor<T>,
			until: BlockNumberFor<T>,
		) -> DispatchResult {
			Self::do_grant_auditor(origin, channel, auditor, from, until)
		}

		/// End `auditor`'s grant on `channel` now.
		///
		/// Origin: the channel's owner or `AdminOrigin`. Releases the auditor's slot deposit. If
		/// the auditor holds the current epoch's key, writers must start a new epoch
		/// (`rekey_due`). Emits `AuditorRevoked`.
		#[pallet::call_index(5)]
		#[pallet::weight(T::WeightInfo::revoke_auditor())]
		pub fn revoke_auditor(
			origin: OriginFor<T>,
			channel: ChannelId,
			auditor: T::AccountId,
		) -> DispatchResult {
			Self::do_revoke_auditor(origin, channel, auditor)
		}

		/// Deliver `to` the keys of `channel`'s epochs in `keys`, each sealed to `to`'s
		/// encryption key.
		///
		/// Origin: a writer of the channel. `to` must be a member (any epoch) or an auditor whose
		/// window holds now (epochs that overlap its window only); it must not hold any of those
		/// keys already. Holds `SealedKeyDeposit` per key from the caller. Emits
		/// `EpochKeyDelivered` for each.
		#[pallet::call_index(6)]
		#[pallet::weight(T::WeightInfo::deliver_keys(keys.len() as u32))]
		pub fn deliver_keys(
			origin: OriginFor<T>,
			channel: ChannelId,
			to: T::AccountId,
			keys: BoundedVec<(ChannelEpoch, SealedKey), T::MaxDeliveries>,
		) -> DispatchResult {
			Self::do_deliver_keys(origin, channel, to, keys)
		}

		/// Set how long gateways are to keep `channel`'s payloads, in blocks (`None`: until it
		/// closes); their hashes and anchors stay on chain.
		///
		/// Origin: the channel's owner or `AdminOrigin`. Emits `RetentionSet`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::set_retention())]
		pub fn set_retention(
			origin: OriginFor<T>,
			channel: ChannelId,
			retention: Option<BlockNumberFor<T>>,
		) -> DispatchResult {
			Self::do_set_retention(origin, channel, retention)
		}

		/// Close `channel`: nothing more is written to it and no one has access. Releases the
		/// owner's channel deposit; the epochs and sealed keys are removed by `reap_channel`.
		///
		/// Origin: the channel's owner or `AdminOrigin`. Emits `ChannelClosed`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::close_channel())]
		pub fn close_channel(origin: OriginFor<T>, channel: ChannelId) -> DispatchResult {
			Self::do_close_channel(origin, channel)
		}

		/// Put `device`'s readings in `channel` (`Some`), or take them out (`None`).
		///
		/// Origin: the device's owner; to put it in, a writer of the open channel. A device is in
		/// one channel at most (putting it in another moves it). While it is in, anchors carry
		/// no public summary of its readings and gateways serve them only to the channel's
		/// members and auditors. Holds `DeviceDeposit` from the owner while it is in. Emits
		/// `DeviceChannelSet`.
		#[pallet::call_index(10)]
		#[pallet::weight(T::WeightInfo::set_device_channel())]
		pub fn set_device_channel(
			origin: OriginFor<T>,
			device: DeviceId,
			channel: Option<ChannelId>,
		) -> DispatchResult {
			Self::do_set_device_channel(origin, device, channel)
		}

		/// Anchor a document published to `channel`: the BLAKE2-256 `hash` of its plaintext,
		/// sealed under the key of `epoch` (the channel's current one), `size` bytes long. The
		/// writer's client uploads the ciphertext to the channel's gateways, which keep it only
		/// if this record exists; any reader then opens it and checks its hash here.
		///
		/// Origin: a writer of the open channel, while everyone who holds the current epoch's key
		/// may still read it (else `RekeyDue`: rotate first). Holds `DocumentDeposit` from the
		/// caller until the channel is reaped. Emits `DocumentPublished`.
		#[pallet::call_index(11)]
		#[pallet::weight(T::WeightInfo::publish_document())]
		pub fn publish_document(
			origin: OriginFor<T>,
			channel: ChannelId,
			hash: DocumentHash,
			epoch: ChannelEpoch,
			size: u32,
		) -> DispatchResult {
			Self::do_publish_document(origin, channel, hash, epoch, size)
		}

		/// Remove up to `limit` sealed keys, epoch records, devices and documents of closed `channel`,
		/// releasing each deposit to whoever paid it; the channel itself goes with the last of
		/// them. Its devices' later readings are anchored with summaries again.
		///
		/// Origin: any signed account. Emits `ChannelReaped`.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::reap_channel(*limit))]
		pub fn reap_channel(
			origin: OriginFor<T>,
			channel: ChannelId,
			limit: u32,
		) -> DispatchResultWithPostInfo {
			Self::do_reap_channel(origin, channel, limit)
		}
	}
}

impl<T: Config> OnDeviceRemoved for Pallet<T> {
	fn on_device_removed(device: &DeviceId) -> Weight {
		if let Some(entry) = DeviceChannel::<T>::take(device) {
			ChannelDevices::<T>::remove(entry.channel, device);
			Self::release(&entry.by, entry.deposit);
		}
		<Self as OnDeviceRemoved>::max_weight()
	}

	fn max_weight() -> Weight {
		// One read and two removals, and a hold released (two more accesses).
		T::DbWeight::get().reads_writes(2, 4)
	}
}
