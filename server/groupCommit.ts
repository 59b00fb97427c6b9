/**
 * Group commit: writes that arrive while a transaction is in flight wait for
 * it and then go together in the next one, so concurrent requests share one
 * transaction (and its statements) instead of one each. A write starts at once
 * when nothing is in flight (no added wait), and every caller is answered only
 * once its own write is committed. When a group fails, its writes are tried
 * again one by one, so a write is refused only for a failure of its own (as
 * without grouping); a group is committed whole or not at all, so nothing of
 * the failed group is in the database when they are.
 */

/** Options of {@link createGroupCommit}. */
export interface GroupCommitOptions {
  /** Most writes in one group (bounds the statements' size); defaults to 64. */
  readonly maxGroup?: number;
}

/**
 * A function that commits `item` together with the items submitted meanwhile, through `commit`, which writes a
 * group in one transaction and resolves to one result per item (in order) once committed.
 *
 * @example
 * const save = createGroupCommit((items) => db.transaction().execute((trx) => writeAll(trx, items)));
 * await save(item); // committed
 */
export function createGroupCommit<I, R>(commit: (items: readonly I[]) => Promise<readonly R[]>, options: GroupCommitOptions = {}): (item: I) => Promise<R> {
  const maxGroup = options.maxGroup ?? 64;
  const queue: { item: I; resolve: (result: R) => void; reject: (error: unknown) => void }[] = [];
  let running = false;

  const one = async (entry: (typeof queue)[number]): Promise<void> => {
    try {
      entry.resolve((await commit([entry.item]))[0]);
    } catch (error) {
      entry.reject(error);
    }
  };
  const run = async (): Promise<void> => {
    running = true;
    while (queue.length > 0) {
      const group = queue.splice(0, maxGroup);
      if (group.length === 1) {
        await one(group[0]);
        continue;
      }
      let results: readonly R[];
      try {
        results = await commit(group.map((entry) => entry.item));
      } catch {
        // Nothing of the group committed: each alone, so only a write that fails by itself is refused.
        for (const entry of group) await one(entry);
        continue;
      }
      group.forEach((entry, i) => entry.resolve(results[i]));
    }
    running = false;
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!running) void run();
    });
}
