// The node's command line, end to end: building a consortium's chain spec from a members file,
// and refusing a bad one with a message that names the problem.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { NODE_BIN, REPO_ROOT, tempState } from './helpers.mjs';

const EXAMPLE = path.join(REPO_ROOT, 'docs/consortium.example.json');

describe('iotrust-node consortium-spec', () => {
  it('builds a spec whose genesis seats, validates and authorizes every member', () => {
    const dir = tempState('spec');
    const out = path.join(dir, 'spec.json');
    execFileSync(NODE_BIN, ['consortium-spec', '--members', EXAMPLE, '--output', out]);
    const spec = JSON.parse(fs.readFileSync(out, 'utf8'));
    assert.equal(spec.name, 'Cold Chain Consortium');
    assert.equal(spec.id, 'coldchain');
    assert.equal(spec.chainType, 'Live');
    assert.deepEqual(spec.properties, { ss58Format: 42, tokenDecimals: 12, tokenSymbol: 'IOTR' });
    const patch = spec.genesis.runtimeGenesis.patch;
    const alice = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
    const bob = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
    assert.deepEqual(patch.consortium.validators, [alice, bob]);
    assert.deepEqual(patch.councilMembership.members, [alice, bob]);
    assert.equal(patch.session.keys.length, 2);
    assert.equal(patch.consortium.nodes.length, 2);
    assert.deepEqual(patch.balances.balances, [[alice, 1000e12], [bob, 1000e12]]);
    assert.deepEqual(spec.bootNodes, JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')).bootNodes, 'the members file\'s boot nodes, no others');

    // The spec loads, and its genesis builds, as a member's node would do at start.
    const raw = execFileSync(NODE_BIN, ['export-chain-spec', '--chain', out, '--raw'], { maxBuffer: 64 << 20 });
    assert.ok(JSON.parse(raw).genesis.raw.top, 'a raw genesis');
  });

  it('refuses a members file with a bad key, naming the member and field', () => {
    const dir = tempState('spec');
    const bad = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
    bad.members[1].grandpa = 'not-a-key';
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify(bad));
    const r = spawnSync(NODE_BIN, ['consortium-spec', '--members', file], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /frost-sensors/);
    assert.match(r.stderr, /grandpa/);
  });

  it('refuses a members file that names an account twice', () => {
    const dir = tempState('spec');
    const dup = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8'));
    dup.members[1].account = dup.members[0].account;
    const file = path.join(dir, 'dup.json');
    fs.writeFileSync(file, JSON.stringify(dup));
    const r = spawnSync(NODE_BIN, ['consortium-spec', '--members', file], { encoding: 'utf8' });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /appears twice/);
  });
});

describe('iotrust-node', () => {
  it('refuses to start without its offchain worker, which enforces the peering rule', () => {
    const dir = tempState('no-ocw');
    const run = spawnSync(NODE_BIN, ['--dev', '--base-path', dir, '--offchain-worker', 'never', '--rpc-port', '0', '--port', '0', '--no-prometheus'], { encoding: 'utf8', timeout: 60000 });
    assert.notEqual(run.status, 0, 'the node exits with an error');
    assert.match(run.stderr, /--offchain-worker never is refused: the offchain worker enforces the consortium's peering rule/);
  });
});

describe('built-in chain specs', () => {
  // Substrate's build-spec adds a boot node at 127.0.0.1:30333 under a peer id made for that one
  // run; on such a spec, scripts/run.sh's alice listened at that address under her own peer id
  // and bob, charlie and dave refused to start. No way of making a spec may add one.
  // (One raw spec: each builds its genesis with the runtime, about 15 s of a debug node's CPU.)
  for (const args of [
    ['build-spec', '--chain', 'local'], ['build-spec', '--chain', 'dev'],
    ['export-chain-spec', '--chain', 'local', '--raw'], ['export-chain-spec', '--chain', 'dev'],
  ]) {
    it(`\`${args.join(' ')}\` names no boot node`, () => {
      const spec = JSON.parse(execFileSync(NODE_BIN, args, { maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] }));
      assert.deepEqual(spec.bootNodes, []);
    });
  }
});
