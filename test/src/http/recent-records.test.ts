import { describe, expect, it } from 'vitest';
import { RecentRecords } from '../../../src/http/recent-records.ts';
import type { Gateway } from '../../../src/registry/gateway-registry.ts';

const gateway = (eui: string) => ({ eui, tenant: 'a' }) as Gateway;

describe('RecentRecords', () => {
  it('recalls a record with its age while it is recent enough, and not after', async () => {
    const recent = new RecentRecords(150);
    recent.remember(gateway('B827EBFFFE123456'));
    await new Promise((resolve) => setTimeout(resolve, 40));
    const kept = recent.recall('B827EBFFFE123456');
    expect(kept?.gateway.eui).toBe('B827EBFFFE123456');
    expect(kept!.ageMs).toBeGreaterThanOrEqual(30);
    expect(recent.recall('B827EBFFFE654321')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(recent.recall('B827EBFFFE123456')).toBeUndefined();
  });
});
