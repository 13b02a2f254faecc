import { readFileSync } from 'node:fs';
import { CupsProtocolError, formatEuiHex, MAX_EUI, parseEui } from '../../protocol/index.ts';
import { InvalidEuiList } from '../errors.ts';

const MAX_FLEET = 1_000_000;

/**
 * The EUIs to issue for, from exactly one of --eui, --eui-range FIRST:COUNT or --eui-file, as
 * 16 uppercase hex digits. Malformed or duplicate EUIs are refused with where they are.
 */
export function euiList(source: { eui?: string; euiRange?: string; euiFile?: string }): string[] {
  const given = [source.eui, source.euiRange, source.euiFile].filter((v) => v !== undefined);
  if (given.length !== 1) throw new InvalidEuiList('give exactly one of --eui, --eui-range FIRST:COUNT or --eui-file FILE');
  const parse = (text: string, where: string) => {
    try {
      return parseEui(text.trim());
    } catch (error) {
      if (error instanceof CupsProtocolError) throw new InvalidEuiList(`${where}: ${error.message}`);
      throw error;
    }
  };
  let euis: string[];
  if (source.eui !== undefined) {
    euis = [formatEuiHex(parse(source.eui, '--eui'))];
  } else if (source.euiRange !== undefined) {
    const match = /^(.+):(\d+)$/.exec(source.euiRange);
    if (!match) throw new InvalidEuiList('--eui-range takes FIRST:COUNT, e.g. B827EBFFFE000000:1000');
    const first = parse(match[1]!, '--eui-range');
    const count = Number(match[2]);
    if (count < 1 || count > MAX_FLEET) throw new InvalidEuiList(`--eui-range COUNT must be 1 to ${MAX_FLEET}`);
    if (first + BigInt(count - 1) > MAX_EUI) throw new InvalidEuiList('--eui-range runs past FFFFFFFFFFFFFFFF');
    euis = Array.from({ length: count }, (_, i) => formatEuiHex(first + BigInt(i)));
  } else {
    let text: string;
    try {
      text = readFileSync(source.euiFile!, 'utf8');
    } catch (error) {
      throw new InvalidEuiList(`cannot read ${source.euiFile}: ${(error as Error).message}`);
    }
    euis = text
      .split('\n')
      .flatMap((line, index) =>
        line.trim() && !line.trim().startsWith('#') ? [formatEuiHex(parse(line, `${source.euiFile} line ${index + 1}`))] : [],
      );
    if (euis.length === 0) throw new InvalidEuiList(`${source.euiFile} lists no EUI`);
  }
  const seen = new Set<string>();
  for (const eui of euis) {
    if (seen.has(eui)) throw new InvalidEuiList(`EUI ${eui} is listed twice`);
    seen.add(eui);
  }
  return euis;
}
