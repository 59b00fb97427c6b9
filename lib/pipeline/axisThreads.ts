/**
 * Runs {@link runAxis} for every axis on several threads: this one and worker
 * threads, each taking the next axis not yet taken until none is left. The
 * columns are read in place from SharedArrayBuffers (extraction allocates
 * them so), never copied; each thread has one scratch column of its own.
 * Results and errors are the same as one thread running the axes in order:
 * every axis runs, and the error of the first failing axis is thrown.
 */
import { existsSync } from "fs";
import { availableParallelism } from "os";
import * as path from "path";
import { Worker } from "worker_threads";
import { runAxis, type AxisRunInput, type AxisRunResult } from "./axisRun";
import { InputError } from "../core/errors";
import { FitWorkspace } from "../model/fitWorkspace";

/** Scratch bytes the threads beyond the first may take together (each needs a full-length column): 32 MiB, so the memory budget (raw columns + 250 MB) holds with room to spare. */
export const EXTRA_THREAD_SCRATCH_BYTES = 32 * 2 ** 20;

/** Fewer values than this (rows × axes) run on one thread: starting a worker would cost more than it saves. */
export const MIN_VALUES_FOR_THREADS = 1_000_000;

/**
 * How many threads {@link runAxes} uses by default: one per core, at most one
 * per axis, and only as many extra scratch columns as fit in
 * {@link EXTRA_THREAD_SCRATCH_BYTES} (so the memory budget of large windows
 * holds); one below {@link MIN_VALUES_FOR_THREADS} values or when no worker
 * script can be started ({@link axisWorkerSource}).
 */
export function defaultAxisThreads(rows: number, axes: number): number {
  if (rows * axes < MIN_VALUES_FOR_THREADS || axisWorkerSource() === null) return 1;
  const byMemory = 1 + Math.floor(EXTRA_THREAD_SCRATCH_BYTES / Math.max(1, rows * 8));
  return Math.max(1, Math.min(availableParallelism(), axes, byMemory));
}

/**
 * How to start the worker: the compiled `axisWorker.js` beside this code (the
 * CLI bundle in dist/, the benchmark's bundle), or from the TypeScript sources
 * through tsx (tests); null when neither is there (e.g. a notebook kernel).
 */
export function axisWorkerSource(): { readonly file: string } | { readonly code: string } | null {
  const compiled = path.join(__dirname, "axisWorker.js");
  if (existsSync(compiled)) return { file: compiled };
  const source = path.join(__dirname, "axisWorker.ts");
  if (!__filename.endsWith(".ts") || !existsSync(source)) return null;
  try {
    require.resolve("tsx/cjs/api");
  } catch {
    return null;
  }
  return { code: `require("tsx/cjs/api").register();\nrequire(${JSON.stringify(source)});` };
}

/** What a thread sends back: results and errors, by axis index. */
export interface ClaimedAxes {
  readonly results: ReadonlyArray<readonly [number, AxisRunResult]>;
  readonly errors: ReadonlyArray<readonly [number, { readonly message: string; readonly input: boolean }]>;
}

/**
 * Runs the axes this thread claims from `next` (a shared counter: each claim
 * takes the next index) until every axis is taken. Errors are collected, not
 * thrown, so the other threads' axes and this thread's later ones still run.
 */
export async function runClaimedAxes(inputs: readonly AxisRunInput[], next: Int32Array, scratch: Float64Array): Promise<ClaimedAxes> {
  const results: [number, AxisRunResult][] = [];
  const errors: [number, { message: string; input: boolean }][] = [];
  // The trend fits' work columns, reused from axis to axis of this thread (not left to the collector between
  // axes), the scratch column among them: nothing reads it while a fit runs.
  const workspace = new FitWorkspace();
  if (scratch.byteOffset === 0) workspace.give(scratch);
  for (let k = Atomics.add(next, 0, 1); k < inputs.length; k = Atomics.add(next, 0, 1)) {
    try {
      results.push([k, await runAxis(inputs[k], scratch, workspace)]);
    } catch (error) {
      errors.push([k, { message: error instanceof Error ? error.message : String(error), input: error instanceof InputError }]);
    }
  }
  return { results, errors };
}

/** Whether `column` is a view of a SharedArrayBuffer (a worker can read it without a copy). */
function isShared(column: Float64Array): boolean {
  return typeof SharedArrayBuffer === "function" && column.buffer instanceof SharedArrayBuffer;
}

/**
 * Worker threads started ahead of the work they will do, so that loading
 * their code overlaps extraction. They never keep the process alive; `close`
 * stops them (a no-op for those that finished).
 */
