#!/usr/bin/env bash
# Run the client examples in examples/ (JavaScript, Python, Rust, curl) against a development
# node: either one already running (--url ws://host:port, e.g. `scripts/run.sh --dev`'s), or one
# started on loopback by scripts/lib/examples.mjs (the debug build, a throw-away database, stopped
# at the end).
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

if wants js; then
	(cd "$REPO_ROOT/examples/js" && npm ci --no-audit --no-fund --loglevel=error)
fi
venv="$(dirname "$CARGO_TARGET_DIR")/examples-venv"
if wants python; then
	[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
	"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$REPO_ROOT/examples/python/requirements.txt"
fi
log "running the examples (${only[*]})"
node "$REPO_ROOT/scripts/lib/examples.mjs" --bin "$NODE_BIN" --example-bin "$CARGO_TARGET_DIR/debug/iotrust-example-client" \
	--python "$venv/bin/python" ${url:+--url "$url"} $(printf -- '--only %s ' "${only[@]}")
log "examples passed"
