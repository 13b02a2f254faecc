import { constants, type KeyObject, type VerifyKeyObjectInput, verify } from 'node:crypto';
import { type DerElement, derBytes, derChildren, derElement, derOid } from '../lib/der-reader.ts';
import { HASH, SIGNATURE } from '../lib/oids.ts';

/** How to verify a signature of one accepted algorithm: the hash (null: none, as EdDSA) and, for RSA-PSS, its salt. */
export interface SignatureScheme {
  name: string;
  hash: string | null;
  pssSaltLength?: number;
}

/** The signature algorithms gateway PKI uses, by OID; RSA-PSS is read from its parameters. */
const SCHEMES = new Map<string, SignatureScheme>([
  [SIGNATURE.ecdsaWithSha256, { name: 'ecdsa-with-SHA256', hash: 'sha256' }],
  [SIGNATURE.ecdsaWithSha384, { name: 'ecdsa-with-SHA384', hash: 'sha384' }],
  [SIGNATURE.ecdsaWithSha512, { name: 'ecdsa-with-SHA512', hash: 'sha512' }],
  [SIGNATURE.sha256WithRsa, { name: 'sha256WithRSAEncryption', hash: 'sha256' }],
  [SIGNATURE.sha384WithRsa, { name: 'sha384WithRSAEncryption', hash: 'sha384' }],
  [SIGNATURE.sha512WithRsa, { name: 'sha512WithRSAEncryption', hash: 'sha512' }],
  [SIGNATURE.ed25519, { name: 'Ed25519', hash: null }],
  [SIGNATURE.ed448, { name: 'Ed448', hash: null }],
]);
const RSA_SCHEMES: ReadonlySet<string> = new Set([SIGNATURE.sha256WithRsa, SIGNATURE.sha384WithRsa, SIGNATURE.sha512WithRsa]);
const PSS_HASHES = new Map<string, string>([
  [HASH.sha256, 'sha256'],
  [HASH.sha384, 'sha384'],
  [HASH.sha512, 'sha512'],
]);
/** Names of the algorithms refused by name, so that a refusal says what was seen. */
const REFUSED_NAMES: Record<string, string> = {
  [SIGNATURE.md5WithRsa]: 'md5WithRSAEncryption',
  [SIGNATURE.sha1WithRsa]: 'sha1WithRSAEncryption',
  [SIGNATURE.sha224WithRsa]: 'sha224WithRSAEncryption',
  [SIGNATURE.ecdsaWithSha1]: 'ecdsa-with-SHA1',
  [SIGNATURE.ecdsaWithSha224]: 'ecdsa-with-SHA224',
  [SIGNATURE.dsaWithSha1]: 'dsa-with-SHA1',
  [SIGNATURE.dsaWithSha256]: 'dsa-with-SHA256',
};
const ACCEPTED_SIGNATURE_ALGORITHMS = 'ECDSA with SHA-256/384/512, RSA PKCS#1 v1.5 or PSS with SHA-256/384/512, Ed25519, Ed448';

/**
 * The scheme of a signature AlgorithmIdentifier (its whole DER), or the reason it is refused:
 * MD5, SHA-1, SHA-224, DSA and anything else gateway PKI does not need are refused before any
 * work is done for them.
 */
export function signatureScheme(algorithm: Buffer): SignatureScheme | string {
  let oid: string;
  let children: DerElement[];
  try {
    children = derChildren(algorithm, derElement(algorithm, 0, algorithm.length));
    oid = derOid(algorithm, children[0]!);
  } catch {
    return 'the signature algorithm identifier is malformed';
  }
  const parameters = children[1];
  const refused = `the signature algorithm ${REFUSED_NAMES[oid] ?? oid} is not accepted (${ACCEPTED_SIGNATURE_ALGORITHMS} are)`;
  if (children.length > 2) return refused;
  if (oid === SIGNATURE.rsassaPss) return parameters ? (pssScheme(algorithm, parameters) ?? refused) : refused;
  const scheme = SCHEMES.get(oid);
  if (!scheme) return refused;
  // RSA PKCS#1 v1.5 carries NULL parameters (or none); ECDSA and EdDSA carry none.
  const nullParameters = parameters?.tag === 0x05 && parameters.end === parameters.content;
  if (parameters && !(nullParameters && RSA_SCHEMES.has(oid))) return `${scheme.name} with unexpected parameters is not accepted`;
  return scheme;
}

/** RSASSA-PSS-params with SHA-256/384/512, MGF1 over the same hash, and the standard trailer. */
function pssScheme(der: Buffer, parameters: DerElement): SignatureScheme | undefined {
  try {
    if (parameters.tag !== 0x30) return undefined;
    let hash: string | undefined;
    let mgfHash: string | undefined;
    let saltLength = 20;
    for (const field of derChildren(der, parameters)) {
      const [inner] = derChildren(der, field);
      if (field.tag === 0xa0) hash = PSS_HASHES.get(derOid(der, derChildren(der, inner!)[0]!));
      else if (field.tag === 0xa1) {
        const [mgf, mgfParameters] = derChildren(der, inner!);
        if (derOid(der, mgf!) !== HASH.mgf1) return undefined;
        mgfHash = PSS_HASHES.get(derOid(der, derChildren(der, mgfParameters!)[0]!));
      } else if (field.tag === 0xa2 && inner?.tag === 0x02 && inner.end - inner.content <= 2)
        saltLength = derBytes(der, inner).readUIntBE(0, inner.end - inner.content);
      else if (!(field.tag === 0xa3 && inner?.tag === 0x02 && derBytes(der, inner).equals(Buffer.from([1])))) return undefined;
    }
    if (!hash || mgfHash !== hash) return undefined;
    return { name: `RSASSA-PSS with ${hash.toUpperCase()}`, hash, pssSaltLength: saltLength };
  } catch {
    return undefined;
  }
}

function keyInput(scheme: SignatureScheme, key: KeyObject): KeyObject | VerifyKeyObjectInput {
  return scheme.pssSaltLength === undefined ? key : { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: scheme.pssSaltLength };
}

/** Verifies on libuv's thread pool: the event loop keeps answering while signatures are checked. */
export function verifySignature(scheme: SignatureScheme, data: Buffer, key: KeyObject, signature: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      verify(scheme.hash, data, keyInput(scheme, key), signature, (error, valid) => resolve(!error && valid));
    } catch {
      resolve(false);
    }
  });
}

/** The same check on the calling thread, for loading the trust store and for tests. */
export function verifySignatureNow(scheme: SignatureScheme, data: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return verify(scheme.hash, data, keyInput(scheme, key), signature);
  } catch {
    return false;
  }
}

/** Microseconds of one core that one check by each kind of key costs (Node's crypto.verify; `npm run bench -- chain` times them again). */
const EC_CHECK_COST: Record<string, number> = { prime256v1: 50, secp384r1: 450, secp521r1: 1000 };
const EDDSA_CHECK_COST: Record<string, number> = { ed25519: 70, ed448: 170 };
const RSA_2048_CHECK_COST = 25;

/** The estimated cost of one signature check by `key`, in microseconds of one core. */
export function signatureCheckCost(key: KeyObject): number {
  const type = key.asymmetricKeyType ?? '';
  if (type === 'ec') return EC_CHECK_COST[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? EC_CHECK_COST.secp521r1!;
  if (type === 'rsa' || type === 'rsa-pss')
    return RSA_2048_CHECK_COST * Math.max(1, ((key.asymmetricKeyDetails?.modulusLength ?? 8192) / 2048) ** 2);
  return EDDSA_CHECK_COST[type] ?? EC_CHECK_COST.secp521r1!;
}
