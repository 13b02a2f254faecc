import { describe, expect, it } from 'vitest';
import { FairQueue } from '../../../src/http/fair-queue.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FairQueue', () => {
  it("serves a new client's task before the rest of a busy client's queue", async () => {
    const queue = new FairQueue({ concurrency: 1, maxQueued: 100, maxQueuedPerClient: 100, maxWaitMs: 10_000 });
    const order: string[] = [];
    const task = (name: string, ms: number) => async () => {
      await sleep(ms);
      order.push(name);
    };
    const flood = Array.from({ length: 10 }, (_, i) => queue.run('attacker', task(`a${i}`, 10)));
    await sleep(15);
    const gateway = queue.run('gateway', task('g', 1));
    await Promise.all([...flood, gateway]);
    // The attacker's first task ran, and possibly the one that started when the gateway arrived; then the gateway.
    expect(order.indexOf('g')).toBeLessThanOrEqual(2);
    expect(queue.load).toEqual({ running: 0, queued: 0, clients: expect.any(Number) });
  });

  it("refuses with 503 server_busy past a client's bound, past the total bound, and after the longest wait", async () => {
    const queue = new FairQueue({ concurrency: 1, maxQueued: 3, maxQueuedPerClient: 2, maxWaitMs: 50 });
    const slow = () => sleep(200);
    const running = queue.run('a', slow);
    const waiting = [queue.run('a', slow), queue.run('a', slow)];
    await expect(queue.run('a', slow)).rejects.toMatchObject({ code: 'server_busy', retryAfterSeconds: 2 });
    const third = queue.run('b', slow);
    await expect(queue.run('c', slow)).rejects.toMatchObject({ code: 'server_busy' });
    // Nothing waits longer than 50 ms for its turn.
    for (const late of [...waiting, third])
      await expect(late).rejects.toMatchObject({ code: 'server_busy', message: expect.stringContaining('waited 50 ms') });
    await running;
    expect(queue.load).toMatchObject({ running: 0, queued: 0 });
  });

  it('keeps a client that used more than its share while it pauses, so leaving does not wipe its debt', async () => {
    const queue = new FairQueue({ concurrency: 1, maxQueued: 100, maxQueuedPerClient: 100, maxWaitMs: 10_000 });
    await queue.run('heavy', () => sleep(30));
    await queue.run('light', () => sleep(1));
    const order: string[] = [];
    const blocker = queue.run('other', () => sleep(20));
    const heavy = queue.run('heavy', async () => void order.push('heavy'));
    const light = queue.run('light', async () => void order.push('light'));
    await Promise.all([blocker, heavy, light]);
    expect(order).toEqual(['light', 'heavy']);
  });
});
