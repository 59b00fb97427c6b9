/**
 * lib/ compiles the way the notebook kernel (tslab) compiles it: ES modules, moduleResolution node10,
 * and no strict flags — where zod's inferred keys turn optional, so a type that needs them (e.g. a
 * chart clock taking `prepStats`) breaks every notebook's first cell while strict `npm run typecheck` passes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

test("lib/index.ts type-checks as tslab compiles it (non-strict, esnext modules, node10 resolution)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "mlbox-tslab-"));
  try {
    const config = path.join(dir, "tsconfig.json");
    writeFileSync(
      config,
      JSON.stringify({
        compilerOptions: {
          module: "esnext",
          moduleResolution: "node10",
          target: "es2022",
          lib: ["es2022"],
          esModuleInterop: true,
          noEmit: true,
          skipLibCheck: true,
          types: ["node"],
          typeRoots: [path.join(ROOT, "node_modules", "@types")],
        },
        files: [path.join(ROOT, "lib", "index.ts")],
      }),
    );
    const run = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", config], { cwd: ROOT, encoding: "utf8" });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
