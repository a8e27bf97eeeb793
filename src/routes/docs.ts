/**
 * `GET /docs`: an interactive reference rendered from `/openapi.json` in the browser: every operation, its
 * parameters and body schema, and a "Send" form that calls it with your token. Self-contained: no CDN.
 */
import { Hono } from "hono"
import type { AppEnv } from "../env"

// No inline <style>, style attribute or <script>: the CSP (src/lib/security-headers.ts) allows only files from this
// origin. The page's code and styles are public/js/docs.js and public/css/docs.css (static assets).
const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Switchboard API</title>
<link rel="stylesheet" href="/css/docs.css">
<link rel="icon" href="/img/favicon.svg" type="image/svg+xml">
<script type="module" src="/js/docs.js"></script>
</head><body>
<header><h1>Switchboard API</h1><label>Bearer token <input id="token" placeholder="paste a JWT (npm run token)"></label></header>
<main id="ops">Loading /openapi.json…</main>
</body></html>`

export const docsApp = new Hono<AppEnv>().get("/", (c) => c.html(page))
