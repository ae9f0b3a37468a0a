//! The IoT pallets: device identity, sensor-data anchoring, gateway groups, private channels,
//! obligations, reputation.

use super::RootOrCouncil;
use crate::{
	Anchoring, Balance, Balances, BlockNumber, Channels, CouncilMembership, Devices, Groups,
	Obligations, Reputation, Runtime, RuntimeCall, RuntimeHoldReason, DAYS, MILLI_UNIT, UNIT,
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
	/// The most any consumer may owe at once.
	pub const MaxCredit: Balance = 10_000 * UNIT;
	/// The score's prior on each side: 100 IOTR of history moves a new account's score halfway.
	pub const ReputationPrior: Balance = 100 * UNIT;
	/// Payments to one provider count for at most 50 IOTR of good points, however many.
	pub const PairCap: Balance = 50 * UNIT;
	/// Obligations are worth at least 1 IOTR.
	pub const MinObligation: Balance = UNIT;
	/// Each payment burns 2% of it besides, which buys as much credit.
	pub const CreditFee: Perbill = Perbill::from_percent(2);
	/// Held from a provider per standing offer (about 250 bytes of state).
	pub const OfferDeposit: Balance = 5 * MILLI_UNIT;
	/// Held from a consumer per obligation until it is archived (the record, two stream
	/// entries and a due-queue entry: about 550 bytes).
	pub const ObligationDeposit: Balance = 10 * MILLI_UNIT;
	/// Closed obligations may be archived 90 days after they close (until the council sets
	/// another retention period).
	pub const ObligationRetention: BlockNumber = 90 * DAYS;
	/// An unpaid obligation may be marked defaulted a day after it is due (until the council
	/// sets another grace period).
	pub const ObligationGrace: BlockNumber = DAYS;
	/// Obligations run for at most a year.
	pub const MaxDueIn: BlockNumber = 365 * DAYS;
	/// Each SLA breach takes 10% off what is owed.
	pub const SlaPenalty: Perbill = Perbill::from_percent(10);
	/// Taking an SLA slot holds 10% of the amount: a slot held and let go, or held unpaid,
	/// costs its holder that much.
	pub const SlaBond: Perbill = Perbill::from_percent(10);
	/// A breaching reading may be claimed up to a day after it was anchored.
	pub const DisputeWindow: BlockNumber = DAYS;
	/// Held from an anchor's submitter until it expires: 0.05 mIOTR, and 0.01 mIOTR for each
	/// device (a full batch of 100 devices, about 13 KB of state, holds 1.05 mIOTR).
	pub const AnchorDepositBase: Balance = MILLI_UNIT / 20;
	pub const AnchorDepositPerDevice: Balance = MILLI_UNIT / 100;
	/// Anchors are kept a week unless the council sets otherwise.
	pub const AnchorRetention: BlockNumber = 7 * DAYS;
	/// The council may not keep anchors less than two days: SLA claims take an anchor as
	/// evidence for a day (`DisputeWindow`).
	pub const MinAnchorRetention: BlockNumber = 2 * DAYS;
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
	/// A removed device's anchoring rules, last sequence number and relay nonce go with it.
	type OnRemoved = (Anchoring, (Obligations, Channels));
	type WeightInfo = pallet_devices::weights::SubstrateWeight<Runtime>;
}

impl pallet_anchoring::Config for Runtime {
	type Devices = Devices;
	/// SLA penalties are judged on every device's summaries, against each obligation's terms.
	type OnAnchored = Obligations;
	/// Gateway groups sign anchors for the devices bound to them.
	type Groups = Groups;
	/// Devices whose readings are private to a channel: anchors carry no summary of them.
	type Channels = Channels;
	/// A batch covers at most 100 devices; a gateway with more sends more batches.
	type MaxDevicesPerBatch = ConstU32<100>;
	type MaxMetrics = ConstU32<8>;
	/// Two metrics for each device of a full batch (a cold chain's temperature and humidity).
	/// Bounds the largest batch's length and work; each device is charged the SLA hook's worst
	/// case, and the pallet's `integrity_test` checks that the largest batch fits in one
	/// extrinsic.
	type MaxSummariesPerBatch = ConstU32<200>;
	type MaxRules = ConstU32<8>;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AnchorDepositBase = AnchorDepositBase;
	type AnchorDepositPerDevice = AnchorDepositPerDevice;
	type DefaultRetention = AnchorRetention;
	type MinRetention = MinAnchorRetention;
	/// The council sets how long anchors are kept.
	type AdminOrigin = RootOrCouncil;
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

