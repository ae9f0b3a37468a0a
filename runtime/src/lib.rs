//! # iotrust runtime
//!
//! The Wasm state machine of a permissioned IoT-consortium chain: Aura authors 2-second blocks,
//! GRANDPA finalizes them, and the consortium's council (its members) governs the validator set,
//! the peers allowed on the network and everything that would need `Root` elsewhere. There is no
//! sudo key.
//!
//! The pallets' configurations live in [`configs`], one file per concern; the runtime APIs in
//! `apis.rs`; the genesis presets in [`genesis_config_presets`].

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime` and `impl_runtime_apis` need a deep recursion limit.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

#[cfg(feature = "runtime-benchmarks")]
#[macro_use]
mod benchmarks;
mod api_types;
pub mod apis;
pub mod configs;
pub mod genesis_config_presets;
#[cfg(test)]
mod governance_tests;
#[cfg(test)]
mod iot_tests;
#[cfg(test)]
mod test_support;
#[cfg(test)]
mod weight_tests;
pub mod weights;

use alloc::vec::Vec;
use sp_runtime::{generic, impl_opaque_keys, traits::BlakeTwo256};
use sp_version::RuntimeVersion;

pub use iotrust_primitives::{
	AccountId, Balance, BlockNumber, Hash, Nonce, Signature, DAYS, HOURS, MICRO_UNIT,
	MILLISECS_PER_BLOCK, MILLI_UNIT, MINUTES, SS58_PREFIX, TOKEN_DECIMALS, TOKEN_SYMBOL, UNIT,
};

/// Opaque types. These are used by the CLI to instantiate machinery that don't need to know
/// the specifics of the runtime. They can then be made to be agnostic over specific formats
/// of data like extrinsics, allowing for them to continue syncing the network through upgrades
/// to even the core data structures.
pub mod opaque {
	use super::*;
	use sp_runtime::OpaqueExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, OpaqueExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;
}

impl_opaque_keys! {
	/// The keys a validator registers with `session.set_keys`: Aura for authoring, GRANDPA for
	/// finality voting.
	pub struct SessionKeys {
		pub aura: Aura,
		pub grandpa: Grandpa,
	}
}

/// The runtime's version. Bump `spec_version` with every change to the runtime's logic, and
/// `transaction_version` with every change to a call's index or arguments.
#[sp_version::runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: alloc::borrow::Cow::Borrowed("iotrust"),
	impl_name: alloc::borrow::Cow::Borrowed("iotrust"),
	authoring_version: 1,
	spec_version: 112,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 4,
	system_version: 1,
};

/// Aura's slot duration: one block every slot.
pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;

/// Block header type as expected by this runtime.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;

/// Block type as expected by this runtime.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;

/// The address format for describing accounts.
pub type Address = sp_runtime::MultiAddress<AccountId, ()>;

/// The transaction extensions a signed extrinsic carries, in order. All of them are known to
/// polkadot.js, so it signs for this chain without extra type definitions.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
);

/// The extensions of a transaction by a sender whose next nonce is `nonce`, valid during `era`,
/// with no tip: what a client of this chain (the load harness, the weight tests) signs.
pub fn tx_extension(nonce: Nonce, era: sp_runtime::generic::Era) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::new(),
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckEra::from(era),
		frame_system::CheckNonce::from(nonce),
		frame_system::CheckWeight::new(),
		pallet_transaction_payment::ChargeTransactionPayment::from(0),
	)
}

/// Unchecked extrinsic type as expected by this runtime.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;

/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Migrations to run on the next runtime upgrade. Every change to a stored layout adds its
/// versioned migration here; each runs only from the stored version it was written for, so a
/// migration can stay listed after the chain has run it (it then costs one read).
///
/// - spec 106: groups v0 → v1, each gateway's groups indexed.
/// - spec 108: reputation v1 → v2, each record keeps what its forgotten counterparties were paid.
/// - spec 109: obligations v1 → v2, SLAs with a longest silence, named consumers, bonds; groups
///   v1 → v2, a pending key's confirmations carry the key generation's transcript.
type Migrations = (
	pallet_groups::migrations::v1::MigrateV0ToV1<Runtime>,
	pallet_reputation::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_obligations::migrations::v2::MigrateV1ToV2<Runtime>,
	pallet_groups::migrations::v2::MigrateV1ToV2<Runtime>,
);

/// Executive: handles dispatch to the various modules.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

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
	pub struct Runtime;

	// Core.
	#[runtime::pallet_index(0)]
	pub type System = frame_system;
	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;
	#[runtime::pallet_index(2)]
	pub type Utility = pallet_utility;

	// Money.
	#[runtime::pallet_index(5)]
	pub type Balances = pallet_balances;
	#[runtime::pallet_index(6)]
	pub type TransactionPayment = pallet_transaction_payment;

	// Consensus. The validator set comes before Session so Session's genesis can ask it for the
	// first validators; Session comes before Aura and Grandpa, whose authorities it sets.
	#[runtime::pallet_index(10)]
	pub type Consortium = pallet_consortium;
	#[runtime::pallet_index(11)]
	pub type Session = pallet_session;
	#[runtime::pallet_index(12)]
	pub type Aura = pallet_aura;
	#[runtime::pallet_index(13)]
	pub type Grandpa = pallet_grandpa;

	// Governance.
	#[runtime::pallet_index(20)]
	pub type Council = pallet_collective<Instance1>;
	#[runtime::pallet_index(21)]
	pub type CouncilMembership = pallet_membership<Instance1>;

	// IoT.
	#[runtime::pallet_index(30)]
	pub type Devices = pallet_devices;
	#[runtime::pallet_index(31)]
	pub type Anchoring = pallet_anchoring;
	#[runtime::pallet_index(32)]
	pub type Obligations = pallet_obligations;
	#[runtime::pallet_index(33)]
	pub type Reputation = pallet_reputation;
	#[runtime::pallet_index(34)]
	pub type Groups = pallet_groups;
	#[runtime::pallet_index(35)]
	pub type Channels = pallet_channels;
}
