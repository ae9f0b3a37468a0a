#!/usr/bin/env node
// Take a snapshot of a chain's state over JSON-RPC for iotrust-try-runtime: every key and value
// of the main trie at one block (the finalized head unless --at names another), paged through
// state_getKeysPaged and state_queryStorageAt, which a node serves with its safe RPC methods.
//
//   node scripts/lib/snapshot.mjs --uri http://127.0.0.1:9944 [--at 0xHASH] --out FILE
import fs from 'node:fs';
import { rpc } from './network.mjs';

const PAGE = 1000;

function parse(argv) {
  const args = { uri: 'http://127.0.0.1:9944', at: null, out: null };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--uri') args.uri = value.replace(/^ws/, 'http');
    else if (flag === '--at') args.at = value;
    else if (flag === '--out') args.out = value;
    else throw new Error(`unknown option ${flag}`);
  }
  if (!args.out) throw new Error('--out FILE is required');
  return args;
}

/** Every key and value at block `at` of the node at `uri`. */
export async function snapshot(uri, at) {
  const hash = at ?? await rpc(uri, 'chain_getFinalizedHead');
  const header = await rpc(uri, 'chain_getHeader', [hash]);
  if (!header) throw new Error(`the node does not know block ${hash}`);
  const { specVersion } = await rpc(uri, 'state_getRuntimeVersion', [hash]);
  const pairs = [];
  let start = null;
  for (;;) {
    const keys = await rpc(uri, 'state_getKeysPaged', ['0x', PAGE, start, hash]);
    if (keys.length === 0) break;
    const [{ changes }] = await rpc(uri, 'state_queryStorageAt', [keys, hash]);
    for (const [key, value] of changes) if (value !== null) pairs.push([key, value]);
    if (keys.length < PAGE) break;
    start = keys[keys.length - 1];
  }
  return { at: hash, number: parseInt(header.number, 16), specVersion, pairs };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = parse(process.argv.slice(2));
  const snap = await snapshot(args.uri, args.at);
  fs.writeFileSync(args.out, JSON.stringify(snap));
  console.log(`block #${snap.number} (${snap.at}), spec_version ${snap.specVersion}: ${snap.pairs.length} keys written to ${args.out}`);
}
