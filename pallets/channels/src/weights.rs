//! Weights for `pallet_channels`: provisional figures until `scripts/bench.sh pallet_channels`
//! measures them on the reference machine.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// The weight of each of `pallet_channels`'s calls.
pub trait WeightInfo {
	fn set_encryption_key() -> Weight;
	fn create_channel(n: u32, ) -> Weight;
	fn change_members(n: u32, ) -> Weight;
	fn rotate_key(n: u32, ) -> Weight;
	fn grant_auditor() -> Weight;
	fn revoke_auditor() -> Weight;
	fn deliver_keys(n: u32, ) -> Weight;
	fn set_retention() -> Weight;
	fn close_channel() -> Weight;
	fn reap_channel(n: u32, ) -> Weight;
	fn set_device_channel() -> Weight;
}

/// Provisional weights, with database accesses charged at the runtime's `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn set_encryption_key() -> Weight {
		Weight::from_parts(20_000_000, 10000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn create_channel(n: u32, ) -> Weight {
		Weight::from_parts(60_000_000, 10000)
			.saturating_add(Weight::from_parts(4_000_000, 3000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(n.into())))
	}
	fn change_members(n: u32, ) -> Weight {
		Weight::from_parts(70_000_000, 10000)
			.saturating_add(Weight::from_parts(4_000_000, 3000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(n.into())))
	}
	fn rotate_key(n: u32, ) -> Weight {
		Weight::from_parts(50_000_000, 10000)
			.saturating_add(Weight::from_parts(4_000_000, 3000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(n.into())))
	}
	fn grant_auditor() -> Weight {
		Weight::from_parts(40_000_000, 10000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn revoke_auditor() -> Weight {
		Weight::from_parts(40_000_000, 10000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn deliver_keys(n: u32, ) -> Weight {
		Weight::from_parts(40_000_000, 10000)
			.saturating_add(Weight::from_parts(8_000_000, 3000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
	}
	fn set_retention() -> Weight {
		Weight::from_parts(25_000_000, 10000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn close_channel() -> Weight {
		Weight::from_parts(35_000_000, 10000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
	}
	fn reap_channel(n: u32, ) -> Weight {
		Weight::from_parts(30_000_000, 10000)
			.saturating_add(Weight::from_parts(20_000_000, 3000).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(2_u64))
			.saturating_add(T::DbWeight::get().writes((1_u64).saturating_mul(n.into())))
	}
	fn set_device_channel() -> Weight {
		Weight::from_parts(40_000_000, 10000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
}

// For tests.
impl WeightInfo for () {
	fn set_encryption_key() -> Weight {
		Weight::from_parts(20_000_000, 10000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn create_channel(n: u32, ) -> Weight {
		Weight::from_parts(60_000_000, 10000)
			.saturating_add(Weight::from_parts(4_000_000, 3000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
			.saturating_add(RocksDbWeight::get().writes((2_u64).saturating_mul(n.into())))
	}
	fn change_members(n: u32, ) -> Weight {
		Weight::from_parts(70_000_000, 10000)
			.saturating_add(Weight::from_parts(4_000_000, 3000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
			.saturating_add(RocksDbWeight::get().writes((2_u64).saturating_mul(n.into())))
	}
	fn rotate_key(n: u32, ) -> Weight {
		Weight::from_parts(50_000_000, 10000)
			.saturating_add(Weight::from_parts(4_000_000, 3000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
			.saturating_add(RocksDbWeight::get().writes((2_u64).saturating_mul(n.into())))
	}
	fn grant_auditor() -> Weight {
		Weight::from_parts(40_000_000, 10000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn revoke_auditor() -> Weight {
		Weight::from_parts(40_000_000, 10000)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn deliver_keys(n: u32, ) -> Weight {
		Weight::from_parts(40_000_000, 10000)
			.saturating_add(Weight::from_parts(8_000_000, 3000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(n.into())))
	}
	fn set_retention() -> Weight {
		Weight::from_parts(25_000_000, 10000)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn close_channel() -> Weight {
		Weight::from_parts(35_000_000, 10000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
	}
	fn reap_channel(n: u32, ) -> Weight {
		Weight::from_parts(30_000_000, 10000)
			.saturating_add(Weight::from_parts(20_000_000, 3000).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(2_u64))
			.saturating_add(RocksDbWeight::get().writes((1_u64).saturating_mul(n.into())))
	}
	fn set_device_channel() -> Weight {
		Weight::from_parts(40_000_000, 10000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
}
