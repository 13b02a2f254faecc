import { describe, expect, it } from 'vitest';
import { alternate, type Load, pairedRatio, typical } from '../../bench/rounds.ts';

const at = (rps: number): Load => ({ rps, p50: rps / 1000, p99: rps / 100 });

describe('bench rounds', () => {
  it('takes turns, reversing the order every other round', async () => {
    const order: string[] = [];
    const loads = Object.fromEntries(
      ['a', 'b', 'c'].map((name) => [
        name,
        async () => {
          order.push(name);
          return at(1);
        },
      ]),
    );
    const runs = await alternate(loads, 3);
    expect(order.join('')).toBe('abccbaabc');
    expect(runs.a).toHaveLength(3);
  });

  it('pairs rounds: a machine that slows down between rounds does not move the ratio, and one disturbed pair does not decide', () => {
    const speed = [1, 0.6, 0.9, 0.5, 1.1];
    const baseline = speed.map((s) => at(10_000 * s));
    const subject = speed.map((s, i) => at(8_000 * s * (i === 1 ? 0.3 : 1)));
    expect(pairedRatio(subject, baseline)).toBeCloseTo(0.8, 10);
    expect(typical(baseline)).toEqual({ rps: 9000, p50: 9, p99: 90, rounds: [10_000, 6000, 9000, 5000, 11_000] });
  });
});
