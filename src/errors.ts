import { CupsError } from '../protocol/errors.ts';

export { CupsError };

/**
 * Every code the service and the CLI fail with. What a code means to HTTP is decided in one
 * place (src/http/http-status.ts), what it means to a shell in another (src/cli/fail.ts).
 */
export type ErrorCode =
  // A gateway's request, refused.
  | 'no_client_certificate'
  | 'client_certificate_malformed'
  | 'client_certificate_ambiguous'
  | 'certificate_untrusted'
  | 'certificate_expired'
  | 'certificate_not_yet_valid'
  | 'certificate_not_client'
  | 'certificate_revoked'
  | 'crl_expired'
  | 'invalid_request'
  | 'request_too_large'
  | 'request_headers_too_large'
  | 'request_timeout'
  | 'cn_not_eui'
  | 'cn_router_mismatch'
  | 'gateway_not_found'
  | 'certificate_not_pinned'
  | 'rate_limited'
  | 'not_found'
  | 'method_not_allowed'
  // The service or its storage, for now.
  | 'registry_unavailable'
  | 'shutting_down'
  | 'server_busy'
  | 'storage_full'
  | 'storage_read_only'
  | 'secret_key_mismatch'
  // Certificates and DER that cannot be read.
  | 'certificate_malformed'
  | 'der_malformed'
  // Operators' input and files (CLI).
  | 'gateway_exists'
  | 'invalid_gateway'
  | 'invalid_import_row'
  | 'invalid_tenant'
  | 'ca_exists'
  | 'ca_unreadable'
  | 'ca_refused'
  | 'ca_not_found'
  | 'ca_in_folder'
  | 'crl_refused'
  | 'crl_not_found'
  | 'invalid_eui_list'
  | 'invalid_csr'
  | 'output_exists'
  | 'file_unreadable'
  | 'no_certificate'
  | 'no_input'
  | 'nothing_to_remove'
  | 'tenant_mismatch'
  | 'tenants_unreadable'
  | 'invalid_option'
  | 'key_not_accepted'
  | 'invalid_station_conf'
  | 'cups_unreachable'
  | 'invalid_station_home'
  | 'cups_refused'
  | 'invalid_firmware'
  | 'firmware_not_found'
  // The admin API and its tokens.
  | 'unauthorized'
  | 'csrf_refused'
  | 'operator_only'
  | 'invalid_token_name'
  | 'token_exists'
  | 'token_not_found'
  | 'tenant_exists'
  | 'tenant_not_found'
  | 'tenant_not_empty';

export interface FailureOptions {
  cause?: unknown;
  /** Written to the log with the failure, never sent: what the operator may know and the client may not. */
  logDetail?: Record<string, unknown>;
  /** When set, the client should come back after this many seconds, not give up. */
  retryAfterSeconds?: number;
}

/** A failure of the service or the CLI: a CupsError with one of their codes. */
export class Failure extends CupsError<ErrorCode> {
  readonly logDetail: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;
  constructor(code: ErrorCode, message: string, options: FailureOptions = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.logDetail = options.logDetail;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** One class per failure, so callers and tests name the failure, not a string. */
const failure = (code: ErrorCode, retryAfterSeconds?: number) =>
  class extends Failure {
    constructor(message: string, options: FailureOptions = {}) {
      super(code, message, { ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }), ...options });
    }
  };

