/**
 * The chart's alerting rules (helm/egts/templates/prometheus-rule.yaml) under Prometheus's own unit-test runner:
 * rendered by `helm template` with the chart's default values, checked by `promtool check rules`, and run against
 * test/metrics/alert-rules.promtool.yaml (each of the five alerts firing and not firing). promtool comes from
 * `bash scripts/install-prometheus.sh`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { repoRoot } from "../support/golden";
import { prometheusBinary, renderPrometheusRule, rulesFileOf } from "../support/prometheus-server";

const UNIT_TESTS = join(repoRoot(), "test", "metrics", "alert-rules.promtool.yaml");
const ALERTS = [
  "EnvoyGatewayDown",
  "EnvoyGatewayCrashLooping",
  "EnvoyGatewayHighMemory",
  "EnvoyGatewayHighCPU",
  "EnvoyGatewayPodNotReady",
];

describe("the chart's alerting rules (promtool)", function () {
  this.timeout(60_000);
  let dir: string;
  let promtool: string;

  before(async () => {
    promtool = prometheusBinary("promtool");
    dir = await mkdtemp(join(tmpdir(), "egts-promtool-"));
    await copyFile(UNIT_TESTS, join(dir, "unit.yaml"));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Writes the rules rendered with `set` and runs `promtool args...` in the folder. */
  const run = async (set: Record<string, string | number>, args: string[]): Promise<{ code: number; out: string }> => {
    await writeFile(join(dir, "rules.yaml"), rulesFileOf(renderPrometheusRule(set)));
    const r = spawnSync(promtool, args, { cwd: dir, encoding: "utf8" });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
  };

  it("renders the five alerts as a PrometheusRule that promtool accepts", async () => {
    const rule = parse(renderPrometheusRule()) as { spec: { groups: { rules: { alert: string }[] }[] } };
    assert.deepEqual(
      rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert)),
      ALERTS,
    );
    const check = await run({}, ["check", "rules", "rules.yaml"]);
    assert.equal(check.code, 0, check.out);
    assert.match(check.out, /SUCCESS: 5 rules found/);
  });

  it("passes promtool test rules: each alert fires and does not fire as the unit tests say", async () => {
    const r = await run({}, ["test", "rules", "unit.yaml"]);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /SUCCESS/);
  });

  it("the unit tests catch a changed threshold or duration", async () => {
    const changes: Record<string, string | number>[] = [
      { "prometheusRule.highMemory.threshold": 0.96 },
      { "prometheusRule.podNotReady.for": "15m" },
    ];
    for (const set of changes) {
      const r = await run(set, ["test", "rules", "unit.yaml"]);
      assert.notEqual(r.code, 0, `${JSON.stringify(set)} fails the unit tests:\n${r.out}`);
      assert.match(r.out, /FAILED/);
    }
  });

  it("takes limits from the values and refuses a quantity it cannot read", () => {
    const rules = renderPrometheusRule({
      "prometheusRule.highMemory.limit": "512Mi",
      "prometheusRule.highCPU.limit": "1500m",
      "prometheusRule.selector": 'namespace="eg"\\,control_plane="envoy-gateway"',
    });
    assert.match(
      rules,
      /process_resident_memory_bytes\{namespace="eg",control_plane="envoy-gateway"\} \/ 536870912 > 0\.9/,
    );
    assert.match(
      rules,
      /rate\(process_cpu_seconds_total\{namespace="eg",control_plane="envoy-gateway"\}\[5m\]\) \/ 1\.5 > 0\.8/,
    );
    assert.match(
      renderPrometheusRule({ "prometheusRule.highMemory.limit": 366496427 }),
      /process_resident_memory_bytes\{job="envoy-gateway"\} \/ 366496427 > 0\.9/,
      "a number of bytes (which Helm reads as a float) stays an integer",
    );
    assert.throws(
      () => renderPrometheusRule({ "prometheusRule.highMemory.limit": "lots" }),
      /prometheusRule\.highMemory\.limit "lots" is not a memory quantity/,
    );
    assert.throws(
      () => renderPrometheusRule({ "deployment.envoyGateway.resources.requests.cpu": "null" }),
      /prometheusRule\.highCPU\.limit: set it/,
    );
  });
});
