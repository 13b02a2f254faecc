'use strict';
const { executionAsyncResource } = require('node:async_hooks');

/** One entry of process.nextTick's queue, kept for the life of the process. */
let kept;

/**
 * Keeps one process.nextTick entry alive, and with it the hidden classes (maps) that every entry
 * shares, so that nextTick stays on V8's fast path for as long as the process runs.
 *
 * nextTick makes each entry with an object literal whose first keys are computed (its async ids).
 * V8 takes the map of such a literal from a per-context cache that holds it weakly, and its
 * feedback for a computed key goes megamorphic for good the first time it sees a second map. A
 * full collection at a moment when no entry is alive frees the map; the next entry gets a new
 * one, and from then on every nextTick (an HTTP request makes several) defines its keys through
 * V8's runtime. A start-up that loads a large trust store collects often, and such a server then
 * answered more slowly for its whole life. Resolves with the entry once it is kept.
 */
function keepTickObjectShape() {
  return new Promise((resolve) => {
    process.nextTick(() => {
      kept ??= executionAsyncResource();
      resolve(kept);
    });
  });
}

module.exports = { keepTickObjectShape };
