/**
 * JupyterLab 4 itself, driven in headless Chromium: open 00_Main.ipynb, run
 * all cells on the "TypeScript (ML Box)" kernel, and see every plotly chart
 * render, with no request leaving 127.0.0.1.
 *
 * The server runs with private Jupyter config/data/runtime/settings folders
 * (autosave off, no news fetching) and this clone's kernelspec on
 * JUPYTER_PATH; the notebook is a copy under out/ (git-ignored), so the
 * committed notebook never gets outputs.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_ROOT, jupyterCommand, KERNEL_DISPLAY_NAME } from "../scripts/install-kernel";
import { CONFIG_ENV, requireJupyter } from "../scripts/notebooks";
import type { Page } from "playwright-core";
import { drawnCharts, openOfflinePage, type OfflinePage, type PageDocument } from "./support/browser";

declare const document: PageDocument;
import { DEMO_AXES, testJupyterEnv, writeTestConfig } from "./support/notebooks";
import { freePort } from "./support/freePort";

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

function writeSetting(settingsDir: string, plugin: string, values: object): void {
  const [pkg, name] = plugin.split(":");
  const dir = path.join(settingsDir, pkg);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${name}.jupyterlab-settings`), JSON.stringify(values));
}

async function waitForServer(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`jupyter lab exited with ${child.exitCode}:\n${log()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`jupyter lab did not start within 90 s:\n${log()}`);
}

test("JupyterLab runs 00_Main.ipynb on the ML Box kernel and renders every chart", { timeout: 600_000 }, async () => {
  requireJupyter();
  const work = mkdtempSync(path.join(tmpdir(), "mlbox-lab-"));
  cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const config = writeTestConfig(path.join(work, "project"));

  // A copy of the notebook inside the project (so `mlbox` resolves), in git-ignored out/.
  const notebookDir = path.join(PROJECT_ROOT, "out", `jupyterlab-test-${randomBytes(4).toString("hex")}`);
  mkdirSync(notebookDir, { recursive: true });
  cleanups.push(() => rmSync(notebookDir, { recursive: true, force: true }));
  copyFileSync(path.join(PROJECT_ROOT, "00_Main.ipynb"), path.join(notebookDir, "00_Main.ipynb"));

  const settings = path.join(work, "lab-settings");
  writeSetting(settings, "@jupyterlab/docmanager-extension:plugin", { autosave: false });
  writeSetting(settings, "@jupyterlab/apputils-extension:notification", { fetchNews: "false", checkForUpdates: false });
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const env = testJupyterEnv(work, {
    [CONFIG_ENV]: config,
    JUPYTER_CONFIG_DIR: path.join(work, "jupyter-config"),
    JUPYTER_DATA_DIR: path.join(work, "jupyter-data"),
    JUPYTER_RUNTIME_DIR: path.join(work, "jupyter-runtime"),
    JUPYTERLAB_SETTINGS_DIR: settings,
    JUPYTERLAB_WORKSPACES_DIR: path.join(work, "lab-workspaces"),
  });
  const server = spawn(
    jupyterCommand(),
    [
      "lab",
      "--no-browser",
      "--ServerApp.ip=127.0.0.1",
      `--ServerApp.port=${port}`,
      "--ServerApp.port_retries=0",
      `--IdentityProvider.token=${token}`,
      `--ServerApp.root_dir=${PROJECT_ROOT}`,
      "--LabApp.news_url=",
      "--LabApp.extension_manager=readonly",
      ...(typeof process.getuid === "function" && process.getuid() === 0 ? ["--allow-root"] : []),
    ],
    { cwd: tmpdir(), env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let serverLog = "";
  server.stdout?.on("data", (c: Buffer) => (serverLog += c.toString()));
  server.stderr?.on("data", (c: Buffer) => (serverLog += c.toString()));
  cleanups.push(async () => {
    if (server.exitCode === null) {
      const exited = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (server.exitCode === null) server.kill("SIGKILL");
    }
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitForServer(`${origin}/api/status?token=${token}`, server, () => serverLog);

  const browser = await openOfflinePage({ allowOrigin: origin, width: 1400, height: 1000 });
  cleanups.push(() => browser.close());
  const { page } = browser;
  const shots = path.join(PROJECT_ROOT, "out", "screenshots");
  mkdirSync(shots, { recursive: true });
  try {
    await runNotebookInLab(page, origin, token, notebookDir, browser);
  } catch (error) {
    await page.screenshot({ path: path.join(shots, "jupyterlab-failure.png") }).catch(() => undefined);
    const charts = await drawnCharts(page).catch(() => []);
    console.error(`charts in the page at failure: ${JSON.stringify(charts)}`);
    throw error;
  }
});

async function runNotebookInLab(
  page: Page,
  origin: string,
  token: string,
  notebookDir: string,
  browser: OfflinePage,
): Promise<void> {
  const shots = path.join(PROJECT_ROOT, "out", "screenshots");
  const relative = path.relative(PROJECT_ROOT, path.join(notebookDir, "00_Main.ipynb")).split(path.sep).join("/");
  await page.goto(`${origin}/lab/tree/${relative}?token=${token}`);

  // The notebook opens on the ML Box kernel, which becomes idle.
  await page.locator(".jp-NotebookPanel .jp-Notebook").first().waitFor({ timeout: 90_000 });
  await page.locator(`.jp-NotebookPanel-toolbar >> text="${KERNEL_DISPLAY_NAME}"`).first().waitFor({ timeout: 90_000 });
  await page.waitForFunction(() => document.querySelector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']") !== null, null, {
    timeout: 90_000,
  });

  // Run → Run All Cells.
  await page.locator(".lm-MenuBar-item", { hasText: "Run" }).first().click();
  await page.locator(".lm-Menu-itemLabel").getByText("Run All Cells", { exact: true }).click();

  // Every fit and residual chart is drawn, and the registry cells ran.
  const expected = DEMO_AXES.length * 2;
  await page.waitForFunction(
    (n) => {
      const charts = Array.from(document.querySelectorAll(".jp-OutputArea .mlbox-chart"));
      return charts.length === n && charts.every((c) => c.querySelector("svg.main-svg g.cartesianlayer .trace") !== null);
    },
    expected,
    { timeout: 300_000, polling: 500 },
  );
  await page.locator(".jp-OutputArea caption", { hasText: "All versions in the registry" }).waitFor({ timeout: 120_000 });
  await page.waitForFunction(() => document.querySelector(".jp-NotebookPanel-toolbar .jp-Notebook-ExecutionIndicator[data-status='idle']") !== null, null, {
    timeout: 60_000,
  });

  const charts = await drawnCharts(page);
  assert.equal(charts.length, expected);
  assert.deepEqual(
    charts.map((c) => c.title),
    DEMO_AXES.flatMap((a) => [`${a}: data and fitted trend`, `${a}: residual (actual − fitted)`]),
  );
  for (const chart of charts) {
    assert.ok(chart.svgs >= 1 && chart.marks > 0, `${chart.title}: ${chart.svgs} svgs, ${chart.marks} marks`);
  }
  // No error output in any cell, no cell without a completed run.
  assert.equal(await page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").count(), 0);
  assert.equal(await page.locator(".jp-InputPrompt", { hasText: "[*]" }).count(), 0);
  // JupyterLab's debugger extension rejects this for every kernel without a debugger (tslab has none);
  // it is JupyterLab's own message, not ML Box's. Anything else is a failure.
  const known = /^Error: No active debugger session$/;
  assert.deepEqual(
    browser.pageErrors.filter((e) => !known.test(e)),
    [],
  );
  assert.deepEqual(
    browser.blocked.filter((u) => !u.startsWith("ws:")),
    [],
    "no request left 127.0.0.1",
  );

  // A screenshot for people: the first chart in the notebook.
  const firstChart = page.locator(".jp-OutputArea .mlbox-chart").first();
  await firstChart.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(shots, "jupyterlab-00_Main.png") });
  const visible = (await drawnCharts(page))[0];
  assert.ok(visible.width > 400 && visible.height > 200, `first chart is ${visible.width}×${visible.height}`);
}
