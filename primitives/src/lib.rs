//! # iotrust primitives
//!
//! `no_std` types shared by iotrust's pallets, runtime, node and gateway: the account, balance and
//! block types every crate agrees on, and the token's denominations. Glue traits between pallets
//! (device registry, reputation) live here too as they arrive.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod anchoring;
pub mod channels;
pub mod device;
pub mod groups;
#[cfg(feature = "std")]
pub mod keypair;
pub mod merkle;
pub mod obligations;
pub mod reputation;

use sp_runtime::{
	traits::{IdentifyAccount, Verify},
	MultiSignature,
};

/// An index to a block.
pub type BlockNumber = u32;

/// Alias to 512-bit hash when used in the context of a transaction signature on the chain.
pub type Signature = MultiSignature;

/// Some way of identifying an account on the chain. We intentionally make it equivalent
/// to the public key of our transaction signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;

/// Balance of an account.
pub type Balance = u128;

/// Index of a transaction in the chain.
pub type Nonce = u32;

/// A hash of some data used by the chain.
pub type Hash = sp_core::H256;

/// The token's symbol, as chain specs and wallets show it.
pub const TOKEN_SYMBOL: &str = "IOTR";

/// Decimal places of the token: one unit is `10^TOKEN_DECIMALS` of the smallest amount.
pub const TOKEN_DECIMALS: u8 = 12;

/// The SS58 address format. 42 is the generic Substrate prefix, the right choice for a chain that
/// has not registered its own.
pub const SS58_PREFIX: u16 = 42;

/// One whole token.
pub const UNIT: Balance = 1_000_000_000_000;
/// A thousandth of a token.
pub const MILLI_UNIT: Balance = UNIT / 1_000;
/// A millionth of a token.
pub const MICRO_UNIT: Balance = UNIT / 1_000_000;

/// Milliseconds per block: Aura's slot duration.
pub const MILLISECS_PER_BLOCK: u64 = 2_000;

/// Blocks per minute at the target block time.
pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn denominations_agree_with_decimals() {
		assert_eq!(UNIT, 10u128.pow(TOKEN_DECIMALS as u32));
		assert_eq!(MILLI_UNIT * 1_000, UNIT);
		assert_eq!(MINUTES, 30);
	}
}
