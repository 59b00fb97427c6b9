/**
 * The registry's aliases file, `<root>/aliases.json`: which version each
 * named alias (`production`, `staging`, …) points at, and every move of it
 * (version, from, by, at). Reading and checking it lives here, apart from
 * writing it (./aliases.ts), so ./read.ts can resolve alias names without an
 * import cycle.
 */
import { promises as fsp } from "fs";
import * as path from "path";
import { InputError } from "../core/errors";
import { errorText } from "../core/errorText";
import { parseWithSchema, z } from "../core/schema";
import { aliasNameProblem } from "../shapes/aliasName";

/** Name of the aliases file in the registry root. */
export const ALIASES_FILE = "aliases.json";

const moveSchema = z
  .object({
    version: z.string().min(1),
    from: z.string().min(1).nullable(),
    by: z.string(),
    at: z.string().min(1),
    note: z.string().optional(),
  })
  .strict()
  .readonly();

const aliasSchema = z.object({ version: z.string().min(1), history: z.array(moveSchema).readonly() }).strict().readonly();

const fileSchema = z
  .object({
    aliases: z.record(z.string(), aliasSchema).superRefine((aliases, context) => {
      for (const name of Object.keys(aliases)) {
        const problem = aliasNameProblem(name);
        if (problem !== null) context.addIssue({ code: "custom", path: [name], message: problem });
      }
    }),
  })
  .strict()
  .readonly();

/** One move of an alias: to `version`, from `from` (null when the alias was new), by whom (OS user or MLBOX_USER), when (ISO UTC). */
export type AliasMove = z.infer<typeof moveSchema>;
/** One alias: the version it names now and its moves, oldest first. */
export type AliasEntry = z.infer<typeof aliasSchema>;
/** The whole aliases file. */
export type AliasFile = z.infer<typeof fileSchema>;

/**
 * Reads `<root>/aliases.json`; null when the file does not exist (a new
 * registry, or one made before aliases existed).
 * @throws InputError naming the file and the key when it is malformed or unreadable.
 * @example
 * const file = await readAliasFile("ModelRegistry/artifacts");
 * file?.aliases.production?.version; // "v1", or undefined
 */
export async function readAliasFile(root: string): Promise<AliasFile | null> {
  const file = path.join(root, ALIASES_FILE);
  let text: string;
  try {
    text = await fsp.readFile(file, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    throw new InputError(`registry file ${file} cannot be read: ${errorText(error)}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(`registry file ${file} is not valid JSON (${errorText(error)}): restore it from a backup or fix it by hand`);
  }
  return parseWithSchema(fileSchema, value, `registry file ${file}`);
}

/** The text written for `file`: two-space JSON, one trailing newline. */
export function aliasFileText(file: AliasFile): string {
  return `${JSON.stringify(file, null, 2)}\n`;
}
