import { Ajv } from 'ajv';
import { isInteger, isSafeNumber, parse as parseJsonLossless } from 'lossless-json';
import { CupsProtocolError, InvalidRequestError } from './errors.ts';
import { type Eui, euiFromInteger, parseEui } from './eui.ts';
import { mayRepeatAKey } from './lib/strict-json.ts';

const u32 = { type: 'integer', minimum: 0, maximum: 0xffffffff } as const;
const uri = { type: ['string', 'null'], maxLength: 255 } as const;
const text = { type: ['string', 'null'], maxLength: 256 } as const;

/** Largest request body the server accepts: a real request is about 250 bytes. */
export const MAX_REQUEST_BYTES = 8 * 1024;

/**
 * JSON schema of the update-info request body. Only `router` is required (curl users send just
 * that); nulls are allowed where the station sends them; unknown fields are ignored.
 */
export const updateInfoRequestSchema = {
  $id: 'cups-update-info-request',
  type: 'object',
  required: ['router'],
  properties: {
    router: { type: ['string', 'integer'], minLength: 1, maxLength: 64, minimum: 0 },
    cupsUri: uri,
    tcUri: uri,
    cupsCredCrc: u32,
    tcCredCrc: u32,
    station: text,
    model: text,
    package: text,
    keys: { type: 'array', maxItems: 16, items: u32 },
  },
  additionalProperties: true,
} as const;

export interface UpdateInfoRequest {
  router: Eui;
  cupsUri: string | null;
  tcUri: string | null;
  cupsCredCrc: number;
  tcCredCrc: number;
  station: string | null;
  model: string | null;
  package: string | null;
  keys: number[];
}

const validate = new Ajv({ allErrors: false, allowUnionTypes: true, strict: true }).compile(updateInfoRequestSchema);

/**
 * Parses and validates a request body. A router sent as a JSON integer above 2^53 keeps every
 * digit, and a router named twice is refused.
 */
export function parseUpdateInfoRequest(body: string | Uint8Array): UpdateInfoRequest {
  const textBody = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  let raw: unknown;
  let parsedFast: unknown;
  try {
    raw = parsedFast = JSON.parse(textBody);
    // The exact reader only where it matters: a router written as a number (digits beyond 2^53)
    // or a key that may be named twice (which value would count?), spelled alike or through
    // escapes ("\u0072outer" is "router"). It refuses duplicate keys, at any depth.
    if (mayRepeatAKey(textBody, raw) || typeof (raw as { router?: unknown } | null)?.router === 'number')
      raw = parseJsonLossless(textBody, null, exactNumber);
  } catch (error) {
    throw new InvalidRequestError(`the body is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new InvalidRequestError('the body must be a JSON object');
  }
  const fields = raw as Record<string, unknown>;
  // Unsafe integers arrive as bigint; the schema sees them as (rounded) numbers, which are far
  // outside every u32 range, while `router` is read from the exact value below.
  const exact = raw !== parsedFast;
  const forSchema = exact
    ? Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, Array.isArray(v) ? v.map(asNumber) : asNumber(v)]))
    : fields;
  if (!validate(forSchema)) {
    const error = validate.errors![0]!;
    const where = error.instancePath ? error.instancePath.slice(1).replace(/\//g, '.') : 'body';
    throw new InvalidRequestError(`${where} ${error.message}`);
  }
  for (const key of ['cupsUri', 'tcUri'] as const) {
    const value = fields[key];
    if (typeof value === 'string' && Buffer.byteLength(value) > 255) {
      throw new InvalidRequestError(`${key} is longer than 255 bytes`);
    }
  }
  let router: Eui;
  try {
    const value = fields.router as string | number | bigint;
    router = typeof value === 'string' ? parseEui(value) : euiFromInteger(value);
  } catch (error) {
    if (error instanceof CupsProtocolError) throw new InvalidRequestError(`router: ${error.message}`);
    throw error;
  }
  return {
    router,
    cupsUri: (fields.cupsUri as string | null | undefined) ?? null,
    tcUri: (fields.tcUri as string | null | undefined) ?? null,
    cupsCredCrc: (fields.cupsCredCrc as number | undefined) ?? 0,
    tcCredCrc: (fields.tcCredCrc as number | undefined) ?? 0,
    station: (fields.station as string | null | undefined) ?? null,
    model: (fields.model as string | null | undefined) ?? null,
    package: (fields.package as string | null | undefined) ?? null,
    keys: (fields.keys as number[] | undefined) ?? [],
  };
}

/** Safe numbers as numbers; integers beyond 2^53 as bigint so that no digit is lost. */
function exactNumber(text: string): number | bigint {
  return !isSafeNumber(text) && isInteger(text) ? BigInt(text) : Number(text);
}

function asNumber(value: unknown): unknown {
  return typeof value === 'bigint' ? Number(value) : value;
}
