//! The gateway's HTTP/JSON interface, read-only:
//!
//! - `GET /proof/<device>/<seq>`: 200 with the reading, its anchor and its Merkle proof once the
//!   batch holding it is anchored in a finalized block; 202 while it waits; 404 if the gateway
//!   never accepted it.
//! - `GET /stats`: counters, backlog, rates, latency.
//! - `GET /health`: 200.

use crate::{
	batch::BatchStatus,
	stats::Stats,
	store::{Location, Store},
	telemetry::{hex0x, parse_h256, proof_to_value, reading_to_value},
};
use iotrust_primitives::merkle::merkle_proof;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::{
	io::{AsyncReadExt, AsyncWriteExt},
	net::{TcpListener, TcpStream},
};

/// Serve on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, store: Arc<Store>, stats: Arc<Stats>) {
	loop {
		let Ok((stream, _)) = listener.accept().await else { continue };
		let (store, stats) = (store.clone(), stats.clone());
		tokio::spawn(async move {
			if let Err(e) = handle(stream, &store, &stats).await {
				tracing::debug!("http: {e}");
			}
		});
	}
}

async fn handle(mut stream: TcpStream, store: &Store, stats: &Stats) -> std::io::Result<()> {
	let mut buf = Vec::with_capacity(1024);
	let mut chunk = [0u8; 1024];
	while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
		let n = stream.read(&mut chunk).await?;
		if n == 0 || buf.len() > 16 * 1024 {
			return Ok(());
		}
		buf.extend_from_slice(&chunk[..n]);
	}
	let request = String::from_utf8_lossy(&buf);
	let mut parts = request.split_whitespace();
	let (status, body) = match (parts.next(), parts.next()) {
		(Some("GET"), Some(path)) => route(path, store, stats),
		_ => (405, json!({ "error": "only GET is served" })),
	};
	let body = body.to_string();
	let reason = match status {
		200 => "OK",
		202 => "Accepted",
		400 => "Bad Request",
		404 => "Not Found",
		405 => "Method Not Allowed",
		_ => "Internal Server Error",
	};
	let head = format!(
		"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
		body.len()
	);
	stream.write_all(head.as_bytes()).await?;
	stream.write_all(body.as_bytes()).await?;
	stream.shutdown().await
}

fn route(path: &str, store: &Store, stats: &Stats) -> (u16, Value) {
	let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
	match segments.as_slice() {
		["health"] => (200, json!({ "ok": true })),
		["stats"] => (200, stats.json(store.pending_count().unwrap_or_default())),
		["proof", device, seq] => proof(device, seq, store),
		_ => (404, json!({ "error": format!("no route {path}") })),
	}
}

fn proof(device: &str, seq: &str, store: &Store) -> (u16, Value) {
	let (Ok(device), Ok(seq)) = (parse_h256(device), seq.parse::<u64>()) else {
		return (400, json!({ "error": "expected /proof/<0x device id>/<sequence number>" }));
	};
	match store.locate(&device, seq) {
		Err(e) => (500, json!({ "error": e })),
		Ok(None) => (404, json!({ "error": "this gateway never accepted that reading" })),
		Ok(Some(Location::Pending)) => (202, json!({ "status": "pending" })),
		Ok(Some(Location::Batched { batch, leaves, index })) => {
			let reading = batch.readings.get(index as usize);
			match (&batch.status, reading, merkle_proof(&leaves, index)) {
				(BatchStatus::Anchored { anchor, block, .. }, Some(reading), Some(proof)) => (
					200,
					json!({
						"status": "anchored",
						"anchor": anchor,
						"block": (!block.is_zero()).then(|| hex0x(block.as_bytes())),
						"batch": batch.number,
						"root": hex0x(batch.root.as_bytes()),
						"reading": reading_to_value(reading),
						"proof": proof_to_value(&proof),
					}),
				),
				(BatchStatus::Failed { reason }, ..) => {
					(500, json!({ "status": "failed", "batch": batch.number, "error": reason }))
				},
				_ => (202, json!({ "status": "batched", "batch": batch.number })),
			}
		},
	}
}
