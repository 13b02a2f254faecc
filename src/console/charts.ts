import { html, type SafeHtml } from './html.ts';

export interface Bar {
  label: string;
  value: number;
  /** Drawn in the accent colour: the version a rollout targets, say. */
  marked?: boolean;
}

const ROW = 22;
const WIDTH = 400;
const LABEL = 170;
const MAX_LABEL = 26;

const shorten = (text: string) => (text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text);

/**
 * A horizontal bar chart as SVG drawn by the server (no script): one bar a row, its label and value
 * as text, and the whole read out by screen readers from its label.
 */
export function barChart(title: string, bars: readonly Bar[], unit: string): SafeHtml {
  if (bars.length === 0) return html`<p class="empty">${title}: none yet.</p>`;
  const max = Math.max(...bars.map((bar) => bar.value), 1);
  const height = bars.length * ROW + 4;
  const summary = `${title}: ${bars.map((bar) => `${bar.label} ${bar.value} ${unit}`).join(', ')}`;
  return html`<figure class="chart">
<figcaption>${title}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${summary}" preserveAspectRatio="xMinYMin meet">
${bars.map((bar, i) => {
  const y = i * ROW + 2;
  const width = Math.max(((WIDTH - LABEL - 50) * bar.value) / max, bar.value > 0 ? 2 : 0);
  return html`<g class="${bar.marked ? 'bar marked' : 'bar'}"><title>${bar.label}: ${bar.value} ${unit}</title>
<text x="${LABEL - 6}" y="${y + 15}" text-anchor="end" class="label">${shorten(bar.label)}</text>
<rect x="${LABEL}" y="${y + 3}" width="${width.toFixed(1)}" height="${ROW - 7}" rx="2"></rect>
<text x="${(LABEL + width + 5).toFixed(1)}" y="${y + 15}" class="value">${bar.value}</text></g>`;
})}
</svg>
</figure>`;
}
