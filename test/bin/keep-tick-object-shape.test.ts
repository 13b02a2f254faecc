import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.ts';

const MODULE = join(REPO_ROOT, 'bin', 'keep-tick-object-shape.js');

/**
 * Runs `body` in a Node of its own that can force full collections (`gc`) and compare hidden
 * classes (`%HaveSameMap`); `entry()` gives the next process.nextTick entry, and `collectAll()`
 * lets every queued entry go and then collects everything not kept. Prints its JSON result.
 */
function probe(body: string): Record<string, unknown> {
  const script = `
    const { executionAsyncResource } = require('node:async_hooks');
    const { keepTickObjectShape } = require(${JSON.stringify(MODULE)});
    const entry = () => new Promise((resolve) => process.nextTick(() => resolve(executionAsyncResource())));
    const collectAll = async () => {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      gc();
    };
    (async () => { ${body} })().then((result) => process.stdout.write(JSON.stringify(result)));
  `;
  return JSON.parse(execFileSync(process.execPath, ['--expose-gc', '--allow-natives-syntax', '-e', script], { encoding: 'utf8' }));
}

describe('keepTickObjectShape', () => {
  it('keeps a nextTick entry through full collections, sharing its map with the entries made after them', () => {
    const result = probe(`
      const kept = new WeakRef(await keepTickObjectShape());
      await collectAll();
      const later = await entry();
      const survivor = kept.deref();
      return {
        kept: survivor !== undefined,
        isEntry: typeof survivor?.callback === 'function',
        sameMap: survivor !== undefined && %HaveSameMap(survivor, later),
      };
    `);
    expect(result).toEqual({ kept: true, isEntry: true, sameMap: true });
  });

  it('is needed: without it, a full collection frees every entry once none is queued', () => {
    const result = probe(`
      const first = new WeakRef(await entry());
      await collectAll();
      return { freed: first.deref() === undefined };
    `);
    expect(result).toEqual({ freed: true });
  });

  it('keeps one entry however often it is called', () => {
    const result = probe(`
      const first = await keepTickObjectShape();
      const second = await keepTickObjectShape();
      return { same: first === second };
    `);
    expect(result).toEqual({ same: true });
  });
});
