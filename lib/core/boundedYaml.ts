/**
 * YAML read with alias expansion bounded. js-yaml returns an alias as the
 * very object it names, so a "billion laughs" document (12 levels of 9
 * aliases in 750 bytes) loads as a small graph, but anything that walks it
 * as a tree (schema checks, JSON.stringify, copies) visits 9^12 values.
 * {@link loadYamlBounded} measures the tree the graph stands for, in time
 * linear in the graph, and refuses a document whose aliases add more than
 * {@link MAX_ALIAS_EXPANSION} values: such a file fails in milliseconds
 * with one line instead of hanging or exhausting memory.
 */
import * as yaml from "js-yaml";

/** Values that aliases may add to a document (its size walked as a tree minus its size as written). */
export const MAX_ALIAS_EXPANSION = 100_000;

/** Thrown by {@link loadYamlBounded} for a document whose aliases expand beyond the bound. */
export class YamlExpansionError extends Error {
  override readonly name = "YamlExpansionError";
}

/**
 * Values of `root` counted as a tree (`tree`) and as a graph of distinct
 * objects (`graph`), in time linear in the graph; a cycle counts as one value.
 */
function sizes(root: unknown): { tree: number; graph: number } {
  const memo = new Map<object, number>();
  const inProgress = new Set<object>();
  let graph = 0;
  const visit = (value: unknown): number => {
    if (value === null || typeof value !== "object") {
      graph++;
      return 1;
    }
    const known = memo.get(value);
    if (known !== undefined) return known;
    if (inProgress.has(value)) return 1;
    inProgress.add(value);
    graph++;
    let total = 1;
    const children = Array.isArray(value) ? value : value instanceof Date ? [] : Object.values(value);
    for (const child of children) {
      total += visit(child);
      if (total > Number.MAX_SAFE_INTEGER / 2) total = Number.MAX_SAFE_INTEGER / 2;
    }
    inProgress.delete(value);
    memo.set(value, total);
    return total;
  };
  const tree = visit(root);
  return { tree, graph };
}

/**
 * `yaml.load(text, options)`, refusing alias bombs.
 * @throws YamlExpansionError when aliases add more than {@link MAX_ALIAS_EXPANSION} values;
 *   js-yaml's YAMLException for a syntax error.
 * @example
 * loadYamlBounded("a: &x [1, 2]\nb: *x"); // { a: [1, 2], b: [1, 2] }
 */
export function loadYamlBounded(text: string, options?: yaml.LoadOptions): unknown {
  const document = yaml.load(text, options);
  const { tree, graph } = sizes(document);
  if (tree - graph > MAX_ALIAS_EXPANSION) {
    throw new YamlExpansionError(
      `its aliases (*name) expand to more than ${MAX_ALIAS_EXPANSION.toLocaleString("en-US")} values (${tree.toExponential(2)} in all): write the values out instead of aliasing them`,
    );
  }
  return document;
}
