//! `iotrust-gateway channel …`: a member's (or auditor's) client for private channels. It makes
//! X25519 keys, registers them, creates and changes channels, makes each epoch's key and seals it
//! to every recipient ([`iotrust_crypto`]), delivers keys to auditors and opens the keys sealed to
//! its own account. Every command prints one JSON object; decisions are in [`plan`].

pub mod audit;
pub mod plan;

use crate::keyring::{self, open};
use crate::{
	chain::{self, interface, AccountId, Call, Chain},
	ingest::telemetry::hex0x,
	secret::read_secret,
};
use anyhow::{anyhow, bail, Context};
use iotrust_crypto::{EpochKey, SecretKey};
use iotrust_primitives::{
	channels::{ChannelEpoch, ChannelId, KeyId, Role, SealedKey},
	merkle::SignedReading,
};
use serde_json::json;
use sp_core::Pair as _;
use std::path::{Path, PathBuf};

/// Private channels: keys, members, auditors.
#[derive(clap::Args)]
pub struct Args {
	/// The node's WebSocket RPC endpoint.
	#[arg(long, default_value = "ws://127.0.0.1:9944", global = true)]
	node: String,
	/// A file (mode 600) holding the secret URI of the account that signs and pays.
	#[arg(long, global = true)]
	account_file: Option<PathBuf>,
	/// A file (mode 600) holding the account's X25519 secret, as `channel keygen` wrote it.
	#[arg(long, global = true)]
	secret_file: Option<PathBuf>,
	#[command(subcommand)]
	action: Action,
}

#[derive(clap::Subcommand)]
enum Action {
	/// Make an X25519 secret, write it to `--out` (mode 600) and print its public key.
	Keygen {
		/// Where to write the secret (refused if it exists).
		#[arg(long)]
		out: PathBuf,
	},
	/// Register the public key of `--secret-file` for the account (`channels.setEncryptionKey`).
	Register,
	/// Create a channel owned by the account, then make and seal its first key (epoch 1).
	Create {
		/// The other members, `ACCOUNT:writer` or `ACCOUNT:reader`, comma-separated.
		#[arg(long, value_delimiter = ',')]
		members: Vec<String>,
		/// How long gateways keep its payloads, in blocks (default: until it closes).
		#[arg(long)]
		retention: Option<u32>,
	},
	/// Add and remove members (the owner), which starts a new epoch with a new key.
	Change {
		#[arg(long)]
		channel: ChannelId,
		/// Members to add, `ACCOUNT:writer` or `ACCOUNT:reader`, comma-separated.
		#[arg(long, value_delimiter = ',')]
		add: Vec<String>,
		/// Members to remove, comma-separated.
		#[arg(long, value_delimiter = ',')]
		remove: Vec<String>,
	},
	/// Start a new epoch with a new key (a writer), e.g. when `rekeyDue`.
	Rotate {
		#[arg(long)]
		channel: ChannelId,
	},
	/// Grant an auditor a window of blocks (the owner).
	Grant {
		#[arg(long)]
		channel: ChannelId,
		#[arg(long)]
		auditor: String,
		/// The window's first block.
		#[arg(long)]
		from: u32,
		/// The window's last block.
		#[arg(long)]
		until: u32,
	},
	/// End an auditor's grant now (the owner).
	Revoke {
		#[arg(long)]
		channel: ChannelId,
		#[arg(long)]
		auditor: String,
	},
	/// Deliver epoch keys to an auditor or a member (a writer): by default every epoch it may
	/// read (an auditor: those overlapping its window) that it does not hold yet.
	Deliver {
		#[arg(long)]
		channel: ChannelId,
		#[arg(long)]
		to: String,
		/// Only these epochs: `1,3` or `2-4`.
		#[arg(long)]
		epochs: Option<String>,
	},
	/// Open the account's key of an epoch (default: the current one) and check it against the
	/// chain's identifier.
	Open {
		#[arg(long)]
		channel: ChannelId,
		#[arg(long)]
		epoch: Option<ChannelEpoch>,
		/// Print the key itself (hex) too.
		#[arg(long)]
		show_key: bool,
	},
	/// Print a channel as the chain has it.
	Show {
		#[arg(long)]
		channel: ChannelId,
	},
	/// Set how long gateways keep the channel's payloads (the owner); without `--blocks`, until
	/// it closes.
	Retention {
		#[arg(long)]
		channel: ChannelId,
		#[arg(long)]
		blocks: Option<u32>,
	},
	/// Close the channel (the owner).
	Close {
		#[arg(long)]
		channel: ChannelId,
	},
	/// GET a gateway's URL (e.g. `http://127.0.0.1:8080/readings/0x…`) as a request signed by
	/// the account, valid for a minute: what a private device's readings and proofs need.
	Fetch {
		/// The URL, `http://HOST:PORT/PATH?QUERY`.
		#[arg(long)]
		url: String,
	},
	/// Export devices' readings for a period from a gateway, opened with the account's epoch
	/// keys, each with its anchor and proof: an NDJSON bundle that `channel verify` checks, or
	/// CSV for spreadsheets. Readings sealed in epochs the account holds no key of are counted,
	/// not exported.
	Export {
		/// The gateway's HTTP address, `http://HOST:PORT`.
		#[arg(long)]
		gateway: String,
		/// The devices (0x ids), comma-separated.
		#[arg(long, value_delimiter = ',', required = true)]
		devices: Vec<String>,
		/// The period's start, Unix ms (measured time; default: the first reading).
		#[arg(long)]
		from: Option<u64>,
		/// The period's end, Unix ms, included (default: the last reading).
		#[arg(long)]
		to: Option<u64>,
		/// `ndjson` (a bundle `channel verify` checks) or `csv`.
		#[arg(long, value_enum, default_value = "ndjson")]
		format: Format,
		/// Where to write it (refused if it exists).
		#[arg(long)]
		out: PathBuf,
	},
	/// Publish a document (a manifest, a price list, a certificate) to the channel (a writer):
	/// sealed under the current epoch's key, its hash recorded on chain
	/// (`channels.publishDocument`), its ciphertext uploaded to each gateway.
	Publish {
		#[arg(long)]
		channel: ChannelId,
		/// The document.
		#[arg(long)]
		file: PathBuf,
		/// The gateways to keep it, `http://HOST:PORT`, comma-separated.
		#[arg(long, value_delimiter = ',', required = true)]
		gateways: Vec<String>,
	},
	/// Fetch a document of the channel from a gateway (a member, or an auditor within its
	/// window), open it and check it against the chain's record; write it to `--out`.
	Document {
		#[arg(long)]
		channel: ChannelId,
		/// Its hash, as `publish` printed it.
		#[arg(long)]
		hash: String,
		/// The gateway, `http://HOST:PORT`.
		#[arg(long)]
		gateway: String,
		/// Where to write it (refused if it exists).
		#[arg(long)]
		out: PathBuf,
	},
	/// Open the sealed readings in a gateway's answer saved to a file (`channel fetch`'s output,
	/// or the body of `/readings` or `/proof`) with the account's epoch keys: the readings, and
	/// how many were sealed in epochs it holds no key of.
	Unseal {
		/// The saved answer.
		#[arg(long)]
		file: PathBuf,
	},
	/// Check an exported bundle against the chain at its finalized head, trusting no member and
	/// no gateway: each reading's signature, anchor and proof, and each sealed reading's epoch.
	/// Exits non-zero if any line fails.
	Verify {
		/// The NDJSON bundle `channel export` wrote.
		#[arg(long)]
		bundle: PathBuf,
	},
}

