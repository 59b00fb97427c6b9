/**
 * Whether a sample is idle: an exact 0 is the machine standing still, not a
 * measurement. Training leaves idle samples out of the fit, working-row
 * metrics and value histograms skip them, charts draw them apart, and
 * `analyze` reports their share.
 */
export function isIdleSample(value: number): boolean {
  return value === 0;
}
