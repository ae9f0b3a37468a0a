#!/usr/bin/env bash
# Run the client examples in examples/ (JavaScript, Python, Rust, curl) against a development
# node: either one already running (--url ws://host:port, e.g. `scripts/run.sh --dev`'s), or one
# this script starts on loopback (the debug build, a throw-away database, stopped at the end).
# Each example does its whole flow and fails on any error; scripts/test.sh runs this.
#
#   scripts/examples.sh [--url ws://127.0.0.1:9944] [--only js|python|rust|curl]... [--no-build]
#
# It installs what the examples need: their npm packages (examples/js/node_modules), a Python
# virtual environment with examples/python/requirements.txt (under $CARGO_TARGET_DIR/../examples-venv,
# Debian's python3-venv), and builds the Rust example with the workspace.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

url=""
build=1
only=()
while [ $# -gt 0 ]; do
	case "$1" in
	--url) url="$2"; shift ;;
	--only) only+=("$2"); shift ;;
	--no-build) build=0 ;;
	-h | --help) sed -n '2,11p' "$0"; exit 0 ;;
	*) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ ${#only[@]} -eq 0 ] && only=(js python rust curl)
wants() { [[ " ${only[*]} " == *" $1 "* ]]; }

command -v node >/dev/null || { echo "node (Node.js 18+) and npm are required" >&2; exit 1; }
ensure_apt_packages curl python3-venv
if [ "$build" -eq 1 ]; then
	ensure_build_deps
	log "building the node and the Rust example"
	(cd "$REPO_ROOT" && cargo build --locked -p iotrust-node -p iotrust-example-client)
fi

node_pid=""
state=""
cleanup() {
	if [ -n "$node_pid" ]; then
		kill "$node_pid" 2>/dev/null || true
		wait "$node_pid" 2>/dev/null || true
	fi
	[ -n "$state" ] && rm -rf "$state"
	return 0
}
trap cleanup EXIT

if [ -z "$url" ]; then
	# A port pair away from scripts/run.sh's and the end-to-end tests'.
	rpc_port=$((9944 + ${IOTRUST_EXAMPLES_PORT_OFFSET:-600}))
	url="ws://127.0.0.1:$rpc_port"
	state="$(mktemp -d "${TMPDIR:-/tmp}/iotrust-examples-XXXXXX")"
	log "starting a development node on $url (log: $state/node.log)"
	IOTRUST_WASM_CACHE="${TMPDIR:-/tmp}/iotrust-node-cache/wasm" "$NODE_BIN" --dev --base-path "$state/node" \
		--rpc-port "$rpc_port" --no-prometheus --no-telemetry --no-mdns \
		--listen-addr "/ip4/127.0.0.1/tcp/$((30333 + ${IOTRUST_EXAMPLES_PORT_OFFSET:-600}))" \
		>"$state/node.log" 2>&1 &
	node_pid=$!
	for _ in $(seq 1 120); do
		curl -sf -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"chain_getFinalizedHead","params":[]}' \
			"http://127.0.0.1:$rpc_port" >/dev/null 2>&1 && break
		kill -0 "$node_pid" 2>/dev/null || { tail -20 "$state/node.log"; echo "the node exited" >&2; exit 1; }
		sleep 1
	done
fi
http_url="http${url#ws}"

if wants js; then
	log "examples/js (@polkadot/api)"
	(cd "$REPO_ROOT/examples/js" && npm ci --no-audit --no-fund --loglevel=error && timeout 5m node flows.mjs "$url")
fi
if wants python; then
	log "examples/python (async-substrate-interface)"
	venv="$(dirname "$CARGO_TARGET_DIR")/examples-venv"
	[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
	"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$REPO_ROOT/examples/python/requirements.txt"
	timeout 5m "$venv/bin/python" "$REPO_ROOT/examples/python/flows.py" "$url"
fi
if wants rust; then
	log "examples/rust (subxt)"
	timeout 5m "$CARGO_TARGET_DIR/debug/iotrust-example-client" "$url"
fi
if wants curl; then
	log "examples/curl (state_call)"
	timeout 2m "$REPO_ROOT/examples/curl/flows.sh" "$http_url"
fi
log "examples passed"
