/**
 * Installs the "TypeScript (ML Box)" Jupyter kernel (kernelspec name `mlbox`).
 *
 *   npm run kernel:install                      # per-user (~/.local/share/jupyter/kernels/mlbox)
 *   npm run kernel:install -- --sys-prefix      # into the Python environment running Jupyter
 *   npm run kernel:install -- --prefix /some/dir
 *
 * The kernel is tslab started by this clone's Node with tsx's CommonJS hook
 * preloaded, all by absolute path, so:
 * - notebooks anywhere (any kernel cwd) can `import { ... } from "mlbox"`:
 *   tslab type-checks `lib/` through `node_modules/mlbox -> ../lib` as an
 *   external library (no rootDir error), and at run time the tsx hook lets
 *   Node `require` the `.ts` sources directly (no build step);
 * - Jupyter can be started from any working directory.
 * Re-run after moving the clone or switching Node versions.
 */
import { spawnSync } from "child_process";
import { mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";

/** Kernelspec name written into every notebook's metadata. */
export const KERNEL_NAME = "mlbox";
/** Name JupyterLab shows in its launcher and kernel picker. */
export const KERNEL_DISPLAY_NAME = "TypeScript (ML Box)";

/** The project root (this file lives in `<root>/scripts`). */
export const PROJECT_ROOT = path.resolve(__dirname, "..");

/** The kernel.json of the ML Box kernel for the clone at `root`, with absolute paths. */
export function kernelSpec(root: string = PROJECT_ROOT): { argv: string[]; display_name: string; language: string; interrupt_mode: string; metadata: object } {
  const fromRoot = (request: string): string => require.resolve(request, { paths: [root] });
  const tsxHook = fromRoot("tsx/cjs");
  const tslabBin = path.join(path.dirname(fromRoot("tslab/package.json")), "bin", "tslab");
  return {
    argv: [process.execPath, "--require", tsxHook, tslabBin, "kernel", "--config-path", "{connection_file}"],
    display_name: KERNEL_DISPLAY_NAME,
    language: "typescript",
    interrupt_mode: "signal",
    metadata: { mlbox_root: root },
  };
}

/** The `jupyter` executable to use: `$JUPYTER` or `jupyter` on the PATH. */
export function jupyterCommand(): string {
  return process.env.JUPYTER ?? "jupyter";
}

/** Throws a one-line, actionable error when `jupyter` cannot be run. */
export function requireJupyter(): void {
  const probe = spawnSync(jupyterCommand(), ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `"${jupyterCommand()}" was not found or failed: install Jupyter first (pip install "jupyterlab>=4,<5" nbconvert, ` +
        `or run .ci/install-notebook-deps.sh), or point $JUPYTER at it`,
    );
  }
}

/**
 * Writes the kernelspec to a temporary folder and installs it with
 * `jupyter kernelspec install --replace --name mlbox`, passing `where`
 * (`--user`, `--sys-prefix` or `--prefix <dir>`). Returns the install folder.
 */
export function installKernel(where: readonly string[] = ["--user"], root: string = PROJECT_ROOT): string {
  requireJupyter();
  const dir = mkdtempSync(path.join(tmpdir(), "mlbox-kernel-"));
  try {
    const spec = kernelSpec(root);
    writeFileSync(path.join(dir, "kernel.json"), JSON.stringify(spec, null, 2) + "\n");
    const result = spawnSync(jupyterCommand(), ["kernelspec", "install", "--replace", "--name", KERNEL_NAME, ...where, dir], {
      encoding: "utf8",
    });
    if (result.status !== 0) throw new Error(`jupyter kernelspec install failed: ${(result.stderr || result.stdout || "").trim()}`);
    const installed = /Installed kernelspec \S+ in (.+)$/m.exec(result.stderr + result.stdout);
    return installed ? installed[1].trim() : "";
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function main(args: readonly string[]): void {
  const where = args.length > 0 ? args : ["--user"];
  const known = new Set(["--user", "--sys-prefix", "--prefix"]);
  if (!known.has(where[0]) || (where[0] === "--prefix" ? where.length !== 2 : where.length !== 1)) {
    throw new Error("usage: npm run kernel:install [-- --user | --sys-prefix | --prefix <dir>]");
  }
  const location = installKernel(where);
  console.log(`Installed the "${KERNEL_DISPLAY_NAME}" kernel (${KERNEL_NAME})${location ? ` in ${location}` : ""}`);
  console.log(`  node: ${process.execPath}`);
  console.log(`  project: ${PROJECT_ROOT}`);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    console.error(`kernel:install: ${(error as Error).message}`);
    process.exit(1);
  }
}
