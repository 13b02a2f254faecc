import { describe, expect, it } from 'vitest';
import type { CertificateFacts } from '../../../src/trust/certificate-facts.ts';
import { VerificationCache } from '../../../src/trust/verification-cache.ts';
import type { VerifiedChain } from '../../../src/trust/verify-chain.ts';

const chain = (validUntil: number): VerifiedChain => {
  const leaf = {} as CertificateFacts;
  return { leaf, path: [leaf], scope: 'all', validUntil };
};

describe('VerificationCache', () => {
  it("keeps an entry until its verdict ends (the chain's earliest notAfter, or a CRL due sooner)", () => {
    const cache = new VerificationCache();
    const verified = chain(3000);
    cache.set('k', verified);
    expect(cache.get('k', 2999)).toBe(verified);
    expect(cache.get('k', 3001)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('is bounded, dropping the oldest first, and can be cleared', () => {
    const cache = new VerificationCache(2);
    cache.set('a', chain(9e15));
    cache.set('b', chain(9e15));
    cache.set('c', chain(9e15));
    expect([cache.get('a'), cache.get('b'), cache.get('c')].map(Boolean)).toEqual([false, true, true]);
    cache.clear();
    expect(cache.get('b')).toBeUndefined();
  });
});
