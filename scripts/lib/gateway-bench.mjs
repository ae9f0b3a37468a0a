// The gateway benchmark: figures, not a test (except in --smoke mode). Starts a node (the
// development chain, or with --local the 4-validator network) and a mosquitto broker (TLS and
// passwords) on loopback; the simulator registers --devices devices once. Then each phase runs
// against a fresh gateway (a new database), the simulator publishing --rate readings/s in all for
// --seconds, and the phase ends when every published reading is anchored in a finalized block.
// Every second the driver samples the gateway: readings accepted, anchored, waiting, batches in
// flight, its RSS, CPU time and database size.
//
// Per phase it reports readings/s published, ingested (accepted into the gateway's database)
// and anchored (each over the phase, from the first publish until the last reading got there;
// "peak" is the best 5-second window), reading → finalized latency p50/p95/p99 (from the
// reading's own timestamp to the moment the gateway saw its batch finalized), RSS (and over the
// last 5 minutes of the publishing, its spread around the mean), the gateway's CPU and the
// database's bytes per reading. JSON and an SVG plot per phase and a markdown table go to --out.
//
// With --group (on --local) the readings go to a 3-of-4 gateway group instead: a council motion
// makes it of Alice's, Bob's, Charlie's and Dave's gateways, each on its own validator's RPC;
// they generate its key and serve the simulator's owner before the devices are registered
// (bound to the group's account). Its gateways run through every phase on the same databases
// (a member's key share lives there); they are restarted between phases so that their counters
// start again. Figures are member 0's, except `signMs`, the coordinators' proposal → whole
// signature time, and `submitMs`, their submission → finalized time, each member's own.
//
//   node scripts/lib/gateway-bench.mjs --bin NODE --gateway-bin GATEWAY --out DIR
//        [--devices 20] [--phase NAME:RATE:SECONDS]... [--local] [--group] [--label TEXT] [--smoke]
//        [--gateway-arg ARG]... [--node-arg ARG]... [--keep]
//        [--port-offset 400]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  runSimulator, SIM_OWNER, simulatorArgs, startDevNode, startGateway, startLocalNetwork, startMosquitto, stopNode, waitForPort,
} from './network.mjs';