/// What `channel export` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Format {
	Ndjson,
	Csv,
}

/// Run one channel command.
pub async fn run(args: Args) -> anyhow::Result<()> {
	if let Action::Keygen { out } = &args.action {
		return keygen(out);
	}
	let signer = match &args.account_file {
		Some(path) => Some(chain::keypair(&read_secret(path, "--account-file")?)?),
		None => None,
	};
	let chain = Chain::connect(&args.node, signer).await?;
	chain.check_channel_interface().await?;
	let out = match args.action {
		Action::Keygen { .. } => unreachable!("handled above"),
		Action::Register => {
			let public = secret(&args.secret_file)?.public();
			chain.submit(&[Call::new(&interface::SET_ENCRYPTION_KEY, &public)]).await?;
			json!({ "account": me(&chain)?, "encryptionKey": hex0x(&public) })
		},
		Action::Create { members, retention } => {
			let members = members
				.iter()
				.map(|m| plan::parse_member(m))
				.collect::<Result<Vec<_>, _>>()
				.map_err(|e| anyhow!(e))?;
			let (_, events) = chain
				.submit(&[Call::new(&interface::CREATE_CHANNEL, &(members, retention))])
				.await?;
			let (channel, _) = interface::CHANNEL_CREATED
				.find(&events)
				.ok_or_else(|| anyhow!("the chain created the channel but reported no number"))?;
			let info = channel_info(&chain, channel).await?;
			let epoch = start_epoch(&chain, channel, &info, plan::recipients(&info), None).await?;
			json!({ "channel": channel, "epoch": epoch.0, "keyId": hex0x(&epoch.1) })
		},
		Action::Change { channel, add, remove } => {
			let add = add
				.iter()
				.map(|m| plan::parse_member(m))
				.collect::<Result<Vec<_>, _>>()
				.map_err(|e| anyhow!(e))?;
			let remove = remove
				.iter()
				.map(|a| plan::parse_account(a))
				.collect::<Result<Vec<_>, _>>()
				.map_err(|e| anyhow!(e))?;
			let info = channel_info(&chain, channel).await?;
			let to = plan::recipients_after(&info, &add, &remove);
			let epoch = start_epoch(&chain, channel, &info, to, Some((add, remove))).await?;
			json!({ "channel": channel, "epoch": epoch.0, "keyId": hex0x(&epoch.1) })
		},
		Action::Rotate { channel } => {
			let info = channel_info(&chain, channel).await?;
			let epoch = start_epoch(&chain, channel, &info, plan::recipients(&info), None).await?;
			json!({ "channel": channel, "epoch": epoch.0, "keyId": hex0x(&epoch.1) })
		},
		Action::Grant { channel, auditor, from, until } => {
			let auditor = plan::parse_account(&auditor).map_err(|e| anyhow!(e))?;
			let call = Call::new(&interface::GRANT_AUDITOR, &(channel, auditor, from, until));
			chain.submit(&[call]).await?;
			json!({ "channel": channel, "auditor": chain::ss58(&auditor), "from": from, "until": until })
		},
		Action::Revoke { channel, auditor } => {
			let auditor = plan::parse_account(&auditor).map_err(|e| anyhow!(e))?;
			chain.submit(&[Call::new(&interface::REVOKE_AUDITOR, &(channel, auditor))]).await?;
			json!({ "channel": channel, "auditor": chain::ss58(&auditor), "revoked": true })
		},
		Action::Deliver { channel, to, epochs } => {
			let to = plan::parse_account(&to).map_err(|e| anyhow!(e))?;
			let secret = secret(&args.secret_file)?;
			let delivered = deliver(&chain, &secret, channel, to, epochs.as_deref()).await?;
			json!({ "channel": channel, "to": chain::ss58(&to), "epochs": delivered })
		},
		Action::Open { channel, epoch, show_key } => {
			let secret = secret(&args.secret_file)?;
			let epoch = match epoch {
				Some(e) => e,
				None => channel_info(&chain, channel).await?.epoch,
			};
			let key = open(&chain, &secret, channel, epoch, &me(&chain)?).await?;
			let mut out = json!({
				"channel": channel,
				"epoch": epoch,
				"keyId": hex0x(&key.id(channel, epoch)),
			});
			if show_key {
				out["key"] = json!(hex0x(key.as_bytes()));
			}
			out
		},
		Action::Show { channel } => show(&channel_info(&chain, channel).await?),
		Action::Retention { channel, blocks } => {
			let call = Call::new(&interface::SET_CHANNEL_RETENTION, &(channel, blocks));
			chain.submit(&[call]).await?;
			json!({ "channel": channel, "retention": blocks })
		},
		Action::Close { channel } => {
			chain.submit(&[Call::new(&interface::CLOSE_CHANNEL, &channel)]).await?;
			json!({ "channel": channel, "closed": true })
		},
		Action::Fetch { url } => {
			fetch(&url, &request_signer(&args.account_file)?, &chain.genesis().0).await?
		},
		Action::Export { gateway, devices, from, to, format, out } => {
			let pair = request_signer(&args.account_file)?;
			let keyring = keyring::Keyring::new(me(&chain)?, secret(&args.secret_file)?);
			let period = (from, to);
			export(&chain, &pair, &keyring, &gateway, &devices, period, format, &out).await?
		},
		Action::Verify { bundle } => verify(&chain, &bundle).await?,
		Action::Publish { channel, file, gateways } => {
			let pair = request_signer(&args.account_file)?;
			let keyring = keyring::Keyring::new(me(&chain)?, secret(&args.secret_file)?);
			publish(&chain, &keyring, &pair, channel, &file, &gateways).await?
		},
		Action::Document { channel, hash, gateway, out } => {
			let pair = request_signer(&args.account_file)?;
			let keyring = keyring::Keyring::new(me(&chain)?, secret(&args.secret_file)?);
			document(&chain, &keyring, &pair, channel, &hash, &gateway, &out).await?
		},
		Action::Unseal { file } => {
			let keyring = keyring::Keyring::new(me(&chain)?, secret(&args.secret_file)?);
			let text = std::fs::read_to_string(&file)
				.with_context(|| format!("reading {}", file.display()))?;
			let saved: serde_json::Value =
				serde_json::from_str(&text).with_context(|| format!("{}", file.display()))?;
			let body = if saved["body"].is_object() { &saved["body"] } else { &saved };
			let entries = match body["readings"].as_array() {
				Some(list) => list.clone(),
				None => vec![body.clone()],
			};
			let (mut readings, mut withheld, mut purged) = (Vec::new(), 0u64, 0u64);
			let mut unreadable = Unreadable::new();
			for entry in &entries {
				match open_entry(&chain, &keyring, entry).await? {
					Opened::Reading(r, under) => {
						let mut v = crate::ingest::telemetry::reading_to_value(&r);
						if let Some((channel, epoch, _)) = under {
							v["channel"] = json!(channel);
							v["epoch"] = json!(epoch);
						}
						readings.push(v);
					},
					Opened::Unreadable(channel, epoch) => {
						*unreadable.entry((channel, epoch)).or_default() += 1
					},
					Opened::Withheld => withheld += 1,
					Opened::Purged => purged += 1,
				}
			}
			json!({
				"readings": readings,
				"unreadable": unreadable_json(&unreadable),
				"notSealedYet": withheld,
				"purged": purged,
			})
		},
	};
	println!("{out}");
	Ok(())
}

