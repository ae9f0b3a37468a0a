//! iotrust-chain-bench: how many transactions the chain takes in and finalizes, and how fast.
//!
//! Funds `--accounts` accounts (`//bench//0`, `//bench//1`, …) from `--funder`, signs
//! `--rate` × `--duration` transactions of the chosen workload in advance, spreads them over the
//! nodes' RPC endpoints at `--rate` per second (each account's on one connection, in nonce
//! order), and follows the first node's best and finalized blocks. It reports included and
//! finalized throughput (from block timestamps), submit → in-block and submit → finalized
//! latency percentiles, block fullness (weight and length) and the CPU each `--pid` used, as a
//! markdown table, JSON (`--json`) and an SVG plot (`--svg`).

mod chain;
mod report;
mod watch;
mod workload;

use anyhow::{bail, Context, Result};
use chain::{pair, ChainIds, Node};
use clap::Parser;
use iotrust_runtime::{Address, RuntimeCall, UNIT};
use sp_core::{sr25519, Pair, H256};
use std::{
	path::PathBuf,
	sync::Arc,
	time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};
use workload::{Prepared, Workload};

#[derive(Parser, Debug)]
#[command(version, about = "Load an iotrust chain and measure what it includes and finalizes")]
pub struct Args {
	/// A node's RPC endpoint (ws://…); repeat to spread the load. Blocks are followed on the first.
	#[arg(long = "url", required_unless_present = "replot")]
	pub urls: Vec<String>,
	/// Only redraw the plot (`--svg`) of an earlier run from its JSON, and exit.
	#[arg(long, value_name = "JSON")]
	pub replot: Option<PathBuf>,
	/// What the transactions do.
	#[arg(long, value_enum, default_value = "transfer")]
	pub workload: Workload,
	/// Transactions submitted per second.
	#[arg(long, default_value_t = 1000)]
	pub rate: u32,
	/// Seconds of load.
	#[arg(long, default_value_t = 60)]
	pub duration: u32,
	/// Sending accounts (each gets one RPC connection and sends in nonce order).
	#[arg(long, default_value_t = 1000)]
	pub accounts: u32,
	/// The account that funds the sending accounts.
	#[arg(long, default_value = "//Alice")]
	pub funder: String,
	/// IOTR given to each sending account (default: what its share of the workload costs).
	#[arg(long)]
	pub fund: Option<u32>,
	/// Devices in each anchored batch (`--workload anchor`), at most the chain's
	/// `MaxDevicesPerBatch`.
	#[arg(long, default_value_t = 100)]
	pub devices: u32,
	/// Seconds to wait after the last submission for everything to be finalized.
	#[arg(long, default_value_t = 60)]
	pub settle: u32,
	/// RPC connections per endpoint used for submitting.
	#[arg(long, default_value_t = 4)]
	pub connections: usize,
	/// `name=pid` of a process whose CPU time is reported; repeat for each node.
	#[arg(long = "pid")]
	pub pids: Vec<String>,
	/// Write the figures and per-second series as JSON here.
	#[arg(long)]
	pub json: Option<PathBuf>,
	/// Write a plot of submitted, included and finalized transactions per second here.
	#[arg(long)]
	pub svg: Option<PathBuf>,
	/// A line describing the run (commit, machine, topology), printed with the figures.
	#[arg(long, default_value = "")]
	pub label: String,
}

/// One submitted transaction.
pub struct Sent {
	pub hash: H256,
	/// Seconds after the start.
	pub at: f64,
	/// The pool's refusal, if it refused it.
	pub refused: Option<String>,
}

/// Give every account `amount` from `funder`, in `utility.batch_all`s of 500, and wait until
/// they are finalized.
async fn fund(
	node: &Node,
	ids: ChainIds,
	funder: &sr25519::Pair,
	accounts: &[sr25519::Pair],
	amount: u128,
) -> Result<()> {
	let mut nonce = node.next_nonce(&funder.public()).await?;
	let mut batches = Vec::new();
	for chunk in accounts.chunks(500) {
		let calls = chunk
			.iter()
			.map(|a| {
				RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
					dest: Address::Id(a.public().into()),
					value: amount,
				})
			})
			.collect();
		let batch = RuntimeCall::Utility(pallet_utility::Call::batch_all { calls });
		batches.push(ids.sign(funder, nonce, batch));
		nonce += 1;
	}
	node.finalize_all(&batches, batches.len().max(1)).await.context("funding the bench accounts")
}

