//! The IoT pallets: device identity.

use super::RootOrCouncil;
use crate::{Balance, Balances, Runtime, RuntimeHoldReason, MILLI_UNIT};
use frame_support::{parameter_types, traits::ConstU32};

parameter_types! {
	/// Held from a device's owner while its record exists (about 500 bytes of state).
	pub const DeviceDeposit: Balance = 10 * MILLI_UNIT;
}

impl pallet_devices::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DeviceDeposit = DeviceDeposit;
	/// The council revokes any device and registers manufacturers.
	type ForceOrigin = RootOrCouncil;
	type MaxModelLen = ConstU32<64>;
	type MaxUriLen = ConstU32<128>;
	type MaxVersionLen = ConstU32<32>;
	type MaxNameLen = ConstU32<64>;
	type MaxAttestationBatch = ConstU32<100>;
	type WeightInfo = pallet_devices::weights::SubstrateWeight<Runtime>;
}
