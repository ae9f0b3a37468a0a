//! `iotrust-gateway`: the gateway daemon (`run`), proof verification against the chain
//! (`verify`), and a device simulator (`simulate`).

mod anchorer;
mod batch;
mod cache;
mod chain;
mod config;
mod gateway;
mod group;
mod http;
mod ingest;
mod mqtt;
mod relay;
mod simulate;
mod stats;
mod store;
mod telemetry;
mod validate;

use clap::{Parser, Subcommand};
use std::{io::Read, path::PathBuf};

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
				gateway::run(config).await
			},
			Command::Verify { node, proof } => verify(&node, &proof).await,
			Command::Simulate(args) => simulate::run(args).await,
		}
	});
	if let Err(e) = result {
		eprintln!("error: {e:#}");
		std::process::exit(1);
	}
}

/// `verify`: the chain's verdict on a served proof.
async fn verify(node: &str, path: &std::path::Path) -> anyhow::Result<()> {
	let mut text = String::new();
	if path.as_os_str() == "-" {
		std::io::stdin().read_to_string(&mut text)?;
	} else {
		text = std::fs::read_to_string(path)?;
	}
	let v: serde_json::Value = serde_json::from_str(&text)?;
	let anchor = v["anchor"].as_u64().ok_or_else(|| anyhow::anyhow!("the proof has no anchor"))?;
	let reading =
		telemetry::reading_from_value(v["reading"].clone()).map_err(anyhow::Error::msg)?;
	let proof = telemetry::proof_from_value(&v["proof"]).map_err(anyhow::Error::msg)?;
	let chain = chain::Chain::connect(node, None).await.map_err(anyhow::Error::msg)?;
	let verdict =
		chain.check_reading(anchor, &reading, &proof).await.map_err(anyhow::Error::msg)?;
	let head = chain.anchor(anchor).await.map_err(anyhow::Error::msg)?;
	let out = serde_json::json!({
		"verdict": format!("{verdict:?}"),
		"anchor": anchor,
		"gateway": head.as_ref().map(|h| chain::ss58(&h.gateway)),
		"batch": head.as_ref().map(|h| h.batch),
		"root": head.as_ref().map(|h| telemetry::hex0x(h.root.as_bytes())),
		"readingCount": head.as_ref().map(|h| h.reading_count),
	});
	println!("{}", serde_json::to_string_pretty(&out)?);
	if !verdict.is_anchored() {
		anyhow::bail!("the chain does not confirm this reading: {verdict:?}");
	}
	Ok(())
}