/// Write a fresh X25519 secret to `out` (mode 600) and print its public key.
fn keygen(out: &Path) -> anyhow::Result<()> {
	use std::{io::Write, os::unix::fs::OpenOptionsExt};
	let secret = SecretKey::generate();
	let mut file = std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.mode(0o600)
		.open(out)
		.with_context(|| format!("creating {}", out.display()))?;
	writeln!(file, "{}", hex::encode(secret.as_bytes()))?;
	println!("{}", json!({ "encryptionKey": hex0x(&secret.public()), "secretFile": out }));
	Ok(())
}

/// The X25519 secret in `--secret-file`.
fn secret(path: &Option<PathBuf>) -> anyhow::Result<SecretKey> {
	let path = path.as_ref().ok_or_else(|| anyhow!("this command needs --secret-file"))?;
	Ok(crate::secret::read_channel_secret(path, "--secret-file")?)
}

/// The signing account.
fn me(chain: &Chain) -> anyhow::Result<AccountId> {
	chain.account().ok_or_else(|| anyhow!("this command needs --account-file"))
}

async fn channel_info(chain: &Chain, channel: ChannelId) -> anyhow::Result<chain::ChannelInfo> {
	chain.channel(channel).await?.ok_or_else(|| anyhow!("there is no channel {channel}"))
}

