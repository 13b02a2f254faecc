/**
 * Every refusal the service answers with: an HTTP status, a stable machine-readable code and a
 * message for humans. One class per failure, so callers and tests name the failure, not a string.
 */
export abstract class Refusal extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  /** When set, the answer carries Retry-After: the client should come back, not give up. */
  readonly retryAfterSeconds?: number;
  constructor(
    message: string,
    /** Written to the log with the refusal, never sent: what the operator may know and the client may not. */
    readonly logDetail?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

const refusal = (status: number, code: string) =>
  class extends Refusal {
    readonly status = status;
    readonly code = code;
  };

export class NoClientCertificate extends refusal(401, 'no_client_certificate') {}
export class ClientCertificateMalformed extends refusal(400, 'client_certificate_malformed') {}
export class ClientCertificateAmbiguous extends refusal(400, 'client_certificate_ambiguous') {}
export class CertificateUntrusted extends refusal(403, 'certificate_untrusted') {}
export class CertificateExpired extends refusal(403, 'certificate_expired') {}
export class CertificateNotYetValid extends refusal(403, 'certificate_not_yet_valid') {}
export class CertificateNotClient extends refusal(403, 'certificate_not_client') {}
export class InvalidRequest extends refusal(400, 'invalid_request') {}
export class RequestTooLarge extends refusal(413, 'request_too_large') {}
export class RequestTimedOut extends refusal(408, 'request_timeout') {}
export class CnNotEui extends refusal(403, 'cn_not_eui') {}
export class CnRouterMismatch extends refusal(403, 'cn_router_mismatch') {}
export class GatewayNotFound extends refusal(404, 'gateway_not_found') {}
export class CertificateNotPinned extends refusal(403, 'certificate_not_pinned') {}
/** The registry cannot be reached or read: the station should try again later. */
export class RegistryUnavailable extends refusal(503, 'registry_unavailable') {
  override readonly retryAfterSeconds = 5;
}
/** The server is stopping: the station should try again shortly (another instance may answer). */
export class ShuttingDown extends refusal(503, 'shutting_down') {
  override readonly retryAfterSeconds = 5;
}
/** Too many new certificate chains are being verified at once: the station should try again shortly. */
export class ServerBusy extends refusal(503, 'server_busy') {
  override readonly retryAfterSeconds = 2;
}
/** Too many calls from one gateway or one address: answered with Retry-After. */
export class RateLimited extends refusal(429, 'rate_limited') {
  constructor(
    message: string,
    override readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
/** The registry's disk is full: nothing was written (each write is one transaction). */
export class StorageFull extends refusal(507, 'storage_full') {}
/** The registry's file or database is read-only: nothing was written. */
export class StorageReadOnly extends refusal(503, 'storage_read_only') {}
/** Stored secrets cannot be opened with the configured master keys: never send anything else instead. */
export class SecretKeyMismatch extends refusal(500, 'secret_key_mismatch') {}
export class RouteNotFound extends refusal(404, 'not_found') {}
export class MethodNotAllowed extends refusal(405, 'method_not_allowed') {}

/** Registry and provisioning failures (CLI and admin paths), also with stable codes. */
export class GatewayExists extends refusal(409, 'gateway_exists') {}
export class InvalidGateway extends refusal(400, 'invalid_gateway') {}
/** A bulk import row that cannot be taken; the line number is the file's, counting the header. */
export class InvalidImportRow extends refusal(400, 'invalid_import_row') {}

/** Vendor PKI failures (`cups pki`). */
export class CaExists extends refusal(409, 'ca_exists') {}
export class CaUnreadable extends refusal(400, 'ca_unreadable') {}
export class InvalidEuiList extends refusal(400, 'invalid_eui_list') {}
export class InvalidCsr extends refusal(400, 'invalid_csr') {}
export class OutputExists extends refusal(409, 'output_exists') {}

/** Station emulator failures (`cups update-info`). */
export class InvalidStationHome extends refusal(400, 'invalid_station_home') {}
export class CupsRefused extends refusal(502, 'cups_refused') {}

/** Firmware failures (`cups firmware`). */
export class InvalidFirmware extends refusal(400, 'invalid_firmware') {}
export class FirmwareNotFound extends refusal(404, 'firmware_not_found') {}
