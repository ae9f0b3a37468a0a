//! The iotrust node: a consortium member's full node, and its gateway's validator.

mod chain_spec;
mod cli;
mod command;
mod consortium_spec;
mod device_cmd;
mod rpc;
mod service;

fn main() -> sc_cli::Result<()> {
	command::run()
}
