#!/usr/bin/env bash
# Measure the runtime's weights on this machine and write them where the runtime reads them.
#
#   scripts/bench.sh [--no-build] [WHAT ...]
#
# WHAT is a pallet (pallet_devices, pallet_balances, frame_system_extensions, …), `overhead`
# (the base weights of a block and of an extrinsic) or `storage` (a read and a write in ParityDB,
# the runtime's DbWeight); default: all of them. Builds the node with `runtime-benchmarks` in the
# `production` profile (release with thin LTO: the build whose figures we publish; ~30 min cold
# on 2 cores) unless --no-build. iotrust's pallets get `pallets/<name>/src/weights.rs`;
# polkadot-sdk's pallets, the overhead and the storage weights go to `runtime/src/weights/`.
# Run it on the reference machine; the figures are that machine's and its name is in each file.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

OURS=(pallet_consortium pallet_devices pallet_anchoring pallet_groups pallet_channels pallet_obligations)
SDK=(frame_system frame_system_extensions pallet_balances pallet_timestamp pallet_utility
	pallet_transaction_payment pallet_session pallet_grandpa pallet_collective pallet_membership)
# Extra endowed accounts in the state `benchmark storage` measures.
STORAGE_ACCOUNTS="${STORAGE_ACCOUNTS:-50000}"
# Writes measured together, sharing one state-root computation: about what a full block of
# transfers writes. The CLI's default (100,000) exceeds the keys of a young chain, and then it
# measures no write at all and fails with "Empty input is invalid".
STORAGE_BATCH="${STORAGE_BATCH:-5000}"

build=1
what=()
for arg in "$@"; do
	case "$arg" in
	--no-build) build=0 ;;
	-h | --help) sed -n '2,12p' "$0"; exit 0 ;;
	*) what+=("$arg") ;;
	esac
done
[ ${#what[@]} -eq 0 ] && what=("${OURS[@]}" "${SDK[@]}" overhead storage)

ensure_build_deps
if [ "$build" -eq 1 ]; then
	log "building iotrust-node with runtime-benchmarks (production profile)"
	(cd "$REPO_ROOT" && cargo build --locked --profile production -p iotrust-node --features runtime-benchmarks)
fi
BENCH_NODE="$CARGO_TARGET_DIR/production/iotrust-node"
wbuild="$CARGO_TARGET_DIR/production/wbuild/iotrust-runtime"
wasm=""
for candidate in iotrust_runtime.compact.compressed.wasm iotrust_runtime.compact.wasm iotrust_runtime.wasm; do
	[ -f "$wbuild/$candidate" ] && { wasm="$wbuild/$candidate"; break; }
done
[ -n "$wasm" ] || { echo "no runtime Wasm under $wbuild" >&2; exit 1; }
weights="$REPO_ROOT/runtime/src/weights"
mkdir -p "$weights"

is_ours() {
	local p
	for p in "${OURS[@]}"; do [ "$p" = "$1" ] && return 0; done
	return 1
}

bench_pallet() {
	local pallet="$1" output template
	if is_ours "$pallet"; then
		output="$REPO_ROOT/pallets/${pallet#pallet_}/src/weights.rs"
		template="$REPO_ROOT/.maintain/frame-weight-template.hbs"
	else
		output="$weights/$pallet.rs"
		template="$REPO_ROOT/.maintain/runtime-weight-template.hbs"
	fi
	log "benchmarking $pallet -> ${output#"$REPO_ROOT"/}"
	"$BENCH_NODE" benchmark pallet \
		--runtime "$wasm" --genesis-builder=runtime \
		--pallet "$pallet" --extrinsic '*' \
		--steps 50 --repeat 20 \
		--template "$template" \
		--output "$output"
}

bench_overhead() {
	log "benchmarking block and extrinsic overhead -> runtime/src/weights/{block,extrinsic}_weights.rs"
	"$BENCH_NODE" benchmark overhead \
		--runtime "$wasm" --genesis-builder=runtime --genesis-builder-preset development \
		--warmup 10 --repeat 100 \
		--weight-path "$weights"
}

bench_storage() {
	local dir
	dir="$(mktemp -d)"
	# shellcheck disable=SC2064
	trap "rm -rf '$dir'" RETURN
	log "benchmarking ParityDB reads and writes over $STORAGE_ACCOUNTS accounts -> runtime/src/weights/paritydb_weights.rs"
	"$BENCH_NODE" export-chain-spec --chain dev 2>/dev/null > "$dir/dev.json"
	node "$REPO_ROOT/scripts/lib/populate-spec.mjs" "$dir/dev.json" "$dir/spec.json" "$STORAGE_ACCOUNTS"
	"$BENCH_NODE" benchmark storage \
		--chain "$dir/spec.json" --base-path "$dir/db" --database paritydb \
		--state-version 1 --disable-pov-recorder --warmups 1 \
		--batch-size "$STORAGE_BATCH" \
		--template-path "$REPO_ROOT/.maintain/storage-weight-template.hbs" \
		--weight-path "$weights"
}

for w in "${what[@]}"; do
	case "$w" in
	overhead) bench_overhead ;;
	storage) bench_storage ;;
	*) bench_pallet "$w" ;;
	esac
done