export interface AxisWorkers {
  /** The worker threads, started and waiting for their work. */
  readonly workers: readonly Worker[];
  /** Threads the axes run on: the workers plus this one. */
  readonly threads: number;
  /** This many threads (this one included): stops the workers beyond them, or starts more. */
  resize(threads: number): AxisWorkers;
  close(): void;
}

/**
 * Starts `threads − 1` axis workers (none when `threads` ≤ 1 or no worker
 * script can be started, see {@link axisWorkerSource}).
 */
export function startAxisWorkers(threads: number): AxisWorkers {
  const source = axisWorkerSource();
  const workers = source === null ? [] : Array.from({ length: Math.max(0, Math.floor(threads) - 1) }, () => startWorker(source));
  return workerSet(workers, source);
}

function workerSet(workers: Worker[], source: ReturnType<typeof axisWorkerSource>): AxisWorkers {
  return {
    workers,
    threads: workers.length + 1,
    resize(threads: number) {
      const wanted = source === null ? 0 : Math.max(0, Math.floor(threads) - 1);
      // A worker that has stopped (threadId −1) would never answer: replaced.
      const alive = workers.filter((worker) => worker.threadId !== -1);
      for (const extra of alive.slice(wanted)) void extra.terminate();
      const kept = alive.slice(0, wanted);
      while (kept.length < wanted) kept.push(startWorker(source as NonNullable<typeof source>));
      return workerSet(kept, source);
    },
    close() {
      for (const worker of workers) void worker.terminate();
    },
  };
}

function startWorker(source: { readonly file: string } | { readonly code: string }): Worker {
  const worker = "file" in source ? new Worker(source.file) : new Worker(source.code, { eval: true });
  worker.unref();
  // Reported by runAxes when it uses the worker; a worker never used must not crash the process.
  worker.on("error", () => undefined);
  return worker;
}

/**
 * {@link runAxis} for every input on the threads of `workers` (this one
 * included; they are used up); results in input order, and the threads used. More than one thread
 * needs every column in a SharedArrayBuffer; otherwise the axes run here one
 * after the other. `scratch` is this thread's scratch column. `first` (default
 * none) runs on this thread once the workers have their work, before this
 * thread takes an axis: work that no axis waits for, done while the workers start.
 *
 * @throws the first failing axis's error (InputError when it was one).
 */
export async function runAxes(
  inputs: readonly AxisRunInput[],
  scratch: Float64Array,
  workers: AxisWorkers,
  { first }: { readonly first?: () => void } = {},
): Promise<{ readonly runs: readonly AxisRunResult[]; readonly threads: number }> {
  const columns = inputs.flatMap((input) => [input.timeS, input.actual]);
  const used = workers.resize(columns.every(isShared) ? Math.min(workers.threads, inputs.length) : 1);
  const next = new Int32Array(new SharedArrayBuffer(4));
  const rows = inputs.length > 0 ? inputs[0].timeS.length : 0;
  const answers = used.workers.map((worker) => ask(worker, { inputs, next, rows }));
  try {
    first?.();
    // This thread takes axes too; the workers' answers arrive while it writes its charts.
    const settled = await Promise.allSettled([runClaimedAxes(inputs, next, scratch), ...answers]);
    const runs: AxisRunResult[] = new Array(inputs.length);
    const errors: ClaimedAxes["errors"][number][] = [];
    for (const outcome of settled) {
      if (outcome.status === "rejected") throw outcome.reason;
      for (const [k, result] of outcome.value.results) runs[k] = result;
      errors.push(...outcome.value.errors);
    }
    if (errors.length > 0) {
      const [, failure] = errors.reduce((a, b) => (b[0] < a[0] ? b : a));
      throw failure.input ? new InputError(failure.message) : new Error(failure.message);
    }
    return { runs, threads: used.threads };
  } finally {
    used.close();
  }
}

/** Posts one job to a started worker and resolves with what it claimed and ran. */
function ask(worker: Worker, job: AxisWorkerJob): Promise<ClaimedAxes> {
  // Started unreferenced (an unused worker must not keep the process alive); while it works, it must.
  worker.ref();
  return new Promise((resolve, reject) => {
    let answered = false;
    worker.once("message", (claimed: ClaimedAxes) => {
      answered = true;
      resolve(claimed);
    });
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (!answered) reject(new Error(`an axis worker thread stopped (exit code ${code}) before it answered`));
    });
    worker.postMessage(job);
  });
}

/** What a worker receives: the axes, the shared counter, and the length of its scratch column. */
export interface AxisWorkerJob {
  readonly inputs: readonly AxisRunInput[];
  readonly next: Int32Array;
  readonly rows: number;
}
