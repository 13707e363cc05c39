/**
 * Reading the Gateway API conformance suite's output: its official report (ConformanceReport YAML,
 * sigs.k8s.io/gateway-api/conformance/apis/v1) and our per-test results (the JSON Lines file written by
 * conformance_test.go's --egts-results-output), into a summary, a verdict and the README table. Pure: no I/O.
 */
import { parse } from "yaml";

/** A `core` or `extended` section of a profile in the official report. */
interface ReportStatus {
  readonly result: string;
  readonly statistics: { readonly Passed: number; readonly Failed: number; readonly Skipped: number };
  readonly skippedTests?: readonly string[];
  readonly failedTests?: readonly string[];
  readonly supportedFeatures?: readonly string[];
  readonly unsupportedFeatures?: readonly string[];
}

/** The parts of the official ConformanceReport we read. */
export interface ConformanceReport {
  readonly kind: string;
  readonly gatewayAPIVersion: string;
  readonly gatewayAPIChannel: string;
  readonly implementation: { readonly project: string; readonly version: string };
  readonly profiles: readonly {
    readonly name: string;
    readonly summary: string;
    readonly core: ReportStatus;
    readonly extended?: ReportStatus;
  }[];
}

/** One line of --egts-results-output. */
export interface TestResult {
  /** The test's ShortName. */
  readonly test: string;
  /** The features it exercises (all must be supported for it to run). */
  readonly features: readonly string[];
  /** A provisional test (its result is reported apart). */
  readonly provisional: boolean;
  readonly result: "passed" | "failed" | "skipped" | "notSupported";
}

/** Counts of one section of one profile. */
export interface Counts {
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly failedTests: readonly string[];
  readonly skippedTests: readonly string[];
}

/** One profile's numbers. */
export interface ProfileSummary {
  readonly name: string;
  readonly core: Counts;
  /** Absent when the profile has no extended feature we claim. */
  readonly extended?: Counts & { readonly supportedFeatures: readonly string[] };
}

/** What a run showed. */
export interface RunSummary {
  readonly gatewayAPIVersion: string;
  readonly channel: string;
  readonly version: string;
  readonly profiles: readonly ProfileSummary[];
  /** Claimed features every test of which (that ran) passed, sorted. */
  readonly featuresPassed: readonly string[];
  /** Claimed features with a failed test, sorted, each with those tests. */
  readonly featuresFailed: readonly { readonly feature: string; readonly tests: readonly string[] }[];
  /** Claimed features no test exercised in this run, sorted. */
  readonly featuresUntested: readonly string[];
}

/** Parses the official report YAML; throws naming the problem when it is not a ConformanceReport. */
export function parseReport(text: string): ConformanceReport {
  const doc = parse(text) as Partial<ConformanceReport> | null;
  if (doc?.kind !== "ConformanceReport" || !Array.isArray(doc.profiles)) {
    throw new Error(`not a ConformanceReport (kind ${JSON.stringify(doc?.kind)})`);
  }
  return doc as ConformanceReport;
}

/** Parses --egts-results-output (JSON Lines); a test reported twice keeps its last line. */
export function parseResults(text: string): TestResult[] {
  const byTest = new Map<string, TestResult>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const r = JSON.parse(line) as TestResult;
    byTest.set(r.test, r);
  }
  return [...byTest.values()];
}

function counts(s: ReportStatus): Counts {
  return {
    passed: s.statistics.Passed,
    failed: s.statistics.Failed,
    skipped: s.statistics.Skipped,
    failedTests: s.failedTests ?? [],
    skippedTests: s.skippedTests ?? [],
  };
}

