import { describe, expect, it } from 'vitest';
import { RecentRefusals } from '../../../src/metrics/recent-refusals.ts';

describe('the last hour of refusals', () => {
  it('counts by code over the last 60 minutes, the most frequent first, and forgets older minutes', () => {
    let now = Date.UTC(2026, 10, 30, 12, 0, 0);
    const refusals = new RecentRefusals(() => now);
    refusals.add('certificate_untrusted');
    now += 30 * 60_000;
    refusals.add('gateway_not_found');
    refusals.add('gateway_not_found');
    expect(refusals.lastHour()).toEqual([
      { code: 'gateway_not_found', count: 2 },
      { code: 'certificate_untrusted', count: 1 },
    ]);
    now += 30 * 60_000;
    expect(refusals.lastHour()).toEqual([{ code: 'gateway_not_found', count: 2 }]);
    now += 60 * 60_000;
    refusals.add('rate_limited');
    expect(refusals.lastHour()).toEqual([{ code: 'rate_limited', count: 1 }]);
  });
});
