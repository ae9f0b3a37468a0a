//! The pallets' configurations, one file per concern.

mod consensus;
mod governance;
mod iot;
mod monetary;
mod system;

pub use consensus::*;
pub use governance::*;
pub use iot::{AnchorDepositBase, AnchorDepositPerDevice, AnchorRetention};
pub use monetary::*;
pub use system::*;
