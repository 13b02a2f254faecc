import type { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AuditTrail } from '../../audit/audit-trail.ts';
import { FirmwareNotFound, InvalidFirmware, RequestTooLarge } from '../../errors.ts';
import type { Channel, FirmwareCatalog } from '../../firmware/catalog.ts';
import { checkSignatures, keyCrcText } from '../../firmware/check-signatures.ts';
import { type FirmwareImages, MAX_IMAGE_BYTES } from '../../firmware/image-store.ts';
import { requireOperator } from '../plugins/bearer-auth.ts';

export interface FirmwareRoutesOptions {
  catalog: FirmwareCatalog;
  images: FirmwareImages;
  audit: AuditTrail;
}

/** A model, channel or version: printable ASCII without spaces, as stations report them. */
export const firmwareName = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[\\x21-\\x7e]+$' } as const;
const base64 = { type: 'string', maxLength: 4096, pattern: '^[A-Za-z0-9+/]*={0,2}$' } as const;
export const channelParams = {
  type: 'object',
  required: ['model', 'channel'],
  properties: { model: firmwareName, channel: firmwareName },
} as const;
const channelView = {
  type: 'object',
  required: ['model', 'channel', 'targetVersion', 'previousVersion', 'rolloutPercent', 'paused', 'allowUnsigned'],
  properties: {
    model: { type: 'string' },
    channel: { type: 'string' },
    targetVersion: { type: ['string', 'null'] },
    previousVersion: { type: ['string', 'null'] },
    rolloutPercent: { type: 'integer' },
    paused: { type: 'boolean' },
    allowUnsigned: { type: 'boolean' },
  },
} as const;
const imageView = {
  type: 'object',
  required: ['model', 'version', 'sha256', 'size'],
  properties: {
    model: { type: 'string' },
    version: { type: 'string' },
    sha256: { type: 'string' },
    size: { type: 'integer' },
    signedBy: { type: 'array', items: { type: 'string' } },
  },
} as const;

interface ImageBody {
  model: string;
  version: string;
  sha256: string;
  signatures?: { publicKey: string; signature: string }[];
  unsigned?: boolean;
}

/** A public key as JSON carries it: PEM text, or base64 of DER or of the station's raw 64 bytes. */
const keyBytes = (text: string) => (text.includes('-----BEGIN') ? Buffer.from(text) : Buffer.from(text, 'base64'));

/**
 * Firmware, for operator tokens: images uploaded (bytes first, by hash; then the catalog entry
 * with its signatures, each checked over the stored bytes), channels rolled out, paused, resumed
 * and rolled back, and what versions the gateways report. Every change is audited.
 */
