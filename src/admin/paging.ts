import { InvalidRequest } from '../errors.ts';

/** A page's cursor: the key the next page starts after, opaque to clients. */
export const encodeCursor = (key: string): string => Buffer.from(key).toString('base64url');

export function decodeCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidRequest('cursor is not one this API gave');
  return Buffer.from(cursor, 'base64url').toString();
}

/** The query of a paged list: its filters, and `limit` (1 to 1,000, 100 by default) and `cursor`. */
export const pagedQuery = <P extends Record<string, object>>(filters: P) =>
  ({
    type: 'object',
    additionalProperties: false,
    properties: {
      ...filters,
      limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      cursor: { type: 'string', maxLength: 64 },
    },
  }) as const;

/** A page: its items under `key`, and `next`, the cursor of the next page (null after the last). */
export const pageOf = <K extends string>(key: K, item: object) =>
  ({
    type: 'object',
    required: [key, 'next'],
    properties: { [key]: { type: 'array', items: item }, next: { type: ['string', 'null'] } },
  }) as const;
