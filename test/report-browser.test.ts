/**
 * `npm run report` end to end (on the LONG demo table), and its HTML in headless Chromium with the
 * network off: every report opens without page errors or any request beyond
 * the file itself, and every chart is drawn (plotly's SVG present and holding
 * marks). Also the CLI's chart files (`writeChartFiles`) work offline.
 */
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { writeChartFiles } from "../lib/views/chartFiles";
import { PROJECT_ROOT } from "../scripts/install-kernel";
import { CONFIG_ENV, listNotebooks, requireJupyter } from "../scripts/notebooks";
import { drawnCharts, openOfflinePage, type OfflinePage, type PageDocument } from "./support/browser";

declare const document: PageDocument;
import { chartTitles, expectedOutputs, notebookProblems, outputsOf, writeTestConfig } from "./support/notebooks";

/** The report runs on the LONG demo table, so the notebooks are covered on both layouts (notebooks.test.ts: WIDE). */
const EXPECTED = expectedOutputs("stream_samples");

let work: string;
let reportDir: string;
let reportLog = "";
let reportSeconds = 0;

before(async () => {
  requireJupyter();
  work = mkdtempSync(path.join(tmpdir(), "mlbox-report-"));
  reportDir = path.join(work, "report");
  const config = writeTestConfig(path.join(work, "project"), { layout: "long" });
  // `npm run report` exactly as documented, started from another folder, with a relative MLBOX_CONFIG.
  const started = Date.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn("npm", ["--prefix", PROJECT_ROOT, "run", "report"], {
      cwd: work,
      env: { ...process.env, [CONFIG_ENV]: path.relative(work, config), MLBOX_REPORT_DIR: reportDir, DB_URL: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (c: Buffer) => (reportLog += c.toString()));
    child.stderr.on("data", (c: Buffer) => (reportLog += c.toString()));
    child.on("error", reject);
    child.on("close", (c) => resolve(c ?? 1));
  });
  reportSeconds = (Date.now() - started) / 1000;
  assert.equal(code, 0, `npm run report failed:\n${reportLog.slice(-4000)}`);
});

after(() => {
  rmSync(work, { recursive: true, force: true });
});

