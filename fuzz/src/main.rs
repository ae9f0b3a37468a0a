//! `iotrust-fuzz`: the runtime fuzzer. Each case starts from the local network's genesis and
//! makes up to `--blocks` blocks of random calls from random origins (council members, device
//! owners, gateways, strangers, the council itself, unsigned); every block goes through
//! `on_initialize`, `on_idle` and `on_finalize`, and after each one every pallet's `try_state`
//! invariants, the block's weight and length limits and the issuance are checked. A panic or a
//! broken invariant stops the run with the seed and case that replay it
//! (`iotrust-fuzz --seed S --case C`). At the end it reports what it covered: each call tried,
//! how often it succeeded, and the errors it met.

mod chain;
mod gen;
mod rng;

use chain::{Chain, Outcome, Who};
use clap::Parser;
use frame_support::traits::GetCallMetadata;
use std::{
	collections::BTreeMap,
	time::{Duration, Instant},
};

#[derive(Parser)]
#[command(
	about = "Fuzz the iotrust runtime: random calls, every invariant checked after every block"
)]
struct Args {
	/// The run's seed; case `c` uses seed `(seed, c)`.
	#[arg(long, default_value_t = 1)]
	seed: u64,
	/// Stop after this many calls in all.
	#[arg(long, default_value_t = 100_000)]
	calls: u64,
	/// Stop after this many seconds, whatever the calls.
	#[arg(long)]
	seconds: Option<u64>,
	/// Blocks per case (each case starts again from genesis).
	#[arg(long, default_value_t = 40)]
	blocks: u32,
	/// Most calls in one block.
	#[arg(long, default_value_t = 40)]
	per_block: u64,
	/// Run only this case (to replay a failure).
	#[arg(long)]
	case: Option<u64>,
	/// Print each call and its outcome.
	#[arg(long)]
	verbose: bool,
}

/// What happened to the calls of one pallet and name.
#[derive(Default)]
struct Tally {
	tried: u64,
	ok: u64,
	failed: BTreeMap<String, u64>,
	refused: BTreeMap<String, u64>,
}

#[derive(Default)]
struct Coverage {
	calls: BTreeMap<(String, String), Tally>,
	blocks: u64,
	cases: u64,
}

impl Coverage {
	fn note(&mut self, call: &iotrust_runtime::RuntimeCall, outcome: &Outcome) {
		let meta = call.get_call_metadata();
		let tally = self
			.calls
			.entry((meta.pallet_name.to_string(), meta.function_name.to_string()))
			.or_default();
		tally.tried += 1;
		match outcome {
			Outcome::Ok => tally.ok += 1,
			Outcome::Failed(e) => *tally.failed.entry(e.clone()).or_default() += 1,
			Outcome::Refused(e) => *tally.refused.entry(e.clone()).or_default() += 1,
		}
	}

	fn total(&self) -> u64 {
		self.calls.values().map(|t| t.tried).sum()
	}

	/// The report: every call of every pallet the runtime has, tried or not.
	fn report(&self, elapsed: Duration) -> String {
		use std::fmt::Write;
		let mut out = String::new();
		let total = self.total();
		let _ = writeln!(
			out,
			"{total} calls in {} blocks of {} cases, {:.0} s ({:.0} calls/s); no panic, no invariant broken, no block over its limits",
			self.blocks,
			self.cases,
			elapsed.as_secs_f64(),
			total as f64 / elapsed.as_secs_f64().max(0.001)
		);
		let _ = writeln!(out, "\n| pallet | call | tried | succeeded | most frequent failures |");
		let _ = writeln!(out, "|---|---|---|---|---|");
		let mut never = Vec::new();
		for pallet in iotrust_runtime::RuntimeCall::get_module_names() {
			for name in iotrust_runtime::RuntimeCall::get_call_names(pallet) {
				match self.calls.get(&(pallet.to_string(), name.to_string())) {
					Some(t) => {
						let mut errors: Vec<_> = t
							.failed
							.iter()
							.chain(t.refused.iter())
							.map(|(e, n)| (*n, e.clone()))
							.collect();
						errors.sort_by(|a, b| b.cmp(a));
						let errors: Vec<_> =
							errors.iter().take(3).map(|(n, e)| format!("{e} ×{n}")).collect();
						let _ = writeln!(
							out,
							"| {pallet} | {name} | {} | {} | {} |",
							t.tried,
							t.ok,
							errors.join(", ")
						);
					},
					None => never.push(format!("{pallet}.{name}")),
				}
			}
		}
		let succeeded = self.calls.values().filter(|t| t.ok > 0).count();
		let _ = writeln!(
			out,
			"\n{} calls tried, {succeeded} of them succeeded at least once; never tried: {}",
			self.calls.len(),
			if never.is_empty() { "none".into() } else { never.join(", ") }
		);
		out
	}
}

