//! MQTT in: telemetry messages checked ([`validate`]) and stored, up to 1,000 in one database
//! transaction, each such lot acknowledged to the broker only once its readings are committed; obligation requests handed
//! to a [`RequestSink`] (the relay, as the daemon wires it).
//!
//! - [`telemetry`]: the messages' wire format and topics;
//! - [`validate`]: one message judged (form, device record, signature);
//! - [`cache`]: the device records the validator reads, kept true to finalized blocks.

pub mod cache;
pub mod telemetry;
pub mod validate;

use crate::{
	chain::Chain,
	lifecycle::Accepted,
	mqtt::Broker,
	stats::{Reject, Stats},
	store::{Store, StoreError},
};
use iotrust_primitives::device::DeviceId;
use rumqttc::{AsyncClient, Publish};
use std::sync::Arc;
use subxt::ext::futures::stream::{self, StreamExt};
use telemetry::{device_of_request_topic, REQUEST_FILTER, TOPIC_FILTER};
use tokio::sync::mpsc;
use tracing::warn;
use validate::Validator;

/// Messages checked and stored in one database transaction at most.
const GROUP: usize = 1_000;
/// Messages checked at once: as many chain lookups may be under way.
const CHECKS_AT_ONCE: usize = 32;

/// Why ingest stopped.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
	#[error("the database: {0}")]
	Store(#[from] StoreError),
	#[error("acknowledging to the broker: {0}")]
	Broker(#[from] rumqttc::ClientError),
	#[error("a database task: {0}")]
	Task(#[from] tokio::task::JoinError),
}

/// Where devices' obligation requests go (the relay, as the daemon wires it). `take` starts
/// handling one and returns at once; `client` is the broker connection to reply on.
pub trait RequestSink: Send + Sync {
	fn take(&self, device: DeviceId, payload: Vec<u8>, client: AsyncClient);
}

/// Subscribe to telemetry (and to obligation requests when there is a `requests` sink); store
/// every reading that passes the validator, hand every request to the sink. Returns only if the
/// broker connection's task ends or the database fails.
pub async fn ingest(
	validator: Arc<Validator<Chain>>,
	requests: Option<Arc<dyn RequestSink>>,
	store: Arc<Store>,
	stats: Arc<Stats>,
	broker: &Broker,
	client_id: &str,
) -> Result<(), IngestError> {
	let mut opts = broker.options(client_id);
	opts.set_clean_session(false);
	opts.set_manual_acks(true);
	opts.set_max_packet_size(64 * 1024, 64 * 1024);
	let (client, eventloop) = AsyncClient::new(opts, 10_000);
	// What it holds is what the broker sent and the gateway has not acknowledged yet.
	let (tx, mut rx) = mpsc::unbounded_channel::<Publish>();
	let mut filters = vec![TOPIC_FILTER.to_string()];
	if requests.is_some() {
		filters.push(REQUEST_FILTER.to_string());
	}
	crate::mqtt::forward(eventloop, client.clone(), filters, tx, "ingest", broker.clone());

	let mut group = Vec::new();
	while let Some(first) = rx.recv().await {
		group.push(first);
		while group.len() < GROUP {
			match rx.try_recv() {
				Ok(p) => group.push(p),
				Err(_) => break,
			}
		}
		let mut telemetry = Vec::with_capacity(group.len());
		for p in &group {
			match (device_of_request_topic(&p.topic), &requests) {
				// Relayed at most once: the device asks again if no reply comes.
				(Some(device), Some(sink)) => sink.take(device, p.payload.to_vec(), client.clone()),
				(Some(_), None) => {},
				(None, _) => telemetry.push(p),
			}
		}
		// Checked several at a time (a device the cache does not hold is looked up on chain),
		// the results kept in the order the messages came.
		let checked: Vec<_> = stream::iter(&telemetry)
			.map(|p| validator.check(&p.topic, &p.payload))
			.buffered(CHECKS_AT_ONCE)
			.collect()
			.await;
		let mut fresh = Vec::with_capacity(checked.len());
		for (p, result) in telemetry.iter().zip(checked) {
			match result {
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
				Accepted::SetAside(reason) => {
					new += 1;
					stats.set_aside(reason, 1);
				},
				Accepted::Duplicate => stats.duplicate(),
				Accepted::Replayed { last } => {
					stats.rejected(Reject::ReplayedSequence);
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
