//! The anchorer: cuts batches out of the pending readings, asks the chain beforehand whether it
//! would take each device's readings, and anchors the batches in a pipeline — several in flight,
//! signed with consecutive nonces — until each is in a finalized block or refused.
//!
//! Nothing the chain refuses costs another device its readings:
//!
//! - before a batch is stored, the chain says per device (`AnchoringApi_check_ranges`) whether
//!   it would take its readings; a device it would not is left out and its readings set aside
//!   with the reason, visible to the operator (`/aside`, `/metrics`, the log);
//! - should the chain still refuse a batch (a device suspended while it was in flight), the
//!   devices it was refused for are found by asking again, their readings set aside, and every
//!   other reading goes back to the queue: a device is in at most one unsettled batch, so they
//!   are still next in their device's sequence;
//! - a batch that could never fit a block (weight or length) is split, not retried for ever:
//!   batches are planned against limits read from the chain, which shrink if the chain says so.
//!
//! Batch numbers are the gateway's own, and the chain takes each once per account. A batch
//! number found on chain with another root means another gateway anchors with this account (or
//! this database was lost and numbering restarted): the anchorer stops rather than mark readings
//! anchored that are not, and the chain's highest number moves this database's numbering on.

pub mod policy;

use crate::{
	batch::{Batch, BatchHead, Limits, SealedUnder},
	chain::port::{AnchorChain, CallFailure, ChainError, Outcome, PalletError, Relayed},
	clock::now_ms,
	lifecycle::{AsideReason, Verdict},
	stats::{Stage, Stats},
	store::{Proposal, Store, StoreError},
};
use iotrust_primitives::{
	anchoring::{AnchorId, RangeCheck},
	device::DeviceId,
};
use policy::Next;
use sp_core::H256;
use std::{
	collections::BTreeMap,
	future::Future,
	pin::Pin,
	sync::Arc,
	time::{Duration, Instant},
};
use tracing::{error, info, warn};

/// Batches cut at once at most (their devices judged by the chain in one call).
const CUT_AT_ONCE: usize = 8;

/// Why the anchorer stopped.
#[derive(Debug, thiserror::Error)]
pub enum Halt {
	/// Another gateway anchors with this account, or this database is not the one that
	/// numbered the account's batches.
	#[error(
		"batch {number} is on chain with root {theirs:?}, but this gateway built it with root {ours:?}: another gateway anchors with this account (or this database is not the one that numbered its batches). Stop the other gateway; this one anchors nothing more until restarted"
	)]
	Collision { number: u64, ours: H256, theirs: H256 },
	/// The database failed.
	#[error(transparent)]
	Store(#[from] StoreError),
}

/// How the anchorer runs.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
	/// Readings per batch at most (the chain's limits apply besides).
	pub max_readings: usize,
	/// Devices per batch at most (the chain's limit applies besides).
	pub max_devices: usize,
	/// A batch is cut once it is full (by readings or by devices), or once readings have waited
	/// this long: since the last cut, or since the anchorer found readings pending.
	pub window: Duration,
	/// Batches in flight at most.
	pub max_in_flight: usize,
	/// Batches being handed to the node's pool at once, at most.
	pub max_submitting: usize,
	/// How long to wait before asking the chain again after it could not be reached.
	pub retry: Duration,
	/// How often held devices are checked against the chain again.
	pub recheck: Duration,
}

/// The anchorer's state.
pub struct Anchorer<C: AnchorChain> {
	chain: Arc<C>,
	store: Arc<Store>,
	stats: Arc<Stats>,
	settings: Settings,
	limits: Option<Limits>,
	nonce: Option<u64>,
	/// Batches in flight by number, with their readings' timestamps (for the latency
	/// histogram), and batches waiting to be (re)submitted, oldest first.
	flying: BTreeMap<u64, Vec<u64>>,
	to_submit: Vec<Batch>,
	/// Nothing is submitted until then.
	paused: Option<Instant>,
	since: Option<Instant>,
	last_recheck: Instant,
	relayed: Option<tokio::sync::mpsc::Receiver<Relayed>>,
}

/// A submitted batch's number and its end: not taken by the pool, or its outcome.
type Finished = (u64, Result<Outcome, ChainError>);

impl<C: AnchorChain> Anchorer<C> {
	/// An anchorer over `store`, anchoring on `chain`.
	pub fn new(chain: Arc<C>, store: Arc<Store>, stats: Arc<Stats>, settings: Settings) -> Self {
		Self {
			chain,
			store,
			stats,
			settings,
			limits: None,
			nonce: None,
			flying: BTreeMap::new(),
			to_submit: Vec::new(),
			paused: None,
			since: None,
			last_recheck: Instant::now(),
			relayed: None,
		}
	}

	/// Also submit the calls that come from `relayed`, between batches, with this account's
	/// next nonces.
	pub fn relaying(mut self, relayed: tokio::sync::mpsc::Receiver<Relayed>) -> Self {
		self.relayed = Some(relayed);
		self
	}

	/// Submit a relayed call and hand its outcome on (without waiting for it here).
	async fn relay(&mut self, relayed: Relayed) {
		let nonce = match self.nonce {
			Some(n) => Ok(n),
			None => self.chain.next_nonce().await,
		};
		let submitted = match nonce {
			Ok(nonce) => self.chain.submit_call(&relayed.call, nonce).await.map(|f| (nonce, f)),
			Err(e) => Err(e),
		};
		match submitted {
			Ok((nonce, outcome)) => {
				self.nonce = Some(nonce + 1);
				tokio::spawn(async move {
					let _ = relayed.done.send(outcome.await);
				});
			},
			Err(e) => {
				self.nonce = None;
				let _ = relayed.done.send(Err(CallFailure::NotSubmitted(e.to_string())));
			},
		}
	}

