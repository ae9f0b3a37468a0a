// The runtime upgrade, rehearsed on the 4-validator local network: the network starts on the
// previous runtime (built from git by scripts/lib/previous-runtime.sh), writes data, has
// scripts/try-runtime.sh run this tree's runtime — migrations with their pre/post-upgrade checks,
// every pallet's try_state — over a snapshot of its state, and then upgrades through a council
// motion (consortium.dispatchAsRoot → system.setCode). The chain must keep finalizing on every
// node, the groups pallet's migration must have run if the previous runtime's groups storage was
// at version 0 (spec 105; from 106 on it is at 1 and nothing is to migrate), and what was written
// before must read the same after.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { u8aToHex } from '@polkadot/util';
import { startLocalNetwork, stopNode } from '../../scripts/lib/network.mjs';
import {
  connect, councilMotion, finalizedNumber, keyring, logTail, makeGatewayGroup, NODE_BIN, PORT_OFFSET,
  REPO_ROOT, signAndFinalize, tempState, UNIT, waitFor,
} from './helpers.mjs';

const MIN = 60000;
const OFFSET = PORT_OFFSET + 60;

/** The previous runtime's Wasm: `IOTRUST_PREVIOUS_RUNTIME`, or built (and cached) now. */
function previousRuntime() {
  if (process.env.IOTRUST_PREVIOUS_RUNTIME) return process.env.IOTRUST_PREVIOUS_RUNTIME;
  const out = execFileSync(path.join(REPO_ROOT, 'scripts/lib/previous-runtime.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop();
}

/**
 * The local chain's spec with `wasm` as its genesis runtime, raw (its genesis storage built by
 * that runtime), written under `dir`. Also returns this node's own runtime, the upgrade's code.
 */
function specWithRuntime(dir, wasm) {
  const plain = JSON.parse(execFileSync(NODE_BIN, ['export-chain-spec', '--chain', 'local'], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] }));
  const current = plain.genesis.runtimeGenesis.code;
  plain.genesis.runtimeGenesis.code = u8aToHex(fs.readFileSync(wasm));
  const plainPath = path.join(dir, 'previous-plain.json');
  fs.writeFileSync(plainPath, JSON.stringify(plain));
  const raw = execFileSync(NODE_BIN, ['export-chain-spec', '--chain', plainPath, '--raw'], { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  const rawPath = path.join(dir, 'previous-raw.json');
  fs.writeFileSync(rawPath, raw);
  return { spec: rawPath, newCode: current };
}

describe('runtime upgrade on the 4-validator network', { timeout: 25 * MIN }, () => {
  const state = tempState('upgrade');
  let nodes = [];
  let api;
  let keys;
  let newCode;
  let before0;
  const finalized = new Map(); // number -> hash, as alice's node announced them
  let unsubFinalized;

  before(async () => {
    keys = await keyring();
    const wasm = previousRuntime();
    fs.mkdirSync(state, { recursive: true });
    let spec;
    ({ spec, newCode } = specWithRuntime(state, wasm));
    nodes = await startLocalNetwork({ bin: NODE_BIN, state, offset: OFFSET, chain: spec });
    api = await connect(nodes[0].rpcUrl);
    unsubFinalized = await api.rpc.chain.subscribeFinalizedHeads((h) => {
      finalized.set(h.number.toNumber(), h.hash.toHex());
    });
  });

  after(async () => {
    if (unsubFinalized) unsubFinalized();
    await api?.disconnect();
    await Promise.all(nodes.map((n) => stopNode(n)));
    if (process.exitCode || process.env.IOTRUST_E2E_LOGS) {
      for (const n of nodes) console.log(`--- ${n.name} (${n.logPath})\n${logTail(n.logPath)}`);
    }
  });

  const specVersion = async () => (await api.rpc.state.getRuntimeVersion()).specVersion.toNumber();
  const thisSpec = () => Number(fs.readFileSync(path.join(REPO_ROOT, 'runtime/src/lib.rs'), 'utf8').match(/spec_version: (\d+),/)[1]);

  it('runs the previous runtime, with a gateway group written under it', async () => {
    await waitFor('block 3 finalized', async () => (await finalizedNumber(api)) >= 3, { timeoutMs: 3 * MIN });
    assert.ok(await specVersion() < thisSpec(), `the network runs spec ${await specVersion()}, not an older one than ${thisSpec()}`);
    const groupsVersion = (await api.query.groups.palletVersion()).toNumber();
    const made = await makeGatewayGroup(api, keys, ['alice', 'bob', 'charlie'], 2);
    const group = (await api.call.groupsApi.group(made.group)).unwrap().toJSON();
    const of = (await api.call.groupsApi.groupsOf(made.gateways[1].address)).toJSON();
    assert.deepEqual(of, [made.group], 'the old runtime finds the gateway\'s group by scanning');
    // An anchor made under the previous runtime: a device of Alice's, bound to Dave's gateway.
    const genesis = (await api.rpc.chain.getBlockHash(0)).toHex();
    const device = JSON.parse(execFileSync(NODE_BIN, ['device', 'sign-registration', '--scheme', 'ed25519',
      '--secret', `0x${'42'.repeat(32)}`, '--owner', keys.alice.address, '--genesis', genesis], { encoding: 'utf8' }));
    const meta = { model: 'Upgrade U1', serialHash: `0x${'ab'.repeat(32)}`, uri: 'https://example.com/u1' };
    await signAndFinalize(api, api.tx.devices.serveOwner(keys.alice.address), keys.dave);
    await signAndFinalize(api, api.tx.utility.batchAll([
      api.tx.devices.register(device.publicKey, meta, device.signature),
      api.tx.devices.bindGateway(device.deviceId, keys.dave.address),
    ]), keys.alice);
    const range = { device: device.deviceId, first: 0, last: 1, summaries: [{ id: 1, min: -18_200, max: -18_050 }] };
    const { events } = await signAndFinalize(api,
      api.tx.anchoring.anchor(7, `0x${'5a'.repeat(32)}`, 2, 1_700_000_000_000, 1_700_000_060_000, [range]), keys.dave);
    const anchorId = events.map((r) => r.event).find((e) => api.events.anchoring.Anchored.is(e)).data.anchor.toNumber();
    const anchorBytes = (await api.rpc.state.getStorage(api.query.anchoring.anchors.key(anchorId))).toHex();
    // An SLA offer on that device and an obligation under it, in the previous runtime's terms
    // (an SLA was its bounds only before spec 109, which added the silence rule and named
    // consumers).
    const bounds = { metric: 1, min: null, max: -15_000 };
    const since109 = (await specVersion()) >= 109;
    const offered = await signAndFinalize(api, api.tx.obligations.publishOffer({
      serviceHash: `0x${'c0'.repeat(32)}`, minAmount: UNIT, maxAmount: 10n * UNIT, dueIn: 1_000, minScore: 0,
      device: device.deviceId,
      ...(since109 ? { sla: { bounds, maxSilence: 100_000 }, consumers: [] } : { sla: bounds }),
    }), keys.alice);
    const offerId = offered.events.map((r) => r.event).find((e) => api.events.obligations.OfferPublished.is(e)).data.offer.toNumber();
    const accepted = await signAndFinalize(api, api.tx.obligations.create({ offer: offerId, amount: 5n * UNIT, note: 'u1' }, null), keys.bob);
    const obligationId = accepted.events.map((r) => r.event).find((e) => api.events.obligations.Created.is(e)).data.id.toNumber();
    const obligationsVersion = (await api.query.obligations.palletVersion()).toNumber();
    before0 = {
      made, group, groupsVersion, anchorId, anchorBytes, device: device.deviceId, offerId, obligationId, obligationsVersion,
      spec: await specVersion(),
      free: (await api.query.system.account(keys.dave.address)).data.free.toBigInt(),
    };
  });

  it('passes try-runtime: this runtime\'s migrations and checks over the live state', () => {
    const out = execFileSync(path.join(REPO_ROOT, 'scripts/try-runtime.sh'), ['--uri', nodes[1].httpUrl], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    assert.match(out, /upgrade passed/);
    assert.match(out, /the migrations are idempotent/);
  });

  it('upgrades through a council motion and keeps finalizing on every node', async () => {
    const from = await specVersion();
    const setCode = api.tx.consortium.dispatchAsRoot(api.tx.system.setCode(newCode));
    // The motion's outcome is the runtime version the chain reports after it.
    const { closedIn } = await councilMotion(api, setCode, [keys.alice, keys.bob, keys.charlie], { readOutcome: false });
    await waitFor('the new runtime', async () => (await specVersion()) === thisSpec(), { timeoutMs: MIN });
    // A client connected across the upgrade decodes wrongly wherever the new metadata numbers
    // its types differently (polkadot.js reloads the metadata, but storage entries decorated
    // before keep their old type ids): from here on, a fresh connection.
    if (unsubFinalized) unsubFinalized();
    await api.disconnect();
    api = await connect(nodes[0].rpcUrl);
    unsubFinalized = await api.rpc.chain.subscribeFinalizedHeads((h) => {
      finalized.set(h.number.toNumber(), h.hash.toHex());
    });
    // The closing block set the code; the block after it ran the new runtime's upgrade.
    assert.equal((await api.rpc.state.getRuntimeVersion(closedIn)).specVersion.toNumber(), thisSpec(), 'the closing block set the new code');
    // Read at that next block, once it is finalized: the best block may still be the closing one
    // (a CI run read 105 there, the upgrade not yet run).
    const closedAt = (await api.rpc.chain.getHeader(closedIn)).number.toNumber();
    await waitFor(`block ${closedAt + 1} finalized`, async () => (await finalizedNumber(api)) > closedAt, { timeoutMs: MIN });
    const next = await api.at(await api.rpc.chain.getBlockHash(closedAt + 1));
    const upgrade = await next.query.system.lastRuntimeUpgrade();
    assert.equal(upgrade.unwrap().specVersion.toNumber(), thisSpec(), 'the new runtime ran its upgrade');
    assert.ok(thisSpec() > from);
    const upgradedAt = await finalizedNumber(api);
    // Every node imports and finalizes past the upgrade, on the same chain.
    for (const n of nodes) {
      const other = await connect(n.rpcUrl);
      try {
        await waitFor(`${n.name} finalizes 3 blocks past the upgrade`, async () => (await finalizedNumber(other)) >= upgradedAt + 3, { timeoutMs: 2 * MIN });
        const hash = (await other.rpc.chain.getBlockHash(upgradedAt + 2)).toHex();
        await waitFor(`alice saw block ${upgradedAt + 2} finalized`, async () => finalized.has(upgradedAt + 2), { timeoutMs: MIN });
        assert.equal(hash, finalized.get(upgradedAt + 2), `${n.name} finalized another chain`);
        assert.equal((await other.rpc.state.getRuntimeVersion()).specVersion.toNumber(), thisSpec());
      } finally {
        await other.disconnect();
      }
    }
    const log = fs.readFileSync(nodes[0].logPath, 'utf8');
    if (before0.groupsVersion === 0) {
      assert.match(log, /indexed the member gateways of 1 groups/, 'the migration ran on chain');
    } else {
      assert.doesNotMatch(log, /indexed the member gateways/, 'nothing was left to migrate');
    }
  });

  it('reads what was written before the upgrade, migrated', async () => {
    const { made, group, free, anchorId, anchorBytes, device, offerId, obligationId, obligationsVersion, spec } = before0;
    // The anchor made before: the same bytes in storage, read by this runtime's types (the header
    // a struct of its own since spec 107, with the same encoding).
    assert.equal((await api.rpc.state.getStorage(api.query.anchoring.anchors.key(anchorId))).toHex(), anchorBytes);
    const anchor = (await api.call.anchoringApi.anchor(anchorId)).unwrap();
    assert.equal(anchor.gateway.toString(), keys.dave.address);
    assert.deepEqual(anchor.header.toJSON(), {
      batch: 7, root: `0x${'5a'.repeat(32)}`, readingCount: 2, fromMs: 1_700_000_000_000, toMs: 1_700_000_060_000,
    });
    assert.deepEqual(anchor.ranges.toJSON(), [{ device, first: 0, last: 1, summaries: [{ id: 1, min: -18_200, max: -18_050 }] }]);
    // Since spec 110 anchors hold a deposit from their submitter and expire after the retention
    // (a week by default): one made before holds none, and is kept as long.
    const deposit = await api.query.anchoring.deposits(anchorId);
    if (spec < 110) {
      assert.ok(deposit.isNone, 'an anchor made before deposits holds none');
    } else {
      assert.equal(deposit.unwrap()[0].toString(), keys.dave.address, 'the anchor\'s deposit is still held from its submitter');
    }
    assert.equal((await api.query.anchoring.retention()).toNumber(), 7 * 24 * 1800);
    // Spec 111 added private channels: the pallet starts empty, at storage version 0.
    assert.equal((await api.query.channels.nextChannelId()).toNumber(), 0);
    assert.equal((await api.query.channels.palletVersion()).toNumber(), 0);
    assert.equal((await api.query.groups.palletVersion()).toNumber(), 2, 'groups storage is at version 2');
    // The SLA offer and obligation, migrated from obligations storage version 1 (if the previous
    // runtime wrote that) with their terms kept: no silence rule a term can reach, no bond.
    assert.equal((await api.query.obligations.palletVersion()).toNumber(), 2, `obligations storage from version ${obligationsVersion}`);
    const offer = (await api.call.obligationsApi.offer(offerId)).unwrap();
    assert.deepEqual(offer.sla.unwrap().bounds.toJSON(), { metric: 1, min: null, max: -15_000 });
    assert.deepEqual(offer.consumers.toJSON(), []);
    const obligation = (await api.call.obligationsApi.obligation(obligationId)).unwrap();
    assert.equal(obligation.sla.unwrap().bounds.max.unwrap().toNumber(), -15_000);
    assert.equal(obligation.amount.toBigInt(), 5n * UNIT);
    assert.equal(obligation.status.toString(), 'Pending');
    // No bond for one made before spec 109; 10 % of its amount since.
    assert.equal(obligation.bond.toBigInt(), obligationsVersion < 2 ? 0n : UNIT / 2n);
    if (obligationsVersion < 2) {
      assert.equal(obligation.silentUntil.toNumber(), obligation.due.toNumber(), 'silence is judged from the due block on');
    }
    await signAndFinalize(api, api.tx.obligations.pay(obligationId, 5n * UNIT), keys.bob);
    // The same group; since groupsApi 3 (spec 109) each member also shows the transcript it
    // confirmed a pending key from (none here).
    const withTranscripts = { ...group, members: group.members.map((m) => ({ transcript: null, ...m })) };
    assert.deepEqual((await api.call.groupsApi.group(made.group)).unwrap().toJSON(), withTranscripts);
    for (const g of made.gateways) {
      assert.deepEqual((await api.call.groupsApi.groupsOf(g.address)).toJSON(), [made.group], 'the index lists the group');
      assert.deepEqual((await api.query.groups.groupsOf.keys(g.address)).length, 1);
    }
    assert.equal((await api.query.system.account(keys.dave.address)).data.free.toBigInt(), free);
    // The new runtime keeps the index as groups change: a second group, of bob's and dave's.
    const second = await makeGatewayGroup(api, keys, ['bob', 'dave'], 2);
    assert.deepEqual((await api.call.groupsApi.groupsOf(second.gateways[0].address)).toJSON(), [made.group, second.group]);
    const { events } = await signAndFinalize(api, api.tx.balances.transferKeepAlive(keys.dave.address, UNIT), keys.alice);
    assert.ok(events.some((r) => api.events.balances.Transfer.is(r.event)), 'a transfer after the upgrade');
  });
});
