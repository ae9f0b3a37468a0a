#!/usr/bin/env bash
# Install what is missing, build, and run every test: formatting and lints, the Rust unit tests,
# the fuzzer's and the benchmarks' short modes, the end-to-end tests that start real nodes on
# loopback (bounded in time, stopped at the end), the bench smokes, the client examples, and the
# README's own command (scripts/run.sh at its default ports).
#
#   scripts/test.sh            everything
#   scripts/test.sh --unit     only the Rust checks and unit tests
#   scripts/test.sh --e2e      only what starts nodes (builds the node if needed)
#
# Every stage runs even when one before it failed (only a failed build stops the run); at the end
# the script names each stage that failed and exits non-zero.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

run_unit=1
run_e2e=1
case "${1:-}" in
--unit) run_e2e=0 ;;
--e2e) run_unit=0 ;;
"") ;;
*) echo "unknown option: $1 (use --unit or --e2e)" >&2; exit 2 ;;
esac

started=$(date +%s)
command -v node >/dev/null || { echo "node (Node.js 18+) and npm are required" >&2; exit 1; }

passed=()
failed=()
# `stage NAME COMMAND...`: run one stage under its headline; a failure is remembered and the
# stages after it still run.
stage() {
	local name="$1" t0=$SECONDS rc=0
	shift
	log "$name"
	"$@" || rc=$?
	if [ "$rc" -eq 0 ]; then
		passed+=("$name")
	else
		failed+=("$name (exit $rc)")
		log "FAILED after $((SECONDS - t0)) s: $name (exit $rc); going on with the next stage"
	fi
}
in_repo() { (cd "$REPO_ROOT" && "$@"); }

ensure_build_deps
# One cargo invocation builds the node and every test target, so dependencies compile once with
# one feature set; the test run after it finds everything fresh. Nothing can run without it.
log "building the node and the test targets"
in_repo cargo build --locked --workspace --all-targets
# The group test's dishonest member: the gateway built with its test-only feature and kept
# aside; the plain build after it puts the product binary back (a relink, both are cached).
in_repo cargo build --locked --workspace --all-targets --features iotrust-gateway/dishonest-coordinator
cp "$GATEWAY_BIN" "$CARGO_TARGET_DIR/debug/iotrust-gateway-dishonest"
in_repo cargo build --locked --workspace --all-targets
log "build done after $(($(date +%s) - started)) s"

fuzz_short() { "$CARGO_TARGET_DIR/debug/iotrust-fuzz" --seed 1 --seconds 90 --calls 1000000 | tail -3; }
e2e_deps() {
	ensure_mosquitto && ensure_fault_tools \
		&& (cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
}
# After the unit tests: building the previous runtime replaces this tree's Wasm under the target
# directory (the next build of this tree builds it again), and it is cached per commit.
upgrade_deps() {
	IOTRUST_PREVIOUS_RUNTIME="$("$REPO_ROOT/scripts/lib/previous-runtime.sh")" || return
	export IOTRUST_PREVIOUS_RUNTIME
	in_repo env SKIP_WASM_BUILD=1 cargo build --locked -p iotrust-fuzz --features try-runtime --bin iotrust-try-runtime
}
export IOTRUST_NODE_BIN="$NODE_BIN" IOTRUST_GATEWAY_BIN="$GATEWAY_BIN" \
	IOTRUST_DISHONEST_GATEWAY_BIN="$CARGO_TARGET_DIR/debug/iotrust-gateway-dishonest"
e2e_tests() { (cd "$REPO_ROOT/tests/e2e" && timeout 45m node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs); }
readme_command() { (cd "$REPO_ROOT/tests/e2e" && timeout 25m node --test --test-reporter=spec readme/commands.test.mjs); }

if [ "$run_unit" -eq 1 ]; then
	stage "formatting (cargo fmt --check)" in_repo cargo fmt --all -- --check
	stage "lints (cargo clippy -D warnings)" in_repo cargo clippy --locked --workspace --all-targets -- -D warnings
	stage "module graphs without import cycles (gateway, primitives)" \
		in_repo node scripts/lib/module-cycles.mjs gateway/src primitives/src
	stage "unit tests" in_repo cargo test --locked --workspace
	stage "runtime fuzzer, short mode (90 s of random calls on the real runtime, every invariant after every block)" fuzz_short
	stage "benchmarks, each run once as a test in its pallet's mock" in_repo cargo test --locked \
		-p pallet-consortium -p pallet-devices -p pallet-anchoring -p pallet-groups -p pallet-obligations \
		--features runtime-benchmarks benchmarking
fi

if [ "$run_e2e" -eq 1 ]; then
	stage "end-to-end installs (the npm packages of the root package.json, mosquitto, socat and faketime from Debian)" e2e_deps
	stage "the upgrade rehearsal's previous runtime (from git) and try-runtime tool" upgrade_deps
	stage "end-to-end tests" e2e_tests
	stage "chain load harness, smoke mode (a --dev node, 200 transfers)" \
		timeout 5m "$REPO_ROOT/scripts/bench-chain.sh" --smoke --no-build
	stage "gateway benchmark, smoke mode (--dev, 200 devices, three short phases)" \
		timeout 8m "$REPO_ROOT/scripts/bench-gateway.sh" --smoke --no-build
	stage "gateway group benchmark, smoke mode (a 3-of-4 group on the 4-validator network, 20 devices)" \
		timeout 6m "$REPO_ROOT/scripts/bench-gateway.sh" --group-smoke --no-build
	stage "client examples (examples/: JavaScript, Python, Rust, curl) against a development node" \
		timeout 10m "$REPO_ROOT/scripts/examples.sh" --no-build
	# Last, once every other stage has freed the default ports. run.sh builds what it runs, as
	# for a user: the node and gateway alone (about a minute the first time, for their own
	# feature set; the upgrade rehearsal also left the previous runtime's Wasm in its place).
	stage "the README's command: scripts/run.sh at the default ports, and --dev --gateway" readme_command
fi

log "done in $(($(date +%s) - started)) s"
if [ ${#failed[@]} -gt 0 ]; then
	printf '\033[1;31mfailed stage: %s\033[0m\n' "${failed[@]}"
fi
echo "stages: ${#passed[@]} passed, ${#failed[@]} failed"
[ ${#failed[@]} -eq 0 ]
