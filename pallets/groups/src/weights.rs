//! Weights for `pallet_groups`: placeholders until `scripts/bench.sh pallet_groups` measures them.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// The weight of each of `pallet_groups`'s calls.
pub trait WeightInfo {
	fn create_group(n: u32, ) -> Weight;
	fn change_group(n: u32, ) -> Weight;
	fn dissolve_group() -> Weight;
	fn confirm_key(n: u32, ) -> Weight;
	fn approve(n: u32, ) -> Weight;
	fn withdraw(n: u32, ) -> Weight;
}

/// Measured weights, with database accesses charged at the runtime's `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn create_group(_n: u32, ) -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(2, 2)) }
	fn change_group(_n: u32, ) -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(20, 20)) }
	fn dissolve_group() -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(20, 20)) }
	fn confirm_key(_n: u32, ) -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(1, 1)) }
	fn approve(_n: u32, ) -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(20, 2)) }
	fn withdraw(_n: u32, ) -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(1, 1)) }
}

/// The same figures with RocksDB's reference database weights, for tests and mocks.
impl WeightInfo for () {
	fn create_group(_n: u32, ) -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes(2, 2)) }
	fn change_group(_n: u32, ) -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes(20, 20)) }
	fn dissolve_group() -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes(20, 20)) }
	fn confirm_key(_n: u32, ) -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes(1, 1)) }
	fn approve(_n: u32, ) -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes(20, 2)) }
	fn withdraw(_n: u32, ) -> Weight { Weight::from_parts(50_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes(1, 1)) }
}
