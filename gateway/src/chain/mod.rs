//! The chain, through subxt: calls are SCALE-encoded with the runtime's own primitives (pallet
//! and call indices looked up by name in the chain's metadata) and runtime APIs are called raw
//! and decoded the same way, so the gateway needs no generated code and no metadata file.

pub mod interface;
pub mod port;

use crate::batch::{BatchHead, SealedUnder};
use codec::{Compact, Decode, Encode, EncodeLike};
use interface::{ApiDef, CallDef, Mismatch, Why};
use iotrust_primitives::{
	anchoring::{AnchorHeader, AnchorId, DeviceRange, MetricSummary, RangeCheck},
	device::{DeviceId, DeviceSignature},
	groups::Proposal,
	merkle::{MerkleProof, SignedReading},
	obligations::ObligationRequest,
	Balance,
};
use pallet_obligations_runtime_api::DispatchError;
use port::{
	AnchorChain, AnchoringError, CallFailure, CallInFlight, ChainError, ChainLimits, InFlight,
	Outcome, PalletError, PoolRefusal, SubmitError,
};
use sp_core::H256;
use std::str::FromStr;
use subxt::{OnlineClient, SubstrateConfig};
use subxt_signer::{sr25519::Keypair, SecretUri};

/// An account id, as the runtime encodes it.
pub type AccountId = [u8; 32];

/// A device as `devicesApi.device` and `devicesApi.devicesOf` return it: the runtime API crate's
/// type, with this runtime's balance and block number.
pub type DeviceInfo = pallet_devices_runtime_api::DeviceInfo<
	AccountId,
	iotrust_primitives::Balance,
	iotrust_primitives::BlockNumber,
>;

/// A device record for tests: owned by `[1; 32]`, with `key`, `status` and `gateway`.
#[cfg(test)]
pub fn device_record(
	key: iotrust_primitives::device::DevicePublicKey,
	status: iotrust_primitives::device::DeviceStatus,
	gateway: Option<AccountId>,
) -> DeviceInfo {
	DeviceInfo {
		owner: [1; 32],
		key,
		status,
		gateway,
		metadata: pallet_devices_runtime_api::MetadataInfo {
			model: vec![],
			serial_hash: H256::zero(),
			uri: vec![],
		},
		firmware: None,
		attestation: None,
		registered_at: 0,
		deposit: 0,
		rotations: 0,
		firmware_reports: 0,
		keys: vec![],
		equivocation: None,
	}
}

/// Why `checkReading` accepts or refuses a reading: the chain's own type.
pub use iotrust_primitives::anchoring::ReadingCheck;

/// An anchor as `anchoringApi.anchor` and `anchoringApi.anchorByBatch` return it: the chain's
/// own type, with this runtime's account and block number.
pub type ChainAnchor =
	iotrust_primitives::anchoring::Anchor<AccountId, iotrust_primitives::BlockNumber>;

/// A gateway group as `groupsApi.group` returns it: the runtime API crate's type.
pub type GroupInfo = pallet_groups_runtime_api::GroupInfo<AccountId>;

/// A finalized extrinsic's events: pallet, event name, SCALE-encoded fields.
pub type Events = Vec<(String, String, Vec<u8>)>;

/// A channel as `channelsApi.channel` returns it.
pub type ChannelInfo =
	pallet_channels_runtime_api::ChannelInfo<AccountId, iotrust_primitives::BlockNumber>;
/// A channel's epoch as `channelsApi.epoch` returns it.
pub type EpochInfo =
	pallet_channels_runtime_api::EpochInfo<AccountId, iotrust_primitives::BlockNumber>;
/// A channel's document as `channelsApi.document` returns it.
pub type DocumentInfo =
	pallet_channels_runtime_api::DocumentInfo<AccountId, iotrust_primitives::BlockNumber>;

/// A connection to a node, with the account that signs.
pub struct Chain {
	api: OnlineClient<SubstrateConfig>,
	rpc: subxt::rpcs::LegacyRpcMethods<subxt::config::RpcConfigFor<SubstrateConfig>>,
	signer: Option<Keypair>,
	/// The finalized block [`Chain::watch_finalized`] saw last, and when: reads are made
	/// there while it is fresh (see [`Chain::at`]).
	latest: std::sync::Mutex<Option<(std::time::Instant, At)>>,
	/// Held while [`Chain::submit`] hands a transaction to the node's pool: the nonce it takes
	/// (the account's next, counting the pool) is then taken, so two never get the same one.
	submitting: tokio::sync::Mutex<()>,
	/// The finalized blocks the transactions followed went into, each read once.
	blocks: std::sync::Arc<Blocks>,
}

/// A client at one block.
type At = subxt::client::ClientAtBlock<SubstrateConfig, AtBlock>;

/// How long the block the watcher saw last is read at, at most; after that (the watcher stalled
/// or stopped), reads go to the node's finalized head again.
const LATEST_FRESH: std::time::Duration = std::time::Duration::from_secs(10);

/// A secret URI that is not one.
#[derive(Debug, thiserror::Error)]
#[error("bad secret URI: {0}")]
pub struct BadSecret(String);

/// An account's key pair from a secret URI (`//Dave`, a phrase, `phrase//path`).
pub fn keypair(secret: &str) -> Result<Keypair, BadSecret> {
	let uri = SecretUri::from_str(secret).map_err(|e| BadSecret(e.to_string()))?;
	Keypair::from_uri(&uri).map_err(|e| BadSecret(e.to_string()))
}

/// The SS58 form (prefix 42) of an account id.
pub fn ss58(account: &AccountId) -> String {
	use sp_core::crypto::Ss58Codec;
	sp_core::crypto::AccountId32::from(*account).to_ss58check()
}

impl Chain {
	/// Connect to the node at `url` (ws://… or wss://…), signing with `signer` if given; fails
	/// if the node does not answer, and for good if the connection is lost.
	pub async fn connect(url: &str, signer: Option<Keypair>) -> Result<Self, ChainError> {
		let client = subxt::rpcs::RpcClient::from_insecure_url(url)
			.await
			.map_err(|e| ChainError::unreachable(format_args!("connecting to {url}"), e))?;
		Self::over(client, url, signer).await
	}

