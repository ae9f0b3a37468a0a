//! The gateway daemon, wired together: MQTT ingest ([`ingest`]) checks each message
//! ([`crate::validate`]) and stores the readings; the anchorer ([`crate::anchorer`]) batches and
//! anchors them; a watcher keeps the device cache true to finalized blocks and looks out for
//! another gateway anchoring with this account; HTTP serves proofs, listings and metrics.
//!
//! Delivery is at least once end to end: MQTT messages (QoS 1, a persistent session under a
//! fixed client id) are acknowledged only after the readings they carry are committed to the
//! database, so the broker redelivers whatever a crash interrupted and the database drops the
//! duplicates. A batch is stored before it is submitted and looked up on chain by its number
//! after a restart; the chain takes a batch number once per account, so nothing is anchored
//! twice.

use crate::{
	anchorer::{AnchorChain, Anchorer, Settings},
	cache::{CacheLimits, DeviceCache},
	chain::{self, AccountId, Chain, ChainEvent},
	config::Config,
	http,
	stats::{Backlog, Stats},
	store::{Accepted, Store},
	telemetry::TOPIC_FILTER,
	validate::Validator,
};
use anyhow::Context;
use rumqttc::{AsyncClient, Event, Packet, Publish, QoS};
use std::{sync::Arc, time::Duration};
use tokio::{net::TcpListener, sync::mpsc};
use tracing::{error, info, warn};

/// Connect to the node, waiting until it answers; the connection is made again whenever it is
/// lost.
pub async fn connect(url: &str, signer: Option<subxt_signer::sr25519::Keypair>) -> Chain {
	loop {
		// The client itself retries a connection that fails; say so now and then.
		match tokio::time::timeout(
			Duration::from_secs(10),
			Chain::connect_lasting(url, signer.clone()),
		)
		.await
		{
			Ok(Ok(chain)) => return chain,
			Ok(Err(e)) => {
				warn!("{e}; retrying in 2 s");
				tokio::time::sleep(Duration::from_secs(2)).await;
			},
			Err(_) => warn!("the node at {url} does not answer yet; still trying"),
		}
	}
}

/// What the database holds now.
pub fn backlog(store: &Store) -> Backlog {
	Backlog {
		pending: store.pending_count().unwrap_or_default(),
		aside: store.aside_count().unwrap_or_default(),
		unsettled: store.unsettled_count().unwrap_or_default(),
	}
}

