//! A test runtime: System, Balances and the channels pallet. Accounts [`A`], [`B`], [`C`] and
//! [`D`] are consortium members; [`AUDITOR`] and [`STRANGER`] are not. Account [`COUNCIL`] stands
//! in for a council motion. Every account from 0 to 100 starts with [`ENDOWMENT`].

use crate as pallet_channels;
use frame_support::{
	derive_impl, ord_parameter_types,
	traits::{ConstU32, ConstU64, SortedMembers},
};
use frame_system::EnsureSignedBy;
use iotrust_primitives::device::{
	DeviceId, DeviceRefusal, DeviceRegistry, DeviceSignature, Signer,
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
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(2)]
	pub type Channels = pallet_channels;
}

/// Consortium members.
pub const A: u64 = 1;
pub const B: u64 = 2;
pub const C: u64 = 3;
pub const D: u64 = 4;
/// An auditor (not a consortium member).
pub const AUDITOR: u64 = 7;
/// Neither a member nor an auditor.
pub const STRANGER: u64 = 9;
/// The account that stands in for a council motion in these tests.
pub const COUNCIL: u64 = 99;
/// What every account from 0 to 100 starts with.
pub const ENDOWMENT: u64 = 1_000_000;
/// The deposits: an encryption key, a channel, a member or auditor slot, an epoch, a sealed key.
pub const KEY_DEPOSIT: u64 = 3;
pub const CHANNEL_DEPOSIT: u64 = 50;
pub const MEMBER_DEPOSIT: u64 = 10;
pub const EPOCH_DEPOSIT: u64 = 5;
pub const SEALED_DEPOSIT: u64 = 2;
/// Held from a device's owner while the device is in a channel.
pub const DEVICE_DEPOSIT: u64 = 4;
/// Held for a published document.
pub const DOCUMENT_DEPOSIT: u64 = 6;

ord_parameter_types! {
	pub const Council: u64 = COUNCIL;
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

thread_local! {
	static LEFT: core::cell::RefCell<Vec<u64>> = const { core::cell::RefCell::new(Vec::new()) };
	static ADDED: core::cell::RefCell<Vec<u64>> = const { core::cell::RefCell::new(Vec::new()) };
	static DEVICES: core::cell::RefCell<Vec<(DeviceId, u64)>> =
		const { core::cell::RefCell::new(Vec::new()) };
}

/// Device `n`'s id.
pub fn device(n: u8) -> DeviceId {
	sp_core::H256([n; 32])
}

/// Register device `n` for `owner` in the mock registry.
pub fn add_device(n: u8, owner: u64) -> DeviceId {
	DEVICES.with(|d| d.borrow_mut().push((device(n), owner)));
	device(n)
}

/// Device 66 is watched by an SLA.
impl iotrust_primitives::obligations::SlaWatched for MockDevices {
	fn is_watched(device: &DeviceId) -> bool {
		*device == self::device(66)
	}
}

/// The registry: devices [`add_device`] registered, with their owners.
pub struct MockDevices;
impl DeviceRegistry<u64> for MockDevices {
	fn is_active(device: &DeviceId) -> bool {
		Self::owner_of(device).is_some()
	}
	fn owner_of(device: &DeviceId) -> Option<u64> {
		DEVICES.with(|d| d.borrow().iter().find(|(id, _)| id == device).map(|(_, o)| *o))
	}
	fn gateway_of(_: &DeviceId) -> Option<u64> {
		None
	}
	fn verify(_: &DeviceId, _: &[u8], _: &DeviceSignature) -> bool {
		false
	}
	fn verify_at(_: &DeviceId, _: u64, _: &[u8], _: &DeviceSignature) -> bool {
		false
	}
	fn standing(_: &DeviceId, _: &u64) -> Result<Signer<u64>, DeviceRefusal> {
		Err(DeviceRefusal::DeviceNotActive)
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_channels::BenchmarkHelper<u64> for MockDevices {
	fn device(owner: &u64) -> DeviceId {
		add_device(200, *owner)
	}
}

/// `who` leaves the consortium.
pub fn leave(who: u64) {
	LEFT.with(|l| l.borrow_mut().push(who));
}

/// `who` is a consortium member again.
pub fn rejoin(who: u64) {
	LEFT.with(|l| l.borrow_mut().retain(|w| *w != who));
}

/// The consortium: A, B, C and D, less those who left, and those the benchmarks add.
pub struct Consortium;
impl SortedMembers<u64> for Consortium {
	fn sorted_members() -> Vec<u64> {
		let left = LEFT.with(|l| l.borrow().clone());
		let mut members: Vec<u64> =
			[A, B, C, D].into_iter().filter(|m| !left.contains(m)).collect();
		members.extend(ADDED.with(|a| a.borrow().clone()));
		members.sort();
		members
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn add(who: &u64) {
		ADDED.with(|a| a.borrow_mut().push(*who));
	}
}

impl pallet_channels::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Consortium = Consortium;
	type AdminOrigin = EnsureSignedBy<Council, u64>;
	type Devices = MockDevices;
	type SlaWatched = MockDevices;
	type KeyDeposit = ConstU64<KEY_DEPOSIT>;
	type ChannelDeposit = ConstU64<CHANNEL_DEPOSIT>;
	type MemberDeposit = ConstU64<MEMBER_DEPOSIT>;
	type EpochDeposit = ConstU64<EPOCH_DEPOSIT>;
	type SealedKeyDeposit = ConstU64<SEALED_DEPOSIT>;
	type DeviceDeposit = ConstU64<DEVICE_DEPOSIT>;
	type DocumentDeposit = ConstU64<DOCUMENT_DEPOSIT>;
	type MaxDocumentSize = ConstU32<1_000>;
	type MaxMembers = ConstU32<3>;
	type MaxAuditors = ConstU32<2>;
	type MaxDeliveries = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockDevices;
}

/// Builds the test state; its [`ExtBuilder::build_and_execute`] checks the pallet's invariants
/// after the test.
pub struct ExtBuilder;

impl ExtBuilder {
	/// Run `test`, then check the pallet's invariants on the state it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		new_test_ext().execute_with(|| {
			test();
			Channels::do_try_state().expect("the channels pallet's invariants hold");
		});
	}
}

/// Test externalities at block 1, every account endowed, the consortium whole.
pub fn new_test_ext() -> sp_io::TestExternalities {
	LEFT.with(|l| l.borrow_mut().clear());
	ADDED.with(|a| a.borrow_mut().clear());
	DEVICES.with(|d| d.borrow_mut().clear());
	let mut t = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("the test genesis is valid; qed");
	pallet_balances::GenesisConfig::<Test> {
		balances: (0..=100).map(|who| (who, ENDOWMENT)).collect(),
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.expect("the test balances are valid; qed");
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| System::set_block_number(1));
	ext
}
