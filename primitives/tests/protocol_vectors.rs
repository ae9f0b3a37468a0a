//! The protocol's test vectors, `docs/protocol-vectors.json` ([docs/protocol.md]): device ids,
//! every payload a device signs, reading leaves, a batch's Merkle root and proofs, and a group
//! anchor's message, each from fixed inputs. This test recomputes every output from its inputs
//! with this crate and checks every signature; the end-to-end suite's `protocol-vectors.test.mjs`
//! checks the same file with @polkadot's SCALE and BLAKE2 implementations, independent of this
//! crate.
//!
//! After a deliberate change of the protocol, rewrite the file (new signatures included) with
//! `IOTRUST_WRITE_VECTORS=1 cargo test -p iotrust-primitives --test protocol_vectors`.

use codec::{Decode, Encode};
use iotrust_primitives::{
	anchoring::{AnchorHeader, DeviceRange, GroupAnchor, MetricSummary},
	device::{
		obligation_payload, obligation_reply_payload, registration_payload, DevicePublicKey,
		DeviceSignature, KeyScheme,
	},
	keypair::DeviceKeypair,
	merkle::{merkle_proof, merkle_root, verify_proof, Metric, SignedReading},
	obligations::ObligationRequest,
};
use serde_json::{json, Value};
use sp_core::H256;

/// `docs/protocol-vectors.json`, found from the crate's directory as `cargo test` gives it when
/// the test runs (a test binary built in another checkout of the repository carries that
/// checkout's path, and cargo may reuse it).
fn file() -> std::path::PathBuf {
	let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR")
		.map_or_else(|| env!("CARGO_MANIFEST_DIR").into(), std::path::PathBuf::from);
	crate_dir.join("../docs/protocol-vectors.json")
}

const GENESIS: H256 = H256::repeat_byte(0x11);
const OWNER: [u8; 32] = [0x22; 32];

fn hex(bytes: &[u8]) -> String {
	format!("0x{}", ::hex::encode(bytes))
}

fn unhex(v: &Value) -> Vec<u8> {
	let s = v.as_str().expect("a hex string");
	::hex::decode(s.trim_start_matches("0x")).expect("hex")
}

/// The four devices: one per scheme, from seeds 1, 2, 3 and 4.
fn devices() -> Vec<DeviceKeypair> {
	[KeyScheme::Ed25519, KeyScheme::Sr25519, KeyScheme::Secp256k1, KeyScheme::P256]
		.into_iter()
		.zip(1u8..)
		.map(|(scheme, seed)| DeviceKeypair::from_seed(scheme, [seed; 32]).expect("a valid seed"))
		.collect()
}

/// The batch's readings, unsigned: (device index, seq, timestamp, metrics). Five leaves, so the
/// tree carries an odd node up.
fn reading_inputs() -> Vec<(usize, u64, u64, Vec<Metric>)> {
	let m = |id, value| Metric { id, value };
	vec![
		(0, 0, 1_700_000_000_000, vec![m(1, -18_200)]),
		(0, 1, 1_700_000_060_000, vec![m(1, -18_050), m(2, 455)]),
		(0, 2, 1_700_000_120_000, vec![]),
		(1, 0, 1_700_000_000_500, vec![m(3, 101_325), m(4, 3_300)]),
		(1, 1, 1_700_000_060_500, vec![m(1, i64::MIN), m(2, i64::MAX)]),
	]
}

fn request() -> ObligationRequest<u128> {
	ObligationRequest { offer: 7, amount: 5_000_000_000_000, note: b"k-12".to_vec() }
}

const OBLIGATION_NONCE: u32 = 3;
/// The last block the vector's request may be accepted in.
const VALID_UNTIL: u32 = 1_234;

/// The group anchor over the batch: group 2, epoch 1, batch 9.
fn group_anchor(root: H256, readings: &[SignedReading]) -> GroupAnchor {
	let mut ranges: Vec<DeviceRange> = Vec::new();
	for r in readings {
		let summaries: Vec<MetricSummary> = r
			.metrics
			.iter()
			.map(|m| MetricSummary { id: m.id, min: m.value, max: m.value })
			.collect();
		match ranges.last_mut() {
			Some(range) if range.device == r.device => {
				range.last = r.seq;
				for s in summaries {
					match range.summaries.iter_mut().find(|x| x.id == s.id) {
						Some(x) => {
							x.min = x.min.min(s.min);
							x.max = x.max.max(s.max);
						},
						None => range.summaries.push(s),
					}
				}
			},
			_ => {
				ranges.push(DeviceRange { device: r.device, first: r.seq, last: r.seq, summaries })
			},
		}
	}
	GroupAnchor {
		genesis: GENESIS,
		group: 2,
		epoch: 1,
		header: AnchorHeader {
			batch: 9,
			root,
			reading_count: readings.len() as u32,
			from_ms: readings.iter().map(|r| r.timestamp_ms).min().unwrap_or_default(),
			to_ms: readings.iter().map(|r| r.timestamp_ms).max().unwrap_or_default(),
		},
		ranges,
	}
}

