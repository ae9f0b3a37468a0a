//! Follows one node's best and finalized blocks while the load runs, and records for each block
//! when it was seen and finalized, its timestamp, its extrinsics' hashes, length and weight.

use crate::chain::{
	block_timestamp, block_weight_key, events_key, failed_extrinsics, header_of, normal_ref_time,
	Node,
};
use anyhow::Result;
use sp_core::H256;
use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
	time::Instant,
};

/// One block.
pub struct BlockRec {
	pub parent: H256,
	/// Its `timestamp.set`, in Unix milliseconds.
	pub timestamp: Option<u64>,
	/// Seconds after the start when the node reported it (or its descendant) as best.
	pub seen: f64,
	/// Seconds after the start when the node reported it (or its descendant) finalized.
	pub finalized: Option<f64>,
	/// Hashes of its extrinsics.
	pub extrinsics: Vec<H256>,
	/// Bytes of its extrinsics.
	pub length: usize,
	/// The ref time its normal extrinsics used, in picoseconds.
	pub weight: Option<u64>,
	/// Its extrinsics that failed in dispatch (included, fee paid, nothing done), with why.
	pub failed: Vec<(H256, String)>,
}

/// What the watcher has recorded so far.
#[derive(Default)]
pub struct Watched {
	pub blocks: HashMap<H256, BlockRec>,
	/// The most recent finalized block.
	pub last_finalized: Option<H256>,
	/// A failure that stopped the watcher.
	pub error: Option<String>,
}

/// Follow `node` from now on; blocks at or below the best block at the start are not recorded.
pub async fn spawn(node: Node, start: Instant) -> Result<Arc<Mutex<Watched>>> {
	let watched = Arc::new(Mutex::new(Watched::default()));
	let mut best = node.heads(false).await?;
	let mut finalized = node.heads(true).await?;
	// The first notification of each subscription is the current head: the floor.
	let floor = match best.next().await {
		Some(v) => header_of(v?)?.1.number,
		None => anyhow::bail!("the node ended the new-heads subscription"),
	};
	let out = watched.clone();
	tokio::spawn(async move {
		let result: Result<()> = async {
			loop {
				tokio::select! {
					head = best.next() => {
						let Some(head) = head else { break };
						let (hash, _) = header_of(head?)?;
						fetch_chain(&node, &out, hash, floor, start).await?;
					}
					head = finalized.next() => {
						let Some(head) = head else { break };
						let (hash, _) = header_of(head?)?;
						fetch_chain(&node, &out, hash, floor, start).await?;
						mark_finalized(&out, hash, start.elapsed().as_secs_f64());
					}
				}
			}
			Ok(())
		}
		.await;
		if let Err(e) = result {
			out.lock().unwrap_or_else(|p| p.into_inner()).error = Some(format!("{e:#}"));
		}
	});
	Ok(watched)
}

/// Record `hash` and its ancestors down to a recorded block or the floor.
async fn fetch_chain(
	node: &Node,
	out: &Arc<Mutex<Watched>>,
	mut hash: H256,
	floor: u32,
	start: Instant,
) -> Result<()> {
	let seen = start.elapsed().as_secs_f64();
	loop {
		if out.lock().unwrap_or_else(|p| p.into_inner()).blocks.contains_key(&hash) {
			return Ok(());
		}
		let body = node.block(hash).await?;
		if body.header.number <= floor {
			return Ok(());
		}
		let weight = node.storage(&block_weight_key(), hash).await?;
		let events = node.storage(&events_key(), hash).await?.unwrap_or_default();
		let hashes: Vec<H256> =
			body.extrinsics.iter().map(|x| H256(sp_io::hashing::blake2_256(x))).collect();
		let failed = failed_extrinsics(&events)
			.into_iter()
			.filter_map(|(i, why)| Some((*hashes.get(i as usize)?, why)))
			.collect();
		let rec = BlockRec {
			parent: body.header.parent_hash,
			timestamp: block_timestamp(&body.extrinsics),
			seen,
			finalized: None,
			extrinsics: hashes,
			length: body.extrinsics.iter().map(Vec::len).sum(),
			weight: weight.as_deref().and_then(normal_ref_time),
			failed,
		};
		let parent = rec.parent;
		out.lock().unwrap_or_else(|p| p.into_inner()).blocks.insert(hash, rec);
		hash = parent;
	}
}

/// Mark `hash` and its not yet finalized ancestors finalized at `at`.
fn mark_finalized(out: &Arc<Mutex<Watched>>, hash: H256, at: f64) {
	let mut w = out.lock().unwrap_or_else(|p| p.into_inner());
	w.last_finalized = Some(hash);
	let mut cursor = hash;
	while let Some(rec) = w.blocks.get_mut(&cursor) {
		if rec.finalized.is_some() {
			break;
		}
		rec.finalized = Some(at);
		cursor = rec.parent;
	}
}

impl Watched {
	/// The finalized chain recorded, oldest first.
	pub fn finalized_chain(&self) -> Vec<&BlockRec> {
		let mut chain = Vec::new();
		let mut cursor = self.last_finalized;
		while let Some(rec) = cursor.and_then(|h| self.blocks.get(&h)) {
			chain.push(rec);
			cursor = Some(rec.parent);
		}
		chain.reverse();
		chain
	}
}