export class NoClientCertificate extends failure('no_client_certificate') {}
export class ClientCertificateMalformed extends failure('client_certificate_malformed') {}
export class ClientCertificateAmbiguous extends failure('client_certificate_ambiguous') {}
export class CertificateUntrusted extends failure('certificate_untrusted') {}
export class CertificateExpired extends failure('certificate_expired') {}
export class CertificateNotYetValid extends failure('certificate_not_yet_valid') {}
export class CertificateNotClient extends failure('certificate_not_client') {}
/** A certificate of the path is revoked: by its issuer's CRL, or for its gateway by the operator. */
export class CertificateRevoked extends failure('certificate_revoked') {}
/** The CRL of an issuer in the path is past its nextUpdate (and any grace): that issuer's certificates are refused. */
export class CrlExpired extends failure('crl_expired') {}
export class InvalidRequest extends failure('invalid_request') {}
export class RequestTooLarge extends failure('request_too_large') {}
export class RequestTimedOut extends failure('request_timeout') {}
export class RequestHeadersTooLarge extends failure('request_headers_too_large') {}
export class CnNotEui extends failure('cn_not_eui') {}
export class CnRouterMismatch extends failure('cn_router_mismatch') {}
export class GatewayNotFound extends failure('gateway_not_found') {}
export class CertificateNotPinned extends failure('certificate_not_pinned') {}
/** The registry cannot be reached or read: the station should try again later. */
export class RegistryUnavailable extends failure('registry_unavailable', 5) {}
/** The server is stopping: the station should try again shortly (another instance may answer). */
export class ShuttingDown extends failure('shutting_down', 5) {}
/** Too many new certificate chains wait to be verified: the station should try again shortly. */
export class ServerBusy extends failure('server_busy', 2) {}
/** Too many calls from one gateway or one address: the caller is told when to come back. */
export class RateLimited extends Failure {
  constructor(message: string, retryAfterSeconds: number) {
    super('rate_limited', message, { retryAfterSeconds });
  }
}
/** The registry's disk is full: nothing was written (each write is one transaction). */
export class StorageFull extends failure('storage_full') {}
/** The registry's file or database is read-only: nothing was written. */
export class StorageReadOnly extends failure('storage_read_only') {}
/** Stored secrets cannot be opened with the configured master keys: never send anything else instead. */
export class SecretKeyMismatch extends failure('secret_key_mismatch') {}
export class RouteNotFound extends failure('not_found') {}
export class MethodNotAllowed extends failure('method_not_allowed') {}

/** Not an X.509 certificate, or not one that can be read. */
export class CertificateParseError extends failure('certificate_malformed') {}
/** DER that does not read as the structure expected (callers say which certificate or key it was). */
export class DerError extends failure('der_malformed') {}
/** A public key no check accepts (a curve, size or exponent gateway PKI does not use). */
export class KeyNotAccepted extends failure('key_not_accepted') {}
/** A CA certificate the trust store could not use, named with the file it came from. */
export class CaRefused extends failure('ca_refused') {}
/** A CRL that cannot be used: not a CRL, a delta or partitioned one, a critical extension not processed, no issuer in the store. */
export class CrlRefused extends failure('crl_refused') {}
export class CrlNotFound extends failure('crl_not_found') {}
/** A CA the tenant does not trust, or not through the database. */
export class CaNotFound extends failure('ca_not_found') {}
/** A CA that comes from the tenants folder: only its file's removal takes it away. */
export class CaInFolder extends failure('ca_in_folder') {}
/** A flag or setting with a value that cannot be used. */
export class InvalidOption extends failure('invalid_option') {}

/** Registry and provisioning failures. */
export class GatewayExists extends Failure {
  constructor(
    message: string,
    /** Which of the gateways given, in a batch, was there already. */
    readonly index?: number,
  ) {
    super('gateway_exists', message);
  }
}
export class InvalidGateway extends failure('invalid_gateway') {}
/** A bulk import row that cannot be taken; the line number is the file's, counting the header. */
export class InvalidImportRow extends failure('invalid_import_row') {}

/** Vendor PKI failures (`cups pki`). */
export class CaExists extends failure('ca_exists') {}
export class CaUnreadable extends failure('ca_unreadable') {}
export class InvalidEuiList extends failure('invalid_eui_list') {}
export class InvalidCsr extends failure('invalid_csr') {}
export class OutputExists extends failure('output_exists') {}

/** Station emulator failures (`cups update-info`). */
export class InvalidStationHome extends failure('invalid_station_home') {}
export class InvalidStationConf extends failure('invalid_station_conf') {}
export class CupsUnreachable extends failure('cups_unreachable') {}
export class CupsRefused extends failure('cups_refused') {}

/** Firmware failures (`cups firmware`). */
export class InvalidFirmware extends failure('invalid_firmware') {}
export class FirmwareNotFound extends failure('firmware_not_found') {}

/** Admin API failures. */
export class Unauthorized extends failure('unauthorized') {}
/** A change sent with a console session but not from the console's own page. */
export class CsrfRefused extends failure('csrf_refused') {}
export class InvalidTokenName extends failure('invalid_token_name') {}
export class TokenExists extends failure('token_exists') {}
export class TokenNotFound extends failure('token_not_found') {}
export class TenantExists extends failure('tenant_exists') {}
export class TenantNotFound extends failure('tenant_not_found') {}
export class TenantNotEmpty extends failure('tenant_not_empty') {}
export class InvalidTenant extends failure('invalid_tenant') {}
export class OperatorOnly extends failure('operator_only') {}
