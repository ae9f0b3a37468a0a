//! # Devices runtime API
//!
//! What clients ask the chain about devices, through `state_call` (polkadot.js:
//! `api.call.devicesApi.*`, typed from the runtime's metadata):
//!
//! - `device(id)`: the device record, if registered;
//! - `devices_of(owner, start_after, limit)`: a page of an owner's devices (at most
//!   [`MAX_PAGE`]); pass the last id of a page as `start_after` to get the next;
//! - `verify(device, payload, signature)`: whether the device signed the payload, and if not,
//!   why ([`Verification`]).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;
use codec::Codec;
pub use iotrust_primitives::device::{DeviceId, DeviceSignature, Verification};

/// The most devices one `devices_of` call returns.
pub const MAX_PAGE: u32 = 100;

sp_api::decl_runtime_apis! {
	/// Device lookups and signature verification.
	pub trait DevicesApi<AccountId, Device>
	where
		AccountId: Codec,
		Device: Codec,
	{
		/// The device with id `device`, if registered (revoked devices stay until removed).
		fn device(device: DeviceId) -> Option<Device>;

		/// Up to `limit` (at most [`MAX_PAGE`]) of `owner`'s devices, after `start_after`.
		fn devices_of(owner: AccountId, start_after: Option<DeviceId>, limit: u32) -> Vec<(DeviceId, Device)>;

		/// Whether `signature` over `payload` is by `device`'s current key and the device is
		/// active; otherwise why not.
		fn verify(device: DeviceId, payload: Vec<u8>, signature: DeviceSignature) -> Verification;
	}
}
