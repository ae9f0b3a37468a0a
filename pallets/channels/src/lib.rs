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
//! accounts and that the key is new. A removed member therefore holds no key of any epoch after
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

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub use pallet::*;
pub use types::*;

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;
#[cfg(test)]
mod mock;
#[cfg(test)]
mod tests;
pub mod types;
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
	Access, ChannelEpoch, ChannelId, EncryptionKey, KeyId, Role, SealedKey,
};
pub use pallet_channels_runtime_api::{
	AuditorInfo, ChannelInfo, EpochInfo, Grant, MemberInfo, SealedEpochKey,
};
use sp_runtime::traits::{Saturating, Zero};

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
		/// Epoch records and sealed keys of a closed channel were removed; `done` once none is
		/// left and the channel is gone.
		ChannelReaped { channel: ChannelId, removed: u32, done: bool },
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
		/// The encryption key is all zeros.
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
		/// The new epoch's key identifier is the current epoch's: the key was not replaced.
		KeyReused,
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
			let who = ensure_signed(origin)?;
			ensure!(key != [0u8; 32], Error::<T>::InvalidEncryptionKey);
			let deposit = match EncryptionKeys::<T>::get(&who) {
				Some(record) => record.deposit,
				None => {
					let deposit = T::KeyDeposit::get();
					Self::hold(&who, deposit)?;
					deposit
				},
			};
			EncryptionKeys::<T>::insert(&who, KeyRecord { key, deposit });
			Self::deposit_event(Event::EncryptionKeySet { who, key });
			Ok(())
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
			let owner = ensure_signed(origin)?;
			ensure!(T::Consortium::contains(&owner), Error::<T>::NotConsortiumMember);
			ensure!(EncryptionKeys::<T>::contains_key(&owner), Error::<T>::NoEncryptionKey);
			let mut all = BoundedVec::<_, T::MaxMembers>::new();
			all.try_push((owner.clone(), Role::Writer)).map_err(|_| Error::<T>::TooManyMembers)?;
			for (who, role) in members.iter() {
				Self::check_new_member(&all, who)?;
				all.try_push((who.clone(), *role)).map_err(|_| Error::<T>::TooManyMembers)?;
			}
			let id = NextChannelId::<T>::get();
			let next = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
			let mut channel = Channel::<T> {
				owner: owner.clone(),
				members: all,
				auditors: Default::default(),
				epoch: 0,
				retention,
				deposit: Zero::zero(),
				closed: false,
			};
			let deposit = Self::channel_deposit(&channel);
			Self::hold(&owner, deposit)?;
			channel.deposit = deposit;

			NextChannelId::<T>::put(next);
			Self::deposit_event(Event::ChannelCreated { channel: id, owner });
			for (member, role) in channel.members.iter().skip(1) {
				Self::deposit_event(Event::MemberAdded {
					channel: id,
					member: member.clone(),
					role: *role,
				});
			}
			Channels::<T>::insert(id, channel);
			Ok(())
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
			let mut record = Self::managed(origin, channel)?;
			for (i, who) in remove.iter().enumerate() {
				ensure!(*who != record.owner, Error::<T>::OwnerCannotLeave);
				ensure!(!remove.iter().take(i).any(|w| w == who), Error::<T>::DuplicateAccount);
				ensure!(record.role_of(who).is_some(), Error::<T>::NotMember);
			}
			let mut members = record.members.clone();
			members.retain(|(who, _)| !remove.contains(who));
			for (who, role) in add.iter() {
				Self::check_new_member(&members, who)?;
				ensure!(record.grant_of(who).is_none(), Error::<T>::AlreadyAuditor);
				members.try_push((who.clone(), *role)).map_err(|_| Error::<T>::TooManyMembers)?;
			}
			record.members = members;
			let deliveries = Self::check_epoch(channel, &record, key_id, &keys)?;
			let owner = record.owner.clone();
			Self::set_channel_deposit(&mut record)?;

			for member in remove {
				Self::deposit_event(Event::MemberRemoved { channel, member });
			}
			for (member, role) in add {
				Self::deposit_event(Event::MemberAdded { channel, member, role });
			}
			Self::start_epoch(channel, &mut record, &owner, key_id, deliveries)?;
			Channels::<T>::insert(channel, record);
			Ok(())
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
			let who = ensure_signed(origin)?;
			let mut record = Channels::<T>::get(channel).ok_or(Error::<T>::UnknownChannel)?;
			ensure!(!record.closed, Error::<T>::ChannelClosed);
			ensure!(Self::access_in(&record, &who, Self::now()).writes(), Error::<T>::NotWriter);
			let deliveries = Self::check_epoch(channel, &record, key_id, &keys)?;
			Self::start_epoch(channel, &mut record, &who, key_id, deliveries)?;
			Channels::<T>::insert(channel, record);
			Ok(())
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
			let mut record = Self::managed(origin, channel)?;
			ensure!(from <= until && until >= Self::now(), Error::<T>::InvalidWindow);
			ensure!(record.role_of(&auditor).is_none(), Error::<T>::AlreadyMember);
			ensure!(record.grant_of(&auditor).is_none(), Error::<T>::AlreadyAuditor);
			ensure!(EncryptionKeys::<T>::contains_key(&auditor), Error::<T>::NoEncryptionKey);
			record
				.auditors
				.try_push((auditor.clone(), Grant { from, until }))
				.map_err(|_| Error::<T>::TooManyAuditors)?;
			Self::set_channel_deposit(&mut record)?;
			Channels::<T>::insert(channel, record);
			Self::deposit_event(Event::AuditorGranted { channel, auditor, from, until });
			Ok(())
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
			let mut record = Self::managed(origin, channel)?;
			let before = record.auditors.len();
			record.auditors.retain(|(who, _)| *who != auditor);
			ensure!(record.auditors.len() < before, Error::<T>::NotAuditor);
			Self::set_channel_deposit(&mut record)?;
			Channels::<T>::insert(channel, record);
			Self::deposit_event(Event::AuditorRevoked { channel, auditor });
			Ok(())
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
			let who = ensure_signed(origin)?;
			let record = Channels::<T>::get(channel).ok_or(Error::<T>::UnknownChannel)?;
			ensure!(!record.closed, Error::<T>::ChannelClosed);
			let now = Self::now();
			ensure!(Self::access_in(&record, &who, now).writes(), Error::<T>::NotWriter);
			let access = Self::access_in(&record, &to, now);
			ensure!(access.reads(), Error::<T>::NotEntitled);
			let to_key = EncryptionKeys::<T>::get(&to).ok_or(Error::<T>::NoEncryptionKey)?.key;
			for (i, (epoch, _)) in keys.iter().enumerate() {
				ensure!(
					!keys.iter().take(i).any(|(e, _)| e == epoch),
					Error::<T>::AlreadyDelivered
				);
				let info = Epochs::<T>::get(channel, epoch).ok_or(Error::<T>::UnknownEpoch)?;
				if let Access::Auditor { from, until } = access {
					let overlaps = info.started <= until && info.ended.is_none_or(|e| e >= from);
					ensure!(overlaps, Error::<T>::EpochOutsideGrant);
				}
				ensure!(
					!SealedKeys::<T>::contains_key((channel, epoch, &to)),
					Error::<T>::AlreadyDelivered
				);
			}
			let per_key = T::SealedKeyDeposit::get();
			Self::hold(&who, per_key.saturating_mul((keys.len() as u32).into()))?;
			for (epoch, sealed) in keys {
				let key = SealedEpochKey { to_key, sealed };
				let delivery = Delivery { key, by: who.clone(), deposit: per_key };
				SealedKeys::<T>::insert((channel, epoch, &to), delivery);
				Self::deposit_event(Event::EpochKeyDelivered { channel, epoch, to: to.clone() });
			}
			Ok(())
		}

		/// Set how long gateways keep `channel`'s payloads, in blocks (`None`: until it closes).
		/// Older payloads are purged from gateways; their hashes and anchors stay on chain.
		///
		/// Origin: the channel's owner or `AdminOrigin`. Emits `RetentionSet`.
		#[pallet::call_index(7)]
		#[pallet::weight(T::WeightInfo::set_retention())]
		pub fn set_retention(
			origin: OriginFor<T>,
			channel: ChannelId,
			retention: Option<BlockNumberFor<T>>,
		) -> DispatchResult {
			let mut record = Self::managed(origin, channel)?;
			record.retention = retention;
			Channels::<T>::insert(channel, record);
			Self::deposit_event(Event::RetentionSet { channel, retention });
			Ok(())
		}

		/// Close `channel`: nothing more is written to it and no one has access. Releases the
		/// owner's channel deposit; the epochs and sealed keys are removed by `reap_channel`.
		///
		/// Origin: the channel's owner or `AdminOrigin`. Emits `ChannelClosed`.
		#[pallet::call_index(8)]
		#[pallet::weight(T::WeightInfo::close_channel())]
		pub fn close_channel(origin: OriginFor<T>, channel: ChannelId) -> DispatchResult {
			let mut record = Self::managed(origin, channel)?;
			Self::release(&record.owner, record.deposit);
			record.deposit = Zero::zero();
			record.closed = true;
			record.auditors = Default::default();
			Channels::<T>::insert(channel, record);
			Self::deposit_event(Event::ChannelClosed { channel });
			Ok(())
		}

		/// Remove up to `limit` sealed keys and epoch records of closed `channel`, releasing each
		/// deposit to whoever paid it; the channel itself goes with the last of them.
		///
		/// Origin: any signed account. Emits `ChannelReaped`.
		#[pallet::call_index(9)]
		#[pallet::weight(T::WeightInfo::reap_channel(*limit))]
		pub fn reap_channel(
			origin: OriginFor<T>,
			channel: ChannelId,
			limit: u32,
		) -> DispatchResultWithPostInfo {
			ensure_signed(origin)?;
			let record = Channels::<T>::get(channel).ok_or(Error::<T>::UnknownChannel)?;
			ensure!(record.closed, Error::<T>::ChannelNotClosed);
			let mut removed = 0u32;
			for (_, delivery) in SealedKeys::<T>::drain_prefix((channel,)).take(limit as usize) {
				Self::release(&delivery.by, delivery.deposit);
				removed.saturating_inc();
			}
			let left = limit.saturating_sub(removed);
			for (_, epoch) in Epochs::<T>::drain_prefix(channel).take(left as usize) {
				Self::release(&epoch.by, epoch.deposit);
				removed.saturating_inc();
			}
			let done = SealedKeys::<T>::iter_prefix((channel,)).next().is_none()
				&& Epochs::<T>::iter_prefix(channel).next().is_none();
			if done {
				Channels::<T>::remove(channel);
			}
			Self::deposit_event(Event::ChannelReaped { channel, removed, done });
			Ok(Some(T::WeightInfo::reap_channel(removed)).into())
		}
	}
}

