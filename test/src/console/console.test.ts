import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../../fixtures/test-pki.ts';
import { createCertificate, type IssuedCertificate, OID } from '../../../src/pki/create-certificate.ts';
import { launchChromium } from '../../helpers/browser.ts';
import { REPO_ROOT } from '../../helpers/paths.ts';
import { runCliInProcess } from '../../helpers/run-cli.ts';
import { post, startTestServer, type TestServer } from '../../helpers/server.ts';
import { freePort } from '../../helpers/spawn-server.ts';
import { stationVerdict } from '../../helpers/station-home.ts';
import { within } from '../../helpers/within.ts';

const SCREENSHOTS = join(REPO_ROOT, 'docs', 'console');
/** Tenant C's gateway, registered through the console in a spelling of its own. */
const EUI_C = '0016C001FF00CC01';
/** A gateway whose name and whose reports about itself are markup. */
const EUI_HOSTILE = '0016C001FF00CC02';
const MARKUP = {
  name: '<img src=x onerror=alert("name")>Roof <b>north</b>',
  station: '<script>alert("station")</script>2.0.6',
  model: '<img/src=x/onerror=alert("model")>',
  package: '"><svg onload=alert("package")>1.0.0',
  caSubject: '<img src=x onerror=alert("ca")>Hostile CA',
};

let pki: TestPki;
let server: TestServer;
let browser: Browser;
let base: string;
let operatorToken: string;
let tenantBToken: string;
let rootC: IssuedCertificate;
let hostileCa: IssuedCertificate;
/** Tenant C's gateway's certificate, from the CA uploaded through the console. */
let leafC: IssuedCertificate;
/** Every alert any page raised: markup that ran. */
const alerts: string[] = [];

async function newPage(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  // A step that cannot happen fails with its reason, well before the test's own timeout.
  page.setDefaultTimeout(5_000);
  page.on('dialog', (dialog) => {
    if (dialog.type() === 'alert') alerts.push(dialog.message());
    // The console's own script asks before removals: yes.
    void dialog.accept();
  });
  return page;
}

async function signIn(page: Page, token: string): Promise<void> {
  await page.goto(`${base}/console/`);
  await page.getByLabel('Admin token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/console/`);
}

const screenshot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

/** An admin API call with the operator's bearer token. */
async function api(method: string, path: string, body?: unknown, contentType = 'application/json') {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${operatorToken}`, ...(body === undefined ? {} : { 'content-type': contentType }) },
    ...(body === undefined ? {} : { body: contentType === 'application/json' ? JSON.stringify(body) : (body as BodyInit) }),
  });
  return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  pki = await createTestPki();
  const adminPort = await freePort();
  server = await startTestServer(pki, { registerGateways: false, adminPort, adminHost: '127.0.0.1' });
  base = `http://127.0.0.1:${adminPort}`;
  const cli = (...args: string[]) => runCliInProcess([...args, '--db', server.db, '--secret-key-file', server.secretKeyFile]);
  operatorToken = (await cli('admin', 'token', 'create', '--name', 'ops', '--operator')).stdout.trim();
  tenantBToken = (await cli('admin', 'token', 'create', '--name', 'tenant-b-team', '--tenant', 'tenant-b')).stdout.trim();
  rootC = await createCertificate({ subject: 'Tenant C root', ca: true, days: 365 });
  hostileCa = await createCertificate({ subject: MARKUP.caSubject, ca: true, days: 20 });
  browser = await launchChromium();
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await server?.server.close();
});

