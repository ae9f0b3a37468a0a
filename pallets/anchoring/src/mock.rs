//! A test runtime: System and the anchoring pallet, with an in-memory device registry and a
//! hook that records what it is told.

use crate as pallet_anchoring;
use core::cell::RefCell;
use frame_support::{derive_impl, traits::ConstU32};
use iotrust_primitives::{
	anchoring::{AnchorId, AnchoredRange, MetricSummary, OnAnchored},
	device::{
		keys_in_effect, DeviceId, DeviceRefusal, DeviceRegistry, DeviceSignature, DeviceStatus,
		KeyPeriod, KeyScheme, Signer,
	},
	groups::{ActiveKey, GatewayGroups, GroupId, GroupRefusal},
	keypair::DeviceKeypair,
};
use sp_core::H256;
use sp_runtime::{BuildStorage, Weight};
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
	pub type Anchoring = pallet_anchoring;
	#[runtime::pallet_index(2)]
	pub type Balances = pallet_balances;
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

/// Each anchor holds 10, and 1 per device.
pub const DEPOSIT_BASE: u64 = 10;
/// Anchors are kept 100 blocks unless set otherwise, at least 20.
pub const RETENTION: u64 = 100;
/// What every account from 0 to 100 starts with.
pub const ENDOWMENT: u64 = 1_000_000;
/// The account that stands in for a council motion in these tests.
pub const COUNCIL: u64 = 99;

frame_support::ord_parameter_types! {
	pub const Council: u64 = COUNCIL;
}

/// A device in the mock registry.
#[derive(Clone)]
pub struct MockDevice {
	pub owner: u64,
	pub gateway: Option<u64>,
	pub active: bool,
	/// The keys it held, oldest first, with the block each took effect.
	pub keys: Vec<KeyPeriod<u64>>,
}

/// One call of the [`OnAnchored`] hook: anchor, gateway, device, summaries, whether a group
/// signed it, whether the range skipped numbers.
pub type Heard = (AnchorId, u64, DeviceId, Vec<MetricSummary>, bool, bool);

/// A gateway group in the mock: its member gateways, its account, its active key if any.
#[derive(Clone)]
pub struct MockGroup {
	pub members: Vec<u64>,
	pub account: u64,
	pub key: Option<ActiveKey>,
}

thread_local! {
	static DEVICES: RefCell<BTreeMap<DeviceId, MockDevice>> = const { RefCell::new(BTreeMap::new()) };
	static GROUPS: RefCell<BTreeMap<GroupId, MockGroup>> = const { RefCell::new(BTreeMap::new()) };
	static HEARD: RefCell<Vec<Heard>> =
		const { RefCell::new(Vec::new()) };
	static LEFT: RefCell<Vec<GroupId>> = const { RefCell::new(Vec::new()) };
	static PRIVATE: RefCell<Vec<DeviceId>> = const { RefCell::new(Vec::new()) };
}

/// `device`'s readings become private to a channel (as the channels pallet would record it).
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

/// The key pair of mock device number `n` after `rotations` key rotations.
pub fn device_key(n: u8, rotations: u8) -> DeviceKeypair {
	DeviceKeypair::from_seed(KeyScheme::Ed25519, [n.wrapping_add(rotations.wrapping_mul(50)); 32])
		.expect("every seed is a valid ed25519 seed; qed")
}

/// Put device number `n`'s id in the mock registry, holding its first key since block 0.
pub fn add_device(device: DeviceId, owner: u64, gateway: Option<u64>, active: bool) {
	let keys = vec![KeyPeriod { key: device_key(device.0[0], 0).key, from: 0 }];
	DEVICES.with(|d| d.borrow_mut().insert(device, MockDevice { owner, gateway, active, keys }));
}

/// Device number `n` takes its next key from block `at` on.
pub fn rotate_key(n: u8, at: u64) {
	DEVICES.with(|d| {
		let mut devices = d.borrow_mut();
		let record = devices.get_mut(&device(n)).expect("a mock device");
		let key = device_key(n, record.keys.len() as u8).key;
		record.keys.push(KeyPeriod { key, from: at });
	});
}

