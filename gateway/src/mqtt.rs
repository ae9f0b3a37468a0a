//! How the gateway and the simulator reach the MQTT broker: its address (`host:port`,
//! `mqtt://host:port`, or `mqtts://host[:port]` for TLS), the certificate authority the broker's
//! certificate must chain to, and a username with a password read from a file only its owner
//! may read (or the environment) — never from the command line.

use rumqttc::{MqttOptions, TlsConfiguration, Transport};
use std::{path::PathBuf, time::Duration};

/// Where Debian keeps the system's trusted certificate authorities, used for `mqtts://` when no
/// CA file is named.
pub const SYSTEM_CA_FILE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The environment variable that may hold the broker password.
pub const PASSWORD_ENV: &str = "IOTRUST_MQTT_PASSWORD";

/// The broker's connection settings: flags of the gateway and the simulator, and keys of the
/// gateway's config file.
#[derive(serde::Deserialize, Default, Debug, Clone, clap::Args)]
pub struct BrokerSettings {
	/// The MQTT broker: `host:port` or `mqtt://host:port` in the clear, `mqtts://host[:port]`
	/// over TLS (port 8883 unless given) [default: 127.0.0.1:1883].
	#[arg(long)]
	pub mqtt: Option<String>,
	/// PEM file of the certificate authorities the broker's certificate must chain to; implies
	/// TLS [default for mqtts://: the system's, /etc/ssl/certs/ca-certificates.crt].
	#[arg(long)]
	pub mqtt_ca_file: Option<PathBuf>,
	/// The username to log in to the broker with [default: none, anonymous].
	#[arg(long)]
	pub mqtt_username: Option<String>,
	/// A file holding the broker password, readable by its owner only; IOTRUST_MQTT_PASSWORD if
	/// unset. Needs `mqtt_username`.
	#[arg(long)]
	pub mqtt_password_file: Option<PathBuf>,
}

impl BrokerSettings {
	/// Check and read everything (the CA file, the password).
	pub fn resolve(self) -> Result<Broker, BrokerError> {
		let address = self.mqtt.unwrap_or_else(|| "127.0.0.1:1883".into());
		let (scheme_tls, rest) = if let Some(rest) = address.strip_prefix("mqtts://") {
			(true, rest)
		} else if let Some(rest) = address.strip_prefix("mqtt://") {
			(false, rest)
		} else if address.contains("://") {
			return Err(BrokerError::Scheme(address));
		} else {
			(false, address.as_str())
		};
		let rest = rest.trim_end_matches('/');
		let tls = scheme_tls || self.mqtt_ca_file.is_some();
		let (host, port) = match rest.rsplit_once(':') {
			Some((host, port)) => {
				let port = port.parse::<u16>().map_err(|_| BrokerError::Port(address.clone()))?;
				(host, port)
			},
			None if scheme_tls => (rest, 8883),
			None if address.starts_with("mqtt://") => (rest, 1883),
			None => return Err(BrokerError::NotHostPort(address)),
		};
		if host.is_empty() {
			return Err(BrokerError::NoHost(address));
		}
		let ca = match (tls, &self.mqtt_ca_file) {
			(false, _) => None,
			(true, file) => {
				let path = file.clone().unwrap_or_else(|| PathBuf::from(SYSTEM_CA_FILE));
				let pem = std::fs::read(&path)
					.map_err(|source| BrokerError::CaFile { path: path.clone(), source })?;
				if !String::from_utf8_lossy(&pem).contains("-----BEGIN CERTIFICATE-----") {
					return Err(BrokerError::NoPem(path));
				}
				Some(pem)
			},
		};
		let password = match &self.mqtt_password_file {
			Some(path) => Some(crate::secret::read_secret(path, "mqtt_password_file")?),
			None => std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty()),
		};
		let credentials = match (self.mqtt_username, password) {
			(Some(user), password) => Some((user, password.unwrap_or_default())),
			(None, Some(_)) => return Err(BrokerError::PasswordWithoutUser),
			(None, None) => None,
		};
		Ok(Broker { host: host.to_string(), port, ca, credentials })
	}
}