/// Sign every transaction in advance, on every core: round after round over the accounts, so
/// each account's nonces go out in order.
fn presign(
	ids: ChainIds,
	workload: Workload,
	prepared: &Prepared,
	accounts: &[sr25519::Pair],
	nonces: &[u32],
	total: usize,
) -> Vec<(usize, Vec<u8>)> {
	let n = accounts.len();
	let threads = std::thread::available_parallelism().map(|p| p.get()).unwrap_or(1);
	let per = total.div_ceil(threads);
	std::thread::scope(|s| {
		let handles: Vec<_> = (0..threads)
			.map(|t| {
				s.spawn(move || {
					(t * per..((t + 1) * per).min(total))
						.map(|i| {
							let (round, a) = (i / n, i % n);
							let nonce = nonces[a] + round as u32;
							let call =
								prepared.call(workload, &ids, accounts, a, round as u32, nonce);
							(a, ids.sign(&accounts[a], nonce, call))
						})
						.collect::<Vec<_>>()
				})
			})
			.collect();
		handles.into_iter().flat_map(|h| h.join().expect("signing thread")).collect()
	})
}

/// Seconds of CPU (user + system) process `pid` has used, from /proc.
pub fn cpu_seconds(pid: &str) -> Option<f64> {
	let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
	// Fields after the command name, which is in parentheses and may contain spaces.
	let rest = &stat[stat.rfind(')')? + 2..];
	let fields: Vec<&str> = rest.split_whitespace().collect();
	let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
	Some(ticks / 100.0)
}

