import { existsSync } from 'node:fs';
import { RegistryUnavailable, SecretKeyMismatch } from '../errors.ts';
import { newMasterKeyText, parseMasterKey, SecretKeyring } from '../secrets/keyring.ts';
import { loadKeyring } from '../secrets/load-keyring.ts';
import { openRegistry } from './open-registry.ts';
import type { SealedRegistry } from './sealed-registry.ts';

export interface MasterKeySource {
  /** CUPS_SECRET_KEY, when set. */
  env?: string | undefined;
  /** The key file (--secret-key-file). */
  file: string;
}

/**
 * Opens the registry at `db` with its master keys. A key file is made only for the first write
 * to a registry that holds no sealed secret yet: a command that only reads never makes one, and
 * a registry sealed under a key that is not at hand is refused with which key file or variable
 * to give, instead of being met with a new key that fits nothing.
 */
export async function openSealedRegistry(
  db: string,
  keys: MasterKeySource,
  access: 'read' | 'write',
  onError?: (error: Error) => void,
): Promise<{ registry: SealedRegistry; createdKeyFile?: string }> {
  if (keys.env || existsSync(keys.file)) {
    return { registry: openRegistry(db, loadKeyring({ env: keys.env, file: keys.file, createIfMissing: false }).keyring, onError) };
  }
  // No key at hand: one that seals nothing opens the registry to see whether it needs one.
  const probe = openRegistry(db, new SecretKeyring([parseMasterKey(newMasterKeyText(), 'a key for probing')]), onError);
  let sealed: boolean;
  try {
    sealed = await probe.hasSealedSecrets();
  } catch (error) {
    // A database not reachable yet (cups serve waits for it): nothing can be told, so a key is made as on any first run.
    if (!(error instanceof RegistryUnavailable) || access === 'read') {
      await probe.close();
      throw error;
    }
    sealed = false;
  }
  if (sealed) {
    await probe.close();
    throw new SecretKeyMismatch(
      `${db} holds secrets sealed under a master key, and ${keys.file} does not exist: ` +
        'give that key with --secret-key-file FILE or CUPS_SECRET_KEY (the one cups serve uses for this registry)',
    );
  }
  if (access === 'read') return { registry: probe };
  await probe.close();
  const { keyring, created } = loadKeyring({ file: keys.file, createIfMissing: true });
  return { registry: openRegistry(db, keyring, onError), ...(created ? { createdKeyFile: created } : {}) };
}
