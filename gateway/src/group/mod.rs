//! A member gateway of a gateway group (`iotrust-gateway run --group <id>`): no one gateway's
//! word anchors a reading; `t` of the group's `n` gateways, of different consortium members,
//! each check a batch themselves and sign it together with one FROST threshold signature, which
//! the chain checks as one Ed25519 signature with the group's key.
//!
//! Every member subscribes to the same devices' telemetry and keeps every reading it accepts, as
//! a lone gateway does. Then, with the other members, over MQTT ([`wire`], every message signed
//! by its sender's account key):
//!
//! 1. **Key generation** ([`dkg`]) for the group's key epoch, once: each member ends with its
//!    share (kept sealed in its database, [`seal`]) and the group's key, which it confirms on
//!    chain (`groups.confirmKey`) with the transcript it came from (the digest of every member's
//!    round-1 package); the key is active once every member confirmed the same key from the
//!    same transcript.
//! 2. **Coordinators take turns**: batch `b`'s coordinator is member `(b + attempt) mod n`,
//!    where `attempt` counts the rounds (`--group-round-ms` each) that went by since the chain's
//!    last group anchor (its block, by the chain's finalized blocks, so members that started
//!    again count alike): a coordinator that fails or goes down is followed by the next member,
//!    so any `t` live members keep anchoring. Members sign only the chain's next batch, from
//!    the coordinator of an attempt within one of their own.
//! 3. **Group-oriented verification**: the coordinator proposes a batch (the anchor as the chain
//!    will get it). Each member commits to sign it only after it checked it itself: it holds
//!    every reading in each range (a reading it lacks it asks the others for, and checks the
//!    device's signature and binding before keeping it), the root, count, times and summaries
//!    it computes from its own copies are the proposal's, and each range starts where the chain
//!    expects that device's next reading without leaving out a reading it holds. A forged,
//!    altered or omitted reading, or a false summary, gets no commitment from an honest member.
//! 4. **Signing** ([`signing`]) in two rounds; the coordinator submits `anchoring.anchorAsGroup`
//!    and pays its fee. The chain takes each group batch number once.
//! 5. **Every member records every anchor** from the chain's record of it, whoever coordinated:
//!    it rebuilds the batch from its own readings (asking the others for any it lacks), checks
//!    the root, and serves the proofs. Losing gateways, disks and all, loses no reading while
//!    one member that has them remains.

#[cfg(feature = "dishonest-coordinator")]
mod cheat;
pub mod check;
pub mod dkg;
pub mod seal;
pub mod signing;
pub mod wire;

use crate::{
	batch::{Batch, Limits},
	chain::{self, interface, port::GroupChain, AccountId, Call, ChainAnchor, GroupInfo},
	clock::now_ms,
	ingest::validate::{DeviceLookup, Validator},
	limits::PeriodBudget,
	stats::{Stage, Stats},
	store::{Store, StoreError},
};
use check::{anchor_of, gather, Check, GatherError};
use codec::{Decode, Encode};
use dkg::{Dkg, DkgError};
use frost_ed25519::keys::{KeyPackage, PublicKeyPackage};
use iotrust_primitives::{
	anchoring::GroupAnchor, anchoring::RangeCheck, device::DeviceId, merkle::SignedReading,
};
use rumqttc::{AsyncClient, Publish, QoS};
use signing::{Round, Signer};
use sp_core::H256;
use std::{
	collections::{BTreeSet, HashMap},
	sync::Arc,
	time::{Duration, Instant},
};
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};
use wire::{Body, Envelope, Index};

/// Readings sent in one `Have` message at most.
const HAVE_AT_MOST: usize = 200;
/// Readings looked up for one `Want` at most.
const WANT_AT_MOST: usize = 5_000;
/// How often the group's record is read again from the chain.
const REFRESH: Duration = Duration::from_secs(3);
/// For how many rounds a member that withheld its signature share is left out of this
/// coordinator's rounds (when enough others remain).
const SUSPECT_ROUNDS: u32 = 20;
/// The period over which what one member sends or is sent is budgeted.
const BUDGET_PERIOD: Duration = Duration::from_secs(10);
/// Proposals kept waiting for readings at most (the oldest dropped first).
const WAITING_AT_MOST: usize = 16;
/// The most devices whose last reported double signing a member remembers.
const REPORTED_AT_MOST: usize = 10_000;
/// How often a member reports one device's double signing at most.
const REPORT_EVERY: Duration = Duration::from_secs(30);
/// How many times (ticks) a member tries to record a batch whose copies here give another
/// root than the chain's before it goes on without it.
const DIVERGED_TRIES: u32 = 120;

/// How a member runs.
#[derive(Clone, Debug)]
pub struct Settings {
	/// The group.
	pub group: u32,
	/// A coordinator's time to get its batch signed and anchored.
	pub round: Duration,
	/// How long a coordinator lets readings gather before it proposes.
	pub window: Duration,
	/// The chain's limits on a batch.
	pub limits: Limits,
	/// The account secret, from which the key share's sealing key is derived.
	pub rest_key: [u8; 32],
	/// The MQTT client id of the group connection.
	pub client_id: String,
	/// The broker.
	pub broker: crate::mqtt::Broker,
}

/// This member's key for the epoch.
struct Keys {
	share: KeyPackage,
	public: PublicKeyPackage,
	key: [u8; 32],
}

/// What this member coordinates now.
struct Coordinating {
	attempt: u32,
	anchor: GroupAnchor,
	round: Round,
	submitted: bool,
	/// When it was proposed.
	proposed: Instant,
	/// When the signing package went out.
	signing_since: Option<Instant>,
	/// How many times it was proposed again without members that withheld their shares.
	retry: u32,
}

/// A proposal this member could not check yet for lack of readings it asked for.
struct Waiting {
	from: Index,
	/// Its attempt and retry.
	attempt: (u32, u32),
	anchor: GroupAnchor,
	since: Instant,
}

