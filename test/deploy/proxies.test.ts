import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../fixtures/test-pki.ts';
import { decodeUpdateInfoResponse } from '../../protocol/index.ts';
import type { IssuedCertificate } from '../../src/pki/create-certificate.ts';
import { sClientHandshake } from '../helpers/openssl.ts';
import { PROXIES, type ShippedDeployment, startBehindShippedProxy } from '../helpers/proxy.ts';
import { folderFlags, prepareServerFolder, routerBody, type ServerFolder } from '../helpers/server.ts';

const run = promisify(execFile);

let pki: TestPki;
beforeAll(async () => {
  pki = await createTestPki();
});

describe.each(Object.entries(PROXIES))('cups serve behind %s, configured by the file deploy/ ships', (_name, proxy) => {
  let folder: ServerFolder;
  let deployment: ShippedDeployment;
  let port: number;

  beforeAll(async () => {
    folder = await prepareServerFolder(pki);
    writeFileSync(join(folder.dir, 'ca.pem'), pki.serverCa.pem);
    writeFileSync(join(folder.dir, 'server.pem'), pki.server.pem + pki.server.keyPem);
    writeFileSync(join(folder.dir, 'client-cas.pem'), [pki.rootA, pki.rootB, pki.common, pki.stranger].map((c) => c.pem).join(''));
    deployment = await startBehindShippedProxy(proxy, [...folderFlags(folder), '--rate-limit-eui', '0'], {
      CUPS_TLS_CERT: folder.certFile,
      CUPS_TLS_KEY: folder.keyFile,
      CUPS_TLS_PEM: join(folder.dir, 'server.pem'),
      CUPS_CLIENT_CAS: join(folder.dir, 'client-cas.pem'),
    });
    port = deployment.port;
  });

  afterAll(() => deployment?.stop());

  /** curl through the proxy, as an operator would: status and body. */
  async function curl(options: { cert?: IssuedCertificate; chain?: IssuedCertificate[]; eui?: string; headers?: Record<string, string> }) {
    const dir = mkdtempSync(join(tmpdir(), 'cups-curl-'));
    const args = [
      '-sS',
      '--cacert',
      join(folder.dir, 'ca.pem'),
      '-o',
      join(dir, 'body'),
      '-w',
      '%{http_code}',
      '-H',
      'Content-Type: application/json',
      '--data',
      routerBody(options.eui ?? EUI.a),
    ];
    if (options.cert) {
      writeFileSync(join(dir, 'cert.pem'), [options.cert, ...(options.chain ?? [])].map((c) => c.pem).join(''));
      writeFileSync(join(dir, 'key.pem'), options.cert.keyPem);
      args.push('--cert', join(dir, 'cert.pem'), '--key', join(dir, 'key.pem'));
    }
    for (const [name, value] of Object.entries(options.headers ?? {})) args.push('-H', `${name}: ${value}`);
    const { stdout } = await run('curl', [...args, `https://localhost:${port}/update-info`]);
    const body = readFileSync(join(dir, 'body'));
    let code: string | undefined;
    try {
      code = Number(stdout) === 200 ? undefined : (JSON.parse(body.toString()) as { code: string }).code;
    } catch {
      code = 'refused by the proxy';
    }
    return { status: Number(stdout), body, code };
  }

  it('names no CA in its certificate request: the tenants stay private (openssl s_client)', async () => {
    expect(await sClientHandshake(port)).toContain('No client certificate CA names sent');
  });

  it('a registered gateway with its certificate gets 200 and its LNS', async () => {
    const answer = await curl({ cert: pki.leaves.a });
    expect(answer.status, deployment.proxyOutput() + deployment.cups.output()).toBe(200);
    expect(decodeUpdateInfoResponse(answer.body).tcUri).toBe('wss://lns-tenant-a.example:8887');
  });

  const refusals: [name: string, options: { cert?: keyof TestPki['leaves']; eui?: string }, status: number, code: string][] = [
    ['no certificate', {}, 401, 'no_client_certificate'],
    ['an unknown CA', { cert: 'stranger' }, 403, 'certificate_untrusted'],
    // nginx checks dates itself even with optional_no_ca, and answers with its own 400 page.
    [
      'an expired certificate',
      { cert: 'expired' },
      ...(proxy.refusesExpired ? ([400, 'refused by the proxy'] as const) : ([403, 'certificate_expired'] as const)),
    ],
    ["tenant B's CA for tenant A's gateway (answered as for an unregistered one)", { cert: 'bClaimsA' }, 404, 'gateway_not_found'],
    ['a certificate for another EUI than router', { cert: 'a', eui: EUI.b }, 403, 'cn_router_mismatch'],
  ];
  it.each(refusals.map((r) => [`${r[0]}: ${r[2]} ${r[3]}`, ...r] as const))('%s', async (_title, _case, c, status, code) => {
    const answer = await curl({ ...(c.cert ? { cert: pki.leaves[c.cert] } : {}), ...(c.eui ? { eui: c.eui } : {}) });
    expect([answer.status, answer.code]).toEqual([status, code]);
  });

  it("a client's own certificate header never gets through: 401 without a certificate, its own with one", async () => {
    const forged = proxy.header === 'X-Client-Cert-Der' ? pki.leaves.a.der.toString('base64') : encodeURIComponent(pki.leaves.a.pem);
    expect((await curl({ headers: { [proxy.header]: forged } })).status).toBe(401);
    const withStranger = await curl({ cert: pki.leaves.stranger, headers: { [proxy.header]: forged } });
    expect([withStranger.status, withStranger.code]).toEqual([403, 'certificate_untrusted']);
  });

  const forwarding = proxy.forwardsChain ? 'is forwarded, so the chain verifies' : 'is not forwarded, so the chain does not verify';
  it(`an intermediate the store lacks ${forwarding}`, async () => {
    const answer = await curl({ cert: pki.leaves.bViaIntermediate, chain: [pki.intB], eui: EUI.b });
    expect([answer.status, answer.code]).toEqual(proxy.forwardsChain ? [200, undefined] : [403, 'certificate_untrusted']);
  });
});
