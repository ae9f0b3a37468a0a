#!/usr/bin/env bash
# Measure the gateway: readings/s ingested and anchored, publish → finalized latency
# p50/p95/p99, the gateway's RSS and CPU, the database's bytes per reading. Starts the chain, a
# mosquitto broker (TLS, passwords) and the gateway on loopback, registers the devices once, then
# runs each phase against a fresh gateway until everything published is anchored; stops it all at
# the end. Prints a markdown table; JSON, an SVG plot per phase and the table go to --out.
#
#   scripts/bench-gateway.sh [--fleet | --smoke | --group-smoke] [--devices N] [--phase NAME:RATE:SECONDS]...
#                            [--local] [--group] [--out DIR] [--debug] [--no-build] [--gateway-arg ARG]...
#                            [--node-arg ARG]...
#                            [--keep]
#
# --fleet: the fleet profile (about 25 min): 10,000 devices on the 4-validator network; `latency`
#   at 1,000 readings/s for 2 min, `ceiling` as fast as the simulator publishes (20,000/s asked,
#   200,000 readings), `soak` at 2,000 readings/s for 10 min (RSS over its last 5 min).
# --smoke: what scripts/test.sh runs: the debug build, --dev, 200 devices, three short phases,
#   each of which must be anchored completely (so the benchmark cannot rot). --group-smoke: the
#   same for --group (20 devices, one 5-s phase), also run by scripts/test.sh.
# --group: the readings go to a 3-of-4 gateway group of four members' gateways on the 4-validator
#   network (implies --local; see scripts/lib/gateway-bench.mjs); adds each coordinator's signing
#   rounds (proposal → threshold signature) and submission → finality to the report.
# Default: 20 devices, one phase `run:500:30`, on --dev. The binaries are the `production` build
# (release with thin LTO, the build whose figures we publish); --debug uses the debug build.
# Output: bench/results/gateway (--out DIR). --gateway-arg passes a flag to every gateway,
# --node-arg one to every node; --keep keeps the nodes' and gateways' logs and databases (the
# directory is printed at the end).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

profile=production
build=1
smoke=0
group=0
out="$REPO_ROOT/bench/results/gateway"
pass=()
while [ $# -gt 0 ]; do
	case "$1" in
	--fleet)
		pass+=(--local --devices 10000 --phase latency:1000:120 --phase ceiling:20000:10 --phase soak:2000:600) ;;
	--smoke)
		smoke=1; profile=debug
		pass+=(--smoke --devices 200 --phase latency:200:5 --phase ceiling:5000:2 --phase soak:400:10) ;;
	--group-smoke)
		smoke=1; profile=debug; group=1
		pass+=(--smoke --local --group --devices 20 --phase run:100:5) ;;
	--devices | --phase | --gateway-arg | --node-arg) pass+=("$1" "$2"); shift ;;
	--local | --keep) pass+=("$1") ;;
	--group) pass+=(--local --group); group=1 ;;
	--out) out="$2"; shift ;;
	--debug) profile=debug ;;
	--no-build) build=0 ;;
	-h | --help) sed -n '2,25p' "$0"; exit 0 ;;
	*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ "$smoke" -eq 1 ] && out="$(mktemp -d)"

command -v node >/dev/null || { echo "node (Node.js 18+) is required" >&2; exit 1; }
ensure_build_deps
ensure_mosquitto
# A group is made through scripts/lib/chain.mjs, with the root package.json's @polkadot/api.
if [ "$group" -eq 1 ] && [ ! -d "$REPO_ROOT/node_modules/@polkadot/api" ]; then
	(cd "$REPO_ROOT" && npm ci --no-audit --no-fund --loglevel=error)
fi
if [ "$build" -eq 1 ]; then
	build_node "$profile"
else
	NODE_BIN="$CARGO_TARGET_DIR/$profile/iotrust-node"
	GATEWAY_BIN="$CARGO_TARGET_DIR/$profile/iotrust-gateway"
fi

commit="$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
cpu="$(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
label="iotrust $commit, $profile build, $(nproc) × $cpu, $(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "command: scripts/bench-gateway.sh ${pass[*]}"
status=0
node "$REPO_ROOT/scripts/lib/gateway-bench.mjs" --bin "$NODE_BIN" --gateway-bin "$GATEWAY_BIN" \
	--out "$out" --label "$label" ${pass[@]+"${pass[@]}"} || status=$?
[ "$smoke" -eq 1 ] && rm -rf "$out"
exit "$status"
