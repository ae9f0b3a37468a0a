//! Storage migrations of the obligations pallet.

/// Version 1 → 2: an SLA becomes an [`crate::Sla`] (its bounds and the longest the device may go
/// unobserved), an offer names the consumers it accepts, and an obligation holds a bond and
/// judges silence ([`crate::Obligation::silent_until`]).
///
/// What stood keeps its terms: an offer or obligation of version 1 had no silence rule, so its
/// longest silence becomes `MaxDueIn` and an obligation's silence is judged from its due block
/// on — no silence claim can reach it. Offers name nobody (any consumer, as before); obligations
/// hold no bond (none was taken). Breaches count from evidence from now on, as for every SLA.
///
/// One read and one write per offer and per obligation, in one block: a consortium chain holds
/// thousands, each record a few hundred bytes.
pub mod v2 {
	use crate::{
		BalanceOf, Config, Obligation, ObligationId, Obligations, Offer, OfferId, OfferTerms,
		Offers, Pallet, Sla, Status,
	};
	use alloc::vec::Vec;
	use codec::{Decode, Encode};
	use frame_support::{
		migrations::VersionedMigration,
		pallet_prelude::*,
		traits::{Get, UncheckedOnRuntimeUpgrade},
		weights::Weight,
	};
	use frame_system::pallet_prelude::BlockNumberFor;
	use iotrust_primitives::{
		anchoring::{AnchorId, ThresholdRule},
		device::DeviceId,
	};
	use sp_core::H256;
	use sp_runtime::traits::Zero;
	#[cfg(feature = "try-runtime")]
	use sp_runtime::TryRuntimeError;

	/// The migration, run only when the pallet's stored version is 1; it then stores 2.
	pub type MigrateV1ToV2<T> = VersionedMigration<
		1,
		2,
		AddSilenceAndBonds<T>,
		Pallet<T>,
		<T as frame_system::Config>::DbWeight,
	>;

