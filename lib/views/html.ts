/**
 * HTML for charts and pages, with no network access: escaping (text, JSON in
 * a `<script>`, inlined JavaScript), the chart fragment that waits for
 * plotly.js, plotly.js itself inlined, and the one page skeleton every ML Box
 * HTML page uses.
 */
import { isUtf8 } from "buffer";
import { readFileSync } from "fs";
import { CHART_SIGNIFICANT_DIGITS, type PlotlyFigure } from "./figure";

/**
 * JSON for embedding inside an HTML `<script>` element: numbers rounded to
 * {@link CHART_SIGNIFICANT_DIGITS} significant digits, non-finite numbers as
 * null, and `<`, `>`, `&`, U+2028, U+2029 escaped so no string can close the
 * script element.
 */
export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== "number") return v;
    if (!Number.isFinite(v)) return null;
    return Number.isInteger(v) ? v : Number(v.toPrecision(CHART_SIGNIFICANT_DIGITS));
  });
  return json
    .replace(/</g, "\\u003c")
    .replace(/>/g, "\\u003e")
    .replace(/&/g, "\\u0026")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

let chartCounter = 0;

/** Options of {@link chartHtml}. */
export interface ChartHtmlOptions {
  /** Element id of the chart's div; defaults to a fresh `mlbox-chart-<n>-<random>`. */
  readonly id?: string;
}

/**
 * An HTML fragment drawing `figure`: a `<div class="mlbox-chart">` and a
 * script that calls `Plotly.newPlot` once `window.Plotly` exists and the div
 * is attached to the page (it retries for up to a minute, so the order in
 * which a frontend renders outputs does not matter). plotly.js itself is not
 * included: see {@link plotlyScriptHtml}.
 *
 * @param figure the figure to draw
 * @param options `id` (default: a fresh unique id)
 */
export function chartHtml(figure: PlotlyFigure, options: ChartHtmlOptions = {}): string {
  const { id = `mlbox-chart-${++chartCounter}-${Math.random().toString(36).slice(2, 10)}` } = options;
  const title = figure.layout.title.text;
  const drawScript =
    `(function(){var id=${jsonForScript(id)};var fig=${jsonForScript(figure)};` +
    `var host=document.currentScript&&document.currentScript.parentNode;var tries=0;` +
    `function find(){var el=host&&host.querySelector?host.querySelector('[id="'+id+'"]'):null;return el||document.getElementById(id);}` +
    `function draw(){var el=find();` +
    `if(el&&el.isConnected&&window.Plotly&&window.Plotly.newPlot){` +
    `window.Plotly.newPlot(el,fig.data,fig.layout,{responsive:true,displaylogo:false});return;}` +
    `if(++tries>600){if(el){el.textContent="plotly.js was not loaded: re-run the notebook from the top (the first chart loads it).";}return;}` +
    `setTimeout(draw,100);}draw();})();`;
  return (
    `<div class="mlbox-chart" id="${escapeHtml(id)}" data-title="${escapeHtml(title)}" ` +
    `style="width:100%;min-width:480px;height:${figure.layout.height}px"></div>\n` +
    `<script type="text/javascript">${drawScript}</script>`
  );
}

let plotlySource: string | undefined;
const PLOTLY_SCRIPT_OPEN = '<script type="text/javascript" data-mlbox="plotly.js">';

/** Absolute path of `plotly.min.js` from the `plotly.js-dist-min` package. */
export function plotlyLibraryPath(): string {
  return require.resolve("plotly.js-dist-min/plotly.min.js");
}

/**
 * Makes a JavaScript source safe to inline in an HTML `<script>` element
 * without changing its meaning: `</script` becomes `<\/script`, `<script`
 * becomes `<\x73cript` and `<!--` becomes `<\x21--` (escapes that mean the
 * same inside strings and regular expressions, where such text occurs).
 */
export function inlineScriptSafe(source: string): string {
  return source
    .replace(/<\/(script)/gi, "<\\/$1")
    .replace(/<(script)/gi, (_m, word: string) => `<\\x${word.charCodeAt(0).toString(16)}${word.slice(1)}`)
    .replace(/<!--/g, "<\\x21--");
}

/**
 * {@link inlineScriptSafe} on UTF-8 bytes, without decoding them: the same bytes as
 * `Buffer.from(inlineScriptSafe(source.toString("utf8")))` for valid UTF-8 (the escapes
 * are ASCII, and no byte of a multi-byte character is ASCII).
 */
