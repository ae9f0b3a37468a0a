//! Who may read a private device's readings and proofs: a request signed by the account of a
//! member of the device's channel, or of an auditor within its window, as the chain says now.
//!
//! A signed request carries four headers: `Iotrust-Account` (SS58), `Iotrust-Expires` (Unix
//! seconds, at most [`HTTP_REQUEST_MAX_AHEAD_S`] ahead), `Iotrust-Nonce` (16 bytes, hex) and
//! `Iotrust-Signature` (the account's sr25519 signature, hex, over
//! `iotrust_primitives::channels::http_request_payload`: domain, genesis hash, method, path and
//! query, expiry, nonce). No shared secret: the gateway checks the signature against the account,
//! the account's access against the chain, and remembers each nonce until its expiry so that a
//! captured request cannot be sent again. Public devices need none of this.
//!
//! [`check`] and [`Nonces`] are the decisions, on plain data; [`Gate`] asks the chain.

use crate::{
	api::sealing::{Disclosure, Sealer},
	chain::AccountId,
	keyring::{ChannelView, Fresh, KeyError, Keyring},
};
use axum::http::HeaderMap;
use iotrust_primitives::{
	channels::{http_request_payload, ChannelEpoch, ChannelId, HTTP_REQUEST_MAX_AHEAD_S},
	device::DeviceId,
};
use sp_core::{crypto::Ss58Codec, sr25519, Pair};
use std::{
	collections::HashMap,
	sync::{Arc, Mutex},
};

/// The headers of a signed request.
pub const ACCOUNT: &str = "iotrust-account";
pub const EXPIRES: &str = "iotrust-expires";
pub const NONCE: &str = "iotrust-nonce";
pub const SIGNATURE: &str = "iotrust-signature";

/// Why a request for a private device's data is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
	/// It is not signed: the device's readings are private to a channel.
	#[error("the device's readings are private to channel {0}: sign the request (Iotrust-* headers) as a member or auditor")]
	Unsigned(ChannelId),
	/// A header is missing or malformed.
	#[error("bad {0} header")]
	Malformed(&'static str),
	/// It has expired.
	#[error("the request expired")]
	Expired,
	/// Its expiry is further ahead than a gateway accepts.
	#[error("the request expires more than {HTTP_REQUEST_MAX_AHEAD_S} s ahead")]
	TooFarAhead,
	/// Its signature is not the account's over this request.
	#[error("the signature is not the account's over this request")]
	BadSignature,
	/// Its nonce was used before.
	#[error("this request was sent before (its nonce is used)")]
	Replayed,
	/// Too many requests are remembered to take another now.
	#[error("too many signed requests at once; try again shortly")]
	Busy,
	/// The account may not read the channel now.
	#[error("the account may not read channel {0} now")]
	NoAccess(ChannelId),
	/// The account may not write the channel now.
	#[error("the account may not write channel {0} now")]
	NotWriter(ChannelId),
	/// The chain could not be asked.
	#[error("cannot ask the chain: {0}")]
	Chain(String),
	/// The gateway's database could not be read.
	#[error("cannot read the gateway's database: {0}")]
	Store(String),
	/// The gateway holds no member's channel secret: it serves no private device's readings.
	#[error("this gateway holds no channel member's key (channel_secret_file): it serves private devices' readings to nobody")]
	NoKeyring,
}

impl Refusal {
	/// The HTTP status that says it.
	pub fn status(&self) -> axum::http::StatusCode {
		use axum::http::StatusCode;
		match self {
			Self::NoAccess(_) | Self::NotWriter(_) => StatusCode::FORBIDDEN,
			Self::Busy | Self::Chain(_) | Self::NoKeyring => StatusCode::SERVICE_UNAVAILABLE,
			Self::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
			_ => StatusCode::UNAUTHORIZED,
		}
	}
}

/// A signed request's headers, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
	pub account: AccountId,
	pub expires_s: u64,
	pub nonce: [u8; 16],
	pub signature: [u8; 64],
}

