//! `channel export` and `channel verify`: an auditor's (or member's) bundle of a channel
//! device's readings for a period, decrypted, each with the evidence that it is the device's and
//! anchored; and the standalone check of such a bundle against the chain, trusting no member and
//! no gateway.
//!
//! A bundle is NDJSON. Its first line is a header (`format`: [`FORMAT`], the chain's `genesis`,
//! who exported it, from which gateway, which devices and period). Every other line is one
//! reading as `GET /proof` shows a public one — `reading`, `anchor`, `block`, `batch`, `root`,
//! `proof` — with `channel`, `epoch` and `keyId` for a reading that was sealed (so each line is
//! also what `iotrust-gateway verify` takes). CSV, for spreadsheets, has one row per metric and
//! is not checked.
//!
//! [`verify`] asks the chain, at its finalized head, for each line: `anchoringApi.checkReading`
//! (the anchor exists — so its block is final —, the reading is in the device's anchored range,
//! the proof leads to the anchor's root, and the device's key at the anchor's block signed it);
//! and for a sealed one that its channel's epoch exists, with that key identifier, and had
//! started by the anchor's block. The parsing and the per-line decisions are here; the `channel`
//! command does the I/O.

use crate::ingest::telemetry::{self, hex0x, parse_h256, proof_to_value, reading_to_value};
use codec::Decode;
use iotrust_crypto::EpochKey;
use iotrust_primitives::{
	channels::{ChannelEpoch, ChannelId, KeyId, PayloadKind},
	merkle::{verify_proof, MerkleProof, SignedReading},
};
use serde_json::{json, Value};

/// The header's `format`.
pub const FORMAT: &str = "iotrust-audit/v1";

/// Why a served or bundled reading does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
	/// A field is missing or malformed.
	#[error("`{0}` is missing or malformed")]
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
	#[error("the leaf the gateway gave is not the reading's")]
	Leaf,
	/// The proof does not lead from the reading to the root.
	#[error("the proof does not lead from the reading to the batch's root")]
	Proof,
}

/// A sealed reading as the gateway serves it (`sealed` in `/readings` and `/proof`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
	pub channel: ChannelId,
	pub epoch: ChannelEpoch,
	pub device: sp_core::H256,
	pub seq: u64,
	pub leaf: sp_core::H256,
	pub data: Vec<u8>,
}

impl Sealed {
	/// From its JSON form.
	pub fn from_value(v: &Value) -> Result<Self, AuditError> {
		let number = |field: &'static str| v[field].as_u64().ok_or(AuditError::Field(field));
		let small = |field: &'static str| {
			number(field).and_then(|n| u32::try_from(n).map_err(|_| AuditError::Field(field)))
		};
		let hash = |field: &'static str| {
			parse_h256(v[field].as_str().unwrap_or_default()).map_err(|_| AuditError::Field(field))
		};
		Ok(Self {
			channel: small("channel")?,
			epoch: small("epoch")?,
			device: hash("device")?,
			seq: number("seq")?,
			leaf: hash("leaf")?,
			data: telemetry::parse_hex(v["data"].as_str().unwrap_or_default())
				.map_err(|_| AuditError::Field("data"))?,
		})
	}

	/// The reading inside, opened with `key` (its epoch's) and checked against its label.
	pub fn open(&self, key: &EpochKey) -> Result<SignedReading, AuditError> {
		let kind = PayloadKind::Reading { device: self.device.0, seq: self.seq };
		let plain = iotrust_crypto::open_payload(key, self.channel, self.epoch, &kind, &self.data)
			.map_err(|_| AuditError::Open { channel: self.channel, epoch: self.epoch })?;
		let reading = SignedReading::decode(&mut &plain[..])
			.map_err(|_| AuditError::NotTheReading { seq: self.seq })?;
		if reading.device != self.device || reading.seq != self.seq {
			return Err(AuditError::NotTheReading { seq: self.seq });
		}
		if reading.leaf_hash() != self.leaf {
			return Err(AuditError::Leaf);
		}
		Ok(reading)
	}
}

/// What a gateway's listing says of one reading, as the export needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
	/// In the clear (the device was public when it was anchored).
	Plain(SignedReading),
	/// Sealed.
	Sealed(Sealed),
}

impl Served {
	/// The reading of one entry of `/readings` (`reading` or `sealed`).
	pub fn of(entry: &Value) -> Result<Self, AuditError> {
		if entry["sealed"].is_object() {
			return Ok(Self::Sealed(Sealed::from_value(&entry["sealed"])?));
		}
		telemetry::reading_from_value(entry["reading"].clone())
			.map(Self::Plain)
			.map_err(|_| AuditError::Field("reading"))
	}
}

