#!/usr/bin/env bash
# Rehearse this tree's runtime upgrade against a running chain's state (try-runtime): take a
# snapshot of the chain's state over RPC (the finalized head, or --at), then run the runtime built
# from this tree over it — every migration and pallet upgrade hook with its pre_upgrade and
# post_upgrade checks, every pallet's try_state, and a second run that must change nothing.
# Exits non-zero if any check fails. Run it before proposing the upgrade to the council.
#
#   scripts/try-runtime.sh [--uri http://127.0.0.1:9944] [--at 0xBLOCKHASH] [--snapshot FILE]
#
# --snapshot FILE keeps the snapshot there (and reuses it if it exists, without a node).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

uri=http://127.0.0.1:9944
at=()
snap=""
while [ $# -gt 0 ]; do
	case "$1" in
	--uri) uri="$2"; shift ;;
	--at) at=(--at "$2"); shift ;;
	--snapshot) snap="$2"; shift ;;
	-h | --help) sed -n '2,10p' "$0"; exit 0 ;;
	*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done

ensure_build_deps
log "building iotrust-try-runtime (the runtime natively, with its try-runtime checks)"
# The runtime runs natively here, so its Wasm is not built.
(cd "$REPO_ROOT" && SKIP_WASM_BUILD=1 cargo build --locked -p iotrust-fuzz --features try-runtime --bin iotrust-try-runtime)

if [ -z "$snap" ]; then
	tmp="$(mktemp -d)"
	trap 'rm -rf "$tmp"' EXIT
	snap="$tmp/snapshot.json"
fi
if [ ! -s "$snap" ]; then
	log "taking a snapshot of the state at $uri"
	node "$REPO_ROOT/scripts/lib/snapshot.mjs" --uri "$uri" "${at[@]}" --out "$snap"
fi
log "running the upgrade over the snapshot"
"$CARGO_TARGET_DIR/debug/iotrust-try-runtime" --snapshot "$snap"
