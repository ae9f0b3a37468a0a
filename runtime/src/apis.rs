//! The runtime APIs: what the node and clients (polkadot.js's `api.call.*`) may ask the runtime.

use crate::{
	AccountId, Aura, Balance, Block, Executive, Grandpa, InherentDataExt, Nonce, Runtime,
	RuntimeCall, RuntimeGenesisConfig, SessionKeys, System, TransactionPayment, VERSION,
};
use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult,
};
use sp_version::RuntimeVersion;

use crate::api_types::*;

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block);
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> sp_runtime::ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl frame_support::view_functions::runtime_api::RuntimeViewFunction<Block> for Runtime {
		fn execute_view_function(
			id: frame_support::view_functions::ViewFunctionId,
			input: Vec<u8>,
		) -> Result<Vec<u8>, frame_support::view_functions::ViewFunctionDispatchError> {
			Runtime::execute_view_function(id, input)
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(
			encoded: Vec<u8>,
		) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			// Equivocation reporting is not wired up (see `configs::consensus`).
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_devices_runtime_api::DevicesApi<Block, AccountId, Balance, crate::BlockNumber>
		for Runtime
	{
		fn device(device: pallet_devices_runtime_api::DeviceId) -> Option<DeviceInfo> {
			crate::Devices::device_info(device)
		}

		fn devices_of(
			owner: AccountId,
			start_after: Option<pallet_devices_runtime_api::DeviceId>,
			limit: u32,
		) -> Vec<(pallet_devices_runtime_api::DeviceId, DeviceInfo)> {
			crate::Devices::device_infos_of(&owner, start_after, limit.min(pallet_devices_runtime_api::MAX_PAGE))
		}

		fn verify(
			device: pallet_devices_runtime_api::DeviceId,
			payload: Vec<u8>,
			signature: pallet_devices_runtime_api::DeviceSignature,
		) -> pallet_devices_runtime_api::Verification {
			crate::Devices::check_signature(&device, &payload, &signature)
		}

		fn serves(gateway: AccountId, owner: AccountId) -> bool {
			pallet_devices::ServedOwners::<Runtime>::contains_key(gateway, owner)
		}
	}

	impl pallet_anchoring_runtime_api::AnchoringApi<Block, AccountId, crate::BlockNumber> for Runtime {
		fn anchor(anchor: pallet_anchoring_runtime_api::AnchorId) -> Option<AnchorInfo> {
			pallet_anchoring::Anchors::<Runtime>::get(anchor).map(|a| a.unbounded())
		}

		fn anchor_by_batch(
			gateway: AccountId,
			batch: u64,
		) -> Option<(pallet_anchoring_runtime_api::AnchorId, AnchorInfo)> {
			let id = pallet_anchoring::AnchorByBatch::<Runtime>::get(gateway, batch)?;
			pallet_anchoring::Anchors::<Runtime>::get(id).map(|anchor| (id, anchor.unbounded()))
		}

		fn device_anchors(
			device: pallet_anchoring_runtime_api::DeviceId,
			start_after: Option<pallet_anchoring_runtime_api::AnchorId>,
			limit: u32,
		) -> Vec<(pallet_anchoring_runtime_api::AnchorId, AnchorInfo)> {
			crate::Anchoring::device_anchors(&device, start_after, limit.min(pallet_anchoring_runtime_api::MAX_PAGE))
				.into_iter()
				.map(|(id, anchor)| (id, anchor.unbounded()))
				.collect()
		}

		fn check_reading(
			anchor: pallet_anchoring_runtime_api::AnchorId,
			reading: pallet_anchoring_runtime_api::SignedReading,
			proof: pallet_anchoring_runtime_api::MerkleProof,
		) -> pallet_anchoring_runtime_api::ReadingCheck {
			crate::Anchoring::check_reading(anchor, &reading, &proof)
		}

		fn last_batch(gateway: AccountId) -> Option<u64> {
			pallet_anchoring::LastBatch::<Runtime>::get(gateway)
		}

		fn check_ranges(
			gateway: AccountId,
			ranges: Vec<(pallet_anchoring_runtime_api::DeviceId, u64)>,
		) -> Vec<pallet_anchoring_runtime_api::RangeCheck> {
			ranges
				.iter()
				.take(pallet_anchoring_runtime_api::MAX_PAGE as usize)
				.map(|(device, first)| crate::Anchoring::check_range(&gateway, device, *first))
				.collect()
		}

		fn endorsement(
			anchor: pallet_anchoring_runtime_api::AnchorId,
		) -> Option<iotrust_primitives::groups::Endorsement> {
			pallet_anchoring::Endorsements::<Runtime>::get(anchor)
		}
	}

	impl pallet_groups_runtime_api::GroupsApi<Block, AccountId> for Runtime {
		fn group(
			group: pallet_groups_runtime_api::GroupId,
		) -> Option<pallet_groups_runtime_api::GroupInfo<AccountId>> {
			crate::Groups::group_info(group)
		}

		fn groups_of(gateway: AccountId) -> Vec<pallet_groups_runtime_api::GroupId> {
			crate::Groups::groups_of(&gateway)
		}

		fn proposal(
			group: pallet_groups_runtime_api::GroupId,
			call_hash: [u8; 32],
		) -> Option<pallet_groups_runtime_api::Proposal<AccountId>> {
			pallet_groups::Proposals::<Runtime>::get(group, sp_core::H256(call_hash)).map(|p| p.unbounded())
		}
	}

	impl pallet_channels_runtime_api::ChannelsApi<Block, AccountId, crate::BlockNumber> for Runtime {
		fn channel(
			channel: pallet_channels::ChannelId,
		) -> Option<pallet_channels::ChannelInfo<AccountId, crate::BlockNumber>> {
			crate::Channels::channel_info(channel)
		}

		fn epoch(
			channel: pallet_channels::ChannelId,
			epoch: pallet_channels::ChannelEpoch,
		) -> Option<pallet_channels::EpochInfo<AccountId, crate::BlockNumber>> {
			crate::Channels::epoch_info(channel, epoch)
		}

		fn sealed_key(
			channel: pallet_channels::ChannelId,
			epoch: pallet_channels::ChannelEpoch,
			who: AccountId,
		) -> Option<pallet_channels::SealedEpochKey> {
			crate::Channels::sealed_key(channel, epoch, &who)
		}

		fn access(
			channel: pallet_channels::ChannelId,
			who: AccountId,
		) -> pallet_channels::Access<crate::BlockNumber> {
			crate::Channels::access(channel, &who)
		}

		fn encryption_key(who: AccountId) -> Option<pallet_channels::EncryptionKey> {
			crate::Channels::encryption_key(&who)
		}

		fn device_channel(device: iotrust_primitives::device::DeviceId) -> Option<pallet_channels::ChannelId> {
			crate::Channels::device_channel(&device)
		}

		fn device_channels(
			devices: Vec<iotrust_primitives::device::DeviceId>,
		) -> Vec<Option<pallet_channels::ChannelId>> {
			devices
				.iter()
				.take(pallet_channels_runtime_api::MAX_DEVICES as usize)
				.map(crate::Channels::device_channel)
				.collect()
		}

		fn document(
			channel: pallet_channels::ChannelId,
			hash: pallet_channels::DocumentHash,
		) -> Option<pallet_channels::DocumentInfo<AccountId, crate::BlockNumber>> {
			crate::Channels::document_info(channel, &hash)
		}
	}

	impl pallet_reputation_runtime_api::ReputationApi<Block, AccountId, Balance, crate::BlockNumber> for Runtime {
		fn score(who: AccountId) -> u32 {
			crate::Reputation::score_of(&who)
		}

		fn record(who: AccountId) -> Option<ReputationInfo> {
			crate::Reputation::reputation_info(&who)
		}

		fn credit_limit(who: AccountId) -> Balance {
			<crate::Reputation as iotrust_primitives::reputation::CreditLimit<AccountId, Balance>>::credit_limit(&who)
		}
	}

	impl pallet_obligations_runtime_api::ObligationsApi<Block, AccountId, Balance, crate::BlockNumber> for Runtime {
		fn obligation(id: u64) -> Option<ObligationInfo> {
			pallet_obligations::Obligations::<Runtime>::get(id).map(|o| o.info())
		}

		fn provider_stream(
			provider: AccountId,
			status: Option<pallet_obligations::Status>,
			start_after: Option<u64>,
			limit: u32,
		) -> ObligationPage {
			let limit = limit.min(pallet_obligations_runtime_api::MAX_PAGE);
			crate::Obligations::stream(pallet_obligations::Side::Provider, provider, status, start_after, limit).info()
		}

		fn consumer_stream(
			consumer: AccountId,
			status: Option<pallet_obligations::Status>,
			start_after: Option<u64>,
			limit: u32,
		) -> ObligationPage {
			let limit = limit.min(pallet_obligations_runtime_api::MAX_PAGE);
			crate::Obligations::stream(pallet_obligations::Side::Consumer, consumer, status, start_after, limit).info()
		}

		fn outstanding(consumer: AccountId) -> Balance {
			pallet_obligations::Outstanding::<Runtime>::get(consumer)
		}

		fn remaining_credit(consumer: AccountId) -> Balance {
			crate::Obligations::remaining_credit(&consumer)
		}

		fn offer(id: u64) -> Option<OfferInfo> {
			pallet_obligations::Offers::<Runtime>::get(id).map(|o| o.info())
		}

		fn offers_of(provider: AccountId) -> Vec<(u64, OfferInfo)> {
			crate::Obligations::offers_of(&provider)
				.into_iter()
				.map(|(id, offer)| (id, offer.info()))
				.collect()
		}

		fn device_nonce(device: pallet_obligations_runtime_api::DeviceId) -> u32 {
			pallet_obligations::DeviceNonce::<Runtime>::get(device)
		}

		fn check_device_request(
			gateway: AccountId,
			device: pallet_obligations_runtime_api::DeviceId,
			request: pallet_obligations_runtime_api::ObligationRequest<Balance>,
			valid_until: crate::BlockNumber,
			signature: pallet_obligations_runtime_api::DeviceSignature,
		) -> Result<(), pallet_obligations_runtime_api::DispatchError> {
			crate::Obligations::check_device_request(gateway, device, request, valid_until, signature)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::BenchmarkList;
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::{
				extensions::Pallet as SystemExtensionsBench, Pallet as SystemBench,
			};
			use iotrust_session_benchmarking::Pallet as SessionBench;
			use crate::*;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);
			(list, AllPalletsWithSystem::storage_info())
		}

		#[allow(non_local_definitions)]
		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::BenchmarkBatch;
			use frame_support::traits::WhitelistedStorageKeys;
			use frame_system_benchmarking::{
				extensions::Pallet as SystemExtensionsBench, Pallet as SystemBench,
			};
			use iotrust_session_benchmarking::Pallet as SessionBench;
			use crate::*;

			impl frame_system_benchmarking::Config for Runtime {}
			impl pallet_transaction_payment::BenchmarkConfig for Runtime {}
			impl iotrust_session_benchmarking::Config for Runtime {
				fn generate_session_keys_and_proof(owner: AccountId) -> (SessionKeys, Vec<u8>) {
					use codec::Encode;
					let generated = SessionKeys::generate(&owner.encode(), None);
					(generated.keys, generated.proof.encode())
				}
			}

			let whitelist = AllPalletsWithSystem::whitelisted_storage_keys();
			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);
			Ok(batches)
		}
	}

	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			let weight = Executive::try_runtime_upgrade(checks).unwrap();
			(weight, crate::configs::RuntimeBlockWeights::get().max_block)
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect
		) -> Weight {
			Executive::try_execute_block(block, state_root_check, signature_check, select).expect("execute-block failed")
		}
	}
}
