/**
 * Entry of an axis worker thread (see axisThreads): receives the axes and the
 * shared counter, runs the axes it claims with a scratch column of its own,
 * and posts what it produced.
 */
import { parentPort } from "worker_threads";
import { runClaimedAxes, type AxisWorkerJob } from "./axisThreads";

parentPort?.once("message", (job: AxisWorkerJob) => {
  void runClaimedAxes(job.inputs, job.next, new Float64Array(job.rows)).then((claimed) => parentPort?.postMessage(claimed));
});
