import { parse, stringify } from 'lossless-json';
import { formatId6, parseEui } from '../../protocol/index.ts';
import { InvalidStationConf } from '../errors.ts';

/**
 * A gateway's station.conf from a vendor's template: the template as it is (radio settings,
 * numbers to the last digit) with `station_conf.routerid` set to the gateway's EUI in ID6, which
 * is where a Basics Station takes its EUI from (never from its certificate). Throws, naming the
 * problem, for a template that is not a JSON object, names a key twice, or has a `station_conf`
 * that is not an object.
 */
export function stationConf(template: string, eui: string): string {
  let conf: unknown;
  try {
    conf = parse(template);
  } catch (error) {
    throw new InvalidStationConf(`the station.conf template is not valid JSON: ${(error as Error).message}`);
  }
  if (typeof conf !== 'object' || conf === null || Array.isArray(conf))
    throw new InvalidStationConf('the station.conf template must be a JSON object');
  const fields = conf as Record<string, unknown>;
  const station = fields.station_conf ?? {};
  if (typeof station !== 'object' || station === null || Array.isArray(station))
    throw new InvalidStationConf('station_conf in the station.conf template must be an object');
  fields.station_conf = { ...station, routerid: formatId6(parseEui(eui)) };
  return `${stringify(fields, null, 2)}\n`;
}
