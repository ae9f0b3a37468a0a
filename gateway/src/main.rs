//! `iotrust-gateway`: the gateway daemon (`run`), proof verification against the chain
//! (`verify`), a device simulator (`simulate`) and a private channels client (`channel`).

mod anchor;
mod api;
mod batch;
mod chain;
mod channel;
mod clock;
mod config;
mod daemon;
mod group;
mod ingest;
mod keyring;
mod lifecycle;
mod limits;
mod mqtt;
mod relay;
mod retention;
mod secret;
mod serving;
mod simulate;
mod stats;
mod store;
mod verify;

use clap::{Parser, Subcommand};
use std::path::PathBuf;

/// iotrust gateway: MQTT telemetry in, checked readings anchored on chain in Merkle batches,
/// proofs served over HTTP.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand)]
enum Command {
	/// Run the gateway.
	Run {
		/// A TOML settings file; flags override its keys.
		#[arg(long)]
		config: Option<PathBuf>,
		#[command(flatten)]
		settings: config::Settings,
	},
	/// Check a proof (as `GET /proof/<device>/<seq>` serves it) against the chain: prints the
	/// chain's verdict and exits 0 only if the reading is anchored.
	Verify {
		/// The node's WebSocket RPC endpoint.
		#[arg(long, default_value = "ws://127.0.0.1:9944")]
		node: String,
		/// The proof's JSON file, or `-` for standard input.
		proof: PathBuf,
	},
	/// Register simulated devices (if needed) and publish signed readings over MQTT.
	Simulate(simulate::Args),
	/// Private channels: encryption keys, members, epochs, auditors.
	Channel(channel::Args),
}

fn main() {
	tracing_subscriber::fmt()
		.with_env_filter(
			tracing_subscriber::EnvFilter::try_from_default_env()
				.unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
		)
		.with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
		.init();
	let cli = Cli::parse();
	let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
		Ok(rt) => rt,
		Err(e) => {
			eprintln!("error: cannot start the async runtime: {e}");
			std::process::exit(1);
		},
	};
	let result = runtime.block_on(async move {
		match cli.command {
			Command::Run { config, settings } => {
				let config = config::Settings::load(config.as_deref(), settings)
					.and_then(config::Settings::resolve)
					.map_err(anyhow::Error::msg)?;
				daemon::run(config).await
			},
			Command::Verify { node, proof } => verify::run(&node, &proof).await,
			Command::Simulate(args) => simulate::run(args).await,
			Command::Channel(args) => channel::run(args).await,
		}
	});
	if let Err(e) = result {
		eprintln!("error: {e:#}");
		std::process::exit(1);
	}
}