	/// Check this database against the chain's record of the account's batches: a fresh
	/// database resumes numbering after the chain's highest batch; a database that never built
	/// a batch the chain has from this account is refused (another gateway uses it).
	pub async fn reconcile_numbering(&self) -> Result<(), StartError> {
		let last = loop {
			match self.chain.last_batch().await {
				Ok(last) => break last,
				Err(ChainError::Unreachable(e)) => {
					warn!("asking the chain for this account's last batch: {e}; retrying");
					tokio::time::sleep(self.settings.retry).await;
				},
				Err(e) => return Err(StartError::Chain(e)),
			}
		};
		let Some(last) = last else { return Ok(()) };
		let next = self.store.next_batch()?;
		if next == 0 {
			info!("a fresh database: numbering batches after {last}, this account's last on chain");
			let next = last.checked_add(1).ok_or(StartError::NumbersExhausted)?;
			self.store.raise_next_batch(next)?;
			return Ok(());
		}
		if last >= next {
			return Err(StartError::Numbering { last, next });
		}
		// The chain's last batch must be the one this database built under that number.
		if let Some(head) = self.store.head(last)? {
			if let Ok(Some((_, root))) = self.chain.anchor_of(last).await {
				if root != head.header.root {
					return Err(StartError::Foreign { number: last });
				}
			}
		}
		Ok(())
	}

	/// Run until the chain shows another gateway anchoring with this account, or the database
	/// fails.
	pub async fn run(mut self) -> Halt {
		match self.run_inner().await {
			Ok(never) => match never {},
			Err(halt) => halt,
		}
	}

	async fn run_inner(&mut self) -> Result<std::convert::Infallible, Halt> {
		use subxt::ext::futures::{
			stream::{FuturesUnordered, StreamExt},
			FutureExt,
		};
		let mut flying: FuturesUnordered<Pin<Box<dyn Future<Output = Finished> + Send>>> =
			FuturesUnordered::new();
		// What a previous run left unsettled is looked up first, in order: settled if it is on
		// chain, submitted again if not.
		for batch in self.store.unsettled()? {
			if self.look_up(&batch.head, &timestamps(&batch)).await?.is_none() {
				self.to_submit.push(batch);
			}
		}
		let submitting = Arc::new(tokio::sync::Semaphore::new(self.settings.max_submitting.max(1)));
		loop {
			self.recheck_held().await?;
			// Settle what has ended before submitting more: a batch finalized is settled
			// promptly however long the queue of batches to cut is.
			while let Some(Some((number, ended))) = flying.next().now_or_never() {
				self.ended(number, ended).await?;
			}
			while self.flying.len() < self.settings.max_in_flight
				&& self.paused.is_none_or(|until| Instant::now() >= until)
			{
				self.paused = None;
				let taken = Instant::now();
				if self.to_submit.is_empty() {
					// Several batches at once when there is room: one round trip to judge
					// them all, so a long queue is cut as fast as it is submitted.
					let room = self.settings.max_in_flight - self.flying.len();
					self.cut(room.min(CUT_AT_ONCE)).await?;
				}
				if self.to_submit.is_empty() {
					break;
				}
				let batch = self.to_submit.remove(0);
				let Some(nonce) = self.take_nonce().await else {
					self.to_submit.insert(0, batch);
					break;
				};
				// Up to `max_submitting` submissions go out at once, each on its own task (the
				// node's pool takes a while to accept each, and a later nonce waits in its
				// future queue for the earlier ones), and each is followed on that task to its
				// end while this loop cuts the next batches.
				let permit = submitting.clone().acquire_owned().await.expect("never closed");
				let number = batch.head.header.batch;
				self.flying.insert(number, timestamps(&batch));
				self.stats.in_flight(self.flying.len());
				let (chain, stats, head) = (self.chain.clone(), self.stats.clone(), batch.head);
				let followed = tokio::spawn(async move {
					let started = Instant::now();
					let submitted = chain.submit(&head, nonce).await;
					stats.timed(Stage::Pool, started.elapsed());
					drop(permit);
					let watch = submitted?;
					stats.timed(Stage::Submit, taken.elapsed());
					let accepted = Instant::now();
					let outcome = watch.await;
					if matches!(outcome, Outcome::Anchored { .. }) {
						stats.timed(Stage::Finality, accepted.elapsed());
					}
					Ok(outcome)
				});
				flying.push(Box::pin(async move {
					let ended = followed.await.unwrap_or_else(|e| {
						Ok(Outcome::Lost(format!("following the transaction failed: {e}")))
					});
					(number, ended)
				}));
			}
			// Wake in time to cut the next batch when its window ends.
			let tick = tokio::time::sleep(
				(self.settings.window / 2)
					.clamp(Duration::from_millis(5), Duration::from_millis(100)),
			);
			let relayed = async {
				match self.relayed.as_mut() {
					Some(rx) => rx.recv().await,
					None => std::future::pending().await,
				}
			};
			tokio::select! {
				Some((number, ended)) = flying.next(), if !flying.is_empty() => {
					self.ended(number, ended).await?;
				},
				Some(call) = relayed => self.relay(call).await,
				_ = tick => {},
			}
		}
	}

