import { describe, expect, it } from 'vitest';
import {
  CertificateUntrusted,
  type Failure,
  GatewayExists,
  InvalidEuiList,
  NoClientCertificate,
  OutputExists,
  RateLimited,
  RegistryUnavailable,
  SecretKeyMismatch,
  ServerBusy,
  StorageFull,
  TenantNotFound,
  Unauthorized,
} from '../../../src/errors.ts';
import { httpStatus } from '../../../src/http/http-status.ts';

describe('the HTTP edge: a failure and its status', () => {
  it.each([
    [new NoClientCertificate('x'), 401],
    [new CertificateUntrusted('x'), 403],
    [new RateLimited('x', 10), 429],
    [new RegistryUnavailable('x'), 503],
    [new ServerBusy('x'), 503],
    [new StorageFull('x'), 507],
    [new SecretKeyMismatch('x'), 500],
    // The admin API's.
    [new Unauthorized('x'), 401],
    [new GatewayExists('x', 3), 409],
    [new TenantNotFound('x'), 404],
  ] as [Failure, number][])('%s is answered %i', (failure, status) => {
    expect(httpStatus(failure)).toBe(status);
  });

  it('has no status for failures no request can meet (they are the server fault, answered as internal errors)', () => {
    expect(httpStatus(new OutputExists('x'))).toBeUndefined();
    expect(httpStatus(new InvalidEuiList('x'))).toBeUndefined();
  });

  it('keeps what to say when to retry, and the cause, with the failure itself', () => {
    const cause = new Error('ECONNREFUSED');
    const failure = new RegistryUnavailable('the registry cannot be reached', { cause });
    expect([failure.code, failure.retryAfterSeconds, failure.cause]).toEqual(['registry_unavailable', 5, cause]);
    expect(new GatewayExists('x', 3).index).toBe(3);
  });
});
