#!/usr/bin/env bash
# Build the runtime the chain ran before this tree's: the tree just before the commit that raised
# spec_version to this tree's (or the commit given), built from a git worktree with the same
# target directory, so its dependencies are not built again. Prints the path of its Wasm, cached
# per commit under ~/.cache/iotrust/runtimes. The upgrade rehearsal starts its network on it.
#
#   scripts/lib/previous-runtime.sh [COMMIT]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

spec_of() { git -C "$REPO_ROOT" show "$1:runtime/src/lib.rs" | sed -n 's/^\s*spec_version: \([0-9]*\),/\1/p'; }

current="$(sed -n 's/^\s*spec_version: \([0-9]*\),/\1/p' "$REPO_ROOT/runtime/src/lib.rs")"
if [ $# -gt 0 ]; then
	rev="$(git -C "$REPO_ROOT" rev-parse "$1^{commit}")"
elif [ "$(spec_of HEAD)" -lt "$current" ]; then
	# The bump is not committed yet: the last commit is the previous runtime.
	rev="$(git -C "$REPO_ROOT" rev-parse HEAD)"
else
	# The parent of the commit that bumped spec_version to this tree's.
	bump=""
	for commit in $(git -C "$REPO_ROOT" log --format=%H -- runtime/src/lib.rs); do
		[ "$(spec_of "$commit")" = "$current" ] || break
		bump="$commit"
	done
	rev="$(git -C "$REPO_ROOT" rev-parse "$bump^")"
fi

cache="$HOME/.cache/iotrust/runtimes"
wasm="$cache/$rev.wasm"
if [ ! -s "$wasm" ]; then
	log "building the previous runtime (spec_version $(spec_of "$rev"), commit ${rev:0:10})" >&2
	mkdir -p "$cache"
	tree="$cache/worktree"
	git -C "$REPO_ROOT" worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
	git -C "$REPO_ROOT" worktree prune
	git -C "$REPO_ROOT" worktree add --detach --quiet "$tree" "$rev"
	# Only the old runtime's Wasm is built, by tools/runtime-wasm's build script (see its
	# Cargo.toml): the workspace build again, so every dependency is fresh, with the old tree named.
	# Both runtimes' Wasm land in the same place under the target directory; the next build of
	# this tree sees that and builds its own Wasm again (about a minute).
	# The first build, without the old tree, is a no-op after the workspace build; it makes sure
	# this tree's runtime is not building its own Wasm into that place at the same time.
	started=$(date +%s)
	(cd "$REPO_ROOT" && env -u SKIP_WASM_BUILD cargo build --locked --workspace --all-targets >&2)
	(cd "$REPO_ROOT" && env -u SKIP_WASM_BUILD IOTRUST_RUNTIME_TREE="$tree" \
		cargo build --locked --workspace --all-targets >&2)
	log "previous runtime built in $(($(date +%s) - started)) s" >&2
	cp "$CARGO_TARGET_DIR/debug/wbuild/iotrust-runtime/iotrust_runtime.wasm" "$wasm.tmp"
	mv "$wasm.tmp" "$wasm"
	git -C "$REPO_ROOT" worktree remove --force "$tree"
fi
echo "$wasm"
