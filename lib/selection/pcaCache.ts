/**
 * The pca models of a part of a window, trained once for the pca candidates
 * that differ only in their smoothing (`pca + residual`, `pca + ewma`): they
 * share the usable rows, the slow-axis test, the blocks and the
 * standardisations (`trainPcaSmoothings`). One entry per part, held weakly by
 * the part, so it goes with the window.
 */
import type { PcaTrained } from "../stages/pcaTrain";
import type { PreparedColumns } from "../shapes/types";

/** An EWMA weight, or null for no smoothing. */
type Alpha = number | null;

const latest = new WeakMap<PreparedColumns, { readonly key: string; readonly byAlpha: ReadonlyMap<Alpha, PcaTrained> }>();

/**
 * Lets the models kept for `part` go (runSelection calls it when done).
 *
 * @example
 * forgetPartPca(split.fit);
 */
export function forgetPartPca(part: PreparedColumns): void {
  latest.delete(part);
}

/**
 * The model of `part` with smoothing `alpha`: the one kept from the last `train` of the same part and
 * `key` (the training options apart from the smoothing), else `train(alphas)` (which must return one model
 * per alpha, in order; `alphas` includes `alpha`), kept for the next. Treat the models as read-only.
 *
 * @example
 * const trained = partPca(split.fit, key, null, [null, 0.2], (alphas) => trainPcaSmoothings(axes, timeS, values, dt, policy, options, alphas));
 */
export function partPca(part: PreparedColumns, key: string, alpha: Alpha, alphas: readonly Alpha[], train: (alphas: readonly Alpha[]) => PcaTrained[]): PcaTrained {
  const cached = latest.get(part);
  const kept = cached !== undefined && cached.key === key ? cached.byAlpha.get(alpha) : undefined;
  if (kept !== undefined) return kept;
  const wanted = alphas.includes(alpha) ? alphas : [alpha, ...alphas];
  const trained = train(wanted);
  const byAlpha = new Map(wanted.map((a, k) => [a, trained[k]] as const));
  latest.set(part, { key, byAlpha });
  return byAlpha.get(alpha) as PcaTrained;
}
