//! A test runtime: System and the groups pallet. Accounts [`A`], [`B`] and [`C`] are consortium
//! members; each runs gateways numbered from its own ten times (`A` runs 11, 12, 13). Account
//! [`COUNCIL`] stands in for a council motion. A group's account may make
//! `System::remark_with_event`, whose event names who made it, and `System::set_heap_pages`,
//! which fails for it.

use crate as pallet_groups;
use frame_support::{
	derive_impl, ord_parameter_types, parameter_types,
	traits::{ConstU32, Contains, SortedMembers},
	PalletId,
};
use frame_system::EnsureSignedBy;
use iotrust_primitives::device::{GatewayConsents, TooManyServed};
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
	pub type Groups = pallet_groups;
}

/// Consortium members.
pub const A: u64 = 1;
pub const B: u64 = 2;
pub const C: u64 = 3;
/// Not a consortium member.
pub const STRANGER: u64 = 9;
/// The account that stands in for a council motion in these tests.
pub const COUNCIL: u64 = 100;

ord_parameter_types! {
	pub const Council: u64 = COUNCIL;
}

parameter_types! {
	pub const GroupsPalletId: PalletId = PalletId(*b"io/group");
}

#[derive_impl(frame_system::config_preludes::TestDefaultConfig)]
impl frame_system::Config for Test {
	type Block = Block;
	// Storage costs that are not zero, so the migration's weight test counts its accesses.
	type DbWeight = frame_support::weights::constants::RocksDbWeight;
}

thread_local! {
	static MEMBERS: core::cell::RefCell<Vec<u64>> = const { core::cell::RefCell::new(Vec::new()) };
	static LEFT: core::cell::RefCell<Vec<u64>> = const { core::cell::RefCell::new(Vec::new()) };
	static SERVED: core::cell::RefCell<Vec<(u64, u64)>> =
		const { core::cell::RefCell::new(Vec::new()) };
}

/// `who` leaves the consortium.
pub fn leave(who: u64) {
	LEFT.with(|l| l.borrow_mut().push(who));
}

/// `gateway` serves `owner` (as the devices pallet records it).
pub fn serve(gateway: u64, owner: u64) {
	SERVED.with(|s| s.borrow_mut().push((gateway, owner)));
}

/// How many owners `gateway` serves.
pub fn served_by(gateway: u64) -> usize {
	SERVED.with(|s| s.borrow().iter().filter(|(g, _)| *g == gateway).count())
}

/// The owners gateways serve, as the devices pallet keeps them.
pub struct Consents;
impl GatewayConsents<u64> for Consents {
	fn stop_serving_all(gateway: &u64, limit: u32) -> Result<u32, TooManyServed> {
		let n = served_by(*gateway);
		if n > limit as usize {
			return Err(TooManyServed);
		}
		SERVED.with(|s| s.borrow_mut().retain(|(g, _)| g != gateway));
		Ok(n as u32)
	}
	fn stop_serving_weight(n: u32) -> frame_support::weights::Weight {
		frame_support::weights::Weight::from_parts(u64::from(n), 0)
	}
}

/// Accounts 1 to 3 are the consortium's members (and whoever the benchmarks add).
pub struct Members;
impl SortedMembers<u64> for Members {
	fn sorted_members() -> Vec<u64> {
		let mut all: Vec<u64> = (A..=C).collect();
		MEMBERS.with(|m| all.extend(m.borrow().iter().copied()));
		all.sort();
		all.dedup();
		LEFT.with(|l| all.retain(|who| !l.borrow().contains(who)));
		all
	}
	#[cfg(feature = "runtime-benchmarks")]
	fn add(who: &u64) {
		MEMBERS.with(|m| m.borrow_mut().push(*who));
	}
}

/// Remarks for the benchmarks.
#[cfg(feature = "runtime-benchmarks")]
pub struct Remarks;
#[cfg(feature = "runtime-benchmarks")]
impl crate::BenchmarkHelper<RuntimeCall> for Remarks {
	fn allowed_call(n: u32) -> RuntimeCall {
		RuntimeCall::System(frame_system::Call::remark_with_event {
			remark: n.to_le_bytes().to_vec(),
		})
	}
}

/// A group may make `System::remark_with_event`, and `System::set_heap_pages`, which fails for
/// it (root only); nothing else.
pub struct OnlyRemarks;
impl Contains<RuntimeCall> for OnlyRemarks {
	fn contains(call: &RuntimeCall) -> bool {
		matches!(
			call,
			RuntimeCall::System(
				frame_system::Call::remark_with_event { .. }
					| frame_system::Call::set_heap_pages { .. }
			)
		)
	}
}

impl pallet_groups::Config for Test {
	type RuntimeCall = RuntimeCall;
	type CallFilter = OnlyRemarks;
	type ManageOrigin = EnsureSignedBy<Council, u64>;
	type Consortium = Members;
	type Consents = Consents;
	type MaxServedOnDissolve = ConstU32<3>;
	type PalletId = GroupsPalletId;
	type MaxMembers = ConstU32<5>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = Remarks;
}

/// Gateway `n` (from 1) of consortium member `member`.
pub fn gateway(member: u64, n: u64) -> u64 {
	member * 10 + n
}

/// Builds the test state; its [`ExtBuilder::build_and_execute`] checks the pallet's invariants
/// after the test.
pub struct ExtBuilder;

impl ExtBuilder {
	/// Run `test`, then check the pallet's invariants on the state it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		new_test_ext().execute_with(|| {
			test();
			Groups::do_try_state().expect("the groups pallet's invariants hold");
		});
	}
}

/// Test externalities at block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	let t = RuntimeGenesisConfig { system: Default::default() }
		.build_storage()
		.expect("the test genesis is valid; qed");
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
