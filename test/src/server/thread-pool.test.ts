import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../../fixtures/test-pki.ts';
import { folderFlags, post, prepareServerFolder, routerBody, type ServerFolder } from '../../helpers/server.ts';
import { freePort, type ServerProcess, spawnServe } from '../../helpers/spawn-server.ts';

let pki: TestPki;
let folder: ServerFolder;
const servers: ServerProcess[] = [];
beforeAll(async () => {
  pki = await createTestPki();
  folder = await prepareServerFolder(pki);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

/** `cups serve` with UV_THREADPOOL_SIZE as given (or unset), after one new chain has been verified on the pool. */
async function threadsOfServerWith(poolSize: string | undefined): Promise<number> {
  const port = await freePort();
  const server = await spawnServe(
    ['--port', String(port), '--host', '127.0.0.1', ...folderFlags(folder), '--client-cert-header', 'X-SSL-Client-Cert'],
    { env: poolSize === undefined ? {} : { UV_THREADPOOL_SIZE: poolSize } },
  );
  servers.push(server);
  const answer = await post(port, {
    body: routerBody(EUI.a),
    headers: { 'X-SSL-Client-Cert': encodeURIComponent(pki.leaves.a.pem) },
  });
  expect(answer.status).toBe(200);
  return readdirSync(`/proc/${server.child.pid}/task`).length;
}

describe('libuv thread pool', () => {
  it('has one thread per core the event loop leaves (at least one), unless the operator sets UV_THREADPOOL_SIZE', async () => {
    const ours = Math.max(1, availableParallelism() - 1);
    delete process.env.UV_THREADPOOL_SIZE;
    const sizedByEntry = await threadsOfServerWith(undefined);
    const sizedByOperator = await threadsOfServerWith(String(ours + 3));
    // Both processes run the same other threads (V8's, the main one): they differ by the pools alone.
    expect(sizedByOperator - sizedByEntry).toBe(3);
  });
});
