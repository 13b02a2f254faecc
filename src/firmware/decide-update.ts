import { createHash } from 'node:crypto';
import type { Channel, FirmwareImage } from './catalog.ts';

export type UpdateDecision =
  | { send: true; image: FirmwareImage; signature?: { keyCrc: number; signature: Buffer } }
  | { send: false; reason: string };

export interface StationReport {
  model: string | null;
  package: string | null;
  keys: number[];
}

/** A gateway's fixed place in 0..99 for one release, so a rollout percentage picks the same gateways each time. */
export function rolloutBucket(eui: string, version: string): number {
  return createHash('sha256').update(`${eui}/${version}`).digest().readUInt32BE(0) % 100;
}

function none(reason: string): UpdateDecision {
  return { send: false, reason };
}

/**
 * Whether a station gets an update, and with which signature. It does only when its model
 * matches, its package differs from the target, and either a signature exists by a key whose CRC
 * it lists, or it holds no key at all and the channel allows unsigned images. A station holding
 * keys is never sent an unsigned image. Channel targets reach only their rollout share and
 * nothing while paused; a pinned version bypasses both.
 */
export function decideUpdate(
  station: StationReport,
  gateway: { eui: string; firmwarePin: string | null },
  channel: Channel | undefined,
  image: FirmwareImage | undefined,
): UpdateDecision {
  if (!station.model) return none('the station reported no model');
  const target = gateway.firmwarePin ?? channel?.targetVersion;
  if (!target) return none(`no firmware channel targets model ${station.model}`);
  if (station.package === target) return none(`already runs ${target}`);
  if (!gateway.firmwarePin) {
    if (channel!.paused) return none(`the rollout of ${target} is paused`);
    if (rolloutBucket(gateway.eui, target) >= channel!.rolloutPercent)
      return none(`not in the ${channel!.rolloutPercent}% rollout of ${target}`);
  }
  if (!image || image.model !== station.model) return none(`no image of ${target} for model ${station.model}`);
  const signature = image.signatures.find((s) => station.keys.includes(s.keyCrc));
  if (signature) return { send: true, image, signature };
  if (station.keys.length > 0) return none(`no signature of ${target} by a key the station holds`);
  if (!channel?.allowUnsigned) return none(`the station holds no signing key and unsigned images are not allowed for this channel`);
  return { send: true, image };
}
