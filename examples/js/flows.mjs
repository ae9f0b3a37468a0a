// iotrust with @polkadot/api: everything comes from the chain's metadata — no custom `types`,
// no `rpc` definitions. Runs against a development chain (`scripts/run.sh --dev`):
//
//   cd examples/js && npm ci && node flows.mjs [ws://127.0.0.1:9944]
//
// 1. A device: a fresh ed25519 key proves possession, Alice registers it and binds it to her
//    own account (an owner may be its devices' gateway).
// 2. Its readings: the device signs two readings, Alice anchors the batch's Merkle root, and the
//    chain confirms one reading with its proof (what a gateway's /proof/<device>/<seq> serves).
// 3. An obligation: Bob offers a service, Charlie takes the offer up (accepted at once), pays it.
// 4. Reads: Bob's stream of what he is owed, Charlie's reputation score and credit limit.

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady, ed25519PairFromSeed, ed25519Sign, randomAsU8a } from '@polkadot/util-crypto';

const url = process.argv[2] ?? process.env.IOTRUST_WS ?? 'ws://127.0.0.1:9944';
const UNIT = 10n ** 12n; // 1 IOTR: 12 decimals
const say = (text) => console.log(`• ${text}`);

/** Sign `tx` as `signer`, wait until its block is finalized; return its events, or throw the
 * pallet's error by name (e.g. `devices.GatewayNotServing`). */
function submit(api, tx, signer) {
  return new Promise((resolve, reject) => {
    let unsubscribe = () => {};
    tx.signAndSend(signer, ({ status, events, dispatchError }) => {
      if (dispatchError) {
        unsubscribe();
        if (dispatchError.isModule) {
          const { section, name, docs } = api.registry.findMetaError(dispatchError.asModule);
          reject(new Error(`${section}.${name}: ${docs.join(' ')}`));
        } else reject(new Error(dispatchError.toString()));
      } else if (status.isFinalized) {
        unsubscribe();
        resolve(events.map(({ event }) => event));
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        unsubscribe();
        reject(new Error(`transaction ${status.type}`));
      }
    }).then((u) => { unsubscribe = u; }, reject);
  });
}

await cryptoWaitReady();
const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true, throwOnConnect: true });
const keyring = new Keyring({ type: 'sr25519' });
const [alice, bob, charlie] = ['//Alice', '//Bob', '//Charlie'].map((uri) => keyring.addFromUri(uri));
const genesis = api.genesisHash;
say(`Connected to ${await api.rpc.system.chain()} at ${url} (runtime ${api.runtimeVersion.specName} ${api.runtimeVersion.specVersion}), genesis ${genesis.toHex()}.`);

// --- 1. A device ---------------------------------------------------------------------------
// The device's own key. A real device keeps its secret in its secure element; here it is a
// random seed that lives as long as this script.
const device = ed25519PairFromSeed(randomAsU8a(32));
const deviceKey = { Ed25519: u8aToHex(device.publicKey) };
// Proof of possession: the device signs SCALE(("iotrust/device/register/v1", genesis, owner, key)).
const keyType = api.tx.devices.register.meta.args[0].type.toString();
const registration = u8aConcat(
  api.createType('(Bytes, H256, AccountId32)', ['iotrust/device/register/v1', genesis, alice.address]).toU8a(),
  api.createType(keyType, deviceKey).toU8a(),
);
const proofOfPossession = { Ed25519: u8aToHex(ed25519Sign(registration, device)) };
const metadata = { model: 'ColdTrack T1', serialHash: u8aToHex(blake2AsU8a('serial 0001')), uri: 'https://example.com/coldtrack' };
let events = await submit(api, api.tx.devices.register(deviceKey, metadata, proofOfPossession), alice);
const deviceId = events.find((e) => api.events.devices.DeviceRegistered.is(e)).data.device.toHex();
say(`Alice registered a ColdTrack T1 whose ed25519 key signed the proof of possession: device ${deviceId}.`);

await submit(api, api.tx.devices.bindGateway(deviceId, alice.address), alice);
const info = (await api.call.devicesApi.device(deviceId)).unwrap();
say(`Alice bound it to her own account as its gateway; the chain says it is ${info.status}, gateway ${info.gateway.unwrap()}.`);

