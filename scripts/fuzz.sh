#!/usr/bin/env bash
# The runtime fuzzer's long mode: random sequences of every pallet's calls from random origins on
# the real runtime (iotrust-fuzz, in fuzz/), every pallet's invariants, the block limits and the
# issuance checked after every block. Stops at the first panic or broken invariant and prints the
# seed and case that replay it; otherwise prints what it covered (each call tried, how often it
# succeeded, the errors it met). scripts/test.sh runs a 90-second short mode.
#
#   scripts/fuzz.sh [--calls N] [--seconds T] [--seed S] [--release] [--out FILE]
#
# Defaults: 1,000,000 calls, a seed from the clock (printed), the debug build (overflow checks on,
# about 500 calls/s here; --release is about ten times faster after a longer build), the report
# to bench/results/fuzz.md. Replay a failure: add the printed `--case C` (and the same --seed).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

calls=1000000
seed="$(date +%s)"
profile=debug
out="$REPO_ROOT/bench/results/fuzz.md"
pass=()
while [ $# -gt 0 ]; do
	case "$1" in
	--calls) calls="$2"; shift ;;
	--seed) seed="$2"; shift ;;
	--seconds | --case | --blocks | --per-block) pass+=("$1" "$2"); shift ;;
	--verbose) pass+=("$1") ;;
	--release) profile=release ;;
	--out) out="$2"; shift ;;
	-h | --help) sed -n '2,13p' "$0"; exit 0 ;;
	*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

ensure_build_deps
log "building iotrust-fuzz ($profile)"
if [ "$profile" = release ]; then
	(cd "$REPO_ROOT" && cargo build --locked --release -p iotrust-fuzz)
else
	# The workspace build scripts/test.sh makes (the same feature set, so nothing is compiled
	# again after it); `-p iotrust-fuzz` alone would unify features differently.
	(cd "$REPO_ROOT" && cargo build --locked --workspace --all-targets)
fi
log "fuzzing: seed $seed, $calls calls"
mkdir -p "$(dirname "$out")"
status=0
"$CARGO_TARGET_DIR/$profile/iotrust-fuzz" --seed "$seed" --calls "$calls" ${pass[@]+"${pass[@]}"} >"$out.tmp" || status=$?
{
	echo "scripts/fuzz.sh --seed $seed --calls $calls ${pass[*]:-} ($profile build, commit $(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown))"
	echo
	cat "$out.tmp"
} >"$out"
rm -f "$out.tmp"
cat "$out"
exit "$status"
