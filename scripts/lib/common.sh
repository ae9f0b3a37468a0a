# Shared by scripts/run.sh and scripts/test.sh: where the build goes and how to install what the
# build needs on a fresh Debian machine that has rustup, apt and node/npm.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# The build lives outside the clone so every clone (and CI) reuses it.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/iotrust/target}"
NODE_BIN="$CARGO_TARGET_DIR/debug/iotrust-node"
GATEWAY_BIN="$CARGO_TARGET_DIR/debug/iotrust-gateway"

# A step's headline, with the time since the script started (CI's log then shows what took long).
log() { printf '\033[1m==> [%d:%02d] %s\033[0m\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

# Install the named apt packages that are missing.
ensure_apt_packages() {
	local missing=()
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "installing apt packages: ${missing[*]}"
	local sudo=""
	[ "$(id -u)" -ne 0 ] && sudo="sudo"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
}

# The toolchain pinned in rust-toolchain.toml, with the components and Wasm target it lists.
# `rustup toolchain install` does nothing when they are already there.
ensure_rust() {
	command -v rustup >/dev/null || { echo "rustup is required: https://rustup.rs" >&2; exit 1; }
	local toolchain
	toolchain="$(sed -n 's/^channel = "\(.*\)"/\1/p' "$REPO_ROOT/rust-toolchain.toml")"
	rustup toolchain install "$toolchain" --profile minimal \
		--component rustfmt --component clippy --component rust-src \
		--target wasm32v1-none >/dev/null
}

ensure_build_deps() {
	# protoc compiles the network layer's protobuf schemas; gcc builds the few C parts; the
	# network layer links the system's OpenSSL (see .cargo/config.toml), found through pkg-config.
	ensure_apt_packages protobuf-compiler build-essential libssl-dev pkg-config
	ensure_rust
}

# The MQTT broker the gateway and its tests use: Debian's mosquitto (and its clients, with which
# the group test plays a broker client that replays and erases group messages).
ensure_mosquitto() {
	ensure_apt_packages mosquitto mosquitto-clients openssl
}

# What the fault tests (tests/e2e/faults.test.mjs) use: iproute2 for network namespaces, socat to
# reach a node inside one, libfaketime to skew a node's clock, util-linux's fallocate.
ensure_fault_tools() {
	ensure_apt_packages iproute2 socat faketime util-linux
}

# Build the node (and with it the runtime's Wasm) and the gateway, in the debug profile or in
# the one named (`build_node production`), and point NODE_BIN and GATEWAY_BIN at them. Cargo
# does nothing if they are up to date.
build_node() {
	local profile="${1:-debug}"
	log "building iotrust-node and iotrust-gateway ($profile profile, target dir $CARGO_TARGET_DIR)"
	if [ "$profile" = debug ]; then
		(cd "$REPO_ROOT" && cargo build --locked -p iotrust-node -p iotrust-gateway)
	else
		(cd "$REPO_ROOT" && cargo build --locked --profile "$profile" -p iotrust-node -p iotrust-gateway)
	fi
	NODE_BIN="$CARGO_TARGET_DIR/$profile/iotrust-node"
	GATEWAY_BIN="$CARGO_TARGET_DIR/$profile/iotrust-gateway"
}
