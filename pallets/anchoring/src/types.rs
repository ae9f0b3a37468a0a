//! What the anchoring pallet stores: its bounded forms of the anchor types in `iotrust_primitives::anchoring`.

use crate::Config;
use frame_support::pallet_prelude::*;
use frame_system::pallet_prelude::BlockNumberFor;
use iotrust_primitives::anchoring::{Anchor, DeviceRange, MetricSummary};

/// One device's share of a batch, as the pallet takes and stores it.
pub type DeviceRangeOf<T> = DeviceRange<BoundedVec<MetricSummary, <T as Config>::MaxMetrics>>;

/// Each device's range in a batch, as the pallet takes and stores them.
pub type RangesOf<T> = BoundedVec<DeviceRangeOf<T>, <T as Config>::MaxDevicesPerBatch>;

/// An anchored batch, as the pallet stores it.
pub type AnchorOf<T> =
	Anchor<<T as frame_system::Config>::AccountId, BlockNumberFor<T>, RangesOf<T>>;
