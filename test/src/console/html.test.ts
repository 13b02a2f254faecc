import { describe, expect, it } from 'vitest';
import { barChart } from '../../../src/console/charts.ts';
import { escapeHtml, html } from '../../../src/console/html.ts';
import { safeNext } from '../../../src/console/pages/sign-in.ts';

describe('html templates', () => {
  it.each([
    ['<script>alert(1)</script>', '&lt;script&gt;alert(1)&lt;/script&gt;'],
    ['" onmouseover="x', '&quot; onmouseover=&quot;x'],
    ["' autofocus onfocus='x", '&#39; autofocus onfocus=&#39;x'],
    ['&amp; stays text', '&amp;amp; stays text'],
    ['plain 2.0.6(rak/std)', 'plain 2.0.6(rak/std)'],
  ])('escapes %j', (text, escaped) => {
    expect(escapeHtml(text)).toBe(escaped);
    expect(html`<p title="${text}">${text}</p>`.text).toBe(`<p title="${escaped}">${escaped}</p>`);
  });

  it('puts markup made by html as it is, joins lists, and puts nothing for null, undefined and false', () => {
    const items = ['<a>', 'b'].map((item) => html`<li>${item}</li>`);
    expect(html`<ul>${items}</ul>${null}${undefined}${false}${0}`.text).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>0');
  });

  it('draws chart labels and titles as text', () => {
    const chart = barChart('<b>t</b>', [{ label: '<img src=x onerror=alert(1)>', value: 3, marked: true }], 'gateways').text;
    expect(chart).not.toMatch(/<img|<b>/);
    expect(chart).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(chart).toContain('class="bar marked"');
  });
});

describe('where sign-in goes next', () => {
  it.each([
    ['/console/gateways?tenant=a', '/console/gateways?tenant=a'],
    ['/console/', '/console/'],
    ['https://evil.example/', '/console/'],
    ['//evil.example/console/', '/console/'],
    ['/console//evil.example', '/console/'],
    ['/console/\\evil', '/console/'],
    ['/consolex', '/console/'],
    ['/api/gateways', '/console/'],
    [undefined, '/console/'],
  ])('%j goes to %j', (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });
});
