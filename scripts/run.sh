#!/usr/bin/env bash
# Build iotrust if needed, then run the 4-validator local network (alice, bob, charlie, dave) on
# loopback, or with --dev a single development node. Ctrl-C stops every node it started.
#
#   scripts/run.sh [--dev] [--state DIR] [--port-offset N] [--purge]
#
# State (databases, keystores, logs) is kept under DIR (default .state/) and reused on the next
# run; --purge starts from genesis again.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

mode=local
state="$REPO_ROOT/.state"
offset=0
purge=0
while [ $# -gt 0 ]; do
	case "$1" in
	--dev) mode=dev ;;
	--state) state="$2"; shift ;;
	--port-offset) offset="$2"; shift ;;
	--purge) purge=1 ;;
	-h | --help) sed -n '2,9p' "$0"; exit 0 ;;
	*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

command -v node >/dev/null || { echo "node (Node.js 18+) is required" >&2; exit 1; }
ensure_build_deps
build_node

[ "$purge" -eq 1 ] && rm -rf "$state/$mode"
args=(--bin "$NODE_BIN" --state "$state" --port-offset "$offset")
[ "$mode" = dev ] && args+=(--dev)
exec node "$REPO_ROOT/scripts/lib/network.mjs" "${args[@]}"
