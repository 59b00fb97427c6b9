import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as readline from "node:readline";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import * as yaml from "js-yaml";
import { InputError } from "../lib/core/errors";
import {
  assertRegistryWritable,
  assertVersionFree,
  fingerprintColumns,
  gitCommit,
  listVersions,
  loadVersion,
  packageVersion,
  registerModel,
  validateVersionTag,
  type RegisterOptions,
  type StoreFileSystem,
} from "../lib/registry";
import { formatVersion, formatVersionList } from "../cli/registryFormat";
import type { AxisMetrics, AxisThresholds, LinearModel, ThresholdPolicy } from "../lib/shapes/types";
import { DEFAULT_THRESHOLD_POLICY } from "../lib/shapes/config";

const execFileAsync = promisify(execFile);
const repoRoot = path.resolve(__dirname, "..");
const tempRoots: string[] = [];

after(() => {
  for (const dir of tempRoots) fs.rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mlbox-registry-"));
  tempRoots.push(dir);
  return dir;
}

const policy: ThresholdPolicy = DEFAULT_THRESHOLD_POLICY;

/** Floats that a lossy writer would break: non-shortest decimals, extremes, -0 and non-finite values. */
const AXES = ["axis1", "axis2", 'odd "axis", name'] as const;

function thresholdsFor(axis: string, i: number): AxisThresholds {
  const values: readonly number[][] = [
    [0.1 + 0.2, 1 / 3, 12, 3, 0.1],
    [NaN, Infinity, 1, 1, 5e-324], // sustain steps are at least 1 (lib/shapes/artifactBounds.ts)
    [-0, -Infinity, 7, 1, 1.7976931348623157e308],
  ];
  const [MinC, MaxC, T_long_steps, T_short_steps, dt_seconds] = values[i];
  return { MinC, MaxC, T_long_steps, T_short_steps, dt_seconds, policy, meta: { method: i === 1 ? "NaN" : `trimmed-${axis}` } };
}

function sampleOptions(rootDir: string, overrides: Partial<RegisterOptions> = {}): RegisterOptions {
  const metrics: AxisMetrics[] = [
    { axis: AXES[0], r2: 0.9999999999999999, mae: 2.220446049250313e-16, rmse: 123456789.12345679 },
    { axis: AXES[1], r2: NaN, mae: 1e21, rmse: 1e-7 },
    { axis: AXES[2], r2: -Infinity, mae: -0, rmse: Infinity },
  ];
  return {
    rootDir,
    versionTag: "auto",
    models: {
      type: "linear",
      models: [
        { axis: AXES[0], coef: 0.1 + 0.2, intercept: -1.2345678901234567e-300, samples_used: 1000 },
        { axis: AXES[1], coef: NaN, intercept: NaN, samples_used: 0 },
        { axis: AXES[2], coef: -0, intercept: 4503599627370497, samples_used: 3 },
      ],
    },
    prepStats: { time0: 1756684801.881, time_col: "ts", time_type: "timestamptz", dt_seconds: 0.1 + 0.2, interpolate: false },
    thresholds: Object.fromEntries(AXES.map((axis, i) => [axis, thresholdsFor(axis, i)])),
    metrics,
    meta: {
      data: {
        table: "stream_samples_wide",
        schema: "public",
        time_col: "ts",
        time_type: "timestamptz",
        layout: "wide",
        axes: [...AXES],
        train_start: "2025-09-01T00:00:00Z",
        train_end: "2025-09-01T01:00:00Z",
      },
      prep: { interpolate: false },
      rows: { raw: 36000, train: 35990 },
      lineage: {
        config_path: "/srv/mlbox/config.yaml",
        config_sha256: "a".repeat(64),
        data_fingerprint: "b".repeat(64),
        database: "postgres://ml@db.example:5432/sensors",
        package_version: "9.9.9",
        git_commit: null,
      },
    },
    savedAt: new Date(Date.UTC(2025, 8, 1, 12, 0, 0, 123)),
    ...overrides,
  };
}

/** Everything under `dir` (names, symlink targets, file bytes), to prove that a failed call changed nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (current: string): void => {
    for (const name of fs.readdirSync(current).sort()) {
      const full = path.join(current, name);
      const rel = path.relative(dir, full);
      const stat = fs.lstatSync(full);
      if (stat.isSymbolicLink()) out[rel] = `link:${fs.readlinkSync(full)}`;
      else if (stat.isDirectory()) {
        out[rel] = "dir";
        walk(full);
      } else out[rel] = `file:${fs.readFileSync(full, "base64")}`;
    }
  };
  walk(dir);
  return out;
}

function hiddenEntries(root: string): string[] {
  return fs.readdirSync(root).filter((name) => name.startsWith("."));
}

const ARTIFACTS = ["meta.yaml", "metrics.csv", "models.json", "prep_stats.json", "thresholds.json"];

describe("registerModel + loadVersion", () => {
  test("round-trips every artifact bit-exact, NaN, ±Infinity and -0 included", async () => {
    const root = path.join(tempDir(), "nested", "artifacts");
    const options = sampleOptions(root, { versionTag: "exp-1.a_b" });
    const registered = await registerModel(options);
    assert.equal(registered.version, "exp-1.a_b");
    assert.equal(registered.dir, path.join(root, "exp-1.a_b"));
    assert.deepEqual(fs.readdirSync(registered.dir).sort(), ARTIFACTS);

    const loaded = await loadVersion(root, "exp-1.a_b");
    assert.equal(loaded.version, "exp-1.a_b");
    assert.equal(loaded.isLatest, true);
    assert.deepStrictEqual(loaded.models, options.models);
    assert.deepStrictEqual(loaded.prepStats, options.prepStats);
    assert.deepStrictEqual(loaded.thresholds, options.thresholds);
    assert.deepStrictEqual(loaded.metrics, options.metrics);
    assert.deepStrictEqual(Object.keys(loaded.thresholds), [...AXES]);
    assert.ok(Object.is((loaded.models.models[2] as LinearModel).coef, -0));
    assert.ok(Object.is(loaded.metrics[2].mae, -0));
    assert.deepStrictEqual(loaded.meta, {
      model: { type: "linear" },
      data: { ...options.meta.data },
      prep: { interpolate: false },
      rows: { raw: 36000, train: 35990 },
      saved_at: "2025-09-01T12:00:00.123Z",
      lineage: {
        config_path: "/srv/mlbox/config.yaml",
        config_sha256: "a".repeat(64),
        data_fingerprint: "b".repeat(64),
        package_version: "9.9.9",
        git_commit: null,
        database: "postgres://ml@db.example:5432/sensors",
      },
    });
    assert.deepStrictEqual(loaded.meta, registered.meta);
  });

  test("writes the documented file formats", async () => {
    const root = tempDir();
    const { dir } = await registerModel(sampleOptions(root));
    const models = fs.readFileSync(path.join(dir, "models.json"), "utf8");
    assert.ok(models.startsWith('{\n  "model_type": "linear",\n  "axes": {\n    "axis1": {\n      "coef": 0.30000000000000004,'), models);
    assert.match(models, /"coef": "NaN"/);
    assert.match(models, /"coef": -0,/);
    assert.ok(models.endsWith("}\n"));
    assert.deepEqual(Object.keys(JSON.parse(models).axes), [...AXES]);

    const thresholds = JSON.parse(fs.readFileSync(path.join(dir, "thresholds.json"), "utf8"));
    assert.equal(thresholds.axis2.MinC, "NaN");
    assert.equal(thresholds.axis2.MaxC, "Infinity");
    assert.equal(thresholds[AXES[2]].MaxC, "-Infinity");
    assert.equal(thresholds.axis2.meta.method, "NaN");
    assert.deepEqual(Object.keys(thresholds.axis1.policy), Object.keys(policy));
    assert.deepEqual(Object.keys(thresholds.axis1), ["MinC", "MaxC", "T_long_steps", "T_short_steps", "dt_seconds", "policy", "meta"]);

    const prep = JSON.parse(fs.readFileSync(path.join(dir, "prep_stats.json"), "utf8"));
    assert.deepEqual(Object.keys(prep), ["time0", "time_col", "time_type", "dt_seconds", "interpolate"]);

    assert.equal(
      fs.readFileSync(path.join(dir, "metrics.csv"), "utf8"),
      [
        "axis,r2,mae,rmse",
        "axis1,0.9999999999999999,2.220446049250313e-16,123456789.12345679",
        "axis2,NaN,1e+21,1e-7",
        '"odd ""axis"", name",-Infinity,-0,Infinity',
        "",
      ].join("\n"),
    );

    const metaText = fs.readFileSync(path.join(dir, "meta.yaml"), "utf8");
    const meta = yaml.load(metaText) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(meta), ["model", "data", "prep", "rows", "saved_at", "lineage"]);
    assert.equal(meta.saved_at, "2025-09-01T12:00:00.123Z");
    assert.equal(meta.data.train_start, "2025-09-01T00:00:00Z");
    assert.deepEqual(Object.keys(meta.lineage), [
      "config_path",
      "config_sha256",
      "data_fingerprint",
      "package_version",
      "git_commit",
      "database",
    ]);
    assert.equal(meta.lineage.git_commit, null);
    assert.ok(!("axis_id_col" in meta.data), "absent optional keys are not written");
  });

  test("fills package_version and git_commit, strips a password from the database", async () => {
    const root = tempDir();
    const base = sampleOptions(root);
    const { package_version: _p, git_commit: _g, ...lineage } = base.meta.lineage;
    const registered = await registerModel({
      ...base,
      meta: { ...base.meta, lineage: { ...lineage, database: "postgresql://ml:s3cr%40t@db:5432/x?sslmode=require&password=two" } },
    });
    const { meta } = await loadVersion(root, registered.version);
    assert.equal(meta.lineage.package_version, JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).version);
    assert.equal(meta.lineage.git_commit, gitCommit(repoRoot));
    assert.equal(meta.lineage.database, "postgresql://ml@db:5432/x?sslmode=require");
    assert.doesNotMatch(fs.readFileSync(path.join(registered.dir, "meta.yaml"), "utf8"), /s3cr|two/);
  });

  test("LONG metadata keeps axis ids and optional columns; float windows stay numbers", async () => {
    const root = tempDir();
    const base = sampleOptions(root);
    await registerModel({
      ...base,
      meta: {
        ...base.meta,
        data: {
          table: "stream_samples",
          time_col: "t",
          time_type: "float",
          layout: "long",
          axes: [1, 2, 3],
          train_start: 0.5,
          train_end: 1e21,
          axis_id_col: "axis_id",
          value_col: "value",
        },
      },
    });
    const { meta } = await loadVersion(root, "latest");
    assert.deepStrictEqual(meta.data, {
      table: "stream_samples",
      time_col: "t",
      time_type: "float",
      layout: "long",
      axes: [1, 2, 3],
      train_start: 0.5,
      train_end: 1e21,
      axis_id_col: "axis_id",
      value_col: "value",
    });
  });

  test("prep.resample_seconds (meta.yaml) and resample_seconds (prep_stats.json): a number > 0 or null, absent in older versions", async () => {
    const root = tempDir();
    const base = sampleOptions(root);
    for (const resample_seconds of [30, null]) {
      const registered = await registerModel({
        ...base,
        prepStats: { ...base.prepStats, resample_seconds },
        meta: { ...base.meta, prep: { interpolate: false, resample_seconds } },
      });
      const loaded = await loadVersion(root, registered.version);
      assert.deepStrictEqual(loaded.meta.prep, { interpolate: false, resample_seconds });
      assert.equal(loaded.prepStats.resample_seconds, resample_seconds);
    }
    const old = await registerModel(base); // as versions written before the key existed
    assert.equal("resample_seconds" in (await loadVersion(root, old.version)).meta.prep, false);
    const metaFile = path.join(old.dir, "meta.yaml");
    fs.writeFileSync(metaFile, fs.readFileSync(metaFile, "utf8").replace("interpolate: false", "interpolate: false\n  resample_seconds: -1"));
    await assert.rejects(loadVersion(root, old.version), {
      name: "InputError",
      message: `registry file ${metaFile}: prep.resample_seconds must be greater than 0, got -1`,
    });
  });

  test("rejects models, thresholds and metrics that disagree on the axes before touching the disk", async () => {
    const root = path.join(tempDir(), "never-created");
    const base = sampleOptions(root);
    await assert.rejects(
      registerModel({ ...base, metrics: base.metrics.slice(1) }),
      /metrics axes \[axis2, odd "axis", name\] differ from model axes/,
    );
    const { axis1: _dropped, ...thresholds } = base.thresholds;
    await assert.rejects(registerModel({ ...base, thresholds }), /thresholds axes .* differ from model axes/);
    assert.equal(fs.existsSync(root), false);
  });
});

describe("version tags", () => {
  test("auto numbers v1, v2, v3 and ignores names that are not vN", async () => {
    const root = tempDir();
    for (const junk of ["v7-old", "vx", "V9", "version10", ".v12"]) fs.mkdirSync(path.join(root, junk));
    fs.writeFileSync(path.join(root, "notes.txt"), "hello");
    const tags: string[] = [];
    for (let i = 0; i < 3; i++) tags.push((await registerModel(sampleOptions(root))).version);
    assert.deepEqual(tags, ["v1", "v2", "v3"]);
    await registerModel(sampleOptions(root, { versionTag: "v40" }));
    assert.equal((await registerModel(sampleOptions(root))).version, "v41");
    assert.equal(fs.readFileSync(path.join(root, "notes.txt"), "utf8"), "hello");
    assert.deepEqual(hiddenEntries(root), [".v12"]);
  });

  test("a fixed tag that exists is an InputError and leaves the registry untouched", async () => {
    const root = tempDir();
    await registerModel(sampleOptions(root, { versionTag: "v3" }));
    await registerModel(sampleOptions(root, { versionTag: "prod" }));
    const before = snapshot(root);
    const expected = `version "v3" already exists in ${root}: choose another registry.version_tag or use auto`;
    await assert.rejects(registerModel(sampleOptions(root, { versionTag: "v3" })), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.equal(error.message, expected);
      return true;
    });
    await assert.rejects(assertVersionFree(root, "v3"), { name: "InputError", message: expected });
    assert.deepEqual(snapshot(root), before);
    await assertVersionFree(root, "v4");
    await assertVersionFree(root, "auto");
    await assertVersionFree(path.join(root, "missing"), "v3");
  });

  test("invalid fixed tags are InputErrors naming the key", async () => {
    const root = tempDir();
    for (const tag of ["latest", "LATEST", ".hidden", "a/b", "..", "", "with space", "x".repeat(129), "AUTO"]) {
      assert.throws(() => validateVersionTag(tag), InputError, tag);
      await assert.rejects(registerModel(sampleOptions(root, { versionTag: tag })), /registry\.version_tag/);
    }
    validateVersionTag("Release_2025.09-rc1");
    assert.deepEqual(fs.readdirSync(root), []);
  });
});

describe("latest", () => {
  test("is a relative symlink to the most recently registered version", async () => {
    const root = tempDir();
    await registerModel(sampleOptions(root));
    await registerModel(sampleOptions(root));
    let stat = fs.lstatSync(path.join(root, "latest"));
    assert.ok(stat.isSymbolicLink());
    assert.equal(fs.readlinkSync(path.join(root, "latest")), "v2");
    const fixed = await registerModel(sampleOptions(root, { versionTag: "alpha" }));
    assert.equal(fixed.latest, "symlink");
    stat = fs.lstatSync(path.join(root, "latest"));
    assert.ok(stat.isSymbolicLink());
    assert.equal(fs.readlinkSync(path.join(root, "latest")), "alpha");
    const loaded = await loadVersion(root, "latest");
    assert.equal(loaded.version, "alpha");
    assert.equal(loaded.dir, path.join(root, "alpha"));
    assert.equal((await loadVersion(root, "v2")).isLatest, false);
    assert.deepEqual(hiddenEntries(root), []);
  });

  test("copy mode writes a complete folder and switching back and forth never harms a version", async () => {
    const root = tempDir();
    const first = await registerModel(sampleOptions(root, { latestMode: "copy" }));
    assert.equal(first.latest, "copy");
    const latestDir = path.join(root, "latest");
    assert.ok(fs.lstatSync(latestDir).isDirectory());
    for (const name of ARTIFACTS) {
      assert.deepEqual(fs.readFileSync(path.join(latestDir, name)), fs.readFileSync(path.join(first.dir, name)));
    }
    assert.equal((await loadVersion(root, "latest")).version, "v1");

    await registerModel(sampleOptions(root)); // symlink replaces the copied folder
    assert.equal(fs.readlinkSync(latestDir), "v2");
    await registerModel(sampleOptions(root, { latestMode: "copy" })); // folder replaces the symlink
    assert.ok(fs.lstatSync(latestDir).isDirectory());
    assert.equal((await loadVersion(root, "latest")).version, "v3");
    await registerModel(sampleOptions(root, { latestMode: "copy" })); // folder replaces folder
    assert.equal((await loadVersion(root, "latest")).version, "v4");

    for (const version of ["v1", "v2", "v3", "v4"]) {
      assert.deepEqual(fs.readdirSync(path.join(root, version)).sort(), ARTIFACTS);
    }
    const list = await listVersions(root);
    assert.deepEqual(
      list.map((v) => [v.version, v.isLatest]),
      [
        ["v1", false],
        ["v2", false],
        ["v3", false],
        ["v4", true],
      ],
    );
    assert.deepEqual(hiddenEntries(root), []);
  });
});

describe("concurrency", () => {
  test("5 parallel auto registrations give 5 distinct complete versions", async () => {
    const root = tempDir();
    await registerModel(sampleOptions(root));
    const results = await Promise.all(Array.from({ length: 5 }, () => registerModel(sampleOptions(root))));
    const versions = results.map((r) => r.version).sort();
    assert.deepEqual(versions, ["v2", "v3", "v4", "v5", "v6"]);
    for (const version of versions) {
      const loaded = await loadVersion(root, version);
      assert.deepStrictEqual(loaded.metrics, sampleOptions(root).metrics);
    }
    assert.deepEqual(hiddenEntries(root), []);
    const latest = fs.readlinkSync(path.join(root, "latest"));
    assert.ok(versions.includes(latest), latest);
  });

  test("two processes registering at the same time never collide", async () => {
    const root = tempDir();
    const script = path.join(tempDir(), "child.ts");
    const perChild = 5;
    fs.writeFileSync(
      script,
      [
        `import { registerModel } from ${JSON.stringify(path.join(repoRoot, "lib", "registry"))};`,
        "const [root, startAt, count] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];",
        "const options = JSON.parse(process.env.REGISTER_OPTIONS ?? '{}');",
        "async function main(): Promise<void> {",
        "  const made: string[] = [];",
        "  for (let i = 0; i < count; i++) {",
        "    // Both children start each registration in the same millisecond, so they race for the same vN.",
        "    const slot = startAt + i * 120;",
        "    if (slot - Date.now() > 5) await new Promise((r) => setTimeout(r, slot - Date.now() - 5));",
        "    while (Date.now() < slot) await new Promise((r) => setImmediate(r));",
        "    made.push((await registerModel({ ...options, rootDir: root })).version);",
        "  }",
        "  console.log(JSON.stringify(made));",
        "}",
        "main().catch((e) => { console.error(e); process.exit(1); });",
      ].join("\n"),
    );
    const finite = sampleOptions(root, {
      thresholds: Object.fromEntries(AXES.map((axis) => [axis, thresholdsFor(axis, 0)])),
      metrics: AXES.map((axis) => ({ axis, r2: 0.5, mae: 0.25, rmse: 0.125 })),
      models: { type: "linear", models: AXES.map((axis) => ({ axis, coef: 0.1, intercept: 0.2, samples_used: 10 })) },
    });
    const env = { ...process.env, REGISTER_OPTIONS: JSON.stringify({ ...finite, savedAt: undefined }) };
    const startAt = String(Date.now() + 2000);
    const run = () =>
      execFileAsync(process.execPath, ["--import", "tsx", script, root, startAt, String(perChild)], { cwd: repoRoot, env });
    // Wait for both children before judging, so a failing one cannot leave the other writing after cleanup.
    const settled = await Promise.allSettled([run(), run()]);
    const outputs = settled.map((s) => {
      if (s.status === "rejected") throw s.reason;
      return s.value;
    });
    const made = outputs.flatMap((o) => JSON.parse(o.stdout) as string[]);
    assert.equal(new Set(made).size, 2 * perChild, made.join(","));
    assert.deepEqual(
      (await listVersions(root)).map((v) => v.version),
      Array.from({ length: 2 * perChild }, (_, i) => `v${i + 1}`),
    );
    for (const version of made) {
      assert.deepEqual(fs.readdirSync(path.join(root, version)).sort(), ARTIFACTS);
      assert.deepStrictEqual((await loadVersion(root, version)).metrics, finite.metrics);
    }
    assert.deepEqual(hiddenEntries(root), []);
    assert.ok(made.includes(fs.readlinkSync(path.join(root, "latest"))));
  });
});

describe("failures", () => {
  test("a value that throws mid-write leaves no partial version and no temp folder", async () => {
    const root = tempDir();
    await registerModel(sampleOptions(root));
    const before = snapshot(root);
    const base = sampleOptions(root);
    const exploding: AxisThresholds = {
      ...thresholdsFor("axis2", 1),
      get MaxC(): number {
        throw new Error("boom while serializing");
      },
    };
    for (const versionTag of ["auto", "fixed"]) {
      await assert.rejects(
        registerModel({ ...base, versionTag, thresholds: { ...base.thresholds, axis2: exploding } }),
        /boom while serializing/,
      );
      assert.deepEqual(snapshot(root), before);
    }
    // A non-number where a number belongs (e.g. from untyped JS) also fails cleanly.
    const bad = { ...base.metrics[0], rmse: "1" as unknown as number };
    await assert.rejects(registerModel({ ...base, metrics: [bad, ...base.metrics.slice(1)] }), /metrics\.axis1\.rmse must be a number/);
    assert.deepEqual(snapshot(root), before);
    assert.equal((await registerModel(base)).version, "v2");
  });

  test("an unwritable root is an InputError and creates nothing", async () => {
    const dir = tempDir();
    const file = path.join(dir, "plain-file");
    fs.writeFileSync(file, "x");
    await assert.rejects(registerModel(sampleOptions(path.join(file, "artifacts"))), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.match(error.message, /^registry\.root_dir .*plain-file.artifacts cannot be created/);
      return true;
    });
    assert.deepEqual(fs.readdirSync(dir), ["plain-file"]);
    assert.equal(fs.readFileSync(file, "utf8"), "x");
  });
});

describe("listVersions, loadVersion errors and formatting", () => {
  test("lists vN numerically (v2 < v10), then other tags by name; missing or empty root gives []", async () => {
    const root = tempDir();
    assert.deepEqual(await listVersions(path.join(root, "missing")), []);
    assert.deepEqual(await listVersions(root), []);
    for (const tag of ["v10", "beta", "v2", "alpha", "v1"]) await registerModel(sampleOptions(root, { versionTag: tag }));
    fs.mkdirSync(path.join(root, "v3")); // junk folder without meta.yaml
    const list = await listVersions(root);
    assert.deepEqual(
      list.map((v) => v.version),
      ["v1", "v2", "v10", "alpha", "beta"],
    );
    assert.deepEqual(
      list.filter((v) => v.isLatest).map((v) => v.version),
      ["v1"],
    );
    assert.deepEqual(list[0], {
      version: "v1",
      saved_at: "2025-09-01T12:00:00.123Z",
      model_type: "linear",
      axes: [...AXES],
      rows: { raw: 36000, train: 35990 },
      isLatest: true,
      aliases: [],
    });
    // v10, registered first, is production.
    assert.deepEqual(list[2].aliases, ["production"]);

    const text = formatVersionList(list);
    const lines = text.split("\n");
    assert.match(lines[0], /VERSION\s+SAVED_AT\s+MODEL\s+N\s+AXES\s+TRAIN_ROWS\s+RAW_ROWS/);
    assert.match(lines[1], /^\*\s+v1\s+2025-09-01T12:00:00\.123Z\s+linear\s+3\s+axis1,axis2,/);
    assert.match(lines[3], /^\s+v10\s/);
    assert.equal(lines.at(-1), "(* = latest)");
    assert.equal(formatVersionList([]), "No model versions registered.");
  });

  test("formatVersion shows the version, lineage and per-axis numbers", async () => {
    const root = tempDir();
    await registerModel(sampleOptions(root));
    const text = formatVersion(await loadVersion(root, "latest"));
    assert.match(text, /^Version v1 \(latest, production\)\n/);
    assert.match(text, /data: +public\.stream_samples_wide, wide, time ts \(timestamptz\)/);
    assert.match(text, /rows: +35990 trained of 36000 extracted/);
    assert.match(text, /database: +postgres:\/\/ml@db\.example:5432\/sensors/);
    assert.match(text, /git unavailable/);
    assert.match(text, /\naxis1 +0\.3 +-1\.2345679e-300 +1000 +1 +2\.220446e-16 +123456790 +0\.3 +0\.33333333 +12 +3 +trimmed-axis1/);
    assert.match(text, /\naxis2 +NaN +NaN +0 +NaN .* NaN +Infinity +1 +1 +NaN/);
  });

  test("a missing version is an InputError listing the available ones", async () => {
    const root = tempDir();
    await assert.rejects(loadVersion(root, "latest"), {
      name: "InputError",
      message: `registry ${root} has no "latest" version: the registry is empty`,
    });
    await assert.rejects(loadVersion(path.join(root, "missing"), "v1"), /version "v1" not found in .*: the registry is empty/);
    await registerModel(sampleOptions(root, { versionTag: "v10" }));
    await registerModel(sampleOptions(root, { versionTag: "v2" }));
    await assert.rejects(loadVersion(root, "v3"), {
      name: "InputError",
      message: `version "v3" not found in ${root}; available: v2, v10; aliases: production → v10`,
    });
    await assert.rejects(loadVersion(root, "../etc"), InputError);
  });

  test("a corrupted artifact is an InputError naming the file and field", async () => {
    const root = tempDir();
    const { dir } = await registerModel(sampleOptions(root));
    const file = path.join(dir, "thresholds.json");
    fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace('"MinC": "NaN"', '"MinC": "lots"'));
    await assert.rejects(loadVersion(root, "v1"), {
      name: "InputError",
      message: `registry file ${file}: axis2.MinC must be a number, got "lots"`,
    });
    fs.writeFileSync(path.join(dir, "metrics.csv"), "axis,r2,mae,rmse\naxis1,1,2\n");
    await assert.rejects(loadVersion(root, "v1"), /metrics\.csv: row 2 must have 4 fields/);
  });
});

describe("corrupt artifacts: one line naming the file, the key path and the value", () => {
  test("models.json, prep_stats.json, metrics.csv and meta.yaml", async () => {
    const root = tempDir();
    const { dir } = await registerModel(sampleOptions(root));
    const cases: readonly [string, (text: string) => string, string][] = [
      ["models.json", (t) => t.replace('"samples_used": 1000', '"samples_used": true'), "axes.axis1.samples_used must be a number, got true"],
      ["prep_stats.json", (t) => t.replace('"time_type": "timestamptz"', '"time_type": "date"'), 'time_type must be one of "float", "timestamp", "timestamptz", got "date"'],
      ["metrics.csv", (t) => t.replace("axis1,0.9999999999999999", "axis1,high"), 'row 2: r2 must be a number, got "high"'],
      ["meta.yaml", (t) => t.replace("raw: 36000", "raw: many"), 'rows.raw must be a number, got "many"'],
    ];
    for (const [name, corrupt, message] of cases) {
      const file = path.join(dir, name);
      const good = fs.readFileSync(file, "utf8");
      fs.writeFileSync(file, corrupt(good));
      await assert.rejects(loadVersion(root, "v1"), { name: "InputError", message: `registry file ${file}: ${message}` });
      fs.writeFileSync(file, good);
    }
    await loadVersion(root, "v1");
  });
});

describe("helpers", () => {
  test("fingerprintColumns hashes the column bytes in order", () => {
    const a = new Float64Array([1, 2.5, NaN]);
    const b = new Float64Array([-0, 1e-300]);
    const expected = createHash("sha256").update(Buffer.from(a.buffer)).update(Buffer.from(b.buffer)).digest("hex");
    assert.equal(fingerprintColumns([a, b]), expected);
    assert.match(expected, /^[0-9a-f]{64}$/);
    assert.notEqual(fingerprintColumns([b, a]), expected);
    const big = new Float64Array([9, 1, 2.5, NaN, 9]);
    assert.equal(fingerprintColumns([big.subarray(1, 4), b]), expected, "views hash only their own bytes");
    const flipped = new Float64Array([1, 2.5, NaN]);
    new Uint8Array(flipped.buffer)[0] ^= 1;
    assert.notEqual(fingerprintColumns([flipped, b]), expected);
    assert.equal(fingerprintColumns([new Float64Array([0])]) === fingerprintColumns([new Float64Array([-0])]), false);
  });

  test("gitCommit reads HEAD of a checkout (loose and packed refs, worktrees) and null elsewhere", () => {
    const repo = tempDir();
    const git = (...args: string[]): string =>
      execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main", ...args], {
        cwd: repo,
        encoding: "utf8",
      }).trim();
    git("init", "-q");
    assert.equal(gitCommit(repo), null, "no commit yet");
    fs.writeFileSync(path.join(repo, "a.txt"), "a");
    git("add", "a.txt");
    git("commit", "-q", "-m", "one");
    const head = git("rev-parse", "HEAD");
    fs.mkdirSync(path.join(repo, "sub", "deeper"), { recursive: true });
    assert.equal(gitCommit(repo), head);
    assert.equal(gitCommit(path.join(repo, "sub", "deeper")), head);
    git("pack-refs", "--all");
    assert.equal(fs.existsSync(path.join(repo, ".git", "refs", "heads", "main")), false);
    assert.equal(gitCommit(repo), head);
    const worktree = path.join(tempDir(), "wt");
    git("worktree", "add", "-q", "--detach", worktree);
    assert.equal(gitCommit(worktree), head);
    git("checkout", "-q", "--detach");
    assert.equal(gitCommit(repo), head);
    assert.equal(gitCommit(tempDir()), null);
  });

  test("packageVersion is ML Box's package.json version", () => {
    assert.equal(packageVersion(), JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).version);
  });
});

/** The version `latest` names on disk (symlink target or copied folder's marker), or null when there is no `latest`. */
function latestOnDisk(root: string): string | null {
  const entry = path.join(root, "latest");
  if (!fs.existsSync(entry)) return null;
  return fs.lstatSync(entry).isSymbolicLink() ? fs.readlinkSync(entry) : fs.readFileSync(path.join(entry, "LATEST_VERSION"), "utf8").trim();
}

/** Options that survive JSON (finite numbers only), for child processes. */
function finiteOptions(root: string): RegisterOptions {
  return sampleOptions(root, {
    thresholds: Object.fromEntries(AXES.map((axis) => [axis, thresholdsFor(axis, 0)])),
    metrics: AXES.map((axis) => ({ axis, r2: 0.5, mae: 0.25, rmse: 0.125 })),
    models: { type: "linear", models: AXES.map((axis) => ({ axis, coef: 0.1, intercept: 0.2, samples_used: 10 })) },
    savedAt: undefined,
  });
}

describe("latest never moves backwards and is never lost (issue 6, defect 5)", () => {
  test("4 processes registering at once, 12 rounds, symlink and copy: latest is the highest vN after every round", async () => {
    const root = tempDir();
    const script = path.join(tempDir(), "round-child.ts");
    fs.writeFileSync(
      script,
      [
        'import * as readline from "node:readline";',
        `import { registerModel } from ${JSON.stringify(path.join(repoRoot, "lib", "registry"))};`,
        "const options = JSON.parse(process.env.REGISTER_OPTIONS ?? '{}');",
        "readline.createInterface({ input: process.stdin }).on('line', async (line) => {",
        "  const [slot, latestMode] = line.split(' ');",
        "  // Every child starts its registration in the same millisecond.",
        "  const at = Number(slot);",
        "  if (at - Date.now() > 5) await new Promise((r) => setTimeout(r, at - Date.now() - 5));",
        "  while (Date.now() < at) await new Promise((r) => setImmediate(r));",
        "  const reply = await registerModel({ ...options, latestMode }).then((r) => ({ version: r.version }), (e) => ({ error: String(e) }));",
        "  process.stdout.write(JSON.stringify(reply) + '\\n');",
        "});",
        "process.stdout.write(JSON.stringify({ ready: true }) + '\\n');",
      ].join("\n"),
    );
    const env = { ...process.env, REGISTER_OPTIONS: JSON.stringify(finiteOptions(root)) };
    const children = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: repoRoot, env, stdio: ["pipe", "pipe", "inherit"] });
      const replies: Record<string, string>[] = [];
      const waiting: ((reply: Record<string, string>) => void)[] = [];
      readline.createInterface({ input: child.stdout }).on("line", (line) => {
        const reply = JSON.parse(line) as Record<string, string>;
        const next = waiting.shift();
        if (next) next(reply);
        else replies.push(reply);
      });
      const nextReply = (): Promise<Record<string, string>> =>
        replies.length > 0 ? Promise.resolve(replies.shift() as Record<string, string>) : new Promise((resolve) => waiting.push(resolve));
      return { child, nextReply };
    });
    try {
      await Promise.all(children.map((c) => c.nextReply()));
      const made: string[] = [];
      for (let round = 0; round < 12; round++) {
        const slot = Date.now() + 300;
        for (const { child } of children) child.stdin.write(`${slot} ${round % 2 === 0 ? "auto" : "copy"}\n`);
        const replies = await Promise.all(children.map((c) => c.nextReply()));
        for (const reply of replies) assert.equal(reply.error, undefined, reply.error);
        made.push(...replies.map((r) => r.version));
        const highest = `v${Math.max(...made.map((v) => Number(v.slice(1))))}`;
        assert.equal(latestOnDisk(root), highest, `round ${round}: latest must be the version published last`);
        assert.equal((await loadVersion(root, "latest")).version, highest);
      }
      assert.equal(new Set(made).size, made.length);
      assert.deepEqual(hiddenEntries(root), []);
    } finally {
      for (const { child } of children) child.stdin.end();
      await Promise.all(children.map(({ child }) => (child.exitCode !== null ? undefined : new Promise((r) => child.once("exit", r)))));
    }
  });

  test("killed between moving the copied latest aside and installing the new one: readers and the next run recover", async () => {
    const root = tempDir();
    await registerModel({ ...finiteOptions(root), latestMode: "copy" });
    const script = path.join(tempDir(), "kill-child.ts");
    fs.writeFileSync(
      script,
      [
        'import * as fs from "node:fs";',
        'import * as path from "node:path";',
        `import { registerModel } from ${JSON.stringify(path.join(repoRoot, "lib", "registry"))};`,
        "const options = JSON.parse(process.env.REGISTER_OPTIONS ?? '{}');",
        "const fileSystem = {",
        "  rename: async (from: string, to: string) => {",
        "    await fs.promises.rename(from, to);",
        "    if (path.basename(to).startsWith('.old-latest-')) process.kill(process.pid, 'SIGKILL');",
        "  },",
        "  sync: (handle: fs.promises.FileHandle) => handle.sync(),",
        "};",
        "registerModel({ ...options, latestMode: 'copy', fileSystem }).then(() => console.log('finished, not killed'));",
      ].join("\n"),
    );
    const env = { ...process.env, REGISTER_OPTIONS: JSON.stringify(finiteOptions(root)) };
    const run = await execFileAsync(process.execPath, ["--import", "tsx", script], { cwd: repoRoot, env }).then(
      () => null,
      (error: { signal?: string }) => error.signal,
    );
    assert.equal(run, "SIGKILL", "the child must die between the two renames");
    assert.equal(fs.existsSync(path.join(root, "latest")), false, "the kill left no latest on disk");
    assert.ok(fs.existsSync(path.join(root, "v2")), "v2 was published before the kill");

    // Readers see the latest that was.
    assert.equal((await loadVersion(root, "latest")).version, "v1");
    assert.deepEqual(
      (await listVersions(root)).map((v) => [v.version, v.isLatest]),
      [
        ["v1", true],
        ["v2", false],
      ],
    );
    // The next run takes over the dead run's lock (stale after 10 s), puts latest back, then moves it forward.
    const next = await registerModel(finiteOptions(root));
    assert.equal(next.version, "v3");
    assert.equal(latestOnDisk(root), "v3");
    assert.deepEqual(
      hiddenEntries(root).filter((name) => !name.startsWith(".tmp-latest-")),
      [],
      "no lock and no .old-latest-* left (the killed run's fresh .tmp-latest-* waits for the hourly sweep)",
    );
  });

  test("a latest left aside by a killed copy swap is used by readers and put back by the next run", async () => {
    const root = tempDir();
    await registerModel(sampleOptions(root, { latestMode: "copy" }));
    fs.renameSync(path.join(root, "latest"), path.join(root, `.old-latest-${Date.now()}-4242-abcdefabcdef`));
    assert.equal((await loadVersion(root, "latest")).version, "v1");
    assert.equal((await listVersions(root))[0].isLatest, true);
    await registerModel(sampleOptions(root, { latestMode: "copy" }));
    assert.equal(latestOnDisk(root), "v2");
    assert.deepEqual(hiddenEntries(root), []);
  });
});

