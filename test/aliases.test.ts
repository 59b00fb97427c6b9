/**
 * Registry aliases (issue 17, promotion): the first version becomes
 * `production`, later registrations leave it, `promoteAlias` moves it and
 * records version/from/by/at; a registry made before aliases falls back to
 * `latest` with a notice and is pinned at its next registration; bad input
 * is one line and changes nothing; and the CLI's `registry promote | list |
 * show | diff` over real processes.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, describe, test } from "node:test";
import { InputError } from "../lib/core/errors";
import { loadConfig } from "../lib/shapes/config";
import { diffVersions, loadVersion, promoteAlias, readAliasFile, registerModel, resolveTag, type RegisterOptions } from "../lib/registry";
import { flatVersion } from "./support/flatVersion";
import type { Selection } from "../lib/shapes/artifacts";
import { runCli } from "./support/cli";

const AXES = ["axis1", "axis2"];
const dirs: string[] = [];
after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlbox-aliases-"));
  dirs.push(dir);
  return dir;
}

/** Everything under `dir` (names and bytes), to prove a refused command changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const stat = fs.lstatSync(full);
    out[name] = stat.isSymbolicLink() ? `link:${fs.readlinkSync(full)}` : stat.isDirectory() ? "dir" : fs.readFileSync(full, "base64");
  }
  return out;
}

const point = { minc_percentile: 80, false_alarms: 2, false_alarms_per_hour: 0.5, caught: 8, injected: 10, recall: 0.8, median_delay_seconds: 3 };
function selection(falseAlarms: number, recall: number): Selection {
  const measured = { ...point, false_alarms: falseAlarms, false_alarms_per_hour: falseAlarms / 4, recall, caught: recall * 10 };
  return {
    validation: { fraction: 0.2, seed: 1, fit_rows: 80, validation_rows: 20, validation_hours: 4, catch_seconds: 60, rounds: 1, injected: 10, injected_by_label: { spike: 10 } },
    default: { model: "linear", statistic: "residual", ...point, by_label: { spike: { caught: 8, injected: 10 } } },
    candidates: [{ model: "linear", statistic: "residual", ...measured, by_label: null, curve: [measured] }],
    chosen: { model: "linear", statistic: "residual", minc_percentile: 80, maxc_percentile: 95, reason: "test" },
    target_alarms_per_day: null,
  };
}

/** A two-axis version with lines y = 0; `minC` sets axis1's alert level. */
function version(rootDir: string, minC = 1, extra: Partial<RegisterOptions> = {}): RegisterOptions {
  return flatVersion(rootDir, { axes: AXES, minC: (axis) => (axis === "axis1" ? minC : 1), extra });
}

