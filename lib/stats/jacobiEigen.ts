/**
 * Eigen-decomposition of a small symmetric matrix by the cyclic Jacobi method:
 * plane rotations zero the off-diagonal entries one at a time until their
 * squared sum is negligible. For the few axes PCA works on (a handful to a few
 * dozen) it is exact to rounding and needs no linear-algebra dependency.
 */

/** Eigenvalues (descending) and the matching unit eigenvectors (`vectors[k]` is the k-th, length n). */
export interface SymmetricEigen {
  readonly values: Float64Array;
  readonly vectors: readonly Float64Array[];
}

/** Sweeps at most; each sweep visits every off-diagonal pair once (convergence is quadratic, ~10 suffice). */
const MAX_SWEEPS = 100;

/**
 * The eigenvalues and eigenvectors of the symmetric matrix `matrix` (rows of
 * length n; only symmetric input is meaningful). Eigenvalues are sorted in
 * descending order; each eigenvector's sign is fixed so that its entry of
 * largest magnitude is positive (a deterministic choice).
 *
 * @example
 * const { values, vectors } = jacobiEigen([[2, 1], [1, 2]]);
 * // values ≈ [3, 1]; vectors[0] ≈ [0.7071, 0.7071]
 */
export function jacobiEigen(matrix: readonly ArrayLike<number>[]): SymmetricEigen {
  const n = matrix.length;
  const a = matrix.map((row) => Float64Array.from(row));
  const v = Array.from({ length: n }, (_, i) => {
    const row = new Float64Array(n);
    row[i] = 1;
    return row;
  });
  let scale = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) scale += a[i][j] * a[i][j];
  const tolerance = scale * 1e-30;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p][q] * a[p][q];
    if (off <= tolerance) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p][q];
        if (apq === 0) continue;
        // Rotation angle zeroing a[p][q] (Numerical Recipes' stable form).
        const theta = (a[q][q] - a[p][p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k][p];
          const akq = a[k][q];
          a[k][p] = c * akp - s * akq;
          a[k][q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p][k];
          const aqk = a[q][k];
          a[p][k] = c * apk - s * aqk;
          a[q][k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k][p];
          const vkq = v[k][q];
          v[k][p] = c * vkp - s * vkq;
          v[k][q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j][j] - a[i][i] || i - j);
  const values = Float64Array.from(order, (i) => a[i][i]);
  const vectors = order.map((col) => {
    const vector = Float64Array.from({ length: n }, (_, k) => v[k][col]);
    let largest = 0;
    for (let k = 1; k < n; k++) if (Math.abs(vector[k]) > Math.abs(vector[largest]) + 1e-12) largest = k;
    if (vector[largest] < 0) for (let k = 0; k < n; k++) vector[k] = -vector[k];
    return vector;
  });
  return { values, vectors };
}
