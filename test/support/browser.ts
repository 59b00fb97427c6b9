/**
 * Headless Chromium (Debian's /usr/bin/chromium) through playwright-core,
 * with a fresh profile and the network cut off: every request that is not
 * allowed (file: URLs, data: URLs, and optionally one local origin) is
 * aborted and recorded.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";

/** The little of the DOM that in-page checks use (the project compiles without lib "dom"). */
export interface PageElement {
  readonly dataset: Readonly<Record<string, string | undefined>>;
  readonly textContent: string | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  getBoundingClientRect(): { readonly width: number; readonly height: number };
}

/** The page's `document`, as far as the in-page checks use it. */
export interface PageDocument {
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
}

declare const document: PageDocument;

/** Path of the Chromium binary; override with `MLBOX_CHROMIUM`. */
export const CHROMIUM = process.env.MLBOX_CHROMIUM ?? "/usr/bin/chromium";

/** A browser page with the network off, and what happened on it. */
export interface OfflinePage {
  readonly page: Page;
  /** Uncaught exceptions in the page. */
  readonly pageErrors: string[];
  /** `console.error` messages. */
  readonly consoleErrors: string[];
  /** Requests that were blocked (anything off-limits). */
  readonly blocked: string[];
  close(): Promise<void>;
}

/**
 * Opens a page in a fresh headless Chromium profile. Requests to `file:` and
 * `data:` URLs, and to `allowOrigin` when given (e.g. `http://127.0.0.1:8888`),
 * go through; every other request is aborted and listed in `blocked`.
 */
export async function openOfflinePage(options: { readonly allowOrigin?: string; readonly width?: number; readonly height?: number } = {}): Promise<OfflinePage> {
  const { allowOrigin, width = 1280, height = 900 } = options;
  const profile = mkdtempSync(path.join(tmpdir(), "mlbox-chromium-"));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
      viewport: { width, height },
    });
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
  const blocked: string[] = [];
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:") || url.startsWith("data:") || (allowOrigin !== undefined && url.startsWith(`${allowOrigin}/`))) {
      return route.continue();
    }
    blocked.push(url);
    return route.abort("internetdisconnected");
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  return {
    page,
    pageErrors,
    consoleErrors,
    blocked,
    close: async () => {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** What a drawn plotly chart looks like in the page. */
export interface DrawnChart {
  readonly title: string;
  /** `svg.main-svg` elements plotly created inside the chart's div. */
  readonly svgs: number;
  /** Drawn marks: scatter points, line paths, bars and heatmap images. */
  readonly marks: number;
  readonly width: number;
  readonly height: number;
}

/** Every `.mlbox-chart` of the page with what plotly drew into it. */
export function drawnCharts(page: Page): Promise<DrawnChart[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll(".mlbox-chart")).map((el) => {
      const svg = el.querySelector("svg.main-svg");
      const box = svg?.getBoundingClientRect();
      return {
        title: el.dataset.title ?? "",
        svgs: el.querySelectorAll("svg.main-svg").length,
        marks: el.querySelectorAll("path.point, path.js-line, g.point path, .trace.bars path, g.hm image").length,
        width: box?.width ?? 0,
        height: box?.height ?? 0,
      };
    }),
  );
}
