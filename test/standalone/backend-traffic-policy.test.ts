/**
 * BackendTrafficPolicy's route settings on the wire (real Envoy, standalone), against a scripted backend that
 * counts attempts (test/support/scripted-backend.ts):
 * - without a policy a 503 reaches the client after one attempt;
 * - a Gateway-level `retry: {}` (Envoy Gateway's defaults: 503 retried, 2 retries) turns two 503s into a 200
 *   after 3 attempts, and three 503s into a 503 after 3;
 * - a route-level policy merged onto it (`mergeType: StrategicMerge`) with `numRetries: 4`, `retryOn` 5xx,
 *   `numAttemptsPerPriority: 2` (in Envoy's route config as the previous_priorities retry priority) and a
 *   `perRetry.timeout` of 300ms: an attempt that hangs is cut after 300ms and retried, the client gets a 200
 *   from the 2nd attempt well before the hang would end; its `timeout.http.requestTimeout: 1s` answers 504 when
 *   every attempt hangs; its `timeout.tcp.connectTimeout` puts the route on a policy cluster variant whose
 *   endpoints are the backend cluster's: Envoy's own config shows the variant active with `connect_timeout` 2s
 *   (the backend cluster keeps 10s), and traffic flows through it; its `telemetry.metrics.routeStatName` names
 *   Envoy's route stats (`vhost.<vh>.route.HTTPRoute/default/tuned/-.upstream_rq_total`);
 * - `timeout.http.streamIdleTimeout` 400ms: a backend silent for 1.5 s gets the stream cut: Envoy 1.36 answers 504 after ~400 ms;
 * - a policy with an invalid value: Accepted=False naming the field, its route answers 500.
 */
import * as assert from "node:assert/strict";
import { routeConfigDump } from "../support/envoy";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayWithListenersYaml, httpRouteYaml } from "../support/manifests";
import { startScriptedBackend, type ScriptedBackend } from "../support/scripted-backend";
import { startTestGateway, type TestGateway } from "../support/standalone";

const RULE = `    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: backend }]`;

function policyYaml(name: string, targetYaml: string, specYaml: string): string {
  return `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: ${name}, namespace: default }
spec:
  targetRefs: [${targetYaml}]
${specYaml}`;
}

