/**
 * The page (`GET /`) in headless Chromium against the service on real PostgreSQL, with every request but those to
 * the service on 127.0.0.1 blocked: it shows the streams, their versions and statistic charts in UTC clock time
 * (the test runs under a non-UTC TZ of its own), an incident opened by samples posted while it is open appears
 * without a reload, acknowledging, labelling and silencing from the page reach the database, and the
 * acknowledgement is still shown after a reload and after the service restarts. No request leaves loopback, no
 * page error. With MLBOX_PAGE_SCREENSHOT=<file.png> it also saves a screenshot (how docs/page-*.png are made).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { registerModel } from "../lib/registry";
import { flatVersion } from "./support/flatVersion";
import { openOfflinePage, type OfflinePage } from "./support/browser";
import { sharedPostgres, type TestPostgres } from "./support/postgres";
import { startServe, type ServeProcess } from "./support/serveProcess";

const AXES = ["axis1", "axis2", "axis3", "axis4"];
const T0 = Date.UTC(2025, 5, 1, 10, 0, 0) / 1000; // 2025-06-01T10:00:00Z
const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();

/** Deterministic quiet samples of `stream` at 1 s from `from`, with `bump(i)` added to axis `bumped`. */
function samples(from: number, n: number, bumped = "", bump: (i: number) => number = () => 0): Record<string, number | string>[] {
  return Array.from({ length: n }, (_, i) => {
    const t = from + i;
    const row: Record<string, number | string> = { ts: iso(t) };
    AXES.forEach((axis, a) => (row[axis] = 0.3 + 0.25 * Math.sin(t / (7 + a)) + (axis === bumped ? bump(i) : 0)));
    return row;
  });
}

async function post(base: string, route: string, body: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${base}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  return { status: response.status, body: await response.json() };
}

let pg: TestPostgres;
const dirs: string[] = [];
const running: ServeProcess[] = [];
const browsers: OfflinePage[] = [];
before(async () => {
  pg = await sharedPostgres();
});
after(async () => {
  for (const browser of browsers) await browser.close();
  for (const service of running) await service.stop();
  dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true }));
});

/** Opens the page of `service` with only its origin allowed, recording every request the page makes. */
async function openPage(service: ServeProcess): Promise<{ browser: OfflinePage; requests: string[] }> {
  const browser = await openOfflinePage({ allowOrigin: service.loopback, width: 1400, height: 1100 });
  browsers.push(browser);
  const requests: string[] = [];
  browser.page.on("request", (request) => requests.push(request.url()));
  await browser.page.goto(`${service.loopback}/`, { waitUntil: "load" });
  return { browser, requests };
}

