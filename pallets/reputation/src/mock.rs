//! A test runtime: System and the reputation pallet; a 100-block half-life, credit 100 at the
//! neutral score and 1000 at the top.

use crate as pallet_reputation;
use frame_support::{derive_impl, traits::ConstU64};
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

impl pallet_reputation::Config for Test {
	type Balance = u64;
	type HalfLife = ConstU64<HALF_LIFE>;
	type BaseCredit = ConstU64<BASE>;
	type MaxCredit = ConstU64<MAX>;
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	let t = RuntimeGenesisConfig { system: Default::default() }
		.build_storage()
		.expect("the test genesis is valid; qed");
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
