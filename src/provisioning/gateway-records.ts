import { X509Certificate } from 'node:crypto';
import { parse as parseCsv } from 'csv-parse/sync';
import { stringify as stringifyCsv } from 'csv-stringify/sync';
import { CupsProtocolError, loadPrivateKey, splitCredentials } from '../../protocol/index.ts';
import { parseJsonStrictly } from '../../protocol/lib/strict-json.ts';
import { Failure, InvalidImportRow } from '../errors.ts';
import { toPem } from '../pki/keys.ts';
import type { Gateway, NewGateway } from '../registry/gateway-registry.ts';
import type { EndpointInput } from './endpoint-credentials.ts';
import { type CupsCertificateCheck, checkNewGateway, type FieldNames, type GatewayInput } from './gateway-input.ts';

/** The columns of an import or export file, CSV or JSON lines alike; PEM goes inline. */
export const RECORD_FIELDS = [
  'eui',
  'tenant',
  'name',
  'lns_uri',
  'lns_trust',
  'lns_cert',
  'lns_key',
  'lns_token',
  'cups_uri',
  'cups_trust',
  'cups_cert',
  'cups_key',
  'cups_token',
  'pinned_sha256',
] as const;
export type GatewayRecord = Partial<Record<(typeof RECORD_FIELDS)[number], string>>;
export type RecordFormat = 'csv' | 'jsonl';

/** A record and the line of the file it starts on, for error messages. */
export interface NumberedRecord {
  line: number;
  record: GatewayRecord;
}

export function formatOf(file: string, explicit?: string): RecordFormat {
  const format = explicit ?? (/\.(jsonl|ndjson|json)$/i.test(file) ? 'jsonl' : /\.csv$/i.test(file) ? 'csv' : undefined);
  if (format !== 'csv' && format !== 'jsonl') {
    throw new InvalidImportRow(`cannot tell the format of ${file}: name it .csv or .jsonl, or pass --format csv|jsonl`);
  }
  return format;
}

/** The header row as the columns' names; a column named twice could be read two ways and is refused. */
function uniqueColumns(header: string[]): string[] {
  const twice = header.find((name, i) => header.indexOf(name) !== i);
  if (twice !== undefined) throw new Error(`the column ${twice} is named twice`);
  return header;
}

export function parseRecords(text: string, format: RecordFormat): NumberedRecord[] {
  if (format === 'jsonl') {
    return text.split('\n').flatMap((raw, index) => {
      if (!raw.trim()) return [];
      try {
        // A key named twice could be read two ways: refused, as in every JSON the server takes.
        const record = parseJsonStrictly(raw);
        if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new Error('not a JSON object');
        return [{ line: index + 1, record: record as GatewayRecord }];
      } catch (error) {
        throw new InvalidImportRow(`line ${index + 1}: ${(error as Error).message}`);
      }
    });
  }
  let parsed: { record: GatewayRecord; info: { lines: number } }[];
  try {
    parsed = parseCsv(text, { columns: uniqueColumns, info: true, skip_empty_lines: true, trim: false });
  } catch (error) {
    throw new InvalidImportRow(`CSV: ${(error as Error).message}`);
  }
  let previousEnd = 1;
  return parsed.map(({ record, info }) => {
    const line = previousEnd + 1;
    previousEnd = info.lines;
    return { line, record };
  });
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.trim() !== '' ? value : undefined);

/** The fields of a gateway as the columns name them. */
const COLUMN_NAMES: FieldNames = (field) => (field === 'pins' ? 'pinned_sha256' : field.replace('.', '_'));

function endpoint(record: GatewayRecord, kind: 'lns' | 'cups'): Partial<EndpointInput> {
  const input: Partial<EndpointInput> = {};
  for (const part of ['uri', 'trust', 'cert', 'key', 'token'] as const) {
    const value = text(record[`${kind}_${part}`]);
    if (value) input[part] = value;
  }
  return input;
}

/** Checks one record as `gateway add` checks its flags; InvalidImportRow names the line. */
export async function recordToGateway({ line, record }: NumberedRecord, checkCupsCertificate?: CupsCertificateCheck): Promise<NewGateway> {
  try {
    const unknown = Object.keys(record).filter((key) => !(RECORD_FIELDS as readonly string[]).includes(key));
    if (unknown.length) throw new InvalidImportRow(`unknown field ${unknown.join(', ')}; the fields are ${RECORD_FIELDS.join(', ')}`);
    const input: GatewayInput = {
      lns: endpoint(record, 'lns'),
      cups: endpoint(record, 'cups'),
      pins: (text(record.pinned_sha256) ?? '').split(/[\s,;]+/).filter(Boolean),
    };
    for (const field of ['eui', 'tenant', 'name'] as const) {
      const value = text(record[field]);
      if (value !== undefined) input[field] = value;
    }
    return await checkNewGateway(input, COLUMN_NAMES, checkCupsCertificate);
  } catch (error) {
    if (error instanceof Failure || error instanceof CupsProtocolError)
      throw new InvalidImportRow(`line ${line}: ${error.message.replace(/^line \d+: /, '')}`);
    throw error;
  }
}

/** The record of a gateway; private keys and tokens only when `withSecrets`. */
export function gatewayToRecord(gateway: Gateway, withSecrets: boolean): GatewayRecord {
  const record: GatewayRecord = {
    eui: gateway.eui,
    tenant: gateway.tenant,
    name: gateway.name ?? '',
    lns_uri: gateway.lnsUri,
    cups_uri: gateway.cupsUri ?? '',
    pinned_sha256: gateway.pinnedCertificates.join(' '),
  };
  for (const [kind, blob] of [
    ['lns', gateway.lnsCredentials],
    ['cups', gateway.cupsCredentials],
  ] as const) {
    if (!blob) continue;
    const parts = splitCredentials(blob);
    record[`${kind}_trust`] = new X509Certificate(parts.trust).toString();
    if (parts.cert) record[`${kind}_cert`] = new X509Certificate(parts.cert).toString();
    if (withSecrets && parts.key)
      record[`${kind}_key`] = toPem('PRIVATE KEY', loadPrivateKey(parts.key).export({ type: 'pkcs8', format: 'der' }));
    if (withSecrets && parts.token !== null) {
      const lines = parts.token.split('\r\n').filter(Boolean);
      record[`${kind}_token`] =
        lines.length === 1 && lines[0]!.startsWith('Authorization: ') ? lines[0]!.slice('Authorization: '.length) : lines.join('\n');
    }
  }
  return record;
}

export function formatRecords(records: GatewayRecord[], format: RecordFormat): string {
  if (format === 'jsonl')
    return records.map((r) => `${JSON.stringify(Object.fromEntries(Object.entries(r).filter(([, v]) => v !== '')))}\n`).join('');
  return stringifyCsv(records, { header: true, columns: [...RECORD_FIELDS] });
}
