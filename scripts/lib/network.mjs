// Starts and stops iotrust nodes on loopback: the one place that knows how a local node is
// launched (ports, keys, node keys, bootnodes). `scripts/run.sh` runs it as a program; the
// end-to-end tests import it. Node's standard library only: no npm packages needed.
//
//   node scripts/lib/network.mjs --bin PATH --state DIR [--dev] [--port-offset N]

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Fixed node keys of the local test network, so peer ids are known in advance: the
// `local_testnet` genesis authorizes alice..dave's peer ids. Public test keys: never use them
// on a real network.
export const LOCAL_NODES = {
  alice: { index: 0, seed: '//Alice', nodeKey: '11fbc99b9ba597982ef9df2bfc7dbdb1ca7cf75ad6af479c9d5693a21ba00a41', peerId: '12D3KooWHv6JMAg4YShFVGvxWfuB4LjUhwumwPVLc6YtqfAxcMGq' },
  bob: { index: 1, seed: '//Bob', nodeKey: 'd32387fabda2404446e6197a966eae9aee174c009f518c2dd14604fc7478533d', peerId: '12D3KooWJdk9HgPKYKLZ6ssWAy4b6FJjiUefrDwByq7JQpfwTScb' },
  charlie: { index: 2, seed: '//Charlie', nodeKey: 'c70da12a54424bb3ec7b544eec52b080d469f395e7866ed7ce41a7815bddad7e', peerId: '12D3KooWK5hEQC9LkLp7F7UMt35mD8kocjARmRssT3c9B4mqiz6G' },
  dave: { index: 3, seed: '//Dave', nodeKey: '4567472fb5468f5840c4c3893e3def10de760f9bb2fbf541705a6a4e69158196', peerId: '12D3KooWCR8N4hq1r44aUmk7kahjCuacbVgsb9EpnSUWScKzKaKU' },
  eve: { index: 4, seed: '//Eve', nodeKey: '11d2cb30ce1fcc1cf1c43de1e1e30d01bfbe0c75056ccc12a916b46e291f4819', peerId: '12D3KooWPQobpHRgKTsHeNFMYLsUZunePyf7A8KhSYa3WUWKwhgd' },
  ferdie: { index: 5, seed: '//Ferdie', nodeKey: '967abb123a3bc3cf66bc4e3fd7ede70ed14050b76cc163b31d14a5e8476146f1', peerId: '12D3KooWJMDVQp4fBcj4gVQiyQfmNGLakVm6gEQD737NiLitHqKY' },
};

export const GENESIS_VALIDATORS = ['alice', 'bob', 'charlie', 'dave'];

// Where nodes started here keep the runtime's compiled code (the node's IOTRUST_WASM_CACHE),
// and the raw chain specs made from the built-in ones: a debug node spends ~15 s of CPU
// compiling the runtime at each start, once to build the genesis state of a built-in spec and
// once to run blocks; four started at once on two cores took over a minute.
const CACHE_DIR = process.env.IOTRUST_NODE_CACHE ?? path.join(os.tmpdir(), 'iotrust-node-cache');

/**
 * The chain spec to start `bin` on: `chain` itself if it is a file, else the built-in spec
 * `chain` in raw form, made once per build of `bin` (its genesis state then needs no runtime).
 */
export function rawSpec(bin, chain) {
  if (chain.endsWith('.json') || chain.includes('/')) return chain;
  const { mtimeMs, size } = fs.statSync(bin);
  const file = path.join(CACHE_DIR, 'specs', `${chain}-${Math.floor(mtimeMs)}-${size}.json`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // export-chain-spec, not the deprecated build-spec: Substrate's build-spec gave a spec
    // without boot nodes a default one at 127.0.0.1:30333, a peer id nobody has, which clashed
    // with alice listening there at run.sh's default ports.
    const spec = execFileSync(bin, ['export-chain-spec', '--chain', chain, '--raw'], {
      stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 256 * 1024 * 1024,
    });
    // Written whole, then renamed: a test starting nodes at once may make it twice, never half.
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, spec);
    fs.renameSync(tmp, file);
    // Specs of earlier builds, a day old, are of no more use.
    for (const old of fs.readdirSync(path.dirname(file))) {
      const f = path.join(path.dirname(file), old);
      if (old.startsWith(`${chain}-`) && f !== file && Date.now() - fs.statSync(f).mtimeMs > 86400000) fs.rmSync(f, { force: true });
    }
  }
  return file;
}

/** The loopback ports of node number `index`, shifted by `offset` (tests use their own). */
export function ports(index, offset = 0) {
  return { p2p: 30333 + offset + index, rpc: 9944 + offset + index, prometheus: 9615 + offset + index };
}