impl<T: Config> Pallet<T> {
	/// The current block.
	fn now() -> BlockNumberFor<T> {
		frame_system::Pallet::<T>::block_number()
	}

	/// What `who` may do in `channel` now.
	pub fn access(channel: ChannelId, who: &T::AccountId) -> Access<BlockNumberFor<T>> {
		match Channels::<T>::get(channel) {
			Some(record) => Self::access_in(&record, who, Self::now()),
			None => Access::None,
		}
	}

	/// What `who` may do in `record` at block `now`.
	fn access_in(
		record: &Channel<T>,
		who: &T::AccountId,
		now: BlockNumberFor<T>,
	) -> Access<BlockNumberFor<T>> {
		if record.closed {
			return Access::None;
		}
		if let Some(role) = record.role_of(who) {
			return if T::Consortium::contains(who) { Access::Member(role) } else { Access::None };
		}
		match record.grant_of(who) {
			Some(grant) if grant.holds(&now) => {
				Access::Auditor { from: grant.from, until: grant.until }
			},
			_ => Access::None,
		}
	}

	/// The accounts entitled to a key made now: members still in the consortium and auditors
	/// whose window holds now.
	fn entitled(record: &Channel<T>, now: BlockNumberFor<T>) -> Vec<T::AccountId> {
		let consortium = T::Consortium::sorted_members();
		let members = record
			.members
			.iter()
			.filter(|(who, _)| consortium.binary_search(who).is_ok())
			.map(|(who, _)| who.clone());
		let auditors =
			record.auditors.iter().filter(|(_, g)| g.holds(&now)).map(|(who, _)| who.clone());
		members.chain(auditors).collect()
	}

