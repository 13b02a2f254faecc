#!/usr/bin/env -S node --max-semi-space-size=4 --heap-growing-percent=20
// A 4 MiB young generation (V8's default: 16 MiB a semi-space), and an old generation that V8
// grows by less before collecting it: under load, the garbage that survives a few young
// collections no longer doubles the heap before a full one. `npm start` passes the same flags.
// Runs the JavaScript that `npm run build` writes to dist/ (npm ci runs it).
import { existsSync } from 'node:fs';

const main = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('error [not_built]: dist/ is missing: run npm run build (npm ci runs it) and try again\n');
  process.exit(1);
}
await import(main.href);
