// Device identity end to end, on the 4-validator local network through @polkadot/api: a P-256 device whose
// key and signatures come from Node's crypto (OpenSSL, an implementation independent of the
// runtime's), and an ed25519 device signed by `iotrust-node device`. Registration, lookups and
// verification through the runtime API, and revocation making verification refuse. Each rule
// that protects one party from another is also tried as the attack: binding devices to a
// gateway that never agreed, a gateway anchoring a reading its device did not sign or pushing a
// device's sequence to u64::MAX, a key anyone can sign for, a squatted attestation.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import { compactAddLength, hexToU8a, stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, decodeAddress } from '@polkadot/util-crypto';
import { councilMotion, NODE_BIN, signAndFinalize, UNIT, useLocalNetwork } from './helpers.mjs';

const OFFSET = Number(process.env.IOTRUST_TEST_PORT_OFFSET ?? 200) + 50;

/** A P-256 key pair from OpenSSL, with its compressed SEC1 public key. */
function p256Device() {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  const x = Buffer.from(jwk.x, 'base64url');
  const y = Buffer.from(jwk.y, 'base64url');
  const compressed = u8aConcat([y[31] % 2 === 0 ? 2 : 3], x);
  return {
    publicKey: { P256: u8aToHex(compressed) },
    sign: (payload) => ({ P256: u8aToHex(crypto.sign('sha256', payload, { key: privateKey, dsaEncoding: 'ieee-p1363' })) }),
  };
}

/**
 * The registration payload, SCALE-encoded by hand as docs/protocol.md ("Devices") documents it:
 * (b"iotrust/device/register/v1", genesis hash, owner account id, DevicePublicKey).
 */
function registrationPayload(genesis, owner, p256Compressed) {
  const P256_VARIANT = 3;
  return u8aConcat(
    compactAddLength(stringToU8a('iotrust/device/register/v1')),
    hexToU8a(genesis),
    decodeAddress(owner),
    [P256_VARIANT], hexToU8a(p256Compressed),
  );
}

const metadata = (model) => ({ model, serialHash: `0x${'ab'.repeat(32)}`, uri: 'https://example.com/devices' });

