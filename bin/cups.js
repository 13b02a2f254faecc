#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=20
// A 4 MiB young generation (V8's default: 16 MiB a semi-space), and an old generation that V8
// grows by less before collecting it: under load, the garbage that survives a few young
// collections no longer doubles the heap before a full one. `npm start` passes the same flags.
// Runs the JavaScript that `npm run build` writes to dist/ (npm ci runs it).
'use strict';
const { existsSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

// libuv's pool checks new gateways' signatures (and reads files) beside the event loop: one thread
// per core the event loop leaves, as more only take turns on the same cores. Set here, before
// anything starts the pool: this file is CommonJS (bin/package.json), as the loader of an ES
// module entry reads files on the pool first. An operator's own UV_THREADPOOL_SIZE wins.
process.env.UV_THREADPOOL_SIZE ||= String(Math.max(1, availableParallelism() - 1));

// Before anything else allocates: see the function.
require('./keep-tick-object-shape.js').keepTickObjectShape();

const main = join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('error [not_built]: dist/ is missing: run npm run build (npm ci runs it) and try again\n');
  process.exit(1);
}
import(pathToFileURL(main).href);