	/// Connect to the node at `url` as a daemon does: waits until the node answers, and
	/// connects again, every second, whenever the connection is lost. Calls and subscriptions
	/// made while it is down fail (their callers retry); later ones work again.
	pub async fn connect_lasting(url: &str, signer: Option<Keypair>) -> Result<Self, ChainError> {
		use subxt::rpcs::client::reconnecting_rpc_client::{FixedInterval, RpcClient};
		let reconnecting = RpcClient::builder()
			.retry_policy(FixedInterval::from_millis(1_000))
			.request_timeout(std::time::Duration::from_secs(30))
			.build(url)
			.await
			.map_err(|e| ChainError::unreachable(format_args!("connecting to {url}"), e))?;
		Self::over(subxt::rpcs::RpcClient::new(reconnecting), url, signer).await
	}

	/// [`Self::connect_lasting`], waiting (and saying so every 10 s) until the node answers.
	pub async fn connect_waiting(url: &str, signer: Option<Keypair>) -> Self {
		loop {
			// The client itself retries a connection that fails; say so now and then.
			match tokio::time::timeout(
				std::time::Duration::from_secs(10),
				Self::connect_lasting(url, signer.clone()),
			)
			.await
			{
				Ok(Ok(chain)) => return chain,
				Ok(Err(e)) => {
					tracing::warn!("{e}; retrying in 2 s");
					tokio::time::sleep(std::time::Duration::from_secs(2)).await;
				},
				Err(_) => tracing::warn!("the node at {url} does not answer yet; still trying"),
			}
		}
	}

	async fn over(
		client: subxt::rpcs::RpcClient,
		url: &str,
		signer: Option<Keypair>,
	) -> Result<Self, ChainError> {
		// The legacy RPC methods, each call standing alone: a loaded node stops `chainHead`
		// subscriptions whose blocks stay pinned too long, and every read through one then fails
		// ("cannot find the block header") until it is followed again.
		let backend = subxt::backend::LegacyBackend::builder().build(client.clone());
		let api = OnlineClient::<SubstrateConfig>::from_backend(std::sync::Arc::new(backend))
			.await
			.map_err(|e| ChainError::unreachable(format_args!("connecting to {url}"), e))?;
		let rpc = subxt::rpcs::LegacyRpcMethods::new(client);
		let blocks = std::sync::Arc::new(Blocks::new(api.clone(), rpc.clone()));
		Ok(Self {
			api,
			rpc,
			signer,
			latest: std::sync::Mutex::new(None),
			submitting: tokio::sync::Mutex::new(()),
			blocks,
		})
	}

	/// Where to read the chain's state: at the finalized block the watcher saw last, if it saw
	/// one in the last 10 s — one request less per read than asking the node for its finalized
	/// head, and never older than the blocks whose device changes the cache has been told of
	/// (the watcher records a block here before it reports the block's changes); otherwise at
	/// the node's finalized head.
	async fn at(&self) -> Result<At, ChainError> {
		let latest = self.latest.lock().unwrap_or_else(|p| p.into_inner()).clone();
		match latest {
			Some((seen, at)) if seen.elapsed() < LATEST_FRESH => Ok(at),
			_ => {
				self.api.at_current_block().await.map_err(|e| ChainError::unreachable("reading", e))
			},
		}
	}

	/// Whether the node answers now (asked for its finalized head).
	pub async fn answers(&self) -> bool {
		self.rpc.chain_get_finalized_head().await.is_ok()
	}

	/// The chain's genesis hash.
	pub fn genesis(&self) -> H256 {
		H256(self.api.genesis_hash().0)
	}

	/// A dispatch error an event reported (e.g. `Groups.Acted`'s result), named by its pallet and
	/// variant in the runtime's metadata.
	pub async fn pallet_error(&self, e: &DispatchError) -> Result<PalletError, ChainError> {
		Ok(dispatch_error(e, self.at().await?.metadata_ref()))
	}

	/// The signing account.
	pub fn account(&self) -> Option<AccountId> {
		self.signer.as_ref().map(|k| k.public_key().0)
	}

	/// Call runtime API `method` with SCALE-encoded `args` at the latest finalized block.
	async fn runtime_call<A: Encode, R: Decode>(
		&self,
		method: &ApiDef<A, R>,
		args: &impl EncodeLike<A>,
	) -> Result<R, ChainError> {
		let at = self.at().await?;
		let name = method.state_call();
		let bytes = at
			.runtime_apis()
			.call_raw(&name, Some(&method.encode(args)))
			.await
			.map_err(|e| ChainError::unreachable(&name, e))?;
		R::decode(&mut &bytes[..]).map_err(|e| ChainError::unreadable(&name, e))
	}

	/// Compare every call, runtime API method and event this gateway uses, and the anchoring
	/// errors it acts on, with the runtime's metadata ([`interface::check`]): a runtime they do not match
	/// is refused here, before anything is encoded for it.
	pub async fn check_interface(&self) -> Result<(), ChainError> {
		let at = self.at().await?;
		interface::check(at.metadata_ref())?;
		Ok(check_errors(at.metadata_ref())?)
	}

	/// [`Self::check_interface`] for the `channel` commands' calls and methods.
	pub async fn check_channel_interface(&self) -> Result<(), ChainError> {
		let at = self.at().await?;
		Ok(interface::check_channels(at.metadata_ref())?)
	}

	/// Channel `channel`, if it exists.
	pub async fn channel(
		&self,
		channel: iotrust_primitives::channels::ChannelId,
	) -> Result<Option<ChannelInfo>, ChainError> {
		self.runtime_call(&interface::CHANNEL, &channel).await
	}

	/// `channel`'s epoch `epoch`, if it exists.
	pub async fn channel_epoch(
		&self,
		channel: iotrust_primitives::channels::ChannelId,
		epoch: iotrust_primitives::channels::ChannelEpoch,
	) -> Result<Option<EpochInfo>, ChainError> {
		self.runtime_call(&interface::CHANNEL_EPOCH, &(channel, epoch)).await
	}

