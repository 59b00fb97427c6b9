/**
 * Issue 16, finding 9 (the CLI's part), on a real PostgreSQL server and real
 * small or read-only file systems (tmpfs, mounted here as root): a huge table
 * name is not echoed back whole; a read-only plots folder is named, not the
 * package's `plotly.min.js`; a registry disk that fills after the probe
 * names the file and exits 2; a `latest` folder someone made is refused and
 * kept, nothing registered.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { runCli } from "./support/cli";
import { sharedPostgres } from "./support/postgres";

const work = mkdtempSync(join(tmpdir(), "mlbox-file-faults-"));
const mounts: string[] = [];
let url: string;

after(() => {
  for (const dir of mounts) spawnSync("umount", [dir]);
  rmSync(work, { recursive: true, force: true });
});

/** A fresh tmpfs of `size` at a new folder (`ro` for read-only). */
function mountTmpfs(name: string, options: string): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const run = spawnSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { encoding: "utf8" });
  assert.equal(run.status, 0, `mount tmpfs (needs root): ${run.stderr}`);
  mounts.push(dir);
  return dir;
}

before(async () => {
  url = (await sharedPostgres()).url;
  const client = new pg.Client(url);
  await client.connect();
  await client.query("drop table if exists files_feed");
  await client.query("create table files_feed (ts double precision, a double precision, b double precision)");
  const values = Array.from({ length: 200 }, (_, t) => `(${t}, ${0.01 * t + Math.sin(t)}, ${5 - 0.002 * t + Math.cos(3 * t)})`);
  await client.query(`insert into files_feed values ${values.join(", ")}`);
  await client.end();
});

function config(name: string, options: { table?: string; registry?: string; plots?: string } = {}): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(
    path,
    `database:\n  url_env: FILES_DB_URL\ndata:\n  table: ${options.table ?? "files_feed"}\n  axes: [a, b]\n  train_start: 0\n  train_end: 200\n` +
      `registry:\n  root_dir: ${options.registry ?? join(work, name, "registry")}\n` +
      (options.plots === undefined ? "plots:\n  enabled: false\n" : `plots:\n  enabled: true\n  dir: ${options.plots}\n`),
  );
  return path;
}

const train = (path: string) => runCli(["--config", path, "--quiet"], { env: { ...process.env, FILES_DB_URL: url } });

test("a 5 MB table name is not echoed back whole: exit 2, one short line", () => {
  const run = train(config("huge-name", { table: "t".repeat(5_000_000) }));
  assert.equal(run.status, 2, run.stderr.slice(0, 300));
  assert.equal(run.stderr.trim().split("\n").length, 1);
  assert.ok(run.stderr.length < 1200, `stderr is ${run.stderr.length} characters`);
  assert.match(run.stderr, /characters cut/);
});

test("a read-only plots folder is named (the destination), not the package's plotly.min.js", () => {
  const plots = mountTmpfs("plots-ro", "ro,size=64k");
  const run = train(config("plots-ro", { plots, registry: join(work, "plots-ro-registry") }));
  assert.equal(run.status, 2, run.stderr);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(run.stderr, new RegExp(`"${plots.replace(/[/.]/g, "\\$&")}/[^"]*" is on a read-only file system`));
  assert.doesNotMatch(run.stderr, /node_modules/);
});

test("a registry disk that fills after the probe: exit 2 naming the file, no temp folder left, nothing registered", () => {
  const registry = mountTmpfs("registry-full", "size=64k");
  const free = statfsSync(registry);
  // Room for the probe and the lock, not for the artifacts.
  writeFileSync(join(registry, "filler"), Buffer.alloc(Math.max(0, free.bavail * free.bsize - 6 * 1024)));
  const run = train(config("registry-full", { registry }));
  assert.equal(run.status, 2, run.stderr);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(run.stderr, new RegExp(`no space left on the device holding "${registry.replace(/[/.]/g, "\\$&")}/`));
  assert.deepEqual(readdirSync(registry).filter((name) => name !== "filler" && !name.endsWith(".lock")), []);
});

test("a `latest` folder someone made is refused with one line and kept; nothing registered", () => {
  const registry = join(work, "user-latest", "registry");
  mkdirSync(join(registry, "latest"), { recursive: true });
  writeFileSync(join(registry, "latest", "notes.txt"), "mine\n");
  const run = train(config("user-latest", { registry }));
  assert.equal(run.status, 2, run.stderr);
  assert.equal(run.stderr.trim().split("\n").length, 1, run.stderr);
  assert.match(run.stderr, /registry\/latest" is a folder without LATEST_VERSION: ML Box did not make it/);
  assert.ok(existsSync(join(registry, "latest", "notes.txt")), "the folder is kept");
  assert.deepEqual(readdirSync(registry).filter((name) => /^v\d+$/.test(name)), []);
});
