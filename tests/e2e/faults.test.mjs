// Faults on the 4-validator network, end to end with the real iotrust-node binary: a validator
// SIGKILLed while blocks carry megabytes, 2 | 2 and 3 | 1 network partitions, a validator's clock
// skewed by a slot either way, a validator whose disk fills, and the RPC surface the docker
// compose nodes expose. Every node runs in a network namespace of its own (tests/e2e/netns.mjs),
// so partitions truly cut links; the nodes run with the compose file's RPC flags.
//
// A finality tracker watches the whole run on two nodes that are never stopped: a finalized block
// number may never be reported with two hashes, and at the end every node agrees with it.
// Needs root (network namespaces, a tmpfs mount), socat and faketime (scripts/test.sh installs
// them).

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { compactAddLength, u8aToHex } from '@polkadot/util';
import { WebSocket } from '@polkadot/x-ws';
import {
  bootnode, GENESIS_VALIDATORS, LOCAL_NODES, ports, startNode, stopNode, waitForRpc,
} from '../../scripts/lib/network.mjs';
import {
  authorOf, bestNumber, connect, finalizedNumber, keyring, logTail, NODE_BIN, REPO_ROOT, sleep, tempState, waitFor,
} from './helpers.mjs';
import { makeNetns, netnsAvailable } from './netns.mjs';

const MIN = 60000;
const t0 = Date.now();
/** A progress line, so a slow or stuck step shows where it is. */
const step = (what) => console.log(`  [${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${what}`);
const OFFSET = Number(process.env.IOTRUST_TEST_PORT_OFFSET ?? 200) + 400;
// Dave's disk: room for 15 minutes of full blocks (about 1.8 MiB/s here) before the disk-full
// case fills the rest on purpose.
const DISK_MIB = 2048;

/** The RPC flags of docker/docker-compose.yml's nodes (the same for every one of them). */
function composeRpcFlags() {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'docker/docker-compose.yml'), 'utf8');
  const flags = [...new Set(text.split('\n').map((l) => l.trim())
    .filter((l) => /^- --(unsafe-)?rpc/.test(l)).map((l) => l.slice(2)))];
  return flags;
}

/** Where Debian's libfaketime is, for a node whose clock a test skews. */
function libfaketime() {
  const files = execFileSync('dpkg', ['-L', 'libfaketime'], { encoding: 'utf8' }).split('\n');
  const lib = files.find((f) => f.endsWith('/libfaketime.so.1'));
  if (!lib) throw new Error('libfaketime.so.1 not found (apt-get install faketime)');
  return lib;
}

/**
 * Keep the transaction pools of `apis`' nodes stocked with `bytes`-long remarks from `signers`
 * (up to `depth` each waiting), so that each block takes all the nodes took in, up to its
 * length limit. Each signer keeps its own nonce and submits without waiting for inclusion
 * (immortal, so signing needs no header); the one remark's bytes serve every transaction (the
 * nonce tells them apart).
 */
function startLoad(apis, signers, { bytes = 256 * 1024, depth = 8 } = {}) {
  let running = true;
  const stats = { sent: 0, refused: 0, txBytes: 0 };
  // SCALE-encoded (length-prefixed) bytes, which @polkadot/api takes as they are: 15 times
  // cheaper to build a transaction from than hex.
  const remark = compactAddLength(new Uint8Array(crypto.randomBytes(bytes)));
  const loops = signers.map(async (signer, i) => {
    const api = apis[i % apis.length];
    let next = null;
    while (running) {
      try {
        const onChain = (await api.query.system.account(signer.address)).nonce.toNumber();
        if (next === null || next < onChain) next = (await api.rpc.system.accountNextIndex(signer.address)).toNumber();
        if (next - onChain >= depth) {
          await sleep(300);
          continue;
        }
        while (running && next - onChain < depth) {
          const tx = await api.tx.system.remark(remark).signAsync(signer, { nonce: next, era: 0 });
          stats.txBytes = tx.encodedLength;
          await api.rpc.author.submitExtrinsic(tx);
          next += 1;
          stats.sent += 1;
        }
      } catch {
        stats.refused += 1;
        next = null;
        await sleep(500);
      }
    }
  });
  return { stats, stop: async () => { running = false; await Promise.all(loops); } };
}

