//! The gateway's settings: a TOML file (`--config`), each key overridable by a flag of the same
//! name. See docs/gateway.md, "Configuration reference", for every key.

use serde::Deserialize;
use std::path::PathBuf;

/// Settings as read from the file and the flags; every key optional until [`Settings::resolve`].
#[derive(Deserialize, Default, Debug, Clone, clap::Args)]
pub struct Settings {
	/// The node's WebSocket RPC endpoint [default: ws://127.0.0.1:9944].
	#[arg(long)]
	pub node: Option<String>,
	/// A file holding the gateway account's secret URI (`//Dave`, a phrase, `phrase//path`),
	/// readable by its owner only; `IOTRUST_GATEWAY_SECRET` if unset. Never the secret itself
	/// on the command line, where other users see it.
	#[arg(long)]
	pub account_file: Option<PathBuf>,
	/// The broker and how to log in to it (`mqtt`, `mqtt_ca_file`, `mqtt_username`,
	/// `mqtt_password_file`).
	#[command(flatten)]
	#[serde(flatten)]
	pub broker: crate::mqtt::BrokerSettings,
	/// The MQTT client id; keep it stable, the broker keeps its session (and queues messages)
	/// under it [default: iotrust-gateway].
	#[arg(long)]
	pub client_id: Option<String>,
	/// The database file [default: gateway-data/gateway.redb].
	#[arg(long)]
	pub db: Option<PathBuf>,
	/// Where to serve proofs and stats, host:port [default: 127.0.0.1:8080].
	#[arg(long)]
	pub http: Option<String>,
	/// A batch is cut once this many readings wait [default: 20000].
	#[arg(long)]
	pub batch_max_readings: Option<usize>,
	/// The most devices one batch covers; devices take turns [default: as many as the chain
	/// takes in one anchor, read from it].
	#[arg(long)]
	pub batch_max_devices: Option<usize>,
	/// Batches submitted and not yet finalized, at most [default: 128].
	#[arg(long)]
	pub max_in_flight: Option<usize>,
	/// Batches being handed to the node's transaction pool at once, at most [default: 1].
	#[arg(long)]
	pub max_submitting: Option<usize>,
	/// ... or once the oldest waiting reading is this old, in ms [default: 2000].
	#[arg(long)]
	pub batch_window_ms: Option<u64>,
	/// Seconds between progress lines in the log [default: 10].
	#[arg(long)]
	pub progress_secs: Option<u64>,
	/// The device owners (SS58 addresses) this gateway agrees to serve: only they may bind
	/// devices to it. At start the gateway records its consent on chain for each it does not
	/// serve yet (`devices.serveOwner`, which holds a small deposit). Repeat the flag or separate
	/// addresses with commas [default: none].
	#[arg(long = "serve-owner", value_delimiter = ',')]
	pub serve_owners: Option<Vec<String>>,
	/// Run as a member gateway of this gateway group (its id on chain): readings of the
	/// group's devices are anchored only with the group's threshold signature, after each
	/// signer checked them itself (see docs/gateway.md, "Gateway groups") [default: none, the
	/// gateway anchors alone].
	#[arg(long)]
	pub group: Option<u32>,
	/// In a group: how long a coordinator has to get its batch signed and anchored before the
	/// next member takes over, in ms [default: 12000].
	#[arg(long)]
	pub group_round_ms: Option<u64>,
	/// Readings one device may send a second (bursts of ten times as many); more are dropped
	/// and counted as `rate_limited` [default: 100].
	#[arg(long)]
	pub device_rate: Option<u32>,
	/// A file (mode 600) holding the X25519 secret of a channel member's account, as
	/// `iotrust-gateway channel keygen` wrote it: the gateway opens that account's epoch keys
	/// with it and serves private devices' readings sealed under them (see docs/channels.md)
	/// [default: none; private devices' readings are not served].
	#[arg(long)]
	pub channel_secret_file: Option<PathBuf>,
	/// The member account (SS58) whose epoch keys `channel_secret_file` opens [default: the
	/// gateway's account].
	#[arg(long)]
	pub channel_account: Option<String>,
}

