//! The gateway's HTTP/JSON interface, read-only, on axum and hyper:
//!
//! - `GET /proof/<device>/<seq>`: 200 with the reading, its anchor and its Merkle proof once the
//!   batch holding it is anchored in a finalized block; 202 while it waits; 409 if it was set
//!   aside; 404 if the gateway never accepted it.
//! - `GET /readings/<device>?from=<ms>&to=<ms>`: the device's readings measured in that time
//!   range (Unix ms, both ends included, each optional), in sequence order, each with where it
//!   is and, once anchored, its proof; at most 100 a page, `&after=<next>` pages on.
//! - `GET /aside`: devices with readings set aside (the chain would not take them), with the
//!   reason and count; `?after=<device>` pages on.
//! - `GET /aside/<device>`: that device's set-aside readings with their reasons; `?from=<seq>`
//!   pages on.
//! - `GET /stats`: counters, backlog, rates, latency.
//! - `GET /metrics`: the same in Prometheus' text format.
//! - `GET /health`: 200.
//! - `PUT /documents/<channel>/<hash>`, `GET /documents/<channel>/<hash>`: a private channel's
//!   document, sealed, from a writer and to a reader (signed requests; [`documents`]).
//!
//! A device whose readings are private to a channel (`channels.setDeviceChannel`): its
//! `/proof`, `/readings` and `/aside/<device>` answer only a request signed by an account that
//! may read the channel now (401 unsigned or badly signed, 403 no access; [`access`]).
//!
//! Limits ([`Limits`], by default): 256 open connections (more get 503 and are closed), request
//! headers within 10 s, an answer within 15 s (else 408), no request body over 1 KiB, a
//! connection closed after 2 minutes. Per client (IP address; for IPv6 its /64): 128 open
//! connections, 4 requests served at once (its others wait their turn, within the request's
//! 15 s), 64 under way or waiting, and 1,000 a second (bursts of 2,000; faster ones are slowed
//! to that); more get 429 (503 for a connection). The database is read off the async workers, by at
//! most 2 requests at once, so that no number of clients takes the cores ingestion commits on;
//! a request that waits for its turn past its time is answered 408 and never starts its work.
//! Proofs are read from each batch's Merkle tree, built once per batch and kept for the 32
//! batches read last.

pub mod access;
pub mod documents;
pub mod sealing;

use crate::{
	batch::BatchStatus,
	ingest::telemetry::{hex0x, parse_h256, proof_to_value},
	limits::TokenBucket,
	stats::Stats,
	store::{Location, Store},
};
use axum::{
	extract::{Path, Query, State},
	http::{header, HeaderMap, StatusCode, Uri},
	response::{IntoResponse, Response},
	routing::get,
	Json, Router,
};
use iotrust_primitives::{device::DeviceId, merkle::SignedReading};
use sealing::{Disclosure, Place};
use serde_json::{json, Value};
use std::{
	collections::HashMap,
	net::IpAddr,
	sync::{Arc, Mutex},
	time::{Duration, Instant},
};
use tokio::{
	io::AsyncWriteExt,
	net::TcpListener,
	sync::{OwnedSemaphorePermit, Semaphore},
};

/// The most entries one listing returns.
const PAGE: usize = 100;
/// The most stored readings one `/readings` request looks at.
const SCAN: usize = 10_000;
/// What one client may hold of the server.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
	/// Open connections at most; more are answered 503 and closed.
	pub max_connections: usize,
	/// Time allowed for a request's headers to arrive.
	pub header_timeout: Duration,
	/// Time allowed to answer a request (else 408).
	pub request_timeout: Duration,
	/// A connection's longest life, keep-alive included.
	pub connection_lifetime: Duration,
	/// The largest request body (every route but a document's upload is a GET).
	pub max_body: usize,
	/// The largest document upload: the chain's largest document, sealed (the daemon reads it
	/// from the chain; 16 MiB by default).
	pub max_document: usize,
	/// Requests one client (IP address) has served at once; its others wait their turn.
	pub per_client_at_once: usize,
	/// Requests one client may have under way or waiting; more get 429.
	pub per_client_queued: usize,
	/// Requests one client may make a second, and in a burst; more wait for their turn (429
	/// if that is longer than half the request's time).
	pub per_client_rate: (u32, u32),
	/// Requests reading the database at once, all clients together.
	pub work_at_once: usize,
}

