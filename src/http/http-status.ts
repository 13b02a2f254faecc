import type { ErrorCode, Failure } from '../errors.ts';

/** The HTTP status of each failure a request can meet; any other is the server's own fault. */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  no_client_certificate: 401,
  client_certificate_malformed: 400,
  client_certificate_ambiguous: 400,
  certificate_untrusted: 403,
  certificate_expired: 403,
  certificate_not_yet_valid: 403,
  certificate_not_client: 403,
  certificate_revoked: 403,
  crl_expired: 403,
  invalid_request: 400,
  request_too_large: 413,
  request_headers_too_large: 431,
  request_timeout: 408,
  cn_not_eui: 403,
  cn_router_mismatch: 403,
  gateway_not_found: 404,
  certificate_not_pinned: 403,
  rate_limited: 429,
  not_found: 404,
  method_not_allowed: 405,
  registry_unavailable: 503,
  shutting_down: 503,
  server_busy: 503,
  storage_full: 507,
  storage_read_only: 503,
  secret_key_mismatch: 500,
  // The admin API.
  unauthorized: 401,
  csrf_refused: 403,
  operator_only: 403,
  invalid_gateway: 400,
  invalid_tenant: 400,
  invalid_import_row: 400,
  gateway_exists: 409,
  tenant_exists: 409,
  tenant_not_found: 404,
  tenant_not_empty: 409,
  ca_refused: 400,
  ca_not_found: 404,
  ca_in_folder: 409,
  crl_refused: 400,
  invalid_option: 400,
  crl_not_found: 404,
  invalid_firmware: 400,
  firmware_not_found: 404,
};

/** The status a failure is answered with over HTTP; undefined for one no request can meet (the server's own fault). */
export function httpStatus(failure: Failure): number | undefined {
  return HTTP_STATUS[failure.code];
}
