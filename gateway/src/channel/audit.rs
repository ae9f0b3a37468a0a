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

use crate::ingest::telemetry::{
	self, hex0x, parse_h256, proof_to_value, reading_to_value, SealedError, SealedReading,
};
use iotrust_primitives::{
	channels::{ChannelEpoch, ChannelId, KeyId},
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
	/// A sealed reading does not open, or is not what it names.
	#[error(transparent)]
	Sealed(#[from] SealedError),
	/// The proof does not lead from the reading to the root.
	#[error("the proof does not lead from the reading to the batch's root")]
	Proof,
}

/// What a gateway's listing says of one reading, as the export needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
	/// In the clear (the device was public when it was anchored).
	Plain(SignedReading),
	/// Sealed.
	Sealed(SealedReading),
	/// Sealed under a channel's epoch whose key the gateway's member does not hold: the
	/// gateway could not seal it for this request.
	Unavailable(ChannelId, ChannelEpoch),
	/// Not served yet: a private reading not yet in a batch that recorded its epoch.
	Withheld,
	/// Purged past its channel's retention: only its leaf is left, which its proof still leads
	/// to its batch's root (checked: a gateway cannot pass off a reading it withholds as purged
	/// without a leaf of the anchored tree).
	Purged(sp_core::H256),
}

impl Served {
	/// The reading of one entry of `/readings` (`reading`, `sealed`, `unavailable`, `withheld`
	/// or `purged`).
	pub fn of(entry: &Value) -> Result<Self, AuditError> {
		if entry.get("withheld").is_some() {
			return Ok(Self::Withheld);
		}
		if let Some(purged) = entry.get("purged") {
			let leaf = parse_h256(purged["leaf"].as_str().unwrap_or_default())
				.map_err(|_| AuditError::Field("purged.leaf"))?;
			let root = parse_h256(entry["root"].as_str().unwrap_or_default())
				.map_err(|_| AuditError::Field("root"))?;
			let proof = telemetry::proof_from_value(&entry["proof"])
				.map_err(|_| AuditError::Field("proof"))?;
			if !verify_proof(&root, &leaf, &proof) {
				return Err(AuditError::Proof);
			}
			return Ok(Self::Purged(leaf));
		}
		if let Some(u) = entry.get("unavailable") {
			let small = |field: &'static str| {
				u[field]
					.as_u64()
					.and_then(|n| u32::try_from(n).ok())
					.ok_or(AuditError::Field(field))
			};
			return Ok(Self::Unavailable(small("channel")?, small("epoch")?));
		}
		if entry["sealed"].is_object() {
			let sealed = SealedReading::from_value(&entry["sealed"])?;
			if sealed.leaf.is_none() {
				return Err(AuditError::Field("sealed.leaf"));
			}
			return Ok(Self::Sealed(sealed));
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
	/// The anchor's root, and the gateway's batch number, as the line states them.
	pub root: sp_core::H256,
	pub batch: Option<u64>,
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
		let root = parse_h256(line["root"].as_str().unwrap_or_default())
			.map_err(|_| AuditError::Field("root"))?;
		let batch = match &line["batch"] {
			Value::Null => None,
			b => Some(b.as_u64().ok_or(AuditError::Field("batch"))?),
		};
		Ok(Self { anchor, reading, proof, root, batch, sealed_under })
	}
}

/// What a bundle's header says it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
	/// The devices.
	pub devices: Vec<sp_core::H256>,
	/// The period, Unix ms, both ends included.
	pub from: u64,
	pub to: u64,
}

impl Scope {
	/// From the header line.
	pub fn of(header: &Value) -> Result<Self, AuditError> {
		let devices = header["devices"]
			.as_array()
			.ok_or(AuditError::Field("devices"))?
			.iter()
			.map(|d| {
				parse_h256(d.as_str().unwrap_or_default()).map_err(|_| AuditError::Field("devices"))
			})
			.collect::<Result<Vec<_>, _>>()?;
		let bound = |field: &'static str, default| match &header[field] {
			Value::Null => Ok(default),
			v => v.as_u64().ok_or(AuditError::Field(field)),
		};
		Ok(Self { devices, from: bound("from", 0)?, to: bound("to", u64::MAX)? })
	}

	/// Whether `reading` is within it.
	pub fn holds(&self, reading: &SignedReading) -> bool {
		self.devices.contains(&reading.device)
			&& (self.from..=self.to).contains(&reading.timestamp_ms)
	}
}

