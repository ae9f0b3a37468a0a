//! Rehearses this runtime's upgrade against a live chain's state, as `try-runtime` does: the state
//! a running network holds (a snapshot `scripts/try-runtime.sh` takes over RPC) is loaded, and
//! the runtime built from this tree runs what the upgrade block would run — every migration in
//! `Migrations` and every pallet's `on_runtime_upgrade`, each with its `pre_upgrade` and
//! `post_upgrade` checks — then every pallet's `try_state`. It then runs the upgrade again and
//! requires the state to stay as it is (a migration must not run twice), and reports the
//! upgrade's weight against the block's.
//!
//! It runs the runtime natively (built with the `try-runtime` feature), not its Wasm: the same
//! code, without the separate `try-runtime` command-line tool.

use clap::Parser;
use frame_support::weights::Weight;
use frame_try_runtime::UpgradeCheckSelect;
use iotrust_runtime::{Executive, Runtime, VERSION};
use sp_core::storage::Storage;
use sp_runtime::StateVersion;
use std::{collections::BTreeMap, path::PathBuf, process::ExitCode};

#[derive(Parser)]
#[command(
	about = "Run this runtime's upgrade, with its checks, over a snapshot of a chain's state"
)]
struct Args {
	/// The snapshot: JSON `{ "at": block hash, "number": block number, "specVersion": the
	/// chain's, "pairs": [[key, value], ...] }` with hex keys and values, as
	/// `scripts/lib/snapshot.mjs` writes it.
	#[arg(long)]
	snapshot: PathBuf,
}

/// Prints the runtime's log lines (the migrations', the checks') to stderr.
struct StderrLog;

impl log::Log for StderrLog {
	fn enabled(&self, meta: &log::Metadata) -> bool {
		meta.level() <= log::Level::Info
	}

	fn log(&self, record: &log::Record) {
		if self.enabled(record.metadata()) {
			eprintln!("  [{} {}] {}", record.level(), record.target(), record.args());
		}
	}

	fn flush(&self) {}
}

static LOGGER: StderrLog = StderrLog;

fn hex_bytes(s: &str) -> Result<Vec<u8>, String> {
	hex::decode(s.trim_start_matches("0x")).map_err(|e| format!("not hex ({e}): {s:.20}"))
}

/// The snapshot's header and its storage.
fn load(path: &PathBuf) -> Result<(String, u64, Storage), String> {
	let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
	let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
	let at = json["at"].as_str().unwrap_or("?").to_string();
	let number = json["number"].as_u64().unwrap_or(0);
	let pairs = json["pairs"].as_array().ok_or("the snapshot has no \"pairs\"")?;
	let mut top = BTreeMap::new();
	for pair in pairs {
		let (Some(key), Some(value)) = (pair[0].as_str(), pair[1].as_str()) else {
			return Err(format!("a pair is not [key, value]: {pair}"));
		};
		let key = hex_bytes(key)?;
		if sp_core::storage::well_known_keys::is_child_storage_key(&key) {
			return Err("the snapshot holds child tries, which this runtime never makes".into());
		}
		top.insert(key, hex_bytes(value)?);
	}
	Ok((at, number, Storage { top, children_default: Default::default() }))
}

fn run(args: Args) -> Result<(), String> {
	let (at, number, storage) = load(&args.snapshot)?;
	let keys = storage.top.len();
	let mut ext = sp_io::TestExternalities::new_with_state_version(storage, StateVersion::V1);
	let code_len = ext
		.execute_with(|| sp_io::storage::get(sp_core::storage::well_known_keys::CODE))
		.map_or(0, |c| c.len());
	println!(
		"state of block #{number} ({at}): {keys} keys, the chain's runtime {} KiB",
		code_len / 1024
	);
	let on_chain = ext.execute_with(frame_system::LastRuntimeUpgrade::<Runtime>::get);
	println!(
		"the chain last upgraded to spec_version {}; this runtime is spec_version {}",
		on_chain.as_ref().map_or("(none recorded)".into(), |v| v.spec_version.0.to_string()),
		VERSION.spec_version
	);

	println!("running the upgrade: pre_upgrade, migrations, post_upgrade, then try_state");
	let weight: Weight = ext.execute_with(|| {
		Executive::try_runtime_upgrade(UpgradeCheckSelect::All).map_err(|e| format!("{e:?}"))
	})?;
	ext.commit_all().map_err(|e| format!("commit: {e}"))?;
	let max = <Runtime as frame_system::Config>::BlockWeights::get().max_block;
	println!(
		"upgrade passed: weight {} µs of computation, {} bytes of proof ({}% of a block's time)",
		weight.ref_time() / 1_000_000,
		weight.proof_size(),
		u128::from(weight.ref_time()) * 100 / u128::from(max.ref_time().max(1))
	);
	if weight.any_gt(max) {
		return Err(format!("the upgrade weighs more than a block ({max:?}): {weight:?}"));
	}

	let root = |ext: &mut sp_io::TestExternalities| {
		ext.execute_with(|| sp_io::storage::root(StateVersion::V1))
	};
	let first = root(&mut ext);
	ext.execute_with(|| Executive::try_runtime_upgrade(UpgradeCheckSelect::None))
		.map_err(|e| format!("the second run failed: {e:?}"))?;
	ext.commit_all().map_err(|e| format!("commit: {e}"))?;
	if root(&mut ext) != first {
		return Err("running the upgrade twice changed the state: a migration is not \
		            idempotent"
			.into());
	}
	println!("a second run changes nothing: the migrations are idempotent");
	Ok(())
}

fn main() -> ExitCode {
	let _ = log::set_logger(&LOGGER).map(|()| log::set_max_level(log::LevelFilter::Info));
	match run(Args::parse()) {
		Ok(()) => ExitCode::SUCCESS,
		Err(e) => {
			eprintln!("try-runtime: {e}");
			ExitCode::FAILURE
		},
	}
}