	fn active_group(
		key: iotrust_primitives::groups::GroupPublicKey,
	) -> (
		iotrust_primitives::groups::GroupId,
		iotrust_primitives::groups::Epoch,
		crate::AccountId,
		crate::AccountId,
	) {
		let gateways = [crate::AccountId::from([0x61; 32]), crate::AccountId::from([0x62; 32])];
		let members = [crate::AccountId::from([0x71; 32]), crate::AccountId::from([0x72; 32])];
		let group = pallet_groups::Group::<Runtime> {
			members: gateways
				.iter()
				.zip(members.iter())
				.map(|(g, m)| pallet_groups::Membership { gateway: g.clone(), member: m.clone() })
				.collect::<alloc::vec::Vec<_>>()
				.try_into()
				.expect("2 members fit; qed"),
			threshold: 2,
			epoch: 1,
			key: pallet_groups::KeyStatus::Active(key),
		};
		pallet_groups::Groups::<Runtime>::insert(0, group);
		pallet_groups::NextGroupId::<Runtime>::put(1);
		// Both members are the consortium's: a group with a departed member anchors nothing.
		let mut council =
			pallet_membership::Members::<Runtime, pallet_membership::Instance1>::get();
		for m in members.iter() {
			if let Err(at) = council.binary_search(m) {
				council.try_insert(at, m.clone()).expect("room for two members; qed");
			}
		}
		pallet_membership::Members::<Runtime, pallet_membership::Instance1>::put(council);
		let [first, _] = gateways;
		(0, 1, first, pallet_groups::Pallet::<Runtime>::account_of(0))
	}
}

parameter_types! {
	/// Gateway groups' accounts are sub-accounts of this id.
	pub const GroupsPalletId: frame_support::PalletId = frame_support::PalletId(*b"iot/grps");
}

/// What a gateway group's account may do once a threshold of its members approve it: what a
/// gateway does about the owners it serves — consent to serve an owner, stop, release a device.
pub struct GroupCalls;
impl frame_support::traits::Contains<RuntimeCall> for GroupCalls {
	fn contains(call: &RuntimeCall) -> bool {
		matches!(
			call,
			RuntimeCall::Devices(
				pallet_devices::Call::serve_owner { .. }
					| pallet_devices::Call::stop_serving { .. }
					| pallet_devices::Call::release_device { .. }
			)
		)
	}
}

impl pallet_groups::Config for Runtime {
	type RuntimeCall = RuntimeCall;
	type CallFilter = GroupCalls;
	/// Groups are created, changed and dissolved by a council motion.
	type ManageOrigin = RootOrCouncil;
	/// A group's gateways belong to members of the council.
	type Consortium = CouncilMembership;
	/// A dissolved group's account stops serving its owners (deposits released, no new
	/// bindings): up to 100 in the dissolving call.
	type Consents = Devices;
	type MaxServedOnDissolve = ConstU32<100>;
	type PalletId = GroupsPalletId;
	type MaxMembers = ConstU32<16>;
	type WeightInfo = pallet_groups::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = GroupBenchmarks;
}

/// A call a group may make, for the groups benchmarks: stop serving an owner.
#[cfg(feature = "runtime-benchmarks")]
pub struct GroupBenchmarks;

#[cfg(feature = "runtime-benchmarks")]
impl pallet_groups::BenchmarkHelper<RuntimeCall> for GroupBenchmarks {
	fn allowed_call(n: u32) -> RuntimeCall {
		let mut owner = [0x5a; 32];
		owner[..4].copy_from_slice(&n.to_le_bytes());
		RuntimeCall::Devices(pallet_devices::Call::stop_serving { owner: owner.into() })
	}
}

parameter_types! {
	/// Held from an account while its encryption key is registered (an 80-byte entry).
	pub const ChannelKeyDeposit: Balance = MILLI_UNIT;
	/// Held from a channel's owner for the channel (its record is about 2.5 KB at most) ...
	pub const ChannelDeposit: Balance = 5 * MILLI_UNIT;
	/// ... and for each member and auditor slot.
	pub const ChannelMemberDeposit: Balance = MILLI_UNIT;
	/// Held from whoever starts an epoch, for its record (about 110 bytes) ...
	pub const ChannelEpochDeposit: Balance = MILLI_UNIT;
	/// ... and for each sealed key it delivers (about 210 bytes each).
	pub const ChannelSealedKeyDeposit: Balance = 2 * MILLI_UNIT;
	/// Held from a device's owner while the device is in a channel (two 100-byte entries).
	pub const ChannelDeviceDeposit: Balance = MILLI_UNIT;
	/// Held from whoever publishes a document to a channel (a 130-byte record).
	pub const ChannelDocumentDeposit: Balance = MILLI_UNIT;
}

