//! What the consortium pallet stores.

use crate::Config;
use frame_support::pallet_prelude::*;

/// A node's libp2p peer id: the bytes of its multihash (38 for an ed25519 node key).
pub type PeerIdOf<T> = BoundedVec<u8, <T as Config>::MaxPeerIdLength>;

/// The authorized nodes: peer id → the account that answers for the node.
pub type NodesOf<T> =
	BoundedBTreeMap<PeerIdOf<T>, <T as frame_system::Config>::AccountId, <T as Config>::MaxNodes>;
