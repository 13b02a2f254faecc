import type { FastifyPluginAsync } from 'fastify';
import { euiParams } from '../../admin/routes/gateways.ts';
import { DEFAULT_CHANNEL } from '../../firmware/catalog.ts';
import { ApiRefusal, withQuery } from '../api-client.ts';
import { html, type SafeHtml } from '../html.ts';
import { actionForm, csrfField, isOperator, notice, page, refusal, shownTime, type Viewer } from '../layout.ts';

interface Certificate {
  subject: string;
  issuer: string;
  notAfter: string;
  sha256: string;
}
interface Credentials {
  mode: string;
  bytes: number;
  crc32: number;
  trust: Certificate;
  certificate?: Certificate;
  keyType?: string;
  tokenHeaders?: string[];
}
interface GatewayView {
  eui: string;
  tenant: string;
  name: string | null;
  lnsUri: string;
  lnsCredentials: Credentials | null;
  cupsUri: string | null;
  cupsCredentials: Credentials | null;
  pinnedCertificates: string[];
  revokedCertificates: string[];
  renewal: { kind: string; notAfter: string; issuedAt: string } | null;
  firmwareChannel: string | null;
  firmwarePin: string | null;
  createdAt: string;
  updatedAt: string;
  lastContact: {
    at: string;
    station: string | null;
    model: string | null;
    package: string | null;
    peer: string | null;
    certificate: { sha256: string; serial: string; notAfter: string } | null;
  } | null;
}

type Form = Record<string, string | undefined>;
type Problem = { code: string; message: string } | undefined;

const ENDPOINT_PARTS = ['uri', 'trust', 'cert', 'key', 'token'] as const;
const text = { type: 'string', maxLength: 64 * 1024 } as const;
/** Every field the gateway forms send, each once (a field given twice is refused, not guessed). */
const formSchema = {
  type: 'object',
  properties: Object.fromEntries(
    [
      '_csrf',
      'eui',
      'tenant',
      'name',
      'pins',
      'unpin',
      'firmwareChannel',
      'firmwarePin',
      ...ENDPOINT_PARTS.flatMap((p) => [`lns.${p}`, `cups.${p}`]),
    ].map((field) => [field, text]),
  ),
  additionalProperties: false,
} as const;

const gatewayPath = (eui: string) => `/console/gateways/${encodeURIComponent(eui)}`;
const hex32 = (crc: number) => `0x${crc.toString(16).toUpperCase().padStart(8, '0')}`;

/** An endpoint from the form: the parts given, or undefined when none is (the endpoint stays as it is). */
function endpointOf(form: Form, prefix: 'lns' | 'cups'): Record<string, string> | undefined {
  const parts = Object.fromEntries(
    ENDPOINT_PARTS.map((part) => [part, form[`${prefix}.${part}`]?.trim()]).filter(([, value]) => value) as [string, string][],
  );
  return Object.keys(parts).length ? parts : undefined;
}

/** The API's JSON for a gateway form: only what was filled in. */
function gatewayBody(form: Form, edit: boolean): Record<string, unknown> {
  const pins = (form.pins ?? '')
    .split(/\s+/)
    .map((pin) => pin.trim())
    .filter(Boolean);
  const lns = endpointOf(form, 'lns');
  const cups = endpointOf(form, 'cups');
  const trimmed = (field: string) => form[field]?.trim();
  return {
    ...(edit ? {} : { eui: trimmed('eui'), tenant: trimmed('tenant') }),
    ...(trimmed('name') || edit ? { name: trimmed('name') ?? '' } : {}),
    ...(lns ? { lns } : {}),
    ...(cups ? { cups } : {}),
    ...(pins.length ? { pins } : {}),
    ...(edit && form.unpin === 'on' ? { unpin: true } : {}),
    ...(edit && trimmed('firmwareChannel') ? { firmwareChannel: trimmed('firmwareChannel') } : {}),
    ...(edit && form.firmwarePin !== undefined ? { firmwarePin: trimmed('firmwarePin') || null } : {}),
  };
}

const field = (id: string, label: string, value: string | null | undefined, extra: SafeHtml | string = '') =>
  html`<div class="field"><label for="${id}">${label}</label><input id="${id}" name="${id}" value="${value ?? ''}"${extra}></div>`;
const area = (id: string, label: string, help: string) =>
  html`<div class="field"><label for="${id}">${label}</label><textarea id="${id}" name="${id}" rows="3" spellcheck="false" aria-describedby="${id}-help"></textarea><p id="${id}-help" class="help">${help}</p></div>`;