/// Members to add (with their roles) and to remove.
type Change = (Vec<(AccountId, Role)>, Vec<AccountId>);

/// Make a new key for `channel`'s next epoch, seal it to each of `to` and submit it: as the
/// owner's `change_members` when `change` is given, else as `rotate_key`. The epoch and key id.
async fn start_epoch(
	chain: &Chain,
	channel: ChannelId,
	info: &chain::ChannelInfo,
	to: Vec<AccountId>,
	change: Option<Change>,
) -> anyhow::Result<(ChannelEpoch, KeyId)> {
	let epoch = info.epoch.checked_add(1).ok_or_else(|| anyhow!("the epoch overflows"))?;
	let key = EpochKey::generate();
	let key_id = key.id(channel, epoch);
	let keys = seal_to(chain, channel, epoch, &key, &to).await?;
	let call = match change {
		Some((add, remove)) => {
			Call::new(&interface::CHANGE_MEMBERS, &(channel, add, remove, key_id, keys))
		},
		None => Call::new(&interface::ROTATE_KEY, &(channel, key_id, keys)),
	};
	chain.submit(&[call]).await?;
	Ok((epoch, key_id))
}

/// `key`, the key of `channel`'s `epoch`, sealed to each of `to`'s registered keys.
async fn seal_to(
	chain: &Chain,
	channel: ChannelId,
	epoch: ChannelEpoch,
	key: &EpochKey,
	to: &[AccountId],
) -> anyhow::Result<Vec<(AccountId, SealedKey)>> {
	let mut keys = Vec::with_capacity(to.len());
	for who in to {
		let public = chain.encryption_key(who).await?.ok_or_else(|| {
			anyhow!("{} has registered no encryption key (`channel register`)", chain::ss58(who))
		})?;
		keys.push((*who, iotrust_crypto::seal_epoch_key(&public, channel, epoch, key)?));
	}
	Ok(keys)
}