/// The signed request's headers, if it has any (`Ok(None)`: none at all).
pub fn parse(headers: &HeaderMap) -> Result<Option<Signed>, Refusal> {
	let get = |name: &'static str| {
		headers.get(name).map(|v| v.to_str().map_err(|_| Refusal::Malformed(name)))
	};
	let Some(account) = get(ACCOUNT) else { return Ok(None) };
	let account = sp_core::crypto::AccountId32::from_ss58check(account?)
		.map_err(|_| Refusal::Malformed(ACCOUNT))?;
	let text = |name| get(name).ok_or(Refusal::Malformed(name))?;
	let expires_s = text(EXPIRES)?.parse().map_err(|_| Refusal::Malformed(EXPIRES))?;
	let bytes = |name: &'static str, text: &str| {
		hex::decode(text.trim_start_matches("0x")).map_err(|_| Refusal::Malformed(name))
	};
	let nonce = bytes(NONCE, text(NONCE)?)?.try_into().map_err(|_| Refusal::Malformed(NONCE))?;
	let signature = bytes(SIGNATURE, text(SIGNATURE)?)?
		.try_into()
		.map_err(|_| Refusal::Malformed(SIGNATURE))?;
	Ok(Some(Signed { account: account.into(), expires_s, nonce, signature }))
}

/// Whether `signed` is a valid signature of this request (`method`, `path_and_query` on the
/// chain with `genesis`) at `now_s`: not expired, not too far ahead, signed by its account.
pub fn check(
	signed: &Signed,
	genesis: &[u8; 32],
	method: &str,
	path_and_query: &str,
	now_s: u64,
) -> Result<(), Refusal> {
	if signed.expires_s < now_s {
		return Err(Refusal::Expired);
	}
	if signed.expires_s > now_s.saturating_add(HTTP_REQUEST_MAX_AHEAD_S) {
		return Err(Refusal::TooFarAhead);
	}
	let payload =
		http_request_payload(genesis, method, path_and_query, signed.expires_s, &signed.nonce);
	let signature = sr25519::Signature::from_raw(signed.signature);
	let public = sr25519::Public::from_raw(signed.account);
	if !sr25519::Pair::verify(&signature, &payload, &public) {
		return Err(Refusal::BadSignature);
	}
	Ok(())
}

/// The nonces of signed requests not yet expired: a nonce is taken once.
pub struct Nonces {
	seen: HashMap<(AccountId, [u8; 16]), u64>,
	capacity: usize,
}

impl Nonces {
	/// Remembering at most `capacity` at once.
	pub fn new(capacity: usize) -> Self {
		Self { seen: HashMap::new(), capacity }
	}

	/// Take `signed`'s nonce at `now_s`, refusing one taken before.
	pub fn take(&mut self, signed: &Signed, now_s: u64) -> Result<(), Refusal> {
		let key = (signed.account, signed.nonce);
		if self.seen.contains_key(&key) {
			return Err(Refusal::Replayed);
		}
		if self.seen.len() >= self.capacity {
			self.seen.retain(|_, expires| *expires >= now_s);
			if self.seen.len() >= self.capacity {
				return Err(Refusal::Busy);
			}
		}
		self.seen.insert(key, signed.expires_s);
		Ok(())
	}
}

/// Nonces remembered at most.
const NONCES: usize = 100_000;

/// Who may read what, as the chain says ([`ChannelView`], answers kept for
/// [`crate::keyring::FRESH`]), and the keys that seal what they may read.
pub struct Gate {
	view: Arc<ChannelView>,
	store: Arc<crate::store::Store>,
	genesis: [u8; 32],
	nonces: Mutex<Nonces>,
	/// The devices the chain puts in no channel, with the channel this gateway last anchored
	/// them under, if any (kept [`crate::keyring::FRESH`]: a public device's request reads the
	/// database for it once in that time, not every time).
	anchored_private: Mutex<Fresh<DeviceId, Option<ChannelId>>>,
	keyring: Option<Arc<Keyring>>,
}

impl Gate {
	/// A gate asking the chain through `view`, and `store` for the devices this gateway
	/// anchored as private; sealing with `keyring` (none: private devices' readings are served
	/// to nobody).
	pub fn new(
		view: Arc<ChannelView>,
		store: Arc<crate::store::Store>,
		keyring: Option<Arc<Keyring>>,
	) -> Self {
		let genesis = view.chain().genesis().0;
		Self {
			view,
			store,
			genesis,
			nonces: Mutex::new(Nonces::new(NONCES)),
			anchored_private: Mutex::new(Fresh::default()),
			keyring,
		}
	}