describe("aliases in the library", () => {
  test("the first version becomes production; later registrations leave it; promote moves it and records version/from/by/at", async () => {
    const root = tempDir();
    process.env.MLBOX_USER = "alice";
    try {
      const first = await registerModel(version(root));
      assert.equal(first.production, "v1");
      const second = await registerModel(version(root, 0.5));
      assert.equal(second.production, "v1", "registering v2 does not move production");
      assert.equal((await loadVersion(root, "production")).version, "v1");
      assert.equal((await loadVersion(root, "latest")).version, "v2");
      assert.deepEqual((await loadVersion(root, "v1")).aliases, ["production"]);
      const history0 = (await readAliasFile(root))?.aliases.production.history;
      assert.equal(history0?.length, 1);
      assert.deepEqual({ ...history0?.[0], at: "" }, { version: "v1", from: null, by: "alice", at: "", note: "first version registered" });

      process.env.MLBOX_USER = "bob";
      const at = new Date(Date.UTC(2026, 11, 3, 12, 0, 0));
      const moved = await promoteAlias(root, "v2", { at });
      assert.deepEqual(moved, { alias: "production", version: "v2", from: "v1", changed: true });
      const file = await readAliasFile(root);
      assert.equal(file?.aliases.production.version, "v2");
      assert.deepEqual(file?.aliases.production.history[1], { version: "v2", from: "v1", by: "bob", at: "2026-12-03T12:00:00.000Z" });
      assert.equal((await loadVersion(root, "production")).version, "v2");
      assert.deepEqual((await loadVersion(root, "v2")).aliases, ["production"]);
      assert.deepEqual((await loadVersion(root, "v1")).aliases, []);

      // The same promotion again changes nothing, not even the file's bytes.
      const bytes = fs.readFileSync(path.join(root, "aliases.json"), "utf8");
      assert.equal((await promoteAlias(root, "latest")).changed, false);
      assert.equal(fs.readFileSync(path.join(root, "aliases.json"), "utf8"), bytes);

      // Another alias, from an alias; then a tag resolves to it.
      const staging = await promoteAlias(root, "production", { alias: "staging" });
      assert.deepEqual(staging, { alias: "staging", version: "v2", from: null, changed: true });
      assert.deepEqual(await resolveTag(root, "staging").then((r) => [r.version, r.via]), ["v2", "alias"]);
      assert.deepEqual(fs.readdirSync(root).filter((name) => name.startsWith(".")), [], "no temporary file left");
    } finally {
      delete process.env.MLBOX_USER;
    }
  });

  test("bad input is one line and changes nothing: a missing tag, invalid alias names, an alias named like a version", async () => {
    const root = tempDir();
    await registerModel(version(root));
    await registerModel(version(root, 0.5, { versionTag: "stable" }));
    const before = snapshot(root);
    await assert.rejects(promoteAlias(root, "v9"), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^version "v9" not found in .*; available: v1, stable; aliases: production → v1$/);
      return true;
    });
    for (const bad of ["latest", "AUTO", "v3", "9lives", "with space", "a/b", "x".repeat(65), ""]) {
      await assert.rejects(promoteAlias(root, "v1", { alias: bad }), (error: unknown) => {
        assert.ok(error instanceof InputError, bad);
        assert.match(error.message, /^--alias ".*" (is reserved|is a version name|is not a valid alias name).*\(nothing was changed\)$/, bad);
        return true;
      });
    }
    await assert.rejects(promoteAlias(root, "v1", { alias: "stable" }), /--alias "stable" is the name of a version in .*: choose another alias name/);
    await assert.rejects(registerModel(version(root, 1, { versionTag: "production" })), /registry\.version_tag "production" is the name of an alias/);
    assert.deepEqual(snapshot(root), before);
  });

  test("a registry made before aliases: production stands for latest with a notice, until the next registration or promotion pins it", async () => {
    const root = tempDir();
    await registerModel(version(root));
    await registerModel(version(root, 0.5));
    fs.rmSync(path.join(root, "aliases.json")); // as registries written before aliases existed are
    const fallback = await loadVersion(root, "production");
    assert.equal(fallback.version, "v2");
    assert.match(fallback.notice ?? "", /has no aliases\.json \(made before aliases existed\): "production" stands for latest \(v2\) until you run `npm start -- registry promote <tag>`/);
    assert.equal((await loadVersion(root, "v1")).notice, null);
    await assert.rejects(loadVersion(root, "staging"), /version "staging" not found/);

    // The next registration pins production to what was served (v2), not to the new v3.
    const third = await registerModel(version(root, 0.7));
    assert.equal(third.version, "v3");
    assert.equal(third.production, "v2");
    const pinned = await loadVersion(root, "production");
    assert.deepEqual([pinned.version, pinned.notice], ["v2", null]);
    assert.match((await readAliasFile(root))?.aliases.production.history[0].note ?? "", /pinned to latest when v3 was registered/);

    // Promoting another alias in such a registry pins production to latest too.
    const other = tempDir();
    await registerModel(version(other));
    await registerModel(version(other, 0.5));
    fs.rmSync(path.join(other, "aliases.json"));
    await promoteAlias(other, "v1", { alias: "canary" });
    const file = await readAliasFile(other);
    assert.deepEqual([file?.aliases.production.version, file?.aliases.canary.version], ["v2", "v1"]);
  });

  test("a malformed aliases.json is one line naming the file and the key", async () => {
    const root = tempDir();
    await registerModel(version(root));
    const file = path.join(root, "aliases.json");
    fs.writeFileSync(file, '{"aliases": {"production": {"version": "v1"}}}');
    await assert.rejects(loadVersion(root, "production"), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.ok(error.message.startsWith(`registry file ${file}: `), error.message);
      assert.match(error.message, /production\.history/);
      return true;
    });
    fs.writeFileSync(file, "{not json");
    await assert.rejects(loadVersion(root, "production"), /aliases\.json is not valid JSON/);
  });

  test("diffVersions: thresholds per axis, metrics, statistic and selection's false alarms and recall", async () => {
    const root = tempDir();
    await registerModel(version(root, 1, { selection: selection(2, 0.8) }));
    const base = version(root, 0.5, { selection: selection(5, 0.9) });
    const ewma = { type: "ewma", alpha: 0.3 } as const;
    await registerModel({ ...base, thresholds: { ...base.thresholds, axis2: { ...base.thresholds.axis2, statistic: ewma } }, metrics: [{ axis: "axis1", r2: 0.5, mae: 0, rmse: 0 }, base.metrics[1]] });
    const diff = diffVersions(await loadVersion(root, "v1"), await loadVersion(root, "v2"));
    const rows = Object.fromEntries(diff.changed.map((row) => [row.what, `${row.a} → ${row.b}`]));
    assert.deepEqual(rows, {
      "axis1 MinC": "1 → 0.5",
      "axis2 statistic": "residual → ewma alpha=0.3",
      "axis1 r2": "1 → 0.5",
      "selection false alarms": "2 (0.5/h) → 5 (1.25/h)",
      "selection recall": "0.8 (8 of 10) → 0.9 (9 of 10)",
    });
    assert.ok(diff.same > 20);
    assert.deepEqual(diffVersions(await loadVersion(root, "v1"), await loadVersion(root, "production")).changed, []);
  });
});