impl Default for Limits {
	fn default() -> Self {
		Self {
			max_connections: 256,
			header_timeout: Duration::from_secs(10),
			request_timeout: Duration::from_secs(15),
			connection_lifetime: Duration::from_secs(120),
			max_body: 1024,
			max_document: 16 * 1024 * 1024 + documents::SEALING_OVERHEAD,
			per_client_at_once: 4,
			per_client_queued: 64,
			per_client_rate: (1_000, 2_000),
			work_at_once: 2,
		}
	}
}

#[derive(Clone)]
struct Shared {
	store: Arc<Store>,
	stats: Arc<Stats>,
	/// Turns at the database.
	work: Arc<Semaphore>,
	/// Who may read private devices' data (none without a chain: every device is served).
	gate: Option<Arc<access::Gate>>,
}

/// What each client (IP address) may still do: its requests under way, and a token bucket.
#[derive(Default)]
struct Clients {
	by_ip: HashMap<IpAddr, Client>,
}

struct Client {
	connections: Arc<Semaphore>,
	queued: Arc<Semaphore>,
	at_once: Arc<Semaphore>,
	rate: TokenBucket,
}

/// A request let in: its place in its client's queue, and the client's turns.
struct Admitted {
	_queued: OwnedSemaphorePermit,
	at_once: Arc<Semaphore>,
	/// How long it waits for its client's rate.
	wait: Duration,
}

/// Clients remembered at most; past this, those with nothing under way are forgotten.
const CLIENTS_AT_MOST: usize = 10_000;
/// Connections one client may hold open, of the server's [`Limits::max_connections`]: half,
/// so that no one client (its idle keep-alive connections included) takes them all.
const CONNECTIONS_PER_CLIENT: usize = 128;

/// Who a client is: its IP address, or for IPv6 its /64 network (what one host is given).
fn client_of(ip: IpAddr) -> IpAddr {
	match ip {
		IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
			Some(v4) => IpAddr::V4(v4),
			None => {
				let bits = u128::from(v6) & !((1u128 << 64) - 1);
				IpAddr::V6(std::net::Ipv6Addr::from(bits))
			},
		},
		v4 => v4,
	}
}

impl Clients {
	/// The entry of client `ip` (see [`client_of`]), made if new.
	fn client(&mut self, ip: IpAddr, now: Instant, limits: &Limits) -> &mut Client {
		if self.by_ip.len() >= CLIENTS_AT_MOST && !self.by_ip.contains_key(&client_of(ip)) {
			self.by_ip.retain(|_, c| {
				c.queued.available_permits() < limits.per_client_queued
					|| c.connections.available_permits() < CONNECTIONS_PER_CLIENT
			});
		}
		let burst = f64::from(limits.per_client_rate.1);
		self.by_ip.entry(client_of(ip)).or_insert_with(|| Client {
			connections: Arc::new(Semaphore::new(CONNECTIONS_PER_CLIENT)),
			queued: Arc::new(Semaphore::new(limits.per_client_queued)),
			at_once: Arc::new(Semaphore::new(limits.per_client_at_once)),
			rate: TokenBucket::full(burst, now),
		})
	}

	/// A connection of client `ip`, or `None` if it holds as many as it may.
	fn connect(&mut self, ip: IpAddr, limits: &Limits) -> Option<OwnedSemaphorePermit> {
		self.client(ip, Instant::now(), limits).connections.clone().try_acquire_owned().ok()
	}

	/// Let a request from `ip` in at `now`, or `None` if the client has too many under way or
	/// waiting, or has spent its rate.
	fn admit(&mut self, ip: IpAddr, now: Instant, limits: &Limits) -> Option<Admitted> {
		let (rate, burst) =
			(f64::from(limits.per_client_rate.0), f64::from(limits.per_client_rate.1));
		let client = self.client(ip, now, limits);
		let tokens = client.rate.refill(now, rate, burst);
		// Past its rate a request waits for its token (the bucket goes into debt), unless that
		// is longer than half the request's time.
		let wait = if tokens >= 1.0 { 0.0 } else { (1.0 - tokens) / rate.max(1.0) };
		if wait > limits.request_timeout.as_secs_f64() / 2.0 {
			return None;
		}
		let queued = client.queued.clone().try_acquire_owned().ok()?;
		client.rate.spend();
		let wait = Duration::from_secs_f64(wait);
		Some(Admitted { _queued: queued, at_once: client.at_once.clone(), wait })
	}
}

