import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../fixtures/test-pki.ts';
import { createCertificate, OID } from '../../src/pki/create-certificate.ts';
import { PROXIES, startBehindShippedProxy } from '../helpers/proxy.ts';
import { folderFlags, prepareServerFolder, routerBody, type ServerFolder } from '../helpers/server.ts';
import { freePort, spawnServe } from '../helpers/spawn-server.ts';
import { lookAlikeCas, p521KeyPair } from '../helpers/unusual-certificates.ts';

/** What the attacker found: a burst, then a steady stream, from one address, of look-alike chains. */
const BURST = 260;
const PER_SECOND = 4;
const SECONDS = 3;

let pki: TestPki;
let attackChain: { cert: string; key: string };

beforeAll(async () => {
  pki = await createTestPki();
  // Ten CAs of one name and one P-521 key, each signing the others: the costliest chains to resolve.
  const lookAlikes = await lookAlikeCas(10, await p521KeyPair());
  const leaf = await createCertificate({ subject: EUI.a, issuer: lookAlikes[0], extKeyUsage: [OID.clientAuth] });
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

/** Every legitimate call answered 200, every attack call refused for its certificate. */
function expectServedThrough(outcome: Awaited<ReturnType<typeof floodWhileGatewaysCall>>, output: string): void {
  expect(new Set(outcome.cached), output).toEqual(new Set([200]));
  expect(outcome.newGateway).toBe(200);
  expect(new Set(outcome.attack)).toEqual(new Set([403]));
}

describe('a flood of look-alike chains from one address does not stall the fleet', () => {
  let folder: ServerFolder;
  const stops: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    folder = await prepareServerFolder(pki);
  });

  afterAll(() => Promise.all(stops.map((stop) => stop())));

  it('over native TLS, with the default limits', async () => {
    const port = await freePort();
    const serve = await spawnServe([
      ...['--port', String(port), '--host', '127.0.0.1', ...folderFlags(folder)],
      ...['--tls-cert', folder.certFile, '--tls-key', folder.keyFile, '--rate-limit-eui', '0'],
    ]);
    stops.push(() => serve.stop());
    expectServedThrough(await floodWhileGatewaysCall(port), serve.output());
  }, 60_000);

  it('through HAProxy, configured by the file deploy/ ships', async () => {
    writeFileSync(join(folder.dir, 'server.pem'), pki.server.pem + pki.server.keyPem);
    writeFileSync(join(folder.dir, 'client-cas.pem'), [pki.rootA, pki.rootB, pki.common].map((c) => c.pem).join(''));
    const deployment = await startBehindShippedProxy(PROXIES['HAProxy 2.6']!, [...folderFlags(folder), '--rate-limit-eui', '0'], {
      CUPS_TLS_PEM: join(folder.dir, 'server.pem'),
      CUPS_CLIENT_CAS: join(folder.dir, 'client-cas.pem'),
    });
    stops.push(() => deployment.stop());
    expectServedThrough(await floodWhileGatewaysCall(deployment.port), deployment.cups.output());
  }, 60_000);
});
