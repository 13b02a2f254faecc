import ipaddr from 'ipaddr.js';

/** IPv6 prefix length that counts as one client by default: a /64 is what one subscriber gets. */
export const DEFAULT_IPV6_PREFIX = 64;

const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/**
 * The key one client's rate limit and verification turns are counted by: an IPv4 address (an
 * IPv4-mapped IPv6 address counts as its IPv4 address), or the IPv6 prefix of the given length
 * holding the address, since anyone with one IPv6 address has a whole /64 to send from.
 */
export function clientAddressKey(address: string, ipv6PrefixLength = DEFAULT_IPV6_PREFIX): string {
  if (IPV4.test(address)) return address;
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return address;
  }
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const bytes = parsed.toByteArray();
  for (let bit = ipv6PrefixLength; bit < 128; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return `${ipaddr.fromByteArray(bytes).toString()}/${ipv6PrefixLength}`;
}
