//! How long a private channel's payloads live on this gateway (`channels.setRetention`, the
//! counterpart of Fabric's `blockToLive`): every [`EVERY`], the readings of each device this
//! gateway anchored as private whose batch was seen finalized longer ago than its channel's
//! retention are purged from the database — the reading goes, its leaf hash stays in its batch's
//! tree, so its proof and every other proof of the batch still hold and the anchor on chain is
//! untouched — and so are the channel's documents kept longer than that (their hash stays on
//! chain). A closed (or reaped) channel's readings are purged at once: no one may read them
//! any more. A channel without a retention keeps them.
//!
//! [`cutoff_ms`] is the decision; [`run`] asks the chain and tells the store.

use crate::{chain::Chain, store::Store};
use std::{sync::Arc, time::Duration};
use tracing::{info, warn};

/// How often retention is applied.
pub const EVERY: Duration = Duration::from_secs(15);
/// Readings purged in one database transaction at most.
const PER_TRANSACTION: usize = 10_000;

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

/// One round over every private device.
async fn round(store: &Arc<Store>, chain: &Chain) -> anyhow::Result<()> {
	let (devices, documents) = {
		let store = store.clone();
		tokio::task::spawn_blocking(move || {
			anyhow::Ok((store.private_devices()?, store.document_channels()?))
		})
		.await??
	};
	if devices.is_empty() && documents.is_empty() {
		return Ok(());
	}
	let (_, block_ms) = chain.finalized_number().await?;
	let now_ms = crate::clock::now_ms();
	let mut states = std::collections::BTreeMap::new();
	let mut cutoff_of = async |channel| -> anyhow::Result<Option<u64>> {
		let state = match states.get(&channel) {
			Some(state) => *state,
			None => {
				let state = match chain.channel(channel).await? {
					Some(info) if !info.closed => ChannelState::Open { retention: info.retention },
					_ => ChannelState::Closed,
				};
				states.insert(channel, state);
				state
			},
		};
		Ok(cutoff_ms(state, now_ms, block_ms))
	};
	for channel in documents {
		let Some(cutoff) = cutoff_of(channel).await? else { continue };
		let store = store.clone();
		let n =
			tokio::task::spawn_blocking(move || store.purge_documents(channel, cutoff)).await??;
		if n > 0 {
			info!("purged {n} document(s) past channel {channel}'s retention");
		}
	}
	for (device, channel) in devices {
		let Some(cutoff) = cutoff_of(channel).await? else { continue };
		let mut purged = 0;
		loop {
			let store = store.clone();
			let n = tokio::task::spawn_blocking(move || {
				store.purge_private(&device, cutoff, PER_TRANSACTION)
			})
			.await??;
			purged += n;
			if n < PER_TRANSACTION {
				break;
			}
		}
		if purged > 0 {
			info!("purged {purged} reading(s) of device {device:?} past channel {channel}'s retention");
		}
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