/// The routes, with their limits.
fn router(
	store: Arc<Store>,
	stats: Arc<Stats>,
	limits: Limits,
	gate: Option<Arc<access::Gate>>,
) -> Router {
	Router::new()
		.route("/health", get(|| async { Json(json!({ "ok": true })) }))
		.route("/stats", get(stats_json))
		.route("/metrics", get(metrics))
		.route("/proof/{device}/{seq}", get(proof))
		.route("/readings/{device}", get(readings))
		.route("/aside", get(aside_devices))
		.route("/aside/{device}", get(aside_readings))
		.route("/documents/{channel}/{hash}", get(documents::download))
		.fallback(|uri: axum::http::Uri| async move {
			(StatusCode::NOT_FOUND, Json(json!({ "error": format!("no route {}", uri.path()) })))
		})
		.layer(tower_http::limit::RequestBodyLimitLayer::new(limits.max_body))
		// Added after the small body limit, which then does not apply to it: a document's body.
		.route(
			"/documents/{channel}/{hash}",
			axum::routing::put(documents::upload).layer((
				axum::extract::DefaultBodyLimit::max(limits.max_document),
				tower_http::limit::RequestBodyLimitLayer::new(limits.max_document),
			)),
		)
		.layer(tower_http::timeout::TimeoutLayer::with_status_code(
			StatusCode::REQUEST_TIMEOUT,
			limits.request_timeout,
		))
		.with_state(Shared {
			store,
			stats,
			work: Arc::new(Semaphore::new(limits.work_at_once)),
			gate,
		})
}

/// Serve on `listener` until the task is dropped; private devices' data only to the requests
/// `gate` admits.
pub async fn serve(
	listener: TcpListener,
	store: Arc<Store>,
	stats: Arc<Stats>,
	limits: Limits,
	gate: Option<Arc<access::Gate>>,
) {
	let app = router(store, stats, limits, gate);
	let open = Arc::new(Semaphore::new(limits.max_connections));
	let clients = Arc::new(Mutex::new(Clients::default()));
	loop {
		let Ok((mut stream, peer)) = listener.accept().await else {
			// Out of file descriptors, say: let some close.
			tokio::time::sleep(Duration::from_millis(50)).await;
			continue;
		};
		let own = clients.lock().unwrap_or_else(|p| p.into_inner()).connect(peer.ip(), &limits);
		let (Ok(permit), Some(own)) = (open.clone().try_acquire_owned(), own) else {
			tracing::debug!("http: {peer}: too many connections; refused");
			tokio::spawn(async move {
				let busy = b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 33\r\nConnection: close\r\n\r\n{\"error\":\"too many connections\"}\n";
				let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(busy)).await;
			});
			continue;
		};
		let app = hyper_util::service::TowerToHyperService::new(app.clone());
		let clients = clients.clone();
		let service = hyper::service::service_fn(move |request| {
			let admitted = clients.lock().unwrap_or_else(|p| p.into_inner()).admit(
				peer.ip(),
				Instant::now(),
				&limits,
			);
			let app = app.clone();
			async move {
				let Some(admitted) = admitted else {
					let busy = (
						StatusCode::TOO_MANY_REQUESTS,
						Json(json!({ "error": "too many requests from this address; slow down" })),
					);
					return Ok::<_, std::convert::Infallible>(busy.into_response());
				};
				// The client's turn, then the answer, all within the request's time.
				let answer = tokio::time::timeout(limits.request_timeout, async {
					tokio::time::sleep(admitted.wait).await;
					let turn = admitted.at_once.clone().acquire_owned().await;
					let response = hyper::service::Service::call(&app, request).await;
					drop((turn, admitted));
					response
				})
				.await;
				answer.unwrap_or_else(|_| {
					let late = (
						StatusCode::REQUEST_TIMEOUT,
						Json(json!({ "error": "no answer within the request's time" })),
					);
					Ok(late.into_response())
				})
			}
		});
		tokio::spawn(async move {
			let mut http = hyper::server::conn::http1::Builder::new();
			http.timer(hyper_util::rt::TokioTimer::new())
				.header_read_timeout(limits.header_timeout);
			let conn = http.serve_connection(hyper_util::rt::TokioIo::new(stream), service);
			if let Ok(Err(e)) = tokio::time::timeout(limits.connection_lifetime, conn).await {
				tracing::debug!("http: {peer}: {e}");
			}
			drop((permit, own));
		});
	}
}

