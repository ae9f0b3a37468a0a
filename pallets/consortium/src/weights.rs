//! Weights for `pallet_consortium`.
//!
//! NOT YET GENERATED: these figures are conservative placeholders standing in until the node's
//! benchmark command (see the README, "Benchmarks") is run on the reference machine and its
//! output replaces this file. Each read and write is charged at the database cost given by the
//! runtime's `DbWeight`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed for `pallet_consortium`.
pub trait WeightInfo {
	fn add_validator(n: u32, ) -> Weight;
	fn remove_validator(n: u32, ) -> Weight;
	fn dispatch_as_root() -> Weight;
}

/// Weights for `pallet_consortium` using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	/// The range of component `n` is `[1, 99]`.
	fn add_validator(n: u32, ) -> Weight {
		Weight::from_parts(12_000_000, 4687)
			.saturating_add(Weight::from_parts(40_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	/// The range of component `n` is `[2, 100]`.
	fn remove_validator(n: u32, ) -> Weight {
		Weight::from_parts(12_000_000, 4687)
			.saturating_add(Weight::from_parts(40_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn dispatch_as_root() -> Weight {
		Weight::from_parts(8_000_000, 0)
	}
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	fn add_validator(n: u32, ) -> Weight {
		Weight::from_parts(12_000_000, 4687)
			.saturating_add(Weight::from_parts(40_000, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn remove_validator(n: u32, ) -> Weight {
		Weight::from_parts(12_000_000, 4687)
			.saturating_add(Weight::from_parts(40_000, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn dispatch_as_root() -> Weight {
		Weight::from_parts(8_000_000, 0)
	}
}
