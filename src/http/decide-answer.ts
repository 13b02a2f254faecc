import { credentialsCrc, type UpdateInfoRequest, type UpdateInfoResponse } from '../../protocol/index.ts';
import type { Gateway } from '../registry/gateway-registry.ts';

/** CRCs by blob: the registry hands out the same opened blob until the gateway changes. */
const crcs = new WeakMap<Uint8Array, number>();

function blobCrc(blob: Uint8Array): number {
  let crc = crcs.get(blob);
  if (crc === undefined) crcs.set(blob, (crc = credentialsCrc(blob)));
  return crc;
}

/**
 * What a registered gateway needs to hear: each URI only when it differs from what the station
 * reports, each credentials blob only when its CRC differs from the station's; otherwise nothing.
 */
export function decideAnswer(request: UpdateInfoRequest, gateway: Gateway): UpdateInfoResponse {
  const answer: UpdateInfoResponse = {};
  if (gateway.cupsUri && gateway.cupsUri !== request.cupsUri) answer.cupsUri = gateway.cupsUri;
  if (gateway.cupsCredentials && blobCrc(gateway.cupsCredentials) !== request.cupsCredCrc) answer.cupsCred = gateway.cupsCredentials;
  if (gateway.lnsUri !== request.tcUri) answer.tcUri = gateway.lnsUri;
  if (gateway.lnsCredentials && blobCrc(gateway.lnsCredentials) !== request.tcCredCrc) answer.tcCred = gateway.lnsCredentials;
  return answer;
}

/**
 * What an answer hands over, for its audit line: which parts, and the CRC of each credentials set
 * (what the station will report back), never the credentials.
 */
export function handedOver(answer: UpdateInfoResponse, ...more: string[]): { sent: string[]; tcCredCrc?: number; cupsCredCrc?: number } {
  const audit: { sent: string[]; tcCredCrc?: number; cupsCredCrc?: number } = { sent: [...Object.keys(answer), ...more] };
  if (answer.tcCred) audit.tcCredCrc = blobCrc(answer.tcCred);
  if (answer.cupsCred) audit.cupsCredCrc = blobCrc(answer.cupsCred);
  return audit;
}
