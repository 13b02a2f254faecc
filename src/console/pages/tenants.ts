import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { tenantAndHashParams, tenantParams } from '../../admin/routes/cas.ts';
import { type ApiBody, ApiRefusal } from '../api-client.ts';
import { html } from '../html.ts';
import { actionForm, csrfField, isOperator, notice, page, refusal, shownDay, type Viewer } from '../layout.ts';

interface Tenant {
  id: string;
  createdAt: string;
  gateways: number;
}
interface Ca {
  sha256: string;
  subject: string;
  issuer: string;
  notBefore: string;
  notAfter: string;
  root?: boolean;
  tenant: string;
  sources: string[];
}
interface Crl {
  sha256: string;
  issuer: string;
  thisUpdate: string;
  nextUpdate: string | null;
  revoked: number;
  sources: string[];
}
type Problem = { code: string; message: string } | undefined;

/** A form with a file, a pasted text, or both: one field of each, at most. */
const uploadSchema = {
  type: 'object',
  properties: { _csrf: { type: 'string' }, pem: { type: 'string' }, file: {} },
  additionalProperties: false,
} as const;
const tenantPath = (tenant: string) => `/console/tenants/${encodeURIComponent(tenant)}`;
const apiTenantPath = (tenant: string) => `/api/tenants/${encodeURIComponent(tenant)}`;

/** What an upload form sent: the file's bytes when one was chosen, else the pasted text. */
function uploaded(body: { pem?: string; file?: unknown }): Buffer {
  if (Buffer.isBuffer(body.file) && body.file.length > 0) return body.file;
  return Buffer.from(body.pem ?? '');
}

const uploadForm = (viewer: Viewer, action: string, legend: string, accept: string, pasteLabel: string) =>
  html`<form method="post" action="${action}" enctype="multipart/form-data" class="card">
  ${csrfField(viewer)}
  <fieldset><legend>${legend}</legend>
  <div class="field"><label for="${action}-file">Upload a file</label><input id="${action}-file" name="file" type="file" accept="${accept}"></div>
  <div class="field"><label for="${action}-pem">${pasteLabel}</label><textarea id="${action}-pem" name="pem" rows="4" spellcheck="false"></textarea></div>
  <button type="submit">Add</button></fieldset>
</form>`;

function tenantPage(viewer: Viewer, tenant: Tenant, cas: Ca[], crls: Crl[], noticeKey: unknown, problem?: Problem): string {
  const path = tenantPath(tenant.id);
  const content = html`${notice(noticeKey)}${refusal(problem)}
<p><a href="/console/gateways?tenant=${encodeURIComponent(tenant.id)}">${tenant.gateways} gateways</a>; made ${shownDay(tenant.createdAt)}.</p>
<section aria-labelledby="cas">
  <h2 id="cas">Certificate authorities</h2>
  <p class="help">A gateway is served when its certificate chains to one of these. CAs of the tenants folder are removed from the folder; those added here, here.</p>
  <div class="scroll"><table id="ca-list">
    <thead><tr><th scope="col">Subject</th><th scope="col">Issuer</th><th scope="col">Expires</th><th scope="col">Trusted by</th><th scope="col">Kept in</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>${cas.map(
      (
        ca,
      ) => html`<tr><td>${ca.subject}<br><code class="hash">${ca.sha256}</code></td><td>${ca.issuer}</td><td>${shownDay(ca.notAfter)}</td>
        <td>${ca.tenant === 'common' ? 'every tenant' : ca.tenant}</td><td>${ca.sources.join(', ')}</td>
        <td>${
          ca.tenant === tenant.id && ca.sources.includes('database')
            ? actionForm(viewer, `${path}/cas/${ca.sha256}/remove`, 'Remove', { confirm: `Stop trusting ${ca.subject}?`, danger: true })
            : ''
        }</td></tr>`,
    )}</tbody>
  </table></div>
  ${uploadForm(viewer, `${path}/cas`, 'Add a CA', '.pem,.crt,.cer,application/x-pem-file', 'Or paste PEM')}
</section>
<section aria-labelledby="crls">
  <h2 id="crls">Revocation lists</h2>
  <div class="scroll"><table>
    <thead><tr><th scope="col">Issuer</th><th scope="col">This update</th><th scope="col">Next update</th><th scope="col" class="num">Revoked</th><th scope="col">Kept in</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
    <tbody>${
      crls.length
        ? crls.map(
            (
              crl,
            ) => html`<tr><td>${crl.issuer}</td><td>${shownDay(crl.thisUpdate)}</td><td>${shownDay(crl.nextUpdate)}</td><td class="num">${crl.revoked}</td><td>${crl.sources.join(', ')}</td>
        <td>${crl.sources.includes('database') ? actionForm(viewer, `${path}/crls/${crl.sha256}/remove`, 'Remove', { confirm: 'Remove this CRL?', danger: true }) : ''}</td></tr>`,
          )
        : html`<tr><td colspan="6" class="empty">None.</td></tr>`
    }</tbody>
  </table></div>
  ${uploadForm(viewer, `${path}/crls`, 'Add a CRL', '.crl,.pem,application/pkix-crl', 'Or paste PEM')}
</section>`;
  return page(`Tenant ${tenant.id}`, content, viewer, 'tenants');
}

