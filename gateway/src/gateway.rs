//! The gateway daemon, wired together: MQTT ingest ([`crate::ingest`]) checks each message
//! ([`crate::validate`]) and stores the readings, and hands devices' obligation requests to the
//! relay ([`crate::relay`]), whose calls the anchorer submits with the account's nonces; the anchorer ([`crate::anchorer`]) batches and
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
	group, http,
	ingest::ingest,
	relay::Relay,
	stats::{Backlog, Stats},
	store::{Origin, Store},
	validate::Validator,
};
use anyhow::Context;
use codec::Encode;
use std::{
	sync::Arc,
	time::{Duration, Instant},
};
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
	let account = signer.clone();
	let store = Arc::new(Store::open(&config.db).with_context(|| {
		format!("opening {} (is another gateway using it?)", config.db.display())
	})?);
	let chain = Arc::new(connect(&config.node, Some(signer)).await);
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

	let limits = chain.limits().await.context("reading the chain's batch limits")?;
	if let Some(group) = config.group {
		return run_member(config, group, signer, store, chain, stats, cache, limits).await;
	}
	serve_owners(&chain, &me, &config.serve_owners).await?;

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

	serve(&config, &store, &stats, &chain).await?;
	let validator = Arc::new(Validator::new(
		chain.clone(),
		cache.clone(),
		me,
		chain.genesis(),
		limits.max_metrics,
	));

	let max_note = chain.max_note_len().await.map_err(anyhow::Error::msg)? as usize;
	let (calls, relayed) = mpsc::channel(64);
	let relay = Arc::new(Relay::new(
		chain.clone(),
		validator.clone(),
		me,
		chain.genesis(),
		max_note,
		calls,
		stats.clone(),
	));
	let anchorer = anchorer.relaying(relayed);
	tokio::spawn(refresh_devices(chain.clone(), cache.clone(), me, config.serve_owners.clone()));

	tokio::select! {
		r = ingest(validator, Some(relay), store.clone(), stats.clone(), &config) => r,
		halt = anchorer.run() => Err(anyhow::Error::new(halt).context("the anchorer stopped")),
		e = watch(chain.clone(), cache, store.clone(), stats.clone(), me) => Err(e),
		_ = shutdown_signal() => {
			info!("stopping");
			Ok(())
		},
	}
}

/// Serve proofs, listings and metrics over HTTP on `config.http`; log the progress line; probe
/// the node.
async fn serve(
	config: &Config,
	store: &Arc<Store>,
	stats: &Arc<Stats>,
	chain: &Arc<Chain>,
) -> anyhow::Result<()> {
	let listener = TcpListener::bind(&config.http)
		.await
		.with_context(|| format!("binding {}", config.http))?;
	info!("serving proofs, listings and metrics on http://{}", config.http);
	tokio::spawn(http::serve(listener, store.clone(), stats.clone(), http::Limits::default()));
	tokio::spawn(progress(store.clone(), stats.clone(), config.progress_secs));
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
	limits: crate::anchorer::ChainLimits,
) -> anyhow::Result<()> {
	let me = signer.public_key().0;
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
	approve_serving(&chain, group, &info.account, &config.serve_owners).await?;
	serve(&config, &store, &stats, &chain).await?;
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
		limits: crate::batch::Limits {
			max_devices: config.batch_max_devices.min(limits.max_devices).max(1),
			max_readings: config.batch_max_readings.max(1),
			max_metrics: limits.max_metrics,
			max_summaries: limits.max_summaries,
		},
		rest_key: group::seal::rest_key(&config.account),
		client_id: format!("{}-group", config.client_id),
		broker: config.broker.clone(),
	};
	let (member, inbox) = group::Member::new(
		chain.clone(),
		store.clone(),
		validator.clone(),
		stats.clone(),
		signer,
		settings,
	);
	tokio::select! {
		r = ingest(validator, None, store.clone(), stats.clone(), &config) => r,
		e = member.run(inbox) => Err(e.context("the group member stopped")),
		e = watch(chain.clone(), cache, store.clone(), stats.clone(), me) => Err(e),
		_ = shutdown_signal() => {
			info!("stopping");
			Ok(())
		},
	}
}