test("the page: an incident appears without reload, is acknowledged, labelled and silenced from the page, and the ack survives a restart", { timeout: 300_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlbox-page-"));
  dirs.push(dir);
  const root = path.join(dir, "registry");
  const flat = flatVersion(root, { axes: AXES });
  await registerModel({
    ...flat,
    prepStats: { ...flat.prepStats, time_type: "timestamptz", time0: T0 },
    meta: { ...flat.meta, data: { ...flat.meta.data, time_type: "timestamptz", train_start: iso(T0 - 600), train_end: iso(T0) } },
  });
  const config = path.join(dir, "config.yaml");
  fs.writeFileSync(
    config,
    [
      "data:", "  table: t", `  axes: [${AXES.join(", ")}]`, `  train_start: "${iso(T0 - 600)}"`, `  train_end: "${iso(T0)}"`,
      '  axis_labels: { axis1: "Shoulder", axis2: "Elbow", axis3: "Wrist" }', "  units: { axis1: A, axis2: A, axis3: A }",
      "registry:", "  root_dir: registry", "scoring:", "  events_table: page_events", "  incidents_table: page_incidents", "incidents:", "  merge_seconds: 60", "",
    ].join("\n"),
  );
  const env = { DB_URL: pg.url, TZ: "America/New_York" };
  let service = await startServe(["--config", config, "--port", "0"], env);
  running.push(service);
  const base = service.loopback;
  // History: robot-7 with a short alert on the elbow that closes, robot-9 quiet.
  assert.equal((await post(base, "/v1/score", { stream: "robot-7", samples: samples(T0, 900, "axis2", (i) => (i >= 300 && i < 306 ? 0.9 : 0)) })).status, 200);
  assert.equal((await post(base, "/v1/score", { stream: "robot-9", samples: samples(T0, 900) })).status, 200);

  const { browser, requests } = await openPage(service);
  const { page } = browser;
  await page.locator('#streams tr[data-stream="robot-9"]').waitFor();
  const streamsText = (await page.locator("#streams").textContent()) ?? "";
  assert.match(streamsText, /robot-7\s*ok\s*v1 \(production\)/);
  assert.match(streamsText, /2025-06-01T10:14:59Z/, "the last sample in UTC, under TZ=America/New_York");
  await page.locator('.chart[data-stream="robot-7"] path.statistic').first().waitFor();
  assert.equal(await page.locator('.chart[data-stream="robot-7"] .panel').count(), AXES.length);
  assert.match((await page.locator('.chart[data-stream="robot-7"]').textContent()) ?? "", /2025-06-01T10:00:00Z → 2025-06-01T10:14:59Z \(UTC\)[\s\S]*Shoulder \(A\) alert 1, error 2[\s\S]*Elbow \(A\)[\s\S]*Wrist \(A\)[\s\S]*axis4 alert/);
  assert.equal(await page.locator('.chart[data-stream="robot-7"] rect.incident').count(), AXES.length, "the closed incident shaded on every panel");
  assert.equal(await page.locator("#incidents tr.open").count(), 0);

  // Samples that open an error incident on the shoulder, posted while the page is open: it appears without reload.
  const opening = await post(base, "/v1/score", { stream: "robot-7", samples: samples(T0 + 900, 30, "axis1", (i) => (i >= 10 ? 2.4 : 0)) });
  assert.equal(opening.status, 200);
  assert.ok(opening.body.events.some((e: { level: string; axis: string }) => e.level === "error" && e.axis === "axis1"));
  const row = page.locator("#incidents tr.open.error");
  await row.waitFor();
  const id = (await row.getAttribute("data-incident")) as string;
  assert.match(id, /^inc-[0-9a-f]{16}$/);
  const rowText = (await row.textContent()) ?? "";
  assert.match(rowText, /error open\s*robot-7/);
  assert.match(rowText, /Shoulder \(A\): 2\.\d+ vs 2 \(error\)/, "value vs expected, by display name");
  assert.match(rowText, /2025-06-01T10:15:10Z/);
  assert.match((await page.locator('#streams tr[data-stream="robot-7"]').textContent()) ?? "", /robot-7\s*error/);
  await page.locator(`.chart[data-stream="robot-7"] rect.incident[data-incident="${id}"]`).first().waitFor();

  // Acknowledge from the page, as operator "ops-anna".
  await page.fill("#by", "ops-anna");
  await page.dispatchEvent("#by", "change");
  await page.click(`button[data-ack="${id}"]`);
  await page.locator(`#incidents tr[data-incident="${id}"] .status:has-text("acked by ops-anna")`).waitFor();
  // Label from the page.
  await page.click(`button[data-label="${id}"]`);
  await page.selectOption("#label-value", "fault");
  await page.fill("#label-note", "bearing noise");
  await page.click('#label-form button[type="submit"]');
  await page.locator(`#incidents tr[data-incident="${id}"] .status:has-text("label fault: bearing noise")`).waitFor();
  // A bad silence is refused with the CLI's one line; a good one is listed.
  await page.click(`button[data-silence="${id}"]`);
  assert.equal(await page.inputValue("#silence-stream"), "robot-7");
  await page.fill("#silence-to", "2025-06-01T09:00:00Z");
  await page.fill("#silence-reason", "bearing replaced");
  await page.click('#silence-form button[type="submit"]');
  await page.locator('#message:has-text("must be after --from")').waitFor();
  assert.equal(await page.locator("button[data-unsilence]").count(), 0);
  await page.fill("#silence-to", "2025-06-01T12:00:00Z");
  await page.click('#silence-form button[type="submit"]');
  await page.locator("#silences button[data-unsilence]").waitFor();
  assert.match((await page.locator("#silences").textContent()) ?? "", /robot-7\s*every axis\s*2025-06-01T10:15:10\.000000Z → 2025-06-01T12:00:00\.000000Z\s*bearing replaced\s*ops-anna/);

  // Reload: the state is the database's.
  await page.reload({ waitUntil: "load" });
  await page.locator(`#incidents tr[data-incident="${id}"] .status:has-text("acked by ops-anna")`).waitFor();
  assert.equal(await page.locator(`button[data-ack="${id}"]`).count(), 0, "no ack button once acknowledged");
  if (process.env.MLBOX_PAGE_SCREENSHOT) await page.screenshot({ path: process.env.MLBOX_PAGE_SCREENSHOT, fullPage: true });

  assert.deepEqual(browser.blocked, [], "the page requested nothing beyond the service");
  assert.ok(requests.length > 0 && requests.every((url) => url.startsWith(`${service.loopback}/`)), requests.filter((url) => !url.startsWith(service.loopback)).join(", "));
  assert.deepEqual(browser.pageErrors, []);
  assert.deepEqual(browser.consoleErrors.filter((message) => !/status of 400/.test(message)), []);

  // Restart the service (kill -9): acknowledgement, label and silence persist; the page shows them.
  await service.stop("SIGKILL");
  service = await startServe(["--config", config, "--port", "0"], env);
  running.push(service);
  const again = await openPage(service);
  await again.browser.page.locator(`#incidents tr[data-incident="${id}"] .status:has-text("acked by ops-anna")`).waitFor();
  assert.match((await again.browser.page.locator(`#incidents tr[data-incident="${id}"]`).textContent()) ?? "", /label fault: bearing noise/);
  assert.match((await again.browser.page.locator("#silences").textContent()) ?? "", /bearing replaced/);
  const stored = (await (await fetch(`${service.loopback}/v1/incidents/${id}`)).json()) as { acked_by: string; label: string };
  assert.equal(stored.acked_by, "ops-anna");
  assert.equal(stored.label, "fault");
  assert.deepEqual(again.browser.blocked, []);
  assert.deepEqual(again.browser.pageErrors, []);
});