describe("leftovers of killed runs (issue 6, defect 6)", () => {
  test("the next registration sweeps temporary entries older than an hour and keeps fresh ones; list never shows them", async () => {
    const root = tempDir();
    await registerModel(sampleOptions(root));
    const stale = [".tmp-4242-aaaaaaaaaaaa", ".tmp-latest-4242-bbbbbbbbbbbb", ".old-latest-4242-cccccccccccc", ".probe-4242-dddddddddddd"];
    fs.cpSync(path.join(root, "v1"), path.join(root, stale[0]), { recursive: true }); // a complete version never published
    fs.symlinkSync("v1", path.join(root, stale[1]));
    fs.cpSync(path.join(root, "v1"), path.join(root, stale[2]), { recursive: true });
    fs.writeFileSync(path.join(root, stale[2], "LATEST_VERSION"), "v1\n");
    fs.writeFileSync(path.join(root, stale[3]), "probe\n");
    const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
    for (const name of stale) fs.lutimesSync(path.join(root, name), twoHoursAgo, twoHoursAgo);
    const fresh = ".tmp-4243-eeeeeeeeeeee";
    fs.cpSync(path.join(root, "v1"), path.join(root, fresh), { recursive: true });

    assert.deepEqual((await listVersions(root)).map((v) => v.version), ["v1"]);
    assert.doesNotMatch(formatVersionList(await listVersions(root)), /\.tmp|\.old|\.probe/);
    assert.equal((await registerModel(sampleOptions(root))).version, "v2");
    assert.deepEqual(hiddenEntries(root), [fresh]);
    assert.deepEqual((await listVersions(root)).map((v) => v.version), ["v1", "v2"]);
    assert.equal(latestOnDisk(root), "v2");
  });
});

