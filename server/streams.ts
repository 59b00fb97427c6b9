/**
 * The service's streams in memory: a bounded cache in front of the stream
 * store. Requests of one stream run one at a time (in arrival order), so a
 * batch is scored on the state the previous one left, and saved before the
 * next starts. With a store, a stream idle longer than the idle time is
 * dropped from memory (its saved state stays and is loaded at its next
 * request), and a new stream beyond the limit evicts the least recently used
 * one not in use; without a store nothing is evicted and a new stream beyond
 * the limit is refused.
 */
import type { ScoreState, ScoringModel } from "../lib/scoring/score";
import type { StreamStore } from "./streamStore";

/** One stream's scorer: the model it is on and its state. */
export interface Stream {
  readonly model: ScoringModel;
  readonly state: ScoreState;
}

/** Options of {@link createStreamCache}. */
export interface StreamCacheOptions {
  /** Evictions need a store: an evicted stream must be loadable again. */
  readonly store: StreamStore | null;
  /** A stream not in memory, from the store (null: never scored). */
  readonly load: (name: string) => Promise<Stream | null>;
  /** Most streams in memory. */
  readonly maxStreams: number;
  /** A stream unused this long (ms) leaves memory (with a store only). */
  readonly idleMs: number;
  /** Called with each stream that leaves memory. */
  readonly onEvict?: (stream: Stream) => void;
  /** The clock in ms (tests pass their own). */
  readonly now?: () => number;
}

/** What {@link createStreamCache} returns. */
export interface StreamCache {
  /**
   * Runs `work` with the stream's entry (from memory, else the store; null when new) alone for that stream.
   * `work` returns the entry to keep (nothing is kept when it throws); before that it calls `room`, which is false
   * when the stream is not in memory and no room can be made for it; `inMemory` says whether `current` was in
   * memory (else it was loaded from the store, or is new).
   */
  exclusive<T>(name: string, work: (current: Stream | null, room: () => boolean, inMemory: boolean) => Promise<{ keep: Stream; value: T }>): Promise<T>;
  /** Streams in memory. */
  size(): number;
  /** Drops streams idle past the idle time; returns how many. */
  sweep(): number;
}

/**
 * The stream cache; see the file header.
 *
 * @example
 * const streams = createStreamCache({ store, load, maxStreams: 10_000, idleMs: 600_000 });
 * await streams.exclusive("robot-7", async (current) => ({ keep: next, value: reply }));
 */
export function createStreamCache(options: StreamCacheOptions): StreamCache {
  const { store, load, maxStreams, idleMs, onEvict = () => {}, now = Date.now } = options;
  /** In least-recently-used order (a use moves an entry to the end). */
  const entries = new Map<string, { stream: Stream; usedAt: number }>();
  /** The last queued request of each stream in use. */
  const tails = new Map<string, Promise<void>>();

  const sweep = (): number => {
    if (store === null) return 0;
    let dropped = 0;
    const oldest = now() - idleMs;
    for (const [name, entry] of entries) {
      if (entry.usedAt > oldest) break;
      if (tails.has(name)) continue;
      entries.delete(name);
      onEvict(entry.stream);
      dropped++;
    }
    return dropped;
  };
  /** Room for one more stream: true when there is (evicting the least recently used idle one if need be). */
  const makeRoom = (): boolean => {
    sweep();
    if (entries.size < maxStreams) return true;
    if (store === null) return false;
    for (const [name, entry] of entries) {
      if (tails.has(name)) continue;
      entries.delete(name);
      onEvict(entry.stream);
      return true;
    }
    return false;
  };

  return {
    async exclusive(name, work) {
      const previous = tails.get(name) ?? Promise.resolve();
      let release = (): void => {};
      const mine = new Promise<void>((resolve) => (release = resolve));
      const tail = previous.then(() => mine);
      tails.set(name, tail);
      await previous;
      try {
        const held = entries.get(name);
        const current = held?.stream ?? (store === null ? null : await load(name));
        const { keep, value } = await work(current, () => held !== undefined || makeRoom(), held !== undefined);
        entries.delete(name);
        entries.set(name, { stream: keep, usedAt: now() });
        return value;
      } finally {
        release();
        if (tails.get(name) === tail) tails.delete(name);
      }
    },
    size: () => entries.size,
    sweep,
  };
}
