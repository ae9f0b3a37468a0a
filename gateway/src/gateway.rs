//! The gateway daemon: MQTT telemetry in, checked against the devices' keys on chain, stored,
//! batched, anchored, proved.
//!
//! Delivery is at least once end to end: MQTT messages (QoS 1, a persistent session under a
//! fixed client id) are acknowledged only after the readings they carry are committed to the
//! database, so the broker redelivers whatever a crash interrupted and the database drops the
//! duplicates. Batches are anchored one at a time, each waited on until it is in a finalized
//! block; a batch stored but not seen anchored is looked up on chain by its number after a
//! restart and resubmitted only if it is not there, and the chain refuses a batch number twice,
//! so nothing is anchored twice.

use crate::{
	batch::{BatchStatus, Limits},
	chain::{self, AccountId, Chain, DeviceInfo, SubmitError},
	config::Config,
	http,
	stats::{now_ms, Reject, Stats},
	store::{Accepted, Store},
	telemetry::{device_of_topic, parse_reading, TOPIC_FILTER},
};
use anyhow::Context;
use iotrust_primitives::{device::DeviceId, merkle::SignedReading};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, Publish, QoS};
use sp_core::H256;
use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};
use tokio::{net::TcpListener, sync::mpsc};
use tracing::{error, info, warn};

/// The chain's limits on one batch (`MaxDevicesPerBatch`, `MaxMetrics`).
pub const MAX_DEVICES: usize = 100;
const MAX_METRICS: usize = 8;
/// How long an "unknown device" answer is trusted before the chain is asked again.
const NEGATIVE_TTL: Duration = Duration::from_secs(5);

/// Device records read from the chain, dropped when a finalized block changes them.
#[derive(Default)]
struct DeviceCache(Mutex<HashMap<DeviceId, (Option<DeviceInfo>, Instant)>>);

impl DeviceCache {
	fn get(&self, device: &DeviceId) -> Option<Option<DeviceInfo>> {
		let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
		match map.get(device) {
			Some((None, at)) if at.elapsed() > NEGATIVE_TTL => None,
			Some((info, _)) => Some(info.clone()),
			None => None,
		}
	}

	fn put(&self, device: DeviceId, info: Option<DeviceInfo>) {
		self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(device, (info, Instant::now()));
	}

	fn forget(&self, device: &DeviceId) {
		self.0.lock().unwrap_or_else(|p| p.into_inner()).remove(device);
	}
}

struct Gateway {
	chain: Arc<Chain>,
	me: AccountId,
	genesis: H256,
	store: Arc<Store>,
	stats: Arc<Stats>,
	cache: Arc<DeviceCache>,
}

/// Connect to the node, retrying until it answers.
pub async fn connect(url: &str, signer: Option<subxt_signer::sr25519::Keypair>) -> Chain {
	loop {
		match Chain::connect(url, signer.clone()).await {
			Ok(chain) => return chain,
			Err(e) => {
				warn!("{e}; retrying in 2 s");
				tokio::time::sleep(Duration::from_secs(2)).await;
			},
		}
	}
}

/// Run the gateway until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
	let signer = chain::keypair(&config.account).map_err(anyhow::Error::msg)?;
	let store = Arc::new(Store::open(&config.db).map_err(anyhow::Error::msg)?);
	let chain = Arc::new(connect(&config.node, Some(signer)).await);
	let me = chain.account().context("a signing account")?;
	let gw = Arc::new(Gateway {
		genesis: chain.genesis(),
		chain,
		me,
		store,
		stats: Arc::new(Stats::default()),
		cache: Arc::new(DeviceCache::default()),
	});
	info!(
		"gateway account {} on {} (genesis {:?}), database {}",
		chain::ss58(&me),
		config.node,
		gw.genesis,
		config.db.display()
	);

	serve_owners(&gw.chain, &me, &config.serve_owners).await?;

	let listener = TcpListener::bind(&config.http)
		.await
		.with_context(|| format!("binding {}", config.http))?;
	info!("serving proofs and stats on http://{}", config.http);
	tokio::spawn(http::serve(listener, gw.store.clone(), gw.stats.clone()));
	tokio::spawn(watch_devices(gw.clone()));
	tokio::spawn(progress(gw.clone(), config.progress_secs));
	tokio::spawn(anchor_loop(gw.clone(), config.clone()));

	tokio::select! {
		r = ingest(gw.clone(), &config) => r,
		_ = shutdown_signal() => {
			info!("stopping");
			Ok(())
		},
	}
}

/// Record on chain that this gateway serves each of `owners` it does not serve yet, so they can
/// bind their devices to it.
async fn serve_owners(chain: &Chain, me: &AccountId, owners: &[AccountId]) -> anyhow::Result<()> {
	let mut calls = Vec::new();
	for owner in owners {
		if !chain.serves(me, owner).await.map_err(anyhow::Error::msg)? {
			calls.push(chain::Call::new("Devices", "serve_owner", owner));
		}
	}
	if calls.is_empty() {
		return Ok(());
	}
	let count = calls.len();
	chain
		.submit(&calls)
		.await
		.map_err(|e| anyhow::anyhow!("recording consent to serve {count} owner(s): {e}"))?;
	info!("now serving {count} more device owner(s) on chain");
	Ok(())
}

