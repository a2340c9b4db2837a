/**
 * @module admin/dashboard/page
 * The dashboard page served at `GET /` on the admin listener: one self-contained HTML
 * document (inline style and script, no CDN, works offline) kept as text in TS modules, so
 * `tsc` alone puts it in dist/ and a packed install carries it.
 * The page itself holds no data and is served without the token; everything it reads
 * (/status, the /live WebSocket) and changes (the runtime API) asks for it. Its
 * Content-Security-Policy allows only its own script and style (by hash), connections to
 * this listener, and no framing (so no other site can overlay its buttons).
 */
import { createHash } from 'node:crypto';
import { RENDER_SCRIPT } from './client-render.js';
import { LIVE_SCRIPT } from './client-live.js';
import { STYLE } from './style.js';

const SCRIPT = `${RENDER_SCRIPT}\n${LIVE_SCRIPT}`;

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>bulwark dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>bulwark</h1>
<div id="config"></div>
<div id="conn">connecting</div>
<form id="auth"><label for="token">Admin token</label><input id="token" type="password" autocomplete="off" size="18"><button type="submit">Use</button></form>
</header>
<div id="notice" role="alert" hidden></div>
<main id="upstreams"></main>
<script>${SCRIPT}</script>
</body>
</html>
`;

const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

export interface DashboardPage {
  readonly html: string;
  readonly headers: Record<string, string>;
}

/** The page and the headers it is served with (computed once). */
export const DASHBOARD: DashboardPage = {
  html: HTML,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': `default-src 'none'; script-src ${hash(SCRIPT)}; style-src ${hash(STYLE)}; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  },
};
