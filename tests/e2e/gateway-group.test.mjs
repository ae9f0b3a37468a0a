// Gateway groups end to end: the 4-validator local network, one mosquitto broker (TLS and
// passwords) that every gateway subscribes to, and a 3-of-4 group whose gateways belong to four
// different consortium members (Alice, Bob, Charlie and Dave each run one), created by a council
// motion. The gateways generate the group's key among themselves (FROST), confirm it on chain,
// approve serving the simulator's owner, and anchor 20 devices' readings with the group's
// threshold signature only. A member playing a dishonest coordinator (the gateway built with
// the test-only feature dishonest-coordinator, told what to do by IOTRUST_GROUP_CHEAT) proposes
// an altered reading, then a false summary, then a batch number that skips the next: the honest
// members refuse to sign, and the next coordinator anchors the true readings. Then it commits to
// every proposal and withholds its signature shares while its devices' readings are signed a
// second time and sent to the others: the coordinators leave it out, the others keep the second
// copies as evidence, and the group keeps anchoring. Then one gateway is
// SIGKILLed and its database deleted: anchoring
// goes on and every reading stays provable from each of the others. Then a second one stops:
// two of four live gateways cannot sign, nothing is anchored, nothing is lost; when it returns,
// the readings published meanwhile are anchored. Last, an SLA on a group-bound device: its
// consumer's own gateway (a member of the group) cannot anchor a breach on its own word; the
// group's anchors of the device's real readings apply the penalty. Then a client with a broker
// login (mosquitto's own command-line clients) captures the group's messages and publishes them
// again, and erases the retained key-generation messages: the members drop the replays and
// count them, publish what was erased again, and go on anchoring.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import {
  runSimulator, SIM_OWNER, startGateway, startMosquitto, waitForPort,
} from '../../scripts/lib/network.mjs';
import {
  makeGatewayGroup, NODE_BIN, signAndFinalize, sleep, UNIT, useLocalNetwork, waitFor,
} from './helpers.mjs';

const OFFSET = Number(process.env.IOTRUST_TEST_PORT_OFFSET ?? 200) + 300;
const MQTT_PORT = 11883 + OFFSET;
const HTTP_PORT = 18080 + OFFSET;
const GATEWAY_BIN = process.env.IOTRUST_GATEWAY_BIN ?? path.join(path.dirname(NODE_BIN), 'iotrust-gateway');
// The product binary cannot cheat; the dishonest member runs this one (scripts/test.sh builds
// it: cargo build --features iotrust-gateway/dishonest-coordinator, copied aside).
const DISHONEST_BIN = process.env.IOTRUST_DISHONEST_GATEWAY_BIN
  ?? path.join(path.dirname(GATEWAY_BIN), 'iotrust-gateway-dishonest');
const DEVICES = 20;
const SIM_SEED = 'iotrust-group-sim';
const MEMBERS = ['alice', 'bob', 'charlie', 'dave'];

