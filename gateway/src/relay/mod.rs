//! Devices' obligation requests, relayed to the chain (device → gateway → chain).
//!
//! A consumer's device publishes on `iotrust/<device-id>/obligation` (QoS 1) what it asks for
//! under a provider's offer, signed with its current key:
//!
//! ```json
//! { "id": "any text the device uses to match the reply",
//!   "offer": 0, "amount": "5000000000000", "note": "0x6b2d3132",
//!   "nonce": 0, "signature": { "Ed25519": "0x<64 bytes>" } }
//! ```
//!
//! `nonce` is the device's count of requests so far (`obligationsApi.deviceNonce`), the
//! signature is over `obligation_payload(genesis, device, nonce, (offer, amount, note))`, and
//! `amount` (plancks) may be a string or a number. The gateway checks the device is active and
//! bound to it, the nonce is the chain's, the note fits `Obligations.MaxNoteLen`, and the
//! signature; then asks the chain what the call would do (`obligationsApi.checkDeviceRequest`:
//! the offer, the amount, the consumer's credit); then submits `obligations.createForDevice`
//! (paying its fee; the consumer's deposit is held) and publishes the outcome on
//! `iotrust/<device-id>/obligation/reply` (QoS 1):
//!
//! - `{ "id", "nonce", "status": "created", "obligation": <id>, "block": "0x…" }`
//! - `{ "id", "nonce", "status": "rejected", "reason": "<why>", "detail": "…" }`: the gateway did
//!   not submit it (`bad_request`, `unknown_device`, `device_not_active`, `not_device_gateway`,
//!   `stale_nonce`, `note_too_long`, `bad_signature`, `chain_refused` with the chain's error
//!   as the detail, e.g. `Obligations.CreditLimitExceeded`, `unchecked` when the chain did not
//!   answer, `busy` while the device's previous request is under way);
//! - `{ "id", "nonce", "status": "failed", "error": "Obligations.CreditLimitExceeded" }`: the
//!   chain refused it in a finalized block (its state changed since the check); the nonce is not
//!   used up;
//! - `{ "id", "nonce", "status": "notSubmitted", "error": "…" }`: it could not be submitted (node
//!   unreachable, pool refusal); the device may ask again with the same nonce.
//!
//! One request per device is under way at a time. A request is relayed at most once: should
//! the gateway stop before it replies, the device asks again (with the chain's nonce, it cannot
//! be created twice).

use crate::{
	chain::port::{CallFailure, ChainError, PalletError, Relayed},
	chain::{interface, AccountId, Call, Chain},
	ingest::telemetry::{hex0x, parse_hex, reply_topic, signature_from_json, FormatError},
	ingest::validate::{DeviceLookup, Validator},
	ingest::RequestSink,
	stats::Stats,
};
use iotrust_primitives::{
	device::{obligation_payload, DeviceId, DeviceRefusal, DeviceSignature},
	obligations::ObligationRequest,
	Balance,
};
use rumqttc::{AsyncClient, QoS};
use serde_json::{json, Value};
use sp_core::H256;
use std::{
	collections::HashSet,
	sync::{Arc, Mutex},
};
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
	/// Its signature over the obligation payload.
	pub signature: DeviceSignature,
}

