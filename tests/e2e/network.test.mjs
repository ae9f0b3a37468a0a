// The 4-validator local network, end to end: the real iotrust-node binary, four processes on
// loopback, driven over JSON-RPC with @polkadot/api (no custom types or RPC definitions).
//
// The cases share one network and run in order: production and finality, a transfer, a fifth
// validator voted in and out, node authorization, and validators failing and coming back. A
// finality tracker watches the whole run: no finalized block may ever be reverted.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hexToU8a, u8aToHex } from '@polkadot/util';
import { base58Decode, decodeAddress } from '@polkadot/util-crypto';
import {
  bootnode, GENESIS_VALIDATORS, LOCAL_NODES, rpc, startLocalNetwork, startNode, stopNode, waitForRpc,
} from '../../scripts/lib/network.mjs';
import {
  authorOf, bestNumber, connect, councilMotion, finalizedNumber, keyring, logTail, NODE_BIN, PORT_OFFSET,
  signAndFinalize, sleep, tempState, UNIT, waitFor,
} from './helpers.mjs';

const MIN = 60000;

describe('local network of four validators', { timeout: 30 * MIN }, () => {
  const state = tempState('net');
  let nodes = [];
  const extra = {};
  let api;
  let keys;
  const finalized = new Map(); // number -> hash, as alice's node announced them
  let lastFinalizedSeen = 0;
  let unsubFinalized;
  const apis = [];

  const node = (name) => nodes.find((n) => n.name === name) ?? extra[name];
  const otherBootnodes = (name) => GENESIS_VALIDATORS.filter((n) => n !== name).map((n) => bootnode(n, PORT_OFFSET));

  before(async () => {
    keys = await keyring();
    nodes = await startLocalNetwork({ bin: NODE_BIN, state, offset: PORT_OFFSET });
    api = await connect(node('alice').rpcUrl);
    apis.push(api);
    unsubFinalized = await api.rpc.chain.subscribeFinalizedHeads((h) => {
      const n = h.number.toNumber();
      assert.ok(n >= lastFinalizedSeen, `finalized head went back from ${lastFinalizedSeen} to ${n}`);
      lastFinalizedSeen = n;
      finalized.set(n, h.hash.toHex());
    });
  });

  after(async () => {
    if (unsubFinalized) unsubFinalized();
    await Promise.all(apis.map((a) => a.disconnect().catch(() => {})));
    const all = [...nodes, ...Object.values(extra)];
    await Promise.all(all.map((n) => stopNode(n)));
    if (process.exitCode || process.env.IOTRUST_E2E_LOGS) {
      for (const n of all) console.log(`--- ${n.name} (${n.logPath})\n${logTail(n.logPath)}`);
    }
  });

  it('produces blocks and finalizes them; idle, finality lags best by at most 3', async () => {
    await waitFor('block 6 finalized', async () => (await finalizedNumber(api)) >= 6, { timeoutMs: 3 * MIN });
    const lags = [];
    for (let i = 0; i < 6; i += 1) {
      const [best, fin] = [await bestNumber(api), await finalizedNumber(api)];
      lags.push(best - fin);
      await sleep(1500);
    }
    assert.ok(Math.max(...lags) <= 3, `finality lag samples ${lags.join(', ')} exceed 3`);
    const health = await api.rpc.system.health();
    assert.equal(health.peers.toNumber(), 3, 'alice is connected to the other three validators');
  });

  it('serves chain properties and a signed transfer to @polkadot/api, finalized', async () => {
    const props = await api.rpc.system.properties();
    assert.equal(props.ss58Format.unwrap().toNumber(), 42);
    assert.equal(props.tokenDecimals.unwrap()[0].toNumber(), 12);
    assert.equal(props.tokenSymbol.unwrap()[0].toString(), 'IOTR');
    assert.equal(api.registry.chainSS58, 42);
    assert.equal(api.consts.system.ss58Prefix.toNumber(), 42);

    const amount = 5n * UNIT;
    const before = (await api.query.system.account(keys.bob.address)).data.free.toBigInt();
    const { events, blockHash } = await signAndFinalize(api, api.tx.balances.transferKeepAlive(keys.bob.address, amount), keys.alice);
    const transfer = events.map((r) => r.event).find((e) => api.events.balances.Transfer.is(e));
    assert.ok(transfer, 'a Transfer event');
    assert.equal(transfer.data.from.toString(), keys.alice.address);
    assert.equal(transfer.data.to.toString(), keys.bob.address);
    assert.equal(transfer.data.amount.toBigInt(), amount);
    const after = (await (await api.at(blockHash)).query.system.account(keys.bob.address)).data.free.toBigInt();
    assert.equal(after - before, amount);
  });

  it('a council motion adds eve as a fifth validator, who authors blocks; another removes her', async () => {
    const eveNode = startNode({
      bin: NODE_BIN, state, name: 'eve', offset: PORT_OFFSET, insertKeys: false,
      bootnodes: otherBootnodes('eve'),
    });
    extra.eve = eveNode;
    await waitForRpc(eveNode);
    const eveApi = await connect(eveNode.rpcUrl);
    apis.push(eveApi);

    // Eve's node makes her session keys and proves she owns them; she registers them.
    const generated = await rpc(eveNode.httpUrl, 'author_rotateKeysWithOwner', [u8aToHex(decodeAddress(keys.eve.address))]);
    assert.ok(generated.keys && generated.proof, 'rotateKeysWithOwner returns keys and a proof');
    await signAndFinalize(api, api.tx.session.setKeys(generated.keys, generated.proof), keys.eve);
    const eveAura = u8aToHex(hexToU8a(generated.keys).slice(0, 32));

    // The council authorizes her node and makes her a validator, in one motion.
    const peer = u8aToHex(base58Decode(LOCAL_NODES.eve.peerId));
    const call = api.tx.utility.batchAll([
      api.tx.consortium.addNode(peer, keys.eve.address),
      api.tx.consortium.addValidator(keys.eve.address),
    ]);
    const result = await councilMotion(api, call, [keys.alice, keys.bob, keys.charlie]);
    assert.deepEqual(result, { ok: true });
    assert.ok((await api.query.consortium.validators()).map(String).includes(keys.eve.address));

    // Two session boundaries later she is an authority, and then she authors.
    await waitFor('eve in the active validator set', async () => (await api.query.session.validators()).map(String).includes(keys.eve.address), { timeoutMs: 3 * MIN });
    assert.equal((await api.query.aura.authorities()).length, 5);
    const from = await bestNumber(api);
    await waitFor('a block authored by eve', async () => {
      const to = await bestNumber(api);
      for (let n = from; n <= to; n += 1) {
        if ((await authorOf(api, n)) === eveAura) return true;
      }
      return false;
    }, { timeoutMs: 2 * MIN, intervalMs: 2000 });

    // Voted out again: two session boundaries later she is no authority.
    const removed = await councilMotion(api, api.tx.consortium.removeValidator(keys.eve.address), [keys.alice, keys.bob, keys.charlie]);
    assert.deepEqual(removed, { ok: true });
    await waitFor('eve out of the active validator set', async () => !(await api.query.session.validators()).map(String).includes(keys.eve.address), { timeoutMs: 3 * MIN });
    assert.equal((await api.query.aura.authorities()).length, 4);
    await eveApi.disconnect();
    await stopNode(eveNode);
  });

  it('a node whose peer id is not authorized cannot sync; a council motion lets it in', async () => {
    const ferdie = startNode({
      bin: NODE_BIN, state, name: 'ferdie', offset: PORT_OFFSET, validator: false,
      bootnodes: otherBootnodes('ferdie'),
    });
    extra.ferdie = ferdie;
    await waitForRpc(ferdie);
    const ferdieApi = await connect(ferdie.rpcUrl);
    apis.push(ferdieApi);

    const start = await bestNumber(api);
    await sleep(20000);
    assert.ok((await bestNumber(api)) >= start + 5, 'the network kept producing blocks');
    assert.equal(await bestNumber(ferdieApi), 0, 'the unauthorized node stays at genesis');

    const peer = u8aToHex(base58Decode(LOCAL_NODES.ferdie.peerId));
    // The attack: ferdie's owner, or one member alone, authorizes the node without a motion.
    // No call lets an account claim a peer id or add connections; the council's call refuses
    // any signed account and a motion short of two thirds.
    assert.equal(api.tx.nodeAuthorization, undefined, 'no peering calls open to accounts');
    const authorized = async () => [...(await api.query.consortium.nodes()).keys()].map((k) => k.toHex());
    const before = await authorized();
    assert.deepEqual(
      Object.keys(api.tx.consortium).filter((c) => /node/i.test(c)).sort(),
      ['addNode', 'removeNode'],
    );
    await assert.rejects(signAndFinalize(api, api.tx.consortium.addNode(peer, keys.ferdie.address), keys.ferdie), /BadOrigin/);
    await assert.rejects(signAndFinalize(api, api.tx.consortium.addNode(peer, keys.alice.address), keys.alice), /BadOrigin/);
    const { events } = await signAndFinalize(
      api, api.tx.council.propose(1, api.tx.consortium.addNode(peer, keys.alice.address), 200), keys.alice,
    );
    const alone = events.map((r) => r.event).find((e) => api.events.council.Executed.is(e));
    assert.ok(alone && alone.data.result.isErr, 'a one-member motion executes with an origin the call refuses');
    assert.deepEqual(await authorized(), before, 'the authorized set is unchanged');
    assert.ok(!before.includes(peer), 'ferdie is not authorized');

    const result = await councilMotion(api, api.tx.consortium.addNode(peer, keys.ferdie.address), [keys.alice, keys.bob, keys.charlie]);
    assert.deepEqual(result, { ok: true });
    const target = await finalizedNumber(api);
    await waitFor(`ferdie synced to block ${target}`, async () => (await bestNumber(ferdieApi)) >= target, { timeoutMs: 3 * MIN, intervalMs: 2000 });
    await ferdieApi.disconnect();
    await stopNode(ferdie);
  });

  it('keeps producing and finalizing with one validator down; finality stalls with two down and recovers', async () => {
    // One down (dave): 3 of 4 > 2/3, so GRANDPA still finalizes.
    await stopNode(node('dave'));
    let best0 = await bestNumber(api);
    let fin0 = await finalizedNumber(api);
    await sleep(20000);
    assert.ok((await bestNumber(api)) >= best0 + 5, 'blocks continue with one validator down');
    assert.ok((await finalizedNumber(api)) >= fin0 + 3, 'finality continues with one validator down');

    // Two down (dave, charlie): 2 of 4 cannot finalize; Aura still fills half the slots.
    await stopNode(node('charlie'));
    await sleep(8000); // let rounds already under way conclude
    best0 = await bestNumber(api);
    fin0 = await finalizedNumber(api);
    await sleep(20000);
    assert.ok((await bestNumber(api)) >= best0 + 3, 'blocks continue with two validators down');
    assert.equal(await finalizedNumber(api), fin0, 'finality stalls with two validators down');

    // Both back: finality resumes and catches up with the best block.
    const restarted = ['charlie', 'dave'].map((name) => startNode({ bin: NODE_BIN, state, name, offset: PORT_OFFSET, bootnodes: otherBootnodes(name) }));
    nodes = nodes.filter((n) => !['charlie', 'dave'].includes(n.name)).concat(restarted);
    await Promise.all(restarted.map((n) => waitForRpc(n)));
    const bestAtRestart = await bestNumber(api);
    await waitFor(`finality past block ${bestAtRestart}`, async () => (await finalizedNumber(api)) >= bestAtRestart, { timeoutMs: 3 * MIN, intervalMs: 2000 });
  });

  it('never reverted a finalized block, on any validator', async () => {
    assert.ok(finalized.size > 10, 'the tracker saw finalized blocks');
    for (const n of nodes) {
      const a = await connect(n.rpcUrl);
      apis.push(a);
      const fin = await finalizedNumber(a);
      for (const [number, hash] of finalized) {
        if (number > fin) continue;
        assert.equal((await a.rpc.chain.getBlockHash(number)).toHex(), hash, `${n.name} agrees on finalized block ${number}`);
      }
    }
  });
});
