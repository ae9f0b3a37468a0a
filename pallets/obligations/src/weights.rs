//! Weights for `pallet_obligations`: placeholder until `scripts/bench.sh obligations` generates
//! this file.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// The weight of each of `pallet_obligations`'s calls.
pub trait WeightInfo {
	fn create() -> Weight;
	fn create_for_device() -> Weight;
	fn pay() -> Weight;
	fn cancel() -> Weight;
	fn mark_defaulted() -> Weight;
	fn set_grace_period() -> Weight;
	fn on_idle(n: u32, ) -> Weight;
	fn on_rule_breach(n: u32, ) -> Weight;
}

/// Measured weights, with database accesses charged at the runtime's `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create() -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8)) }
	fn create_for_device() -> Weight { Weight::from_parts(2_000_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(10, 9)) }
	fn pay() -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(8, 8)) }
	fn cancel() -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(6, 6)) }
	fn mark_defaulted() -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(6, 6)) }
	fn set_grace_period() -> Weight { Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1)) }
	fn on_idle(n: u32, ) -> Weight { Weight::from_parts(10_000_000, 1_000).saturating_add(Weight::from_parts(100_000_000, 10_000).saturating_mul(n.into())).saturating_add(T::DbWeight::get().reads_writes(6, 6).saturating_mul(n.into())) }
	fn on_rule_breach(n: u32, ) -> Weight { Weight::from_parts(10_000_000, 1_000).saturating_add(Weight::from_parts(100_000_000, 10_000).saturating_mul(n.into())).saturating_add(T::DbWeight::get().reads_writes(2, 2).saturating_mul(n.into())) }
}

// For tests.
impl WeightInfo for () {
	fn create() -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(RocksDbWeight::get().reads_writes(8, 8)) }
	fn create_for_device() -> Weight { Weight::from_parts(2_000_000_000, 10_000).saturating_add(RocksDbWeight::get().reads_writes(10, 9)) }
	fn pay() -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(RocksDbWeight::get().reads_writes(8, 8)) }
	fn cancel() -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(RocksDbWeight::get().reads_writes(6, 6)) }
	fn mark_defaulted() -> Weight { Weight::from_parts(100_000_000, 10_000).saturating_add(RocksDbWeight::get().reads_writes(6, 6)) }
	fn set_grace_period() -> Weight { Weight::from_parts(10_000_000, 0).saturating_add(RocksDbWeight::get().writes(1)) }
	fn on_idle(n: u32, ) -> Weight { Weight::from_parts(10_000_000, 1_000).saturating_add(Weight::from_parts(100_000_000, 10_000).saturating_mul(n.into())).saturating_add(RocksDbWeight::get().reads_writes(6, 6).saturating_mul(n.into())) }
	fn on_rule_breach(n: u32, ) -> Weight { Weight::from_parts(10_000_000, 1_000).saturating_add(Weight::from_parts(100_000_000, 10_000).saturating_mul(n.into())).saturating_add(RocksDbWeight::get().reads_writes(2, 2).saturating_mul(n.into())) }
}
