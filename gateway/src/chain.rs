//! The chain, through subxt: calls are SCALE-encoded with the runtime's own primitives (pallet
//! and call indices looked up by name in the chain's metadata) and runtime APIs are called raw
//! and decoded the same way, so the gateway needs no generated code and no metadata file.

use crate::batch::Batch;
use codec::{Compact, Decode, Encode};
use iotrust_primitives::{
	anchoring::AnchorId,
	device::{DeviceId, DevicePublicKey},
	merkle::{MerkleProof, SignedReading},
};
use sp_core::H256;
use std::str::FromStr;
use subxt::{OnlineClient, SubstrateConfig};
use subxt_signer::{sr25519::Keypair, SecretUri};

/// An account id, as the runtime encodes it.
pub type AccountId = [u8; 32];

/// What the gateway needs to know of a device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
	/// Its owner.
	pub owner: AccountId,
	/// Its current key.
	pub key: DevicePublicKey,
	/// 0 active, 1 suspended, 2 revoked.
	pub status: u8,
	/// The gateway it is bound to.
	pub gateway: Option<AccountId>,
}

/// The leading fields of the devices pallet's `Device` record, as `devicesApi.device` returns it.
#[derive(Decode)]
struct DeviceHead {
	owner: AccountId,
	key: DevicePublicKey,
	status: u8,
	gateway: Option<AccountId>,
}

/// Why `checkReading` accepts or refuses a reading: the chain's own type.
pub use iotrust_primitives::anchoring::ReadingCheck;

/// The leading fields of an anchor as `anchoringApi.anchor` returns it.
#[derive(Decode, Debug)]
pub struct AnchorHead {
	/// Who anchored it.
	pub gateway: AccountId,
	/// Its batch number.
	pub batch: u64,
	/// Its root.
	pub root: H256,
	/// How many readings.
	pub reading_count: u32,
}

/// A connection to a node, with the account that signs.
pub struct Chain {
	api: OnlineClient<SubstrateConfig>,
	signer: Option<Keypair>,
}

/// An account's key pair from a secret URI (`//Dave`, a phrase, `phrase//path`).
pub fn keypair(secret: &str) -> Result<Keypair, String> {
	let uri = SecretUri::from_str(secret).map_err(|e| format!("bad secret URI: {e}"))?;
	Keypair::from_uri(&uri).map_err(|e| format!("bad secret URI: {e}"))
}

/// The SS58 form (prefix 42) of an account id.
pub fn ss58(account: &AccountId) -> String {
	use sp_core::crypto::Ss58Codec;
	sp_core::crypto::AccountId32::from(*account).to_ss58check()
}

impl Chain {
	/// Connect to the node at `url` (ws://…), signing with `signer` if given.
	pub async fn connect(url: &str, signer: Option<Keypair>) -> Result<Self, String> {
		let api = OnlineClient::<SubstrateConfig>::from_insecure_url(url)
			.await
			.map_err(|e| format!("cannot connect to {url}: {e}"))?;
		Ok(Self { api, signer })
	}

	/// The chain's genesis hash.
	pub fn genesis(&self) -> H256 {
		H256(self.api.genesis_hash().0)
	}

	/// The signing account.
	pub fn account(&self) -> Option<AccountId> {
		self.signer.as_ref().map(|k| k.public_key().0)
	}

	/// Call runtime API `method` with SCALE-encoded `args` at the latest finalized block.
	async fn runtime_call<R: Decode>(&self, method: &str, args: &impl Encode) -> Result<R, String> {
		let at = self.api.at_current_block().await.map_err(|e| e.to_string())?;
		let bytes = at
			.runtime_apis()
			.call_raw(method, Some(&args.encode()))
			.await
			.map_err(|e| format!("{method}: {e}"))?;
		R::decode(&mut &bytes[..]).map_err(|e| format!("{method}: cannot decode the answer: {e}"))
	}

