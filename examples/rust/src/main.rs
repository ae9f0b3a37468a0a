//! iotrust from Rust with subxt. Transactions are built dynamically from the chain's metadata
//! (`subxt::dynamic::tx` with `Value`s: nothing generated at build time); runtime APIs are called
//! by name and their answers decoded into the concrete types the runtime-API crates export
//! (`Anchor`, `ObligationInfo`, …), which a client names as the runtime does. Runs against a
//! development chain (`scripts/run.sh --dev`):
//!
//! ```sh
//! cargo run -p iotrust-example-client -- [ws://127.0.0.1:9944]
//! ```
//!
//! 1. A device: a fresh ed25519 key proves possession, Alice registers it and binds it to her own
//!    account (an owner may be its devices' gateway).
//! 2. Its readings: the device signs two readings, Alice anchors the batch's Merkle root, and
//!    the chain confirms one reading with its proof (what a gateway's /proof/<device>/<seq>
//!    serves).
//! 3. An obligation: Bob offers a service, Charlie takes the offer up (accepted at once), pays.
//! 4. Reads: Bob's stream of what he is owed, Charlie's reputation score and credit limit.

use anyhow::{anyhow, bail, Context, Result};
use codec::{Decode, Encode};
use iotrust_primitives::{
	device::{registration_payload, DevicePublicKey, DeviceSignature},
	merkle::{merkle_proof, merkle_root, Metric, SignedReading},
};
use pallet_anchoring_runtime_api::ReadingCheck;
use pallet_devices_runtime_api::DeviceInfo;
use pallet_obligations_runtime_api::Page;
use sp_core::{crypto::Pair as _, ed25519, H256};
use subxt::dynamic::Value;
use subxt::{OnlineClient, SubstrateConfig};
use subxt_signer::sr25519::{dev, Keypair};

type AccountId = [u8; 32];
type Balance = u128;
type BlockNumber = u32;
/// 1 IOTR: 12 decimals.
const UNIT: Balance = 1_000_000_000_000;

fn say(text: impl AsRef<str>) {
	println!("• {}", text.as_ref());
}

/// The chain, and the events of what we submit.
struct Chain {
	api: OnlineClient<SubstrateConfig>,
}

impl Chain {
	/// Sign `pallet.call(args)` as `signer`, wait until its block is finalized and the call
	/// succeeded; return its events as (pallet, event, SCALE fields). A failed call is an error
	/// naming the pallet's error, e.g. `Module error: Devices::GatewayNotServing`.
	async fn submit(
		&self,
		pallet: &str,
		call: &str,
		args: Vec<Value>,
		signer: &Keypair,
	) -> Result<Vec<(String, String, Vec<u8>)>> {
		let payload = subxt::dynamic::tx(pallet, call, args);
		let at = self.api.at_current_block().await?;
		let events = at
			.transactions()
			.sign_and_submit_then_watch_default(&payload, signer)
			.await?
			.wait_for_finalized_success()
			.await
			.with_context(|| format!("{pallet}.{call}"))?;
		let mut out = Vec::new();
		for event in events.iter() {
			let event = event?;
			out.push((
				event.pallet_name().to_string(),
				event.event_name().to_string(),
				event.field_bytes().to_vec(),
			));
		}
		Ok(out)
	}

	/// Call runtime API `method` (`<Api>_<method>`) with SCALE `args` at the finalized block;
	/// decode the answer as `R`.
	async fn runtime_api<R: Decode>(&self, method: &str, args: impl Encode) -> Result<R> {
		let at = self.api.at_current_block().await?;
		let bytes = at.runtime_apis().call_raw(method, Some(&args.encode())).await?;
		R::decode(&mut &bytes[..]).with_context(|| format!("decoding the answer of {method}"))
	}
}

/// The first field of the first `pallet.name` event, decoded as `T` (the ids come first).
fn first_field<T: Decode>(
	events: &[(String, String, Vec<u8>)],
	pallet: &str,
	name: &str,
) -> Result<T> {
	let (_, _, fields) = events
		.iter()
		.find(|(p, e, _)| p == pallet && e == name)
		.ok_or_else(|| anyhow!("no {pallet}.{name} event"))?;
	Ok(T::decode(&mut &fields[..])?)
}

fn bytes(b: impl AsRef<[u8]>) -> Value {
	Value::from_bytes(b.as_ref())
}

fn short(h: &H256) -> String {
	format!("0x{}…", hex::encode(&h.0[..8]))
}

