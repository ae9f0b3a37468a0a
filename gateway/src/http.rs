//! The gateway's HTTP/JSON interface, read-only:
//!
//! - `GET /proof/<device>/<seq>`: 200 with the reading, its anchor and its Merkle proof once the
//!   batch holding it is anchored in a finalized block; 202 while it waits; 404 if the gateway
//!   never accepted it.
//! - `GET /aside`: devices with readings set aside (the chain would not take them), with the
//!   reason and count; `?after=<device>` pages on.
//! - `GET /aside/<device>`: that device's set-aside readings with their reasons; `?from=<seq>`
//!   pages on.
//! - `GET /stats`: counters, backlog, rates, latency.
//! - `GET /metrics`: the same in Prometheus' text format.
//! - `GET /health`: 200.

use crate::{
	batch::BatchStatus,
	stats::Stats,
	store::{Location, Store},
	telemetry::{hex0x, parse_h256, proof_to_value, reading_to_value},
};

/// The most entries one listing returns.
const PAGE: usize = 100;
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

async fn handle(
	mut stream: TcpStream,
	store: &Arc<Store>,
	stats: &Arc<Stats>,
) -> std::io::Result<()> {
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
		(Some("GET"), Some(path)) => {
			let (path, store, stats) = (path.to_string(), store.clone(), stats.clone());
			// The database is read off the async workers.
			tokio::task::spawn_blocking(move || route(&path, &store, &stats))
				.await
				.unwrap_or_else(|e| (500, Body::Json(json!({ "error": e.to_string() }))))
		},
		_ => (405, Body::Json(json!({ "error": "only GET is served" }))),
	};
	let (body, kind) = body.into_text();
	let reason = match status {
		200 => "OK",
		202 => "Accepted",
		400 => "Bad Request",
		404 => "Not Found",
		405 => "Method Not Allowed",
		409 => "Conflict",
		_ => "Internal Server Error",
	};
	let head = format!(
		"HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
		body.len()
	);
	stream.write_all(head.as_bytes()).await?;
	stream.write_all(body.as_bytes()).await?;
	stream.shutdown().await
}

/// A response body.
enum Body {
	Json(Value),
	Text(String),
}

impl Body {
	/// The body's text and its content type.
	fn into_text(self) -> (String, &'static str) {
		match self {
			Body::Json(v) => (v.to_string(), "application/json"),
			Body::Text(t) => (t, "text/plain; version=0.0.4"),
		}
	}
}

fn route(path: &str, store: &Store, stats: &Stats) -> (u16, Body) {
	let (path, query) = path.split_once('?').unwrap_or((path, ""));
	let param = |name: &str| {
		query
			.split('&')
			.find_map(|kv| kv.split_once('=').filter(|(k, _)| *k == name).map(|(_, v)| v))
	};
	let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
	let json = |(status, v): (u16, Value)| (status, Body::Json(v));
	match segments.as_slice() {
		["health"] => json((200, json!({ "ok": true }))),
		["stats"] => json((200, stats.json(crate::gateway::backlog(store)))),
		["metrics"] => (200, Body::Text(stats.prometheus(crate::gateway::backlog(store)))),
		["proof", device, seq] => json(proof(device, seq, store)),
		["aside"] => json(aside_devices(param("after"), store)),
		["aside", device] => json(aside_readings(device, param("from"), store)),
		_ => json((404, json!({ "error": format!("no route {path}") }))),
	}
}

fn aside_devices(after: Option<&str>, store: &Store) -> (u16, Value) {
	let after = match after.map(parse_h256).transpose() {
		Ok(a) => a,
		Err(e) => return (400, json!({ "error": e })),
	};
	match store.aside_devices(after, PAGE) {
		Err(e) => (500, json!({ "error": e.to_string() })),
		Ok(list) => (
			200,
			json!({
				"devices": list.iter().map(|(device, a)| json!({
					"device": hex0x(device.as_bytes()),
					"reason": a.reason.name(),
					"count": a.count,
					"held": a.held,
					"sinceMs": a.since_ms,
				})).collect::<Vec<_>>(),
				"next": (list.len() == PAGE).then(|| list.last().map(|(d, _)| hex0x(d.as_bytes()))).flatten(),
			}),
		),
	}
}

fn aside_readings(device: &str, from: Option<&str>, store: &Store) -> (u16, Value) {
	let (Ok(device), Ok(from)) = (parse_h256(device), from.unwrap_or("0").parse::<u64>()) else {
		return (400, json!({ "error": "expected /aside/<0x device id>?from=<sequence number>" }));
	};
	match store.aside_readings(&device, from, PAGE) {
		Err(e) => (500, json!({ "error": e.to_string() })),
		Ok(list) => (
			200,
			json!({
				"readings": list.iter().map(|a| json!({
					"reading": reading_to_value(&a.reading),
					"reason": a.reason.name(),
					"atMs": a.at_ms,
				})).collect::<Vec<_>>(),
				"next": (list.len() == PAGE).then(|| list.last().map(|a| a.reading.seq + 1)).flatten(),
			}),
		),
	}
}

fn proof(device: &str, seq: &str, store: &Store) -> (u16, Value) {
	let (Ok(device), Ok(seq)) = (parse_h256(device), seq.parse::<u64>()) else {
		return (400, json!({ "error": "expected /proof/<0x device id>/<sequence number>" }));
	};
	match store.locate(&device, seq) {
		Err(e) => (500, json!({ "error": e.to_string() })),
		Ok(None) => (404, json!({ "error": "this gateway never accepted that reading" })),
		Ok(Some(Location::Pending)) => (202, json!({ "status": "pending" })),
		Ok(Some(Location::Aside(a))) => {
			(409, json!({ "status": "setAside", "reason": a.reason.name(), "atMs": a.at_ms }))
		},
		Ok(Some(Location::Batched { head, body, index })) => {
			let reading = body.readings.get(index as usize);
			match (&head.status, reading, merkle_proof(&body.leaves, index)) {
				(BatchStatus::Anchored { anchor, block, .. }, Some(reading), Some(proof)) => (
					200,
					json!({
						"status": "anchored",
						"anchor": anchor,
						"block": (!block.is_zero()).then(|| hex0x(block.as_bytes())),
						"batch": head.number,
						"root": hex0x(head.root.as_bytes()),
						"reading": reading_to_value(reading),
						"proof": proof_to_value(&proof),
					}),
				),
				_ => (202, json!({ "status": "batched", "batch": head.number })),
			}
		},
	}
}