const args = process.argv.slice(2);
const opt = (flag, dflt) => {
  const i = args.indexOf(flag);
  return i >= 0 ? args[i + 1] : dflt;
};
const all = (flag) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []));
const bin = opt('--bin');
const gatewayBin = opt('--gateway-bin');
const out = path.resolve(opt('--out', 'bench/results/gateway'));
const devices = Number(opt('--devices', '20'));
const local = args.includes('--local');
const smoke = args.includes('--smoke');
const label = opt('--label', '');
const offset = Number(opt('--port-offset', '400'));
const gatewayArgs = all('--gateway-arg');
const nodeArgs = all('--node-arg');
const keep = args.includes('--keep');
const phases = (all('--phase').length ? all('--phase') : ['run:500:30']).map((p) => {
  const [name, rate, seconds] = p.split(':');
  if (!name || !(Number(rate) > 0) || !(Number(seconds) > 0)) throw new Error(`--phase ${p}: want NAME:RATE:SECONDS`);
  return { name, rate: Number(rate), seconds: Number(seconds) };
});
const grouped = args.includes('--group');
if (grouped && !local) throw new Error('--group needs --local: its four gateways are four members\'');
const chain = `${local ? 'local (4 validators)' : 'dev (1 validator)'}${grouped ? ', 3-of-4 group' : ''}`;
const state = fs.mkdtempSync(path.join(os.tmpdir(), 'iotrust-gateway-bench-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const mib = (bytes) => bytes / 1048576;

/** The gateway process's resident memory (bytes) and CPU time (s), from /proc. */
function processUsage(pid) {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
    return { rss, cpu: ticks / 100 };
  } catch {
    return { rss: 0, cpu: 0 };
  }
}

/** Run one phase against a fresh gateway; its report. */
async function runPhase(phase, { nodes, broker, startSeq, index, group }) {
  const readings = Math.max(1, Math.round((phase.rate * phase.seconds) / devices));
  const dir = group ? group.dir(0) : path.join(state, `gateway-${index}`);
  const httpPort = 18080 + offset;
  if (group && index > 0) await group.restart();
  const gateway = group
    ? group.members()[0]
    : startGateway({ bin: gatewayBin, state: dir, nodeUrl: nodes[0].rpcUrl, broker, httpPort, extraArgs: gatewayArgs });
  try {
    await waitForPort(httpPort);
    const stats = async () => (await fetch(`${gateway.httpUrl}/stats`)).json();
    const dbFile = path.join(dir, 'gateway.redb');
    const samples = [];
    const started = Date.now();
    let publishing = true;
    const sample = async () => {
      const s = await stats();
      const usage = processUsage(gateway.proc.pid);
      const nodesCpu = nodes.reduce((sum, n) => sum + processUsage(n.proc.pid).cpu, 0);
      const gatewaysCpu = (group ? group.members() : [gateway]).reduce((sum, g) => sum + processUsage(g.proc.pid).cpu, 0);
      let db = 0;
      try { db = fs.statSync(dbFile).size; } catch { /* not yet */ }
      samples.push({
        t: (Date.now() - started) / 1000, publishing, accepted: s.accepted, anchored: s.readingsAnchored,
        backlog: s.backlog, inFlight: s.inFlight, rss: usage.rss, cpu: usage.cpu, nodesCpu, gatewaysCpu, db, latencyMs: s.latencyMs, s,
      });
      return s;
    };
    const sampler = (async () => {
      while (publishing) {
        await sample().catch(() => {});
        await sleep(1000);
      }
    })();
    console.log(`[${phase.name}] publishing ${devices * readings} readings from ${devices} devices at ${phase.rate}/s ...`);
    const sim = simulatorArgs({
      nodeUrl: nodes[0].rpcUrl, broker, devices, readings, rate: phase.rate, gateway: group?.account, extra: ['--start-seq', String(startSeq)],
    });
    const published = (await runSimulator(gatewayBin, sim)).at(-1);
    publishing = false;
    await sampler;
    const publishedFor = (Date.now() - started) / 1000;
    // Drain: every published reading anchored, bounded by twice the phase plus 5 minutes.
    const deadline = Date.now() + (2 * phase.seconds + 300) * 1000;
    let s = await sample();
    while (s.readingsAnchored < published.published && Date.now() < deadline) {
      await sleep(1000);
      s = await sample();
    }
    const last = samples.at(-1);
    const firstWith = (key, n) => samples.find((x) => x[key] >= n)?.t ?? last.t;
    const ingestedAfter = firstWith('accepted', published.published);
    const anchoredAfter = firstWith('anchored', published.published);
    const peak = (key) => {
      let best = 0;
      for (const a of samples) {
        const b = samples.find((x) => x.t >= a.t + 5);
        if (b) best = Math.max(best, (b[key] - a[key]) / (b.t - a.t));
      }
      return Math.round(best);
    };
    // RSS over the last 5 minutes of the publishing (or its second half, if shorter).
    const window = Math.min(300, publishedFor / 2);
    const tail = samples.filter((x) => x.publishing && x.t >= publishedFor - window && x.rss > 0).map((x) => x.rss);
    const mean = tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length);
    const spread = tail.length ? Math.max(...tail.map((r) => Math.abs(r - mean))) / mean : 0;
    const report = {
      phase: phase.name, chain, devices, rateRequested: phase.rate, seconds: phase.seconds,
      published: published.published, publishedPerSecond: Math.round(published.perSecond),
      accepted: s.accepted, anchored: s.readingsAnchored,
      ingestedPerSecond: Math.round(s.accepted / ingestedAfter),
      ingestedPeakPerSecond: peak('accepted'),
      anchoredPerSecond: Math.round(s.readingsAnchored / anchoredAfter),
      anchoredPeakPerSecond: peak('anchored'),
      drainedAfterSeconds: Math.round(anchoredAfter),
      batches: s.batchesAnchored, batchesRefused: s.batchesRefused, mostInFlight: Math.max(...samples.map((x) => x.inFlight)),
      latencyMs: s.latencyMs,
      batchMs: s.batchMs,
      rssMiB: { last: +mib(last.rss).toFixed(1), max: +mib(Math.max(...samples.map((x) => x.rss))).toFixed(1) },
      rssTail: { seconds: Math.round(window), meanMiB: +mib(mean).toFixed(1), spreadPercent: +(100 * spread).toFixed(1) },
      gatewayCpuPercent: Math.round((100 * last.cpu) / Math.max(1, last.t)),
      nodesCpuPercent: Math.round((100 * (last.nodesCpu - samples[0].nodesCpu)) / Math.max(1, last.t - samples[0].t)),
      gatewaysCpuPercent: Math.round((100 * (last.gatewaysCpu - samples[0].gatewaysCpu)) / Math.max(1, last.t - samples[0].t)),
      dbBytes: last.db, dbBytesPerReading: Math.round(last.db / Math.max(1, s.accepted)),
      label,
      command: process.argv.slice(2).join(' '),
      samples: samples.map(({ s: _, latencyMs: __, ...x }) => x),
    };
    if (s.readingsAnchored < published.published) report.notAnchored = published.published - s.readingsAnchored;
    if (group) {
      const members = await Promise.all(group.members().map(async (g) => (await fetch(`${g.httpUrl}/stats`)).json()));
      report.signMs = members.map((m) => m.batchMs.sign);
      report.submitMs = members.map((m) => m.batchMs.finality);
      report.groupProposalsSigned = members.map((m) => m.groupProposalsSigned);
    }
    return { report, readings };
  } finally {
    if (!group) await stopNode(gateway, { signal: 'SIGTERM', graceMs: 10000 });
  }
}