	/// The limits batches are planned against: the operator's within the chain's.
	async fn limits(&mut self) -> Option<Limits> {
		if let Some(limits) = self.limits {
			return Some(limits);
		}
		match self.chain.limits().await {
			Ok(chain) => {
				let limits =
					policy::limits(self.settings.max_devices, self.settings.max_readings, chain);
				info!(
					"batches take at most {} devices, {} readings, {} metrics a device, {} summaries (chain: {} devices)",
					limits.max_devices, limits.max_readings, limits.max_metrics, limits.max_summaries, chain.max_devices
				);
				self.limits = Some(limits);
				Some(limits)
			},
			Err(e) => {
				warn!("reading the chain's batch limits: {e}");
				None
			},
		}
	}

	/// Cut the next batches if it is time (up to `most`): plan them, ask the chain about each
	/// device (once for all of them), set aside what it would not take, store the rest and
	/// queue them for submission.
	async fn cut(&mut self, most: usize) -> Result<(), Halt> {
		let proposals = self.plan(most).await?;
		if proposals.is_empty() {
			return Ok(());
		}
		let Some((verdicts, private)) = judge(&*self.chain, &self.stats, &proposals).await else {
			return Ok(());
		};
		let mut proposals = proposals;
		for p in &mut proposals {
			p.private = p
				.runs
				.iter()
				.filter_map(|(d, _)| private.get(d).map(|under| (*d, *under)))
				.collect();
		}
		for (proposal, verdicts) in proposals.iter().zip(verdicts) {
			if let Some(batch) = self.commit(proposal, &verdicts)? {
				self.to_submit.push(batch);
			}
		}
		Ok(())
	}

	/// The next batches' proposals (up to `most`) if it is time to cut: a batch would be full
	/// (by readings or by devices), or the oldest reading has waited a window.
	async fn plan(&mut self, most: usize) -> Result<Vec<Proposal>, Halt> {
		let Some(limits) = self.limits().await else { return Ok(Vec::new()) };
		let pending = self.store.pending_count()?;
		if pending == 0 {
			self.since = None;
			return Ok(Vec::new());
		}
		let waited = self.since.get_or_insert_with(Instant::now).elapsed();
		let queued = self.store.queued_count()?;
		if !policy::time_to_cut(pending, queued, &limits, waited, self.settings.window) {
			return Ok(Vec::new());
		}
		Ok(self.store.propose_many(limits, most)?)
	}

	/// Store `proposal` as the next batch, as the chain judged it (`verdicts`): what it would
	/// not take is set aside, and said so.
	fn commit(&mut self, proposal: &Proposal, verdicts: &[Verdict]) -> Result<Option<Batch>, Halt> {
		let now = now_ms();
		let batch = self.store.commit_batch(proposal, verdicts, now)?;
		self.since = Some(Instant::now());
		if let Some(oldest) =
			batch.as_ref().and_then(|b| b.readings.iter().map(|r| r.timestamp_ms).min())
		{
			self.stats.timed(Stage::Queue, Duration::from_millis(now.saturating_sub(oldest)));
		}
		for ((device, run), verdict) in proposal.runs.iter().zip(verdicts) {
			let sorted = verdict.sort(run);
			let aside = sorted.reason.map(|reason| (sorted.aside.len(), reason));
			if let Some((count, reason)) = aside {
				self.stats.set_aside(reason, count as u64);
				warn!(
					"set aside {count} reading(s) of device {device:?}: {} (see /aside)",
					reason.name()
				);
			}
		}
		Ok(batch)
	}

	/// The account's next nonce, taken: `None` if the node cannot be asked now (the anchorer
	/// pauses).
	async fn take_nonce(&mut self) -> Option<u64> {
		let nonce = match self.nonce {
			Some(n) => n,
			None => match self.chain.next_nonce().await {
				Ok(n) => n,
				Err(e) => {
					warn!("asking for the account's nonce: {e}");
					self.pause();
					return None;
				},
			},
		};
		self.nonce = Some(nonce + 1);
		Some(nonce)
	}

	/// Submit nothing more for a while (the node is unreachable, or refused a batch for a
	/// reason that may pass).
	fn pause(&mut self) {
		self.paused = Some(Instant::now() + self.settings.retry);
	}

	/// Batch `number`, submitted, ended: the pool did not take it, or it reached an
	/// [`Outcome`]; do what [`Next::after`] says. Whenever the pool did not take it, or its
	/// transaction was lost, its nonce may be free again, so the next nonce is asked for anew:
	/// the next submission fills the gap, and the later ones waiting in the pool's future queue
	/// follow.
	async fn ended(&mut self, number: u64, ended: Result<Outcome, ChainError>) -> Result<(), Halt> {
		let stamps = self.flying.remove(&number).unwrap_or_default();
		self.stats.in_flight(self.flying.len());
		let why = match &ended {
			Ok(Outcome::Lost(why)) => why.clone(),
			Err(e) => e.to_string(),
			Ok(_) => String::new(),
		};
		if ended.is_err() {
			self.nonce = None;
		}
		let Some(head) = self.store.head(number)? else { return Ok(()) };
		match Next::after(ended) {
			Next::Settle { anchor, block } => self.anchored(&head, &stamps, anchor, block),
			Next::LookUp { fresh_nonce } => {
				if fresh_nonce {
					warn!("lost track of batch {number} ({why}); looking it up");
					self.nonce = None;
				}
				if self.look_up(&head, &stamps).await?.is_none() {
					// Not there after all (a fork?): submit it again.
					self.requeue_for_submission(number)?;
				}
				Ok(())
			},
			Next::Refused { error, ask_why } => self.refused(&head, error, ask_why).await,
			Next::Split => {
				// It can never fit a block: split it (its readings go back), and plan smaller.
				let devices = head.ranges.len();
				let readings = head.header.reading_count as usize;
				if let Some(limits) = self.limits.as_mut() {
					*limits = policy::smaller(*limits, devices, readings);
				}
				error!(
					"batch {number} ({devices} devices, {readings} readings) can never fit a block; planning smaller batches"
				);
				self.stats.refused();
				self.store.settle_refused(
					number,
					"too big for a block (ExhaustsResources)".into(),
					&[],
					now_ms(),
				)?;
				Ok(())
			},
			Next::Retry { cannot_pay } => {
				if cannot_pay {
					error!(
						"the gateway account cannot pay to anchor batch {number}: fund it; retrying"
					)
				} else {
					warn!("submitting batch {number}: {why}; retrying")
				}
				self.pause();
				self.requeue_for_submission(number)
			},
		}
	}

