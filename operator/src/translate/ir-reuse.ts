/**
 * Copy-on-change for IR built from the same input across translations (ADR 0013): a {@link ReuseMemo} hands back
 * the IR object the previous translation built under the same key when its input equals this one's, so an
 * unchanged virtual host or listener keeps its object identity from pass to pass (and the xDS build can reuse
 * what it built from it, keyed by identity). The reused object is exactly what building would return: the input
 * compare covers everything the build reads.
 *
 * Two generations: {@link beginReuse} (once per translation) makes the current generation the previous one, so
 * the memo holds only what the last translation built (no growth under churn).
 */

/** Every memo, for {@link beginReuse}. */
const memos = new Set<{ begin(): void }>();

/** One kind of reused IR: outputs by key, with the input each was built from. */
export class ReuseMemo<I, O> {
  private previous = new Map<string, { readonly input: I; readonly output: O }>();
  private current = new Map<string, { readonly input: I; readonly output: O }>();
  /** Hits and builds since the last {@link beginReuse} (tests, benches). */
  readonly stats = { reused: 0, built: 0 };

  /** `same(a, b)`: whether two inputs build equal outputs (not asked when they are the same object). */
  constructor(private readonly same: (a: I, b: I) => boolean) {
    memos.add(this);
  }

  /** The previous translation's output for `key` if its input was the same, else `build()`. */
  get(key: string, input: I, build: () => O): O {
    const hit = this.current.get(key) ?? this.previous.get(key);
    // The same input object is the same input (inputs are IR or built from it: never mutated).
    if (hit && (hit.input === input || this.same(hit.input, input))) {
      this.stats.reused++;
      this.current.set(key, hit);
      return hit.output;
    }
    this.stats.built++;
    const output = build();
    this.current.set(key, { input, output });
    return output;
  }

  /** Starts a translation. */
  begin(): void {
    this.previous = this.current;
    this.current = new Map();
    this.stats.reused = 0;
    this.stats.built = 0;
  }
}

/**
 * What the last translation left under a key for the next one (ADR 0023): a value taken or put in this
 * translation is kept for the next; one left alone for a translation is dropped (no growth under churn).
 */
export class PassMemo<V> {
  private previous = new Map<string, V>();
  private current = new Map<string, V>();

  constructor() {
    memos.add(this);
  }

  /** The value put under `key` by this translation or the previous one. */
  take(key: string): V | undefined {
    const v = this.current.get(key) ?? this.previous.get(key);
    if (v !== undefined) this.current.set(key, v);
    return v;
  }

  /** Keeps `value` under `key` for the next translation. */
  put(key: string, value: V): void {
    this.current.set(key, value);
  }

  /** Starts a translation. */
  begin(): void {
    this.previous = this.current;
    this.current = new Map();
  }
}

/** Starts a translation for every memo. */
export function beginReuse(): void {
  for (const m of memos) m.begin();
}
