//! `iotrust-gateway simulate`: stand in for a fleet of sensors. Derives N ed25519 device keys
//! from a seed, registers the ones the chain does not know (one `utility.batchAll` of
//! `devices.register` + `devices.bindGateway`, signed by the owner), then publishes signed
//! readings on each device's telemetry topic at a given total rate, round-robin, QoS 1.
//! `--bad K` also publishes K of each kind of bad message (malformed JSON, a bad signature, an
//! unknown device, a replayed sequence number) so a gateway's rejections can be checked.
//! With `--channel-secret-file`, devices in a private channel seal their readings under its
//! current epoch key, as a device that holds the key would.

use crate::{
	chain::{self, interface, AccountId, Call, Chain},
	clock::now_ms,
	ingest::telemetry::{reading_to_value, topic, SealedReading},
};
use anyhow::Context;
use codec::Encode;
use iotrust_primitives::{
	device::{registration_payload, DeviceId, DeviceSignature, KeyScheme},
	keypair::DeviceKeypair,
	merkle::{metric, Metric, SignedReading},
};
use rumqttc::{AsyncClient, Event, Outgoing, Packet, QoS};
use sp_core::{crypto::Ss58Codec, H256};
use std::{
	sync::{
		atomic::{AtomicU64, Ordering},
		Arc,
	},
	time::Duration,
};
use tracing::info;

/// What to simulate.
#[derive(clap::Args, Debug)]
pub struct Args {
	/// The node's WebSocket RPC endpoint.
	#[arg(long, default_value = "ws://127.0.0.1:9944")]
	node: String,
	/// The MQTT broker and how to log in to it, as the gateway's settings of the same names.
	#[command(flatten)]
	broker: crate::mqtt::BrokerSettings,
	/// The devices' owner, a secret URI; it registers them and pays their deposits.
	#[arg(long, default_value = "//Charlie")]
	owner: String,
	/// The gateway account the devices are bound to (SS58).
	#[arg(long)]
	gateway: String,
	/// How many devices.
	#[arg(long, default_value_t = 20)]
	devices: u32,
	/// Readings per device.
	#[arg(long, default_value_t = 100)]
	readings: u64,
	/// Readings per second, all devices together.
	#[arg(long, default_value_t = 100)]
	rate: u64,
	/// The first sequence number to publish.
	#[arg(long, default_value_t = 0)]
	start_seq: u64,
	/// Device keys derive from this seed: the same seed gives the same devices.
	#[arg(long, default_value = "iotrust-sim")]
	seed: String,
	/// Publish this many of each kind of bad message after the readings.
	#[arg(long, default_value_t = 0)]
	bad: u32,
	/// Only register the devices, publish nothing.
	#[arg(long)]
	register_only: bool,
	/// Instead of readings, have the first device ask for an obligation under offer OFFER for
	/// AMOUNT plancks (`OFFER:AMOUNT`), signed with its key, on its obligation topic; print the
	/// gateway's reply as a JSON line and exit 0 if the obligation was created.
	#[arg(long, value_name = "OFFER:AMOUNT")]
	obligation: Option<String>,
	/// With `--obligation`, play a cheat: `replay` signs the request with the nonce of the
	/// device's previous request (an old request sent again), `amount` asks for one planck
	/// more than the device signed for (a request altered on its way), `expired` says it was
	/// valid until the block before the last finalized one, `resend` publishes the same signed
	/// request a second time once the first is answered (what anyone who copied it off the
	/// broker can do). The gateway must refuse.
	#[arg(long, value_enum, requires = "obligation")]
	tamper: Option<Tamper>,
	/// With `--obligation`, the request stays valid this many blocks past the last finalized
	/// one (the chain takes at most ten minutes' worth).
	#[arg(long, default_value_t = 100, requires = "obligation")]
	valid_for: u32,
	/// The owner's X25519 secret (mode 600, `channel keygen`'s file): devices in a private
	/// channel seal their readings under the channel's current epoch key, opened with it, as a
	/// device given that key would (`{"sealed": …}` messages; the broker sees no values).
	#[arg(long)]
	channel_secret_file: Option<std::path::PathBuf>,
}

