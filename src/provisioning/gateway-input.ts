import { formatEuiHex, parseEui } from '../../protocol/index.ts';
import { InvalidGateway } from '../errors.ts';
import type { Gateway, GatewayChanges, NewGateway } from '../registry/gateway-registry.ts';
import { gatewayTenantProblem } from '../trust/trust-store.ts';
import { buildEndpoint, type EndpointInput } from './endpoint-credentials.ts';

const ENDPOINT_PARTS = ['trust', 'cert', 'key', 'token'] as const;
type EndpointPart = 'uri' | (typeof ENDPOINT_PARTS)[number];

/** The fields of a gateway an operator gives, each named in messages as its source names it (a flag, a column). */
export type GatewayField = 'eui' | 'tenant' | 'pins' | `${'lns' | 'cups'}.${EndpointPart}`;
export type FieldNames = (field: GatewayField) => string;

/** An operator's description of a gateway, from flags, an import row or a request: contents, not file names. */
export interface GatewayInput {
  eui?: string;
  tenant?: string;
  name?: string;
  lns: Partial<EndpointInput>;
  cups: Partial<EndpointInput>;
  /** SHA-256 fingerprints of the only client certificates accepted, in hex, colons allowed. */
  pins?: string[];
}

/** What changing a gateway may also say. */
export interface GatewayEdit extends GatewayInput {
  unpin?: boolean;
  firmwareChannel?: string;
  /** null: follow the channel again. */
  firmwarePin?: string | null;
}

/** Checks the CUPS client certificate of a gateway against the trust store (cupsCertificateCheck). */
export type CupsCertificateCheck = (file: Uint8Array | string, gateway: { eui: string; tenant: string }, field: string) => Promise<void>;

export function checkEui(value: string | undefined, names: FieldNames): string {
  if (!value) throw new InvalidGateway(`${names('eui')} is required`);
  return formatEuiHex(parseEui(value));
}

export function checkTenant(value: string | undefined, names: FieldNames): string {
  if (!value) throw new InvalidGateway(`${names('tenant')} is required`);
  const problem = gatewayTenantProblem(value);
  if (problem) throw new InvalidGateway(`${names('tenant')} ${problem}`);
  return value;
}

function checkPins(pins: string[], names: FieldNames): string[] {
  const normalized = pins.map((pin) => pin.replace(/:/g, '').toLowerCase());
  if (normalized.some((pin) => !/^[0-9a-f]{64}$/.test(pin))) throw new InvalidGateway(`${names('pins')} must list SHA-256 fingerprints`);
  return normalized;
}

const touches = (endpoint: Partial<EndpointInput>) => Object.values(endpoint).some((value) => value !== undefined);

/** Credentials of an endpoint without its URI are refused, naming what was given and what is missing. */
function credentialsNeedUri(names: FieldNames): InvalidGateway {
  return new InvalidGateway(`${ENDPOINT_PARTS.map((part) => names(`cups.${part}`)).join('/')} need ${names('cups.uri')}`);
}

/** Checks a new gateway as every way of registering one does; InvalidGateway names the field. */
export async function checkNewGateway(
  input: GatewayInput,
  names: FieldNames,
  checkCupsCertificate?: CupsCertificateCheck,
): Promise<NewGateway> {
  const eui = checkEui(input.eui, names);
  const tenant = checkTenant(input.tenant, names);
  if (!input.lns.uri) throw new InvalidGateway(`${names('lns.uri')} is required`);
  const lns = buildEndpoint('lns', { ...input.lns, uri: input.lns.uri }, (part) => names(`lns.${part}`));
  if (!input.cups.uri && touches(input.cups)) throw credentialsNeedUri(names);
  const cups = input.cups.uri ? buildEndpoint('cups', { ...input.cups, uri: input.cups.uri }, (part) => names(`cups.${part}`)) : undefined;
  if (input.cups.cert && checkCupsCertificate) await checkCupsCertificate(input.cups.cert, { eui, tenant }, names('cups.cert'));
  return {
    eui,
    tenant,
    name: input.name || null,
    lnsUri: lns.uri,
    lnsCredentials: lns.credentials,
    cupsUri: cups?.uri ?? null,
    cupsCredentials: cups?.credentials ?? null,
    pinnedCertificates: checkPins(input.pins ?? [], names),
  };
}

/**
 * The changes an edit makes to a gateway: an endpoint touched is replaced whole (its URI kept
 * unless given), pins add to those held unless `unpin` clears them.
 */
export async function checkGatewayEdit(
  current: Gateway,
  edit: GatewayEdit,
  names: FieldNames,
  checkCupsCertificate?: CupsCertificateCheck,
): Promise<GatewayChanges> {
  const changes: GatewayChanges = {};
  const pins = checkPins(edit.pins ?? [], names);
  if (edit.unpin && pins.length) throw new InvalidGateway(`give ${names('pins')} or unpin, not both`);
  if (edit.tenant !== undefined) changes.tenant = checkTenant(edit.tenant, names);
  if (edit.name !== undefined) changes.name = edit.name;
  if (edit.unpin) changes.pinnedCertificates = [];
  if (pins.length) changes.pinnedCertificates = [...new Set([...current.pinnedCertificates, ...pins])];
  if (edit.firmwareChannel !== undefined) changes.firmwareChannel = edit.firmwareChannel;
  if (edit.firmwarePin !== undefined) changes.firmwarePin = edit.firmwarePin;
  if (touches(edit.lns)) {
    const lns = buildEndpoint('lns', { ...edit.lns, uri: edit.lns.uri ?? current.lnsUri }, (part) => names(`lns.${part}`));
    changes.lnsUri = lns.uri;
    changes.lnsCredentials = lns.credentials;
  }
  if (touches(edit.cups)) {
    const uri = edit.cups.uri ?? current.cupsUri;
    if (!uri) throw credentialsNeedUri(names);
    const cups = buildEndpoint('cups', { ...edit.cups, uri }, (part) => names(`cups.${part}`));
    if (edit.cups.cert && checkCupsCertificate)
      await checkCupsCertificate(edit.cups.cert, { eui: current.eui, tenant: changes.tenant ?? current.tenant }, names('cups.cert'));
    changes.cupsUri = cups.uri;
    changes.cupsCredentials = cups.credentials;
  }
  return changes;
}