test("npm run report writes an executed notebook and a self-contained HTML report per notebook", () => {
  const names = listNotebooks().map((f) => path.basename(f, ".ipynb"));
  assert.equal(names.length, 9);
  for (const name of names) {
    const ipynb = path.join(reportDir, `${name}.ipynb`);
    const html = path.join(reportDir, `${name}.html`);
    assert.ok(existsSync(ipynb) && existsSync(html), `${name}: report files`);
    assert.deepEqual(notebookProblems(ipynb, EXPECTED[name]), [], name);
    const text = readFileSync(html, "utf8");
    assert.doesNotMatch(text, /<script[^>]+src=/i, `${name}.html loads no script by URL`);
    assert.doesNotMatch(text, /<link[^>]+href="https?:/i, `${name}.html loads no stylesheet by URL`);
    assert.equal(text.match(/data-mlbox="plotly\.js"/g)?.length, 1, `${name}.html embeds plotly.js once`);
  }
  const index = readFileSync(path.join(reportDir, "index.html"), "utf8");
  for (const name of names) assert.match(index, new RegExp(`href="${name}\\.html"`));
  // Headlines: the registry's latest version, and what 08's own tables show (its version, events scored).
  assert.match(index, /<p id="latest-version">Latest registered version: v\d+ · \w+ · /);
  assert.match(index, /href="08_Scoring\.html"[\s\S]*?<td class="headline">v\d+ · [^<]*\d+ events scored<\/td>/);
  const main = statSync(path.join(reportDir, "00_Main.ipynb")).size;
  const mainHtml = statSync(path.join(reportDir, "00_Main.html")).size;
  assert.ok(main < 10_000_000 && mainHtml < 10_000_000, `00_Main: ipynb ${main} bytes, html ${mainHtml} bytes`);
  console.log(`npm run report: ${reportSeconds.toFixed(1)} s; 00_Main.ipynb ${main} bytes, 00_Main.html ${mainHtml} bytes`);
});

async function assertChartsDrawn(browser: OfflinePage, file: string, expectedTitles: readonly string[]): Promise<void> {
  const { page } = browser;
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  await page.waitForFunction(
    (n) => {
      const charts = Array.from(document.querySelectorAll(".mlbox-chart"));
      // A trace drawn, or a heatmap's image (01's correlation view).
      return charts.length === n && charts.every((c) => c.querySelector("svg.main-svg g.cartesianlayer .trace, svg.main-svg g.hm image") !== null);
    },
    expectedTitles.length,
    { timeout: 60_000, polling: 250 },
  );
  const charts = await drawnCharts(page);
  assert.deepEqual(
    charts.map((c) => c.title),
    expectedTitles,
    path.basename(file),
  );
  for (const chart of charts) {
    assert.ok(chart.svgs >= 1 && chart.marks > 0 && chart.width > 300 && chart.height > 150, `${path.basename(file)}: ${JSON.stringify(chart)}`);
  }
}

test("every HTML report draws all its charts in Chromium with the network off and no page errors", { timeout: 600_000 }, async () => {
  const browser = await openOfflinePage();
  try {
    for (const notebook of listNotebooks()) {
      const name = path.basename(notebook, ".ipynb");
      const titles = chartTitles(outputsOf(path.join(reportDir, `${name}.ipynb`)));
      assert.equal(titles.length, EXPECTED[name].charts.length);
      await assertChartsDrawn(browser, path.join(reportDir, `${name}.html`), titles);
      if (name === "00_Main") {
        mkdirScreenshots();
        const first = browser.page.locator(".mlbox-chart").nth(1);
        await first.scrollIntoViewIfNeeded();
        await browser.page.screenshot({ path: path.join(PROJECT_ROOT, "out", "screenshots", "report-00_Main.png") });
      }
    }
    assert.deepEqual(browser.pageErrors, []);
    assert.deepEqual(browser.consoleErrors, []);
    assert.deepEqual(browser.blocked, [], "the reports request nothing from the network");
  } finally {
    await browser.close();
  }
});

test("08's report: the event timeline is drawn with a bar per event, and every chart's x axis is UTC clock time (date)", { timeout: 300_000 }, async () => {
  const browser = await openOfflinePage();
  try {
    const file = path.join(reportDir, "08_Scoring.html");
    await assertChartsDrawn(browser, file, chartTitles(outputsOf(path.join(reportDir, "08_Scoring.ipynb"))));
    const charts = await browser.page.evaluate(() =>
      Array.from(document.querySelectorAll(".mlbox-chart")).map((el) => {
        const plot = el as unknown as { _fullLayout?: { xaxis?: { type?: string } } };
        return {
          title: el.dataset.title ?? "",
          xType: plot._fullLayout?.xaxis?.type ?? "",
          bars: el.querySelectorAll(".trace.bars path").length,
          ticks: Array.from(el.querySelectorAll(".xtick text")).map((tick) => tick.textContent ?? ""),
        };
      }),
    );
    const timeline = charts.filter((c) => c.title.startsWith("Event timeline: "));
    assert.equal(timeline.length, 1, charts.map((c) => c.title).join(" | "));
    assert.equal(timeline[0].title, "Event timeline: 61 events on 8 lanes");
    assert.ok(timeline[0].bars >= 61, `timeline bars: ${timeline[0].bars}`);
    assert.ok(timeline[0].ticks.some((tick) => /^\d\d:\d\d/.test(tick)), `timeline ticks ${JSON.stringify(timeline[0].ticks)}`);
    assert.ok(charts.some((c) => c.title.includes("measured vs expected around the")), "a drill-down chart");
    assert.deepEqual(charts.filter((c) => c.xType !== "date").map((c) => `${c.title}: ${c.xType}`), []);
    assert.deepEqual(browser.pageErrors, []);
    assert.deepEqual(browser.consoleErrors, []);
  } finally {
    await browser.close();
  }
});

function mkdirScreenshots(): void {
  mkdirSync(path.join(PROJECT_ROOT, "out", "screenshots"), { recursive: true });
}

test("the CLI's chart files (writeChartFiles) each draw alone, offline, with the time axis in UTC clock time", { timeout: 120_000 }, async () => {
  const n = 20_000;
  const timeS = Float64Array.from({ length: n }, (_, i) => i * 1.891);
  const actual = timeS.map((t, i) => (i % 3 === 0 ? 0 : 2 + t * 1e-4 + Math.sin(i)));
  const predicted = timeS.map((t) => 2 + t * 1e-4);
  const residual = actual.map((a, i) => a - predicted[i]);
  const dir = path.join(work, "cli-charts");
  // 2022-10-18T06:44:31Z: the demo's time0; the charts span about 10.5 h from there.
  const clock = { time0: 1666075471, time_type: "timestamptz" } as const;
  const files = await writeChartFiles({ timeS, axes: ["axis1", "axis2"], actual: [actual, actual], predicted: [predicted, predicted], residual: [residual, residual] }, undefined, dir, { clock });
  assert.deepEqual(readdirSync(dir).sort(), ["axis1_fit.html", "axis1_residual.html", "axis2_fit.html", "axis2_residual.html"]);
  const browser = await openOfflinePage();
  try {
    for (const file of files) {
      // Each page on its own in a folder of its own, as when mailed: nothing beside it.
      const alone = path.join(work, "cli-charts-alone", path.basename(file, ".html"));
      mkdirSync(alone, { recursive: true });
      const copy = path.join(alone, path.basename(file));
      copyFileSync(file, copy);
      assert.deepEqual(readdirSync(alone), [path.basename(file)]);
      const title = /fit\.html$/.test(file) ? "data and fitted trend" : "residual (actual − fitted)";
      await assertChartsDrawn(browser, copy, [`${path.basename(file).split("_")[0]}: ${title}`]);
      const axis = await browser.page.evaluate(() => ({
        title: document.querySelector(".mlbox-chart .g-xtitle")?.textContent ?? "",
        ticks: Array.from(document.querySelectorAll(".mlbox-chart .xtick text")).map((t) => t.textContent ?? ""),
      }));
      assert.equal(axis.title, "time (UTC)", path.basename(file));
      assert.ok(axis.ticks.length >= 3, `${path.basename(file)}: ticks ${JSON.stringify(axis.ticks)}`);
      // Clock ticks (e.g. "08:00", "Oct 18, 2022"), not seconds like "20k".
      assert.ok(axis.ticks.every((t) => /^\d\d:\d\d/.test(t) || /Oct 1[89]/.test(t)), `${path.basename(file)}: ticks ${JSON.stringify(axis.ticks)}`);
      assert.ok(axis.ticks.some((t) => /Oct 18, 2022/.test(t)), `${path.basename(file)}: ticks ${JSON.stringify(axis.ticks)}`);
    }
    assert.deepEqual(browser.pageErrors, []);
    assert.deepEqual(browser.blocked, []);
  } finally {
    await browser.close();
  }
});
