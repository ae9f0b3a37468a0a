//! Weights measured for this runtime on the reference machine by `scripts/bench.sh`: the base
//! weights of a block and of an extrinsic (`benchmark overhead`), a ParityDB read and write
//! (`benchmark storage`), and the calls of the polkadot-sdk pallets it uses (`benchmark pallet`).
//! iotrust's own pallets keep theirs in `pallets/<name>/src/weights.rs`. Every file here is
//! generated; none is edited by hand.

pub mod block_weights;
pub mod extrinsic_weights;
pub mod paritydb_weights;

pub mod frame_system;
pub mod frame_system_extensions;
pub mod pallet_balances;
pub mod pallet_collective;
pub mod pallet_grandpa;
pub mod pallet_membership;
pub mod pallet_session;
pub mod pallet_timestamp;
pub mod pallet_transaction_payment;
pub mod pallet_utility;
