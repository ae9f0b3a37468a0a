#!/bin/sh
# Starts iotrust-node. With IOTRUST_SEED set (a development seed such as //Alice, or a secret
# phrase), its Aura and GRANDPA keys are put in the keystore under /data first, once; with
# IOTRUST_CHAIN the chain they are inserted for (default: local).
set -eu
if [ -n "${IOTRUST_SEED:-}" ] && [ ! -e /data/.keys-inserted ]; then
	chain="${IOTRUST_CHAIN:-local}"
	iotrust-node key insert --base-path /data --chain "$chain" --scheme sr25519 --suri "$IOTRUST_SEED" --key-type aura
	iotrust-node key insert --base-path /data --chain "$chain" --scheme ed25519 --suri "$IOTRUST_SEED" --key-type gran
	touch /data/.keys-inserted
fi
exec iotrust-node "$@"
