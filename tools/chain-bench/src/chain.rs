//! The nodes, through plain JSON-RPC, and extrinsics built with the runtime's own types: the
//! harness is compiled with the runtime it measures, so a call or an extension that changes
//! shape is a compile error here rather than a refused transaction.

use anyhow::{anyhow, bail, Context, Result};
use codec::{Decode, Encode};
use iotrust_runtime::{Address, Header, RuntimeCall, Signature, SignedPayload, UncheckedExtrinsic};
use jsonrpsee::{
	core::{
		client::{ClientT, Subscription, SubscriptionClientT},
		params::ArrayParams,
	},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use sp_core::{sr25519, Pair, H256};
use sp_runtime::generic::Era;
use std::time::Duration;

/// A connection to one node's RPC endpoint.
pub struct Node {
	client: WsClient,
	/// Where it is.
	pub url: String,
}

/// A block as the harness needs it.
pub struct BlockBody {
	/// Its header.
	pub header: Header,
	/// Its extrinsics, as encoded on chain.
	pub extrinsics: Vec<Vec<u8>>,
}

fn hex_bytes(s: &str) -> Result<Vec<u8>> {
	Ok(hex::decode(s.trim_start_matches("0x"))?)
}

impl Node {
	/// Connect to `url` (ws://…), allowing `in_flight` requests at once.
	pub async fn connect(url: &str, in_flight: usize) -> Result<Self> {
		let client = WsClientBuilder::default()
			.max_concurrent_requests(in_flight)
			.max_buffer_capacity_per_subscription(65_536)
			.request_timeout(Duration::from_secs(120))
			.build(url)
			.await
			.with_context(|| format!("cannot connect to {url}"))?;
		Ok(Self { client, url: url.to_string() })
	}

	async fn call<R: serde::de::DeserializeOwned>(
		&self,
		method: &str,
		p: ArrayParams,
	) -> Result<R> {
		self.client.request(method, p).await.with_context(|| format!("{method} on {}", self.url))
	}

	/// The chain's genesis hash.
	pub async fn genesis(&self) -> Result<H256> {
		let hex: String = self.call("chain_getBlockHash", rpc_params![0]).await?;
		Ok(H256::from_slice(&hex_bytes(&hex)?))
	}

	/// The runtime's `(spec_version, transaction_version)`.
	pub async fn versions(&self) -> Result<(u32, u32)> {
		let v: serde_json::Value = self.call("state_getRuntimeVersion", rpc_params![]).await?;
		let get = |k: &str| v[k].as_u64().map(|n| n as u32).ok_or_else(|| anyhow!("no {k}"));
		Ok((get("specVersion")?, get("transactionVersion")?))
	}

	/// The next nonce of `who`, counting its transactions in the node's pool.
	pub async fn next_nonce(&self, who: &sr25519::Public) -> Result<u32> {
		use sp_core::crypto::Ss58Codec;
		self.call("system_accountNextIndex", rpc_params![who.to_ss58check()]).await
	}

	/// Submit `xt`; the node's answer is its hash, or the pool's refusal as text.
	pub async fn submit(&self, xt: &[u8]) -> Result<H256, String> {
		let hex: Result<String, _> = self
			.client
			.request("author_submitExtrinsic", rpc_params![format!("0x{}", hex::encode(xt))])
			.await;
		match hex {
			Ok(h) => hex_bytes(&h).map(|b| H256::from_slice(&b)).map_err(|e| e.to_string()),
			Err(jsonrpsee::core::ClientError::Call(e)) => Err(match e.data() {
				Some(d) => format!("{}: {}", e.message(), d.get()),
				None => e.message().to_string(),
			}),
			Err(e) => Err(e.to_string()),
		}
	}

	/// Submit `xt` and wait until it is in a finalized block.
	pub async fn submit_and_finalize(&self, xt: &[u8]) -> Result<H256> {
		let mut sub: Subscription<serde_json::Value> = self
			.client
			.subscribe(
				"author_submitAndWatchExtrinsic",
				rpc_params![format!("0x{}", hex::encode(xt))],
				"author_unwatchExtrinsic",
			)
			.await?;
		while let Some(status) = sub.next().await {
			let status = status?;
			if let Some(hash) = status.get("finalized").and_then(|h| h.as_str()) {
				return Ok(H256::from_slice(&hex_bytes(hash)?));
			}
			if let Some(s) = status.as_str().filter(|s| *s == "invalid" || *s == "dropped") {
				bail!("transaction {s}");
			}
			if status.get("usurped").is_some() || status.get("finalityTimeout").is_some() {
				bail!("transaction not finalized: {status}");
			}
		}
		bail!("the node closed the transaction's subscription")
	}

	/// The block with hash `hash`.
	pub async fn block(&self, hash: H256) -> Result<BlockBody> {
		let v: serde_json::Value = self.call("chain_getBlock", rpc_params![hash]).await?;
		let block = &v["block"];
		let header: Header = serde_json::from_value(block["header"].clone())?;
		let extrinsics = block["extrinsics"]
			.as_array()
			.ok_or_else(|| anyhow!("block {hash:?} has no extrinsics"))?
			.iter()
			.map(|x| hex_bytes(x.as_str().unwrap_or_default()))
			.collect::<Result<_>>()?;
		Ok(BlockBody { header, extrinsics })
	}

	/// The raw value at storage `key` in the state of block `at`.
	pub async fn storage(&self, key: &[u8], at: H256) -> Result<Option<Vec<u8>>> {
		let v: Option<String> = self
			.call("state_getStorage", rpc_params![format!("0x{}", hex::encode(key)), at])
			.await?;
		v.map(|h| hex_bytes(&h)).transpose()
	}

	/// New best blocks (`new`) or newly finalized blocks (`finalized`), as headers.
	pub async fn heads(&self, finalized: bool) -> Result<Subscription<serde_json::Value>> {
		let (sub, unsub) = if finalized {
			("chain_subscribeFinalizedHeads", "chain_unsubscribeFinalizedHeads")
		} else {
			("chain_subscribeNewHeads", "chain_unsubscribeNewHeads")
		};
		Ok(self.client.subscribe(sub, rpc_params![], unsub).await?)
	}
}

/// A header from a subscription, with its hash.
pub fn header_of(v: serde_json::Value) -> Result<(H256, Header)> {
	let header: Header = serde_json::from_value(v)?;
	Ok((header.hash(), header))
}

/// What every signature commits to besides the call: the chain and its runtime version.
#[derive(Clone, Copy)]
pub struct ChainIds {
	pub genesis: H256,
	pub spec_version: u32,
	pub tx_version: u32,
}

impl ChainIds {
	/// Read them from `node`.
	pub async fn of(node: &Node) -> Result<Self> {
		let (spec_version, tx_version) = node.versions().await?;
		Ok(Self { genesis: node.genesis().await?, spec_version, tx_version })
	}

	/// `call` signed by `pair` with `nonce`, immortal and without tip, as the chain encodes it.
	pub fn sign(&self, pair: &sr25519::Pair, nonce: u32, call: RuntimeCall) -> Vec<u8> {
		let extension = iotrust_runtime::tx_extension(nonce, Era::Immortal);
		let implicit =
			((), self.spec_version, self.tx_version, self.genesis, self.genesis, (), (), ());
		let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
		let signature = payload.using_encoded(|bytes| pair.sign(bytes));
		let address = Address::Id(pair.public().into());
		UncheckedExtrinsic::new_signed(call, address, Signature::Sr25519(signature), extension)
			.encode()
	}
}

/// The `timestamp.set` moment of a block's first extrinsic (its inherent), in milliseconds.
pub fn block_timestamp(extrinsics: &[Vec<u8>]) -> Option<u64> {
	extrinsics.iter().find_map(|x| match UncheckedExtrinsic::decode(&mut &x[..]).ok()?.function {
		RuntimeCall::Timestamp(pallet_timestamp::Call::set { now }) => Some(now),
		_ => None,
	})
}

/// The key of `System::BlockWeight`, as the runtime's own storage item makes it.
pub fn block_weight_key() -> Vec<u8> {
	frame_system::BlockWeight::<iotrust_runtime::Runtime>::hashed_key().to_vec()
}

/// The key of `System::Events` (a storage item frame-system keeps private), made by FRAME's own
/// function from the runtime's name for the pallet.
pub fn events_key() -> Vec<u8> {
	use frame_support::traits::PalletInfoAccess;
	let pallet = iotrust_runtime::System::name();
	frame_support::storage::storage_prefix(pallet.as_bytes(), b"Events").to_vec()
}

/// The index of each extrinsic that failed in dispatch, with its error, from a block's
/// `System::Events` value.
pub fn failed_extrinsics(events: &[u8]) -> Vec<(u32, String)> {
	use frame_system::{EventRecord, Phase};
	use iotrust_runtime::RuntimeEvent;
	let Ok(records) = Vec::<EventRecord<RuntimeEvent, H256>>::decode(&mut &events[..]) else {
		return Vec::new();
	};
	records
		.into_iter()
		.filter_map(|r| match (r.phase, r.event) {
			(
				Phase::ApplyExtrinsic(i),
				RuntimeEvent::System(frame_system::Event::ExtrinsicFailed {
					dispatch_error, ..
				}),
			) => Some((i, error_name(dispatch_error))),
			_ => None,
		})
		.collect()
}

/// `Pallet(Error)` for a module error (decoded with the runtime's own error types), the debug
/// form otherwise.
fn error_name(e: sp_runtime::DispatchError) -> String {
	match iotrust_runtime::RuntimeError::from_dispatch_error(e) {
		Some(known) => format!("{known:?}"),
		None => format!("{e:?}"),
	}
}

/// The ref time normal extrinsics used, from a `System::BlockWeight` value (normal,
/// operational, mandatory): what the block's weight limit for transactions is measured against.
/// Hooks (`on_initialize`, the idle sweep) are mandatory and not counted.
pub fn normal_ref_time(value: &[u8]) -> Option<u64> {
	use codec::Compact;
	let mut input = value;
	let Compact(ref_time) = Compact::<u64>::decode(&mut input).ok()?;
	Some(ref_time)
}

/// The account of dev seed `uri` (`//Alice`) or of a derived bench account.
pub fn pair(uri: &str) -> Result<sr25519::Pair> {
	sr25519::Pair::from_string(uri, None).map_err(|e| anyhow!("bad secret URI {uri}: {e:?}"))
}

impl Node {
	/// Call runtime API function `method` (`Api_function`) with SCALE-encoded `args` on the
	/// best block, and decode its answer.
	pub async fn runtime_call<R: Decode>(&self, method: &str, args: impl Encode) -> Result<R> {
		let hex: String = self
			.call("state_call", rpc_params![method, format!("0x{}", hex::encode(args.encode()))])
			.await?;
		R::decode(&mut &hex_bytes(&hex)?[..]).with_context(|| format!("decoding {method}'s answer"))
	}

	/// Submit every one of `xts` and wait until all are finalized, `at_once` at a time.
	pub async fn finalize_all(&self, xts: &[Vec<u8>], at_once: usize) -> Result<()> {
		use futures::{StreamExt, TryStreamExt};
		futures::stream::iter(xts.iter().map(|xt| self.submit_and_finalize(xt)))
			.buffer_unordered(at_once)
			.try_collect::<Vec<_>>()
			.await?;
		Ok(())
	}
}
