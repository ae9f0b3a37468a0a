//! A test runtime: System, Balances and the devices pallet. Root stands in for the council.

use crate as pallet_devices;
use frame_support::{derive_impl, parameter_types, traits::ConstU32};
use frame_system::EnsureRoot;
use sp_runtime::BuildStorage;

type Block = frame_system::mocking::MockBlock<Test>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Test;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Devices = pallet_devices;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	type AccountData = pallet_balances::AccountData<u64>;
}

#[derive_impl(pallet_balances::config_preludes::TestDefaultConfig)]
impl pallet_balances::Config for Test {
	type AccountStore = System;
	type RuntimeHoldReason = RuntimeHoldReason;
}

/// The deposit held per device.
pub const DEPOSIT: u64 = 10;
/// Accounts with funds.
pub const ALICE: u64 = 1;
pub const BOB: u64 = 2;
/// An account without funds.
pub const PAUPER: u64 = 3;
/// A manufacturer (registered by some tests).
pub const MAKER: u64 = 4;
pub const OTHER_MAKER: u64 = 5;
/// A gateway account.
pub const GATEWAY: u64 = 9;

/// The deposit a gateway holds per owner it serves.
pub const CONSENT: u64 = 3;

parameter_types! {
	pub const DeviceDeposit: u64 = DEPOSIT;
	pub const ConsentDeposit: u64 = CONSENT;
}

impl pallet_devices::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DeviceDeposit = DeviceDeposit;
	type ConsentDeposit = ConsentDeposit;
	type MaxKeyHistory = ConstU32<3>;
	type ForceOrigin = EnsureRoot<u64>;
	type MaxModelLen = ConstU32<32>;
	type MaxUriLen = ConstU32<64>;
	type MaxVersionLen = ConstU32<16>;
	type MaxNameLen = ConstU32<32>;
	type MaxAttestationBatch = ConstU32<4>;
	type OnRemoved = ();
	type WeightInfo = ();
}

/// Builds the test externalities: funded accounts, block 1.
#[derive(Default)]
pub struct ExtBuilder;

impl ExtBuilder {
	pub fn build(self) -> sp_io::TestExternalities {
		let t = RuntimeGenesisConfig {
			system: Default::default(),
			balances: pallet_balances::GenesisConfig {
				balances: vec![
					(ALICE, 1_000),
					(BOB, 1_000),
					(MAKER, 1_000),
					(OTHER_MAKER, 1_000),
					(GATEWAY, 1_000),
				],
				..Default::default()
			},
		}
		.build_storage()
		.expect("the test genesis is valid; qed");
		let mut ext = sp_io::TestExternalities::new(t);
		ext.execute_with(|| System::set_block_number(1));
		ext
	}

	/// Run `test`, then check the pallet's invariants on the state it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		self.build().execute_with(|| {
			test();
			Devices::do_try_state().expect("the devices pallet's invariants hold");
		});
	}
}

/// Test externalities (for the benchmarks' test suite).
#[cfg(feature = "runtime-benchmarks")]
pub fn new_test_ext() -> sp_io::TestExternalities {
	ExtBuilder.build()
}

/// Test externalities with a keystore, for benchmarks that sign with host functions.
#[cfg(feature = "runtime-benchmarks")]
pub fn new_bench_ext() -> sp_io::TestExternalities {
	let mut ext = new_test_ext();
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext
}
