// Helpers for the end-to-end tests: where the binaries are, temporary state, a local network
// per suite, and a failing test's logs. Talking to the chain (connecting, signing, council
// motions, bounded waiting) is scripts/lib/chain.mjs, re-exported here.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { startLocalNetwork, stopNode } from '../../scripts/lib/network.mjs';
import { connect, keyring } from '../../scripts/lib/chain.mjs';

export * from '../../scripts/lib/chain.mjs';

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
export const NODE_BIN = process.env.IOTRUST_NODE_BIN
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(os.homedir(), '.cache/iotrust/target'), 'debug/iotrust-node');
// Ports well away from scripts/run.sh's, so the tests can run beside a user's network.
export const PORT_OFFSET = Number(process.env.IOTRUST_TEST_PORT_OFFSET ?? 200);

/** A fresh temporary directory for a test's state. */
export function tempState(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `iotrust-${prefix}-`));
}

/** The last lines of a node's log, for a failing test's report. */
export function logTail(logPath, lines = 40) {
  try {
    return fs.readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * Give the enclosing suite a 4-validator local network of its own (ports shifted by `offset`),
 * started before its tests and stopped after them. Returns a context whose `nodes`, `api` (to
 * alice), `keys` and `genesis` are set once the network is up; processes pushed onto `extra`
 * (a broker, a gateway) are stopped first. Logs are printed when a test failed or
 * `IOTRUST_E2E_LOGS` is set.
 */
export function useLocalNetwork(prefix, offset) {
  const ctx = { state: tempState(prefix), nodes: [], extra: [], api: null, keys: null, genesis: null };
  before(async () => {
    ctx.keys = await keyring();
    ctx.nodes = await startLocalNetwork({ bin: NODE_BIN, state: ctx.state, offset });
    ctx.api = await connect(ctx.nodes[0].rpcUrl);
    ctx.genesis = (await ctx.api.rpc.chain.getBlockHash(0)).toHex();
  });
  after(async () => {
    await ctx.api?.disconnect();
    for (const p of ctx.extra) await stopNode(p, { signal: 'SIGTERM', graceMs: 5000 });
    await Promise.all(ctx.nodes.map((n) => stopNode(n)));
    if (process.exitCode || process.env.IOTRUST_E2E_LOGS) {
      for (const p of [...ctx.extra, ...ctx.nodes]) console.log(`--- ${p.name} (${p.logPath})\n${logTail(p.logPath)}`);
    }
  });
  return ctx;
}
