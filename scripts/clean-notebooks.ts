/**
 * `npm run notebooks:clean`: strips outputs, execution counts and execution
 * timing metadata from 00_Main.ipynb and the stage notebooks, and writes them
 * as Jupyter does (keys sorted, one-space indent, trailing newline), so
 * committed notebooks diff cleanly. `--check` only reports notebooks that
 * are not clean (exit 1), changing nothing.
 */
import { readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "./install-kernel";
import { listNotebooks } from "./notebooks";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** JSON text with object keys sorted, like Python's `json.dumps(sort_keys=True, indent=1, ensure_ascii=False)`. */
export function sortedJson(value: Json): string {
  const sort = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(sort);
    if (v !== null && typeof v === "object") {
      const out: { [key: string]: Json } = {};
      for (const key of Object.keys(v).sort()) out[key] = sort(v[key]);
      return out;
    }
    return v;
  };
  return JSON.stringify(sort(value), null, 1) + "\n";
}

/** The clean form of a notebook's text: no outputs, no execution counts, no execution metadata. */
export function cleanNotebookText(text: string): string {
  const nb = JSON.parse(text) as { cells: { [key: string]: Json }[] } & { [key: string]: Json };
  for (const cell of nb.cells) {
    if (cell.cell_type === "code") {
      cell.outputs = [];
      cell.execution_count = null;
    }
    const metadata = cell.metadata;
    if (metadata !== null && typeof metadata === "object" && !Array.isArray(metadata)) {
      delete metadata.execution;
      delete metadata.ExecuteTime;
    }
  }
  return sortedJson(nb as unknown as Json);
}

function main(args: readonly string[]): number {
  const check = args.includes("--check");
  let dirty = 0;
  for (const file of listNotebooks()) {
    const text = readFileSync(file, "utf8");
    const clean = cleanNotebookText(text);
    if (clean === text) continue;
    dirty++;
    const name = path.relative(PROJECT_ROOT, file);
    if (check) {
      console.error(`not clean: ${name} (run npm run notebooks:clean)`);
    } else {
      writeFileSync(file, clean);
      console.log(`cleaned ${name}`);
    }
  }
  return check && dirty > 0 ? 1 : 0;
}

if (require.main === module) process.exit(main(process.argv.slice(2)));
