#!/usr/bin/env bash
# iotrust over plain JSON-RPC with curl: reading an anchor and calling runtime APIs with
# `state_call`, SCALE in and out, step by step. Needs only bash, curl and sed. Runs against a
# development chain (`scripts/run.sh --dev`) on which Alice has anchored a batch (run the
# JavaScript or Python example first):
#
#   examples/curl/flows.sh [http://127.0.0.1:9944]
#
# A runtime API call is `state_call(name, args)`: `name` is `<Api>_<method>` as the metadata
# names them (AnchoringApi_last_batch, …), `args` the SCALE encoding of the arguments one after
# another, as hex; the answer is the SCALE encoding of the return value, as hex.
set -euo pipefail

URL="${1:-${IOTRUST_HTTP:-http://127.0.0.1:9944}}"
# Alice's account id: the 32 bytes behind her SS58 address 5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY.
ALICE=d43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d

say() { printf '• %s\n' "$*"; }
step() { printf '    %s\n' "$*"; }

# One JSON-RPC call; prints the "result" (a string here), or fails with the node's error.
rpc() {
	local method="$1" params="$2" answer
	answer="$(curl -sS --max-time 30 -H 'content-type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$method\",\"params\":$params}" "$URL")"
	case "$answer" in
	*'"result":"'*) sed -E 's/.*"result":"([^"]*)".*/\1/' <<<"$answer" ;;
	*) echo "$method failed: $answer" >&2; return 1 ;;
	esac
}

# SCALE integers are little-endian: reverse the bytes of a hex string, then read it as a number.
le() { printf '%d' "0x$(sed -E 's/(..)/\1\n/g' <<<"$1" | tac | tr -d '\n')"; }
# A u64 as SCALE: 8 bytes, little-endian.
u64() { printf '%016x' "$1" | sed -E 's/(..)/\1\n/g' | tac | tr -d '\n'; }

say "The chain at $URL: $(rpc system_chain '[]'), genesis $(rpc chain_getBlockHash '[0]')."

# 1. AnchoringApi_last_batch(gateway: AccountId) -> Option<u64>
say "Which batch did Alice anchor last? state_call AnchoringApi_last_batch with her account id:"
step "in:  0x$ALICE (the account id, 32 bytes as they are)"
out="$(rpc state_call "[\"AnchoringApi_last_batch\", \"0x$ALICE\"]")"
step "out: $out"
if [ "$out" = 0x00 ]; then
	step "= None (0x00): Alice has anchored nothing yet; run examples/js or examples/python first."
	exit 1
fi
batch="$(le "${out:4:16}")"
step "= Some (0x01), then the u64 ${out:4:16} little-endian = $batch"

# 2. AnchoringApi_anchor_by_batch(gateway, batch: u64) -> Option<(AnchorId, Anchor)>
say "Its anchor: state_call AnchoringApi_anchor_by_batch with her account id and the batch number:"
step "in:  0x$ALICE$(u64 "$batch") (account id, then $batch as a little-endian u64)"
out="$(rpc state_call "[\"AnchoringApi_anchor_by_batch\", \"0x$ALICE$(u64 "$batch")\"]")"
step "out: ${out:0:80}…"
hex="${out:4}" # past 0x and the Option's 01
# The anchor id u64, then the Anchor's fields in order: gateway [32 bytes], its header (batch u64,
# root [32 bytes], reading_count u32, from_ms u64, to_ms u64), ranges Vec<DeviceRange>,
# anchored_at u32.
anchor="$(le "${hex:0:16}")"
gateway="${hex:16:64}"
batch_again="$(le "${hex:80:16}")"
root="${hex:96:64}"
count="$(le "${hex:160:8}")"
from_ms="$(le "${hex:168:16}")"
to_ms="$(le "${hex:184:16}")"
step "= Some: anchor id $anchor; gateway 0x$gateway; batch $batch_again; root 0x$root;"
step "  $count readings signed from $from_ms to $to_ms ms after 1970 ($(date -u -d "@$((from_ms / 1000))" '+%F %T UTC'))."
[ "$gateway" = "$ALICE" ] && step "  The gateway is Alice, as asked."

# 3. AnchoringApi_anchor(id: u64) -> Option<Anchor>: the same record by its id.
out="$(rpc state_call "[\"AnchoringApi_anchor\", \"0x$(u64 "$anchor")\"]")"
# Past 0x and Option 01: gateway (32 bytes), batch (8), then the root.
[ "$root" = "${out:84:64}" ] && say "AnchoringApi_anchor($anchor) returns the same record: root 0x${out:84:16}…"

# 4. ReputationApi_score(who: AccountId) -> u32, and credit_limit -> u128
out="$(rpc state_call "[\"ReputationApi_score\", \"0x$ALICE\"]")"
say "Alice's reputation: ReputationApi_score answers $out, a little-endian u32 = $(le "${out:2:8}") of 1000."
out="$(rpc state_call "[\"ReputationApi_credit_limit\", \"0x$ALICE\"]")"
# A u128 in planck (10^-12 IOTR); its low 8 bytes hold any credit limit there is.
say "Her credit limit: ReputationApi_credit_limit answers $out = $(( $(le "${out:2:16}") / 1000000000000 )) IOTR (in planck, 12 decimals)."
say "Done."
