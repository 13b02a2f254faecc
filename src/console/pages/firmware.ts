import type { FastifyPluginAsync } from 'fastify';
import { channelParams, firmwareName } from '../../admin/routes/firmware.ts';
import { type Channel, DEFAULT_CHANNEL } from '../../firmware/catalog.ts';
import { barChart } from '../charts.ts';
import { html } from '../html.ts';
import { actionForm, csrfField, notice, page, type Viewer } from '../layout.ts';

interface FirmwareStatus {
  images: { model: string; version: string; sha256: string; size: number; signedBy?: string[] }[];
  channels: Channel[];
  reported: { model: string | null; version: string | null; gateways: number }[];
}

const channelPath = (model: string, channel: string) => `/console/firmware/${encodeURIComponent(model)}/${encodeURIComponent(channel)}`;
const ACTIONS = [
  ['pause', 'Pause'],
  ['resume', 'Resume'],
  ['rollback', 'Roll back'],
] as const;

function channelCard(viewer: Viewer, channel: Channel, status: FirmwareStatus, index: number): ReturnType<typeof html> {
  const path = channelPath(channel.model, channel.channel);
  const id = `channel-${index}`;
  const versions = status.images.filter((image) => image.model === channel.model).map((image) => image.version);
  const reported = status.reported
    .filter((row) => row.model === channel.model)
    .map((row) => ({ label: row.version ?? 'no version reported', value: row.gateways, marked: row.version === channel.targetVersion }));
  return html`<section class="card" aria-labelledby="${id}">
  <h2 id="${id}">${channel.model} · ${channel.channel}</h2>
  <p class="rollout">${
    channel.targetVersion
      ? html`Rolling out <strong>${channel.targetVersion}</strong> to <strong>${channel.rolloutPercent}%</strong>${channel.paused ? html` <span class="badge">paused</span>` : ''}${
          channel.previousVersion ? html`; before it, ${channel.previousVersion}` : ''
        }`
      : 'No version targeted.'
  }</p>
  <div class="progress" role="progressbar" aria-label="rollout of ${channel.model} ${channel.channel}" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${channel.rolloutPercent}">
    <svg viewBox="0 0 100 6" preserveAspectRatio="none" aria-hidden="true"><rect class="track" x="0" y="0" width="100" height="6"></rect><rect class="done" x="0" y="0" width="${channel.rolloutPercent}" height="6"></rect></svg>
  </div>
  ${barChart(`Versions reported by ${channel.model} gateways`, reported, 'gateways')}
  <form method="post" action="${path}/rollout" class="inline-fields">${csrfField(viewer)}
    <div class="field"><label for="${`${id}-version`}">Version</label><select id="${`${id}-version`}" name="version" required>
      ${versions.map((version) => html`<option${version === channel.targetVersion ? html` selected` : ''}>${version}</option>`)}
    </select></div>
    <div class="field"><label for="${`${id}-percent`}">Share of gateways (%)</label><input id="${`${id}-percent`}" name="percent" type="number" min="0" max="100" required value="${channel.rolloutPercent}"></div>
    <div class="field check"><input type="checkbox" id="${`${id}-unsigned`}" name="allowUnsigned"${channel.allowUnsigned ? html` checked` : ''}><label for="${`${id}-unsigned`}">Allow unsigned images</label></div>
    <button type="submit">Roll out</button>
  </form>
  ${
    channel.targetVersion
      ? html`<div class="actions">${ACTIONS.filter(([action]) =>
          action === 'pause' ? !channel.paused : action === 'resume' ? channel.paused : !!channel.previousVersion,
        ).map(([action, label]) =>
          actionForm(
            viewer,
            `${path}/${action}`,
            label,
            action === 'rollback'
              ? { confirm: `Roll ${channel.model} ${channel.channel} back to ${channel.previousVersion}?`, danger: true }
              : {},
          ),
        )}</div>`
      : ''
  }
</section>`;
}

/** Firmware channels with their rollouts and the versions gateways report: rolled out, paused, rolled back through the API. */
export const firmwarePages: FastifyPluginAsync = async (app) => {
  app.get<{ Querystring: { notice?: string } }>('/firmware', { schema: { hide: true } }, async (request, reply) => {
    const viewer = request.viewer!;
    const status = await request.api<FirmwareStatus>('GET', '/api/firmware');
    // A model with images but no channel yet gets its default channel's form.
    const channels = [...status.channels];
    for (const model of new Set(status.images.map((image) => image.model)))
      if (!channels.some((c) => c.model === model))
        channels.push({
          model,
          channel: DEFAULT_CHANNEL,
          targetVersion: null,
          previousVersion: null,
          rolloutPercent: 0,
          paused: false,
          allowUnsigned: false,
        });
    const content = html`${notice(request.query.notice)}
${channels.length ? channels.map((channel, index) => channelCard(viewer, channel, status, index)) : html`<p class="empty">No firmware image yet: add one with <code>cups firmware add</code> or the API.</p>`}
<section aria-labelledby="images"><h2 id="images">Images</h2>
<div class="scroll"><table><thead><tr><th scope="col">Model</th><th scope="col">Version</th><th scope="col" class="num">Bytes</th><th scope="col">Signed by</th><th scope="col">SHA-256</th></tr></thead>
<tbody>${status.images.map(
      (image) =>
        html`<tr><td>${image.model}</td><td>${image.version}</td><td class="num">${image.size}</td><td>${image.signedBy?.length ? image.signedBy.join(', ') : 'unsigned'}</td><td><code class="hash">${image.sha256}</code></td></tr>`,
    )}</tbody></table></div></section>`;
    return reply.type('text/html; charset=utf-8').send(page('Firmware', content, viewer, 'firmware'));
  });

  app.post<{ Params: { model: string; channel: string }; Body: { version: string; percent: string; allowUnsigned?: string } }>(
    '/firmware/:model/:channel/rollout',
    {
      schema: {
        hide: true,
        params: channelParams,
        body: {
          type: 'object',
          required: ['version', 'percent'],
          properties: {
            _csrf: { type: 'string' },
            version: firmwareName,
            percent: { type: 'string', pattern: '^[0-9]{1,3}$' },
            allowUnsigned: { type: 'string', enum: ['on'] },
          },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const { model, channel } = request.params;
      await request.api('POST', `/api/firmware/channels/${encodeURIComponent(model)}/${encodeURIComponent(channel)}/rollout`, {
        json: { version: request.body.version, percent: Number(request.body.percent), allowUnsigned: request.body.allowUnsigned === 'on' },
      });
      return reply.redirect('/console/firmware?notice=firmware-changed', 303);
    },
  );

  for (const [action] of ACTIONS) {
    app.post<{ Params: { model: string; channel: string } }>(
      `/firmware/:model/:channel/${action}`,
      { schema: { hide: true, params: channelParams } },
      async (request, reply) => {
        const { model, channel } = request.params;
        await request.api('POST', `/api/firmware/channels/${encodeURIComponent(model)}/${encodeURIComponent(channel)}/${action}`);
        return reply.redirect('/console/firmware?notice=firmware-changed', 303);
      },
    );
  }
};