	/// The channel, if `origin` may change it: its owner while a consortium member, or
	/// `AdminOrigin`; and it is open.
	fn managed(origin: OriginFor<T>, channel: ChannelId) -> Result<Channel<T>, DispatchError> {
		let record = Channels::<T>::get(channel).ok_or(Error::<T>::UnknownChannel)?;
		if T::AdminOrigin::try_origin(origin.clone()).is_err() {
			let who = ensure_signed(origin)?;
			ensure!(who == record.owner, Error::<T>::NotOwner);
			ensure!(T::Consortium::contains(&who), Error::<T>::NotConsortiumMember);
		}
		ensure!(!record.closed, Error::<T>::ChannelClosed);
		Ok(record)
	}

	/// Whether `who` may join as a member beside `members`.
	fn check_new_member(
		members: &[(T::AccountId, Role)],
		who: &T::AccountId,
	) -> Result<(), DispatchError> {
		ensure!(!members.iter().any(|(m, _)| m == who), Error::<T>::AlreadyMember);
		ensure!(T::Consortium::contains(who), Error::<T>::NotConsortiumMember);
		ensure!(EncryptionKeys::<T>::contains_key(who), Error::<T>::NoEncryptionKey);
		Ok(())
	}

	/// Checks a new epoch of `record` (numbered `channel`): `keys` seal its key to exactly the
	/// accounts entitled now, each once, and `key_id` is not the current epoch's. The
	/// deliveries to store.
	fn check_epoch(
		channel: ChannelId,
		record: &Channel<T>,
		key_id: KeyId,
		keys: &[(T::AccountId, SealedKey)],
	) -> Result<Vec<(T::AccountId, SealedEpochKey)>, DispatchError> {
		if let Some(current) = Epochs::<T>::get(channel, record.epoch) {
			ensure!(current.key_id != key_id, Error::<T>::KeyReused);
		}
		let entitled = Self::entitled(record, Self::now());
		let mut out = Vec::with_capacity(keys.len());
		for (i, (who, sealed)) in keys.iter().enumerate() {
			ensure!(!keys.iter().take(i).any(|(w, _)| w == who), Error::<T>::DuplicateAccount);
			ensure!(entitled.contains(who), Error::<T>::UnexpectedRecipient);
			let to_key = EncryptionKeys::<T>::get(who).ok_or(Error::<T>::NoEncryptionKey)?.key;
			out.push((who.clone(), SealedEpochKey { to_key, sealed: *sealed }));
		}
		// Every key is for a distinct entitled account: as many keys as accounts covers them all.
		ensure!(out.len() == entitled.len(), Error::<T>::MissingKey);
		Ok(out)
	}

