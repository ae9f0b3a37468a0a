//! Devices' obligation requests, relayed to the chain (device → gateway → chain).
//!
//! A consumer's device publishes on `iotrust/<device-id>/obligation` (QoS 1) what it asks for
//! under a provider's offer, signed with its current key:
//!
//! ```json
//! { "id": "any text the device uses to match the reply",
//!   "offer": 0, "amount": "5000000000000", "note": "0x6b2d3132",
//!   "nonce": 0, "validUntil": 1234, "signature": { "Ed25519": "0x<64 bytes>" } }
//! ```
//!
//! `nonce` is the device's count of requests so far (`obligationsApi.deviceNonce`),
//! `validUntil` the last block the chain may accept it in (at most
//! `Obligations.MaxRequestLifetime`, ten minutes, ahead), the signature is over
//! `obligation_payload(genesis, device, nonce, validUntil, (offer, amount, note))`, and `amount`
//! (plancks) may be a string or a number. The gateway checks the device is active and bound to
//! it, asks at most [`guard::REQUEST_RATE`] a second, the nonce is the chain's, the note fits
//! `Obligations.MaxNoteLen`, the signature, and that the chain has not refused these very bytes
//! before; then asks the chain what the call would do (`obligationsApi.checkDeviceRequest`: the
//! offer, the amount, the consumer's credit, `validUntil`); then submits
//! `obligations.createForDevice` (paying its fee; the consumer's deposit is held) and publishes
//! the outcome on `iotrust/<device-id>/obligation/reply` (QoS 1):
//!
//! - `{ "id", "nonce", "status": "created", "obligation": <id> }`
//! - `{ "id", "nonce", "status": "rejected", "reason": "<why>", "detail": "…" }`: the gateway did
//!   not submit it (`bad_request`, `unknown_device`, `device_not_active`, `not_device_gateway`,
//!   `stale_nonce`, `note_too_long`, `bad_signature`, `chain_refused` with the chain's error
//!   as the detail, e.g. `Obligations.CreditLimitExceeded` or `Obligations.RequestExpired`,
//!   `unchecked` when the chain did not answer, `busy` while the device's previous request is
//!   under way, `rate_limited`, `replayed` for a signed request the chain already refused: a
//!   device asks again with a new `validUntil`, so a request it gave up on cannot be created
//!   later by whoever kept a copy);
//! - `{ "id", "nonce", "status": "failed", "error": "Obligations.CreditLimitExceeded" }`: the
//!   chain refused it in a finalized block (its state changed since the check); the nonce is not
//!   used up;
//! - `{ "id", "nonce", "status": "notSubmitted", "error": "…" }`: it could not be submitted (node
//!   unreachable, pool refusal); the device may ask again with the same nonce.
//!
//! Every reply carries `"signature": "0x<64 bytes>"`, the gateway account's sr25519 signature
//! over [`obligation_reply_payload`]`(genesis, device, id, nonce, status, obligation, why)` —
//! `id` as the JSON text the request carried, `why` the reason or the error (empty when
//! created) — which the device checks against the gateway it is bound to: no other broker client
//! can tell it "created".
//!
//! One request per device is under way at a time. A request is relayed at most once: should
//! the gateway stop before it replies, the device asks again (with the chain's nonce, it cannot
//! be created twice; with its `validUntil`, a refused one cannot be created after it expires).

pub mod guard;

use crate::{
	chain::port::{CallFailure, ChainError, PalletError, Relayed},
	chain::{interface, AccountId, Call, Chain},
	ingest::telemetry::{hex0x, parse_hex, reply_topic, signature_from_json, FormatError},
	ingest::validate::{DeviceLookup, Validator},
	ingest::RequestSink,
	stats::Stats,
};
use guard::Guard;
use iotrust_primitives::{
	device::{
		obligation_payload, obligation_reply_payload, DeviceId, DeviceRefusal, DeviceSignature,
	},
	obligations::ObligationRequest,
	Balance,
};
use rumqttc::{AsyncClient, QoS};
use serde_json::{json, Value};
use sp_core::H256;
use std::{
	sync::{Arc, Mutex},
	time::Instant,
};
use subxt_signer::sr25519::Keypair;
use tokio::sync::mpsc;
use tracing::{info, warn};

/// A device's signed request, as published.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
	/// The device's own reference, echoed in the reply.
	pub id: Value,
	/// What it asks for.
	pub terms: ObligationRequest<Balance>,
	/// Its count of requests so far.
	pub nonce: u32,
	/// The last block the chain may accept it in.
	pub valid_until: u32,
	/// Its signature over the obligation payload.
	pub signature: DeviceSignature,
}