	/// The key of `channel`'s `epoch` sealed to `who`, if it was delivered.
	pub async fn sealed_key(
		&self,
		channel: iotrust_primitives::channels::ChannelId,
		epoch: iotrust_primitives::channels::ChannelEpoch,
		who: &AccountId,
	) -> Result<Option<pallet_channels_runtime_api::SealedEpochKey>, ChainError> {
		self.runtime_call(&interface::SEALED_KEY, &(channel, epoch, who)).await
	}

	/// The channel each of `devices` is private to, if any (`channelsApi.deviceChannels`,
	/// asked 100 at a time).
	pub async fn device_channels(
		&self,
		devices: &[DeviceId],
	) -> Result<Vec<Option<iotrust_primitives::channels::ChannelId>>, ChainError> {
		let mut out = Vec::with_capacity(devices.len());
		for chunk in devices.chunks(100) {
			let answer: Vec<Option<iotrust_primitives::channels::ChannelId>> =
				self.runtime_call(&interface::DEVICE_CHANNELS, &chunk.to_vec()).await?;
			if answer.len() != chunk.len() {
				return Err(ChainError::Unreadable(format!(
					"channelsApi.deviceChannels answered {} of {} devices",
					answer.len(),
					chunk.len()
				)));
			}
			out.extend(answer);
		}
		Ok(out)
	}

	/// What `who` may do in `channel` now (`channelsApi.access`).
	pub async fn channel_access(
		&self,
		channel: iotrust_primitives::channels::ChannelId,
		who: &AccountId,
	) -> Result<iotrust_primitives::channels::Access<u32>, ChainError> {
		self.runtime_call(&interface::CHANNEL_ACCESS, &(channel, who)).await
	}

	/// Document `hash` of `channel`, if published.
	pub async fn document(
		&self,
		channel: iotrust_primitives::channels::ChannelId,
		hash: &iotrust_primitives::channels::DocumentHash,
	) -> Result<Option<DocumentInfo>, ChainError> {
		self.runtime_call(&interface::DOCUMENT, &(channel, hash)).await
	}

	/// `who`'s registered encryption key.
	pub async fn encryption_key(
		&self,
		who: &AccountId,
	) -> Result<Option<iotrust_primitives::channels::EncryptionKey>, ChainError> {
		self.runtime_call(&interface::ENCRYPTION_KEY, who).await
	}

	/// What the chain says of `device`, if it exists.
	pub async fn device(&self, device: &DeviceId) -> Result<Option<DeviceInfo>, ChainError> {
		self.runtime_call(&interface::DEVICE, device).await
	}

	/// Up to `limit` (at most 100) of `owner`'s devices after `start_after`, in the chain's
	/// order: a page of `devicesApi.devicesOf`.
	pub async fn devices_of(
		&self,
		owner: &AccountId,
		start_after: Option<DeviceId>,
		limit: u32,
	) -> Result<Vec<(DeviceId, DeviceInfo)>, ChainError> {
		self.runtime_call(&interface::DEVICES_OF, &(owner, start_after, limit)).await
	}

	/// The anchor with id `anchor`.
	pub async fn anchor(&self, anchor: AnchorId) -> Result<Option<ChainAnchor>, ChainError> {
		self.runtime_call(&interface::ANCHOR_BY_ID, &anchor).await
	}

	/// Whether `reading` is in `anchor` as `proof` claims, by the chain's own check.
	pub async fn check_reading(
		&self,
		anchor: AnchorId,
		reading: &SignedReading,
		proof: &MerkleProof,
	) -> Result<ReadingCheck, ChainError> {
		self.runtime_call(&interface::CHECK_READING, &(anchor, reading, proof)).await
	}

	/// Gateway group `group`, if it exists.
	pub async fn group(&self, group: u32) -> Result<Option<GroupInfo>, ChainError> {
		self.runtime_call(&interface::GROUP, &group).await
	}

	/// The anchor `gateway` made of its batch `batch`, with its id.
	pub async fn anchor_by_batch(
		&self,
		gateway: &AccountId,
		batch: u64,
	) -> Result<Option<(AnchorId, ChainAnchor)>, ChainError> {
		self.runtime_call(&interface::ANCHOR_BY_BATCH, &(gateway, batch)).await
	}

	/// The number of the latest finalized block, and the block time in ms.
	pub async fn finalized_number(&self) -> Result<(u64, u64), ChainError> {
		let hash = self
			.rpc
			.chain_get_finalized_head()
			.await
			.map_err(|e| ChainError::unreachable("chain_getFinalizedHead", e))?;
		let header = self
			.rpc
			.chain_get_header(Some(hash))
			.await
			.map_err(|e| ChainError::unreachable("chain_getHeader", e))?
			.ok_or_else(|| ChainError::Unreadable("no header for the finalized head".into()))?;
		let half: u64 = self.constant("Timestamp", "MinimumPeriod").await?;
		Ok((header.number, half.saturating_mul(2)))
	}

	/// The highest batch number `gateway` has anchored.
	pub async fn last_batch_of(&self, gateway: &AccountId) -> Result<Option<u64>, ChainError> {
		self.runtime_call(&interface::LAST_BATCH, gateway).await
	}

	/// Whether the chain would take from `gateway` now each `(device, first)` range.
	pub async fn check_ranges_of(
		&self,
		gateway: &AccountId,
		ranges: &[(DeviceId, u64)],
	) -> Result<Vec<RangeCheck>, ChainError> {
		let mut out = Vec::with_capacity(ranges.len());
		for chunk in ranges.chunks(100) {
			let checks: Vec<RangeCheck> =
				self.runtime_call(&interface::CHECK_RANGES, &(gateway, chunk.to_vec())).await?;
			out.extend(checks);
		}
		Ok(out)
	}

	/// `call` encoded as a runtime call, to pass as an argument (e.g. to `groups.approve`).
	pub async fn encode_call(&self, call: &Call) -> Result<Vec<u8>, ChainError> {
		let at = self.at().await?;
		Ok(call.encode_with(at.metadata_ref())?)
	}