	/// Starts `record`'s next epoch with the checked `deliveries`, its deposits held from `by`.
	/// The caller stores `record`.
	fn start_epoch(
		channel: ChannelId,
		record: &mut Channel<T>,
		by: &T::AccountId,
		key_id: KeyId,
		deliveries: Vec<(T::AccountId, SealedEpochKey)>,
	) -> DispatchResult {
		let epoch = record.epoch.checked_add(1).ok_or(Error::<T>::Overflow)?;
		let per_key = T::SealedKeyDeposit::get();
		let recipients = deliveries.len() as u32;
		let epoch_deposit = T::EpochDeposit::get();
		Self::hold(by, epoch_deposit.saturating_add(per_key.saturating_mul(recipients.into())))?;
		let now = Self::now();
		if record.epoch > 0 {
			Epochs::<T>::mutate(channel, record.epoch, |e| {
				if let Some(e) = e {
					e.ended = Some(now);
				}
			});
		}
		record.epoch = epoch;
		Epochs::<T>::insert(
			channel,
			epoch,
			EpochRecord {
				started: now,
				ended: None,
				key_id,
				by: by.clone(),
				deposit: epoch_deposit,
			},
		);
		Self::deposit_event(Event::EpochStarted {
			channel,
			epoch,
			key_id,
			by: by.clone(),
			recipients,
		});
		for (to, key) in deliveries {
			if record.grant_of(&to).is_some() {
				Self::deposit_event(Event::EpochKeyDelivered { channel, epoch, to: to.clone() });
			}
			SealedKeys::<T>::insert(
				(channel, epoch, &to),
				Delivery { key, by: by.clone(), deposit: per_key },
			);
		}
		Ok(())
	}

	/// What the owner holds for `record`: the channel and a slot per member and auditor.
	fn channel_deposit(record: &Channel<T>) -> BalanceOf<T> {
		let slots = (record.members.len().saturating_add(record.auditors.len())) as u32;
		T::ChannelDeposit::get()
			.saturating_add(T::MemberDeposit::get().saturating_mul(slots.into()))
	}

	/// Holds or releases the owner's deposit so that it matches `record`'s slots.
	fn set_channel_deposit(record: &mut Channel<T>) -> DispatchResult {
		let wanted = Self::channel_deposit(record);
		if wanted > record.deposit {
			Self::hold(&record.owner, wanted.saturating_sub(record.deposit))?;
		} else {
			Self::release(&record.owner, record.deposit.saturating_sub(wanted));
		}
		record.deposit = wanted;
		Ok(())
	}

	fn hold(who: &T::AccountId, amount: BalanceOf<T>) -> DispatchResult {
		if amount.is_zero() {
			return Ok(());
		}
		T::Currency::hold(&HoldReason::ChannelDeposit.into(), who, amount)
	}

	fn release(who: &T::AccountId, amount: BalanceOf<T>) {
		if amount.is_zero() {
			return;
		}
		// Best effort: what this pallet holds was held by it, so the release cannot fall short
		// unless a slash took some, and then whatever is left is released.
		let _ = T::Currency::release(
			&HoldReason::ChannelDeposit.into(),
			who,
			amount,
			Precision::BestEffort,
		);
	}

