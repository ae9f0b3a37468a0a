//! The gateway daemon, wired together; each job lives in a module of its own:
//!
//! - [`crate::ingest`]: MQTT in, each message checked and the readings stored; devices'
//!   obligation requests handed to the relay;
//! - [`crate::relay`]: those requests checked and turned into calls, which the anchorer submits
//!   with the account's nonces;
//! - [`crate::anchor`]: readings batched and anchored;
//! - [`crate::api`]: proofs, listings and metrics over HTTP;
//! - [`crate::group`]: a member gateway of a gateway group, instead of the anchorer and relay.
//!
//! What stays here is the wiring, and the follower of finalized blocks that tells the device
//! cache what they changed and looks out for another gateway anchoring with this account.
//!
//! Readings are delivered at least once end to end: MQTT messages (QoS 1, a persistent session
//! under a fixed client id) are acknowledged only after the readings they carry are committed to the
//! database, so the broker redelivers whatever a crash interrupted and the database drops the
//! duplicates. A batch is stored before it is submitted and looked up on chain by its number
//! after a restart; the chain takes a batch number once per account, so nothing is anchored
//! twice.

use crate::{
	anchor::{Anchorer, Settings},
	api,
	chain::port::AnchorChain,
	chain::{self, AccountId, Chain, ChainEvent},
	config::Config,
	group,
	ingest::cache::{self, CacheLimits, DeviceCache},
	ingest::sealed::Unsealer,
	ingest::validate::Validator,
	ingest::{ingest, RequestSink},
	keyring::{ChannelView, Keyring},
	lifecycle::Origin,
	relay::Relay,
	serving,
	stats::{backlog, Stats},
	store::Store,
};
use anyhow::Context;
use std::{sync::Arc, time::Duration};
use tokio::{net::TcpListener, sync::mpsc};
use tracing::{error, info, warn};

/// Run the gateway until Ctrl-C or SIGTERM, or until it finds another gateway anchoring with
/// its account.
pub async fn run(config: Config) -> anyhow::Result<()> {
	let signer = chain::keypair(&config.account).map_err(anyhow::Error::msg)?;
	let account = signer.clone();
	let store = Arc::new(Store::open(&config.db).with_context(|| {
		format!("opening {} (is another gateway using it?)", config.db.display())
	})?);
	let chain = Arc::new(Chain::connect_waiting(&config.node, Some(signer)).await);
	let signer = account;
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

	chain.check_interface().await.map_err(anyhow::Error::msg)?;
	let limits = chain.limits().await.context("reading the chain's batch limits")?;
	if let Some(group) = config.group {
		return run_member(config, group, signer, store, chain, stats, cache, limits).await;
	}
	serving::serve_owners(&chain, &me, &config.serve_owners).await?;

	let anchorer = Anchorer::new(
		chain.clone(),
		store.clone(),
		stats.clone(),
		Settings {
			max_readings: config.batch_max_readings,
			max_devices: config.batch_max_devices,
			window: Duration::from_millis(config.batch_window_ms),
			max_in_flight: config.max_in_flight,
			max_submitting: config.max_submitting,
			retry: Duration::from_secs(2),
			recheck: Duration::from_secs(30),
		},
	);
	anchorer.reconcile_numbering().await?;

	let (view, keyring) = channel_keys(&config, &chain, me);
	serve(&config, &store, &stats, &chain, view.clone(), keyring.clone()).await?;
	let unsealer = Arc::new(Unsealer::new(view.clone(), keyring));
	let validator = Arc::new(
		Validator::new(chain.clone(), cache.clone(), me, chain.genesis(), limits.max_metrics)
			.unsealing(unsealer),
	);

	let max_note = chain.max_note_len().await.map_err(anyhow::Error::msg)? as usize;
	let (calls, relayed) = mpsc::channel(64);
	let relay: Arc<dyn RequestSink> = Arc::new(Arc::new(Relay::new(
		chain.clone(),
		validator.clone(),
		signer.clone(),
		chain.genesis(),
		max_note,
		calls,
		stats.clone(),
	)));
	let anchorer = anchorer.relaying(relayed);
	tokio::spawn(cache::refresh(chain.clone(), cache.clone(), me, config.serve_owners.clone()));

	tokio::select! {
		r = ingest(validator, Some(relay), store.clone(), stats.clone(), &config.broker, &config.client_id, config.device_rate) => Ok(r?),
		halt = anchorer.run() => Err(anyhow::Error::new(halt).context("the anchorer stopped")),
		e = watch(chain.clone(), cache, store.clone(), stats.clone(), Some(me)) => Err(e),
		_ = shutdown_signal() => {
			info!("stopping");
			Ok(())
		},
	}
}

/// The chain's answers about channels, and the member's epoch keys if the gateway holds its
/// channel secret (whose account: `channel_account`, else `me`).
fn channel_keys(
	config: &Config,
	chain: &Arc<Chain>,
	me: AccountId,
) -> (Arc<ChannelView>, Option<Arc<Keyring>>) {
	let keyring = config.channel_keys.as_ref().map(|(secret, account)| {
		let account = account.unwrap_or(me);
		info!(
			"private devices' readings are opened and served sealed with the epoch keys of {}",
			chain::ss58(&account)
		);
		Arc::new(Keyring::new(account, secret.clone()))
	});
	(Arc::new(ChannelView::new(chain.clone())), keyring)
}

