import { describe, expect, it } from 'vitest';
import { auditRow } from '../../../src/audit/audit-trail.ts';

describe('auditRow', () => {
  const event = { actor: 'station', action: 'update-info.handover', tenant: 'acme', eui: '58A0CBFFFE800019', detail: { sent: ['tcUri'] } };

  it('stamps each event with its own time, whether the times repeat, go back or move on', () => {
    const times = [1_796_000_000_000, 1_796_000_000_000, 1_796_000_000_001, 1_796_000_000_000, 0, 1_796_000_000_999];
    expect(times.map((at) => auditRow({ ...event, at })[0])).toEqual(times.map((at) => new Date(at).toISOString()));
  });

  it('keeps every column of the event, the detail as JSON', () => {
    expect(auditRow(event, 86_400_000)).toEqual([
      '1970-01-02T00:00:00.000Z',
      'station',
      'acme',
      '58A0CBFFFE800019',
      'update-info.handover',
      '{"sent":["tcUri"]}',
    ]);
    expect(auditRow({ actor: 'cli', action: 'gateway.remove', detail: {} }, 0).slice(2, 4)).toEqual([null, null]);
  });
});
