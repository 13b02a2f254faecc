import { createHash, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../../fixtures/test-pki.ts';
import { decodeUpdateInfoResponse, signingKeyCrc, signUpdate } from '../../../protocol/index.ts';
import { renderApiReference } from '../../../src/admin/api-reference.ts';
import { createCertificate, OID } from '../../../src/pki/create-certificate.ts';
import { createCrl } from '../../../src/pki/create-crl.ts';
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
  headers: import('node:http').IncomingHttpHeaders;
  // biome-ignore lint/suspicious/noExplicitAny: the answers of many operations, read field by field
  body: any;
  text: string;
}

/** One admin API call: JSON in, JSON (or text) out. */
function api(
  port: number,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string | Buffer; contentType?: string; headers?: Record<string, string> } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (payload !== undefined) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] ??= Buffer.byteLength(payload);
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
        resolve({ status: res.statusCode!, headers: res.headers, body, text });
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

describe.each(Object.entries(BACKENDS))('the admin API on %s', (backend, database) => {
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

  it('a console session stands for its token: pages and API reads work with it, changes need its CSRF token, and revoking the token ends it', async () => {
    const token = (await cli('admin', 'token', 'create', '--name', 'console-user', '--operator')).stdout.trim();
    const signIn = await api(adminPort, 'POST', '/console/sign-in', {
      raw: `token=${encodeURIComponent(token)}`,
      contentType: 'application/x-www-form-urlencoded',
    });
    expect(signIn.status).toBe(303);
    const cookie = /^(cups_console=[^;]+)/.exec(String(signIn.headers['set-cookie']))![1]!;
    const page = await api(adminPort, 'GET', `/console/gateways/${EUI.a}`, { headers: { cookie } });
    expect([page.status, page.text]).toEqual([200, expect.stringContaining(`<code>${EUI.a}</code>`)]);
    expect((await api(adminPort, 'GET', `/api/gateways/${EUI.a}`, { headers: { cookie } })).status).toBe(200);
    const noCsrf = await api(adminPort, 'PATCH', `/api/gateways/${EUI.a}`, { headers: { cookie }, body: { name: 'x' } });
    expect([noCsrf.status, noCsrf.body.code]).toEqual([403, 'csrf_refused']);
    expect((await cli('admin', 'token', 'revoke', '--name', 'console-user')).status).toBe(0);
    const after = await api(adminPort, 'GET', `/console/gateways/${EUI.a}`, { headers: { cookie } });
    expect([after.status, after.headers.location]).toEqual([
      303,
      `/console/sign-in?next=${encodeURIComponent(`/console/gateways/${EUI.a}`)}`,
    ]);
    expect((await api(adminPort, 'GET', `/api/gateways/${EUI.a}`, { headers: { cookie } })).status).toBe(401);
  });

  it('the overview counts gateways by tenant; a tenant token sees its own and no refusal counts', async () => {
    const all = await api(adminPort, 'GET', '/api/overview', { token: operator });
    expect(all.status).toBe(200);
    expect(all.body.tenants.map((t: { tenant: string }) => t.tenant)).toEqual(expect.arrayContaining(['tenant-a', 'tenant-b']));
    expect(all.body.refusalsLastHour).toEqual(expect.any(Array));
    const own = await api(adminPort, 'GET', '/api/overview', { token: tenantA });
    expect(own.body.tenants).toEqual([{ tenant: 'tenant-a', gateways: 1, calledLastDay: expect.any(Number), certificatesExpiring: 0 }]);
    expect(own.body.refusalsLastHour).toBeNull();
    expect(own.body.expiringCas.every((ca: { tenant: string }) => ['tenant-a', 'common'].includes(ca.tenant))).toBe(true);
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
      detail: { sent: expect.arrayContaining(['tcUri', 'tcCred']), tcCredCrc: expect.any(Number), peer: '127.0.0.1' },
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
    // A gateway presenting a certificate that expires in ten days: its contact records it, and the gauge counts it.
    const soon = await createCertificate({ subject: EUI.a, issuer: pki.intA, extKeyUsage: [OID.clientAuth], days: 10 });
    await post(one.port, { tls: { ca: pki.serverCa.pem, cert: soon.pem, key: soon.keyPem }, body: routerBody(EUI.a) });
    await within(3000, async () => {
      const contact = (await api(adminPort, 'GET', `/api/gateways/${EUI.a}`, { token: operator })).body.lastContact;
      return contact?.certificate?.sha256 === createHash('sha256').update(soon.der).digest('hex');
    });
    const seen = (await api(adminPort, 'GET', `/api/gateways/${EUI.a}`, { token: operator })).body.lastContact.certificate;
    expect(seen.notAfter).toBe(new Date(new X509Certificate(soon.pem).validTo).toISOString());
    expect(seen.serial).toBe(new X509Certificate(soon.pem).serialNumber.replace(/^00/, ''));
    const before = await read();
    expect(count(before, 'cups_client_certificates_expiring')).toBeGreaterThanOrEqual(1);
    expect(before).toMatch(/^cups_contact_write_lag_seconds \d/m);
    expect(before).toContain('# TYPE cups_registry_errors_total counter');
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

  it("imports a fleet as CSV or JSON lines, the CLI's rules, all or nothing", async () => {
    const importing = (text: string, contentType: string, token = operator) =>
      api(adminPort, 'POST', '/api/gateways/import', { token, raw: text, contentType });
    const csv = [
      'eui,tenant,name,lns_uri',
      '00-00-00-00-00-00-F0-01,tenant-a,one,ws://lns:1',
      '000000000000F002,tenant-a,two,ws://lns:2',
    ].join('\n');
    // A bad row refuses the whole file, naming its line; nothing is written.
    expect(await importing(`${csv}\n000000000000F003,tenant-a,three,ftp://x`, 'text/csv')).toMatchObject({
      status: 400,
      body: { code: 'invalid_import_row', message: expect.stringMatching(/^line 4: /) },
    });
    expect((await api(adminPort, 'GET', '/api/gateways/000000000000F001', { token: operator })).status).toBe(404);
    expect(await importing('eui,tenant,lns_uri,lns_uri\n000000000000F001,tenant-a,ws://a:1,ws://b:1', 'text/csv')).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('named twice') },
    });
    expect(
      await importing('{"eui":"000000000000F001","tenant":"tenant-a","lns_uri":"ws://a:1","lns_uri":"ws://b:1"}', 'application/x-ndjson'),
    ).toMatchObject({ status: 400, body: { code: 'invalid_import_row', message: expect.stringContaining('line 1') } });
    // A tenant token's rows for another tenant read as rows for a tenant that does not exist.
    const other = await importing('{"eui":"000000000000F009","tenant":"tenant-b","lns_uri":"ws://a:1"}', 'application/x-ndjson', tenantA);
    const none = await importing('{"eui":"000000000000F009","tenant":"tenant-q","lns_uri":"ws://a:1"}', 'application/x-ndjson', tenantA);
    expect(other).toMatchObject({ status: 400, body: { message: 'line 1: there is no tenant tenant-b' } });
    expect(none.body.message).toBe('line 1: there is no tenant tenant-q');
    expect(await importing(csv, 'text/csv')).toMatchObject({ status: 201, body: { imported: 2 } });
    expect((await api(adminPort, 'GET', '/api/gateways/000000000000f002', { token: tenantA })).body).toMatchObject({ name: 'two' });
    // Once more: the gateways are there, so nothing of it is.
    expect(await importing(`000000000000F004,tenant-a,four,ws://lns:4\n`.replace(/^/, `${csv}\n`), 'text/csv')).toMatchObject({
      status: 400,
      body: { message: expect.stringMatching(/^line 2: .*nothing was imported/) },
    });
    expect((await api(adminPort, 'GET', '/api/gateways/000000000000F004', { token: operator })).status).toBe(404);
    for (const eui of ['000000000000F001', '000000000000F002'])
      expect((await api(adminPort, 'DELETE', `/api/gateways/${eui}`, { token: operator })).status).toBe(204);
  });

  it('firmware through the API: uploaded in chunks, signatures checked, rolled out, paused, rolled back; tenant tokens kept out', async () => {
    const upload = (bytes: Buffer, headers: Record<string, string> = {}) =>
      api(adminPort, 'POST', '/api/firmware/blobs', { token: operator, raw: bytes, contentType: 'application/octet-stream', headers });
    expect(await api(adminPort, 'GET', '/api/firmware', { token: tenantA })).toMatchObject({
      status: 403,
      body: { code: 'operator_only' },
    });
    expect((await upload(Buffer.alloc(10), { 'content-length': String(65 * 1024 * 1024) }).catch(() => ({ status: 413 }))).status).toBe(
      413,
    );
    // Over one chunk of the database store, not a multiple of it.
    const image = randomBytes(300 * 1024 + 7);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const publicPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const crc = signingKeyCrc(publicKey);
    const uploaded = await upload(image);
    expect(uploaded).toMatchObject({ status: 201, body: { sha256: createHash('sha256').update(image).digest('hex'), size: image.length } });
    const image2 = randomBytes(1000);
    const sha2 = (await upload(image2)).body.sha256;
    const addImage = (body: object) => api(adminPort, 'POST', '/api/firmware/images', { token: operator, body });
    const wrongSignature = signUpdate(image2, privateKey).toString('base64');
    expect(
      await addImage({
        model: 'gw-api',
        version: '1.0',
        sha256: uploaded.body.sha256,
        signatures: [{ publicKey: publicPem, signature: wrongSignature }],
      }),
    ).toMatchObject({ status: 400, body: { code: 'invalid_firmware', message: expect.stringContaining('not a valid signature') } });
    expect(await addImage({ model: 'gw-api', version: '1.0', sha256: 'f'.repeat(64), unsigned: true })).toMatchObject({
      status: 404,
      body: { code: 'firmware_not_found' },
    });
    expect(await addImage({ model: 'gw-api', version: '1.0', sha256: uploaded.body.sha256 })).toMatchObject({
      status: 400,
      body: { code: 'invalid_firmware' },
    });
    const signature = signUpdate(image, privateKey).toString('base64');
    expect(
      await addImage({ model: 'gw-api', version: '1.0', sha256: uploaded.body.sha256, signatures: [{ publicKey: publicPem, signature }] }),
    ).toMatchObject({ status: 201, body: { signedBy: [`0x${crc.toString(16).toUpperCase().padStart(8, '0')}`] } });
    expect((await addImage({ model: 'gw-api', version: '1.1', sha256: sha2, unsigned: true })).status).toBe(201);
    const channel = (action: string, body?: object) =>
      api(adminPort, 'POST', `/api/firmware/channels/gw-api/stable/${action}`, { token: operator, ...(body ? { body } : {}) });
    expect(await channel('rollout', { version: '1.0', percent: 100 })).toMatchObject({
      status: 200,
      body: { targetVersion: '1.0', rolloutPercent: 100, paused: false },
    });

    const report = { tcUri: 'wss://lns.example:8887', model: 'gw-api', package: '0.9', keys: [crc] };
    const nativeUpdate = async () =>
      decodeUpdateInfoResponse(
        (
          await post(one.port, {
            tls: { ca: pki.serverCa.pem, cert: pki.leaves.a.pem, key: pki.leaves.a.keyPem },
            body: routerBody(EUI.a, report),
          })
        ).body,
      );
    const proxiedUpdate = async () =>
      decodeUpdateInfoResponse(
        (
          await post(two.port, {
            headers: { 'x-ssl-client-cert': encodeURIComponent(pki.leaves.a.pem + pki.intA.pem) },
            body: routerBody(EUI.a, report),
          })
        ).body,
      );
    const sent = await nativeUpdate();
    expect(Buffer.from(sent.update!).equals(image)).toBe(true);
    expect(sent.signature!.keyCrc).toBe(crc);
    if (backend === 'postgres') {
      // No folder shared: the other instance streams the image from the database.
      const other = await proxiedUpdate();
      expect(Buffer.from(other.update!).equals(image)).toBe(true);
    } else {
      // With SQLite, images are files in the folder of the instance that took them: the other has none to send.
      expect((await proxiedUpdate()).update).toBeUndefined();
    }

    expect((await channel('pause')).body.paused).toBe(true);
    expect((await nativeUpdate()).update).toBeUndefined();
    expect((await channel('resume')).body.paused).toBe(false);
    expect((await channel('rollout', { version: '1.1', percent: 100 })).body).toMatchObject({
      targetVersion: '1.1',
      previousVersion: '1.0',
    });
    expect((await channel('rollback')).body).toMatchObject({ targetVersion: '1.0', previousVersion: null });
    expect(await channel('rollback')).toMatchObject({ status: 404, body: { code: 'firmware_not_found' } });
    expect(await channel('rollout', { version: '9.9' })).toMatchObject({ status: 404, body: { code: 'firmware_not_found' } });

    const status = (await api(adminPort, 'GET', '/api/firmware', { token: operator })).body;
    expect(status.images.filter((i: { model: string }) => i.model === 'gw-api').map((i: { version: string }) => i.version)).toEqual([
      '1.0',
      '1.1',
    ]);
    expect(status.channels).toContainEqual(expect.objectContaining({ model: 'gw-api', channel: 'stable', targetVersion: '1.0' }));
    const actions = (await api(adminPort, 'GET', '/api/audit?limit=50', { token: operator })).body.events.map(
      (e: { action: string }) => e.action,
    );
    expect(actions).toEqual(
      expect.arrayContaining(['firmware.upload', 'firmware.image.add', 'firmware.rollout', 'firmware.pause', 'firmware.rollback']),
    );
  });

  it('a CRL and a single revocation through the API reach another instance within 1 s, and are audited', async () => {
    const spare = await createCertificate({ subject: EUI.a, issuer: pki.intA, extKeyUsage: [OID.clientAuth] });
    const other = await createCertificate({ subject: EUI.a, issuer: pki.intA, extKeyUsage: [OID.clientAuth] });
    const onTwo = async (leaf: { pem: string }) =>
      (await post(two.port, { headers: { 'x-ssl-client-cert': encodeURIComponent(leaf.pem + pki.intA.pem) }, body: routerBody(EUI.a) }))
        .status;
    expect(await onTwo(spare)).toBe(200);
    const crl = await createCrl({ issuer: pki.intA, revoked: [new X509Certificate(spare.pem).serialNumber] });
    const crlSha = createHash('sha256').update(crl.der).digest('hex');
    // A tenant token: a CRL of a CA its tenant does not trust is refused as if no CA had signed it.
    const foreign = await createCrl({ issuer: pki.rootB, revoked: ['01'] });
    expect(
      await api(adminPort, 'POST', '/api/tenants/tenant-a/crls', { token: tenantA, raw: foreign.pem, contentType: PEM }),
    ).toMatchObject({
      status: 400,
      body: { code: 'crl_refused', message: 'no CA trusted for tenant-a signed this CRL: add its CA first' },
    });
    expect(
      (await api(adminPort, 'POST', '/api/tenants/tenant-b/crls', { token: tenantA, raw: foreign.pem, contentType: PEM })).status,
    ).toBe(404);
    expect(await api(adminPort, 'POST', '/api/tenants/tenant-a/crls', { token: tenantA, raw: crl.pem, contentType: PEM })).toMatchObject({
      status: 201,
      body: { sha256: crlSha, added: true },
    });
    await within(1000, async () => (await onTwo(spare)) === 403);
    const refused = await post(two.port, {
      headers: { 'x-ssl-client-cert': encodeURIComponent(spare.pem + pki.intA.pem) },
      body: routerBody(EUI.a),
    });
    expect(JSON.parse(refused.body.toString())).toMatchObject({ code: 'certificate_revoked' });
    expect(await onTwo(other)).toBe(200);
    expect((await api(adminPort, 'GET', '/metrics')).text).toMatch(/^cups_crl_revoked_serials\{tenant="tenant-a"\} 1$/m);
    expect((await api(adminPort, 'GET', '/api/tenants/tenant-a/crls', { token: tenantA })).body).toContainEqual(
      expect.objectContaining({ sha256: crlSha, issuer: 'CN=Tenant A intermediate', revoked: 1, sources: ['database'] }),
    );
    expect((await api(adminPort, 'DELETE', `/api/tenants/tenant-a/crls/${crlSha}`, { token: tenantA })).status).toBe(204);
    await within(1000, async () => (await onTwo(spare)) === 200);

    // One certificate of one gateway, by its SHA-256.
    const sha256 = createHash('sha256').update(other.der).digest('hex');
    const revoked = await api(adminPort, 'POST', `/api/gateways/${EUI.a}/revoked-certificates`, { token: tenantA, body: { sha256 } });
    expect(revoked).toMatchObject({ status: 200, body: { revokedCertificates: [`sha256:${sha256}`] } });
    await within(1000, async () => (await onTwo(other)) === 403);
    expect(await onTwo(spare)).toBe(200);
    expect(await api(adminPort, 'POST', `/api/gateways/${EUI.b}/revoked-certificates`, { token: tenantA, body: { sha256 } })).toMatchObject(
      { status: 404, body: { code: 'gateway_not_found' } },
    );
    expect(
      (await api(adminPort, 'POST', `/api/gateways/${EUI.a}/revoked-certificates`, { token: tenantA, body: { sha256, serial: '01' } }))
        .body,
    ).toMatchObject({ code: 'invalid_gateway', message: 'give exactly one of certificate, serial, sha256' });
    const actions = (await api(adminPort, 'GET', '/api/audit?limit=20', { token: tenantA })).body.events.map(
      (e: { action: string }) => e.action,
    );
    expect(actions).toEqual(expect.arrayContaining(['crl.add', 'crl.remove', 'certificate.revoke']));
  });

  it('the OpenAPI document describes every operation, and each one answers as it says', async () => {
    const document = (await api(adminPort, 'GET', '/api/openapi.json')).body;
    expect(document.openapi).toMatch(/^3\./);
    // The reference in docs/ is this document's: written by npm run docs:api, never by hand.
    expect(readFileSync(new URL('../../../docs/api-reference.md', import.meta.url), 'utf8'), 'run npm run docs:api').toBe(
      renderApiReference(document),
    );
    const operations = Object.entries(document.paths as Record<string, Record<string, { operationId: string; responses: object }>>).flatMap(
      ([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    // Every operation, called with an operator token in this order, answers as its description says.
    const sampleCa = await createCertificate({ subject: 'Walk root', ca: true, days: 30 });
    const sampleCaSha = createHash('sha256').update(sampleCa.der).digest('hex');
    const sampleCrl = await createCrl({ issuer: pki.intA, revoked: ['0B'] });
    const sampleCrlSha = createHash('sha256').update(sampleCrl.der).digest('hex');
    const sampleImage = randomBytes(100);
    const sampleImageSha = createHash('sha256').update(sampleImage).digest('hex');
    // A channel with a version to roll back to.
    const first = (
      await api(adminPort, 'POST', '/api/firmware/blobs', {
        token: operator,
        raw: randomBytes(10),
        contentType: 'application/octet-stream',
      })
    ).body.sha256;
    await api(adminPort, 'POST', '/api/firmware/images', {
      token: operator,
      body: { model: 'walk', version: '0', sha256: first, unsigned: true },
    });
    await api(adminPort, 'POST', '/api/firmware/channels/walk/stable/rollout', { token: operator, body: { version: '0' } });
    const channel = '/api/firmware/channels/walk/stable';
    const samples: Record<string, { path?: string; body?: unknown; raw?: string | Buffer; contentType?: string }> = {
      listTenants: {},
      addTenant: { body: { id: 'tenant-y' } },
      getTenant: { path: '/api/tenants/tenant-y' },
      addCas: { path: '/api/tenants/tenant-y/cas', raw: sampleCa.pem, contentType: PEM },
      listCas: { path: '/api/tenants/tenant-y/cas' },
      removeCa: { path: `/api/tenants/tenant-y/cas/${sampleCaSha}` },
      addCrl: { path: '/api/tenants/tenant-a/crls', raw: sampleCrl.pem, contentType: PEM },
      listCrls: { path: '/api/tenants/tenant-a/crls' },
      removeCrl: { path: `/api/tenants/tenant-a/crls/${sampleCrlSha}` },
      listGateways: {},
      addGateway: { body: { eui: '0000000000000ABC', tenant: 'tenant-y', lns: { uri: 'ws://z:1' } } },
      importGateways: { raw: 'eui,tenant,lns_uri\n0000000000000ABD,tenant-z,ws://z:1\n', contentType: 'text/csv' },
      getGateway: { path: '/api/gateways/0000000000000ABC' },
      revokeCertificate: { path: '/api/gateways/0000000000000ABC/revoked-certificates', body: { serial: '0C' } },
      changeGateway: { path: '/api/gateways/0000000000000ABC', body: { name: 'z' } },
      removeGateway: { path: '/api/gateways/0000000000000ABC' },
      uploadFirmware: { raw: sampleImage, contentType: 'application/octet-stream' },
      addFirmwareImage: { body: { model: 'walk', version: '1', sha256: sampleImageSha, unsigned: true } },
      rollOutFirmware: { path: `${channel}/rollout`, body: { version: '1', percent: 10 } },
      pauseFirmware: { path: `${channel}/pause` },
      resumeFirmware: { path: `${channel}/resume` },
      rollBackFirmware: { path: `${channel}/rollback` },
      firmwareStatus: {},
      removeTenant: { path: '/api/tenants/tenant-y' },
      listAudit: {},
      fleetOverview: {},
    };
    const order = Object.keys(samples);
    expect(operations.map((o) => o.operation.operationId).sort()).toEqual([...order].sort());
    for (const { operation } of operations) {
      // Refusals are described with the answers: a code and a message.
      expect(Object.keys(operation.responses)).toEqual(expect.arrayContaining(['4XX', '5XX']));
    }
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
      // Over TLS the console's cookie is Secure, and __Host- bound to this host.
      const token = (
        await runCliInProcess([
          'admin',
          'token',
          'create',
          '--name',
          'tls-user',
          '--operator',
          '--db',
          server.db,
          '--secret-key-file',
          server.secretKeyFile,
        ])
      ).stdout.trim();
      const setCookie = await new Promise<string>((resolve, reject) =>
        httpsRequest(
          {
            host: '127.0.0.1',
            port: adminPort,
            path: '/console/sign-in',
            method: 'POST',
            servername: 'localhost',
            ca: pki.serverCa.pem,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          },
          (res) => {
            res.resume();
            resolve(String(res.headers['set-cookie']));
          },
        )
          .on('error', reject)
          .end(`token=${encodeURIComponent(token)}`),
      );
      expect(setCookie).toMatch(/^__Host-cups_console=[A-Za-z0-9_-]{43}; Max-Age=28800; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    } finally {
      await server.server.close();
    }
  });
});