/// Serve proofs, listings and metrics over HTTP on `config.http`; log the progress line; probe
/// the node.
async fn serve(
	config: &Config,
	store: &Arc<Store>,
	stats: &Arc<Stats>,
	chain: &Arc<Chain>,
	view: Arc<ChannelView>,
	keyring: Option<Arc<Keyring>>,
) -> anyhow::Result<()> {
	let listener = TcpListener::bind(&config.http)
		.await
		.with_context(|| format!("binding {}", config.http))?;
	info!("serving proofs, listings and metrics on http://{}", config.http);
	let gate = Arc::new(api::access::Gate::new(view, store.clone(), keyring));
	// Document uploads as large as the chain's largest document, sealed.
	let largest = chain.max_document_size().await.context("reading Channels::MaxDocumentSize")?;
	let limits = api::Limits {
		max_document: largest as usize + api::documents::SEALING_OVERHEAD,
		..api::Limits::default()
	};
	tokio::spawn(api::serve(listener, store.clone(), stats.clone(), limits, Some(gate)));
	tokio::spawn(progress(store.clone(), stats.clone(), config.progress_secs));
	tokio::spawn(crate::retention::run(store.clone(), chain.clone()));
	tokio::spawn(probe(chain.clone(), stats.clone()));
	Ok(())
}

/// Run as a member gateway of gateway group `group` ([`crate::group`]): ingest as any gateway
/// does, for the devices bound to the group; anchor only with the group's signature; record
/// every anchor of the group. Device obligation requests are not relayed by group members.
#[allow(clippy::too_many_arguments)]
async fn run_member(
	config: Config,
	group: u32,
	signer: subxt_signer::sr25519::Keypair,
	store: Arc<Store>,
	chain: Arc<Chain>,
	stats: Arc<Stats>,
	cache: Arc<DeviceCache>,
	limits: crate::chain::port::ChainLimits,
) -> anyhow::Result<()> {
	let info = loop {
		match chain.group(group).await {
			Ok(Some(info)) => break info,
			Ok(None) => {
				warn!("group {group} does not exist on chain; waiting for the council to create it")
			},
			Err(e) => warn!("reading group {group}: {e}"),
		}
		tokio::time::sleep(Duration::from_secs(5)).await;
	};
	info!(
		"member of gateway group {group}, whose account is {}; its devices are bound to that account",
		chain::ss58(&info.account)
	);
	serving::approve_serving(&chain, group, &info.account, &config.serve_owners).await?;
	let me = chain.account().context("a signing account")?;
	let (view, keyring) = channel_keys(&config, &chain, me);
	serve(&config, &store, &stats, &chain, view, keyring).await?;
	let validator = Arc::new(Validator::new(
		chain.clone(),
		cache.clone(),
		info.account,
		chain.genesis(),
		limits.max_metrics,
	));
	let settings = group::Settings {
		group,
		round: Duration::from_millis(config.group_round_ms),
		window: Duration::from_millis(config.batch_window_ms),
		limits: crate::anchor::policy::limits(
			config.batch_max_devices,
			config.batch_max_readings,
			limits,
		),
		rest_key: group::seal::rest_key(&config.account),
		client_id: format!("{}-group", config.client_id),
		broker: config.broker.clone(),
	};
	// The group's devices are bound to its account: that is whose records to fetch ahead.
	tokio::spawn(cache::refresh(
		chain.clone(),
		cache.clone(),
		info.account,
		config.serve_owners.clone(),
	));
	let (member, inbox) = group::Member::new(
		chain.clone(),
		store.clone(),
		validator.clone(),
		stats.clone(),
		signer,
		settings,
	);
	tokio::select! {
		r = ingest(validator, None, store.clone(), stats.clone(), &config.broker, &config.client_id, config.device_rate) => Ok(r?),
		e = member.run(inbox) => Err(anyhow::Error::new(e).context("the group member stopped")),
		e = watch(chain.clone(), cache, store.clone(), stats.clone(), None) => Err(e),
		_ = shutdown_signal() => {
			info!("stopping");
			Ok(())
		},
	}
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
/// shows a batch from `anchorer` (this gateway's account, when it anchors alone) that this
/// database did not build. Returns only then. A group member passes no account: its database
/// records the group's anchors from the chain, whoever coordinated them.
async fn watch(
	chain: Arc<Chain>,
	cache: Arc<DeviceCache>,
	store: Arc<Store>,
	stats: Arc<Stats>,
	anchorer: Option<AccountId>,
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
				ChainEvent::Anchored { gateway, batch, root } if Some(gateway) == anchorer => {
					match store.origin(batch, &root) {
						Ok(Origin::Ours | Origin::Earlier) => true,
						Ok(Origin::Foreign { ours }) => {
							foreign = Some((batch, root, ours));
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
		if let Err(e) = result {
			warn!("following finalized blocks: {e}; again in 2 s");
		}
		tokio::time::sleep(Duration::from_secs(2)).await;
	}
}

/// Ask the node every 5 s whether it answers, for the stats' `chainConnected`.
async fn probe(chain: Arc<Chain>, stats: Arc<Stats>) {
	let mut was = true;
	loop {
		let up =
			tokio::time::timeout(Duration::from_secs(5), chain.answers()).await.unwrap_or(false);
		stats.connected(up);
		if up != was {
			if up {
				info!("the node answers again");
			} else {
				warn!("the node does not answer; readings wait in the database");
			}
			was = up;
		}
		tokio::time::sleep(Duration::from_secs(5)).await;
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