describe("writability and durability (issue 6, defects 7 and 10)", () => {
  test("assertRegistryWritable creates the root, leaves nothing in it, and names a folder it cannot write", async () => {
    const dir = tempDir();
    const root = path.join(dir, "a", "b");
    await assertRegistryWritable(root);
    assert.deepEqual(fs.readdirSync(root), []);
    const file = path.join(dir, "plain-file");
    fs.writeFileSync(file, "x");
    const below = path.join(file, "artifacts");
    await assert.rejects(assertRegistryWritable(below), (error: unknown) => {
      assert.ok(error instanceof InputError);
      assert.ok(error.message.startsWith(`registry.root_dir ${below} is not writable: `), error.message);
      assert.match(error.message, /ENOTDIR/);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  });

  test("the copied latest files, and the root after installing latest, are fsynced", async () => {
    const root = tempDir();
    await registerModel(sampleOptions(root));
    const events: string[] = [];
    const fileSystem: StoreFileSystem = {
      rename: async (from, to) => {
        await fs.promises.rename(from, to);
        events.push(`rename ${path.relative(root, to)}`);
      },
      sync: async (handle, file) => {
        await handle.sync();
        events.push(`sync ${path.relative(root, file)}`);
      },
    };
    await registerModel({ ...sampleOptions(root, { latestMode: "copy" }), fileSystem });
    const install = events.lastIndexOf("rename latest");
    assert.ok(install > 0, events.join("\n"));
    for (const name of [...ARTIFACTS, "LATEST_VERSION"]) {
      assert.ok(
        events.slice(0, install).some((event) => event.startsWith("sync .tmp-latest-") && event.endsWith(`/${name}`)),
        `${name} of the copied latest is fsynced before it is installed`,
      );
    }
    assert.ok(events.slice(install + 1).includes("sync "), "the root is fsynced after latest is installed");
  });

  test("an EIO from fsync fails the registration; only 'cannot fsync a folder' errors are ignored", async () => {
    const root = tempDir();
    const failingFolderSync = (code: string): StoreFileSystem => ({
      rename: (from, to) => fs.promises.rename(from, to),
      sync: async (handle) => {
        if ((await handle.stat()).isDirectory()) throw Object.assign(new Error(`${code}: injected fsync failure`), { code });
        await handle.sync();
      },
    });
    assert.equal((await registerModel({ ...sampleOptions(root), fileSystem: failingFolderSync("EINVAL") })).version, "v1");
    await assert.rejects(registerModel({ ...sampleOptions(root), fileSystem: failingFolderSync("EIO") }), /EIO: injected fsync failure/);
    assert.deepEqual(fs.readdirSync(root).sort(), ["aliases.json", "latest", "v1"], "nothing published after the failed fsync");
    assert.equal(latestOnDisk(root), "v1");
  });
});