/// The bundle line of an anchored `entry` of `/readings` whose reading is `reading` (opened, if
/// it was sealed, with the key of `sealed_under` whose identifier is `key_id`), after checking
/// its proof against its root. `None` if the entry is not anchored yet.
pub fn line(
	entry: &Value,
	reading: &SignedReading,
	sealed_under: Option<(ChannelId, ChannelEpoch, KeyId)>,
) -> Result<Option<Value>, AuditError> {
	if entry["status"] != "anchored" {
		return Ok(None);
	}
	let root = parse_h256(entry["root"].as_str().unwrap_or_default())
		.map_err(|_| AuditError::Field("root"))?;
	let proof =
		telemetry::proof_from_value(&entry["proof"]).map_err(|_| AuditError::Field("proof"))?;
	if !verify_proof(&root, &reading.leaf_hash(), &proof) {
		return Err(AuditError::Proof);
	}
	let mut out = json!({
		"reading": reading_to_value(reading),
		"anchor": entry["anchor"].as_u64().ok_or(AuditError::Field("anchor"))?,
		"block": entry["block"],
		"batch": entry["batch"],
		"root": hex0x(root.as_bytes()),
		"proof": proof_to_value(&proof),
	});
	if let Some((channel, epoch, key_id)) = sealed_under {
		out["channel"] = json!(channel);
		out["epoch"] = json!(epoch);
		out["keyId"] = json!(hex0x(&key_id));
	}
	Ok(Some(out))
}

/// The CSV header.
pub const CSV_HEADER: &str = "device,seq,timestamp_ms,metric,value,anchor,block,channel,epoch";

/// A bundle line's CSV rows, one per metric.
pub fn csv_rows(line: &Value) -> Vec<String> {
	let r = &line["reading"];
	let text = |v: &Value| match v {
		Value::Null => String::new(),
		Value::String(s) => s.clone(),
		other => other.to_string(),
	};
	r["metrics"]
		.as_array()
		.map(|metrics| {
			metrics
				.iter()
				.map(|m| {
					[
						text(&r["device"]),
						text(&r["seq"]),
						text(&r["timestampMs"]),
						text(&m["id"]),
						text(&m["value"]),
						text(&line["anchor"]),
						text(&line["block"]),
						text(&line["channel"]),
						text(&line["epoch"]),
					]
					.join(",")
				})
				.collect()
		})
		.unwrap_or_default()
}

/// What one bundle line claims, for the chain to confirm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
	pub anchor: u64,
	pub reading: SignedReading,
	pub proof: MerkleProof,
	/// The channel, epoch and key identifier it was sealed under, if it was.
	pub sealed_under: Option<(ChannelId, ChannelEpoch, KeyId)>,
}

impl Claim {
	/// From a bundle line.
	pub fn of(line: &Value) -> Result<Self, AuditError> {
		let anchor = line["anchor"].as_u64().ok_or(AuditError::Field("anchor"))?;
		let reading = telemetry::reading_from_value(line["reading"].clone())
			.map_err(|_| AuditError::Field("reading"))?;
		let proof =
			telemetry::proof_from_value(&line["proof"]).map_err(|_| AuditError::Field("proof"))?;
		let sealed_under = match line.get("channel") {
			None | Some(Value::Null) => None,
			Some(channel) => {
				let small = |v: &Value, field| {
					v.as_u64().and_then(|n| u32::try_from(n).ok()).ok_or(AuditError::Field(field))
				};
				let key_id = telemetry::parse_hex(line["keyId"].as_str().unwrap_or_default())
					.ok()
					.and_then(|b| b.try_into().ok())
					.ok_or(AuditError::Field("keyId"))?;
				Some((small(channel, "channel")?, small(&line["epoch"], "epoch")?, key_id))
			},
		};
		Ok(Self { anchor, reading, proof, sealed_under })
	}
}

