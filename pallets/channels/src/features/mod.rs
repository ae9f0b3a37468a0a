//! The bodies of the pallet's calls, by concern; `lib.rs` keeps the call shells.

mod auditors;
mod closing;
mod devices;
mod documents;
mod epochs;
mod keys;
mod members;