	/// What the chain says of `device`, if it exists.
	pub async fn device(&self, device: &DeviceId) -> Result<Option<DeviceInfo>, String> {
		let head: Option<DeviceHead> = self.runtime_call("DevicesApi_device", device).await?;
		Ok(head.map(|h| DeviceInfo {
			owner: h.owner,
			key: h.key,
			status: h.status,
			gateway: h.gateway,
		}))
	}

	/// The anchor `gateway` made of its batch `batch`, if any.
	pub async fn anchor_by_batch(
		&self,
		gateway: &AccountId,
		batch: u64,
	) -> Result<Option<AnchorId>, String> {
		let found: Option<(AnchorId, AnchorHead)> =
			self.runtime_call("AnchoringApi_anchor_by_batch", &(gateway, batch)).await?;
		Ok(found.map(|(id, _)| id))
	}

	/// The anchor with id `anchor`.
	pub async fn anchor(&self, anchor: AnchorId) -> Result<Option<AnchorHead>, String> {
		self.runtime_call("AnchoringApi_anchor", &anchor).await
	}

	/// Whether `reading` is in `anchor` as `proof` claims, by the chain's own check.
	pub async fn check_reading(
		&self,
		anchor: AnchorId,
		reading: &SignedReading,
		proof: &MerkleProof,
	) -> Result<ReadingCheck, String> {
		self.runtime_call("AnchoringApi_check_reading", &(anchor, reading, proof)).await
	}

	/// Sign and submit `calls` (one as it is, several in one `utility.batch_all`), wait until it
	/// is in a finalized block and succeeded; returns that block and the SCALE fields of each
	/// event of the transaction as (pallet, name, fields). Pallet and call indices come from the
	/// metadata of the block the transaction is built at.
	pub async fn submit(
		&self,
		calls: &[Call],
	) -> Result<(H256, Vec<(String, String, Vec<u8>)>), SubmitError> {
		let other = |e: String| SubmitError::Other(e);
		let signer = self.signer.as_ref().ok_or(other("no signing account".into()))?;
		let at = self.api.at_current_block().await.map_err(|e| other(e.to_string()))?;
		let metadata = at.metadata_ref();
		let call = match calls {
			[one] => one.encode_with(metadata),
			many => {
				let mut args = Compact(many.len() as u32).encode();
				for c in many {
					args.extend(c.encode_with(metadata).map_err(other)?);
				}
				Call { pallet: "Utility", name: "batch_all", args }.encode_with(metadata)
			},
		}
		.map_err(other)?;
		let mut tx = at.transactions();
		let payload = tx.from_call_data_bytes(&call).map_err(|e| other(e.to_string()))?;
		let progress = tx
			.sign_and_submit_then_watch_default(&payload, signer)
			.await
			.map_err(|e| SubmitError::Other(e.to_string()))?;
		let in_block =
			progress.wait_for_finalized().await.map_err(|e| SubmitError::Other(e.to_string()))?;
		let block = H256(in_block.block_hash().0);
		let events =
			in_block.wait_for_success().await.map_err(|e| SubmitError::Dispatch(e.to_string()))?;
		let mut out = Vec::new();
		for ev in events.iter() {
			let ev = ev.map_err(|e| SubmitError::Other(e.to_string()))?;
			out.push((
				ev.pallet_name().to_string(),
				ev.event_name().to_string(),
				ev.field_bytes().to_vec(),
			));
		}
		Ok((block, out))
	}

	/// Whether the chain records that `gateway` serves `owner` (`Devices.ServedOwners`).
	pub async fn serves(&self, gateway: &AccountId, owner: &AccountId) -> Result<bool, String> {
		use sp_io::hashing::{blake2_128, twox_128};
		let mut key = twox_128(b"Devices").to_vec();
		key.extend(twox_128(b"ServedOwners"));
		for account in [gateway, owner] {
			key.extend(blake2_128(account));
			key.extend(account);
		}
		let at = self.api.at_current_block().await.map_err(|e| e.to_string())?;
		match at.storage().fetch_raw(key).await {
			Ok(_) => Ok(true),
			Err(subxt::error::StorageError::NoValueFound) => Ok(false),
			Err(e) => Err(e.to_string()),
		}
	}

