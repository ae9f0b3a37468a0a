// The obligation chain's seed scenario end to end, on the 4-validator local network through
// @polkadot/api: Bob publishes a standing offer for charging sessions; Charlie's device asks for
// one under it; Dave, the device's gateway, submits the request with the device's signature and it
// is accepted at once; Bob reads his stream; Charlie pays, burns the credit fee, and his
// reputation rises. Eve defaults (the idle sweep marks it) and is refused new credit. Then the
// attacks of old, tried again: credit farmed with a colluding account, an SLA defeated by the
// consumer's own gateway, a provider locked by unsolicited obligations. Closed obligations are
// archived after the council's retention period and their deposits released.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import { before, describe, it } from 'node:test';
import { Keyring } from '@polkadot/keyring';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import {
  councilMotion, NODE_BIN, signAndFinalize, UNIT, useLocalNetwork, waitFor,
} from './helpers.mjs';

const OFFSET = Number(process.env.IOTRUST_TEST_PORT_OFFSET ?? 200) + 100;
const TEMP = 1;

describe('obligations and reputation', { timeout: 12 * 60000 }, () => {
  const net = useLocalNetwork('obligations', OFFSET);
  let api;
  let keys;
  let genesis;
  before(() => { ({ api, keys, genesis } = net); });

  const found = (evs, section, method) => evs.map((r) => r.event).filter((e) => api.events[section][method].is(e));
  const events = (evs, method) => found(evs, 'obligations', method);

  /** A fresh ed25519 device registered for `owner`: its id and secret. */
  async function registerDevice(owner, model) {
    const secret = `0x${crypto.randomBytes(32).toString('hex')}`;
    const registration = JSON.parse(execFileSync(NODE_BIN, ['device', 'sign-registration', '--scheme', 'ed25519',
      '--secret', secret, '--owner', owner.address, '--genesis', genesis], { encoding: 'utf8' }));
    const metadata = { model, serialHash: `0x${crypto.randomBytes(32).toString('hex')}`, uri: '' };
    await signAndFinalize(api, api.tx.devices.register(registration.publicKey, metadata, registration.signature), owner);
    return { id: registration.deviceId, secret };
  }

  /** `provider` publishes an offer; resolves with its id. */
  async function publish(provider, terms) {
    const offer = {
      serviceHash: `0x${'5e'.repeat(32)}`, minAmount: UNIT, maxAmount: 100n * UNIT, dueIn: 200,
      minScore: 0, device: null, sla: null, consumers: [], ...terms,
    };
    const { events: evs } = await signAndFinalize(api, api.tx.obligations.publishOffer(offer), provider);
    return events(evs, 'OfferPublished')[0].data.offer.toNumber();
  }

  const request = (offer, amount, note = '') => ({ offer, amount, note });
  const credit = async (who) => (await api.call.reputationApi.creditLimit(who.address)).toBigInt();

  it('the council shortens the grace and retention periods so they pass within the test', async () => {
    const outcome = await councilMotion(api, api.tx.utility.batchAll([
      api.tx.obligations.setGracePeriod(1),
      api.tx.obligations.setRetention(1),
    ]), [keys.alice, keys.bob, keys.charlie]);
    assert.deepEqual(outcome, { ok: true });
    assert.equal((await api.query.obligations.gracePeriod()).toNumber(), 1);
    assert.equal((await api.query.obligations.retention()).toNumber(), 1);
  });

  let device;
  let charging;
  let obligationId;
  const amount = 40n * UNIT;

  it('accepts at once a request that a consumer\'s device signed under a standing offer', async () => {
    // Bob states once what he accepts: charging sessions of 1 to 100 IOTR, due in 200 blocks.
    charging = await publish(keys.bob, {});
    const offers = await api.call.obligationsApi.offersOf(keys.bob.address);
    assert.deepEqual(offers.map(([id]) => id.toNumber()), [charging]);
    assert.equal(offers[0][1].maxAmount.toBigInt(), 100n * UNIT);

    // Charlie's EV plug-in module, bound to Dave's gateway.
    device = await registerDevice(keys.charlie, 'EV plug');
    await signAndFinalize(api, api.tx.devices.serveOwner(keys.charlie.address), keys.dave);
    await signAndFinalize(api, api.tx.devices.bindGateway(device.id, keys.dave.address), keys.charlie);

    // The device asks for a session under Bob's offer: it signs the documented payload
    // (b"iotrust/obligation/create/v2", genesis, device, nonce, validUntil, request), valid for
    // 50 blocks from now.
    const requestType = api.tx.obligations.createForDevice.meta.args[1].type.toString();
    const req = api.createType(requestType, request(charging, amount, 'charging session 42'));
    const nonce = (await api.query.obligations.deviceNonce(device.id)).toNumber();
    assert.equal((await api.call.obligationsApi.deviceNonce(device.id)).toNumber(), nonce, 'the runtime API reads the same nonce');
    const validUntil = (await api.rpc.chain.getHeader()).number.toNumber() + 50;
    const payload = u8aConcat(
      api.createType('(Bytes, H256, H256, u32, u32)', ['iotrust/obligation/create/v2', genesis, device.id, nonce, validUntil]).toU8a(),
      req.toU8a(),
    );
    const { signature } = JSON.parse(execFileSync(NODE_BIN, ['device', 'sign', '--scheme', 'ed25519',
      '--secret', device.secret, '--payload', u8aToHex(payload)], { encoding: 'utf8' }));

    // Asked beforehand, the chain says what the call would do, for each gateway, and changes
    // nothing: the decoded error is the pallet's own.
    const check = async (gateway) => {
      const answer = await api.call.obligationsApi.checkDeviceRequest(gateway, device.id, req, validUntil, signature);
      if (answer.isOk) return 'Ok';
      const { section, name } = api.registry.findMetaError(answer.asErr.asModule);
      return `${section}.${name}`;
    };
    assert.equal(await check(keys.eve.address), 'obligations.NotDeviceGateway');
    assert.equal(await check(keys.dave.address), 'Ok');
    assert.equal((await api.call.obligationsApi.deviceNonce(device.id)).toNumber(), nonce, 'checking used no nonce');
    // Another account cannot submit it: only the device's gateway.
    await assert.rejects(
      signAndFinalize(api, api.tx.obligations.createForDevice(device.id, req, validUntil, signature), keys.eve),
      /obligations\.NotDeviceGateway/,
    );
    const result = await signAndFinalize(api, api.tx.obligations.createForDevice(device.id, req, validUntil, signature), keys.dave);
    const [created] = events(result.events, 'Created');
    assert.ok(created, 'a Created event');
    assert.equal(created.data.consumer.toString(), keys.charlie.address);
    assert.equal(created.data.provider.toString(), keys.bob.address);
    assert.equal(created.data.offer.toNumber(), charging);
    obligationId = created.data.id.toNumber();
    // The same signed request cannot be replayed, as the chain's check says too.
    assert.equal(await check(keys.dave.address), 'obligations.BadDeviceSignature');
    await assert.rejects(
      signAndFinalize(api, api.tx.obligations.createForDevice(device.id, req, validUntil, signature), keys.dave),
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
    assert.equal(o.remaining.toBigInt(), amount);
    assert.equal(o.consumerDevice.unwrap().toHex(), device.id);
    assert.ok(o.deposit.toBigInt() > 0n, 'the consumer holds a deposit for it');
    assert.ok(page.next.isNone);
    const pending = await api.call.obligationsApi.consumerStream(keys.charlie.address, 'Pending', null, 10);
    assert.equal(pending.items.length, 1);
    assert.equal((await api.call.obligationsApi.outstanding(keys.charlie.address)).toBigInt(), amount);
    assert.equal((await api.call.obligationsApi.remainingCredit(keys.charlie.address)).toBigInt(), 100n * UNIT - amount);
  });

  it('the consumer pays in two parts and burns the credit fee; it buys as much credit', async () => {
    const bobBefore = (await api.query.system.account(keys.bob.address)).data.free.toBigInt();
    const issuance = (await api.query.balances.totalIssuance()).toBigInt();
    let r = await signAndFinalize(api, api.tx.obligations.pay(obligationId, 15n * UNIT), keys.charlie);
    const [paid] = events(r.events, 'Paid');
    assert.equal(paid.data.remaining.toBigInt(), amount - 15n * UNIT);
    assert.equal(paid.data.creditFee.toBigInt(), 15n * UNIT * 2n / 100n);
    r = await signAndFinalize(api, api.tx.obligations.pay(obligationId, amount - 15n * UNIT), keys.charlie);
    const [fulfilled] = events(r.events, 'Fulfilled');
    assert.ok(fulfilled.data.onTime.isTrue);
    const bobAfter = (await api.query.system.account(keys.bob.address)).data.free.toBigInt();
    assert.equal(bobAfter - bobBefore, amount, 'the provider received the full amount');
    const fee = amount * 2n / 100n;
    const burned = issuance - (await api.query.balances.totalIssuance()).toBigInt();
    assert.ok(burned >= fee, `at least the credit fee was burned (${burned})`);

    const o = (await api.call.obligationsApi.obligation(obligationId)).unwrap();
    assert.equal(o.status.toString(), 'Fulfilled');
    assert.equal(o.creditFee.toBigInt(), fee);
    assert.ok((await api.call.reputationApi.score(keys.charlie.address)).toNumber() > 500);
    // Credit rose by the fee burned, no more (less the few blocks of decay since).
    const limit = await credit(keys.charlie);
    assert.ok(limit <= 100n * UNIT + fee && limit > 100n * UNIT + fee * 99n / 100n, `credit ${limit}`);
    const record = (await api.call.reputationApi.record(keys.charlie.address)).unwrap();
    assert.equal(record.onTime[0].toNumber(), 1);
    assert.equal(record.counterparties[0][0].toString(), keys.bob.address);
  });

  it('a consumer who does not pay is defaulted by the idle sweep and refused new credit', async () => {
    const shortLoan = await publish(keys.bob, { maxAmount: 200n * UNIT, dueIn: 2 });
    // Eve may owe exactly her credit limit, and not one planck more.
    await assert.rejects(
      signAndFinalize(api, api.tx.obligations.create(request(shortLoan, 100n * UNIT + 1n), null), keys.eve),
      /obligations\.CreditLimitExceeded/,
    );
    const r = await signAndFinalize(api, api.tx.obligations.create(request(shortLoan, 100n * UNIT), null), keys.eve);
    const id = events(r.events, 'Created')[0].data.id.toNumber();

    // Due 2 blocks later, grace 1 block: the next idle sweep after that marks it defaulted.
    await waitFor('the sweep to default Eve\'s obligation', async () =>
      (await api.call.obligationsApi.obligation(id)).unwrap().status.toString() === 'Defaulted', { timeoutMs: 60000 });
    const record = (await api.call.reputationApi.record(keys.eve.address)).unwrap();
    assert.equal(record.defaulted[0].toNumber(), 1);
    assert.ok((await api.call.reputationApi.score(keys.eve.address)).toNumber() < 500);
    const left = (await api.call.obligationsApi.remainingCredit(keys.eve.address)).toBigInt();
    assert.ok(left < 100n * UNIT, `a defaulter's credit shrinks (now ${left})`);
    await assert.rejects(
      signAndFinalize(api, api.tx.obligations.create(request(charging, left + 1n), null), keys.eve),
      /obligations\.(CreditLimitExceeded|AmountOutOfRange)/,
    );
    const defaulted = await api.call.obligationsApi.providerStream(keys.bob.address, 'Defaulted', null, 10);
    assert.deepEqual(defaulted.items.map(([i]) => i.toNumber()), [id]);
  });

  it('the attack: farming credit with a colluding account costs what it buys', async () => {
    // Ferdie colludes with a fresh account of the attacker's: he offers, the farmer takes it up
    // 18 times and pays each at once, all in one batch.
    const farmer = new Keyring({ type: 'sr25519', ss58Format: 42 }).addFromUri('//Farmer');
    await signAndFinalize(api, api.tx.balances.transferKeepAlive(farmer.address, 1_000n * UNIT), keys.alice);
    const colluding = await publish(keys.ferdie, { minAmount: UNIT });
    const before = await credit(farmer);
    assert.equal(before, 100n * UNIT);
    const first = (await api.query.obligations.nextObligationId()).toNumber();
    const calls = [];
    for (let i = 0; i < 18; i += 1) {
      calls.push(api.tx.obligations.create(request(colluding, UNIT), null));
      calls.push(api.tx.obligations.pay(first + i, UNIT));
    }
    // The old attack used 1 planck: no longer an obligation at all.
    await assert.rejects(
      signAndFinalize(api, api.tx.obligations.create(request(colluding, 1), null), farmer),
      /obligations\.AmountOutOfRange/,
    );
    const issuance = (await api.query.balances.totalIssuance()).toBigInt();
    const { events: evs } = await signAndFinalize(api, api.tx.utility.batchAll(calls), farmer);
    assert.equal(events(evs, 'Fulfilled').length, 18);
    const burnedByFees = 18n * UNIT * 2n / 100n;
    const gained = (await credit(farmer)) - before;
    assert.ok(gained <= burnedByFees, `credit gained ${gained} for ${burnedByFees} burned`);
    assert.ok(gained < UNIT, `the credit limit barely moved (+${gained})`);
    assert.ok(issuance - (await api.query.balances.totalIssuance()).toBigInt() >= burnedByFees);
    // One colluder vouches for little: the score stays near a new account's.
    const score = (await api.call.reputationApi.score(farmer.address)).toNumber();
    assert.ok(score <= 600, `score ${score}`);
  });

  let cold;
  it('the attack: a consumer\'s own gateway cannot defeat its SLA', async () => {
    // Bob's reefer sensor, served by a gateway Charlie runs (Bob chose it).
    const sensor = await registerDevice(keys.bob, 'reefer sensor');
    await signAndFinalize(api, api.tx.devices.serveOwner(keys.bob.address), keys.charlie);
    await signAndFinalize(api, api.tx.devices.bindGateway(sensor.id, keys.charlie.address), keys.bob);
    const sla = { bounds: { metric: TEMP, min: null, max: -15_000 }, maxSilence: 1000 };
    cold = await publish(keys.bob, { device: sensor.id, sla, minAmount: 10n * UNIT });
    const r = await signAndFinalize(api, api.tx.obligations.create(request(cold, 20n * UNIT), null), keys.charlie);
    const id = events(r.events, 'Created')[0].data.id.toNumber();
    const o = (await api.call.obligationsApi.obligation(id)).unwrap();
    assert.equal(o.sla.unwrap().bounds.max.unwrap().toNumber(), -15_000, 'the SLA bounds were copied at acceptance');

    // Ten "breach" batches from Charlie's own gateway in one block: none cuts what he owes.
    const anchors = [];
    for (let i = 0; i < 10; i += 1) {
      const range = { device: sensor.id, first: i, last: i, summaries: [{ id: TEMP, min: 0, max: 30_000 }] };
      anchors.push(api.tx.anchoring.anchor(1_000 + i, `0x${crypto.randomBytes(32).toString('hex')}`, 1, 0, 0, [range]));
    }
    const { events: evs } = await signAndFinalize(api, api.tx.utility.batchAll(anchors), keys.charlie);
    assert.equal(found(evs, 'anchoring', 'Anchored').length, 10);
    assert.equal(events(evs, 'PenaltyApplied').length, 0);
    // Neither can the consumer change the terms: the device's rules are its owner's, and the
    // obligation does not read them.
    await assert.rejects(
      signAndFinalize(api, api.tx.anchoring.setRules(sensor.id, [{ metric: TEMP, min: null, max: -40_000 }]), keys.charlie),
      /anchoring\.NotOwner/,
    );
    const after = (await api.call.obligationsApi.obligation(id)).unwrap();
    assert.equal(after.penalty.toBigInt(), 0n);
    assert.equal(after.remaining.toBigInt(), 20n * UNIT);
    assert.equal(after.status.toString(), 'Pending');
    await signAndFinalize(api, api.tx.obligations.pay(id, 20n * UNIT), keys.charlie);
  });

  it('the attack: nobody can lock a provider with unsolicited obligations', async () => {
    // Nothing Bob has not offered can be put on him, and not for less than his price.
    await assert.rejects(
      signAndFinalize(api, api.tx.obligations.create(request(9_999, UNIT), null), keys.eve),
      /obligations\.UnknownOffer/,
    );
    await assert.rejects(
      signAndFinalize(api, api.tx.obligations.create(request(cold, 1), null), keys.eve),
      /obligations\.AmountOutOfRange/,
    );
    // No call creates an obligation outside an offer: the old "terms" argument is gone.
    assert.equal(api.tx.obligations.create.meta.args[0].name.toString(), 'request');
  });

  it('archives closed obligations after the retention period and releases their deposits', async () => {
    const before = (await api.query.system.account(keys.charlie.address)).data.reserved.toBigInt();
    const { events: evs } = await signAndFinalize(api, api.tx.obligations.archive(obligationId), keys.eve);
    assert.equal(events(evs, 'Archived')[0].data.id.toNumber(), obligationId);
    assert.ok((await api.call.obligationsApi.obligation(obligationId)).isNone);
    const after = (await api.query.system.account(keys.charlie.address)).data.reserved.toBigInt();
    assert.ok(after < before, 'the deposit was released');
    // The outcome stays in Charlie's reputation.
    assert.equal((await api.call.reputationApi.record(keys.charlie.address)).unwrap().onTime[0].toNumber(), 2);
  });
});
