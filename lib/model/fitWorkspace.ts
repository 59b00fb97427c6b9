/**
 * Columns a trend fit works in, reused from axis to axis of one training
 * (`trainColumns`): a fit takes what it needs and gives it back at its end, so
 * that the next axis's fit finds them instead of allocating its own while
 * the previous axis's wait for the garbage collector.
 */

/** A pool of work columns; hold one for one training and let it go with it. */
export class FitWorkspace {
  private readonly free: Float64Array[] = [];

  /**
   * A column of `n` values whose contents are left over from an earlier fit (write before reading):
   * a given-back one with room for `n`, else a new one (then a given-back one too small is dropped,
   * so the pool holds no more columns than a fit uses at once).
   *
   * @example
   * const x = workspace.take(n);
   */
  take(n: number): Float64Array {
    const fits = this.free.findIndex((column) => column.buffer.byteLength >= n * Float64Array.BYTES_PER_ELEMENT);
    if (fits >= 0) {
      const [column] = this.free.splice(fits, 1);
      return new Float64Array(column.buffer, 0, n);
    }
    this.free.pop();
    return new Float64Array(n);
  }

  /**
   * Gives columns taken by {@link take} back for the next fit (the caller keeps no view of them).
   *
   * @example
   * workspace.give(x, ones);
   */
  give(...columns: readonly Float64Array[]): void {
    for (const column of columns) this.free.push(column);
  }
}
