//! The IoT pallets: device identity, sensor-data anchoring, reputation.

use super::RootOrCouncil;
use crate::{
	Balance, Balances, BlockNumber, Devices, Runtime, RuntimeHoldReason, DAYS, MILLI_UNIT, UNIT,
};
use frame_support::{parameter_types, traits::ConstU32};

parameter_types! {
	/// Held from a device's owner while its record exists (about 500 bytes of state).
	pub const DeviceDeposit: Balance = 10 * MILLI_UNIT;
	/// Reputation points halve every 30 days.
	pub const ReputationHalfLife: BlockNumber = 30 * DAYS;
	/// What a new consumer may owe at once.
	pub const BaseCredit: Balance = 100 * UNIT;
	/// What a consumer with a perfect score may owe at once.
	pub const MaxCredit: Balance = 10_000 * UNIT;
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

impl pallet_anchoring::Config for Runtime {
	type Devices = Devices;
	/// No pallet reacts to breaches yet (obligations will, for SLA penalties).
	type OnRuleBreach = ();
	/// A batch covers at most 100 devices; a gateway with more sends more batches.
	type MaxDevicesPerBatch = ConstU32<100>;
	type MaxMetrics = ConstU32<8>;
	type MaxRules = ConstU32<8>;
	type WeightInfo = pallet_anchoring::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = DevicesForAnchoringBenchmarks;
}

/// Registers devices straight into the devices pallet for the anchoring benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct DevicesForAnchoringBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_anchoring::BenchmarkHelper<crate::AccountId> for DevicesForAnchoringBenchmarks {
	fn active_device(
		index: u32,
		owner: &crate::AccountId,
		gateway: &crate::AccountId,
	) -> iotrust_primitives::device::DeviceId {
		pallet_devices::Pallet::<Runtime>::benchmark_device(index, owner, gateway)
	}
}

impl pallet_reputation::Config for Runtime {
	type Balance = Balance;
	type HalfLife = ReputationHalfLife;
	type BaseCredit = BaseCredit;
	type MaxCredit = MaxCredit;
}