/**
 * A 3-of-4 gateway group made by a council motion, its four members' gateways started (member i
 * on node i's RPC) and ready: the key confirmed, the simulator's owner served.
 */
async function startGroup({ nodes, broker }) {
  // Only this mode needs @polkadot/api (the root package.json's; bench-gateway.sh installs it).
  const h = await import('./chain.mjs');
  const api = await h.connect(nodes[0].rpcUrl);
  try {
    const made = await h.makeGatewayGroup(api, await h.keyring(), ['alice', 'bob', 'charlie', 'dave'], 3);
    const dir = (i) => path.join(state, `group-gateway-${i}`);
    const launch = (i) => startGateway({
      bin: gatewayBin, state: dir(i), nodeUrl: nodes[i].rpcUrl, broker, httpPort: 18080 + offset + i,
      account: made.uris[i], clientId: `iotrust-bench-group-${i}`, extraArgs: ['--group', String(made.group), ...gatewayArgs],
    });
    let members = [0, 1, 2, 3].map(launch);
    const t0 = Date.now();
    await h.waitFor('the group\'s key', async () => (await api.call.groupsApi.group(made.group)).unwrap().key.isSome, { timeoutMs: 180000, intervalMs: 1000 });
    await h.waitFor('the group to serve the simulator\'s owner', async () => (await api.query.devices.servedOwners(made.account, SIM_OWNER.address)).isSome, { timeoutMs: 120000, intervalMs: 1000 });
    console.log(`group ${made.group} (${made.account}): key generated and confirmed, owner served, in ${Math.round((Date.now() - t0) / 1000)} s`);
    return {
      account: made.account,
      dir,
      members: () => members,
      async restart() {
        await Promise.all(members.map((g) => stopNode(g, { signal: 'SIGTERM', graceMs: 10000 })));
        members = [0, 1, 2, 3].map(launch);
        await Promise.all(members.map((_, i) => waitForPort(18080 + offset + i)));
      },
      stop: () => Promise.all(members.map((g) => stopNode(g, { signal: 'SIGTERM', graceMs: 10000 }))),
    };
  } finally {
    await api.disconnect();
  }
}