/// Settings with every default filled in.
#[derive(Debug, Clone)]
pub struct Config {
	pub node: String,
	pub account: String,
	pub broker: crate::mqtt::Broker,
	pub client_id: String,
	pub db: PathBuf,
	pub http: String,
	pub batch_max_readings: usize,
	pub batch_max_devices: usize,
	pub max_in_flight: usize,
	pub max_submitting: usize,
	pub batch_window_ms: u64,
	pub progress_secs: u64,
	pub serve_owners: Vec<crate::chain::AccountId>,
	pub group: Option<u32>,
	pub group_round_ms: u64,
	pub device_rate: u32,
	/// The channel member's secret, and whose it is (`None`: the gateway's account).
	pub channel_keys: Option<(iotrust_crypto::SecretKey, Option<crate::chain::AccountId>)>,
}

/// Why the settings do not make a configuration.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
	/// The configuration file cannot be read.
	#[error("cannot read {}: {source}", path.display())]
	Read {
		/// The file.
		path: PathBuf,
		/// Why.
		source: std::io::Error,
	},
	/// It is not TOML, or a value has the wrong type.
	#[error("{}: {source}", path.display())]
	Toml {
		/// The file.
		path: PathBuf,
		/// Why.
		source: toml::de::Error,
	},
	/// It has a key that is no setting.
	#[error("{}: unknown field `{key}`", path.display())]
	UnknownField {
		/// The file.
		path: PathBuf,
		/// The key.
		key: String,
	},
	/// No account to sign with.
	#[error(
		"the gateway account is not set: --account-file, `account_file` in the config file, or IOTRUST_GATEWAY_SECRET"
	)]
	NoAccount,
	/// A setting that must be at least 1 is 0.
	#[error("{0} must be at least 1")]
	Zero(&'static str),
	/// A setting that means nothing without another.
	#[error("{0} is set without {1}")]
	Lone(&'static str, &'static str),
	/// A served owner (or the channel account) is not an SS58 address.
	#[error("{address:?} is not an SS58 address ({why})")]
	NotSs58 {
		/// What was given.
		address: String,
		/// Why it is not one.
		why: String,
	},
	/// The account file.
	#[error(transparent)]
	Secret(#[from] crate::secret::SecretError),
	/// The broker's settings.
	#[error(transparent)]
	Broker(#[from] crate::mqtt::BrokerError),
}

impl Settings {
	/// The file's settings with the flags' on top.
	pub fn load(file: Option<&std::path::Path>, flags: Settings) -> Result<Self, ConfigError> {
		let base: Settings = match file {
			Some(path) => {
				let text = std::fs::read_to_string(path)
					.map_err(|source| ConfigError::Read { path: path.into(), source })?;
				let table: toml::Table = toml::from_str(&text)
					.map_err(|source| ConfigError::Toml { path: path.into(), source })?;
				// Every key is a flag's name (serde's own check does not reach flattened keys).
				let command = <Settings as clap::Args>::augment_args(clap::Command::new("run"));
				let known: Vec<&str> =
					command.get_arguments().map(|a| a.get_id().as_str()).collect();
				if let Some(key) = table.keys().find(|k| !known.contains(&k.as_str())) {
					return Err(ConfigError::UnknownField { path: path.into(), key: key.clone() });
				}
				table
					.try_into()
					.map_err(|source| ConfigError::Toml { path: path.into(), source })?
			},
			None => Settings::default(),
		};
		Ok(Settings {
			node: flags.node.or(base.node),
			account_file: flags.account_file.or(base.account_file),
			broker: crate::mqtt::BrokerSettings {
				mqtt: flags.broker.mqtt.or(base.broker.mqtt),
				mqtt_ca_file: flags.broker.mqtt_ca_file.or(base.broker.mqtt_ca_file),
				mqtt_username: flags.broker.mqtt_username.or(base.broker.mqtt_username),
				mqtt_password_file: flags
					.broker
					.mqtt_password_file
					.or(base.broker.mqtt_password_file),
			},
			client_id: flags.client_id.or(base.client_id),
			db: flags.db.or(base.db),
			http: flags.http.or(base.http),
			batch_max_readings: flags.batch_max_readings.or(base.batch_max_readings),
			batch_max_devices: flags.batch_max_devices.or(base.batch_max_devices),
			max_in_flight: flags.max_in_flight.or(base.max_in_flight),
			max_submitting: flags.max_submitting.or(base.max_submitting),
			batch_window_ms: flags.batch_window_ms.or(base.batch_window_ms),
			progress_secs: flags.progress_secs.or(base.progress_secs),
			serve_owners: flags.serve_owners.or(base.serve_owners),
			group: flags.group.or(base.group),
			group_round_ms: flags.group_round_ms.or(base.group_round_ms),
			device_rate: flags.device_rate.or(base.device_rate),
			channel_secret_file: flags.channel_secret_file.or(base.channel_secret_file),
			channel_account: flags.channel_account.or(base.channel_account),
		})
	}

	/// Fill in the defaults; fails on a missing account or a malformed broker address.
	pub fn resolve(self) -> Result<Config, ConfigError> {
		let account = match &self.account_file {
			Some(path) => crate::secret::read_secret(path, "account_file")?,
			None => std::env::var("IOTRUST_GATEWAY_SECRET").map_err(|_| ConfigError::NoAccount)?,
		};
		let broker = self.broker.resolve()?;
		let batch_max_readings = self.batch_max_readings.unwrap_or(20_000);
		if batch_max_readings == 0 {
			return Err(ConfigError::Zero("batch_max_readings"));
		}
		// The chain's own limit applies besides, read from it at start.
		let batch_max_devices = self.batch_max_devices.unwrap_or(usize::MAX);
		if batch_max_devices == 0 {
			return Err(ConfigError::Zero("batch_max_devices"));
		}
		let max_in_flight = self.max_in_flight.unwrap_or(128);
		if max_in_flight == 0 {
			return Err(ConfigError::Zero("max_in_flight"));
		}
		let max_submitting = self.max_submitting.unwrap_or(1);
		if max_submitting == 0 {
			return Err(ConfigError::Zero("max_submitting"));
		}
		let ss58 = |a: &String| {
			use sp_core::crypto::Ss58Codec;
			sp_core::crypto::AccountId32::from_ss58check(a)
				.map(|id| *id.as_ref())
				.map_err(|e| ConfigError::NotSs58 { address: a.clone(), why: format!("{e:?}") })
		};
		let serve_owners = self
			.serve_owners
			.unwrap_or_default()
			.iter()
			.map(ss58)
			.collect::<Result<Vec<_>, _>>()?;
		let channel_account = self.channel_account.as_ref().map(ss58).transpose()?;
		let channel_keys = match &self.channel_secret_file {
			Some(path) => Some((
				crate::secret::read_channel_secret(path, "channel_secret_file")?,
				channel_account,
			)),
			None if channel_account.is_some() => {
				return Err(ConfigError::Lone("channel_account", "channel_secret_file"))
			},
			None => None,
		};
		Ok(Config {
			node: self.node.unwrap_or_else(|| "ws://127.0.0.1:9944".into()),
			account,
			broker,
			client_id: self.client_id.unwrap_or_else(|| "iotrust-gateway".into()),
			db: self.db.unwrap_or_else(|| PathBuf::from("gateway-data/gateway.redb")),
			http: self.http.unwrap_or_else(|| "127.0.0.1:8080".into()),
			batch_max_readings,
			batch_max_devices,
			max_in_flight,
			max_submitting,
			batch_window_ms: self.batch_window_ms.unwrap_or(2_000),
			progress_secs: self.progress_secs.unwrap_or(10).max(1),
			serve_owners,
			group: self.group,
			group_round_ms: self.group_round_ms.unwrap_or(12_000).max(1_000),
			device_rate: self.device_rate.unwrap_or(100).max(1),
			channel_keys,
		})
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn flags_override_the_file_and_defaults_fill_the_rest() {
		let dir = tempfile::tempdir().unwrap();
		let path = dir.path().join("gateway.toml");
		let secret = owner_only(&dir, "//Dave\n");
		std::fs::write(
			&path,
			format!(
				"node = \"ws://10.0.0.1:9944\"\naccount_file = \"{}\"\nbatch_window_ms = 500\n",
				secret.display()
			),
		)
		.unwrap();
		let flags = Settings { batch_window_ms: Some(100), ..Default::default() };
		let config = Settings::load(Some(&path), flags).unwrap().resolve().unwrap();
		assert_eq!(config.node, "ws://10.0.0.1:9944");
		assert_eq!(config.batch_window_ms, 100);
		assert_eq!(config.broker.to_string(), "mqtt://127.0.0.1:1883");
		assert!(config.serve_owners.is_empty());
		// As many devices a batch as the chain takes, unless told fewer; at least one.
		assert_eq!(config.batch_max_devices, usize::MAX);
		assert_eq!(config.max_in_flight, 128);
		assert_eq!(config.max_submitting, 1);
		let flags = Settings {
			account_file: Some(secret.clone()),
			batch_max_devices: Some(0),
			..Default::default()
		};
		assert!(matches!(flags.resolve(), Err(ConfigError::Zero("batch_max_devices"))));
		// Owners it serves, from the file; a malformed address is refused.
		let charlie = "5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y";
		std::fs::write(
			&path,
			format!("account_file = \"{}\"\nserve_owners = [\"{charlie}\"]\n", secret.display()),
		)
		.unwrap();
		let config = Settings::load(Some(&path), Settings::default()).unwrap().resolve().unwrap();
		assert_eq!(config.serve_owners.len(), 1);
		std::fs::write(
			&path,
			format!("account_file = \"{}\"\nserve_owners = [\"5Fnope\"]\n", secret.display()),
		)
		.unwrap();
		let err = Settings::load(Some(&path), Settings::default()).unwrap().resolve().unwrap_err();
		assert!(
			matches!(&err, ConfigError::NotSs58 { address, .. } if address == "5Fnope"),
			"{err}"
		);
		// The broker's keys are read from the file like the others.
		std::fs::write(
			&path,
			format!("account_file = \"{}\"\nmqtt = \"10.0.0.5:1884\"\n", secret.display()),
		)
		.unwrap();
		let config = Settings::load(Some(&path), Settings::default()).unwrap().resolve().unwrap();
		assert_eq!(config.broker.to_string(), "mqtt://10.0.0.5:1884");
		std::fs::write(&path, "nodes = 1\n").unwrap();
		let err = Settings::load(Some(&path), Settings::default()).unwrap_err();
		assert!(matches!(&err, ConfigError::UnknownField { key, .. } if key == "nodes"), "{err}");
	}

	/// A secret file readable by its owner only.
	fn owner_only(dir: &tempfile::TempDir, text: &str) -> PathBuf {
		use std::os::unix::fs::PermissionsExt;
		let path = dir.path().join("secret");
		std::fs::write(&path, text).unwrap();
		std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
		path
	}

	/// The signing secret is read from a file only its owner can read: one that others may
	/// read is refused, as is an empty one.
	#[test]
	fn the_secret_comes_from_a_file_only_its_owner_reads() {
		use std::os::unix::fs::PermissionsExt;
		let dir = tempfile::tempdir().unwrap();
		let secret = owner_only(&dir, "  //Dave\n");
		let flags = Settings { account_file: Some(secret.clone()), ..Default::default() };
		assert_eq!(flags.clone().resolve().unwrap().account, "//Dave");
		std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o644)).unwrap();
		let err = flags.clone().resolve().unwrap_err().to_string();
		assert!(err.contains("may be read by others") && err.contains("chmod 600"), "{err}");
		std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
		std::fs::write(&secret, "\n").unwrap();
		let err = flags.resolve().unwrap_err();
		assert!(matches!(err, ConfigError::Secret(crate::secret::SecretError::Empty { .. })));
	}
}
