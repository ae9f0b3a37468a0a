//! The bodies of the pallet's calls and what they share, by concern; `lib.rs` keeps the call
//! shells.

pub mod attestation;
#[cfg(feature = "runtime-benchmarks")]
pub mod bench_support;
pub mod consent;
pub mod equivocation;
pub mod firmware;
pub mod invariants;
pub mod keys;
pub mod lookup;
pub mod records;
pub mod register;
pub mod transfer;
