import { createHash, createVerify, type KeyObject, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

export const DEFAULT_FIRMWARE_DIR = './data/firmware';

/** Where the bytes of an image live: content-addressed, so an image is stored once. */
export function imagePath(dir: string, sha256: string): string {
  return join(dir, `${sha256}.bin`);
}

/** Streams a file into the store while hashing it; never holds the image in memory. */
export async function storeImage(dir: string, source: string): Promise<{ sha256: string; size: number }> {
  mkdirSync(dir, { recursive: true });
  const temporary = join(dir, `.incoming-${randomBytes(6).toString('hex')}`);
  const hash = createHash('sha256');
  let size = 0;
  try {
    await pipeline(
      createReadStream(source),
      async function* (chunks: AsyncIterable<Buffer>) {
        for await (const chunk of chunks) {
          hash.update(chunk);
          size += chunk.length;
          yield chunk;
        }
      },
      createWriteStream(temporary, { mode: 0o644 }),
    );
    const sha256 = hash.digest('hex');
    const target = imagePath(dir, sha256);
    if (existsSync(target)) rmSync(temporary);
    else renameSync(temporary, target);
    return { sha256, size };
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Checks a DER ECDSA/SHA-512 signature over a file, reading it as a stream. */
export async function verifyFileSignature(file: string, signature: Buffer, publicKey: KeyObject): Promise<boolean> {
  const verifier = createVerify('sha512');
  for await (const chunk of createReadStream(file)) verifier.update(chunk as Buffer);
  try {
    return verifier.verify({ key: publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}
