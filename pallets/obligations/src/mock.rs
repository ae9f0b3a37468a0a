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
	anchoring::{AnchorEvidence, AnchorId, ReadingCheck},
	device::{
		DeviceId, DevicePublicKey, DeviceRefusal, DeviceRegistry, DeviceSignature, DeviceStatus,
		KeyScheme, Signer,
	},
	keypair::DeviceKeypair,
	merkle::{verify_proof, MerkleProof, MerkleTree, Metric, SignedReading},
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

/// An anchor in the mock: the block it was made in, its root and size, and the one device
/// range it holds.
#[derive(Clone)]
pub struct MockAnchor {
	pub at: u64,
	pub root: H256,
	pub leaf_count: u32,
	pub device: DeviceId,
	pub first: u64,
	pub last: u64,
}

thread_local! {
	static DEVICES: RefCell<BTreeMap<DeviceId, MockDevice>> = const { RefCell::new(BTreeMap::new()) };
	static ANCHORS: RefCell<BTreeMap<AnchorId, MockAnchor>> = const { RefCell::new(BTreeMap::new()) };
	static PRIVATE: RefCell<Vec<DeviceId>> = const { RefCell::new(Vec::new()) };
}

/// `device`'s readings become private to channel 0 (as the channels pallet would record it).
pub fn make_private(device: DeviceId) {
	PRIVATE.with(|p| p.borrow_mut().push(device));
}

/// The devices [`make_private`] named are in channel 0.
pub struct MockChannels;
impl iotrust_primitives::channels::DeviceChannels for MockChannels {
	fn channel_of(device: &DeviceId) -> Option<iotrust_primitives::channels::ChannelId> {
		PRIVATE.with(|p| p.borrow().contains(device)).then_some(0)
	}
}

/// The chain's genesis hash, which readings sign.
pub fn genesis() -> H256 {
	System::block_hash(0)
}

/// Device `n`'s reading number `seq`, signed, with temperature `temp`.
pub fn reading(n: u8, seq: u64, temp: i64) -> SignedReading {
	let mut r = SignedReading {
		device: keypair(n).key.device_id(),
		seq,
		timestamp_ms: 1_000 + seq,
		metrics: vec![Metric {
			id: iotrust_primitives::merkle::metric::TEMPERATURE_MILLI_C,
			value: temp,
		}],
		signature: DeviceSignature::Ed25519([0; 64]),
	};
	r.signature = keypair(n).sign(&r.payload(&genesis()));
	r
}

/// Anchor `readings` (one device's, numbered in a row) as anchor `id` now; returns each one's
/// proof.
pub fn anchor_readings(id: AnchorId, readings: &[SignedReading]) -> Vec<MerkleProof> {
	let tree = MerkleTree::new(readings.iter().map(|r| r.leaf_hash()).collect()).expect("readings");
	let anchor = MockAnchor {
		at: System::block_number(),
		root: tree.root(),
		leaf_count: readings.len() as u32,
		device: readings[0].device,
		first: readings[0].seq,
		last: readings[readings.len() - 1].seq,
	};
	ANCHORS.with(|a| a.borrow_mut().insert(id, anchor));
	(0..readings.len() as u32).map(|i| tree.proof(i).expect("in range")).collect()
}

pub struct MockAnchors;
impl AnchorEvidence for MockAnchors {
	fn anchored_at(anchor: AnchorId) -> Option<u64> {
		ANCHORS.with(|a| a.borrow().get(&anchor).map(|a| a.at))
	}
	fn check_reading(
		anchor: AnchorId,
		reading: &SignedReading,
		proof: &MerkleProof,
	) -> ReadingCheck {
		let Some(a) = ANCHORS.with(|a| a.borrow().get(&anchor).cloned()) else {
			return ReadingCheck::UnknownAnchor;
		};
		if a.device != reading.device || !(a.first..=a.last).contains(&reading.seq) {
			return ReadingCheck::NotInRange;
		}
		let proof = MerkleProof { leaf_count: a.leaf_count, ..proof.clone() };
		if !verify_proof(&a.root, &reading.leaf_hash(), &proof) {
			return ReadingCheck::BadProof;
		}
		if MockDevices::verify_at(
			&reading.device,
			a.at,
			&reading.payload(&genesis()),
			&reading.signature,
		) {
			ReadingCheck::Anchored
		} else {
			ReadingCheck::BadSignature
		}
	}
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
	fn anchor(_: &u64, device: DeviceId, first: u64, root: H256, leaf_count: u32) -> AnchorId {
		let id = ANCHORS.with(|a| a.borrow().len() as AnchorId);
		let last = first + u64::from(leaf_count) - 1;
		let anchor =
			MockAnchor { at: System::block_number(), root, leaf_count, device, first, last };
		ANCHORS.with(|a| a.borrow_mut().insert(id, anchor));
		id
	}
}

pub const GRACE: u64 = 10;
pub const RETENTION: u64 = 20;
pub const MAX_SLA: u32 = 3;
pub const MIN_AMOUNT: u64 = 5;
pub const OFFER_DEPOSIT: u64 = 3;
pub const OBLIGATION_DEPOSIT: u64 = 2;
pub const MAX_OFFERS: u32 = 2;
pub const DISPUTE_WINDOW: u64 = 50;
pub const MAX_LIFETIME: u64 = 20;

impl pallet_obligations::Config for Test {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = MockDevices;
	type Channels = MockChannels;
	type Reputation = Reputation;
	type Credit = Reputation;
	type Anchors = MockAnchors;
	type DefaultGracePeriod = ConstU64<GRACE>;
	type DefaultRetention = ConstU64<RETENTION>;
	type AdminOrigin = frame_system::EnsureRoot<u64>;
	type MaxDueIn = ConstU64<1_000>;
	type MinAmount = ConstU64<MIN_AMOUNT>;
	type CreditFee = CreditFee;
	type SlaPenalty = SlaPenalty;
	type SlaBond = SlaBond;
	type DisputeWindow = ConstU64<DISPUTE_WINDOW>;
	type MaxReadingMetrics = ConstU32<4>;
	type MaxNamedConsumers = ConstU32<2>;
	type MaxRequestLifetime = ConstU64<MAX_LIFETIME>;
	type MaxBreaches = ConstU32<10>;
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
	pub const SlaBond: Perbill = Perbill::from_percent(10);
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
	ANCHORS.with(|a| a.borrow_mut().clear());
	PRIVATE.with(|p| p.borrow_mut().clear());
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
