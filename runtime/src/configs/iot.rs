//! The IoT pallets: device identity, sensor-data anchoring, obligations, reputation.

use super::RootOrCouncil;
use crate::{
	Balance, Balances, BlockNumber, Devices, Obligations, Reputation, Runtime, RuntimeHoldReason,
	DAYS, MILLI_UNIT, UNIT,
};
use frame_support::{parameter_types, traits::ConstU32};
use sp_runtime::Perbill;

parameter_types! {
	/// Held from a device's owner while its record exists (about 500 bytes of state, and up to
	/// 16 keys of history).
	pub const DeviceDeposit: Balance = 10 * MILLI_UNIT;
	/// Held from a gateway for each owner it agrees to serve (an 80-byte entry).
	pub const ConsentDeposit: Balance = MILLI_UNIT;
	/// Reputation points halve every 30 days.
	pub const ReputationHalfLife: BlockNumber = 30 * DAYS;
	/// What a new consumer may owe at once.
	pub const BaseCredit: Balance = 100 * UNIT;
	/// What a consumer with a perfect score may owe at once.
	pub const MaxCredit: Balance = 10_000 * UNIT;
	/// An unpaid obligation may be marked defaulted a day after it is due (until the council
	/// sets another grace period).
	pub const ObligationGrace: BlockNumber = DAYS;
	/// Obligations run for at most a year.
	pub const MaxDueIn: BlockNumber = 365 * DAYS;
	/// Each SLA breach takes 10% off what is owed.
	pub const SlaPenalty: Perbill = Perbill::from_percent(10);
}

impl pallet_devices::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DeviceDeposit = DeviceDeposit;
	type ConsentDeposit = ConsentDeposit;
	/// A device may hold 16 keys over its life: its first and 15 rotations.
	type MaxKeyHistory = ConstU32<16>;
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
	/// Breaches cut what is owed on obligations held to an SLA.
	type OnRuleBreach = Obligations;
	/// A batch covers at most 100 devices; a gateway with more sends more batches.
	type MaxDevicesPerBatch = ConstU32<100>;
	type MaxMetrics = ConstU32<8>;
	/// Each summary is charged the SLA hook's worst case, so the largest batch fits in one
	/// extrinsic (the pallet's `integrity_test` checks it against the block's limits).
	type MaxSummariesPerBatch = ConstU32<100>;
	type MaxRules = ConstU32<8>;
	type WeightInfo = pallet_anchoring::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkDevices;
}

/// Registers devices straight into the devices pallet (and signs as them) for the anchoring and
/// obligations benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct BenchmarkDevices;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_anchoring::BenchmarkHelper<crate::AccountId> for BenchmarkDevices {
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

impl pallet_obligations::Config for Runtime {
	type Currency = Balances;
	type Devices = Devices;
	type Reputation = Reputation;
	type Credit = Reputation;
	type DefaultGracePeriod = ObligationGrace;
	/// The council may shorten or lengthen the grace period.
	type AdminOrigin = RootOrCouncil;
	type MaxDueIn = MaxDueIn;
	type SlaPenalty = SlaPenalty;
	type MaxNoteLen = ConstU32<128>;
	/// Each SLA breach is charged (up front, to the anchoring gateway) for closing this many
	/// obligations; few services run on one device at once.
	type MaxSlaPerDevice = ConstU32<4>;
	type MaxSweep = ConstU32<50>;
	type WeightInfo = pallet_obligations::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkDevices;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_obligations::BenchmarkHelper<crate::AccountId> for BenchmarkDevices {
	fn signing_device(
		index: u32,
		owner: &crate::AccountId,
		gateway: &crate::AccountId,
	) -> iotrust_primitives::device::DeviceId {
		pallet_devices::Pallet::<Runtime>::benchmark_signing_device(index, owner, gateway)
	}

	fn sign(index: u32, payload: &[u8]) -> iotrust_primitives::device::DeviceSignature {
		pallet_devices::Pallet::<Runtime>::benchmark_sign(index, payload)
	}
}
