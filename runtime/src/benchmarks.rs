//! The pallets the node's `benchmark pallet` command measures for this runtime.

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_consortium, Consortium]
	[pallet_devices, Devices]
	[pallet_anchoring, Anchoring]
	[pallet_obligations, Obligations]
);
