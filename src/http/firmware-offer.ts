import { Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { UpdateInfoRequest } from '../../protocol/index.ts';
import { DEFAULT_CHANNEL, type FirmwareCatalog } from '../firmware/catalog.ts';
import { decideUpdate } from '../firmware/decide-update.ts';
import type { FirmwareImages } from '../firmware/image-store.ts';
import type { Gateway } from '../registry/gateway-registry.ts';

/** Where firmware comes from: the catalog (in the registry database) and the store holding the images. */
export interface FirmwareSource {
  catalog: FirmwareCatalog;
  images: FirmwareImages;
}

export interface FirmwareOffer {
  sha256: string;
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
  const { sha256 } = decision.image;
  const size = await firmware.images.size(sha256);
  if (size !== decision.image.size) {
    log.error(
      { eui: gateway.eui, firmware: decision.image.version, sha256, where: firmware.images.where },
      'firmware image missing or altered in its store: no update sent',
    );
    return undefined;
  }
  return {
    sha256,
    size,
    version: decision.image.version,
    signature: decision.signature && { keyCrc: decision.signature.keyCrc, der: decision.signature.signature },
  };
}

/** The answer's encoded head, then the image streamed from its store: no image is ever held in memory whole. */
export function firmwareAnswerStream(head: Buffer, images: FirmwareImages, sha256: string): Readable {
  return Readable.from(concat(head, images.read(sha256)));
}

async function* concat(head: Buffer, image: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  yield head;
  yield* image;
}
