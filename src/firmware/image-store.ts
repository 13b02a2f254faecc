import { createHash, createVerify, type KeyObject, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { RequestTooLarge } from '../errors.ts';
import type { SqlExecutor } from '../registry/sql-dialect.ts';

export const DEFAULT_FIRMWARE_DIR = './data/firmware';
/** The largest image taken: far above any station's update, far below what a disk or a table should take by mistake. */
export const MAX_IMAGE_BYTES = 64 * 1024 * 1024;
/** The bytes of one database row of an image: what a download holds in memory at most. */
const CHUNK_BYTES = 256 * 1024;
/** An upload not finished after this long was abandoned (its process died): its chunks are removed. */
const ABANDONED_UPLOAD_MS = 60 * 60_000;

/**
 * Where the bytes of firmware images live, by SHA-256: stored once, streamed in and out, never
 * whole in memory. The catalog (firmware_images) says which image is which model and version.
 */
export interface FirmwareImages {
  /** Where, for messages: the folder, or "the database". */
  readonly where: string;
  /** Stores the bytes while hashing them; RequestTooLarge past `maxBytes`, and nothing is kept. */
  put(chunks: AsyncIterable<Buffer>, maxBytes?: number): Promise<{ sha256: string; size: number }>;
  /** The image's bytes, in order. */
  read(sha256: string): AsyncIterable<Buffer>;
  /** The stored image's size, or undefined when it is not (whole) there. */
  size(sha256: string): Promise<number | undefined>;
}

/**
 * The images of a registry: in the database with PostgreSQL (every instance reads them, none
 * keeps them on its own disk), in a folder with SQLite (a single machine).
 */
export function firmwareImagesFor(dbUrl: string, dir: string, sql: SqlExecutor): FirmwareImages {
  return /^postgres(ql)?:\/\//.test(dbUrl) ? new DatabaseImages(sql) : new FolderImages(dir);
}

/** Hashes and counts chunks as they pass; past `maxBytes` it throws. */
async function* measured(
  chunks: AsyncIterable<Buffer>,
  maxBytes: number,
  into: { hash: ReturnType<typeof createHash>; size: number },
): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    into.size += chunk.length;
    if (into.size > maxBytes) throw new RequestTooLarge(`the image is over ${maxBytes / 1024 / 1024} MiB`);
    into.hash.update(chunk);
    yield chunk;
  }
}

/** Images as files named by hash in a folder (shared by instances only if the folder is). */
export class FolderImages implements FirmwareImages {
  constructor(readonly where: string) {}

  path(sha256: string): string {
    return join(this.where, `${sha256}.bin`);
  }

  async put(chunks: AsyncIterable<Buffer>, maxBytes = MAX_IMAGE_BYTES): Promise<{ sha256: string; size: number }> {
    mkdirSync(this.where, { recursive: true });
    const temporary = join(this.where, `.incoming-${randomBytes(6).toString('hex')}`);
    const counted = { hash: createHash('sha256'), size: 0 };
    try {
      await pipeline(measured(chunks, maxBytes, counted), createWriteStream(temporary, { mode: 0o644 }));
      const sha256 = counted.hash.digest('hex');
      const target = this.path(sha256);
      if (existsSync(target)) rmSync(temporary);
      else renameSync(temporary, target);
      return { sha256, size: counted.size };
    } catch (error) {
      rmSync(temporary, { force: true });
      throw error;
    }
  }

  read(sha256: string): AsyncIterable<Buffer> {
    return createReadStream(this.path(sha256));
  }

  size(sha256: string): Promise<number | undefined> {
    return stat(this.path(sha256)).then(
      (s) => s.size,
      () => undefined,
    );
  }
}

/**
 * Images as rows of CHUNK_BYTES in the registry database. An upload writes its chunks under an
 * upload key, one statement each (no transaction held open while a client sends), then in one
 * transaction gives them the image's hash, or drops them when the image is there already.
 * Abandoned uploads are removed by the next one.
 */