	fn requeue_for_submission(&mut self, number: u64) -> Result<(), Halt> {
		if let Some(batch) =
			self.store.unsettled()?.into_iter().find(|b| b.head.header.batch == number)
		{
			self.to_submit.push(batch);
			self.to_submit.sort_by_key(|b| b.head.header.batch);
		}
		Ok(())
	}

	/// Look batch `head` up on chain: `Some` if it is anchored there (and now settled), `None`
	/// if it is not. A different root under its number halts the anchorer.
	async fn look_up(&mut self, head: &BatchHead, stamps: &[u64]) -> Result<Option<()>, Halt> {
		loop {
			match self
				.chain
				.anchor_of(head.header.batch)
				.await
				.map(|on_chain| policy::Found::of(on_chain, &head.header.root))
			{
				Ok(policy::Found::Ours(anchor)) => {
					info!("batch {} is anchored as anchor {anchor}", head.header.batch);
					self.anchored(head, stamps, anchor, H256::zero())?;
					return Ok(Some(()));
				},
				Ok(policy::Found::Theirs(theirs)) => {
					self.stats.collision();
					return Err(Halt::Collision {
						number: head.header.batch,
						ours: head.header.root,
						theirs,
					});
				},
				Ok(policy::Found::Absent) => return Ok(None),
				Err(e) => {
					warn!("looking up batch {}: {e}; retrying", head.header.batch);
					tokio::time::sleep(self.settings.retry).await;
				},
			}
		}
	}

	fn anchored(
		&self,
		head: &BatchHead,
		stamps: &[u64],
		anchor: AnchorId,
		block: H256,
	) -> Result<(), Halt> {
		let at = now_ms();
		self.store.settle_anchored(head.header.batch, anchor, block, at)?;
		self.stats.anchored(head.header.reading_count.into(), stamps, at);
		info!(
			"batch {} anchored as anchor {anchor}: {} readings from {} devices",
			head.header.batch,
			head.header.reading_count,
			head.ranges.len()
		);
		Ok(())
	}

	/// The chain refused batch `head` with `error`: find the devices it was refused for, set
	/// their readings aside, and put the others' back in the queue.
	async fn refused(
		&mut self,
		head: &BatchHead,
		error: PalletError,
		ask_why: bool,
	) -> Result<(), Halt> {
		self.stats.refused();
		let mut culprits = Vec::new();
		if ask_why {
			let ranges: Vec<(DeviceId, u64)> =
				head.ranges.iter().map(|r| (r.device, r.first)).collect();
			let checks = loop {
				match self.chain.check_ranges(&ranges).await {
					Ok(checks) if checks.len() == ranges.len() => break checks,
					Ok(_) => tokio::time::sleep(self.settings.retry).await,
					Err(e) => {
						warn!("asking the chain why batch {} was refused: {e}", head.header.batch);
						tokio::time::sleep(self.settings.retry).await;
					},
				}
			};
			for ((device, _), check) in ranges.iter().zip(checks) {
				if let Some(reason) = AsideReason::of(check) {
					culprits.push((*device, reason));
				}
			}
		} else {
			// Not about a device (the batch itself broke a rule of the chain's, whose limits
			// may have changed with a runtime upgrade): read the limits again.
			self.limits = None;
		}
		error!(
			"batch {} refused by the chain: {error}; {} device(s) set aside, the other readings go back to the queue",
			head.header.batch,
			culprits.len()
		);
		for (device, reason) in &culprits {
			let count = head
				.ranges
				.iter()
				.find(|r| r.device == *device)
				.map_or(0, |r| reason.count_in(r.first, r.last));
			self.stats.set_aside(*reason, count);
			warn!("set aside {count} reading(s) of device {device:?}: {}", reason.name());
		}
		self.store.settle_refused(head.header.batch, error.to_string(), &culprits, now_ms())?;
		Ok(())
	}

	/// Every `recheck`, ask the chain whether it would take held devices' readings again, and
	/// queue those it would.
	async fn recheck_held(&mut self) -> Result<(), Halt> {
		if self.last_recheck.elapsed() < self.settings.recheck {
			return Ok(());
		}
		self.last_recheck = Instant::now();
		let held = self.store.held_devices(100)?;
		if held.is_empty() {
			return Ok(());
		}
		let Ok(checks) = self.chain.check_ranges(&held).await else { return Ok(()) };
		for ((device, first), check) in held.iter().zip(checks) {
			if let RangeCheck::Admitted { expected } = check {
				let back = self.store.release(device, expected.max(*first), now_ms())?;
				if back > 0 {
					info!("device {device:?} may be anchored again: {back} set-aside reading(s) queued");
					self.stats.released(back);
				}
			}
		}
		Ok(())
	}
}

