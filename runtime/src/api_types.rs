//! The concrete types the runtime APIs return, with this runtime's account, balance and block
//! number: defined in the pallets' runtime-API crates (so clients can name them) and made by the
//! pallets from what they store, next to their stored types.

use crate::{AccountId, Balance, BlockNumber};

/// A device as the devices runtime API returns it.
pub type DeviceInfo = pallet_devices_runtime_api::DeviceInfo<AccountId, Balance, BlockNumber>;

/// An anchor as the anchoring runtime API returns it.
pub type AnchorInfo = pallet_anchoring_runtime_api::Anchor<AccountId, BlockNumber>;

/// A reputation record as the reputation runtime API returns it.
pub type ReputationInfo =
	pallet_reputation_runtime_api::ReputationInfo<AccountId, Balance, BlockNumber>;

/// An obligation as the obligations runtime API returns it.
pub type ObligationInfo =
	pallet_obligations_runtime_api::ObligationInfo<AccountId, Balance, BlockNumber>;

/// A page of obligations as the obligations runtime API returns it.
pub type ObligationPage = pallet_obligations_runtime_api::Page<AccountId, Balance, BlockNumber>;

/// An offer as the obligations runtime API returns it.
pub type OfferInfo = pallet_obligations_runtime_api::OfferInfo<AccountId, Balance, BlockNumber>;
