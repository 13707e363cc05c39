/**
 * Values Envoy rejects, against real Envoy: each value the translator refuses is NACKed when sent as it is
 * (its check turned off); with the checks on, the listener keeps taking updates beside the bad routes; and
 * when Envoy NACKs anyway, the route responsible is found by bisection, quarantined with Envoy's error on
 * its status, and the rest is served.
 */
import assert from "node:assert/strict";
import { filter, firstValueFrom, timeout } from "rxjs";
import type { PipelineEvent } from "../../operator/src/pipeline/standalone";
import { valueChecks } from "../../operator/src/translate/validate-values";
import { eventually, httpGet } from "../support/http";
import { httpRouteYaml, routeYaml } from "../support/manifests";
import { startBasicGateway, type BasicGateway, type TestGateway } from "../support/standalone";
import { REJECT_CASES } from "../translate/envoy-reject-cases";

interface Cond {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

function accepted(t: TestGateway, name: string): Cond | undefined {
  const s = t.gw.statuses.get("HTTPRoute", "default", name)?.status as { parents?: { conditions: Cond[] }[] };
  return s?.parents?.[0]?.conditions.find((c) => c.type === "Accepted");
}

function quarantined(t: TestGateway): Promise<PipelineEvent> {
  return firstValueFrom(
    t.gw.events$.pipe(
      filter((e) => e.kind === "quarantined"),
      timeout(30_000),
    ),
  );
}

describe("values Envoy rejects, against real Envoy", function () {
  let g: BasicGateway;
  let t: TestGateway;
  let port: number;

  before(async function () {
    g = await startBasicGateway({ backend: "web", route: "ok", host: "ok.example.com" });
    ({ t, port } = g);
  });

  afterEach(() => {
    valueChecks.disabled = new Set();
  });

  after(async function () {
    await g?.close();
  });

  for (const c of REJECT_CASES.filter((x) => x.envoyNacks)) {
    it(`Envoy NACKs it when sent unchecked: ${c.name}`, async function () {
      valueChecks.disabled = new Set([c.check]);
      const nack = firstValueFrom(
        t.gw.server.events$.pipe(
          filter((e) => e.kind === "nack"),
          timeout(10_000),
        ),
      );
      const done = quarantined(t);
      await t.write("bad.yaml", httpRouteYaml("bad", "bad.example.com", c.rule.trimEnd()));
      const e = await nack;
      assert.ok(e.error, "Envoy says why");
      const q = await done;
      assert.deepEqual(q.kind === "quarantined" && q.culprits, ["HTTPRoute/default/bad"]);
      assert.equal((await httpGet(port, "ok.example.com")).status, 200, "the other route keeps serving");
    });
  }

  it("with the checks on, the bad routes get a condition and the listener keeps taking updates", async function () {
    const nacks = t.gw.server.stats().nodes["default/eg"].rds.nacks;
    const bad = REJECT_CASES.filter((x) => x.envoyNacks).map((c, i) =>
      httpRouteYaml(`bad-${i}`, `bad-${i}.example.com`, c.rule.trimEnd()),
    );
    await t.remove("bad.yaml");
    await t.write("many.yaml", [...bad, routeYaml("also", "also.example.com", "web")].join("---\n"));
    await eventually(async () => (await httpGet(port, "also.example.com")).status === 200, 10_000, "also serves");
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
    for (let i = 0; i < bad.length; i++) {
      const a = accepted(t, `bad-${i}`);
      assert.equal(a?.status, "False", `bad-${i}: ${JSON.stringify(a)}`);
      assert.equal(a?.reason, "UnsupportedValue");
    }
    assert.equal(t.gw.server.stats().nodes["default/eg"].rds.nacks, nacks, "no NACK");
    await t.remove("many.yaml");
  });

  it("a route Envoy NACKs is found, quarantined with Envoy's error, and the good route written with it serves (validation disabled to force a NACK)", async function () {
    valueChecks.disabled = new Set(["text"]);
    const badRule = REJECT_CASES.find((c) => c.name === "RequestHeaderModifier set value with CR LF")!.rule;
    const seen: number[] = [];
    const done = quarantined(t);
    const t0 = Date.now();
    await t.write(
      "pair.yaml",
      `${routeYaml("fresh", "fresh.example.com", "web")}---\n${httpRouteYaml("nacked", "nacked.example.com", badRule.trimEnd())}`,
    );
    await eventually(
      async () => {
        const s = (await httpGet(port, "fresh.example.com")).status;
        seen.push(s);
        return s === 200;
      },
      15_000,
      "the good route written with the bad one",
    );
    const ms = Date.now() - t0;
    const q = await done;
    assert.deepEqual(q.kind === "quarantined" && q.culprits, ["HTTPRoute/default/nacked"]);
    // Only what changed since Envoy's last ACK is suspected: the served routes never leave the listener.
    assert.deepEqual(q.kind === "quarantined" && [...q.suspects].sort(), [
      "HTTPRoute/default/fresh",
      "HTTPRoute/default/nacked",
    ]);
    // Envoy went from the old config (404) straight to the new one (200), and stays there.
    assert.ok(seen.every((s) => s === 404 || s === 200) && seen.indexOf(200) === seen.length - 1, seen.join(","));
    for (let i = 0; i < 10; i++) assert.equal((await httpGet(port, "fresh.example.com")).status, 200);
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
    const a = accepted(t, "nacked");
    assert.equal(a?.status, "False");
    assert.equal(a?.reason, "UnsupportedValue");
    assert.match(a?.message ?? "", /^Envoy rejected the configuration: .*does not match regex pattern/);
    assert.doesNotMatch(a?.message ?? "", /virtual_hosts|fresh\.example\.com/, "no dump of other routes");
    assert.equal((await httpGet(port, "nacked.example.com")).status, 404);
    console.log(`      good route served ${ms} ms after the write; ${q.kind === "quarantined" ? q.trials : 0} trials`);

    // Fixing the bad route brings it back.
    await t.write(
      "pair.yaml",
      `${routeYaml("fresh", "fresh.example.com", "web")}---\n${routeYaml("nacked", "nacked.example.com", "web")}`,
    );
    await eventually(async () => (await httpGet(port, "nacked.example.com")).status === 200, 10_000, "the fixed route");
    assert.equal(accepted(t, "nacked")?.status, "True");
  });
});
