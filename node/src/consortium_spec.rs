//! `iotrust-node consortium-spec --members members.json`: a consortium's chain specification from
//! the list of its founding members.
//!
//! The file (documented in docs/operator.md, "A consortium's own chain spec"; example in
//! `docs/consortium.example.json`):
//!
//! ```json
//! {
//!   "name": "Cold Chain Consortium",
//!   "id": "coldchain",
//!   "bootNodes": ["/dns/node.acme.example/tcp/30333/p2p/12D3KooW..."],
//!   "members": [
//!     { "name": "acme", "account": "5Grw...", "aura": "5Grw...", "grandpa": "5FA9...",
//!       "peerId": "12D3KooW...", "balance": 1000 }
//!   ]
//! }
//! ```
//!
//! Every member gets a council seat, becomes a validator with the given session keys, owns its
//! node's peer id in node authorization, and starts with `balance` whole tokens (default 1000).

use crate::chain_spec::{properties, wasm_binary, ChainSpec};
use iotrust_primitives::{AccountId, Balance, UNIT};
use iotrust_runtime::genesis_config_presets::{consortium_genesis, GenesisMember};
use sc_service::ChainType;
use serde::Deserialize;
use sp_core::crypto::{ByteArray, Ss58Codec};
use std::{collections::BTreeSet, path::PathBuf, str::FromStr};

/// Tokens a member starts with when its entry gives no `balance`.
const DEFAULT_MEMBER_BALANCE: u64 = 1_000;

/// Build a consortium's chain specification from a JSON file listing its members.
#[derive(Debug, clap::Parser)]
pub struct ConsortiumSpecCmd {
	/// The JSON file listing the consortium and its members.
	#[arg(long, value_name = "FILE")]
	pub members: PathBuf,

	/// Write the raw (storage-level) spec every member's node must start from, rather than the
	/// readable one.
	#[arg(long)]
	pub raw: bool,

	/// Write the spec to this file instead of standard output.
	#[arg(long, short, value_name = "FILE")]
	pub output: Option<PathBuf>,
}

/// The members file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ConsortiumFile {
	name: String,
	id: String,
	#[serde(default)]
	protocol_id: Option<String>,
	#[serde(default)]
	boot_nodes: Vec<String>,
	members: Vec<MemberEntry>,
}

/// One member in the members file.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct MemberEntry {
	name: String,
	/// SS58 address (or 0x-hex public key) of the member's account.
	account: String,
	/// SS58 address (or 0x-hex) of the gateway's sr25519 Aura key.
	aura: String,
	/// SS58 address (or 0x-hex) of the gateway's ed25519 GRANDPA key.
	grandpa: String,
	/// The libp2p peer id of the member's node (`iotrust-node key inspect-node-key`).
	peer_id: String,
	/// Whole tokens the member's account starts with.
	#[serde(default)]
	balance: Option<u64>,
}

impl ConsortiumSpecCmd {
	/// Read the members file and write the chain spec.
	pub fn run(&self) -> sc_cli::Result<()> {
		let text = std::fs::read_to_string(&self.members)
			.map_err(|e| format!("cannot read {}: {e}", self.members.display()))?;
		let spec = build_spec(&text)?;
		let json = sc_service::chain_ops::build_spec(&spec, self.raw)?;
		match &self.output {
			Some(path) => std::fs::write(path, json)
				.map_err(|e| format!("cannot write {}: {e}", path.display()))?,
			None => println!("{json}"),
		}
		Ok(())
	}
}

/// The chain spec described by a members file's text.
fn build_spec(text: &str) -> Result<ChainSpec, String> {
	let file: ConsortiumFile =
		serde_json::from_str(text).map_err(|e| format!("members file: {e}"))?;
	let (members, endowed) = parse_members(&file.members)?;
	let boot_nodes = file
		.boot_nodes
		.iter()
		.map(|b| {
			sc_network::config::MultiaddrWithPeerId::from_str(b)
				.map_err(|e| format!("boot node {b:?}: {e}"))
		})
		.collect::<Result<Vec<_>, _>>()?;

	let mut builder = ChainSpec::builder(wasm_binary()?, None)
		.with_name(&file.name)
		.with_id(&file.id)
		.with_chain_type(ChainType::Live)
		.with_boot_nodes(boot_nodes)
		.with_genesis_config_patch(consortium_genesis(members, endowed))
		.with_properties(properties());
	if let Some(protocol_id) = &file.protocol_id {
		builder = builder.with_protocol_id(protocol_id);
	}
	Ok(builder.build())
}

type Endowment = Vec<(AccountId, Balance)>;

/// Check every member entry and turn it into genesis members and endowments.
fn parse_members(entries: &[MemberEntry]) -> Result<(Vec<GenesisMember>, Endowment), String> {
	if entries.is_empty() {
		return Err("members file: a consortium needs at least one member".into());
	}
	let max = iotrust_runtime::configs::MAX_MEMBERS as usize;
	if entries.len() > max {
		return Err(format!(
			"members file: {} members, at most {max} are supported",
			entries.len()
		));
	}
	let mut accounts = BTreeSet::new();
	let mut peers = BTreeSet::new();
	let mut members = Vec::with_capacity(entries.len());
	let mut endowed = Vec::with_capacity(entries.len());
	for entry in entries {
		let err = |field: &str, e: String| format!("member {:?}, {field}: {e}", entry.name);
		let account: AccountId = parse_public::<sp_core::sr25519::Public>(&entry.account)
			.map_err(|e| err("account", e))?
			.into();
		let aura =
			parse_public::<sp_core::sr25519::Public>(&entry.aura).map_err(|e| err("aura", e))?;
		let grandpa = parse_public::<sp_core::ed25519::Public>(&entry.grandpa)
			.map_err(|e| err("grandpa", e))?;
		let peer_id = sc_network::PeerId::from_str(&entry.peer_id)
			.map_err(|e| err("peerId", e.to_string()))?
			.to_bytes();
		if !accounts.insert(account.clone()) {
			return Err(err("account", "appears twice in the file".into()));
		}
		if !peers.insert(peer_id.clone()) {
			return Err(err("peerId", "appears twice in the file".into()));
		}
		let balance = Balance::from(entry.balance.unwrap_or(DEFAULT_MEMBER_BALANCE))
			.checked_mul(UNIT)
			.ok_or_else(|| err("balance", "too large".into()))?;
		endowed.push((account.clone(), balance));
		members.push(GenesisMember {
			account,
			aura: aura.into(),
			grandpa: grandpa.into(),
			peer_id,
		});
	}
	Ok((members, endowed))
}

/// A public key given as an SS58 address or as 0x-prefixed hex.
fn parse_public<P: Ss58Codec + ByteArray>(s: &str) -> Result<P, String> {
	if let Some(hex) = s.strip_prefix("0x") {
		let bytes = hex::decode(hex).map_err(|e| format!("{s:?} is not hex: {e}"))?;
		P::from_slice(&bytes).map_err(|_| format!("{s:?} is not a {}-byte public key", P::LEN))
	} else {
		P::from_ss58check(s).map_err(|e| format!("{s:?} is not an SS58 address: {e:?}"))
	}
}
