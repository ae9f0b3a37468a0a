// Talking to an iotrust chain with @polkadot/api the way a user's client does (no custom types
// or RPC definitions): connecting, the development accounts, signing and waiting for finality,
// council motions, gateway groups, and bounded waiting. Used by the end-to-end tests
// (tests/e2e/helpers.mjs re-exports it) and the benchmarks; its npm packages are the repository
// root's package.json (`npm ci` at the root).

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { cryptoWaitReady } from '@polkadot/util-crypto';

/** One IOTR in its smallest units (12 decimals). */
export const UNIT = 10n ** 12n;

export async function keyring() {
  await cryptoWaitReady();
  const k = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const pair = (name) => k.addFromUri(`//${name[0].toUpperCase()}${name.slice(1)}`);
  return { alice: pair('alice'), bob: pair('bob'), charlie: pair('charlie'), dave: pair('dave'), eve: pair('eve'), ferdie: pair('ferdie') };
}

/** Connect as polkadot.js apps does: metadata from the chain, nothing else. */
export async function connect(url) {
  return ApiPromise.create({ provider: new WsProvider(url, 1000), noInitWarn: true, throwOnConnect: true });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll `check` until it returns a truthy value; throw with `what` after `timeoutMs`. */
export async function waitFor(what, check, { timeoutMs = 60000, intervalMs = 1000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${last.message}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

export async function bestNumber(api) {
  return (await api.rpc.chain.getHeader()).number.toNumber();
}

export async function finalizedNumber(api) {
  const hash = await api.rpc.chain.getFinalizedHead();
  return (await api.rpc.chain.getHeader(hash)).number.toNumber();
}

/** The Aura key that authored block `number`: the slot's owner among its parent's authorities. */
export async function authorOf(api, number) {
  const hash = await api.rpc.chain.getBlockHash(number);
  const header = await api.rpc.chain.getHeader(hash);
  const pre = header.digest.logs.find((l) => l.isPreRuntime && l.asPreRuntime[0].toString() === 'aura');
  if (!pre) return null;
  const slot = api.createType('u64', pre.asPreRuntime[1]).toBigInt();
  const authorities = await (await api.at(header.parentHash)).query.aura.authorities();
  return authorities[Number(slot % BigInt(authorities.length))].toHex();
}

/** Explain a dispatch error the way a wallet does: `pallet.Error`. */
export function describeDispatchError(api, err) {
  if (err.isModule) {
    const { section, name } = api.registry.findMetaError(err.asModule);
    return `${section}.${name}`;
  }
  return err.toString();
}

/**
 * Sign and submit `tx` with `signer`; resolve with the events once its block is finalized.
 * Rejects if the transaction is invalid or its call fails.
 */
export function signAndFinalize(api, tx, signer, { timeoutMs = 90000 } = {}) {
  return new Promise((resolve, reject) => {
    let unsub = () => {};
    const timer = setTimeout(() => { unsub(); reject(new Error(`${tx.method.section}.${tx.method.method}: not finalized within ${timeoutMs} ms`)); }, timeoutMs);
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        clearTimeout(timer); unsub();
        reject(new Error(`${tx.method.section}.${tx.method.method} failed: ${describeDispatchError(api, dispatchError)}`));
      } else if (status.isFinalized) {
        clearTimeout(timer); unsub();
        resolve({ events, blockHash: status.asFinalized });
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        clearTimeout(timer); unsub();
        reject(new Error(`${tx.method.section}.${tx.method.method}: ${status.type}`));
      }
    }).then((u) => { unsub = u; }, (e) => { clearTimeout(timer); reject(e); });
  });
}

/**
 * Carry `call` through the council: `voters[0]` proposes it with a two-thirds threshold, every
 * voter votes aye, and it is closed. Resolves with the executed call's result
 * (`{ ok: true }` or `{ ok: false, error: 'pallet.Error' }`), or with `{ closedIn: blockHash }`
 * when `readOutcome` is false (a runtime upgrade: the closing block's events were emitted by the
 * old runtime and polkadot.js decodes them with the new one's types, so the caller checks the
 * outcome on chain instead).
 */
export async function councilMotion(api, call, voters, { readOutcome = true } = {}) {
  const members = await api.query.council.members();
  const threshold = Math.ceil((members.length * 2) / 3);
  const length = call.method.encodedLength;
  const [proposer] = voters;
  const { events } = await signAndFinalize(api, api.tx.council.propose(threshold, call, length), proposer);
  const executed = (evs) => evs.map((r) => r.event).find((e) => api.events.council.Executed.is(e));
  const outcome = (e) => (e.data.result.isOk
    ? { ok: true }
    : { ok: false, error: describeDispatchError(api, e.data.result.asErr) });
  if (threshold < 2) return outcome(executed(events));

  const proposed = events.map((r) => r.event).find((e) => api.events.council.Proposed.is(e));
  const { proposalIndex, proposalHash } = proposed.data;
  await Promise.all(voters.map((v) => signAndFinalize(api, api.tx.council.vote(proposalHash, proposalIndex, true), v)));
  const { weight } = await api.tx(call).paymentInfo(proposer);
  const closed = await signAndFinalize(api, api.tx.council.close(proposalHash, proposalIndex, weight, length), proposer);
  if (!readOutcome) return { closedIn: closed.blockHash.toHex() };
  const e = executed(closed.events);
  if (!e) throw new Error('the motion was closed but did not execute');
  return outcome(e);
}

/**
 * A gateway group of `members` (names of the local network's members, each running a gateway
 * that signs as `//<Member>//gateway`) with threshold `threshold`, made by a council motion.
 * Each gateway account gets 100 UNIT of fees from its member and the group's account 10 UNIT for
 * its deposits. Resolves with the group's id, its account and the gateways' key pairs.
 */
export async function makeGatewayGroup(api, keys, members, threshold) {
  const k = new Keyring({ type: 'sr25519', ss58Format: 42 });
  const uri = (m) => `//${m[0].toUpperCase()}${m.slice(1)}//gateway`;
  const gateways = members.map((m) => k.addFromUri(uri(m)));
  await Promise.all(members.map((m, i) => signAndFinalize(api, api.tx.balances.transferKeepAlive(gateways[i].address, 100n * UNIT), keys[m])));
  const group = (await api.query.groups.nextGroupId()).toNumber();
  const membership = members.map((m, i) => ({ gateway: gateways[i].address, member: keys[m].address }));
  const outcome = await councilMotion(api, api.tx.groups.createGroup(membership, threshold), [keys.alice, keys.bob, keys.charlie]);
  if (!outcome.ok) throw new Error(`groups.createGroup: ${outcome.error}`);
  const account = (await api.call.groupsApi.group(group)).unwrap().account.toString();
  await signAndFinalize(api, api.tx.balances.transferKeepAlive(account, 10n * UNIT), keys.alice);
  return { group, account, gateways, uris: members.map(uri) };
}