/// Read a request message.
pub fn parse_request(payload: &[u8]) -> Result<Request, FormatError> {
	let v: Value = serde_json::from_slice(payload)?;
	let obj = v.as_object().ok_or(FormatError::field("request", "a JSON object"))?;
	for key in obj.keys() {
		if !["id", "offer", "amount", "note", "nonce", "validUntil", "signature"]
			.contains(&key.as_str())
		{
			return Err(FormatError::UnknownField(key.clone()));
		}
	}
	let offer = v["offer"].as_u64().ok_or(FormatError::field("offer", "a number"))?;
	let plancks = || FormatError::field("amount", "an integer in plancks");
	let amount = match &v["amount"] {
		Value::String(s) => s.parse::<Balance>().map_err(|_| plancks())?,
		Value::Number(n) => n.as_u64().ok_or_else(plancks)?.into(),
		_ => {
			return Err(FormatError::field(
				"amount",
				"an integer in plancks (a string or a number)",
			))
		},
	};
	let note = match &v["note"] {
		Value::Null => vec![],
		Value::String(s) => parse_hex(s)?,
		_ => return Err(FormatError::field("note", "0x hex")),
	};
	let nonce = v["nonce"]
		.as_u64()
		.and_then(|n| u32::try_from(n).ok())
		.ok_or(FormatError::field("nonce", "the device's count of requests"))?;
	let valid_until = v["validUntil"]
		.as_u64()
		.and_then(|n| u32::try_from(n).ok())
		.ok_or(FormatError::field("validUntil", "the last block it may be accepted in"))?;
	let signature = signature_from_json(&v["signature"])?;
	Ok(Request {
		id: v["id"].clone(),
		terms: ObligationRequest { offer, amount, note },
		nonce,
		valid_until,
		signature,
	})
}

/// Why the gateway did not submit a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
	/// The reason, a short name.
	pub reason: &'static str,
	/// What exactly.
	pub detail: String,
}

fn rejected(reason: &'static str, detail: impl Into<String>) -> Rejected {
	Rejected { reason, detail: detail.into() }
}

/// What the chain says of a device's requests: its nonce, and what the call would do.
pub trait RequestChain: DeviceLookup {
	/// `device`'s count of obligation requests (`obligationsApi.deviceNonce`).
	fn obligation_nonce(
		&self,
		device: &DeviceId,
	) -> impl std::future::Future<Output = Result<u32, ChainError>> + Send;

	/// What `obligations.createForDevice` would do if this gateway submitted it now
	/// (`obligationsApi.checkDeviceRequest`): `Ok`, or the chain's error.
	fn check_device_request(
		&self,
		device: &DeviceId,
		request: &ObligationRequest<Balance>,
		valid_until: u32,
		signature: &DeviceSignature,
	) -> impl std::future::Future<Output = Result<Result<(), PalletError>, ChainError>> + Send;
}

impl RequestChain for Chain {
	async fn obligation_nonce(&self, device: &DeviceId) -> Result<u32, ChainError> {
		Chain::obligation_nonce(self, device).await
	}

	async fn check_device_request(
		&self,
		device: &DeviceId,
		request: &ObligationRequest<Balance>,
		valid_until: u32,
		signature: &DeviceSignature,
	) -> Result<Result<(), PalletError>, ChainError> {
		Chain::check_device_request(self, device, request, valid_until, signature).await
	}
}

/// Checks and relays requests for gateway `me`.
pub struct Relay<C: RequestChain> {
	chain: Arc<C>,
	validator: Arc<Validator<C>>,
	genesis: H256,
	max_note: usize,
	calls: mpsc::Sender<Relayed>,
	guard: Mutex<Guard>,
	stats: Arc<Stats>,
	me: AccountId,
	signer: Keypair,
}

/// The relay takes the requests ingest hands on, each handled on a task of its own.
impl<C: RequestChain> RequestSink for Arc<Relay<C>> {
	fn take(&self, device: DeviceId, payload: Vec<u8>, client: AsyncClient) {
		tokio::spawn(self.clone().handle(device, payload, client));
	}
}

impl<C: RequestChain> Relay<C> {
	/// A relay for the gateway account `signer` (which signs its replies), handing its calls to
	/// the anchorer through `calls`.
	pub fn new(
		chain: Arc<C>,
		validator: Arc<Validator<C>>,
		signer: Keypair,
		genesis: H256,
		max_note: usize,
		calls: mpsc::Sender<Relayed>,
		stats: Arc<Stats>,
	) -> Self {
		let me = AccountId::from(signer.public_key().0);
		let guard = Mutex::default();
		Self { chain, validator, genesis, max_note, calls, guard, stats, me, signer }
	}

