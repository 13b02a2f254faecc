import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { alternate, alternateOverProcesses, type Load, pairedRatio, startInOrder, stopServers, typical } from '../../bench/rounds.ts';

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

  it('spreads the rounds over sets of servers, each started anew and the last left running, the turns going on across them', async () => {
    const events: string[] = [];
    const order: string[] = [];
    const { runs, last } = await alternateOverProcesses(
      { rounds: 5, generations: 2 },
      async (generation) => {
        events.push(`start ${generation}`);
        return await startInOrder({ x: async () => `x${generation}`, y: async () => `y${generation}` }, generation);
      },
      (servers) => {
        const load = (name: string, server: string) => async () => {
          order.push(`${name}:${server}`);
          return at(1);
        };
        return { a: load('a', servers.x), b: load('b', servers.y) };
      },
      async (servers) => {
        events.push(`stop ${servers.x}`);
      },
    );
    expect(events).toEqual(['start 0', 'stop x0', 'start 1']);
    expect(last).toEqual({ x: 'x1', y: 'y1' });
    // Three rounds on the first set, two on the second; round 3 (the second set's first) is reversed.
    expect(order).toEqual(['a:x0', 'b:y0', 'b:y0', 'a:x0', 'a:x0', 'b:y0', 'b:y1', 'a:x1', 'a:x1', 'b:y1']);
    expect(runs.a).toHaveLength(5);
    expect(runs.b).toHaveLength(5);
  });

  it('starts the servers of odd sets in the other order', async () => {
    const started: string[] = [];
    const starters = { small: async () => started.push('small'), large: async () => started.push('large') };
    await startInOrder(starters, 0);
    await startInOrder(starters, 1);
    expect(started).toEqual(['small', 'large', 'large', 'small']);
  });

  it('stops server processes and waits until each has exited', async () => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    await stopServers({ server: { child } });
    expect(child.signalCode).toBe('SIGTERM');
    // One already gone is passed over.
    await stopServers({ server: { child } });
  });
});
