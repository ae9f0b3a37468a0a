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
