/**
 * Loads a CommonJS file (the CLI's bundle) as `require` would, but through
 * V8's code cache kept beside it (`<file>.v8cache`): compiling the 1.5 MB
 * bundle takes some 30 ms of every start, reading its cached code about 10.
 * The cache is written once, when the process exits after a load that had
 * none (or a stale one), so it also holds the functions that run compiled.
 * It starts with the SHA-1 of the source it was made from (V8 itself checks
 * only the source's length), so a rebuilt bundle never runs stale code; an
 * unreadable or rejected cache only costs the compile.
 */
"use strict";
const crypto = require("crypto");
const fs = require("fs");
const Module = require("module");
const path = require("path");
const vm = require("vm");

const HASH_BYTES = 20;

/** The exports of `file`, compiled from its code cache when that matches its source. */
function requireCached(file) {
  const source = fs.readFileSync(file, "utf8");
  const hash = crypto.createHash("sha1").update(source).digest();
  const cacheFile = `${file}.v8cache`;
  let cachedData;
  try {
    const cache = fs.readFileSync(cacheFile);
    if (cache.length > HASH_BYTES && cache.subarray(0, HASH_BYTES).equals(hash)) cachedData = cache.subarray(HASH_BYTES);
  } catch {
    // no cache yet: compiled from source, cached at exit
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  if (cachedData === undefined || script.cachedDataRejected) process.once("exit", () => writeCache(cacheFile, hash, script));
  const module = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext()(module.exports, Module.createRequire(file), module, file, path.dirname(file));
  module.loaded = true;
  return module.exports;
}

/** Writes the cache through a temporary file renamed into place, so a concurrent start never reads half of one. */
function writeCache(cacheFile, hash, script) {
  const temporary = `${cacheFile}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, Buffer.concat([hash, script.createCachedData()]));
    fs.renameSync(temporary, cacheFile);
  } catch {
    // a read-only install: every start compiles, as without the cache
    fs.rmSync(temporary, { force: true });
  }
}

module.exports = { requireCached };
