/**
 * `npm run report`: executes 00_Main.ipynb and every stage notebook headless
 * (on this clone's ML Box kernel, each from its own folder) and writes, under
 * `out/report/`, the executed notebooks (`<name>.ipynb`, numbered and marked
 * trusted so JupyterLab shows their charts), self-contained HTML
 * reports (`<name>.html`, plotly.js inlined once, no network needed to view)
 * and an `index.html` linking them, with each notebook's headline numbers
 * and the registry's latest version (see ./reportHeadline).
 *
 *   npm run report                                   # default config.yaml
 *   MLBOX_CONFIG=configs/other.yaml npm run report   # any config / database
 *   npm run report -- notebooks/06_Thresholding.ipynb  # only some notebooks
 *
 * A relative MLBOX_CONFIG is resolved against the directory you ran the
 * command from. MLBOX_REPORT_DIR changes the output folder. Exits 1 when a
 * notebook fails (the others still run).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { PROJECT_ROOT } from "./install-kernel";
import {
  CONFIG_ENV,
  executeNotebook,
  jupyterEnv,
  listNotebooks,
  notebookToHtml,
  numberCodeCells,
  requireJupyter,
  trustNotebook,
  writePrivateKernelspec,
} from "./notebooks";
import { headlineText, notebookHeadline, notebookHtml, outputTables, registryHeadline, type Headline } from "./reportHeadline";

/** Default output folder of the reports; `MLBOX_REPORT_DIR` overrides it. */
export const DEFAULT_REPORT_DIR = path.join(PROJECT_ROOT, "out", "report");

interface Outcome {
  readonly name: string;
  readonly ok: boolean;
  readonly seconds: number;
  readonly ipynbBytes: number;
  readonly htmlBytes: number;
  /** What the executed notebook's tables show (empty when it failed). */
  readonly headline: Headline;
}

const megabytes = (bytes: number): string => `${(bytes / 1e6).toFixed(2)} MB`;
const sizeOf = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function writeIndex(outcomes: readonly Outcome[], config: string, reportDir: string, latest: Headline | null): void {
  const rows = outcomes
    .map(
      (o) =>
        `<tr><td>${o.ok ? `<a href="${escapeHtml(o.name)}.html">${escapeHtml(o.name)}</a>` : escapeHtml(o.name)}</td>` +
        `<td>${o.ok ? "ok" : "FAILED"}</td><td>${o.seconds.toFixed(1)} s</td><td>${megabytes(o.htmlBytes)}</td>` +
        `<td>${o.ok ? `<a href="${escapeHtml(o.name)}.ipynb">notebook</a>` : ""}</td>` +
        `<td class="headline">${escapeHtml(headlineText(o.headline))}</td></tr>`,
    )
    .join("\n");
  writeFileSync(
    path.join(reportDir, "index.html"),
    `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>ML Box reports</title>` +
      `<style>body{font-family:sans-serif;margin:24px}td,th{padding:4px 12px;text-align:left}</style></head><body>` +
      `<h1>ML Box reports</h1><p>Config: <code>${escapeHtml(config)}</code><br>Generated: ${new Date().toISOString()}</p>` +
      `<p id="latest-version">Latest registered version: ${latest === null ? "none readable" : escapeHtml(headlineText(latest))}</p>` +
      `<table><tr><th>notebook</th><th>status</th><th>run time</th><th>HTML size</th><th>executed</th><th>headline (version · model · statistic · false alarms · recall · events)</th></tr>\n${rows}\n</table></body></html>\n`,
  );
}

async function main(args: readonly string[]): Promise<number> {
  requireJupyter();
  const callerCwd = process.env.INIT_CWD ?? process.cwd();
  const configured = process.env[CONFIG_ENV];
  const config = configured && configured.trim() !== "" ? path.resolve(callerCwd, configured.trim()) : path.join(PROJECT_ROOT, "config.yaml");
  const notebooks = args.length > 0 ? args.map((a) => path.resolve(callerCwd, a)) : listNotebooks();
  const reportDir = process.env.MLBOX_REPORT_DIR ? path.resolve(callerCwd, process.env.MLBOX_REPORT_DIR) : DEFAULT_REPORT_DIR;
  mkdirSync(reportDir, { recursive: true });
  const jupyterDir = mkdtempSync(path.join(tmpdir(), "mlbox-jupyter-"));
  const outcomes: Outcome[] = [];
  const started = Date.now();
  try {
    const env = jupyterEnv(writePrivateKernelspec(jupyterDir), { [CONFIG_ENV]: config });
    console.log(`Reports for ${config} → ${reportDir}`);
    for (const notebook of notebooks) {
      const name = path.basename(notebook, ".ipynb");
      const executed = await executeNotebook(notebook, reportDir, env);
      let ok = executed.code === 0;
      let seconds = executed.seconds;
      if (ok) {
        numberCodeCells(path.join(reportDir, `${name}.ipynb`));
        const trusted = await trustNotebook(path.join(reportDir, `${name}.ipynb`), env);
        if (trusted.code !== 0) console.warn(`warning: could not mark ${name}.ipynb trusted: ${trusted.output.trim()}`);
        const html = await notebookToHtml(path.join(reportDir, `${name}.ipynb`), reportDir, env);
        seconds += html.seconds;
        if (html.code !== 0) {
          ok = false;
          console.error(html.output.trim());
        }
      } else {
        console.error(executed.output.trim());
      }
      const outcome: Outcome = {
        name,
        ok,
        seconds,
        ipynbBytes: sizeOf(path.join(reportDir, `${name}.ipynb`)),
        htmlBytes: ok ? sizeOf(path.join(reportDir, `${name}.html`)) : 0,
        headline: ok ? notebookHeadline(notebookHtml(path.join(reportDir, `${name}.ipynb`)).flatMap(outputTables)) : {},
      };
      outcomes.push(outcome);
      console.log(
        `${ok ? "ok    " : "FAILED"} ${name.padEnd(28)} ${seconds.toFixed(1).padStart(6)} s` +
          (ok ? `  ipynb ${megabytes(outcome.ipynbBytes)}, html ${megabytes(outcome.htmlBytes)}` : ""),
      );
    }
  } finally {
    rmSync(jupyterDir, { recursive: true, force: true });
  }
  writeIndex(outcomes, config, reportDir, await registryHeadline(config));
  const failed = outcomes.filter((o) => !o.ok);
  console.log(`${outcomes.length - failed.length}/${outcomes.length} notebooks in ${((Date.now() - started) / 1000).toFixed(1)} s; open ${path.join(reportDir, "index.html")}`);
  return failed.length === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(`report: ${error.message}`);
      process.exit(1);
    },
  );
}
