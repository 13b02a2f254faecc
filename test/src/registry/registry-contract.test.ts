import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FirmwareNotFound,
  GatewayExists,
  GatewayNotFound,
  InvalidFirmware,
  InvalidGateway,
  SecretKeyMismatch,
} from '../../../src/errors.ts';
import { FirmwareCatalog } from '../../../src/firmware/catalog.ts';
import type { GatewayStore, LastContact, NewGateway } from '../../../src/registry/gateway-registry.ts';
import { openStore } from '../../../src/registry/open-registry.ts';
import { GATEWAY_COLUMNS, MIGRATIONS } from '../../../src/registry/schema.ts';
import { SealedRegistry } from '../../../src/registry/sealed-registry.ts';
import { newMasterKeyText, parseMasterKey, SecretKeyring } from '../../../src/secrets/keyring.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';

const TOKEN = 'Authorization: Bearer NNSXS.CONTRACT-SECRET\r\n';
const blob = (eui: string) => Buffer.concat([Buffer.from([0x30, 0x03, 1, 2, 3, 0, 0, 0, 0]), Buffer.from(`${TOKEN}#${eui}`)]);
const gateway = (eui: string, tenant = 'acme'): NewGateway => ({
  eui,
  tenant,
  name: null,
  lnsUri: 'wss://lns.example:8887',
  lnsCredentials: blob(eui),
  cupsUri: null,
  cupsCredentials: null,
});
const keyring = (...keys: string[]) => new SecretKeyring(keys.map((k, i) => parseMasterKey(k, `key ${i}`)));
const OLD = newMasterKeyText();
const NEW = newMasterKeyText();

let postgres: PostgresServer;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(() => postgres?.destroy());

/** Each backend, with a way to see what its storage holds in clear: the bytes of its files on disk. */
const BACKENDS = {
  sqlite: async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cups-contract-')), 'cups.db');
    return { url: `sqlite:${file}`, dump: () => readFileSync(file).toString('latin1') + readFileSync(`${file}-wal`).toString('latin1') };
  },
  postgres: async () => {
    const name = `contract_${Math.random().toString(36).slice(2, 8)}`;
    return { url: await postgres.createDatabase(name), dump: () => postgres.storage() };
  },
};