/// How `--tamper` spoils an obligation request.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Tamper {
	Replay,
	Amount,
	Expired,
	Resend,
}

/// The key pair of simulated device `index`.
pub(crate) fn device_key(seed: &str, index: u32) -> DeviceKeypair {
	let secret = sp_io::hashing::blake2_256(&(seed, index).encode());
	DeviceKeypair::from_seed(KeyScheme::Ed25519, secret).expect("ed25519 takes any 32 bytes; qed")
}

/// A plausible cold-chain reading: temperature around -18 °C and the battery draining.
fn reading(pair: &DeviceKeypair, genesis: &H256, seq: u64) -> SignedReading {
	let device = pair.key.device_id();
	let wobble = (sp_io::hashing::blake2_256(&(device, seq).encode())[0] as i64) * 8 - 1_024;
	let mut r = SignedReading {
		device,
		seq,
		timestamp_ms: now_ms(),
		metrics: vec![
			Metric { id: metric::TEMPERATURE_MILLI_C, value: -18_000 + wobble },
			Metric { id: metric::BATTERY_MV, value: 3_700 - (seq / 100) as i64 },
		],
		signature: DeviceSignature::Ed25519([0; 64]),
	};
	r.signature = pair.sign(&r.payload(genesis));
	r
}

/// Devices registered and bound per `utility.batchAll`: well within one extrinsic's weight
/// (a registration is charged the P-256 proof's worst case before it is refunded).
const DEVICES_PER_BATCH: usize = 100;
/// Registration batches submitted and not yet finalized, at most.
const BATCHES_IN_FLIGHT: usize = 8;

async fn register(
	chain: &Chain,
	pairs: &[DeviceKeypair],
	owner: &AccountId,
	gateway: &AccountId,
) -> anyhow::Result<()> {
	use crate::chain::port::AnchorChain;
	use subxt::ext::futures::{stream, StreamExt, TryStreamExt};
	let genesis = chain.genesis();
	// What the chain knows of each device, asked a few at a time.
	let infos: Vec<_> = stream::iter(pairs)
		.map(|pair| async move { chain.device(&pair.key.device_id()).await })
		.buffered(16)
		.try_collect()
		.await
		.map_err(anyhow::Error::msg)?;
	let mut batches: Vec<Vec<Call>> = Vec::new();
	for (chunk, infos) in pairs.chunks(DEVICES_PER_BATCH).zip(infos.chunks(DEVICES_PER_BATCH)) {
		let mut calls = Vec::new();
		for (pair, info) in chunk.iter().zip(infos) {
			let id = pair.key.device_id();
			if info.is_none() {
				let proof = pair.sign(&registration_payload(&genesis, owner, &pair.key));
				let metadata = pallet_devices_runtime_api::MetadataInfo {
					model: b"iotrust simulator".to_vec(),
					serial_hash: H256::zero(),
					uri: vec![],
				};
				calls.push(Call::new(&interface::REGISTER, &(pair.key, metadata, proof)));
			}
			if info.as_ref().is_none_or(|i| i.gateway.as_ref() != Some(gateway)) {
				calls.push(Call::new(&interface::BIND_GATEWAY, &(id, gateway)));
			}
		}
		if !calls.is_empty() {
			batches.push(calls);
		}
	}
	if batches.is_empty() {
		info!("all {} devices are registered and bound", pairs.len());
		return Ok(());
	}
	if gateway != owner && !chain.serves(gateway, owner).await.map_err(anyhow::Error::msg)? {
		info!(
			"waiting for gateway {} to serve owner {} (iotrust-gateway run --serve-owner)",
			chain::ss58(gateway),
			chain::ss58(owner)
		);
		let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
		while !chain.serves(gateway, owner).await.map_err(anyhow::Error::msg)? {
			anyhow::ensure!(
				std::time::Instant::now() < deadline,
				"gateway {} does not serve owner {}: devices cannot be bound to it",
				chain::ss58(gateway),
				chain::ss58(owner)
			);
			tokio::time::sleep(std::time::Duration::from_secs(1)).await;
		}
	}
	let total: usize = batches.iter().map(Vec::len).sum();
	info!("registering and binding devices: {total} calls in {} batches", batches.len());
	// The batches are signed with consecutive nonces and several are in flight at once; each
	// must be finalized without failing.
	let mut nonce = chain.next_nonce().await.map_err(|e| anyhow::anyhow!("registration: {e}"))?;
	let mut flying = stream::FuturesUnordered::new();
	for (i, calls) in batches.iter().enumerate() {
		if flying.len() >= BATCHES_IN_FLIGHT {
			flying.next().await.transpose()?;
		}
		let call = chain.batch_all(calls).await.map_err(anyhow::Error::msg)?;
		let watch = chain
			.submit_call(&call, nonce)
			.await
			.map_err(|e| anyhow::anyhow!("registration batch {i}: {e}"))?;
		nonce += 1;
		flying.push(async move {
			watch.await.map(|_| ()).map_err(|e| anyhow::anyhow!("registration batch {i}: {e}"))
		});
	}
	while let Some(done) = flying.next().await {
		done?;
	}
	Ok(())
}