	/// Sign and submit `calls` (one as it is, several in one `utility.batch_all`), wait until it
	/// is in a finalized block and succeeded; returns that block and the SCALE fields of each
	/// event of the transaction as (pallet, name, fields). Pallet and call indices come from the
	/// metadata of the block the transaction is built at.
	pub async fn submit(&self, calls: &[Call]) -> Result<(H256, Events), SubmitError> {
		let signer = self.signer.as_ref().ok_or(ChainError::NoSigner)?;
		let at = self.at().await?;
		let metadata = at.metadata_ref();
		let call = match calls {
			[one] => one.encode_with(metadata),
			many => batch_all(many, metadata).and_then(|c| c.encode_with(metadata)),
		}
		.map_err(ChainError::from)?;
		let mut tx = at.transactions();
		let payload =
			tx.from_call_data_bytes(&call).map_err(|e| ChainError::Unreadable(e.to_string()))?;
		let handing = self.submitting.lock().await;
		let progress = tx
			.sign_and_submit_then_watch_default(&payload, signer)
			.await
			.map_err(|e| submission_refused(&e.to_string()))?;
		drop(handing);
		let in_block =
			progress.wait_for_finalized().await.map_err(|e| ChainError::Lost(e.to_string()))?;
		let block = H256(in_block.block_hash().0);
		let events = self
			.blocks
			.events_of(block, H256(in_block.extrinsic_hash().0))
			.await?
			.map_err(SubmitError::Dispatch)?;
		Ok((block, events))
	}

	/// `calls` as one `Utility.batch_all`, encoded against the chain's current metadata.
	pub async fn batch_all(&self, calls: &[Call]) -> Result<Call, ChainError> {
		let at = self.at().await?;
		Ok(batch_all(calls, at.metadata_ref())?)
	}

	/// `device`'s count of obligation requests: the nonce its next one signs
	/// (`obligationsApi.deviceNonce`).
	pub async fn obligation_nonce(&self, device: &DeviceId) -> Result<u32, ChainError> {
		self.runtime_call(&interface::DEVICE_NONCE, device).await
	}

	/// What `obligations.createForDevice(device, request, valid_until, signature)` would do if this gateway
	/// submitted it now (`obligationsApi.checkDeviceRequest`): `Ok`, or the chain's error.
	pub async fn check_device_request(
		&self,
		device: &DeviceId,
		request: &ObligationRequest<Balance>,
		valid_until: u32,
		signature: &DeviceSignature,
	) -> Result<Result<(), PalletError>, ChainError> {
		let me = self.account().ok_or(ChainError::NoSigner)?;
		let at = self.at().await?;
		let method = interface::CHECK_DEVICE_REQUEST.state_call();
		let args = (me, device, request, valid_until, signature);
		let bytes = at
			.runtime_apis()
			.call_raw(&method, Some(&interface::CHECK_DEVICE_REQUEST.encode(&args)))
			.await
			.map_err(|e| ChainError::unreachable(&method, e))?;
		let answer = Result::<(), DispatchError>::decode(&mut &bytes[..])
			.map_err(|e| ChainError::unreadable(&method, e))?;
		Ok(answer.map_err(|e| dispatch_error(&e, at.metadata_ref())))
	}

	/// `Obligations.MaxNoteLen`: the longest note an obligation may carry.
	pub async fn max_note_len(&self) -> Result<u32, ChainError> {
		self.constant("Obligations", "MaxNoteLen").await
	}

	/// The largest document a channel takes, in bytes (`Channels::MaxDocumentSize`).
	pub async fn max_document_size(&self) -> Result<u32, ChainError> {
		self.constant("Channels", "MaxDocumentSize").await
	}

	/// Whether `gateway` agreed to serve `owner` (`devicesApi.serves`).
	pub async fn serves(&self, gateway: &AccountId, owner: &AccountId) -> Result<bool, ChainError> {
		self.runtime_call(&interface::SERVES, &(gateway, owner)).await
	}

	/// The gateways that approve group `group`'s open proposal of the call whose hash is
	/// `call_hash`, if one is open (`groupsApi.proposal`).
	pub async fn group_proposal(
		&self,
		group: u32,
		call_hash: &[u8; 32],
	) -> Result<Option<Vec<AccountId>>, ChainError> {
		let proposal: Option<Proposal<AccountId>> =
			self.runtime_call(&interface::PROPOSAL, &(group, call_hash)).await?;
		Ok(proposal.map(|p| p.approvals))
	}

	/// What finalized blocks say that the gateway watches for: devices changed, and batches
	/// anchored. Calls `f` with each, block by block, until the subscription ends; `f` returns
	/// `false` to stop.
	pub async fn watch_finalized(
		&self,
		mut f: impl FnMut(ChainEvent) -> bool,
	) -> Result<(), ChainError> {
		// Reads go back to the node's finalized head when this ends, however it ends.
		struct Forget<'a>(&'a std::sync::Mutex<Option<(std::time::Instant, At)>>);
		impl Drop for Forget<'_> {
			fn drop(&mut self) {
				*self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
			}
		}
		let _forget = Forget(&self.latest);
		fn lost(e: impl std::fmt::Display) -> ChainError {
			ChainError::unreachable("following finalized blocks", e)
		}
		let mut blocks = self.api.stream_blocks().await.map_err(lost)?;
		while let Some(block) = blocks.next().await {
			let block = block.map_err(lost)?;
			let at = block.at().await.map_err(lost)?;
			// Recorded before its changes are reported: a read that starts after a change is
			// reported is made at this block or a later one.
			*self.latest.lock().unwrap_or_else(|p| p.into_inner()) =
				Some((std::time::Instant::now(), at.clone()));
			let events = at.events().fetch().await.map_err(lost)?;
			for ev in events.iter().flatten() {
				let (pallet, name) = (ev.pallet_name(), ev.event_name());
				let event = if let Some(changed) =
					interface::DEVICE_CHANGED.iter().find(|e| e.is(pallet, name))
				{
					changed.decode(ev.field_bytes()).map(ChainEvent::Device)
				} else if interface::ANCHORED.is(pallet, name) {
					interface::ANCHORED.decode(ev.field_bytes()).map(|(_, gateway, batch, root)| {
						ChainEvent::Anchored { gateway, batch, root }
					})
				} else {
					None
				};
				if let Some(event) = event {
					if !f(event) {
						return Ok(());
					}
				}
			}
		}
		Ok(())
	}
}

