/**
 * The README's report screenshots: after `npm run report`, headless Chromium
 * (network off) opens 00, 03, 06 and 08's HTML reports and saves the charts
 * an analyst looks at first — clock time, visible events, the timeline — as
 * PNGs under docs/, each cropped to its chart.
 *
 * Usage: `npx tsx scripts/screenshots.ts [report dir]` (default out/report; MLBOX_CHROMIUM names the browser).
 */
import { mkdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { openOfflinePage } from "../test/support/browser";
import { PROJECT_ROOT } from "./install-kernel";

/** Per PNG: the report, and the start of the chart's title (its first match is taken). */
const SHOTS = [
  { png: "report-00-fit.png", report: "00_Main.html", title: "axis1: " },
  { png: "report-03-recall.png", report: "03_ModelSelection.html", title: "Recall of injected anomalies vs false alarms" },
  { png: "report-06-limits.png", report: "06_Thresholding.html", title: "SPE: training window" },
  { png: "report-08-timeline.png", report: "08_Scoring.html", title: "Event timeline: " },
  { png: "report-08-scored.png", report: "08_Scoring.html", title: "SPE: scored by " },
] as const;

async function main(): Promise<void> {
  const reportDir = path.resolve(process.argv[2] ?? path.join(PROJECT_ROOT, "out", "report"));
  const docs = path.join(PROJECT_ROOT, "docs");
  mkdirSync(docs, { recursive: true });
  const browser = await openOfflinePage({ width: 1100, height: 900 });
  try {
    for (const shot of SHOTS) {
      await browser.page.goto(pathToFileURL(path.join(reportDir, shot.report)).href, { waitUntil: "load" });
      const chart = browser.page.locator(`.mlbox-chart[data-title^="${shot.title}"]`).first();
      await chart.locator("svg.main-svg g.cartesianlayer .trace").first().waitFor({ timeout: 60_000 });
      await chart.scrollIntoViewIfNeeded();
      const file = path.join(docs, shot.png);
      await chart.screenshot({ path: file });
      console.log(`${path.relative(PROJECT_ROOT, file)}: ${Math.round(statSync(file).size / 1024)} KB (${shot.report}, "${shot.title}…")`);
    }
    if (browser.pageErrors.length > 0) throw new Error(`page errors: ${browser.pageErrors.join("; ")}`);
  } finally {
    await browser.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