/** The multiaddress other nodes use to reach `name` (on loopback, or at address `ip`). */
export function bootnode(name, offset = 0, ip = '127.0.0.1') {
  const n = LOCAL_NODES[name];
  return `/ip4/${ip}/tcp/${ports(n.index, offset).p2p}/p2p/${n.peerId}`;
}

/**
 * Prepare a node's base path: its node key file and, for a validator, its Aura (sr25519) and
 * GRANDPA (ed25519) keys in the keystore. Idempotent, so a restarted node keeps its identity.
 */
export function prepareNode({ bin, state, name, chain, nodeKey, seed }) {
  const base = path.join(state, name);
  fs.mkdirSync(base, { recursive: true });
  const keyFile = path.join(base, 'node-key');
  if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, nodeKey ?? LOCAL_NODES[name].nodeKey);
  if (seed) {
    const marker = path.join(base, '.keys-inserted');
    if (!fs.existsSync(marker)) {
      for (const [type, scheme] of [['aura', 'sr25519'], ['gran', 'ed25519']]) {
        execFileSync(bin, ['key', 'insert', '--base-path', base, '--chain', chain,
          '--scheme', scheme, '--suri', seed, '--key-type', type], { stdio: 'ignore' });
      }
      fs.writeFileSync(marker, '');
    }
  }
  return { base, keyFile };
}

/**
 * Start node `name` (a key of LOCAL_NODES, or any name with an explicit `index` and `nodeKey`).
 * A validator gets its well-known seed's keys inserted unless `insertKeys` is false (then it
 * generates its own with `author_rotateKeysWithOwner`). Its output goes to
 * `<state>/<name>.log`. It listens for peers on `listenIp` (loopback unless a test puts it in a
 * network namespace of its own) and runs under `prefix` if one is given (a command that runs
 * the node inside a namespace, or with a skewed clock). Returns a handle for stopNode.
 */
export function startNode({
  bin, state, name, chain = 'local', validator = true, offset = 0, bootnodes = [],
  index, nodeKey, seed, insertKeys = true, extraArgs = [], listenIp = '127.0.0.1', prefix = [],
}) {
  const known = LOCAL_NODES[name] ?? {};
  const idx = index ?? known.index;
  const { base, keyFile } = prepareNode({
    bin, state, name, chain, nodeKey: nodeKey ?? known.nodeKey,
    seed: validator && insertKeys ? (seed ?? known.seed) : undefined,
  });
  const p = ports(idx, offset);
  const args = [
    '--chain', rawSpec(bin, chain), '--base-path', base, '--name', name,
    '--node-key-file', keyFile,
    '--listen-addr', `/ip4/${listenIp}/tcp/${p.p2p}`,
    '--rpc-port', String(p.rpc), '--rpc-cors', 'all',
    '--prometheus-port', String(p.prometheus),
    // Node authorization is enforced by the offchain worker on every member node.
    '--offchain-worker', 'always',
    '--no-mdns', '--no-telemetry',
    ...(validator ? ['--validator'] : []),
    ...bootnodes.flatMap((b) => ['--bootnodes', b]),
    ...extraArgs,
  ];
  const [cmd, ...cmdArgs] = [...prefix, bin, ...args];
  return {
    ...spawnLogged(name, cmd, cmdArgs, path.join(state, `${name}.log`),
      { IOTRUST_WASM_CACHE: path.join(CACHE_DIR, 'wasm'), ...process.env }),
    ports: p, rpcUrl: `ws://127.0.0.1:${p.rpc}`, httpUrl: `http://127.0.0.1:${p.rpc}`,
  };
}

/** Start `bin args` with its output appended to `logPath`; a handle for stopNode. */
export function spawnLogged(name, bin, args, logPath, env = process.env) {
  const log = fs.openSync(logPath, 'a');
  const proc = spawn(bin, args, { stdio: ['ignore', log, log], env });
  fs.closeSync(log);
  return { name, proc, logPath };
}