	fn guard(&self) -> std::sync::MutexGuard<'_, Guard> {
		self.guard.lock().unwrap_or_else(|p| p.into_inner())
	}

	/// Check the request `payload` that `device` published; the request and the call to make,
	/// or why not.
	pub async fn check(
		&self,
		device: DeviceId,
		payload: &[u8],
	) -> Result<(Request, Call, [u8; 32]), (Value, Rejected)> {
		let request = parse_request(payload).map_err(|e| {
			let id = serde_json::from_slice::<Value>(payload).ok().map(|v| v["id"].clone());
			(id.unwrap_or(Value::Null), rejected("bad_request", e.to_string()))
		})?;
		let fail = |r: Rejected| (request.id.clone(), r);
		if request.terms.note.len() > self.max_note {
			return Err(fail(rejected(
				"note_too_long",
				format!("{} bytes; the chain takes {}", request.terms.note.len(), self.max_note),
			)));
		}
		let info = self
			.validator
			.device_record(&device)
			.await
			.map_err(|r| fail(rejected(r.reason.name(), r.detail)))?
			.ok_or_else(|| fail(rejected("unknown_device", hex0x(device.as_bytes()))))?;
		if let Err(r) = DeviceRefusal::judge(Some(info.status), info.gateway.as_ref(), &self.me) {
			return Err(fail(rejected(r.label(), crate::ingest::validate::refusal_detail(r))));
		}
		let payload = obligation_payload(
			&self.genesis,
			&device,
			request.nonce,
			request.valid_until,
			&request.terms,
		);
		if !info.key.verify(&payload, &request.signature) {
			return Err(fail(rejected(
				"bad_signature",
				"not the device's current key over (genesis, device, nonce, validUntil, offer, \
				 amount, note)",
			)));
		}
		// What identifies what the request asks for: the bytes its device signed, not the
		// signature (P-256 and secp256k1 signatures can be altered into other valid ones).
		let key = sp_io::hashing::blake2_256(&payload);
		if self.guard().was_refused(&key, Instant::now()) {
			return Err(fail(rejected(
				"replayed",
				"the chain refused this signed request before; sign it again with a new validUntil",
			)));
		}
		// Only a request its device signed takes the device's turn and rate: no one else can
		// keep a device busy or rate-limited by publishing on its topic.
		let admitted = self.guard().admit(device, Instant::now());
		if let Err(turned) = admitted {
			return Err(fail(rejected(turned.reason(), turned.detail())));
		}
		let checked = self.check_admitted(device, request, key).await;
		if checked.is_err() {
			self.guard().done(&device);
		}
		checked
	}

	/// The rest of [`Relay::check`] once `device`'s signed `request` holds its turn: the nonce
	/// and the chain's own judgement. An `Err` gives the turn back (through the caller).
	async fn check_admitted(
		&self,
		device: DeviceId,
		request: Request,
		key: [u8; 32],
	) -> Result<(Request, Call, [u8; 32]), (Value, Rejected)> {
		let fail = |r: Rejected| (request.id.clone(), r);
		let expected =
			self.chain.obligation_nonce(&device).await.map_err(|e| {
				fail(rejected("unknown_nonce", format!("the chain did not say: {e}")))
			})?;
		if request.nonce != expected {
			return Err(fail(rejected(
				"stale_nonce",
				format!("the chain expects nonce {expected}, the request has {}", request.nonce),
			)));
		}
		// Last, the chain's own judgement of the call (the offer, the amount, the consumer's
		// credit and score): a refusal costs nothing here, and would cost a fee on chain.
		let verdict = self
			.chain
			.check_device_request(&device, &request.terms, request.valid_until, &request.signature)
			.await;
		match verdict {
			Ok(Ok(())) => {},
			Ok(Err(refusal)) => {
				self.guard().refused(key, Instant::now());
				return Err(fail(rejected("chain_refused", refusal.to_string())));
			},
			Err(e) => {
				return Err(fail(rejected("unchecked", format!("the chain did not say: {e}"))))
			},
		}
		let call = Call::new(
			&crate::chain::interface::CREATE_FOR_DEVICE,
			&(device, &request.terms, request.valid_until, &request.signature),
		);
		Ok((request, call, key))
	}

	/// Handle one request from `device`: check it, have it submitted, and publish the reply.
	pub async fn handle(self: Arc<Self>, device: DeviceId, payload: Vec<u8>, client: AsyncClient) {
		let reply = match self.check(device, &payload).await {
			Err((id, r)) => {
				let nonce = serde_json::from_slice::<Value>(&payload)
					.ok()
					.and_then(|v| v["nonce"].as_u64())
					.and_then(|n| u32::try_from(n).ok());
				Reply::rejected(id, nonce, r.reason, &r.detail)
			},
			Ok((request, call, key)) => {
				let (done, outcome) = tokio::sync::oneshot::channel();
				let outcome = match self.calls.send(Relayed { call, done }).await {
					Ok(()) => outcome.await.unwrap_or_else(|_| {
						Err(CallFailure::NotSubmitted("the gateway is stopping".into()))
					}),
					Err(_) => Err(CallFailure::NotSubmitted("the gateway is stopping".into())),
				};
				let (id, nonce) = (request.id, Some(request.nonce));
				match outcome {
					Ok(events) => {
						let obligation = interface::OBLIGATION_CREATED.find(&events);
						info!("device {device:?}: obligation {obligation:?} created");
						Reply {
							id,
							nonce,
							status: "created",
							obligation,
							why: String::new(),
							detail: None,
						}
					},
					Err(CallFailure::Failed(e)) => {
						self.guard().refused(key, Instant::now());
						Reply {
							id,
							nonce,
							status: "failed",
							obligation: None,
							why: e.to_string(),
							detail: None,
						}
					},
					Err(CallFailure::NotSubmitted(e)) => Reply {
						id,
						nonce,
						status: "notSubmitted",
						obligation: None,
						why: e,
						detail: None,
					},
				}
			},
		};
		if reply.status != "rejected" {
			// A request that got as far as the chain gives its turn back once answered (a
			// rejected one already gave it back, or never held it).
			self.guard().done(&device);
		}
		self.reply(&client, &device, reply).await;
	}

	async fn reply(&self, client: &AsyncClient, device: &DeviceId, reply: Reply) {
		self.stats.relayed(reply.status);
		let json = reply.signed(&self.genesis, device, &self.signer);
		if reply.status != "created" {
			warn!("obligation request of device {device:?}: {json}");
		}
		let topic = reply_topic(device);
		if let Err(e) = client.publish(topic, QoS::AtLeastOnce, false, json.to_string()).await {
			warn!("replying to device {device:?}: {e}");
		}
	}
}

