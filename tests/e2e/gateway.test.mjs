// The gateway end to end: a real mosquitto broker (Debian's package) over TLS with a password
// per client (certificates made by openssl at start), the 4-validator local network,
// `iotrust-gateway run`, and `iotrust-gateway simulate` as 20 devices publishing 10,000 signed
// readings. The gateway is killed with SIGKILL mid-run and restarted on the same database.
// Afterwards every reading is anchored exactly once in finalized blocks (each device's anchored
// ranges cover 0..499 end to end, and the anchors' reading counts add up to 10,000), each
// reading's proof from the gateway checks out through `anchoringApi.checkReading`, and bad
// messages are rejected and counted by kind. Then the gateway's node is down for 60 s and the
// broker restarted while devices publish: nothing is lost. A device suspended mid-run costs the
// others nothing, its readings set aside and listed. A device's obligation request is relayed;
// a replayed one and one altered on its way are refused.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import {
  bootnode, GATEWAY_ACCOUNT, GENESIS_VALIDATORS, runSimulator, SIM_OWNER, simulatorArgs, startGateway,
  startMosquitto, startNode, stopNode, waitForPort, waitForRpc,
} from '../../scripts/lib/network.mjs';
import { NODE_BIN, signAndFinalize, sleep, UNIT, useLocalNetwork, waitFor } from './helpers.mjs';

const OFFSET = Number(process.env.IOTRUST_TEST_PORT_OFFSET ?? 200) + 150;
const MQTT_PORT = 11883 + OFFSET;
const HTTP_PORT = 18080 + OFFSET;
const GATEWAY_BIN = process.env.IOTRUST_GATEWAY_BIN ?? path.join(path.dirname(NODE_BIN), 'iotrust-gateway');
const DEVICES = 20;
const READINGS = 500;
const BAD_EACH = 5;

async function getJson(url) {
  const res = await fetch(url);
  return { status: res.status, body: await res.json() };
}

/** The median of `xs`. */
function median(xs) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * A client at local address `ip` that asks for `path` again as soon as each answer is in, until
 * `stop.done`; counts the answers by status in `counts`.
 */
function loopOn(ip, port, route, stop, counts) {
  return new Promise((resolve) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1, localAddress: ip });
    const once = () => {
      if (stop.done) {
        agent.destroy();
        resolve();
        return;
      }
      let next = once;
      const again = () => {
        // Each request goes on once, whichever of its ends comes first.
        const go = next;
        next = () => {};
        go();
      };
      const req = http.get({ host: '127.0.0.1', port, path: route, agent, timeout: 20000 }, (res) => {
        counts[res.statusCode] = (counts[res.statusCode] ?? 0) + 1;
        res.resume();
        res.on('end', again);
        res.on('error', again);
        res.on('aborted', again);
      });
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', () => {
        counts.error = (counts.error ?? 0) + 1;
        setTimeout(again, 100);
      });
    };
    once();
  });
}

/** Run `fn` over `items`, `width` at a time. */
async function pool(items, width, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i], i);
    }
  }));
}

