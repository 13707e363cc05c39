/**
 * A rule that cannot be served as written (an unsupported filter) keeps its matches in Envoy, answered with
 * 500: its requests never fall through to a less specific route of another HTTPRoute (the spec: a filter
 * that cannot be applied "MUST NOT be skipped ... requests ... MUST receive a HTTP error response").
 */
import assert from "node:assert/strict";
import { startEchoBackend, type EchoBackend } from "../../operator/src/demo/echo-backend";
import { eventually, freePort, httpGet } from "../support/http";
import { backendYaml, gatewayYaml, httpRouteYaml, routeYaml } from "../support/manifests";
import { startTestGateway, type TestGateway } from "../support/standalone";

interface Cond {
  readonly type: string;
  readonly status: string;
  readonly reason: string;
  readonly message: string;
}

const HOST = "app.example.com";
const TO_A = "backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: a }]";

describe("a rule with an invalid filter answers 500 (real Envoy)", function () {
  this.timeout(60_000);
  let a: EchoBackend;
  let t: TestGateway;
  let port: number;

  before(async () => {
    a = await startEchoBackend({ name: "a" });
    port = await freePort();
    t = await startTestGateway({
      "gateway.yaml": gatewayYaml(port),
      // The catch-all route: everything on the host goes to backend a.
      "catch-all.yaml": `${backendYaml("a", a.port)}---\n${routeYaml("catch-all", HOST, "a")}`,
      // Its only rule has a filter type nobody implements: the route is invalid as a whole.
      "bad.yaml": httpRouteYaml(
        "bad",
        HOST,
        `    - matches: [{ path: { type: PathPrefix, value: /x } }]
      filters: [{ type: SomeVendorFilter }]
      ${TO_A}`,
      ),
      // One valid and one invalid rule: the valid one is served, the other answers 500.
      "partial.yaml": httpRouteYaml(
        "partial",
        HOST,
        `    - matches: [{ path: { type: PathPrefix, value: /ok } }]
      ${TO_A}
    - matches: [{ path: { type: PathPrefix, value: /z } }, { headers: [{ name: x-z, value: "1" }] }]
      filters: [{ type: OtherVendorFilter }]
      ${TO_A}`,
      ),
    });
    await eventually(async () => (await httpGet(port, HOST, "/")).status === 200, 15_000, "the catch-all route");
  });

  after(async () => {
    await t?.close();
    await a?.close();
  });

  function conditions(route: string): Cond[] {
    const st = t.gw.statuses.get("HTTPRoute", "default", route)?.status as
      { parents: { conditions: Cond[] }[] } | undefined;
    return st?.parents[0]?.conditions ?? [];
  }

  it("an invalid route's matches get 500, not the catch-all's backend; the route is Accepted=False UnsupportedValue", async () => {
    await eventually(async () => (await httpGet(port, HOST, "/x")).status === 500, 10_000, "500 on /x");
    assert.equal((await httpGet(port, HOST, "/x/deeper")).status, 500);
    assert.equal((await httpGet(port, HOST, "/other")).status, 200, "the catch-all still serves the rest");
    const accepted = conditions("bad").find((c) => c.type === "Accepted");
    assert.equal(accepted?.status, "False");
    assert.equal(accepted?.reason, "UnsupportedValue");
    assert.match(accepted?.message ?? "", /rule 0: filter type SomeVendorFilter is not supported/);
    // attachedRoutes counts only Accepted routes: catch-all and partial.
    const gw = t.gw.statuses.get("Gateway", "default", "eg")?.status as { listeners: { attachedRoutes: number }[] };
    assert.equal(gw.listeners[0].attachedRoutes, 2);
  });

  it("a route's invalid rule gets 500 on each of its matches, its valid rule is served (PartiallyInvalid)", async () => {
    await eventually(async () => (await httpGet(port, HOST, "/z")).status === 500, 10_000, "500 on /z");
    assert.equal((await httpGet(port, HOST, "/any", { headers: { "x-z": "1" } })).status, 500, "the header match");
    assert.equal((await httpGet(port, HOST, "/any")).status, 200);
    const ok = await httpGet(port, HOST, "/ok");
    assert.equal(ok.status, 200);
    const conds = conditions("partial");
    assert.equal(conds.find((c) => c.type === "Accepted")?.status, "True");
    const partial = conds.find((c) => c.type === "PartiallyInvalid");
    assert.equal(partial?.reason, "UnsupportedValue");
    assert.match(partial?.message ?? "", /^Dropped Rule: rule 1: filter type OtherVendorFilter is not supported/);
  });
});