/// Whether a sealed claim's epoch is the chain's: its key identifier is the chain's, and it had
/// started by the block its reading was anchored in (`anchored_at`).
pub fn epoch_holds(
	claimed: &KeyId,
	epoch: Option<&crate::chain::EpochInfo>,
	anchored_at: u32,
) -> Result<(), String> {
	match epoch {
		None => Err("the chain has no such channel epoch".into()),
		Some(e) if e.key_id != *claimed => {
			Err("the key identifier is not the chain's for that epoch".into())
		},
		Some(e) if e.started > anchored_at => Err(format!(
			"the epoch started at block {}, after the reading was anchored (block {anchored_at})",
			e.started
		)),
		Some(_) => Ok(()),
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use iotrust_primitives::{
		device::{DeviceSignature, KeyScheme},
		keypair::DeviceKeypair,
		merkle::{MerkleTree, Metric},
	};
	use sp_core::H256;

	fn readings() -> Vec<SignedReading> {
		let pair = DeviceKeypair::from_seed(KeyScheme::Ed25519, [5; 32]).unwrap();
		(1..=3)
			.map(|seq| {
				let mut r = SignedReading {
					device: pair.key.device_id(),
					seq,
					timestamp_ms: 1_790_000_000_000 + seq,
					metrics: vec![Metric { id: 1, value: 400 + seq as i64 }],
					signature: DeviceSignature::Ed25519([0; 64]),
				};
				r.signature = pair.sign(&r.payload(&H256::zero()));
				r
			})
			.collect()
	}

	fn sealed(key: &EpochKey, r: &SignedReading) -> Value {
		let kind = PayloadKind::Reading { device: r.device.0, seq: r.seq };
		let data = iotrust_crypto::seal_payload(key, 4, 2, &kind, &codec::Encode::encode(r));
		json!({
			"channel": 4, "epoch": 2, "device": hex0x(r.device.as_bytes()), "seq": r.seq,
			"leaf": hex0x(r.leaf_hash().as_bytes()), "data": hex0x(&data),
		})
	}

	fn anchored(tree: &MerkleTree, index: u32, field: (&str, Value)) -> Value {
		let mut v = json!({
			"status": "anchored", "anchor": 9, "block": hex0x(&[3; 32]), "batch": 0,
			"root": hex0x(tree.root().as_bytes()), "proof": proof_to_value(&tree.proof(index).unwrap()),
		});
		v[field.0] = field.1;
		v
	}

	#[test]
	fn a_sealed_reading_opens_to_a_line_that_claims_what_was_anchored() {
		let rs = readings();
		let tree = MerkleTree::new(rs.iter().map(|r| r.leaf_hash()).collect()).unwrap();
		let key = EpochKey::from_bytes([8; 32]);
		let entry = anchored(&tree, 1, ("sealed", sealed(&key, &rs[1])));
		let Served::Sealed(s) = Served::of(&entry).unwrap() else { panic!("sealed") };
		let reading = s.open(&key).unwrap();
		assert_eq!(reading, rs[1]);
		let line = line(&entry, &reading, Some((4, 2, key.id(4, 2)))).unwrap().unwrap();
		let claim = Claim::of(&line).unwrap();
		assert_eq!(claim.reading, rs[1]);
		assert_eq!((claim.anchor, claim.sealed_under), (9, Some((4, 2, key.id(4, 2)))));
		assert_eq!(csv_rows(&line).len(), 1);
		assert!(csv_rows(&line)[0].ends_with(",4,2"), "{:?}", csv_rows(&line));
		// Pending entries make no line.
		let mut pending = entry.clone();
		pending["status"] = json!("pending");
		assert_eq!(super::line(&pending, &reading, None), Ok(None));
	}

	#[test]
	fn attack_a_gateway_cannot_pass_off_another_reading_or_key() {
		let rs = readings();
		let tree = MerkleTree::new(rs.iter().map(|r| r.leaf_hash()).collect()).unwrap();
		let key = EpochKey::from_bytes([8; 32]);
		// Another epoch's key does not open it.
		let s = Sealed::from_value(&sealed(&key, &rs[0])).unwrap();
		assert_eq!(
			s.open(&EpochKey::from_bytes([9; 32])),
			Err(AuditError::Open { channel: 4, epoch: 2 })
		);
		// Reading 2's ciphertext relabelled as reading 1: the associated data refuses it.
		let mut swapped = sealed(&key, &rs[1]);
		swapped["seq"] = json!(1);
		let s = Sealed::from_value(&swapped).unwrap();
		assert!(matches!(s.open(&key), Err(AuditError::Open { .. })));
		// A leaf that is not the reading's.
		let mut leaf = sealed(&key, &rs[0]);
		leaf["leaf"] = json!(hex0x(&[0; 32]));
		assert_eq!(Sealed::from_value(&leaf).unwrap().open(&key), Err(AuditError::Leaf));
		// A proof for another leaf.
		let entry = anchored(&tree, 2, ("sealed", Value::Null));
		assert_eq!(line(&entry, &rs[0], None), Err(AuditError::Proof));
	}

	#[test]
	fn an_altered_line_is_caught_by_its_claim() {
		let rs = readings();
		let tree = MerkleTree::new(rs.iter().map(|r| r.leaf_hash()).collect()).unwrap();
		let entry = anchored(&tree, 0, ("reading", reading_to_value(&rs[0])));
		let Served::Plain(reading) = Served::of(&entry).unwrap() else { panic!("plain") };
		let mut bundled = line(&entry, &reading, None).unwrap().unwrap();
		bundled["reading"]["metrics"][0]["value"] = json!(999);
		let claim = Claim::of(&bundled).unwrap();
		assert!(!verify_proof(&tree.root(), &claim.reading.leaf_hash(), &claim.proof));
		assert_eq!(Claim::of(&json!({ "anchor": 1 })), Err(AuditError::Field("reading")));
	}

	#[test]
	fn an_epoch_holds_only_as_the_chain_has_it() {
		let key_id = [1; 32];
		let epoch = crate::chain::EpochInfo { started: 10, ended: None, key_id, by: [0; 32] };
		assert_eq!(epoch_holds(&key_id, Some(&epoch), 12), Ok(()));
		assert!(epoch_holds(&[2; 32], Some(&epoch), 12).is_err());
		assert!(epoch_holds(&key_id, Some(&epoch), 9).unwrap_err().contains("after"));
		assert!(epoch_holds(&key_id, None, 12).is_err());
	}
}
