import { closeSync, copyFileSync, openSync, readSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../../fixtures/test-pki.ts';
import { decodeUpdateInfoResponse } from '../../../protocol/index.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';
import { runCli } from '../../helpers/run-cli.ts';
import { post, routerBody, startTestServer, type TestServer } from '../../helpers/server.ts';
import { within } from '../../helpers/within.ts';

let pki: TestPki;
let postgres: PostgresServer;
beforeAll(async () => {
  [pki, postgres] = await Promise.all([createTestPki(), startPostgres()]);
}, 60_000);
afterAll(() => postgres?.destroy());

const asGateway = (server: TestServer, leaf = pki.leaves.a, router: string = EUI.a) =>
  post(server.port, { tls: { ca: pki.serverCa.pem, cert: leaf.pem, key: leaf.keyPem }, body: routerBody(router) });

describe('two instances on one PostgreSQL', () => {
  let one: TestServer;
  let two: TestServer;
  beforeAll(async () => {
    const db = await postgres.createDatabase('two_instances');
    one = await startTestServer(pki, { db });
    two = await startTestServer(pki, { db, secretKeyFile: one.secretKeyFile, registerGateways: false });
  });
  afterAll(() => Promise.all([one.server.close(), two.server.close()]));

  const cli = (...args: string[]) => runCli(['gateway', ...args, '--db', one.db, '--secret-key-file', one.secretKeyFile]);
  const both = async (
    check: (answers: Awaited<ReturnType<typeof asGateway>>[]) => boolean,
    leaf = pki.leaves.unregistered,
    router: string = EUI.unregistered,
  ) => within(1000, async () => check(await Promise.all([asGateway(one, leaf, router), asGateway(two, leaf, router)])));

  it('a gateway added, changed or removed with the CLI is served accordingly by every instance within 1 second', async () => {
    expect((await asGateway(two)).status).toBe(200);
    const added = await cli('add', '--tenant', 'tenant-a', '--eui', EUI.unregistered, '--lns-uri', 'ws://first:8887');
    expect(added.status, added.stderr).toBe(0);
    await both((answers) => answers.every((a) => a.status === 200 && decodeUpdateInfoResponse(a.body).tcUri === 'ws://first:8887'));
    expect((await cli('update', '--eui', EUI.unregistered, '--lns-uri', 'ws://second:8887')).status).toBe(0);
    await both((answers) => answers.every((a) => a.status === 200 && decodeUpdateInfoResponse(a.body).tcUri === 'ws://second:8887'));
    expect((await cli('remove', '--eui', EUI.unregistered)).status).toBe(0);
    await both((answers) => answers.every((a) => a.status === 404));
  });

  it('reads come from memory: a change made by hand in SQL is served only once NOTIFY cups_registry says so', async () => {
    const tcUri = async (server: TestServer) => decodeUpdateInfoResponse((await asGateway(server)).body).tcUri;
    const original = await tcUri(one);
    expect(await tcUri(two)).toBe(original);
    const client = new pg.Client({ connectionString: one.db });
    await client.connect();
    try {
      await client.query('UPDATE gateways SET lns_uri = $1 WHERE eui = $2', ['ws://by-hand:8887', EUI.a]);
      await new Promise((r) => setTimeout(r, 300));
      expect([await tcUri(one), await tcUri(two)]).toEqual([original, original]);
      await client.query('NOTIFY cups_registry');
      await within(1000, async () => (await tcUri(one)) === 'ws://by-hand:8887' && (await tcUri(two)) === 'ws://by-hand:8887');
      await client.query('UPDATE gateways SET lns_uri = $1 WHERE eui = $2', [original, EUI.a]);
      await client.query('NOTIFY cups_registry');
    } finally {
      await client.end();
    }
  });

  it('pins: only the pinned certificates are accepted, after the chain checks', async () => {
    const pinFile = `${one.dir}/pinned.pem`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(pinFile, pki.leaves.aLowercase.pem);
    expect((await cli('update', '--eui', EUI.a, '--pin-cert', pinFile)).status).toBe(0);
    await within(1000, async () => (await asGateway(two)).status === 403);
    expect((await asGateway(one)).json()).toMatchObject({ code: 'certificate_not_pinned' });
    expect((await asGateway(two, pki.leaves.aLowercase)).status).toBe(200);
    // The chain checks still come first: a pinned fingerprint does not excuse an untrusted chain.
    expect((await asGateway(one, pki.leaves.stranger)).json().code).toBe('certificate_untrusted');
    expect((await cli('update', '--eui', EUI.a, '--unpin')).status).toBe(0);
    expect((await asGateway(two)).status).toBe(200);
  });
});

describe('outages', () => {
  it('PostgreSQL stopped under requests: a gateway read before answered from its record, a new one 503, and back within 5 s', async () => {
    const db = await postgres.createDatabase('outage');
    const server = await startTestServer(pki, { db });
    const ready = () => post(server.port, { tls: { ca: pki.serverCa.pem }, method: 'GET', path: '/readyz', contentType: null });
    try {
      expect((await asGateway(server)).status).toBe(200);
      // Requests keep coming while the database goes away and comes back.
      let stop = false;
      const statuses: number[] = [];
      const load = (async () => {
        while (!stop) statuses.push((await asGateway(server)).status);
      })();
      postgres.stop();
      // Gateway B was never read by this server: nothing to answer it from.
      const down = await asGateway(server, pki.leaves.b, EUI.b);
      expect([down.status, down.json().code, down.headers['retry-after']]).toEqual([503, 'registry_unavailable', '5']);
      expect((await asGateway(server)).status).toBe(200);
      expect(server.log()).toContainEqual(
        expect.objectContaining({ level: 40, eui: EUI.a, msg: 'registry unavailable: answered from the record read before' }),
      );
      expect((await ready()).status).toBe(503);
      postgres.start();
      await within(5000, async () => (await asGateway(server, pki.leaves.b, EUI.b)).status === 200);
      expect((await ready()).status).toBe(200);
      stop = true;
      await load;
      // A station treats anything but 200 as a rejection: gateway A never saw one.
      expect(new Set(statuses)).toEqual(new Set([200]));
      expect(server.server.app.server.listening).toBe(true);
    } finally {
      await server.server.close();
    }
  }, 60_000);

  it('a write-locked SQLite file keeps serving (reads need no lock); what cannot be recorded is logged', async () => {
    const server = await startTestServer(pki);
    try {
      const locker = new Database(server.db.slice('sqlite:'.length));
      locker.exec('BEGIN EXCLUSIVE');
      locker.exec("UPDATE settings SET value = value WHERE name = 'secret_key_check'");
      expect((await asGateway(server)).status).toBe(200);
      const add = await runCli([
        'gateway',
        'add',
        '--tenant',
        'tenant-a',
        '--eui',
        EUI.unregistered,
        '--lns-uri',
        'ws://lns:1',
        '--db',
        server.db,
        '--secret-key-file',
        server.secretKeyFile,
      ]);
      expect([add.status, add.stderr]).toEqual([1, expect.stringMatching(/^error \[registry_unavailable\]: .*locked/)]);
      // The contact batch, written a second behind the answer, meets the lock too.
      await within(5000, () =>
        server
          .log()
          .some(
            (line) =>
              line.level === 50 &&
              line.msg === 'could not record the gateway contact' &&
              (line.euis as string[] | undefined)?.[0] === EUI.a,
          ),
      );
      locker.exec('COMMIT');
      locker.close();
      expect((await asGateway(server, pki.leaves.unregistered, EUI.unregistered)).status).toBe(404);
    } finally {
      await server.server.close();
    }
  }, 30_000);

  it('an unreadable SQLite file: 503 registry_unavailable for gateways not read before, not ready, served again within 5 s once it is restored', async () => {
    const server = await startTestServer(pki);
    const file = server.db.slice('sqlite:'.length);
    const ready = () => post(server.port, { tls: { ca: pki.serverCa.pem }, method: 'GET', path: '/readyz', contentType: null });
    try {
      expect((await asGateway(server)).status).toBe(200);
      const checkpoint = new Database(file);
      checkpoint.pragma('wal_checkpoint(TRUNCATE)');
      checkpoint.close();
      const fd = openSync(file, 'r+');
      const header = Buffer.alloc(4096);
      readSync(fd, header, 0, 4096, 0);
      writeSync(fd, Buffer.alloc(4096, 0xab), 0, 4096, 0);
      // Reads come from memory until the next change check (at most 200 ms): then the damage
      // shows, to gateways not read before (B); A is answered from the record read before.
      await within(1000, async () => (await asGateway(server, pki.leaves.b, EUI.b)).status === 503);
      const broken = await asGateway(server, pki.leaves.b, EUI.b);
      expect([broken.status, broken.json().code, broken.headers['retry-after']]).toEqual([503, 'registry_unavailable', '5']);
      expect((await asGateway(server)).status).toBe(200);
      expect((await ready()).status).toBe(503);
      writeSync(fd, header, 0, 4096, 0);
      closeSync(fd);
      await within(5000, async () => (await asGateway(server, pki.leaves.b, EUI.b)).status === 200);
      expect((await ready()).status).toBe(200);
    } finally {
      await server.server.close();
    }
  }, 30_000);
});

describe('cups secrets rotate', () => {
  it('re-seals under the new key while the server holds both; the old key alone then fails clearly', async () => {
    const server = await startTestServer(pki);
    const { readFileSync, writeFileSync } = await import('node:fs');
    try {
      const oldKey = readFileSync(server.secretKeyFile, 'utf8').trim();
      const newKey = Buffer.alloc(32, 7).toString('base64');
      const both = `${server.dir}/both.key`;
      writeFileSync(both, `${newKey}\n${oldKey}\n`);
      const rotated = await runCli(['secrets', 'rotate', '--db', server.db, '--secret-key-file', both]);
      expect([rotated.status, rotated.stdout]).toEqual([0, 're-sealed 2 stored secrets under the first configured key\n']);
      const onlyNew = `${server.dir}/new.key`;
      writeFileSync(onlyNew, `${newKey}\n`);
      const shown = await runCli(['gateway', 'show', '--eui', EUI.a, '--db', server.db, '--secret-key-file', onlyNew]);
      expect(shown.status, shown.stderr).toBe(0);
      const stale = await runCli(['gateway', 'show', '--eui', EUI.a, '--db', server.db, '--secret-key-file', server.secretKeyFile]);
      expect([stale.status, stale.stderr]).toEqual([1, expect.stringMatching(/^error \[secret_key_mismatch\]: .*not configured/)]);
      // The running server holds only the old key: it refuses clearly, never sending garbage.
      const answer = await asGateway(server);
      expect([answer.status, answer.json().code]).toEqual([500, 'secret_key_mismatch']);
      copyFileSync(both, server.secretKeyFile);
    } finally {
      await server.server.close();
    }
  });
});

describe('start-up with a master key that does not fit the registry', () => {
  it('cups serve stops at once with a clear error', async () => {
    const server = await startTestServer(pki);
    await server.server.close();
    const { writeFileSync } = await import('node:fs');
    const { spawnSync } = await import('node:child_process');
    const { CUPS_BIN } = await import('../../helpers/paths.ts');
    const wrongKey = `${server.dir}/wrong.key`;
    writeFileSync(wrongKey, `${Buffer.alloc(32, 9).toString('base64')}\n`);
    const result = spawnSync(
      process.execPath,
      [CUPS_BIN, 'serve', '--port', '0', '--db', server.db, '--secret-key-file', wrongKey, '--tenants', server.tenants],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^error \[secret_key_mismatch\]: the stored secret of settings\/secret_key_check is sealed under master key [0-9a-f]{8}, which is not configured/m,
    );
  });
});
