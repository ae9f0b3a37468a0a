// The README's main command as a user types it: `scripts/run.sh` at its default ports, then
// `scripts/run.sh --dev --gateway`, each checked for what the README promises and stopped the
// way a user stops it. scripts/test.sh runs this file last, once the other suites have freed
// every port. Only the state directory differs from the README (a temporary one, so a
// developer's own `.state/` is left alone); the build is the one the suite already made, which
// run.sh finds up to date.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import { checkPortsFree, GENESIS_VALIDATORS, networkPorts, rpc } from '../../../scripts/lib/network.mjs';
import { REPO_ROOT, tempState, waitFor } from '../helpers.mjs';

const RUN_SH = path.join(REPO_ROOT, 'scripts/run.sh');
const GATEWAY_BIN = process.env.IOTRUST_GATEWAY_BIN
  ?? path.join(process.env.CARGO_TARGET_DIR ?? path.join(process.env.HOME, '.cache/iotrust/target'), 'debug/iotrust-gateway');
const MIN = 60000;

/** `promise`'s value, or 'still running' after `ms` (a timer that keeps nothing waiting). */
const within = (promise, ms) => Promise.race([promise, new Promise((r) => setTimeout(() => r('still running'), ms).unref())]);

/** Processes of process group `pgid` still alive (zombies count as gone). */
function groupMembers(pgid) {
  const alive = [];
  for (const pid of fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // `pid (comm) state ppid pgrp ...`; comm may hold spaces and parentheses.
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') alive.push(`${pid} ${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}`);
    } catch { /* gone meanwhile */ }
  }
  return alive;
}

/**
 * `scripts/run.sh args` in a process group of its own, as a shell runs a command in the
 * foreground: its output collected, `exited` settled with its exit code or signal.
 */
function runSh(args) {
  const proc = spawn('bash', [RUN_SH, ...args], { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const run = { proc, out: '', err: '' };
  proc.stdout.on('data', (d) => { run.out += d; });
  proc.stderr.on('data', (d) => { run.err += d; });
  run.exited = new Promise((resolve) => proc.once('exit', (code, signal) => resolve(code ?? signal)));
  /** Wait until the output shows `text` (or throw with what run.sh said if it exits first). */
  run.waitOutput = async (text, timeoutMs) => waitFor(`run.sh to print ${JSON.stringify(text)}`, async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`run.sh exited (${proc.exitCode ?? proc.signalCode}):\n${run.out}\n${run.err}`);
    }
    return run.out.includes(text);
  }, { timeoutMs, intervalMs: 500 });
  /** Stop it with SIGINT: to the whole group as Ctrl-C does, or to run.sh alone (`kill -INT`). */
  run.interrupt = async ({ group }) => {
    process.kill(group ? -proc.pid : proc.pid, 'SIGINT');
    const ended = await within(run.exited, 2 * MIN);
    const left = await waitFor('every process run.sh started to end', () => {
      const alive = groupMembers(proc.pid);
      return alive.length === 0 ? [] : null;
    }, { timeoutMs: 30000, intervalMs: 500 }).catch(() => groupMembers(proc.pid));
    if (left.length) process.kill(-proc.pid, 'SIGKILL');
    return { ended, left };
  };
  return run;
}

/** The node's answer to `method` over HTTP JSON-RPC on loopback `port`. */
const call = (port, method, params = []) => rpc(`http://127.0.0.1:${port}`, method, params, { timeoutMs: 10000 });

