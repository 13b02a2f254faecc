import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { SecretKeyMismatch } from '../errors.ts';
import { newMasterKeyText, parseMasterKey, SecretKeyring } from './keyring.ts';

export const DEFAULT_SECRET_KEY_FILE = './data/secret.key';

export interface KeySource {
  /** CUPS_SECRET_KEY: one key, or several separated by commas, the first sealing. */
  env?: string | undefined;
  /** A file with one key per line, the first sealing. */
  file: string;
  /** Make the file with a fresh key when it does not exist (first run). */
  createIfMissing: boolean;
}

/** The master keys from CUPS_SECRET_KEY, else from the key file (made on first run when allowed). */
export function loadKeyring(source: KeySource): { keyring: SecretKeyring; created?: string } {
  if (source.env) {
    return { keyring: new SecretKeyring(source.env.split(',').map((text, i) => parseMasterKey(text, `CUPS_SECRET_KEY key ${i + 1}`))) };
  }
  let created: string | undefined;
  if (!existsSync(source.file)) {
    if (!source.createIfMissing) {
      throw new SecretKeyMismatch(`no master key: set CUPS_SECRET_KEY or --secret-key-file (${source.file} does not exist)`);
    }
    writeNewKeyFile(source.file);
    created = source.file;
  }
  const lines = readFileSync(source.file, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  return {
    keyring: new SecretKeyring(lines.map((line, i) => parseMasterKey(line, `${source.file} line ${i + 1}`))),
    ...(created ? { created } : {}),
  };
}

/**
 * Writes a new key file whole or not at all: a key cut short by a full disk would seal nothing
 * anyone could open again. Written beside it, then linked into place (which, unlike a rename,
 * fails if another process created the file meanwhile).
 */
function writeNewKeyFile(file: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, `${newMasterKeyText()}\n`, { mode: 0o600, flag: 'wx' });
    linkSync(temporary, file);
  } finally {
    rmSync(temporary, { force: true });
  }
}
