//! Chain specifications: the built-in ones come from the runtime's genesis presets.

use iotrust_runtime::WASM_BINARY;
use sc_service::{ChainType, Properties};

/// A chain specification of iotrust; no client extensions.
pub type ChainSpec = sc_service::GenericChainSpec;

/// The token properties wallets read (`system_properties`), taken from the runtime's constants so
/// the two cannot disagree.
pub fn properties() -> Properties {
	let mut properties = Properties::new();
	properties.insert("tokenSymbol".into(), iotrust_primitives::TOKEN_SYMBOL.into());
	properties.insert("tokenDecimals".into(), iotrust_primitives::TOKEN_DECIMALS.into());
	properties.insert("ss58Format".into(), iotrust_primitives::SS58_PREFIX.into());
	properties
}

/// The runtime's Wasm, or an error saying how to get it.
pub fn wasm_binary() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| {
		"The runtime's Wasm is not available: the node was built with SKIP_WASM_BUILD. Build it \
		 again without it."
			.to_string()
	})
}

/// One member (Alice) on one node: `--dev`.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("iotrust development")
		.with_id("iotrust_dev")
		.with_chain_type(ChainType::Development)
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}

/// Four members (Alice, Bob, Charlie, Dave) on four nodes: `--chain local`.
pub fn local_testnet_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm_binary()?, None)
		.with_name("iotrust local testnet")
		.with_id("iotrust_local_testnet")
		.with_chain_type(ChainType::Local)
		.with_protocol_id("iotrust-local")
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.with_properties(properties())
		.build())
}
