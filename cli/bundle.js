/**
 * The CLI's precompiled bundle, `dist/cli.js`: cli/main.ts and the lib/ files it
 * imports, compiled and bundled by esbuild so that starting the CLI transpiles
 * no TypeScript. The npm packages every run needs (pg, kysely, zod, js-yaml…)
 * are compiled in; the others stay outside (EXTERNAL) and load from
 * node_modules when a command first needs them.
 *
 * `node cli/bundle.js` builds it (npm's `prepare`, run by `npm install`);
 * cli/start.js rebuilds it when it is stale.
 */
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..");
const BUNDLE = path.join(ROOT, "dist", "cli.js");
const WORKER = path.join(ROOT, "dist", "axisWorker.js");

/** npm packages left out of the bundles (loaded from node_modules when first needed). */
const EXTERNAL = [
  "@electric-sql/pglite",
  "danfojs-node",
  "esbuild",
  "fastify",
  "pg-native",
  "plotly.js-dist-min",
  "prom-client",
  "proper-lockfile",
  "simple-statistics",
  "tslab",
  "tsx",
];

/** Newest modification time (ms) of `dir` and everything under it (a deleted file changes its folder's time). */
function newestChange(dir) {
  let newest = fs.statSync(dir).mtimeMs;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** True when the bundle (or its worker) is missing or older than a file under cli/ or lib/ (or tsconfig.json, which esbuild reads). */
function isStale() {
  let built;
  try {
    built = Math.min(fs.statSync(BUNDLE).mtimeMs, fs.statSync(WORKER).mtimeMs);
  } catch {
    return true;
  }
  const sources = [path.join(ROOT, "cli"), path.join(ROOT, "lib")].map(newestChange);
  return Math.max(fs.statSync(path.join(ROOT, "tsconfig.json")).mtimeMs, ...sources) > built;
}

/**
 * Builds the bundle, and beside it `dist/axisWorker.js` (the entry of the
 * pipeline's axis worker threads, see lib/pipeline/axisThreads.ts), each into a
 * temporary file renamed into place, so a concurrent start never loads half
 * of one. The worker comes first: a bundle never finds a stale worker beside it.
 */
function build() {
  buildFile(path.join(ROOT, "lib", "pipeline", "axisWorker.ts"), WORKER);
  buildFile(path.join(ROOT, "cli", "main.ts"), BUNDLE);
}

/** Bundles `entry` into `outfile` as the CLI is bundled (also used by the benchmark for its own entry). */
function buildFile(entry, outfile) {
  const temporary = `${outfile}.${process.pid}.tmp`;
  const { outputFiles } = require("esbuild").buildSync({
    entryPoints: [entry],
    outfile: temporary,
    write: false,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    // The packages every run loads are compiled in (one file parses far faster than hundreds resolved one by one);
    // the rest stay in node_modules: large ones loaded lazily, and PGlite and plotly.js, which read files beside them.
    external: EXTERNAL,
    logLevel: "warning",
  });
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  fs.writeFileSync(temporary, withoutCloudflareProbe(outputFiles[0].text));
  fs.renameSync(temporary, outfile);
}

/**
 * pg's lib/stream.js asks, when it loads, whether it runs in a Cloudflare Worker by
 * constructing a `Response`, which makes Node 20 compile its built-in fetch (undici):
 * some 40 ms of every start. The bundles run on Node only, so the probe is skipped
 * (esbuild's buildSync takes no plugins, hence the edit of its output). Another pg
 * version without that call is left as it is.
 */
function withoutCloudflareProbe(code) {
  return code.replace(/\bif \(isCloudflareRuntime\d*\(\)\) \{/, "if (false) {");
}

/** {@link build}, or exit 1 with one line after esbuild's own report of what is wrong. */
function buildOrExit() {
  try {
    build();
  } catch {
    console.error("error: the CLI bundle could not be built from cli/ and lib/ (see above)");
    process.exit(1);
  }
}

module.exports = { BUNDLE, isStale, buildOrExit, buildFile };

if (require.main === module) buildOrExit();
