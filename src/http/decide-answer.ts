import { credentialsCrc, encodeUpdateInfoResponse, type UpdateInfoRequest, type UpdateInfoResponse } from '../../protocol/index.ts';
import { ownBytes } from '../lib/own-bytes.ts';
import type { Gateway } from '../registry/gateway-registry.ts';

/** CRCs by blob: the registry hands out the same opened blob until the gateway changes. */
const crcs = new WeakMap<Uint8Array, number>();

function blobCrc(blob: Uint8Array): number {
  let crc = crcs.get(blob);
  if (crc === undefined) crcs.set(blob, (crc = credentialsCrc(blob)));
  return crc;
}

/** What an answer hands over, for the metrics, the audit trail and the log: which parts, and each credentials set's CRC. */
export interface HandedOver {
  sent: string[];
  tcCredCrc?: number;
  cupsCredCrc?: number;
}

/** An answer decided for a gateway: what it holds, what that hands over (none: nothing changes), and its encoding. */
export interface DecidedAnswer {
  response: UpdateInfoResponse;
  handed: HandedOver | undefined;
  /** The answer as sent when no firmware goes with it. */
  bytes: Buffer;
}

const PARTS = ['cupsUri', 'cupsCred', 'tcUri', 'tcCred'] as const;

/**
 * Answers by gateway record and by which parts they hold: a record stays the same object until the
 * gateway changes, and a station that asks again (one that cannot reach its LNS, say) is given the
 * same bytes, encoded once.
 */
const decided = new WeakMap<Gateway, DecidedAnswer[]>();

/** The answer of a fleet's steady state, the same for every gateway: kept once, not once per gateway. */
export const NOTHING_CHANGES: DecidedAnswer = { response: {}, handed: undefined, bytes: ownBytes(encodeUpdateInfoResponse({})) };

/**
 * What a registered gateway needs to hear: each URI only when it differs from what the station
 * reports, each credentials blob only when its CRC differs from the station's; otherwise nothing.
 */
export function decideAnswer(request: UpdateInfoRequest, gateway: Gateway): DecidedAnswer {
  const parts =
    (gateway.cupsUri && gateway.cupsUri !== request.cupsUri ? 1 : 0) |
    (gateway.cupsCredentials && blobCrc(gateway.cupsCredentials) !== request.cupsCredCrc ? 2 : 0) |
    (gateway.lnsUri !== request.tcUri ? 4 : 0) |
    (gateway.lnsCredentials && blobCrc(gateway.lnsCredentials) !== request.tcCredCrc ? 8 : 0);
  if (parts === 0) return NOTHING_CHANGES;
  let byParts = decided.get(gateway);
  if (!byParts) decided.set(gateway, (byParts = []));
  return (byParts[parts] ??= encodeDecided(gateway, parts));
}

function encodeDecided(gateway: Gateway, parts: number): DecidedAnswer {
  const values = { cupsUri: gateway.cupsUri, cupsCred: gateway.cupsCredentials, tcUri: gateway.lnsUri, tcCred: gateway.lnsCredentials };
  const response: UpdateInfoResponse = {};
  for (const [bit, part] of PARTS.entries()) if (parts & (1 << bit)) Object.assign(response, { [part]: values[part] });
  return { response, handed: handedOver(response), bytes: ownBytes(encodeUpdateInfoResponse(response)) };
}

/**
 * The answer to a bootstrap certificate: the operational CUPS credentials only (no LNS, no
 * firmware), unless the station holds them already.
 */
export function decideEnrolment(request: UpdateInfoRequest, cupsCredentials: Buffer): DecidedAnswer {
  if (blobCrc(cupsCredentials) === request.cupsCredCrc) return NOTHING_CHANGES;
  const response: UpdateInfoResponse = { cupsCred: cupsCredentials };
  return { response, handed: handedOver(response), bytes: encodeUpdateInfoResponse(response) };
}

/** What an answer hands over: which parts (and `more`, such as a firmware update), and the CRC of each credentials set, never the credentials. */
export function handedOver(answer: UpdateInfoResponse, ...more: string[]): HandedOver {
  const audit: HandedOver = { sent: [...Object.keys(answer), ...more] };
  if (answer.tcCred) audit.tcCredCrc = blobCrc(answer.tcCred);
  if (answer.cupsCred) audit.cupsCredCrc = blobCrc(answer.cupsCred);
  return audit;
}