function endpointFields(prefix: 'lns' | 'cups', legend: string, uri: string | undefined, open: boolean): SafeHtml {
  return html`<details${open ? html` open` : ''}><summary>${legend}</summary><fieldset><legend class="visually-hidden">${legend}</legend>
    ${field(`${prefix}.uri`, 'URI', uri, html` inputmode="url" placeholder="${prefix === 'lns' ? 'wss://lns.example:8887' : 'https://cups.example:443'}"`)}
    ${area(`${prefix}.trust`, 'Trust (PEM)', 'the CA the station checks the server with')}
    ${area(`${prefix}.cert`, 'Client certificate (PEM)', 'for mutual TLS; with its key')}
    ${area(`${prefix}.key`, 'Client key (PEM)', 'never shown again, never logged')}
    <div class="field"><label for="${prefix}.token">Token</label><input id="${prefix}.token" name="${prefix}.token" type="password" autocomplete="off"></div>
  </fieldset></details>`;
}

function gatewayForm(viewer: Viewer, form: Form, problem: Problem, current?: GatewayView): string {
  const edit = current !== undefined;
  const content = html`${refusal(problem)}
<form method="post" action="${edit ? gatewayPath(current.eui) : '/console/gateways'}" class="card">
  ${csrfField(viewer)}
  ${
    edit
      ? html`<p>Tenant <strong>${current.tenant}</strong>. An endpoint filled in below replaces the one the gateway has, whole; one left empty stays as it is.</p>`
      : html`${field('eui', 'EUI', form.eui, html` required autocomplete="off" spellcheck="false" aria-describedby="eui-help"`)}
  <p id="eui-help" class="help">Any spelling: <code>B827EBFFFE123456</code>, <code>b8-27-eb-ff-fe-12-34-56</code>, <code>b827:ebff:fe12:3456</code>. The gateway's certificate names it as its Common Name.</p>
  ${field('tenant', 'Tenant', form.tenant ?? viewer.token.tenant, html` required maxlength="64" autocomplete="off"${isOperator(viewer) ? '' : html` readonly`}`)}`
  }
  ${field('name', 'Name', form.name ?? current?.name, html` maxlength="256"`)}
  ${endpointFields('lns', 'LNS endpoint', form['lns.uri'] ?? (edit ? undefined : ''), !edit)}
  ${endpointFields('cups', 'CUPS endpoint (optional: where the station asks next)', form['cups.uri'], false)}
  <div class="field"><label for="pins">Pinned client certificates</label><textarea id="pins" name="pins" rows="2" spellcheck="false" aria-describedby="pins-help">${form.pins ?? ''}</textarea>
  <p id="pins-help" class="help">SHA-256 fingerprints, one per line: only these certificates are accepted for the gateway.${edit ? ' Added to those pinned.' : ''}</p></div>
  ${
    edit
      ? html`<div class="field check"><input type="checkbox" id="unpin" name="unpin"><label for="unpin">Remove every pin</label></div>
  ${field('firmwareChannel', 'Firmware channel', form.firmwareChannel ?? current.firmwareChannel, html` maxlength="64"`)}
  ${field('firmwarePin', 'Firmware version held at (empty: follow the channel)', form.firmwarePin ?? current.firmwarePin, html` maxlength="64"`)}`
      : ''
  }
  <button type="submit">${edit ? 'Save' : 'Register'}</button>
</form>`;
  return page(edit ? `Change gateway ${current.eui}` : 'Register a gateway', content, viewer, 'gateways');
}

function credentialsRow(kind: string, credentials: Credentials | null, uri: string | null): SafeHtml {
  if (!credentials) return html`<tr><th scope="row">${kind}</th><td>${uri ?? '—'}</td><td colspan="3">none</td></tr>`;
  return html`<tr><th scope="row">${kind}</th><td>${uri ?? '—'}</td><td>${credentials.mode}${credentials.keyType ? html` (${credentials.keyType})` : ''}${
    credentials.tokenHeaders ? html` (${credentials.tokenHeaders.join(', ')})` : ''
  }</td><td><code>${hex32(credentials.crc32)}</code></td>
    <td>trust ${credentials.trust.subject}${credentials.certificate ? html`; certificate ${credentials.certificate.subject}, until ${shownTime(credentials.certificate.notAfter)}` : ''}</td></tr>`;
}

