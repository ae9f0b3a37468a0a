//! Secrets (the gateway's account, the broker password) are read from files only their owner may
//! read, never from the command line.

use std::path::{Path, PathBuf};

/// Why a secret file was not read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
	/// The file cannot be read.
	#[error("{what} {}: {source}", path.display())]
	Unreadable {
		/// The setting that names the file.
		what: String,
		/// The file.
		path: PathBuf,
		/// Why.
		source: std::io::Error,
	},
	/// Others than its owner may read it.
	#[error("{what} {} may be read by others (mode {mode:o}): `chmod 600 {}`", path.display(), path.display())]
	Open {
		/// The setting that names the file.
		what: String,
		/// The file.
		path: PathBuf,
		/// Its permission bits.
		mode: u32,
	},
	/// It holds nothing but white space.
	#[error("{what} {} is empty", path.display())]
	Empty {
		/// The setting that names the file.
		what: String,
		/// The file.
		path: PathBuf,
	},
	/// It does not hold a 32-byte hex key.
	#[error("{what} {} does not hold a 32-byte hex secret (`iotrust-gateway channel keygen` writes one)", path.display())]
	NotAKey {
		/// The setting that names the file.
		what: String,
		/// The file.
		path: PathBuf,
	},
}

/// The secret in `path` (its content, trimmed), refusing a file that others may read and an
/// empty one; `what` names the setting in errors.
pub fn read_secret(path: &Path, what: &str) -> Result<String, SecretError> {
	use std::os::unix::fs::PermissionsExt;
	let unreadable =
		|source| SecretError::Unreadable { what: what.into(), path: path.to_path_buf(), source };
	let mode = std::fs::metadata(path).map_err(unreadable)?.permissions().mode();
	if mode & 0o077 != 0 {
		return Err(SecretError::Open {
			what: what.into(),
			path: path.to_path_buf(),
			mode: mode & 0o777,
		});
	}
	let text = std::fs::read_to_string(path).map_err(unreadable)?;
	let secret = text.trim();
	if secret.is_empty() {
		return Err(SecretError::Empty { what: what.into(), path: path.to_path_buf() });
	}
	Ok(secret.to_string())
}

/// The X25519 secret in `path`, as `iotrust-gateway channel keygen` wrote it (hex), with the same
/// checks as [`read_secret`].
pub fn read_channel_secret(
	path: &Path,
	what: &str,
) -> Result<iotrust_crypto::SecretKey, SecretError> {
	let text = read_secret(path, what)?;
	let bytes: [u8; 32] = hex::decode(text.trim_start_matches("0x"))
		.ok()
		.and_then(|b| b.try_into().ok())
		.ok_or_else(|| SecretError::NotAKey { what: what.into(), path: path.to_path_buf() })?;
	Ok(iotrust_crypto::SecretKey::from_bytes(bytes))
}
