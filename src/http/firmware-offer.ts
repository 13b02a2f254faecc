import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { UpdateInfoRequest } from '../../protocol/index.ts';
import { DEFAULT_CHANNEL, type FirmwareCatalog } from '../firmware/catalog.ts';
import { decideUpdate } from '../firmware/decide-update.ts';
import { imagePath } from '../firmware/image-store.ts';
import type { Gateway } from '../registry/gateway-registry.ts';

/** Where firmware comes from: the catalog (in the registry database) and the folder holding the images. */
export interface FirmwareSource {
  catalog: FirmwareCatalog;
  dir: string;
}

export interface FirmwareOffer {
  path: string;
  size: number;
  version: string;
  signature: { keyCrc: number; der: Buffer } | undefined;
}

/**
 * The firmware a station should get now, if any: its channel's (or pinned) target, when the
 * update policy says so and the image on disk is whole. Why none is offered is logged.
 */
export async function offerFirmware(
  firmware: FirmwareSource,
  body: UpdateInfoRequest,
  gateway: Gateway,
  log: FastifyBaseLogger,
): Promise<FirmwareOffer | undefined> {
  if (!body.model) return undefined;
  const channel = await firmware.catalog.channel(body.model, gateway.firmwareChannel ?? DEFAULT_CHANNEL);
  const target = gateway.firmwarePin ?? channel?.targetVersion;
  // Most calls: no firmware is meant for this gateway, and nothing is left to decide or say.
  if (!target) return undefined;
  const image = await firmware.catalog.image(body.model, target);
  const decision = decideUpdate(body, gateway, channel, image);
  if (!decision.send) {
    log.info({ eui: gateway.eui, firmware: target }, `no firmware update: ${decision.reason}`);
    return undefined;
  }
  const path = imagePath(firmware.dir, decision.image.sha256);
  const size = await stat(path).then(
    (s) => s.size,
    () => -1,
  );
  if (size !== decision.image.size) {
    log.error({ eui: gateway.eui, firmware: decision.image.version, path }, 'firmware image missing or altered on disk: no update sent');
    return undefined;
  }
  return {
    path,
    size,
    version: decision.image.version,
    signature: decision.signature && { keyCrc: decision.signature.keyCrc, der: decision.signature.signature },
  };
}

/** The answer's encoded head, then the image streamed from disk: no image is ever held in memory whole. */
export function firmwareAnswerStream(head: Buffer, path: string): Readable {
  return Readable.from(concat(head, path));
}

async function* concat(head: Buffer, path: string): AsyncGenerator<Buffer> {
  yield head;
  for await (const chunk of createReadStream(path)) yield chunk as Buffer;
}