function detailPage(viewer: Viewer, gateway: GatewayView, noticeKey: unknown): string {
  const contact = gateway.lastContact;
  const content = html`${notice(noticeKey)}
<section aria-labelledby="contact" class="card">
  <h2 id="contact">Last contact</h2>
  ${
    contact
      ? html`<dl class="facts">
    <dt>When</dt><dd id="last-contact">${shownTime(contact.at)}</dd>
    <dt>Station</dt><dd>${contact.station ?? '—'}</dd>
    <dt>Model</dt><dd>${contact.model ?? '—'}</dd>
    <dt>Package</dt><dd>${contact.package ?? '—'}</dd>
    <dt>From</dt><dd>${contact.peer ?? '—'}</dd>
    <dt>Client certificate</dt><dd>${contact.certificate ? html`<code class="hash">${contact.certificate.sha256}</code>, serial <code>${contact.certificate.serial}</code>, expires ${shownTime(contact.certificate.notAfter)}` : '—'}</dd>
  </dl>`
      : html`<p id="last-contact" class="empty">It has not called yet.</p>`
  }
</section>
<section aria-labelledby="gateway" class="card">
  <h2 id="gateway">Gateway</h2>
  <dl class="facts">
    <dt>EUI</dt><dd><code>${gateway.eui}</code></dd>
    <dt>Name</dt><dd>${gateway.name ?? '—'}</dd>
    <dt>Tenant</dt><dd><a href="/console/tenants/${encodeURIComponent(gateway.tenant)}">${gateway.tenant}</a></dd>
    <dt>Firmware</dt><dd>channel ${gateway.firmwareChannel ?? `${DEFAULT_CHANNEL} (its model's default)`}${gateway.firmwarePin ? html`, held at ${gateway.firmwarePin}` : ''}</dd>
    <dt>Registered</dt><dd>${shownTime(gateway.createdAt)}; changed ${shownTime(gateway.updatedAt)}</dd>
    ${gateway.renewal ? html`<dt>Renewal</dt><dd>a new certificate (${gateway.renewal.kind}) issued ${shownTime(gateway.renewal.issuedAt)}, not presented yet</dd>` : ''}
  </dl>
</section>
<section aria-labelledby="credentials" class="card">
  <h2 id="credentials">Credentials it is handed</h2>
  <div class="scroll"><table><thead><tr><th scope="col">Kind</th><th scope="col">URI</th><th scope="col">Mode</th><th scope="col">CRC</th><th scope="col">Certificates</th></tr></thead>
  <tbody>${credentialsRow('LNS', gateway.lnsCredentials, gateway.lnsUri)}${credentialsRow('CUPS', gateway.cupsCredentials, gateway.cupsUri)}</tbody></table></div>
  <h3>Pinned client certificates</h3>
  ${gateway.pinnedCertificates.length ? html`<ul>${gateway.pinnedCertificates.map((pin) => html`<li><code class="hash">${pin}</code></li>`)}</ul>` : html`<p class="empty">None: any certificate its tenant's CAs issued for it.</p>`}
  ${gateway.revokedCertificates.length ? html`<h3>Refused client certificates</h3><ul>${gateway.revokedCertificates.map((entry) => html`<li><code class="hash">${entry}</code></li>`)}</ul>` : ''}
</section>
<div class="actions"><a class="button" href="${gatewayPath(gateway.eui)}/edit">Change</a>
${actionForm(viewer, `${gatewayPath(gateway.eui)}/remove`, 'Remove', { confirm: `Remove gateway ${gateway.eui}? It will be refused from its next call.`, danger: true })}</div>`;
  return page(`Gateway ${gateway.name ?? gateway.eui}`, content, viewer, 'gateways');
}

interface ListQuery {
  q?: string;
  tenant?: string;
  expiring?: string;
  cursor?: string;
  notice?: string;
}

/** Gateways: searched and paged through the API (keyset pages), read, registered, changed, removed. */
export const gatewayPages: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: ListQuery }>(
    '/gateways',
    {
      schema: {
        hide: true,
        querystring: {
          type: 'object',
          properties: {
            q: { type: 'string', maxLength: 256 },
            tenant: { type: 'string', maxLength: 64 },
            expiring: { type: 'string', maxLength: 16 },
            cursor: { type: 'string', maxLength: 64 },
            notice: { type: 'string', maxLength: 32 },
          },
        },
      },
    },
    async (request, reply) => {
      const viewer = request.viewer!;
      const { q, tenant, expiring, cursor } = request.query;
      const list = await request.api<{ gateways: GatewayView[]; next: string | null }>(
        'GET',
        withQuery('/api/gateways', { q, tenant, expiring, cursor, limit: 50 }),
      );
      const content = html`${notice(request.query.notice)}
<form method="get" action="/console/gateways" class="search" role="search">
  <div class="field"><label for="q">EUI or name</label><input id="q" name="q" type="search" value="${q ?? ''}" maxlength="256"></div>
  ${
    isOperator(viewer)
      ? html`<div class="field"><label for="tenant-filter">Tenant</label><input id="tenant-filter" name="tenant" value="${tenant ?? ''}" maxlength="64" placeholder="every tenant"></div>`
      : ''
  }
  ${expiring ? html`<input type="hidden" name="expiring" value="${expiring}">` : ''}
  <button type="submit">Search</button>
</form>
<p><a class="button" href="/console/gateways/new">Register a gateway</a></p>
${expiring ? html`<p>Only gateways whose last presented certificate expires within ${expiring}.</p>` : ''}
<div class="scroll"><table>
  <thead><tr><th scope="col">EUI</th><th scope="col">Name</th><th scope="col">Tenant</th><th scope="col">Last contact</th><th scope="col">Station</th><th scope="col">Model</th></tr></thead>
  <tbody>${
    list.gateways.length
      ? list.gateways.map(
          (g) => html`<tr><td><a href="${gatewayPath(g.eui)}"><code>${g.eui}</code></a></td><td>${g.name ?? ''}</td><td>${g.tenant}</td>
          <td>${shownTime(g.lastContact?.at)}</td><td>${g.lastContact?.station ?? ''}</td><td>${g.lastContact?.model ?? ''}</td></tr>`,
        )
      : html`<tr><td colspan="6" class="empty">No gateway matches.</td></tr>`
  }</tbody>
</table></div>
${list.next ? html`<p><a rel="next" href="${withQuery('/console/gateways', { q, tenant, expiring, cursor: list.next })}">Next page</a></p>` : ''}`;
      return reply.type('text/html; charset=utf-8').send(page('Gateways', content, viewer, 'gateways'));
    },
  );

  app.get('/gateways/new', { schema: { hide: true } }, async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(gatewayForm(request.viewer!, {}, undefined)),
  );

  app.post<{ Body: Form }>('/gateways', { schema: { hide: true, body: formSchema } }, async (request, reply) => {
    try {
      const added = await request.api<GatewayView>('POST', '/api/gateways', { json: gatewayBody(request.body, false) });
      return reply.redirect(`${gatewayPath(added.eui)}?notice=gateway-added`, 303);
    } catch (error) {
      if (!(error instanceof ApiRefusal) || error.status >= 500) throw error;
      return reply
        .code(error.status)
        .type('text/html; charset=utf-8')
        .send(gatewayForm(request.viewer!, request.body, error));
    }
  });

  app.get<{ Params: { eui: string }; Querystring: { notice?: string } }>(
    '/gateways/:eui',
    { schema: { hide: true, params: euiParams } },
    async (request, reply) => {
      const gateway = await request.api<GatewayView>('GET', `/api/gateways/${encodeURIComponent(request.params.eui)}`);
      return reply.type('text/html; charset=utf-8').send(detailPage(request.viewer!, gateway, request.query.notice));
    },
  );

  app.get<{ Params: { eui: string } }>('/gateways/:eui/edit', { schema: { hide: true, params: euiParams } }, async (request, reply) => {
    const gateway = await request.api<GatewayView>('GET', `/api/gateways/${encodeURIComponent(request.params.eui)}`);
    return reply.type('text/html; charset=utf-8').send(gatewayForm(request.viewer!, {}, undefined, gateway));
  });

  app.post<{ Params: { eui: string }; Body: Form }>(
    '/gateways/:eui',
    { schema: { hide: true, params: euiParams, body: formSchema } },
    async (request, reply) => {
      const path = `/api/gateways/${encodeURIComponent(request.params.eui)}`;
      try {
        const changed = await request.api<GatewayView>('PATCH', path, { json: gatewayBody(request.body, true) });
        return reply.redirect(`${gatewayPath(changed.eui)}?notice=gateway-changed`, 303);
      } catch (error) {
        if (!(error instanceof ApiRefusal) || error.status >= 500 || error.status === 404) throw error;
        const gateway = await request.api<GatewayView>('GET', path);
        return reply
          .code(error.status)
          .type('text/html; charset=utf-8')
          .send(gatewayForm(request.viewer!, request.body, error, gateway));
      }
    },
  );

  app.post<{ Params: { eui: string } }>('/gateways/:eui/remove', { schema: { hide: true, params: euiParams } }, async (request, reply) => {
    await request.api('DELETE', `/api/gateways/${encodeURIComponent(request.params.eui)}`);
    return reply.redirect('/console/gateways?notice=gateway-removed', 303);
  });
};
