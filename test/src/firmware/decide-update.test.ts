import { describe, expect, it } from 'vitest';
import type { Channel, FirmwareImage } from '../../../src/firmware/catalog.ts';
import { decideUpdate, rolloutBucket, type StationReport } from '../../../src/firmware/decide-update.ts';

const image: FirmwareImage = {
  sha256: 'ab'.repeat(32),
  model: 'linux',
  version: '2.0.7',
  size: 136,
  signatures: [{ keyCrc: 0x1d1e9f14, signature: Buffer.alloc(72, 1) }],
};
const unsignedImage: FirmwareImage = { ...image, signatures: [] };
const channel: Channel = {
  model: 'linux',
  channel: 'stable',
  targetVersion: '2.0.7',
  previousVersion: '2.0.6',
  rolloutPercent: 100,
  paused: false,
  allowUnsigned: false,
};
const station: StationReport = { model: 'linux', package: '2.0.6', keys: [0x1d1e9f14] };
const gateway = { eui: 'B827EBFFFE123456', firmwarePin: null as string | null };

describe('decideUpdate', () => {
  it.each<
    [
      string,
      Partial<StationReport>,
      Partial<typeof gateway>,
      Partial<Channel> | null,
      FirmwareImage | undefined,
      string | 'signed' | 'unsigned',
    ]
  >([
    ['a station with the key gets the signed image', {}, {}, {}, image, 'signed'],
    ['the key is found among several', { keys: [7, 0x1d1e9f14, 9] }, {}, {}, image, 'signed'],
    ['no model reported', { model: null }, {}, {}, image, 'reported no model'],
    ['no channel for the model', {}, {}, null, undefined, 'no firmware channel targets model linux'],
    ['already on the target', { package: '2.0.7' }, {}, {}, image, 'already runs 2.0.7'],
    ['another model than the image', { model: 'rpi' }, {}, {}, image, 'no image of 2.0.7 for model rpi'],
    ['keys, but none that signed it: never unsigned', { keys: [42] }, {}, {}, image, 'no signature of 2.0.7 by a key the station holds'],
    [
      'keys and an unsigned image on an unsigned channel: still never',
      { keys: [42] },
      {},
      { allowUnsigned: true },
      unsignedImage,
      'no signature',
    ],
    ['no keys, signed-only channel', { keys: [] }, {}, {}, image, 'unsigned images are not allowed'],
    ['no keys, channel allows unsigned', { keys: [] }, {}, { allowUnsigned: true }, image, 'unsigned'],
    ['a paused rollout', {}, {}, { paused: true }, image, 'paused'],
    ['a 0% rollout', {}, {}, { rolloutPercent: 0 }, image, 'not in the 0% rollout'],
    ['a pin bypasses pause and rollout share', {}, { firmwarePin: '2.0.7' }, { paused: true, rolloutPercent: 0 }, image, 'signed'],
    ['a pin without any channel', {}, { firmwarePin: '2.0.7' }, null, image, 'signed'],
    ['a pin to the version it runs', { package: '2.0.7' }, { firmwarePin: '2.0.7' }, {}, image, 'already runs'],
  ])('%s', (_name, report, gw, channelChanges, img, expected) => {
    const decision = decideUpdate(
      { ...station, ...report },
      { ...gateway, ...gw },
      channelChanges ? { ...channel, ...channelChanges } : undefined,
      img,
    );
    if (expected === 'signed') expect(decision).toEqual({ send: true, image: img, signature: img!.signatures[0] });
    else if (expected === 'unsigned') expect(decision).toEqual({ send: true, image: img });
    else expect(decision.send === false && decision.reason).toContain(expected);
  });
});

describe('staged rollout', () => {
  const euis = Array.from({ length: 10_000 }, (_, i) => (0xb827eb0000000000n + BigInt(i)).toString(16).toUpperCase());
  const share = (percent: number) =>
    euis.filter((eui) => decideUpdate(station, { eui, firmwarePin: null }, { ...channel, rolloutPercent: percent }, image).send);

  it.each([1, 10, 25, 50, 90])('%i%% of the gateways, within a point', (percent) => {
    expect(Math.abs(share(percent).length / euis.length - percent / 100)).toBeLessThan(0.01 + 0.005);
  });

  it('is deterministic and only grows: every gateway in at 10% is in at 50%', () => {
    const ten = new Set(share(10));
    expect(new Set(share(10))).toEqual(ten);
    const fifty = new Set(share(50));
    expect([...ten].every((eui) => fifty.has(eui))).toBe(true);
  });

  it('picks other gateways first for another release', () => {
    const first = euis.filter((eui) => rolloutBucket(eui, '2.0.7') < 10);
    const next = euis.filter((eui) => rolloutBucket(eui, '2.0.8') < 10);
    expect(first.filter((eui) => next.includes(eui)).length).toBeLessThan(first.length / 3);
  });
});
