#!/usr/bin/env bash
# Load the chain and measure what it includes and finalizes: throughput, latency, block fullness,
# CPU per node. Starts each topology itself on loopback, runs tools/chain-bench against it, stops
# it, and prints a markdown table per run; JSON, the table and an SVG plot go to --out.
#
#   scripts/bench-chain.sh [--topology dev|local|both] [--workload W] [--rate R] [--duration S]
#                          [--accounts N] [--out DIR] [--smoke] [--debug] [--no-build]
#                          [--node-arg ARG]... [--keep-state] [-- HARNESS ARGS]
#
# Workloads: transfer (default), remark, register-ed25519, register-p256, obligation (create and
# pay), anchor (100-device batches; --accounts gateways); a comma-separated list runs each in turn
# on the same chain. Defaults: both topologies, 1000 tx/s for 60 s from 1000 accounts, out
# bench/results. The node is the
# `production` build (release with thin LTO; ~30 min cold on 2 cores); --debug uses the debug build
# instead (for trying the harness, not for figures). --smoke is what scripts/test.sh runs: the
# debug build, --dev, transfers, obligations and 10-device anchors at 50/s for 4 s each, every
# one of which must be finalized without failing, so the harness cannot rot.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

topology=both
workload=transfer
rate=1000
duration=60
accounts=1000
out="$REPO_ROOT/bench/results"
profile=production
smoke=0
build=1
extra=()
keep=()
node_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--topology) topology="$2"; shift ;;
	--workload) workload="$2"; shift ;;
	--rate) rate="$2"; shift ;;
	--duration) duration="$2"; shift ;;
	--accounts) accounts="$2"; shift ;;
	--out) out="$2"; shift ;;
	--debug) profile=debug ;;
	--no-build) build=0 ;;
	--keep-state) keep=(--keep-state) ;;
	--node-arg) node_args+=(--node-arg "$2"); shift ;;
	--smoke)
		smoke=1; profile=debug; topology=dev; rate=50; duration=4; accounts=20
		workload=transfer,obligation,anchor; extra=(--devices 10) ;;
	--) shift; extra+=("$@"); break ;;
	-h | --help) sed -n '2,18p' "$0"; exit 0 ;;
	*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ "$smoke" -eq 1 ] && out="$(mktemp -d)"

command -v node >/dev/null || { echo "node (Node.js 18+) is required" >&2; exit 1; }
ensure_build_deps
if [ "$build" -eq 0 ]; then
	:
elif [ "$profile" = debug ]; then
	log "building iotrust-node and iotrust-chain-bench (debug)"
	(cd "$REPO_ROOT" && cargo build --locked -p iotrust-node -p iotrust-chain-bench)
else
	log "building iotrust-node and iotrust-chain-bench (production profile)"
	(cd "$REPO_ROOT" && cargo build --locked --profile production -p iotrust-node -p iotrust-chain-bench)
fi
bin="$CARGO_TARGET_DIR/$profile/iotrust-node"
harness="$CARGO_TARGET_DIR/$profile/iotrust-chain-bench"

commit="$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
cpu="$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
label="iotrust $commit, $profile build, $(nproc) × $cpu, $(free -g | awk '/^Mem:/ {print $2}') GiB"

topologies=("$topology")
[ "$topology" = both ] && topologies=(dev local)
settle=60
[ "$smoke" -eq 1 ] && settle=30
for t in "${topologies[@]}"; do
	log "$workload at $rate/s for $duration s on $t"
	echo "command: scripts/bench-chain.sh --topology $t --workload $workload --rate $rate --duration $duration --accounts $accounts"
	node "$REPO_ROOT/scripts/lib/chain-bench.mjs" \
		--bin "$bin" --harness "$harness" --topology "$t" --out "$out" \
		--workloads "$workload" --label "$label" --port-offset 300 \
		${keep[@]+"${keep[@]}"} ${node_args[@]+"${node_args[@]}"} \
		-- --rate "$rate" --duration "$duration" \
		--accounts "$accounts" --settle "$settle" ${extra[@]+"${extra[@]}"}
done

if [ "$smoke" -eq 1 ]; then
	# The smoke run must have finalized everything it submitted, and nothing may have failed.
	for w in ${workload//,/ }; do
		node -e '
			const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
			if (r.submitted === 0 || r.refused > 0 || r.finalized !== r.submitted || r.failed > 0) {
				console.error(`smoke ${r.workload}: submitted ${r.submitted}, refused ${r.refused}, ` +
					`finalized ${r.finalized}, failed ${r.failed} ${JSON.stringify(r.failures)}`);
				process.exit(1);
			}
			console.log(`smoke ${r.workload}: ${r.finalized} of ${r.submitted} finalized, none failed`);
		' "$out/dev-$w.json"
	done
	rm -rf "$out"
fi