async fn shutdown_signal() {
	let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
	tokio::select! {
		_ = tokio::signal::ctrl_c() => {},
		_ = async { match term.as_mut() { Some(t) => { t.recv().await; }, None => std::future::pending().await } } => {},
	}
}

/// Drop cached device records that finalized blocks change; reconnects if the stream ends.
async fn watch_devices(gw: Arc<Gateway>) {
	loop {
		let cache = gw.cache.clone();
		if let Err(e) = gw.chain.watch_device_events(|device| cache.forget(&device)).await {
			warn!("device event subscription: {e}");
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
}

/// Log the backlog, what was anchored and the rates.
async fn progress(gw: Arc<Gateway>, secs: u64) {
	let mut tick = tokio::time::interval(Duration::from_secs(secs));
	tick.tick().await;
	loop {
		tick.tick().await;
		let s = gw.stats.json(gw.store.pending_count().unwrap_or_default());
		info!(
			"progress: backlog {} readings; anchored {} batches / {} readings ({:.0}/s); accepted {} ({:.0}/s); rejected {}; latency p50 {} ms p95 {} ms",
			s["backlog"], s["batchesAnchored"], s["readingsAnchored"], s["anchoredPerSecond"].as_f64().unwrap_or_default(),
			s["accepted"], s["ingestedPerSecond"].as_f64().unwrap_or_default(), s["rejectedTotal"],
			s["latencyMs"]["p50"], s["latencyMs"]["p95"],
		);
	}
}

/// Subscribe and feed every telemetry message through [`Gateway::check`] into the database,
/// acknowledging a group of messages once its readings are committed.
async fn ingest(gw: Arc<Gateway>, config: &Config) -> anyhow::Result<()> {
	let mut opts = MqttOptions::new(&config.client_id, &config.mqtt_host, config.mqtt_port);
	opts.set_keep_alive(Duration::from_secs(15));
	opts.set_clean_session(false);
	opts.set_manual_acks(true);
	opts.set_max_packet_size(64 * 1024, 64 * 1024);
	let (client, mut eventloop) = AsyncClient::new(opts, 10_000);
	// The event loop must never wait on the ingest loop: it is what sends the acknowledgements
	// (and keep-alive pings) that the ingest loop queues. Unbounded, then; what it holds is what
	// the broker sent and the gateway has not acknowledged yet.
	let (tx, mut rx) = mpsc::unbounded_channel::<Publish>();
	let subscriber = client.clone();
	tokio::spawn(async move {
		loop {
			match eventloop.poll().await {
				Ok(Event::Incoming(Packet::Publish(p))) => {
					if tx.send(p).is_err() {
						return;
					}
				},
				Ok(Event::Incoming(Packet::ConnAck(_))) => {
					info!("connected to the MQTT broker; subscribing to {TOPIC_FILTER}");
					if let Err(e) = subscriber.subscribe(TOPIC_FILTER, QoS::AtLeastOnce).await {
						warn!("subscribe: {e}");
					}
				},
				Ok(_) => {},
				Err(e) => {
					warn!("MQTT: {e}; reconnecting in 1 s");
					tokio::time::sleep(Duration::from_secs(1)).await;
				},
			}
		}
	});

	let mut group = Vec::new();
	while let Some(first) = rx.recv().await {
		group.push(first);
		while group.len() < 1_000 {
			match rx.try_recv() {
				Ok(p) => group.push(p),
				Err(_) => break,
			}
		}
		let mut fresh = Vec::new();
		for p in &group {
			match gw.check(&p.topic, &p.payload).await {
				Ok(reading) => fresh.push(reading),
				Err((why, detail)) => {
					gw.stats.rejected(why);
					warn!("rejected a message on {}: {} ({detail})", p.topic, why.name());
				},
			}
		}
		let store = gw.store.clone();
		let outcomes =
			tokio::task::spawn_blocking(move || store.accept(&fresh).map(|o| (fresh, o)))
				.await?
				.map_err(anyhow::Error::msg)?;
		let (fresh, outcomes) = outcomes;
		let mut new = 0;
		for (reading, outcome) in fresh.iter().zip(outcomes) {
			match outcome {
				Accepted::New => new += 1,
				Accepted::Duplicate => gw.stats.duplicate(),
				Accepted::Replayed { last } => {
					gw.stats.rejected(Reject::ReplayedSequence);
					warn!(
						"rejected reading {} of device {:?}: {} (already accepted up to {last})",
						reading.seq,
						reading.device,
						Reject::ReplayedSequence.name()
					);
				},
			}
		}
		gw.stats.accepted(new);
		for p in group.drain(..) {
			client.ack(&p).await?;
		}
	}
	Ok(())
}

impl Gateway {
	/// The chain's record of `device`, from the cache or the chain (retrying while the chain is
	/// unreachable: a reading is never judged without it).
	async fn device(&self, device: &DeviceId) -> Option<DeviceInfo> {
		if let Some(info) = self.cache.get(device) {
			return info;
		}
		loop {
			match self.chain.device(device).await {
				Ok(info) => {
					self.cache.put(*device, info.clone());
					return info;
				},
				Err(e) => {
					warn!("looking up device {device:?}: {e}; retrying");
					tokio::time::sleep(Duration::from_secs(1)).await;
				},
			}
		}
	}

	/// Check one message; the reading if it may be accepted, else why not.
	async fn check(&self, topic: &str, payload: &[u8]) -> Result<SignedReading, (Reject, String)> {
		let topic_device = device_of_topic(topic)
			.ok_or((Reject::TopicMismatch, "not a telemetry topic".into()))?;
		let reading = parse_reading(payload).map_err(|e| (Reject::BadJson, e))?;
		if reading.device != topic_device {
			return Err((Reject::TopicMismatch, "the payload names another device".into()));
		}
		let mut ids: Vec<u16> = reading.metrics.iter().map(|m| m.id).collect();
		ids.sort_unstable();
		ids.dedup();
		if ids.len() != reading.metrics.len() || ids.len() > MAX_METRICS {
			return Err((Reject::TooManyMetrics, format!("{} metrics", reading.metrics.len())));
		}
		let info = self
			.device(&reading.device)
			.await
			.ok_or((Reject::UnknownDevice, format!("{:?}", reading.device)))?;
		if info.status != 0 {
			return Err((Reject::InactiveDevice, "suspended or revoked".into()));
		}
		if info.gateway != Some(self.me) {
			return Err((Reject::NotOurDevice, "bound to another gateway or none".into()));
		}
		if !info.key.verify(&reading.payload(&self.genesis), &reading.signature) {
			return Err((Reject::BadSignature, format!("seq {}", reading.seq)));
		}
		Ok(reading)
	}

	/// See batch `number` to the end: anchored in a finalized block, or refused for good.
	async fn settle(&self, batch: crate::batch::Batch, look_first: bool) {
		let mut look = look_first;
		loop {
			if look {
				match self.chain.anchor_by_batch(&self.me, batch.number).await {
					Ok(Some(anchor)) => {
						info!("batch {} is already anchored as anchor {anchor}", batch.number);
						self.anchored(&batch, anchor, H256::zero());
						return;
					},
					Ok(None) => {},
					Err(e) => {
						warn!("looking up batch {}: {e}; retrying", batch.number);
						tokio::time::sleep(Duration::from_secs(2)).await;
						continue;
					},
				}
			}
			match self.chain.anchor_batch(&batch).await {
				Ok((anchor, block)) => {
					self.anchored(&batch, anchor, block);
					return;
				},
				Err(SubmitError::Dispatch(e)) if e.contains("BatchAlreadyAnchored") => look = true,
				Err(SubmitError::Dispatch(e)) => {
					error!("batch {} refused by the chain: {e}", batch.number);
					self.stats.failed();
					if let Err(e) =
						self.store.set_status(batch.number, BatchStatus::Failed { reason: e })
					{
						error!("{e}");
					}
					return;
				},
				Err(SubmitError::Other(e)) => {
					warn!("submitting batch {}: {e}; retrying in 2 s", batch.number);
					tokio::time::sleep(Duration::from_secs(2)).await;
					look = true;
				},
			}
		}
	}

	fn anchored(&self, batch: &crate::batch::Batch, anchor: u64, block: H256) {
		let finalized_ms = now_ms();
		let status = BatchStatus::Anchored { anchor, block, finalized_ms };
		if let Err(e) = self.store.set_status(batch.number, status) {
			error!("{e}");
			return;
		}
		self.stats.anchored(batch.readings.iter().map(|r| r.timestamp_ms), finalized_ms);
		info!(
			"batch {} anchored as anchor {anchor}: {} readings from {} devices, root {:?}",
			batch.number,
			batch.readings.len(),
			batch.ranges.len(),
			batch.root
		);
	}
}

/// Settle what a previous run left, then cut and anchor batches one after another.
async fn anchor_loop(gw: Arc<Gateway>, config: Config) {
	match gw.store.unanchored() {
		Ok(left) => {
			if !left.is_empty() {
				info!("resuming {} batch(es) stored but not seen anchored", left.len());
			}
			for batch in left {
				gw.settle(batch, true).await;
			}
		},
		Err(e) => error!("{e}"),
	}
	let limits = Limits {
		max_devices: config.batch_max_devices,
		max_readings: config.batch_max_readings,
		max_metrics: MAX_METRICS,
	};
	let window = Duration::from_millis(config.batch_window_ms);
	let mut since: Option<Instant> = None;
	loop {
		let pending = gw.store.pending_count().unwrap_or_default();
		if pending == 0 {
			since = None;
		} else {
			let waited = since.get_or_insert_with(Instant::now).elapsed();
			if pending as usize >= config.batch_max_readings || waited >= window {
				match gw.store.take_batch(limits) {
					Ok(Some(batch)) => {
						since = Some(Instant::now());
						gw.settle(batch, false).await;
						continue;
					},
					Ok(None) => {},
					Err(e) => error!("{e}"),
				}
			}
		}
		tokio::time::sleep(Duration::from_millis(100)).await;
	}
}
