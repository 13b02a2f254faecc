import ipaddr from 'ipaddr.js';
import { InvalidOption } from '../errors.ts';
import { boundedCache } from '../lib/bounded-cache.ts';

export const DEFAULT_TRUSTED_PROXIES = ['127.0.0.0/8', '::1/128'];
const KNOWN_PEERS_LIMIT = 10_000;

/** Parses `CIDR[,CIDR...]` (plain addresses count as single hosts) into a matcher of peer addresses. */
export function trustedProxyMatcher(cidrs: readonly string[]): (address: string | undefined) => boolean {
  const ranges = cidrs.map((cidr) => {
    const text = cidr.trim();
    try {
      if (text.includes('/')) return ipaddr.parseCIDR(text);
      const address = ipaddr.parse(text);
      return [address, address.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number];
    } catch {
      throw new InvalidOption(`"${text}" is not an IP address or CIDR range`);
    }
  });
  const matches = (address: string): boolean => {
    if (!ipaddr.isValid(address)) return false;
    const parsed = ipaddr.process(address); // ::ffff:127.0.0.1 counts as 127.0.0.1
    return ranges.some(([range, bits]) => range.kind() === parsed.kind() && parsed.match(range, bits));
  };
  // Requests come from a handful of proxies: each address is parsed once, not per request.
  const known = boundedCache<string, boolean>(KNOWN_PEERS_LIMIT);
  return (address) => {
    if (!address) return false;
    let trusted = known.get(address);
    if (trusted === undefined) {
      trusted = matches(address);
      known.set(address, trusted);
    }
    return trusted;
  };
}