describe('device identity', { timeout: 10 * 60000 }, () => {
  const net = useLocalNetwork('devices', OFFSET);
  let api;
  let keys;
  let genesis;
  before(() => { ({ api, keys, genesis } = net); });

  let p256;
  let p256Id;
  let edId;
  let edSecret;

  it('registers a P-256 device whose proof OpenSSL signed', async () => {
    p256 = p256Device();
    const payload = registrationPayload(genesis, keys.alice.address, p256.publicKey.P256);
    const { events } = await signAndFinalize(api,
      api.tx.devices.register(p256.publicKey, metadata('ColdTrack T1'), p256.sign(payload)), keys.alice);
    const registered = events.map((r) => r.event).find((e) => api.events.devices.DeviceRegistered.is(e));
    assert.ok(registered, 'a DeviceRegistered event');
    assert.equal(registered.data.owner.toString(), keys.alice.address);
    assert.equal(registered.data.scheme.toString(), 'P256');
    p256Id = registered.data.device.toHex();

    const device = (await api.call.devicesApi.device(p256Id)).unwrap();
    assert.equal(device.owner.toString(), keys.alice.address);
    assert.equal(device.status.toString(), 'Active');
    assert.equal(device.metadata.model.toUtf8(), 'ColdTrack T1');
  });

  it('refuses a registration whose proof was made for another owner', async () => {
    const other = p256Device();
    const payload = registrationPayload(genesis, keys.alice.address, other.publicKey.P256);
    await assert.rejects(
      signAndFinalize(api, api.tx.devices.register(other.publicKey, metadata('X'), other.sign(payload)), keys.bob),
      /devices\.BadSignature/,
    );
  });

  it('registers an ed25519 device signed by `iotrust-node device sign-registration`', async () => {
    const secret = `0x${crypto.randomBytes(32).toString('hex')}`;
    edSecret = secret;
    const out = JSON.parse(execFileSync(NODE_BIN, ['device', 'sign-registration', '--scheme', 'ed25519',
      '--secret', secret, '--owner', keys.alice.address, '--genesis', genesis], { encoding: 'utf8' }));
    const { events } = await signAndFinalize(api,
      api.tx.devices.register(out.publicKey, metadata('Gate G2'), out.signature), keys.alice);
    const registered = events.map((r) => r.event).find((e) => api.events.devices.DeviceRegistered.is(e));
    edId = registered.data.device.toHex();
    assert.equal(edId, out.deviceId, 'the CLI predicts the device id');

    // A payload the device signs, checked through the runtime API.
    const reading = '0x01020304';
    const signed = JSON.parse(execFileSync(NODE_BIN, ['device', 'sign', '--scheme', 'ed25519',
      '--secret', secret, '--payload', reading], { encoding: 'utf8' }));
    assert.equal((await api.call.devicesApi.verify(edId, reading, signed.signature)).toString(), 'Valid');
    assert.equal((await api.call.devicesApi.verify(edId, '0x05', signed.signature)).toString(), 'BadSignature');
  });

  it('lists the owner\'s devices page by page', async () => {
    const first = await api.call.devicesApi.devicesOf(keys.alice.address, null, 1);
    assert.equal(first.length, 1);
    const second = await api.call.devicesApi.devicesOf(keys.alice.address, first[0][0], 1);
    assert.equal(second.length, 1);
    const ids = [first[0][0].toHex(), second[0][0].toHex()].sort();
    assert.deepEqual(ids, [p256Id, edId].sort());
    assert.equal((await api.call.devicesApi.devicesOf(keys.alice.address, second[0][0], 1)).length, 0);
  });

  it('refuses a device bound to a gateway that did not agree to serve its owner (the attack)', async () => {
    // Alice would make Bob's gateway pay to anchor her device: refused until Bob serves her.
    await assert.rejects(
      signAndFinalize(api, api.tx.devices.bindGateway(edId, keys.bob.address), keys.alice),
      /devices\.GatewayNotServing/,
    );
    await signAndFinalize(api, api.tx.devices.serveOwner(keys.alice.address), keys.bob);
    await signAndFinalize(api, api.tx.devices.bindGateway(edId, keys.bob.address), keys.alice);
    assert.equal((await api.call.devicesApi.device(edId)).unwrap().gateway.toString(), keys.bob.address);
  });

  it('refuses an ed25519 key anyone can sign for (the attack)', async () => {
    // The identity point: a small-order key. No proof is needed to forge its signatures.
    const weak = { Ed25519: `0x01${'00'.repeat(31)}` };
    await assert.rejects(
      signAndFinalize(api, api.tx.devices.register(weak, metadata('forged'), { Ed25519: `0x${'00'.repeat(64)}` }), keys.eve),
      /devices\.WeakKey/,
    );
  });

  it('anchors a batch through the device\'s gateway and proves a reading against it', async () => {
    // Two readings in the documented format, signed by the device through the CLI.
    const sigType = api.tx.devices.register.meta.args[2].type.toString();
    const readings = [0, 1].map((seq) => {
      const metrics = [[1, -18_000 - seq]];
      const payload = api.createType('(Bytes, H256, H256, u64, u64, Vec<(u16, i64)>)',
        ['iotrust/reading/v1', genesis, edId, seq, 1_790_000_000_000 + seq, metrics]).toU8a();
      const { signature } = JSON.parse(execFileSync(NODE_BIN, ['device', 'sign', '--scheme', 'ed25519',
        '--secret', edSecret, '--payload', u8aToHex(payload)], { encoding: 'utf8' }));
      return { device: edId, seq, timestampMs: 1_790_000_000_000 + seq, metrics: metrics.map(([id, value]) => ({ id, value })), signature };
    });
    const encode = (r) => u8aConcat(
      api.createType('(H256, u64, u64, Vec<(u16, i64)>)', [r.device, r.seq, r.timestampMs, r.metrics.map((m) => [m.id, m.value])]).toU8a(),
      api.createType(sigType, r.signature).toU8a(),
    );
    const leaves = readings.map((r) => blake2AsU8a(u8aConcat([0], encode(r)), 256));
    const root = blake2AsU8a(u8aConcat([1], leaves[0], leaves[1]), 256);

    const range = { device: edId, first: 0, last: 1, summaries: [{ id: 1, min: -18_001, max: -18_000 }] };
    const { events } = await signAndFinalize(api,
      api.tx.anchoring.anchor(1, u8aToHex(root), 2, readings[0].timestampMs, readings[1].timestampMs, [range]), keys.bob);
    const anchored = events.map((r) => r.event).find((e) => api.events.anchoring.Anchored.is(e));
    assert.ok(anchored, 'an Anchored event');
    const anchorId = anchored.data.anchor.toNumber();

    const proof = { index: 1, leafCount: 2, siblings: [u8aToHex(leaves[0])] };
    assert.equal((await api.call.anchoringApi.checkReading(anchorId, readings[1], proof)).toString(), 'Anchored');
    const tampered = { ...readings[1], metrics: [{ id: 1, value: 5_000 }] };
    assert.equal((await api.call.anchoringApi.checkReading(anchorId, tampered, proof)).toString(), 'BadProof');
    const byBatch = (await api.call.anchoringApi.anchorByBatch(keys.bob.address, 1)).unwrap();
    assert.equal(byBatch[0].toNumber(), anchorId);

    // Only the bound gateway may anchor the device's readings, and never the same numbers twice.
    await assert.rejects(
      signAndFinalize(api, api.tx.anchoring.anchor(2, u8aToHex(root), 2, 0, 1, [range]), keys.charlie),
      /anchoring\.NotDeviceGateway/,
    );
    await assert.rejects(
      signAndFinalize(api, api.tx.anchoring.anchor(2, u8aToHex(root), 2, 0, 1, [range]), keys.bob),
      /anchoring\.SequenceReplay/,
    );

    // The attack: the gateway anchors a reading with values and signature bytes of its own. The
    // Merkle proof holds (the gateway built the tree), but the chain does not call it anchored.
    const forged = { ...readings[1], seq: 2, metrics: [{ id: 1, value: -30_000 }], signature: { Ed25519: `0x${'11'.repeat(64)}` } };
    const forgedLeaf = blake2AsU8a(u8aConcat([0], encode(forged)), 256);
    const { events: forgedEvents } = await signAndFinalize(api, api.tx.anchoring.anchor(3, u8aToHex(forgedLeaf), 1, 0, 0,
      [{ device: edId, first: 2, last: 2, summaries: [{ id: 1, min: -30_000, max: -30_000 }] }]), keys.bob);
    const forgedAnchor = forgedEvents.map((r) => r.event).find((e) => api.events.anchoring.Anchored.is(e)).data.anchor.toNumber();
    const single = { index: 0, leafCount: 1, siblings: [] };
    assert.equal((await api.call.anchoringApi.checkReading(forgedAnchor, forged, single)).toString(), 'BadSignature');
  });

  it('lets the owner reset a sequence a gateway pushed to u64::MAX (the attack)', async () => {
    const max = 2n ** 64n - 1n;
    const bricking = { device: edId, first: max - 1n, last: max, summaries: [] };
    await signAndFinalize(api, api.tx.anchoring.anchor(4, `0x${'22'.repeat(32)}`, 2, 0, 0, [bricking]), keys.bob);
    const next = { device: edId, first: 3, last: 3, summaries: [] };
    await assert.rejects(
      signAndFinalize(api, api.tx.anchoring.anchor(5, `0x${'33'.repeat(32)}`, 1, 0, 0, [next]), keys.bob),
      /anchoring\.SequenceExhausted/,
    );
    // Only the owner resets it; the event says from what to what.
    await assert.rejects(signAndFinalize(api, api.tx.anchoring.resetSequence(edId, 2), keys.bob), /anchoring\.NotOwner/);
    const { events } = await signAndFinalize(api, api.tx.anchoring.resetSequence(edId, 2), keys.alice);
    const reset = events.map((r) => r.event).find((e) => api.events.anchoring.SequenceReset.is(e));
    assert.equal(reset.data.previous.unwrap().toBigInt(), max);
    assert.equal(reset.data.last.unwrap().toNumber(), 2);
    await signAndFinalize(api, api.tx.anchoring.anchor(5, `0x${'33'.repeat(32)}`, 1, 0, 0, [next]), keys.bob);
  });

  it('lets the council revoke a squatted attestation so the real manufacturer attests (the attack)', async () => {
    // Two manufacturers by one motion: Eve, who made the P-256 device, and Ferdie, who squats.
    const registered = await councilMotion(api, api.tx.utility.batchAll([
      api.tx.devices.registerManufacturer(keys.eve.address, 'Acme Sensors'),
      api.tx.devices.registerManufacturer(keys.ferdie.address, 'Squatter Ltd'),
    ]), [keys.alice, keys.bob, keys.charlie]);
    assert.deepEqual(registered, { ok: true });
    const device = (await api.call.devicesApi.device(p256Id)).unwrap();
    await signAndFinalize(api, api.tx.devices.attest([[device.key, 'Fake']]), keys.ferdie);
    await assert.rejects(
      signAndFinalize(api, api.tx.devices.attest([[device.key, 'ColdTrack T1']]), keys.eve),
      /devices\.AttestedByAnother/,
    );
    const keyHash = blake2AsU8a(device.key.toU8a(), 256);
    await assert.rejects(signAndFinalize(api, api.tx.devices.revokeAttestations([keyHash]), keys.eve), /devices\.NotAttester/);
    assert.deepEqual(await councilMotion(api, api.tx.devices.revokeAttestations([keyHash]), [keys.alice, keys.bob, keys.charlie]), { ok: true });
    const revoked = (await api.call.devicesApi.device(p256Id)).unwrap().attestation.unwrap();
    assert.equal(revoked.status.toString(), 'Revoked');
    assert.equal(revoked.manufacturer.toString(), keys.ferdie.address);

    await signAndFinalize(api, api.tx.devices.attest([[device.key, 'ColdTrack T1']]), keys.eve);
    const standing = (await api.call.devicesApi.device(p256Id)).unwrap().attestation.unwrap();
    assert.equal(standing.status.toString(), 'Valid');
    assert.equal(standing.manufacturer.toString(), keys.eve.address);
    assert.equal(standing.model.toUtf8(), 'ColdTrack T1');
  });

  it('serves a new account\'s reputation and credit limit', async () => {
    assert.equal((await api.call.reputationApi.score(keys.ferdie.address)).toNumber(), 500);
    assert.equal((await api.call.reputationApi.creditLimit(keys.ferdie.address)).toBigInt(), 100n * UNIT);
    assert.ok((await api.call.reputationApi.record(keys.ferdie.address)).isNone);
  });

  it('verifies a P-256 device signature, and refuses it once the device is revoked', async () => {
    const reading = stringToU8a('{"t":-18.5,"seq":1}');
    const sig = p256.sign(reading);
    assert.equal((await api.call.devicesApi.verify(p256Id, u8aToHex(reading), sig)).toString(), 'Valid');

    await signAndFinalize(api, api.tx.devices.revoke(p256Id), keys.alice);
    assert.equal((await api.call.devicesApi.verify(p256Id, u8aToHex(reading), sig)).toString(), 'Revoked');
    assert.equal((await api.call.devicesApi.device(p256Id)).unwrap().status.toString(), 'Revoked');
    // And its key can never be registered again.
    const payload = registrationPayload(genesis, keys.alice.address, p256.publicKey.P256);
    await assert.rejects(
      signAndFinalize(api, api.tx.devices.register(p256.publicKey, metadata('again'), p256.sign(payload)), keys.alice),
      /devices\.KeyRetired/,
    );
  });
});
