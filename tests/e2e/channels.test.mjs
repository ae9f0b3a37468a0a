// Private channels end to end on a --dev node, driven through `iotrust-gateway channel` as a
// member's operator would: Alice, Bob and Charlie (consortium members) share a channel; Dave, a
// consortium member outside it, and Ferdie, who is not in the consortium, see only what the chain
// shows everyone (members, epochs, sealed keys) and open nothing. Charlie is removed in epoch 2:
// he still opens epoch 1's key and not epoch 2's. Eve audits for a window of blocks: she receives
// the keys of the epochs it overlaps, each delivery an event on chain, cannot write, and gets no
// key of the epoch that starts after her window. Bob's device is put in the channel: its anchors
// carry no summary, and Bob's gateway (which holds his channel secret) serves its readings only
// sealed under the epoch they were made in, only to requests signed by an account that may read
// the channel now (members, Eve within her window), never to an unsigned one, an outsider's or a
// removed member's, and keeps them so after Bob takes the device out. Charlie opens the epoch 1
// readings and none of epoch 2's; Eve exports what her keys open, and Ferdie, who holds no key,
// checks her bundle against the chain, which fails once a line is altered.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Keyring } from '@polkadot/keyring';
import {
  runSimulator, simulatorArgs, startDevNode, startGateway, startMosquitto, stopNode, waitForPort,
} from '../../scripts/lib/network.mjs';
import {
  bestNumber, connect, councilMotion, finalizedNumber, keyring, logTail, NODE_BIN, signAndFinalize, tempState, UNIT,
  waitFor,
} from './helpers.mjs';

const OFFSET = Number(process.env.IOTRUST_TEST_PORT_OFFSET ?? 200) + 500;
const GATEWAY_BIN = process.env.IOTRUST_GATEWAY_BIN
  ?? path.join(path.dirname(NODE_BIN), 'iotrust-gateway');
const MQTT_PORT = 11883 + OFFSET;
const HTTP_PORT = 18080 + OFFSET;

