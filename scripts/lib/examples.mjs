// Runs the client examples (scripts/examples.sh prepares their packages first) against a
// development node: the one at --url, or one started here through network.mjs (the one place
// that knows how a local node is launched) and stopped at the end, whatever happens.
//
//   node scripts/lib/examples.mjs --bin NODE --example-bin RUST_EXAMPLE --python VENV_PYTHON
//        [--url ws://host:port] [--only js|python|rust|curl]...

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startDevNode, stopNode } from './network.mjs';

const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');
const argv = process.argv.slice(2);
const opt = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const only = argv.flatMap((a, i) => (argv[i - 1] === '--only' ? [a] : []));
const wanted = only.length ? only : ['js', 'python', 'rust', 'curl'];

// A port offset away from scripts/run.sh's and the end-to-end tests'.
const OFFSET = Number(process.env.IOTRUST_EXAMPLES_PORT_OFFSET ?? 600);
const MIN = 60000;

let node;
let state;
let url = opt('--url');
if (!url) {
  state = fs.mkdtempSync(path.join(os.tmpdir(), 'iotrust-examples-'));
  [node] = await startDevNode({ bin: opt('--bin'), state, offset: OFFSET });
  url = node.rpcUrl;
  console.log(`a development node on ${url} (log: ${node.logPath})`);
}
const httpUrl = `http${url.slice(2)}`;

const examples = {
  js: { title: 'examples/js (@polkadot/api)', cmd: 'node', args: ['flows.mjs', url], cwd: 'examples/js', timeout: 5 * MIN },
  python: { title: 'examples/python (async-substrate-interface)', cmd: opt('--python'), args: ['examples/python/flows.py', url], timeout: 5 * MIN },
  rust: { title: 'examples/rust (subxt)', cmd: opt('--example-bin'), args: [url], timeout: 5 * MIN },
  curl: { title: 'examples/curl (state_call)', cmd: 'examples/curl/flows.sh', args: [httpUrl], timeout: 2 * MIN },
};
let failed;
try {
  for (const name of wanted) {
    const e = examples[name];
    if (!e) throw new Error(`no example ${name} (js, python, rust, curl)`);
    console.log(`\n== ${e.title}`);
    const run = spawnSync(e.cmd, e.args, { cwd: path.join(REPO_ROOT, e.cwd ?? ''), stdio: 'inherit', timeout: e.timeout });
    if (run.status !== 0) {
      failed = `${e.title} failed (${run.error?.message ?? run.signal ?? `exit ${run.status}`})`;
      break;
    }
  }
} finally {
  if (node) {
    await stopNode(node);
    if (failed) console.log(fs.readFileSync(node.logPath, 'utf8').split('\n').slice(-20).join('\n'));
    fs.rmSync(state, { recursive: true, force: true });
  }
}
if (failed) {
  console.error(failed);
  process.exit(1);
}