export class DatabaseImages implements FirmwareImages {
  readonly where = 'the database';

  constructor(private readonly sql: SqlExecutor) {}

  async put(chunks: AsyncIterable<Buffer>, maxBytes = MAX_IMAGE_BYTES): Promise<{ sha256: string; size: number }> {
    // Zero-padded milliseconds: upload keys sort by age, so abandoned ones are found by comparison.
    const upload = `upload-${String(Date.now()).padStart(15, '0')}-${randomBytes(6).toString('hex')}`;
    await this.sql.run('DELETE FROM firmware_chunks WHERE blob > ? AND blob < ?', [
      'upload-',
      `upload-${String(Date.now() - ABANDONED_UPLOAD_MS).padStart(15, '0')}`,
    ]);
    const counted = { hash: createHash('sha256'), size: 0 };
    let seq = 0;
    const store = (data: Buffer) => this.sql.run('INSERT INTO firmware_chunks (blob, seq, data) VALUES (?, ?, ?)', [upload, seq++, data]);
    try {
      let held: Buffer[] = [];
      let heldBytes = 0;
      for await (const chunk of measured(chunks, maxBytes, counted)) {
        held.push(chunk);
        heldBytes += chunk.length;
        while (heldBytes >= CHUNK_BYTES) {
          const all = Buffer.concat(held);
          await store(all.subarray(0, CHUNK_BYTES));
          held = [all.subarray(CHUNK_BYTES)];
          heldBytes = all.length - CHUNK_BYTES;
        }
      }
      if (heldBytes > 0) await store(Buffer.concat(held));
      const sha256 = counted.hash.digest('hex');
      await this.sql.transaction(async (tx) => {
        const [known] = await tx.all<{ sha256: string }>('SELECT sha256 FROM firmware_blobs WHERE sha256 = ?', [sha256]);
        if (known) {
          await tx.run('DELETE FROM firmware_chunks WHERE blob = ?', [upload]);
          return;
        }
        await tx.run('UPDATE firmware_chunks SET blob = ? WHERE blob = ?', [sha256, upload]);
        await tx.run('INSERT INTO firmware_blobs (sha256, size, chunks, created_at) VALUES (?, ?, ?, ?)', [
          sha256,
          counted.size,
          seq,
          new Date().toISOString(),
        ]);
      });
      return { sha256, size: counted.size };
    } catch (error) {
      await this.sql.run('DELETE FROM firmware_chunks WHERE blob = ?', [upload]).catch(() => undefined);
      throw error;
    }
  }

  async *read(sha256: string): AsyncGenerator<Buffer> {
    const [blob] = await this.sql.all<{ chunks: number | string }>('SELECT chunks FROM firmware_blobs WHERE sha256 = ?', [sha256]);
    for (let seq = 0; seq < Number(blob?.chunks ?? 0); seq++) {
      const [row] = await this.sql.all<{ data: Buffer }>('SELECT data FROM firmware_chunks WHERE blob = ? AND seq = ?', [sha256, seq]);
      if (!row) throw new Error(`chunk ${seq} of firmware image ${sha256} is missing from the database`);
      yield row.data;
    }
  }

  async size(sha256: string): Promise<number | undefined> {
    const [blob] = await this.sql.all<{ size: number | string; chunks: number | string; stored: number | string }>(
      'SELECT b.size, b.chunks, (SELECT count(*) FROM firmware_chunks c WHERE c.blob = b.sha256) AS stored FROM firmware_blobs b WHERE b.sha256 = ?',
      [sha256],
    );
    return blob && Number(blob.stored) === Number(blob.chunks) ? Number(blob.size) : undefined;
  }
}

/** Checks a DER ECDSA/SHA-512 signature over an image, read as a stream. */
export async function verifyImageSignature(chunks: AsyncIterable<Buffer>, signature: Buffer, publicKey: KeyObject): Promise<boolean> {
  const verifier = createVerify('sha512');
  for await (const chunk of chunks) verifier.update(chunk);
  try {
    return verifier.verify({ key: publicKey, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}
