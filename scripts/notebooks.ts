/**
 * Headless notebook runs, shared by `npm run report` and the tests:
 * which notebooks exist, a private kernelspec for this clone, and the
 * `jupyter nbconvert` calls that execute a notebook and render it to a
 * self-contained HTML file (template `scripts/nbconvert/mlbox`: JupyterLab's
 * look, no CDN scripts; charts carry plotly.js inline once per notebook).
 */
import { spawn } from "child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "fs";
import * as path from "path";
import { jupyterCommand, kernelSpec, KERNEL_NAME, PROJECT_ROOT, requireJupyter } from "./install-kernel";

/** Environment variable naming the config file notebooks use (same as lib/notebook/configPath.ts). */
export const CONFIG_ENV = "MLBOX_CONFIG";

/** `00_Main.ipynb` then the stage notebooks in `notebooks/`, as absolute paths, in run order. */
export function listNotebooks(root: string = PROJECT_ROOT): string[] {
  const stageDir = path.join(root, "notebooks");
  const stages = existsSync(stageDir)
    ? readdirSync(stageDir)
        .filter((name) => /^\d\d_.*\.ipynb$/.test(name))
        .sort()
        .map((name) => path.join(stageDir, name))
    : [];
  return [path.join(root, "00_Main.ipynb"), ...stages];
}

/**
 * Writes the ML Box kernelspec of this clone into `<dir>/kernels/mlbox/`, for
 * use through `JUPYTER_PATH=<dir>` (so headless runs do not depend on, or
 * change, the user's installed kernels). Returns `dir`.
 */
export function writePrivateKernelspec(dir: string): string {
  const kernelDir = path.join(dir, "kernels", KERNEL_NAME);
  mkdirSync(kernelDir, { recursive: true });
  writeFileSync(path.join(kernelDir, "kernel.json"), JSON.stringify(kernelSpec(), null, 2) + "\n");
  return dir;
}

/** The environment for Jupyter processes: `JUPYTER_PATH` led by `jupyterPath`, plus `extra`. */
export function jupyterEnv(jupyterPath: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const previous = process.env.JUPYTER_PATH;
  return {
    ...process.env,
    JUPYTER_PATH: previous ? `${jupyterPath}${path.delimiter}${previous}` : jupyterPath,
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
    ...extra,
  };
}

/** Result of one `jupyter` run. */
export interface RunResult {
  readonly code: number;
  readonly output: string;
  readonly seconds: number;
}

/** Runs `jupyter <args>` and collects its output (never throws for a non-zero exit). */
export function runJupyter(args: readonly string[], env: NodeJS.ProcessEnv, cwd: string = PROJECT_ROOT): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(jupyterCommand(), [...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    child.stdout.on("data", (c: Buffer) => chunks.push(c));
    child.stderr.on("data", (c: Buffer) => chunks.push(c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString("utf8"), seconds: (Date.now() - started) / 1000 }));
  });
}

/** Per-cell timeout of headless runs in seconds. */
export const CELL_TIMEOUT_S = 900;

/**
 * Executes `notebook` on a fresh ML Box kernel (cwd: the notebook's folder)
 * and writes the executed copy to `<outDir>/<name>.ipynb`.
 */
export function executeNotebook(notebook: string, outDir: string, env: NodeJS.ProcessEnv, cwd?: string): Promise<RunResult> {
  const name = path.basename(notebook, ".ipynb");
  return runJupyter(
    [
      "nbconvert",
      "--execute",
      "--to",
      "notebook",
      `--ExecutePreprocessor.timeout=${CELL_TIMEOUT_S}`,
      `--ExecutePreprocessor.kernel_name=${KERNEL_NAME}`,
      "--output-dir",
      outDir,
      "--output",
      name,
      notebook,
    ],
    env,
    cwd,
  );
}

/** Folder of the nbconvert template `mlbox`. */
export const TEMPLATE_DIR = path.join(PROJECT_ROOT, "scripts", "nbconvert");

/** Renders an (executed) notebook to `<outDir>/<name>.html` with the self-contained `mlbox` template. */
export function notebookToHtml(notebook: string, outDir: string, env: NodeJS.ProcessEnv, cwd?: string): Promise<RunResult> {
  const name = path.basename(notebook, ".ipynb");
  return runJupyter(
    [
      "nbconvert",
      "--to",
      "html",
      `--TemplateExporter.extra_template_basedirs=${TEMPLATE_DIR}`,
      "--template",
      "mlbox",
      "--output-dir",
      outDir,
      "--output",
      name,
      notebook,
    ],
    env,
    cwd,
  );
}

/**
 * Numbers the code cells of an executed notebook 1, 2, … in order. tslab
 * reports execution counts only in its execute replies, which nbconvert
 * ignores, so headless runs would otherwise show `In [ ]:` everywhere.
 */
export function numberCodeCells(file: string): void {
  const nb = JSON.parse(readFileSync(file, "utf8")) as { cells: { cell_type: string; execution_count?: number | null }[] };
  let count = 0;
  for (const cell of nb.cells) if (cell.cell_type === "code") cell.execution_count = ++count;
  writeFileSync(file, JSON.stringify(nb, null, 1) + "\n");
}

/**
 * Marks an executed notebook as trusted (`jupyter trust`), so that JupyterLab
 * runs the chart scripts in its saved outputs when it is opened.
 */
export function trustNotebook(file: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return runJupyter(["trust", file], env);
}

export { requireJupyter };
