/**
 * Envoy Gateway's task doc "Envoy Patch Policy" (tasks/extensibility/envoy-patch-policy.md) on real Envoy, its
 * policies applied unchanged from test/crds/testdata/eg-tasks/envoy-patch-policy.yaml: they name the resources as
 * Envoy Gateway does (listener and route configuration `default/eg/http`, the plaintext chain
 * `default_filter_chain`, virtual hosts `…/www_example_com`), as egts does too (ADR 0006). The local reply patch makes `GET /find` answer 406 with the doc's body (Gateway target,
 * and the GatewayClass variant with merged Gateways); the virtual host patch adds `x-envoy-attempt-count: 1`.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { eventually } from "../support/http";
import { repoRoot } from "../support/golden";
import { startPatchGateway, type PatchGateway } from "../support/patch-gateway";

/** The doc's documents, each as written (comments included), by metadata name and target kind. */
function docPolicy(name: string, targetKind: "Gateway" | "GatewayClass"): string {
  const file = join(repoRoot(), "test/crds/testdata/eg-tasks/envoy-patch-policy.yaml");
  const docs = readFileSync(file, "utf8").split(/^---\n/m);
  const found = docs.find((d) => d.includes(`name: ${name}\n`) && d.includes(`kind: ${targetKind}\n`));
  assert.ok(found, `${file} has ${name} targeting a ${targetKind}`);
  return found;
}

const DOC_BODY = "could not find what you are looking for";

/** Why a doc policy did not take, for the failure message. */
function programmedOf(g: PatchGateway, name: string): string {
  return JSON.stringify(g.programmed(name));
}

describe("Envoy Gateway's EnvoyPatchPolicy task doc, unchanged (real Envoy)", function () {
  this.timeout(60_000);

  describe("Gateway target", () => {
    let g: PatchGateway;
    before(async () => {
      g = await startPatchGateway();
    });
    after(async () => g?.close());

    it("custom-response-patch-policy: GET /find answers 406 with the doc's body", async () => {
      await g.t.write("epp.yaml", docPolicy("custom-response-patch-policy", "Gateway"));
      await g.settled("custom-response-patch-policy");
      assert.equal(
        g.programmed("custom-response-patch-policy")?.status,
        "True",
        programmedOf(g, "custom-response-patch-policy"),
      );
      await eventually(async () => (await g.get("/find")).status === 406, 20_000, "406 for /find");
      assert.equal((await g.get("/find")).body, DOC_BODY);
      assert.deepEqual(g.nacks, []);
    });

    it("include-attempts: x-envoy-attempt-count: 1 on the response", async () => {
      await g.t.write("epp2.yaml", docPolicy("include-attempts", "Gateway"));
      await g.settled("include-attempts");
      assert.equal(g.programmed("include-attempts")?.status, "True", programmedOf(g, "include-attempts"));
      await eventually(
        async () => (await g.get("/get")).headers["x-envoy-attempt-count"] === "1",
        20_000,
        "x-envoy-attempt-count: 1",
      );
      assert.deepEqual(g.nacks, []);
    });
  });

  describe("GatewayClass target with merged Gateways", () => {
    let g: PatchGateway;
    before(async () => {
      g = await startPatchGateway({ mergeGateways: true });
    });
    after(async () => g?.close());

    it("custom-response-patch-policy on GatewayClass eg: GET /find answers 406 with the doc's body", async () => {
      await g.t.write("epp.yaml", docPolicy("custom-response-patch-policy", "GatewayClass"));
      await g.settled("custom-response-patch-policy");
      assert.equal(
        g.programmed("custom-response-patch-policy")?.status,
        "True",
        programmedOf(g, "custom-response-patch-policy"),
      );
      await eventually(async () => (await g.get("/find")).status === 406, 20_000, "406 for /find");
      assert.equal((await g.get("/find")).body, DOC_BODY);
      assert.deepEqual(g.nacks, []);
    });
  });
});
