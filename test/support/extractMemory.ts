/**
 * Child process of the extraction memory test: connects to
 * MLBOX_MEMORY_DB_URL, extracts MLBOX_MEMORY_DATA (a `data:` block as JSON)
 * and prints `{ rows, extraBytes }`, extraBytes being how far the peak RSS
 * rose above the RSS measured just before the extraction (after a warm-up
 * read of a few rows, so code loading does not count; a higher peak from
 * before only makes the figure larger). Run it with `--expose-gc`.
 */
import { connect } from "../../lib/connect";
import { extractColumns } from "../../lib/extract";
import type { DataConfig } from "../../lib/types";
import { testConfig } from "./databases";

async function main(): Promise<void> {
  const data = JSON.parse(process.env.MLBOX_MEMORY_DATA ?? "") as DataConfig;
  const db = await connect(testConfig({ url_env: "MLBOX_MEMORY_DB_URL" }));
  try {
    await extractColumns(db, { ...data, train_end: (data.train_start as number) + 1 });
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage().rss;
    // A collection once a second (run with --expose-gc): the figure is what the read keeps alive, not how
    // long V8 lets the driver's spent socket chunks lie around (that varies with the machine's load).
    const gc = (globalThis as { gc?: () => void }).gc;
    const x = await extractColumns(db, data, { onProgress: () => gc?.() });
    const peak = process.resourceUsage().maxRSS * 1024;
    process.stdout.write(JSON.stringify({ rows: x.time.length, extraBytes: peak - before }));
  } finally {
    await db.destroy();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
