//! Documents published to private channels: `PUT /documents/<channel>/<hash>` takes a
//! document's ciphertext from a writer of the channel once the chain records it
//! (`channels.publish_document`: its BLAKE2-256 hash, epoch and size); `GET` gives it back to any
//! account that may read the channel now. Both are signed requests ([`super::access`]).
//!
//! The gateway keeps only what the chain vouches for, and only for channels its member reads:
//! the sender, the record and the member's key of the record's epoch are checked before a byte
//! of the body is read; the body must be exactly the sealed size of the recorded document
//! (nonce, ciphertext, tag) and open, under that key, to the recorded hash. So no one makes a
//! gateway keep what is not a published document of a channel its member is in, nor a wrong
//! copy of one. Readers check the hash themselves in any case (`iotrust-gateway channel
//! document`).

use super::{access::Refusal, Shared};
use crate::{keyring::KeyError, store::StoredDocument};
use axum::{
	extract::{Path, State},
	http::{header, HeaderMap, StatusCode, Uri},
	response::{IntoResponse, Response},
	Json,
};
use iotrust_primitives::channels::{ChannelId, DocumentHash, PayloadKind};
use serde_json::json;

/// The bytes sealing adds to a document: a 24-byte nonce and a 16-byte tag.
pub const SEALING_OVERHEAD: usize = 40;

fn error(status: StatusCode, message: impl std::fmt::Display) -> Response {
	(status, Json(json!({ "error": message.to_string() }))).into_response()
}

fn refused(r: Refusal) -> Response {
	error(r.status(), r)
}

/// The channel and hash of a document path.
fn parse(channel: &str, hash: &str) -> Option<(ChannelId, DocumentHash)> {
	let channel = channel.parse().ok()?;
	let hash = crate::ingest::telemetry::parse_h256(hash).ok()?;
	Some((channel, hash.0))
}

fn path_of(uri: &Uri) -> &str {
	uri.path_and_query().map_or(uri.path(), |p| p.as_str())
}

/// Why an uploaded body is not the recorded document.
pub fn check_body(
	data: &[u8],
	size: u32,
	opened: Result<Vec<u8>, iotrust_crypto::Error>,
	hash: &DocumentHash,
) -> Result<(), String> {
	let expected = size as usize + SEALING_OVERHEAD;
	if data.len() != expected {
		return Err(format!(
			"the body is {} bytes; the document the chain records is {size} bytes, {expected} sealed",
			data.len()
		));
	}
	match opened {
		Err(_) => Err("the body does not open under the recorded epoch's key".into()),
		Ok(plain) if sp_io::hashing::blake2_256(&plain) != *hash => {
			Err("the body opens, but not to the document whose hash the chain records".into())
		},
		Ok(_) => Ok(()),
	}
}

