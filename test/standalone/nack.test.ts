/**
 * A configuration Envoy rejects (here: a route regex beyond RE2's default program size limit, with the
 * translator's regex check turned off so that it reaches Envoy) is NACKed; the server logs Envoy's error and
 * counts it; Envoy keeps serving the previous one, and the route is then found and left out so that the
 * routes written with it are served.
 */
import assert from "node:assert/strict";
import { firstValueFrom, filter } from "rxjs";
import { valueChecks } from "../../operator/src/translate/validate-values";
import { eventually, httpGet } from "../support/http";
import { hugeRegexRouteYaml, routeYaml } from "../support/manifests";
import { startBasicGateway, type BasicGateway, type TestGateway } from "../support/standalone";

describe("NACK from real Envoy", function () {
  let g: BasicGateway;
  let t: TestGateway;
  let port: number;

  before(async function () {
    g = await startBasicGateway({ backend: "b", route: "ok", host: "ok.example.com" });
    ({ t, port } = g);
  });

  after(async function () {
    valueChecks.disabled = new Set();
    await g?.close();
  });

  it("is logged with Envoy's error, counted, and the routes written with it serve once it is left out (validation disabled to force a NACK)", async function () {
    valueChecks.disabled = new Set(["regex"]);
    const node = "default/eg";
    // Every host is exact: the default layout sends the routes as routing scopes (SRDS, ADR 0031).
    const nacksBefore = t.gw.server.stats().nodes[node].srds.nacks;
    const nack = firstValueFrom(t.gw.server.events$.pipe(filter((e) => e.kind === "nack")));
    const bisected = firstValueFrom(t.gw.events$.pipe(filter((p) => p.kind === "quarantined")));
    await t.write("regex.yaml", hugeRegexRouteYaml() + "---\n" + routeYaml("also-new", "also.example.com", "b"));
    const e = await nack;
    assert.equal(e.nodeId, node);
    assert.match(String(e.error), /regex|program size/i);
    assert.ok(t.gw.server.stats().nodes[node].srds.nacks > nacksBefore, "counted");
    assert.ok(
      t.logs.some((l) => l.includes("NACK") && /program size|regex/i.test(l)),
      "the NACK is logged with Envoy's message",
    );
    // Envoy kept the previous RouteConfiguration, then the rejected route is left out and the rest served.
    assert.equal((await httpGet(port, "ok.example.com")).status, 200);
    await eventually(
      async () => (await httpGet(port, "also.example.com")).status === 200,
      5000,
      "the route written with the rejected one",
    );
    assert.equal((await httpGet(port, "regex.example.com")).status, 404);
    const b = await bisected;
    assert.ok(b.kind === "quarantined");
    assert.deepEqual(b.culprits, ["HTTPRoute/default/huge-regex"]);
    // The route served before the NACK was never suspected (so never left out during the bisection).
    assert.deepEqual([...b.suspects].sort(), ["HTTPRoute/default/also-new", "HTTPRoute/default/huge-regex"]);
  });
});
