import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../fixtures/test-pki.ts';
import { createCertificate, OID } from '../../src/pki/create-certificate.ts';
import { DEPLOY, listening, PROXIES, serveFlagsOf, startProxy } from '../helpers/proxy.ts';
import { prepareServerFolder, routerBody, type ServerFolder } from '../helpers/server.ts';
import { freePort, type ServerProcess, spawnServe } from '../helpers/spawn-server.ts';
import { p521KeyPair } from '../helpers/unusual-certificates.ts';

/** What the attacker found: a burst, then a steady stream, from one address, of look-alike chains. */
const BURST = 260;
const PER_SECOND = 4;
const SECONDS = 3;

let pki: TestPki;
let attackChain: { cert: string; key: string };

beforeAll(async () => {
  pki = await createTestPki();
  // Ten CAs of one name and one P-521 key, each signing the others: the costliest chains to resolve.
  const keys = await p521KeyPair();
  const first = await createCertificate({ subject: 'Look-alike', ca: true, keyPair: keys });
  const lookAlikes = [
    first,
    ...(await Promise.all(
      Array.from({ length: 9 }, () => createCertificate({ subject: 'Look-alike', keyPair: keys, issuer: first, ca: true })),
    )),
  ];
  const leaf = await createCertificate({ subject: EUI.a, issuer: first, extKeyUsage: [OID.clientAuth] });
  attackChain = { cert: [leaf, ...lookAlikes].map((c) => c.pem).join(''), key: leaf.keyPem };
});

/** One update-info call on a new TLS connection, as a station makes it: the status. */
function call(port: number, client: { cert: string; key: string }, eui: string): Promise<number> {
  const body = routerBody(eui);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/update-info',
        method: 'POST',
        agent: false,
        servername: 'localhost',
        ca: pki.serverCa.pem,
        ...client,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The attack, against a server reached at `port`: its burst at once, then its stream, while a
 * gateway verified before keeps calling and a new gateway asks for its first answer. Every
 * legitimate call must be answered 200; every attack call refused for its certificate.
 */
async function floodWhileGatewaysCall(port: number) {
  const gatewayA = { cert: pki.leaves.a.pem, key: pki.leaves.a.keyPem };
  expect(await call(port, gatewayA, EUI.a)).toBe(200);
  const attack: Promise<number>[] = Array.from({ length: BURST }, () => call(port, attackChain, EUI.a));
  const stream = (async () => {
    for (let i = 0; i < PER_SECOND * SECONDS; i++) {
      attack.push(call(port, attackChain, EUI.a));
      await sleep(1000 / PER_SECOND);
    }
  })();
  const cached: number[] = [];
  const calling = (async () => {
    for (let i = 0; i < SECONDS * 5; i++) {
      cached.push(await call(port, gatewayA, EUI.a));
      await sleep(200);
    }
  })();
  await sleep(300);
  const newGateway = await call(
    port,
    { cert: pki.leaves.bViaIntermediate.pem + pki.intB.pem, key: pki.leaves.bViaIntermediate.keyPem },
    EUI.b,
  );
  await Promise.all([stream, calling]);
  return { cached, newGateway, attack: await Promise.all(attack) };
}

describe('a flood of look-alike chains from one address does not stall the fleet', () => {
  let folder: ServerFolder;
  const servers: ServerProcess[] = [];
  let proxyProcess: ChildProcess | undefined;

  beforeAll(async () => {
    folder = await prepareServerFolder(pki);
  });

  afterAll(async () => {
    proxyProcess?.kill('SIGTERM');
    await Promise.all(servers.map((s) => s.stop()));
  });

  it('over native TLS, with the default limits', async () => {
    const port = await freePort();
    const serve = await spawnServe([
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--tenants',
      folder.tenants,
      '--db',
      folder.db,
      '--secret-key-file',
      folder.secretKeyFile,
      '--firmware-dir',
      join(folder.dir, 'firmware'),
      '--tls-cert',
      folder.certFile,
      '--tls-key',
      folder.keyFile,
      '--rate-limit-eui',
      '0',
    ]);
    servers.push(serve);
    const { cached, newGateway, attack } = await floodWhileGatewaysCall(port);
    expect(new Set(cached), serve.output()).toEqual(new Set([200]));
    expect(newGateway).toBe(200);
    expect(new Set(attack)).toEqual(new Set([403]));
  }, 60_000);

  it('through HAProxy, configured by the file deploy/ ships', async () => {
    const proxy = PROXIES['HAProxy 2.6']!;
    const config = readFileSync(join(DEPLOY, proxy.file), 'utf8');
    const cupsPort = await freePort();
    const serve = await spawnServe([
      ...serveFlagsOf(config),
      '--port',
      String(cupsPort),
      '--tenants',
      folder.tenants,
      '--db',
      folder.db,
      '--secret-key-file',
      folder.secretKeyFile,
      '--firmware-dir',
      join(folder.dir, 'firmware'),
      '--rate-limit-eui',
      '0',
    ]);
    servers.push(serve);
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'cups-flood-'));
    writeFileSync(join(dir, 'server.pem'), pki.server.pem + pki.server.keyPem);
    writeFileSync(join(dir, 'client-cas.pem'), [pki.rootA, pki.rootB, pki.common].map((c) => c.pem).join(''));
    let output = '';
    proxyProcess = startProxy(proxy, config, dir, {
      CUPS_LISTEN: String(port),
      CUPS_LISTEN_HOST: '127.0.0.1',
      CUPS_TLS_PEM: join(dir, 'server.pem'),
      CUPS_CLIENT_CAS: join(dir, 'client-cas.pem'),
      CUPS_UPSTREAM: `127.0.0.1:${cupsPort}`,
    });
    proxyProcess.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await listening(port, () => output);
    const { cached, newGateway, attack } = await floodWhileGatewaysCall(port);
    expect(new Set(cached), serve.output()).toEqual(new Set([200]));
    expect(newGateway).toBe(200);
    expect(new Set(attack)).toEqual(new Set([403]));
  }, 60_000);
});
