// The gateway end to end: a real mosquitto broker (Debian's package), the 4-validator local
// network, `iotrust-gateway run`, and `iotrust-gateway simulate` as 20 devices publishing 10,000
// signed readings. The gateway is killed with SIGKILL mid-run and restarted on the same
// database. Afterwards every reading is anchored exactly once in finalized blocks (each device's
// anchored ranges cover 0..499 end to end, and the anchors' reading counts add up to 10,000), each
// reading's proof from the gateway checks out through `anchoringApi.checkReading`, and bad
// messages are rejected and counted by kind.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import {
  GATEWAY_ACCOUNT, runSimulator, SIM_OWNER, simulatorArgs, startGateway, startMosquitto, waitForPort,
} from '../../scripts/lib/network.mjs';
import { NODE_BIN, sleep, useLocalNetwork, waitFor } from './helpers.mjs';

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
  before(async () => {
    ({ nodes, api } = net);
    net.extra.push(startMosquitto({ state: path.join(net.state, 'mqtt'), port: MQTT_PORT }));
    await waitForPort(MQTT_PORT);
  });

  const sim = (opts) => simulatorArgs({ nodeUrl: nodes[0].rpcUrl, mqttPort: MQTT_PORT, devices: DEVICES, ...opts });
  const gatewayState = () => path.join(net.state, 'gateway');
  const launch = () => {
    net.extra = net.extra.filter((p) => p !== gateway);
    gateway = startGateway({
      bin: GATEWAY_BIN, state: gatewayState(), nodeUrl: nodes[1].rpcUrl, mqttPort: MQTT_PORT, httpPort: HTTP_PORT,
      // 8 devices a batch, so the 20 devices must take turns (the attack of old: low ids first).
      extraArgs: ['--progress-secs', '5', '--batch-window-ms', '1000', '--batch-max-devices', '8'],
    });
    net.extra.unshift(gateway);
  };

  it('registers 20 simulated devices bound to the gateway account, which serves their owner', async () => {
    // The gateway records its consent to serve the simulator's owner at start (--serve-owner)
    // before it serves HTTP; only then may the owner bind devices to it.
    launch();
    await waitForPort(HTTP_PORT);
    assert.ok((await api.query.devices.servedOwners(GATEWAY_ACCOUNT.address, SIM_OWNER.address)).isSome);
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
    await sleep(8000);
    gateway.proc.kill('SIGKILL');
    await new Promise((r) => gateway.proc.once('exit', r));
    await sleep(3000);
    launch();
    const summary = (await publishing).at(-1);
    assert.equal(summary.published, DEVICES * READINGS);

    // Every device's readings are anchored in finalized blocks, 0..499 with nothing twice.
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
    await waitFor('every reading to be anchored', async () => {
      const last = await Promise.all(devices.map(async (d) => (await api.query.anchoring.lastSeq(d)).unwrapOr(null)));
      return last.every((l) => l !== null && l.toNumber() === READINGS - 1);
    }, { timeoutMs: 5 * 60000, intervalMs: 2000 });
    let total = 0;
    for (const d of devices) {
      const ranges = (await anchoredRanges(d)).sort((a, b) => a.first - b.first);
      let expected = 0;
      for (const r of ranges) {
        assert.equal(r.first, expected, `device ${d}: range ${r.first}..${r.last} follows ${expected - 1} exactly`);
        expected = r.last + 1;
      }
      assert.equal(expected, READINGS);
    }
    const anchors = (await api.query.anchoring.nextAnchorId()).toNumber();
    for (let id = 0; id < anchors; id++) {
      const a = (await api.call.anchoringApi.anchor(id)).unwrap();
      assert.equal(a.gateway.toString(), GATEWAY_ACCOUNT.address);
      total += a.readingCount.toNumber();
    }
    assert.equal(total, DEVICES * READINGS, 'the anchors hold each reading once');
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
});
