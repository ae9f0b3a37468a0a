//! The telemetry wire format: one JSON object per MQTT message on `iotrust/<device-id>/telemetry`,
//! carrying one reading and the device's signature over its canonical payload
//! ([`SignedReading::payload`]):
//!
//! ```json
//! { "device": "0x<32-byte device id>", "seq": 7, "timestampMs": 1790000000000,
//!   "metrics": [{ "id": 1, "value": -18250 }],
//!   "signature": { "Ed25519": "0x<64 bytes>" } }
//! ```
//!
//! The same shape serves proofs over HTTP and the `verify` command.

use codec::{Decode, Encode};
use iotrust_primitives::{
	channels::{ChannelEpoch, ChannelId, PayloadKind},
	device::{DeviceId, DeviceSignature},
	merkle::{MerkleProof, Metric, SignedReading},
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sp_core::H256;
use std::str::FromStr;

/// The MQTT topic a device publishes on.
pub fn topic(device: &DeviceId) -> String {
	format!("iotrust/{}/telemetry", hex0x(device.as_bytes()))
}

/// The topic filter a gateway subscribes to.
pub const TOPIC_FILTER: &str = "iotrust/+/telemetry";

/// The device id a telemetry topic names, if it is one.
pub fn device_of_topic(topic: &str) -> Option<DeviceId> {
	let mut parts = topic.split('/');
	match (parts.next(), parts.next(), parts.next(), parts.next()) {
		(Some("iotrust"), Some(id), Some("telemetry"), None) => parse_h256(id).ok(),
		_ => None,
	}
}

/// The topic a device publishes its obligation requests on (the relay's).
pub fn request_topic(device: &DeviceId) -> String {
	format!("iotrust/{}/obligation", hex0x(device.as_bytes()))
}

/// The topic filter for devices' obligation requests.
pub const REQUEST_FILTER: &str = "iotrust/+/obligation";

/// The device a request topic names, if it is one.
pub fn device_of_request_topic(topic: &str) -> Option<DeviceId> {
	let mut parts = topic.split('/');
	match (parts.next(), parts.next(), parts.next(), parts.next()) {
		(Some("iotrust"), Some(id), Some("obligation"), None) => parse_h256(id).ok(),
		_ => None,
	}
}

/// Where the gateway replies to `device`.
pub fn reply_topic(device: &DeviceId) -> String {
	format!("iotrust/{}/obligation/reply", hex0x(device.as_bytes()))
}

/// `0x`-prefixed lower-case hex.
pub fn hex0x(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

/// Why a message or a value is not in its documented JSON form.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
	/// A sealed reading whose fields are not in their form.
	#[error("{0}")]
	Sealed(String),
	/// Not JSON, or not the fields a reading has.
	#[error("bad JSON: {0}")]
	Json(#[from] serde_json::Error),
	/// Not hex.
	#[error("{text:?} is not hex: {source}")]
	Hex {
		/// What was given.
		text: String,
		/// Why.
		source: hex::FromHexError,
	},
	/// Not 32 bytes of hex.
	#[error("{0:?} is not a 32-byte hex value")]
	H256(String),
	/// A signature not written `{ "<Scheme>": "0x…" }`.
	#[error("signature must be {{ \"<Scheme>\": \"0x…\" }}")]
	SignatureForm,
	/// A scheme and a length no device signs with.
	#[error("{scheme} signature of {len} bytes is not a known scheme and length")]
	SignatureScheme {
		/// The scheme named.
		scheme: String,
		/// The bytes given.
		len: usize,
	},
	/// A field missing or of the wrong kind: `field` must be `expected`.
	#[error("{field}: {expected}")]
	Field {
		/// The field.
		field: &'static str,
		/// What it must be.
		expected: &'static str,
	},
	/// A field no such message has.
	#[error("unknown field {0:?}")]
	UnknownField(String),
}

impl FormatError {
	/// `field` is missing or not `expected`.
	pub fn field(field: &'static str, expected: &'static str) -> Self {
		Self::Field { field, expected }
	}
}

/// Bytes from `0x`-prefixed (or bare) hex.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, FormatError> {
	hex::decode(s.trim_start_matches("0x"))
		.map_err(|source| FormatError::Hex { text: s.into(), source })
}

/// A 32-byte hash from hex.
pub fn parse_h256(s: &str) -> Result<H256, FormatError> {
	H256::from_str(s.trim_start_matches("0x")).map_err(|_| FormatError::H256(s.into()))
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MetricJson {
	id: u16,
	value: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReadingJson {
	device: String,
	seq: u64,
	timestamp_ms: u64,
	metrics: Vec<MetricJson>,
	signature: Value,
}

/// A signature from its JSON form `{ "<Variant>": "0x…" }`.
pub fn signature_from_json(v: &Value) -> Result<DeviceSignature, FormatError> {
	let obj = v.as_object().filter(|o| o.len() == 1).ok_or(FormatError::SignatureForm)?;
	let (variant, bytes) = obj.iter().next().ok_or(FormatError::SignatureForm)?;
	let bytes = parse_hex(bytes.as_str().ok_or(FormatError::SignatureForm)?)?;
	DeviceSignature::from_tagged(variant, &bytes)
		.ok_or_else(|| FormatError::SignatureScheme { scheme: variant.clone(), len: bytes.len() })
}

/// A signature's JSON form.
pub fn signature_to_json(sig: &DeviceSignature) -> Value {
	let (variant, bytes) = sig.tagged();
	json!({ variant: hex0x(bytes) })
}

/// A reading from its JSON value.
pub fn reading_from_value(v: Value) -> Result<SignedReading, FormatError> {
	reading_from(serde_json::from_value(v)?)
}

fn reading_from(r: ReadingJson) -> Result<SignedReading, FormatError> {
	Ok(SignedReading {
		device: parse_h256(&r.device)?,
		seq: r.seq,
		timestamp_ms: r.timestamp_ms,
		metrics: r.metrics.into_iter().map(|m| Metric { id: m.id, value: m.value }).collect(),
		signature: signature_from_json(&r.signature)?,
	})
}

/// A reading's JSON value (the telemetry message body).
pub fn reading_to_value(r: &SignedReading) -> Value {
	json!({
		"device": hex0x(r.device.as_bytes()),
		"seq": r.seq,
		"timestampMs": r.timestamp_ms,
		"metrics": r.metrics.iter().map(|m| json!({ "id": m.id, "value": m.value })).collect::<Vec<_>>(),
		"signature": signature_to_json(&r.signature),
	})
}

/// Why a sealed reading does not open, or is not what it says it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealedError {
	/// A field is missing or malformed.
	#[error("sealed.{0} is missing or malformed")]
	Field(&'static str),
	/// The ciphertext does not open with the epoch's key for this device and sequence number.
	#[error("the sealed reading does not open with channel {channel}'s epoch {epoch} key")]
	Open {
		/// The channel.
		channel: ChannelId,
		/// The epoch.
		epoch: ChannelEpoch,
	},
	/// What it opened to is not a reading, or not the one its label names.
	#[error("the sealed payload is not reading {seq} of the device it names")]
	NotTheReading {
		/// The sequence number named.
		seq: u64,
	},
	/// Its leaf is not the reading's.
	#[error("the leaf given is not the reading's")]
	Leaf,
}

/// A reading sealed under a private channel's epoch key (`iotrust_crypto::seal_payload`; the
/// plaintext is the reading's SCALE encoding, the associated data binds channel, epoch, device
/// and sequence number). Its JSON form is the object under `"sealed"`: in a telemetry message a
/// device that holds the key publishes (`{"sealed": {channel, epoch, device, seq, data}}`), and
/// in the gateway's answers for a private device, with the reading's Merkle `leaf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedReading {
	pub channel: ChannelId,
	pub epoch: ChannelEpoch,
	pub device: DeviceId,
	pub seq: u64,
	/// The reading's Merkle leaf (the gateway's answers carry it; a device's message need not).
	pub leaf: Option<H256>,
	/// nonce ‖ ciphertext ‖ tag.
	pub data: Vec<u8>,
}

impl SealedReading {
	/// `reading` sealed under `key`, the key of `channel`'s `epoch`; with its leaf if `leaf`.
	pub fn seal(
		key: &iotrust_crypto::EpochKey,
		channel: ChannelId,
		epoch: ChannelEpoch,
		reading: &SignedReading,
		leaf: bool,
	) -> Self {
		let kind = PayloadKind::Reading { device: reading.device.0, seq: reading.seq };
		let data = iotrust_crypto::seal_payload(key, channel, epoch, &kind, &reading.encode());
		Self {
			channel,
			epoch,
			device: reading.device,
			seq: reading.seq,
			leaf: leaf.then(|| reading.leaf_hash()),
			data,
		}
	}

	/// The reading inside, opened with `key` (its epoch's) and checked against its label (and
	/// its leaf, if it has one).
	pub fn open(&self, key: &iotrust_crypto::EpochKey) -> Result<SignedReading, SealedError> {
		let kind = PayloadKind::Reading { device: self.device.0, seq: self.seq };
		let plain = iotrust_crypto::open_payload(key, self.channel, self.epoch, &kind, &self.data)
			.map_err(|_| SealedError::Open { channel: self.channel, epoch: self.epoch })?;
		let reading = SignedReading::decode(&mut &plain[..])
			.map_err(|_| SealedError::NotTheReading { seq: self.seq })?;
		if reading.device != self.device || reading.seq != self.seq {
			return Err(SealedError::NotTheReading { seq: self.seq });
		}
		if self.leaf.is_some_and(|leaf| leaf != reading.leaf_hash()) {
			return Err(SealedError::Leaf);
		}
		Ok(reading)
	}

	/// Its JSON form.
	pub fn to_value(&self) -> Value {
		let mut v = json!({
			"channel": self.channel,
			"epoch": self.epoch,
			"device": hex0x(self.device.as_bytes()),
			"seq": self.seq,
			"data": hex0x(&self.data),
		});
		if let Some(leaf) = self.leaf {
			v["leaf"] = json!(hex0x(leaf.as_bytes()));
		}
		v
	}

	/// From its JSON form.
	pub fn from_value(v: &Value) -> Result<Self, SealedError> {
		let number = |field: &'static str| v[field].as_u64().ok_or(SealedError::Field(field));
		let small = |field: &'static str| {
			number(field).and_then(|n| u32::try_from(n).map_err(|_| SealedError::Field(field)))
		};
		let hash = |field: &'static str| {
			parse_h256(v[field].as_str().unwrap_or_default()).map_err(|_| SealedError::Field(field))
		};
		Ok(Self {
			channel: small("channel")?,
			epoch: small("epoch")?,
			device: hash("device")?,
			seq: number("seq")?,
			leaf: match v.get("leaf") {
				None | Some(Value::Null) => None,
				Some(_) => Some(hash("leaf")?),
			},
			data: parse_hex(v["data"].as_str().unwrap_or_default())
				.map_err(|_| SealedError::Field("data"))?,
		})
	}
}