	/// Anchor `batch`; returns the anchor id and the finalized block it is in.
	pub async fn anchor_batch(&self, batch: &Batch) -> Result<(AnchorId, H256), SubmitError> {
		let ranges: Vec<_> =
			batch.ranges.iter().map(|r| (r.device, r.first, r.last, &r.summaries)).collect();
		let args = (
			batch.number,
			batch.root,
			batch.readings.len() as u32,
			batch.from_ms,
			batch.to_ms,
			ranges,
		);
		let (block, events) = self.submit(&[Call::new("Anchoring", "anchor", &args)]).await?;
		let anchor = events
			.iter()
			.find(|(p, e, _)| p == "Anchoring" && e == "Anchored")
			.and_then(|(_, _, fields)| AnchorId::decode(&mut &fields[..]).ok())
			.ok_or_else(|| SubmitError::Other("no Anchored event".into()))?;
		Ok((anchor, block))
	}

	/// Devices touched by events of finalized blocks: calls `f` with each device named first in a
	/// devices-pallet event, until the subscription ends.
	pub async fn watch_device_events(&self, mut f: impl FnMut(DeviceId)) -> Result<(), String> {
		let mut blocks = self.api.stream_blocks().await.map_err(|e| e.to_string())?;
		while let Some(block) = blocks.next().await {
			let block = block.map_err(|e| e.to_string())?;
			let at = block.at().await.map_err(|e| e.to_string())?;
			let events = at.events().fetch().await.map_err(|e| e.to_string())?;
			for ev in events.iter().flatten() {
				if ev.pallet_name() == "Devices" && DEVICE_EVENTS.contains(&ev.event_name()) {
					if let Ok(device) = DeviceId::decode(&mut ev.field_bytes()) {
						f(device);
					}
				}
			}
		}
		Ok(())
	}
}

/// A call to submit: `pallet.name(args)`, its arguments SCALE-encoded with the runtime's types.
pub struct Call {
	/// The pallet's name in the metadata.
	pub pallet: &'static str,
	/// The call's name.
	pub name: &'static str,
	/// The encoded arguments.
	pub args: Vec<u8>,
}

impl Call {
	/// `pallet.name(args)`.
	pub fn new(pallet: &'static str, name: &'static str, args: &impl Encode) -> Self {
		Self { pallet, name, args: args.encode() }
	}

	/// The call's bytes: pallet and call index from `metadata`, then the arguments.
	fn encode_with(&self, metadata: &subxt::metadata::Metadata) -> Result<Vec<u8>, String> {
		let (pallet, name) = (self.pallet, self.name);
		let p = metadata.pallet_by_name(pallet).ok_or_else(|| format!("no pallet {pallet}"))?;
		let c = p.call_variant_by_name(name).ok_or_else(|| format!("no call {pallet}.{name}"))?;
		let mut bytes = vec![p.call_index(), c.index];
		bytes.extend_from_slice(&self.args);
		Ok(bytes)
	}
}

/// Devices-pallet events whose first field is the device they change.
const DEVICE_EVENTS: &[&str] = &[
	"DeviceRegistered",
	"GatewayBound",
	"GatewayUnbound",
	"DeviceSuspended",
	"DeviceResumed",
	"DeviceRevoked",
	"DeviceRemoved",
	"KeyRotated",
	"OwnershipTransferred",
];

/// Why a submission failed.
#[derive(Debug)]
pub enum SubmitError {
	/// The chain ran the call and it failed (e.g. `anchoring.BatchAlreadyAnchored`).
	Dispatch(String),
	/// Anything else: connection, pool, encoding.
	Other(String),
}

impl std::fmt::Display for SubmitError {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Self::Dispatch(e) => write!(f, "the chain refused it: {e}"),
			Self::Other(e) => write!(f, "{e}"),
		}
	}
}