/// `f` on the blocking pool (it reads the database) once it is this request's turn at the
/// database, its answer as JSON. A request whose time runs out while it waits (the timeout
/// layer drops it) never starts `f`.
async fn blocking(
	shared: Shared,
	f: impl FnOnce(&Store, &Stats) -> (StatusCode, Value) + Send + 'static,
) -> Response {
	let Ok(turn) = shared.work.clone().acquire_owned().await else {
		return internal("the server is stopping");
	};
	let work = move || {
		let answer = f(&shared.store, &shared.stats);
		drop(turn);
		answer
	};
	match tokio::task::spawn_blocking(work).await {
		Ok((status, value)) => (status, Json(value)).into_response(),
		Err(e) => internal(e),
	}
}

fn internal(e: impl std::fmt::Display) -> Response {
	(StatusCode::INTERNAL_SERVER_ERROR, Json(json!({ "error": e.to_string() }))).into_response()
}

fn bad_request(message: &str) -> (StatusCode, Value) {
	(StatusCode::BAD_REQUEST, json!({ "error": message }))
}

async fn stats_json(State(shared): State<Shared>) -> Response {
	blocking(shared, |store, stats| (StatusCode::OK, stats.json(crate::stats::backlog(store))))
		.await
}

async fn metrics(State(shared): State<Shared>) -> Response {
	let text = tokio::task::spawn_blocking(move || {
		shared.stats.prometheus(crate::stats::backlog(&shared.store))
	})
	.await;
	match text {
		Ok(text) => ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response(),
		Err(e) => internal(e),
	}
}

type Params = Query<HashMap<String, String>>;

