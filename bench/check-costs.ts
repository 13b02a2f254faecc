import { constants, generateKeyPairSync, type KeyObject, sign, verify } from 'node:crypto';
import { signatureCheckCost } from '../src/trust/signature-algorithms.ts';

export interface CheckCost {
  name: string;
  /** Microseconds one check takes here, one core. */
  measuredUs: number;
  /** What path building counts for it (signatureCheckCost). */
  countedUs: number;
  /** The count is at least half the measured cost: a client cannot make the budget worth much more than it says. */
  met: boolean;
}

const KEYS: [name: string, generate: () => { publicKey: KeyObject; privateKey: KeyObject }, hash: string | null, pss?: boolean][] = [
  ['ECDSA P-256', () => generateKeyPairSync('ec', { namedCurve: 'P-256' }), 'sha256'],
  ['ECDSA P-384', () => generateKeyPairSync('ec', { namedCurve: 'P-384' }), 'sha384'],
  ['ECDSA P-521', () => generateKeyPairSync('ec', { namedCurve: 'P-521' }), 'sha512'],
  ['RSA-2048', () => generateKeyPairSync('rsa', { modulusLength: 2048 }), 'sha256'],
  ['RSA-4096', () => generateKeyPairSync('rsa', { modulusLength: 4096 }), 'sha256'],
  ['RSA-4096 PSS', () => generateKeyPairSync('rsa', { modulusLength: 4096 }), 'sha256', true],
  ['RSA-8192', () => generateKeyPairSync('rsa', { modulusLength: 8192 }), 'sha256'],
  ['Ed25519', () => generateKeyPairSync('ed25519'), null],
  ['Ed448', () => generateKeyPairSync('ed448'), null],
];

/** One signature check by each kind of issuer key, timed here, against the cost path building counts for it. */
export function benchCheckCosts(): CheckCost[] {
  const data = Buffer.alloc(800, 7);
  return KEYS.map(([name, generate, hash, pss]) => {
    const { publicKey, privateKey } = generate();
    const padding = pss ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } : {};
    const signature = sign(hash, data, { key: privateKey, ...padding });
    const check = () => verify(hash, data, { key: publicKey, ...padding }, signature);
    for (let i = 0; i < 20; i++) check();
    const rounds = 200;
    const started = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) check();
    const measuredUs = Number(process.hrtime.bigint() - started) / rounds / 1000;
    const countedUs = signatureCheckCost(publicKey);
    return { name, measuredUs, countedUs, met: countedUs >= measuredUs / 2 };
  });
}
