/**
 * Runs a synchronous clean-up when this test process ends: at `exit` and on SIGINT/SIGTERM/SIGHUP, keeping each
 * signal's default (terminate) unless someone else handles it. Each clean-up is installed once, however often
 * it is asked for, so a support module can call this from every start.
 *
 * @example
 * cleanUpAtExit(stopAllSync); // the servers this module started die with the test process
 */
const installed = new Set<() => void>();

export function cleanUpAtExit(cleanUp: () => void): void {
  if (installed.has(cleanUp)) return;
  installed.add(cleanUp);
  process.on("exit", cleanUp);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      cleanUp();
      process.removeListener(sig, onSignal);
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}