describe('private channels', { timeout: 10 * 60000 }, () => {
  const state = tempState('channels');
  let nodes = [];
  const extra = [];
  const spies = [];
  let api;
  let keys;
  const files = {};

  /** `iotrust-gateway channel ARGS` as `who`: its JSON answer, or its error text when it failed. */
  function channel(who, args) {
    const run = spawnSync(GATEWAY_BIN, ['channel', '--node', nodes[0].rpcUrl,
      '--account-file', files[who].account, '--secret-file', files[who].secret, ...args],
    { encoding: 'utf8', timeout: 120000 });
    if (run.status !== 0) return { error: `${run.stderr}${run.stdout}`.trim() };
    return JSON.parse(run.stdout.trim().split('\n').pop());
  }

  /** The channels pallet's events of the blocks from `from` to the best one. */
  async function channelEvents(from) {
    const out = [];
    const best = await bestNumber(api);
    for (let n = from; n <= best; n += 1) {
      const at = await api.at(await api.rpc.chain.getBlockHash(n));
      for (const { event } of await at.query.system.events()) {
        if (event.section === 'channels') out.push({ block: n, method: event.method, data: event.data.toJSON() });
      }
    }
    return out;
  }

  before(async () => {
    keys = await keyring();
    nodes = await startDevNode({ bin: NODE_BIN, state, offset: OFFSET });
    api = await connect(nodes[0].rpcUrl);
    for (const who of ['alice', 'bob', 'charlie', 'dave', 'eve', 'ferdie']) {
      const account = path.join(state, `${who}.account`);
      fs.writeFileSync(account, `//${who[0].toUpperCase()}${who.slice(1)}\n`, { mode: 0o600 });
      files[who] = { account, secret: path.join(state, `${who}.x25519`) };
    }
  });

  after(async () => {
    for (const s of spies) s.kill();
    await api?.disconnect();
    for (const p of extra) await stopNode(p, { signal: 'SIGTERM', graceMs: 5000 });
    await Promise.all(nodes.map((n) => stopNode(n)));
    if (process.exitCode || process.env.IOTRUST_E2E_LOGS) {
      for (const n of [...extra, ...nodes]) console.log(`--- ${n.name} (${n.logPath})\n${logTail(n.logPath)}`);
    }
  });

  /** GET the gateway's `path`, signed as `who` (or unsigned): `{ status, body }`. */
  async function read(who, pathAndQuery) {
    const url = `http://127.0.0.1:${HTTP_PORT}${pathAndQuery}`;
    if (!who) {
      const r = await fetch(url);
      return { status: r.status, body: await r.json() };
    }
    return channel(who, ['fetch', '--url', url]);
  }

  it('members, an outsider and an auditor make and register encryption keys', async () => {
    // Bob, Charlie and Dave join the consortium (Alice alone is the dev chain's council).
    const outcome = await councilMotion(api, api.tx.utility.batchAll(['bob', 'charlie', 'dave']
      .map((w) => api.tx.councilMembership.addMember(keys[w].address))), [keys.alice]);
    assert.deepEqual(outcome, { ok: true });
    for (const who of ['alice', 'bob', 'charlie', 'dave', 'eve', 'ferdie']) {
      const made = spawnSync(GATEWAY_BIN, ['channel', 'keygen', '--out', files[who].secret], { encoding: 'utf8' });
      assert.equal(made.status, 0, made.stderr);
      assert.equal((fs.statSync(files[who].secret).mode & 0o777), 0o600);
      const { encryptionKey } = JSON.parse(made.stdout);
      const registered = channel(who, ['register']);
      assert.equal(registered.encryptionKey, encryptionKey, registered.error);
      const onChain = await api.call.channelsApi.encryptionKey(keys[who].address);
      assert.equal(onChain.unwrap().toHex(), encryptionKey);
    }
  });

  let start;
  let epoch1Key;
  it('Alice creates a channel with Bob (writer) and Charlie (reader): each opens the same key', async () => {
    start = await bestNumber(api);
    const created = channel('alice', ['create', '--members', `${keys.bob.address}:writer,${keys.charlie.address}:reader`, '--retention', '1000']);
    assert.equal(created.error, undefined, created.error);
    assert.equal(created.channel, 0);
    assert.equal(created.epoch, 1);
    const opened = ['alice', 'bob', 'charlie'].map((w) => channel(w, ['open', '--channel', '0', '--epoch', '1', '--show-key']));
    for (const o of opened) assert.equal(o.keyId, created.keyId, o.error);
    assert.equal(new Set(opened.map((o) => o.key)).size, 1);
    epoch1Key = opened[0].key;
    // The chain holds the key identifier and sealed keys, never the key.
    const info = await api.call.channelsApi.channel(0);
    assert.equal(info.unwrap().keyId.toHex(), created.keyId);
    const stored = JSON.stringify((await api.query.channels.sealedKeys.entries()).map(([k, v]) => [k.toHex(), v.toHex()]));
    assert.ok(!stored.includes(epoch1Key.slice(2)), 'an epoch key is in the chain state');
  });

  it('an outsider sees who is in the channel, and opens no key', async () => {
    for (const who of ['dave', 'ferdie']) {
      const shown = channel(who, ['show', '--channel', '0']);
      assert.deepEqual(shown.members.map((m) => m.role), ['writer', 'writer', 'reader']);
      const refused = channel(who, ['open', '--channel', '0', '--epoch', '1']);
      assert.match(refused.error, /no key of channel 0's epoch 1 was delivered/);
      assert.equal((await api.call.channelsApi.access(0, keys[who].address)).isNone, true);
    }
    // Someone else's sealed key does not open with an outsider's secret.
    const sealed = (await api.call.channelsApi.sealedKey(0, 1, keys.bob.address)).unwrap();
    assert.equal(sealed.sealed.enc.length, 32);
  });

  let device;
  let broker;
  // Bob's gateway signs with an account of its own; it holds Bob's channel secret, not his account.
  const bobGateway = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Bob//gateway');
  /** `iotrust-gateway simulate` of Bob's one device, bound to Bob's gateway. */
  const sim = (more) => simulatorArgs({ nodeUrl: nodes[0].rpcUrl, broker, devices: 1, readings: 5, rate: 10, gateway: bobGateway.address, extra: ['--owner', '//Bob', '--seed', 'channels', ...more] });
  /**
   * Subscribe to every device's telemetry with the devices' broker login, as anyone holding one
   * could; resolves once subscribed, with `stop()`, which gives the payloads seen on `device`'s
   * topic.
   */
  async function eavesdrop() {
    const a = broker.args('device');
    const flag = (f) => a[a.indexOf(f) + 1];
    // Line-buffered, so that what it prints is seen as it comes (it buffers a pipe otherwise).
    const sub = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-d', '-h', '127.0.0.1', '-p', String(MQTT_PORT), '--cafile', flag('--mqtt-ca-file'),
      '-u', flag('--mqtt-username'), '-P', fs.readFileSync(flag('--mqtt-password-file'), 'utf8').trim(),
      '-t', 'iotrust/+/telemetry', '-F', '%t %p'], { stdio: ['ignore', 'pipe', 'ignore'] });
    spies.push(sub);
    let out = '';
    sub.stdout.on('data', (d) => { out += d; });
    await waitFor('the eavesdropper subscribed', async () => out.includes('SUBACK'), { timeoutMs: 10000, intervalMs: 100 });
    return {
      stop() {
        sub.kill();
        const prefix = `iotrust/${device}/telemetry `;
        return out.split('\n').filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length));
      },
    };
  }
  /** Save `answer` (a `channel fetch` output) to a file in the test's state: its path. */
  const save = (name, answer) => {
    const file = path.join(state, name);
    fs.writeFileSync(file, JSON.stringify(answer));
    return file;
  };
  it('Bob\'s channel device is anchored without summaries; its readings leave sealed, to members only', async () => {
    broker = startMosquitto({ state: path.join(state, 'broker'), port: MQTT_PORT });
    extra.push(broker);
    await waitForPort(MQTT_PORT);
    // Bob's gateway holds his channel secret: it seals what it serves under his epoch keys.
    await signAndFinalize(api, api.tx.balances.transferKeepAlive(bobGateway.address, 100n * UNIT), keys.bob);
    const gateway = startGateway({
      bin: GATEWAY_BIN, state: path.join(state, 'gateway'), nodeUrl: nodes[0].rpcUrl, broker, httpPort: HTTP_PORT,
      account: '//Bob//gateway', serveOwners: [keys.bob.address],
      extraArgs: ['--batch-window-ms', '1000', '--channel-secret-file', files.bob.secret, '--channel-account', keys.bob.address],
    });
    extra.push(gateway);
    await waitForPort(HTTP_PORT, 60000);
    [{ device }] = await runSimulator(GATEWAY_BIN, sim(['--register-only']));
    await signAndFinalize(api, api.tx.channels.setDeviceChannel(device, 0), keys.bob);
    assert.equal((await api.call.channelsApi.deviceChannel(device)).unwrap().toNumber(), 0);
    // The device seals its readings itself: a broker login sees no value and no time.
    const spy = await eavesdrop();
    await runSimulator(GATEWAY_BIN, sim(['--channel-secret-file', files.bob.secret]));
    const mine = `/readings/${device}`;
    await waitFor('the channel device\'s readings anchored', async () => {
      const r = await read('bob', mine);
      return r.status === 200 && r.body.readings.length === 5 && r.body.readings.every((x) => x.status === 'anchored');
    }, { timeoutMs: 120000, intervalMs: 2000 });
    const { body } = await read('bob', mine);
    const heard = spy.stop();
    assert.equal(heard.length, 5, heard.join('\n'));
    for (const m of heard) {
      assert.deepEqual(Object.keys(JSON.parse(m)), ['sealed']);
      assert.equal(JSON.parse(m).sealed.epoch, 1);
      assert.ok(!m.includes('metrics') && !m.includes('timestampMs'), m);
    }
    // The anchor names the device's range and no summary of its readings.
    const anchor = (await api.call.anchoringApi.anchor(body.readings[0].anchor)).unwrap();
    const range = anchor.ranges.find((r) => r.device.toHex() === device);
    assert.deepEqual([range.first.toNumber(), range.last.toNumber(), range.summaries.length], [0, 4, 0]);
    // What leaves the gateway is ciphertext under epoch 1, with the leaf its proof proves.
    assert.ok(!JSON.stringify(body).includes('metrics'), 'a reading left the gateway in the clear');
    assert.deepEqual(body.readings.map((x) => [x.sealed.epoch, x.sealed.seq]), [0, 1, 2, 3, 4].map((n) => [1, n]));
    // Unsigned, an outsider's: refused. A member's: served, sealed.
    assert.equal((await read(null, mine)).status, 401);
    assert.equal((await read(null, `/proof/${device}/0`)).status, 401);
    assert.equal((await read('ferdie', mine)).status, 403);
    assert.equal((await read('dave', `/proof/${device}/0`)).status, 403);
    const alice = await read('alice', `/proof/${device}/0`);
    assert.equal(alice.status, 200);
    assert.equal(alice.body.sealed.seq, 0);
    assert.equal(alice.body.reading, undefined);
    // Charlie, a reader, opens what he fetched with his key of epoch 1.
    const charlie = channel('charlie', ['unseal', '--file', save('charlie-epoch1.json', await read('charlie', mine))]);
    assert.deepEqual(charlie.readings.map((r) => [r.seq, r.epoch]), [0, 1, 2, 3, 4].map((n) => [n, 1]), charlie.error);
    assert.deepEqual(charlie.unreadable, []);
  });

  it('Charlie, removed in epoch 2, still reads epoch 1 and nothing sent after', async () => {
    const changed = channel('alice', ['change', '--channel', '0', '--remove', keys.charlie.address]);
    assert.equal(changed.epoch, 2, changed.error);
    assert.equal(channel('bob', ['open', '--channel', '0']).keyId, changed.keyId);
    assert.equal(channel('charlie', ['open', '--channel', '0', '--epoch', '1', '--show-key']).key, epoch1Key);
    assert.match(channel('charlie', ['open', '--channel', '0', '--epoch', '2']).error, /epoch 2 was delivered/);
    // The chain refuses a new key sealed to a removed member (the pallet's unit tests try it).
    assert.equal((await api.call.channelsApi.access(0, keys.charlie.address)).isNone, true);
    // Five more readings, sealed by the device under epoch 2.
    await runSimulator(GATEWAY_BIN, sim(['--start-seq', '5', '--channel-secret-file', files.bob.secret]));
    const mine = `/readings/${device}`;
    await waitFor('the epoch 2 readings anchored', async () => {
      const r = await read('alice', mine);
      return r.status === 200 && r.body.readings.length === 10 && r.body.readings.every((x) => x.status === 'anchored');
    }, { timeoutMs: 120000, intervalMs: 2000 });
    assert.equal((await read('charlie', mine)).status, 403);
    // Even given everything a member fetched, Charlie opens epoch 1 and nothing of epoch 2.
    const all = save('alice-all.json', await read('alice', mine));
    assert.deepEqual(JSON.parse(fs.readFileSync(all)).body.readings.map((x) => x.sealed.epoch), [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    const charlie = channel('charlie', ['unseal', '--file', all]);
    assert.deepEqual(charlie.readings.map((r) => r.seq), [0, 1, 2, 3, 4], charlie.error);
    assert.deepEqual(charlie.unreadable, [{ channel: 0, epoch: 2, readings: 5 }]);
    assert.equal(channel('alice', ['unseal', '--file', all]).readings.length, 10);
    // An outsider opens nothing of it.
    const dave = channel('dave', ['unseal', '--file', all]);
    assert.deepEqual([dave.readings.length, dave.unreadable.map((u) => u.readings)], [0, [5, 5]]);
  });

  let priceList;
  it('Bob publishes a document: its hash on chain, its ciphertext on the gateway; members read it, no one else', async () => {
    const file = path.join(state, 'prices.csv');
    fs.writeFileSync(file, 'sku,price\nreefer-day,180\nreefer-km,1.25\n');
    const gateway = `http://127.0.0.1:${HTTP_PORT}`;
    const published = channel('bob', ['publish', '--channel', '0', '--file', file, '--gateways', gateway]);
    assert.equal(published.epoch, 2, published.error);
    assert.deepEqual(published.gateways.map((g) => g.status), [201]);
    priceList = published.hash;
    // (`size` is a polkadot.js struct's own property: read the fields as JSON.)
    const record = (await api.call.channelsApi.document(0, priceList)).unwrap().toJSON();
    assert.deepEqual([record.epoch, record.size], [2, fs.statSync(file).size]);
    // Alice opens it and it is the file; the chain holds its hash and no byte of it.
    const out = path.join(state, 'prices-alice.csv');
    const got = channel('alice', ['document', '--channel', '0', '--hash', priceList, '--gateway', gateway, '--out', out]);
    assert.equal(got.hash, priceList, got.error);
    assert.equal(fs.readFileSync(out, 'utf8'), fs.readFileSync(file, 'utf8'));
    // Charlie (removed), Dave (outside) are refused; an unpublished hash is not taken.
    for (const who of ['charlie', 'dave']) {
      const refused = channel(who, ['document', '--channel', '0', '--hash', priceList, '--gateway', gateway, '--out', path.join(state, `prices-${who}.csv`)]);
      assert.match(refused.error, /403/);
    }
    assert.equal((await read('dave', `/documents/0/${priceList}`)).status, 403);
    assert.equal((await read(null, `/documents/0/${priceList}`)).status, 401);
  });

  let window;
  let bundle;
  it('Eve audits a window: she receives the keys of the epochs it overlaps, and cannot write', async () => {
    const now = await bestNumber(api);
    window = { from: now + 1, until: now + 24 };
    const granted = channel('alice', ['grant', '--channel', '0', '--auditor', keys.eve.address,
      '--from', String(window.from), '--until', String(window.until)]);
    assert.equal(granted.error, undefined, granted.error);
    const due = channel('bob', ['show', '--channel', '0']);
    assert.deepEqual(due.deliveriesDue, [keys.eve.address]);
    // Epoch 1 ended before her window began: only epoch 2 is hers.
    const delivered = channel('bob', ['deliver', '--channel', '0', '--to', keys.eve.address]);
    assert.deepEqual(delivered.epochs, [2], delivered.error);
    // Within her window she exports the device's readings: epoch 2's, opened; epoch 1's counted.
    const gateway = `http://127.0.0.1:${HTTP_PORT}`;
    bundle = path.join(state, 'eve-bundle.ndjson');
    const exported = channel('eve', ['export', '--gateway', gateway, '--devices', device, '--out', bundle]);
    assert.equal(exported.readings, 5, exported.error);
    assert.deepEqual(exported.unreadable, [{ channel: 0, epoch: 1, readings: 5 }]);
    const csv = channel('eve', ['export', '--gateway', gateway, '--devices', device, '--format', 'csv', '--out', path.join(state, 'eve.csv')]);
    assert.equal(csv.readings, 5, csv.error);
    const rows = fs.readFileSync(path.join(state, 'eve.csv'), 'utf8').trim().split('\n');
    assert.equal(rows[0], 'device,seq,timestamp_ms,metric,value,anchor,block,channel,epoch');
    assert.ok(rows.length > 5 && rows.slice(1).every((r) => r.startsWith(`${device},`) && r.endsWith(',0,2')), rows.join('\n'));
    // The price list, sealed in epoch 2, is hers to read too.
    const hers = channel('eve', ['document', '--channel', '0', '--hash', priceList, '--gateway', gateway, '--out', path.join(state, 'prices-eve.csv')]);
    assert.equal(hers.epoch, 2, hers.error);
    assert.equal(channel('eve', ['open', '--channel', '0']).keyId, channel('bob', ['open', '--channel', '0']).keyId);
    assert.match(channel('eve', ['open', '--channel', '0', '--epoch', '1']).error, /epoch 1 was delivered/);
    // Epoch 1 is outside her window: a writer cannot give it to her on chain.
    assert.match(channel('bob', ['deliver', '--channel', '0', '--to', keys.eve.address, '--epochs', '1']).error, /EpochOutsideGrant/);
    // An auditor writes nothing.
    assert.match(channel('eve', ['rotate', '--channel', '0']).error, /NotWriter/);
    assert.match(channel('eve', ['deliver', '--channel', '0', '--to', keys.dave.address, '--epochs', '2']).error, /NotWriter/);
  });

  it('anyone checks Eve\'s bundle against the chain; one altered line fails it', async () => {
    // Ferdie holds no key and is in no channel: the bundle needs no one's word.
    const verified = channel('ferdie', ['verify', '--bundle', bundle]);
    assert.deepEqual([verified.verified, verified.readings], [true, 5], verified.error);
    const lines = fs.readFileSync(bundle, 'utf8').trim().split('\n');
    assert.equal(JSON.parse(lines[0]).format, 'iotrust-audit/v1');
    const altered = JSON.parse(lines[3]);
    altered.reading.metrics[0].value += 1;
    const tampered = path.join(state, 'tampered.ndjson');
    fs.writeFileSync(tampered, [...lines.slice(0, 3), JSON.stringify(altered), ...lines.slice(4)].join('\n'));
    const failed = channel('ferdie', ['verify', '--bundle', tampered]);
    assert.match(failed.error, /"line":4/);
    assert.match(failed.error, /BadProof/);
    // A line claiming another epoch's key is caught too.
    const relabelled = JSON.parse(lines[2]);
    relabelled.epoch = 1;
    fs.writeFileSync(tampered, [...lines.slice(0, 2), JSON.stringify(relabelled), ...lines.slice(3)].join('\n'));
    assert.match(channel('ferdie', ['verify', '--bundle', tampered]).error, /key identifier is not the chain's/);
    // Passing a private reading off as public (its channel struck out), or one line twice.
    const stripped = JSON.parse(lines[2]);
    for (const k of ['channel', 'epoch', 'keyId']) delete stripped[k];
    fs.writeFileSync(tampered, [...lines.slice(0, 2), JSON.stringify(stripped), ...lines.slice(3)].join('\n'));
    assert.match(channel('ferdie', ['verify', '--bundle', tampered]).error, /anchored private/);
    fs.writeFileSync(tampered, [...lines, lines[1]].join('\n'));
    assert.match(channel('ferdie', ['verify', '--bundle', tampered]).error, /twice/);
  });

  it('past the retention Alice sets, the gateway purges the readings; their leaves and anchors stay provable', async () => {
    const set = channel('alice', ['retention', '--channel', '0', '--blocks', '1']);
    assert.equal(set.retention, 1, set.error);
    const mine = `/readings/${device}`;
    await waitFor('the readings purged', async () => {
      const r = await read('bob', mine);
      return r.status === 200 && r.body.readings.length === 10 && r.body.readings.every((x) => x.purged);
    }, { timeoutMs: 60000, intervalMs: 2000 });
    const { body } = await read('alice', mine);
    assert.ok(body.readings.every((x) => x.status === 'anchored' && x.proof && /^0x[0-9a-f]{64}$/.test(x.purged.leaf) && !x.sealed && !x.reading));
    // The price list goes too; its record stays on chain.
    await waitFor('the document purged', async () => (await read('alice', `/documents/0/${priceList}`)).status === 404, { timeoutMs: 30000 });
    assert.equal((await api.call.channelsApi.document(0, priceList)).isSome, true);
    // Eve's bundle, made before, still checks out against the chain.
    const verified = channel('ferdie', ['verify', '--bundle', bundle]);
    assert.equal(verified.verified, true, verified.error);
  });

  it('after her window Eve gets no new key; every grant, epoch and delivery is an event', async () => {
    // The command reads the chain at its finalized head: wait until that is past her window.
    await waitFor('the end of the auditor\'s window, finalized', async () => (await finalizedNumber(api)) > window.until, { timeoutMs: 90000 });
    const shown = channel('bob', ['show', '--channel', '0']);
    assert.equal(shown.rekeyDue, true);
    assert.equal((await api.call.channelsApi.access(0, keys.eve.address)).isNone, true);
    await waitFor('the gateway to see her window ended', async () => (await read('eve', `/readings/${device}`)).status === 403, { timeoutMs: 30000 });
    const rotated = channel('bob', ['rotate', '--channel', '0']);
    assert.equal(rotated.epoch, 3, rotated.error);
    assert.equal(channel('bob', ['show', '--channel', '0']).rekeyDue, false);
    assert.match(channel('eve', ['open', '--channel', '0', '--epoch', '3']).error, /epoch 3 was delivered/);
    assert.equal(channel('eve', ['open', '--channel', '0', '--epoch', '2']).keyId !== undefined, true);

    const seen = (await channelEvents(start)).map((e) => e.method);
    const count = (m) => seen.filter((s) => s === m).length;
    assert.equal(count('ChannelCreated'), 1);
    assert.equal(count('EpochStarted'), 3);
    assert.equal(count('MemberRemoved'), 1);
    assert.equal(count('AuditorGranted'), 1);
    assert.equal(count('EpochKeyDelivered'), 1);
    assert.equal(count('DocumentPublished'), 1);
  });

  it('Bob takes the device out: the readings it made in the channel stay the channel\'s', async () => {
    await signAndFinalize(api, api.tx.channels.setDeviceChannel(device, null), keys.bob);
    // The gateway trusts the chain's answer for 6 s: ask again past that.
    await new Promise((r) => { setTimeout(r, 7000); });
    const mine = `/readings/${device}`;
    assert.equal((await read(null, mine)).status, 401);
    const bob = await read('bob', mine);
    assert.equal(bob.status, 200);
    assert.ok(bob.body.readings.every((x) => x.purged && !x.reading));
  });
});