	/// How this request may see `device`'s data: in the clear, any request for a public
	/// device; for a private one, sealed, and only for a valid signed request by an account
	/// that may read its channel now.
	pub async fn admit(
		&self,
		device: &DeviceId,
		method: &str,
		path_and_query: &str,
		headers: &HeaderMap,
	) -> Result<Disclosure, Refusal> {
		let Some(channel) = self.channel_of(device).await? else { return Ok(Disclosure::Plain) };
		let signed = parse(headers)?.ok_or(Refusal::Unsigned(channel))?;
		let now_s = now_s();
		check(&signed, &self.genesis, method, path_and_query, now_s)?;
		let access = self.view.access(channel, &signed.account).await.map_err(chain)?;
		if !access.reads() {
			return Err(Refusal::NoAccess(channel));
		}
		lock(&self.nonces).take(&signed, now_s)?;
		let keyring = self.keyring.clone().ok_or(Refusal::NoKeyring)?;
		Ok(Disclosure::Sealed(Arc::new(Sealer::new(keyring))))
	}

	/// Whether this signed request may read (or, with `write`, write) `channel` now; the
	/// account that signed it.
	pub async fn admit_to_channel(
		&self,
		channel: ChannelId,
		method: &str,
		path_and_query: &str,
		headers: &HeaderMap,
		write: bool,
	) -> Result<AccountId, Refusal> {
		let signed = parse(headers)?.ok_or(Refusal::Unsigned(channel))?;
		let now_s = now_s();
		check(&signed, &self.genesis, method, path_and_query, now_s)?;
		let access = self.view.access(channel, &signed.account).await.map_err(chain)?;
		match (write, access.reads(), access.writes()) {
			(false, false, _) => return Err(Refusal::NoAccess(channel)),
			(true, _, false) => return Err(Refusal::NotWriter(channel)),
			_ => {},
		}
		lock(&self.nonces).take(&signed, now_s)?;
		Ok(signed.account)
	}

	/// The chain's answers about channels.
	pub fn view(&self) -> &ChannelView {
		&self.view
	}

	/// The keys of the member whose channel secret this gateway holds, if it holds one.
	pub fn keyring(&self) -> Option<&Keyring> {
		self.keyring.as_deref()
	}

	/// Open the epoch keys a sealer had not tried ([`Sealer::missing`]); those the member does
	/// not hold are remembered as such by the keyring. Fails only if the chain cannot be asked.
	pub async fn open_keys(
		&self,
		missing: impl IntoIterator<Item = (ChannelId, ChannelEpoch)>,
	) -> Result<(), Refusal> {
		let keyring = self.keyring.as_ref().ok_or(Refusal::NoKeyring)?;
		for (channel, epoch) in missing {
			if let Err(KeyError::Chain(e)) = keyring.key(self.view.chain(), channel, epoch).await {
				return Err(chain(e));
			}
		}
		Ok(())
	}

	/// The channel `device`'s readings are private to: the chain's answer, else the channel
	/// this gateway last anchored them under (a device that left its channel keeps the
	/// readings it made in it private).
	async fn channel_of(&self, device: &DeviceId) -> Result<Option<ChannelId>, Refusal> {
		if let Some(channel) = self.view.device_channel(device).await.map_err(chain)? {
			return Ok(Some(channel));
		}
		if let Some(channel) = lock(&self.anchored_private).get(device) {
			return Ok(channel);
		}
		let (store, device) = (self.store.clone(), *device);
		let channel = tokio::task::spawn_blocking(move || store.private_channel(&device))
			.await
			.map_err(|e| Refusal::Store(e.to_string()))?
			.map_err(|e| Refusal::Store(e.to_string()))?;
		lock(&self.anchored_private).put(device, channel);
		Ok(channel)
	}
}

fn chain(e: crate::chain::port::ChainError) -> Refusal {
	Refusal::Chain(e.to_string())
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
	m.lock().unwrap_or_else(|p| p.into_inner())
}

fn now_s() -> u64 {
	crate::clock::now_ms() / 1_000
}

