/**
 * Selection's candidates measured on two threads: this one and a worker
 * thread (an axis worker that waits for its axes meanwhile, see
 * lib/pipeline/axisThreads.ts). The candidates come in units (those of one
 * model share a fitted trend, or the pca models); each thread claims the next
 * unit from a shared counter until none is left. The worker reads the
 * window's columns in place (SharedArrayBuffers) and is given the placed
 * injections, so both threads measure the same plan with the same code; the
 * choice is made here from every curve, as on one thread, so `selection.json`
 * is the same. A failure is one thread's: the error of the first failing unit
 * in the one-thread order.
 */
import type { Worker } from "worker_threads";
import { InputError } from "../core/errors";
import type { Injection } from "./injection";
import type { DetectionPoint } from "./sweep";
import { splitWindowAt } from "./validationSplit";
import {
  chooseFromCurves,
  curveUnits,
  forgetPlan,
  measureUnit,
  planOf,
  runSelection,
  selectionPlan,
  type SelectionConfig,
  type SelectionOptions,
  type SelectionPlan,
  type SelectionResult,
} from "./runSelection";
import type { DetectionCandidate } from "./candidates";
import type { PreparedColumns } from "../shapes/types";

/** What the worker is sent: the window (shared columns), the plan's inputs, the claim order and the shared counter. */
export interface SelectionJob {
  readonly kind: "selection";
  readonly columns: PreparedColumns;
  readonly dtSeconds: number;
  readonly config: SelectionConfig;
  readonly fitRows: number;
  /** The injections of each round, as this thread placed them. */
  readonly rounds: readonly (readonly Injection[])[];
  readonly percentiles?: readonly number[];
  /** Unit indices (in the one-thread order) in the order they are claimed. */
  readonly order: readonly number[];
  /** `next[0]`: the next position of `order` to claim. */
  readonly next: Int32Array;
}

/** What a thread measured: curves by `model + statistic`, and errors by unit index. */
export interface MeasuredUnits {
  readonly curves: ReadonlyArray<readonly [string, DetectionPoint[]]>;
  readonly errors: ReadonlyArray<readonly [number, { readonly message: string; readonly input: boolean }]>;
}

/**
 * The order units are claimed in: the one-thread order reversed. The candidate lists go from the simplest
 * model to the most complex (pca last), and the more complex a model, the longer its unit takes; taking the
 * longest first (longest-processing-time order) leaves short units for last, so the threads finish close
 * together.
 *
 * @example
 * claimOrder([[linear], [poly], [pca]]); // [2, 1, 0]
 */
export function claimOrder(units: readonly unknown[]): number[] {
  return units.map((_unit, u) => units.length - 1 - u);
}

/** Measures the units this thread claims until every one is taken; a failing unit's error is kept (by unit index), not thrown. */
function measureClaimed(plan: SelectionPlan, units: readonly DetectionCandidate[][], order: readonly number[], next: Int32Array, onError: (unit: number, error: unknown) => void): [string, DetectionPoint[]][] {
  const curves: [string, DetectionPoint[]][] = [];
  for (let k = Atomics.add(next, 0, 1); k < order.length; k = Atomics.add(next, 0, 1)) {
    try {
      curves.push(...measureUnit(plan, units[order[k]]));
    } catch (error) {
      onError(order[k], error);
    }
  }
  return curves;
}

/**
 * The worker's side: the plan rebuilt from the job (the same split, injections and candidates), the
 * units it claims measured, and what it kept for the window let go.
 *
 * @example
 * parentPort.postMessage(answerSelectionJob(job));
 */
export function answerSelectionJob(job: SelectionJob): MeasuredUnits {
  const plan = planOf(splitWindowAt(job.columns, job.fitRows), job.rounds, job.dtSeconds, job.config, { ...(job.percentiles === undefined ? {} : { percentiles: job.percentiles }), sharedWindow: true });
  const errors: [number, { message: string; input: boolean }][] = [];
  try {
    const curves = measureClaimed(plan, curveUnits(plan), job.order, job.next, (unit, error) =>
      errors.push([unit, { message: error instanceof Error ? error.message : String(error), input: error instanceof InputError }]),
    );
    return { curves, errors };
  } finally {
    forgetPlan(plan);
  }
}

