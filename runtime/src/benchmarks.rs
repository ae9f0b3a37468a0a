//! The pallets the node's `benchmark pallet` command measures for this runtime: every pallet
//! with calls or transaction extensions. `scripts/bench.sh` writes polkadot-sdk pallets' weights
//! to `runtime/src/weights/` and ours to each pallet's `src/weights.rs`.

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_utility, Utility]
	[pallet_transaction_payment, TransactionPayment]
	[pallet_session, SessionBench::<Runtime>]
	[pallet_grandpa, Grandpa]
	[pallet_collective, Council]
	[pallet_membership, CouncilMembership]
	[pallet_consortium, Consortium]
	[pallet_devices, Devices]
	[pallet_anchoring, Anchoring]
	[pallet_groups, Groups]
	[pallet_channels, Channels]
	[pallet_obligations, Obligations]
);