#[tokio::main]
async fn main() -> Result<()> {
	let url = std::env::args().nth(1).unwrap_or_else(|| "ws://127.0.0.1:9944".into());
	let api = OnlineClient::<SubstrateConfig>::from_url(&url).await?;
	let chain = Chain { api: api.clone() };
	let genesis = H256(api.genesis_hash().0);
	let (alice, bob, charlie) = (dev::alice(), dev::bob(), dev::charlie());
	let id = |k: &Keypair| -> AccountId { k.public_key().0 };
	say(format!("Connected to {url}, genesis {genesis:?}."));

	// --- 1. A device -----------------------------------------------------------------------------
	// The device's own key. A real device keeps its secret in its secure element; here it is a
	// random seed that lives as long as this program.
	let (device, _) = ed25519::Pair::generate();
	let key = DevicePublicKey::Ed25519(device.public().0);
	// Proof of possession: the device signs SCALE(("iotrust/device/register/v1", genesis, owner, key)).
	let proof = device.sign(&registration_payload(&genesis, &id(&alice), &key));
	let events = chain
		.submit(
			"Devices",
			"register",
			vec![
				Value::unnamed_variant("Ed25519", [bytes(device.public().0)]),
				Value::named_composite([
					("model", bytes(b"ColdTrack T1")),
					("serial_hash", bytes(sp_io::hashing::blake2_256(b"serial 0001"))),
					("uri", bytes(b"https://example.com/coldtrack")),
				]),
				Value::unnamed_variant("Ed25519", [bytes(proof.0)]),
			],
			&alice,
		)
		.await?;
	let device_id: H256 = first_field(&events, "Devices", "DeviceRegistered")?;
	say(format!(
		"Alice registered a ColdTrack T1 whose ed25519 key signed the proof of possession: device {device_id:?}."
	));

	chain
		.submit("Devices", "bind_gateway", vec![bytes(device_id), bytes(id(&alice))], &alice)
		.await?;
	let info: Option<DeviceInfo<AccountId, Balance, BlockNumber>> =
		chain.runtime_api("DevicesApi_device", device_id).await?;
	let info = info.ok_or_else(|| anyhow!("the device is not on chain"))?;
	say(format!(
		"Alice bound it to her own account as its gateway; the chain says it is {:?}, gateway {}.",
		info.status,
		if info.gateway == Some(id(&alice)) { "Alice" } else { "someone else" }
	));

	// --- 2. Its readings, anchored and proven ------------------------------------------------
	let now =
		std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as u64;
	let readings: Vec<SignedReading> = [(0u64, -18_200i64), (1, -18_050)]
		.into_iter()
		.map(|(seq, milli_celsius)| {
			let mut reading = SignedReading {
				device: device_id,
				seq,
				timestamp_ms: now + seq * 1000,
				metrics: vec![Metric { id: 1, value: milli_celsius }], // 1: temperature, m°C
				signature: DeviceSignature::Ed25519([0; 64]),
			};
			// The device signs SCALE(("iotrust/reading/v1", genesis, device, seq, timestamp_ms, metrics)).
			reading.signature = DeviceSignature::Ed25519(device.sign(&reading.payload(&genesis)).0);
			reading
		})
		.collect();
	// The batch's Merkle tree: leaf = blake2_256(0x00 ‖ SCALE(reading)), node = blake2_256(0x01 ‖ l ‖ r).
	let leaves: Vec<H256> = readings.iter().map(SignedReading::leaf_hash).collect();
	let root = merkle_root(&leaves).ok_or_else(|| anyhow!("no leaves"))?;
	// Alice numbers her batches; the chain remembers the highest she anchored.
	let last: Option<u64> = chain.runtime_api("AnchoringApi_last_batch", id(&alice)).await?;
	let batch = last.map_or(1, |b| b + 1);
	let summary = Value::named_composite([
		("id", Value::u128(1)),
		("min", Value::i128(-18_200)),
		("max", Value::i128(-18_050)),
	]);
	let range = Value::named_composite([
		("device", bytes(device_id)),
		("first", Value::u128(0)),
		("last", Value::u128(1)),
		("summaries", Value::unnamed_composite([summary])),
	]);
	let events = chain
		.submit(
			"Anchoring",
			"anchor",
			vec![
				Value::u128(batch.into()),
				bytes(root),
				Value::u128(2),
				Value::u128(readings[0].timestamp_ms.into()),
				Value::u128(readings[1].timestamp_ms.into()),
				Value::unnamed_composite([range]),
			],
			&alice,
		)
		.await?;
	let anchor: u64 = first_field(&events, "Anchoring", "Anchored")?;
	say(format!(
		"Alice anchored batch {batch} (2 readings, root {}) as anchor {anchor}, in a finalized block.",
		short(&root)
	));

	let proof = merkle_proof(&leaves, 1).ok_or_else(|| anyhow!("no proof"))?;
	let verdict: ReadingCheck =
		chain.runtime_api("AnchoringApi_check_reading", (anchor, &readings[1], &proof)).await?;
	say(format!(
		"The chain checks reading #1 (-18.05 °C) against anchor {anchor} with its proof: {verdict:?}."
	));
	let mut forged = readings[1].clone();
	forged.metrics[0].value = -25_000;
	let verdict: ReadingCheck =
		chain.runtime_api("AnchoringApi_check_reading", (anchor, &forged, &proof)).await?;
	say(format!("The same proof with the value changed to -25 °C: {verdict:?}."));

	// --- 3. An obligation, taken up and paid -----------------------------------------------------
	let terms = Value::named_composite([
		("service_hash", bytes(sp_io::hashing::blake2_256(b"cold storage, one pallet, one day"))),
		("min_amount", Value::u128(UNIT)),
		("max_amount", Value::u128(10 * UNIT)),
		("due_in", Value::u128(1_000)),
		("min_score", Value::u128(0)),
		("device", Value::unnamed_variant("None", [])),
		("sla", Value::unnamed_variant("None", [])),
		("consumers", Value::unnamed_composite([])),
	]);
	let events = chain.submit("Obligations", "publish_offer", vec![terms], &bob).await?;
	let offer: u64 = first_field(&events, "Obligations", "OfferPublished")?;
	say(format!(
		"Bob published offer {offer}: cold storage for 1 to 10 IOTR, due 1,000 blocks after acceptance."
	));

	let request = Value::named_composite([
		("offer", Value::u128(offer.into())),
		("amount", Value::u128(5 * UNIT)),
		("note", bytes(b"pallet 17")),
	]);
	let events = chain
		.submit(
			"Obligations",
			"create",
			vec![request, Value::unnamed_variant("None", [])],
			&charlie,
		)
		.await?;
	let obligation: u64 = first_field(&events, "Obligations", "Created")?;
	say(format!(
		"Charlie took it up for 5 IOTR: obligation {obligation}, accepted at once (his credit allows it)."
	));

	let events = chain
		.submit(
			"Obligations",
			"pay",
			vec![Value::u128(obligation.into()), Value::u128(5 * UNIT)],
			&charlie,
		)
		.await?;
	let (_, _, fields) = events
		.iter()
		.find(|(p, e, _)| p == "Obligations" && e == "Paid")
		.ok_or_else(|| anyhow!("no Obligations.Paid event"))?;
	let (_, _, credit_fee, remaining) =
		<(u64, Balance, Balance, Balance)>::decode(&mut &fields[..])?;
	say(format!(
		"Charlie paid 5 IOTR to Bob and burned a {} IOTR credit fee; {remaining} left to pay.",
		credit_fee as f64 / UNIT as f64
	));
	chain.submit("Obligations", "withdraw_offer", vec![Value::u128(offer.into())], &bob).await?;
	say("Bob withdrew the offer; its deposit is released (the obligation keeps its terms).");

	// --- 4. Reads through the runtime APIs ---------------------------------------------------------
	// A stream is read a page (at most 100) at a time; a page's `next` is where the next starts.
	let (mut after, mut count, mut mine) = (None::<u64>, 0, None);
	loop {
		let page: Page<AccountId, Balance, BlockNumber> = chain
			.runtime_api("ObligationsApi_provider_stream", (id(&bob), None::<u8>, after, 100u32))
			.await?;
		count += page.items.len();
		if mine.is_none() {
			mine = page.items.into_iter().find(|(o, _)| *o == obligation).map(|(_, info)| info);
		}
		match page.next {
			Some(next) => after = Some(next),
			None => break,
		}
	}
	let Some(mine) = mine else { bail!("obligation {obligation} is not in Bob's stream") };
	say(format!(
		"Bob's stream holds {count} obligation(s); #{obligation} is {:?}: {} IOTR from Charlie, {} paid.",
		mine.status,
		mine.amount / UNIT,
		mine.paid / UNIT
	));
	let score: u32 = chain.runtime_api("ReputationApi_score", id(&charlie)).await?;
	let limit: Balance = chain.runtime_api("ReputationApi_credit_limit", id(&charlie)).await?;
	say(format!(
		"Charlie's reputation score is {score} of 1000, and he may owe up to {} IOTR at once.",
		limit as f64 / UNIT as f64
	));
	say("Done.");
	Ok(())
}