/** An SVG of a phase: readings/s ingested and anchored, the backlog, and RSS, over time. */
function plot(r) {
  const W = 760; const H = 170; const pad = { l: 60, r: 16, t: 22, b: 26 };
  const xs = r.samples.map((x) => x.t);
  const xmax = Math.max(...xs, 1);
  const rate = (key) => r.samples.map((x, i) => {
    const a = r.samples[Math.max(0, i - 5)];
    return { t: x.t, v: x.t > a.t ? (x[key] - a[key]) / (x.t - a.t) : 0 };
  });
  const panels = [
    { title: 'readings/s (5-s window)', series: [['ingested', '#1f77b4', rate('accepted')], ['anchored (finalized)', '#2ca02c', rate('anchored')]] },
    { title: 'readings waiting in the gateway', series: [['backlog', '#d62728', r.samples.map((x) => ({ t: x.t, v: x.backlog }))]] },
    { title: 'gateway RSS, MiB', series: [['RSS', '#9467bd', r.samples.map((x) => ({ t: x.t, v: mib(x.rss) }))]] },
  ];
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${panels.length * H + 40}" font-family="sans-serif" font-size="11">\n`;
  svg += `<rect width="100%" height="100%" fill="white"/>\n<text x="${pad.l}" y="16" font-size="13">gateway, ${r.phase}: ${r.devices} devices, ${r.rateRequested}/s offered for ${r.seconds} s, ${r.chain}${r.label ? ` — ${r.label}` : ''}</text>\n`;
  panels.forEach((p, k) => {
    const y0 = 24 + k * H;
    const ymax = Math.max(1, ...p.series.flatMap(([, , pts]) => pts.map((q) => q.v))) * 1.1;
    const X = (t) => pad.l + ((W - pad.l - pad.r) * t) / xmax;
    const Y = (v) => y0 + pad.t + (H - pad.t - pad.b) * (1 - v / ymax);
    svg += `<text x="${pad.l}" y="${y0 + 14}" font-weight="bold">${p.title}</text>\n`;
    svg += `<line x1="${pad.l}" y1="${Y(0)}" x2="${W - pad.r}" y2="${Y(0)}" stroke="#888"/><line x1="${pad.l}" y1="${Y(0)}" x2="${pad.l}" y2="${Y(ymax)}" stroke="#888"/>\n`;
    for (const f of [0, 0.5, 1]) {
      const v = (ymax / 1.1) * f;
      svg += `<text x="${pad.l - 4}" y="${Y(v) + 4}" text-anchor="end">${v >= 100 ? Math.round(v) : v.toFixed(1)}</text>\n`;
    }
    for (let t = 0; t <= xmax; t += xmax > 300 ? 60 : xmax > 60 ? 30 : 10) {
      svg += `<text x="${X(t)}" y="${Y(0) + 14}" text-anchor="middle">${t}s</text>\n`;
    }
    p.series.forEach(([name, color, pts], j) => {
      svg += `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.map((q) => `${X(q.t).toFixed(1)},${Y(q.v).toFixed(1)}`).join(' ')}"/>\n`;
      svg += `<text x="${W - pad.r - 150}" y="${y0 + 14 + 13 * j}" fill="${color}">${name}</text>\n`;
    });
  });
  return `${svg}</svg>\n`;
}

const row = (r) => {
  const l = r.latencyMs;
  const sec = (ms) => (ms == null ? '—' : `${(ms / 1000).toFixed(1)}`);
  return `| ${r.phase} | ${r.chain} | ${r.devices.toLocaleString('en')} | ${r.rateRequested.toLocaleString('en')}/s × ${r.seconds} s `
    + `| ${r.publishedPerSecond.toLocaleString('en')}/s | ${r.ingestedPerSecond.toLocaleString('en')}/s (peak ${r.ingestedPeakPerSecond.toLocaleString('en')}) `
    + `| ${r.anchoredPerSecond.toLocaleString('en')}/s (peak ${r.anchoredPeakPerSecond.toLocaleString('en')}) | ${sec(l.p50)} / ${sec(l.p95)} / ${sec(l.p99)} s `
    + `| ${r.rssMiB.max} (last ${r.rssTail.seconds} s: ${r.rssTail.meanMiB} ± ${r.rssTail.spreadPercent}%) | ${r.gatewayCpuPercent}% | ${r.dbBytesPerReading} |`;
};
const header = '| phase | chain | devices | offered | published | ingested | anchored | latency p50 / p95 / p99 | gateway RSS MiB, max (tail mean ± spread) | gateway CPU | DB bytes/reading |\n'
  + '|---|---|---|---|---|---|---|---|---|---|---|';

