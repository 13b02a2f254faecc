import type { FastifyPluginAsync } from 'fastify';
import { barChart } from '../charts.ts';
import { html } from '../html.ts';
import { isOperator, page, shownDay, shownTime } from '../layout.ts';

interface Overview {
  countedAt: string;
  tenants: { tenant: string; gateways: number; calledLastDay: number; certificatesExpiring: number }[];
  stations: { value: string | null; gateways: number }[];
  models: { value: string | null; gateways: number }[];
  expiringCas: { sha256: string; subject: string; notAfter: string; tenant: string }[];
  refusalsLastHour: { code: string; count: number }[] | null;
}

const reported = (rows: Overview['stations']) => rows.map((row) => ({ label: row.value ?? 'not reported yet', value: row.gateways }));

/** The fleet at a glance (GET /api/overview). */
export const overviewPage: FastifyPluginAsync = async (app) => {
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const viewer = request.viewer!;
    const overview = await request.api<Overview>('GET', '/api/overview');
    const total = overview.tenants.reduce((sum, t) => sum + t.gateways, 0);
    const called = overview.tenants.reduce((sum, t) => sum + t.calledLastDay, 0);
    const expiring = overview.tenants.reduce((sum, t) => sum + t.certificatesExpiring, 0);
    const content = html`
<section aria-labelledby="fleet" class="cards">
  <h2 id="fleet" class="visually-hidden">The fleet</h2>
  <div class="card stat"><span class="number">${total}</span> gateways</div>
  <div class="card stat"><span class="number">${called}</span> called in the last day</div>
  <div class="card stat"><a href="/console/gateways?expiring=30d"><span class="number">${expiring}</span> client certificates expiring within 30 days</a></div>
  <div class="card stat"><span class="number">${overview.expiringCas.length}</span> CAs expiring within 30 days</div>
</section>
<section aria-labelledby="by-tenant">
  <h2 id="by-tenant">Gateways by tenant</h2>
  <div class="scroll"><table>
    <thead><tr><th scope="col">Tenant</th><th scope="col" class="num">Gateways</th><th scope="col" class="num">Called in the last day</th><th scope="col" class="num">Certificates expiring</th></tr></thead>
    <tbody>${overview.tenants.map(
      (t) => html`<tr><th scope="row"><a href="/console/tenants/${encodeURIComponent(t.tenant)}">${t.tenant}</a></th>
        <td class="num"><a href="/console/gateways?tenant=${encodeURIComponent(t.tenant)}">${t.gateways}</a></td>
        <td class="num">${t.calledLastDay}</td><td class="num">${t.certificatesExpiring}</td></tr>`,
    )}</tbody>
  </table></div>
</section>
<section aria-labelledby="reported" class="charts">
  <h2 id="reported">What the gateways report</h2>
  ${barChart('Station versions', reported(overview.stations), 'gateways')}
  ${barChart('Models', reported(overview.models), 'gateways')}
</section>
<section aria-labelledby="cas">
  <h2 id="cas">CAs expiring within 30 days</h2>
  ${
    overview.expiringCas.length
      ? html`<div class="scroll"><table><thead><tr><th scope="col">Subject</th><th scope="col">Tenant</th><th scope="col">Expires</th></tr></thead><tbody>
        ${overview.expiringCas.map(
          (ca) =>
            html`<tr><td>${ca.subject}</td><td><a href="/console/tenants/${encodeURIComponent(ca.tenant)}">${ca.tenant}</a></td><td>${shownDay(ca.notAfter)}</td></tr>`,
        )}</tbody></table></div>`
      : html`<p class="empty">None.</p>`
  }
</section>
${
  overview.refusalsLastHour && isOperator(viewer)
    ? html`<section aria-labelledby="refusals">
  <h2 id="refusals">Refusals in the last hour (this instance)</h2>
  ${barChart(
    'Refusals by code',
    overview.refusalsLastHour.map((r) => ({ label: r.code, value: r.count })),
    'refusals',
  )}
</section>`
    : ''
}
<p class="help">Gateways counted at ${shownTime(overview.countedAt)} (counts are kept up to 30 seconds).</p>`;
    return reply.type('text/html; charset=utf-8').send(page('Overview', content, viewer, 'overview'));
  });
};
