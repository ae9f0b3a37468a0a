// The gateway benchmark: a throughput and latency figure, not a test. Starts a node (the
// development chain, or with --local the 4-validator network), a mosquitto broker and a fresh
// gateway on loopback; the simulator registers --devices devices and publishes --seconds worth of
// readings at --rate readings/s in all. Prints readings/s ingested (accepted into the gateway's
// database) and anchored (in finalized blocks), each over the time from the first publish until
// the last reading got there, and publish → finalized latency p50/p95 (from each reading's
// timestamp to the moment the gateway saw its batch finalized).
//
//   node scripts/lib/gateway-bench.mjs --bin NODE --gateway-bin GATEWAY [--devices 20] [--rate 500]
//        [--seconds 30] [--local] [--port-offset 400]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  runSimulator, simulatorArgs, startDevNode, startGateway, startLocalNetwork, startMosquitto, stopNode, waitForPort,
} from './network.mjs';

const args = process.argv.slice(2);
const opt = (flag, dflt) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : dflt;
};
const bin = opt('--bin');
const gatewayBin = opt('--gateway-bin');
const devices = Number(opt('--devices', '20'));
const rate = Number(opt('--rate', '500'));
const seconds = Number(opt('--seconds', '30'));
const offset = Number(opt('--port-offset', '400'));
const readings = Math.max(1, Math.round((rate * seconds) / devices));
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'iotrust-gateway-bench-'));

const procs = [];
let nodes = [];
try {
  nodes = args.includes('--local')
    ? await startLocalNetwork({ bin, state, offset })
    : await startDevNode({ bin, state, offset });
  const mqttPort = 11883 + offset;
  const httpPort = 18080 + offset;
  const broker = startMosquitto({ state: path.join(state, 'mqtt'), port: mqttPort });
  procs.push(broker);
  await waitForPort(mqttPort);
  const gateway = startGateway({ bin: gatewayBin, state: path.join(state, 'gateway'), nodeUrl: nodes[0].rpcUrl, broker, httpPort });
  procs.push(gateway);
  await waitForPort(httpPort);
  const sim = (o) => simulatorArgs({ nodeUrl: nodes[0].rpcUrl, broker, devices, ...o });
  await runSimulator(gatewayBin, sim({ extra: ['--register-only'] }));
  console.log(`publishing ${devices * readings} readings from ${devices} devices at ${rate}/s ...`);
  const started = Date.now();
  const published = (await runSimulator(gatewayBin, sim({ readings, rate }))).at(-1);
  const stats = async () => (await fetch(`${gateway.httpUrl}/stats`)).json();
  let s = await stats();
  let ingestedAfter = null;
  const deadline = Date.now() + 10 * 60000;
  while (s.readingsAnchored < published.published && Date.now() < deadline) {
    if (ingestedAfter === null && s.accepted >= published.published) ingestedAfter = (Date.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 200));
    s = await stats();
  }
  const anchoredAfter = (Date.now() - started) / 1000;
  ingestedAfter ??= anchoredAfter;
  console.log(JSON.stringify({
    devices, rateRequested: rate, published: published.published,
    publishedPerSecond: Math.round(published.perSecond),
    ingestedPerSecond: Math.round(s.accepted / ingestedAfter),
    anchored: s.readingsAnchored,
    anchoredPerSecond: Math.round(s.readingsAnchored / anchoredAfter),
    batches: s.batchesAnchored,
    latencyMs: s.latencyMs,
    chain: args.includes('--local') ? 'local (4 validators)' : 'dev (1 validator)',
  }, null, 2));
} finally {
  for (const p of procs) await stopNode(p, { signal: 'SIGTERM', graceMs: 5000 });
  await Promise.all(nodes.map((n) => stopNode(n)));
  fs.rmSync(state, { recursive: true, force: true });
}
