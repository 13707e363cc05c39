/**
 * The Host header keeps its port on the way to the backend (Gateway API conformance
 * HTTPRouteHostnameIntersection / HTTPRouteListenerPortMatching), while virtual hosts match without it.
 * Real Envoy.
 */
import * as assert from "node:assert/strict";
import { httpGet } from "../support/http";
import { startBasicGateway, type BasicGateway } from "../support/standalone";

describe("standalone: the Host port reaches the backend (real Envoy)", function () {
  this.timeout(60_000);
  let g: BasicGateway | undefined;

  after(async () => g?.close());

  it("routes `very.specific.com:1234` by its hostname and forwards the Host unchanged", async () => {
    g = await startBasicGateway({ backend: "b", route: "r", host: "very.specific.com" });
    const r = await httpGet(g.port, "very.specific.com:1234", "/");
    assert.equal(r.status, 200);
    assert.equal((JSON.parse(r.body) as { host: string }).host, "very.specific.com:1234");
    const own = await httpGet(g.port, `very.specific.com:${g.port}`, "/");
    assert.equal((JSON.parse(own.body) as { host: string }).host, `very.specific.com:${g.port}`);
  });
});
