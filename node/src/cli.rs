//! The command line: `sc-cli`'s run command and subcommands, plus iotrust's own.

use crate::{consortium_spec::ConsortiumSpecCmd, device_cmd::DeviceCmd};

/// Subcommands of `iotrust-node`; without one, the node runs.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate and inspect keys, insert session keys into a node's keystore,
	/// derive a node key's peer id (`key inspect-node-key`).
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (prefer `export-chain-spec`). Unlike Substrate's, it never
	/// adds a default boot node.
	#[deprecated(note = "use `export-chain-spec` instead")]
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of a built-in chain or a spec file.
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Build a consortium's chain specification from a JSON file listing its members.
	ConsortiumSpec(ConsortiumSpecCmd),

	/// Device keys: generate one, sign a registration's proof of possession, sign a payload.
	#[command(subcommand)]
	Device(DeviceCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Benchmark the runtime's pallets and the machine (built with `--features
	/// runtime-benchmarks`).
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Database metadata.
	ChainInfo(sc_cli::ChainInfoCmd),
}

/// `iotrust-node [SUBCOMMAND] [OPTIONS]`.
#[derive(Debug, clap::Parser)]
#[command(
	propagate_version = true,
	args_conflicts_with_subcommands = true,
	subcommand_negates_reqs = true
)]
pub struct Cli {
	/// A subcommand; without one the node runs.
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	/// Options of the running node.
	#[clap(flatten)]
	pub run: sc_cli::RunCmd,

	/// The free space the database's filesystem must keep: below it the node stops with an error
	/// instead of failing writes (`--db-storage-threshold` MiB, 1024 by default; 0 turns it off).
	#[clap(flatten)]
	pub storage_monitor: sc_storage_monitor::StorageMonitorParams,
}
