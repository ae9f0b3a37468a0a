//! A member's check of a proposed batch (the third step of [`super`]) before it commits to sign
//! it: code over the member's database and a [`GroupChain`], so that it is tested with a
//! temporary database and a double of the chain, without a broker or a node.
//!
//! A proposal gets this member's commitment only if it is for this chain, group and epoch; the
//! member holds every reading in each of its ranges (it asks the others for those it lacks);
//! the root, count, times and summaries it computes from its own copies (or from the other
//! copies it keeps of readings a device signed twice) are the proposal's; and
//! each range starts where the chain expects that device's next reading, or later if the member
//! holds none of the readings in between.

use super::WANT_AT_MOST;
use crate::{
	batch::Batch,
	chain::{port::ChainError, port::GroupChain, AccountId},
	store::{Store, StoreError},
};
use iotrust_primitives::{
	anchoring::{AnchorHeader, DeviceRange, GroupAnchor, RangeCheck},
	device::DeviceId,
	merkle::SignedReading,
};
use sp_core::H256;

/// What a member makes of a proposal.
#[derive(Debug, PartialEq, Eq)]
pub enum Check {
	/// Checked: sign it.
	Sign,
	/// These readings are missing here: `(device, first, last)`.
	Missing(Vec<(DeviceId, u64, u64)>),
	/// Refused, and why.
	Refuse(String),
}

/// What a proposal must be for: this member's chain, group, key epoch and limits.
#[derive(Clone, Copy, Debug)]
pub struct Expected {
	pub genesis: H256,
	pub group: u32,
	pub epoch: u32,
	/// The group's account, whose batches the chain numbers.
	pub account: AccountId,
	pub max_devices: usize,
}