/// Why a member gateway stopped.
#[derive(Debug, thiserror::Error)]
pub enum MemberError {
	#[error("the database: {0}")]
	Store(#[from] StoreError),
	#[error("a batch on chain: {0}")]
	Gather(#[from] GatherError),
	#[error("key generation: {0}")]
	Dkg(#[from] DkgError),
	#[error("the key share: {0}")]
	Frost(#[from] frost_ed25519::Error),
	#[error("a database task: {0}")]
	Task(#[from] tokio::task::JoinError),
}

/// A member gateway.
pub struct Member<C: GroupChain + DeviceLookup> {
	chain: Arc<C>,
	store: Arc<Store>,
	validator: Arc<Validator<C>>,
	stats: Arc<Stats>,
	account: subxt_signer::sr25519::Keypair,
	me_account: AccountId,
	genesis: H256,
	settings: Settings,
	client: AsyncClient,
	info: Option<GroupInfo>,
	refreshed: Option<Instant>,
	me: Option<Index>,
	keys: Option<Keys>,
	dkg: Option<Dkg>,
	signer: Option<Signer>,
	confirmed_at: Option<Instant>,
	/// The transcript of the key generation that made `keys`.
	transcript: Option<[u8; 32]>,
	/// Whether the active key's share was looked up in the database this epoch.
	loaded: bool,
	/// The group's next batch number on chain, and the block its rounds count from (the last
	/// anchor's; genesis for the first).
	next: Option<(u64, u64)>,
	/// The chain's latest finalized block and its block time, ms.
	clock: Option<(u64, u64)>,
	coordinating: Option<Coordinating>,
	waiting: Vec<Waiting>,
	asked: Option<Instant>,
	/// Members that sent no share to one of this member's rounds, and when.
	suspects: HashMap<Index, Instant>,
	/// The batch whose copies here gave another root than the chain's, and how many times.
	diverged: Option<(u64, u32)>,
	/// This member's message numbers.
	numbers: wire::Sequencer,
	/// The last number taken from each member's streams.
	freshness: wire::Freshness,
	/// The latest key-generation message taken on each retained topic, to publish again if
	/// someone erases or replaces it, and when it was last published again.
	retained: HashMap<String, (u64, Vec<u8>, Option<Instant>)>,
	/// Readings sent to each member in answer to its `Want`s, per period.
	answered: HashMap<Index, PeriodBudget>,
	/// Readings each member sent this one, per period.
	kept: HashMap<Index, PeriodBudget>,
	/// Each device's double signing this member last reported on chain: the sequence number,
	/// and when.
	reported: HashMap<DeviceId, (u64, Instant)>,
	#[cfg(feature = "dishonest-coordinator")]
	cheat: cheat::Twins,
}

impl<C: GroupChain + DeviceLookup> Member<C> {
	/// Join group `settings.group` as the gateway signing with `account`; returns the member
	/// and the stream of group messages to hand to [`Member::run`].
	pub fn new(
		chain: Arc<C>,
		store: Arc<Store>,
		validator: Arc<Validator<C>>,
		stats: Arc<Stats>,
		account: subxt_signer::sr25519::Keypair,
		settings: Settings,
	) -> (Self, mpsc::Receiver<Publish>) {
		let mut opts = settings.broker.options(&settings.client_id);
		opts.set_clean_session(true);
		opts.set_max_packet_size(1 << 20, 1 << 20);
		let (client, eventloop) = AsyncClient::new(opts, 1_000);
		let (tx, rx) = mpsc::channel(crate::mqtt::INBOX);
		let filters = vec![wire::filter(settings.group)];
		let broker = settings.broker.clone();
		let dropped = Arc::new(std::sync::atomic::AtomicU64::new(0));
		crate::mqtt::forward(
			eventloop,
			client.clone(),
			filters,
			tx,
			false,
			dropped,
			"group channel",
			broker,
		);
		let me_account = account.public_key().0;
		let genesis = chain.genesis();
		let member = Self {
			chain,
			store,
			validator,
			stats,
			account,
			me_account,
			genesis,
			settings,
			client,
			info: None,
			refreshed: None,
			me: None,
			keys: None,
			dkg: None,
			signer: None,
			confirmed_at: None,
			transcript: None,
			loaded: false,
			next: None,
			clock: None,
			coordinating: None,
			waiting: Vec::new(),
			asked: None,
			suspects: HashMap::new(),
			diverged: None,
			numbers: wire::Sequencer::default(),
			freshness: wire::Freshness::default(),
			retained: HashMap::new(),
			answered: HashMap::new(),
			kept: HashMap::new(),
			reported: HashMap::new(),
			#[cfg(feature = "dishonest-coordinator")]
			cheat: cheat::Twins::default(),
		};
		(member, rx)
	}

	/// Run until the database fails.
	pub async fn run(mut self, mut inbox: mpsc::Receiver<Publish>) -> MemberError {
		let mut tick = tokio::time::interval(Duration::from_millis(250));
		tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
		loop {
			tokio::select! {
				Some(p) = inbox.recv() => self.on_message(p).await,
				_ = tick.tick() => {
					if let Err(e) = self.on_tick().await {
						return e;
					}
				},
			}
		}
	}

	fn group(&self) -> u32 {
		self.settings.group
	}

	/// Publish `body` to the group.
	async fn say(&self, body: Body) {
		let (Some(info), Some(me)) = (&self.info, self.me) else { return };
		let (topic, retain) = wire::topic(self.group(), info.epoch, me, &body);
		let now = now_ms();
		let numbered = (now, self.numbers.next(now));
		let bytes = Envelope::seal(
			&self.account,
			&self.genesis,
			(self.group(), info.epoch, me),
			numbered,
			body,
		);
		if let Err(e) = self.client.publish(topic, QoS::AtLeastOnce, retain, bytes).await {
			warn!("group channel: publishing: {e}");
		}
	}

	async fn on_tick(&mut self) -> Result<(), MemberError> {
		if self.refreshed.is_none_or(|at| at.elapsed() >= REFRESH) {
			self.refresh().await;
		}
		let Some(info) = self.info.clone() else { return Ok(()) };
		if self.me.is_none() {
			return Ok(());
		}
		self.keys(&info).await?;
		let last = match self.chain.last_batch_of(&info.account).await {
			Ok(last) => last,
			Err(e) => {
				debug!("group {}: last batch: {e}", self.group());
				return Ok(());
			},
		};
		self.sync(&info, last).await?;
		let next = match last.map(|l| l.checked_add(1)) {
			None => 0,
			Some(Some(next)) => next,
			Some(None) => {
				if self.next.is_some() {
					error!("group {}: its last batch on chain is number {}: no batch can follow (the chain refuses one)", self.group(), u64::MAX);
					self.next = None;
				}
				return Ok(());
			},
		};
		match self.chain.finalized_number().await {
			Ok(clock) => self.clock = Some(clock),
			Err(e) => debug!("group {}: finalized block: {e}", self.group()),
		}
		if self.next.is_none_or(|(n, _)| n != next) {
			// Rounds count from the last anchor's block (from genesis for the first batch).
			let base = match last {
				None => 0,
				Some(last) => match self.chain.anchor_by_batch(&info.account, last).await {
					Ok(Some((_, anchor))) => u64::from(anchor.anchored_at),
					// Expired after the chain's anchor retention (the group anchored nothing
					// for that long): from genesis, as for a first batch, which every member
					// computes alike.
					Ok(None) => 0,
					Err(e) => {
						debug!("group {}: anchor {last}: {e}", self.group());
						return Ok(());
					},
				},
			};
			self.next = Some((next, base));
			self.coordinating = None;
		}
		self.waiting.retain(|w| {
			w.anchor.header.batch >= next
				&& w.since.elapsed() < self.settings.round.saturating_mul(2)
		});
		let waiting = std::mem::take(&mut self.waiting);
		for w in waiting {
			self.consider(w.from, w.attempt, w.anchor, Some(w.since)).await;
		}
		#[cfg(feature = "dishonest-coordinator")]
		if let Some(twins) = self.cheat.twins(&self.store, &self.genesis) {
			self.say(Body::Have { readings: twins }).await;
		}
		if info.key.is_some() && info.key == self.keys.as_ref().map(|k| k.key) {
			self.retry_without_withholders(&info).await;
			self.coordinate(&info).await?;
		}
		Ok(())
	}

	/// The turn for the group's next batch, counted by the chain's finalized blocks since the
	/// last anchor's block, which every member reads alike (a member that started again, or saw
	/// the anchor late, counts the same attempts as the others, within a block or two).
	fn turn(&self, n: u64) -> Option<(u64, Turn)> {
		let ((next, base), (finalized, block_ms)) = (self.next?, self.clock?);
		let elapsed_ms = finalized.saturating_sub(base).saturating_mul(block_ms);
		let turn = Turn::at(
			next,
			n,
			elapsed_ms,
			self.settings.round.as_millis() as u64,
			self.settings.window.as_millis() as u64,
		)?;
		Some((next, turn))
	}

	/// The members this member's rounds leave out: those that withheld a share within the last
	/// [`SUSPECT_ROUNDS`] rounds, the latest first, no more than leaves the threshold.
	fn excluded(&mut self, info: &GroupInfo) -> BTreeSet<Index> {
		let memory = self.settings.round.saturating_mul(SUSPECT_ROUNDS);
		self.suspects.retain(|_, at| at.elapsed() < memory);
		let spare = info.members.len().saturating_sub(info.threshold as usize);
		let mut latest: Vec<(Instant, Index)> =
			self.suspects.iter().map(|(member, at)| (*at, *member)).collect();
		latest.sort_unstable_by(|a, b| b.cmp(a));
		latest.into_iter().take(spare).map(|(_, member)| member).collect()
	}

	/// This member's round whose signing package went out a quarter round ago and still lacks
	/// shares: the members that withheld theirs become suspects, and the round starts again
	/// without them (the proposal sent again, for fresh commitments).
	async fn retry_without_withholders(&mut self, info: &GroupInfo) {
		let wait = self.settings.round / 4;
		let Some(c) = self.coordinating.as_ref() else { return };
		if c.submitted || !c.round.signing() || c.signing_since.is_none_or(|at| at.elapsed() < wait)
		{
			return;
		}
		let withheld = c.round.withheld();
		let now = Instant::now();
		for m in &withheld {
			self.suspects.insert(*m, now);
		}
		self.stats.group_withheld(withheld.len());
		let excluded = self.excluded(info);
		let Some(c) = self.coordinating.as_mut() else { return };
		warn!(
			"group {}: batch {}: member(s) {withheld:?} sent no signature share within {wait:?}; trying again without {excluded:?}",
			self.settings.group,
			c.anchor.header.batch
		);
		c.round = Round::new(c.anchor.message(), info.threshold as u16, excluded);
		c.signing_since = None;
		c.retry = c.retry.saturating_add(1);
		let (attempt, retry, anchor) = (c.attempt, c.retry, c.anchor.clone());
		self.say(Body::Propose { attempt, retry, anchor }).await;
	}

	/// Read the group's record again; a new epoch starts key generation over.
	async fn refresh(&mut self) {
		let info = match self.chain.group(self.group()).await {
			Ok(Some(info)) => info,
			Ok(None) => {
				if self.info.is_some() || self.refreshed.is_none() {
					warn!("group {} does not exist on chain (yet?)", self.group());
				}
				self.info = None;
				self.refreshed = Some(Instant::now());
				return;
			},
			Err(e) => {
				debug!("group {}: {e}", self.group());
				return;
			},
		};
		self.refreshed = Some(Instant::now());
		let me = info.members.iter().position(|m| m.gateway == self.me_account);
		let epoch_changed = self.info.as_ref().is_none_or(|old| old.epoch != info.epoch);
		if epoch_changed {
			info!(
				"group {}: epoch {}, {} members, {} to sign, key {}",
				self.group(),
				info.epoch,
				info.members.len(),
				info.threshold,
				info.key.map_or("not active yet".into(), |k| crate::ingest::telemetry::hex0x(&k))
			);
			self.keys = None;
			self.dkg = None;
			self.signer = None;
			self.loaded = false;
			self.coordinating = None;
			self.waiting.clear();
			self.freshness.clear();
			self.retained.clear();
		}
		if me.is_none() && (epoch_changed || self.me.is_some()) {
			warn!(
				"this gateway ({}) is not a member of group {}",
				chain::ss58(&self.me_account),
				self.group()
			);
		}
		self.me = me.map(|i| i as Index);
		self.info = Some(info);
	}

	/// Hold the epoch's key: the stored share if the chain's key is active and it is ours;
	/// otherwise key generation, then the key confirmed on chain.
	async fn keys(&mut self, info: &GroupInfo) -> Result<(), MemberError> {
		let Some(me) = self.me else { return Ok(()) };
		if let Some(active) = info.key {
			self.dkg = None;
			if self.loaded {
				return Ok(());
			}
			self.loaded = true;
			if let Some(sealed) = self.store.group_share(self.group(), info.epoch)? {
				self.keys = unseal_keys(&self.settings.rest_key, &sealed);
				if self.keys.is_none() {
					error!(
						"group {}: the stored key share does not open with this account's secret",
						self.group()
					);
				}
			}
			match &self.keys {
				Some(keys) if keys.key == active => {
					info!("group {}: signing with the active key of epoch {}", self.group(), info.epoch);
					self.signer = Some(Signer::new(keys.share.clone()));
				},
				Some(_) => error!(
					"group {}: this gateway's key share is for another key than the active one; it cannot sign in epoch {} (the council may change the group to start a new epoch)",
					self.group(),
					info.epoch
				),
				None => warn!(
					"group {}: no key share for the active key of epoch {}: this gateway cannot sign until the council starts a new epoch; it still records the group's anchors",
					self.group(),
					info.epoch
				),
			}
			return Ok(());
		}
		// The key is not active: generate it with the others (again, after a restart).
		if self.dkg.is_none() {
			let n = info.members.len() as u16;
			let (dkg, round1) = Dkg::start(me, n, info.threshold as u16)?;
			info!("group {}: key generation for epoch {} started", self.group(), info.epoch);
			self.dkg = Some(dkg);
			self.keys = None;
			self.say(round1).await;
		}
		if let Some(done) = self.dkg.as_ref().and_then(|d| d.finish()) {
			let (share, public) = done?;
			let key = dkg::group_key(&public)?;
			if self.keys.as_ref().is_none_or(|k| k.key != key) {
				let sealed = seal_keys(&self.settings.rest_key, &share, &public)?;
				self.store.put_group_share(self.group(), info.epoch, &sealed)?;
				info!(
					"group {}: key generation done; group key {}",
					self.group(),
					crate::ingest::telemetry::hex0x(&key)
				);
				self.signer = Some(Signer::new(share.clone()));
				self.keys = Some(Keys { share, public, key });
				self.transcript = self.dkg.as_ref().and_then(|d| d.transcript());
				self.confirmed_at = None;
			}
		}
		let Some(key) = self.keys.as_ref().map(|k| k.key) else { return Ok(()) };
		let Some(transcript) = self.transcript else { return Ok(()) };
		let mine = info.members.get(usize::from(me)).and_then(|m| m.confirmed.zip(m.transcript));
		if mine != Some((key, transcript))
			&& self.confirmed_at.is_none_or(|at| at.elapsed() > REFRESH * 4)
		{
			self.confirmed_at = Some(Instant::now());
			let chain = self.chain.clone();
			let (group, epoch) = (self.group(), info.epoch);
			tokio::spawn(async move {
				let call = Call::new(&interface::CONFIRM_KEY, &(group, epoch, key, transcript));
				match chain.submit(&[call]).await {
					Ok(_) => info!(
						"group {group}: confirmed key {} for epoch {epoch}",
						crate::ingest::telemetry::hex0x(&key)
					),
					Err(e) => warn!("group {group}: confirming the key: {e}"),
				}
			});
		}
		Ok(())
	}

	/// The first of the group's batches above `gone` (which the chain does not hold) up to
	/// `last` that the chain holds, or `last + 1` if none: anchors expire oldest first, so
	/// which are held is found by bisection (a few runtime calls, however many expired).
	/// `None` if the chain could not be asked.
	async fn first_held(&self, info: &GroupInfo, gone: u64, last: u64) -> Option<u64> {
		let (mut low, mut high) = (gone, last.saturating_add(1));
		// Invariant: batch `low` is not held; `high` is held, or is past the last.
		while high - low > 1 {
			let mid = low + (high - low) / 2;
			match self.chain.anchor_by_batch(&info.account, mid).await {
				Ok(Some(_)) => high = mid,
				Ok(None) => low = mid,
				Err(e) => {
					debug!("group {}: anchor {mid}: {e}", self.group());
					return None;
				},
			}
		}
		Some(high)
	}

	/// Record the group's anchors this database does not have yet, from the chain's record:
	/// a few at a time, asking the others for readings this member lacks.
	async fn sync(&mut self, info: &GroupInfo, last: Option<u64>) -> Result<(), MemberError> {
		let Some(last) = last else { return Ok(()) };
		for _ in 0..4 {
			let number = self.store.next_batch()?;
			if number > last {
				return Ok(());
			}
			let record = match self.chain.anchor_by_batch(&info.account, number).await {
				Ok(Some(found)) => found,
				// Not on chain: expired after the chain's anchor retention (and every older
				// batch with it), or a number a member skipped before the chain took a group's
				// batches in order only. Nothing to record: go on from the first batch the
				// chain still holds.
				Ok(None) => {
					let Some(first) = self.first_held(info, number, last).await else {
						return Ok(());
					};
					warn!(
						"group {}: batches {number} to {} are not on chain (expired or skipped); going on from {first}",
						self.group(),
						first.saturating_sub(1)
					);
					self.store.raise_next_batch(first)?;
					continue;
				},
				Err(e) => {
					debug!("group {}: anchor {number}: {e}", self.group());
					return Ok(());
				},
			};
			// Database reads and writes, off the async workers' hands.
			let gathered = tokio::task::block_in_place(|| gather(&self.store, &record.1.ranges))?;
			let readings = match gathered {
				Ok(readings) => readings,
				Err(missing) => {
					self.ask(missing).await;
					return Ok(());
				},
			};
			let ranges: Vec<_> =
				record.1.ranges.iter().map(|r| (r.device, r.first, r.last)).collect();
			let recorded = tokio::task::block_in_place(|| self.record(number, record, readings))?;
			if !recorded {
				// The chain has what t members signed; some copies here are not it: a device
				// signed two readings under one number. Ask the others for theirs (kept as
				// alternates, see `keep`), and record the batch once they came; if they never
				// do, go on without it (the others serve its proofs) rather than stop here.
				let tries = match self.diverged {
					Some((n, tries)) if n == number => tries.saturating_add(1),
					_ => {
						warn!(
							"group {}: batch {number}: the readings this gateway holds give another root than the chain's anchor (a device signed two readings under one sequence number); asking the other members for the anchored copies",
							self.group()
						);
						1
					},
				};
				self.diverged = Some((number, tries));
				if tries > DIVERGED_TRIES {
					error!(
						"group {}: batch {number}: the anchored copies of its readings did not come; going on without recording it (the other members serve its proofs)",
						self.group()
					);
					self.store.raise_next_batch(number.saturating_add(1))?;
					self.diverged = None;
					return Ok(());
				}
				self.ask(ranges).await;
				return Ok(());
			}
		}
		Ok(())
	}

	/// Record batch `number`, anchored as `record`, from `readings`, or from `readings` with
	/// the alternates kept of some of them if only that gives the chain's root (the copies they
	/// replace are kept as alternates in turn). `false` if neither gives the chain's root.
	fn record(
		&self,
		number: u64,
		(anchor, record): (u64, ChainAnchor),
		readings: Vec<SignedReading>,
	) -> Result<bool, MemberError> {
		let Some((mut batch, _)) = Batch::build(number, readings, &Default::default()) else {
			return Ok(true);
		};
		if batch.head.header != record.header {
			let mut alternates = Vec::new();
			for range in &record.ranges {
				alternates.extend(self.store.alternates(&range.device, range.first, range.last)?);
			}
			let Some((with_alternates, replaced)) =
				check::rebuild(batch, alternates, &record.header)
			else {
				return Ok(false);
			};
			for copy in &replaced {
				self.store.put_alternate(copy)?;
			}
			info!(
				"group {}: batch {number}: recorded with the other members' copies of {} readings; this gateway's copies are kept as evidence",
				self.group(),
				replaced.len()
			);
			batch = with_alternates;
		}
		let timestamps: Vec<u64> = batch.readings.iter().map(|r| r.timestamp_ms).collect();
		let now = now_ms();
		if self.store.record_anchored(&batch, anchor, now)? {
			self.stats.anchored(timestamps.len() as u64, &timestamps, now);
			info!(
				"group {}: batch {number} anchored as anchor {anchor} by {}: {} readings of {} devices",
				self.group(),
				chain::ss58(&record.gateway),
				record.header.reading_count,
				record.ranges.len()
			);
		}
		Ok(true)
	}

	/// Ask the others for readings (at most every second).
	async fn ask(&mut self, ranges: Vec<(DeviceId, u64, u64)>) {
		if self.asked.is_some_and(|at| at.elapsed() < Duration::from_secs(1)) {
			return;
		}
		self.asked = Some(Instant::now());
		debug!("group {}: asking the others for {} ranges", self.group(), ranges.len());
		self.say(Body::Want { ranges }).await;
	}

	/// This member's turn to coordinate: propose a batch of the readings waiting.
	async fn coordinate(&mut self, info: &GroupInfo) -> Result<(), MemberError> {
		let Some(me) = self.me else { return Ok(()) };
		let Some((next, turn)) = self.turn(info.members.len() as u64) else { return Ok(()) };
		let attempt = turn.attempt;
		if turn.coordinator != u64::from(me) || turn.gathering {
			return Ok(());
		}
		if self.coordinating.as_ref().is_some_and(|c| c.attempt == attempt) {
			return Ok(());
		}
		if self.store.next_batch()? < next {
			return Ok(());
		}
		let Some(anchor) = self.plan(info, next).await? else { return Ok(()) };
		info!(
			"group {}: proposing batch {next} (attempt {attempt}): {} readings of {} devices",
			self.group(),
			anchor.header.reading_count,
			anchor.ranges.len()
		);
		let round = Round::new(anchor.message(), info.threshold as u16, self.excluded(info));
		self.coordinating = Some(Coordinating {
			attempt,
			anchor: anchor.clone(),
			round,
			submitted: false,
			proposed: Instant::now(),
			signing_since: None,
			retry: 0,
		});
		self.say(Body::Propose { attempt, retry: 0, anchor }).await;
		Ok(())
	}

	/// The next batch from the readings waiting here, as the chain would take it.
	async fn plan(
		&self,
		info: &GroupInfo,
		number: u64,
	) -> Result<Option<GroupAnchor>, MemberError> {
		let store = self.store.clone();
		let limits = self.settings.limits;
		let proposal = tokio::task::spawn_blocking(move || store.propose_many(limits, 1))
			.await??
			.pop()
			.unwrap_or_default();
		if proposal.runs.is_empty() {
			return Ok(None);
		}
		let ranges: Vec<(DeviceId, u64)> =
			proposal.runs.iter().map(|(d, run)| (*d, run.first().map_or(0, |r| r.seq))).collect();
		let checks = match self.chain.check_ranges_of(&info.account, &ranges).await {
			Ok(c) => c,
			Err(e) => {
				debug!("group {}: check_ranges: {e}", self.group());
				return Ok(None);
			},
		};
		let mut readings = Vec::new();
		for ((_, run), check) in proposal.runs.into_iter().zip(checks) {
			let from = match check {
				RangeCheck::Admitted { .. } => 0,
				RangeCheck::SequenceReplay { last } => last.saturating_add(1),
				_ => continue,
			};
			readings.extend(run.into_iter().filter(|r| r.seq >= from));
		}
		let Some((batch, _)) = Batch::build(number, readings, &Default::default()) else {
			return Ok(None);
		};
		let anchor = anchor_of(&batch, self.genesis, self.group(), info.epoch);
		#[cfg(feature = "dishonest-coordinator")]
		let anchor = cheat::propose(anchor, batch);
		Ok(Some(anchor))
	}

	async fn on_message(&mut self, p: Publish) {
		let (Some(info), Some(me)) = (self.info.clone(), self.me) else { return };
		let topic = p.topic.clone();
		// On a key-generation topic whose latest message this member holds, anything but a
		// newer one from its sender (an empty payload that erases it, an older copy, junk, a
		// message of someone else) is put right by publishing the latest again.
		let restorable = self.retained.contains_key(&topic);
		if p.payload.is_empty() {
			if restorable {
				self.restore(&topic).await;
			}
			return;
		}
		let members: Vec<AccountId> = info.members.iter().map(|m| m.gateway).collect();
		let env =
			match Envelope::open(&p.payload, &self.genesis, self.group(), info.epoch, &members) {
				Ok(env) => env,
				Err(wire::WireError::Elsewhere(..)) => return,
				Err(e) => {
					debug!("group {}: dropped a message on {topic}: {e}", self.group());
					if restorable {
						self.restore(&topic).await;
					}
					return;
				},
			};
		// Each message on its sender's own topic only, and round 2 only to a member.
		let (expected, _) = wire::topic(self.group(), info.epoch, env.from, &env.body);
		let to_member = match &env.body {
			Body::Round2 { to, .. } => usize::from(*to) < info.members.len(),
			_ => true,
		};
		if expected != topic || !to_member {
			self.stats.group_stale();
			debug!(
				"group {}: dropped member {}'s message on {topic}, not its topic",
				self.group(),
				env.from
			);
			if restorable {
				self.restore(&topic).await;
			}
			return;
		}
		if let Err(stale) = self.freshness.admit(&env, now_ms()) {
			self.stats.group_stale();
			debug!(
				"group {}: dropped member {}'s message on {topic}: {stale}",
				self.group(),
				env.from
			);
			let older = matches!(stale, wire::Stale::Replayed { seq, last } if seq < last);
			if restorable && older {
				self.restore(&topic).await;
			}
			return;
		}
		if env.body.stream() != wire::Stream::Messages {
			self.retained.insert(topic, (env.seq, p.payload.to_vec(), None));
		}
		let from = env.from;
		match env.body {
			Body::Round1 { package, exchange } if from != me => {
				let Some(dkg) = self.dkg.as_mut() else { return };
				match dkg.round1(from, &package, exchange) {
					Ok(out) => {
						for body in out {
							self.say(body).await;
						}
					},
					Err(e) => warn!("group {}: round 1 from member {from}: {e}", self.group()),
				}
			},
			Body::Round2 { to, set, sealed } if from != me => {
				if let Some(dkg) = self.dkg.as_mut() {
					dkg.round2(from, to, set, sealed);
				}
			},
			Body::Propose { attempt, retry, anchor } => {
				self.consider(from, (attempt, retry), anchor, None).await
			},
			Body::Commit { coordinator, batch, retry, message, commitments }
				if coordinator == me =>
			{
				let Some(c) = self.coordinating.as_mut() else { return };
				if c.anchor.header.batch != batch || c.round.message != message || c.retry != retry
				{
					return;
				}
				match c.round.commitment(from, &commitments) {
					Ok(Some(package)) => {
						c.signing_since = Some(Instant::now());
						self.say(Body::Sign { batch, message, package }).await
					},
					Ok(None) => {},
					Err(e) => warn!("group {}: commitment from member {from}: {e}", self.group()),
				}
			},
			Body::Sign { batch, message, package } => {
				#[cfg(feature = "dishonest-coordinator")]
				if cheat::active("withhold-shares") {
					return;
				}
				let Some(signer) = self.signer.as_mut() else { return };
				match signer.sign(from, batch, message, &package) {
					Ok(share) => {
						self.say(Body::Share { coordinator: from, batch, message, share }).await
					},
					Err(e) => debug!("group {}: not signing for member {from}: {e}", self.group()),
				}
			},
			Body::Share { coordinator, batch, message, share } if coordinator == me => {
				self.share(from, batch, message, share)
			},
			Body::Want { ranges } if from != me => self.answer(from, ranges).await,
			Body::Have { readings } if from != me => self.keep(from, readings).await,
			_ => {},
		}
	}

	/// A signature share for this member's round; once the signature is whole, submit it.
	fn share(&mut self, from: Index, batch: u64, message: [u8; 32], share: Vec<u8>) {
		let (Some(keys), Some(c)) = (&self.keys, self.coordinating.as_mut()) else { return };
		if c.anchor.header.batch != batch || c.round.message != message || c.submitted {
			return;
		}
		// A member that sends its share is no longer suspected of withholding it.
		self.suspects.remove(&from);
		let signature = match c.round.share(from, &share, &keys.public) {
			Ok(Some(signature)) => signature,
			Ok(None) => return,
			Err(e) => {
				warn!("group {}: share from member {from}: {e}", self.group());
				return;
			},
		};
		c.submitted = true;
		self.stats.timed(Stage::Sign, c.proposed.elapsed());
		let anchor = c.anchor.clone();
		let chain = self.chain.clone();
		let stats = self.stats.clone();
		tokio::spawn(async move {
			let group = anchor.group;
			// `anchor_as_group(group, epoch, batch, root, reading_count, from_ms, to_ms, ranges,
			// signature)`: the header's fields in order.
			let args = (anchor.group, anchor.epoch, &anchor.header, &anchor.ranges, signature);
			let submitted = Instant::now();
			match chain.submit(&[Call::new(&interface::ANCHOR_AS_GROUP, &args)]).await {
				Ok((block, _)) => {
					stats.timed(Stage::Finality, submitted.elapsed());
					info!(
						"group {group}: batch {} anchored with the group's signature in {block:?}",
						anchor.header.batch
					)
				},
				Err(e) => warn!("group {group}: submitting batch {}: {e}", anchor.header.batch),
			}
		});
	}

	/// Member `from`'s proposal of `anchor` as attempt `attempt` (its `retry`th try): check that
	/// it is the group's next batch, proposed in its coordinator's turn ([`Turn::admits`]), then
	/// its readings ([`check::check`]); commit to sign it if it holds.
	async fn consider(
		&mut self,
		from: Index,
		(attempt, retry): (u32, u32),
		anchor: GroupAnchor,
		since: Option<Instant>,
	) {
		let Some(info) = self.info.clone() else { return };
		if self.signer.is_none() || info.key != self.keys.as_ref().map(|k| k.key) {
			return;
		}
		#[cfg(feature = "dishonest-coordinator")]
		if cheat::active("withhold-shares") {
			// Commit to everything at once, unchecked, to be among the first `t`.
			let (batch, message) = (anchor.header.batch, anchor.message());
			if let Some(Ok(commitments)) =
				self.signer.as_mut().map(|s| s.commit(from, batch, message))
			{
				let commit = Body::Commit { coordinator: from, batch, retry, message, commitments };
				self.say(commit).await;
			}
			return;
		}
		let n = info.members.len() as u64;
		let Some((next, now)) = self.turn(n) else { return };
		if let Err(why) = Turn::admits(now, next, n, from, anchor.header.batch, attempt) {
			// A proposal for a batch anchored meanwhile is only late, not out of turn.
			if anchor.header.batch >= next {
				self.stats.group_checked(false);
				warn!(
					"group {}: member {from}'s batch {} gets no signature from this gateway: {why}",
					self.group(),
					anchor.header.batch
				);
			}
			return;
		}
		let expected = check::Expected {
			genesis: self.genesis,
			group: self.group(),
			epoch: info.epoch,
			account: info.account,
			max_devices: self.settings.limits.max_devices,
		};
		match check::check(&*self.chain, &self.store, &expected, &anchor).await {
			Ok(Check::Sign) => {
				self.stats.group_checked(true);
				let message = anchor.message();
				let Some(signer) = self.signer.as_mut() else { return };
				match signer.commit(from, anchor.header.batch, message) {
					Ok(commitments) => {
						let batch = anchor.header.batch;
						let commit =
							Body::Commit { coordinator: from, batch, retry, message, commitments };
						self.say(commit).await
					},
					Err(e) => warn!("group {}: committing: {e}", self.group()),
				}
			},
			Ok(Check::Missing(ranges)) => {
				self.ask(ranges).await;
				if self.waiting.len() >= WAITING_AT_MOST {
					self.waiting.remove(0);
				}
				self.waiting.push(Waiting {
					from,
					attempt: (attempt, retry),
					anchor,
					since: since.unwrap_or_else(Instant::now),
				});
			},
			Ok(Check::Refuse(why)) => {
				self.stats.group_checked(false);
				warn!(
					"group {}: member {from}'s batch {} gets no signature from this gateway: {why}",
					self.group(),
					anchor.header.batch
				)
			},
			Err(e) => warn!("group {}: checking batch {}: {e}", self.group(), anchor.header.batch),
		}
	}

	/// Publish again the latest key-generation message taken on retained `topic`, which
	/// someone erased or replaced with an older one (at most every five seconds a topic): only
	/// its sender could sign another, so what the broker keeps stays the sender's latest.
	async fn restore(&mut self, topic: &str) {
		let Some((_, bytes, restored)) = self.retained.get_mut(topic) else { return };
		if restored.is_some_and(|at| at.elapsed() < Duration::from_secs(5)) {
			return;
		}
		*restored = Some(Instant::now());
		let bytes = bytes.clone();
		warn!("group {}: a retained message on {topic} was erased or replaced; publishing the sender's latest again", self.group());
		if let Err(e) = self.client.publish(topic, QoS::AtLeastOnce, true, bytes).await {
			warn!("group channel: publishing: {e}");
		}
	}

	/// Send member `to` the readings it asked for that this database holds: at most
	/// [`WANT_AT_MOST`] a member every ten seconds, so no member (or replay) makes this one
	/// read and send without end.
	async fn answer(&mut self, to: Index, ranges: Vec<(DeviceId, u64, u64)>) {
		let now = Instant::now();
		let share = self.answered.entry(to).or_insert_with(|| PeriodBudget::new(now));
		let budget = share.room(now, BUDGET_PERIOD, WANT_AT_MOST);
		if budget == 0 {
			return debug!(
				"group {}: member {to} asked for more readings than it may now",
				self.group()
			);
		}
		let store = self.store.clone();
		let found = tokio::task::spawn_blocking(move || {
			let mut out = Vec::new();
			for (device, first, last) in ranges {
				let room = budget.saturating_sub(out.len());
				if room == 0 {
					break;
				}
				out.extend(store.find_readings(&device, first, last, room)?);
			}
			Ok::<_, crate::store::StoreError>(out)
		})
		.await;
		let readings = match found {
			Ok(Ok(r)) => r,
			Ok(Err(e)) => return warn!("group {}: looking up readings: {e}", self.group()),
			Err(_) => return,
		};
		if let Some(share) = self.answered.get_mut(&to) {
			share.spend(readings.len());
		}
		for chunk in readings.chunks(HAVE_AT_MOST) {
			self.say(Body::Have { readings: chunk.to_vec() }).await;
		}
	}

	/// Report on chain that a device signed `held` and `other` under one sequence number
	/// (`devices.reportEquivocation`: the device is flagged for every verifier to see). Every
	/// member that sees it may report (no rule that picks one member could not be dodged by a
	/// device choosing its numbers), each device at most every [`REPORT_EVERY`] and only above
	/// the number this member last reported for it (the chain takes each device's numbers in
	/// rising order; a member that loses the race pays for one refusal).
	fn report_equivocation(&mut self, held: SignedReading, other: SignedReading) {
		let now = Instant::now();
		if self
			.reported
			.get(&other.device)
			.is_some_and(|(last, at)| *last >= other.seq || now.duration_since(*at) < REPORT_EVERY)
		{
			return;
		}
		if self.reported.len() >= REPORTED_AT_MOST {
			self.reported.clear();
		}
		self.reported.insert(other.device, (other.seq, now));
		let (chain, group) = (self.chain.clone(), self.group());
		tokio::spawn(async move {
			let (device, seq) = (other.device, other.seq);
			let call = Call::new(&interface::REPORT_EQUIVOCATION, &(held, other));
			match chain.submit(&[call]).await {
				Ok(_) => {
					info!("group {group}: reported device {device:?}'s double signing at {seq}")
				},
				Err(e) => warn!("group {group}: reporting device {device:?}'s double signing: {e}"),
			}
		});
	}

	/// Readings from another member: keep those this database lacks and that this gateway
	/// would have accepted itself (its device active, bound to the group, its signature good).
	/// One that differs from the copy held under its device and number, and is signed as well,
	/// is a device's double signing: kept as that copy's alternate, counted, never a reason to
	/// stop.
	async fn keep(&mut self, from: Index, readings: Vec<SignedReading>) {
		// What one member may make this one check: 4 × [`WANT_AT_MOST`] readings every ten
		// seconds, asked for or not.
		let now = Instant::now();
		let share = self.kept.entry(from).or_insert_with(|| PeriodBudget::new(now));
		let budget =
			share.room(now, BUDGET_PERIOD, WANT_AT_MOST.saturating_mul(4)).min(WANT_AT_MOST);
		share.spend(readings.len().min(budget));
		let readings: Vec<SignedReading> = readings.into_iter().take(budget).collect();
		// The copies held here, read off the async workers' hands.
		let held = tokio::task::block_in_place(|| {
			readings
				.iter()
				.map(|r| Ok(self.store.find_readings(&r.device, r.seq, r.seq, 1)?.pop()))
				.collect::<Result<Vec<Option<SignedReading>>, StoreError>>()
		});
		let held = match held {
			Ok(held) => held,
			Err(e) => return warn!("group {}: looking up readings: {e}", self.group()),
		};
		let mut good = Vec::new();
		for (r, held) in readings.into_iter().zip(held) {
			if let Some(held) = held {
				if held != r && self.validator.check_reading(&r).await.is_ok() {
					match self.store.put_alternate(&r) {
						Ok(true) => {
							self.stats.conflict();
							warn!(
								"group {}: device {:?} signed two different readings with sequence number {}: both kept as evidence",
								self.group(),
								r.device,
								r.seq
							);
							self.report_equivocation(held, r);
						},
						Ok(false) => {},
						Err(e) => warn!("group {}: keeping an alternate: {e}", self.group()),
					}
				}
				continue;
			}
			match self.validator.check_reading(&r).await {
				Ok(()) => good.push(r),
				Err(why) => warn!(
					"group {}: a reading sent by a peer is refused: {} ({})",
					self.group(),
					why.reason.name(),
					why.detail
				),
			}
		}
		if good.is_empty() {
			return;
		}
		let store = self.store.clone();
		match tokio::task::spawn_blocking(move || store.fill(&good)).await {
			Ok(Ok(new)) => debug!("group {}: kept {new} readings from peers", self.group()),
			Ok(Err(e)) => warn!("group {}: keeping readings from peers: {e}", self.group()),
			Err(_) => {},
		}
	}
}

/// Whose turn it is to coordinate a group's batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Turn {
	/// How many rounds went by since the chain's last group anchor.
	attempt: u32,
	/// The member (its index) who coordinates this attempt.
	coordinator: u64,
	/// Whether readings still gather: the first `window` of each round, before a proposal.
	gathering: bool,
}

/// Why a proposal is not the one a member may sign now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OutOfTurn {
	/// Not the chain's next batch of the group: signing it would leave the group waiting for
	/// the number skipped (the chain refuses it too) or sign one already anchored.
	#[error("batch {batch} is not the group's next ({next})")]
	NotNext { batch: u64, next: u64 },
	/// Its attempt is more than one round from this member's: proposed out of its time.
	#[error("attempt {attempt}, while this member is at attempt {ours}")]
	Untimely { attempt: u32, ours: u32 },
	/// The proposer is not that attempt's coordinator.
	#[error("attempt {attempt} is member {coordinator}'s to coordinate")]
	NotTheirTurn { attempt: u32, coordinator: u64 },
}

impl Turn {
	/// Whether member `from` may propose batch `batch` as attempt `attempt` of an `n`-member
	/// group, to a member at turn `now` for the group's next batch `next`: the batch must be
	/// `next`, and `from` that attempt's coordinator; the attempt may be this member's or one
	/// either side of it, since members' nodes see blocks finalized a little apart.
	fn admits(
		now: Turn,
		next: u64,
		n: u64,
		from: Index,
		batch: u64,
		attempt: u32,
	) -> Result<(), OutOfTurn> {
		if batch != next {
			return Err(OutOfTurn::NotNext { batch, next });
		}
		if attempt.abs_diff(now.attempt) > 1 {
			return Err(OutOfTurn::Untimely { attempt, ours: now.attempt });
		}
		let coordinator = next.wrapping_add(u64::from(attempt)).checked_rem(n).unwrap_or(0);
		if coordinator != u64::from(from) {
			return Err(OutOfTurn::NotTheirTurn { attempt, coordinator });
		}
		Ok(())
	}

	/// The turn for batch `next` of an `n`-member group, `elapsed_ms` after the chain's last group
	/// anchor (by the chain's blocks), with rounds of `round_ms` whose first `window_ms` let readings gather: batch `b`'s
	/// coordinator is member `(b + attempt) mod n`. `None` for a group without members.
	fn at(next: u64, n: u64, elapsed_ms: u64, round_ms: u64, window_ms: u64) -> Option<Self> {
		let round_ms = round_ms.max(1);
		let attempt = elapsed_ms / round_ms;
		let coordinator = next.wrapping_add(attempt).checked_rem(n)?;
		Some(Self {
			attempt: attempt.min(u64::from(u32::MAX)) as u32,
			coordinator,
			gathering: elapsed_ms % round_ms < window_ms,
		})
	}
}

/// A key share and the group's public keys, sealed for the database.
fn seal_keys(
	rest_key: &[u8; 32],
	share: &KeyPackage,
	public: &PublicKeyPackage,
) -> Result<Vec<u8>, frost_ed25519::Error> {
	Ok(seal::seal(rest_key, &(share.serialize()?, public.serialize()?).encode()))
}

fn unseal_keys(rest_key: &[u8; 32], sealed: &[u8]) -> Option<Keys> {
	let plain = seal::open(rest_key, sealed)?;
	let (share, public) = <(Vec<u8>, Vec<u8>)>::decode(&mut &plain[..]).ok()?;
	let share = KeyPackage::deserialize(&share).ok()?;
	let public = PublicKeyPackage::deserialize(&public).ok()?;
	let key = dkg::group_key(&public).ok()?;
	Some(Keys { share, public, key })
}

#[cfg(test)]
mod tests {
	use super::{OutOfTurn, Turn};

	#[test]
	fn coordinators_take_turns_a_round_each() {
		// Batch 5 of a 4-member group, rounds of 8 s whose first second lets readings gather.
		let at = |elapsed| Turn::at(5, 4, elapsed, 8_000, 1_000).unwrap();
		assert_eq!(at(0), Turn { attempt: 0, coordinator: 1, gathering: true });
		assert_eq!(at(1_000), Turn { attempt: 0, coordinator: 1, gathering: false });
		// Member 1 did not get it anchored: the next round is member 2's, and so on round.
		assert_eq!(at(8_500), Turn { attempt: 1, coordinator: 2, gathering: true });
		assert_eq!(at(3 * 8_000 + 2_000), Turn { attempt: 3, coordinator: 0, gathering: false });
		assert_eq!(at(4 * 8_000 + 2_000).coordinator, 1);
		// The next batch starts with the next member.
		assert_eq!(Turn::at(6, 4, 2_000, 8_000, 1_000).unwrap().coordinator, 2);
		// No members, no turn; a zero round is taken as 1 ms.
		assert_eq!(Turn::at(5, 0, 0, 8_000, 1_000), None);
		assert_eq!(Turn::at(0, 3, 7, 0, 0).unwrap().attempt, 7);
	}

	/// The attack of a member that proposes out of turn: a batch number above the next (the
	/// group would wait for the one skipped), or a round that is not its own.
	#[test]
	fn a_proposal_is_admitted_only_from_its_turns_coordinator_for_the_next_batch() {
		// Batch 5 of a 4-member group, this member in attempt 2 (member 3 coordinates).
		let now = Turn::at(5, 4, 2 * 8_000 + 3_000, 8_000, 1_000).unwrap();
		assert_eq!(now.coordinator, 3);
		assert_eq!(Turn::admits(now, 5, 4, 3, 5, 2), Ok(()));
		// A round either side: members count rounds from when each saw the last anchor.
		assert_eq!(Turn::admits(now, 5, 4, 2, 5, 1), Ok(()));
		assert_eq!(Turn::admits(now, 5, 4, 0, 5, 3), Ok(()));
		// The skipped number, or one already anchored.
		assert_eq!(Turn::admits(now, 5, 4, 3, 6, 2), Err(OutOfTurn::NotNext { batch: 6, next: 5 }));
		assert_eq!(
			Turn::admits(now, 5, 4, 3, u64::MAX, 2),
			Err(OutOfTurn::NotNext { batch: u64::MAX, next: 5 })
		);
		assert_eq!(Turn::admits(now, 5, 4, 3, 4, 2), Err(OutOfTurn::NotNext { batch: 4, next: 5 }));
		// Not the proposer's turn, or a turn long past or far ahead.
		assert_eq!(
			Turn::admits(now, 5, 4, 1, 5, 2),
			Err(OutOfTurn::NotTheirTurn { attempt: 2, coordinator: 3 })
		);
		assert_eq!(
			Turn::admits(now, 5, 4, 1, 5, 0),
			Err(OutOfTurn::Untimely { attempt: 0, ours: 2 })
		);
		assert_eq!(
			Turn::admits(now, 5, 4, 3, 5, 6),
			Err(OutOfTurn::Untimely { attempt: 6, ours: 2 })
		);
		assert_eq!(
			Turn::admits(now, 5, 4, 3, 5, u32::MAX),
			Err(OutOfTurn::Untimely { attempt: u32::MAX, ours: 2 })
		);
	}
}