async fn aside_devices(State(shared): State<Shared>, Query(q): Params) -> Response {
	blocking(shared, move |store, _| {
		let after = match q.get("after").map(|a| parse_h256(a)).transpose() {
			Ok(a) => a,
			Err(e) => return bad_request(&e.to_string()),
		};
		match store.aside_devices(after, PAGE) {
			Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": e.to_string() })),
			Ok(list) => (
				StatusCode::OK,
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
	})
	.await
}

/// Answer a request for `device`'s data with `f`, which shows each reading as [`Disclosure`]
/// says: in the clear for a public device; for a private one only to a request signed by an
/// account that may read its channel now ([`access::Gate`]), and sealed. `f` runs again once the
/// epoch keys its first run had not tried are opened (or found not to be the member's).
async fn disclosed<F>(
	shared: Shared,
	device: &str,
	uri: &Uri,
	headers: &HeaderMap,
	f: F,
) -> Response
where
	F: Fn(&Store, &Disclosure) -> (StatusCode, Value) + Clone + Send + 'static,
{
	let refused =
		|r: access::Refusal| (r.status(), Json(json!({ "error": r.to_string() }))).into_response();
	let (Some(gate), Ok(device)) = (shared.gate.clone(), parse_h256(device)) else {
		return blocking(shared, move |store, _| f(store, &Disclosure::Plain)).await;
	};
	let path = uri.path_and_query().map_or(uri.path(), |p| p.as_str());
	let disclosure = match gate.admit(&device, "GET", path, headers).await {
		Ok(d) => d,
		Err(r) => return refused(r),
	};
	let Disclosure::Sealed(sealer) = &disclosure else {
		return blocking(shared, move |store, _| f(store, &Disclosure::Plain)).await;
	};
	let mut tried = false;
	loop {
		let (run, shown) = (f.clone(), disclosure.clone());
		let answer = blocking(shared.clone(), move |store, _| run(store, &shown)).await;
		let missing = sealer.missing();
		if missing.is_empty() {
			return answer;
		}
		if tried {
			let busy = (
				StatusCode::SERVICE_UNAVAILABLE,
				Json(json!({ "error": "new epochs were batched while answering; ask again" })),
			);
			return busy.into_response();
		}
		if let Err(r) = gate.open_keys(missing).await {
			return refused(r);
		}
		tried = true;
	}
}

async fn aside_readings(
	State(shared): State<Shared>,
	Path(device): Path<String>,
	Query(q): Params,
	uri: Uri,
	headers: HeaderMap,
) -> Response {
	let at = device.clone();
	disclosed(shared, &at, &uri, &headers, move |store, shown| {
		let from = q.get("from").map(String::as_str).unwrap_or("0");
		let (Ok(device), Ok(from)) = (parse_h256(&device), from.parse::<u64>()) else {
			return bad_request("expected /aside/<0x device id>?from=<sequence number>");
		};
		match store.aside_readings(&device, from, PAGE) {
			Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": e.to_string() })),
			Ok(list) => (
				StatusCode::OK,
				json!({
					"readings": list.iter().map(|a| {
						let (field, reading) = shown.show(&a.reading, Place::Unsealed);
						json!({ field: reading, "reason": a.reason.name(), "atMs": a.at_ms })
					}).collect::<Vec<_>>(),
					"next": (list.len() == PAGE).then(|| list.last().map(|a| a.reading.seq + 1)).flatten(),
				}),
			),
		}
	})
	.await
}

/// Where a reading is, as JSON: `status`, the reading as `shown` and, once anchored, its anchor
/// and proof.
/// The channel epochs batches recorded for their private ranges, read once per batch and device
/// for a whole answer.
struct SealedRanges<'a> {
	store: &'a Store,
	read: HashMap<(u64, DeviceId), Option<crate::batch::SealedUnder>>,
}

impl<'a> SealedRanges<'a> {
	fn new(store: &'a Store) -> Self {
		Self { store, read: HashMap::new() }
	}

	fn of(
		&mut self,
		batch: u64,
		device: &DeviceId,
	) -> Result<Option<crate::batch::SealedUnder>, crate::store::StoreError> {
		if let Some(under) = self.read.get(&(batch, *device)) {
			return Ok(*under);
		}
		let under = self.store.sealed_under(batch, device)?;
		self.read.insert((batch, *device), under);
		Ok(under)
	}
}

fn located(
	ranges: &mut SealedRanges,
	reading: &SignedReading,
	location: &Location,
	shown: &Disclosure,
) -> Result<Value, crate::store::StoreError> {
	let place = match (location, shown) {
		(Location::Batched { body, index, .. }, _) if body.purged.contains(index) => {
			Place::Purged(body.tree.leaves().get(*index as usize).copied().unwrap_or_default())
		},
		(Location::Batched { head, .. }, Disclosure::Sealed(_)) => {
			match ranges.of(head.header.batch, &reading.device)? {
				Some(under) => Place::Sealed(under),
				None if head
					.ranges
					.iter()
					.any(|r| r.device == reading.device && !r.summaries.is_empty()) =>
				{
					Place::Public
				},
				None => Place::Unsealed,
			}
		},
		_ => Place::Unsealed,
	};
	let (field, shown) = shown.show(reading, place);
	let mut value = match location {
		Location::Pending => json!({ "status": "pending" }),
		Location::Aside(a) => json!({
			"status": "setAside",
			"reason": a.reason.name(),
			"atMs": a.at_ms,
		}),
		Location::Batched { head, body, index } => match (&head.status, body.tree.proof(*index)) {
			(BatchStatus::Anchored { anchor, block, .. }, Some(proof)) => json!({
				"status": "anchored",
				"anchor": anchor,
				"block": (!block.is_zero()).then(|| hex0x(block.as_bytes())),
				"batch": head.header.batch,
				"root": hex0x(head.header.root.as_bytes()),
				"proof": proof_to_value(&proof),
			}),
			_ => json!({ "status": "batched", "batch": head.header.batch }),
		},
	};
	value[field] = shown;
	Ok(value)
}

async fn proof(
	State(shared): State<Shared>,
	Path((device, seq)): Path<(String, String)>,
	uri: Uri,
	headers: HeaderMap,
) -> Response {
	let at = device.clone();
	disclosed(shared, &at, &uri, &headers, move |store, shown| {
		let (Ok(device), Ok(seq)) = (parse_h256(&device), seq.parse::<u64>()) else {
			return bad_request("expected /proof/<0x device id>/<sequence number>");
		};
		let internal = |e: String| (StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": e }));
		match store.locate(&device, seq) {
			Err(e) => internal(e.to_string()),
			Ok(None) => (
				StatusCode::NOT_FOUND,
				json!({ "error": "this gateway never accepted that reading" }),
			),
			Ok(Some(Location::Pending)) => (StatusCode::ACCEPTED, json!({ "status": "pending" })),
			Ok(Some(Location::Aside(a))) => (
				StatusCode::CONFLICT,
				json!({ "status": "setAside", "reason": a.reason.name(), "atMs": a.at_ms }),
			),
			Ok(Some(location @ Location::Batched { .. })) => {
				let reading = match &location {
					Location::Batched { body, index, .. } => body.readings.get(*index as usize),
					_ => None,
				};
				let Some(reading) = reading else {
					return internal("no such leaf".into());
				};
				match located(&mut SealedRanges::new(store), reading, &location, shown) {
					Err(e) => internal(e.to_string()),
					Ok(value) if value["status"] == "anchored" => (StatusCode::OK, value),
					Ok(value) => (StatusCode::ACCEPTED, value),
				}
			},
		}
	})
	.await
}

async fn readings(
	State(shared): State<Shared>,
	Path(device): Path<String>,
	Query(q): Params,
	uri: Uri,
	headers: HeaderMap,
) -> Response {
	let at = device.clone();
	disclosed(shared, &at, &uri, &headers, move |store, shown| {
		let number = |name: &str| q.get(name).map(|v| v.parse::<u64>()).transpose();
		let (Ok(device), Ok(from), Ok(to), Ok(after)) =
			(parse_h256(&device), number("from"), number("to"), number("after"))
		else {
			return bad_request(
				"expected /readings/<0x device id>?from=<Unix ms>&to=<Unix ms>&after=<sequence number>",
			);
		};
		let (from, to) = (from.unwrap_or(0), to.unwrap_or(u64::MAX));
		if from > to {
			return bad_request("`from` is after `to`");
		}
		let internal = |e: String| (StatusCode::INTERNAL_SERVER_ERROR, json!({ "error": e }));
		let page = match store.readings(&device, (from, to), after, PAGE, SCAN) {
			Err(e) => return internal(e.to_string()),
			Ok(page) => page,
		};
		let mut ranges = SealedRanges::new(store);
		let listed =
			page.readings.iter().map(|l| located(&mut ranges, &l.reading, &l.location, shown));
		match listed.collect::<Result<Vec<_>, _>>() {
			Err(e) => internal(e.to_string()),
			Ok(listed) => (
				StatusCode::OK,
				json!({ "device": hex0x(device.as_bytes()), "readings": listed, "next": page.next }),
			),
		}
	})
	.await
}

#[cfg(test)]
mod tests {
	use super::*;
	use tokio::{io::AsyncReadExt, net::TcpStream};

	async fn server(limits: Limits) -> (tempfile::TempDir, std::net::SocketAddr) {
		let dir = tempfile::tempdir().unwrap();
		let store = Arc::new(Store::open(&dir.path().join("gateway.redb")).unwrap());
		let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
		let addr = listener.local_addr().unwrap();
		tokio::spawn(serve(listener, store, Arc::new(Stats::default()), limits, None));
		(dir, addr)
	}

	/// Send `request` and read until the server closes, or 5 s.
	async fn exchange(addr: std::net::SocketAddr, request: &[u8]) -> String {
		let mut s = TcpStream::connect(addr).await.unwrap();
		s.write_all(request).await.unwrap();
		let mut out = Vec::new();
		let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
		String::from_utf8_lossy(&out).into_owned()
	}

	fn get(path: &str) -> Vec<u8> {
		format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").into_bytes()
	}

	#[tokio::test]
	async fn routes_answer_and_bad_requests_get_clear_errors() {
		let (_dir, addr) = server(Limits::default()).await;
		assert!(exchange(addr, &get("/health")).await.starts_with("HTTP/1.1 200"));
		let metrics = exchange(addr, &get("/metrics")).await;
		assert!(metrics.contains("text/plain; version=0.0.4"), "{metrics}");
		let missing = exchange(addr, &get("/nope")).await;
		assert!(missing.starts_with("HTTP/1.1 404") && missing.contains("no route /nope"));
		let bad = exchange(addr, &get("/readings/0x12?from=1")).await;
		assert!(bad.starts_with("HTTP/1.1 400") && bad.contains("expected /readings"), "{bad}");
		let device = format!("0x{}", "11".repeat(32));
		let backwards = exchange(addr, &get(&format!("/readings/{device}?from=5&to=1"))).await;
		assert!(backwards.contains("`from` is after `to`"), "{backwards}");
		let none = exchange(addr, &get(&format!("/readings/{device}"))).await;
		assert!(none.starts_with("HTTP/1.1 200") && none.contains(r#""readings":[]"#), "{none}");
		let unknown = exchange(addr, &get(&format!("/proof/{device}/3"))).await;
		assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");
		let post = exchange(
			addr,
			b"POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
		)
		.await;
		assert!(post.starts_with("HTTP/1.1 405"), "{post}");
		let big = format!(
			"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n{}",
			"x".repeat(5000)
		);
		let big = exchange(addr, big.as_bytes()).await;
		assert!(big.starts_with("HTTP/1.1 413"), "{big}");
	}

	/// A client that opens connections and says nothing neither keeps them nor keeps others
	/// out for long: idle connections are closed when their headers do not come, and beyond the
	/// cap new ones are told 503 at once.
	#[tokio::test]
	async fn attack_idle_connections_are_bounded_in_number_and_time() {
		let limits = Limits {
			max_connections: 2,
			header_timeout: Duration::from_millis(300),
			..Limits::default()
		};
		let (_dir, addr) = server(limits).await;
		let idle1 = TcpStream::connect(addr).await.unwrap();
		let idle2 = TcpStream::connect(addr).await.unwrap();
		tokio::time::sleep(Duration::from_millis(50)).await;
		let busy = exchange(addr, &get("/health")).await;
		assert!(busy.starts_with("HTTP/1.1 503"), "{busy}");
		// The silent ones are dropped once their headers are late; then there is room.
		for mut idle in [idle1, idle2] {
			let mut buf = Vec::new();
			let closed =
				tokio::time::timeout(Duration::from_secs(3), idle.read_to_end(&mut buf)).await;
			assert!(closed.is_ok(), "an idle connection is closed");
		}
		tokio::time::sleep(Duration::from_millis(50)).await;
		assert!(exchange(addr, &get("/health")).await.starts_with("HTTP/1.1 200"));
	}

	/// The attack of one client that opens many requests at once, or loops on requests: it waits
	/// its turn, gets 429 past its share, and other clients are not touched.
	#[test]
	fn attack_one_client_gets_its_share_and_no_more() {
		let limits = Limits {
			per_client_at_once: 1,
			per_client_queued: 2,
			per_client_rate: (10, 5),
			request_timeout: Duration::from_millis(200),
			..Limits::default()
		};
		let mut clients = Clients::default();
		let (greedy, other): (IpAddr, IpAddr) = ([10, 0, 0, 1].into(), [10, 0, 0, 2].into());
		let t0 = Instant::now();
		let a = clients.admit(greedy, t0, &limits).unwrap();
		let _b = clients.admit(greedy, t0, &limits).unwrap();
		assert!(clients.admit(greedy, t0, &limits).is_none(), "two under way or waiting");
		assert!(clients.admit(other, t0, &limits).is_some(), "others are served");
		// One served at a time.
		let turn = a.at_once.clone().try_acquire_owned().unwrap();
		assert!(a.at_once.clone().try_acquire_owned().is_err());
		drop((turn, a));
		let c = clients.admit(greedy, t0, &limits).unwrap();
		drop(c);
		// The burst of 5 is spent (3 taken); 2 more at once, then one waits 0.1 s for its token
		// (within half the request's 0.2 s), then none until tokens come back.
		for _ in 0..2 {
			assert_eq!(clients.admit(greedy, t0, &limits).unwrap().wait, Duration::ZERO);
		}
		let slowed = clients.admit(greedy, t0, &limits).unwrap();
		assert_eq!(slowed.wait, Duration::from_millis(100));
		drop(slowed);
		assert!(clients.admit(greedy, t0, &limits).is_none(), "the rate is spent");
		let later = t0 + Duration::from_millis(450);
		assert!(clients.admit(greedy, later, &limits).is_some(), "10 a second come back");
	}

	#[test]
	fn an_ipv6_client_is_its_64_network_and_connections_are_counted_per_client() {
		let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
		let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
		let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
		assert_eq!(client_of(a), client_of(b));
		assert_ne!(client_of(a), client_of(c));
		let mapped: IpAddr = "::ffff:10.0.0.1".parse().unwrap();
		assert_eq!(client_of(mapped), IpAddr::from([10, 0, 0, 1]));
		let mut clients = Clients::default();
		let limits = Limits::default();
		let held: Vec<_> =
			(0..CONNECTIONS_PER_CLIENT).map(|_| clients.connect(a, &limits).unwrap()).collect();
		assert!(clients.connect(b, &limits).is_none(), "the same /64");
		assert!(clients.connect(c, &limits).is_some());
		drop(held);
		assert!(clients.connect(b, &limits).is_some());
	}
}
