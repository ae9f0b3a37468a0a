"""iotrust from Python, with async-substrate-interface (PyPI; maintained by the OpenTensor
Foundation). It reads the chain's metadata (version 15), which describes every pallet call and
every runtime API with its types: no type registry is written by hand here.

Runs against a development chain (`scripts/run.sh --dev`):

    python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
    .venv/bin/python flows.py [ws://127.0.0.1:9944]

1. A device: a fresh ed25519 key proves possession, Alice registers it and binds it to her own
   account (an owner may be its devices' gateway).
2. Its readings: the device signs two readings, Alice anchors the batch's Merkle root, and the
   chain confirms one reading with its proof (what a gateway's /proof/<device>/<seq> serves).
3. An obligation: Bob offers a service, Charlie takes the offer up (accepted at once), pays it.
4. Reads: Bob's stream of what he is owed, Charlie's reputation score and credit limit.
"""

import hashlib
import os
import sys
import time

import bip39
import nacl.signing
import sr25519
from async_substrate_interface.sync_substrate import SubstrateInterface
from scalecodec.utils.ss58 import ss58_encode

URL = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("IOTRUST_WS", "ws://127.0.0.1:9944")
UNIT = 10**12  # 1 IOTR: 12 decimals
DEV_PHRASE = "bottom drive obey lake curtain smoke basket hold race lonely fit walk"


def say(text):
    print(f"• {text}", flush=True)


def blake2_256(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=32).digest()


class DevAccount:
    """A development account (`//Alice`, …): sr25519, derived from Substrate's development phrase
    by a hard junction, as `subkey inspect //Alice` does. The client only needs these five
    members (its `Keypair` protocol)."""

    crypto_type = 1  # sr25519, the MultiSignature variant
    ss58_format = 42

    def __init__(self, name: str):
        seed = bip39.bip39_to_mini_secret(DEV_PHRASE, "")
        pair = sr25519.pair_from_seed(bytes(seed))
        # A hard junction's chain code: the SCALE encoding of the name, padded to 32 bytes.
        junction = bytes([len(name) << 2]) + name.encode()
        _, self.public_key, self._secret = sr25519.hard_derive_keypair(
            (junction.ljust(32, b"\0"), pair[0], pair[1]), b""
        )
        self.ss58_address = ss58_encode(self.public_key, self.ss58_format)

    def sign(self, data):
        if isinstance(data, str):
            data = bytes.fromhex(data[2:])
        return sr25519.sign((self.public_key, self._secret), bytes(data))


def submit(substrate, pallet, function, params, signer):
    """Sign a call, wait until its block is finalized, return its events; raise with the pallet's
    error (e.g. `devices.GatewayNotServing`) if it failed."""
    call = substrate.compose_call(pallet, function, params)
    extrinsic = substrate.create_signed_extrinsic(call=call, keypair=signer)
    receipt = substrate.submit_extrinsic(extrinsic, wait_for_finalization=True)
    if not receipt.is_success:
        raise RuntimeError(f"{pallet}.{function} failed: {receipt.error_message}")
    return receipt.triggered_events


def event(events, pallet, name):
    """The attributes of the first `pallet.name` event."""
    for record in events:
        e = record["event"]
        if e["module_id"] == pallet and e["event_id"] == name:
            return e["attributes"]
    raise LookupError(f"no {pallet}.{name} event")


def hex0x(data: bytes) -> str:
    return "0x" + data.hex()


substrate = SubstrateInterface(URL, ss58_format=42)
alice, bob, charlie = DevAccount("Alice"), DevAccount("Bob"), DevAccount("Charlie")
genesis = bytes.fromhex(substrate.get_block_hash(0)[2:])
version = substrate.runtime_call("Core", "version", [])
say(f"Connected to {substrate.rpc_request('system_chain', [])['result']} at {URL} "
    f"(runtime {version['spec_name']} {version['spec_version']}), genesis {hex0x(genesis)}.")