/** Tenants, and each one's CAs and CRLs: listed, added by upload or paste, removed, through the API. */
export const tenantPages: FastifyPluginAsync = async (app) => {
  const show = async (request: FastifyRequest, tenant: string, noticeKey?: unknown, problem?: Problem) => {
    const base = apiTenantPath(tenant);
    const [found, cas, crls] = await Promise.all([
      request.api<Tenant>('GET', base),
      request.api<Ca[]>('GET', `${base}/cas`),
      request.api<Crl[]>('GET', `${base}/crls`),
    ]);
    return tenantPage(request.viewer!, found, cas, crls, noticeKey, problem);
  };
  /** A change through the API: back to the tenant's page with its notice, or the page again with the refusal. */
  const change =
    (action: (request: FastifyRequest<{ Params: { tenant: string; sha256?: string } }>) => Promise<unknown>, done: string) =>
    async (request: FastifyRequest<{ Params: { tenant: string; sha256?: string } }>, reply: FastifyReply) => {
      try {
        await action(request);
        return reply.redirect(`${tenantPath(request.params.tenant)}?notice=${done}`, 303);
      } catch (error) {
        if (!(error instanceof ApiRefusal) || error.status >= 500 || error.status === 404) throw error;
        return reply
          .code(error.status)
          .type('text/html; charset=utf-8')
          .send(await show(request, request.params.tenant, undefined, error));
      }
    };
  const pemBody = (request: FastifyRequest, contentType: string): ApiBody => ({
    bytes: uploaded(request.body as { pem?: string; file?: unknown }),
    contentType,
  });

  app.get<{ Querystring: { notice?: string } }>('/tenants', { schema: { hide: true } }, async (request, reply) => {
    const viewer = request.viewer!;
    const tenants = await request.api<Tenant[]>('GET', '/api/tenants');
    const content = html`${notice(request.query.notice)}
<div class="scroll"><table>
  <thead><tr><th scope="col">Tenant</th><th scope="col" class="num">Gateways</th><th scope="col">Made</th></tr></thead>
  <tbody>${tenants.map(
    (t) =>
      html`<tr><th scope="row"><a href="${tenantPath(t.id)}">${t.id}</a></th><td class="num">${t.gateways}</td><td>${shownDay(t.createdAt)}</td></tr>`,
  )}</tbody>
</table></div>
${
  isOperator(viewer)
    ? html`<p><a href="${tenantPath('common')}">CAs every tenant trusts (common)</a></p>
<form method="post" action="/console/tenants" class="card narrow">${csrfField(viewer)}
  <div class="field"><label for="id">New tenant</label><input id="id" name="id" required maxlength="64" pattern="[a-z0-9][a-z0-9._\\-]*" aria-describedby="id-help"></div>
  <p id="id-help" class="help">Lowercase letters, digits, <code>.</code>, <code>_</code>, <code>-</code>.</p>
  <button type="submit">Make</button></form>`
    : ''
}`;
    return reply.type('text/html; charset=utf-8').send(page('Tenants and CAs', content, viewer, 'tenants'));
  });

  app.post<{ Body: { id: string } }>(
    '/tenants',
    {
      schema: {
        hide: true,
        body: {
          type: 'object',
          required: ['id'],
          properties: { _csrf: { type: 'string' }, id: { type: 'string', maxLength: 64 } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const tenant = await request.api<Tenant>('POST', '/api/tenants', { json: { id: request.body.id.trim() } });
      return reply.redirect(`${tenantPath(tenant.id)}?notice=tenant-added`, 303);
    },
  );

  app.get<{ Params: { tenant: string }; Querystring: { notice?: string } }>(
    '/tenants/:tenant',
    { schema: { hide: true, params: tenantParams } },
    async (request, reply) => reply.type('text/html; charset=utf-8').send(await show(request, request.params.tenant, request.query.notice)),
  );

  // CAs and CRLs alike: added from an upload or a paste, removed by their SHA-256.
  for (const [kind, contentType, noticeOf] of [
    ['cas', 'application/x-pem-file', 'ca'],
    ['crls', 'application/pkix-crl', 'crl'],
  ] as const) {
    const apiPath = (request: FastifyRequest<{ Params: { tenant: string } }>) => `${apiTenantPath(request.params.tenant)}/${kind}`;
    app.post(
      `/tenants/:tenant/${kind}`,
      { schema: { hide: true, params: tenantParams, body: uploadSchema } },
      change((request) => request.api('POST', apiPath(request), pemBody(request, contentType)), `${noticeOf}-added`),
    );
    app.post(
      `/tenants/:tenant/${kind}/:sha256/remove`,
      { schema: { hide: true, params: tenantAndHashParams } },
      change(
        (request) => request.api('DELETE', `${apiPath(request)}/${encodeURIComponent(request.params.sha256!)}`),
        `${noticeOf}-removed`,
      ),
    );
  }
};