	/// An offer as version 1 stored it.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct OfferV1<AccountId, Balance, BlockNumber> {
		pub provider: AccountId,
		pub service_hash: H256,
		pub min_amount: Balance,
		pub max_amount: Balance,
		pub due_in: BlockNumber,
		pub min_score: u32,
		pub device: Option<DeviceId>,
		pub sla: Option<ThresholdRule>,
		pub deposit: Balance,
	}

	/// An obligation as version 1 stored it.
	#[derive(Encode, Decode, Clone, PartialEq, Eq, Debug)]
	pub struct ObligationV1<AccountId, Balance, BlockNumber, Note> {
		pub consumer: AccountId,
		pub provider: AccountId,
		pub offer: OfferId,
		pub amount: Balance,
		pub paid: Balance,
		pub penalty: Balance,
		pub breaches: u32,
		pub last_breach: Option<AnchorId>,
		pub credit_fee: Balance,
		pub service_hash: H256,
		pub note: Note,
		pub created: BlockNumber,
		pub due: BlockNumber,
		pub consumer_device: Option<DeviceId>,
		pub provider_device: Option<DeviceId>,
		pub sla: Option<ThresholdRule>,
		pub deposit: Balance,
		pub status: Status,
		pub closed_at: Option<BlockNumber>,
	}

	/// A version-1 offer of this runtime.
	pub type OldOffer<T> =
		OfferV1<<T as frame_system::Config>::AccountId, BalanceOf<T>, BlockNumberFor<T>>;

	/// A version-1 obligation of this runtime.
	pub type OldObligation<T> = ObligationV1<
		<T as frame_system::Config>::AccountId,
		BalanceOf<T>,
		BlockNumberFor<T>,
		BoundedVec<u8, <T as Config>::MaxNoteLen>,
	>;

	/// A version-1 SLA, with no silence rule a term can reach.
	fn sla<T: Config>(bounds: Option<ThresholdRule>) -> Option<Sla<BlockNumberFor<T>>> {
		bounds.map(|bounds| Sla { bounds, max_silence: T::MaxDueIn::get() })
	}

	/// `old` as version 2 stores it.
	pub fn migrate_offer<T: Config>(old: OldOffer<T>) -> Offer<T> {
		Offer {
			provider: old.provider,
			terms: OfferTerms {
				service_hash: old.service_hash,
				min_amount: old.min_amount,
				max_amount: old.max_amount,
				due_in: old.due_in,
				min_score: old.min_score,
				device: old.device,
				sla: sla::<T>(old.sla),
				consumers: BoundedVec::new(),
			},
			deposit: old.deposit,
		}
	}

	/// `old` as version 2 stores it.
	pub fn migrate_obligation<T: Config>(old: OldObligation<T>) -> Obligation<T> {
		Obligation {
			consumer: old.consumer,
			provider: old.provider,
			offer: old.offer,
			amount: old.amount,
			paid: old.paid,
			penalty: old.penalty,
			breaches: old.breaches,
			last_breach: old.last_breach,
			counted: old.last_breach.into_iter().collect::<Vec<_>>().try_into().unwrap_or_default(),
			silent_until: old.due,
			credit_fee: old.credit_fee,
			service_hash: old.service_hash,
			note: old.note,
			created: old.created,
			due: old.due,
			consumer_device: old.consumer_device,
			provider_device: old.provider_device,
			sla: sla::<T>(old.sla),
			deposit: old.deposit,
			bond: Zero::zero(),
			status: old.status,
			closed_at: old.closed_at,
		}
	}

	/// Rewrites every offer and obligation. Use it through [`MigrateV1ToV2`].
	pub struct AddSilenceAndBonds<T>(core::marker::PhantomData<T>);

	impl<T: Config> UncheckedOnRuntimeUpgrade for AddSilenceAndBonds<T> {
		fn on_runtime_upgrade() -> Weight {
			let mut records = 0u64;
			Offers::<T>::translate::<OldOffer<T>, _>(|_, old| {
				records = records.saturating_add(1);
				Some(migrate_offer::<T>(old))
			});
			Obligations::<T>::translate::<OldObligation<T>, _>(|_, old| {
				records = records.saturating_add(1);
				Some(migrate_obligation::<T>(old))
			});
			T::DbWeight::get().reads_writes(records, records)
		}

		#[cfg(feature = "try-runtime")]
		fn pre_upgrade() -> Result<Vec<u8>, TryRuntimeError> {
			pre_check::<T>().map(|before| before.encode()).map_err(Into::into)
		}

		#[cfg(feature = "try-runtime")]
		fn post_upgrade(state: Vec<u8>) -> Result<(), TryRuntimeError> {
			let before = Decode::decode(&mut &state[..])
				.map_err(|_| "obligations v2: cannot decode the pre-upgrade state")?;
			post_check::<T>(before).map_err(Into::into)
		}
	}

	/// What the pre-upgrade check saw: every offer and obligation as stored.
	pub type Before<T> = (Vec<(OfferId, OldOffer<T>)>, Vec<(ObligationId, OldObligation<T>)>);

	/// The raw value under `key`, decoded as `V`.
	fn decode_raw<V: Decode>(key: &[u8], what: &'static str) -> Result<V, &'static str> {
		let raw = frame_support::storage::unhashed::get_raw(key).ok_or(what)?;
		V::decode(&mut &raw[..]).map_err(|_| what)
	}

	/// Before the migration: every offer and obligation decodes as version 1.
	pub fn pre_check<T: Config>() -> Result<Before<T>, &'static str> {
		let mut offers = Vec::new();
		for id in Offers::<T>::iter_keys() {
			let key = Offers::<T>::hashed_key_for(id);
			offers.push((id, decode_raw(&key, "obligations v2: an offer is not version 1")?));
		}
		let mut obligations = Vec::new();
		for id in Obligations::<T>::iter_keys() {
			let key = Obligations::<T>::hashed_key_for(id);
			let what = "obligations v2: an obligation is not version 1";
			obligations.push((id, decode_raw(&key, what)?));
		}
		Ok((offers, obligations))
	}

	/// After the migration: every offer and obligation is its old self with the new fields as
	/// documented, nothing appeared or vanished, and the stored version is 2.
	pub fn post_check<T: Config>(before: Before<T>) -> Result<(), &'static str> {
		use frame_support::traits::GetStorageVersion;
		let (offers, obligations) = before;
		if Offers::<T>::iter_keys().count() != offers.len()
			|| Obligations::<T>::iter_keys().count() != obligations.len()
		{
			return Err("obligations v2: the number of offers or obligations changed");
		}
		for (id, old) in offers {
			if Offers::<T>::get(id) != Some(migrate_offer::<T>(old)) {
				return Err("obligations v2: an offer changed beyond its new fields");
			}
		}
		for (id, old) in obligations {
			if Obligations::<T>::get(id) != Some(migrate_obligation::<T>(old)) {
				return Err("obligations v2: an obligation changed beyond its new fields");
			}
		}
		if Pallet::<T>::on_chain_storage_version() != 2 {
			return Err("obligations v2: the stored version is not 2 after the migration");
		}
		Ok(())
	}
}