def scale(type_of, value) -> bytes:
    """SCALE-encode `value` as the metadata's type number `type_of`."""
    return bytes(substrate.encode_scale(f"scale_info::{type_of}", value))


api_map = substrate.runtime.runtime_api_map  # runtime APIs, with their argument types, from the metadata

# --- 1. A device ---------------------------------------------------------------------------
# The device's own key. A real device keeps its secret in its secure element; here it is a random
# seed that lives as long as this script.
device = nacl.signing.SigningKey.generate()
device_key = {"Ed25519": hex0x(device.verify_key.encode())}
# Proof of possession: the device signs SCALE(("iotrust/device/register/v1", genesis, owner, key)):
# the domain as Vec<u8> (compact length, then the bytes), the genesis hash, the owner's account
# id, then the key as the DevicePublicKey enum (variant 0 is Ed25519).
domain = b"iotrust/device/register/v1"
registration = bytes([len(domain) << 2]) + domain + genesis + alice.public_key + b"\x00" + device.verify_key.encode()
proof = {"Ed25519": hex0x(device.sign(registration).signature)}
metadata = {"model": "ColdTrack T1", "serial_hash": hex0x(blake2_256(b"serial 0001")), "uri": "https://example.com/coldtrack"}
events = submit(substrate, "Devices", "register", {"key": device_key, "metadata": metadata, "proof": proof}, alice)
device_id = event(events, "Devices", "DeviceRegistered")["device"]
device_id = device_id if isinstance(device_id, str) else hex0x(bytes(device_id))
say(f"Alice registered a ColdTrack T1 whose ed25519 key signed the proof of possession: device {device_id}.")

submit(substrate, "Devices", "bind_gateway", {"device": device_id, "gateway": alice.ss58_address}, alice)
info = substrate.runtime_call("DevicesApi", "device", [device_id])
say(f"Alice bound it to her own account as its gateway; the chain says it is {info['status']}, gateway {info['gateway']}.")

# --- 2. Its readings, anchored and proven ----------------------------------------------------
# A reading is signed as SCALE(("iotrust/reading/v1", genesis, device, seq, timestamp_ms, metrics)),
# metric 1 being the temperature in m°C.
now = int(time.time() * 1000)
reading_type = api_map["AnchoringApi"]["check_reading"]["inputs"][1]["ty"]
readings = []
for seq, milli_celsius in [(0, -18_200), (1, -18_050)]:
    reading_domain = b"iotrust/reading/v1"
    signed = (bytes([len(reading_domain) << 2]) + reading_domain + genesis + bytes.fromhex(device_id[2:])
              + seq.to_bytes(8, "little") + (now + seq * 1000).to_bytes(8, "little")
              + bytes([1 << 2]) + (1).to_bytes(2, "little") + milli_celsius.to_bytes(8, "little", signed=True))
    readings.append({
        "device": device_id, "seq": seq, "timestamp_ms": now + seq * 1000,
        "metrics": [{"id": 1, "value": milli_celsius}],
        "signature": {"Ed25519": hex0x(device.sign(signed).signature)},
    })
# The batch's Merkle tree: leaf = blake2_256(0x00 ‖ SCALE(reading)), node = blake2_256(0x01 ‖ left ‖ right).
leaves = [blake2_256(b"\x00" + scale(reading_type, r)) for r in readings]
root = blake2_256(b"\x01" + leaves[0] + leaves[1])
# Alice numbers her batches; the chain remembers the highest she anchored.
last = substrate.runtime_call("AnchoringApi", "last_batch", [alice.ss58_address])
batch = (last or 0) + 1
# `ranges` and each range's `summaries` are BoundedVecs, which the metadata describes as a
# struct with one unnamed field (the list); this client takes such a struct as a one-element
# list, hence the double brackets.
anchor_params = {
    "batch": batch, "root": hex0x(root), "reading_count": 2,
    "from_ms": readings[0]["timestamp_ms"], "to_ms": readings[1]["timestamp_ms"],
    "ranges": [[{"device": device_id, "first": 0, "last": 1, "summaries": [[{"id": 1, "min": -18_200, "max": -18_050}]]}]],
}
events = submit(substrate, "Anchoring", "anchor", anchor_params, alice)
anchor_id = event(events, "Anchoring", "Anchored")["anchor"]
say(f"Alice anchored batch {batch} (2 readings, root {hex0x(root)[:18]}…) as anchor {anchor_id}, in a finalized block.")

