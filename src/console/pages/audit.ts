import type { FastifyPluginAsync } from 'fastify';
import { withQuery } from '../api-client.ts';
import { html } from '../html.ts';
import { isOperator, page, shownTime } from '../layout.ts';

interface AuditEvent {
  id: number;
  at: string;
  actor: string;
  tenant: string | null;
  eui: string | null;
  action: string;
  detail: Record<string, unknown>;
}
interface AuditQuery {
  tenant?: string;
  eui?: string;
  since?: string;
  cursor?: string;
}

/** A date (YYYY-MM-DD) from the form as the API's date-time: the start of that day, UTC. */
const sinceOf = (day: string | undefined) => (day && /^\d{4}-\d{2}-\d{2}$/.test(day) ? `${day}T00:00:00Z` : undefined);

/** The audit trail, newest first, filtered by tenant, gateway and date, by pages (GET /api/audit). */
export const auditPages: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: AuditQuery }>(
    '/audit',
    {
      schema: {
        hide: true,
        querystring: {
          type: 'object',
          properties: {
            tenant: { type: 'string', maxLength: 64 },
            eui: { type: 'string', maxLength: 64 },
            since: { type: 'string', maxLength: 10 },
            cursor: { type: 'string', maxLength: 64 },
          },
        },
      },
    },
    async (request, reply) => {
      const viewer = request.viewer!;
      const { tenant, eui, since, cursor } = request.query;
      const list = await request.api<{ events: AuditEvent[]; next: string | null }>(
        'GET',
        withQuery('/api/audit', { tenant, eui, since: sinceOf(since), cursor, limit: 50 }),
      );
      const content = html`<form method="get" action="/console/audit" class="search" role="search">
  ${isOperator(viewer) ? html`<div class="field"><label for="tenant">Tenant</label><input id="tenant" name="tenant" value="${tenant ?? ''}" maxlength="64"></div>` : ''}
  <div class="field"><label for="eui">Gateway EUI</label><input id="eui" name="eui" value="${eui ?? ''}" maxlength="64"></div>
  <div class="field"><label for="since">Since</label><input id="since" name="since" type="date" value="${since ?? ''}"></div>
  <button type="submit">Filter</button>
</form>
<div class="scroll"><table class="audit">
  <thead><tr><th scope="col">When</th><th scope="col">Who</th><th scope="col">What</th><th scope="col">Tenant</th><th scope="col">Gateway</th><th scope="col">Detail</th></tr></thead>
  <tbody>${
    list.events.length
      ? list.events.map(
          (event) => html`<tr><td>${shownTime(event.at)}</td><td>${event.actor}</td><td>${event.action}</td>
          <td>${event.tenant ?? ''}</td><td>${event.eui ? html`<a href="/console/gateways/${event.eui}"><code>${event.eui}</code></a>` : ''}</td>
          <td><code class="detail">${JSON.stringify(event.detail)}</code></td></tr>`,
        )
      : html`<tr><td colspan="6" class="empty">No event matches.</td></tr>`
  }</tbody>
</table></div>
${list.next ? html`<p><a rel="next" href="${withQuery('/console/audit', { tenant, eui, since, cursor: list.next })}">Older events</a></p>` : ''}`;
      return reply.type('text/html; charset=utf-8').send(page('Audit', content, viewer, 'audit'));
    },
  );
};