/// What the gateway watches for in finalized blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChainEvent {
	/// A device's record changed.
	Device(DeviceId),
	/// `gateway` anchored its batch `batch` with `root`.
	Anchored { gateway: AccountId, batch: u64, root: H256 },
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
	/// `def`'s call with `args`.
	pub fn new<A: Encode>(def: &CallDef<A>, args: &impl EncodeLike<A>) -> Self {
		Self { pallet: def.pallet, name: def.name, args: def.encode(args) }
	}

	/// The call followed by `call`, one of the runtime's calls already encoded (the argument
	/// of `groups.approve`).
	pub fn then_call(mut self, call: &[u8]) -> Self {
		self.args.extend_from_slice(call);
		self
	}

	/// The call's bytes: pallet and call index from `metadata`, then the arguments.
	fn encode_with(&self, metadata: &subxt::metadata::Metadata) -> Result<Vec<u8>, Mismatch> {
		let (pallet, name) = (self.pallet, self.name);
		let what = || format!("the call {pallet}.{name}");
		let p =
			metadata.pallet_by_name(pallet).ok_or_else(|| Mismatch::new(what(), Why::NoPallet))?;
		let c = p.call_variant_by_name(name).ok_or_else(|| Mismatch::new(what(), Why::NoCall))?;
		let mut bytes = vec![p.call_index(), c.index];
		bytes.extend_from_slice(&self.args);
		Ok(bytes)
	}
}

/// `Utility.batch_all(calls)`: all of them or none.
fn batch_all(calls: &[Call], metadata: &subxt::metadata::Metadata) -> Result<Call, Mismatch> {
	let mut args = Compact(calls.len() as u32).encode();
	for c in calls {
		args.extend(c.encode_with(metadata)?);
	}
	Ok(Call { pallet: interface::BATCH_ALL.pallet, name: interface::BATCH_ALL.name, args })
}

/// `Weight` as the runtime encodes it.
#[derive(Decode, Clone, Copy, Debug, Default)]
struct WeightV2 {
	#[codec(compact)]
	ref_time: u64,
	#[codec(compact)]
	proof_size: u64,
}

impl WeightV2 {
	fn fits(&self, limit: &WeightV2) -> bool {
		self.ref_time <= limit.ref_time && self.proof_size <= limit.proof_size
	}

	fn plus(&self, other: &WeightV2) -> WeightV2 {
		WeightV2 {
			ref_time: self.ref_time.saturating_add(other.ref_time),
			proof_size: self.proof_size.saturating_add(other.proof_size),
		}
	}

	/// `self` less a twentieth: room for the transaction extensions' own weight.
	fn with_margin(&self) -> WeightV2 {
		WeightV2 { ref_time: self.ref_time / 20 * 19, proof_size: self.proof_size / 20 * 19 }
	}
}

/// `frame_system::limits::WeightsPerClass`.
#[derive(Decode)]
struct ClassWeights {
	base_extrinsic: WeightV2,
	max_extrinsic: Option<WeightV2>,
	_max_total: Option<WeightV2>,
	_reserved: Option<WeightV2>,
}

/// `frame_system::limits::BlockWeights`, to the normal class's limits.
#[derive(Decode)]
struct BlockWeights {
	_base_block: WeightV2,
	max_block: WeightV2,
	normal: ClassWeights,
}

/// What a wire `anchoring.anchor` needs of a batch head: its arguments (`batch`, `root`,
/// `reading_count`, `from_ms`, `to_ms`, the header's fields in order, then `ranges`).
fn anchor_args(head: &BatchHead) -> (&AnchorHeader, &Vec<DeviceRange>) {
	(&head.header, &head.ranges)
}

/// Why submitting a transaction failed, from the error's words: the pool refused it (the words
/// say invalid, or name a refusal), or the node was not reached.
fn submission_refused(text: &str) -> ChainError {
	match classify_refusal(text) {
		PoolRefusal::Other(_) if !text.to_ascii_lowercase().contains("invalid") => {
			ChainError::Unreachable(text.to_string())
		},
		refusal => ChainError::Refused(refusal),
	}
}

/// Which pool refusal the node's words describe (`sp_runtime`'s `InvalidTransaction` texts).
fn classify_refusal(message: &str) -> PoolRefusal {
	let m = message.to_ascii_lowercase();
	if m.contains("exhaust the block limits") || m.contains("exhaustsresources") {
		PoolRefusal::TooBig
	} else if m.contains("inability to pay") || m.contains("payment") {
		PoolRefusal::CannotPay
	} else if m.contains("outdated")
		|| m.contains("valid in the future")
		|| m.contains("priority is too low")
		|| m.contains("stale")
		|| m.contains("future")
	{
		PoolRefusal::Nonce
	} else {
		PoolRefusal::Other(message.to_string())
	}
}

/// A dispatch error a runtime API returned, as a pallet error: a module error by its pallet and
/// variant, looked up by their indices in `metadata`.
fn dispatch_error(e: &DispatchError, metadata: &subxt::metadata::Metadata) -> PalletError {
	match e {
		DispatchError::Module(m) => {
			let pallet = metadata.pallet_by_error_index(m.index);
			let variant = pallet.and_then(|p| p.error_variant_by_index(m.error[0]));
			match (pallet, variant) {
				(Some(p), Some(v)) => PalletError::of(p.name(), &v.name),
				_ => PalletError::Other {
					pallet: format!("pallet #{}", m.index),
					error: format!("error #{}", m.error[0]),
				},
			}
		},
		other => PalletError::Other { pallet: "System".into(), error: format!("{other:?}") },
	}
}

