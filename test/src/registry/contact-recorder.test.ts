import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContactThrottle, ContactWriter } from '../../../src/registry/contact-recorder.ts';
import type { GatewayStore, LastContact } from '../../../src/registry/gateway-registry.ts';
import { openStore } from '../../../src/registry/open-registry.ts';
import { within } from '../../helpers/within.ts';

const contact = (station: string): LastContact => ({
  at: new Date().toISOString(),
  station,
  model: 'linux',
  package: '1',
  peer: '127.0.0.1',
  certificate: null,
});

describe('ContactThrottle', () => {
  const same = contact('s');
  it('records the first contact, a changed report, and the same report again after the interval', () => {
    const throttle = new ContactThrottle(60_000, 200_000, () => 0);
    expect(throttle.shouldRecord('A', same, 0)).toBe(true);
    expect(throttle.shouldRecord('A', same, 1000)).toBe(false);
    expect(throttle.shouldRecord('A', { ...same, package: '2' }, 2000)).toBe(true);
    expect(throttle.shouldRecord('A', { ...same, package: '2' }, 61_000)).toBe(false);
    expect(throttle.shouldRecord('A', { ...same, package: '2' }, 62_001)).toBe(true);
    expect(throttle.shouldRecord('B', same, 62_001)).toBe(true);
  });

  it('spreads the refreshes of gateways first seen together over half an interval', () => {
    const throttle = new ContactThrottle(60_000);
    const euis = Array.from({ length: 6000 }, (_, i) => i.toString(16).padStart(16, '0'));
    for (const eui of euis) expect(throttle.shouldRecord(eui, same, 0)).toBe(true);
    // Each gateway calls every 250 ms from 55 s to 95 s: when is its same report written again?
    const refreshes: number[] = [];
    for (let now = 55_000; now <= 95_000; now += 250) {
      for (const eui of euis) if (throttle.shouldRecord(eui, same, now)) refreshes.push(now);
    }
    // Once each, between 60 and 90 s, about a sixth in each 5 s: no wave.
    expect([refreshes.length, Math.min(...refreshes) >= 60_000, Math.max(...refreshes) <= 90_000]).toEqual([6000, true, true]);
    const bins = [0, 0, 0, 0, 0, 0];
    for (const at of refreshes) bins[Math.min(5, Math.floor((at - 60_000) / 5000))]! += 1;
    for (const count of bins) expect(count).toBeGreaterThan(800);
  });
});

describe('ContactWriter, on a real SQLite registry', () => {
  const EUIS = ['0000000000000001', '0000000000000002', '0000000000000003'];
  let dir: string;
  let store: GatewayStore;
  /** The batches the store was given, as EUI lists; `failNext` makes the next one fail as a full disk would. */
  let batches: string[][];
  let failNext: boolean;
  let errors: { error: unknown; euis: string[] }[];
  const registry = {
    recordContacts: async (contacts: ReadonlyMap<string, LastContact>) => {
      batches.push([...contacts.keys()]);
      if (failNext) {
        failNext = false;
        throw new Error('disk full');
      }
      return store.recordContacts(contacts);
    },
  };
  const stationOf = async (eui: string) => (await store.get(eui))!.lastContact?.station;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'cups-contacts-'));
    store = openStore(`sqlite:${join(dir, 'cups.db')}`);
    await store.addMany(
      EUIS.map((eui) => ({
        eui,
        tenant: 't',
        name: null,
        lnsUri: 'ws://lns:1',
        lnsCredentials: null,
        cupsUri: null,
        cupsCredentials: null,
      })),
    );
    batches = [];
    failNext = false;
    errors = [];
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes the contacts of a burst together, after the delay, the latest one per gateway', async () => {
    const writer = new ContactWriter(registry, (error, euis) => errors.push({ error, euis }), 200);
    writer.record(EUIS[0]!, contact('first'));
    writer.record(EUIS[1]!, contact('b'));
    writer.record(EUIS[0]!, contact('second'));
    expect(batches).toEqual([]);
    expect(await stationOf(EUIS[0]!)).toBeUndefined();
    await within(2000, () => batches.length > 0);
    expect(batches).toEqual([[EUIS[0], EUIS[1]]]);
    expect([await stationOf(EUIS[0]!), await stationOf(EUIS[1]!)]).toEqual(['second', 'b']);
    expect(errors).toEqual([]);
  });

  it('writes at once when a batch is full, without waiting for the delay', async () => {
    const writer = new ContactWriter(registry, (error, euis) => errors.push({ error, euis }), 60_000, 2);
    writer.record(EUIS[0]!, contact('a'));
    writer.record(EUIS[1]!, contact('b'));
    await within(1000, async () => (await stationOf(EUIS[1]!)) === 'b');
    writer.record(EUIS[2]!, contact('c'));
    await writer.flush();
    expect(batches).toEqual([[EUIS[0], EUIS[1]], [EUIS[2]]]);
  });

  it('writes one batch at a time; what comes meanwhile waits, the latest contact per gateway', async () => {
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const slow = {
      recordContacts: async (contacts: ReadonlyMap<string, LastContact>) => {
        if (batches.length === 0) await held;
        return registry.recordContacts(contacts);
      },
    };
    const writer = new ContactWriter(slow, (error, euis) => errors.push({ error, euis }), 60_000, 1);
    writer.record(EUIS[0]!, contact('a1'));
    writer.record(EUIS[1]!, contact('b'));
    writer.record(EUIS[0]!, contact('a2'));
    const flushed = writer.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(batches).toEqual([]);
    release();
    await flushed;
    expect(batches).toEqual([[EUIS[0]], [EUIS[1], EUIS[0]]]);
    expect([await stationOf(EUIS[0]!), await stationOf(EUIS[1]!)]).toEqual(['a2', 'b']);
  });

  it('reports a failed batch with its gateways and goes on writing the next', async () => {
    const writer = new ContactWriter(registry, (error, euis) => errors.push({ error, euis }), 60_000);
    failNext = true;
    writer.record(EUIS[0]!, contact('lost'));
    writer.record(EUIS[1]!, contact('lost'));
    await writer.flush();
    expect(errors).toEqual([{ error: new Error('disk full'), euis: [EUIS[0], EUIS[1]] }]);
    writer.record(EUIS[2]!, contact('kept'));
    await writer.flush();
    expect([await stationOf(EUIS[0]!), await stationOf(EUIS[2]!)]).toEqual([undefined, 'kept']);
  });
});