/// How many blocks before its anchor a line's epoch may have ended: the gateway chose the epoch
/// when it judged the batch, at its node's finalized head, and the anchor landed some blocks
/// later (an epoch started in between is no fault of the line's).
pub const EPOCH_SLACK: u32 = 20;

/// The checks of one line beside `anchoringApi.checkReading` (which the caller asks first): the
/// line is within the header's `scope` and not a repeat (`seen`); it states its anchor's root and
/// batch as the chain has them (`anchor`); it names a channel exactly when its device's range in
/// that anchor carried no summary (a private range); and a channel's epoch (`epoch`, the chain's
/// record of the one it names) had the line's key identifier and was in force when the anchor
/// was made, within [`EPOCH_SLACK`].
pub fn check_line(
	claim: &Claim,
	scope: &Scope,
	seen: &mut std::collections::HashSet<(sp_core::H256, u64)>,
	anchor: &crate::chain::ChainAnchor,
	epoch: Option<&crate::chain::EpochInfo>,
) -> Result<(), String> {
	let r = &claim.reading;
	if !scope.holds(r) {
		return Err("the reading is outside the bundle's devices or period".into());
	}
	if !seen.insert((r.device, r.seq)) {
		return Err(format!("reading {} of its device is in the bundle twice", r.seq));
	}
	if anchor.header.root != claim.root || claim.batch.is_some_and(|b| b != anchor.header.batch) {
		return Err("the root or batch is not the anchor's".into());
	}
	let private = anchor
		.ranges
		.iter()
		.find(|range| range.device == r.device)
		.is_some_and(|range| range.summaries.is_empty());
	match (&claim.sealed_under, private) {
		(None, true) => {
			Err("the reading was anchored private, and the line names no channel".into())
		},
		(Some(_), false) => {
			Err("the reading was anchored public, and the line names a channel".into())
		},
		(None, false) => Ok(()),
		(Some((_, _, key_id)), true) => match epoch {
			None => Err("the chain has no such channel epoch".into()),
			Some(e) if e.key_id != *key_id => {
				Err("the key identifier is not the chain's for that epoch".into())
			},
			Some(e) if e.started > anchor.anchored_at => Err(format!(
				"the epoch started at block {}, after the reading was anchored (block {})",
				e.started, anchor.anchored_at
			)),
			Some(e)
				if e.ended
					.is_some_and(|end| end.saturating_add(EPOCH_SLACK) < anchor.anchored_at) =>
			{
				Err(format!(
					"the epoch ended at block {:?}, long before the reading was anchored (block {})",
					e.ended, anchor.anchored_at
				))
			},
			Some(_) => Ok(()),
		},
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use iotrust_crypto::EpochKey;
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
		SealedReading::seal(key, 4, 2, r, true).to_value()
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
		let s = SealedReading::from_value(&sealed(&key, &rs[0])).unwrap();
		assert_eq!(
			s.open(&EpochKey::from_bytes([9; 32])),
			Err(SealedError::Open { channel: 4, epoch: 2 })
		);
		// Reading 2's ciphertext relabelled as reading 1: the associated data refuses it.
		let mut swapped = sealed(&key, &rs[1]);
		swapped["seq"] = json!(1);
		let s = SealedReading::from_value(&swapped).unwrap();
		assert!(matches!(s.open(&key), Err(SealedError::Open { .. })));
		// A leaf that is not the reading's.
		let mut leaf = sealed(&key, &rs[0]);
		leaf["leaf"] = json!(hex0x(&[0; 32]));
		assert_eq!(SealedReading::from_value(&leaf).unwrap().open(&key), Err(SealedError::Leaf));
		// A reading withheld as "purged" needs a leaf of the anchored tree.
		let purged =
			|leaf: H256| anchored(&tree, 1, ("purged", json!({ "leaf": hex0x(leaf.as_bytes()) })));
		assert_eq!(Served::of(&purged(rs[1].leaf_hash())), Ok(Served::Purged(rs[1].leaf_hash())));
		assert_eq!(Served::of(&purged(H256([4; 32]))), Err(AuditError::Proof));
		// A served sealed reading without its leaf is refused.
		let mut bare = anchored(&tree, 0, ("sealed", sealed(&key, &rs[0])));
		bare["sealed"].as_object_mut().unwrap().remove("leaf");
		assert_eq!(Served::of(&bare), Err(AuditError::Field("sealed.leaf")));
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
	fn a_line_holds_only_as_the_chain_has_its_anchor_and_epoch() {
		use iotrust_primitives::anchoring::{AnchorHeader, DeviceRange, MetricSummary};
		let rs = readings();
		let tree = MerkleTree::new(rs.iter().map(|r| r.leaf_hash()).collect()).unwrap();
		let key_id = [1; 32];
		let entry = anchored(&tree, 0, ("reading", reading_to_value(&rs[0])));
		let line = line(&entry, &rs[0], Some((4, 2, key_id))).unwrap().unwrap();
		let claim = Claim::of(&line).unwrap();
		let scope = Scope::of(
			&json!({ "devices": [hex0x(rs[0].device.as_bytes())], "from": null, "to": null }),
		)
		.unwrap();
		let range = |summaries| DeviceRange { device: rs[0].device, first: 1, last: 3, summaries };
		let mut anchor = crate::chain::ChainAnchor {
			gateway: [0; 32],
			header: AnchorHeader {
				batch: 0,
				root: tree.root(),
				reading_count: 3,
				from_ms: 0,
				to_ms: 0,
			},
			ranges: vec![range(vec![])],
			anchored_at: 50,
		};
		let epoch = crate::chain::EpochInfo { started: 10, ended: None, key_id, by: [0; 32] };
		let check = |claim: &Claim,
		             anchor: &crate::chain::ChainAnchor,
		             epoch: Option<&crate::chain::EpochInfo>| {
			check_line(claim, &scope, &mut Default::default(), anchor, epoch)
		};
		assert_eq!(check(&claim, &anchor, Some(&epoch)), Ok(()));
		// Twice in one bundle; outside its scope.
		let mut seen = Default::default();
		assert_eq!(check_line(&claim, &scope, &mut seen, &anchor, Some(&epoch)), Ok(()));
		assert!(check_line(&claim, &scope, &mut seen, &anchor, Some(&epoch))
			.unwrap_err()
			.contains("twice"));
		let narrow = Scope { from: rs[0].timestamp_ms + 1, ..scope.clone() };
		assert!(
			check_line(&claim, &narrow, &mut Default::default(), &anchor, Some(&epoch)).is_err()
		);
		// Another key identifier (a relabelled epoch), an epoch not yet begun or long over.
		assert!(check(
			&claim,
			&anchor,
			Some(&crate::chain::EpochInfo { key_id: [2; 32], ..epoch.clone() })
		)
		.is_err());
		assert!(check(
			&claim,
			&anchor,
			Some(&crate::chain::EpochInfo { started: 51, ..epoch.clone() })
		)
		.unwrap_err()
		.contains("after"));
		assert!(check(
			&claim,
			&anchor,
			Some(&crate::chain::EpochInfo { ended: Some(29), ..epoch.clone() })
		)
		.unwrap_err()
		.contains("long before"));
		assert_eq!(
			check(
				&claim,
				&anchor,
				Some(&crate::chain::EpochInfo { ended: Some(31), ..epoch.clone() })
			),
			Ok(())
		);
		assert!(check(&claim, &anchor, None).is_err());
		// The channel struck out of a private reading's line, or put on a public one.
		let public = Claim { sealed_under: None, ..claim.clone() };
		assert!(check(&public, &anchor, None).unwrap_err().contains("anchored private"));
		anchor.ranges = vec![range(vec![MetricSummary { id: 1, min: 0, max: 1 }])];
		assert_eq!(check(&public, &anchor, None), Ok(()));
		assert!(check(&claim, &anchor, Some(&epoch)).unwrap_err().contains("anchored public"));
		// Another anchor's root.
		anchor.header.root = H256([9; 32]);
		assert!(check(&public, &anchor, None).unwrap_err().contains("root"));
	}
}
