//! Benchmarks of `pallet-session`'s two calls, `set_keys` and `purge_keys`, for a runtime
//! without staking. polkadot-sdk's `pallet-session-benchmarking` needs `pallet-staking`, which
//! iotrust does not have: its validators are chosen by the consortium's council.
//!
//! The runtime implements [`Config`] to hand the benchmarks fresh session keys with their proof
//! of ownership, and lists `[pallet_session, SessionBench::<Runtime>]` in its benchmarks.

#![cfg_attr(not(feature = "std"), no_std)]

#[cfg(feature = "runtime-benchmarks")]
mod benchmarking;

extern crate alloc;

use alloc::vec::Vec;

/// The benchmarks' handle: `pallet_session`'s calls measured for the runtime `T`.
pub struct Pallet<T: Config>(pallet_session::Pallet<T>);

/// What the runtime provides to the benchmarks.
pub trait Config: pallet_session::Config {
	/// New session keys for `owner` and the proof `set_keys` checks that `owner` holds them.
	fn generate_session_keys_and_proof(owner: Self::AccountId) -> (Self::Keys, Vec<u8>);
}