/// Read a request message.
pub fn parse_request(payload: &[u8]) -> Result<Request, FormatError> {
	let v: Value = serde_json::from_slice(payload)?;
	let obj = v.as_object().ok_or(FormatError::field("request", "a JSON object"))?;
	for key in obj.keys() {
		if !["id", "offer", "amount", "note", "nonce", "signature"].contains(&key.as_str()) {
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
	let signature = signature_from_json(&v["signature"])?;
	Ok(Request {
		id: v["id"].clone(),
		terms: ObligationRequest { offer, amount, note },
		nonce,
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
		signature: &DeviceSignature,
	) -> Result<Result<(), PalletError>, ChainError> {
		Chain::check_device_request(self, device, request, signature).await
	}
}

/// Checks and relays requests for gateway `me`.
pub struct Relay<C: RequestChain> {
	chain: Arc<C>,
	validator: Arc<Validator<C>>,
	genesis: H256,
	max_note: usize,
	calls: mpsc::Sender<Relayed>,
	busy: Mutex<HashSet<DeviceId>>,
	stats: Arc<Stats>,
	me: AccountId,
}

/// The relay takes the requests ingest hands on, each handled on a task of its own.
impl<C: RequestChain> RequestSink for Arc<Relay<C>> {
	fn take(&self, device: DeviceId, payload: Vec<u8>, client: AsyncClient) {
		tokio::spawn(self.clone().handle(device, payload, client));
	}
}

impl<C: RequestChain> Relay<C> {
	/// A relay handing its calls to the anchorer through `calls`.
	pub fn new(
		chain: Arc<C>,
		validator: Arc<Validator<C>>,
		me: AccountId,
		genesis: H256,
		max_note: usize,
		calls: mpsc::Sender<Relayed>,
		stats: Arc<Stats>,
	) -> Self {
		Self { chain, validator, genesis, max_note, calls, busy: Mutex::default(), stats, me }
	}

	/// Check the request `payload` that `device` published; the request and the call to make,
	/// or why not.
	pub async fn check(
		&self,
		device: DeviceId,
		payload: &[u8],
	) -> Result<(Request, Call), (Value, Rejected)> {
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
			.ok_or_else(|| fail(rejected("unknown_device", hex0x(device.as_bytes()))))?;
		if let Err(r) = DeviceRefusal::judge(Some(info.status), info.gateway.as_ref(), &self.me) {
			return Err(fail(rejected(r.label(), crate::ingest::validate::refusal_detail(r))));
		}
		let payload = obligation_payload(&self.genesis, &device, request.nonce, &request.terms);
		if !info.key.verify(&payload, &request.signature) {
			return Err(fail(rejected(
				"bad_signature",
				"not the device's current key over (genesis, device, nonce, offer, amount, note)",
			)));
		}
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
		match self.chain.check_device_request(&device, &request.terms, &request.signature).await {
			Ok(Ok(())) => {},
			Ok(Err(refusal)) => return Err(fail(rejected("chain_refused", refusal.to_string()))),
			Err(e) => {
				return Err(fail(rejected("unchecked", format!("the chain did not say: {e}"))))
			},
		}
		let call = Call::new(
			&crate::chain::interface::CREATE_FOR_DEVICE,
			&(device, &request.terms, &request.signature),
		);
		Ok((request, call))
	}

	/// Handle one request from `device`: check it, have it submitted, and publish the reply.
	pub async fn handle(self: Arc<Self>, device: DeviceId, payload: Vec<u8>, client: AsyncClient) {
		if !self.busy.lock().unwrap_or_else(|p| p.into_inner()).insert(device) {
			let sent = serde_json::from_slice::<Value>(&payload).unwrap_or(Value::Null);
			let reply = json!({
				"id": sent["id"], "nonce": sent["nonce"],
				"status": "rejected", "reason": "busy",
				"detail": "the device's previous request is under way; wait for its reply",
			});
			self.reply(&client, &device, "rejected", reply).await;
			return;
		}
		let (outcome, reply) = match self.check(device, &payload).await {
			Err((id, r)) => (
				"rejected",
				json!({ "id": id, "status": "rejected", "reason": r.reason, "detail": r.detail }),
			),
			Ok((request, call)) => {
				let (done, outcome) = tokio::sync::oneshot::channel();
				let outcome = match self.calls.send(Relayed { call, done }).await {
					Ok(()) => outcome.await.unwrap_or_else(|_| {
						Err(CallFailure::NotSubmitted("the gateway is stopping".into()))
					}),
					Err(_) => Err(CallFailure::NotSubmitted("the gateway is stopping".into())),
				};
				let (id, nonce) = (request.id, request.nonce);
				match outcome {
					Ok(events) => {
						let obligation = interface::OBLIGATION_CREATED.find(&events);
						info!("device {device:?}: obligation {obligation:?} created");
						(
							"created",
							json!({ "id": id, "nonce": nonce, "status": "created", "obligation": obligation }),
						)
					},
					Err(CallFailure::Failed(e)) => (
						"failed",
						json!({ "id": id, "nonce": nonce, "status": "failed", "error": e.to_string() }),
					),
					Err(CallFailure::NotSubmitted(e)) => (
						"notSubmitted",
						json!({ "id": id, "nonce": nonce, "status": "notSubmitted", "error": e }),
					),
				}
			},
		};
		self.busy.lock().unwrap_or_else(|p| p.into_inner()).remove(&device);
		self.reply(&client, &device, outcome, reply).await;
	}

	async fn reply(
		&self,
		client: &AsyncClient,
		device: &DeviceId,
		outcome: &'static str,
		reply: Value,
	) {
		self.stats.relayed(outcome);
		if outcome != "created" {
			warn!("obligation request of device {device:?}: {reply}");
		}
		let topic = reply_topic(device);
		if let Err(e) = client.publish(topic, QoS::AtLeastOnce, false, reply.to_string()).await {
			warn!("replying to device {device:?}: {e}");
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
			r#"{{"id":"r1","offer":3,"amount":"5000000000000","note":"0x6869","nonce":2,"signature":{{"Ed25519":"{sig}"}}}}"#
		);
		let r = parse_request(ok.as_bytes()).unwrap();
		assert_eq!(
			r.terms,
			ObligationRequest { offer: 3, amount: 5_000_000_000_000, note: b"hi".to_vec() }
		);
		assert_eq!((r.nonce, r.id.as_str()), (2, Some("r1")));
		let number = ok.replace(r#""5000000000000""#, "7");
		assert_eq!(parse_request(number.as_bytes()).unwrap().terms.amount, 7);
		for (bad, why) in [
			(ok.replace(r#""nonce":2"#, r#""nonce":-1"#), "nonce"),
			(ok.replace(r#""amount":"5000000000000""#, r#""amount":"lots""#), "amount"),
			(ok.replace(r#""id""#, r#""extra""#), "unknown field"),
			(ok.replace("Ed25519", "Rsa"), "signature"),
			("[]".into(), "JSON object"),
		] {
			let e = parse_request(bad.as_bytes()).unwrap_err().to_string();
			assert!(e.contains(why), "{bad}: {e}");
		}
	}
}