/// Why a proposal could not be checked (it is neither signed nor refused).
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
	#[error("reading the database: {0}")]
	Store(#[from] StoreError),
	#[error("asking the chain: {0}")]
	Chain(#[from] ChainError),
}

/// Why the readings of a batch's ranges could not be gathered.
#[derive(Debug, thiserror::Error)]
pub enum GatherError {
	#[error("device {device:?}: range {first}..={last} is not a batch's")]
	NotABatchRange { device: DeviceId, first: u64, last: u64 },
	#[error("reading the database: {0}")]
	Store(#[from] StoreError),
}

/// Readings in leaf order, or the `(device, first, last)` ranges some of which are missing.
pub type Gathered = Result<Vec<SignedReading>, Vec<(DeviceId, u64, u64)>>;

/// The readings of `ranges` in leaf order from `store`; or the ranges it lacks readings of.
pub fn gather(store: &Store, ranges: &[DeviceRange]) -> Result<Gathered, GatherError> {
	let mut readings = Vec::new();
	let mut missing = Vec::new();
	for range in ranges {
		let want = range.last.saturating_sub(range.first).saturating_add(1);
		if range.last < range.first || want > WANT_AT_MOST as u64 {
			return Err(GatherError::NotABatchRange {
				device: range.device,
				first: range.first,
				last: range.last,
			});
		}
		let found = store.find_readings(&range.device, range.first, range.last, want as usize)?;
		if found.len() as u64 != want {
			missing.push((range.device, range.first, range.last));
		} else {
			readings.extend(found);
		}
	}
	Ok(if missing.is_empty() { Ok(readings) } else { Err(missing) })
}

/// `batch` rebuilt with `alternates` (other copies of some of its readings, which their devices
/// signed as well) in place of the copies they share a device and number with, if that gives
/// `header`, the chain's anchor of it; with the copies replaced. `None` if it does not.
pub fn rebuild(
	batch: Batch,
	alternates: Vec<SignedReading>,
	header: &AnchorHeader,
) -> Option<(Batch, Vec<SignedReading>)> {
	let number = batch.head.header.batch;
	let mut readings = batch.readings;
	let mut replaced = Vec::new();
	for alternate in alternates {
		let held =
			readings.iter_mut().find(|r| r.device == alternate.device && r.seq == alternate.seq);
		if let Some(held) = held {
			if *held != alternate {
				replaced.push(std::mem::replace(held, alternate));
			}
		}
	}
	let (rebuilt, _) = Batch::build(number, readings, &Default::default())?;
	(rebuilt.head.header == *header).then_some((rebuilt, replaced))
}

/// What the group signs for `batch`.
pub fn anchor_of(batch: &Batch, genesis: H256, group: u32, epoch: u32) -> GroupAnchor {
	GroupAnchor {
		genesis,
		group,
		epoch,
		header: batch.head.header,
		ranges: batch.head.ranges.clone(),
	}
}

/// Check `anchor`, proposed to this member, against its own readings in `store` and the chain.
/// Reads the database in place: call it on a multi-threaded runtime.
pub async fn check<C: GroupChain>(
	chain: &C,
	store: &Store,
	expected: &Expected,
	anchor: &GroupAnchor,
) -> Result<Check, CheckError> {
	if anchor.genesis != expected.genesis
		|| anchor.group != expected.group
		|| anchor.epoch != expected.epoch
	{
		return Ok(Check::Refuse("for another chain, group or epoch".into()));
	}
	if anchor.ranges.is_empty() || anchor.ranges.len() > expected.max_devices {
		return Ok(Check::Refuse(format!("{} devices", anchor.ranges.len())));
	}
	let readings = match tokio::task::block_in_place(|| gather(store, &anchor.ranges)) {
		Ok(Ok(readings)) => readings,
		Ok(Err(missing)) => return Ok(Check::Missing(missing)),
		Err(GatherError::Store(e)) => return Err(e.into()),
		Err(e @ GatherError::NotABatchRange { .. }) => return Ok(Check::Refuse(e.to_string())),
	};
	let Some((mut batch, _)) = Batch::build(anchor.header.batch, readings, &Default::default())
	else {
		return Ok(Check::Refuse("empty".into()));
	};
	if batch.head.header.root != anchor.header.root {
		// Perhaps a device signed some of them twice and the proposer holds the other copies,
		// which this member keeps as alternates: either copy is the device's.
		let mut alternates = Vec::new();
		for r in &anchor.ranges {
			alternates.extend(store.alternates(&r.device, r.first, r.last)?);
		}
		if !alternates.is_empty() {
			if let Some((rebuilt, _)) = rebuild(batch.clone(), alternates, &anchor.header) {
				batch = rebuilt;
			}
		}
	}
	let ours = anchor_of(&batch, expected.genesis, expected.group, expected.epoch);
	if ours.header.root != anchor.header.root {
		return Ok(Check::Refuse(
			"its root is not the root of the readings this gateway holds: a reading altered or forged".into(),
		));
	}
	if ours != *anchor {
		return Ok(Check::Refuse(
			"its summaries, count or times are not those of its readings".into(),
		));
	}
	let starts: Vec<(DeviceId, u64)> = anchor.ranges.iter().map(|r| (r.device, r.first)).collect();
	let checks = chain.check_ranges_of(&expected.account, &starts).await?;
	for (range, check) in anchor.ranges.iter().zip(checks) {
		let RangeCheck::Admitted { expected: next } = check else {
			return Ok(Check::Refuse(format!(
				"the chain would not take device {:?}: {check:?}",
				range.device
			)));
		};
		if range.first > next
			&& !store.find_readings(&range.device, next, range.first - 1, 1)?.is_empty()
		{
			return Ok(Check::Refuse(format!(
				"it leaves out readings {next}..{} of device {:?}, which this gateway holds",
				range.first - 1,
				range.device
			)));
		}
	}
	Ok(Check::Sign)
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::{
		chain::{port::SubmitError, Call, ChainAnchor, Events, GroupInfo},
		store::tests::{open, reading},
	};
	use iotrust_primitives::anchoring::AnchorId;
	use std::collections::HashMap;

	/// The chain as a test wants it: each device's next expected reading, or a refusal.
	#[derive(Default)]
	struct FakeChain {
		next: HashMap<DeviceId, RangeCheck>,
	}

	impl GroupChain for FakeChain {
		fn genesis(&self) -> H256 {
			GENESIS
		}
		async fn group(&self, _: u32) -> Result<Option<GroupInfo>, ChainError> {
			Ok(None)
		}
		async fn last_batch_of(&self, _: &AccountId) -> Result<Option<u64>, ChainError> {
			Ok(None)
		}
		async fn finalized_number(&self) -> Result<(u64, u64), ChainError> {
			Ok((0, 2_000))
		}
		async fn anchor_by_batch(
			&self,
			_: &AccountId,
			_: u64,
		) -> Result<Option<(AnchorId, ChainAnchor)>, ChainError> {
			Ok(None)
		}
		async fn check_ranges_of(
			&self,
			gateway: &AccountId,
			ranges: &[(DeviceId, u64)],
		) -> Result<Vec<RangeCheck>, ChainError> {
			assert_eq!(*gateway, GROUP_ACCOUNT, "asked about the group's account");
			Ok(ranges
				.iter()
				.map(|(d, _)| *self.next.get(d).unwrap_or(&RangeCheck::Admitted { expected: 0 }))
				.collect())
		}
		async fn submit(&self, _: &[Call]) -> Result<(H256, Events), SubmitError> {
			unreachable!("checking submits nothing")
		}
	}

	const GENESIS: H256 = H256([9; 32]);
	const GROUP_ACCOUNT: AccountId = [5; 32];
	const EXPECTED: Expected =
		Expected { genesis: GENESIS, group: 3, epoch: 1, account: GROUP_ACCOUNT, max_devices: 10 };

	fn d(n: u8) -> DeviceId {
		H256([n; 32])
	}

	/// The anchor an honest coordinator proposes for `readings` as batch 0.
	fn proposal(readings: Vec<SignedReading>) -> GroupAnchor {
		let (batch, _) = Batch::build(0, readings, &Default::default()).unwrap();
		anchor_of(&batch, GENESIS, EXPECTED.group, EXPECTED.epoch)
	}

	/// A member's database holding `readings`.
	fn holding(readings: &[SignedReading]) -> (tempfile::TempDir, Store) {
		let (dir, store) = open();
		store.fill(readings).unwrap();
		(dir, store)
	}

	async fn judge(chain: &FakeChain, store: &Store, anchor: &GroupAnchor) -> Check {
		check(chain, store, &EXPECTED, anchor).await.unwrap()
	}

	fn refused(check: Check, why: &str) {
		match check {
			Check::Refuse(reason) => assert!(reason.contains(why), "{reason:?} says {why:?}"),
			other => panic!("{other:?} is no refusal for {why:?}"),
		}
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
	async fn a_true_proposal_is_signed() {
		let readings = vec![reading(1, 0, 10), reading(1, 1, 12), reading(2, 0, -4)];
		let (_dir, store) = holding(&readings);
		assert_eq!(judge(&FakeChain::default(), &store, &proposal(readings)).await, Check::Sign);
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
	async fn readings_this_member_lacks_are_asked_for_not_judged() {
		let readings = vec![reading(1, 0, 10), reading(1, 1, 12), reading(2, 0, -4)];
		let (_dir, store) = holding(&readings[..1]);
		assert_eq!(
			judge(&FakeChain::default(), &store, &proposal(readings)).await,
			Check::Missing(vec![(d(1), 0, 1), (d(2), 0, 0)])
		);
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
	async fn an_altered_reading_is_refused() {
		let held = vec![reading(1, 0, 10), reading(1, 1, 12)];
		let (_dir, store) = holding(&held);
		let altered = vec![reading(1, 0, 10), reading(1, 1, 13)];
		refused(judge(&FakeChain::default(), &store, &proposal(altered)).await, "root");
	}

	/// A device signed reading 1 twice: this member holds one copy and keeps the other as an
	/// alternate (it came from a peer, signed as well). A proposal with either copy is the
	/// device's word and gets its signature, so the device cannot split the group.
	#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
	async fn a_proposal_with_the_other_copy_of_a_twice_signed_reading_is_signed() {
		let held = vec![reading(1, 0, 10), reading(1, 1, 12)];
		let (_dir, store) = holding(&held);
		let twin = vec![reading(1, 0, 10), reading(1, 1, 13)];
		refused(judge(&FakeChain::default(), &store, &proposal(twin.clone())).await, "root");
		store.put_alternate(&twin[1]).unwrap();
		assert_eq!(judge(&FakeChain::default(), &store, &proposal(twin)).await, Check::Sign);
		assert_eq!(judge(&FakeChain::default(), &store, &proposal(held)).await, Check::Sign);
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
	async fn a_false_summary_or_count_is_refused() {
		let readings = vec![reading(1, 0, 10), reading(1, 1, 12)];
		let (_dir, store) = holding(&readings);
		let mut lying = proposal(readings.clone());
		lying.ranges[0].summaries[0].max = lying.ranges[0].summaries[0].min;
		refused(judge(&FakeChain::default(), &store, &lying).await, "summaries");
		let mut miscounted = proposal(readings);
		miscounted.header.reading_count += 1;
		refused(judge(&FakeChain::default(), &store, &miscounted).await, "count");
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
	async fn a_proposal_for_another_chain_group_or_epoch_is_refused() {
		let readings = vec![reading(1, 0, 10)];
		let (_dir, store) = holding(&readings);
		let chain = FakeChain::default();
		for alter in [
			(|a: &mut GroupAnchor| a.genesis = H256([8; 32])) as fn(&mut GroupAnchor),
			|a| a.group += 1,
			|a| a.epoch += 1,
		] {
			let mut other = proposal(readings.clone());
			alter(&mut other);
			refused(judge(&chain, &store, &other).await, "another chain, group or epoch");
		}
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
	async fn too_many_devices_or_a_malformed_range_is_refused() {
		let readings: Vec<_> = (1..=11).map(|n| reading(n, 0, 1)).collect();
		let (_dir, store) = holding(&readings);
		let chain = FakeChain::default();
		refused(judge(&chain, &store, &proposal(readings.clone())).await, "11 devices");
		let mut backwards = proposal(readings[..1].to_vec());
		backwards.ranges[0].first = 5;
		refused(judge(&chain, &store, &backwards).await, "is not a batch's");
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
	async fn what_the_chain_would_not_take_is_refused() {
		let readings = vec![reading(1, 0, 10), reading(2, 0, 4)];
		let (_dir, store) = holding(&readings);
		let mut chain = FakeChain::default();
		chain.next.insert(d(2), RangeCheck::DeviceNotActive);
		refused(judge(&chain, &store, &proposal(readings.clone())).await, "DeviceNotActive");
		chain.next.insert(d(2), RangeCheck::SequenceReplay { last: 0 });
		refused(judge(&chain, &store, &proposal(readings)).await, "SequenceReplay");
	}

	#[tokio::test(flavor = "multi_thread", worker_threads = 1)]
	async fn leaving_out_readings_this_member_holds_is_refused() {
		// The chain expects device 1's reading 0 next; the proposal starts at 1 although this
		// member holds 0.
		let held = vec![reading(1, 0, 10), reading(1, 1, 12)];
		let (_dir, store) = holding(&held);
		let skipping = proposal(held[1..].to_vec());
		refused(judge(&FakeChain::default(), &store, &skipping).await, "leaves out readings 0..0");
		// Where the chain expects reading 1 (0 is anchored), the same proposal is signed.
		let mut chain = FakeChain::default();
		chain.next.insert(d(1), RangeCheck::Admitted { expected: 1 });
		assert_eq!(judge(&chain, &store, &skipping).await, Check::Sign);
	}

	/// A device signed reading 1 twice; the chain anchored the copy this member does not hold.
	/// With the other copy as an alternate, the batch rebuilds to the chain's root, and the copy
	/// it replaced comes back as evidence; without it, or with an unrelated one, it does not.
	#[test]
	fn a_batch_anchored_with_the_other_copy_of_a_reading_rebuilds_from_its_alternate() {
		let mine: Vec<_> = (0..3).map(|s| reading(1, s, 20)).collect();
		let mut theirs = mine.clone();
		theirs[1].metrics[0].value = 99;
		let (anchored, _) = Batch::build(4, theirs.clone(), &Default::default()).unwrap();
		let (held, _) = Batch::build(4, mine.clone(), &Default::default()).unwrap();
		assert_ne!(held.head.header, anchored.head.header);
		let header = anchored.head.header;
		let (rebuilt, replaced) = rebuild(held.clone(), vec![theirs[1].clone()], &header).unwrap();
		assert_eq!(rebuilt.head.header, header);
		assert_eq!(rebuilt.readings, anchored.readings);
		assert_eq!(replaced, vec![mine[1].clone()]);
		assert!(rebuild(held.clone(), vec![], &header).is_none());
		let mut unrelated = theirs[1].clone();
		unrelated.metrics[0].value = 7;
		assert!(rebuild(held.clone(), vec![unrelated, reading(2, 1, 5)], &header).is_none());
	}
}
