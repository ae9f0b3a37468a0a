//! A test runtime: System and the consortium pallet. Root manages validators; account
//! [`COUNCIL`] stands in for a council motion that may act as root.

use crate as pallet_consortium;
use frame_support::{derive_impl, ord_parameter_types, traits::ConstU32};
use frame_system::{EnsureRoot, EnsureSignedBy};
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
	pub type Consortium = pallet_consortium;
}

/// The account that stands in for a council motion in these tests.
pub const COUNCIL: u64 = 100;

ord_parameter_types! {
	pub const Council: u64 = COUNCIL;
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
}

impl pallet_consortium::Config for Test {
	type RuntimeCall = RuntimeCall;
	type ValidatorOrigin = EnsureRoot<u64>;
	type RootOrigin = EnsureSignedBy<Council, u64>;
	type MinValidators = ConstU32<2>;
	type MaxValidators = ConstU32<5>;
	type NodeOrigin = EnsureRoot<u64>;
	type MaxNodes = ConstU32<3>;
	type MaxPeerIdLength = ConstU32<40>;
	type WeightInfo = ();
}

/// The peer id of genesis node `n` (owned by validator `n`).
pub fn peer(n: u8) -> Vec<u8> {
	vec![n; 38]
}

/// Externalities with validators `1..=n` at genesis, and nodes `peer(1)` and `peer(2)`.
pub fn new_test_ext(n: u64) -> sp_io::TestExternalities {
	let t = RuntimeGenesisConfig {
		system: Default::default(),
		consortium: pallet_consortium::GenesisConfig {
			validators: (1..=n).collect(),
			nodes: vec![(peer(1), 1), (peer(2), 2)],
		},
	}
	.build_storage()
	.expect("the test genesis is valid; qed");
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Run `test` on validators `1..=n`, then check the pallet's invariants.
pub fn build_and_execute(n: u64, test: impl FnOnce()) {
	new_test_ext(n).execute_with(|| {
		test();
		Consortium::do_try_state().expect("the consortium pallet's invariants hold");
	});
}
