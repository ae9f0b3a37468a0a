//! Sealing bytes with ChaCha20-Poly1305 (RustCrypto's audited `chacha20poly1305`): round-2 key
//! generation packages in transit (keyed by an X25519 agreement, see [`super::dkg`]) and a
//! gateway's key share at rest (keyed by its account secret).

use chacha20poly1305::{
	aead::{Aead, AeadCore, KeyInit, OsRng},
	ChaCha20Poly1305, Key, Nonce,
};

/// The nonce's length, stored before the ciphertext.
const NONCE: usize = 12;

/// `plain` sealed under `key`: a fresh random nonce, then the ciphertext and its tag.
pub fn seal(key: &[u8; 32], plain: &[u8]) -> Vec<u8> {
	let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
	let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
	let mut out = nonce.to_vec();
	// Encrypting into a Vec cannot fail (the only error is a buffer too small); qed.
	out.extend(cipher.encrypt(&nonce, plain).unwrap_or_default());
	out
}

/// What [`seal`] sealed under `key`; `None` if `sealed` was not sealed under it or was altered.
pub fn open(key: &[u8; 32], sealed: &[u8]) -> Option<Vec<u8>> {
	if sealed.len() < NONCE {
		return None;
	}
	let (nonce, ciphertext) = sealed.split_at(NONCE);
	ChaCha20Poly1305::new(Key::from_slice(key)).decrypt(Nonce::from_slice(nonce), ciphertext).ok()
}

/// The key a gateway's key shares are sealed under in its database: derived from its account
/// secret, so the database alone (a backup, a stolen disk) does not give the share away.
pub fn rest_key(account_secret: &str) -> [u8; 32] {
	let mut bytes = b"iotrust/group-share-at-rest/v1".to_vec();
	bytes.extend_from_slice(account_secret.as_bytes());
	sp_io::hashing::blake2_256(&bytes)
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn only_the_right_key_opens_what_was_sealed() {
		let key = rest_key("//Alice");
		let sealed = seal(&key, b"a key share");
		assert!(!sealed.windows(11).any(|w| w == b"a key share"));
		assert_eq!(open(&key, &sealed).as_deref(), Some(&b"a key share"[..]));
		assert_eq!(open(&rest_key("//Bob"), &sealed), None);
		let mut altered = sealed.clone();
		*altered.last_mut().unwrap() ^= 1;
		assert_eq!(open(&key, &altered), None);
		assert_eq!(open(&key, &sealed[..5]), None);
		// A fresh nonce each time.
		assert_ne!(seal(&key, b"x"), seal(&key, b"x"));
	}
}