describe("standalone: BackendTrafficPolicy retry and timeouts (real Envoy, scripted backend)", function () {
  this.timeout(90_000);
  let t: TestGateway | undefined;
  let backend: ScriptedBackend | undefined;
  let http = 0;
  let n = 0;

  /** One request with a fresh attempt key; returns the status, the attempts the backend saw and the time. */
  async function call(host: string, script: string): Promise<{ status: number; attempts: number; ms: number }> {
    const key = `k${++n}-${Date.now()}`;
    const start = Date.now();
    const r = await httpGet(http, host, "/", { headers: { "x-attempt-key": key, "x-script": script } });
    return { status: r.status, attempts: backend?.attempts(key) ?? 0, ms: Date.now() - start };
  }

  function conditions(name: string): { type: string; status: string; reason: string; message: string }[] {
    const st = t?.gw.statuses.get("BackendTrafficPolicy", "default", name)?.status as
      { ancestors?: { conditions: { type: string; status: string; reason: string; message: string }[] }[] } | undefined;
    return st?.ancestors?.[0]?.conditions ?? [];
  }

  before(async () => {
    backend = await startScriptedBackend();
    http = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayWithListenersYaml(`    - { name: http, protocol: HTTP, port: ${http} }`),
      "routes.yaml": `${backendYaml("backend", backend.port)}---
${httpRouteYaml("plain", "plain.example.com", RULE)}---
${httpRouteYaml("tuned", "tuned.example.com", RULE)}---
${httpRouteYaml("broken", "broken.example.com", RULE)}---
${httpRouteYaml("idle", "idle.example.com", RULE)}`,
    });
    await eventually(async () => (await call("plain.example.com", "200")).status === 200, 15_000, "the routes");
  });

  after(async () => {
    await t?.close();
    await backend?.close();
  });

  it("without a policy: a 503 reaches the client after one attempt", async () => {
    const r = await call("plain.example.com", "503,200");
    assert.equal(r.status, 503);
    assert.equal(r.attempts, 1);
  });

  it("Gateway-level retry {}: Envoy Gateway's defaults retry 503 twice", async () => {
    await t?.write(
      "gateway-policy.yaml",
      policyYaml("gateway", "{ group: gateway.networking.k8s.io, kind: Gateway, name: eg }", "  retry: {}\n"),
    );
    await eventually(async () => (await call("plain.example.com", "503,200")).status === 200, 15_000, "the retry");
    const ok = await call("plain.example.com", "503,503,200");
    assert.equal(ok.status, 200);
    assert.equal(ok.attempts, 3);
    const failed = await call("plain.example.com", "503,503,503,200");
    assert.equal(failed.status, 503, "2 retries, then the 3rd 503 reaches the client");
    assert.equal(failed.attempts, 3);
    assert.ok(
      conditions("gateway").some((c) => c.type === "Accepted" && c.status === "True"),
      JSON.stringify(conditions("gateway")),
    );
  });

  it("a merged route-level policy: per-try timeout cuts a hanging attempt, request timeout answers 504", async () => {
    await t?.write(
      "route-policy.yaml",
      policyYaml(
        "tuned",
        "{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: tuned }",
        `  mergeType: StrategicMerge
  retry:
    numRetries: 4
    numAttemptsPerPriority: 2
    retryOn: { triggers: [5xx] }
    perRetry: { timeout: 300ms, backOff: { baseInterval: 10ms, maxInterval: 20ms } }
  timeout:
    http: { requestTimeout: 1s }
    tcp: { connectTimeout: 2s }
  telemetry:
    metrics: { routeStatName: "%ROUTE_KIND%/%ROUTE_NAMESPACE%/%ROUTE_NAME%/%ROUTE_RULE_NAME%" }
`,
      ),
    );
    await eventually(
      async () => (await call("tuned.example.com", "sleep3000,200")).status === 200,
      20_000,
      "the per-try timeout",
    );
    const cut = await call("tuned.example.com", "sleep3000,200");
    assert.equal(cut.status, 200);
    assert.equal(cut.attempts, 2);
    assert.ok(cut.ms >= 280 && cut.ms < 1000, `answered after ${cut.ms} ms`);
    const all = await call("tuned.example.com", "sleep3000");
    assert.equal(all.status, 504);
    assert.ok(all.ms >= 950 && all.ms < 2000, `504 after ${all.ms} ms`);
    assert.ok(all.attempts >= 3, `attempts ${all.attempts} (300ms each within 1s)`);
    console.log(
      `      measured: hanging 1st attempt → 200 in ${cut.ms} ms (2 attempts); all hanging → 504 in ${all.ms} ms (${all.attempts} attempts)`,
    );
    // numAttemptsPerPriority: Envoy took the previous_priorities retry priority (its endpoints share priority 0,
    // so the retries above are what it does with them).
    const admin = await t?.gw.runner?.adminUrl("default/eg");
    assert.ok(admin, "the Envoy of default/eg has an admin address");
    const routes = (await routeConfigDump(admin)).replace(/\s/g, "");
    assert.match(
      routes,
      /"retry_priority":\{"name":"envoy\.retry_priorities\.previous_priorities","typed_config":\{"@type":"[^"]+PreviousPrioritiesConfig","update_frequency":2\}\}/,
    );
  });

  it("connectTimeout: the route goes to a policy variant of the backend cluster, with its endpoints; routeStatName names the route's stats", async () => {
    const admin = await t?.gw.runner?.adminUrl("default/eg");
    assert.ok(admin, "the Envoy of default/eg has an admin address");
    const dump = (await (await fetch(`${admin}/config_dump?resource=dynamic_active_clusters`)).json()) as {
      configs: {
        cluster: { name: string; connect_timeout?: string; eds_cluster_config?: { service_name?: string } };
      }[];
    };
    const clusters = dump.configs.map((c) => c.cluster);
    const variant = clusters.find((c) => c.name.startsWith("backend/default/backend/0/http/btp-"));
    const warming = await (await fetch(`${admin}/config_dump?resource=dynamic_warming_clusters`)).text();
    assert.ok(variant, `${clusters.map((c) => c.name).join(", ")}; warming: ${warming}`);
    assert.equal(variant.connect_timeout, "2s");
    assert.equal(clusters.find((c) => c.name === "backend/default/backend/0/http")?.connect_timeout, "10s");
    const stats = await (
      await fetch(
        `${admin}/stats?filter=${encodeURIComponent(`^cluster\\.${variant.name.replace(/[/.]/g, "\\$&")}\\.upstream_rq_total$`)}`,
      )
    ).text();
    assert.match(stats, /upstream_rq_total: [1-9]/, stats);
  });

  it("timeout.http.streamIdleTimeout: a backend silent for longer gets the stream cut with 504", async () => {
    await t?.write(
      "idle-policy.yaml",
      policyYaml(
        "idle",
        "{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: idle }",
        "  timeout: { http: { streamIdleTimeout: 400ms } }\n",
      ),
    );
    let last = { status: 0, attempts: 0, ms: 0 };
    await eventually(
      async () => (last = await call("idle.example.com", "sleep1500")).status === 504,
      20_000,
      "the 504",
    ).catch(() => assert.fail(`last answer ${JSON.stringify(last)}`));
    const r = await call("idle.example.com", "sleep1500");
    assert.equal(r.status, 504);
    assert.ok(r.ms >= 380 && r.ms < 1400, `504 after ${r.ms} ms`);
    assert.equal((await call("idle.example.com", "sleep100")).status, 200, "a backend answering within 400 ms");
    console.log(`      measured: silent backend → 504 after ${r.ms} ms`);
  });

  it("an invalid value: Accepted=False naming the field, and the route answers 500", async () => {
    await t?.write(
      "broken-policy.yaml",
      policyYaml(
        "broken",
        "{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: broken }",
        "  retry: { perRetry: { timeout: 0s } }\n",
      ),
    );
    await eventually(async () => (await call("broken.example.com", "200")).status === 500, 15_000, "the 500");
    const accepted = conditions("broken").find((c) => c.type === "Accepted");
    assert.equal(accepted?.status, "False");
    assert.match(accepted?.message ?? "", /spec\.retry\.perRetry\.timeout: 0s/);
    assert.equal((await call("plain.example.com", "200")).status, 200, "other routes unaffected");
  });
});
