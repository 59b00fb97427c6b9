/**
 * The CLI's precompiled bundle, `dist/cli.js`: cli/main.ts and the lib/ files it
 * imports, compiled and bundled by esbuild so that starting the CLI transpiles
 * no TypeScript. npm packages stay outside the bundle (`packages: "external"`)
 * and load from node_modules when a command first needs them.
 *
 * `node cli/bundle.js` builds it (npm's `prepare`, run by `npm install`);
 * cli/start.js rebuilds it when it is stale.
 */
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..");
const BUNDLE = path.join(ROOT, "dist", "cli.js");

/** Newest modification time (ms) of `dir` and everything under it (a deleted file changes its folder's time). */
function newestChange(dir) {
  let newest = fs.statSync(dir).mtimeMs;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestChange(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

/** True when the bundle is missing or older than a file under cli/ or lib/ (or tsconfig.json, which esbuild reads). */
function isStale() {
  let built;
  try {
    built = fs.statSync(BUNDLE).mtimeMs;
  } catch {
    return true;
  }
  const sources = [path.join(ROOT, "cli"), path.join(ROOT, "lib")].map(newestChange);
  return Math.max(fs.statSync(path.join(ROOT, "tsconfig.json")).mtimeMs, ...sources) > built;
}

/** Builds the bundle into a temporary file and renames it into place, so a concurrent start never loads half of it. */
function build() {
  const temporary = `${BUNDLE}.${process.pid}.tmp`;
  require("esbuild").buildSync({
    entryPoints: [path.join(ROOT, "cli", "main.ts")],
    outfile: temporary,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  });
  fs.renameSync(temporary, BUNDLE);
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

module.exports = { BUNDLE, isStale, buildOrExit };

if (require.main === module) buildOrExit();