/// The chain's verdict on each run of each of `proposals`, asked in one call; `None` if the
/// chain cannot be asked now.
async fn judge<C: AnchorChain>(
	chain: &C,
	stats: &Stats,
	proposals: &[Proposal],
) -> Option<(Vec<Vec<Verdict>>, std::collections::BTreeMap<DeviceId, SealedUnder>)> {
	let started = Instant::now();
	let ranges: Vec<(DeviceId, u64)> = proposals
		.iter()
		.flat_map(|p| &p.runs)
		.filter_map(|(device, run)| run.first().map(|r| (*device, r.seq)))
		.collect();
	let checked = chain.check_ranges(&ranges).await;
	let devices: Vec<DeviceId> = ranges.iter().map(|(d, _)| *d).collect();
	let private = match chain.private_devices(&devices).await {
		Ok(channels) if channels.len() == devices.len() => devices
			.iter()
			.zip(channels)
			.filter_map(|(d, channel)| channel.map(|c| (*d, c)))
			.collect(),
		Ok(_) | Err(_) => {
			warn!("asking the chain which of a batch's devices are private; asking again later");
			return None;
		},
	};
	stats.timed(Stage::Judge, started.elapsed());
	match checked {
		Ok(checks) if checks.len() == ranges.len() => {
			let mut checks = checks.into_iter().map(Verdict::of);
			let verdicts =
				proposals.iter().map(|p| checks.by_ref().take(p.runs.len()).collect()).collect();
			Some((verdicts, private))
		},
		Ok(checks) => {
			warn!(
				"the chain judged {} of {} devices; asking again later",
				checks.len(),
				ranges.len()
			);
			None
		},
		Err(e) => {
			warn!("asking the chain about a batch's devices: {e}");
			None
		},
	}
}

/// The timestamps of `batch`'s readings.
fn timestamps(batch: &Batch) -> Vec<u64> {
	batch.readings.iter().map(|r| r.timestamp_ms).collect()
}

