// The gateway with more devices than one anchor may cover: 120 devices, each reading with two
// metrics, on the development chain (one validator). The gateway plans its batches against the
// limits it reads from the chain (`MaxDevicesPerBatch`, and how many devices' ranges fit one
// extrinsic's weight and length), so no batch is ever refused as too big and nothing stalls:
// every reading is anchored, each device's ranges follow one another exactly. Then the Grafana
// dashboards in docker/ are checked against what the node and the gateway serve at /metrics.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  runSimulator, simulatorArgs, startDevNode, startGateway, startMosquitto, stopNode, waitForPort,
} from '../../scripts/lib/network.mjs';
import { connect, logTail, NODE_BIN, REPO_ROOT, tempState, waitFor } from './helpers.mjs';

const OFFSET = Number(process.env.IOTRUST_TEST_PORT_OFFSET ?? 200) + 170;
const MQTT_PORT = 11883 + OFFSET;
const HTTP_PORT = 18080 + OFFSET;
const GATEWAY_BIN = process.env.IOTRUST_GATEWAY_BIN ?? path.join(path.dirname(NODE_BIN), 'iotrust-gateway');
const DEVICES = 120;
const READINGS = 20;

describe('gateway, 120 devices × 2 metrics on --dev', { timeout: 10 * 60000 }, () => {
  const state = tempState('gateway-fleet');
  const procs = [];
  let nodes = [];
  let api;
  let broker;
  let gateway;
  before(async () => {
    nodes = await startDevNode({ bin: NODE_BIN, state, offset: OFFSET });
    api = await connect(nodes[0].rpcUrl);
    broker = startMosquitto({ state: path.join(state, 'mqtt'), port: MQTT_PORT });
    procs.push(broker);
    await waitForPort(MQTT_PORT);
    gateway = startGateway({
      bin: GATEWAY_BIN, state: path.join(state, 'gateway'), nodeUrl: nodes[0].rpcUrl, broker, httpPort: HTTP_PORT,
      extraArgs: ['--progress-secs', '5'],
    });
    procs.unshift(gateway);
    await waitForPort(HTTP_PORT);
  });
  after(async () => {
    await api?.disconnect();
    for (const p of procs) await stopNode(p, { signal: 'SIGTERM', graceMs: 5000 });
    await Promise.all(nodes.map((n) => stopNode(n)));
    if (process.exitCode || process.env.IOTRUST_E2E_LOGS) {
      for (const p of [...procs, ...nodes]) console.log(`--- ${p.name} (${p.logPath})\n${logTail(p.logPath)}`);
    }
    fs.rmSync(state, { recursive: true, force: true });
  });

  it('anchors every reading of 120 devices in batches the chain takes, none refused, no stall', async () => {
    const sim = (opts) => simulatorArgs({ nodeUrl: nodes[0].rpcUrl, broker, devices: DEVICES, ...opts });
    const devices = (await runSimulator(GATEWAY_BIN, sim({ extra: ['--register-only'] }))).map((l) => l.device);
    assert.equal(devices.length, DEVICES);
    const summary = (await runSimulator(GATEWAY_BIN, sim({ readings: READINGS, rate: 600 }))).at(-1);
    assert.equal(summary.published, DEVICES * READINGS);

    const stats = async () => (await fetch(`http://127.0.0.1:${HTTP_PORT}/stats`)).json();
    await waitFor('every reading to be anchored', async () => (await stats()).readingsAnchored === DEVICES * READINGS,
      { timeoutMs: 4 * 60000, intervalMs: 2000 });
    const s = await stats();
    assert.equal(s.batchesRefused, 0, 'no batch was refused (too big, or otherwise)');
    assert.equal(s.setAside, 0);
    assert.equal(s.backlog, 0);

    // On chain: each device anchored 0..19, its ranges end to end; no anchor covers more devices
    // than the chain allows, so 120 devices took at least two anchors a round.
    const most = api.consts.anchoring.maxDevicesPerBatch.toNumber();
    const anchors = (await api.query.anchoring.nextAnchorId()).toNumber();
    const next = new Map(devices.map((d) => [d, 0]));
    let readings = 0;
    for (let id = 0; id < anchors; id++) {
      const a = (await api.call.anchoringApi.anchor(id)).unwrap();
      assert.ok(a.ranges.length <= most, `anchor ${id} covers ${a.ranges.length} devices, the chain allows ${most}`);
      readings += a.header.readingCount.toNumber();
      for (const r of a.ranges) {
        const d = r.device.toHex();
        assert.equal(r.first.toNumber(), next.get(d), `device ${d}: a range follows the last exactly`);
        next.set(d, r.last.toNumber() + 1);
      }
    }
    assert.equal(readings, DEVICES * READINGS, 'the anchors hold each reading once');
    for (const [d, n] of next) assert.equal(n, READINGS, `device ${d} anchored up to ${n - 1}`);
    assert.ok(anchors >= Math.ceil(DEVICES / most), `${anchors} anchors`);
    // The last device's last reading, with both metrics, proved against the chain.
    const res = await fetch(`http://127.0.0.1:${HTTP_PORT}/proof/${devices.at(-1)}/${READINGS - 1}`);
    assert.equal(res.status, 200);
    const body = await res.json();
    assert.equal(body.reading.metrics.length, 2);
    assert.equal((await api.call.anchoringApi.checkReading(body.anchor, body.reading, body.proof)).toString(), 'Anchored');
  });

  it('feeds every panel of the Grafana dashboards in docker/: each metric they query, the node or the gateway serves', async () => {
    const scrape = async (url) => {
      const res = await fetch(url);
      assert.equal(res.status, 200, url);
      return res.text();
    };
    const exposed = new Set();
    for (const text of [
      await scrape(`http://127.0.0.1:${nodes[0].ports.prometheus}/metrics`),
      await scrape(`http://127.0.0.1:${HTTP_PORT}/metrics`),
    ]) {
      for (const line of text.split('\n')) {
        // A family declared (`# TYPE name kind`) counts even before its first sample; a
        // histogram's family serves name_bucket, name_sum and name_count.
        const declared = line.match(/^# TYPE (\S+) (\S+)/);
        if (declared) {
          exposed.add(declared[1]);
          if (declared[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exposed.add(declared[1] + s);
        } else if (/^[a-zA-Z_:]/.test(line)) exposed.add(line.match(/^[a-zA-Z_:][a-zA-Z0-9_:]*/)[0]);
      }
    }
    const dir = path.join(REPO_ROOT, 'docker/grafana');
    const dashboards = fs.readdirSync(dir).filter((f) => f.endsWith('.json'));
    assert.deepEqual(dashboards.sort(), ['iotrust-gateway.json', 'iotrust-node.json']);
    const unfed = [];
    let queried = 0;
    for (const file of dashboards) {
      const panels = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')).panels.flatMap((p) => [p, ...(p.panels ?? [])]);
      assert.ok(panels.length > 0, `${file} has panels`);
      for (const panel of panels.filter((p) => p.type !== 'row')) {
        const metrics = (panel.targets ?? []).flatMap((t) => metricsOf(t.expr ?? ''));
        assert.ok(metrics.length > 0, `${file}: panel "${panel.title}" queries a metric`);
        queried += metrics.length;
        for (const m of metrics) if (!exposed.has(m)) unfed.push(`${file}: "${panel.title}" queries ${m}`);
      }
    }
    assert.deepEqual(unfed, [], 'metrics that neither the node nor the gateway serves');
    console.log(`# ${queried} metric references in ${dashboards.length} dashboards, all served`);

    // And the compose file wires them up: Prometheus scrapes every node's Prometheus port and
    // the gateway's HTTP port, Grafana mounts the dashboards and Prometheus as its data source.
    const docker = (f) => fs.readFileSync(path.join(REPO_ROOT, 'docker', f), 'utf8');
    const compose = docker('docker-compose.yml');
    const services = [...compose.matchAll(/^  ([a-z]+):$/gm)].map((m) => m[1]);
    for (const s of ['alice', 'bob', 'charlie', 'dave', 'mosquitto', 'gateway', 'prometheus', 'grafana']) {
      assert.ok(services.includes(s), `docker-compose.yml has a ${s} service`);
    }
    const targets = [...docker('prometheus.yml').matchAll(/"([a-z]+):(\d+)"/g)].map((m) => `${m[1]}:${m[2]}`);
    const gatewayPort = docker('gateway/gateway.toml').match(/^http = "0\.0\.0\.0:(\d+)"$/m)[1];
    assert.deepEqual(targets.sort(), ['alice:9615', 'bob:9615', 'charlie:9615', 'dave:9615', `gateway:${gatewayPort}`].sort());
    assert.match(compose, /\.\/prometheus\.yml:\/etc\/prometheus\/prometheus\.yml/);
    assert.match(compose, /\.\/grafana:\/var\/lib\/grafana\/dashboards/);
    assert.match(docker('grafana/provisioning/dashboards/iotrust.yml'), /path: \/var\/lib\/grafana\/dashboards/);
    assert.match(docker('grafana/provisioning/datasources/prometheus.yml'), /url: http:\/\/prometheus:9090/);
  });
});

/** Words of PromQL that are not metric names: functions, aggregations, keywords. */
const PROMQL_WORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'topk', 'bottomk', 'quantile', 'rate', 'irate', 'increase',
  'delta', 'deriv', 'histogram_quantile', 'abs', 'clamp_min', 'clamp_max', 'time', 'vector', 'scalar',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'offset', 'bool',
]);

/** The metric names a PromQL expression reads: what is left once strings, label matchers, ranges,
 * label lists and function calls are taken out. */
function metricsOf(expr) {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b(?!\s*\()/g)].map((m) => m[0]).filter((w) => !PROMQL_WORDS.has(w));
}