/// The vectors from the inputs; `signatures` gives each signature (read from the file, or made
/// now when writing it). Every signature is checked.
fn vectors(mut signature: impl FnMut(&str, &DeviceKeypair, &[u8]) -> DeviceSignature) -> Value {
	let devices = devices();
	let mut device_vectors = Vec::new();
	for (i, pair) in devices.iter().enumerate() {
		let payload = registration_payload(&GENESIS, &OWNER, &pair.key);
		let sig = signature(&format!("devices[{i}].registration"), pair, &payload);
		assert!(pair.key.verify(&payload, &sig), "device {i}'s registration signature");
		device_vectors.push(json!({
			"scheme": format!("{:?}", pair.key.scheme()),
			"seed": hex(&[i as u8 + 1; 32]),
			"key": hex(&pair.key.encode()),
			"id": hex(pair.key.device_id().as_bytes()),
			"registration": { "payload": hex(&payload), "signature": hex(&sig.encode()) },
		}));
	}

	let mut readings = Vec::new();
	let mut reading_vectors = Vec::new();
	for (i, (d, seq, timestamp_ms, metrics)) in reading_inputs().into_iter().enumerate() {
		let pair = &devices[d];
		let mut reading = SignedReading {
			device: pair.key.device_id(),
			seq,
			timestamp_ms,
			metrics,
			signature: DeviceSignature::Ed25519([0; 64]),
		};
		let payload = reading.payload(&GENESIS);
		reading.signature = signature(&format!("readings[{i}]"), pair, &payload);
		assert!(pair.key.verify(&payload, &reading.signature), "reading {i}'s signature");
		reading_vectors.push(json!({
			"device": d,
			"seq": seq,
			"timestampMs": timestamp_ms,
			"metrics": reading.metrics.iter().map(|m| json!([m.id, m.value.to_string()])).collect::<Vec<_>>(),
			"payload": hex(&payload),
			"signature": hex(&reading.signature.encode()),
			"encoded": hex(&reading.encode()),
			"leaf": hex(reading.leaf_hash().as_bytes()),
		}));
		readings.push(reading);
	}

	let leaves: Vec<H256> = readings.iter().map(|r| r.leaf_hash()).collect();
	let root = merkle_root(&leaves).expect("five leaves");
	let proofs: Vec<Value> = (0..leaves.len() as u32)
		.map(|index| {
			let proof = merkle_proof(&leaves, index).expect("in range");
			assert!(verify_proof(&root, &leaves[index as usize], &proof));
			json!({
				"index": proof.index,
				"leafCount": proof.leaf_count,
				"siblings": proof.siblings.iter().map(|s| hex(s.as_bytes())).collect::<Vec<_>>(),
			})
		})
		.collect();

	let pair = &devices[0];
	let device = pair.key.device_id();
	let request = request();
	let payload = obligation_payload(&GENESIS, &device, OBLIGATION_NONCE, VALID_UNTIL, &request);
	let sig = signature("obligation", pair, &payload);
	assert!(pair.key.verify(&payload, &sig), "the obligation request's signature");
	// The gateway's signed reply: an sr25519 account key, here the sr25519 device's key (the
	// same signature scheme and context as a Substrate account's).
	let gateway = &devices[1];
	let reply_id = "\"r1\"";
	let reply = obligation_reply_payload(
		&GENESIS,
		&device,
		reply_id,
		Some(OBLIGATION_NONCE),
		"created",
		Some(42),
		"",
	);
	let reply_sig = signature("obligationReply", gateway, &reply);
	assert!(gateway.key.verify(&reply, &reply_sig), "the reply's signature");

	let anchor = group_anchor(root, &readings);
	json!({
		"about": "iotrust protocol test vectors: see docs/protocol.md and primitives/tests/protocol_vectors.rs. Byte strings are 0x hex; keys and signatures are SCALE-encoded DevicePublicKey and DeviceSignature (a scheme byte, then the bytes); i64 values are decimal strings.",
		"genesis": hex(GENESIS.as_bytes()),
		"owner": hex(&OWNER),
		"devices": device_vectors,
		"readings": reading_vectors,
		"tree": { "root": hex(root.as_bytes()), "proofs": proofs },
		"obligation": {
			"device": 0,
			"nonce": OBLIGATION_NONCE,
			"validUntil": VALID_UNTIL,
			"request": {
				"offer": request.offer,
				"amount": request.amount.to_string(),
				"note": hex(&request.note),
			},
			"payload": hex(&payload),
			"signature": hex(&sig.encode()),
		},
		"obligationReply": {
			"device": 0,
			"gatewayKey": hex(&gateway.key.encode()),
			"id": reply_id,
			"nonce": OBLIGATION_NONCE,
			"status": "created",
			"obligation": 42,
			"why": "",
			"payload": hex(&reply),
			"signature": hex(&reply_sig.encode()),
		},
		"groupAnchor": {
			"group": anchor.group,
			"epoch": anchor.epoch,
			"batch": anchor.header.batch,
			"readingCount": anchor.header.reading_count,
			"fromMs": anchor.header.from_ms,
			"toMs": anchor.header.to_ms,
			"ranges": anchor.ranges.iter().map(|r| json!({
				"device": hex(r.device.as_bytes()),
				"first": r.first,
				"last": r.last,
				"summaries": r.summaries.iter().map(|s| json!([s.id, s.min.to_string(), s.max.to_string()])).collect::<Vec<_>>(),
			})).collect::<Vec<_>>(),
			"encoded": hex(&anchor.encode()),
			"message": hex(&anchor.message()),
		},
	})
}