/// Why the broker's settings do not resolve.
#[derive(Debug, thiserror::Error)]
pub enum BrokerError {
	/// A scheme other than `mqtt://` or `mqtts://`.
	#[error("mqtt {0:?}: the scheme must be mqtt:// or mqtts://")]
	Scheme(String),
	/// The port is not a number below 65536.
	#[error("mqtt {0:?}: bad port")]
	Port(String),
	/// Neither a scheme nor a port.
	#[error("mqtt {0:?} is not host:port")]
	NotHostPort(String),
	/// No host before the port.
	#[error("mqtt {0:?}: no host")]
	NoHost(String),
	/// The CA file cannot be read.
	#[error("mqtt_ca_file {}: {source}", path.display())]
	CaFile {
		/// The file.
		path: PathBuf,
		/// Why.
		source: std::io::Error,
	},
	/// The CA file holds no PEM certificate.
	#[error("mqtt_ca_file {}: no PEM certificate in it", .0.display())]
	NoPem(PathBuf),
	/// A password but no username.
	#[error("an MQTT password is set but no mqtt_username to go with it")]
	PasswordWithoutUser,
	/// The password file.
	#[error(transparent)]
	Password(#[from] crate::secret::SecretError),
}

/// The broker, resolved: where, how to trust it, who to log in as.
#[derive(Clone)]
pub struct Broker {
	/// Host name or IP address (also the name its TLS certificate must carry).
	pub host: String,
	/// TCP port.
	pub port: u16,
	/// PEM certificate authorities, when over TLS.
	pub ca: Option<Vec<u8>>,
	/// Username and password.
	pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for Broker {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "{self}")
	}
}

impl std::fmt::Display for Broker {
	/// The address as a URL, with the username but never the password.
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let scheme = if self.ca.is_some() { "mqtts" } else { "mqtt" };
		let user = self.credentials.as_ref().map(|(u, _)| format!("{u}@")).unwrap_or_default();
		write!(f, "{scheme}://{user}{}:{}", self.host, self.port)
	}
}

impl Broker {
	/// Options for a client `client_id` of this broker: TLS and login as set, keep-alive 15 s.
	pub fn options(&self, client_id: &str) -> MqttOptions {
		let mut opts = MqttOptions::new(client_id, &self.host, self.port);
		opts.set_keep_alive(Duration::from_secs(15));
		if let Some(ca) = &self.ca {
			opts.set_transport(Transport::tls_with_config(TlsConfiguration::Simple {
				ca: ca.clone(),
				alpn: None,
				client_auth: None,
			}));
		}
		if let Some((user, password)) = &self.credentials {
			opts.set_credentials(user, password);
		}
		opts
	}
}

/// Messages a connection's inbox holds at most. On a connection that acknowledges QoS 1
/// messages only once they are handled (ingest's, `manual_acks`), they never fill it: the broker
/// sends a client no more unacknowledged ones than its in-flight window. QoS 0 messages, and
/// every message of a connection that acknowledges on receipt, have no such window: past this,
/// they are dropped and counted.
pub const INBOX: usize = 20_000;

