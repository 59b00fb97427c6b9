/**
 * Entry of an axis worker thread (see axisThreads): receives the axes and the
 * shared counter, runs the axes it claims with a scratch column of its own,
 * and posts what it produced. Before its axes it may be sent selection's
 * candidates to measure (lib/selection/selectionThreads.ts).
 */
import { parentPort } from "worker_threads";
import { runClaimedAxes, type AxisWorkerJob } from "./axisThreads";
import type { SelectionJob } from "../selection/selectionThreads";

parentPort?.on("message", (job: AxisWorkerJob | SelectionJob) => {
  if ("kind" in job && job.kind === "selection") {
    // Loaded with the first selection job: a worker that only runs axes (most runs) does not start selection's code.
    const { answerSelectionJob } = require("../selection/selectionThreads") as typeof import("../selection/selectionThreads");
    parentPort?.postMessage(answerSelectionJob(job));
    return;
  }
  const axes = job as AxisWorkerJob;
  void runClaimedAxes(axes.inputs, axes.next, new Float64Array(axes.rows)).then((claimed) => parentPort?.postMessage(claimed));
});