describe('gateway', { timeout: 20 * 60000 }, () => {
  const net = useLocalNetwork('gateway', OFFSET);
  let nodes;
  let api;
  let gateway;
  let devices;
  let broker;
  before(async () => {
    ({ nodes, api } = net);
    broker = startMosquitto({ state: path.join(net.state, 'mqtt'), port: MQTT_PORT });
    net.extra.push(broker);
    await waitForPort(MQTT_PORT);
  });

  const sim = (opts) => simulatorArgs({ nodeUrl: nodes[0].rpcUrl, broker, devices: DEVICES, ...opts });
  const gatewayState = () => path.join(net.state, 'gateway');
  const launch = () => {
    net.extra = net.extra.filter((p) => p !== gateway);
    gateway = startGateway({
      bin: GATEWAY_BIN, state: gatewayState(), nodeUrl: nodes[1].rpcUrl, broker, httpPort: HTTP_PORT,
      // 8 devices a batch, so the 20 devices must take turns (the attack of old: low ids first).
      // A device may send 2,000 readings a second: the flood case's device sends 1,000, all
      // of it accepted (the rate's own attack is the ingest unit tests'; readings dropped at
      // random would leave gaps, and a device's readings go in a batch one unbroken run at a
      // time).
      extraArgs: ['--progress-secs', '5', '--batch-window-ms', '1000', '--batch-max-devices', '8', '--device-rate', '2000'],
    });
    net.extra.unshift(gateway);
  };

  /** Every range of `device`'s readings anchored on chain. */
  const anchoredRanges = async (device) => {
    const ranges = [];
    let after = null;
    for (;;) {
      const page = await api.call.anchoringApi.deviceAnchors(device, after, 100);
      if (page.length === 0) return ranges;
      for (const [id, anchor] of page) {
        for (const r of anchor.ranges) {
          if (r.device.toHex() === device) ranges.push({ anchor: id.toNumber(), first: r.first.toNumber(), last: r.last.toNumber() });
        }
      }
      after = page[page.length - 1][0];
    }
  };

  /** Assert `device`'s anchored ranges cover 0..count-1 end to end, each reading once. */
  const assertAnchoredOnce = async (device, count) => {
    const ranges = (await anchoredRanges(device)).sort((a, b) => a.first - b.first);
    let expected = 0;
    for (const r of ranges) {
      assert.equal(r.first, expected, `device ${device}: range ${r.first}..${r.last} follows ${expected - 1} exactly`);
      expected = r.last + 1;
    }
    assert.equal(expected, count, `device ${device}: anchored up to ${expected - 1}`);
  };

  /** The sum of the reading counts of every anchor on chain. */
  const anchoredTotal = async () => {
    let total = 0;
    const anchors = (await api.query.anchoring.nextAnchorId()).toNumber();
    for (let id = 0; id < anchors; id++) total += (await api.call.anchoringApi.anchor(id)).unwrap().header.readingCount.toNumber();
    return total;
  };

  const lastSeqs = async (list) => Promise.all(list.map(async (d) => (await api.query.anchoring.lastSeq(d)).unwrapOr(null)?.toNumber() ?? null));

  it('registers 20 simulated devices bound to the gateway account, which serves their owner', async () => {
    // The gateway records its consent to serve the simulator's owner at start (--serve-owner)
    // before it serves HTTP; only then may the owner bind devices to it.
    launch();
    await waitForPort(HTTP_PORT);
    assert.ok((await api.query.devices.servedOwners(GATEWAY_ACCOUNT.address, SIM_OWNER.address)).isSome);
    assert.ok((await api.call.devicesApi.serves(GATEWAY_ACCOUNT.address, SIM_OWNER.address)).isTrue);
    const lines = await runSimulator(GATEWAY_BIN, sim({ extra: ['--register-only'] }));
    devices = lines.map((l) => l.device);
    assert.equal(devices.length, DEVICES);
    for (const d of devices) {
      const info = (await api.call.devicesApi.device(d)).unwrap();
      assert.equal(info.gateway.unwrap().toString(), GATEWAY_ACCOUNT.address);
    }
  });

  it('anchors 10,000 readings exactly once across a SIGKILL of the gateway', async () => {
    const publishing = runSimulator(GATEWAY_BIN, sim({ readings: READINGS, rate: 400 }));
    await sleep(5000);
    // Killed during a submission: while a batch it sent is not yet finalized.
    await waitFor('a batch in flight', async () => (await getJson(`http://127.0.0.1:${HTTP_PORT}/stats`)).body.inFlight > 0,
      { timeoutMs: 60000, intervalMs: 100 });
    gateway.proc.kill('SIGKILL');
    await new Promise((r) => gateway.proc.once('exit', r));
    await sleep(3000);
    launch();
    const summary = (await publishing).at(-1);
    assert.equal(summary.published, DEVICES * READINGS);

    // Every device's readings are anchored in finalized blocks, 0..499 with nothing twice.
    await waitFor('every reading to be anchored', async () => {
      const last = await Promise.all(devices.map(async (d) => (await api.query.anchoring.lastSeq(d)).unwrapOr(null)));
      return last.every((l) => l !== null && l.toNumber() === READINGS - 1);
    }, { timeoutMs: 5 * 60000, intervalMs: 2000 });
    for (const d of devices) await assertAnchoredOnce(d, READINGS);
    const anchors = (await api.query.anchoring.nextAnchorId()).toNumber();
    for (let id = 0; id < anchors; id++) {
      assert.equal((await api.call.anchoringApi.anchor(id)).unwrap().gateway.toString(), GATEWAY_ACCOUNT.address);
    }
    assert.equal(await anchoredTotal(), DEVICES * READINGS, 'the anchors hold each reading once');
    // Devices took turns: with 8 a batch, no device id was served much more often than another
    // (served lowest ids first, devices 1-8 would be in nearly every batch while a backlog lasts).
    const served = new Map(devices.map((d) => [d, 0]));
    for (let id = 0; id < anchors; id++) {
      const a = (await api.call.anchoringApi.anchor(id)).unwrap();
      assert.ok(a.ranges.length <= 8, `anchor ${id} covers ${a.ranges.length} devices`);
      for (const r of a.ranges) served.set(r.device.toHex(), served.get(r.device.toHex()) + 1);
    }
    const counts = [...served.values()];
    assert.ok(Math.max(...counts) <= 2 * Math.min(...counts) + 2, `batches per device: ${counts.join(' ')}`);
    // The gateway has seen its last batch finalized too.
    await waitFor('the gateway to see every batch finalized', async () => {
      const last = await Promise.all(devices.map((d) => fetch(`http://127.0.0.1:${HTTP_PORT}/proof/${d}/${READINGS - 1}`)));
      return last.every((r) => r.status === 200);
    }, { timeoutMs: 60000 });
  });

  it('serves a proof of every reading that the chain confirms', async () => {
    const all = devices.flatMap((d) => Array.from({ length: READINGS }, (_, seq) => [d, seq]));
    let confirmed = 0;
    await pool(all, 25, async ([device, seq]) => {
      const { status, body } = await getJson(`http://127.0.0.1:${HTTP_PORT}/proof/${device}/${seq}`);
      assert.equal(status, 200, `proof of ${device}/${seq}: ${JSON.stringify(body)}`);
      const verdict = await api.call.anchoringApi.checkReading(body.anchor, body.reading, body.proof);
      assert.equal(verdict.toString(), 'Anchored', `${device}/${seq}`);
      confirmed += 1;
    });
    assert.equal(confirmed, DEVICES * READINGS);

    // The CLI checks a proof against the chain too, and refuses a tampered one.
    const { body } = await getJson(`http://127.0.0.1:${HTTP_PORT}/proof/${devices[3]}/42`);
    const out = JSON.parse(execFileSync(GATEWAY_BIN, ['verify', '--node', nodes[2].rpcUrl, '-'], { input: JSON.stringify(body), encoding: 'utf8' }));
    assert.equal(out.verdict, 'Anchored');
    assert.equal(out.gateway, GATEWAY_ACCOUNT.address);
    body.reading.metrics[0].value += 1;
    assert.throws(() => execFileSync(GATEWAY_BIN, ['verify', '--node', nodes[2].rpcUrl, '-'], { input: JSON.stringify(body), stdio: ['pipe', 'pipe', 'pipe'] }));
    assert.equal((await getJson(`http://127.0.0.1:${HTTP_PORT}/proof/${devices[0]}/${READINGS}`)).status, 404);
  });

  it('rejects and counts bad messages without stopping', async () => {
    await runSimulator(GATEWAY_BIN, sim({ readings: 0, extra: ['--bad', String(BAD_EACH)] }));
    const stats = await waitFor('the rejections to be counted', async () => {
      const { body } = await getJson(`http://127.0.0.1:${HTTP_PORT}/stats`);
      return body.rejectedTotal >= 4 * BAD_EACH ? body : null;
    }, { timeoutMs: 30000 });
    assert.deepEqual(stats.rejected, {
      bad_json: BAD_EACH, bad_signature: BAD_EACH, unknown_device: BAD_EACH, replayed_sequence: BAD_EACH,
    });
    assert.equal(gateway.proc.exitCode, null, 'the gateway is still running');
    assert.equal((await getJson(`http://127.0.0.1:${HTTP_PORT}/health`)).status, 200);
  });

  it('lists a device\'s readings in a time range with their proofs, a page at a time', async () => {
    const all = [];
    let after = null;
    for (;;) {
      const q = after === null ? '' : `?after=${after}`;
      const { status, body } = await getJson(`http://127.0.0.1:${HTTP_PORT}/readings/${devices[5]}${q}`);
      assert.equal(status, 200);
      all.push(...body.readings);
      if (body.next === null) break;
      after = body.next;
    }
    assert.deepEqual(all.map((r) => r.reading.seq), Array.from({ length: READINGS }, (_, i) => i));
    assert.ok(all.every((r) => r.status === 'anchored' && r.proof), 'each with its proof');
    // A time range: the readings measured within it, no others.
    const from = all[100].reading.timestampMs;
    const to = all[150].reading.timestampMs;
    const { body } = await getJson(`http://127.0.0.1:${HTTP_PORT}/readings/${devices[5]}?from=${from}&to=${to}`);
    const inRange = all.filter((r) => r.reading.timestampMs >= from && r.reading.timestampMs <= to);
    assert.deepEqual(body.readings.map((r) => r.reading.seq), inRange.map((r) => r.reading.seq).slice(0, 100));
    const verdict = await api.call.anchoringApi.checkReading(body.readings[0].anchor, body.readings[0].reading, body.readings[0].proof);
    assert.equal(verdict.toString(), 'Anchored');
  });

  it('loses nothing while its node is down for 60 s and the broker restarts', async () => {
    // The gateway talks to bob's node: take it down while the devices publish 4,000 readings.
    const from = READINGS;
    const more = 200;
    const publishing = runSimulator(GATEWAY_BIN, sim({ readings: more, rate: 200, extra: ['--start-seq', String(from)] }));
    await sleep(3000);
    const bob = nodes.find((n) => n.name === 'bob');
    await stopNode(bob);
    const downAt = Date.now();
    assert.equal((await publishing).at(-1).published, DEVICES * more);
    // The broker restarts meanwhile (its store on disk): the gateway reconnects to it.
    await stopNode(broker, { signal: 'SIGTERM', graceMs: 5000 });
    net.extra = net.extra.filter((p) => p !== broker);
    Object.assign(broker, broker.restart());
    net.extra.push(broker);
    await waitForPort(MQTT_PORT);
    await sleep(Math.max(0, 60000 - (Date.now() - downAt)));
    const { body: down } = await getJson(`http://127.0.0.1:${HTTP_PORT}/stats`);
    assert.equal(down.chainConnected, false, 'the gateway knows its node is gone');
    assert.ok(down.backlog > 0, 'readings wait in the database meanwhile');
    const restarted = startNode({
      bin: NODE_BIN, state: net.state, name: 'bob', offset: OFFSET,
      bootnodes: GENESIS_VALIDATORS.filter((n) => n !== 'bob').map((n) => bootnode(n, OFFSET)),
    });
    nodes = nodes.map((n) => (n.name === 'bob' ? restarted : n));
    net.nodes = nodes;
    await waitForRpc(restarted);
    // Devices publish again through the restarted broker.
    await runSimulator(GATEWAY_BIN, sim({ readings: 50, rate: 200, extra: ['--start-seq', String(from + more)] }));
    const total = from + more + 50;
    await waitFor('every reading to be anchored after the outage', async () => (await lastSeqs(devices)).every((l) => l === total - 1),
      { timeoutMs: 5 * 60000, intervalMs: 2000 });
    for (const d of devices) await assertAnchoredOnce(d, total);
    assert.equal(await anchoredTotal(), DEVICES * total, 'each reading anchored once');
    assert.equal(gateway.proc.exitCode, null, 'the gateway kept running');
  });

  it('a device suspended mid-run costs the other devices nothing; its readings are set aside and listed', async () => {
    const { keys } = net;
    const from = READINGS + 250;
    const count = 200;
    const victim = devices[7];
    const rejectedBefore = (await getJson(`http://127.0.0.1:${HTTP_PORT}/stats`)).body.rejected.device_not_active ?? 0;
    const publishing = runSimulator(GATEWAY_BIN, sim({ readings: count, rate: 200, extra: ['--start-seq', String(from)] }));
    await sleep(4000);
    await signAndFinalize(api, api.tx.devices.suspend(victim), keys.charlie);
    await publishing;
    const others = devices.filter((d) => d !== victim);
    await waitFor('the other devices\' readings to be anchored', async () => (await lastSeqs(others)).every((l) => l === from + count - 1),
      { timeoutMs: 3 * 60000, intervalMs: 2000 });
    for (const d of others) await assertAnchoredOnce(d, from + count);
    // The suspended device's readings that were accepted before the gateway saw the suspension
    // in a finalized block are set aside, listed with the reason; those that came after were
    // rejected at once (device_not_active). None is lost without a trace.
    const lastAnchored = (await lastSeqs([victim]))[0];
    const unanchored = from + count - 1 - lastAnchored;
    const { aside, rejected } = await waitFor('the suspended device\'s readings to be accounted for', async () => {
      const { body: listing } = await getJson(`http://127.0.0.1:${HTTP_PORT}/aside`);
      const { body: stats } = await getJson(`http://127.0.0.1:${HTTP_PORT}/stats`);
      const entry = listing.devices.find((d) => d.device === victim);
      const inactive = (stats.rejected.device_not_active ?? 0) - rejectedBefore;
      return entry && entry.count + inactive === unanchored ? { aside: entry, rejected: inactive } : null;
    }, { timeoutMs: 60000 });
    assert.equal(aside.reason, 'device_not_active');
    assert.equal(aside.held, true);
    assert.ok(aside.count > 0, 'readings accepted before the suspension was seen are set aside');
    const { body: listed } = await getJson(`http://127.0.0.1:${HTTP_PORT}/aside/${victim}`);
    const shown = Math.min(aside.count, 100);
    assert.deepEqual(listed.readings.map((r) => r.reading.seq), Array.from({ length: shown }, (_, i) => lastAnchored + 1 + i));
    assert.equal(rejected, unanchored - aside.count);
    // Resumed, its set-aside readings are queued again and anchored, in order.
    await signAndFinalize(api, api.tx.devices.resume(victim), keys.charlie);
    const last = lastAnchored + aside.count;
    await waitFor('the resumed device\'s readings to be anchored', async () => (await lastSeqs([victim]))[0] === last,
      { timeoutMs: 3 * 60000, intervalMs: 2000 });
    await assertAnchoredOnce(victim, last + 1);
  });

  it('relays a device\'s signed obligation request and publishes the outcome to it', async () => {
    const { keys } = net;
    const offer = {
      serviceHash: `0x${'5e'.repeat(32)}`, minAmount: UNIT, maxAmount: 100n * UNIT, dueIn: 200,
      minScore: 0, device: null, sla: null, consumers: [],
    };
    const { events } = await signAndFinalize(api, api.tx.obligations.publishOffer(offer), keys.bob);
    const offerId = events.map((r) => r.event).find((e) => api.events.obligations.OfferPublished.is(e)).data.offer.toNumber();
    const lines = await runSimulator(GATEWAY_BIN, sim({ extra: ['--obligation', `${offerId}:${2n * UNIT}`] }));
    const { reply } = lines.at(-1);
    assert.equal(reply.status, 'created', JSON.stringify(reply));
    const obligation = (await api.call.obligationsApi.obligation(reply.obligation)).unwrap();
    assert.equal(obligation.consumer.toString(), SIM_OWNER.address, 'the device\'s owner owes');
    assert.equal(obligation.provider.toString(), keys.bob.address);
    assert.equal(obligation.amount.toBigInt(), 2n * UNIT);
    // Asked again for more than the offer allows: the chain's refusal, asked before submitting
    // (obligationsApi.checkDeviceRequest), comes back to the device; nothing was submitted for
    // it (no "failed" outcome below: the gateway paid no fee for a refusal).
    await assert.rejects(runSimulator(GATEWAY_BIN, sim({ extra: ['--obligation', `${offerId}:${1000n * UNIT}`] })),
      /chain_refused.*Obligations\.AmountOutOfRange|Obligations\.AmountOutOfRange.*chain_refused/);
    // The cheats: the created request sent again (its nonce is used up), and a request whose
    // amount was raised on its way to the gateway. Both are refused with the reason, and
    // nothing reaches the chain: the device's nonce stays where the created one left it.
    await assert.rejects(runSimulator(GATEWAY_BIN, sim({ extra: ['--obligation', `${offerId}:${2n * UNIT}`, '--tamper', 'replay'] })),
      /"status":"rejected".*stale_nonce|stale_nonce.*"status":"rejected"/);
    await assert.rejects(runSimulator(GATEWAY_BIN, sim({ extra: ['--obligation', `${offerId}:${2n * UNIT}`, '--tamper', 'amount'] })),
      /bad_signature/);
    // A request past its last valid block is the chain's refusal (RequestExpired); one the chain
    // refused, sent again byte for byte by whoever copied it off the broker, is not looked at
    // again (`replayed`): the device gave up on it, and it cannot be created later.
    await assert.rejects(runSimulator(GATEWAY_BIN, sim({ extra: ['--obligation', `${offerId}:${2n * UNIT}`, '--tamper', 'expired'] })),
      /Obligations\.RequestExpired/);
    await assert.rejects(runSimulator(GATEWAY_BIN, sim({ extra: ['--obligation', `${offerId}:${1000n * UNIT}`, '--tamper', 'resend'] })),
      /"reason":"replayed"/);
    assert.equal((await api.query.obligations.deviceNonce(devices[0])).toNumber(), 1);
    const metrics = await (await fetch(`http://127.0.0.1:${HTTP_PORT}/metrics`)).text();
    assert.match(metrics, /iotrust_gateway_obligation_requests_total\{outcome="created"\} 1/);
    assert.doesNotMatch(metrics, /iotrust_gateway_obligation_requests_total\{outcome="failed"\} [1-9]/);
    assert.match(metrics, /iotrust_gateway_obligation_requests_total\{outcome="rejected"\} 6/);
  });

  // Loopback addresses other than 127.0.0.1 need Linux (as the fault tests' namespaces do).
  it('the attack: one device floods 20,000 readings while 200 clients loop on /readings; another device is anchored as fast as when idle, and nothing accepted is lost', async () => {
    const register = async (seed) => (await runSimulator(GATEWAY_BIN, sim({ devices: 1, extra: ['--seed', seed, '--register-only'] })))[0].device;
    const flooder = await register('flood');
    const quiet = await register('quiet');
    const base = `http://127.0.0.1:${HTTP_PORT}`;
    // Each of `n` readings of the quiet device from `from`, two a second: the time from its
    // measurement to its anchoring in a best block (polled every 100 ms).
    const quietLatencies = async (from, n) => {
      const anchoredAt = new Map();
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const last = (await api.query.anchoring.lastSeq(quiet)).unwrapOr(null)?.toNumber() ?? -1;
          const now = Date.now();
          for (let seq = from; seq <= last; seq++) if (!anchoredAt.has(seq)) anchoredAt.set(seq, now);
          await sleep(100);
        }
      })();
      await runSimulator(GATEWAY_BIN, sim({ devices: 1, readings: n, rate: 2, extra: ['--seed', 'quiet', '--start-seq', String(from)] }));
      await waitFor('the quiet device\'s readings anchored', async () => anchoredAt.size === n, { timeoutMs: 3 * 60000, intervalMs: 200 });
      polling = false;
      await poller;
      return anchoredAt;
    };
    // Each reading's measurement time, as the gateway lists it.
    const measuredAt = async (device) => {
      const at = new Map();
      let after = null;
      for (;;) {
        const { status, body } = await getJson(`${base}/readings/${device}${after === null ? '' : `?after=${after}`}`);
        assert.equal(status, 200);
        for (const r of body.readings) at.set(r.reading.seq, r.reading.timestampMs);
        if (body.next === null) return at;
        after = body.next;
      }
    };

    const idle = await quietLatencies(0, 30);
    const before = (await getJson(`${base}/stats`)).body;
    // The load: 200 clients, each from its own loopback address (the gateway limits each
    // address), asking for the flooder's first page of readings with their proofs again and
    // again; and the flooder publishing 20,000 readings at 1,000 a second.
    const stop = { done: false };
    const counts = {};
    const clients = Array.from({ length: 200 }, (_, i) => loopOn(`127.0.0.${i + 2}`, HTTP_PORT, `/readings/${flooder}`, stop, counts));
    // Over 20 s; the quiet device's 30 readings at two a second fall within it.
    const flood = runSimulator(GATEWAY_BIN, sim({ devices: 1, readings: 20_000, rate: 1_000, extra: ['--seed', 'flood'] }));
    flood.catch(() => {});
    await sleep(1000);
    let loaded;
    try {
      loaded = await quietLatencies(30, 30);
      assert.equal((await flood).at(-1).published, 20_000);
    } finally {
      stop.done = true;
      await Promise.all(clients);
      await flood.catch(() => {});
    }
    const stamps = await measuredAt(quiet);
    const latency = (at) => median([...at].map(([seq, t]) => t - stamps.get(seq)));
    const [idleMs, loadedMs] = [latency(idle), latency(loaded)];
    console.log(`quiet device: median reading-to-anchor ${idleMs} ms idle, ${loadedMs} ms under the flood; HTTP answers ${JSON.stringify(counts)}`);
    assert.ok(loadedMs <= 2 * idleMs, `${loadedMs} ms under the flood, ${idleMs} ms idle`);
    assert.ok((counts[200] ?? 0) > 200, `the clients were served too: ${JSON.stringify(counts)}`);

    // Every reading of the flooder was accepted (none dropped: its rate here is 2,000 a second)
    // and is anchored, each once.
    const after = (await getJson(`${base}/stats`)).body;
    assert.deepEqual(after.rejected, before.rejected, 'nothing rejected');
    const accepted = await measuredAt(flooder);
    assert.equal(accepted.size, 20_000, 'every reading of the flood accepted');
    await waitFor('every accepted reading of the flooder anchored', async () => {
      const ranges = await anchoredRanges(flooder);
      return ranges.reduce((n, r) => n + r.last - r.first + 1, 0) === accepted.size;
    }, { timeoutMs: 5 * 60000, intervalMs: 2000 });
    const covered = new Set();
    for (const r of await anchoredRanges(flooder)) {
      for (let seq = r.first; seq <= r.last; seq++) {
        assert.ok(!covered.has(seq), `reading ${seq} anchored twice`);
        covered.add(seq);
      }
    }
    assert.deepEqual([...accepted.keys()].sort((a, b) => a - b), [...covered].sort((a, b) => a - b));
    assert.equal(gateway.proc.exitCode, null, 'the gateway kept running');
  });

  it('the attack: the serving gateway\'s made-up breach costs the provider nothing; the device\'s own reading, and silence, do', async () => {
    const { keys } = net;
    const ev = api.events.obligations;
    const penalties = (events) => events.map((r) => r.event).filter((e) => ev.PenaltyApplied.is(e)).map((e) => e.data.breach.toJSON());
    // Charlie (the simulator's owner) keeps a reefer below -20 °C for Bob, and lets it go at
    // most 5 blocks unobserved; the simulated reefer runs at about -18 °C. (Not the device
    // suspended above, whose numbers run further: the others' new readings replay its.)
    const sensor = devices[3];
    const offer = {
      serviceHash: `0x${'c0'.repeat(32)}`, minAmount: UNIT, maxAmount: 100n * UNIT, dueIn: 400, minScore: 0,
      device: sensor, sla: { bounds: { metric: 1, min: null, max: -20_000 }, maxSilence: 5 }, consumers: [],
    };
    const published = await signAndFinalize(api, api.tx.obligations.publishOffer(offer), keys.charlie);
    const offerId = published.events.map((r) => r.event).find((e) => ev.OfferPublished.is(e)).data.offer;
    const created = await signAndFinalize(api, api.tx.obligations.create({ offer: offerId, amount: 20n * UNIT, note: '' }, null), keys.bob);
    const id = created.events.map((r) => r.event).find((e) => ev.Created.is(e)).data.id;
    assert.equal((await api.call.obligationsApi.obligation(id)).unwrap().bond.toBigInt(), 2n * UNIT, 'the SLA slot holds a 10% bond');

    // The device's real readings, anchored by its gateway during the term, numbered on from
    // its last (a device whose numbers skipped ahead would be a gap: a breach of its own).
    const start = (await lastSeqs([sensor]))[0] + 1;
    await runSimulator(GATEWAY_BIN, sim({ readings: 5, extra: ['--start-seq', String(start)] }));
    await waitFor('the sensor\'s new readings to be anchored', async () => (await lastSeqs([sensor]))[0] === start + 4,
      { timeoutMs: 2 * 60000, intervalMs: 1000 });
    const { status, body } = await waitFor('the gateway to serve the proof', async () => {
      const r = await getJson(`http://127.0.0.1:${HTTP_PORT}/proof/${sensor}/${start + 2}`);
      return r.status === 200 ? r : null;
    }, { timeoutMs: 60000 });
    assert.equal(status, 200);

    // The attack: the sensor's own gateway (Dave) anchors a breach on its word, with a made-up
    // root: no reading the sensor signed is behind it, and it costs Charlie nothing.
    const fake = { device: sensor, first: start + 5, last: start + 5, summaries: [{ id: 1, min: 0, max: 30_000 }] };
    const root = `0x${crypto.randomBytes(32).toString('hex')}`;
    const faked = await signAndFinalize(api, api.tx.anchoring.anchor(1_000_000, root, 1, 0, 0, [fake]), keys.dave);
    assert.deepEqual(penalties(faked.events), []);
    // Nor can a reading be claimed against that root.
    const forged = { ...body.reading, seq: start + 5 };
    const fakeAnchor = faked.events.map((r) => r.event).find((e) => api.events.anchoring.Anchored.is(e)).data.anchor;
    await assert.rejects(signAndFinalize(api, api.tx.obligations.claimBreach(id, fakeAnchor, forged, body.proof), keys.bob),
      /obligations\.(BadProof|BadReadingSignature)/);
    assert.equal((await api.call.obligationsApi.obligation(id)).unwrap().penalty.toBigInt(), 0n);

    // Bob claims with the sensor's own reading and its proof: the penalty applies, once.
    const claimed = await signAndFinalize(api, api.tx.obligations.claimBreach(id, body.anchor, body.reading, body.proof), keys.bob);
    assert.deepEqual(penalties(claimed.events), [{ reading: { anchor: body.anchor, seq: start + 2 } }]);
    await assert.rejects(signAndFinalize(api, api.tx.obligations.claimBreach(id, body.anchor, body.reading, body.proof), keys.bob),
      /obligations\.BreachAlreadyCounted/);

    // Silence: nothing of the sensor anchored for more than 5 blocks is a breach Bob claims.
    await waitFor('the sensor to be silent for longer than its SLA allows', async () => {
      const o = (await api.call.obligationsApi.obligation(id)).unwrap();
      const seen = (await api.query.obligations.slaSeen(sensor)).unwrapOr(o.created).toNumber();
      const now = (await api.rpc.chain.getHeader()).number.toNumber();
      return now > Math.max(seen, o.silentUntil.toNumber()) + 6;
    }, { timeoutMs: 60000, intervalMs: 1000 });
    const silent = await signAndFinalize(api, api.tx.obligations.claimSilence(id), keys.bob);
    assert.ok('silence' in penalties(silent.events)[0], JSON.stringify(penalties(silent.events)));
    const o = (await api.call.obligationsApi.obligation(id)).unwrap();
    assert.deepEqual([o.penalty.toBigInt(), o.breaches.toNumber(), o.remaining.toBigInt()], [4n * UNIT, 2, 16n * UNIT]);
    await signAndFinalize(api, api.tx.obligations.pay(id, 16n * UNIT), keys.bob);
  });

});