describe.each(Object.entries(BACKENDS))('registry contract: %s', (_name, makeBackend) => {
  let url: string;
  let dump: () => string;
  let store: GatewayStore;
  let registry: SealedRegistry;

  beforeAll(async () => {
    ({ url, dump } = await makeBackend());
    store = openStore(url);
    registry = new SealedRegistry(store, keyring(OLD));
    await registry.checkKeys();
  });
  afterAll(() => registry.close());

  it('adds, reads, lists by tenant, updates, records contact and removes', async () => {
    const added = await registry.add({ ...gateway('0000000000000001'), pinnedCertificates: ['ab'.repeat(32)] });
    expect(added).toMatchObject({ eui: '0000000000000001', tenant: 'acme', lastContact: null, pinnedCertificates: ['ab'.repeat(32)] });
    expect(added.lnsCredentials).toEqual(blob('0000000000000001'));
    // Opened credentials are kept with the record: in memory of their own, not a view of a pooled slab.
    const read = (await registry.get('0000000000000001'))!.lnsCredentials!;
    expect(read.buffer.byteLength).toBe(read.length);
    await registry.add(gateway('0000000000000002', 'other'));
    expect((await registry.list({ tenant: 'other' })).map((g) => g.eui)).toEqual(['0000000000000002']);
    expect((await registry.list()).length).toBe(2);
    const updated = await registry.update('0000000000000001', { name: 'roof', lnsUri: 'wss://lns2.example:8887', pinnedCertificates: [] });
    expect(updated).toMatchObject({ name: 'roof', lnsUri: 'wss://lns2.example:8887', tenant: 'acme', pinnedCertificates: [] });
    expect(updated.lnsCredentials).toEqual(blob('0000000000000001'));
    const contact: LastContact = {
      at: new Date().toISOString(),
      station: '2.0.6',
      model: 'linux',
      package: null,
      peer: '127.0.0.1',
      certificate: { sha256: 'ab'.repeat(32), serial: '0A1B', notAfter: '2027-01-01T00:00:00.000Z' },
    };
    const other: LastContact = { ...contact, station: null, peer: null, certificate: null };
    // One batch: a contact each, and an EUI that is not (or no longer) registered is skipped.
    await registry.recordContacts(
      new Map<string, LastContact>([
        ['0000000000000001', contact],
        ['0000000000000002', other],
        ['00000000000000FF', contact],
      ]),
    );
    expect((await registry.get('0000000000000001'))!.lastContact).toEqual(contact);
    expect((await registry.get('0000000000000002'))!.lastContact).toEqual(other);
    expect(await registry.get('00000000000000FF')).toBeUndefined();
    expect(await registry.remove('0000000000000002')).toBe(true);
    expect(await registry.remove('0000000000000002')).toBe(false);
    expect(await registry.get('0000000000000002')).toBeUndefined();
  });

  it('refuses a taken EUI, an update of a missing gateway and a malformed pin', async () => {
    await expect(registry.add(gateway('0000000000000001'))).rejects.toBeInstanceOf(GatewayExists);
    await expect(registry.update('00000000000000FF', { name: 'x' })).rejects.toBeInstanceOf(GatewayNotFound);
    await expect(registry.update('0000000000000001', { pinnedCertificates: ['not-a-fingerprint'] })).rejects.toBeInstanceOf(InvalidGateway);
  });

  it('adds many in one transaction, all or nothing, naming the first taken EUI', async () => {
    const batch = Array.from({ length: 300 }, (_, i) => gateway((0x1000 + i).toString(16).toUpperCase().padStart(16, '0')));
    const progress: number[] = [];
    await registry.addMany(batch, (n) => progress.push(n));
    expect(progress.at(-1)).toBe(300);
    expect((await registry.list()).length).toBe(301);
    const clash = [gateway('0000000000009999'), gateway('0000000000001005'), gateway('000000000000999A')];
    const error = await registry.addMany(clash).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GatewayExists);
    expect((error as { index: number }).index).toBe(1);
    expect(await registry.get('0000000000009999')).toBeUndefined();
  });

  it('stores no key or token in clear: the storage dump shows none', () => {
    const text = dump();
    expect(text).toContain('0000000000000001');
    expect(text).not.toContain('NNSXS.CONTRACT-SECRET');
    expect(text).not.toContain(Buffer.from('NNSXS.CONTRACT-SECRET').toString('hex'));
  });

  it('a wrong master key is a clear error, never garbage', async () => {
    const wrong = new SealedRegistry(openStore(url), keyring(NEW));
    await expect(wrong.checkKeys()).rejects.toThrow(SecretKeyMismatch);
    await expect(wrong.get('0000000000000001')).rejects.toThrow(/sealed under master key [0-9a-f]{8}, which is not configured/);
    await wrong.close();
  });

  it('a sealed value moved to another gateway does not open', async () => {
    const stolen = (await store.get('0000000000000001'))!.lnsCredentials!;
    await store.update('0000000000001000', { lnsCredentials: stolen });
    await expect(registry.get('0000000000001000')).rejects.toThrow(/fails authentication/);
    await registry.update('0000000000001000', { lnsCredentials: blob('0000000000001000') });
  });

  it('rotates to a new key while servers hold both, without downtime', async () => {
    const during = new SealedRegistry(openStore(url), keyring(NEW, OLD));
    const before = await during.get('0000000000000001');
    expect(await during.rotate()).toBe(301);
    expect(await during.rotate()).toBe(0);
    expect(await during.get('0000000000000001')).toEqual({ ...before, lastContact: before!.lastContact });
    const after = new SealedRegistry(openStore(url), keyring(NEW));
    await after.checkKeys();
    expect((await after.get('0000000000000001'))!.lnsCredentials).toEqual(blob('0000000000000001'));
    await expect(registry.checkKeys()).rejects.toThrow(SecretKeyMismatch);
    await Promise.all([during.close(), after.close()]);
  });

  it('keeps the firmware catalog: images, signatures by the bytes, channels, rollout, rollback', async () => {
    const catalog = new FirmwareCatalog(store.sql);
    const image = {
      sha256: 'cd'.repeat(32),
      model: 'linux',
      version: '2.0.7',
      size: 136,
      signatures: [{ keyCrc: 0xffffffff, signature: Buffer.from([1, 2]) }],
    };
    await catalog.addImage(image);
    await catalog.addImage({ ...image, signatures: [{ keyCrc: 0x1d1e9f14, signature: Buffer.from([3]) }] });
    await catalog.addImage({ ...image, model: 'rpi', signatures: [] });
    expect(await catalog.image('linux', '2.0.7')).toEqual({
      ...image,
      signatures: [
        { keyCrc: 0x1d1e9f14, signature: Buffer.from([3]) },
        { keyCrc: 0xffffffff, signature: Buffer.from([1, 2]) },
      ],
    });
    expect((await catalog.image('rpi', '2.0.7'))!.signatures).toHaveLength(2);
    await expect(catalog.addImage({ ...image, sha256: 'ef'.repeat(32) })).rejects.toThrow(InvalidFirmware);
    await expect(catalog.rollOut('linux', 'stable', '9.9', 100)).rejects.toThrow(/no image linux 9\.9/);
    await catalog.addImage({ ...image, version: '2.0.8', sha256: '12'.repeat(32) });
    await catalog.rollOut('linux', 'stable', '2.0.7', 100, true);
    expect(await catalog.rollOut('linux', 'stable', '2.0.8', 25)).toEqual({
      model: 'linux',
      channel: 'stable',
      targetVersion: '2.0.8',
      previousVersion: '2.0.7',
      rolloutPercent: 25,
      paused: false,
      allowUnsigned: true,
    });
    await catalog.setPaused('linux', 'stable', true);
    expect((await catalog.channel('linux', 'stable'))!.paused).toBe(true);
    expect(await catalog.rollBack('linux', 'stable')).toMatchObject({
      targetVersion: '2.0.7',
      previousVersion: null,
      rolloutPercent: 100,
      paused: false,
    });
    await expect(catalog.setPaused('linux', 'nightly', true)).rejects.toThrow(FirmwareNotFound);
    await registry.recordContacts(
      new Map([
        [
          '0000000000000001',
          { at: new Date().toISOString(), station: null, model: 'linux', package: '2.0.7', peer: null, certificate: null },
        ],
      ]),
    );
    expect(await catalog.reportedVersions()).toContainEqual({ model: 'linux', version: '2.0.7', gateways: 1 });
  });

  it('names every column of the schema in GATEWAY_COLUMNS', async () => {
    const [row] = await store.sql.all<Record<string, unknown>>('SELECT * FROM gateways WHERE eui = ?', ['0000000000000001']);
    expect(Object.keys(row!).sort()).toEqual([...GATEWAY_COLUMNS].sort());
  });

  it('keeps reading and recording contacts after a newer instance adds a column', async () => {
    const eui = '0000000000000001';
    // Every pooled connection runs (and so prepares) the request path's statements first.
    const readAll = () => Promise.all(Array.from({ length: 12 }, () => store.get(eui)));
    const contact = (station: string): LastContact => ({
      at: new Date().toISOString(),
      station,
      model: 'linux',
      package: null,
      peer: '127.0.0.1',
      certificate: null,
    });
    await readAll();
    await store.recordContacts(new Map([[eui, contact('before')]]));
    await store.sql.run('ALTER TABLE gateways ADD COLUMN added_by_a_newer_version TEXT');
    expect((await readAll()).map((g) => g?.eui)).toEqual(Array(12).fill(eui));
    await store.recordContacts(new Map([[eui, contact('after')]]));
    expect((await store.get(eui))!.lastContact?.station).toBe('after');
  });

  it('records a fleet of contacts in one call: every batch size, and only registered gateways', async () => {
    const euis = Array.from({ length: 1234 }, (_, i) => (0x1000 + i).toString(16).toUpperCase().padStart(16, '0'));
    const at = '2031-01-01T00:00:00.000Z';
    await store.recordContacts(
      new Map(euis.map((eui, i) => [eui, { at, station: `s${i}`, model: null, package: null, peer: null, certificate: null }])),
    );
    const seen = (await store.list()).filter((g) => g.lastContact?.at === at);
    // 300 of the 1,234 EUIs are registered (0x1000 to 0x112B); each kept its own station.
    expect(seen.length).toBe(300);
    expect(seen.every((g) => g.lastContact!.station === `s${Number.parseInt(g.eui, 16) - 0x1000}`)).toBe(true);
  });

  it("a server keeping reads sees another process's change within a second, and its own at once", async () => {
    const server = openStore(url);
    await server.keepReadsFresh();
    const cli = openStore(url);
    try {
      const eui = '0000000000000001';
      const original = (await server.get(eui))!.name;
      await cli.update(eui, { name: 'changed-elsewhere' });
      const started = Date.now();
      while ((await server.get(eui))!.name !== 'changed-elsewhere') {
        expect(Date.now() - started).toBeLessThan(1000);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await server.update(eui, { name: original });
      expect((await server.get(eui))!.name).toBe(original);
    } finally {
      await Promise.all([server.close(), cli.close()]);
    }
  });

  it('a transaction is all or nothing, and calls made meanwhile are not part of it', async () => {
    const eui = '0000000000001001';
    const failed = store.sql
      .transaction(async (tx) => {
        await tx.run('UPDATE gateways SET name = ? WHERE eui = ?', ['inside', eui]);
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error('abandoned');
      })
      .catch((error: Error) => error.message);
    // Started while the transaction is open: it must survive the rollback.
    const outside = store.update('0000000000001002', { name: 'outside' });
    expect(await failed).toBe('abandoned');
    await outside;
    expect((await store.get(eui))!.name).toBeNull();
    expect((await store.get('0000000000001002'))!.name).toBe('outside');
  });

  it('several processes opening a new database at once migrate it once', async () => {
    const fresh = (await makeBackend()).url;
    const stores = Array.from({ length: 4 }, () => openStore(fresh));
    try {
      await Promise.all(stores.map((s) => s.ping()));
      expect(await stores[0]!.sql.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).toEqual(
        MIGRATIONS.map((_, index) => ({ version: index + 1 })),
      );
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('migrates once: reopening keeps the data', async () => {
    const reopened = openStore(url);
    expect((await reopened.get('0000000000000001'))!.name).toBe('roof');
    await reopened.close();
  });
});
