//! Dispatches the command line to the node or to a subcommand.

use crate::{
	chain_spec,
	cli::{Cli, Subcommand},
	service,
};
use iotrust_runtime::opaque::Block;
use sc_cli::SubstrateCli;
use sc_service::PartialComponents;

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"iotrust node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://github.com/iotrust/iotrust/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		Ok(match id {
			"dev" => Box::new(chain_spec::development_chain_spec()?),
			"" | "local" => Box::new(chain_spec::local_testnet_chain_spec()?),
			path => {
				Box::new(chain_spec::ChainSpec::from_json_file(std::path::PathBuf::from(path))?)
			},
		})
	}
}

/// Parse and run the command line.
pub fn run() -> sc_cli::Result<()> {
	let mut cli = Cli::from_args();
	// No shared trie cache unless `--trie-cache-size` asks for one. Substrate's default (1 GiB)
	// costs an iotrust validator more than it saves: each block of anchors touches thousands of
	// trie nodes, and moving them through the per-call caches into the shared one took most of
	// the nodes' CPU (perf: allocation, LRU upkeep, node clones). At 1,000 device ranges a
	// second on the 4-validator network the nodes used 1.2 cores and took up to 6.5 s to build
	// a block; without the cache 0.6 cores and at most 1.1 s (docs/benchmarks.md, "Where the
	// validators' time went").
	let asked = std::env::args_os().any(|a| {
		a.to_str().is_some_and(|a| a == "--trie-cache-size" || a.starts_with("--trie-cache-size="))
	});
	if !asked {
		cli.run.import_params.trie_cache_size = 0;
	}
	// The consortium's peering rule (only nodes the council authorized may connect) is enforced
	// by each node's offchain worker, at every imported block. Substrate runs it on validators
	// only by default: an iotrust node always runs it, and refuses to start without it.
	if cli.subcommand.is_none() {
		if matches!(cli.run.offchain_worker_params.enabled, sc_cli::OffchainWorkerEnabled::Never) {
			return Err(sc_cli::Error::Input(
				"--offchain-worker never is refused: the offchain worker enforces the \
				 consortium's peering rule (only the nodes the council authorized may connect), \
				 and without it this node would peer with anyone"
					.into(),
			));
		}
		cli.run.offchain_worker_params.enabled = sc_cli::OffchainWorkerEnabled::Always;
	}

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		#[allow(deprecated)]
		Some(Subcommand::BuildSpec(cmd)) => {
			// Substrate's build-spec gives a spec without boot nodes one at 127.0.0.1:30333 under
			// the peer id of a node key made for this one run: a boot node no node will ever
			// have. A network started on such a spec at the default ports found its first node
			// listening there under another peer id, and every other node refused to start
			// ("the same bootnode ... with two different peer ids"). Boot nodes belong where a
			// network is laid out: `consortium-spec`'s `bootNodes`, or `--bootnodes`.
			let mut cmd = cmd.clone();
			cmd.disable_default_bootnode = true;
			let runner = cli.create_runner(&cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		},
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let chain_spec = cli.load_spec(&cmd.chain)?;
			cmd.run(chain_spec)
		},
		Some(Subcommand::ConsortiumSpec(cmd)) => cmd.run(),
		Some(Subcommand::Device(cmd)) => cmd.run(),
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		},
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		},
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		},
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } =
					service::new_partial(&config)?;
				let aux_revert = Box::new(|client, _, blocks| {
					sc_consensus_grandpa::revert(client, blocks)?;
					Ok(())
				});
				Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
			})
		},
		#[cfg(feature = "runtime-benchmarks")]
		Some(Subcommand::Benchmark(cmd)) => {
			use frame_benchmarking_cli::BenchmarkCmd;
			use sp_runtime::traits::HashingFor;

			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| match cmd {
				BenchmarkCmd::Pallet(cmd) => {
					cmd.run_with_spec::<HashingFor<Block>, ()>(Some(config.chain_spec))
				},
				BenchmarkCmd::Machine(cmd) => {
					cmd.run(&config, frame_benchmarking_cli::SUBSTRATE_REFERENCE_HARDWARE.clone())
				},
				BenchmarkCmd::Storage(cmd) => {
					// Reads and writes of the state in the node's own database (`--database
					// paritydb`, the node's default): the `DbWeight` the runtime charges.
					let PartialComponents { client, backend, .. } = service::new_partial(&config)?;
					let db = backend.expose_db();
					let storage = backend.expose_storage();
					let shared_trie_cache = backend.expose_shared_trie_cache();
					cmd.run(config, client, db, storage, shared_trie_cache)
				},
				BenchmarkCmd::Overhead(cmd) => {
					// Blocks of `system.remark`s built from the runtime's metadata: the base
					// weights of a block and of an extrinsic.
					cmd.run_with_default_builder_and_spec::<Block, ()>(Some(config.chain_spec))
				},
				BenchmarkCmd::Block(_) | BenchmarkCmd::Extrinsic(_) => Err(
					"iotrust wires up `benchmark pallet`, `storage`, `overhead` and `machine`; \
					 for throughput use scripts/bench-chain.sh"
						.into(),
				),
			})
		},
		Some(Subcommand::ChainInfo(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<Block>(&config))
		},
		None => {
			let runner = cli.create_runner(&cli.run)?;
			let storage_monitor = cli.storage_monitor;
			runner.run_node_until_exit(|config| async move {
				let database = config.database.path().map(|p| p.to_path_buf());
				let task_manager = match config.network.network_backend {
					sc_network::config::NetworkBackendType::Libp2p => service::new_full::<
						sc_network::NetworkWorker<
							Block,
							<Block as sp_runtime::traits::Block>::Hash,
						>,
					>(config)
					.map_err(sc_cli::Error::Service)?,
					sc_network::config::NetworkBackendType::Litep2p => {
						service::new_full::<sc_network::Litep2pNetworkBackend>(config)
							.map_err(sc_cli::Error::Service)?
					},
				};
				// A full disk makes the database fail writes mid-block, and the node hangs without
				// a word (seen in the fault tests); stop it cleanly, saying why, before that.
				if let Some(path) = database {
					sc_storage_monitor::StorageMonitorService::try_spawn(
						storage_monitor,
						path,
						&task_manager.spawn_essential_handle(),
					)
					.map_err(|e| sc_cli::Error::Application(e.into()))?;
				}
				Ok(task_manager)
			})
		},
	}
}