/// A dispatch error as a pallet error: a module error by its pallet and variant, looked up by
/// their indices in the metadata of the block it happened in.
fn pallet_error(e: &subxt::error::DispatchError) -> PalletError {
	match e {
		subxt::error::DispatchError::Module(m) => match m.details() {
			Ok(d) => PalletError::of(d.pallet.name(), &d.variant.name),
			Err(_) => PalletError::Other { pallet: "?".into(), error: m.details_string() },
		},
		other => PalletError::Other { pallet: "System".into(), error: other.to_string() },
	}
}

/// Refuse a runtime whose anchoring pallet lacks an error the anchorer acts on.
fn check_errors(metadata: &subxt::metadata::Metadata) -> Result<(), Mismatch> {
	let what = |name: &str| format!("the error {}.{name}", AnchoringError::PALLET);
	let pallet = metadata
		.pallet_by_name(AnchoringError::PALLET)
		.ok_or_else(|| Mismatch::new(what("*"), Why::NoPallet))?;
	let variants = pallet.error_variants().unwrap_or_default();
	for e in AnchoringError::ALL {
		if !variants.iter().any(|v| v.name == e.name()) {
			return Err(Mismatch::new(what(e.name()), Why::NoError));
		}
	}
	Ok(())
}

impl Chain {
	fn me(&self) -> Result<AccountId, ChainError> {
		self.account().ok_or(ChainError::NoSigner)
	}

	/// A metadata constant of the current runtime.
	async fn constant<T: Decode>(&self, pallet: &str, name: &str) -> Result<T, ChainError> {
		let at = self.at().await?;
		let metadata = at.metadata_ref();
		let value = metadata
			.pallet_by_name(pallet)
			.and_then(|p| p.constant_by_name(name))
			.ok_or_else(|| ChainError::Unreadable(format!("no constant {pallet}.{name}")))?
			.value();
		T::decode(&mut &value[..])
			.map_err(|e| ChainError::Unreadable(format!("constant {pallet}.{name}: {e}")))
	}

	/// Whether an anchor of `devices` ranges sharing `summaries` metric summaries fits one
	/// extrinsic: its weight (`TransactionPaymentCallApi_query_call_info`) with the extrinsic
	/// base weight within the normal class's maximum, and its length within the block's.
	async fn anchor_fits(
		&self,
		devices: usize,
		summaries: usize,
		weights: &BlockWeights,
		max_length: u32,
	) -> Result<bool, ChainError> {
		let ranges: Vec<DeviceRange> = (0..devices)
			.map(|i| {
				let share = summaries / devices + usize::from(i < summaries % devices);
				let own: Vec<MetricSummary> = (0..share)
					.map(|m| MetricSummary { id: m as u16, min: i64::MIN, max: i64::MAX })
					.collect();
				DeviceRange {
					device: H256::from_low_u64_be(i as u64),
					first: u64::MAX - 1,
					last: u64::MAX - 1,
					summaries: own,
				}
			})
			.collect();
		let header = AnchorHeader {
			batch: u64::MAX,
			root: H256::zero(),
			reading_count: devices as u32,
			from_ms: 0,
			to_ms: u64::MAX,
		};
		let at = self.at().await?;
		let call =
			Call::new(&interface::ANCHOR, &(header, ranges)).encode_with(at.metadata_ref())?;
		// A signed extrinsic adds its signature, address and extensions: ~150 bytes.
		let length = call.len() as u32 + 150;
		let mut query = call.clone();
		query.extend(length.encode());
		let bytes = at
			.runtime_apis()
			.call_raw("TransactionPaymentCallApi_query_call_info", Some(&query))
			.await
			.map_err(|e| ChainError::Unreachable(format!("query_call_info: {e}")))?;
		let weight = WeightV2::decode(&mut &bytes[..])
			.map_err(|e| ChainError::Unreadable(format!("query_call_info: {e}")))?;
		let limit = weights.normal.max_extrinsic.unwrap_or(weights.max_block).with_margin();
		Ok(weight.plus(&weights.normal.base_extrinsic).fits(&limit) && length <= max_length)
	}
}

impl port::GroupChain for Chain {
	fn genesis(&self) -> H256 {
		Chain::genesis(self)
	}

	async fn group(&self, group: u32) -> Result<Option<GroupInfo>, ChainError> {
		Chain::group(self, group).await
	}

	async fn last_batch_of(&self, gateway: &AccountId) -> Result<Option<u64>, ChainError> {
		Chain::last_batch_of(self, gateway).await
	}

	async fn anchor_by_batch(
		&self,
		gateway: &AccountId,
		batch: u64,
	) -> Result<Option<(AnchorId, ChainAnchor)>, ChainError> {
		Chain::anchor_by_batch(self, gateway, batch).await
	}

	async fn check_ranges_of(
		&self,
		gateway: &AccountId,
		ranges: &[(DeviceId, u64)],
	) -> Result<Vec<RangeCheck>, ChainError> {
		Chain::check_ranges_of(self, gateway, ranges).await
	}

	async fn finalized_number(&self) -> Result<(u64, u64), ChainError> {
		Chain::finalized_number(self).await
	}

	async fn submit(&self, calls: &[Call]) -> Result<(H256, Events), SubmitError> {
		Chain::submit(self, calls).await
	}
}

impl AnchorChain for Chain {
	async fn private_devices(
		&self,
		devices: &[DeviceId],
	) -> Result<Vec<Option<SealedUnder>>, ChainError> {
		let channels = self.device_channels(devices).await?;
		let mut epochs = std::collections::BTreeMap::new();
		for channel in channels.iter().flatten() {
			if !epochs.contains_key(channel) {
				let info = self.channel(*channel).await?.ok_or_else(|| {
					ChainError::Unreadable(format!(
						"a device is in channel {channel}, which has no record"
					))
				})?;
				epochs.insert(*channel, info.epoch);
			}
		}
		Ok(channels
			.into_iter()
			.map(|c| {
				c.and_then(|channel| Some(SealedUnder { channel, epoch: *epochs.get(&channel)? }))
			})
			.collect())
	}

