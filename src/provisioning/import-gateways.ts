import { GatewayExists, InvalidImportRow } from '../errors.ts';
import type { GatewayRegistry, NewGateway } from '../registry/gateway-registry.ts';
import type { CupsCertificateCheck } from './gateway-input.ts';
import { type NumberedRecord, recordToGateway } from './gateway-records.ts';

/**
 * Checks every record as `gateway add` checks its flags, and that no gateway comes twice; the
 * first refusal names its line. `allowTenant` refuses a row's tenant (a token's reach) before
 * anything else of it is checked.
 */
export async function recordsToGateways(
  records: readonly NumberedRecord[],
  checkCupsCertificate: CupsCertificateCheck,
  options: { allowTenant?: (tenant: string) => Promise<string | undefined>; onProgress?: (checked: number) => void } = {},
): Promise<NewGateway[]> {
  const gateways: NewGateway[] = [];
  const firstLine = new Map<string, number>();
  for (const [index, numbered] of records.entries()) {
    const gateway = await recordToGateway(numbered, checkCupsCertificate);
    const refusal = await options.allowTenant?.(gateway.tenant);
    if (refusal) throw new InvalidImportRow(`line ${numbered.line}: ${refusal}`);
    const earlier = firstLine.get(gateway.eui);
    if (earlier) throw new InvalidImportRow(`line ${numbered.line}: gateway ${gateway.eui} is already on line ${earlier}`);
    firstLine.set(gateway.eui, numbered.line);
    gateways.push(gateway);
    if (index % 100 === 0) options.onProgress?.(index);
  }
  options.onProgress?.(records.length);
  return gateways;
}

/** Registers the checked gateways in one transaction: all or none; a gateway already registered names its line. */
export async function importGateways(
  registry: Pick<GatewayRegistry, 'addMany'>,
  records: readonly NumberedRecord[],
  gateways: NewGateway[],
  onProgress?: (written: number) => void,
): Promise<void> {
  try {
    await registry.addMany(gateways, onProgress);
  } catch (error) {
    if (!(error instanceof GatewayExists)) throw error;
    const index = error.index;
    throw new InvalidImportRow(`line ${index === undefined ? '?' : records[index]!.line}: ${error.message}; nothing was imported`);
  }
}