/// The gateway's answer to a device's request, before it is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
	/// The device's reference for the request, as it sent it.
	pub id: Value,
	/// The nonce the request carried, if it could be read.
	pub nonce: Option<u32>,
	/// `created`, `rejected`, `failed` or `notSubmitted`.
	pub status: &'static str,
	/// The obligation created.
	pub obligation: Option<u64>,
	/// Why not: the rejection's reason, or the chain's or the submission's error.
	pub why: String,
	/// A rejection's detail (not signed: for people).
	pub detail: Option<String>,
}

impl Reply {
	fn rejected(id: Value, nonce: Option<u32>, reason: &str, detail: &str) -> Self {
		let (why, detail) = (reason.to_string(), Some(detail.to_string()));
		Self { id, nonce, status: "rejected", obligation: None, why, detail }
	}

	/// The bytes the gateway signs for it, to `device` on the chain with `genesis`.
	pub fn payload(&self, genesis: &H256, device: &DeviceId) -> Vec<u8> {
		let id = self.id.to_string();
		let obligation = self.obligation;
		obligation_reply_payload(
			genesis,
			device,
			&id,
			self.nonce,
			self.status,
			obligation,
			&self.why,
		)
	}

	/// The reply as published: its fields and the signature of `signer` over
	/// [`Reply::payload`].
	pub fn signed(&self, genesis: &H256, device: &DeviceId, signer: &Keypair) -> Value {
		let signature = signer.sign(&self.payload(genesis, device)).0;
		let mut json = json!({ "id": self.id, "nonce": self.nonce, "status": self.status });
		match self.status {
			"created" => json["obligation"] = json!(self.obligation),
			"rejected" => {
				json["reason"] = json!(self.why);
				json["detail"] = json!(self.detail);
			},
			_ => json["error"] = json!(self.why),
		}
		json["signature"] = json!(hex0x(&signature));
		json
	}

