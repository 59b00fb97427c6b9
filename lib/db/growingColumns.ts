/**
 * Growing Float64Array columns in SharedArrayBuffers: where an extraction
 * puts its rows as they arrive, handed to the pipeline's worker threads in
 * place.
 */

/**
 * Float64Array columns that double their capacity as rows arrive. A large
 * column's pages take memory only once written (the allocator maps them
 * zeroed), so capacity beyond the rows costs address space, not memory: the
 * columns start a little larger than the planner's estimate, and are handed
 * out as views of their first rows rather than copied to size. They live in
 * SharedArrayBuffers, so the pipeline's worker threads read them in place.
 * @example
 * const out = new GrowingColumns(2, 1024);
 * out.reserve(out.length); out.columns[0][out.length++] = 1.5;
 * const [time] = out.finish(); // Float64Array [1.5]
 */
export class GrowingColumns {
  columns: Float64Array[];
  length = 0;

  /**
   * @param width number of columns
   * @param capacity rows to make room for at first (at least 1)
   */
  constructor(width: number, capacity: number) {
    this.columns = Array.from({ length: width }, () => sharedColumn(Math.max(1, capacity)));
  }

  /** Makes room for row index `row`. */
  reserve(row: number): void {
    const capacity = this.columns[0].length;
    if (row < capacity) return;
    const grown = Math.max(row + 1, capacity * 2);
    for (let c = 0; c < this.columns.length; c++) {
      const column = sharedColumn(grown);
      column.set(this.columns[c]);
      this.columns[c] = column;
    }
  }

  /** The columns' first `length` rows (views: see the class comment). */
  finish(): Float64Array[] {
    return this.columns.map((column) => column.subarray(0, this.length));
  }
}

/** A zeroed Float64Array of `length` values in a SharedArrayBuffer. */
function sharedColumn(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}