/** Per claimed feature: the tests exercising it that failed, and whether any of them ran. */
function featureOutcomes(
  claimed: readonly string[],
  results: readonly TestResult[],
): Pick<RunSummary, "featuresPassed" | "featuresFailed" | "featuresUntested"> {
  const featuresPassed: string[] = [];
  const featuresFailed: { feature: string; tests: string[] }[] = [];
  const featuresUntested: string[] = [];
  for (const feature of [...new Set(claimed)].sort()) {
    const ran = results.filter((r) => r.features.includes(feature) && (r.result === "passed" || r.result === "failed"));
    const failed = ran.filter((r) => r.result === "failed").map((r) => r.test);
    if (ran.length === 0) featuresUntested.push(feature);
    else if (failed.length > 0) featuresFailed.push({ feature, tests: failed.sort() });
    else featuresPassed.push(feature);
  }
  return { featuresPassed, featuresFailed, featuresUntested };
}

/** The summary of a run: the report's numbers per profile, and each claimed feature's outcome. */
export function summarize(
  report: ConformanceReport,
  results: readonly TestResult[],
  claimed: readonly string[],
): RunSummary {
  return {
    gatewayAPIVersion: report.gatewayAPIVersion,
    channel: report.gatewayAPIChannel,
    version: report.implementation.version,
    profiles: report.profiles.map((p) => ({
      name: p.name,
      core: counts(p.core),
      ...(p.extended
        ? { extended: { ...counts(p.extended), supportedFeatures: p.extended.supportedFeatures ?? [] } }
        : {}),
    })),
    ...featureOutcomes(claimed, results),
  };
}

/**
 * Why the run does not pass, one line each (empty: it passes): a core test of a profile failed or was
 * skipped, an extended test failed, a claimed feature's test failed.
 */
export function verdict(summary: RunSummary): string[] {
  const problems: string[] = [];
  for (const p of summary.profiles) {
    if (p.core.failed > 0) problems.push(`${p.name}: core tests failed: ${p.core.failedTests.join(", ")}`);
    if (p.core.skipped > 0) problems.push(`${p.name}: core tests skipped: ${p.core.skippedTests.join(", ")}`);
    if (p.extended && p.extended.failed > 0) {
      problems.push(`${p.name}: extended tests failed: ${p.extended.failedTests.join(", ")}`);
    }
  }
  for (const f of summary.featuresFailed) {
    problems.push(`claimed feature ${f.feature} failed: ${f.tests.join(", ")}`);
  }
  return problems;
}

/** A Markdown table with padded columns (as Prettier writes it, so `npm run lint` accepts the README). */
function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/** The README table: per profile, core passed/failed/skipped and extended tests and features. */
export function markdownTable(summary: RunSummary): string {
  const rows = summary.profiles.map((p) => [
    p.name,
    `${p.core.passed} / ${p.core.failed} / ${p.core.skipped}`,
    p.extended ? `${p.extended.passed} / ${p.extended.failed} / ${p.extended.skipped}` : "–",
    p.extended ? String(p.extended.supportedFeatures.length) : "0",
  ]);
  const header = [
    "Profile",
    "Core passed / failed / skipped",
    "Extended passed / failed / skipped",
    "Extended features claimed",
  ];
  const failed = summary.featuresFailed.map((f) => f.feature);
  return [
    `Gateway API ${summary.gatewayAPIVersion} (${summary.channel} channel), egts ${summary.version}:`,
    "",
    ...formatTable(header, rows),
    "",
    `Claimed features passed: ${summary.featuresPassed.length}` +
      (failed.length > 0 ? `; failed: ${failed.length} (${failed.join(", ")})` : "; failed: 0") +
      (summary.featuresUntested.length > 0
        ? `; not exercised by these profiles: ${summary.featuresUntested.join(", ")}`
        : "") +
      ".",
  ].join("\n");
}

/** Markers around the table in the README. */
export const TABLE_BEGIN = "<!-- conformance-table:begin (written by npm run conformance) -->";
export const TABLE_END = "<!-- conformance-table:end -->";