/** Whether `column` is a view of a SharedArrayBuffer (the worker reads it without a copy). */
function isShared(column: Float64Array): boolean {
  return typeof SharedArrayBuffer === "function" && column.buffer instanceof SharedArrayBuffer;
}

/**
 * {@link runSelection} with its candidates measured on this thread and on `worker` (see the module
 * comment); on this thread alone when there is no worker, when `options.candidates` is given (they
 * cannot be sent), or when the columns are not shared. The result is the same as runSelection's, with
 * the threads it was measured on (1 when the worker did not answer: its units are measured here).
 *
 * @throws what runSelection throws: the first failing unit's error in its order.
 */
export async function runSelectionOnThreads(columns: PreparedColumns, dtSeconds: number, config: SelectionConfig, options: SelectionOptions, worker: Worker | null): Promise<SelectionResult & { readonly threads: number }> {
  if (worker === null || options.candidates !== undefined || ![columns.timeS, ...columns.values].every(isShared)) return { ...runSelection(columns, dtSeconds, config, options), threads: 1 };
  const plan = selectionPlan(columns, dtSeconds, config, { ...options, sharedWindow: true });
  const units = curveUnits(plan);
  const order = claimOrder(units);
  const next = new Int32Array(new SharedArrayBuffer(4));
  const { model, scoring, thresholds, selection } = config;
  const job: SelectionJob = {
    kind: "selection",
    columns: { timeS: columns.timeS, axes: columns.axes, values: columns.values },
    dtSeconds,
    config: { model, scoring, thresholds, selection },
    fitRows: plan.setup.split.fitRows,
    rounds: plan.setup.injected.map((round) => round.injections),
    ...(options.percentiles === undefined ? {} : { percentiles: options.percentiles }),
    order,
    next,
  };
  // Settled here (null when the worker stops first: its units are then measured on this thread).
  const answer = ask(worker, job).catch(() => null);
  const failures = new Map<number, unknown>();
  const curves = new Map<string, DetectionPoint[]>();
  try {
    for (const [key, curve] of measureClaimed(plan, units, order, next, (unit, error) => failures.set(unit, error))) curves.set(key, curve);
    const there = await answer;
    const threads = there === null ? 1 : 2;
    for (const [key, curve] of there?.curves ?? []) curves.set(key, curve);
    for (const [unit, { message, input }] of there?.errors ?? []) failures.set(unit, input ? new InputError(message) : new Error(message));
    // A unit neither answered nor failed (the worker stopped): measured here.
    units.forEach((unit, u) => {
      if (failures.has(u) || unit.every((candidate) => curves.has(`${candidate.model} + ${candidate.statistic}`))) return;
      try {
        for (const [key, curve] of measureUnit(plan, unit)) curves.set(key, curve);
      } catch (error) {
        failures.set(u, error);
      }
    });
    if (failures.size > 0) throw failures.get(Math.min(...failures.keys()));
    return { ...chooseFromCurves(plan, curves, options), threads };
  } finally {
    forgetPlan(plan);
  }
}

/** Posts the job to the worker and resolves with what it measured; rejects when it stops first. */
function ask(worker: Worker, job: SelectionJob): Promise<MeasuredUnits> {
  // A stopped worker (threadId −1) emits no exit any more: it would never answer.
  if (worker.threadId === -1) return Promise.reject(new Error("the selection worker thread has stopped"));
  // An unused worker is unreferenced (it must not keep the process alive); while it works, it must.
  worker.ref();
  return new Promise<MeasuredUnits>((resolve, reject) => {
    const done = (): void => {
      worker.off("message", onMessage);
      worker.off("error", onError);
      worker.off("exit", onExit);
      worker.unref();
    };
    const onMessage = (measured: MeasuredUnits): void => {
      done();
      resolve(measured);
    };
    const onError = (error: Error): void => {
      done();
      reject(error);
    };
    const onExit = (code: number): void => {
      done();
      reject(new Error(`the selection worker thread stopped (exit code ${code}) before it answered`));
    };
    worker.on("message", onMessage);
    worker.on("error", onError);
    worker.on("exit", onExit);
    worker.postMessage(job);
  });
}