describe('the web console, in a real Chromium', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await newPage(context);
  });
  afterAll(() => context?.close());

  it('sends a page asked for without a session to the sign-in form, refuses a wrong token, and comes back after signing in', async () => {
    await page.goto(`${base}/console/gateways?tenant=tenant-a`);
    expect(new URL(page.url()).pathname).toBe('/console/sign-in');
    await screenshot(page, 'sign-in');
    await page.getByLabel('Admin token').fill('cupsadm_not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain('unauthorized');
    await page.getByLabel('Admin token').fill(operatorToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/console/gateways?tenant=tenant-a`);
    expect(await page.locator('h1').textContent()).toBe('Gateways');
  });

  it('reads no more of a sign-in than a token needs, and only as the form sends it', async () => {
    const multipart = new FormData();
    multipart.set('token', new Blob(['a'.repeat(64 * 1024)]), 'token.txt');
    for (const [body, status] of [
      [`token=${'a'.repeat(8192)}`, 413],
      [multipart, 400],
    ] as const) {
      const response = await fetch(`${base}/console/sign-in`, {
        method: 'POST',
        body,
        ...(typeof body === 'string' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' } } : {}),
        redirect: 'manual',
      });
      expect(response.status).toBe(status);
      expect(response.headers.get('set-cookie')).toBeNull();
    }
  });

  it('keeps the session in an HttpOnly, SameSite=Strict cookie (no Secure over plain loopback HTTP), out of reach of scripts', async () => {
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: 'cups_console', httpOnly: true, sameSite: 'Strict', secure: false, path: '/' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
  });

  it('makes a tenant and adds its CA by uploading a PEM file; a refused upload shows the server’s reason', async () => {
    await page.goto(`${base}/console/tenants`);
    await page.getByLabel('New tenant').fill('tenant-c');
    await page.getByRole('button', { name: 'Make' }).click();
    await page.waitForURL(`${base}/console/tenants/tenant-c?notice=tenant-added`);
    // A gateway certificate is no CA: refused, with the check's own message.
    const caForm = page.locator('form', { hasText: 'Add a CA' });
    await caForm
      .getByLabel('Upload a file')
      .setInputFiles({ name: 'leaf.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(pki.leaves.a.pem) });
    await caForm.getByRole('button', { name: 'Add' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/ca_refused.*not a CA/s);
    await page
      .locator('form', { hasText: 'Add a CA' })
      .getByLabel('Upload a file')
      .setInputFiles({
        name: 'tenant-c-root.pem',
        mimeType: 'application/x-pem-file',
        buffer: Buffer.from(rootC.pem),
      });
    await page.locator('form', { hasText: 'Add a CA' }).getByRole('button', { name: 'Add' }).click();
    await page.waitForURL(`${base}/console/tenants/tenant-c?notice=ca-added`);
    expect(await page.locator('#ca-list').textContent()).toContain('Tenant C root');
    // A CA whose subject is markup, pasted this time: shown as text.
    await page.locator('form', { hasText: 'Add a CA' }).getByLabel('Or paste PEM').fill(hostileCa.pem);
    await page.locator('form', { hasText: 'Add a CA' }).getByRole('button', { name: 'Add' }).click();
    await page.waitForURL(/notice=ca-added/);
    expect(await page.locator('#ca-list').textContent()).toContain(MARKUP.caSubject);
    expect(await page.locator('main img').count()).toBe(0);
    await screenshot(page, 'tenant');
  });

  it('registers a gateway by its EUI in any spelling; its name, markup, reads as text', async () => {
    await page.goto(`${base}/console/gateways/new`);
    await page.getByLabel('EUI').fill('00-16-c0-01-ff-00-cc-01');
    await page.getByLabel('Tenant').fill('tenant-c');
    await page.getByLabel('Name').fill(MARKUP.name);
    await page.getByLabel('URI').first().fill('wss://lns-c.example:8887');
    await page.getByLabel('Trust (PEM)').first().fill(pki.serverCa.pem);
    await page.getByLabel('Token').first().fill('Authorization: Bearer lns-secret');
    await page.getByRole('button', { name: 'Register' }).click();
    await page.waitForURL(`${base}/console/gateways/${EUI_C}?notice=gateway-added`);
    expect(await page.locator('h1').textContent()).toBe(`Gateway ${MARKUP.name}`);
    expect(await page.locator('main img, main b').count()).toBe(0);
    expect(await page.locator('#last-contact').textContent()).toContain('not called');
    // The token is write-only: the page names its header, never its value.
    expect(await page.content()).not.toContain('lns-secret');
  });

  it('shows the last contact once the station emulator has called with a certificate from the uploaded CA', async () => {
    leafC = await createCertificate({ subject: EUI_C, issuer: rootC, extKeyUsage: [OID.clientAuth] });
    const leaf = leafC;
    expect(await stationVerdict(server.port, pki.serverCa.pem, leaf)).toBe('ok');
    await within(10_000, async () => {
      await page.goto(`${base}/console/gateways/${EUI_C.toLowerCase()}`);
      return !(await page.locator('#last-contact').textContent())!.includes('not called');
    });
    const facts = await page.locator('main').textContent();
    expect(facts).toContain(new X509Certificate(leaf.pem).fingerprint256.replace(/:/g, '').toLowerCase());
    expect(await page.locator('#last-contact time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    await screenshot(page, 'gateway');
  });

  it('renders what a gateway says of itself (station, model, package) as text on every page that shows it', async () => {
    const leaf = await createCertificate({ subject: EUI_HOSTILE, issuer: rootC, extKeyUsage: [OID.clientAuth] });
    expect(
      await api('POST', '/api/gateways', {
        eui: EUI_HOSTILE,
        tenant: 'tenant-c',
        name: MARKUP.name,
        lns: { uri: 'wss://lns-c.example:8887', trust: pki.serverCa.pem },
      }),
    ).toMatchObject({ status: 201 });
    const answer = await post(server.port, {
      tls: { ca: pki.serverCa.pem, cert: leaf.pem, key: leaf.keyPem },
      body: JSON.stringify({ router: EUI_HOSTILE, station: MARKUP.station, model: MARKUP.model, package: MARKUP.package }),
    });
    expect(answer.status).toBe(200);
    await within(10_000, async () => (await api('GET', `/api/gateways/${EUI_HOSTILE}`)).body.lastContact !== null);
    await page.goto(`${base}/console/gateways/${EUI_HOSTILE}`);
    const text = await page.locator('main').textContent();
    for (const value of [MARKUP.station, MARKUP.model, MARKUP.package]) expect(text).toContain(value);
    await page.goto(`${base}/console/gateways?tenant=tenant-c`);
    expect(await page.locator('main').textContent()).toContain(MARKUP.station);
    await page.goto(`${base}/console/`);
    expect(await page.locator('figure', { hasText: 'Station versions' }).textContent()).toContain(MARKUP.station);
    expect(await page.locator('main').textContent()).toContain(MARKUP.caSubject);
    expect(await page.locator('main script, main img, main b, main svg svg').count()).toBe(0);
    expect(alerts).toEqual([]);
  });

  it('shows the overview: gateways by tenant, who called, versions and models, expiring CAs, refusals by code', async () => {
    // A refusal to count: a certificate from a CA no tenant trusts.
    await post(server.port, {
      tls: { ca: pki.serverCa.pem, cert: pki.leaves.stranger.pem, key: pki.leaves.stranger.keyPem },
      body: '{"router":1}',
    });
    await page.goto(`${base}/console/`);
    const row = page.locator('tr', { has: page.locator('th', { hasText: 'tenant-c' }) });
    // Counts are kept up to 30 s: the two gateways may still be counted as none.
    expect(await row.locator('td').first().textContent()).toMatch(/^[02]$/);
    expect(await page.locator('figure', { hasText: 'Refusals by code' }).textContent()).toContain('certificate_untrusted');
    expect(await page.locator('section', { hasText: 'CAs expiring within 30 days' }).locator('tbody tr').count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'overview');
  });

  it('searches gateways by EUI in any spelling and by name, and pages them', async () => {
    await page.goto(`${base}/console/gateways`);
    await page.getByLabel('EUI or name').fill('0016:c001:ff00:cc01');
    await page.getByRole('button', { name: 'Search' }).click();
    const rows = page.locator('main tbody tr');
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(EUI_C);
    await page.getByLabel('EUI or name').fill('Roof');
    await page.getByRole('button', { name: 'Search' }).click();
    expect(await rows.count()).toBe(2);
    // Pages of 50, in EUI order, each gateway once.
    const fleet = Array.from(
      { length: 60 },
      (_, i) => `00AA00000000${i.toString(16).toUpperCase().padStart(4, '0')},tenant-c,Fleet ${i},ws://lns-c:1`,
    );
    expect(await api('POST', '/api/gateways/import', `eui,tenant,name,lns_uri\n${fleet.join('\n')}\n`, 'text/csv')).toMatchObject({
      status: 201,
    });
    await page.goto(`${base}/console/gateways?tenant=tenant-c`);
    const first = await page.locator('main tbody tr td:first-child').allTextContents();
    await page.getByRole('link', { name: 'Next page' }).click();
    const second = await page.locator('main tbody tr td:first-child').allTextContents();
    expect([first.length, second.length]).toEqual([50, 12]);
    expect(new Set([...first, ...second]).size).toBe(62);
    expect([...first, ...second]).toEqual([...first, ...second].sort());
    await page.goto(`${base}/console/gateways`);
    await screenshot(page, 'gateways');
  });

  it('changes a gateway through its form, and removes one after asking', async () => {
    await page.goto(`${base}/console/gateways/${EUI_HOSTILE}/edit`);
    await page.getByLabel('Name').fill('Roof south');
    await page.getByLabel('Firmware channel').fill('beta');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.waitForURL(`${base}/console/gateways/${EUI_HOSTILE}?notice=gateway-changed`);
    expect(await page.locator('main').textContent()).toContain('channel beta');
    // A refusal of the API, shown on the form: a pin that is not a SHA-256.
    await page.goto(`${base}/console/gateways/${EUI_HOSTILE}/edit`);
    await page.getByLabel('Pinned client certificates').fill('not-a-fingerprint');
    await page.getByRole('button', { name: 'Save' }).click();
    expect(await page.getByRole('alert').textContent()).toMatch(/invalid_gateway.*pins/s);
    await page.goto(`${base}/console/gateways/${EUI_HOSTILE}`);
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.waitForURL(`${base}/console/gateways?notice=gateway-removed`);
    expect((await api('GET', `/api/gateways/${EUI_HOSTILE}`)).status).toBe(404);
  });

  it('rolls a firmware image out to 10 % and shows it on the progress chart with the versions reported', async () => {
    const image = randomBytes(64);
    const blob = await api('POST', '/api/firmware/blobs', image, 'application/octet-stream');
    for (const version of ['1.0.0', '2.0.0'])
      expect(
        await api('POST', '/api/firmware/images', { model: MARKUP.model, version, sha256: blob.body.sha256, unsigned: true }),
      ).toMatchObject({
        status: 201,
      });
    await page.goto(`${base}/console/firmware`);
    const card = page.locator('section', { hasText: `${MARKUP.model} · stable` });
    await card.getByLabel('Version', { exact: true }).selectOption('2.0.0');
    await card.getByLabel('Share of gateways (%)').fill('10');
    await card.getByLabel('Allow unsigned images').check();
    await card.getByRole('button', { name: 'Roll out' }).click();
    await page.waitForURL(`${base}/console/firmware?notice=firmware-changed`);
    const rolled = page.locator('section', { hasText: `${MARKUP.model} · stable` });
    expect(await rolled.locator('.rollout').textContent()).toBe('Rolling out 2.0.0 to 10%');
    expect(await rolled.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('10');
    expect((await api('GET', '/api/firmware')).body.channels[0]).toMatchObject({ rolloutPercent: 10, targetVersion: '2.0.0' });
    // Tenant C's gateway reports the model at 1.0.0, then (updated) at 2.0.0: the chart follows, the target marked.
    const chartOf = async () => {
      await page.goto(`${base}/console/firmware`);
      return page.locator('section', { hasText: `${MARKUP.model} · stable` }).locator('figure svg');
    };
    const chartSays = async (text: string) => {
      const chart = await chartOf();
      return (await chart.count()) === 1 && ((await chart.getAttribute('aria-label')) ?? '').includes(text);
    };
    for (const version of ['1.0.0', '2.0.0']) {
      const reported = await post(server.port, {
        tls: { ca: pki.serverCa.pem, cert: leafC.pem, key: leafC.keyPem },
        body: JSON.stringify({ router: EUI_C, model: MARKUP.model, package: version }),
      });
      expect(reported.status).toBe(200);
      await within(10_000, () => chartSays(`${version} 1 gateways`), 200);
    }
    const chart = await chartOf();
    expect(await chart.locator('g.marked title').textContent()).toBe('2.0.0: 1 gateways');
    await screenshot(page, 'firmware');
    const paused = page.waitForResponse((response) => response.url().endsWith('/pause'));
    await rolled.getByRole('button', { name: 'Pause' }).click();
    expect((await paused).status()).toBe(303);
    await page.waitForLoadState();
    expect(await page.locator('.badge').textContent({ timeout: 5_000 })).toBe('paused');
  });

  it('shows the audit trail of what was done through the console, under the user’s token', async () => {
    await page.goto(`${base}/console/audit`);
    const text = await page.locator('main tbody').textContent();
    for (const action of ['tenant.add', 'ca.add', 'gateway.add', 'gateway.change', 'gateway.remove', 'firmware.rollout', 'firmware.pause'])
      expect(text).toContain(action);
    expect(await page.locator('main tbody tr', { hasText: 'ca.add' }).first().textContent()).toContain('ops');
    await page.getByLabel('Gateway EUI').fill(EUI_C.toLowerCase());
    await page.getByRole('button', { name: 'Filter' }).click();
    const rows = await page.locator('main tbody tr').allTextContents();
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row).toContain(EUI_C);
    await screenshot(page, 'audit');
  });

  it('loads no inline script: the Content-Security-Policy stops one put into the page', async () => {
    const response = await page.goto(`${base}/console/`);
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    const violations: string[] = [];
    page.on('console', (message) => violations.push(message.text()));
    const ran = await page.evaluate(async () => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return (window as unknown as { inlineRan?: boolean }).inlineRan === true;
    });
    expect(ran).toBe(false);
    expect(violations.join('\n')).toMatch(/Content Security Policy/);
  });

  it('refuses a form posted from another site or another origin, and one without the CSRF token', async () => {
    const attacker: Server = createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(
        `<form id="f" method="post" action="${base}/console/gateways/${EUI_C}/remove"></form><script>document.getElementById('f').submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    const port = (attacker.address() as { port: number }).port;
    try {
      // localhost is another site than 127.0.0.1 (no cookie goes); 127.0.0.1 on another port, the same site (it does).
      for (const origin of [`http://localhost:${port}/`, `http://127.0.0.1:${port}/`]) {
        const refused = page.waitForResponse((response) => response.url().endsWith('/remove'));
        await page.goto(origin);
        expect((await refused).status()).toBe(403);
        expect(await page.getByRole('alert').textContent()).toContain('csrf_refused');
      }
    } finally {
      attacker.close();
    }
    // A client that says nothing of where it comes from, with the session but not its token.
    const [cookie] = await context.cookies();
    const bare = await fetch(`${base}/console/gateways/${EUI_C}/remove`, {
      method: 'POST',
      headers: { cookie: `${cookie!.name}=${cookie!.value}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: '_csrf=guess',
      redirect: 'manual',
    });
    expect(bare.status).toBe(403);
    // Nor does the API take a change with the session alone.
    const viaApi = await fetch(`${base}/api/gateways/${EUI_C}`, {
      method: 'DELETE',
      headers: { cookie: `${cookie!.name}=${cookie!.value}` },
    });
    expect(viaApi.status).toBe(403);
    expect((await api('GET', `/api/gateways/${EUI_C}`)).status).toBe(200);
  });

  it('is usable from the keyboard: the first Tab reaches the skip link, which moves to the content', async () => {
    await page.goto(`${base}/console/gateways`);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('main');
  });

  it('fits a phone’s screen without sideways scrolling', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const small = await newPage(phone);
      await signIn(small, operatorToken);
      await small.goto(`${base}/console/gateways/${EUI_C}`);
      expect(await small.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1)).toBe(true);
      await screenshot(small, 'gateway-phone');
    } finally {
      await phone.close();
    }
  });

  it('reads and changes without JavaScript: every page is the server’s, every change a plain form', async () => {
    const noScript = await browser.newContext({ javaScriptEnabled: false });
    try {
      const plain = await newPage(noScript);
      await signIn(plain, operatorToken);
      await plain.goto(`${base}/console/gateways/${EUI_C}`);
      expect(await plain.locator('#last-contact').textContent()).toMatch(/UTC/);
      await plain.getByRole('link', { name: 'Change' }).click();
      await plain.getByLabel('Name').fill('Roof east');
      await plain.getByRole('button', { name: 'Save' }).click();
      await plain.waitForURL(`${base}/console/gateways/${EUI_C}?notice=gateway-changed`);
      expect(await plain.locator('h1').textContent()).toBe('Gateway Roof east');
    } finally {
      await noScript.close();
    }
  });

  it('ends the session on sign-out: the old cookie opens nothing any more', async () => {
    const [cookie] = await context.cookies();
    await page.goto(`${base}/console/`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/console/sign-in`);
    expect(await context.cookies()).toEqual([]);
    const replayed = await fetch(`${base}/console/`, { headers: { cookie: `${cookie!.name}=${cookie!.value}` }, redirect: 'manual' });
    expect(replayed.status).toBe(303);
    expect(replayed.headers.get('location')).toMatch(/^\/console\/sign-in/);
  });
});

