import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../../fixtures/test-pki.ts';
import { decodeUpdateInfoResponse } from '../../../protocol/index.ts';
import { createCertificate, OID } from '../../../src/pki/create-certificate.ts';
import { type PostgresServer, startPostgres } from '../../helpers/postgres.ts';
import { runCliInProcess } from '../../helpers/run-cli.ts';
import { post, routerBody, startTestServer, type TestServer } from '../../helpers/server.ts';
import { freePort } from '../../helpers/spawn-server.ts';
import { within } from '../../helpers/within.ts';

const PEM = 'application/x-pem-file';
const EUI_N = '0016C001FF00AB01';
let pki: TestPki;
let postgres: PostgresServer;
beforeAll(async () => {
  [pki, postgres] = await Promise.all([createTestPki(), startPostgres()]);
}, 60_000);
afterAll(() => postgres?.destroy());

interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the answers of many operations, read field by field
  body: any;
  text: string;
}

/** One admin API call: JSON in, JSON (or text) out. */
function api(
  port: number,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string; contentType?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const headers: Record<string, string | number> = {};
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (payload !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode!, body, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const BACKENDS = {
  sqlite: async () => undefined,
  postgres: async () => postgres.createDatabase(`admin_${Math.random().toString(36).slice(2, 8)}`),
};

describe.each(Object.entries(BACKENDS))('the admin API on %s', (_name, database) => {
  let one: TestServer;
  let two: TestServer;
  let adminPort: number;
  let operator: string;
  let tenantA: string;
  const cli = (...args: string[]) => runCliInProcess([...args, '--db', one.db, '--secret-key-file', one.secretKeyFile]);

  beforeAll(async () => {
    adminPort = await freePort();
    const db = await database();
    one = await startTestServer(pki, { ...(db ? { db } : {}), registerGateways: false, adminPort, adminHost: '127.0.0.1' });
    // A second instance on the same registry, gateways' certificates in a proxy header, no admin listener.
    two = await startTestServer(pki, {
      db: one.db,
      secretKeyFile: one.secretKeyFile,
      registerGateways: false,
      tlsCert: undefined,
      tlsKey: undefined,
      clientCertHeader: 'X-SSL-Client-Cert',
    });
    operator = (await cli('admin', 'token', 'create', '--name', 'ops', '--operator')).stdout.trim();
    tenantA = (await cli('admin', 'token', 'create', '--name', 'tenant-a-team', '--tenant', 'tenant-a')).stdout.trim();
  }, 60_000);
  afterAll(async () => {
    await two?.server.close();
    await one?.server.close();
  });

  it('made tokens print once, and only their hash is kept', async () => {
    expect(operator).toMatch(/^cupsadm_[A-Za-z0-9_-]{43}$/);
    const listed = await cli('admin', 'token', 'list');
    expect(listed.stdout).toMatch(/^ops\s+\(operator\)/m);
    expect(listed.stdout).toMatch(/^tenant-a-team\s+tenant-a/m);
    expect(listed.stdout).not.toContain(operator.slice(8));
  });

  it('refuses a request without a token, with an unknown one, and counts the failures per address', async () => {
    expect(await api(adminPort, 'GET', '/api/tenants')).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    expect(await api(adminPort, 'GET', '/api/tenants', { token: 'cupsadm_nope' })).toMatchObject({ status: 401 });
    expect(await api(adminPort, 'GET', '/api/tenants', { token: operator })).toMatchObject({ status: 200 });
  });

  it('an operator makes a tenant and registers a gateway; the gateway gets its answer over native TLS and through the proxy header of another instance', async () => {
    // The trust store's folders are tenants already.
    expect((await api(adminPort, 'POST', '/api/tenants', { token: operator, body: { id: 'tenant-a' } })).body.code).toBe('tenant_exists');
    expect(await api(adminPort, 'POST', '/api/tenants', { token: operator, body: { id: 'tenant-z' } })).toMatchObject({
      status: 201,
      body: { id: 'tenant-z', gateways: 0 },
    });
    const added = await api(adminPort, 'POST', '/api/gateways', {
      token: operator,
      body: {
        eui: 'b8-27-eb-ff-fe-12-34-56',
        tenant: 'tenant-a',
        lns: { uri: 'wss://lns.example:8887', trust: pki.serverCa.pem, token: 'Bearer NNSXS.API-SECRET' },
      },
    });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ eui: EUI.a, tenant: 'tenant-a', lnsCredentials: { mode: 'token', crc32: expect.any(Number) } });
    expect(added.text).not.toContain('API-SECRET');
    const native = await post(one.port, {
      tls: { ca: pki.serverCa.pem, cert: pki.leaves.a.pem, key: pki.leaves.a.keyPem },
      body: routerBody(EUI.a),
    });
    expect(decodeUpdateInfoResponse(native.body).tcUri).toBe('wss://lns.example:8887');
    await within(1000, async () => {
      const proxied = await post(two.port, {
        headers: { 'x-ssl-client-cert': encodeURIComponent(pki.leaves.a.pem + pki.intA.pem) },
        body: routerBody(EUI.a),
      });
      return proxied.status === 200 && decodeUpdateInfoResponse(proxied.body).tcUri === 'wss://lns.example:8887';
    });
  });

  it("an operator adds a new tenant's CA through the API: its gateways are answered over native TLS, and on another instance within 1 s", async () => {
    const root = await createCertificate({ subject: 'Tenant N root', ca: true, days: 30 });
    const intermediate = await createCertificate({ subject: 'Tenant N intermediate', issuer: root, ca: true, pathLength: 0 });
    const leaf = await createCertificate({ subject: EUI_N, issuer: intermediate, extKeyUsage: [OID.clientAuth] });
    expect((await api(adminPort, 'POST', '/api/tenants', { token: operator, body: { id: 'tenant-n' } })).status).toBe(201);
    // An intermediate alone: its issuer is neither given nor trusted by the tenant.
    const orphan = await api(adminPort, 'POST', '/api/tenants/tenant-n/cas', { token: operator, raw: intermediate.pem, contentType: PEM });
    expect(orphan).toMatchObject({ status: 400, body: { code: 'ca_refused', message: expect.stringMatching(/issuer .* add it too/) } });
    const refusedLeaf = await api(adminPort, 'POST', '/api/tenants/tenant-n/cas', { token: operator, raw: leaf.pem, contentType: PEM });
    expect(refusedLeaf).toMatchObject({
      status: 400,
      body: { code: 'ca_refused', message: expect.stringContaining('not a CA certificate') },
    });
    const added = await api(adminPort, 'POST', '/api/tenants/tenant-n/cas', {
      token: operator,
      raw: root.pem + intermediate.pem,
      contentType: PEM,
    });
    expect(added.status).toBe(201);
    expect(added.body).toEqual([
      expect.objectContaining({ subject: 'CN=Tenant N root', tenant: 'tenant-n', sources: ['database'], root: true, added: true }),
      expect.objectContaining({ subject: 'CN=Tenant N intermediate', sources: ['database'], root: false, added: true }),
    ]);
    // The same again adds nothing.
    const again = await api(adminPort, 'POST', '/api/tenants/tenant-n/cas', { token: operator, raw: root.pem, contentType: PEM });
    expect(again.body).toEqual([expect.objectContaining({ added: false })]);
    const listed = (await api(adminPort, 'GET', '/api/tenants/tenant-n/cas', { token: operator })).body;
    expect(listed.map((ca: { subject: string; tenant: string }) => `${ca.tenant}:${ca.subject}`).sort()).toEqual([
      'common:CN=Operator common root',
      'tenant-n:CN=Tenant N intermediate',
      'tenant-n:CN=Tenant N root',
    ]);
    const registered = await api(adminPort, 'POST', '/api/gateways', {
      token: operator,
      body: { eui: EUI_N, tenant: 'tenant-n', lns: { uri: 'wss://lns-n.example:8887', trust: pki.serverCa.pem } },
    });
    expect(registered.status, registered.text).toBe(201);
    const native = await post(one.port, {
      tls: { ca: pki.serverCa.pem, cert: leaf.pem, key: leaf.keyPem },
      body: routerBody(EUI_N),
    });
    expect(native.status).toBe(200);
    expect(decodeUpdateInfoResponse(native.body).tcUri).toBe('wss://lns-n.example:8887');
    const proxied = () =>
      post(two.port, { headers: { 'x-ssl-client-cert': encodeURIComponent(leaf.pem + intermediate.pem) }, body: routerBody(EUI_N) });
    await within(1000, async () => (await proxied()).status === 200);

    // The root removed through the API: refused on both instances, the other one within 1 s.
    const rootSha = added.body[0].sha256;
    expect((await api(adminPort, 'DELETE', `/api/tenants/tenant-n/cas/${rootSha}`, { token: operator })).status).toBe(204);
    expect(
      (await post(one.port, { tls: { ca: pki.serverCa.pem, cert: leaf.pem, key: leaf.keyPem }, body: routerBody(EUI_N) })).status,
    ).not.toBe(200);
    await within(1000, async () => (await proxied()).status === 403);
    expect(await api(adminPort, 'DELETE', `/api/tenants/tenant-n/cas/${rootSha}`, { token: operator })).toMatchObject({
      status: 404,
      body: { code: 'ca_not_found' },
    });
    // A CA of the tenants folder is the folder's to remove.
    const folderCa = createHash('sha256').update(pki.rootA.der).digest('hex');
    expect(await api(adminPort, 'DELETE', `/api/tenants/tenant-a/cas/${folderCa}`, { token: operator })).toMatchObject({
      status: 409,
      body: { code: 'ca_in_folder' },
    });
    expect((await api(adminPort, 'DELETE', `/api/gateways/${EUI_N}`, { token: operator })).status).toBe(204);
  });

  it("a tenant token reaches its own CAs, never another tenant's nor common's, and cannot tell whether they exist", async () => {
    const own = await api(adminPort, 'GET', '/api/tenants/tenant-a/cas', { token: tenantA });
    expect(own.status).toBe(200);
    expect(own.body.map((ca: { subject: string }) => ca.subject)).toContain('CN=Tenant A root');
    const theirs = await api(adminPort, 'GET', '/api/tenants/tenant-b/cas', { token: tenantA });
    const nobody = await api(adminPort, 'GET', '/api/tenants/tenant-nobody/cas', { token: tenantA });
    expect(theirs).toMatchObject({ status: 404, body: { code: 'tenant_not_found' } });
    expect(theirs.text.replace('tenant-b', 'X')).toBe(nobody.text.replace('tenant-nobody', 'X'));
    expect((await api(adminPort, 'GET', '/api/tenants/common/cas', { token: tenantA })).status).toBe(404);
    const rootB = createHash('sha256').update(pki.rootB.der).digest('hex');
    expect((await api(adminPort, 'DELETE', `/api/tenants/tenant-b/cas/${rootB}`, { token: tenantA })).status).toBe(404);
    expect(
      (await api(adminPort, 'POST', '/api/tenants/tenant-b/cas', { token: tenantA, raw: pki.rootB.pem, contentType: PEM })).status,
    ).toBe(404);
    // Its own tenant: a CA whose issuer only another tenant trusts is refused as if no one did.
    const underB = await createCertificate({ subject: 'Under B', issuer: pki.rootB, ca: true });
    const refused = await api(adminPort, 'POST', '/api/tenants/tenant-a/cas', { token: tenantA, raw: underB.pem, contentType: PEM });
    expect(refused).toMatchObject({ status: 400, body: { code: 'ca_refused' } });
  });

  it('a tenant token sees its own tenant only, and cannot tell whether another tenant or its gateways exist', async () => {
    await cli('gateway', 'add', '--tenant', 'tenant-b', '--eui', EUI.b, '--lns-uri', 'ws://b:1', '--tenants', one.tenants);
    const own = await api(adminPort, 'GET', '/api/gateways', { token: tenantA });
    expect(own.body.gateways.map((g: { eui: string }) => g.eui)).toEqual([EUI.a]);
    expect((await api(adminPort, 'GET', '/api/gateways?tenant=tenant-b', { token: tenantA })).body).toEqual({ gateways: [], next: null });
    const hidden = await api(adminPort, 'GET', `/api/gateways/${EUI.b}`, { token: tenantA });
    const missing = await api(adminPort, 'GET', `/api/gateways/${EUI.unregistered}`, { token: tenantA });
    expect([hidden.status, hidden.body.code]).toEqual([missing.status, missing.body.code]);
    expect(hidden.body.message.replace(EUI.b, 'X')).toBe(missing.body.message.replace(EUI.unregistered, 'X'));
    expect((await api(adminPort, 'DELETE', `/api/gateways/${EUI.b}`, { token: tenantA })).status).toBe(404);
    expect((await api(adminPort, 'GET', '/api/tenants/tenant-b', { token: tenantA })).body).toEqual({
      code: 'tenant_not_found',
      message: 'there is no tenant tenant-b',
    });
    expect((await api(adminPort, 'GET', '/api/tenants/tenant-nope', { token: operator })).body.code).toBe('tenant_not_found');
    expect((await api(adminPort, 'PATCH', `/api/gateways/${EUI.a}`, { token: tenantA, body: { tenant: 'tenant-b' } })).body.code).toBe(
      'tenant_not_found',
    );
    expect((await api(adminPort, 'POST', '/api/tenants', { token: tenantA, body: { id: 'mine' } })).status).toBe(403);
    expect((await api(adminPort, 'GET', '/api/tenants', { token: tenantA })).body.map((t: { id: string }) => t.id)).toEqual(['tenant-a']);
  });

  it('refuses unknown keys, keys named twice and bad input with a code and a message; nothing is written', async () => {
    const unknown = await api(adminPort, 'PATCH', `/api/gateways/${EUI.a}`, { token: operator, body: { nmae: 'typo' } });
    expect([unknown.status, unknown.body.code]).toEqual([400, 'invalid_request']);
    const twice = await api(adminPort, 'PATCH', `/api/gateways/${EUI.a}`, { token: operator, raw: '{"name":"one","name":"two"}' });
    expect([twice.status, twice.body.code]).toEqual([400, 'invalid_request']);
    const insecure = await api(adminPort, 'PATCH', `/api/gateways/${EUI.a}`, { token: operator, body: { lns: { uri: 'wss://x:1' } } });
    expect([insecure.status, insecure.body.code, insecure.body.message]).toEqual([
      400,
      'invalid_gateway',
      expect.stringMatching(/lns\.trust/),
    ]);
    expect((await api(adminPort, 'GET', `/api/gateways/${EUI.a}`, { token: operator })).body.name).toBeNull();
  });

  it('pages a tenant by EUI with a cursor, and finds a gateway by any EUI spelling or by name', async () => {
    await api(adminPort, 'PATCH', `/api/gateways/${EUI.a}`, { token: operator, body: { name: 'Roof 50%_north' } });
    const first = await api(adminPort, 'GET', '/api/gateways?limit=1', { token: operator });
    expect(first.body.gateways.map((g: { eui: string }) => g.eui)).toEqual([EUI.a]);
    const second = await api(adminPort, 'GET', `/api/gateways?limit=1&cursor=${first.body.next}`, { token: operator });
    expect(second.body.gateways.map((g: { eui: string }) => g.eui)).toEqual([EUI.b]);
    expect((await api(adminPort, 'GET', '/api/gateways?q=b827:ebff:fe12:3456', { token: operator })).body.gateways).toHaveLength(1);
    expect((await api(adminPort, 'GET', `/api/gateways?q=${encodeURIComponent('50%_n')}`, { token: operator })).body.gateways).toHaveLength(
      1,
    );
    expect((await api(adminPort, 'GET', `/api/gateways?q=${encodeURIComponent('5_%')}`, { token: operator })).body.gateways).toHaveLength(
      0,
    );
  });

  it('a revoked token gets 401 at once', async () => {
    await cli('admin', 'token', 'create', '--name', 'short-lived', '--operator').then(async ({ stdout }) => {
      const token = stdout.trim();
      expect((await api(adminPort, 'GET', '/api/tenants', { token })).status).toBe(200);
      expect((await cli('admin', 'token', 'revoke', '--name', 'short-lived')).status).toBe(0);
      expect(await api(adminPort, 'GET', '/api/tenants', { token })).toMatchObject({ status: 401, body: { code: 'unauthorized' } });
    });
  });

  it('the audit lists the changes (who, what, before and after, no secret) and the credential hand-over', async () => {
    await within(3000, async () => {
      const events = (await api(adminPort, 'GET', `/api/audit?eui=${EUI.a}`, { token: operator })).body.events as { action: string }[];
      return events.some((e) => e.action === 'update-info.handover');
    });
    const { events } = (await api(adminPort, 'GET', `/api/audit?eui=${EUI.a}&limit=100`, { token: operator })).body;
    const byAction = (action: string) => events.find((e: { action: string }) => e.action === action);
    expect(byAction('gateway.add')).toMatchObject({
      actor: 'ops',
      tenant: 'tenant-a',
      detail: { after: { lnsUri: 'wss://lns.example:8887' } },
    });
    expect(byAction('gateway.change')).toMatchObject({
      actor: 'ops',
      detail: { before: { name: null }, after: { name: 'Roof 50%_north' } },
    });
    expect(byAction('update-info.handover')).toMatchObject({
      actor: 'station',
      detail: { sent: expect.arrayContaining(['tcUri', 'tcCred']), tcCredCrc: expect.any(Number) },
    });
    const all = JSON.stringify((await api(adminPort, 'GET', '/api/audit?limit=1000', { token: operator })).body);
    expect(all).not.toContain('API-SECRET');
    expect(all).toContain('"actor":"cli"');
    // A tenant token reads its tenant's events only.
    const theirs = (await api(adminPort, 'GET', '/api/audit?limit=1000', { token: tenantA })).body.events as { tenant: string }[];
    expect(theirs.length).toBeGreaterThan(0);
    expect(theirs.every((e) => e.tenant === 'tenant-a')).toBe(true);
  });

  it('/metrics counts answers by code and hand-overs by kind, with Node process metrics', async () => {
    const read = async () => (await api(adminPort, 'GET', '/metrics')).text;
    const count = (text: string, series: string) =>
      Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
    const before = await read();
    await post(one.port, { tls: { ca: pki.serverCa.pem, cert: pki.leaves.a.pem, key: pki.leaves.a.keyPem }, body: routerBody(EUI.a) });
    await post(one.port, {
      tls: { ca: pki.serverCa.pem, cert: pki.leaves.stranger.pem, key: pki.leaves.stranger.keyPem },
      body: routerBody(EUI.a),
    });
    const after = await read();
    expect(count(after, 'cups_update_info_answers_total{code="ok"}')).toBe(count(before, 'cups_update_info_answers_total{code="ok"}') + 1);
    expect(count(after, 'cups_update_info_answers_total{code="certificate_untrusted"}')).toBe(
      count(before, 'cups_update_info_answers_total{code="certificate_untrusted"}') + 1,
    );
    expect(count(after, 'cups_credential_handovers_total{kind="tcCred"}')).toBeGreaterThan(0);
    expect(after).toMatch(/^cups_trust_store_cas\{tenant="tenant-a"\} \d+$/m);
    expect(after).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(after).not.toContain(EUI.a);
  });

  it('the OpenAPI document describes every operation, and each one answers as it says', async () => {
    const document = (await api(adminPort, 'GET', '/api/openapi.json')).body;
    expect(document.openapi).toMatch(/^3\./);
    const operations = Object.entries(document.paths as Record<string, Record<string, { operationId: string; responses: object }>>).flatMap(
      ([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations.map((o) => o.operation.operationId).sort()).toEqual(
      [
        'addCas',
        'addGateway',
        'addTenant',
        'changeGateway',
        'listCas',
        'removeCa',
        'getGateway',
        'getTenant',
        'listAudit',
        'listGateways',
        'listTenants',
        'removeGateway',
        'removeTenant',
      ].sort(),
    );
    // Every operation, called with a token: its answer is one its description lists.
    const sampleCa = await createCertificate({ subject: 'Walk root', ca: true, days: 30 });
    const sampleCaSha = createHash('sha256').update(sampleCa.der).digest('hex');
    const samples: Record<string, { path?: string; body?: unknown; raw?: string; contentType?: string }> = {
      listCas: { path: '/api/tenants/tenant-y/cas' },
      addCas: { path: '/api/tenants/tenant-y/cas', raw: sampleCa.pem, contentType: PEM },
      removeCa: { path: `/api/tenants/tenant-y/cas/${sampleCaSha}` },
      addGateway: { body: { eui: '0000000000000ABC', tenant: 'tenant-z', lns: { uri: 'ws://z:1' } } },
      addTenant: { body: { id: 'tenant-y' } },
      changeGateway: { path: '/api/gateways/0000000000000ABC', body: { name: 'z' } },
      getGateway: { path: '/api/gateways/0000000000000ABC' },
      removeGateway: { path: '/api/gateways/0000000000000ABC' },
      getTenant: { path: '/api/tenants/tenant-y' },
      removeTenant: { path: '/api/tenants/tenant-y' },
    };
    const order = [
      'listTenants',
      'addTenant',
      'getTenant',
      'addCas',
      'listCas',
      'removeCa',
      'listGateways',
      'addGateway',
      'getGateway',
      'changeGateway',
      'removeGateway',
      'removeTenant',
      'listAudit',
    ];
    for (const id of order) {
      const { path, method, operation } = operations.find((o) => o.operation.operationId === id)!;
      const sample = samples[id] ?? {};
      const answer = await api(adminPort, method.toUpperCase(), sample.path ?? path, {
        token: operator,
        ...(sample.body ? { body: sample.body } : {}),
        ...(sample.raw ? { raw: sample.raw, contentType: sample.contentType! } : {}),
      });
      expect(Object.keys(operation.responses), `${id} answered ${answer.status}: ${answer.text}`).toContain(String(answer.status));
    }
  });
});

describe('the admin listener', () => {
  it('refuses a non-loopback address without TLS unless --admin-insecure says so', async () => {
    const adminPort = await freePort();
    await expect(startTestServer(pki, { registerGateways: false, adminPort, adminHost: '0.0.0.0' })).rejects.toThrow(/--admin-tls-cert/);
  });

  it('serves over HTTPS when given a certificate, on any address', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cups-admin-tls-'));
    writeFileSync(join(dir, 'admin.crt'), pki.server.pem);
    writeFileSync(join(dir, 'admin.key'), pki.server.keyPem);
    const adminPort = await freePort();
    const server = await startTestServer(pki, {
      registerGateways: false,
      adminPort,
      adminHost: '0.0.0.0',
      adminTlsCert: join(dir, 'admin.crt'),
      adminTlsKey: join(dir, 'admin.key'),
    });
    try {
      const status = await new Promise<number>((resolve, reject) =>
        httpsRequest(
          { host: '127.0.0.1', port: adminPort, path: '/api/openapi.json', servername: 'localhost', ca: pki.serverCa.pem },
          (res) => {
            res.resume();
            resolve(res.statusCode!);
          },
        )
          .on('error', reject)
          .end(),
      );
      expect(status).toBe(200);
    } finally {
      await server.server.close();
    }
  });
});