pub(super) async fn upload(
	State(shared): State<Shared>,
	Path((channel, hash)): Path<(String, String)>,
	request: axum::extract::Request,
) -> Response {
	let Some((channel, hash)) = parse(&channel, &hash) else {
		return error(StatusCode::BAD_REQUEST, "expected /documents/<channel>/<0x hash>");
	};
	let Some(gate) = shared.gate.clone() else {
		return error(StatusCode::SERVICE_UNAVAILABLE, "this gateway has no chain to check with");
	};
	// Who sends it, and what the chain records, before a byte of the body is read.
	let (uri, headers) = (request.uri().clone(), request.headers().clone());
	if let Err(r) = gate.admit_to_channel(channel, "PUT", path_of(&uri), &headers, true).await {
		return refused(r);
	}
	let record = match gate.view().chain().document(channel, &hash).await {
		Ok(Some(record)) => record,
		Ok(None) => {
			return error(
				StatusCode::NOT_FOUND,
				"the chain records no such document in that channel: publish it first (channels.publishDocument)",
			)
		},
		Err(e) => return refused(Refusal::Chain(e.to_string())),
	};
	// Only channels this gateway's member reads: it checks every document it keeps.
	let Some(keyring) = gate.keyring() else {
		return error(
			StatusCode::FORBIDDEN,
			"this gateway keeps documents only of channels its member reads (channel_secret_file)",
		);
	};
	let key = match keyring.key(gate.view().chain(), channel, record.epoch).await {
		Ok(key) => key,
		Err(KeyError::Chain(e)) => return refused(Refusal::Chain(e.to_string())),
		Err(e) => {
			return error(
				StatusCode::FORBIDDEN,
				format!("this gateway's member cannot open the document's epoch key, so it keeps no copy: {e}"),
			)
		},
	};
	let expected = record.size as usize + SEALING_OVERHEAD;
	let declared = headers
		.get(header::CONTENT_LENGTH)
		.and_then(|v| v.to_str().ok())
		.and_then(|v| v.parse::<usize>().ok());
	if declared != Some(expected) {
		return error(
			StatusCode::UNPROCESSABLE_ENTITY,
			format!(
				"Content-Length must be {expected}: the recorded document is {} bytes, sealed",
				record.size
			),
		);
	}
	let body = match axum::body::to_bytes(request.into_body(), expected).await {
		Ok(body) => body,
		Err(e) => return error(StatusCode::BAD_REQUEST, format!("reading the body: {e}")),
	};
	let opened = iotrust_crypto::open_payload(
		&key,
		channel,
		record.epoch,
		&PayloadKind::Document { hash },
		&body,
	);
	if let Err(why) = check_body(&body, record.size, opened, &hash) {
		return error(StatusCode::UNPROCESSABLE_ENTITY, why);
	}
	let document =
		StoredDocument { epoch: record.epoch, at_ms: crate::clock::now_ms(), data: body.into() };
	let store = shared.store.clone();
	match tokio::task::spawn_blocking(move || store.put_document(channel, &hash, &document)).await {
		Ok(Ok(true)) => (StatusCode::CREATED, Json(json!({ "kept": true }))).into_response(),
		Ok(Ok(false)) => (StatusCode::OK, Json(json!({ "kept": true }))).into_response(),
		Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
		Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
	}
}

pub(super) async fn download(
	State(shared): State<Shared>,
	Path((channel, hash)): Path<(String, String)>,
	uri: Uri,
	headers: HeaderMap,
) -> Response {
	let Some((channel, hash)) = parse(&channel, &hash) else {
		return error(StatusCode::BAD_REQUEST, "expected /documents/<channel>/<0x hash>");
	};
	let Some(gate) = shared.gate.clone() else {
		return error(StatusCode::SERVICE_UNAVAILABLE, "this gateway has no chain to check with");
	};
	if let Err(r) = gate.admit_to_channel(channel, "GET", path_of(&uri), &headers, false).await {
		return refused(r);
	}
	let store = shared.store.clone();
	match tokio::task::spawn_blocking(move || store.document(channel, &hash)).await {
		Ok(Ok(Some(document))) => (
			[
				(header::CONTENT_TYPE, "application/octet-stream".to_string()),
				(header::HeaderName::from_static("iotrust-epoch"), document.epoch.to_string()),
			],
			document.data,
		)
			.into_response(),
		Ok(Ok(None)) => error(StatusCode::NOT_FOUND, "this gateway keeps no such document"),
		Ok(Err(e)) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
		Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn a_body_is_kept_only_if_it_is_the_recorded_document() {
		let hash = sp_io::hashing::blake2_256(b"price list");
		let body = vec![0u8; 10 + SEALING_OVERHEAD];
		let plain = || Ok(b"price list".to_vec());
		assert_eq!(check_body(&body, 10, plain(), &hash), Ok(()));
		assert!(check_body(&body, 11, plain(), &hash).unwrap_err().contains("51 sealed"));
		// The attack: a writer uploads another document under a recorded hash.
		let other = check_body(&body, 10, Ok(b"price lust".to_vec()), &hash);
		assert!(other.unwrap_err().contains("not to the document"));
		let sealed_otherwise =
			check_body(&body, 10, Err(iotrust_crypto::Error::PayloadOpen), &hash);
		assert!(sealed_otherwise.unwrap_err().contains("does not open"));
	}
}