/// Run the gateway until Ctrl-C or SIGTERM, or until it finds another gateway anchoring with
/// its account.
pub async fn run(config: Config) -> anyhow::Result<()> {
	let signer = chain::keypair(&config.account).map_err(anyhow::Error::msg)?;
	let store = Arc::new(Store::open(&config.db).with_context(|| {
		format!("opening {} (is another gateway using it?)", config.db.display())
	})?);
	let chain = Arc::new(connect(&config.node, Some(signer)).await);
	let me = chain.account().context("a signing account")?;
	let stats = Arc::new(Stats::default());
	stats.connected(true);
	let cache = Arc::new(DeviceCache::new(CacheLimits::default()));
	info!(
		"gateway account {} on {} (genesis {:?}), database {}",
		chain::ss58(&me),
		config.node,
		chain.genesis(),
		config.db.display()
	);

	serve_owners(&chain, &me, &config.serve_owners).await?;
	let limits = chain.limits().await.context("reading the chain's batch limits")?;

	let anchorer = Anchorer::new(
		chain.clone(),
		store.clone(),
		stats.clone(),
		Settings {
			max_readings: config.batch_max_readings,
			max_devices: config.batch_max_devices,
			window: Duration::from_millis(config.batch_window_ms),
			max_in_flight: config.max_in_flight,
			retry: Duration::from_secs(2),
			recheck: Duration::from_secs(30),
		},
	);
	anchorer.reconcile_numbering().await?;

	let listener = TcpListener::bind(&config.http)
		.await
		.with_context(|| format!("binding {}", config.http))?;
	info!("serving proofs, listings and metrics on http://{}", config.http);
	tokio::spawn(http::serve(listener, store.clone(), stats.clone(), http::Limits::default()));
	tokio::spawn(progress(store.clone(), stats.clone(), config.progress_secs));
	let validator = Arc::new(Validator::new(
		chain.clone(),
		cache.clone(),
		me,
		chain.genesis(),
		limits.max_metrics,
	));

	tokio::select! {
		r = ingest(validator, store.clone(), stats.clone(), &config) => r,
		halt = anchorer.run() => Err(anyhow::Error::new(halt).context("the anchorer stopped")),
		e = watch(chain.clone(), cache, store.clone(), stats.clone(), me) => Err(e),
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

/// Follow finalized blocks: forget cached device records they change (everything, each time
/// the subscription starts again: blocks may have been missed), and stop the gateway if one
/// shows a batch from this account that this database did not build. Returns only then.
async fn watch(
	chain: Arc<Chain>,
	cache: Arc<DeviceCache>,
	store: Arc<Store>,
	stats: Arc<Stats>,
	me: AccountId,
) -> anyhow::Error {
	loop {
		cache.clear();
		let mut foreign = None;
		let result = chain
			.watch_finalized(|event| match event {
				ChainEvent::Device(device) => {
					cache.forget(&device);
					true
				},
				ChainEvent::Anchored { gateway, batch, root } if gateway == me => {
					match store.head(batch) {
						Ok(Some(head)) if head.root == root => true,
						Ok(other) => {
							foreign = Some((batch, root, other.map(|h| h.root)));
							false
						},
						Err(e) => {
							error!("{e}");
							true
						},
					}
				},
				ChainEvent::Anchored { .. } => true,
			})
			.await;
		if let Some((batch, root, ours)) = foreign {
			stats.collision();
			return anyhow::anyhow!(
				"a finalized block holds batch {batch} from this gateway's account with root {root:?}, which this database {}: another gateway anchors with this account. Stop it; this one stops now",
				match ours {
					Some(r) => format!("built with root {r:?}"),
					None => "never built".into(),
				}
			);
		}
		stats.connected(false);
		if let Err(e) = result {
			warn!("following finalized blocks: {e}; again in 2 s");
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
		stats.connected(true);
	}
}

/// Log the backlog, what was anchored and the rates.
async fn progress(store: Arc<Store>, stats: Arc<Stats>, secs: u64) {
	let mut tick = tokio::time::interval(Duration::from_secs(secs));
	tick.tick().await;
	loop {
		tick.tick().await;
		let store = store.clone();
		let Ok(backlog) = tokio::task::spawn_blocking(move || backlog(&store)).await else {
			continue;
		};
		let s = stats.json(backlog);
		info!(
			"progress: backlog {} readings; {} set aside; anchored {} batches / {} readings ({:.0}/s); {} in flight; accepted {} ({:.0}/s); rejected {}; latency p50 {} ms p95 {} ms",
			s["backlog"], s["setAside"], s["batchesAnchored"], s["readingsAnchored"],
			s["anchoredPerSecond"].as_f64().unwrap_or_default(), s["inFlight"],
			s["accepted"], s["ingestedPerSecond"].as_f64().unwrap_or_default(), s["rejectedTotal"],
			s["latencyMs"]["p50"], s["latencyMs"]["p95"],
		);
	}
}

/// Subscribe and feed every telemetry message through the validator into the database,
/// acknowledging a group of messages once its readings are committed.
async fn ingest(
	validator: Arc<Validator<Chain>>,
	store: Arc<Store>,
	stats: Arc<Stats>,
	config: &Config,
) -> anyhow::Result<()> {
	let mut opts = config.broker.options(&config.client_id);
	opts.set_clean_session(false);
	opts.set_manual_acks(true);
	opts.set_max_packet_size(64 * 1024, 64 * 1024);
	let (client, mut eventloop) = AsyncClient::new(opts, 10_000);
	// The event loop must never wait on the ingest loop: it is what sends the acknowledgements
	// (and keep-alive pings) that the ingest loop queues. Unbounded, then; what it holds is what
	// the broker sent and the gateway has not acknowledged yet.
	let (tx, mut rx) = mpsc::unbounded_channel::<Publish>();
	let subscriber = client.clone();
	let broker = config.broker.clone();
	tokio::spawn(async move {
		loop {
			match eventloop.poll().await {
				Ok(Event::Incoming(Packet::Publish(p))) => {
					if tx.send(p).is_err() {
						return;
					}
				},
				Ok(Event::Incoming(Packet::ConnAck(_))) => {
					info!("connected to the MQTT broker {broker}; subscribing to {TOPIC_FILTER}");
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
			match validator.check(&p.topic, &p.payload).await {
				Ok(reading) => fresh.push(reading),
				Err(r) => {
					stats.rejected(r.reason);
					warn!("rejected a message on {}: {} ({})", p.topic, r.reason.name(), r.detail);
				},
			}
		}
		let db = store.clone();
		let (fresh, outcomes) =
			tokio::task::spawn_blocking(move || db.accept(&fresh).map(|o| (fresh, o))).await??;
		let mut new = 0;
		for (reading, outcome) in fresh.iter().zip(outcomes) {
			match outcome {
				Accepted::New => new += 1,
				Accepted::Duplicate => stats.duplicate(),
				Accepted::Replayed { last } => {
					stats.rejected(crate::stats::Reject::ReplayedSequence);
					warn!(
						"rejected reading {} of device {:?}: replayed_sequence (already accepted up to {last})",
						reading.seq, reading.device,
					);
				},
			}
		}
		stats.accepted(new);
		for p in group.drain(..) {
			client.ack(&p).await?;
		}
	}
	Ok(())
}