/// Deliver `to` the keys of the epochs it may read and lacks (or only `only`), opened with the
/// caller's secret and sealed to `to`'s key. The epochs delivered.
async fn deliver(
	chain: &Chain,
	secret: &SecretKey,
	channel: ChannelId,
	to: AccountId,
	only: Option<&str>,
) -> anyhow::Result<Vec<ChannelEpoch>> {
	let me = me(chain)?;
	let info = channel_info(chain, channel).await?;
	let grant = info.auditors.iter().find(|a| a.account == to).map(|a| a.grant);
	let candidates = match only {
		Some(text) => plan::parse_epochs(text, info.epoch).map_err(|e| anyhow!(e))?,
		None => match grant {
			Some(_) => (1..=info.epoch).collect(),
			None => vec![info.epoch],
		},
	};
	let public = chain
		.encryption_key(&to)
		.await?
		.ok_or_else(|| anyhow!("{} has registered no encryption key", chain::ss58(&to)))?;
	let mut keys = Vec::new();
	for epoch in candidates {
		if chain.sealed_key(channel, epoch, &to).await?.is_some() {
			continue;
		}
		if let (Some(grant), None) = (grant, only) {
			let Some(e) = chain.channel_epoch(channel, epoch).await? else { continue };
			if !plan::overlaps(&grant, &e) {
				continue;
			}
		}
		let key = open(chain, secret, channel, epoch, &me).await?;
		keys.push((epoch, iotrust_crypto::seal_epoch_key(&public, channel, epoch, &key)?));
	}
	let epochs: Vec<ChannelEpoch> = keys.iter().map(|(e, _)| *e).collect();
	if !keys.is_empty() {
		chain.submit(&[Call::new(&interface::DELIVER_KEYS, &(channel, to, keys))]).await?;
	}
	Ok(epochs)
}

/// The sr25519 pair of `--account-file`, which signs HTTP requests.
fn request_signer(path: &Option<PathBuf>) -> anyhow::Result<sp_core::sr25519::Pair> {
	let path = path.as_ref().ok_or_else(|| anyhow!("this command needs --account-file"))?;
	sp_core::sr25519::Pair::from_string(&read_secret(path, "--account-file")?, None)
		.map_err(|e| anyhow!("--account-file: {e:?}"))
}

/// Write the bundle (or CSV) of `devices`' readings in `period` as `gateway` serves them to
/// `pair`'s account, opened with `keyring`. A summary.
#[allow(clippy::too_many_arguments)]
async fn export(
	chain: &Chain,
	pair: &sp_core::sr25519::Pair,
	keyring: &keyring::Keyring,
	gateway: &str,
	devices: &[String],
	period: (Option<u64>, Option<u64>),
	format: Format,
	out: &Path,
) -> anyhow::Result<serde_json::Value> {
	use std::io::Write;
	let genesis = chain.genesis().0;
	let mut file = std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.open(out)
		.with_context(|| format!("creating {}", out.display()))?;
	let mut unreadable = Unreadable::new();
	let (mut lines, mut not_anchored, mut purged) = (0u64, 0u64, 0u64);
	match format {
		Format::Ndjson => writeln!(
			file,
			"{}",
			json!({
				"format": audit::FORMAT,
				"genesis": hex0x(&genesis),
				"exportedBy": chain::ss58(&me(chain)?),
				"gateway": gateway,
				"devices": devices,
				"from": period.0,
				"to": period.1,
			})
		)?,
		Format::Csv => writeln!(file, "{}", audit::CSV_HEADER)?,
	}
	for device in devices {
		let device = crate::ingest::telemetry::parse_h256(device).map_err(|e| anyhow!("{e}"))?;
		let mut query = String::new();
		if let Some(from) = period.0 {
			query.push_str(&format!("&from={from}"));
		}
		if let Some(to) = period.1 {
			query.push_str(&format!("&to={to}"));
		}
		let mut after: Option<u64> = None;
		loop {
			let mut q = query.clone();
			if let Some(a) = after {
				q.push_str(&format!("&after={a}"));
			}
			let q = q.strip_prefix('&').map(|q| format!("?{q}")).unwrap_or_default();
			let url = format!("{gateway}/readings/{}{q}", hex0x(device.as_bytes()));
			let answer = fetch(&url, pair, &genesis).await?;
			if answer["status"] != 200 {
				bail!("{url}: {} {}", answer["status"], answer["body"]);
			}
			let body = &answer["body"];
			for entry in body["readings"].as_array().into_iter().flatten() {
				let at = |e: audit::AuditError| anyhow!("{url}: a reading: {e}");
				let opened = open_entry(chain, keyring, entry).await;
				let (reading, under) = match opened.with_context(|| format!("{url}: a reading"))? {
					Opened::Reading(r, under) => (r, under),
					Opened::Unreadable(channel, epoch) => {
						*unreadable.entry((channel, epoch)).or_default() += 1;
						continue;
					},
					Opened::Withheld => {
						not_anchored += 1;
						continue;
					},
					Opened::Purged => {
						purged += 1;
						continue;
					},
				};
				// The gateway's answer is not taken on trust: only this device, this period.
				let within = period.0.is_none_or(|f| reading.timestamp_ms >= f)
					&& period.1.is_none_or(|t| reading.timestamp_ms <= t);
				if reading.device != device || !within {
					bail!(
						"{url}: the gateway served reading {} of {:?} at {}, outside the request",
						reading.seq,
						reading.device,
						reading.timestamp_ms
					);
				}
				let Some(line) = audit::line(entry, &reading, under).map_err(at)? else {
					not_anchored += 1;
					continue;
				};
				match format {
					Format::Ndjson => writeln!(file, "{line}")?,
					Format::Csv => {
						for row in audit::csv_rows(&line) {
							writeln!(file, "{row}")?;
						}
					},
				}
				lines += 1;
			}
			match body["next"].as_u64() {
				None => break,
				Some(next) if after.is_some_and(|a| next <= a) => {
					bail!("{url}: the gateway's next page ({next}) does not move on");
				},
				next => after = next,
			}
		}
	}
	file.sync_all()?;
	Ok(json!({
		"out": out,
		"format": if format == Format::Csv { "csv" } else { "ndjson" },
		"readings": lines,
		"notAnchoredYet": not_anchored,
		"purged": purged,
		"unreadable": unreadable_json(&unreadable),
	}))
}

