#!/usr/bin/env bash
# Install what is missing, build, and run every test: the pallets' and runtime's unit tests, then
# the end-to-end tests that start real nodes on loopback (bounded in time, stopped at the end).
#
#   scripts/test.sh            everything
#   scripts/test.sh --unit     only the Rust unit tests
#   scripts/test.sh --e2e      only the end-to-end tests (builds the node if needed)
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
ensure_build_deps

# One cargo invocation builds the node and every test target, so dependencies compile once with
# one feature set; the test run after it finds everything fresh.
log "building the node and the test targets"
(cd "$REPO_ROOT" && cargo build --locked --workspace --all-targets)
log "build done after $(($(date +%s) - started)) s"

if [ "$run_unit" -eq 1 ]; then
	log "formatting and lints (cargo fmt --check, clippy -D warnings)"
	(cd "$REPO_ROOT" && cargo fmt --all -- --check)
	(cd "$REPO_ROOT" && cargo clippy --locked --workspace --all-targets -- -D warnings)
	log "unit tests"
	(cd "$REPO_ROOT" && cargo test --locked --workspace)
	log "runtime fuzzer, short mode (90 s of random calls on the real runtime, every invariant after every block)"
	"$CARGO_TARGET_DIR/debug/iotrust-fuzz" --seed 1 --seconds 90 --calls 1000000 | tail -3
	log "benchmarks, each run once as a test in its pallet's mock"
	(cd "$REPO_ROOT" && cargo test --locked -p pallet-consortium -p pallet-devices -p pallet-anchoring -p pallet-groups -p pallet-obligations \
		--features runtime-benchmarks benchmarking)
fi

if [ "$run_e2e" -eq 1 ]; then
	log "end-to-end tests (npm packages in tests/e2e, mosquitto, socat and faketime from Debian)"
	ensure_mosquitto
	ensure_fault_tools
	(cd "$REPO_ROOT/tests/e2e" && npm ci --no-audit --no-fund --loglevel=error)
	# After the unit tests: building the previous runtime replaces this tree's Wasm under the
	# target directory (the next build of this tree builds it again), and it is cached per commit.
	log "the upgrade rehearsal's previous runtime (from git) and try-runtime tool"
	IOTRUST_PREVIOUS_RUNTIME="$("$REPO_ROOT/scripts/lib/previous-runtime.sh")"
	(cd "$REPO_ROOT" && SKIP_WASM_BUILD=1 cargo build --locked -p iotrust-fuzz --features try-runtime --bin iotrust-try-runtime)
	export IOTRUST_PREVIOUS_RUNTIME IOTRUST_NODE_BIN="$NODE_BIN" IOTRUST_GATEWAY_BIN="$GATEWAY_BIN"
	(cd "$REPO_ROOT/tests/e2e" && timeout 45m node --test --test-concurrency=1 --test-reporter=spec ./*.test.mjs)
	log "chain load harness, smoke mode (a --dev node, 200 transfers)"
	timeout 5m "$REPO_ROOT/scripts/bench-chain.sh" --smoke --no-build
	log "gateway benchmark, smoke mode (--dev, 200 devices, three short phases)"
	timeout 8m "$REPO_ROOT/scripts/bench-gateway.sh" --smoke --no-build
	log "gateway group benchmark, smoke mode (a 3-of-4 group on the 4-validator network, 20 devices)"
	timeout 6m "$REPO_ROOT/scripts/bench-gateway.sh" --group-smoke --no-build
	log "client examples (examples/: JavaScript, Python, Rust, curl) against a development node"
	timeout 10m "$REPO_ROOT/scripts/examples.sh" --no-build
fi

log "all tests passed in $(($(date +%s) - started)) s"
