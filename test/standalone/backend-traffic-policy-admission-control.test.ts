/**
 * BackendTrafficPolicy `admissionControl` on the wire (real Envoy, standalone), against a scripted backend that
 * counts the requests it gets (test/support/scripted-backend.ts). As in Envoy Gateway, Envoy's admission_control
 * filter runs on the policy variant's upstream requests:
 * - without a policy, every request of a backend failing all of them (500) reaches it;
 * - with the policy, requests that succeed are all let through (no rejection while the success rate is 100 %);
 * - once the backend fails every request, Envoy rejects a share of them itself (503, never sent: the backend
 *   sees fewer requests than were made), up to maxRejectionPercent, and counts them in its admission_control
 *   stats;
 * - successCriteria.http.statusCodes [200, 201]: a backend answering 202 to every request counts as failing, and
 *   most of its requests are rejected; without it (Envoy's default: every code below 500 is a success) none is.
 */
import * as assert from "node:assert/strict";
import { applyPolicy, btpYaml } from "../support/btp";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, routeYaml } from "../support/manifests";
import { startScriptedBackend, type ScriptedBackend } from "../support/scripted-backend";
import { startTestGateway, type TestGateway } from "../support/standalone";

const HOST = "ac.example.com";
/** Requests per measurement. */
const N = 200;

/** What `N` sequential requests answered with `script` got: statuses counted, and how many reached the backend. */
interface Round {
  readonly statuses: Record<number, number>;
  readonly reached: number;
}

describe("standalone: BackendTrafficPolicy admissionControl (real Envoy, scripted backend)", function () {
  this.timeout(60_000);
  let t: TestGateway | undefined;
  let backend: ScriptedBackend | undefined;
  let port = 0;
  let n = 0;

  /** `N` requests, all with one attempt key (the backend counts them) and `script` (what the backend answers). */
  async function round(script: string): Promise<Round> {
    const key = `round-${++n}`;
    const statuses: Record<number, number> = {};
    for (let i = 0; i < N; i++) {
      const r = await httpGet(port, HOST, "/", { headers: { "x-attempt-key": key, "x-script": script } });
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    }
    return { statuses, reached: backend?.attempts(key) ?? 0 };
  }

  /** Envoy's admission_control counters, summed over its stats (admin /stats). */
  async function admissionStats(): Promise<{ rejected: number; samples: number }> {
    const admin = await t?.gw.runner?.adminUrl("default/eg");
    const text = await (await fetch(`${admin}/stats?filter=admission_control`)).text();
    const sum = (name: string): number =>
      [...text.matchAll(new RegExp(`admission_control\\.${name}: (\\d+)`, "g"))].reduce((a, m) => a + Number(m[1]), 0);
    return { rejected: sum("rq_rejected"), samples: sum("rq_success") + sum("rq_failure") };
  }

  before(async () => {
    backend = await startScriptedBackend();
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      "routes.yaml": `${backendYaml("scripted", backend.port)}---\n${routeYaml("ac", HOST, "scripted")}`,
    });
    await eventually(async () => (await httpGet(port, HOST)).status === 200, 15_000, "the route");
  });

  after(async () => {
    await t?.close();
    await backend?.close();
  });

  it("without a policy: every request of a failing backend reaches it", async () => {
    const r = await round("500");
    assert.deepEqual(r, { statuses: { 500: N }, reached: N });
  });

  it("with the policy: nothing is rejected while requests succeed; then a share of failing ones is rejected at Envoy", async () => {
    const policy = `  admissionControl:
    samplingWindow: 10s
    minSuccessRate: 95
    rejectionAggression: 1
    maxRejectionPercent: 80
`;
    await applyPolicy(t as TestGateway, "btp.yaml", btpYaml("ac", "ac", policy));
    const ok = await round("200");
    assert.deepEqual(ok, { statuses: { 200: N }, reached: N });
    assert.equal((await admissionStats()).rejected, 0);

    const failing = await round("500");
    const rejected = failing.statuses[503] ?? 0;
    assert.equal(rejected + (failing.statuses[500] ?? 0), N, JSON.stringify(failing));
    assert.equal(failing.reached, failing.statuses[500], "every 500 came from the backend, every 503 from Envoy");
    // The success rate falls slowly from 100 % (the 200 successes stay in the 10 s window): the rejection
    // probability, (requests - successes / 0.95) / (requests + 1), passes 0 after about 11 failures and reaches
    // about 47 % by the 200th, so about a fifth of the failing requests are rejected (41 measured).
    assert.ok(rejected >= N / 10, `Envoy rejected ${rejected} of ${N}: ${JSON.stringify(failing)}`);
    assert.ok(rejected <= N * 0.8 + 10, `at most maxRejectionPercent: ${rejected} of ${N}`);
    const stats = await admissionStats();
    assert.equal(stats.rejected, rejected, "Envoy's admission_control.rq_rejected counts them");
  });

  it("successCriteria.http.statusCodes [200, 201]: a backend answering 202 counts as failing (by default, a success)", async () => {
    await applyPolicy(
      t as TestGateway,
      "btp.yaml",
      btpYaml("ac", "ac", "  admissionControl: { samplingWindow: 9s }\n"),
    );
    assert.deepEqual(await round("202"), { statuses: { 202: N }, reached: N }, "Envoy's default: a 202 is a success");
    const policy = `  admissionControl:
    samplingWindow: 10s
    successCriteria: { http: { statusCodes: [200, 201] } }
`;
    await applyPolicy(t as TestGateway, "btp.yaml", btpYaml("ac", "ac", policy));
    const r = await round("202");
    assert.ok((r.statuses[503] ?? 0) >= N / 4, `202s rejected as failures: ${JSON.stringify(r)}`);
    assert.equal(r.reached, r.statuses[202]);
  });
});