/** A group's signing rounds per coordinating member, for a phase. */
const groupRows = (r) => r.signMs.map((sign, i) => {
  const sec = (ms) => (ms == null ? '—' : `${(ms / 1000).toFixed(1)}`);
  const submit = r.submitMs[i];
  return `| ${r.phase} | ${i} | ${r.groupProposalsSigned[i]} | ${sec(sign.p50)} / ${sec(sign.p95)} s | ${sec(submit.p50)} / ${sec(submit.p95)} s |`;
}).join('\n');
const groupHeader = '| phase | member | proposals it signed | as coordinator: proposal → signature p50 / p95 | signature submitted → finalized p50 / p95 |\n'
  + '|---|---|---|---|---|';

const procs = [];
let nodes = [];
let group = null;
let failed = false;
try {
  fs.mkdirSync(out, { recursive: true });
  nodes = local
    ? await startLocalNetwork({ bin, state, offset, extraArgs: nodeArgs })
    : await startDevNode({ bin, state, offset, extraArgs: nodeArgs });
  const mqttPort = 11883 + offset;
  const broker = startMosquitto({ state: path.join(state, 'mqtt'), port: mqttPort });
  procs.push(broker);
  await waitForPort(mqttPort);
  // The devices are registered once, with a gateway running: it records on chain that it
  // serves the simulator's owner, which binding needs (a group's gateways did it already).
  if (grouped) {
    group = await startGroup({ nodes, broker });
    const t0 = Date.now();
    console.log(`registering ${devices} devices ...`);
    await runSimulator(gatewayBin, simulatorArgs({ nodeUrl: nodes[0].rpcUrl, broker, devices, gateway: group.account, extra: ['--register-only'] }));
    console.log(`registered and bound ${devices} devices to the group in ${Math.round((Date.now() - t0) / 1000)} s`);
  } else {
    const httpPort = 18080 + offset;
    const gateway = startGateway({ bin: gatewayBin, state: path.join(state, 'gateway-register'), nodeUrl: nodes[0].rpcUrl, broker, httpPort });
    await waitForPort(httpPort);
    const t0 = Date.now();
    console.log(`registering ${devices} devices ...`);
    await runSimulator(gatewayBin, simulatorArgs({ nodeUrl: nodes[0].rpcUrl, broker, devices, extra: ['--register-only'] }));
    console.log(`registered and bound ${devices} devices in ${Math.round((Date.now() - t0) / 1000)} s`);
    await stopNode(gateway, { signal: 'SIGTERM', graceMs: 10000 });
  }
  let startSeq = 0;
  const reports = [];
  for (const [index, phase] of phases.entries()) {
    const { report, readings } = await runPhase(phase, { nodes, broker, startSeq, index, group });
    startSeq += readings;
    reports.push(report);
    const { samples, ...summary } = report;
    console.log(JSON.stringify(summary, null, 2));
    fs.writeFileSync(path.join(out, `${phase.name}.json`), `${JSON.stringify(report, null, 1)}\n`);
    fs.writeFileSync(path.join(out, `${phase.name}.svg`), plot(report));
    if (report.notAnchored) failed = true;
  }
  let table = `${header}\n${reports.map(row).join('\n')}\n`;
  if (grouped) table += `\n${groupHeader}\n${reports.map(groupRows).join('\n')}\n`;
  fs.writeFileSync(path.join(out, 'summary.md'), `${label}\n\n${table}`);
  console.log(`\n${table}`);
  if (smoke) {
    for (const r of reports) {
      if (r.anchored !== r.published || r.batchesRefused > 0 || r.latencyMs.p95 == null) {
        console.error(`smoke ${r.phase}: published ${r.published}, anchored ${r.anchored}, refused batches ${r.batchesRefused}`);
        failed = true;
      }
    }
  }
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  if (failed) {
    // What the gateways said last, before their state goes.
    for (const d of fs.readdirSync(state).filter((n) => n.includes('gateway-'))) {
      const log = path.join(state, d, 'gateway.log');
      if (fs.existsSync(log)) console.error(`--- ${d}\n${fs.readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')}`);
    }
  }
  await group?.stop();
  for (const p of procs) await stopNode(p, { signal: 'SIGTERM', graceMs: 5000 });
  await Promise.all(nodes.map((n) => stopNode(n)));
  if (keep) console.log(`the nodes' and gateways' logs and databases are kept in ${state}`);
  else fs.rmSync(state, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