impl pallet_channels::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	/// Channel members are members of the council's membership.
	type Consortium = CouncilMembership;
	/// The council changes any channel and grants auditors, besides each channel's owner.
	type AdminOrigin = RootOrCouncil;
	type Devices = Devices;
	/// A device an SLA watches stays public: its consumer must be able to prove a breach.
	type SlaWatched = Obligations;
	type KeyDeposit = ChannelKeyDeposit;
	type ChannelDeposit = ChannelDeposit;
	type MemberDeposit = ChannelMemberDeposit;
	type EpochDeposit = ChannelEpochDeposit;
	type SealedKeyDeposit = ChannelSealedKeyDeposit;
	type DeviceDeposit = ChannelDeviceDeposit;
	type DocumentDeposit = ChannelDocumentDeposit;
	/// What a gateway keeps of one document: 16 MiB.
	type MaxDocumentSize = ConstU32<{ 16 * 1024 * 1024 }>;
	type MaxMembers = ConstU32<32>;
	type MaxAuditors = ConstU32<8>;
	type MaxDeliveries = ConstU32<32>;
	type WeightInfo = pallet_channels::weights::SubstrateWeight<Runtime>;
	#[cfg(feature = "runtime-benchmarks")]
	type BenchmarkHelper = BenchmarkDevices;
}

#[cfg(feature = "runtime-benchmarks")]
impl pallet_channels::BenchmarkHelper<crate::AccountId> for BenchmarkDevices {
	fn device(owner: &crate::AccountId) -> iotrust_primitives::device::DeviceId {
		let gateway = crate::AccountId::from([0x63; 32]);
		pallet_devices::Pallet::<Runtime>::benchmark_device(0, owner, &gateway)
	}
}

impl pallet_reputation::Config for Runtime {
	type Balance = Balance;
	type HalfLife = ReputationHalfLife;
	type BaseCredit = BaseCredit;
	type MaxCredit = MaxCredit;
	type Prior = ReputationPrior;
	type PairCap = PairCap;
	/// A record remembers the 16 providers paid most.
	type MaxCounterparties = ConstU32<16>;
}

impl pallet_obligations::Config for Runtime {
	/// No SLA on a device whose readings are private to a channel.
	type Channels = Channels;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Devices = Devices;
	type Reputation = Reputation;
	type Credit = Reputation;
	type Anchors = crate::Anchoring;
	type DefaultGracePeriod = ObligationGrace;
	type DefaultRetention = ObligationRetention;
	/// The council may shorten or lengthen the grace and retention periods.
	type AdminOrigin = RootOrCouncil;
	type MaxDueIn = MaxDueIn;
	type MinAmount = MinObligation;
	type CreditFee = CreditFee;
	type SlaPenalty = SlaPenalty;
	type SlaBond = SlaBond;
	type DisputeWindow = DisputeWindow;
	/// As many as one device's summary may hold in a batch.
	type MaxReadingMetrics = ConstU32<8>;
	type MaxNamedConsumers = ConstU32<16>;
	/// At 10% a breach, the tenth takes what is left.
	type MaxBreaches = ConstU32<10>;
	/// A device's request may stay valid for ten minutes at most.
	type MaxRequestLifetime = ConstU32<{ 10 * crate::MINUTES }>;
	type OfferDeposit = OfferDeposit;
	type ObligationDeposit = ObligationDeposit;
	type MaxOffersPerProvider = ConstU32<16>;
	type MaxNoteLen = ConstU32<128>;
	/// Each anchored device is charged (up front, to the anchoring gateway) for penalizing this
	/// many obligations; few services run on one device at once.
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

	fn anchor(
		gateway: &crate::AccountId,
		device: iotrust_primitives::device::DeviceId,
		first: u64,
		root: sp_core::H256,
		leaf_count: u32,
	) -> iotrust_primitives::anchoring::AnchorId {
		let id = pallet_anchoring::NextAnchorId::<Runtime>::get();
		let range = pallet_anchoring::DeviceRange {
			device,
			first,
			last: first.saturating_add(u64::from(leaf_count)).saturating_sub(1),
			summaries: Default::default(),
		};
		let ranges = alloc::vec![range].try_into().expect("one range fits; qed");
		let origin = frame_system::RawOrigin::Signed(gateway.clone()).into();
		pallet_anchoring::Pallet::<Runtime>::anchor(origin, id, root, leaf_count, 0, 0, ranges)
			.expect("the benchmark's device is bound to the gateway; qed");
		id
	}
}
