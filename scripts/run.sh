#!/usr/bin/env bash
# Build iotrust if needed, then run the 4-validator local network (alice, bob, charlie, dave) on
# loopback, or with --dev a single development node. Ctrl-C stops every node it started.
#
#   scripts/run.sh [--dev] [--gateway [--sim-devices N] [--sim-rate R]] [--state DIR]
#                  [--port-offset N] [--purge] [--production]
#
# The node is the debug build (about 15 min from cold on 2 cores); --production builds and runs
# the optimized `production` profile instead (about 25 min from cold, then several times the
# throughput: the figures in docs/benchmarks.md are that build's).
#
# --gateway also starts a mosquitto broker (port 1883), an iotrust gateway signing as Dave (HTTP
# on 8080) and a device simulator publishing signed readings from N devices (default 5) at R
# readings/s in all (default 20). State (databases, keystores, logs) is kept under DIR (default
# .state/) and reused on the next run; --purge starts from genesis again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

mode=local
state="$REPO_ROOT/.state"
offset=0
purge=0
profile=debug
gateway=()
while [ $# -gt 0 ]; do
	case "$1" in
	--dev) mode=dev ;;
	--state) state="$2"; shift ;;
	--port-offset) offset="$2"; shift ;;
	--purge) purge=1 ;;
	--production) profile=production ;;
	--gateway) gateway+=(--gateway) ;;
	--sim-devices | --sim-rate) gateway+=("$1" "$2"); shift ;;
	-h | --help) sed -n '2,17p' "$0"; exit 0 ;;
	*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

command -v node >/dev/null || { echo "node (Node.js 18+) is required" >&2; exit 1; }
ensure_build_deps
build_node "$profile"
[ ${#gateway[@]} -gt 0 ] && ensure_mosquitto
# iproute2's ss names what holds a port that is taken.
ensure_apt_packages iproute2

[ "$purge" -eq 1 ] && rm -rf "$state/$mode"
args=(--bin "$NODE_BIN" --gateway-bin "$GATEWAY_BIN" --state "$state" --port-offset "$offset" ${gateway[@]+"${gateway[@]}"})
[ "$mode" = dev ] && args+=(--dev)
exec node "$REPO_ROOT/scripts/lib/network.mjs" "${args[@]}"