/// The four headers that sign a request for `method` `path_and_query` as `pair`'s account,
/// expiring `expires_s`: what a client (e.g. `iotrust-gateway channel fetch`) sends.
pub fn sign(
	pair: &sr25519::Pair,
	genesis: &[u8; 32],
	method: &str,
	path_and_query: &str,
	expires_s: u64,
	nonce: [u8; 16],
) -> [(&'static str, String); 4] {
	let payload = http_request_payload(genesis, method, path_and_query, expires_s, &nonce);
	let signature = pair.sign(&payload);
	let account = sp_core::crypto::AccountId32::from(pair.public().0).to_ss58check();
	[
		(ACCOUNT, account),
		(EXPIRES, expires_s.to_string()),
		(NONCE, hex::encode(nonce)),
		(SIGNATURE, format!("0x{}", hex::encode(signature.0))),
	]
}

#[cfg(test)]
mod tests {
	use super::*;

	const GENESIS: [u8; 32] = [7; 32];
	const PATH: &str = "/readings/0x01?from=0";

	fn headers(fields: &[(&'static str, String)]) -> HeaderMap {
		let mut h = HeaderMap::new();
		for (k, v) in fields {
			h.insert(*k, v.parse().unwrap());
		}
		h
	}

	fn alice() -> sr25519::Pair {
		sr25519::Pair::from_string("//Alice", None).unwrap()
	}

	#[test]
	fn a_signed_request_checks_out_and_only_for_itself() {
		let h = headers(&sign(&alice(), &GENESIS, "GET", PATH, 1_000, [1; 16]));
		let signed = parse(&h).unwrap().unwrap();
		assert_eq!(signed.account, alice().public().0);
		assert_eq!(check(&signed, &GENESIS, "GET", PATH, 900), Ok(()));
		// Another path, method, chain: the signature does not cover them.
		assert_eq!(
			check(&signed, &GENESIS, "GET", "/readings/0x02", 900),
			Err(Refusal::BadSignature)
		);
		assert_eq!(check(&signed, &GENESIS, "POST", PATH, 900), Err(Refusal::BadSignature));
		assert_eq!(check(&signed, &[8; 32], "GET", PATH, 900), Err(Refusal::BadSignature));
		// Time: expired, or expiring too far ahead.
		assert_eq!(check(&signed, &GENESIS, "GET", PATH, 1_001), Err(Refusal::Expired));
		assert_eq!(check(&signed, &GENESIS, "GET", PATH, 600), Err(Refusal::TooFarAhead));
	}

	#[test]
	fn attack_another_account_cannot_pass_off_a_signature() {
		// Mallory sends Alice's signature under Bob's account.
		let mut fields = sign(&alice(), &GENESIS, "GET", PATH, 1_000, [1; 16]);
		let bob = sr25519::Pair::from_string("//Bob", None).unwrap();
		fields[0].1 = sp_core::crypto::AccountId32::from(bob.public().0).to_ss58check();
		let signed = parse(&headers(&fields)).unwrap().unwrap();
		assert_eq!(check(&signed, &GENESIS, "GET", PATH, 900), Err(Refusal::BadSignature));
	}

	#[test]
	fn attack_a_captured_request_is_not_taken_twice() {
		let signed = parse(&headers(&sign(&alice(), &GENESIS, "GET", PATH, 1_000, [1; 16])))
			.unwrap()
			.unwrap();
		let mut nonces = Nonces::new(2);
		assert_eq!(nonces.take(&signed, 900), Ok(()));
		assert_eq!(nonces.take(&signed, 901), Err(Refusal::Replayed));
		// Full of live nonces: refused; once they expire, room again.
		let other = |n: u8, expires_s| Signed { nonce: [n; 16], expires_s, ..signed.clone() };
		assert_eq!(nonces.take(&other(2, 1_000), 900), Ok(()));
		assert_eq!(nonces.take(&other(3, 1_000), 900), Err(Refusal::Busy));
		assert_eq!(nonces.take(&other(3, 2_000), 1_500), Ok(()));
	}

	#[test]
	fn headers_parse_or_say_which_is_wrong() {
		assert_eq!(parse(&HeaderMap::new()), Ok(None));
		let mut fields = sign(&alice(), &GENESIS, "GET", PATH, 1_000, [1; 16]);
		fields[2].1 = "zz".into();
		assert_eq!(parse(&headers(&fields)), Err(Refusal::Malformed(NONCE)));
		let fields = sign(&alice(), &GENESIS, "GET", PATH, 1_000, [1; 16]);
		assert_eq!(parse(&headers(&fields[..2])), Err(Refusal::Malformed(NONCE)));
		assert_eq!(Refusal::NoAccess(1).status(), axum::http::StatusCode::FORBIDDEN);
		assert_eq!(Refusal::Unsigned(1).status(), axum::http::StatusCode::UNAUTHORIZED);
	}
}
