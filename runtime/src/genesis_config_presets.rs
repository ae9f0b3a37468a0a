//! Genesis presets: `development` (one member, Alice), `local_testnet` (four members, Alice to
//! Dave, so that one may fail) and [`consortium_genesis`], which builds a consortium's genesis
//! from its member list (the node's `consortium-spec` command feeds it a JSON file).

use crate::{
	configs::MAX_MEMBERS, AccountId, Balance, BalancesConfig, ConsortiumConfig,
	CouncilMembershipConfig, RuntimeGenesisConfig, SessionConfig, SessionKeys, UNIT,
};
use alloc::{vec, vec::Vec};
use frame_support::build_struct_json_patch;
use serde_json::Value;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_consensus_grandpa::AuthorityId as GrandpaId;
use sp_genesis_builder::{self, PresetId};
use sp_keyring::{Ed25519Keyring, Sr25519Keyring};

/// What each member brings to genesis: its account (council seat, validator account), its
/// session keys and its node's libp2p peer id (base58-decoded bytes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GenesisMember {
	/// The member's account: council seat and validator account.
	pub account: AccountId,
	/// The Aura (block authoring) public key of the member's gateway.
	pub aura: AuraId,
	/// The GRANDPA (finality) public key of the member's gateway.
	pub grandpa: GrandpaId,
	/// The libp2p peer id of the member's node, as bytes.
	pub peer_id: Vec<u8>,
}

/// What every account in `endowed` gets at genesis in a preset.
pub const PRESET_ENDOWMENT: Balance = 1_000_000 * UNIT;

/// The genesis of a consortium: every member is a council member, a validator with its session
/// keys, and an authorized node owner; every `endowed` account starts with its balance.
///
/// Panics (at chain-spec build time, never in a block) if there are more members than the
/// council can seat; the node's `consortium-spec` command checks that first.
pub fn consortium_genesis(
	members: Vec<GenesisMember>,
	endowed: Vec<(AccountId, Balance)>,
) -> Value {
	assert!(members.len() as u32 <= MAX_MEMBERS, "more members than the council can seat");
	let accounts: Vec<AccountId> = members.iter().map(|m| m.account.clone()).collect();
	build_struct_json_patch!(RuntimeGenesisConfig {
		balances: BalancesConfig { balances: endowed },
		consortium: ConsortiumConfig {
			validators: accounts.clone(),
			nodes: members
				.iter()
				.map(|m| (m.peer_id.clone(), m.account.clone()))
				.collect::<Vec<_>>(),
		},
		session: SessionConfig {
			keys: members
				.iter()
				.map(|m| {
					let keys = SessionKeys { aura: m.aura.clone(), grandpa: m.grandpa.clone() };
					(m.account.clone(), m.account.clone(), keys)
				})
				.collect::<Vec<_>>(),
		},
		council_membership: CouncilMembershipConfig {
			members: accounts.try_into().expect("checked against MAX_MEMBERS above; qed"),
		},
	})
}

/// The libp2p peer ids (base58-decoded) of the fixed node keys that `scripts/run.sh` and the
/// tests give the local nodes. `local_node_key` in `scripts/lib.sh` holds the secret keys; they
/// are public test keys, never to be used on a real network.
pub mod local_peer_ids {
	/// `12D3KooWHv6JMAg4YShFVGvxWfuB4LjUhwumwPVLc6YtqfAxcMGq`
	pub const ALICE: &str =
		"00240801122078550989177ce4c32e89ca0662d9aef8c6e1aaad429aa1fe4c6adc46190ea96e";
	/// `12D3KooWJdk9HgPKYKLZ6ssWAy4b6FJjiUefrDwByq7JQpfwTScb`
	pub const BOB: &str =
		"0024080112208300a3f9d497b4dd66c2c4d2ad94f357805f406842bb9f66012a262046587404";
	/// `12D3KooWK5hEQC9LkLp7F7UMt35mD8kocjARmRssT3c9B4mqiz6G`
	pub const CHARLIE: &str =
		"00240801122089a672f980cedbc06476357f3af2914caf5f11f77ebadf8de27176cb025732dd";
	/// `12D3KooWCR8N4hq1r44aUmk7kahjCuacbVgsb9EpnSUWScKzKaKU`
	pub const DAVE: &str =
		"002408011220269f17cf457535308fb634998cd62b6c355f26c340985bd3f820f9ed2bd1b2b3";
}

fn hex_bytes(s: &str) -> Vec<u8> {
	// Only fed the constants above, which are valid hex; a failure is a typo caught by tests.
	(0..s.len())
		.step_by(2)
		.filter_map(|i| s.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
		.collect()
}

/// A development member: sr25519 account and Aura key, ed25519 GRANDPA key, both from the same
/// well-known seed (`//Alice`, ...).
fn dev_member(
	account: Sr25519Keyring,
	grandpa: Ed25519Keyring,
	peer_id_hex: &str,
) -> GenesisMember {
	GenesisMember {
		account: account.to_account_id(),
		aura: account.public().into(),
		grandpa: grandpa.public().into(),
		peer_id: hex_bytes(peer_id_hex),
	}
}

/// Every well-known development account, endowed with [`PRESET_ENDOWMENT`].
fn dev_endowment() -> Vec<(AccountId, Balance)> {
	Sr25519Keyring::iter().map(|k| (k.to_account_id(), PRESET_ENDOWMENT)).collect()
}

/// One member, Alice: her node alone authors and finalizes.
fn development_config_genesis() -> Value {
	consortium_genesis(
		vec![dev_member(Sr25519Keyring::Alice, Ed25519Keyring::Alice, local_peer_ids::ALICE)],
		dev_endowment(),
	)
}

/// Four members, Alice, Bob, Charlie and Dave: one of them may fail and the chain still
/// finalizes.
fn local_testnet_genesis() -> Value {
	consortium_genesis(
		vec![
			dev_member(Sr25519Keyring::Alice, Ed25519Keyring::Alice, local_peer_ids::ALICE),
			dev_member(Sr25519Keyring::Bob, Ed25519Keyring::Bob, local_peer_ids::BOB),
			dev_member(Sr25519Keyring::Charlie, Ed25519Keyring::Charlie, local_peer_ids::CHARLIE),
			dev_member(Sr25519Keyring::Dave, Ed25519Keyring::Dave, local_peer_ids::DAVE),
		],
		dev_endowment(),
	)
}

/// Provides the JSON representation of predefined genesis config for given `id`.
pub fn get_preset(id: &PresetId) -> Option<Vec<u8>> {
	let patch = match id.as_ref() {
		sp_genesis_builder::DEV_RUNTIME_PRESET => development_config_genesis(),
		sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET => local_testnet_genesis(),
		_ => return None,
	};
	Some(
		serde_json::to_string(&patch)
			.expect("serialization to json is expected to work. qed.")
			.into_bytes(),
	)
}

/// List of supported presets.
pub fn preset_names() -> Vec<PresetId> {
	vec![
		PresetId::from(sp_genesis_builder::DEV_RUNTIME_PRESET),
		PresetId::from(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET),
	]
}