describe('gateway group (3 of 4)', { timeout: 25 * 60000 }, () => {
  const net = useLocalNetwork('group', OFFSET);
  let api;
  let broker;
  let group;
  let groupAccount;
  let devices;
  let ready = false;
  let anchoring = false;
  const gateways = [];
  let accounts;
  let uris;

  before(async () => {
    ({ api } = net);
    broker = startMosquitto({ state: path.join(net.state, 'mqtt'), port: MQTT_PORT });
    net.extra.push(broker);
    await waitForPort(MQTT_PORT);
  });

  const stateOf = (i) => path.join(net.state, `gateway-${i}`);
  const launch = (i, cheat) => {
    if (cheat) {
      assert.ok(fs.existsSync(DISHONEST_BIN), `${DISHONEST_BIN} is missing: build it as scripts/test.sh does`);
      process.env.IOTRUST_GROUP_CHEAT = cheat;
      process.env.IOTRUST_GROUP_CHEAT_SEED = SIM_SEED;
    } else delete process.env.IOTRUST_GROUP_CHEAT;
    const g = startGateway({
      bin: cheat ? DISHONEST_BIN : GATEWAY_BIN, state: stateOf(i), nodeUrl: net.nodes[i].rpcUrl, broker, httpPort: HTTP_PORT + i,
      account: uris[i], clientId: `iotrust-group-gateway-${i}`,
      extraArgs: ['--group', String(group),
        '--group-round-ms', '8000', '--batch-window-ms', '1000', '--progress-secs', '10'],
    });
    delete process.env.IOTRUST_GROUP_CHEAT;
    delete process.env.IOTRUST_GROUP_CHEAT_SEED;
    g.name = `gateway-${i}`;
    gateways[i] = g;
    net.extra.unshift(g);
    return g;
  };
  const kill = async (i, signal = 'SIGKILL') => {
    const g = gateways[i];
    g.proc.kill(signal);
    if (g.proc.exitCode === null) await new Promise((r) => g.proc.once('exit', r));
    net.extra = net.extra.filter((p) => p !== g);
  };
  const sim = (readings, startSeq, rate = 200) => [
    'simulate', '--node', net.nodes[0].rpcUrl, ...broker.args('device'), '--gateway', groupAccount,
    '--devices', String(DEVICES), '--readings', String(readings), '--rate', String(rate),
    '--start-seq', String(startSeq), '--seed', SIM_SEED,
  ];
  /** Wait until gateway `i` serves a proof of every device's reading `seq` (it recorded them). */
  const recorded = (i, seq) => waitFor(`gateway ${i} to record every device's reading ${seq}`, async () => (await Promise.all(devices.map((d) => fetch(`http://127.0.0.1:${HTTP_PORT + i}/proof/${d}/${seq}`)))).every((r) => r.status === 200), { timeoutMs: 60000 });
  const lastSeqs = async () => Promise.all(devices.map(async (d) => (await api.query.anchoring.lastSeq(d)).unwrapOr(null)?.toNumber() ?? -1));
  const anchoredUpTo = (n, timeoutMs = 4 * 60000) => waitFor(`every device anchored up to ${n}`, async () => (await lastSeqs()).every((s) => s === n), { timeoutMs, intervalMs: 2000 });

  it('a council motion makes a 3-of-4 group of four members\' gateways; they generate its key and confirm it', async () => {
    // Each gateway account gets fees from its member; the group's account holds the deposits of
    // what it does (its consent to serve an owner).
    ({ group, account: groupAccount, gateways: accounts, uris } = await makeGatewayGroup(api, net.keys, MEMBERS, 3));
    const info = (await api.call.groupsApi.group(group)).unwrap();
    assert.equal(info.threshold.toNumber(), 3);
    assert.equal(info.members.length, 4);
    assert.ok(info.key.isNone, 'no key before the gateways made one');

    for (let i = 0; i < 4; i++) launch(i);
    const key = await waitFor('the group key to be active', async () => {
      const g = (await api.call.groupsApi.group(group)).unwrap();
      return g.key.isSome ? g.key.unwrap().toHex() : null;
    }, { timeoutMs: 3 * 60000, intervalMs: 2000 });
    assert.match(key, /^0x[0-9a-f]{64}$/);
    await waitFor('the group to serve the simulator\'s owner', async () => (await api.query.devices.servedOwners(groupAccount, SIM_OWNER.address)).isSome, { timeoutMs: 2 * 60000, intervalMs: 2000 });
    // A late approval (made after the threshold was reached) is withdrawn: nothing stays open.
    await waitFor('no proposal left open', async () => (await api.query.groups.proposals.entries(group)).length === 0, { timeoutMs: 60000, intervalMs: 2000 });
    ready = true;
  });

  it('anchors 20 devices\' readings with the group\'s signature only, and every member serves every proof', async () => {
    assert.ok(ready, 'the group was set up');
    const lines = await runSimulator(GATEWAY_BIN, [...sim(0, 0), '--register-only']);
    devices = lines.filter((l) => l.device).map((l) => l.device);
    assert.equal(devices.length, DEVICES);
    for (const d of devices) assert.equal((await api.call.devicesApi.device(d)).unwrap().gateway.unwrap().toString(), groupAccount);
    const summary = (await runSimulator(GATEWAY_BIN, sim(30, 0))).at(-1);
    assert.equal(summary.published, DEVICES * 30);
    await anchoredUpTo(29);

    // Every anchor was made as the group, endorsed by its key of epoch 1.
    const anchors = (await api.query.anchoring.nextAnchorId()).toNumber();
    assert.ok(anchors > 0);
    for (let id = 0; id < anchors; id++) {
      const a = (await api.call.anchoringApi.anchor(id)).unwrap();
      assert.equal(a.gateway.toString(), groupAccount);
      const e = (await api.call.anchoringApi.endorsement(id)).unwrap();
      assert.deepEqual([e.group.toNumber(), e.epoch.toNumber()], [group, 1]);
    }
    // Each member recorded each anchor, whoever coordinated it: its proofs check out on chain.
    for (let i = 0; i < 4; i++) {
      await recorded(i, 29);
      for (const [d, seq] of [[devices[0], 0], [devices[7], 15], [devices[19], 29]]) {
        const body = await (await fetch(`http://127.0.0.1:${HTTP_PORT + i}/proof/${d}/${seq}`)).json();
        const verdict = await api.call.anchoringApi.checkReading(body.anchor, body.reading, body.proof);
        assert.ok(verdict.isAnchoredByGroup, `gateway ${i}, ${d}/${seq}: ${verdict.toString()}`);
      }
    }
    anchoring = true;
  });

  it('gives a dishonest coordinator no signature: an altered reading, a false summary or a skipped batch number is refused, the true readings anchored', async () => {
    assert.ok(anchoring, 'the group anchors');
    anchoring = false;
    const refused = async () => {
      let n = 0;
      for (const i of [0, 2, 3]) n += (await (await fetch(`http://127.0.0.1:${HTTP_PORT + i}/stats`)).json()).groupProposalsRefused;
      return n;
    };
    let seq = 30;
    for (const cheat of ['alter-reading', 'false-summary', 'skip-batch']) {
      await kill(1, 'SIGTERM');
      launch(1, cheat);
      await waitForPort(HTTP_PORT + 1);
      const before = await refused();
      // Readings keep coming while the coordinator's turn goes round to the cheat.
      const publishing = runSimulator(GATEWAY_BIN, sim(30, seq, 40));
      await waitFor(`the honest members to refuse the ${cheat} proposal`, async () => (await refused()) > before, { timeoutMs: 2 * 60000, intervalMs: 1000 });
      assert.equal((await publishing).at(-1).published, DEVICES * 30);
      seq += 30;
      await anchoredUpTo(seq - 1);
    }
    // Everything on chain is what the devices signed: each proof from an honest member checks.
    await recorded(0, 119);
    for (const d of devices) {
      for (const s of [30, 44, 59, 60, 89, 119]) {
        const body = await (await fetch(`http://127.0.0.1:${HTTP_PORT}/proof/${d}/${s}`)).json();
        const verdict = await api.call.anchoringApi.checkReading(body.anchor, body.reading, body.proof);
        assert.ok(verdict.isAnchoredByGroup, `${d}/${s}: ${verdict.toString()}`);
      }
    }
    await kill(1, 'SIGTERM');
    launch(1);
    anchoring = true;
  });

  it('outlasts a member that withholds its signature shares and whose device signs readings twice', async () => {
    assert.ok(anchoring, 'the group anchors');
    anchoring = false;
    const sum = async (key) => {
      let n = 0;
      for (const i of [0, 2, 3]) n += (await (await fetch(`http://127.0.0.1:${HTTP_PORT + i}/stats`)).json())[key];
      return n;
    };
    await kill(1, 'SIGTERM');
    // It commits to every proposal at once (so honest coordinators pick it) and never sends a
    // share; and it signs a second copy of the devices' readings and sends it to the others.
    launch(1, 'withhold-shares,equivocate');
    await waitForPort(HTTP_PORT + 1);
    const summary = (await runSimulator(GATEWAY_BIN, sim(30, 120, 40))).at(-1);
    assert.equal(summary.published, DEVICES * 30);
    await anchoredUpTo(149);
    assert.ok((await sum('groupSharesWithheld')) > 0, 'the withholder was found out and left out');
    await waitFor('the honest members to keep the second copies as evidence', async () => (await sum('conflictingReadings')) > 0, { timeoutMs: 60000, intervalMs: 1000 });
    // and report the double signing on chain: the device is flagged for every verifier to see.
    const flagged = await waitFor('a device\'s double signing reported on chain', async () => {
      for (const d of devices) {
        const e = (await api.call.devicesApi.device(d)).unwrap().equivocation;
        if (e.isSome) return e.unwrap();
      }
      return null;
    }, { timeoutMs: 60000, intervalMs: 2000 });
    assert.ok(flagged.count.toNumber() >= 1);
    const metrics = await (await fetch(`http://127.0.0.1:${HTTP_PORT + 2}/metrics`)).text();
    assert.match(metrics, /iotrust_gateway_group_shares_withheld_total \d/);
    // No honest member stopped over a conflicting reading; each records every anchor.
    for (const i of [0, 2, 3]) {
      assert.equal(gateways[i].proc.exitCode, null, `gateway ${i} runs`);
      await recorded(i, 149);
    }
    for (const d of devices) {
      const body = await (await fetch(`http://127.0.0.1:${HTTP_PORT}/proof/${d}/140`)).json();
      const verdict = await api.call.anchoringApi.checkReading(body.anchor, body.reading, body.proof);
      assert.ok(verdict.isAnchoredByGroup, `${d}/140: ${verdict.toString()}`);
    }
    await kill(1, 'SIGTERM');
    launch(1);
    anchoring = true;
  });

  it('goes on anchoring when one gateway is SIGKILLed and its database deleted; every reading stays provable', async () => {
    assert.ok(anchoring, 'the group anchors');
    await kill(3);
    fs.rmSync(stateOf(3), { recursive: true, force: true });
    const summary = (await runSimulator(GATEWAY_BIN, sim(30, 150))).at(-1);
    assert.equal(summary.published, DEVICES * 30);
    await anchoredUpTo(179);
    for (let i = 0; i < 3; i++) {
      await recorded(i, 179);
      for (const d of devices) {
        for (const seq of [0, 31, 59, 151, 179]) {
          const res = await fetch(`http://127.0.0.1:${HTTP_PORT + i}/proof/${d}/${seq}`);
          assert.equal(res.status, 200, `gateway ${i}: ${d}/${seq}`);
        }
      }
    }
  });

  it('anchors nothing with two of four gateways, loses nothing, and resumes when one returns', async () => {
    assert.ok(anchoring, 'the group anchors');
    await kill(2, 'SIGTERM');
    const before = (await api.query.anchoring.nextAnchorId()).toNumber();
    const summary = (await runSimulator(GATEWAY_BIN, sim(10, 180))).at(-1);
    assert.equal(summary.published, DEVICES * 10);
    await sleep(25000);
    assert.equal((await api.query.anchoring.nextAnchorId()).toNumber(), before, 'two gateways cannot sign');
    assert.ok((await lastSeqs()).every((s) => s === 179));
    // The two live gateways hold the readings meanwhile.
    for (let i = 0; i < 2; i++) {
      const stats = await (await fetch(`http://127.0.0.1:${HTTP_PORT + i}/stats`)).json();
      assert.ok(stats.backlog >= DEVICES * 10, `gateway ${i} holds ${stats.backlog} readings`);
    }
    // Gateway 2 comes back with its database (and its sealed share): three sign again; it gets
    // the readings it missed from the others before it signs.
    launch(2);
    await anchoredUpTo(189);
    await recorded(2, 189);
  });

  it('judges an SLA on a group-bound device only by the group\'s anchors', async () => {
    assert.ok(anchoring, 'the group anchors');
    const { keys } = net;
    const obligations = api.events.obligations;
    // The simulator's owner (Charlie) keeps a reefer below -20 °C for Dave, or loses 10 % of
    // what Dave owes per breaching batch. The simulated reefer runs at about -18 °C.
    const sensor = devices[0];
    const offer = {
      serviceHash: `0x${'c0'.repeat(32)}`, minAmount: UNIT, maxAmount: 100n * UNIT, dueIn: 2000,
      minScore: 0, device: sensor, sla: { bounds: { metric: 1, min: null, max: -20_000 }, maxSilence: 1000 }, consumers: [],
    };
    const published = await signAndFinalize(api, api.tx.obligations.publishOffer(offer), keys.charlie);
    const offerId = published.events.map((r) => r.event).find((e) => obligations.OfferPublished.is(e)).data.offer;
    const created = await signAndFinalize(api, api.tx.obligations.create({ offer: offerId, amount: 20n * UNIT, note: '' }, null), keys.dave);
    const id = created.events.map((r) => r.event).find((e) => obligations.Created.is(e)).data.id;

    // The attack: Dave's own gateway, one of the group's four, anchors a breach on its word.
    const range = { device: sensor, first: 190, last: 190, summaries: [{ id: 1, min: 0, max: 30_000 }] };
    const root = `0x${crypto.randomBytes(32).toString('hex')}`;
    await assert.rejects(
      signAndFinalize(api, api.tx.anchoring.anchor(1_000_000, root, 1, 0, 0, [range]), accounts[3]),
      /anchoring\.NotDeviceGateway/,
    );
    let o = (await api.call.obligationsApi.obligation(id)).unwrap();
    assert.deepEqual([o.penalty.toBigInt(), o.breaches.toNumber()], [0n, 0]);

    // The device's real readings, anchored by the group's signature: the penalty applies.
    assert.equal((await runSimulator(GATEWAY_BIN, sim(10, 190))).at(-1).published, DEVICES * 10);
    await anchoredUpTo(199);
    o = (await api.call.obligationsApi.obligation(id)).unwrap();
    assert.ok(o.breaches.toNumber() >= 1, `breaches: ${o.breaches}`);
    assert.equal(o.penalty.toBigInt(), BigInt(o.breaches.toNumber()) * 2n * UNIT);
    const e = (await api.call.anchoringApi.endorsement(o.lastBreach.unwrap())).unwrap();
    assert.deepEqual([e.group.toNumber(), e.epoch.toNumber()], [group, 1]);
  });

  it('the attack: a broker client replays the group\'s messages and erases its retained ones; the members drop the replays, publish the erased again, and go on anchoring', async () => {
    const a = broker.args('device');
    const flag = (f) => a[a.indexOf(f) + 1];
    const login = ['-h', '127.0.0.1', '-p', String(MQTT_PORT), '--cafile', flag('--mqtt-ca-file'),
      '-u', flag('--mqtt-username'), '-P', fs.readFileSync(flag('--mqtt-password-file'), 'utf8').trim()];
    const filter = `iotrust/groups/${group}/#`;
    // The members running now (one was stopped for good above).
    const live = [0, 1, 2, 3].filter((i) => gateways[i] && net.extra.includes(gateways[i]) && gateways[i].proc.exitCode === null);
    assert.ok(live.length >= 3, `members running: ${live}`);
    const stale = async () => {
      let n = 0;
      for (const i of live) n += (await (await fetch(`http://127.0.0.1:${HTTP_PORT + i}/stats`)).json()).groupMessagesStale;
      return n;
    };
    // The retained key-generation messages, topic -> payload (hex).
    const retained = () => new Map(spawnSync('mosquitto_sub', [...login, '-t', filter, '--retained-only', '-W', '3', '-F', '%t %x'], { encoding: 'utf8', timeout: 15000 })
      .stdout.split('\n').filter((l) => l.includes(' ')).map((l) => l.split(' ')));
    const before = retained();
    assert.ok([...before.keys()].some((t) => t.includes('/r1/')), `retained round-1 messages: ${[...before.keys()]}`);

    // Capture what the members send each other while they anchor 20 more readings a device.
    const capture = spawn('mosquitto_sub', [...login, '-t', filter, '-F', '%t %x'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    capture.stdout.on('data', (d) => { out += d; });
    await sleep(1000);
    assert.equal((await runSimulator(GATEWAY_BIN, sim(20, 200, 40))).at(-1).published, DEVICES * 20);
    await anchoredUpTo(219);
    capture.kill();
    const messages = out.split('\n').filter((l) => l.includes(' ')).map((l) => l.split(' '))
      .filter(([topic]) => topic.includes('/msg/'));
    assert.ok(messages.length > 0, 'the members exchanged messages');

    // Published again, each as it was: every member drops them as replays.
    const dropped = await stale();
    const dir = fs.mkdtempSync(path.join(net.state, 'replay-'));
    const replayed = messages.slice(-30);
    for (const [i, [topic, hex]] of replayed.entries()) {
      const file = path.join(dir, `m${i}`);
      fs.writeFileSync(file, Buffer.from(hex, 'hex'));
      assert.equal(spawnSync('mosquitto_pub', [...login, '-q', '1', '-t', topic, '-f', file], { timeout: 15000 }).status, 0);
    }
    await waitFor('the members to drop every replay', async () => (await stale()) - dropped >= replayed.length, { timeoutMs: 60000, intervalMs: 1000 });

    // The retained key-generation messages erased (empty retained payloads): the members publish
    // their senders' latest again.
    for (const topic of before.keys()) {
      assert.equal(spawnSync('mosquitto_pub', [...login, '-q', '1', '-t', topic, '-r', '-n'], { timeout: 15000 }).status, 0);
    }
    await waitFor('the erased retained messages to be back', async () => {
      const now = retained();
      return [...before].every(([topic, payload]) => now.get(topic) === payload);
    }, { timeoutMs: 60000, intervalMs: 2000 });

    // And the group goes on: a member that restarts finds the key-generation messages and
    // rejoins; the next readings are anchored.
    const restarted = live[live.length - 1];
    await kill(restarted, 'SIGTERM');
    launch(restarted);
    await waitForPort(HTTP_PORT + restarted);
    assert.equal((await runSimulator(GATEWAY_BIN, sim(10, 220))).at(-1).published, DEVICES * 10);
    await anchoredUpTo(229);
    for (const i of live) assert.equal(gateways[i].proc.exitCode, null, `gateway ${i} runs`);
    await recorded(restarted, 229);
  });
});
