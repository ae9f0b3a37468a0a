//! A test runtime: System and the reputation pallet; a 100-block half-life, base credit 100 and
//! at most 1000, a prior of 100, a counterparty counting for at most 50, and three counterparties
//! remembered. [`ExtBuilder`] checks the pallet's invariants after every test.

use crate as pallet_reputation;
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64},
};
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
	pub type Reputation = pallet_reputation;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

pub const HALF_LIFE: u64 = 100;
pub const BASE: u64 = 100;
pub const MAX: u64 = 1_000;
pub const PRIOR: u64 = 100;
pub const PAIR_CAP: u64 = 50;

impl pallet_reputation::Config for Test {
	type Balance = u64;
	type HalfLife = ConstU64<HALF_LIFE>;
	type BaseCredit = ConstU64<BASE>;
	type MaxCredit = ConstU64<MAX>;
	type Prior = ConstU64<PRIOR>;
	type PairCap = ConstU64<PAIR_CAP>;
	type MaxCounterparties = ConstU32<3>;
}

/// Builds the test externalities and checks the pallet's invariants after each test.
pub struct ExtBuilder;

impl ExtBuilder {
	pub fn build_and_execute(self, test: impl FnOnce()) {
		let t = RuntimeGenesisConfig { system: Default::default() }
			.build_storage()
			.expect("the test genesis is valid; qed");
		let mut ext = sp_io::TestExternalities::new(t);
		ext.execute_with(|| {
			System::set_block_number(1);
			test();
			Reputation::do_try_state().expect("the reputation invariants hold");
		});
	}
}
