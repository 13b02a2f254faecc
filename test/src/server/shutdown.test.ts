import { connect } from 'node:net';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../../fixtures/test-pki.ts';
import { folderFlags, post, prepareServerFolder, routerBody } from '../../helpers/server.ts';
import { freePort, type ServerProcess, spawnServe } from '../../helpers/spawn-server.ts';

let pki: TestPki;
let cups: ServerProcess;
let port: number;
let dbFile: string;
beforeAll(async () => {
  pki = await createTestPki();
  const folder = await prepareServerFolder(pki);
  dbFile = folder.db.slice('sqlite:'.length);
  port = await freePort();
  cups = await spawnServe([
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    ...folderFlags(folder),
    '--client-cert-header',
    'X-SSL-Client-Cert',
    '--rate-limit-eui',
    '0',
    '--rate-limit-peer',
    '0',
  ]);
});
afterAll(async () => {
  await cups.stop();
});

const headers = () => ({ 'X-SSL-Client-Cert': encodeURIComponent(pki.leaves.a.pem) });

/** A request whose body is held back until `release` is called: in flight for as long as the test wants. */
function heldRequest(): { release: () => void; answer: Promise<string> } {
  // A new report, so its contact is written: in the batch still pending at exit.
  const body = routerBody(EUI.a, { station: 'held' });
  const socket = connect(port, '127.0.0.1');
  let response = '';
  const answer = new Promise<string>((resolve, reject) => {
    socket.on('data', (chunk) => (response += chunk.toString('latin1')));
    socket.on('close', () => resolve(response));
    socket.on('error', reject);
  });
  socket.write(
    `POST /update-info HTTP/1.1\r\nHost: cups\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n` +
      `X-SSL-Client-Cert: ${headers()['X-SSL-Client-Cert']}\r\n\r\n${body.slice(0, 10)}`,
  );
  return { release: () => socket.write(body.slice(10)), answer };
}

describe('SIGTERM under load', () => {
  it('finishes requests in flight, refuses new ones, writes the pending contacts, and exits 0 within 10 seconds', async () => {
    const outcomes: string[] = [];
    // Twenty callers, each a new connection per request, until the server is gone.
    const load = Array.from({ length: 20 }, async () => {
      for (;;) {
        const outcome = await post(port, { headers: headers(), body: routerBody(EUI.a) }).then(
          (answer) => String(answer.status),
          (error: NodeJS.ErrnoException) => error.code ?? 'error',
        );
        outcomes.push(outcome);
        // A caller told "shutting down" (or refused) goes away, as a station backs off.
        if (outcome !== '200') return;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    const held = heldRequest();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      cups.child.once('exit', (code) => resolve({ code, at: Date.now() })),
    );
    const signalled = Date.now();
    cups.child.kill('SIGTERM');
    // After the signal: new requests are refused, with a code and a time to come back.
    let late = await post(port, { headers: headers(), body: routerBody(EUI.a) });
    while (late.status === 200 && Date.now() - signalled < 2000) late = await post(port, { headers: headers(), body: routerBody(EUI.a) });
    expect([late.status, late.json().code, late.headers['retry-after'], late.headers.connection]).toEqual([
      503,
      'shutting_down',
      '5',
      'close',
    ]);
    // The request in flight since before the signal still gets its answer.
    held.release();
    expect(await held.answer).toMatch(/^HTTP\/1\.1 200 /);
    const { code, at } = await exited;
    await Promise.all(load);
    expect(code).toBe(0);
    expect(at - signalled).toBeLessThan(10_000);
    expect(outcomes.filter((o) => o === '200').length).toBeGreaterThan(50);
    // Every call got an answer: 200 before the signal, 503 after; nothing cut off, no 500.
    expect(outcomes.filter((o) => !['200', '503'].includes(o))).toEqual([]);
    expect(cups.output()).toMatch(/shutting down: refusing new requests, finishing those in flight/);
    // The contact of the last answer was written before the process exited.
    const db = new Database(dbFile, { readonly: true });
    expect(db.prepare('SELECT last_station FROM gateways WHERE eui = ?').pluck().get(EUI.a)).toBe('held');
    db.close();
    // Once the callers are gone, nothing listens any more.
    await expect(post(port, { body: routerBody(EUI.a) })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  }, 30_000);
});