/// Readings sealed in epochs the account holds no key of, counted by channel and epoch.
type Unreadable = std::collections::BTreeMap<(ChannelId, ChannelEpoch), u64>;

fn unreadable_json(unreadable: &Unreadable) -> serde_json::Value {
	unreadable
		.iter()
		.map(
			|((channel, epoch), count)| json!({ "channel": channel, "epoch": epoch, "readings": count }),
		)
		.collect()
}

/// A served reading, opened.
enum Opened {
	/// The reading, and the channel, epoch and key identifier it was sealed under if it was.
	Reading(SignedReading, Option<(ChannelId, ChannelEpoch, KeyId)>),
	/// Sealed in a channel's epoch whose key the account does not hold (or the gateway's
	/// member does not).
	Unreadable(ChannelId, ChannelEpoch),
	/// Not served yet (a private reading not yet batched under an epoch).
	Withheld,
	/// Purged past its channel's retention.
	Purged,
}

/// The reading of one entry of a gateway's answer, opened with `keyring`'s keys if sealed.
async fn open_entry(
	chain: &Chain,
	keyring: &keyring::Keyring,
	entry: &serde_json::Value,
) -> anyhow::Result<Opened> {
	Ok(match audit::Served::of(entry)? {
		audit::Served::Plain(r) => Opened::Reading(r, None),
		audit::Served::Withheld => Opened::Withheld,
		audit::Served::Purged(_) => Opened::Purged,
		audit::Served::Unavailable(channel, epoch) => Opened::Unreadable(channel, epoch),
		audit::Served::Sealed(s) => match keyring.key(chain, s.channel, s.epoch).await {
			Err(keyring::KeyError::NotDelivered { .. }) => Opened::Unreadable(s.channel, s.epoch),
			Err(e) => return Err(e.into()),
			Ok(key) => {
				let id = key.id(s.channel, s.epoch);
				Opened::Reading(s.open(&key)?, Some((s.channel, s.epoch, id)))
			},
		},
	})
}

/// Check `bundle` against the chain: a summary, or an error naming the failed lines.
async fn verify(chain: &Chain, bundle: &Path) -> anyhow::Result<serde_json::Value> {
	let text =
		std::fs::read_to_string(bundle).with_context(|| format!("reading {}", bundle.display()))?;
	let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
	let (_, header) = lines.next().ok_or_else(|| anyhow!("{} is empty", bundle.display()))?;
	let header: serde_json::Value = serde_json::from_str(header).context("the header line")?;
	if header["format"] != audit::FORMAT {
		bail!("not an {} bundle (its header says {})", audit::FORMAT, header["format"]);
	}
	if header["genesis"] != hex0x(&chain.genesis().0) {
		bail!("the bundle is of chain {}, not of this node's", header["genesis"]);
	}
	let scope = audit::Scope::of(&header).map_err(|e| anyhow!("the header: {e}"))?;
	let mut anchors = std::collections::HashMap::new();
	let mut epochs = std::collections::HashMap::new();
	let mut seen = std::collections::HashSet::new();
	let (mut checked, mut failed) = (0u64, Vec::new());
	for (number, text) in lines {
		let why = async {
			let line: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
			let claim = audit::Claim::of(&line).map_err(|e| e.to_string())?;
			let verdict = chain
				.check_reading(claim.anchor, &claim.reading, &claim.proof)
				.await
				.map_err(|e| e.to_string())?;
			if !verdict.is_anchored() {
				return Err(format!("the chain does not confirm the reading: {verdict:?}"));
			}
			if let std::collections::hash_map::Entry::Vacant(e) = anchors.entry(claim.anchor) {
				e.insert(chain.anchor(claim.anchor).await.map_err(|e| e.to_string())?);
			}
			let anchor = anchors[&claim.anchor].as_ref().ok_or("the anchor is gone")?;
			let epoch = match claim.sealed_under {
				Some((channel, epoch, _)) => {
					if let std::collections::hash_map::Entry::Vacant(e) =
						epochs.entry((channel, epoch))
					{
						e.insert(
							chain.channel_epoch(channel, epoch).await.map_err(|e| e.to_string())?,
						);
					}
					epochs[&(channel, epoch)].as_ref()
				},
				None => None,
			};
			audit::check_line(&claim, &scope, &mut seen, anchor, epoch)
		}
		.await;
		checked += 1;
		if let Err(why) = why {
			failed.push(json!({ "line": number + 1, "why": why }));
		}
	}
	let summary = json!({ "bundle": bundle, "readings": checked, "failed": failed });
	if !failed.is_empty() {
		bail!("the bundle does not check out: {summary}");
	}
	Ok(json!({ "bundle": bundle, "readings": checked, "verified": true }))
}

