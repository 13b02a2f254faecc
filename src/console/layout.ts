import type { AdminToken } from '../admin/admin-tokens.ts';
import { html, type SafeHtml } from './html.ts';

/** Who is looking, and what their forms must carry. */
export interface Viewer {
  token: AdminToken;
  csrf: string;
}

export const isOperator = (viewer: Viewer) => viewer.token.tenant === null;

const NAV = [
  ['/console/', 'Overview', 'overview'],
  ['/console/gateways', 'Gateways', 'gateways'],
  ['/console/tenants', 'Tenants and CAs', 'tenants'],
  ['/console/firmware', 'Firmware', 'firmware'],
  ['/console/audit', 'Audit', 'audit'],
] as const;
export type Section = (typeof NAV)[number][2];

/** A moment as the pages show it: to the second, in UTC, with its exact value for machines. */
export const shownTime = (iso: string | null | undefined) =>
  iso ? html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 19)} UTC</time>` : '—';

/** A day as the pages show it (expiries, creation), with its exact value for machines. */
export const shownDay = (iso: string | null | undefined) => (iso ? html`<time datetime="${iso}">${iso.slice(0, 10)}</time>` : '—');

/** The hidden field every console form carries: the session's CSRF token. */
export const csrfField = (viewer: Viewer) => html`<input type="hidden" name="_csrf" value="${viewer.csrf}">`;

/** A form that changes something: POST, with the CSRF token; `confirm` asks first (with the console's script). */
export function actionForm(viewer: Viewer, action: string, label: string, options: { confirm?: string; danger?: boolean } = {}): SafeHtml {
  return html`<form method="post" action="${action}" class="inline"${options.confirm ? html` data-confirm="${options.confirm}"` : ''}>
    ${csrfField(viewer)}<button type="submit"${options.danger ? html` class="danger"` : ''}>${label}</button></form>`;
}

/** A refusal of the API as the page shows it: its code and its message. */
export const refusal = (problem: { code: string; message: string } | undefined) =>
  problem ? html`<p class="error" role="alert"><strong>${problem.code}</strong>: ${problem.message}</p>` : '';

/** A fixed notice, by key: pages are redirected to with `?notice=`, never with text of the request's choosing. */
const NOTICES: Record<string, string> = {
  'gateway-added': 'The gateway is registered.',
  'gateway-changed': 'The gateway is changed.',
  'gateway-removed': 'The gateway is removed.',
  'ca-added': 'The CA is trusted: gateways whose chains reach it are served within a second on every instance.',
  'ca-removed': 'The CA is removed.',
  'crl-added': 'The CRL counts now.',
  'crl-removed': 'The CRL is removed.',
  'tenant-added': 'The tenant is made.',
  'firmware-changed': 'The channel is changed.',
};
export const notice = (key: unknown) =>
  typeof key === 'string' && NOTICES[key] ? html`<p class="notice" role="status">${NOTICES[key]}</p>` : '';

/** A whole page: the skip link, the navigation for this viewer, the content. */
export function page(title: string, content: SafeHtml, viewer?: Viewer, section?: Section): string {
  const nav = viewer
    ? html`<nav aria-label="Console"><ul>
        ${NAV.filter(([, , key]) => key !== 'firmware' || isOperator(viewer)).map(
          ([href, label, key]) => html`<li><a href="${href}"${key === section ? html` aria-current="page"` : ''}>${label}</a></li>`,
        )}
      </ul>
      <form method="post" action="/console/sign-out" class="sign-out">${csrfField(viewer)}
        <span>${viewer.token.name} (${viewer.token.tenant === null ? 'operator' : `tenant ${viewer.token.tenant}`})</span>
        <button type="submit">Sign out</button></form></nav>`
    : '';
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · CUPS console</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header><span class="brand">CUPS console</span>${nav}</header>
<main id="main" tabindex="-1">
<h1>${title}</h1>
${content}
</main>
</body>
</html>
`.text;
}
