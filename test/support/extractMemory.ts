/**
 * Child process of the extraction memory test: connects to
 * MLBOX_MEMORY_DB_URL, extracts MLBOX_MEMORY_DATA (a `data:` block as JSON)
 * and prints `{ rows, extraBytes }`, extraBytes being how far live memory
 * (heap, external, array buffers, after a collection) rose during the read
 * above what it was just before (after a warm-up read of a few rows, so code
 * loading does not count). Run it with `--expose-gc`.
 */
import { connect } from "../../lib/db/connect";
import { extractColumns } from "../../lib/db/extract";
import type { DataConfig } from "../../lib/shapes/types";
import { testConfig } from "./databases";

async function main(): Promise<void> {
  const data = JSON.parse(process.env.MLBOX_MEMORY_DATA ?? "") as DataConfig;
  const db = await connect(testConfig({ url_env: "MLBOX_MEMORY_DB_URL" }).database);
  try {
    await extractColumns(db, { ...data, train_end: (data.train_start as number) + 1 });
    // Live memory (heap, external and array buffers) right after a collection, every 20 ms while reading
    // (run with --expose-gc): what the read keeps alive, not how long V8 lets spent socket chunks lie
    // around or how much the allocator keeps (both vary from run to run).
    const gc = (globalThis as { gc?: () => void }).gc ?? (() => {});
    const live = (): number => {
      gc();
      const usage = process.memoryUsage();
      return usage.heapUsed + usage.external + usage.arrayBuffers;
    };
    const before = live();
    let peakLive = before;
    const sampler = setInterval(() => {
      peakLive = Math.max(peakLive, live());
    }, 20);
    const x = await extractColumns(db, data).finally(() => clearInterval(sampler));
    peakLive = Math.max(peakLive, live());
    const extraBytes = peakLive - before;
    process.stdout.write(JSON.stringify({ rows: x.time.length, extraBytes }));
  } finally {
    await db.destroy();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
