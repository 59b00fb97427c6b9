/**
 * Axis display names in charts and tables (`data.axis_labels`, `data.units`):
 * the views name axes by their column (`axis8`); a reader wants "Motor 8
 * current (A)". Rather than thread a name map through every chart function,
 * a finished figure or table is relabelled once, where it is shown: axis
 * names are replaced as whole words in titles, trace names, hover templates
 * (outside `%{…}` placeholders) and text, and as exact values in category
 * arrays (a timeline's lanes). Colours, modes and data are never touched.
 */
import type { PlotlyFigure } from "./figure";
import { axisDisplayName, type AxisDisplay } from "../shapes/axisDisplay";

/** Axis name → the text shown for it. */
export type AxisNames = ReadonlyMap<string, string>;

/**
 * The text shown for each axis by `data.axis_labels`/`data.units` (lib/shapes/axisDisplay.ts's
 * `axisDisplayName`: the label or the axis, the unit in parentheses); axes named as they are are left out.
 * @example
 * axisNames(["axis1", "axis2", "axis3"], { axis_labels: { axis1: "Motor 1" }, units: { axis1: "A", axis2: "°C" } });
 * // Map { "axis1" => "Motor 1 (A)", "axis2" => "axis2 (°C)" }
 * axisNames([1, 2], { axis_labels: { "1": "Motor 1" } }); // Map { "axis1" => "Motor 1" }
 */
export function axisNames(axes: readonly (string | number)[], display: AxisDisplay | undefined): AxisNames {
  const names = new Map<string, string>();
  // A LONG layout's axes are ids in the config and columns `axis<id>` once extracted.
  for (const axis of axes.map((a) => (typeof a === "number" ? `axis${a}` : a))) {
    const name = axisDisplayName(axis, display);
    if (name !== axis) names.set(axis, name);
  }
  return names;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A replacer of whole-word axis names (longest first, so `axis10` is never read as `axis1`). */
function wordReplacer(names: AxisNames): (text: string) => string {
  if (names.size === 0) return (text) => text;
  const keys = [...names.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  const pattern = new RegExp(`(?<![A-Za-z0-9_])(${keys.join("|")})(?![A-Za-z0-9_])`, "g");
  return (text) => text.replace(pattern, (axis) => names.get(axis) as string);
}

/**
 * `text` with every whole-word axis name replaced by its display name.
 * @example
 * relabelText("axis8 MaxC", new Map([["axis8", "Motor 8 (A)"]])); // "Motor 8 (A) MaxC"
 */
export function relabelText(text: string, names: AxisNames): string {
  return wordReplacer(names)(text);
}

// Keys whose string values are prose (whole words replaced), and whose arrays hold categories (exact values replaced).
const PROSE_KEYS = new Set(["text", "name"]);
const CATEGORY_KEYS = new Set(["x", "y", "categoryarray", "ticktext"]);

/**
 * A copy of `figure` with axis names shown by their display names (see the module comment);
 * the same figure when `names` is empty.
 * @example
 * relabelFigure(timelineChart(events, { lanes: ["axis1"] }), new Map([["axis1", "Motor 1 (A)"]]));
 */
export function relabelFigure(figure: PlotlyFigure, names: AxisNames): PlotlyFigure {
  if (names.size === 0) return figure;
  const words = wordReplacer(names);
  const template = (text: string): string => text.split(/(%\{[^}]*\})/).map((part, i) => (i % 2 === 1 ? part : words(part))).join("");
  const exact = (value: unknown): unknown => (typeof value === "string" && names.has(value) ? names.get(value) : value);
  const walk = (value: unknown, key: string): unknown => {
    if (typeof value === "string") return key === "hovertemplate" ? template(value) : PROSE_KEYS.has(key) ? words(value) : value;
    if (Array.isArray(value)) {
      if (CATEGORY_KEYS.has(key)) return value.map(exact);
      if (key === "text") return value.map((item) => (typeof item === "string" ? words(item) : item));
      return value.map((item) => walk(item, ""));
    }
    if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    }
    return value;
  };
  return walk(figure, "") as PlotlyFigure;
}

/**
 * `html` with whole-word axis names replaced in its text (between tags), never inside a tag.
 * @example
 * relabelHtml("<td>axis1</td>", new Map([["axis1", "Motor 1 (A)"]])); // "<td>Motor 1 (A)</td>"
 */
export function relabelHtml(html: string, names: AxisNames): string {
  if (names.size === 0) return html;
  // The display names go into HTML text: escaped like every other cell.
  const words = wordReplacer(new Map([...names].map(([axis, name]) => [axis, name.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")])));
  return html.replace(/>([^<]+)</g, (_match, text: string) => `>${words(text)}<`);
}
