import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, splitCredentials, type UpdateInfoResponse, verifyUpdate } from '../../protocol/index.ts';

export interface AppliedFile {
  name: string;
  bytes: number;
}

/**
 * The files a station writes for an answer: `cups.uri`/`tc.uri` (no trailing newline), each
 * credentials blob split into `.trust`, `.crt`, `.key` (an absent part as an empty file, a token as
 * the `.key`), and `update.bin`. With `write` false, only says what it would write.
 */
export function applyAnswer(dir: string, answer: UpdateInfoResponse, write: boolean): AppliedFile[] {
  const files: [string, Buffer][] = [];
  if (answer.cupsUri) files.push(['cups.uri', Buffer.from(answer.cupsUri)]);
  if (answer.tcUri) files.push(['tc.uri', Buffer.from(answer.tcUri)]);
  for (const [set, blob] of [
    ['cups', answer.cupsCred],
    ['tc', answer.tcCred],
  ] as const) {
    if (!blob) continue;
    const parts = splitCredentials(blob);
    files.push(
      [`${set}.trust`, parts.trust],
      [`${set}.crt`, parts.cert ?? Buffer.alloc(0)],
      [`${set}.key`, parts.key ?? Buffer.from(parts.token ?? '', 'latin1')],
    );
  }
  if (answer.update) files.push(['update.bin', Buffer.from(answer.update)]);
  if (write) for (const [name, data] of files) writeFileSync(join(dir, name), data, { mode: name.endsWith('.key') ? 0o600 : 0o644 });
  return files.map(([name, data]) => ({ name, bytes: data.length }));
}

/** Whether the update's signature verifies with one of the station's keys, as the station checks it. */
export function updateVerdict(answer: UpdateInfoResponse, sigKeys: Buffer[]): string | undefined {
  if (!answer.update) return undefined;
  if (!answer.signature)
    return sigKeys.length ? 'refused: the station holds keys but no signature came' : 'unsigned; the station holds no key and would run it';
  const key = sigKeys.find((k) => k.length === 64 && verifyUpdate(answer.update!, answer.signature!.der, k));
  return key
    ? `signature verified with the key of CRC 0x${crc32(key).toString(16).toUpperCase().padStart(8, '0')}`
    : 'refused: no key of the station verifies the signature';
}
