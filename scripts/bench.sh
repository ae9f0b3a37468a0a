#!/usr/bin/env bash
# Run the runtime's pallet benchmarks and write each pallet's weights.rs.
#
#   scripts/bench.sh [PALLET ...]     default: every iotrust pallet
#
# Builds the node with the `runtime-benchmarks` feature in the `production` profile (release with
# thin LTO: the build whose figures we publish; ~30 min cold on 2 cores), then runs
# `iotrust-node benchmark pallet` against the runtime's Wasm with the template in .maintain/. Run
# it on the reference machine; the figures are that machine's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

pallets=("$@")
[ ${#pallets[@]} -eq 0 ] && pallets=(pallet_consortium pallet_devices pallet_anchoring pallet_obligations)

ensure_build_deps
log "building iotrust-node with runtime-benchmarks"
(cd "$REPO_ROOT" && cargo build --locked --profile production -p iotrust-node --features runtime-benchmarks)
BENCH_NODE="$CARGO_TARGET_DIR/production/iotrust-node"
wbuild="$CARGO_TARGET_DIR/production/wbuild/iotrust-runtime"
wasm=""
for candidate in iotrust_runtime.compact.compressed.wasm iotrust_runtime.compact.wasm iotrust_runtime.wasm; do
	[ -f "$wbuild/$candidate" ] && { wasm="$wbuild/$candidate"; break; }
done
[ -n "$wasm" ] || { echo "no runtime Wasm under $wbuild" >&2; exit 1; }

for pallet in "${pallets[@]}"; do
	dir="$REPO_ROOT/pallets/${pallet#pallet_}"
	log "benchmarking $pallet -> $dir/src/weights.rs"
	"$BENCH_NODE" benchmark pallet \
		--runtime "$wasm" --genesis-builder=runtime \
		--pallet "$pallet" --extrinsic '*' \
		--steps 50 --repeat 20 \
		--template "$REPO_ROOT/.maintain/frame-weight-template.hbs" \
		--output "$dir/src/weights.rs"
done