/// A telemetry message: a reading in the clear, or sealed by a device that holds its channel's
/// key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
	Plain(SignedReading),
	Sealed(SealedReading),
}

/// Parse one telemetry message, in the clear or sealed.
pub fn parse_message(payload: &[u8]) -> Result<Message, FormatError> {
	let v: Value = serde_json::from_slice(payload)?;
	match v.get("sealed") {
		Some(sealed) if v.as_object().is_some_and(|o| o.len() == 1) => {
			SealedReading::from_value(sealed)
				.map(Message::Sealed)
				.map_err(|e| FormatError::Sealed(e.to_string()))
		},
		_ => reading_from_value(v).map(Message::Plain),
	}
}

/// A proof's JSON value, as `anchoringApi.checkReading` takes it in polkadot.js.
pub fn proof_to_value(p: &MerkleProof) -> Value {
	json!({
		"index": p.index,
		"leafCount": p.leaf_count,
		"siblings": p.siblings.iter().map(|s| hex0x(s.as_bytes())).collect::<Vec<_>>(),
	})
}

/// A proof from its JSON value.
pub fn proof_from_value(v: &Value) -> Result<MerkleProof, FormatError> {
	let number = |field: &'static str, key: &str| {
		v[key]
			.as_u64()
			.and_then(|n| u32::try_from(n).ok())
			.ok_or(FormatError::field(field, "a number below 2^32"))
	};
	let siblings = v["siblings"]
		.as_array()
		.ok_or(FormatError::field("proof.siblings", "a list of 32-byte hex values"))?
		.iter()
		.map(|s| parse_h256(s.as_str().unwrap_or_default()))
		.collect::<Result<Vec<_>, _>>()?;
	Ok(MerkleProof {
		index: number("proof.index", "index")?,
		leaf_count: number("proof.leafCount", "leafCount")?,
		siblings,
	})
}

