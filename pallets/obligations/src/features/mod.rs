//! The bodies of the pallet's calls and what they share, by concern; `lib.rs` keeps the call
//! shells.

pub mod lifecycle;
pub mod offers;
pub mod sla;
pub mod streams;
pub mod sweep;