// --- 2. Its readings, anchored and proven ----------------------------------------------------
// A reading is signed as SCALE(("iotrust/reading/v1", genesis, device, seq, timestamp_ms, metrics)),
// metric 1 being the temperature in m°C.
const now = Date.now();
const readings = [[0, -18_200], [1, -18_050]].map(([seq, milliCelsius]) => {
  const metrics = [[1, milliCelsius]];
  const signed = api.createType('(Bytes, H256, H256, u64, u64, Vec<(u16, i64)>)',
    ['iotrust/reading/v1', genesis, deviceId, seq, now + seq * 1000, metrics]).toU8a();
  return {
    device: deviceId, seq, timestampMs: now + seq * 1000,
    metrics: metrics.map(([id, value]) => ({ id, value })),
    signature: { Ed25519: u8aToHex(ed25519Sign(signed, device)) },
  };
});
// The batch's Merkle tree: leaf = blake2_256(0x00 ‖ SCALE(reading)), node = blake2_256(0x01 ‖ left ‖ right).
const readingType = api.call.anchoringApi.checkReading.meta.params[1].type.toString();
const leaves = readings.map((r) => blake2AsU8a(u8aConcat([0], api.createType(readingType, r).toU8a()), 256));
const root = blake2AsU8a(u8aConcat([1], leaves[0], leaves[1]), 256);
// Alice numbers her batches; the chain remembers the highest she anchored.
const last = await api.call.anchoringApi.lastBatch(alice.address);
const batch = last.isSome ? last.unwrap().toNumber() + 1 : 1;
const range = { device: deviceId, first: 0, last: 1, summaries: [{ id: 1, min: -18_200, max: -18_050 }] };
events = await submit(api, api.tx.anchoring.anchor(batch, u8aToHex(root), 2, readings[0].timestampMs, readings[1].timestampMs, [range]), alice);
const anchorId = events.find((e) => api.events.anchoring.Anchored.is(e)).data.anchor.toNumber();
say(`Alice anchored batch ${batch} (2 readings, root ${u8aToHex(root).slice(0, 18)}…) as anchor ${anchorId}, in a finalized block.`);

const proof = { index: 1, leafCount: 2, siblings: [u8aToHex(leaves[0])] };
const verdict = await api.call.anchoringApi.checkReading(anchorId, readings[1], proof);
say(`The chain checks reading #1 (-18.05 °C) against anchor ${anchorId} with its proof: ${verdict}.`);
const forged = { ...readings[1], metrics: [{ id: 1, value: -25_000 }] };
say(`The same proof with the value changed to -25 °C: ${await api.call.anchoringApi.checkReading(anchorId, forged, proof)}.`);

// --- 3. An obligation, taken up and paid ------------------------------------------------------
const terms = {
  serviceHash: u8aToHex(blake2AsU8a('cold storage, one pallet, one day')),
  minAmount: 1n * UNIT, maxAmount: 10n * UNIT, dueIn: 1_000, minScore: 0, device: null, sla: null, consumers: [],
};
events = await submit(api, api.tx.obligations.publishOffer(terms), bob);
const offerId = events.find((e) => api.events.obligations.OfferPublished.is(e)).data.offer.toNumber();
say(`Bob published offer ${offerId}: cold storage for 1 to 10 IOTR, due 1,000 blocks after acceptance.`);

events = await submit(api, api.tx.obligations.create({ offer: offerId, amount: 5n * UNIT, note: 'pallet 17' }, null), charlie);
const obligationId = events.find((e) => api.events.obligations.Created.is(e)).data.id.toNumber();
say(`Charlie took it up for 5 IOTR: obligation ${obligationId}, accepted at once (his credit allows it).`);

events = await submit(api, api.tx.obligations.pay(obligationId, 5n * UNIT), charlie);
const paid = events.find((e) => api.events.obligations.Paid.is(e)).data;
say(`Charlie paid 5 IOTR to Bob and burned a ${Number(paid.creditFee.toBigInt()) / 1e12} IOTR credit fee; ${paid.remaining.toBigInt()} left to pay.`);
await submit(api, api.tx.obligations.withdrawOffer(offerId), bob);
say(`Bob withdrew the offer; its deposit is released (the obligation keeps its terms).`);

// --- 4. Reads through the runtime APIs -----------------------------------------------------------
// A stream is read a page (at most 100) at a time; a page's `next` is where the next one starts.
let after = null;
let count = 0;
let mine;
do {
  const page = await api.call.obligationsApi.providerStream(bob.address, null, after, 100);
  count += page.items.length;
  mine ??= page.items.find(([id]) => id.toNumber() === obligationId)?.[1];
  after = page.next.unwrapOr(null);
} while (after !== null);
say(`Bob's stream holds ${count} obligation(s); #${obligationId} is ${mine.status}: ${mine.amount.toBigInt() / UNIT} IOTR from ${mine.consumer}, ${mine.paid.toBigInt() / UNIT} paid.`);
const score = await api.call.reputationApi.score(charlie.address);
const limit = await api.call.reputationApi.creditLimit(charlie.address);
say(`Charlie's reputation score is ${score} of 1000, and he may owe up to ${Number(limit.toBigInt()) / 1e12} IOTR at once.`);

await api.disconnect();
say('Done.');
