//! Device key pairs of every scheme, for the software that signs as a device: the node's
//! `device` signing helper, device simulators, tests. Needs `std`.

use crate::device::{DevicePublicKey, DeviceSignature, KeyScheme};
use sp_core::{ecdsa, ed25519, sr25519, Pair};

/// A device's key pair.
pub struct DeviceKeypair {
	/// Its public key.
	pub key: DevicePublicKey,
	secret: Secret,
}

enum Secret {
	Ed25519(ed25519::Pair),
	Sr25519(sr25519::Pair),
	Secp256k1(ecdsa::Pair),
	P256(p256::ecdsa::SigningKey),
}

impl DeviceKeypair {
	/// The key pair of `scheme` whose secret is the 32-byte `seed` (for P-256: the secret
	/// scalar, which must be below the curve order).
	pub fn from_seed(scheme: KeyScheme, seed: [u8; 32]) -> Result<Self, String> {
		let secret = match scheme {
			KeyScheme::Ed25519 => Secret::Ed25519(ed25519::Pair::from_seed(&seed)),
			KeyScheme::Sr25519 => Secret::Sr25519(sr25519::Pair::from_seed(&seed)),
			KeyScheme::Secp256k1 => Secret::Secp256k1(ecdsa::Pair::from_seed(&seed)),
			KeyScheme::P256 => Secret::P256(
				p256::ecdsa::SigningKey::from_slice(&seed)
					.map_err(|_| "not a valid P-256 secret scalar".to_string())?,
			),
		};
		Ok(Self::with(secret))
	}

	/// The key pair of `scheme` from `secret`: a `0x`-prefixed 32-byte hex seed (any scheme),
	/// or for ed25519, sr25519 and secp256k1 also a secret URI (`//Alice`, a phrase, `phrase//1`).
	pub fn from_secret(scheme: KeyScheme, secret: &str) -> Result<Self, String> {
		if let Some(hex) = secret.strip_prefix("0x") {
			let bytes = hex::decode(hex).map_err(|e| format!("secret is not hex: {e}"))?;
			let seed: [u8; 32] =
				bytes.try_into().map_err(|_| "a hex secret must be 32 bytes".to_string())?;
			return Self::from_seed(scheme, seed);
		}
		let uri_err = |e| format!("secret is neither 0x-hex nor a secret URI: {e:?}");
		let secret = match scheme {
			KeyScheme::Ed25519 => {
				Secret::Ed25519(ed25519::Pair::from_string(secret, None).map_err(uri_err)?)
			},
			KeyScheme::Sr25519 => {
				Secret::Sr25519(sr25519::Pair::from_string(secret, None).map_err(uri_err)?)
			},
			KeyScheme::Secp256k1 => {
				Secret::Secp256k1(ecdsa::Pair::from_string(secret, None).map_err(uri_err)?)
			},
			KeyScheme::P256 => return Err("a P-256 secret must be a 0x-hex 32-byte scalar".into()),
		};
		Ok(Self::with(secret))
	}

	/// A new key pair of `scheme` from the operating system's randomness, with its seed.
	pub fn generate(scheme: KeyScheme) -> (Self, [u8; 32]) {
		loop {
			// An ed25519 seed is 32 uniformly random bytes from the OS generator.
			let (_, seed) = ed25519::Pair::generate();
			// A P-256 seed at or above the curve order (probability ~2^-32) is drawn again.
			if let Ok(pair) = Self::from_seed(scheme, seed) {
				return (pair, seed);
			}
		}
	}

	fn with(secret: Secret) -> Self {
		let key = match &secret {
			Secret::Ed25519(p) => DevicePublicKey::Ed25519(p.public().0),
			Secret::Sr25519(p) => DevicePublicKey::Sr25519(p.public().0),
			Secret::Secp256k1(p) => DevicePublicKey::Secp256k1(p.public().0),
			Secret::P256(k) => {
				let point = k.verifying_key().to_encoded_point(true);
				let mut key = [0u8; 33];
				key.copy_from_slice(point.as_bytes());
				DevicePublicKey::P256(key)
			},
		};
		Self { key, secret }
	}

	/// The device's signature over `message`, as the chain verifies it.
	pub fn sign(&self, message: &[u8]) -> DeviceSignature {
		match &self.secret {
			Secret::Ed25519(p) => DeviceSignature::Ed25519(p.sign(message).0),
			Secret::Sr25519(p) => DeviceSignature::Sr25519(p.sign(message).0),
			Secret::Secp256k1(p) => DeviceSignature::Secp256k1(p.sign(message).0),
			Secret::P256(k) => {
				use p256::ecdsa::signature::Signer as _;
				let sig: p256::ecdsa::Signature = k.sign(message);
				DeviceSignature::P256(sig.to_bytes().into())
			},
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn secrets_parse_per_scheme() {
		let alice = DeviceKeypair::from_secret(KeyScheme::Sr25519, "//Alice").unwrap();
		assert_eq!(alice.key.scheme(), KeyScheme::Sr25519);
		let hex = format!("0x{}", "11".repeat(32));
		for scheme in
			[KeyScheme::Ed25519, KeyScheme::Sr25519, KeyScheme::Secp256k1, KeyScheme::P256]
		{
			let pair = DeviceKeypair::from_secret(scheme, &hex).unwrap();
			assert!(pair.key.verify(b"m", &pair.sign(b"m")));
			let (generated, seed) = DeviceKeypair::generate(scheme);
			assert_eq!(DeviceKeypair::from_seed(scheme, seed).unwrap().key, generated.key);
		}
		assert!(DeviceKeypair::from_secret(KeyScheme::P256, "//Alice").is_err());
		assert!(
			DeviceKeypair::from_secret(KeyScheme::P256, &format!("0x{}", "ff".repeat(32))).is_err()
		);
		assert!(DeviceKeypair::from_secret(KeyScheme::Ed25519, "0x1234").is_err());
	}
}
