/**
 * Real Envoy ACKs what the ClientTrafficPolicy golden (testdata/xds/client-traffic-policy-http.in.yaml) translates
 * to: every PROXY protocol, client IP detection (including the hand-encoded XffConfig trusted CIDRs), header
 * (XFCC details, early and late header mutations with the hand-encoded remove_on_match) and path setting at once,
 * on HTTP and TCP listeners. Listeners are moved to port 0 on 127.0.0.1 so the test binds nothing fixed.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Any } from "../../proto/gen/google/protobuf/any";
import type { GatewayXdsIr } from "../../operator/src/ir/xds-ir";
import { parseManifests } from "../../operator/src/provider/file/parse";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { TypeUrl } from "../../operator/src/xds/types";
import { buildNodeResources } from "../../operator/src/xds/translate/resources";
import { testdataDir } from "../support/golden";
import { serveToEnvoy, type Resources, type XdsEnvoy } from "../support/xds-envoy";

/** The golden's IR with every listener on 127.0.0.1, port 0. */
function goldenIr(): GatewayXdsIr {
  const file = join(testdataDir("xds"), "client-traffic-policy-http.in.yaml");
  const { objects, errors } = parseManifests(file, readFileSync(file, "utf8"));
  assert.deepEqual(errors, []);
  const [ir] = translate(snapshotFromObjects(objects)).xdsIr;
  const local = <T extends { address: string; port: number }>(l: T): T => ({ ...l, address: "127.0.0.1", port: 0 });
  return { ...ir, http: ir.http.map(local), ...(ir.tcp ? { tcp: ir.tcp.map(local) } : {}) };
}

describe("ClientTrafficPolicy PROXY protocol / client IP / headers / path config against real Envoy", function () {
  this.timeout(60_000);
  let envoy: XdsEnvoy | undefined;

  after(async () => {
    await envoy?.close();
  });

  it("Envoy ACKs the listeners and routes; the listeners carry the policy's settings", async () => {
    const ir = goldenIr();
    assert.ok(
      ir.http.every((l) => l.clientTraffic !== undefined),
      "every HTTP listener has a policy",
    );
    const built = buildNodeResources(ir);
    const resources: Resources = Object.fromEntries(
      (Object.keys(TypeUrl) as (keyof typeof TypeUrl)[]).map((k) => [k, built.get(TypeUrl[k]) as Map<string, Any>]),
    );
    envoy = await serveToEnvoy(ir.name, resources, ["Listener", "Route", "Cluster"]);
    const dump = await (await fetch(`${envoy.admin}/config_dump?resource=dynamic_listeners`)).text();
    for (const s of ["envoy.filters.listener.proxy_protocol", "xff_trusted_cidrs", "remove_on_match", "SANITIZE_SET"]) {
      assert.ok(dump.includes(s), `Envoy's listeners have ${s}`);
    }
  });
});
