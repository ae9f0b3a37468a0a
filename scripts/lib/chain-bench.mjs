// Start a topology (one --dev node, or the 4-validator local network on loopback), run the load
// harness against it, stop it. Called by scripts/bench-chain.sh.
//
//   node scripts/lib/chain-bench.mjs --bin NODE --harness BENCH --topology dev|local
//        --workloads W[,W...] --out DIR [--state DIR] [--port-offset N] [--label TEXT]
//        [--node-arg ARG]... [--keep-state] -- HARNESS ARGS
//
// Each workload runs in turn on the same chain; its table, JSON and plot go to
// DIR/<topology>-<workload>.{md,json,svg}.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startDevNode, startLocalNetwork, stopNode, rpc } from './network.mjs';

const argv = process.argv.slice(2);
const split = argv.indexOf('--');
const own = split >= 0 ? argv.slice(0, split) : argv;
const harnessArgs = split >= 0 ? argv.slice(split + 1) : [];
const opt = (flag, dflt) => {
  const i = own.indexOf(flag);
  return i >= 0 ? own[i + 1] : dflt;
};
const many = (flag) => own.flatMap((a, i) => (a === flag ? [own[i + 1]] : []));

const bin = opt('--bin');
const harness = opt('--harness');
const topology = opt('--topology', 'dev');
const out = path.resolve(opt('--out', '.'));
const offset = Number(opt('--port-offset', '0'));
const label = opt('--label', '');
const state = fs.mkdtempSync(path.join(opt('--state', os.tmpdir()), `iotrust-bench-${topology}-`));
fs.mkdirSync(out, { recursive: true });

/** Wait until the first node's chain has advanced `blocks` blocks past where it is (and, on the
 * local network, finalized one of them). */
async function waitForBlocks(node, blocks, timeoutMs = 120000) {
  const height = async (method) => {
    const hash = method === 'final' ? await rpc(node.httpUrl, 'chain_getFinalizedHead') : undefined;
    const header = await rpc(node.httpUrl, 'chain_getHeader', hash ? [hash] : []);
    return parseInt(header.number, 16);
  };
  const deadline = Date.now() + timeoutMs;
  const start = await height('best');
  while (Date.now() < deadline) {
    if ((await height('best')) >= start + blocks && (await height('final')) > start) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the chain did not advance ${blocks} blocks and finalize within ${timeoutMs / 1000} s`);
}

const nodeArgs = many('--node-arg');
let nodes = [];
let code = 1;
try {
  nodes = topology === 'local'
    ? await startLocalNetwork({ bin, state, offset, extraArgs: nodeArgs })
    : await startDevNode({ bin, state, offset, extraArgs: nodeArgs });
  await waitForBlocks(nodes[0], 3);
  for (const workload of opt('--workloads', 'transfer').split(',')) {
    const name = `${topology}-${workload}`;
    const args = [
      ...nodes.flatMap((n) => ['--url', n.rpcUrl]),
      ...nodes.flatMap((n) => ['--pid', `${n.name}=${n.proc.pid}`]),
      '--workload', workload,
      '--json', path.join(out, `${name}.json`),
      '--svg', path.join(out, `${name}.svg`),
      '--label', `${label} — ${topology === 'local' ? '4-validator local network' : '--dev node'}`,
      ...harnessArgs,
    ];
    const child = spawn(harness, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let table = '';
    child.stdout.on('data', (d) => {
      table += d;
      process.stdout.write(d);
    });
    code = await new Promise((resolve) => child.once('exit', (c) => resolve(c ?? 1)));
    if (code !== 0) break;
    fs.writeFileSync(path.join(out, `${name}.md`), table);
  }
} catch (e) {
  console.error(e.message);
} finally {
  await Promise.all(nodes.map((n) => stopNode(n)));
  if (own.includes('--keep-state')) console.error(`nodes' state and logs kept in ${state}`);
  else fs.rmSync(state, { recursive: true, force: true });
}
process.exit(code);
