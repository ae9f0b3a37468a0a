//! A test runtime: System, Balances, the reputation pallet (credit 100 for a new account, 1000
//! at most) and the obligations pallet, with an in-memory device registry whose devices hold real
//! ed25519 keys. [`ExtBuilder`] checks both pallets' invariants after every test.

use crate as pallet_obligations;
use core::cell::RefCell;
use frame_support::{
	derive_impl,
	traits::{ConstU32, ConstU64},
};
use iotrust_primitives::{
	device::{
		DeviceId, DevicePublicKey, DeviceRefusal, DeviceRegistry, DeviceSignature, DeviceStatus,
		KeyScheme, Signer,
	},
	keypair::DeviceKeypair,
};
use sp_core::H256;
use sp_runtime::{BuildStorage, Perbill};
use std::collections::BTreeMap;

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
	pub type Reputation = pallet_reputation;
	#[runtime::pallet_index(3)]
	pub type Obligations = pallet_obligations;
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

pub const HALF_LIFE: u64 = 1_000;
pub const BASE_CREDIT: u64 = 100;

impl pallet_reputation::Config for Test {
	type Balance = u64;
	type HalfLife = ConstU64<HALF_LIFE>;
	type BaseCredit = ConstU64<BASE_CREDIT>;
	type MaxCredit = ConstU64<1_000>;
	type Prior = ConstU64<100>;
	type PairCap = ConstU64<50>;
	type MaxCounterparties = ConstU32<4>;
}

/// A device in the mock registry.
#[derive(Clone)]
pub struct MockDevice {
	pub key: DevicePublicKey,
	pub owner: u64,
	pub gateway: Option<u64>,
	pub active: bool,
}

thread_local! {
	static DEVICES: RefCell<BTreeMap<DeviceId, MockDevice>> = const { RefCell::new(BTreeMap::new()) };
}

/// The keypair of test device `n`.
pub fn keypair(n: u8) -> DeviceKeypair {
	DeviceKeypair::from_seed(KeyScheme::Ed25519, [n; 32]).expect("ed25519 takes any seed; qed")
}

/// Put device `n` in the mock registry; returns its id.
pub fn add_device(n: u8, owner: u64, gateway: Option<u64>) -> DeviceId {
	let key = keypair(n).key;
	let id = key.device_id();
	DEVICES.with(|d| d.borrow_mut().insert(id, MockDevice { key, owner, gateway, active: true }));
	id
}

/// Suspend or revoke device `id`.
pub fn deactivate(id: DeviceId) {
	DEVICES.with(|d| {
		if let Some(device) = d.borrow_mut().get_mut(&id) {
			device.active = false;
		}
	});
}

fn get(device: &DeviceId) -> Option<MockDevice> {
	DEVICES.with(|d| d.borrow().get(device).cloned())
}