describe('the README\'s scripts/run.sh, at the default ports', { timeout: 20 * MIN }, () => {
  it('says which port is taken and by what, before starting anything', async () => {
    // Something else holds alice's RPC port.
    const squatter = net.createServer().listen(9944, '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    try {
      const run = runSh(['--dev', '--state', tempState('readme-taken')]);
      const code = await within(run.exited, 5 * MIN);
      assert.notEqual(code, 0, `run.sh fails (${code})`);
      assert.notEqual(code, 'still running', 'run.sh fails at once');
      assert.match(run.err, new RegExp(`port 9944 \\(alice's RPC\\) is taken by node \\(pid ${process.pid}\\)`), run.err);
      assert.match(run.err, /--port-offset/);
      assert.equal(groupMembers(run.proc.pid).length, 0, 'nothing left running');
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('scripts/run.sh: four validators, three peers each, blocks finalized, the polkadot.js link; Ctrl-C stops everything', async () => {
    const state = tempState('readme-run');
    const run = runSh(['--state', state]);
    try {
      await run.waitOutput('Ctrl-C stops everything.', 15 * MIN);
      GENESIS_VALIDATORS.forEach((name, i) => {
        assert.match(run.out, new RegExp(`  ${name} +rpc ws://127\\.0\\.0\\.1:${9944 + i}  prometheus http://127\\.0\\.0\\.1:${9615 + i}/metrics`));
      });
      assert.ok(run.out.includes('polkadot.js apps: https://polkadot.js.org/apps/?rpc=ws://127.0.0.1:9944'), run.out);
      const rpcPorts = GENESIS_VALIDATORS.map((_, i) => 9944 + i);
      for (const port of rpcPorts) assert.deepEqual(await call(port, 'system_nodeRoles'), ['Authority'], `the node on ${port} is a validator`);
      await waitFor('every node peered with the other three', async () => {
        const peers = await Promise.all(rpcPorts.map(async (port) => (await call(port, 'system_health')).peers));
        return peers.every((p) => p === 3);
      }, { timeoutMs: 2 * MIN, intervalMs: 1000 });
      const finalizedOn = async (port) => parseInt((await call(port, 'chain_getHeader', [await call(port, 'chain_getFinalizedHead')])).number, 16);
      await waitFor('block 2 finalized on every node', async () => (await Promise.all(rpcPorts.map(finalizedOn))).every((n) => n >= 2),
        { timeoutMs: 3 * MIN, intervalMs: 1000 });
    } finally {
      const { ended, left } = await run.interrupt({ group: true });
      assert.equal(ended, 0, `run.sh ends cleanly on Ctrl-C:\n${run.out}\n${run.err}`);
      assert.deepEqual(left, [], 'no process it started is left');
      assert.match(run.out, /all stopped; state kept in/);
    }
    await checkPortsFree(networkPorts(GENESIS_VALIDATORS));
  });

  it('scripts/run.sh --dev --gateway: a simulated device\'s reading anchored and proved; SIGINT to run.sh stops what it started', async () => {
    const state = tempState('readme-gateway');
    const run = runSh(['--dev', '--gateway', '--state', state]);
    try {
      await run.waitOutput('Ctrl-C stops everything.', 15 * MIN);
      assert.match(run.out, /gateway {2}http:\/\/127\.0\.0\.1:8080\/stats/);
      const stats = await waitFor('the gateway to anchor a reading', async () => {
        const body = await (await fetch('http://127.0.0.1:8080/stats')).json();
        return body.readingsAnchored > 0 && body;
      }, { timeoutMs: 3 * MIN, intervalMs: 1000 });
      assert.equal(stats.rejectedTotal, 0, 'no simulated reading rejected');
      // A device the simulator registered (its log's first lines), and a reading of it with its proof.
      const simLog = path.join(state, 'dev/iot/simulator.log');
      const device = fs.readFileSync(simLog, 'utf8').split('\n').filter((l) => l.startsWith('{"device"')).map((l) => JSON.parse(l).device)[0];
      assert.ok(device, 'the simulator registered its devices');
      const anchored = await waitFor(`an anchored reading of ${device}`, async () => {
        const { readings } = await (await fetch(`http://127.0.0.1:8080/readings/${device}`)).json();
        return readings.find((r) => r.status === 'anchored' && r.proof);
      }, { timeoutMs: MIN, intervalMs: 1000 });
      // The proof holds against the chain, as `iotrust-gateway verify` checks it.
      const verdict = JSON.parse(execFileSync(GATEWAY_BIN, ['verify', '--node', 'ws://127.0.0.1:9944', '-'], {
        input: JSON.stringify({ reading: anchored.reading, anchor: anchored.anchor, proof: anchored.proof }), encoding: 'utf8',
      }));
      assert.equal(verdict.verdict, 'Anchored');
    } finally {
      const { ended, left } = await run.interrupt({ group: false });
      assert.equal(ended, 0, `run.sh ends cleanly on SIGINT:\n${run.out}\n${run.err}`);
      assert.deepEqual(left, [], 'no process it started is left');
    }
    await checkPortsFree([...networkPorts(['alice']), { port: 1883, what: 'MQTT' }, { port: 8080, what: 'HTTP' }]);
  });
});