/** `text` with what lies between the markers replaced by `table`; throws when the markers are missing. */
export function replaceTable(text: string, table: string): string {
  const begin = text.indexOf(TABLE_BEGIN);
  const end = text.indexOf(TABLE_END);
  if (begin < 0 || end < begin) throw new Error(`the markers ${TABLE_BEGIN} … ${TABLE_END} are missing`);
  return `${text.slice(0, begin + TABLE_BEGIN.length)}\n\n${table}\n${text.slice(end)}`;
}

/** testify's `Error:` or `Messages:` line. */
const ASSERTION = /^\s+(Error|Messages):\s/;
/** A `file.go:N:` log line that reads like a failure. */
const ERROR_LOG = /^\s+\S+\.go:\d+: .*(expected|error|fail|timed out|timeout|unexpected)/i;

/** Which test a `=== RUN|NAME|CONT` line switches the output to (its top-level name), if it is one. */
function outputOf(line: string): string | undefined {
  return /^=== (?:RUN|NAME|CONT)\s+TestConformance\/([^/\s]+)/.exec(line)?.[1];
}

/** The test a `--- FAIL` line reports (its top-level name), if it is one. */
function failedTest(line: string): string | undefined {
  return /^\s*--- FAIL: TestConformance\/([^/\s]+)/.exec(line)?.[1];
}

/** A log line without its `file.go:N: <timestamp>: ` prefix. */
function logText(line: string): string {
  return line
    .trim()
    .replace(/^\S+\.go:\d+: (\d{4}-\d\d-\d\dT[\d:.]+Z: )?/, "")
    .replace(/\s+/g, " ");
}

/** Adds `text` to `key`'s list unless it already holds `limit` lines. */
function appendFirst(lists: Map<string, string[]>, key: string, text: string, limit: number): void {
  const lines = lists.get(key) ?? [];
  if (lines.length < limit) lines.push(text);
  lists.set(key, lines);
}

/** Adds `text` last to `key`'s list (moved there if it was already in it), keeping the last `limit` lines. */
function appendLast(lists: Map<string, string[]>, key: string, text: string, limit: number): void {
  const lines = (lists.get(key) ?? []).filter((l) => l !== text);
  lists.set(key, [...lines, text].slice(-limit));
}

/**
 * The assertion messages of each failed test in the suite's `go test -v` output: testify's `Error:` and
 * `Messages:` lines (with their continuation lines), then the last `lastLogs` distinct failure-like
 * `file.go:N:` log lines (the suite's polling says what it waited for), attributed to the test whose output
 * they follow (`=== RUN`, `=== NAME` and `=== CONT` say which test is writing). Tests that did not fail are
 * left out; at most `max` assertion lines per test.
 */
export function failureMessages(log: string, max = 12, lastLogs = 3): Map<string, string[]> {
  const assertions = new Map<string, string[]>();
  const logs = new Map<string, string[]>();
  const failed = new Set<string>();
  let current: string | undefined;
  let inAssertion: boolean = false;
  for (const line of log.split("\n")) {
    const switched = outputOf(line);
    const fail = failedTest(line);
    if (switched || fail) {
      if (switched) current = switched;
      if (fail) failed.add(fail);
      inAssertion = false;
      continue;
    }
    // An assertion's text runs on in lines indented under it, until testify's next `Field:` line.
    const continued: boolean = inAssertion && /^\s{8,}\S/.test(line) && !/^\s+[A-Z][\w ]*:\s/.test(line);
    inAssertion = ASSERTION.test(line) || continued;
    if (current && inAssertion) appendFirst(assertions, current, line.trim().replace(/\s+/g, " "), max);
    else if (current && ERROR_LOG.test(line)) appendLast(logs, current, logText(line), lastLogs);
  }
  return new Map(
    [...failed]
      .sort((a, b) => a.localeCompare(b))
      .map((t): [string, string[]] => [
        t,
        [...(assertions.get(t) ?? []), ...(logs.get(t) ?? []).map((l) => `log: ${l}`)],
      ]),
  );
}
