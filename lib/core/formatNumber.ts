/**
 * A number for people, the one format of the CLI summary, notebook tables and
 * chart labels: integers in full, other finite numbers with `digits`
 * significant digits and no trailing zeros (`0.333333`, `1.5`, `1.23457e+6`),
 * `NaN` and `±Infinity` as such.
 *
 * @param digits significant digits of non-integers; defaults to 6
 */
export function formatNumber(value: number, digits = 6): string {
  if (!Number.isFinite(value) || Number.isInteger(value)) return String(value);
  const text = value.toPrecision(digits);
  // Only zeros after a decimal point are trailing: 123450.2 to 6 digits is "123450", not "12345".
  if (text.includes("e")) return text.replace(/\.?0+e/, "e");
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}