#[cfg(test)]
mod tests {
	use super::*;
	use iotrust_primitives::{device::KeyScheme, keypair::DeviceKeypair};

	#[test]
	fn a_reading_round_trips_through_json_and_its_topic() {
		let pair = DeviceKeypair::from_seed(KeyScheme::P256, [3; 32]).unwrap();
		let device = pair.key.device_id();
		let mut r = SignedReading {
			device,
			seq: 9,
			timestamp_ms: 1_790_000_000_000,
			metrics: vec![Metric { id: 1, value: -18_250 }],
			signature: DeviceSignature::Ed25519([0; 64]),
		};
		r.signature = pair.sign(&r.payload(&H256::zero()));
		let json = serde_json::to_vec(&reading_to_value(&r)).unwrap();
		assert_eq!(parse_message(&json).unwrap(), Message::Plain(r.clone()));
		// The same reading sealed by its device: only its label is in the clear.
		let key = iotrust_crypto::EpochKey::from_bytes([2; 32]);
		let sealed = SealedReading::seal(&key, 1, 4, &r, false);
		let message = serde_json::to_vec(&json!({ "sealed": sealed.to_value() })).unwrap();
		assert!(!String::from_utf8_lossy(&message).contains("metrics"));
		assert_eq!(parse_message(&message).unwrap(), Message::Sealed(sealed.clone()));
		assert_eq!(sealed.open(&key).unwrap(), r);
		let extra = serde_json::to_vec(&json!({ "sealed": sealed.to_value(), "seq": 1 })).unwrap();
		assert!(parse_message(&extra).is_err(), "a sealed message has nothing beside it");
		assert_eq!(device_of_topic(&topic(&device)), Some(device));
		assert_eq!(device_of_topic("iotrust/0x12/telemetry"), None);
		assert_eq!(device_of_topic("other/topic"), None);
	}

