import { InvalidRequest } from '../errors.ts';

/** A page's cursor: the key the next page starts after, opaque to clients. */
export const encodeCursor = (key: string): string => Buffer.from(key).toString('base64url');

export function decodeCursor(cursor: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new InvalidRequest('cursor is not one this API gave');
  return Buffer.from(cursor, 'base64url').toString();
}
