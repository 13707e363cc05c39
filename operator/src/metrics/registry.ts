/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the text exposition
 * format (version 0.0.4). Its API follows prom-client's (`inc`, `set`, `observe` with a label object), so the
 * registry can be replaced by that library without touching the call sites; egts has no Prometheus client
 * dependency yet (see docs/metrics.md).
 *
 * Label sets may differ between the series of one family, as in Envoy Gateway's OpenTelemetry metrics: a
 * `reason` label appears only on failures. Every label name must be declared with the family.
 */

/** Label values of one series, by label name. */
export type Labels = Readonly<Record<string, string>>;

/** A metric family's kind, as the `# TYPE` line says. */
export type MetricType = "counter" | "gauge" | "histogram";

/** A family that renders its own lines. */
interface Family {
  readonly name: string;
  render(): string[];
}

/** One series' key: its labels sorted by name (the order Prometheus prints them in). */
function seriesKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(",");
}

/** A label value escaped for the text format. */
function escapeValue(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** `{a="1",b="2"}` for the labels (sorted by name), plus `extra` last; empty for none. */
function labelText(labels: Labels, extra?: [string, string]): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}="${escapeValue(labels[k])}"`);
  if (extra) pairs.push(`${extra[0]}="${extra[1]}"`);
  return pairs.length > 0 ? `{${pairs.join(",")}}` : "";
}

/** A number as the text format writes it. */
function num(v: number): string {
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return Number.isNaN(v) ? "NaN" : String(v);
}

/** Shared by the three kinds: name, help, declared labels and the series by key. */
abstract class Metric<S> implements Family {
  protected readonly series = new Map<string, { labels: Labels; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    private readonly type: MetricType,
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new Error(`invalid metric name ${JSON.stringify(name)}`);
  }

  /** The state of the series `labels`, created with `init` on first use; refuses an undeclared label. */
  protected state(labels: Labels, init: () => S): S {
    for (const k of Object.keys(labels)) {
      if (!this.labelNames.includes(k)) throw new Error(`metric ${this.name} has no label ${JSON.stringify(k)}`);
    }
    const key = seriesKey(labels);
    let entry = this.series.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, state: init() };
      this.series.set(key, entry);
    }
    return entry.state;
  }

  /** Forgets every series (a gauge recomputed from scratch). */
  reset(): void {
    this.series.clear();
  }

  render(): string[] {
    const lines = [`# HELP ${this.name} ${this.help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`];
    lines.push(`# TYPE ${this.name} ${this.type}`);
    for (const { labels, state } of this.series.values()) lines.push(...this.sampleLines(labels, state));
    return lines;
  }

  protected abstract sampleLines(labels: Labels, state: S): string[];
}

/** A value that only goes up. */
export class Counter extends Metric<{ value: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, "counter");
  }

  /** Adds `by` (default 1, never negative) to the series `labels`. */
  inc(labels: Labels = {}, by = 1): void {
    if (by < 0) throw new Error(`counter ${this.name} cannot decrease`);
    this.state(labels, () => ({ value: 0 })).value += by;
  }

  /** The value of the series `labels` (0 when it has none). */
  get(labels: Labels = {}): number {
    return this.series.get(seriesKey(labels))?.state.value ?? 0;
  }

  protected sampleLines(labels: Labels, s: { value: number }): string[] {
    return [`${this.name}${labelText(labels)} ${num(s.value)}`];
  }
}

/** A value that goes up and down. */
export class Gauge extends Metric<{ value: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, "gauge");
  }

  /** Sets the series `labels` to `value`. */
  set(labels: Labels, value: number): void {
    this.state(labels, () => ({ value: 0 })).value = value;
  }

  /** The value of the series `labels` (0 when it has none). */
  get(labels: Labels = {}): number {
    return this.series.get(seriesKey(labels))?.state.value ?? 0;
  }

  protected sampleLines(labels: Labels, s: { value: number }): string[] {
    return [`${this.name}${labelText(labels)} ${num(s.value)}`];
  }
}

/** Observations counted in cumulative buckets (`le`), with their sum and count. */
export class Histogram extends Metric<{ counts: number[]; sum: number; count: number }> {
  /** Upper bounds, ascending (+Inf is implicit). */
  readonly buckets: readonly number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames, "histogram");
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  /** Records `value` in the series `labels`. */
  observe(labels: Labels, value: number): void {
    const s = this.state(labels, () => ({ counts: this.buckets.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) s.counts[i]++;
    s.sum += value;
    s.count++;
  }

  /** How many observations the series `labels` has. */
  count(labels: Labels = {}): number {
    return this.series.get(seriesKey(labels))?.state.count ?? 0;
  }

  protected sampleLines(labels: Labels, s: { counts: number[]; sum: number; count: number }): string[] {
    const lines = this.buckets.map(
      (b, i) => `${this.name}_bucket${labelText(labels, ["le", num(b)])} ${num(s.counts[i])}`,
    );
    lines.push(`${this.name}_bucket${labelText(labels, ["le", "+Inf"])} ${num(s.count)}`);
    lines.push(`${this.name}_sum${labelText(labels)} ${num(s.sum)}`);
    lines.push(`${this.name}_count${labelText(labels)} ${num(s.count)}`);
    return lines;
  }
}

/** Families by name; `collect` hooks refresh values (gauges read at scrape time) before each render. */
export class Registry {
  private readonly families = new Map<string, Family>();
  private readonly collectors: (() => void)[] = [];

  /** A new counter family. */
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }

  /** A new gauge family. */
  gauge(name: string, help: string, labelNames: readonly string[] = []): Gauge {
    return this.add(new Gauge(name, help, labelNames));
  }

  /** A new histogram family with explicit bucket bounds. */
  histogram(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }

  /** A family rendered by the caller (lines of the text format), e.g. values read from elsewhere. */
  custom(name: string, render: () => string[]): void {
    this.add({ name, render });
  }

  /** Runs `fn` before each render. */
  onCollect(fn: () => void): void {
    this.collectors.push(fn);
  }

  /** The names of every family. */
  names(): string[] {
    return [...this.families.keys()];
  }

  /** Every family in the text exposition format. */
  render(): string {
    for (const fn of this.collectors) fn();
    const lines = [...this.families.values()].flatMap((f) => f.render());
    return lines.length > 0 ? `${lines.join("\n")}\n` : "";
  }

  private add<F extends Family>(family: F): F {
    if (this.families.has(family.name)) throw new Error(`metric ${family.name} is registered twice`);
    this.families.set(family.name, family);
    return family;
  }
}
