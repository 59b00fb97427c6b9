/**
 * The page `GET /` serves: one self-contained HTML document, its style
 * (server/pageStyle.css) and script (server/pageClient.js) inlined, so it
 * loads nothing from anywhere (no CDN, no second request but its polls of
 * `/v1/overview` and the actions it calls). It holds no data and no token: the
 * script fetches everything with the token typed into the page.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";

/** Text safe inside a <script> or <style> element (no closing tag can appear). */
function inlineText(text: string): string {
  return text.replace(/<\/(script|style)/gi, "<\\/$1");
}

let cached: string | null = null;

/**
 * The page's HTML (built once per process).
 * @example
 * app.get("/", async (_request, reply) => reply.type("text/html; charset=utf-8").send(pageHtml()));
 */
export function pageHtml(): string {
  if (cached !== null) return cached;
  const style = readFileSync(path.join(__dirname, "pageStyle.css"), "utf8");
  const script = readFileSync(path.join(__dirname, "pageClient.js"), "utf8");
  cached = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; connect-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>ML Box: streams and incidents</title>
<style>${inlineText(style)}</style>
</head>
<body>
<header>
  <h1>ML Box</h1><span id="served"></span><span id="status" class="muted">loading…</span>
  <label class="muted">operator <input id="by" size="10" placeholder="page"></label>
</header>
<form id="token-form" class="inline" autocomplete="off">
  <label>This service needs a token: <input id="token" type="password" size="32"></label>
  <button type="submit">use</button><span class="muted">kept in this tab only (sessionStorage), sent as Authorization: Bearer</span>
</form>
<div id="message"></div>
<h2>Streams</h2>
<table id="streams"></table>
<h2>Incidents <span class="muted">open first</span></h2>
<table id="incidents"></table>
<form id="label-form" class="inline">
  <span>Label <b id="label-what"></b></span><input id="label-id" type="hidden">
  <select id="label-value"><option>false_alarm</option><option>fault</option><option>maintenance</option><option>other</option></select>
  <input id="label-note" size="40" maxlength="2000" placeholder="note (optional)">
  <button type="submit">label</button><button type="button" id="label-cancel">cancel</button>
</form>
<h2>Statistic against its limits <span class="muted">last hours of each stream, data time</span></h2>
<div id="charts" class="charts"></div>
<h2>Silences</h2>
<table id="silences"></table>
<form id="silence-form" class="inline" autocomplete="off">
  <input id="silence-stream" size="14" placeholder="stream" required>
  <input id="silence-axis" size="8" placeholder="axis (all)">
  <input id="silence-from" size="24" placeholder="from (ISO-8601 or seconds)" required>
  <input id="silence-to" size="24" placeholder="to" required>
  <input id="silence-reason" size="24" placeholder="reason" required>
  <button type="submit">add silence</button>
</form>
<script>${inlineText(script)}</script>
</body>
</html>
`;
  return cached;
}