/// What the [`OnAnchored`] hook was told, in order.
pub fn heard() -> Vec<Heard> {
	HEARD.with(|h| h.borrow().clone())
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
	fn verify(_device: &DeviceId, _payload: &[u8], _signature: &DeviceSignature) -> bool {
		false
	}
	fn verify_at(device: &DeviceId, at: u64, payload: &[u8], signature: &DeviceSignature) -> bool {
		get(device)
			.is_some_and(|d| keys_in_effect(&d.keys, at).any(|key| key.verify(payload, signature)))
	}
	fn standing(device: &DeviceId, gateway: &u64) -> Result<Signer<u64>, DeviceRefusal> {
		let d = get(device).ok_or(DeviceRefusal::DeviceNotActive)?;
		let status = if d.active { DeviceStatus::Active } else { DeviceStatus::Suspended };
		DeviceRefusal::judge(Some(status), d.gateway.as_ref(), gateway)?;
		let key = d.keys.last().ok_or(DeviceRefusal::DeviceNotActive)?.key;
		Ok(Signer { owner: d.owner, key })
	}
}

/// Put group `id` in the mock (replacing it).
pub fn set_group(id: GroupId, group: MockGroup) {
	GROUPS.with(|g| g.borrow_mut().insert(id, group));
}

fn group(id: GroupId) -> Option<MockGroup> {
	GROUPS.with(|g| g.borrow().get(&id).cloned())
}

pub struct MockGroups;
impl GatewayGroups<u64> for MockGroups {
	fn active_key(id: GroupId) -> Option<ActiveKey> {
		group(id).and_then(|g| g.key)
	}
	fn account_of(id: GroupId) -> Option<u64> {
		group(id).map(|g| g.account)
	}
	fn is_member(id: GroupId, who: &u64) -> bool {
		group(id).is_some_and(|g| g.members.contains(who))
	}
	/// As the default, unless a member left the consortium ([`member_left`]).
	fn anchoring_key(id: GroupId, submitter: &u64) -> Result<(ActiveKey, u64), GroupRefusal> {
		if !Self::is_member(id, submitter) {
			return Err(GroupRefusal::NotMember);
		}
		if LEFT.with(|l| l.borrow().contains(&id)) {
			return Err(GroupRefusal::MemberLeft);
		}
		let key = Self::active_key(id).ok_or(GroupRefusal::KeyNotActive)?;
		let account = Self::account_of(id).ok_or(GroupRefusal::NotMember)?;
		Ok((key, account))
	}
}

/// One of group `id`'s members left the consortium (`false`: it is back).
pub fn member_left(id: GroupId, left: bool) {
	LEFT.with(|l| {
		let mut l = l.borrow_mut();
		l.retain(|g| *g != id);
		if left {
			l.push(id);
		}
	});
}

/// The secret of group 0's key in the tests.
pub fn group_pair() -> sp_core::ed25519::Pair {
	use sp_core::Pair;
	sp_core::ed25519::Pair::from_seed(&[42; 32])
}

pub struct RecordAnchored;
impl OnAnchored<u64> for RecordAnchored {
	fn on_anchored(r: AnchoredRange<'_, u64>) -> Weight {
		let heard = (r.anchor, *r.gateway, *r.device, r.summaries.to_vec(), r.endorsed, r.gap);
		HEARD.with(|h| h.borrow_mut().push(heard));
		Weight::from_parts(1_000, 10)
	}

	fn max_weight() -> Weight {
		Weight::from_parts(1_000, 10)
	}
}

use sp_core::Pair as _;