/** Stop a node and wait for its process to end (SIGKILL after `graceMs`). */
export async function stopNode(node, { signal = 'SIGINT', graceMs = 15000 } = {}) {
  if (node.proc.exitCode !== null || node.proc.signalCode !== null) return;
  const exited = new Promise((resolve) => node.proc.once('exit', resolve));
  node.proc.kill(signal);
  const timer = setTimeout(() => node.proc.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** One JSON-RPC call over HTTP, given up after `timeoutMs`. */
export async function rpc(httpUrl, method, params = [], { timeoutMs = 60000 } = {}) {
  const res = await fetch(httpUrl, {
    method: 'POST',
    signal: AbortSignal.timeout(timeoutMs),
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  });
  const body = await res.json();
  if (body.error) throw new Error(`${method}: ${JSON.stringify(body.error)}`);
  return body.result;
}

/** Wait until the node answers RPC, or throw after `timeoutMs`. */
export async function waitForRpc(node, timeoutMs = 120000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (node.proc.exitCode !== null) {
      throw new Error(`${node.name} exited (${node.proc.exitCode}); see ${node.logPath}`);
    }
    try {
      return await rpc(node.httpUrl, 'system_health', [], { timeoutMs: 5000 });
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`${node.name} did not answer RPC: ${e.message}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/**
 * Start the four-validator local network (alice..dave) and wait until each answers RPC. `chain`
 * is the built-in local chain unless a chain spec file is given.
 */
export async function startLocalNetwork({ bin, state, offset = 0, names = GENESIS_VALIDATORS, extraArgs = [], chain = 'local' }) {
  const nodes = names.map((name) => startNode({
    bin, state, name, offset, extraArgs, chain,
    bootnodes: names.filter((n) => n !== name).map((n) => bootnode(n, offset)),
  }));
  try {
    await Promise.all(nodes.map((n) => waitForRpc(n)));
  } catch (e) {
    await Promise.all(nodes.map((n) => stopNode(n)));
    throw e;
  }
  return nodes;
}

/** Start a single development node (alice, one member). */
export async function startDevNode({ bin, state, offset = 0, extraArgs = [] }) {
  const node = startNode({ bin, state, name: 'alice', chain: 'dev', offset, extraArgs });
  try {
    await waitForRpc(node);
  } catch (e) {
    await stopNode(node);
    throw e;
  }
  return [node];
}

// --- The IoT side: an MQTT broker, a gateway, a device simulator --------------------------------

/** The well-known dev account the local gateway signs with, and its SS58 address. */
export const GATEWAY_ACCOUNT = { secret: '//Dave', address: '5DAAnrj7VHTznn2AWBemMuyBwZWs6FNFjdyVXUeYum3PTXFy' };

/** The dev account that owns the simulated devices (the simulator's default `--owner`). */
export const SIM_OWNER = { secret: '//Charlie', address: '5FLSigC9HGRKVhB9FiEo4Y3koPsNmBmLJbpXg2mp1hXcS59Y' };

/** Where Debian's mosquitto package puts the broker. */
export const MOSQUITTO_BIN = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

/**
 * Make what a secured broker needs under `dir`, with Debian's openssl and mosquitto_passwd: a
 * throwaway certificate authority, a server certificate it signed for 127.0.0.1 and localhost,
 * and a password file with one user per client (`gateway`, `device`), each password also in an
 * owner-only file for the client's --mqtt-password-file. Made anew for every broker started.
 */
function makeBrokerSecrets(dir) {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const f = (name) => path.join(dir, name);
  const ssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '7',
    '-subj', '/CN=iotrust test broker CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  ssl('req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  fs.writeFileSync(f('server.ext'), [
    'subjectAltName=IP:127.0.0.1,DNS:localhost', 'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment', 'extendedKeyUsage=serverAuth', '',
  ].join('\n'));
  ssl('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'),
    '-CAcreateserial', '-out', f('server.crt'), '-days', '7', '-extfile', f('server.ext'));
  const users = {};
  fs.rmSync(f('passwd'), { force: true });
  for (const user of ['gateway', 'device']) {
    const password = execFileSync('openssl', ['rand', '-hex', '16'], { encoding: 'utf8' }).trim();
    const create = fs.existsSync(f('passwd')) ? [] : ['-c'];
    execFileSync('mosquitto_passwd', [...create, '-b', f('passwd'), user, password], { stdio: 'ignore' });
    const passwordFile = f(`${user}.password`);
    fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    fs.chmodSync(passwordFile, 0o600);
    users[user] = { username: user, passwordFile };
  }
  for (const name of ['ca.key', 'server.key', 'passwd']) fs.chmodSync(f(name), 0o600);
  return { ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key'), passwd: f('passwd'), users };
}

/**
 * Start a mosquitto broker on loopback `port`, secured as a real deployment should be: TLS with
 * a certificate made at start (see makeBrokerSecrets) and a username and password for each
 * client, nothing anonymous. It keeps its messages on disk (a restart loses nothing queued),
 * queues QoS 1 messages for a gateway that is down (persistent session) without the default
 * 1000-message cap, and lets 1000 unacknowledged messages be in flight to it. Returns the
 * process with `args(user)`: the --mqtt flags with which `user` ('gateway' or 'device') reaches it.
 */
export function startMosquitto({ state, port }) {
  fs.mkdirSync(state, { recursive: true });
  const secrets = makeBrokerSecrets(path.join(state, 'secrets'));
  const conf = path.join(state, 'mosquitto.conf');
  fs.writeFileSync(conf, [
    `listener ${port} 127.0.0.1`, `cafile ${secrets.ca}`, `certfile ${secrets.cert}`, `keyfile ${secrets.key}`,
    'allow_anonymous false', `password_file ${secrets.passwd}`,
    'persistence true', `persistence_location ${state}/`, 'autosave_interval 1',
    'max_queued_messages 1000000', 'max_inflight_messages 1000',
    // Run as whoever started it (as root it would switch to a `mosquitto` user that cannot read
    // the files above).
    ...(process.getuid?.() === 0 ? ['user root'] : []), '',
  ].join('\n'));
  const broker = spawnLogged('mosquitto', MOSQUITTO_BIN, ['-c', conf], path.join(state, 'mosquitto.log'));
  const args = (user) => [
    '--mqtt', `mqtts://127.0.0.1:${port}`, '--mqtt-ca-file', secrets.ca,
    '--mqtt-username', secrets.users[user].username, '--mqtt-password-file', secrets.users[user].passwordFile,
  ];
  const restart = () => spawnLogged('mosquitto', MOSQUITTO_BIN, ['-c', conf], path.join(state, 'mosquitto.log'));
  return { ...broker, port, args, restart };
}

/** Who listens on TCP `port` (from iproute2's `ss`), e.g. `iotrust-node (pid 4242)`, or null. */
function portHolder(port) {
  try {
    const out = execFileSync('ss', ['-Hltnp', `sport = :${port}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const m = out.match(/users:\(\("([^"]+)",pid=(\d+)/);
    return m ? `${m[1]} (pid ${m[2]})` : null;
  } catch {
    return null;
  }
}

/**
 * Check that every port in `wanted` ({ port, what }) is free on loopback before anything starts,
 * so that a taken one is named with what holds it instead of a node failing later with a bind
 * error in its log. Throws an Error listing each taken port.
 */
export async function checkPortsFree(wanted) {
  const net = await import('node:net');
  const taken = [];
  for (const { port, what } of wanted) {
    const free = await new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
    });
    if (!free) taken.push(`port ${port} (${what}) is taken by ${portHolder(port) ?? 'another process'}`);
  }
  if (taken.length) {
    throw new Error(`${taken.join('\n')}\nstop what holds it, or shift every port with --port-offset N`);
  }
}

/** The loopback ports a local network (or a dev node) of `names` uses, named for checkPortsFree. */
export function networkPorts(names, offset = 0) {
  return names.flatMap((name) => {
    const p = ports(LOCAL_NODES[name].index, offset);
    return [{ port: p.p2p, what: `${name}'s p2p` }, { port: p.rpc, what: `${name}'s RPC` },
      { port: p.prometheus, what: `${name}'s Prometheus metrics` }];
  });
}

/** Wait until something listens on loopback `port`. */
export async function waitForPort(port, timeoutMs = 30000) {
  const net = await import('node:net');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on port ${port}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Start `iotrust-gateway run` against `nodeUrl` and `broker` (from startMosquitto), serving HTTP on
 * `httpPort`, its database under `state` (reused by a restart with the same state). It serves
 * `serveOwners` (by default the simulator's owner), so their devices may be bound to it.
 */
export function startGateway({ bin, state, nodeUrl, broker, httpPort, account = GATEWAY_ACCOUNT.secret, serveOwners = [SIM_OWNER.address], clientId = 'iotrust-gateway-local', extraArgs = [] }) {
  fs.mkdirSync(state, { recursive: true });
  // The signing secret goes in a file only its owner reads, never on the command line.
  const secretFile = path.join(state, 'account.secret');
  fs.writeFileSync(secretFile, `${account}\n`, { mode: 0o600 });
  fs.chmodSync(secretFile, 0o600);
  const args = [
    'run', '--node', nodeUrl, ...broker.args('gateway'), '--account-file', secretFile,
    ...serveOwners.flatMap((o) => ['--serve-owner', o]),
    '--db', path.join(state, 'gateway.redb'), '--http', `127.0.0.1:${httpPort}`,
    '--client-id', clientId, ...extraArgs,
  ];
  return { ...spawnLogged('gateway', bin, args, path.join(state, 'gateway.log')), httpUrl: `http://127.0.0.1:${httpPort}` };
}

/**
 * Run `iotrust-gateway simulate` (`bin`, arguments from simulatorArgs) to completion; resolves
 * with the JSON lines it printed (the devices, then a summary), rejects with its error output.
 */
export function runSimulator(bin, args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('exit', (code) => {
      if (code === 0) resolve(out.trim().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)));
      else reject(new Error(`simulator exited ${code}: ${(err || out).slice(-2000)}`));
    });
  });
}

/** The `iotrust-gateway simulate` arguments for the local setup. */
export function simulatorArgs({ nodeUrl, broker, devices = 20, readings = 100, rate = 100, gateway = GATEWAY_ACCOUNT.address, extra = [] }) {
  return [
    'simulate', '--node', nodeUrl, ...broker.args('device'),
    '--gateway', gateway, '--devices', String(devices),
    '--readings', String(readings), '--rate', String(rate), ...extra,
  ];
}

// Run as a program: start the network, print where to reach it, stop every process on Ctrl-C.
// With --gateway also a mosquitto broker, a gateway (signing as Dave) and a device simulator.
if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (flag, dflt) => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const bin = opt('--bin');
  const state = path.resolve(opt('--state', '.state'));
  const offset = Number(opt('--port-offset', '0'));
  const dev = args.includes('--dev');
  const withGateway = args.includes('--gateway');
  const gatewayBin = opt('--gateway-bin');
  const mqttPort = 1883 + offset;
  const httpPort = 8080 + offset;
  fs.mkdirSync(state, { recursive: true });

  let nodes = [];
  let extras = [];
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping...');
    await Promise.all(extras.map((p) => stopNode(p, { signal: 'SIGTERM', graceMs: 5000 })));
    await Promise.all(nodes.map((n) => stopNode(n)));
    console.log('all stopped; state kept in', state);
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  const mode = dev ? 'dev' : 'local';
  try {
    await checkPortsFree([
      ...networkPorts(dev ? ['alice'] : GENESIS_VALIDATORS, offset),
      ...(withGateway ? [{ port: mqttPort, what: 'the MQTT broker' }, { port: httpPort, what: 'the gateway\'s HTTP' }] : []),
    ]);
    nodes = dev
      ? await startDevNode({ bin, state: path.join(state, mode), offset })
      : await startLocalNetwork({ bin, state: path.join(state, mode), offset });
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
  console.log(dev ? 'iotrust development node is up (one member: alice)'
    : 'iotrust local network is up (validators alice, bob, charlie, dave)');
  for (const n of nodes) {
    console.log(`  ${n.name.padEnd(8)} rpc ${n.rpcUrl}  prometheus http://127.0.0.1:${n.ports.prometheus}/metrics  log ${n.logPath}`);
  }
  console.log(`\npolkadot.js apps: https://polkadot.js.org/apps/?rpc=${nodes[0].rpcUrl}`);

  if (withGateway) {
    const iot = path.join(state, mode, 'iot');
    try {
      const broker = startMosquitto({ state: iot, port: mqttPort });
      extras.push(broker);
      await waitForPort(mqttPort);
      const gateway = startGateway({ bin: gatewayBin, state: iot, nodeUrl: nodes[0].rpcUrl, broker, httpPort });
      extras.push(gateway);
      await waitForPort(httpPort);
      // Sequence numbers continue across runs that keep their state: they start at the time.
      const startSeq = Math.floor(Date.now() / 1000) * 100;
      const simArgs = simulatorArgs({
        nodeUrl: nodes[0].rpcUrl, broker, devices: Number(opt('--sim-devices', '5')),
        readings: 100_000_000, rate: Number(opt('--sim-rate', '20')), extra: ['--start-seq', String(startSeq)],
      });
      const simLog = path.join(iot, 'simulator.log');
      extras.push(spawnLogged('simulator', gatewayBin, simArgs, simLog));
      console.log(`  mqtt     mqtts://127.0.0.1:${mqttPort} (mosquitto with TLS and passwords: CA, users and password files in ${path.join(iot, 'secrets')}; log ${path.join(iot, 'mosquitto.log')})`);
      console.log(`  gateway  http://127.0.0.1:${httpPort}/stats, /proof/<device>/<seq>  (account ${GATEWAY_ACCOUNT.address}, log ${gateway.logPath})`);
      console.log(`  devices  simulated, owned by Charlie, publishing (log ${simLog})`);
    } catch (e) {
      console.error(`the gateway side did not start: ${e.message}`);
      await shutdown();
    }
  }
  console.log('Ctrl-C stops everything.');
  for (const n of [...nodes, ...extras]) {
    n.proc.on('exit', (code, sig) => {
      if (!stopping) console.error(`${n.name} exited (${code ?? sig}); see ${n.logPath}`);
    });
  }
}
