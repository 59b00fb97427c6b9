/**
 * The unit suite stays service-free: no `*.unit.test.ts` file reaches for PostgreSQL, PGlite, Jupyter or a browser
 * (`npm run test:unit` must run on a machine with none of them), and `npm test` still runs the unit files.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./support/cli";

/** What only a test with a service uses: its helpers, the database openers, the notebook and browser tools. */
const SERVICE = /support\/(postgres|notebooks|browser)\b|lib\/db\/(connect|embedded)\b|\b(sharedPostgres|startPostgres|BACKENDS|openPGlite\w*|kyselyForPGlite)\b|chromium|jupyter/i;

test("no unit test file uses PostgreSQL, PGlite, Jupyter or a browser", () => {
  const files = readdirSync(join(ROOT, "test")).filter((name) => name.endsWith(".unit.test.ts") && name !== "unitSuite.unit.test.ts");
  assert.ok(files.length >= 10, `only ${files.length} unit files`);
  const offenders = files.flatMap((name) =>
    readFileSync(join(ROOT, "test", name), "utf8")
      .split("\n")
      .map((line, i) => ({ where: `test/${name}:${i + 1}`, line }))
      .filter(({ line }) => SERVICE.test(line))
      .map(({ where, line }) => `${where}: ${line.trim()}`),
  );
  assert.deepEqual(offenders, []);
});

test("npm test runs every test file, npm run test:unit the unit files", () => {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
  assert.match(scripts.test, / test\/\*\.test\.ts$/);
  assert.match(scripts["test:unit"], / test\/\*\.unit\.test\.ts$/);
});