	/// Channel `channel` as clients see it.
	pub fn channel_info(
		channel: ChannelId,
	) -> Option<ChannelInfo<T::AccountId, BlockNumberFor<T>>> {
		let record = Channels::<T>::get(channel)?;
		let now = Self::now();
		let consortium = T::Consortium::sorted_members();
		let holds_current =
			|who: &T::AccountId| SealedKeys::<T>::contains_key((channel, record.epoch, who));
		let members = record
			.members
			.iter()
			.map(|(account, role)| MemberInfo {
				account: account.clone(),
				role: *role,
				active: consortium.binary_search(account).is_ok(),
			})
			.collect();
		let auditors = record
			.auditors
			.iter()
			.map(|(account, grant)| AuditorInfo {
				account: account.clone(),
				grant: *grant,
				active: grant.holds(&now),
				holds_current_key: holds_current(account),
			})
			.collect();
		let entitled = Self::entitled(&record, now);
		let rekey_due = SealedKeys::<T>::iter_key_prefix((channel, record.epoch))
			.any(|holder| !entitled.contains(&holder));
		let deliveries_due = if record.closed {
			Vec::new()
		} else {
			entitled.into_iter().filter(|w| !holds_current(w)).collect()
		};
		let key_id = Epochs::<T>::get(channel, record.epoch).map(|e| e.key_id).unwrap_or_default();
		Some(ChannelInfo {
			owner: record.owner,
			members,
			auditors,
			epoch: record.epoch,
			key_id,
			retention: record.retention,
			rekey_due: rekey_due && !record.closed,
			deliveries_due,
			closed: record.closed,
		})
	}

	/// Epoch `epoch` of `channel` as clients see it.
	pub fn epoch_info(
		channel: ChannelId,
		epoch: ChannelEpoch,
	) -> Option<EpochInfo<T::AccountId, BlockNumberFor<T>>> {
		Epochs::<T>::get(channel, epoch).map(|e| EpochInfo {
			started: e.started,
			ended: e.ended,
			key_id: e.key_id,
			by: e.by,
		})
	}

	/// The key of `channel`'s `epoch` sealed to `who`, if delivered.
	pub fn sealed_key(
		channel: ChannelId,
		epoch: ChannelEpoch,
		who: &T::AccountId,
	) -> Option<SealedEpochKey> {
		SealedKeys::<T>::get((channel, epoch, who)).map(|d| d.key)
	}

	/// `who`'s encryption key.
	pub fn encryption_key(who: &T::AccountId) -> Option<EncryptionKey> {
		EncryptionKeys::<T>::get(who).map(|r| r.key)
	}

	/// The invariants: every channel's owner is its first member and a writer, members and
	/// auditors are distinct, an open channel's current epoch exists and has not ended, every
	/// sealed key belongs to an existing epoch, and channel numbers are below the next one.
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let next = NextChannelId::<T>::get();
		for (id, record) in Channels::<T>::iter() {
			ensure!(id < next, "a channel's number is not below the next one");
			ensure!(
				record.members.first() == Some(&(record.owner.clone(), Role::Writer)),
				"a channel's owner is not its first member, a writer"
			);
			for (i, (who, _)) in record.members.iter().enumerate() {
				ensure!(
					!record.members.iter().take(i).any(|(w, _)| w == who),
					"a channel member appears twice"
				);
				ensure!(record.grant_of(who).is_none(), "a channel member is also its auditor");
			}
			for (i, (who, _)) in record.auditors.iter().enumerate() {
				ensure!(
					!record.auditors.iter().take(i).any(|(w, _)| w == who),
					"a channel auditor appears twice"
				);
			}
			if !record.closed && record.epoch > 0 {
				let current = Epochs::<T>::get(id, record.epoch)
					.ok_or("an open channel's current epoch has no record")?;
				ensure!(current.ended.is_none(), "an open channel's current epoch has ended");
			}
			if !record.closed {
				ensure!(
					record.deposit == Self::channel_deposit(&record),
					"a channel's deposit does not match its slots"
				);
			}
		}
		for ((channel, epoch, _), _) in SealedKeys::<T>::iter() {
			ensure!(
				Epochs::<T>::contains_key(channel, epoch),
				"a sealed key belongs to no epoch record"
			);
		}
		for (channel, epoch, _) in Epochs::<T>::iter() {
			let record = Channels::<T>::get(channel).ok_or("an epoch belongs to no channel")?;
			ensure!(epoch >= 1 && epoch <= record.epoch, "an epoch is beyond its channel's");
		}
		Ok(())
	}
}