impl pallet_anchoring::Config for Test {
	type Devices = MockDevices;
	type OnAnchored = RecordAnchored;
	type Groups = MockGroups;
	type Channels = MockChannels;
	type MaxDevicesPerBatch = ConstU32<8>;
	type MaxMetrics = ConstU32<4>;
	type MaxSummariesPerBatch = ConstU32<8>;
	type MaxRules = ConstU32<4>;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AnchorDepositBase = frame_support::traits::ConstU64<DEPOSIT_BASE>;
	type AnchorDepositPerDevice = frame_support::traits::ConstU64<1>;
	type DefaultRetention = frame_support::traits::ConstU64<RETENTION>;
	type MinRetention = frame_support::traits::ConstU64<20>;
	type AdminOrigin = frame_system::EnsureSignedBy<Council, u64>;
	type WeightInfo = ();
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = MockDevices;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_anchoring::BenchmarkHelper<u64> for MockDevices {
	fn active_device(index: u32, owner: &u64, gateway: &u64) -> DeviceId {
		let mut id = [0xbe; 32];
		id[..4].copy_from_slice(&index.to_le_bytes());
		add_device(H256(id), *owner, Some(*gateway), true);
		H256(id)
	}

	fn active_group(
		key: iotrust_primitives::groups::GroupPublicKey,
	) -> (GroupId, iotrust_primitives::groups::Epoch, u64, u64) {
		set_group(
			9,
			MockGroup {
				members: vec![GATEWAY, OTHER_GATEWAY],
				account: GROUP_ACCOUNT,
				key: Some(ActiveKey { epoch: 3, key }),
			},
		);
		(9, 3, OTHER_GATEWAY, GROUP_ACCOUNT)
	}
}

pub const OWNER: u64 = 1;
pub const GATEWAY: u64 = 7;
pub const OTHER_GATEWAY: u64 = 8;
/// Group 0's account: devices 7 and 8 are bound to it.
pub const GROUP_ACCOUNT: u64 = 50;
/// Not a member of group 0.
pub const STRANGER: u64 = 9;

/// Device ids 1..=3 bound to GATEWAY, 4 bound to OTHER_GATEWAY, 5 unbound, 6 suspended, 7 and 8
/// bound to group 0 (GATEWAY and OTHER_GATEWAY, its key [`group_pair`], epoch 1).
pub fn device(n: u8) -> DeviceId {
	H256([n; 32])
}

/// Builds the test externalities: the mock devices above, block 1.
#[derive(Default)]
pub struct ExtBuilder;

impl ExtBuilder {
	/// Run `test`, then check the pallet's invariants on the state it left.
	pub fn build_and_execute(self, test: impl FnOnce()) {
		new_test_ext().execute_with(|| {
			test();
			Anchoring::do_try_state().expect("the anchoring pallet's invariants hold");
		});
	}
}

/// Test externalities with the mock devices above, at block 1.
pub fn new_test_ext() -> sp_io::TestExternalities {
	DEVICES.with(|d| d.borrow_mut().clear());
	HEARD.with(|h| h.borrow_mut().clear());
	for n in 1..=3 {
		add_device(device(n), OWNER, Some(GATEWAY), true);
	}
	add_device(device(4), OWNER, Some(OTHER_GATEWAY), true);
	add_device(device(5), OWNER, None, true);
	add_device(device(6), OWNER, Some(GATEWAY), false);
	add_device(device(7), OWNER, Some(GROUP_ACCOUNT), true);
	add_device(device(8), OWNER, Some(GROUP_ACCOUNT), true);
	GROUPS.with(|g| g.borrow_mut().clear());
	LEFT.with(|l| l.borrow_mut().clear());
	PRIVATE.with(|p| p.borrow_mut().clear());
	set_group(
		0,
		MockGroup {
			members: vec![GATEWAY, OTHER_GATEWAY],
			account: GROUP_ACCOUNT,
			key: Some(ActiveKey { epoch: 1, key: group_pair().public().0 }),
		},
	);
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
	// The benchmarks sign group anchors with a key in the keystore.
	ext.register_extension(sp_keystore::KeystoreExt::new(
		sp_keystore::testing::MemoryKeystore::new(),
	));
	ext.execute_with(|| System::set_block_number(1));
	ext
}
