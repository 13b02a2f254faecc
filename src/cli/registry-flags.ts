import { Option } from 'commander';
import { DEFAULT_DB_URL, openRegistry } from '../registry/open-registry.ts';
import type { SealedRegistry } from '../registry/sealed-registry.ts';
import { DEFAULT_SECRET_KEY_FILE, loadKeyring } from '../secrets/load-keyring.ts';

export interface RegistryFlags {
  db: string;
  secretKeyFile: string;
}

export const dbOption = () => new Option('--db <url>', 'gateway registry: sqlite:PATH or postgres://…').default(DEFAULT_DB_URL).env('CUPS_DB');
export const secretKeyFileOption = () =>
  new Option('--secret-key-file <file>', 'master keys sealing stored private keys and tokens, one per line, the first sealing (CUPS_SECRET_KEY overrides)')
    .default(DEFAULT_SECRET_KEY_FILE)
    .env('CUPS_SECRET_KEY_FILE');

/**
 * Opens the registry a command names, proves the master key fits it, runs `work`, and closes it.
 * The key file is made on first use; a key that does not fit fails before anything is written.
 */
export async function withRegistry<T>(flags: RegistryFlags, work: (registry: SealedRegistry) => Promise<T>): Promise<T> {
  const { keyring, created } = loadKeyring({ env: process.env.CUPS_SECRET_KEY, file: flags.secretKeyFile, createIfMissing: true });
  if (created) process.stderr.write(`created a new master key in ${created}: back it up, the stored secrets cannot be read without it\n`);
  const registry = openRegistry(flags.db, keyring);
  try {
    await registry.checkKeys();
    return await work(registry);
  } finally {
    await registry.close();
  }
}