// scripts/test.sh runs every case in a short mode: a partition or a skewed clock lasts until
// its effects are seen. IOTRUST_FAULT_TESTS=full also keeps each as long as the table in
// docs/operator.md ("Failure behaviour") says (a 2 | 2 partition of 60 s, a 3 | 1 partition
// and each skew 30 s); IOTRUST_FAULT_TESTS=0 skips them.
const MODE = process.env.IOTRUST_FAULT_TESTS ?? 'short';
const FULL = MODE === 'full';
const skipReason = (MODE === '0' && 'IOTRUST_FAULT_TESTS=0')
  || (!netnsAvailable() && 'network namespaces need root (or CAP_SYS_ADMIN and CAP_NET_ADMIN)');

describe('faults on the 4-validator network', { timeout: 30 * MIN, skip: skipReason }, () => {
  let state;
  const rpcFlags = composeRpcFlags();
  let net;
  let keys;
  const nodes = {};
  const apis = {};
  const extraApis = [];
  const finalized = new Map(); // number -> hash, as alice's and bob's nodes announced them
  const conflicts = [];
  const unsubs = [];
  let diskDir;
  let diskMounted = false;

  // Dave stops once its disk has less than 128 MiB free (the default is 1024 MiB; its base path
  // is a small filesystem of its own), checking every second.
  const nodeArgs = { dave: ['--db-storage-threshold', '128', '--db-storage-polling-period', '1'] };
  const start = (name, { prefix = [] } = {}) => {
    const node = startNode({
      bin: NODE_BIN, state, name, offset: OFFSET, listenIp: net.addr[name],
      prefix: [...net.exec(name), ...prefix],
      bootnodes: GENESIS_VALIDATORS.filter((n) => n !== name).map((n) => bootnode(n, OFFSET, net.addr[n])),
      extraArgs: [...rpcFlags.filter((f) => !f.startsWith('--rpc-cors')), ...(nodeArgs[name] ?? [])],
    });
    // Started under a fault (a skewed clock): the next case restarts it plainly.
    nodes[name] = { ...node, faulty: prefix.length > 0 };
    return nodes[name];
  };
  const exited = (name) => nodes[name].proc.exitCode !== null || nodes[name].proc.signalCode !== null;
  /** Stop `name` (SIGINT, or SIGKILL with `kill`), its API first so it does not retry meanwhile. */
  const down = async (name, { kill = false } = {}) => {
    await apis[name]?.disconnect().catch(() => {});
    delete apis[name];
    await stopNode(nodes[name], { signal: kill ? 'SIGKILL' : 'SIGINT' });
  };
  /** Start `name` again on its database and connect to it. */
  const up = async (name, opts) => {
    start(name, opts);
    await waitForRpc(nodes[name]);
    apis[name] = await connect(nodes[name].rpcUrl);
  };
  const best = (name) => bestNumber(apis[name]);
  const fin = (name) => finalizedNumber(apis[name]);
  const hashAt = async (name, n) => (await apis[name].rpc.chain.getBlockHash(n)).toHex();

  const aura = (name) => u8aToHex(keys[name].publicKey);
  /** The Aura keys that authored blocks `from`..`to` of `name`'s best chain. */
  const authorsOf = async (name, from, to) => {
    const authors = new Set();
    for (let n = from; n <= to; n += 1) authors.add(await authorOf(apis[name], n));
    return authors;
  };
  const peersOf = async (name) => (await apis[name].rpc.system.health()).peers.toNumber();

  /**
   * Bring the network back to health before each case, so that no case depends on what an
   * earlier one left behind: the links joined again, every node that is down or runs under a
   * fault (a skewed clock) started plainly on its database; then every validator peered with
   * the other three (those still short of peers after a minute restarted), and a stretch of chain finalized on every node in which each of the four
   * authored a block (every node's blocks reach the others, and every node follows them).
   */
  async function healthy() {
    net.heal();
    for (const name of GENESIS_VALIDATORS) {
      if (exited(name) || nodes[name].faulty) {
        step(`${name} ${exited(name) ? 'is down' : 'runs under a fault'}: restarting it`);
        await down(name);
        await up(name);
      }
    }
    const peered = async () => (await Promise.all(GENESIS_VALIDATORS.map(peersOf))).every((p) => p === 3);
    try {
      await waitFor('every validator peered with the other three', peered, { timeoutMs: MIN, intervalMs: 1000 });
    } catch {
      // Seen once (a cold CI run, AMD EPYC): after charlie ran a slot slow and was restarted
      // with a true clock, alice and dave peered with it again at once but bob did not for six
      // minutes. Restarting the validators short of peers, one at a time (finality goes on),
      // joins the links again; the case then starts from a healthy network as the others do.
      const short = [];
      for (const name of GENESIS_VALIDATORS) if ((await peersOf(name)) < 3) short.push(name);
      step(`${short.join(' and ')} short of peers after a minute: restarting ${short.length > 1 ? 'them' : 'it'}`);
      for (const name of short) {
        await down(name);
        await up(name);
      }
      await waitFor('every validator peered with the other three', peered, { timeoutMs: 3 * MIN, intervalMs: 1000 });
    }
    let checked = await best('alice');
    const seen = new Set();
    await waitFor('a block of each validator finalized on every node', async () => {
      const upTo = Math.min(...(await Promise.all(GENESIS_VALIDATORS.map(fin))));
      for (const a of await authorsOf('alice', checked + 1, upTo)) seen.add(a);
      checked = Math.max(checked, upTo);
      return GENESIS_VALIDATORS.every((n) => seen.has(aura(n)));
    }, { timeoutMs: 3 * MIN, intervalMs: 2000 });
    step('network healthy: four peered validators, each authoring, every node finalizing');
  }

  /** Every node's finalized chain agrees with the tracker and with alice's, up to its head. */
  async function assertOneFinalizedChain(from) {
    assert.deepEqual(conflicts, [], 'no finalized block number was announced with two hashes');
    const heads = await Promise.all(GENESIS_VALIDATORS.map((n) => fin(n)));
    const upTo = Math.min(...heads);
    for (let n = Math.max(1, from); n <= upTo; n += 1) {
      const hashes = await Promise.all(GENESIS_VALIDATORS.map((name) => hashAt(name, n)));
      assert.equal(new Set(hashes).size, 1, `every node has the same finalized block ${n}`);
      if (finalized.has(n)) assert.equal(hashes[0], finalized.get(n), `block ${n} is the one announced finalized`);
    }
  }

  before(async () => {
    keys = await keyring();
    state = tempState('faults');
    diskDir = path.join(state, 'dave');
    net = makeNetns({ prefix: 'iotf', names: GENESIS_VALIDATORS });
    // Dave's base path is a small filesystem of its own, for the disk-full case.
    fs.mkdirSync(diskDir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${DISK_MIB}m`, 'iotrust-test-disk', diskDir]);
    diskMounted = true;
    for (const name of GENESIS_VALIDATORS) {
      // The node's RPC, on its namespace's loopback, reached from the host's at the same port.
      net.forward(name, ports(LOCAL_NODES[name].index, OFFSET).rpc);
      start(name);
    }
    step('nodes started');
    await Promise.all(Object.values(nodes).map((n) => waitForRpc(n)));
    step('nodes answer RPC');
    for (const name of GENESIS_VALIDATORS) apis[name] = await connect(nodes[name].rpcUrl);
    for (const name of ['alice', 'bob']) {
      unsubs.push(await apis[name].rpc.chain.subscribeFinalizedHeads((h) => {
        const [n, hash] = [h.number.toNumber(), h.hash.toHex()];
        if (finalized.has(n) && finalized.get(n) !== hash) conflicts.push(`${name}: block ${n} ${hash} after ${finalized.get(n)}`);
        finalized.set(n, hash);
      }));
    }
    step('network up');
    await waitFor('block 3 finalized', async () => (await fin('alice')) >= 3, { timeoutMs: 3 * MIN });
    step('block 3 finalized');
  });

  beforeEach(healthy);

  after(async () => {
    for (const u of unsubs) u();
    await Promise.all([...Object.values(apis), ...extraApis].map((a) => a.disconnect().catch(() => {})));
    await Promise.all(Object.values(nodes).map((n) => stopNode(n)));
    if (process.exitCode || process.env.IOTRUST_E2E_LOGS) {
      for (const n of Object.values(nodes)) console.log(`--- ${n.name} (${n.logPath})\n${logTail(n.logPath)}`);
    }
    net?.destroy();
    if (diskMounted) execFileSync('umount', ['-l', diskDir]);
  });

  it('a validator SIGKILLed while blocks carry megabytes reopens its database, catches up and authors again', async () => {
    const api = apis.alice;
    const limit = api.consts.system.blockLength.max.normal.toNumber();
    // How full a block is, read from its events (a few hundred bytes) rather than its body
    // (megabytes of hex through the namespace's forwarder, on a machine the load keeps busy: a
    // CI run's checks took so long that the wait outran its 5-minute limit by 2 minutes, and
    // the full blocks it waited through filled dave's then 768-MiB disk). Nothing but the load
    // submits during this case, so each signed extrinsic that succeeded is one of its remarks.
    // (`getHeader(undefined)` is not the best block's header: @polkadot/api sends a zero hash.)
    const fillOf = async (hash) => {
      const header = await (hash ? api.rpc.chain.getHeader(hash) : api.rpc.chain.getHeader());
      // The storage item read at the block (`api.at` would fetch the header again).
      const events = await api.query.system.events.at(header.hash);
      const remarks = events.filter(({ phase, event }) => phase.isApplyExtrinsic
        && phase.asApplyExtrinsic.toNumber() > 0 && api.events.system.ExtrinsicSuccess.is(event)).length;
      return { fill: Math.round((100 * remarks * load.stats.txBytes) / limit), parent: header.parentHash };
    };
    const load = startLoad([apis.alice, apis.bob, apis.dave], [keys.alice, keys.bob, keys.eve, keys.ferdie, keys.charlie, keys.dave]);
    try {
      // Loaded: three of the last four blocks at least a third of the normal class's length
      // limit (1.25 MiB; 14 of these remarks fill it to 93%). How much more a block carries
      // depends on the machine: four debug nodes on two cores take 256-KiB transactions in at
      // 3-7 a second, so blocks run 35-93% full, each taking all its author's pool holds (a CI
      // run on AMD EPYC waited 5 minutes for two thirds in vain). A block now and then takes
      // less (an author whose pool a reorganization emptied), so: three of the last four.
      let fills = [];
      await waitFor('three of the last four blocks a third full or more', async () => {
        if (!load.stats.txBytes) return false;
        let hash;
        fills = [];
        for (let i = 0; i < 4; i += 1) {
          const { fill, parent } = await fillOf(hash);
          fills.push(fill);
          hash = parent;
        }
        return fills.filter((f) => f >= 100 / 3).length >= 3;
      }, { timeoutMs: 5 * MIN, intervalMs: 2000 }).catch((e) => {
        throw new Error(`${e.message} (the last four ${fills.join('%, ')}%; load: ${JSON.stringify(load.stats)})`);
      });

      step(`blocks loaded (the last four ${fills.join('%, ')}% of the length limit; ${load.stats.sent} remarks sent); SIGKILL charlie`);
      await down('charlie', { kill: true });
      const fin0 = await fin('alice');
      await waitFor('the other three to keep finalizing loaded blocks', async () => (await fin('alice')) >= fin0 + 3,
        { timeoutMs: MIN, intervalMs: 1000 });

      await up('charlie');
      step('charlie restarted');
      const restartedAt = await best('alice');
      const target = await fin('alice');
      await waitFor(`charlie back at finalized block ${target}`, async () => (await best('charlie')) >= target,
        { timeoutMs: 3 * MIN, intervalMs: 2000 });
      const charlieAura = aura('charlie');
      await waitFor('a block authored by the restarted charlie', async () => {
        const to = await best('alice');
        for (let n = restartedAt + 1; n <= to; n += 1) {
          if ((await authorOf(api, n)) === charlieAura) return true;
        }
        return false;
      }, { timeoutMs: 2 * MIN, intervalMs: 3000 });
      assert.ok(load.stats.sent > 50, `the load kept the pool stocked (${load.stats.sent} remarks sent)`);
    } finally {
      await load.stop();
    }
    assert.doesNotMatch(fs.readFileSync(nodes.charlie.logPath, 'utf8'), /panicked|corrupt/i);
    await assertOneFinalizedChain(1);
  });

  /**
   * Wait until `check` holds, and in the full mode until the fault has lasted `fullMs` too. A
   * fault's effects are awaited, not timed: how soon they show depends on the machine (a node
   * keeps a peer cut off by a partition until a request to it times out, 20 s), not on the chain.
   */
  const watch = async (what, fullMs, check) => {
    const began = Date.now();
    await waitFor(what, check, { timeoutMs: 3 * MIN, intervalMs: 1000 });
    if (FULL) await sleep(Math.max(0, fullMs - (Date.now() - began)));
  };

  it(`a 2 | 2 partition${FULL ? ' for 60 s' : ''}: each side builds on both its validators' blocks, finality stops; healed, one chain is finalized everywhere`, async () => {
    const from = await fin('alice');
    const sides = [['alice', 'bob'], ['charlie', 'dave']];
    net.partition(...sides);
    const atCut = Object.fromEntries(await Promise.all(GENESIS_VALIDATORS.map(async (n) => [n, await best(n)])));
    // GRANDPA needs three votes of four: no block built after the cut can be finalized.
    const lastBeforeCut = Math.max(...Object.values(atCut));
    // Each side has half the slots, a block every 4 s; each node's chain grows past the cut with
    // blocks of both validators of its side (each side's blocks flow both ways within it).
    const grown = FULL ? 5 : 2;
    const seen = {};
    const building = async (name) => {
      const top = await best(name);
      const side = sides.find((s) => s.includes(name));
      const authors = await authorsOf(name, atCut[name] + 1, top);
      const missing = side.filter((v) => !authors.has(aura(v)));
      seen[name] = `${name} at ${top} (cut at ${atCut[name]})${missing.length ? `, no block of ${missing.join(' or ')} since` : ''}`;
      return top >= atCut[name] + grown && missing.length === 0;
    };
    await watch('every node\'s chain growing with blocks of both validators of its side', 60000,
      async () => (await Promise.all(GENESIS_VALIDATORS.map(building))).every(Boolean))
      .catch((e) => { throw new Error(`${e.message}: ${Object.values(seen).join('; ')}`); });
    const [bests, peers] = await Promise.all([Promise.all(GENESIS_VALIDATORS.map(best)), Promise.all(GENESIS_VALIDATORS.map(peersOf))]);
    step(`both sides building: best blocks ${GENESIS_VALIDATORS.map((n, i) => `${n} ${atCut[n]}→${bests[i]}`).join(', ')}; peers reported ${peers.join('/')}`);
    for (const name of GENESIS_VALIDATORS) {
      assert.ok((await fin(name)) <= lastBeforeCut, `${name} finalizes nothing built after the cut`);
    }

    net.heal();
    const healedAt = Math.max(...(await Promise.all(GENESIS_VALIDATORS.map(best))));
    await waitFor(`every node finalizing past block ${healedAt}`, async () => {
      const heads = await Promise.all(GENESIS_VALIDATORS.map((n) => fin(n)));
      return heads.every((h) => h > healedAt);
    }, { timeoutMs: 4 * MIN, intervalMs: 2000 });
    await assertOneFinalizedChain(from);
  });

  it('a 3 | 1 partition: the majority keeps finalizing; the one left out rejoins its chain', async () => {
    const from = await fin('alice');
    net.partition(['alice', 'bob', 'charlie'], ['dave']);
    const lastBeforeCut = Math.max(...(await Promise.all(GENESIS_VALIDATORS.map(best))));
    const daveAtCut = await best('dave');
    await watch('the three finalizing blocks built after the cut, and dave authoring alone', 30000,
      async () => (await fin('alice')) >= lastBeforeCut + 3 && (await best('dave')) > daveAtCut);
    assert.ok((await fin('dave')) <= lastBeforeCut, 'dave alone finalizes nothing built after the cut');

    net.heal();
    const target = await fin('alice');
    await waitFor(`dave finalizing block ${target}`, async () => (await fin('dave')) >= target, { timeoutMs: 3 * MIN, intervalMs: 2000 });
    await assertOneFinalizedChain(from);
  });

  for (const skew of ['+2s', '-2s']) {
    it(`a validator whose clock is ${skew} (one slot) off keeps up, and the chain keeps finalizing`, async () => {
      await down('charlie');
      await up('charlie', { prefix: ['env', `LD_PRELOAD=${libfaketime()}`, `FAKETIME=${skew}`] });
      await waitFor('charlie caught up', async () => (await best('charlie')) >= (await fin('alice')), { timeoutMs: 2 * MIN, intervalMs: 2000 });
      const from = await best('alice');
      const fin0 = await fin('alice');
      await watch('the chain, and the skewed validator with it, finalizing 5 blocks further', 30000,
        async () => (await fin('alice')) >= fin0 + 5 && (await fin('charlie')) >= fin0 + 5);
      const fin1 = await fin('alice');
      assert.ok(Math.abs((await best('charlie')) - (await best('alice'))) <= 3, 'the skewed validator stays at the head');
      const charlieAura = aura('charlie');
      let authored = 0;
      for (let n = from + 1; n <= fin1; n += 1) if ((await authorOf(apis.alice, n)) === charlieAura) authored += 1;
      console.log(`  clock ${skew}: charlie authored ${authored} of the ${fin1 - from} blocks finalized meanwhile`);
    });
  }

  it('a validator whose disk fills stops with a clear error and recovers once space is freed', async () => {
    const load = startLoad([apis.alice, apis.bob], [keys.alice, keys.bob, keys.eve, keys.ferdie]);
    const filler = path.join(diskDir, 'filler');
    const logText = () => fs.readFileSync(nodes.dave.logPath, 'utf8');
    // Grow the filler until `mib` MiB of the disk are left free.
    const leave = (mib) => {
      const { bavail, bsize } = fs.statfsSync(diskDir);
      const extra = bavail * bsize - mib * 1024 * 1024;
      const size = fs.existsSync(filler) ? fs.statSync(filler).size : 0;
      if (extra > 0) execFileSync('fallocate', ['-l', String(size + extra), filler]);
    };
    try {
      // Leave 160 MiB: the full blocks fill the rest past the 128 MiB threshold in seconds.
      leave(160);
      step('disk nearly full');
      const logged = logText().length;
      await apis.dave.disconnect();
      delete apis.dave;
      await waitFor('dave to stop', async () => exited('dave'), { timeoutMs: 3 * MIN, intervalMs: 1000 });
      const said = logText().slice(logged).split('\n').filter((l) => /space|threshold/i.test(l));
      step(`dave exited (${nodes.dave.proc.exitCode ?? nodes.dave.proc.signalCode}): ${said.join(' | ')}`);
      assert.notEqual(nodes.dave.proc.exitCode, 0, 'with a failure status');
      assert.ok(said.some((l) => /dropped below threshold/.test(l)), 'saying why');
      const fin0 = await fin('alice');
      await waitFor('the other three to keep finalizing', async () => (await fin('alice')) >= fin0 + 2,
        { timeoutMs: MIN, intervalMs: 1000 });
      // Restarted on a disk still full, it refuses at once, saying why. The node stopped just
      // under the threshold (127 of 128 MiB free in one CI run) and what it frees on its way out
      // can lift it back over, so the filler first takes the free space down to 64 MiB.
      leave(64);
      start('dave');
      await waitFor('dave to refuse', async () => exited('dave'), { timeoutMs: MIN, intervalMs: 500 });
      assert.match(logText(), /below threshold|StorageOutOfSpace|out of space/i);
    } finally {
      await load.stop();
      fs.rmSync(filler, { force: true });
    }
    step('space freed');
    await up('dave');
    const target = await fin('alice');
    await waitFor(`dave finalizing block ${target} again`, async () => (await fin('dave')) >= target, { timeoutMs: 4 * MIN, intervalMs: 2000 });
    await assertOneFinalizedChain(1);
  });

  it('the RPC surface the compose nodes expose: safe methods only, bad and excessive requests refused, node unharmed', async () => {
    assert.ok(rpcFlags.includes('--rpc-methods=safe'), 'the compose file keeps the unsafe methods off');
    const compose = fs.readFileSync(path.join(REPO_ROOT, 'docker/docker-compose.yml'), 'utf8');
    for (const port of compose.matchAll(/^\s+- "([^"]+)"$/gm)) assert.match(port[1], /^127\.0\.0\.1:/, 'ports are published on loopback only');
    const url = nodes.alice.httpUrl;
    // An answer, or `closed` when the server hangs up instead (as it does on an oversized body).
    const call = async (method, params = [], init = {}) => {
      try {
        const res = await fetch(url, {
          method: 'POST', headers: { 'content-type': 'application/json' },
          body: init.body ?? JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
        });
        return { status: res.status, body: await res.text() };
      } catch (e) {
        return { status: 'closed', body: String(e.cause?.message ?? e.message) };
      }
    };
    const peers = async () => JSON.parse((await call('system_health')).body).result.peers;
    // Key management, peer control and the pool's removal are refused (the params are valid, so
    // the refusal is the policy's; a peer address on loopback, in case it were not).
    const unsafe = {
      author_rotateKeys: [],
      author_insertKey: ['aura', '//Alice', u8aToHex(keys.alice.publicKey)],
      author_hasKey: [u8aToHex(keys.alice.publicKey), 'aura'],
      author_hasSessionKeys: ['0x00'],
      author_removeExtrinsic: [[]],
      system_addReservedPeer: [`/ip4/127.0.0.1/tcp/1/p2p/${LOCAL_NODES.ferdie.peerId}`],
    };
    for (const [method, params] of Object.entries(unsafe)) {
      const { body } = await call(method, params);
      assert.match(body, /"error".*unsafe/i, `${method} is refused as unsafe: ${body}`);
    }
    assert.match((await call('iotrust_nothing')).body, /-32601/, 'an unknown method is not found');
    // Malformed JSON and an oversized request (the limit is 15 MiB).
    assert.match((await call(null, [], { body: '{"jsonrpc":"2.0","id":1,"method":' })).body, /-32700|parse/i);
    const big = await call(null, [], { body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_health', params: ['x'.repeat(16 * 1024 * 1024)] }) });
    assert.ok(big.status === 413 || big.status === 'closed' || /-32007|too big|exceed/i.test(big.body),
      `an oversized request is refused (${big.status} ${big.body.slice(0, 120)})`);
    // A flood of subscriptions on one connection: past the per-connection limit (1024) they are
    // refused one by one; the connection and the node carry on.
    const ws = new WebSocket(nodes.alice.rpcUrl);
    await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = reject; });
    const answers = new Map();
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.id !== undefined) answers.set(msg.id, msg);
    };
    const FLOOD = 1200;
    for (let id = 1; id <= FLOOD; id += 1) ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'chain_subscribeNewHeads', params: [] }));
    await waitFor('every subscription answered', async () => answers.size === FLOOD, { timeoutMs: MIN, intervalMs: 500 });
    const refused = [...answers.values()].filter((a) => a.error).length;
    assert.ok(refused >= FLOOD - 1024 && refused < FLOOD, `${refused} of ${FLOOD} subscriptions refused`);
    ws.close();
    // More connections than the node serves (100): the server answers the rest with 429 (or they
    // wait in its accept queue while it is busy). Once they all leave, a new connection is served
    // at once: none of the flood's slots is held after it.
    const sockets = Array.from({ length: 130 }, () => new WebSocket(nodes.alice.rpcUrl));
    const settled = sockets.map((s) => new Promise((resolve) => {
      s.onopen = () => resolve('open');
      s.onerror = () => resolve('refused');
      s.onclose = () => resolve('refused');
    }));
    const within = (p, ms) => Promise.race([p, sleep(ms).then(() => 'waiting')]);
    const first = await Promise.all(settled.map((p) => within(p, 20000)));
    const count = (o) => first.filter((x) => x === o).length;
    console.log(`  connections: ${count('open')} served, ${count('refused')} refused, ${count('waiting')} still waiting after 20 s`);
    assert.ok(count('open') <= 101, `connections: ${count('open')} served of ${first.length}, the limit is 100`);
    for (const s of sockets) s.close();
    await sleep(1000);
    const fresh = new WebSocket(nodes.alice.rpcUrl);
    const opened = await within(new Promise((resolve) => {
      fresh.onopen = () => resolve('open');
      fresh.onerror = () => resolve('refused');
    }), 10000);
    fresh.close();
    assert.equal(opened, 'open', 'a connection after the flood is served');
    // The node is unharmed: it answers and the chain goes on.
    const b0 = await best('alice');
    await waitFor('the chain to go on', async () => (await best('alice')) > b0 + 1, { timeoutMs: MIN, intervalMs: 1000 });
    await waitFor('alice keeps its three peers', async () => (await peers()) === 3, { timeoutMs: 30000, intervalMs: 1000 });
  });
});
