// The protocol's test vectors (docs/protocol-vectors.json, see docs/protocol.md), checked with
// implementations independent of the Rust crate that wrote them: @polkadot/types' SCALE codec,
// @polkadot/util-crypto's BLAKE2b and ed25519/sr25519/secp256k1 verification, and Node's OpenSSL
// for P-256. The Merkle tree is rebuilt here from RFC 9162's rules. No network: this file runs in
// a second. The Rust side is primitives/tests/protocol_vectors.rs.
import assert from 'node:assert/strict';
import { createPublicKey, ECDH, verify as opensslVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it, before } from 'node:test';
import { TypeRegistry } from '@polkadot/types';
import { hexToU8a, stringToU8a, u8aConcat, u8aEq, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady, signatureVerify } from '@polkadot/util-crypto';
import { REPO_ROOT } from './helpers.mjs';

const vectors = JSON.parse(readFileSync(`${REPO_ROOT}/docs/protocol-vectors.json`, 'utf8'));

const registry = new TypeRegistry();
registry.register({
  DevicePublicKey: { _enum: { Ed25519: '[u8;32]', Sr25519: '[u8;32]', Secp256k1: '[u8;33]', P256: '[u8;33]' } },
  DeviceSignature: { _enum: { Ed25519: '[u8;64]', Sr25519: '[u8;64]', Secp256k1: '[u8;65]', P256: '[u8;64]' } },
  Metric: { id: 'u16', value: 'i64' },
  SignedReading: { device: 'H256', seq: 'u64', timestampMs: 'u64', metrics: 'Vec<Metric>', signature: 'DeviceSignature' },
  ObligationRequest: { offer: 'u64', amount: 'u128', note: 'Bytes' },
  MetricSummary: { id: 'u16', min: 'i64', max: 'i64' },
  DeviceRange: { device: 'H256', first: 'u64', last: 'u64', summaries: 'Vec<MetricSummary>' },
  AnchorHeader: { batch: 'u64', root: 'H256', readingCount: 'u32', fromMs: 'u64', toMs: 'u64' },
  GroupAnchor: { genesis: 'H256', group: 'u32', epoch: 'u32', header: 'AnchorHeader', ranges: 'Vec<DeviceRange>' },
});
const scale = (type, value) => registry.createType(type, value).toU8a();
const same = (actual, expectedHex, what) => assert.equal(u8aToHex(actual), expectedHex, what);