	async fn limits(&self) -> Result<ChainLimits, ChainError> {
		let most: u32 = self.constant("Anchoring", "MaxDevicesPerBatch").await?;
		let max_metrics: u32 = self.constant("Anchoring", "MaxMetrics").await?;
		let max_summaries: u32 = self.constant("Anchoring", "MaxSummariesPerBatch").await?;
		let weights: BlockWeights = self.constant("System", "BlockWeights").await?;
		// `BlockLength` starts with the per-class maxima (normal, operational, mandatory).
		let (max_length, _, _): (u32, u32, u32) = self.constant("System", "BlockLength").await?;
		// The most devices whose anchor fits even when they carry the most summaries a batch of
		// them may hold.
		let (mut lo, mut hi) = (0usize, most as usize);
		while lo < hi {
			let mid = (lo + hi).div_ceil(2);
			let summaries = (max_summaries as usize).min(mid * max_metrics as usize);
			if self.anchor_fits(mid, summaries, &weights, max_length).await? {
				lo = mid;
			} else {
				hi = mid - 1;
			}
		}
		if lo == 0 {
			return Err(ChainError::Unreadable(
				"an anchor of even one device does not fit an extrinsic".into(),
			));
		}
		Ok(ChainLimits {
			max_devices: lo,
			max_metrics: max_metrics as usize,
			max_summaries: max_summaries as usize,
		})
	}

	async fn check_ranges(
		&self,
		ranges: &[(DeviceId, u64)],
	) -> Result<Vec<RangeCheck>, ChainError> {
		self.check_ranges_of(&self.me()?, ranges).await
	}

	async fn anchor_of(&self, number: u64) -> Result<Option<(AnchorId, H256)>, ChainError> {
		let found = self.anchor_by_batch(&self.me()?, number).await;
		Ok(found?.map(|(id, record)| (id, record.header.root)))
	}

	async fn last_batch(&self) -> Result<Option<u64>, ChainError> {
		self.last_batch_of(&self.me()?).await
	}

	async fn next_nonce(&self) -> Result<u64, ChainError> {
		let me = subxt::utils::AccountId32(self.me()?);
		self.rpc
			.system_account_next_index(&me)
			.await
			.map_err(|e| ChainError::Unreachable(e.to_string()))
	}

	async fn submit(&self, head: &BatchHead, nonce: u64) -> Result<InFlight, ChainError> {
		let call = Call::new(&interface::ANCHOR, &anchor_args(head));
		let mut watch = self.sign_and_watch(&call, nonce).await?;
		Ok(Box::pin(async move {
			match watch.finalized().await {
				Ok((block, Ok(events))) => interface::ANCHORED
					.find(&events)
					.map(|(anchor, ..)| Outcome::Anchored { anchor, block })
					.unwrap_or_else(|| Outcome::Lost("no Anchored event".into())),
				Ok((_, Err(failed))) => Outcome::Failed(failed),
				Err(lost) => Outcome::Lost(lost.to_string()),
			}
		}))
	}

	async fn submit_call(&self, call: &Call, nonce: u64) -> Result<CallInFlight, ChainError> {
		let mut watch = self.sign_and_watch(call, nonce).await?;
		Ok(Box::pin(async move {
			match watch.finalized().await {
				Ok((_, Ok(events))) => Ok(events),
				Ok((_, Err(failed))) => Err(CallFailure::Failed(failed)),
				Err(lost) => Err(CallFailure::NotSubmitted(lost.to_string())),
			}
		}))
	}
}

type AtBlock = subxt::client::OnlineClientAtBlockImpl<SubstrateConfig>;

/// One event of a transaction: its pallet, its name and its SCALE-encoded fields.
type TxEvent = (String, String, Vec<u8>);

/// What a finalized block says of the transactions in it: each one's hash, in order, and the
/// block's events.
struct BlockRead {
	hashes: Vec<H256>,
	events: subxt::events::Events<SubstrateConfig>,
	/// The metadata of the block's runtime (to read a dispatch error by).
	metadata: subxt::metadata::ArcMetadata,
}

type Reading = subxt::ext::futures::future::Shared<
	subxt::ext::futures::future::BoxFuture<'static, Result<std::sync::Arc<BlockRead>, ChainError>>,
>;

/// Blocks read at most once each, however many of the transactions followed went into one.
///
/// Under load one block holds dozens of this gateway's batches. Read for each transaction on
/// its own (as subxt's `wait_for_success` does), the block's whole body — every batch in it —
/// came from the node once per batch, all at the same moment: megabytes a block for the node
/// to serve and for the gateway to hold at once, and most of the swing in its memory.
struct Blocks {
	api: OnlineClient<SubstrateConfig>,
	rpc: subxt::rpcs::LegacyRpcMethods<subxt::config::RpcConfigFor<SubstrateConfig>>,
	/// The blocks read or being read lately, newest last; the waiters of one share its read.
	recent: std::sync::Mutex<std::collections::VecDeque<(H256, Reading)>>,
}

/// How many blocks' reads [`Blocks`] keeps (finality moves a block at a time, and a
/// transaction's waiter asks for its block as soon as it hears of it).
const BLOCKS_KEPT: usize = 8;

impl Blocks {
	fn new(
		api: OnlineClient<SubstrateConfig>,
		rpc: subxt::rpcs::LegacyRpcMethods<subxt::config::RpcConfigFor<SubstrateConfig>>,
	) -> Self {
		Self { api, rpc, recent: std::sync::Mutex::new(Default::default()) }
	}

