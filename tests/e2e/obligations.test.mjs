// The obligation chain's seed scenario end to end, on the 4-validator local network through
// @polkadot/api: Charlie's device asks Bob's charging station for service; Dave, the device's
// gateway, records the obligation with the device's signature; Bob reads his stream; Charlie
// pays and his reputation rises. Eve defaults (the idle sweep marks it) and is refused new credit.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import {
  councilMotion, NODE_BIN, signAndFinalize, UNIT, useLocalNetwork, waitFor,
} from './helpers.mjs';

const OFFSET = Number(process.env.IOTRUST_TEST_PORT_OFFSET ?? 200) + 100;

describe('obligations and reputation', { timeout: 10 * 60000 }, () => {
  const net = useLocalNetwork('obligations', OFFSET);
  let api;
  let keys;
  let genesis;
  before(() => { ({ api, keys, genesis } = net); });

  const events = (evs, method) => evs.map((r) => r.event).filter((e) => api.events.obligations[method].is(e));

  it('the council shortens the grace period so a default shows within the test', async () => {
    const outcome = await councilMotion(api, api.tx.obligations.setGracePeriod(1),
      [keys.alice, keys.bob, keys.charlie]);
    assert.deepEqual(outcome, { ok: true });
    assert.equal((await api.query.obligations.gracePeriod()).toNumber(), 1);
  });

  let device;
  let obligationId;
  const amount = 40n * UNIT;

  it('records an obligation a consumer\'s device signed, submitted by its gateway', async () => {
    // Charlie's EV charger plug-in module, bound to Dave's gateway.
    const secret = `0x${crypto.randomBytes(32).toString('hex')}`;
    const registration = JSON.parse(execFileSync(NODE_BIN, ['device', 'sign-registration', '--scheme', 'ed25519',
      '--secret', secret, '--owner', keys.charlie.address, '--genesis', genesis], { encoding: 'utf8' }));
    const metadata = { model: 'EV plug', serialHash: `0x${'cd'.repeat(32)}`, uri: '' };
    await signAndFinalize(api, api.tx.devices.register(registration.publicKey, metadata, registration.signature), keys.charlie);
    device = registration.deviceId;
    await signAndFinalize(api, api.tx.devices.serveOwner(keys.charlie.address), keys.dave);
    await signAndFinalize(api, api.tx.devices.bindGateway(device, keys.dave.address), keys.charlie);

    // The device asks Bob's charging station for a session: it signs the documented payload
    // (b"iotrust/obligation/create/v1", genesis, device, nonce, terms).
    const termsType = api.tx.obligations.createForDevice.meta.args[1].type.toString();
    const terms = api.createType(termsType, {
      provider: keys.bob.address,
      amount,
      serviceHash: `0x${'5e'.repeat(32)}`,
      note: 'charging session 42',
      dueIn: 200,
      providerDevice: null,
      sla: null,
    });
    const nonce = (await api.query.obligations.deviceNonce(device)).toNumber();
    const payload = u8aConcat(
      api.createType('(Bytes, H256, H256, u32)', ['iotrust/obligation/create/v1', genesis, device, nonce]).toU8a(),
      terms.toU8a(),
    );
    const { signature } = JSON.parse(execFileSync(NODE_BIN, ['device', 'sign', '--scheme', 'ed25519',
      '--secret', secret, '--payload', u8aToHex(payload)], { encoding: 'utf8' }));

    // Another account cannot submit it: only the device's gateway.
    await assert.rejects(
      signAndFinalize(api, api.tx.obligations.createForDevice(device, terms, signature), keys.eve),
      /obligations\.NotDeviceGateway/,
    );
    const result = await signAndFinalize(api, api.tx.obligations.createForDevice(device, terms, signature), keys.dave);
    const [created] = events(result.events, 'Created');
    assert.ok(created, 'a Created event');
    assert.equal(created.data.consumer.toString(), keys.charlie.address);
    assert.equal(created.data.provider.toString(), keys.bob.address);
    obligationId = created.data.id.toNumber();
    // The same signed request cannot be replayed.
    await assert.rejects(
      signAndFinalize(api, api.tx.obligations.createForDevice(device, terms, signature), keys.dave),
      /obligations\.BadDeviceSignature/,
    );
  });

  it('the provider reads its stream, and the consumer what it owes', async () => {
    const page = await api.call.obligationsApi.providerStream(keys.bob.address, null, null, 10);
    assert.equal(page.items.length, 1);
    const [id, o] = page.items[0];
    assert.equal(id.toNumber(), obligationId);
    assert.equal(o.status.toString(), 'Pending');
    assert.equal(o.amount.toBigInt(), amount);
    assert.equal(o.consumerDevice.unwrap().toHex(), device);
    assert.ok(page.next.isNone);
    const pending = await api.call.obligationsApi.consumerStream(keys.charlie.address, 'Pending', null, 10);
    assert.equal(pending.items.length, 1);
    assert.equal((await api.call.obligationsApi.outstanding(keys.charlie.address)).toBigInt(), amount);
    assert.equal((await api.call.obligationsApi.remainingCredit(keys.charlie.address)).toBigInt(), 100n * UNIT - amount);
  });

  it('the consumer pays in two parts; the obligation is fulfilled and its reputation rises', async () => {
    const bobBefore = (await api.query.system.account(keys.bob.address)).data.free.toBigInt();
    let r = await signAndFinalize(api, api.tx.obligations.pay(obligationId, 15n * UNIT), keys.charlie);
    assert.equal(events(r.events, 'Paid')[0].data.remaining.toBigInt(), amount - 15n * UNIT);
    r = await signAndFinalize(api, api.tx.obligations.pay(obligationId, amount - 15n * UNIT), keys.charlie);
    const [fulfilled] = events(r.events, 'Fulfilled');
    assert.ok(fulfilled.data.onTime.isTrue);
    const bobAfter = (await api.query.system.account(keys.bob.address)).data.free.toBigInt();
    assert.equal(bobAfter - bobBefore, amount, 'the provider received the full amount');

    const o = (await api.call.obligationsApi.obligation(obligationId)).unwrap();
    assert.equal(o.status.toString(), 'Fulfilled');
    assert.ok((await api.call.reputationApi.score(keys.charlie.address)).toNumber() > 500);
    assert.ok((await api.call.reputationApi.creditLimit(keys.charlie.address)).toBigInt() > 100n * UNIT);
    const record = (await api.call.reputationApi.record(keys.charlie.address)).unwrap();
    assert.equal(record.onTime[0].toNumber(), 1);
  });

  it('a consumer who does not pay is defaulted by the idle sweep and refused new credit', async () => {
    const terms = (value, dueIn) => ({
      provider: keys.bob.address, amount: value, serviceHash: `0x${'01'.repeat(32)}`, note: 'parking',
      dueIn, providerDevice: null, sla: null,
    });
    // Eve may owe exactly her credit limit, and not one planck more.
    await assert.rejects(
      signAndFinalize(api, api.tx.obligations.create(terms(100n * UNIT + 1n, 2), null), keys.eve),
      /obligations\.CreditLimitExceeded/,
    );
    const r = await signAndFinalize(api, api.tx.obligations.create(terms(100n * UNIT, 2), null), keys.eve);
    const id = events(r.events, 'Created')[0].data.id.toNumber();

    // Due 2 blocks later, grace 1 block: the next idle sweep after that marks it defaulted.
    await waitFor('the sweep to default Eve\'s obligation', async () =>
      (await api.call.obligationsApi.obligation(id)).unwrap().status.toString() === 'Defaulted', { timeoutMs: 60000 });
    const record = (await api.call.reputationApi.record(keys.eve.address)).unwrap();
    assert.equal(record.defaulted[0].toNumber(), 1);
    assert.ok((await api.call.reputationApi.score(keys.eve.address)).toNumber() < 500);
    const credit = (await api.call.obligationsApi.remainingCredit(keys.eve.address)).toBigInt();
    assert.ok(credit < 100n * UNIT, `a defaulter's credit shrinks (now ${credit})`);
    await assert.rejects(
      signAndFinalize(api, api.tx.obligations.create(terms(credit + 1n, 100), null), keys.eve),
      /obligations\.CreditLimitExceeded/,
    );
    // Bob sees both in his stream; filtered by status, only the default.
    const defaulted = await api.call.obligationsApi.providerStream(keys.bob.address, 'Defaulted', null, 10);
    assert.deepEqual(defaulted.items.map(([i]) => i.toNumber()), [id]);
  });
});