/// Why the anchorer would not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
	/// The chain has a batch from this account numbered at or above this database's next.
	#[error(
		"the chain has batch {last} from this gateway's account, but this database numbers its next batch {next}: another gateway anchors with this account, or this database is older than the account's record on chain. Stop the other gateway; to start afresh, move this database away (a fresh one takes its numbering from the chain)"
	)]
	Numbering { last: u64, next: u64 },
	/// The chain's last batch from this account is not the one this database built.
	#[error(
		"the chain has batch {number} from this gateway's account with another root than this database built: another gateway anchors with this account. Stop it"
	)]
	Foreign { number: u64 },
	/// The chain's last batch from this account is numbered `u64::MAX`: none can follow.
	#[error(
		"the chain's last batch from this gateway's account is numbered {}: no batch can follow it; anchor with another account",
		u64::MAX
	)]
	NumbersExhausted,
	/// The chain could not be read.
	#[error(transparent)]
	Chain(#[from] ChainError),
	/// The database failed.
	#[error(transparent)]
	Store(#[from] StoreError),
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::chain::port::{AnchoringError, CallInFlight, ChainLimits, InFlight, PoolRefusal};
	use iotrust_primitives::{
		device::DeviceSignature,
		merkle::{Metric, SignedReading},
	};
	use std::{
		collections::{HashMap, HashSet},
		sync::Mutex,
	};

	/// A chain that applies `anchoring.anchor`'s rules to what it is sent.
	#[derive(Default)]
	struct Fake {
		state: Mutex<FakeState>,
	}

	#[derive(Default)]
	struct FakeState {
		inactive: HashSet<DeviceId>,
		last_seq: HashMap<DeviceId, u64>,
		anchors: BTreeMap<u64, (AnchorId, H256)>,
		/// Anchors of this account's batch numbers that someone else made.
		foreign: BTreeMap<u64, H256>,
		/// Devices suspended once their batch is submitted (before it lands).
		suspend_on_submit: HashSet<DeviceId>,
		/// The most devices a transaction may carry before the pool says it is too big.
		too_big_above: Option<usize>,
		/// The next nonce the pool counts (every lower one is taken), and the nonces above it
		/// it holds in its future queue.
		nonce: u64,
		future: HashSet<u64>,
		submitted: Vec<(u64, usize)>,
		relayed: Vec<(&'static str, u64)>,
		in_flight: usize,
		most_in_flight: usize,
		submitting: usize,
		most_submitting: usize,
		/// Batch numbers the pool refuses the first time they are submitted (a passing reason).
		refuse_once: HashSet<u64>,
	}

	impl FakeState {
		/// The pool takes `nonce`: a used one is refused, one ahead of the account's waits in
		/// the future queue until the gap before it is filled.
		fn take(&mut self, nonce: u64) -> Result<(), ChainError> {
			if nonce < self.nonce || !self.future.insert(nonce) {
				return Err(ChainError::Refused(PoolRefusal::Nonce));
			}
			while self.future.remove(&self.nonce) {
				self.nonce += 1;
			}
			Ok(())
		}

		fn check(&self, device: &DeviceId, first: u64) -> RangeCheck {
			if self.inactive.contains(device) {
				return RangeCheck::DeviceNotActive;
			}
			match self.last_seq.get(device) {
				None => RangeCheck::Admitted { expected: 0 },
				Some(&last) if first <= last => RangeCheck::SequenceReplay { last },
				Some(&last) => RangeCheck::Admitted { expected: last + 1 },
			}
		}
	}

	impl AnchorChain for Handle {
		async fn limits(&self) -> Result<ChainLimits, ChainError> {
			Ok(ChainLimits { max_devices: 100, max_metrics: 8, max_summaries: 1_600 })
		}

		async fn private_devices(
			&self,
			devices: &[DeviceId],
		) -> Result<Vec<Option<SealedUnder>>, ChainError> {
			Ok(vec![None; devices.len()])
		}

		async fn check_ranges(
			&self,
			ranges: &[(DeviceId, u64)],
		) -> Result<Vec<RangeCheck>, ChainError> {
			let s = self.0.state.lock().unwrap();
			Ok(ranges.iter().map(|(d, first)| s.check(d, *first)).collect())
		}

		async fn anchor_of(&self, number: u64) -> Result<Option<(AnchorId, H256)>, ChainError> {
			let s = self.0.state.lock().unwrap();
			Ok(s.anchors.get(&number).copied().or(s.foreign.get(&number).map(|r| (999, *r))))
		}

		async fn last_batch(&self) -> Result<Option<u64>, ChainError> {
			let s = self.0.state.lock().unwrap();
			Ok(s.anchors.keys().chain(s.foreign.keys()).max().copied())
		}

		async fn next_nonce(&self) -> Result<u64, ChainError> {
			Ok(self.0.state.lock().unwrap().nonce)
		}

		async fn submit(&self, head: &BatchHead, nonce: u64) -> Result<InFlight, ChainError> {
			{
				let mut s = self.0.state.lock().unwrap();
				s.submitting += 1;
				s.most_submitting = s.most_submitting.max(s.submitting);
			}
			// Submissions reach the pool out of nonce order.
			tokio::time::sleep(Duration::from_millis(3 - nonce % 3)).await;
			let this = {
				let mut s = self.0.state.lock().unwrap();
				s.submitting -= 1;
				if s.refuse_once.remove(&head.header.batch) {
					return Err(ChainError::Refused(PoolRefusal::Other(
						"temporarily banned".into(),
					)));
				}
				if s.too_big_above.is_some_and(|most| head.ranges.len() > most) {
					return Err(ChainError::Refused(PoolRefusal::TooBig));
				}
				s.take(nonce)?;
				s.submitted.push((head.header.batch, head.ranges.len()));
				s.in_flight += 1;
				s.most_in_flight = s.most_in_flight.max(s.in_flight);
				for r in &head.ranges {
					if s.suspend_on_submit.remove(&r.device) {
						s.inactive.insert(r.device);
					}
				}
				self.0
			};
			let head = head.clone();
			Ok(Box::pin(async move {
				// In a block once every nonce before it is.
				while this.state.lock().unwrap().nonce <= nonce {
					tokio::time::sleep(Duration::from_millis(1)).await;
				}
				tokio::time::sleep(Duration::from_millis(30)).await;
				let mut s = this.state.lock().unwrap();
				s.in_flight -= 1;
				if s.anchors.contains_key(&head.header.batch)
					|| s.foreign.contains_key(&head.header.batch)
				{
					return Outcome::Failed(PalletError::Anchoring(
						AnchoringError::BatchAlreadyAnchored,
					));
				}
				for r in &head.ranges {
					match s.check(&r.device, r.first) {
						RangeCheck::Admitted { .. } => {},
						RangeCheck::DeviceNotActive => {
							return Outcome::Failed(PalletError::Anchoring(
								AnchoringError::DeviceNotActive,
							))
						},
						_ => {
							return Outcome::Failed(PalletError::Anchoring(
								AnchoringError::SequenceReplay,
							))
						},
					}
				}
				for r in &head.ranges {
					s.last_seq.insert(r.device, r.last);
				}
				let id = s.anchors.len() as u64;
				s.anchors.insert(head.header.batch, (id, head.header.root));
				Outcome::Anchored { anchor: id, block: H256::zero() }
			}))
		}

		async fn submit_call(
			&self,
			call: &crate::chain::Call,
			nonce: u64,
		) -> Result<CallInFlight, ChainError> {
			let mut s = self.0.state.lock().unwrap();
			s.take(nonce)?;
			s.relayed.push((call.name, nonce));
			Ok(Box::pin(async { Ok(vec![]) }))
		}
	}

	fn reading(device: u8, seq: u64) -> SignedReading {
		SignedReading {
			device: H256([device; 32]),
			seq,
			timestamp_ms: now_ms(),
			metrics: vec![Metric { id: 1, value: seq as i64 }],
			signature: DeviceSignature::Ed25519([device; 64]),
		}
	}

	fn settings() -> Settings {
		Settings {
			max_readings: 1_000,
			max_devices: 100,
			window: Duration::from_millis(10),
			max_in_flight: 4,
			max_submitting: 3,
			retry: Duration::from_millis(10),
			recheck: Duration::from_millis(50),
		}
	}

	struct Rig {
		_dir: tempfile::TempDir,
		store: Arc<Store>,
		fake: &'static Fake,
	}

	fn rig() -> Rig {
		let dir = tempfile::tempdir().unwrap();
		let store = Arc::new(Store::open(&dir.path().join("g.redb")).unwrap());
		Rig { _dir: dir, store, fake: Box::leak(Box::new(Fake::default())) }
	}

	/// A chain handle the anchorer can own, over the leaked fake.
	struct Handle(&'static Fake);

	impl Rig {
		fn anchorer(&self, settings: Settings) -> Anchorer<Handle> {
			Anchorer::new(
				Arc::new(Handle(self.fake)),
				self.store.clone(),
				Arc::new(Stats::default()),
				settings,
			)
		}

		/// Run an anchorer until `done` holds (or it halts, or 10 s pass).
		async fn run_until(
			&self,
			settings: Settings,
			done: impl Fn(&Store) -> bool,
		) -> Option<Halt> {
			let anchorer = self.anchorer(settings);
			let store = self.store.clone();
			tokio::select! {
				halt = anchorer.run() => Some(halt),
				_ = async {
					while !done(&store) {
						tokio::time::sleep(Duration::from_millis(10)).await;
					}
				} => None,
				_ = tokio::time::sleep(Duration::from_secs(10)) => panic!("timed out"),
			}
		}

		fn anchored_up_to(&self, device: u8) -> Option<u64> {
			self.fake.state.lock().unwrap().last_seq.get(&H256([device; 32])).copied()
		}
	}

	fn settled(store: &Store) -> bool {
		store.pending_count().unwrap() == 0 && store.unsettled_count().unwrap() == 0
	}

	/// One owner's device, suspended on chain, shares the gateway with 20 others: the chain
	/// is asked beforehand, the device is left out and its readings set aside; every other
	/// device's readings are anchored.
	#[tokio::test]
	async fn attack_a_suspended_device_costs_no_other_reading() {
		let rig = rig();
		rig.fake.state.lock().unwrap().inactive.insert(H256([7; 32]));
		for n in 1..=21 {
			rig.store.accept(&(0..50).map(|s| reading(n, s)).collect::<Vec<_>>()).unwrap();
		}
		assert!(rig.run_until(settings(), settled).await.is_none());
		for n in (1..=21).filter(|n| *n != 7) {
			assert_eq!(rig.anchored_up_to(n), Some(49), "device {n}");
		}
		assert_eq!(rig.anchored_up_to(7), None);
		assert_eq!(rig.store.aside_count().unwrap(), 50);
	}

	/// The device is suspended after the check, while its batch is in flight: the chain
	/// refuses the whole batch. The device it was refused for is found by asking again, and
	/// the other devices' readings are anchored in the next batches, from where they were.
	#[tokio::test]
	async fn attack_a_device_suspended_in_flight_costs_no_other_reading() {
		let rig = rig();
		rig.fake.state.lock().unwrap().suspend_on_submit.insert(H256([3; 32]));
		for n in 1..=5 {
			rig.store.accept(&(0..20).map(|s| reading(n, s)).collect::<Vec<_>>()).unwrap();
		}
		assert!(rig.run_until(settings(), settled).await.is_none());
		for n in [1, 2, 4, 5] {
			assert_eq!(rig.anchored_up_to(n), Some(19), "device {n}");
		}
		assert_eq!(rig.store.aside_count().unwrap(), 20);
		assert!(matches!(
			rig.store.head(0).unwrap().unwrap().status,
			crate::batch::BatchStatus::Refused { .. }
		));
		// Resumed on chain: the held readings are queued again and anchored.
		rig.fake.state.lock().unwrap().inactive.clear();
		let done = |s: &Store| settled(s) && s.aside_count().unwrap() == 0;
		assert!(rig.run_until(settings(), done).await.is_none());
		assert_eq!(rig.anchored_up_to(3), Some(19));
	}

	/// A batch the pool says can never fit a block is split, not retried for ever.
	#[tokio::test]
	async fn a_batch_too_big_for_a_block_is_split_not_retried() {
		let rig = rig();
		rig.fake.state.lock().unwrap().too_big_above = Some(3);
		for n in 1..=20 {
			rig.store.accept(&[reading(n, 0), reading(n, 1)]).unwrap();
		}
		assert!(rig.run_until(settings(), settled).await.is_none());
		for n in 1..=20 {
			assert_eq!(rig.anchored_up_to(n), Some(1));
		}
		let s = rig.fake.state.lock().unwrap();
		assert!(s.submitted.iter().skip(1).all(|(_, devices)| *devices <= 3), "{:?}", s.submitted);
	}

	/// Batches are anchored in a pipeline: several in flight, with consecutive nonces.
	#[tokio::test]
	async fn batches_are_pipelined() {
		let rig = rig();
		let settings = Settings { max_devices: 2, ..settings() };
		for n in 1..=20 {
			rig.store.accept(&[reading(n, 0)]).unwrap();
		}
		assert!(rig.run_until(settings, settled).await.is_none());
		let s = rig.fake.state.lock().unwrap();
		assert_eq!(s.submitted.len(), 10);
		assert!(s.most_in_flight > 1 && s.most_in_flight <= 4, "{}", s.most_in_flight);
		assert!(s.most_submitting > 1 && s.most_submitting <= 3, "{}", s.most_submitting);
		assert_eq!(s.nonce, 10);
	}

	/// The pool refuses one batch of several submitted at once (for a reason that passes):
	/// the batches after it wait in the pool's future queue, the refused one's nonce is asked
	/// for again and filled, and every batch is anchored once, no nonce skipped.
	#[tokio::test]
	async fn a_refused_submission_leaves_no_nonce_gap() {
		let rig = rig();
		rig.fake.state.lock().unwrap().refuse_once.extend([1, 4]);
		let settings = Settings { max_devices: 2, max_in_flight: 8, ..settings() };
		for n in 1..=20 {
			rig.store.accept(&[reading(n, 0), reading(n, 1)]).unwrap();
		}
		assert!(rig.run_until(settings, settled).await.is_none());
		for n in 1..=20 {
			assert_eq!(rig.anchored_up_to(n), Some(1), "device {n}");
		}
		let s = rig.fake.state.lock().unwrap();
		assert!(s.refuse_once.is_empty());
		assert_eq!(s.anchors.len(), 10);
		assert_eq!(s.nonce as usize, s.submitted.len());
		assert!(s.future.is_empty(), "{:?}", s.future);
	}

	/// A fleet of slow devices: each has one reading waiting, far fewer than a batch's readings.
	/// Batches are cut as soon as they are full by devices, not when the window ends.
	#[tokio::test]
	async fn batches_full_by_devices_do_not_wait_for_the_window() {
		let rig = rig();
		let settings = Settings {
			max_devices: 10,
			window: Duration::from_secs(60),
			max_in_flight: 8,
			..settings()
		};
		for n in 1..=50 {
			rig.store.accept(&[reading(n, 0)]).unwrap();
		}
		let started = Instant::now();
		assert!(rig.run_until(settings, settled).await.is_none());
		assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
		let s = rig.fake.state.lock().unwrap();
		assert!(s.submitted.iter().all(|(_, devices)| *devices == 10), "{:?}", s.submitted);
	}

	/// Another gateway anchors with this account: a batch number this database built is on
	/// chain with another root. The anchorer stops rather than mark readings anchored that
	/// are not; a database that never built a number the chain has is refused at start, and a
	/// fresh one numbers after the chain's last.
	#[tokio::test]
	async fn attack_a_second_gateway_on_the_account_is_detected() {
		let rig = rig();
		rig.store.accept(&[reading(1, 0)]).unwrap();
		rig.fake.state.lock().unwrap().foreign.insert(0, H256([0xee; 32]));
		let halt = rig.run_until(settings(), |_| false).await;
		assert!(matches!(halt, Some(Halt::Collision { number: 0, .. })), "{halt:?}");
		assert_eq!(rig.anchored_up_to(1), None, "nothing marked anchored");
		assert!(matches!(
			rig.anchorer(settings()).reconcile_numbering().await,
			Err(StartError::Foreign { number: 0 })
		));
		rig.fake.state.lock().unwrap().foreign.insert(1, H256([0xee; 32]));
		assert!(matches!(
			rig.anchorer(settings()).reconcile_numbering().await,
			Err(StartError::Numbering { last: 1, next: 1 })
		));

		let fresh = self::rig();
		fresh.fake.state.lock().unwrap().foreign.insert(41, H256([0xee; 32]));
		fresh.anchorer(settings()).reconcile_numbering().await.unwrap();
		assert_eq!(fresh.store.next_batch().unwrap(), 42);
	}

	/// A batch stored but not settled when the gateway stopped is looked up on restart: if
	/// the chain has it (same root), it is settled without being sent again.
	#[tokio::test]
	async fn a_batch_left_unsettled_is_looked_up_not_anchored_twice() {
		let rig = rig();
		rig.store.accept(&[reading(1, 0), reading(2, 0)]).unwrap();
		let p = rig
			.store
			.propose(Limits {
				max_devices: 100,
				max_readings: 100,
				max_metrics: 8,
				max_summaries: 100,
			})
			.unwrap();
		let batch =
			rig.store.commit_batch(&p, &[Verdict::Admit { from: 0 }; 2], 1).unwrap().unwrap();
		rig.fake.state.lock().unwrap().anchors.insert(0, (5, batch.head.header.root));
		assert!(rig.run_until(settings(), settled).await.is_none());
		assert!(rig.fake.state.lock().unwrap().submitted.is_empty());
		assert!(matches!(
			rig.store.head(0).unwrap().unwrap().status,
			crate::batch::BatchStatus::Anchored { anchor: 5, .. }
		));
	}

	/// Calls relayed for devices go out between batches with the account's next nonces: no
	/// nonce is used twice, none is skipped, and anchoring goes on.
	#[tokio::test]
	async fn relayed_calls_share_the_accounts_nonces_with_anchors() {
		let rig = rig();
		for n in 1..=3 {
			rig.store.accept(&(0..20).map(|s| reading(n, s)).collect::<Vec<_>>()).unwrap();
		}
		let (tx, rx) = tokio::sync::mpsc::channel(8);
		let anchorer = rig.anchorer(Settings { max_readings: 10, ..settings() }).relaying(rx);
		let task = tokio::spawn(anchorer.run());
		let mut outcomes = Vec::new();
		for i in 0..5u8 {
			let (done, outcome) = tokio::sync::oneshot::channel();
			let call =
				crate::chain::Call::new(&crate::chain::interface::BATCH_ALL, &()).then_call(&[i]);
			tx.send(Relayed { call, done }).await.unwrap();
			outcomes.push(outcome);
		}
		for outcome in outcomes {
			assert_eq!(outcome.await.unwrap(), Ok(vec![]));
		}
		while !settled(&rig.store) {
			tokio::time::sleep(Duration::from_millis(10)).await;
		}
		task.abort();
		let s = rig.fake.state.lock().unwrap();
		assert_eq!(s.relayed.len(), 5);
		assert_eq!(s.nonce as usize, s.submitted.len() + s.relayed.len());
		assert_eq!(s.submitted.len(), 6, "60 readings in batches of 10");
	}
}
