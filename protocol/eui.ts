import { InvalidEuiError } from './errors.ts';

/** An EUI-64 as an unsigned 64-bit integer. */
export type Eui = bigint;

export const MAX_EUI: Eui = (1n << 64n) - 1n;

const HEX16 = /^[0-9a-fA-F]{16}$/;
const BYTE_GROUPS = /^[0-9a-fA-F]{2}([-:])[0-9a-fA-F]{2}(\1[0-9a-fA-F]{2}){6}$/;
const ID6_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** ID6 with four groups, nothing compressed: how stations write most EUIs, read on every request. */
const ID6_FOUR_GROUPS = /^([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4}):([0-9a-fA-F]{1,4})$/;
// TTS-style prefix such as `router-`: only in front of an ID6, so `ab-cd-...` stays a dash form.
const NAME_PREFIX = /^[a-z][a-z0-9_]*-(?=[^-]*:)/;

/**
 * Parses an EUI in any accepted spelling: ID6 (optionally behind a lowercase `name-` prefix),
 * `AA-BB-..`, `AA:BB:..`, or 16 hex digits. Everything else is refused, including forms the
 * station's own lax parser would read in more than one way (`1:2:3`).
 */
export function parseEui(text: string): Eui {
  if (typeof text !== 'string') throw new InvalidEuiError(`an EUI must be a string, got ${typeof text}`);
  if (text.length === 0) throw new InvalidEuiError('an EUI must not be empty');
  if (text.length > 64) throw new InvalidEuiError(`an EUI has at most 64 characters, got ${text.length}`);
  if (HEX16.test(text)) return BigInt(`0x${text}`);
  const four = ID6_FOUR_GROUPS.exec(text);
  if (four) return fromGroups(four.slice(1) as [string, string, string, string]);
  if (BYTE_GROUPS.test(text)) return BigInt(`0x${text.replace(/[-:]/g, '')}`);
  const id6 = text.replace(NAME_PREFIX, '');
  if (id6.includes(':')) return parseId6(id6, text);
  if (/^[0-9a-fA-F]+$/.test(text)) {
    throw new InvalidEuiError(`"${text}" has ${text.length} hex digits; an EUI has exactly 16`);
  }
  throw new InvalidEuiError(
    `"${text}" is not an EUI: use 16 hex digits, AA-BB-CC-DD-EE-FF-00-11, AA:BB:CC:DD:EE:FF:00:11 or ID6 such as 58a0:cbff:fe80:19`,
  );
}

function parseId6(id6: string, original: string): Eui {
  const halves = id6.split('::');
  if (halves.length > 2) throw new InvalidEuiError(`"${original}": an ID6 has at most one "::"`);
  const groupsOf = (part: string): string[] => (part === '' ? [] : part.split(':'));
  if (!/[0-9a-fA-F]/.test(id6)) throw new InvalidEuiError(`"${original}": an ID6 needs at least one hex digit`);
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  for (const group of [...head, ...tail]) {
    if (!ID6_GROUP.test(group)) {
      throw new InvalidEuiError(
        group === ''
          ? `"${original}": an ID6 has an empty group (stray ":")`
          : `"${original}": ID6 group "${group}" is not 1 to 4 hex digits`,
      );
    }
  }
  let groups: string[];
  if (halves.length === 2) {
    if (head.length + tail.length > 3) {
      throw new InvalidEuiError(`"${original}": "::" must stand for at least one zero group of four`);
    }
    groups = [...head, ...Array<string>(4 - head.length - tail.length).fill('0'), ...tail];
  } else {
    if (head.length !== 4) {
      throw new InvalidEuiError(`"${original}": an ID6 without "::" has exactly 4 groups, got ${head.length}`);
    }
    groups = head;
  }
  return fromGroups(groups as [string, string, string, string]);
}

/** An EUI from its four 16-bit groups in hex: two 32-bit halves as numbers, then one BigInt. */
function fromGroups(groups: [string, string, string, string]): Eui {
  const [g0, g1, g2, g3] = groups.map((group) => Number.parseInt(group, 16)) as [number, number, number, number];
  return (BigInt(g0 * 0x10000 + g1) << 32n) | BigInt(g2 * 0x10000 + g3);
}

/** Reads an EUI written as a JSON integer, given its exact decimal text or value (no float rounding). */
export function euiFromInteger(value: bigint | number | string): Eui {
  let eui: bigint;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new InvalidEuiError(`${value} is not an exact integer; pass the digits, not a float`);
    }
    eui = BigInt(value);
  } else if (typeof value === 'string') {
    if (!/^\d{1,20}$/.test(value)) throw new InvalidEuiError(`"${value}" is not a non-negative decimal integer`);
    eui = BigInt(value);
  } else {
    eui = value;
  }
  if (eui < 0n || eui > MAX_EUI) throw new InvalidEuiError(`${eui} is outside 0..2^64-1`);
  return eui;
}

function groupsOf(eui: Eui): [number, number, number, number] {
  return [Number((eui >> 48n) & 0xffffn), Number((eui >> 32n) & 0xffffn), Number((eui >> 16n) & 0xffffn), Number(eui & 0xffffn)];
}

/** Formats as ID6 exactly as the station's encoder does: only five shapes are compressed. */
export function formatId6(eui: Eui): string {
  const [g0, g1, g2, g3] = groupsOf(eui).map((g) => g.toString(16)) as [string, string, string, string];
  const z = groupsOf(eui).map((g) => g === 0);
  if (z[0] && z[1] && z[2]) return `::${g3}`;
  if (z[0] && z[1]) return `::${g2}:${g3}`;
  if (z[1] && z[2] && z[3]) return `${g0}::`;
  if (z[2] && z[3]) return `${g0}:${g1}::`;
  if (z[1] && z[2]) return `${g0}::${g3}`;
  return `${g0}:${g1}:${g2}:${g3}`;
}

/** Formats as 16 uppercase hex digits, the form certificates carry in their CN. */
export function formatEuiHex(eui: Eui): string {
  return eui.toString(16).toUpperCase().padStart(16, '0');
}