export const firmwareRoutes: FastifyPluginAsync<FirmwareRoutesOptions> = async (app, { catalog, images, audit }) => {
  // The image's bytes go to the store as they arrive, never held whole; the store enforces the size.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  app.addHook('onRequest', async (request) => requireOperator(request, 'manages firmware'));

  const audited = (request: FastifyRequest, action: string, detail: Record<string, unknown>) =>
    audit.record([{ actor: request.adminToken!.name, action, detail }]);

  app.get(
    '/api/firmware',
    {
      schema: {
        operationId: 'firmwareStatus',
        tags: ['firmware'],
        response: {
          200: {
            type: 'object',
            required: ['images', 'channels', 'reported'],
            properties: {
              images: { type: 'array', items: imageView },
              channels: { type: 'array', items: channelView },
              reported: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { model: { type: ['string', 'null'] }, version: { type: ['string', 'null'] }, gateways: { type: 'integer' } },
                },
              },
            },
          },
        },
      },
    },
    async () => {
      const [list, channels, reported] = await Promise.all([catalog.images(), catalog.channels(), catalog.reportedVersions()]);
      return { images: list, channels, reported };
    },
  );

  app.post<{ Body: Readable }>(
    '/api/firmware/blobs',
    {
      schema: {
        operationId: 'uploadFirmware',
        tags: ['firmware'],
        description: `The bytes of an image (application/octet-stream, at most ${MAX_IMAGE_BYTES / 1024 / 1024} MiB), stored by SHA-256.`,
        response: {
          201: { type: 'object', required: ['sha256', 'size'], properties: { sha256: { type: 'string' }, size: { type: 'integer' } } },
        },
      },
    },
    async (request, reply) => {
      if (Number(request.headers['content-length'] ?? 0) > MAX_IMAGE_BYTES)
        throw new RequestTooLarge(`the image is over ${MAX_IMAGE_BYTES / 1024 / 1024} MiB`);
      if (typeof request.body?.[Symbol.asyncIterator] !== 'function')
        throw new InvalidFirmware('send the image as application/octet-stream');
      const stored = await images.put(request.body);
      await audited(request, 'firmware.upload', stored);
      return reply.code(201).send(stored);
    },
  );

  app.post<{ Body: ImageBody }>(
    '/api/firmware/images',
    {
      schema: {
        operationId: 'addFirmwareImage',
        tags: ['firmware'],
        description: 'Names uploaded bytes as a model and version, with signatures (each checked over the bytes) or unsigned: true.',
        body: {
          type: 'object',
          required: ['model', 'version', 'sha256'],
          additionalProperties: false,
          properties: {
            model: firmwareName,
            version: firmwareName,
            sha256: { type: 'string', pattern: '^[0-9a-f]{64}$' },
            signatures: {
              type: 'array',
              maxItems: 8,
              items: {
                type: 'object',
                required: ['publicKey', 'signature'],
                additionalProperties: false,
                properties: { publicKey: { type: 'string', maxLength: 4096 }, signature: base64 },
              },
            },
            unsigned: { type: 'boolean' },
          },
        },
        response: { 201: imageView },
      },
    },
    async (request, reply) => {
      const { model, version, sha256, unsigned = false } = request.body;
      const size = await images.size(sha256);
      if (size === undefined)
        throw new FirmwareNotFound(`no uploaded image of SHA-256 ${sha256}: POST its bytes to /api/firmware/blobs first`);
      const offered = (request.body.signatures ?? []).map((s, i) => ({
        publicKey: keyBytes(s.publicKey),
        signature: Buffer.from(s.signature, 'base64'),
        label: `signatures[${i}]`,
      }));
      const signatures = await checkSignatures(() => images.read(sha256), offered, unsigned);
      await catalog.addImage({ model, version, sha256, size, signatures });
      const signedBy = signatures.map((s) => keyCrcText(s.keyCrc));
      await audited(request, 'firmware.image.add', { model, version, sha256, size, signedBy });
      return reply.code(201).send({ model, version, sha256, size, signedBy });
    },
  );

  const channelAction = <B>(
    action: string,
    operationId: string,
    body: object | undefined,
    run: (params: { model: string; channel: string }, body: B) => Promise<Channel>,
  ) =>
    app.post<{ Params: { model: string; channel: string }; Body: B }>(
      `/api/firmware/channels/:model/:channel/${action}`,
      { schema: { operationId, tags: ['firmware'], params: channelParams, ...(body ? { body } : {}), response: { 200: channelView } } },
      async (request) => {
        const channel = await run(request.params, request.body as B);
        await audited(request, `firmware.${action}`, { ...request.params, ...(body ? { given: request.body } : {}), now: channel });
        return channel;
      },
    );

  channelAction<{ version: string; percent?: number; allowUnsigned?: boolean }>(
    'rollout',
    'rollOutFirmware',
    {
      type: 'object',
      required: ['version'],
      additionalProperties: false,
      properties: {
        version: firmwareName,
        percent: { type: 'integer', minimum: 0, maximum: 100, default: 100 },
        allowUnsigned: { type: 'boolean' },
      },
    },
    ({ model, channel }, { version, percent, allowUnsigned }) => catalog.rollOut(model, channel, version, percent ?? 100, allowUnsigned),
  );
  for (const [action, operationId, paused] of [
    ['pause', 'pauseFirmware', true],
    ['resume', 'resumeFirmware', false],
  ] as const) {
    channelAction(action, operationId, undefined, async ({ model, channel }) => {
      await catalog.setPaused(model, channel, paused);
      return (await catalog.channel(model, channel))!;
    });
  }
  channelAction('rollback', 'rollBackFirmware', undefined, ({ model, channel }) => catalog.rollBack(model, channel));
};