/// Run the simulator.
pub async fn run(args: Args) -> anyhow::Result<()> {
	let owner_pair = chain::keypair(&args.owner).map_err(anyhow::Error::msg)?;
	let owner: AccountId = owner_pair.public_key().0;
	let gateway: AccountId = sp_core::crypto::AccountId32::from_ss58check(&args.gateway)
		.map_err(|e| anyhow::anyhow!("gateway {:?} is not an SS58 address: {e:?}", args.gateway))?
		.into();
	let chain = Chain::connect(&args.node, Some(owner_pair)).await.map_err(anyhow::Error::msg)?;
	let genesis = chain.genesis();
	let pairs: Vec<DeviceKeypair> = (0..args.devices).map(|i| device_key(&args.seed, i)).collect();
	register(&chain, &pairs, &owner, &gateway).await?;
	for pair in &pairs {
		println!(
			"{}",
			serde_json::json!({ "device": crate::ingest::telemetry::hex0x(pair.key.device_id().as_bytes()) })
		);
	}
	if args.register_only {
		return Ok(());
	}
	if let Some(terms) = &args.obligation {
		let pair = pairs.first().context("--obligation needs at least one device")?;
		return request_obligation(&chain, &args, pair, terms, &gateway).await;
	}

	let broker = args.broker.clone().resolve().map_err(anyhow::Error::msg)?;
	let mut opts = broker.options(&format!("iotrust-sim-{}", now_ms()));
	opts.set_inflight(1_000);
	let (client, mut eventloop) = AsyncClient::new(opts, 10_000);
	let acked = Arc::new(AtomicU64::new(0));
	let counter = acked.clone();
	tokio::spawn(async move {
		loop {
			match eventloop.poll().await {
				Ok(Event::Incoming(Packet::PubAck(_))) => {
					counter.fetch_add(1, Ordering::Relaxed);
				},
				Ok(Event::Outgoing(Outgoing::Disconnect)) => return,
				Ok(_) => {},
				Err(e) => {
					tracing::warn!("MQTT: {e}");
					tokio::time::sleep(Duration::from_millis(500)).await;
				},
			}
		}
	});

	let sealing = sealing_keys(&chain, &args, &pairs, owner).await?;
	let interval = Duration::from_secs_f64(1.0 / args.rate.max(1) as f64);
	let mut tick = tokio::time::interval(interval);
	tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
	let mut published = 0u64;
	let started = std::time::Instant::now();
	for seq in args.start_seq..args.start_seq + args.readings {
		for pair in &pairs {
			tick.tick().await;
			let r = reading(pair, &genesis, seq);
			match sealing.get(&r.device) {
				Some((channel, epoch, key)) => {
					let sealed = SealedReading::seal(key, *channel, *epoch, &r, false);
					let body =
						serde_json::to_vec(&serde_json::json!({ "sealed": sealed.to_value() }))?;
					client.publish(topic(&r.device), QoS::AtLeastOnce, false, body).await?;
				},
				None => publish(&client, &r).await?,
			}
			published += 1;
		}
	}
	let mut bad = 0u64;
	if args.bad > 0 {
		bad = publish_bad(&client, &pairs, &genesis, &args, args.start_seq + args.readings).await?;
	}
	let total = published + bad;
	// Publishing only queues a message: wait until the broker has acknowledged all of them
	// (bounded: twice the time spent publishing, at least a minute).
	let queued_for = started.elapsed();
	let deadline = std::time::Instant::now() + (queued_for * 2).max(Duration::from_secs(60));
	while acked.load(Ordering::Relaxed) < total && std::time::Instant::now() < deadline {
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
	let seconds = started.elapsed().as_secs_f64();
	let delivered = acked.load(Ordering::Relaxed);
	client.disconnect().await.ok();
	println!(
		"{}",
		serde_json::json!({
			"published": published,
			"bad": bad,
			"acknowledgedByBroker": delivered,
			"seconds": seconds,
			"perSecond": delivered.min(published) as f64 / seconds.max(0.001),
		})
	);
	if delivered < total {
		anyhow::bail!("the broker acknowledged {delivered} of {total} messages in time");
	}
	Ok(())
}

/// For each device in a private channel, the channel, its current epoch and that epoch's key
/// (opened for `owner` with `--channel-secret-file`); none without the file.
async fn sealing_keys(
	chain: &Chain,
	args: &Args,
	pairs: &[DeviceKeypair],
	owner: AccountId,
) -> anyhow::Result<std::collections::HashMap<DeviceId, (u32, u32, iotrust_crypto::EpochKey)>> {
	let mut out = std::collections::HashMap::new();
	let Some(path) = &args.channel_secret_file else { return Ok(out) };
	let keyring = crate::keyring::Keyring::new(
		owner,
		crate::secret::read_channel_secret(path, "--channel-secret-file")?,
	);
	let devices: Vec<DeviceId> = pairs.iter().map(|p| p.key.device_id()).collect();
	let channels = chain.device_channels(&devices).await.map_err(anyhow::Error::msg)?;
	for (device, channel) in devices.into_iter().zip(channels) {
		let Some(channel) = channel else { continue };
		let info = chain
			.channel(channel)
			.await
			.map_err(anyhow::Error::msg)?
			.with_context(|| format!("channel {channel} has no record"))?;
		let key = keyring.key(chain, channel, info.epoch).await?;
		out.insert(device, (channel, info.epoch, key));
	}
	Ok(out)
}

/// Queue `r` on its device's telemetry topic.
async fn publish(client: &AsyncClient, r: &SignedReading) -> anyhow::Result<()> {
	let body = serde_json::to_vec(&reading_to_value(r))?;
	client.publish(topic(&r.device), QoS::AtLeastOnce, false, body).await?;
	Ok(())
}

/// `args.bad` each of: malformed JSON, a bad signature, an unknown device, a replayed sequence
/// number (a different reading signed for sequence number `args.start_seq`). `next` is the
/// first unused sequence number (bad signatures use it, so they never take a number).
async fn publish_bad(
	client: &AsyncClient,
	pairs: &[DeviceKeypair],
	genesis: &H256,
	args: &Args,
	next: u64,
) -> anyhow::Result<u64> {
	let pair = pairs.first().context("--bad needs at least one device")?;
	let device: DeviceId = pair.key.device_id();
	let stranger = device_key("iotrust-sim-unregistered", 0);
	let mut sent = 0u64;
	for i in 0..args.bad {
		let malformed = format!("{{\"device\": \"{device:?}\", \"seq\": ");
		client.publish(topic(&device), QoS::AtLeastOnce, false, malformed.into_bytes()).await?;

		let mut forged = reading(pair, genesis, next);
		forged.metrics[0].value += 1 + i as i64;
		publish(client, &forged).await?;

		let unknown = reading(&stranger, genesis, u64::from(i));
		publish(client, &unknown).await?;

		let mut replayed = reading(pair, genesis, args.start_seq);
		replayed.metrics[1].value = -(i64::from(i) + 1);
		replayed.signature = pair.sign(&replayed.payload(genesis));
		publish(client, &replayed).await?;
		sent += 4;
	}
	Ok(sent)
}

/// Publish `pair`'s signed request for an obligation (`OFFER:AMOUNT`) and wait for the
/// gateway's reply (at most 2 minutes), which must be signed by the device's gateway
/// (`--gateway`); print each reply as a JSON line.
async fn request_obligation(
	chain: &Chain,
	args: &Args,
	pair: &DeviceKeypair,
	terms: &str,
	gateway: &AccountId,
) -> anyhow::Result<()> {
	use crate::ingest::telemetry::{reply_topic, request_topic};
	use crate::relay::Reply;
	use iotrust_primitives::obligations::ObligationRequest;
	let (offer, amount) = terms.split_once(':').context("--obligation is OFFER:AMOUNT")?;
	let terms: ObligationRequest<iotrust_primitives::Balance> = ObligationRequest {
		offer: offer.parse()?,
		amount: amount.parse()?,
		note: b"simulated".to_vec(),
	};
	let device = pair.key.device_id();
	let mut nonce = chain.obligation_nonce(&device).await.map_err(anyhow::Error::msg)?;
	if args.tamper == Some(Tamper::Replay) {
		nonce =
			nonce.checked_sub(1).context("--tamper replay: the device has asked nothing yet")?;
	}
	let (finalized, _) = chain.finalized_number().await.map_err(anyhow::Error::msg)?;
	let finalized = u32::try_from(finalized)?;
	let valid_until = match args.tamper {
		Some(Tamper::Expired) => finalized.saturating_sub(1),
		_ => finalized.saturating_add(args.valid_for),
	};
	let payload = iotrust_primitives::device::obligation_payload(
		&chain.genesis(),
		&device,
		nonce,
		valid_until,
		&terms,
	);
	let sent_amount = terms.amount + u128::from(args.tamper == Some(Tamper::Amount));
	let request = serde_json::json!({
		"id": format!("sim-{}", now_ms()),
		"offer": terms.offer,
		"amount": sent_amount.to_string(),
		"note": crate::ingest::telemetry::hex0x(&terms.note),
		"nonce": nonce,
		"validUntil": valid_until,
		"signature": crate::ingest::telemetry::signature_to_json(&pair.sign(&payload)),
	});
	let mut sends = if args.tamper == Some(Tamper::Resend) { 2 } else { 1 };
	let broker = args.broker.clone().resolve().map_err(anyhow::Error::msg)?;
	let (client, mut eventloop) =
		AsyncClient::new(broker.options(&format!("iotrust-sim-{}", now_ms())), 16);
	client.subscribe(reply_topic(&device), QoS::AtLeastOnce).await?;
	let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
	let publish =
		|| client.publish(request_topic(&device), QoS::AtLeastOnce, false, request.to_string());
	let mut sent = false;
	loop {
		let event = tokio::time::timeout_at(deadline, eventloop.poll())
			.await
			.map_err(|_| anyhow::anyhow!("no reply from the gateway within 2 minutes"))?;
		match event {
			Ok(Event::Incoming(Packet::SubAck(_))) if !sent => {
				publish().await?;
				info!("device {device:?} asked for {terms:?} with nonce {nonce} until block {valid_until}");
				sent = true;
			},
			Ok(Event::Incoming(Packet::Publish(p))) => {
				let reply: serde_json::Value = serde_json::from_slice(&p.payload)?;
				if reply["id"] != request["id"] {
					continue;
				}
				println!("{}", serde_json::json!({ "reply": reply }));
				// A device believes only its gateway (anyone on the broker can publish here), and
				// only a reply to this request's nonce: anything else it ignores.
				let checked = match Reply::verify(&reply, &chain.genesis(), &device, gateway) {
					Ok(checked) if checked.nonce == Some(nonce) => checked,
					Ok(_) => {
						tracing::warn!("a reply for another nonce, ignored: {reply}");
						continue;
					},
					Err(why) => {
						tracing::warn!("a reply not to be believed ({why}), ignored: {reply}");
						continue;
					},
				};
				sends -= 1;
				if sends > 0 {
					publish().await?;
					info!("device {device:?}: the same signed request sent again");
					continue;
				}
				client.disconnect().await.ok();
				anyhow::ensure!(
					checked.status == "created",
					"the obligation was not created: {reply}"
				);
				return Ok(());
			},
			Ok(_) => {},
			Err(e) => {
				tracing::warn!("MQTT: {e}");
				tokio::time::sleep(Duration::from_millis(500)).await;
			},
		}
	}
}
