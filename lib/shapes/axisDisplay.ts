/**
 * How an axis is named to people: `data.axis_labels` (axis → display name) and
 * `data.units` (axis → unit) from config.yaml. One rule for every place that
 * names an axis (the service's page, the CLI summary, the notebooks): the
 * label, or the axis itself, then the unit in parentheses — `Motor 1 (A)`,
 * `axis2 (°C)` — the same text lib/views/axisNames.ts shows in charts. An axis
 * of a LONG layout (`axis<id>`) may be keyed by `axis<id>` or by its id. A
 * two-sided version's lower side (`<axis>:down`) reads `<name> low side`; a
 * pca statistic (`T2`, `SPE`) has no entry and keeps its name.
 */

/** The two maps, as `config.data` holds them (either may be absent). */
export interface AxisDisplay {
  readonly axis_labels?: Readonly<Record<string, string>>;
  readonly units?: Readonly<Record<string, string>>;
}

/** The suffix of a lower side's name (lib/scoring/twoSided.ts `DOWN_SUFFIX`; repeated here, a layer below it). */
const DOWN = ":down";

/** The entry of `map` for `axis`: by its name, else (a LONG axis `axis<id>`) by its id. */
function entry(map: Readonly<Record<string, string>> | undefined, axis: string): string | undefined {
  if (map === undefined) return undefined;
  if (Object.prototype.hasOwnProperty.call(map, axis)) return map[axis];
  const id = /^axis(\d+)$/.exec(axis)?.[1];
  return id !== undefined && Object.prototype.hasOwnProperty.call(map, id) ? map[id] : undefined;
}

/**
 * The display name of `axis`: its label (or the axis), with its unit in parentheses when it has one.
 * @example
 * axisDisplayName("axis1", { axis_labels: { axis1: "Motor 1" }, units: { axis1: "A" } }); // "Motor 1 (A)"
 * axisDisplayName("axis2", { units: { axis2: "°C" } }); // "axis2 (°C)"
 * axisDisplayName("axis1:down", { axis_labels: { axis1: "Motor 1" } }); // "Motor 1 low side"
 * axisDisplayName("T2", {}); // "T2"
 */
export function axisDisplayName(axis: string, display: AxisDisplay | undefined): string {
  if (axis.endsWith(DOWN)) return `${axisDisplayName(axis.slice(0, -DOWN.length), display)} low side`;
  const label = entry(display?.axis_labels, axis) ?? axis;
  const unit = entry(display?.units, axis);
  return unit === undefined ? label : `${label} (${unit})`;
}

/**
 * The unit of `axis`, or "" when it has none (a lower side has its axis's unit).
 * @example
 * axisUnit("axis1", { units: { axis1: "A" } }); // "A"
 * axisUnit("axis3", { units: { axis1: "A" } }); // ""
 */
export function axisUnit(axis: string, display: AxisDisplay | undefined): string {
  const base = axis.endsWith(DOWN) ? axis.slice(0, -DOWN.length) : axis;
  return entry(display?.units, base) ?? "";
}

/**
 * The display name followed by the axis itself when they differ, for lines that must stay greppable by axis.
 * @example
 * axisCaption("axis1", { axis_labels: { axis1: "Motor 1" } }); // "Motor 1 [axis1]"
 * axisCaption("axis2", {}); // "axis2"
 */
export function axisCaption(axis: string, display: AxisDisplay | undefined): string {
  const name = axisDisplayName(axis, display);
  return name === axis ? axis : `${name} [${axis}]`;
}

/**
 * The key of `map` that names no axis of `axes` (configured names, or LONG ids whose columns are `axis<id>`), or undefined.
 * @example
 * unknownAxisKey({ axis9: "x" }, ["axis1", "axis2"]); // "axis9"
 * unknownAxisKey({ "3": "x", axis4: "y" }, [3, 4]); // undefined
 */
export function unknownAxisKey(map: Readonly<Record<string, unknown>>, axes: readonly (string | number)[]): string | undefined {
  const known = new Set<string>();
  for (const axis of axes) {
    known.add(String(axis));
    if (typeof axis === "number") known.add(`axis${axis}`);
  }
  return Object.keys(map).find((key) => !known.has(key));
}
