/**
 * The `@example` blocks of lib/'s doc comments that import from "mlbox" (the
 * notebook cells they stand for), and the files that run and type-check
 * them as a notebook cell would: each an ES module with top-level await,
 * written where `mlbox` resolves (under node_modules/.cache, ignored by git).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/** One `@example` of a doc comment. */
export interface DocExample {
  /** `lib/stages/train.ts`. */
  readonly file: string;
  /** The declaration the comment documents (`train`). */
  readonly name: string;
  /** The example's code, comment stars removed. */
  readonly code: string;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return tsFiles(full);
    return entry.name.endsWith(".ts") ? [full] : [];
  });
}

/** Every `@example` importing from "mlbox" in `<root>/lib`, in file order. */
export function docExamples(root: string): DocExample[] {
  const out: DocExample[] = [];
  for (const file of tsFiles(path.join(root, "lib")).sort()) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(/\/\*\*([\s\S]*?)\*\/\s*(?:export\s+)?(?:async\s+)?(?:function|const|class)\s+([A-Za-z0-9_$]+)/g)) {
      const lines = match[1].split("\n").map((line) => line.replace(/^\s*\* ?/, ""));
      for (let i = lines.indexOf("@example"); i !== -1; i = lines.indexOf("@example", i + 1)) {
        const body: string[] = [];
        for (let j = i + 1; j < lines.length && !lines[j].startsWith("@"); j++) body.push(lines[j]);
        const code = body.join("\n").trim();
        if (code.includes('from "mlbox"')) out.push({ file: path.relative(root, file), name: match[2], code });
      }
    }
  }
  return out;
}

/** Whether an example reads the project's config (and so its database and registry). */
export function needsProject(example: DocExample): boolean {
  return /\bloadConfig\(resolveConfigPath\(\)\)/.test(example.code);
}

/** Writes each example as `<n>-<name>.mts` into a fresh folder under `<root>/node_modules/.cache/`; returns the folder and files. */
export function writeExamples(root: string, examples: readonly DocExample[], label: string): { readonly dir: string; readonly files: string[] } {
  const dir = path.join(root, "node_modules", ".cache", `mlbox-examples-${label}-${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = examples.map((example, i) => {
    const file = path.join(dir, `${String(i).padStart(2, "0")}-${example.name}.mts`);
    writeFileSync(file, `// ${example.file}: ${example.name}\n${example.code}\nexport {};\n`);
    return file;
  });
  return { dir, files };
}