/// GET `url` (plain HTTP) signed as `pair`'s account for the chain of `genesis`: the status and
/// the JSON body.
async fn fetch(
	url: &str,
	pair: &sp_core::sr25519::Pair,
	genesis: &[u8; 32],
) -> anyhow::Result<serde_json::Value> {
	let (status, body) = request("GET", url, None, pair, genesis).await?;
	let text = String::from_utf8_lossy(&body);
	let body: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or(json!(text.trim()));
	Ok(json!({ "status": status, "body": body }))
}

/// `method` `url` (plain HTTP) with `body`, signed as `pair`'s account for the chain of
/// `genesis`, valid for a minute: the status and the body.
async fn request(
	method: &str,
	url: &str,
	body: Option<&[u8]>,
	pair: &sp_core::sr25519::Pair,
	genesis: &[u8; 32],
) -> anyhow::Result<(u16, Vec<u8>)> {
	use tokio::io::{AsyncReadExt, AsyncWriteExt};
	let rest = url.strip_prefix("http://").ok_or_else(|| anyhow!("{url}: only http:// URLs"))?;
	let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
	let path = if path.is_empty() { "/" } else { path };
	let expires = (crate::clock::now_ms() / 1_000).saturating_add(60);
	let mut nonce = [0u8; 16];
	rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut nonce);
	let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
	for (name, value) in crate::api::access::sign(pair, genesis, method, path, expires, nonce) {
		head.push_str(&format!("{name}: {value}\r\n"));
	}
	if let Some(body) = body {
		head.push_str(&format!(
			"Content-Type: application/octet-stream\r\nContent-Length: {}\r\n",
			body.len()
		));
	}
	head.push_str("\r\n");
	let mut stream = tokio::net::TcpStream::connect(host)
		.await
		.with_context(|| format!("connecting to {host}"))?;
	stream.write_all(head.as_bytes()).await?;
	if let Some(body) = body {
		stream.write_all(body).await?;
	}
	// At most the largest document, sealed, and its headers: a gateway cannot fill the memory.
	let mut answer = Vec::new();
	let most = 16 * 1024 * 1024 + 64 * 1024;
	tokio::time::timeout(
		std::time::Duration::from_secs(30),
		(&mut stream).take(most as u64 + 1).read_to_end(&mut answer),
	)
	.await
	.map_err(|_| anyhow!("{url}: no answer within 30 s"))??;
	if answer.len() > most {
		bail!("{url}: the answer is larger than any document");
	}
	let split = answer
		.windows(4)
		.position(|w| w == b"\r\n\r\n")
		.ok_or_else(|| anyhow!("{url}: not an HTTP answer"))?;
	let head = String::from_utf8_lossy(&answer[..split]);
	let status: u16 = head
		.split_whitespace()
		.nth(1)
		.and_then(|s| s.parse().ok())
		.ok_or_else(|| anyhow!("{url}: not an HTTP answer"))?;
	Ok((status, answer[split + 4..].to_vec()))
}