/// One case: genesis, then blocks of calls. Returns the failure, if any, with the calls of
/// the block it happened in.
fn run_case(
	args: &Args,
	seed: u64,
	case: u64,
	budget: u64,
	genesis: &sp_runtime::Storage,
	coverage: &mut Coverage,
) -> Result<u64, String> {
	let mut rng = rng::Rng::new(seed.wrapping_mul(0x1000_0000_01b3) ^ case);
	let mut ext = sp_io::TestExternalities::new(genesis.clone());
	ext.execute_with(|| {
		let mut world = gen::World::new();
		let mut chain = Chain::new();
		// Strangers hold a little: enough for fees and a deposit or two, not for much more.
		for actor in &world.actors {
			if pallet_balances::Pallet::<iotrust_runtime::Runtime>::free_balance(&actor.account) == 0 {
				let _ = pallet_balances::Pallet::<iotrust_runtime::Runtime>::force_set_balance(
					iotrust_runtime::RuntimeOrigin::root(),
					actor.account.clone().into(),
					50 * iotrust_runtime::UNIT,
				);
			}
		}
		let mut made = 0;
		let mut trace = Vec::new();
		for _ in 0..args.blocks {
			if made >= budget {
				break;
			}
			trace.push(format!("-- block {}", frame_system::Pallet::<iotrust_runtime::Runtime>::block_number() + 1));
			let skip = if rng.chance(10) { rng.below(30) } else { 0 };
			let block = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
				chain.open(skip);
				let calls = rng.below(args.per_block + 1).min(budget - made);
				for _ in 0..calls {
					let (who, call, pending) = world.next(&mut rng);
					trace.push(format!("{who:?}: {call:?}"));
					let pair = match &who {
						Who::Signed(i) => Some(&world.actors[*i].pair),
						_ => None,
					};
					let outcome = chain.apply(&who, pair, call.clone());
					if args.verbose {
						println!("{}  → {}", trace.last().map_or("", |s| s), describe(&outcome));
					}
					if let (Outcome::Ok, Some(p)) = (&outcome, pending) {
						world.settle(p);
					}
					coverage.note(&call, &outcome);
					made += 1;
				}
				let length = chain.close();
				chain::check_block(length, chain.opened_with)
			}));
			coverage.blocks += 1;
			let failure = match block {
				Ok(Ok(())) => continue,
				Ok(Err(broken)) => broken,
				Err(panic) => format!(
					"panic: {}",
					panic
						.downcast_ref::<String>()
						.cloned()
						.or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
						.unwrap_or_default()
				),
			};
			return Err(format!(
				"{failure}\nin block {} of case {case} (replay: iotrust-fuzz --seed {seed} --case {case} --blocks {} --per-block {}); the case's last calls:\n{}",
				frame_system::Pallet::<iotrust_runtime::Runtime>::block_number(),
				args.blocks,
				args.per_block,
				trace[trace.len().saturating_sub(60)..].join("\n")
			));
		}
		Ok(made)
	})
}

fn describe(outcome: &Outcome) -> String {
	match outcome {
		Outcome::Ok => "ok".into(),
		Outcome::Failed(e) => format!("failed: {e}"),
		Outcome::Refused(e) => format!("refused: {e}"),
	}
}

fn main() {
	let args = Args::parse();
	let genesis = chain::genesis();
	let started = Instant::now();
	let deadline = args.seconds.map(|s| started + Duration::from_secs(s));
	let mut coverage = Coverage::default();
	let cases: Box<dyn Iterator<Item = u64>> = match args.case {
		Some(c) => Box::new(std::iter::once(c)),
		None => Box::new(0..),
	};
	let mut last_line = Instant::now();
	for case in cases {
		let left = args.calls.saturating_sub(coverage.total());
		if left == 0 || deadline.is_some_and(|d| Instant::now() >= d) {
			break;
		}
		coverage.cases += 1;
		if let Err(failure) = run_case(&args, args.seed, case, left, &genesis, &mut coverage) {
			eprintln!("FAILED: {failure}");
			println!("{}", coverage.report(started.elapsed()));
			std::process::exit(1);
		}
		if last_line.elapsed() > Duration::from_secs(30) {
			eprintln!(
				"… {} calls, {} blocks, {} cases, {:.0} s",
				coverage.total(),
				coverage.blocks,
				coverage.cases,
				started.elapsed().as_secs_f64()
			);
			last_line = Instant::now();
		}
	}
	println!("{}", coverage.report(started.elapsed()));
}
