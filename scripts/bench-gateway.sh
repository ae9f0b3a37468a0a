#!/usr/bin/env bash
# Measure the gateway: readings/s ingested and anchored, publish → finalized latency p50/p95.
# A benchmark that prints figures, not a test.
#
#   scripts/bench-gateway.sh [--devices N] [--rate R] [--seconds S] [--local]
#
# Defaults: 20 devices, 500 readings/s in all, 30 s, on the development chain (--local: the
# 4-validator network). Everything runs on loopback and is stopped at the end.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
case "${1:-}" in -h | --help) sed -n '2,9p' "$0"; exit 0 ;; esac
command -v node >/dev/null || { echo "node (Node.js 18+) is required" >&2; exit 1; }
ensure_build_deps
ensure_mosquitto
build_node
exec node "$REPO_ROOT/scripts/lib/gateway-bench.mjs" --bin "$NODE_BIN" --gateway-bin "$GATEWAY_BIN" "$@"
