import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { SecretKeyMismatch } from '../errors.ts';
import { ownBytes } from '../lib/own-bytes.ts';

const VERSION = 0x01;
const KEY_ID_BYTES = 4;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + KEY_ID_BYTES + NONCE_BYTES;

export interface MasterKey {
  /** First bytes of the key's SHA-256, stored with each value to name the key that sealed it. */
  id: Buffer;
  key: Buffer;
}

/** Reads a 256-bit master key written as base64 (44 characters) or hex (64 digits). */
export function parseMasterKey(text: string, where: string): MasterKey {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(trimmed) && key.toString('base64') !== trimmed)) {
    throw new SecretKeyMismatch(`${where} is not a 256-bit key: write 32 random bytes as base64 (openssl rand -base64 32)`);
  }
  return { id: createHash('sha256').update(key).digest().subarray(0, KEY_ID_BYTES), key };
}

export function newMasterKeyText(): string {
  return randomBytes(32).toString('base64');
}

/**
 * AES-256-GCM sealing of secrets at rest. The first key seals; every key opens what it sealed, so
 * a rotation can run while servers hold both the new and the previous key. Each value gets a
 * random nonce, and its owner (gateway EUI and field) is bound as associated data, so a sealed
 * value copied to another gateway or field does not open.
 */
export class SecretKeyring {
  constructor(readonly keys: readonly MasterKey[]) {
    if (keys.length === 0) throw new SecretKeyMismatch('no master key is configured');
  }

  get currentId(): string {
    return this.keys[0]!.id.toString('hex');
  }

  seal(plaintext: Uint8Array, owner: string): Buffer {
    const { id, key } = this.keys[0]!;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.from(owner));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([VERSION]), id, nonce, body, cipher.getAuthTag()]);
  }

  /** The key id a sealed value names, as hex. */
  static sealedWith(sealed: Uint8Array): string {
    return Buffer.from(sealed.subarray(1, 1 + KEY_ID_BYTES)).toString('hex');
  }

  open(sealed: Uint8Array, owner: string): Buffer {
    const data = Buffer.from(sealed);
    if (data.length < HEADER_BYTES + TAG_BYTES || data[0] !== VERSION) {
      throw new SecretKeyMismatch(`the stored secret of ${owner} is not a sealed value; was it written without encryption?`);
    }
    const keyId = data.subarray(1, 1 + KEY_ID_BYTES);
    const master = this.keys.find((k) => k.id.equals(keyId));
    if (!master) {
      throw new SecretKeyMismatch(
        `the stored secret of ${owner} is sealed under master key ${keyId.toString('hex')}, which is not configured ` +
          `(configured: ${this.keys.map((k) => k.id.toString('hex')).join(', ')})`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', master.key, data.subarray(1 + KEY_ID_BYTES, HEADER_BYTES));
    decipher.setAAD(Buffer.from(owner));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    try {
      // Kept as long as the record it was read with.
      return ownBytes(Buffer.concat([decipher.update(data.subarray(HEADER_BYTES, data.length - TAG_BYTES)), decipher.final()]));
    } catch {
      throw new SecretKeyMismatch(`the stored secret of ${owner} fails authentication: it was altered or belongs to another gateway`);
    }
  }
}
