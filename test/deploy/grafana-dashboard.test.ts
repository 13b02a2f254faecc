import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, EUI, type TestPki } from '../../fixtures/test-pki.ts';
import { post, routerBody, startTestServer, type TestServer } from '../helpers/server.ts';
import { freePort } from '../helpers/spawn-server.ts';

interface Panel {
  id: number;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string; datasource: { uid: string } }[];
}
const dashboard = JSON.parse(readFileSync(new URL('../../deploy/grafana-dashboard.json', import.meta.url), 'utf8')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
};

/** Grafana's variable for the data source the user picks. */
// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a template
const DATASOURCE_VARIABLE = '${datasource}';
let pki: TestPki;
let server: TestServer;
let metrics: string;
beforeAll(async () => {
  pki = await createTestPki();
  const adminPort = await freePort();
  server = await startTestServer(pki, { adminPort, adminHost: '127.0.0.1' });
  await post(server.port, { tls: { ca: pki.serverCa.pem, cert: pki.leaves.a.pem, key: pki.leaves.a.keyPem }, body: routerBody(EUI.a) });
  await post(server.port, {
    tls: { ca: pki.serverCa.pem, cert: pki.leaves.stranger.pem, key: pki.leaves.stranger.keyPem },
    body: routerBody(EUI.a),
  });
  metrics = await new Promise<string>((resolve, reject) =>
    get({ host: '127.0.0.1', port: adminPort, path: '/metrics' }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk));
      res.on('end', () => resolve(text));
    }).on('error', reject),
  );
}, 60_000);
afterAll(() => server?.server.close());

/** The metric a series name belongs to, as its # TYPE line names it (a histogram's _bucket is its histogram's). */
const typeOf = (series: string) => {
  for (const name of [series, series.replace(/_(bucket|sum|count)$/, '')]) {
    const type = new RegExp(`^# TYPE ${name} (\\w+)$`, 'm').exec(metrics)?.[1];
    if (type) return { name, type };
  }
  return undefined;
};

describe('the Grafana dashboard in deploy/', () => {
  const queries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => ({ panel: panel.title, ...target })));

  it('queries only series the server exports, with the labels it gives them', () => {
    expect(queries.length).toBeGreaterThan(10);
    for (const { panel, expr } of queries) {
      const names = expr.match(/\b(cups|process|nodejs)_[a-z0-9_]+/g) ?? [];
      expect(names.length, panel).toBeGreaterThan(0);
      for (const series of names) {
        const metric = typeOf(series);
        expect(metric, `${panel}: ${series} is not in /metrics`).toBeDefined();
        if (series.endsWith('_bucket')) expect(metric!.type).toBe('histogram');
        if (expr.includes(`rate(${series}`))
          expect(['counter', 'histogram'], `${panel}: rate() of a ${metric!.type}`).toContain(metric!.type);
      }
      // Each label a query groups or filters by is one the server puts on that metric (or the scrape's own instance).
      for (const [, labels] of expr.matchAll(/by \(([^)]*)\)/g)) {
        for (const label of labels!.split(',').map((l) => l.trim())) {
          if (label === 'instance' || label === 'le') continue;
          expect(metrics, `${panel}: no series has the label ${label}`).toMatch(new RegExp(`\\{[^}]*\\b${label}="`));
        }
      }
    }
  });

  it('answers and refusals are in the scrape its main panel reads', () => {
    expect(metrics).toMatch(/^cups_update_info_answers_total\{code="ok"\} [1-9]/m);
    expect(metrics).toMatch(/^cups_update_info_answers_total\{code="certificate_untrusted"\} [1-9]/m);
  });

  it('is a dashboard Grafana imports: unique panel ids, every query on the chosen data source, panels side by side', () => {
    expect(dashboard.uid).toBe('cups-server');
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance']);
    for (const panel of dashboard.panels) {
      expect(
        panel.targets.every((t) => t.datasource.uid === DATASOURCE_VARIABLE),
        panel.title,
      ).toBe(true);
      expect(panel.gridPos.x + panel.gridPos.w, panel.title).toBeLessThanOrEqual(24);
    }
  });
});