describe('a tenant’s user in the console', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    context = await browser.newContext();
    page = await newPage(context);
    await signIn(page, tenantBToken);
  });
  afterAll(() => context?.close());

  it('sees only its tenant, and another tenant’s pages answer as if they did not exist', async () => {
    expect(await page.locator('main').textContent()).not.toContain('tenant-c');
    await page.goto(`${base}/console/tenants`);
    expect(await page.locator('main tbody tr').allTextContents()).toEqual([expect.stringMatching(/^tenant-b0/)]);
    for (const path of [`/console/tenants/tenant-c`, `/console/gateways/${EUI_C}`, `/console/gateways/${EUI_C}/edit`]) {
      const response = await page.goto(`${base}${path}`);
      expect(response!.status()).toBe(404);
      expect(await page.locator('main').textContent()).not.toContain('Tenant C root');
    }
    await page.goto(`${base}/console/gateways?tenant=tenant-c`);
    expect(await page.locator('main tbody').textContent()).toContain('No gateway matches');
    await page.goto(`${base}/console/audit?tenant=tenant-c`);
    expect(await page.locator('main tbody').textContent()).toContain('No event matches');
  });

  it('has no firmware page (firmware is the operators’)', async () => {
    expect(await page.getByRole('link', { name: 'Firmware' }).count()).toBe(0);
    const response = await page.goto(`${base}/console/firmware`);
    expect(response!.status()).toBe(403);
    expect(await page.getByRole('alert').textContent()).toContain('operator_only');
  });

  it('cannot change another tenant’s gateway even with its own valid session and CSRF token', async () => {
    await page.goto(`${base}/console/gateways`);
    const csrf = await page.locator('input[name=_csrf]').first().getAttribute('value');
    const removed = await page.evaluate(
      async ({ url, token }) => (await fetch(url, { method: 'POST', body: new URLSearchParams({ _csrf: token! }) })).status,
      { url: `${base}/console/gateways/${EUI_C}/remove`, token: csrf },
    );
    expect(removed).toBe(404);
    expect((await api('GET', `/api/gateways/${EUI_C}`)).status).toBe(200);
  });
});