/// Approve, as a member of `group`, that the group's `account` serve each of `owners` it does
/// not serve yet: the approval that reaches the group's threshold records the consent (the
/// group's account must hold the deposit). An approval that came too late opens a proposal no
/// one completes; it is withdrawn once the owner is served.
async fn approve_serving(
	chain: &Arc<Chain>,
	group: u32,
	account: &AccountId,
	owners: &[AccountId],
) -> anyhow::Result<()> {
	for owner in owners {
		if chain.serves(account, owner).await.map_err(anyhow::Error::msg)? {
			continue;
		}
		let call = chain
			.encode_call(&chain::Call::new("Devices", "serve_owner", owner))
			.await
			.map_err(anyhow::Error::msg)?;
		let call_hash = sp_io::hashing::blake2_256(&call);
		let mut args = group.encode();
		args.extend(call);
		let approve = chain::Call { pallet: "Groups", name: "approve", args };
		let who = chain::ss58(owner);
		let events = match chain.submit(&[approve]).await {
			Ok((_, events)) => events,
			Err(e) => {
				warn!("approving that group {group} serve owner {who}: {e}");
				continue;
			},
		};
		// `Acted { group, call_hash, result }`: the result follows 4 + 32 bytes.
		match events.iter().find(|(p, e, _)| p == "Groups" && e == "Acted") {
			Some((_, _, fields)) if fields.get(36) == Some(&0) => {
				info!("group {group} now serves owner {who}")
			},
			Some(_) => warn!(
				"group {group}'s account could not serve owner {who}: the approved call failed (does the group's account {} hold the deposit?)",
				chain::ss58(account)
			),
			None => {
				info!("approved that group {group} serve owner {who}; waiting for the others");
				let (chain, account, owner) = (chain.clone(), *account, *owner);
				tokio::spawn(withdraw_when_served(chain, group, account, owner, call_hash));
			},
		}
	}
	Ok(())
}

/// Withdraw this member's approval of `call_hash` (serving `owner`) if the group comes to serve
/// `owner` while the proposal stays open: it was opened after the threshold was reached.
async fn withdraw_when_served(
	chain: Arc<Chain>,
	group: u32,
	account: AccountId,
	owner: AccountId,
	call_hash: [u8; 32],
) {
	for _ in 0..40 {
		tokio::time::sleep(Duration::from_secs(3)).await;
		if !matches!(chain.serves(&account, &owner).await, Ok(true)) {
			continue;
		}
		let me = chain.account();
		let ours = chain.group_proposal(group, &call_hash).await;
		if ours
			.is_ok_and(|approvals| approvals.is_some_and(|a| me.is_some_and(|me| a.contains(&me))))
		{
			let withdraw = chain::Call::new("Groups", "withdraw", &(group, call_hash));
			match chain.submit(&[withdraw]).await {
				Ok(_) => info!("withdrew a late approval: group {group} already serves that owner"),
				Err(e) => {
					warn!("withdrawing a late approval in group {group}: {e}; trying again");
					continue;
				},
			}
		}
		return;
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

/// How often the records of the devices bound to this gateway are read again (well within the
/// cache's five minutes, so they do not age out of it all at once).
const DEVICE_REFRESH: Duration = Duration::from_secs(120);

/// Keep the records of the devices bound to this gateway in the cache, read a page (100) at a
/// time from each owner it serves (`devicesApi.devicesOf`): at start, so that the first reading
/// of each device after a restart finds its key at once (10,000 devices are 100 runtime calls
/// instead of 10,000 lookups on the readings' path), and every [`DEVICE_REFRESH`] after. A
/// page is taken with a ticket like any lookup: if a finalized block changed a device while the
/// page was read, the page is read again once, otherwise left to the lookups on demand. Stops
/// filling at nine tenths of the cache's capacity.
async fn refresh_devices(
	chain: Arc<Chain>,
	cache: Arc<DeviceCache>,
	me: AccountId,
	owners: Vec<AccountId>,
) {
	const PAGE: u32 = 100;
	loop {
		let started = Instant::now();
		let mut kept = 0usize;
		'owners: for owner in &owners {
			let mut after = None;
			loop {
				let mut last = None;
				let mut full = false;
				for _attempt in 0..2 {
					let ticket = cache.ticket();
					let page = match chain.devices_of(owner, after, PAGE).await {
						Ok(page) => page,
						Err(e) => {
							warn!("reading the devices of {}: {e}", chain::ss58(owner));
							break 'owners;
						},
					};
					(last, full) = (page.last().map(|(id, _)| *id), page.len() as u32 == PAGE);
					let ours: Vec<_> =
						page.into_iter().filter(|(_, info)| info.gateway == Some(me)).collect();
					let n = ours.len();
					if ours.into_iter().all(|(id, info)| cache.put(ticket, id, Some(info))) {
						kept += n;
						break;
					}
				}
				if !full || kept >= cache.capacity() / 10 * 9 {
					break;
				}
				after = last;
			}
		}
		info!("device records refreshed: {kept} bound to this gateway, in {:?}", started.elapsed());
		tokio::time::sleep(DEVICE_REFRESH).await;
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
