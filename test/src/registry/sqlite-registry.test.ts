import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatewayExists, GatewayNotFound } from '../../../src/errors.ts';
import type { NewGateway } from '../../../src/registry/gateway.ts';
import { SqliteRegistry } from '../../../src/registry/sqlite-registry.ts';

const gateway = (eui: string, tenant = 'acme'): NewGateway => ({
  eui,
  tenant,
  name: null,
  lnsUri: 'wss://lns.example:8887',
  lnsCredentials: Buffer.from([0x30, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]),
  cupsUri: null,
  cupsCredentials: null,
});

describe('SqliteRegistry', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'cups-registry-')), 'nested', 'cups.db');

  it('adds, reads, lists by tenant, updates, records contact and removes', async () => {
    const registry = new SqliteRegistry(file);
    const added = await registry.add(gateway('0000000000000001'));
    expect(added).toMatchObject({ eui: '0000000000000001', tenant: 'acme', lastContact: null });
    expect(added.lnsCredentials).toEqual(gateway('').lnsCredentials);
    await registry.add(gateway('0000000000000002', 'other'));
    expect((await registry.list({ tenant: 'other' })).map((g) => g.eui)).toEqual(['0000000000000002']);
    expect(await registry.list()).toHaveLength(2);
    const updated = await registry.update('0000000000000001', { name: 'roof', lnsUri: 'wss://lns2.example:8887' });
    expect(updated).toMatchObject({ name: 'roof', lnsUri: 'wss://lns2.example:8887', tenant: 'acme' });
    expect(updated.updatedAt >= added.updatedAt).toBe(true);
    const contact = { at: new Date().toISOString(), station: '2.0.6', model: 'linux', package: null, peer: '127.0.0.1' };
    await registry.recordContact('0000000000000001', contact);
    expect((await registry.get('0000000000000001'))!.lastContact).toEqual(contact);
    expect(await registry.remove('0000000000000002')).toBe(true);
    expect(await registry.remove('0000000000000002')).toBe(false);
    await registry.close();
  });

  it('refuses a second gateway with the same EUI and an update of a missing one', async () => {
    const registry = new SqliteRegistry(file);
    await expect(registry.add(gateway('0000000000000001'))).rejects.toBeInstanceOf(GatewayExists);
    await expect(registry.update('00000000000000FF', { name: 'x' })).rejects.toBeInstanceOf(GatewayNotFound);
    await registry.close();
  });

  it('migrates once: reopening keeps the data', async () => {
    const registry = new SqliteRegistry(file);
    expect((await registry.get('0000000000000001'))!.name).toBe('roof');
    await registry.close();
  });
});
