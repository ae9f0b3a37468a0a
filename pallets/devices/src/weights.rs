//! Weights for `pallet_devices`.
//!
//! NOT YET GENERATED: conservative placeholders (P-256 verification charged at ~0.35 s of
//! reference time) until `scripts/bench.sh pallet_devices` is run on the reference machine and
//! its output replaces this file.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// The weight of each of `pallet_devices`'s calls, and of verifying each key scheme.
pub trait WeightInfo {
	fn register() -> Weight;
	fn update_metadata() -> Weight;
	fn bind_gateway() -> Weight;
	fn unbind_gateway() -> Weight;
	fn suspend() -> Weight;
	fn resume() -> Weight;
	fn revoke() -> Weight;
	fn remove() -> Weight;
	fn rotate_key() -> Weight;
	fn offer_transfer() -> Weight;
	fn cancel_transfer() -> Weight;
	fn accept_transfer() -> Weight;
	fn report_firmware() -> Weight;
	fn register_manufacturer() -> Weight;
	fn remove_manufacturer() -> Weight;
	fn attest(n: u32, ) -> Weight;
	fn publish_firmware() -> Weight;
	fn verify_p256() -> Weight;
	fn verify_sr25519() -> Weight;
}

/// Weights with database accesses charged at the runtime's `DbWeight`.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register() -> Weight {
		Weight::from_parts(400_000_000, 8000)
			.saturating_add(T::DbWeight::get().reads(5_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn update_metadata() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn bind_gateway() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn unbind_gateway() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn suspend() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn resume() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn revoke() -> Weight {
		Weight::from_parts(40_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn remove() -> Weight {
		Weight::from_parts(50_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(3_u64))
	}
	fn rotate_key() -> Weight {
		Weight::from_parts(800_000_000, 8000)
			.saturating_add(T::DbWeight::get().reads(3_u64))
			.saturating_add(T::DbWeight::get().writes(4_u64))
	}
	fn offer_transfer() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn cancel_transfer() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn accept_transfer() -> Weight {
		Weight::from_parts(60_000_000, 8000)
			.saturating_add(T::DbWeight::get().reads(4_u64))
			.saturating_add(T::DbWeight::get().writes(5_u64))
	}
	fn report_firmware() -> Weight {
		Weight::from_parts(400_000_000, 8000)
			.saturating_add(T::DbWeight::get().reads(2_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn register_manufacturer() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn remove_manufacturer() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn attest(n: u32, ) -> Weight {
		Weight::from_parts(30_000_000, 4000)
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(n.into()))
			.saturating_add(T::DbWeight::get().reads((2_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().writes((2_u64).saturating_mul(n.into())))
			.saturating_add(T::DbWeight::get().reads(1_u64))
	}
	fn publish_firmware() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(T::DbWeight::get().reads(1_u64))
			.saturating_add(T::DbWeight::get().writes(1_u64))
	}
	fn verify_p256() -> Weight {
		Weight::from_parts(350_000_000, 0)
	}
	fn verify_sr25519() -> Weight {
		Weight::from_parts(60_000_000, 0)
	}
}

/// The same figures with RocksDB's reference database weights, for tests and mocks.
impl WeightInfo for () {
	fn register() -> Weight {
		Weight::from_parts(400_000_000, 8000)
			.saturating_add(RocksDbWeight::get().reads(5_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn update_metadata() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn bind_gateway() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn unbind_gateway() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn suspend() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn resume() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn revoke() -> Weight {
		Weight::from_parts(40_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn remove() -> Weight {
		Weight::from_parts(50_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(3_u64))
	}
	fn rotate_key() -> Weight {
		Weight::from_parts(800_000_000, 8000)
			.saturating_add(RocksDbWeight::get().reads(3_u64))
			.saturating_add(RocksDbWeight::get().writes(4_u64))
	}
	fn offer_transfer() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn cancel_transfer() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn accept_transfer() -> Weight {
		Weight::from_parts(60_000_000, 8000)
			.saturating_add(RocksDbWeight::get().reads(4_u64))
			.saturating_add(RocksDbWeight::get().writes(5_u64))
	}
	fn report_firmware() -> Weight {
		Weight::from_parts(400_000_000, 8000)
			.saturating_add(RocksDbWeight::get().reads(2_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn register_manufacturer() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn remove_manufacturer() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn attest(n: u32, ) -> Weight {
		Weight::from_parts(30_000_000, 4000)
			.saturating_add(Weight::from_parts(2_000_000, 0).saturating_mul(n.into()))
			.saturating_add(RocksDbWeight::get().reads((2_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().writes((2_u64).saturating_mul(n.into())))
			.saturating_add(RocksDbWeight::get().reads(1_u64))
	}
	fn publish_firmware() -> Weight {
		Weight::from_parts(30_000_000, 6000)
			.saturating_add(RocksDbWeight::get().reads(1_u64))
			.saturating_add(RocksDbWeight::get().writes(1_u64))
	}
	fn verify_p256() -> Weight {
		Weight::from_parts(350_000_000, 0)
	}
	fn verify_sr25519() -> Weight {
		Weight::from_parts(60_000_000, 0)
	}
}