pub struct MockDevices;
impl DeviceRegistry<u64> for MockDevices {
	fn is_active(device: &DeviceId) -> bool {
		get(device).is_some_and(|d| d.active)
	}
	fn owner_of(device: &DeviceId) -> Option<u64> {
		get(device).map(|d| d.owner)
	}
	fn gateway_of(device: &DeviceId) -> Option<u64> {
		get(device).and_then(|d| d.gateway)
	}
	fn verify(device: &DeviceId, payload: &[u8], signature: &DeviceSignature) -> bool {
		get(device).is_some_and(|d| d.active && d.key.verify(payload, signature))
	}
	fn verify_at(device: &DeviceId, _at: u64, payload: &[u8], signature: &DeviceSignature) -> bool {
		get(device).is_some_and(|d| d.key.verify(payload, signature))
	}
	fn standing(device: &DeviceId, gateway: &u64) -> Result<Signer<u64>, DeviceRefusal> {
		let d = get(device).ok_or(DeviceRefusal::DeviceNotActive)?;
		let status = if d.active { DeviceStatus::Active } else { DeviceStatus::Suspended };
		DeviceRefusal::judge(Some(status), d.gateway.as_ref(), gateway)?;
		Ok(Signer { owner: d.owner, key: d.key })
	}
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_obligations::BenchmarkHelper<u64> for MockDevices {
	fn signing_device(index: u32, owner: &u64, gateway: &u64) -> DeviceId {
		add_device(index as u8, *owner, Some(*gateway))
	}
	fn sign(index: u32, payload: &[u8]) -> DeviceSignature {
		keypair(index as u8).sign(payload)
	}
}

pub const GRACE: u64 = 10;
pub const RETENTION: u64 = 20;
pub const MAX_SLA: u32 = 3;
pub const MIN_AMOUNT: u64 = 5;
pub const OFFER_DEPOSIT: u64 = 3;
pub const OBLIGATION_DEPOSIT: u64 = 2;
pub const MAX_OFFERS: u32 = 2;

impl pallet_obligations::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = MockDevices;
	type Reputation = Reputation;
	type Credit = Reputation;
	type DefaultGracePeriod = ConstU64<GRACE>;
	type DefaultRetention = ConstU64<RETENTION>;
	type AdminOrigin = frame_system::EnsureRoot<u64>;
	type MaxDueIn = ConstU64<1_000>;
	type MinAmount = ConstU64<MIN_AMOUNT>;
	type CreditFee = CreditFee;
	type SlaPenalty = SlaPenalty;
	type OfferDeposit = ConstU64<OFFER_DEPOSIT>;
	type ObligationDeposit = ConstU64<OBLIGATION_DEPOSIT>;
	type MaxOffersPerProvider = ConstU32<MAX_OFFERS>;
	type MaxNoteLen = ConstU32<16>;
	type MaxSlaPerDevice = ConstU32<MAX_SLA>;
	type MaxSweep = ConstU32<4>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockDevices;
}

frame_support::parameter_types! {
	pub const SlaPenalty: Perbill = Perbill::from_percent(10);
	pub const CreditFee: Perbill = Perbill::from_percent(10);
}

pub const CONSUMER: u64 = 1;
pub const PROVIDER: u64 = 2;
pub const OTHER: u64 = 3;
pub const GATEWAY: u64 = 7;

/// Test devices: 1 the consumer's (bound to GATEWAY), 2 the provider's, 3 another account's.
pub fn device(n: u8) -> DeviceId {
	keypair(n).key.device_id()
}

pub fn new_test_ext() -> sp_io::TestExternalities {
	DEVICES.with(|d| d.borrow_mut().clear());
	add_device(1, CONSUMER, Some(GATEWAY));
	add_device(2, PROVIDER, Some(GATEWAY));
	add_device(3, OTHER, Some(GATEWAY));
	let mut t = frame_system::GenesisConfig::<Test>::default()
		.build_storage()
		.expect("the test genesis is valid; qed");
	pallet_balances::GenesisConfig::<Test> {
		balances: vec![(CONSUMER, 1_000), (PROVIDER, 1_000), (OTHER, 1_000), (GATEWAY, 1_000)],
		..Default::default()
	}
	.assimilate_storage(&mut t)
	.expect("the test balances are valid; qed");
	let mut ext = sp_io::TestExternalities::new(t);
	ext.execute_with(|| System::set_block_number(1));
	ext
}

/// Builds the test externalities and checks the obligations and reputation invariants after
/// each test.
pub struct ExtBuilder;

impl ExtBuilder {
	pub fn build_and_execute(self, test: impl FnOnce()) {
		new_test_ext().execute_with(|| {
			test();
			Obligations::do_try_state().expect("the obligations invariants hold");
			Reputation::do_try_state().expect("the reputation invariants hold");
		});
	}
}

/// A hash standing for a service record.
pub fn service() -> H256 {
	H256::repeat_byte(0x5e)
}
