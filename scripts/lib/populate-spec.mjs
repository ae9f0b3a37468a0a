// Give a chain spec a populated state for `benchmark storage`: N extra endowed accounts, so the
// database the benchmark reads and writes has the size of a consortium's working chain rather
// than a fresh genesis of a dozen keys.
//
//   node scripts/lib/populate-spec.mjs IN.json OUT.json N
import crypto from 'node:crypto';
import fs from 'node:fs';

const ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function base58(bytes) {
  let n = BigInt('0x' + Buffer.from(bytes).toString('hex'));
  let out = '';
  while (n > 0n) {
    out = ALPHABET[Number(n % 58n)] + out;
    n /= 58n;
  }
  for (const b of bytes) {
    if (b !== 0) break;
    out = '1' + out;
  }
  return out;
}

/** The SS58 address (prefix 42) of a 32-byte account id. */
function ss58(id) {
  const body = Buffer.concat([Buffer.from([42]), id]);
  const check = crypto.createHash('blake2b512').update(Buffer.concat([Buffer.from('SS58PRE'), body])).digest();
  return base58(Buffer.concat([body, check.subarray(0, 2)]));
}

const [input, output, count] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(input, 'utf8'));
const balances = spec.genesis.runtimeGenesis.patch.balances.balances;
for (let i = 0; i < Number(count); i++) {
  const id = crypto.createHash('sha256').update(`iotrust storage benchmark account ${i}`).digest();
  balances.push([ss58(id), 1_000_000_000_000]);
}
fs.writeFileSync(output, JSON.stringify(spec));
console.log(`${output}: ${balances.length} endowed accounts`);