	/// Read a published reply and check that `gateway` signed it for `device`: the reply, or
	/// why it is not to be believed.
	pub fn verify(
		json: &Value,
		genesis: &H256,
		device: &DeviceId,
		gateway: &[u8; 32],
	) -> Result<Self, &'static str> {
		let status = match json["status"].as_str() {
			Some("created") => "created",
			Some("rejected") => "rejected",
			Some("failed") => "failed",
			Some("notSubmitted") => "notSubmitted",
			_ => return Err("no known status"),
		};
		let text = |field: &str| json[field].as_str().map(str::to_string);
		let why = match status {
			"created" => Some(String::new()),
			"rejected" => text("reason"),
			_ => text("error"),
		}
		.ok_or("no reason or error")?;
		let reply = Self {
			id: json["id"].clone(),
			nonce: json["nonce"].as_u64().and_then(|n| u32::try_from(n).ok()),
			status,
			obligation: json["obligation"].as_u64(),
			why,
			detail: text("detail"),
		};
		let signature = json["signature"]
			.as_str()
			.and_then(|s| parse_hex(s).ok())
			.and_then(|b| <[u8; 64]>::try_from(b).ok())
			.ok_or("no signature")?;
		let ok = <sp_core::sr25519::Pair as sp_core::Pair>::verify(
			&sp_core::sr25519::Signature::from_raw(signature),
			reply.payload(genesis, device),
			&sp_core::sr25519::Public::from_raw(*gateway),
		);
		if ok {
			Ok(reply)
		} else {
			Err("not signed by the device's gateway")
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn requests_are_read_strictly() {
		let sig = format!("0x{}", "ab".repeat(64));
		let ok = format!(
			r#"{{"id":"r1","offer":3,"amount":"5000000000000","note":"0x6869","nonce":2,"validUntil":40,"signature":{{"Ed25519":"{sig}"}}}}"#
		);
		let r = parse_request(ok.as_bytes()).unwrap();
		assert_eq!(
			r.terms,
			ObligationRequest { offer: 3, amount: 5_000_000_000_000, note: b"hi".to_vec() }
		);
		assert_eq!((r.nonce, r.valid_until, r.id.as_str()), (2, 40, Some("r1")));
		let number = ok.replace(r#""5000000000000""#, "7");
		assert_eq!(parse_request(number.as_bytes()).unwrap().terms.amount, 7);
		for (bad, why) in [
			(ok.replace(r#""nonce":2"#, r#""nonce":-1"#), "nonce"),
			(ok.replace(r#","validUntil":40"#, ""), "validUntil"),
			(ok.replace(r#""amount":"5000000000000""#, r#""amount":"lots""#), "amount"),
			(ok.replace(r#""id""#, r#""extra""#), "unknown field"),
			(ok.replace("Ed25519", "Rsa"), "signature"),
			("[]".into(), "JSON object"),
		] {
			let e = parse_request(bad.as_bytes()).unwrap_err().to_string();
			assert!(e.contains(why), "{bad}: {e}");
		}
	}

	#[test]
	fn a_reply_is_believed_only_with_the_devices_gateways_signature() {
		use sp_core::Pair as _;
		let gateway = subxt_signer::sr25519::dev::dave();
		let genesis = H256::repeat_byte(1);
		let device = DeviceId::repeat_byte(2);
		let public = gateway.public_key().0;
		let created = Reply {
			id: json!("r1"),
			nonce: Some(3),
			status: "created",
			obligation: Some(42),
			why: String::new(),
			detail: None,
		};
		let json = created.signed(&genesis, &device, &gateway);
		assert_eq!(Reply::verify(&json, &genesis, &device, &public), Ok(created.clone()));
		// The cheats a broker client can play: another outcome or obligation, a reply to another
		// device, another gateway's (or no) signature.
		let mut altered = json.clone();
		altered["obligation"] = json!(43);
		assert!(Reply::verify(&altered, &genesis, &device, &public).is_err());
		let mut refused = json.clone();
		refused["status"] = json!("rejected");
		refused["reason"] = json!("busy");
		assert!(Reply::verify(&refused, &genesis, &device, &public).is_err());
		let other = DeviceId::repeat_byte(3);
		assert!(Reply::verify(&json, &genesis, &other, &public).is_err());
		let stranger = sp_core::sr25519::Pair::from_seed(&[9; 32]);
		assert!(Reply::verify(&json, &genesis, &device, &stranger.public().0).is_err());
		let mut unsigned = json.clone();
		unsigned.as_object_mut().unwrap().remove("signature");
		assert!(Reply::verify(&unsigned, &genesis, &device, &public).is_err());
		// A rejection keeps its reason signed and its detail for people.
		let r = Reply::rejected(json!(7), None, "replayed", "sign it again");
		let json = r.signed(&genesis, &device, &gateway);
		assert_eq!(json["reason"], "replayed");
		assert_eq!(Reply::verify(&json, &genesis, &device, &public), Ok(r));
	}
}