/// The signature recorded at `path` (e.g. `readings[2]`) in `file`.
fn recorded(file: &Value, path: &str) -> DeviceSignature {
	let value = match path.split_once('[') {
		Some((list, rest)) => {
			let (index, field) = rest.split_once(']').expect("an index");
			let item = &file[list][index.parse::<usize>().expect("a number")];
			match field.trim_start_matches('.') {
				"" => &item["signature"],
				field => &item[field]["signature"],
			}
		},
		None => &file[path]["signature"],
	};
	DeviceSignature::decode(&mut &unhex(value)[..]).expect("a SCALE DeviceSignature")
}

#[test]
fn the_protocol_vectors_hold() {
	if std::env::var_os("IOTRUST_WRITE_VECTORS").is_some() {
		// A signature already recorded over the same payload is kept (sr25519 and P-256
		// signatures are randomized: signing again would change every vector built on them).
		let old: Value = std::fs::read_to_string(file())
			.ok()
			.and_then(|text| serde_json::from_str(&text).ok())
			.unwrap_or(Value::Null);
		let fresh = vectors(|path, pair, payload| {
			std::panic::catch_unwind(|| recorded(&old, path))
				.ok()
				.filter(|sig| pair.key.verify(payload, sig))
				.unwrap_or_else(|| pair.sign(payload))
		});
		let text = serde_json::to_string_pretty(&fresh).expect("JSON") + "\n";
		std::fs::write(file(), text).expect("writing the vectors");
		return;
	}
	let text = std::fs::read_to_string(file()).expect("docs/protocol-vectors.json");
	let file: Value = serde_json::from_str(&text).expect("JSON");
	let computed = vectors(|path, _, _| recorded(&file, path));
	assert_eq!(computed, file, "the vectors differ from what this crate computes");
}

#[test]
fn every_scheme_signs_a_vector() {
	if std::env::var_os("IOTRUST_WRITE_VECTORS").is_some() {
		return; // the file is being written
	}
	let text = std::fs::read_to_string(file()).expect("docs/protocol-vectors.json");
	let file: Value = serde_json::from_str(&text).expect("JSON");
	let schemes: Vec<&str> =
		file["devices"].as_array().unwrap().iter().map(|d| d["scheme"].as_str().unwrap()).collect();
	assert_eq!(schemes, ["Ed25519", "Sr25519", "Secp256k1", "P256"]);
	// A key decodes as the chain's type.
	for d in file["devices"].as_array().unwrap() {
		DevicePublicKey::decode(&mut &unhex(&d["key"])[..]).expect("a SCALE DevicePublicKey");
	}
}