/** Whether `signature` (a SCALE DeviceSignature) is `key`'s (a SCALE DevicePublicKey) over `payload`. */
function verifies(payload, signatureHex, keyHex) {
  const key = registry.createType('DevicePublicKey', hexToU8a(keyHex));
  const sig = registry.createType('DeviceSignature', hexToU8a(signatureHex));
  assert.equal(sig.type, key.type, 'the signature is of the key\'s scheme');
  const [pub, raw] = [key.value.toU8a(), sig.value.toU8a()];
  if (key.type === 'P256') {
    // OpenSSL: the compressed point made uncompressed, wrapped as SPKI; r‖s over SHA-256.
    const point = ECDH.convertKey(pub, 'prime256v1', undefined, undefined, 'uncompressed');
    const spki = Buffer.concat([Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'), point]);
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    return opensslVerify('sha256', payload, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw);
  }
  // ed25519 and sr25519 over the payload, secp256k1 (r‖s‖v) over its BLAKE2b-256.
  return signatureVerify(payload, raw, pub).isValid;
}

const leafHash = (encoded) => blake2AsU8a(u8aConcat(new Uint8Array([0]), encoded));
const nodeHash = (left, right) => blake2AsU8a(u8aConcat(new Uint8Array([1]), left, right));

/** RFC 9162's tree: pairs left to right, an odd node out carried up. */
function root(leaves) {
  let level = leaves;
  while (level.length > 1) {
    const next = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? nodeHash(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}

/** RFC 9162's inclusion proof check, the leaf count taken as given. */
function provesIn(rootHash, leaf, { index, leafCount, siblings }) {
  let [hash, position, width, next] = [leaf, index, leafCount, 0];
  while (width > 1) {
    if ((position ^ 1) < width) {
      if (next >= siblings.length) return false;
      const other = hexToU8a(siblings[next++]);
      hash = position % 2 === 0 ? nodeHash(hash, other) : nodeHash(other, hash);
    }
    position = Math.floor(position / 2);
    width = Math.ceil(width / 2);
  }
  return next === siblings.length && u8aEq(hash, rootHash);
}

describe('protocol test vectors (docs/protocol-vectors.json)', () => {
  before(cryptoWaitReady);

  it('device ids and registration proofs, for every key scheme', () => {
    assert.deepEqual(vectors.devices.map((d) => d.scheme), ['Ed25519', 'Sr25519', 'Secp256k1', 'P256']);
    for (const d of vectors.devices) {
      same(blake2AsU8a(scale('(Bytes, DevicePublicKey)', ['iotrust/device/id/v1', hexToU8a(d.key)])), d.id, `${d.scheme} id`);
      const payload = scale('(Bytes, H256, [u8;32], DevicePublicKey)',
        ['iotrust/device/register/v1', vectors.genesis, vectors.owner, hexToU8a(d.key)]);
      same(payload, d.registration.payload, `${d.scheme} registration payload`);
      assert.ok(verifies(payload, d.registration.signature, d.key), `${d.scheme} registration signature`);
      // The same signature over another chain's payload does not verify.
      const other = scale('(Bytes, H256, [u8;32], DevicePublicKey)',
        ['iotrust/device/register/v1', `0x${'12'.repeat(32)}`, vectors.owner, hexToU8a(d.key)]);
      assert.ok(!verifies(other, d.registration.signature, d.key), `${d.scheme}: bound to the genesis hash`);
    }
  });

  it('readings: the signed payload, the SCALE leaf and its hash', () => {
    for (const [i, r] of vectors.readings.entries()) {
      const device = vectors.devices[r.device];
      const metrics = r.metrics.map(([id, value]) => ({ id, value: BigInt(value) }));
      const payload = scale('(Bytes, H256, H256, u64, u64, Vec<Metric>)',
        ['iotrust/reading/v1', vectors.genesis, device.id, r.seq, r.timestampMs, metrics]);
      same(payload, r.payload, `reading ${i}'s payload`);
      assert.ok(verifies(payload, r.signature, device.key), `reading ${i}'s signature`);
      const encoded = scale('SignedReading', {
        device: device.id, seq: r.seq, timestampMs: r.timestampMs, metrics,
        signature: registry.createType('DeviceSignature', hexToU8a(r.signature)),
      });
      same(encoded, r.encoded, `reading ${i}'s SCALE encoding`);
      same(leafHash(encoded), r.leaf, `reading ${i}'s leaf`);
    }
  });

  it('the batch\'s Merkle root, and a proof of every reading', () => {
    const leaves = vectors.readings.map((r) => hexToU8a(r.leaf));
    same(root(leaves), vectors.tree.root, 'the root');
    for (const [i, proof] of vectors.tree.proofs.entries()) {
      assert.equal(proof.index, i);
      assert.equal(proof.leafCount, leaves.length);
      assert.ok(provesIn(hexToU8a(vectors.tree.root), leaves[i], proof), `proof ${i}`);
      assert.ok(!provesIn(hexToU8a(vectors.tree.root), leaves[(i + 1) % leaves.length], proof), `proof ${i} proves only its leaf`);
    }
  });

  it('a device\'s obligation request', () => {
    const o = vectors.obligation;
    const device = vectors.devices[o.device];
    const request = { offer: o.request.offer, amount: BigInt(o.request.amount), note: o.request.note };
    const payload = scale('(Bytes, H256, H256, u32, u32, ObligationRequest)',
      ['iotrust/obligation/create/v2', vectors.genesis, device.id, o.nonce, o.validUntil, request]);
    same(payload, o.payload, 'the request\'s payload');
    assert.ok(verifies(payload, o.signature, device.key), 'the request\'s signature');
  });

  it('a gateway\'s signed reply to it', () => {
    const r = vectors.obligationReply;
    const device = vectors.devices[r.device];
    const payload = scale('(Bytes, H256, H256, Text, Option<u32>, Text, Option<u64>, Text)',
      ['iotrust/obligation/reply/v1', vectors.genesis, device.id, r.id, r.nonce, r.status, r.obligation, r.why]);
    same(payload, r.payload, 'the reply\'s payload');
    assert.ok(verifies(payload, r.signature, r.gatewayKey), 'the reply\'s signature');
    payload[payload.length - 1] ^= 1;
    assert.ok(!verifies(payload, r.signature, r.gatewayKey), 'over these bytes only');
  });

  it('a gateway group\'s anchor and the message its key signs', () => {
    const g = vectors.groupAnchor;
    const encoded = scale('GroupAnchor', {
      genesis: vectors.genesis, group: g.group, epoch: g.epoch,
      header: { batch: g.batch, root: vectors.tree.root, readingCount: g.readingCount, fromMs: g.fromMs, toMs: g.toMs },
      ranges: g.ranges.map((r) => ({
        device: r.device, first: r.first, last: r.last,
        summaries: r.summaries.map(([id, min, max]) => ({ id, min: BigInt(min), max: BigInt(max) })),
      })),
    });
    same(encoded, g.encoded, 'the group anchor\'s SCALE encoding');
    same(blake2AsU8a(u8aConcat(stringToU8a('iotrust/group-anchor/v1'), encoded)), g.message, 'the message');
  });
});
