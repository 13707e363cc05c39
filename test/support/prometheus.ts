/** Reads the Prometheus text exposition format, for tests that scrape a real `/metrics`. */
import assert from "node:assert/strict";
import { httpGet } from "./http";

/** One sample line. */
export interface Sample {
  /** The sample's name (a histogram's carry `_bucket`, `_sum`, `_count`). */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A family: its `# TYPE`, `# HELP` and samples. */
export interface MetricFamily {
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

/** The families of an exposition, by name; throws on a line that is not the format. */
export function parseExposition(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { type: "untyped", help: "", samples: [] }));
    return f;
  };
  let current = "";
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][\w:]*) (.*)$/.exec(line);
    if (meta) {
      current = meta[2];
      Object.assign(family(current), meta[1] === "TYPE" ? { type: meta[3] } : { help: meta[3] });
      continue;
    }
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1]] = l[2].replace(/\\(.)/g, (_e, c: string) => (c === "n" ? "\n" : c));
    const value = m[3] === "+Inf" ? Infinity : Number(m[3]);
    const owner = m[1].startsWith(current) ? current : m[1];
    family(owner).samples.push({ name: m[1], labels, value });
  }
  return families;
}

/** GETs `/metrics` on 127.0.0.1:`port` and parses it. */
export async function scrape(port: number): Promise<Map<string, MetricFamily>> {
  const r = await httpGet(port, "127.0.0.1", "/metrics");
  assert.equal(r.status, 200, `GET /metrics answered ${r.status}: ${r.body}`);
  return parseExposition(r.body);
}

/** The value of the sample `name` whose labels include `labels` (summed over matches; 0 for none). */
export function valueOf(
  families: Map<string, MetricFamily>,
  family: string,
  labels: Record<string, string> = {},
  name = family,
): number {
  const samples = families.get(family)?.samples ?? [];
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