/// Publish `file` to `channel`: sealed under the current epoch's key, its hash recorded on chain,
/// its ciphertext uploaded to each of `gateways`. What was published, and each gateway's answer.
async fn publish(
	chain: &Chain,
	keyring: &keyring::Keyring,
	pair: &sp_core::sr25519::Pair,
	channel: ChannelId,
	file: &Path,
	gateways: &[String],
) -> anyhow::Result<serde_json::Value> {
	let plain = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
	let size =
		u32::try_from(plain.len()).map_err(|_| anyhow!("{} is too large", file.display()))?;
	let hash = sp_io::hashing::blake2_256(&plain);
	// Published already (an upload to more gateways): seal as the chain records it.
	let recorded = chain.document(channel, &hash).await?;
	if let Some(record) = &recorded {
		if record.size != size {
			bail!("the chain records this hash with another size ({} bytes)", record.size);
		}
	}
	let epoch = match &recorded {
		Some(record) => record.epoch,
		None => channel_info(chain, channel).await?.epoch,
	};
	let key = keyring.key(chain, channel, epoch).await?;
	let sealed = iotrust_crypto::seal_payload(
		&key,
		channel,
		epoch,
		&iotrust_primitives::channels::PayloadKind::Document { hash },
		&plain,
	);
	if recorded.is_none() {
		chain
			.submit(&[Call::new(&interface::PUBLISH_DOCUMENT, &(channel, hash, epoch, size))])
			.await?;
	}
	let genesis = chain.genesis().0;
	let mut kept = Vec::new();
	for gateway in gateways {
		let url = format!("{gateway}/documents/{channel}/{}", hex0x(&hash));
		let (status, body) = request("PUT", &url, Some(&sealed), pair, &genesis).await?;
		if !(200..300).contains(&status) {
			bail!("{url}: {status} {}", String::from_utf8_lossy(&body));
		}
		kept.push(json!({ "gateway": gateway, "status": status }));
	}
	Ok(
		json!({ "channel": channel, "hash": hex0x(&hash), "epoch": epoch, "size": size, "gateways": kept }),
	)
}

/// Document `hash` of `channel` from `gateway`, opened and checked against the chain's record,
/// written to `out`.
async fn document(
	chain: &Chain,
	keyring: &keyring::Keyring,
	pair: &sp_core::sr25519::Pair,
	channel: ChannelId,
	hash: &str,
	gateway: &str,
	out: &Path,
) -> anyhow::Result<serde_json::Value> {
	let hash = crate::ingest::telemetry::parse_h256(hash).map_err(|e| anyhow!("{e}"))?.0;
	let record = chain.document(channel, &hash).await?.ok_or_else(|| {
		anyhow!("the chain records no document {} in channel {channel}", hex0x(&hash))
	})?;
	let url = format!("{gateway}/documents/{channel}/{}", hex0x(&hash));
	let (status, body) = request("GET", &url, None, pair, &chain.genesis().0).await?;
	if status != 200 {
		bail!("{url}: {status} {}", String::from_utf8_lossy(&body));
	}
	let key = keyring.key(chain, channel, record.epoch).await?;
	let kind = iotrust_primitives::channels::PayloadKind::Document { hash };
	let plain =
		iotrust_crypto::open_payload(&key, channel, record.epoch, &kind, &body).map_err(|_| {
			anyhow!("{url}: the document does not open under epoch {}'s key", record.epoch)
		})?;
	if sp_io::hashing::blake2_256(&plain) != hash || plain.len() != record.size as usize {
		bail!("{url}: the gateway's document is not the one the chain records");
	}
	use std::io::Write;
	let mut file = std::fs::OpenOptions::new()
		.write(true)
		.create_new(true)
		.open(out)
		.with_context(|| format!("creating {}", out.display()))?;
	file.write_all(&plain)?;
	file.sync_all()?;
	Ok(json!({
		"channel": channel,
		"hash": hex0x(&hash),
		"epoch": record.epoch,
		"size": record.size,
		"by": chain::ss58(&record.by),
		"at": record.at,
		"out": out,
	}))
}

/// A channel as JSON.
fn show(info: &chain::ChannelInfo) -> serde_json::Value {
	let role = |r: &Role| match r {
		Role::Writer => "writer",
		Role::Reader => "reader",
	};
	json!({
		"owner": chain::ss58(&info.owner),
		"members": info.members.iter().map(|m| json!({
			"account": chain::ss58(&m.account), "role": role(&m.role), "active": m.active,
		})).collect::<Vec<_>>(),
		"auditors": info.auditors.iter().map(|a| json!({
			"account": chain::ss58(&a.account), "from": a.grant.from, "until": a.grant.until,
			"active": a.active, "holdsCurrentKey": a.holds_current_key,
		})).collect::<Vec<_>>(),
		"epoch": info.epoch,
		"keyId": hex0x(&info.key_id),
		"retention": info.retention,
		"rekeyDue": info.rekey_due,
		"deliveriesDue": info.deliveries_due.iter().map(chain::ss58).collect::<Vec<_>>(),
		"closed": info.closed,
	})
}
