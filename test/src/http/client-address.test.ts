import { describe, expect, it } from 'vitest';
import { clientAddressKey } from '../../../src/http/client-address.ts';

describe('clientAddressKey', () => {
  it.each([
    ['192.0.2.1', 64, '192.0.2.1'],
    ['::ffff:192.0.2.1', 64, '192.0.2.1'],
    ['::ffff:c000:201', 64, '192.0.2.1'],
    ['2001:db8:1:2:3:4:5:6', 64, '2001:db8:1:2::/64'],
    ['2001:DB8:1:2::ffff', 64, '2001:db8:1:2::/64'],
    ['2001:db8:1:2:3:4:5:6', 48, '2001:db8:1::/48'],
    ['2001:db8:1:2:3:4:5:6', 128, '2001:db8:1:2:3:4:5:6/128'],
    ['not an address', 64, 'not an address'],
  ])('%s with /%i is counted as %s', (address, prefix, key) => {
    expect(clientAddressKey(address, prefix)).toBe(key);
  });
});
