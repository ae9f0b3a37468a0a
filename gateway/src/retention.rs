//! How long a private channel's payloads live on this gateway (`channels.setRetention`, the
//! counterpart of Fabric's `blockToLive`): every [`EVERY`], the readings of each device this
//! gateway anchored as private whose batch was seen finalized longer ago than its channel's
//! retention are purged from the database — the reading goes, its leaf hash stays in its batch's
//! tree, so its proof and every other proof of the batch still hold and the anchor on chain is
//! untouched — and so are the channel's documents kept longer than that (their hash stays on
//! chain). Only ranges a batch recorded as private are purged (a device's readings from before
//! it joined a channel, or after it left, are not), each under the retention of the channel it
//! recorded. A channel the chain says is closed has its readings purged at once: no one may
//! read them any more. A channel without a retention keeps them, and so does one the chain
//! does not know (reaped, or the node is behind).
//!
//! [`cutoff_ms`] is the decision; [`run`] asks the chain and tells the store.

use crate::{chain::Chain, store::Store};
use iotrust_primitives::channels::ChannelId;
use std::{
	collections::{BTreeMap, BTreeSet},
	sync::Arc,
	time::Duration,
};
use tracing::{info, warn};

/// How often retention is applied.
pub const EVERY: Duration = Duration::from_secs(15);

/// What the chain says of a channel, as retention needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelState {
	/// Open, keeping payloads this many blocks (`None`: until it closes).
	Open { retention: Option<u32> },
	/// Closed, or gone.
	Closed,
}

/// The time before which a channel's readings are purged at `now_ms`, with blocks of
/// `block_ms`; `None` if it keeps them.
pub fn cutoff_ms(state: ChannelState, now_ms: u64, block_ms: u64) -> Option<u64> {
	match state {
		ChannelState::Closed => Some(u64::MAX),
		ChannelState::Open { retention: None } => None,
		ChannelState::Open { retention: Some(blocks) } => {
			Some(now_ms.saturating_sub(u64::from(blocks).saturating_mul(block_ms)))
		},
	}
}

/// Apply retention every [`EVERY`], for ever.
pub async fn run(store: Arc<Store>, chain: Arc<Chain>) {
	let mut tick = tokio::time::interval(EVERY);
	tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
	loop {
		tick.tick().await;
		if let Err(e) = round(&store, &chain).await {
			warn!("applying channels' retention: {e}; trying again in {} s", EVERY.as_secs());
		}
	}
}

/// Private ranges purged in one database transaction at most.
const RANGES_PER_TRANSACTION: usize = 100;

/// One round over every channel this gateway keeps readings or documents of.
async fn round(store: &Arc<Store>, chain: &Chain) -> anyhow::Result<()> {
	let (sealed, documents) = {
		let store = store.clone();
		tokio::task::spawn_blocking(move || {
			anyhow::Ok((store.sealed_channels()?, store.document_channels()?))
		})
		.await??
	};
	let channels: BTreeSet<ChannelId> = sealed.iter().chain(&documents).copied().collect();
	if channels.is_empty() {
		return Ok(());
	}
	let (_, block_ms) = chain.finalized_number().await?;
	let now_ms = crate::clock::now_ms();
	let mut cutoffs = BTreeMap::new();
	for channel in channels {
		// A channel the chain does not know (reaped, or a node behind) is left alone: only a
		// channel the chain says is closed is purged whole.
		let state = match chain.channel(channel).await {
			Ok(Some(info)) if info.closed => ChannelState::Closed,
			Ok(Some(info)) => ChannelState::Open { retention: info.retention },
			Ok(None) => continue,
			Err(e) => {
				warn!("reading channel {channel} for its retention: {e}");
				continue;
			},
		};
		if let Some(cutoff) = cutoff_ms(state, now_ms, block_ms) {
			cutoffs.insert(channel, cutoff);
		}
	}
	for channel in documents {
		let Some(cutoff) = cutoffs.get(&channel).copied() else { continue };
		let store = store.clone();
		let n =
			tokio::task::spawn_blocking(move || store.purge_documents(channel, cutoff)).await??;
		if n > 0 {
			info!("purged {n} document(s) past channel {channel}'s retention");
		}
	}
	let cutoffs = Arc::new(cutoffs);
	let mut purged = 0;
	loop {
		let (store, cutoffs) = (store.clone(), cutoffs.clone());
		let (n, ranges) = tokio::task::spawn_blocking(move || {
			store.purge_private(&cutoffs, RANGES_PER_TRANSACTION)
		})
		.await??;
		purged += n;
		if ranges < RANGES_PER_TRANSACTION {
			break;
		}
	}
	if purged > 0 {
		info!("purged {purged} private reading(s) past their channels' retention");
	}
	Ok(())
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_channel_keeps_its_payloads_for_its_retention_and_none_once_closed() {
		let open = |retention| ChannelState::Open { retention };
		assert_eq!(cutoff_ms(open(None), 1_000_000, 2_000), None);
		assert_eq!(cutoff_ms(open(Some(100)), 1_000_000, 2_000), Some(800_000));
		assert_eq!(cutoff_ms(open(Some(u32::MAX)), 1_000_000, 2_000), Some(0));
		assert_eq!(cutoff_ms(ChannelState::Closed, 1_000_000, 2_000), Some(u64::MAX));
	}
}