merkle_proof = {"index": 1, "leaf_count": 2, "siblings": [hex0x(leaves[0])]}
verdict = substrate.runtime_call("AnchoringApi", "check_reading", [anchor_id, readings[1], merkle_proof])
say(f"The chain checks reading #1 (-18.05 °C) against anchor {anchor_id} with its proof: {verdict}.")
forged = dict(readings[1], metrics=[{"id": 1, "value": -25_000}])
verdict = substrate.runtime_call("AnchoringApi", "check_reading", [anchor_id, forged, merkle_proof])
say(f"The same proof with the value changed to -25 °C: {verdict}.")

# --- 3. An obligation, taken up and paid ------------------------------------------------------
terms = {
    "service_hash": hex0x(blake2_256(b"cold storage, one pallet, one day")),
    "min_amount": 1 * UNIT, "max_amount": 10 * UNIT, "due_in": 1_000, "min_score": 0, "device": None, "sla": None,
    "consumers": [[]],  # a BoundedVec: one field, the list of accounts (none: anyone)
}
offer_id = event(submit(substrate, "Obligations", "publish_offer", {"terms": terms}, bob), "Obligations", "OfferPublished")["offer"]
say(f"Bob published offer {offer_id}: cold storage for 1 to 10 IOTR, due 1,000 blocks after acceptance.")

request = {"offer": offer_id, "amount": 5 * UNIT, "note": "pallet 17"}
events = submit(substrate, "Obligations", "create", {"request": request, "consumer_device": None}, charlie)
obligation_id = event(events, "Obligations", "Created")["id"]
say(f"Charlie took it up for 5 IOTR: obligation {obligation_id}, accepted at once (his credit allows it).")

paid = event(submit(substrate, "Obligations", "pay", {"id": obligation_id, "amount": 5 * UNIT}, charlie), "Obligations", "Paid")
say(f"Charlie paid 5 IOTR to Bob and burned a {paid['credit_fee'] / UNIT} IOTR credit fee; {paid['remaining']} left to pay.")
submit(substrate, "Obligations", "withdraw_offer", {"offer": offer_id}, bob)
say("Bob withdrew the offer; its deposit is released (the obligation keeps its terms).")

# --- 4. Reads through the runtime APIs -----------------------------------------------------------
# A stream is read a page (at most 100) at a time; a page's `next` is where the next one starts.
after, count, mine = None, 0, None
while True:
    page = substrate.runtime_call("ObligationsApi", "provider_stream", [bob.ss58_address, None, after, 100])
    count += len(page["items"])
    mine = mine or next((info for (oid, info) in page["items"] if oid == obligation_id), None)
    after = page["next"]
    if after is None:
        break
say(f"Bob's stream holds {count} obligation(s); #{obligation_id} is {mine['status']}: "
    f"{mine['amount'] // UNIT} IOTR from {mine['consumer']}, {mine['paid'] // UNIT} paid.")
score = substrate.runtime_call("ReputationApi", "score", [charlie.ss58_address])
limit = substrate.runtime_call("ReputationApi", "credit_limit", [charlie.ss58_address])
say(f"Charlie's reputation score is {score} of 1000, and he may owe up to {limit / UNIT} IOTR at once.")

substrate.close()
say("Done.")