describe("registry commands of the CLI", () => {
  const dir = tempDir();
  const root = path.join(dir, "registry");
  const configPath = path.join(dir, "config.yaml");
  fs.writeFileSync(configPath, "data:\n  table: t\n  axes: [axis1, axis2]\n  train_start: 0\n  train_end: 10\nregistry:\n  root_dir: registry\n");
  const cli = (args: string[]) => runCli([...args, "--config", configPath], { env: { ...process.env, MLBOX_USER: "carol" } });

  test("promote, list, show and diff; bad input exits 2 with one line and changes nothing", async () => {
    await registerModel(version(root));
    await registerModel(version(root, 0.5));

    const list = cli(["registry", "list"]);
    assert.equal(list.status, 0, list.stderr);
    assert.match(list.stdout, /ALIASES\n.*v1 .* production\n\*\s+v2 .*\d\n/);
    assert.match(list.stdout, /Aliases:\n {2}production → v1 \(since \S+Z by \S+, from none\)/);

    const diff = cli(["registry", "diff", "production", "latest"]);
    assert.equal(diff.status, 0, diff.stderr);
    assert.match(diff.stdout, /^Diff production \(v1\) → latest \(v2\)\n {2}axis1 MinC +1 → 0\.5\n {2}\(\d+ other items equal\)\n$/);

    const before = snapshot(root);
    for (const [args, message] of [
      [["registry", "promote", "v7"], /^error: version "v7" not found in .*; available: v1, v2; aliases: production → v1\n$/],
      [["registry", "promote", "v2", "--alias", "Bad Name"], /^error: --alias "Bad Name" is not a valid alias name.*\n$/],
      [["registry", "diff", "v1", "v9"], /^error: version "v9" not found in /],
      [["registry", "show", "v1", "--alias", "x"], /^error: --alias belongs to "registry promote"/],
      [["--alias", "staging"], /^error: --alias belongs to "registry promote"/],
      [["registry", "promote"], /^error: unknown command "registry promote": use /],
    ] as const) {
      const run = cli([...args]);
      assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stderr.trim().split("\n").length, 1);
    }
    assert.deepEqual(snapshot(root), before, "nothing changed");

    const promote = cli(["registry", "promote", "v2"]);
    assert.equal(promote.status, 0, promote.stderr);
    assert.match(promote.stdout, /^production: v1 → v2 \(the service and score --follow switch within seconds\)$/m);
    const show = cli(["registry", "show", "production"]);
    assert.equal(show.status, 0, show.stderr);
    assert.match(show.stdout, /^Version v2 \(latest, production\)\n/);
    assert.match(show.stdout, /History of production:\n {2}\S+Z {2}\(none\) → v1 {2}by \S+ {2}\(first version registered\)\n {2}\S+Z {2}v1 → v2 {2}by carol$/m);
    const again = cli(["registry", "promote", "v2"]);
    assert.match(again.stdout, /production already names v2: nothing changed/);
    assert.equal((await readAliasFile(root))?.aliases.production.history.length, 2);
  });

  test("serving.alias is validated like the other keys", () => {
    const bad = path.join(dir, "bad.yaml");
    fs.writeFileSync(bad, "data:\n  table: t\n  axes: [a]\n  train_start: 0\n  train_end: 10\nserving:\n  alias: v2\n");
    assert.throws(() => loadConfig(bad), /serving\.alias "v2" is a version name/);
    fs.writeFileSync(bad, "data:\n  table: t\n  axes: [a]\n  train_start: 0\n  train_end: 10\nserving:\n  alias: 7\n");
    assert.throws(() => loadConfig(bad), /serving\.alias must be an alias name such as production, got 7/);
    fs.writeFileSync(bad, "data:\n  table: t\n  axes: [a]\n  train_start: 0\n  train_end: 10\nserving:\n  alias: staging\n");
    assert.equal(loadConfig(bad).serving.alias, "staging");
    assert.equal(loadConfig(configPath).serving.alias, "production");
  });
});