	/// The events of transaction `tx` in finalized block `block`, or the pallet error it failed
	/// with; `Err` if the block cannot be read or does not hold it.
	async fn events_of(
		&self,
		block: H256,
		tx: H256,
	) -> Result<Result<Vec<TxEvent>, PalletError>, ChainError> {
		use subxt::ext::futures::FutureExt;
		let reading = {
			let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
			match recent.iter().find(|(hash, _)| *hash == block) {
				Some((_, reading)) => reading.clone(),
				None => {
					let (api, rpc) = (self.api.clone(), self.rpc.clone());
					let reading = read_block(api, rpc, block).boxed().shared();
					if recent.len() >= BLOCKS_KEPT {
						recent.pop_front();
					}
					recent.push_back((block, reading.clone()));
					reading
				},
			}
		};
		let read = match reading.await {
			Ok(read) => read,
			Err(e) => {
				// Read again by the next to ask.
				self.recent.lock().unwrap_or_else(|p| p.into_inner()).retain(|(h, _)| *h != block);
				return Err(e);
			},
		};
		let index = read.hashes.iter().position(|h| *h == tx).ok_or_else(|| {
			ChainError::Unreadable(format!("transaction {tx:?} is not in block {block:?}"))
		})?;
		let phase = subxt::events::Phase::ApplyExtrinsic(index as u32);
		let mut events = Vec::new();
		for ev in read.events.iter() {
			let ev = ev.map_err(|e| {
				ChainError::unreadable(format_args!("the events of block {block:?}"), e)
			})?;
			if ev.phase() != phase {
				continue;
			}
			if ev.pallet_name() == "System" && ev.event_name() == "ExtrinsicFailed" {
				// subxt's own reading of a dispatch error (what `wait_for_success` uses; public
				// but not in its docs, so read again on a subxt upgrade).
				let error = subxt::error::DispatchError::decode_from(
					ev.field_bytes(),
					read.metadata.clone(),
				)
				.map_err(|e| ChainError::unreadable("a dispatch error", e))?;
				return Ok(Err(pallet_error(&error)));
			}
			events.push((
				ev.pallet_name().to_string(),
				ev.event_name().to_string(),
				ev.field_bytes().to_vec(),
			));
		}
		Ok(Ok(events))
	}
}

/// Read finalized block `block`: its transactions' hashes and its events.
async fn read_block(
	api: OnlineClient<SubstrateConfig>,
	rpc: subxt::rpcs::LegacyRpcMethods<subxt::config::RpcConfigFor<SubstrateConfig>>,
	block: H256,
) -> Result<std::sync::Arc<BlockRead>, ChainError> {
	use subxt::config::{Hasher as _, Header as _};
	let details = rpc
		.chain_get_block(Some(block.0.into()))
		.await
		.map_err(|e| ChainError::unreachable(format_args!("reading block {block:?}"), e))?
		.ok_or_else(|| ChainError::Unreadable(format!("the node does not have block {block:?}")))?;
	let at = api
		.at_block_hash_and_number(subxt::utils::H256(block.0), details.block.header.number())
		.await
		.map_err(|e| ChainError::unreachable(format_args!("reading block {block:?}"), e))?;
	let hasher = at.hasher();
	let hashes = details.block.extrinsics.iter().map(|x| H256(hasher.hash(&x.0).0)).collect();
	let events = at.events().fetch().await.map_err(|e| {
		ChainError::unreachable(format_args!("reading block {block:?}'s events"), e)
	})?;
	Ok(std::sync::Arc::new(BlockRead { hashes, events, metadata: at.metadata() }))
}

/// A transaction the pool took, followed to its end.
struct Watch {
	progress: subxt::tx::TransactionProgress<SubstrateConfig, AtBlock>,
	first: Option<subxt::tx::TransactionStatus<SubstrateConfig, AtBlock>>,
	blocks: std::sync::Arc<Blocks>,
}

impl Watch {
	/// Follow it into a finalized block: that block and its events, or its pallet error; or
	/// why it was lost (dropped, invalid, usurped, the subscription ended).
	async fn finalized(&mut self) -> Result<(H256, Result<Vec<TxEvent>, PalletError>), ChainError> {
		use subxt::tx::TransactionStatus as S;
		let mut status = self.first.take();
		loop {
			match status.take() {
				Some(S::InFinalizedBlock(in_block)) => {
					let block = H256(in_block.block_hash().0);
					let tx = H256(in_block.extrinsic_hash().0);
					return Ok((block, self.blocks.events_of(block, tx).await?));
				},
				Some(S::Invalid { message })
				| Some(S::Dropped { message })
				| Some(S::Error { message }) => return Err(ChainError::Lost(message)),
				Some(_) | None => {},
			}
			match self.progress.next().await {
				Some(Ok(next)) => status = Some(next),
				Some(Err(e)) => return Err(ChainError::Lost(e.to_string())),
				None => return Err(ChainError::Lost("the node closed the subscription".into())),
			}
		}
	}
}

impl Chain {
	/// Sign `call` with `nonce` and submit it; once the pool took it (its first status says
	/// so), the watch of its progress.
	async fn sign_and_watch(&self, call: &Call, nonce: u64) -> Result<Watch, ChainError> {
		let signer = self.signer.as_ref().ok_or(ChainError::NoSigner)?;
		let at = self.at().await?;
		let call = call.encode_with(at.metadata_ref())?;
		let tx = at.transactions();
		let payload =
			tx.from_call_data_bytes(&call).map_err(|e| ChainError::Unreadable(e.to_string()))?;
		// Signed offline: the nonce is the anchorer's and the mortality starts at the block read
		// from, so no round trip to the node (`create_signed` asks it for the nonce every time,
		// which made signing the slowest step of submitting a batch).
		use subxt::config::transaction_extensions::Params as _;
		let mut params = subxt::config::DefaultExtrinsicParamsBuilder::<SubstrateConfig>::new()
			.nonce(nonce)
			.build();
		params.inject_block(at.block_number(), at.block_ref().hash());
		let signed = tx
			.create_signable_offline(&payload, params)
			.and_then(|mut signable| signable.sign(signer))
			.map_err(|e| ChainError::Unreadable(e.to_string()))?;
		let mut progress =
			signed.submit_and_watch().await.map_err(|e| submission_refused(&e.to_string()))?;
		use subxt::tx::TransactionStatus as S;
		let first = match progress.next().await {
			Some(Ok(S::Invalid { message })) | Some(Ok(S::Error { message })) => {
				return Err(ChainError::Refused(classify_refusal(&message)))
			},
			Some(Ok(S::Dropped { message })) => {
				return Err(ChainError::Refused(PoolRefusal::Other(message)))
			},
			Some(Err(e)) => return Err(ChainError::Unreachable(e.to_string())),
			None => return Err(ChainError::Unreachable("the node closed the subscription".into())),
			Some(Ok(status)) => status,
		};
		Ok(Watch { progress, first: Some(first), blocks: self.blocks.clone() })
	}
}