#[tokio::main]
async fn main() -> Result<()> {
	let args = Args::parse();
	if let Some(json) = &args.replot {
		let run: serde_json::Value = serde_json::from_slice(&std::fs::read(json)?)?;
		let svg = report::svg_from_json(&run).context("not the JSON of a run")?;
		let out = args.svg.clone().unwrap_or_else(|| json.with_extension("svg"));
		std::fs::write(&out, svg)?;
		return Ok(());
	}
	if args.rate == 0 || args.duration == 0 || args.accounts < 2 {
		bail!("--rate and --duration must be positive and --accounts at least 2");
	}
	let max_devices =
		<<iotrust_runtime::Runtime as pallet_anchoring::Config>::MaxDevicesPerBatch as frame_support::traits::Get<u32>>::get();
	if args.devices == 0 || args.devices > max_devices {
		bail!("--devices must be between 1 and the chain's MaxDevicesPerBatch, {max_devices}");
	}
	let first = Node::connect(&args.urls[0], 4096).await?;
	let ids = ChainIds::of(&first).await?;
	eprintln!(
		"chain {:?}, spec {} tx {}; {} endpoint(s)",
		ids.genesis,
		ids.spec_version,
		ids.tx_version,
		args.urls.len()
	);

	let accounts: Vec<sr25519::Pair> =
		(0..args.accounts).map(|i| pair(&format!("//bench//{i}"))).collect::<Result<_>>()?;
	let funder = pair(&args.funder)?;
	let total = args.rate as usize * args.duration as usize;
	let rounds = total.div_ceil(accounts.len()) as u32;
	let t = Instant::now();
	let fund_each = args.fund.unwrap_or_else(|| workload::funding(args.workload, rounds));
	fund(&first, ids, &funder, &accounts, u128::from(fund_each) * UNIT).await?;
	eprintln!("funded {} accounts in {:.1} s", accounts.len(), t.elapsed().as_secs_f64());

	let t = Instant::now();
	let salt = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
	let prepared = Prepared::set_up(
		args.workload,
		&first,
		ids,
		&funder,
		&accounts,
		rounds,
		args.devices,
		salt,
	)
	.await?;
	if !matches!(prepared, Prepared::Nothing) {
		eprintln!("set up the {:?} workload in {:.1} s", args.workload, t.elapsed().as_secs_f64());
	}

	let mut nonces = Vec::with_capacity(accounts.len());
	for a in &accounts {
		nonces.push(first.next_nonce(&a.public()).await?);
	}
	let t = Instant::now();
	let signed = presign(ids, args.workload, &prepared, &accounts, &nonces, total);
	eprintln!("signed {} transactions in {:.1} s", signed.len(), t.elapsed().as_secs_f64());

	// Submitting connections: each account always uses the same one.
	let mut conns = Vec::new();
	for url in &args.urls {
		for _ in 0..args.connections {
			conns.push(Arc::new(Node::connect(url, 8192).await?));
		}
	}

	let start = Instant::now();
	let start_unix_ms = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis() as u64;
	let watched = watch::spawn(Node::connect(&args.urls[0], 64).await?, start).await?;
	let cpu_before: Vec<Option<f64>> = args.pids.iter().map(|p| cpu_of(p)).collect();
	let self_before = cpu_seconds("self");

	let (tx_sent, mut rx_sent) = tokio::sync::mpsc::unbounded_channel::<Sent>();
	let mut ticker = tokio::time::interval(Duration::from_millis(10));
	let mut next = 0usize;
	let mut signed = signed.into_iter();
	while next < total {
		ticker.tick().await;
		let due = ((start.elapsed().as_secs_f64() * f64::from(args.rate)) as usize).min(total);
		while next < due {
			let Some((account, xt)) = signed.next() else { break };
			let conn = conns[account % conns.len()].clone();
			let tx = tx_sent.clone();
			let at = start.elapsed().as_secs_f64();
			let hash = H256(sp_io::hashing::blake2_256(&xt));
			tokio::spawn(async move {
				let refused = conn.submit(&xt).await.err();
				let _ = tx.send(Sent { hash, at, refused });
			});
			next += 1;
		}
	}
	let load_secs = start.elapsed().as_secs_f64();
	let cpu_after: Vec<Option<f64>> = args.pids.iter().map(|p| cpu_of(p)).collect();
	let self_after = cpu_seconds("self");
	drop(tx_sent);
	let mut sent = Vec::with_capacity(total);
	while let Some(s) = rx_sent.recv().await {
		sent.push(s);
	}
	let accepted: std::collections::HashSet<H256> =
		sent.iter().filter(|s| s.refused.is_none()).map(|s| s.hash).collect();
	eprintln!(
		"submitted {} in {load_secs:.1} s ({} accepted); waiting up to {} s for finality",
		sent.len(),
		accepted.len(),
		args.settle
	);

	let deadline = Instant::now() + Duration::from_secs(args.settle.into());
	loop {
		let (finalized, error) = {
			let w = watched.lock().unwrap_or_else(|p| p.into_inner());
			let n = w
				.finalized_chain()
				.iter()
				.flat_map(|b| b.extrinsics.iter())
				.filter(|h| accepted.contains(h))
				.count();
			(n, w.error.clone())
		};
		if let Some(e) = error {
			bail!("following blocks failed: {e}");
		}
		if finalized >= accepted.len() || Instant::now() > deadline {
			break;
		}
		tokio::time::sleep(Duration::from_millis(500)).await;
	}

	let cpu: Vec<(String, Option<f64>)> = args
		.pids
		.iter()
		.zip(cpu_before.iter().zip(&cpu_after))
		.map(|(p, (b, a))| {
			let name = p.split('=').next().unwrap_or(p).to_string();
			(name, a.zip(*b).map(|(a, b)| (a - b) / load_secs))
		})
		.chain(std::iter::once((
			"harness".to_string(),
			self_after.zip(self_before).map(|(a, b)| (a - b) / load_secs),
		)))
		.collect();
	let w = watched.lock().unwrap_or_else(|p| p.into_inner());
	let r = report::Report::new(&args, &sent, &w, load_secs, start_unix_ms, cpu);
	println!("{}", r.markdown());
	if let Some(path) = &args.json {
		std::fs::write(path, serde_json::to_string_pretty(&r.json())?)?;
	}
	if let Some(path) = &args.svg {
		std::fs::write(path, r.svg())?;
	}
	Ok(())
}

/// CPU seconds of the process named in `name=pid`.
fn cpu_of(spec: &str) -> Option<f64> {
	cpu_seconds(spec.split_once('=').map(|(_, p)| p).unwrap_or(spec))
}
