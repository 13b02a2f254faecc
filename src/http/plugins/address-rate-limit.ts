import fp from 'fastify-plugin';
import { clientAddressKey } from '../client-address.ts';
import { type RateLimit, RateLimiter } from '../rate-limiter.ts';

export interface AddressRateLimitOptions {
  /** Calls one client address may make, on every route; absent: unlimited. */
  perPeer?: RateLimit;
  /** IPv6 prefix length counted as one client. */
  ipv6Prefix?: number;
}

/**
 * The per-address limit, on every route, before anything else is done for the request: one
 * address flooding is turned away whatever it asks for, and so are unauthenticated floods.
 */
export const addressRateLimitPlugin = fp<AddressRateLimitOptions>(
  async (app, options) => {
    const perPeer = options.perPeer && new RateLimiter(options.perPeer);
    if (!perPeer) return;
    app.addHook('onRequest', (request, _reply, done) => {
      try {
        perPeer.enforce(clientAddressKey(request.ip, options.ipv6Prefix), 'the address');
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
    });
  },
  { name: 'cups-address-rate-limit', fastify: '5.x' },
);