	#[test]
	fn malformed_messages_say_why() {
		assert!(matches!(parse_message(b"{not json"), Err(FormatError::Json(_))));
		let missing = br#"{"device":"0x00","seq":1}"#;
		assert!(parse_message(missing).is_err());
		let bad_sig = serde_json::json!({
			"device": hex0x(&[1; 32]), "seq": 1, "timestampMs": 1, "metrics": [],
			"signature": { "Ed25519": "0x1234" },
		});
		let err = parse_message(bad_sig.to_string().as_bytes()).unwrap_err();
		assert!(matches!(&err, FormatError::SignatureScheme { scheme, .. } if scheme == "Ed25519"));
		let unknown = serde_json::json!({
			"device": hex0x(&[1; 32]), "seq": 1, "timestampMs": 1, "metrics": [],
			"signature": { "Rsa": "0x1234" },
		});
		assert!(parse_message(unknown.to_string().as_bytes()).is_err());
	}

	#[test]
	fn request_topics() {
		let d = H256([7; 32]);
		let topic = request_topic(&d);
		assert_eq!(topic, format!("iotrust/{}/obligation", hex0x(d.as_bytes())));
		assert_eq!(device_of_request_topic(&topic), Some(d));
		assert_eq!(device_of_request_topic(&format!("{topic}/reply")), None);
		assert_eq!(device_of_request_topic(&topic.replace("obligation", "telemetry")), None);
		assert_eq!(reply_topic(&d), format!("{topic}/reply"));
	}
}
