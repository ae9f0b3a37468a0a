//! `iotrust-node device ...`: act as a device for registration and testing. Generates device
//! keys of every scheme and makes the signatures the devices pallet checks, printing JSON whose
//! `publicKey` and `signature` fields can be passed to polkadot.js as they are.

use iotrust_primitives::{
	device::{registration_payload, DevicePublicKey, DeviceSignature, KeyScheme},
	keypair::DeviceKeypair,
	AccountId,
};
use serde_json::{json, Value};
use sp_core::{crypto::Ss58Codec, H256};
use std::str::FromStr;

/// A device key scheme on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Scheme {
	/// Ed25519.
	Ed25519,
	/// sr25519.
	Sr25519,
	/// ECDSA secp256k1 (Substrate's: blake2-256 digest, recoverable signature).
	Secp256k1,
	/// ECDSA P-256 / secp256r1 with SHA-256, as secure elements sign.
	P256,
}

impl From<Scheme> for KeyScheme {
	fn from(s: Scheme) -> Self {
		match s {
			Scheme::Ed25519 => KeyScheme::Ed25519,
			Scheme::Sr25519 => KeyScheme::Sr25519,
			Scheme::Secp256k1 => KeyScheme::Secp256k1,
			Scheme::P256 => KeyScheme::P256,
		}
	}
}

/// The key and secret every signing command takes.
#[derive(Debug, clap::Args)]
pub struct DeviceKeyArgs {
	/// The key's scheme.
	#[arg(long, value_enum)]
	scheme: Scheme,
	/// The device's secret: 0x + 32 bytes hex (any scheme; for P-256 the secret scalar), or a
	/// secret URI such as `//Device1` (ed25519, sr25519, secp256k1).
	#[arg(long)]
	secret: String,
}

impl DeviceKeyArgs {
	fn keypair(&self) -> Result<DeviceKeypair, String> {
		DeviceKeypair::from_secret(self.scheme.into(), &self.secret)
	}
}

/// Device key tools.
#[derive(Debug, clap::Subcommand)]
pub enum DeviceCmd {
	/// Generate a device key pair; prints its secret, public key and device id.
	Generate {
		/// The key's scheme.
		#[arg(long, value_enum)]
		scheme: Scheme,
	},
	/// Sign the proof of possession that `devices.register` needs.
	SignRegistration {
		#[command(flatten)]
		key: DeviceKeyArgs,
		/// The account that will own the device (SS58), which submits `devices.register`.
		#[arg(long)]
		owner: String,
		/// The chain's genesis hash (`chain_getBlockHash(0)`), 0x-hex.
		#[arg(long)]
		genesis: String,
	},
	/// Sign a payload as the device (e.g. to check `devicesApi.verify`).
	Sign {
		#[command(flatten)]
		key: DeviceKeyArgs,
		/// The payload, 0x-hex.
		#[arg(long)]
		payload: String,
	},
}

impl DeviceCmd {
	/// Run the command, printing its JSON result.
	pub fn run(&self) -> sc_cli::Result<()> {
		let out = match self {
			Self::Generate { scheme } => {
				let (pair, seed) = DeviceKeypair::generate((*scheme).into());
				let mut out = describe(&pair.key);
				out["secret"] = json!(format!("0x{}", hex::encode(seed)));
				out
			},
			Self::SignRegistration { key, owner, genesis } => {
				let pair = key.keypair()?;
				let owner = AccountId::from_ss58check(owner)
					.map_err(|e| format!("owner {owner:?} is not an SS58 address: {e:?}"))?;
				let genesis = H256::from_str(genesis.trim_start_matches("0x"))
					.map_err(|e| format!("genesis {genesis:?} is not a 32-byte hex hash: {e}"))?;
				let proof = pair.sign(&registration_payload(&genesis, &owner, &pair.key));
				let mut out = describe(&pair.key);
				out["signature"] = signature_json(&proof);
				out
			},
			Self::Sign { key, payload } => {
				let pair = key.keypair()?;
				let payload = hex::decode(payload.trim_start_matches("0x"))
					.map_err(|e| format!("payload is not hex: {e}"))?;
				let mut out = describe(&pair.key);
				out["signature"] = signature_json(&pair.sign(&payload));
				out
			},
		};
		println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
		Ok(())
	}
}

fn hex0x(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

/// `{ "<Variant>": "0x…" }`: how polkadot.js takes an enum carrying bytes.
fn tagged(variant: &str, bytes: &[u8]) -> Value {
	json!({ variant: hex0x(bytes) })
}

/// A key as polkadot.js takes a `DevicePublicKey`, with its scheme and device id.
fn describe(key: &DevicePublicKey) -> Value {
	let (variant, bytes) = key.tagged();
	json!({
		"scheme": variant,
		"publicKey": tagged(variant, bytes),
		"deviceId": hex0x(key.device_id().as_bytes()),
	})
}

/// A signature as polkadot.js takes a `DeviceSignature`.
fn signature_json(sig: &DeviceSignature) -> Value {
	let (variant, bytes) = sig.tagged();
	tagged(variant, bytes)
}