export function inlineScriptSafeBytes(source: Uint8Array): Buffer {
  const LT = 0x3c;
  const pieces: Buffer[] = [];
  const bytes = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  const isScript = (at: number): boolean => bytes.length - at >= 6 && bytes.toString("latin1", at, at + 6).toLowerCase() === "script";
  let copied = 0;
  for (let at = bytes.indexOf(LT); at !== -1; at = bytes.indexOf(LT, at + 1)) {
    let escape: string | undefined;
    let skipped = 0;
    if (bytes[at + 1] === 0x2f && isScript(at + 2)) escape = "\\";
    else if (isScript(at + 1)) [escape, skipped] = [`\\x${bytes[at + 1].toString(16)}`, 1];
    else if (bytes[at + 1] === 0x21 && bytes[at + 2] === 0x2d && bytes[at + 3] === 0x2d) [escape, skipped] = ["\\x21", 1];
    if (escape === undefined) continue;
    pieces.push(bytes.subarray(copied, at + 1), Buffer.from(escape, "latin1"));
    copied = at + 1 + skipped;
  }
  pieces.push(bytes.subarray(copied));
  return Buffer.concat(pieces);
}

/**
 * A `<script>` element holding the whole plotly.js library (from
 * `plotly.js-dist-min`), made inline-safe. Include it once per page or
 * notebook, before or after the charts ({@link chartHtml} waits for it).
 */
export function plotlyScriptHtml(): string {
  plotlySource ??= inlineScriptSafe(readFileSync(plotlyLibraryPath(), "utf8"));
  return `${PLOTLY_SCRIPT_OPEN}${plotlySource}</script>`;
}

/** What goes into a page's `<head>` after its title, and into its `<body>`: trusted HTML, one line each. */
export interface HtmlPageParts {
  readonly head: readonly string[];
  readonly body: readonly string[];
}

/**
 * A complete HTML page: doctype, `lang="en"`, UTF-8, the escaped `title`,
 * then `head` and `body` lines as given (trusted HTML), ending in a newline.
 *
 * @example
 * htmlPage("Report", { head: ["<style>body{margin:16px}</style>"], body: ["<p>hello</p>"] });
 */
export function htmlPage(title: string, { head, body }: HtmlPageParts): string {
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title>`,
    ...head,
    "</head>",
    "<body>",
    ...body,
    "</body>",
    "</html>",
    "",
  ].join("\n");
}

/** Where {@link chartPageParts} puts plotly.js: a `<` never survives the escaped title before it. */
const PLOTLY_SLOT = "<mlbox-plotly-slot>";
const CHART_PAGE_STYLE = "<style>body{font-family:sans-serif;margin:16px}</style>";
let plotlyScriptBytes: Buffer | undefined;

/** {@link plotlyScriptHtml} as UTF-8 bytes, made from the file's bytes (decoding and re-encoding 4.8 MB cost ~25 ms per thread). */
function plotlyScriptElementBytes(): Buffer {
  const library = readFileSync(plotlyLibraryPath());
  // Not UTF-8 (never in the package): the string path, which replaces what does not decode.
  if (!isUtf8(library)) return Buffer.from(plotlyScriptHtml(), "utf8");
  return Buffer.concat([Buffer.from(PLOTLY_SCRIPT_OPEN, "latin1"), inlineScriptSafeBytes(library), Buffer.from("</script>", "latin1")]);
}

/**
 * The UTF-8 bytes of {@link chartPageHtml}`(title, figures)` in three parts, the middle one the
 * inlined plotly.js encoded once per process: a chart file is then written without building
 * and encoding a 5 MB string per page (some 20 ms each).
 */
export function chartPageParts(title: string, figures: readonly PlotlyFigure[]): readonly Uint8Array[] {
  const page = htmlPage(title, { head: [PLOTLY_SLOT, CHART_PAGE_STYLE], body: figures.map((f) => chartHtml(f)) });
  const at = page.indexOf(PLOTLY_SLOT);
  plotlyScriptBytes ??= plotlyScriptElementBytes();
  return [Buffer.from(page.slice(0, at), "utf8"), plotlyScriptBytes, Buffer.from(page.slice(at + PLOTLY_SLOT.length), "utf8")];
}

/**
 * A complete HTML page showing `figures`: plotly.js inlined (the page works alone, e.g. mailed), or
 * loaded from `plotlySrc` (a relative URL) when given.
 */
export function chartPageHtml(title: string, figures: readonly PlotlyFigure[], plotlySrc?: string): string {
  return htmlPage(title, {
    head: [plotlySrc === undefined ? plotlyScriptHtml() : `<script src="${escapeHtml(plotlySrc)}"></script>`, CHART_PAGE_STYLE],
    body: figures.map((f) => chartHtml(f)),
  });
}