/// Drive a client's event loop: hand every message the broker delivers to `tx` (bounded: a
/// message that finds it full is dropped and counted in `dropped`, unless it is QoS 1 on a
/// connection with `manual_acks`, which waits for room, as the broker's in-flight window
/// bounds them), subscribe to `filters` (QoS 1) at every connection, and reconnect after a
/// second when the connection is lost. Ends once `tx`'s receiver is gone. `what` names the
/// connection in the log.
#[allow(clippy::too_many_arguments)] // reason: one call per connection, each argument named there
pub fn forward(
	mut eventloop: rumqttc::EventLoop,
	client: rumqttc::AsyncClient,
	filters: Vec<String>,
	tx: tokio::sync::mpsc::Sender<rumqttc::Publish>,
	manual_acks: bool,
	dropped: std::sync::Arc<std::sync::atomic::AtomicU64>,
	what: &'static str,
	broker: Broker,
) {
	use rumqttc::{Event, Packet, QoS};
	use tokio::sync::mpsc::error::TrySendError;
	tokio::spawn(async move {
		loop {
			match eventloop.poll().await {
				Ok(Event::Incoming(Packet::Publish(p))) => {
					let sent = if p.qos == QoS::AtMostOnce || !manual_acks {
						match tx.try_send(p) {
							Ok(()) => Ok(()),
							Err(TrySendError::Full(_)) => {
								dropped.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
								Ok(())
							},
							Err(TrySendError::Closed(_)) => Err(()),
						}
					} else {
						tx.send(p).await.map_err(|_| ())
					};
					if sent.is_err() {
						return;
					}
				},
				Ok(Event::Incoming(Packet::ConnAck(_))) => {
					tracing::info!(
						"{what}: connected to the MQTT broker {broker}; subscribing to {}",
						filters.join(" and ")
					);
					for filter in &filters {
						if let Err(e) = client.subscribe(filter, QoS::AtLeastOnce).await {
							tracing::warn!("{what}: subscribe {filter}: {e}");
						}
					}
				},
				Ok(_) => {},
				Err(e) => {
					tracing::warn!("{what}: MQTT {broker}: {e}; reconnecting in 1 s");
					tokio::time::sleep(Duration::from_secs(1)).await;
				},
			}
		}
	});
}

#[cfg(test)]
mod tests {
	use super::*;

	fn resolve(mqtt: &str) -> Result<Broker, BrokerError> {
		BrokerSettings { mqtt: Some(mqtt.into()), ..Default::default() }.resolve()
	}

	#[test]
	fn addresses_are_read_with_or_without_a_scheme() {
		let b = resolve("10.0.0.5:1884").unwrap();
		assert_eq!((b.host.as_str(), b.port, b.ca.is_none()), ("10.0.0.5", 1884, true));
		let b = resolve("mqtt://broker.plant").unwrap();
		assert_eq!((b.host.as_str(), b.port), ("broker.plant", 1883));
		assert!(matches!(resolve("http://x:1"), Err(BrokerError::Scheme(_))));
		assert!(matches!(resolve("nohost"), Err(BrokerError::NotHostPort(_))));
		assert!(matches!(resolve("x:notaport"), Err(BrokerError::Port(_))));
	}

	#[test]
	fn tls_needs_a_readable_ca_file() {
		let dir = tempfile::tempdir().unwrap();
		let ca = dir.path().join("ca.pem");
		std::fs::write(&ca, "not a certificate").unwrap();
		let settings = BrokerSettings {
			mqtt: Some("mqtts://broker".into()),
			mqtt_ca_file: Some(ca.clone()),
			..Default::default()
		};
		let err = settings.clone().resolve().unwrap_err();
		assert!(matches!(err, BrokerError::NoPem(_)), "{err}");
		std::fs::write(&ca, "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n").unwrap();
		let b = settings.resolve().unwrap();
		assert_eq!((b.port, b.ca.is_some()), (8883, true));
		assert_eq!(b.to_string(), "mqtts://broker:8883");
	}

	#[test]
	fn a_password_file_open_to_others_is_refused() {
		use std::os::unix::fs::PermissionsExt;
		let dir = tempfile::tempdir().unwrap();
		let file = dir.path().join("pw");
		std::fs::write(&file, "s3cret\n").unwrap();
		std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
		let settings = BrokerSettings {
			mqtt_username: Some("gw".into()),
			mqtt_password_file: Some(file.clone()),
			..Default::default()
		};
		let err = settings.clone().resolve().unwrap_err();
		assert!(err.to_string().contains("chmod 600"), "{err}");
		std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
		let b = settings.resolve().unwrap();
		assert_eq!(b.credentials, Some(("gw".into(), "s3cret".into())));
		// The password never shows in logs.
		assert_eq!(format!("{b:?}"), "mqtt://gw@127.0.0.1:1883");
	}
}
