/**
 * Envoy Gateway's "External Processing" task policy (test/crds/testdata/eg-tasks/ext-proc.yaml, saved unchanged)
 * through `translate`, on the quickstart Gateway with the task's HTTPRoute `myapp` and its processor Service
 * `grpc-ext-proc` (port 9002): Accepted, and the route runs Envoy Gateway's ext_proc filter (request headers, response
 * headers and streamed response body) calling the processor's HTTP/2 cluster with Envoy Gateway's name and
 * authority.
 */
import * as assert from "node:assert/strict";
import { join } from "node:path";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate } from "../../operator/src/translate/translate";
import { checkDocExample, parseDocYaml, quickstartRouteYaml, readDocExample } from "../support/eg-docs";
import { repoRoot } from "../support/golden";
import { gatewayWithListenersYaml, serviceYaml } from "../support/manifests";

const DIR = join(repoRoot(), "test", "crds", "testdata", "eg-tasks");

/** The quickstart Gateway, Service `backend`, the task's route `myapp` and processor Service `grpc-ext-proc`. */
function environment(): string {
  return [
    gatewayWithListenersYaml(`    - { name: http, protocol: HTTP, port: 80 }`),
    serviceYaml("backend", 3000, [{ port: 3000 }]),
    quickstartRouteYaml("myapp", "www.example.com", "/myapp"),
    serviceYaml("grpc-ext-proc", 9002, [{ port: 9002 }]),
  ].join("---\n");
}

describe("Envoy Gateway's ext-proc task policy through translate", () => {
  const env = parseDocYaml("environment", environment());

  it("is accepted and changes the xDS IR", () => {
    checkDocExample({
      kind: "EnvoyExtensionPolicy",
      dir: DIR,
      name: "ext-proc",
      want: { accepted: true },
      env,
      options: {},
      refusedChangesIr: false,
    });
  });

  it("the route runs the processor as Envoy Gateway configures it", () => {
    const docs = readDocExample(DIR, "ext-proc");
    const ir = translate(snapshotFromObjects([...env, ...docs]), {}).xdsIr[0];
    const route = ir.http.flatMap((l) => l.virtualHosts.flatMap((v) => v.routes)).find((r) => r.extensions);
    const p = route?.extensions?.extProc[0];
    assert.equal(p?.name, "envoyextensionpolicy/default/ext-proc-example/extproc/0");
    assert.equal(p?.cluster, "envoyextensionpolicy/default/ext-proc-example/extproc/0");
    assert.equal(p?.authority, "grpc-ext-proc.default:9002");
    assert.deepEqual(p?.request, { attributes: [] });
    assert.deepEqual(p?.response, { body: "STREAMED", attributes: [] });
    const cluster = ir.clusters.find((c) => c.name === p?.cluster);
    assert.equal(cluster?.protocol, "h2c");
  });
});
