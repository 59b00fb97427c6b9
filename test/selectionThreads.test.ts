/**
 * Selection on two threads (lib/selection/selectionThreads.ts) gives what one thread gives: on the
 * pinned cases (test/support/selectionCases.ts) with a real worker thread reading the window from
 * SharedArrayBuffers, `selection.json` is byte for byte the pinned text; with a worker that has stopped
 * its units are measured on this thread; a failing unit's error is the one a single thread throws.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startAxisWorkers } from "../lib/pipeline/axisThreads";
import { runSelection } from "../lib/selection/runSelection";
import { answerSelectionJob, claimOrder, runSelectionOnThreads } from "../lib/selection/selectionThreads";
import { curveUnits, selectionPlan } from "../lib/selection/runSelection";
import type { PreparedColumns } from "../lib/shapes/types";
import { encodedSelection, SELECTION_CASES, SELECTION_FIXTURES } from "./support/selectionCases";

/** The window's columns copied into SharedArrayBuffers (as extraction allocates them). */
function shared(columns: PreparedColumns): PreparedColumns {
  const copy = (column: Float64Array): Float64Array => {
    const out = new Float64Array(new SharedArrayBuffer(column.byteLength));
    out.set(column);
    return out;
  };
  return { timeS: copy(columns.timeS), axes: columns.axes, values: columns.values.map(copy) };
}

test("claimOrder takes the units from the most complex model to the simplest", () => {
  assert.deepEqual(claimOrder([["linear"], ["poly"], ["piecewise"], ["per_mode"], ["pca"]]), [4, 3, 2, 1, 0]);
  assert.deepEqual(claimOrder([["linear"]]), [0]);
  assert.deepEqual(claimOrder([]), []);
});

for (const c of SELECTION_CASES) {
  test(`selection.json of ${c.name} on two threads is byte for byte the pinned one`, async () => {
    const { columns, dtSeconds } = c.window();
    const workers = startAxisWorkers(2);
    try {
      assert.equal(workers.workers.length, 1, "a worker thread started");
      const result = await runSelectionOnThreads(shared(columns), dtSeconds, c.config, {}, workers.workers[0]);
      assert.equal(result.threads, 2, "the worker answered");
      assert.equal(encodedSelection(result.selection), readFileSync(join(SELECTION_FIXTURES, `${c.name}.json`), "utf8"));
    } finally {
      workers.close();
    }
  });
}

test("a worker that stopped before it answered: its units are measured on this thread, the same selection", async () => {
  const c = SELECTION_CASES[0];
  const { columns, dtSeconds } = c.window();
  const workers = startAxisWorkers(2);
  const worker = workers.workers[0];
  await worker.terminate();
  const result = await runSelectionOnThreads(shared(columns), dtSeconds, c.config, {}, worker);
  assert.equal(result.threads, 1, "every unit measured on this thread");
  assert.equal(encodedSelection(result.selection), readFileSync(join(SELECTION_FIXTURES, `${c.name}.json`), "utf8"));
});

test("a failing unit: the error one thread throws, whichever thread measured it", async () => {
  const c = SELECTION_CASES[2];
  const { columns, dtSeconds } = c.window();
  // One axis missing on almost every row: pca has too few usable rows (all axes finite) and fails.
  const broken = shared(columns);
  broken.values[0].forEach((_v, i, column) => {
    if (i % 5000 !== 0) column[i] = NaN;
  });
  let expected: Error | undefined;
  try {
    runSelection(broken, dtSeconds, c.config);
  } catch (error) {
    expected = error as Error;
  }
  assert.ok(expected !== undefined, "one thread fails on this window");
  // The worker's side reports the unit's error (as an input error) instead of throwing it.
  const plan = selectionPlan(broken, dtSeconds, c.config);
  const pca = curveUnits(plan).findIndex((unit) => unit[0].model === "pca");
  const answer = answerSelectionJob({
    kind: "selection",
    columns: broken,
    dtSeconds,
    config: c.config,
    fitRows: plan.setup.split.fitRows,
    rounds: plan.setup.injected.map((round) => round.injections),
    order: [pca],
    next: new Int32Array(new SharedArrayBuffer(4)),
  });
  assert.deepEqual(answer, { curves: [], errors: [[pca, { message: expected?.message, input: true }]] });
  const workers = startAxisWorkers(2);
  try {
    await assert.rejects(runSelectionOnThreads(broken, dtSeconds, c.config, {}, workers.workers[0]), (error: Error) => {
      assert.equal(error.constructor, expected?.constructor);
      assert.equal(error.message, expected?.message);
      return true;
    });
  } finally {
    workers.close();
  }
});
