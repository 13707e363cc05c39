/**
 * The per-HTTPRoute compile memo (compile-memo.ts, ADR 0009) changes no output: over every translator golden case,
 * translating the same objects again (every route reused), with one HTTPRoute changed (that route compiled again),
 * and with one object a route depends on removed (a new generation), gives exactly what a translation of fresh
 * copies of the same input gives (no reuse possible).
 */
import * as assert from "node:assert/strict";
import { extensionKindsOption } from "../../operator/src/pipeline/extension-stage";
import { renderTranslation } from "../../operator/src/cmd/translate";
import { loadEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { translate, type TranslateOptions } from "../../operator/src/translate/translate";
import { caseName, envoyGatewayConfigFor, goldenInputs, readCase, testdataDir } from "../support/golden";
import { GOLDEN_WASM_OPTIONS } from "../support/wasm-golden";

/** Kinds an HTTPRoute's compile reads, in the order the dependency variant looks for one to remove. */
const DEPENDENCY_KINDS = [
  "ReferenceGrant",
  "EndpointSlice",
  "Service",
  "Backend",
  "HTTPRouteFilter",
  "BackendTLSPolicy",
];

function render(objects: readonly KubeObject[], opts: TranslateOptions): string {
  const r = translate(snapshotFromObjects(objects), opts);
  return `${renderTranslation(r, "status")}---\n${renderTranslation(r, "ir")}\n${JSON.stringify(r.rejected)}`;
}

/** The same input as new objects: nothing the memo holds can be reused. */
function fresh(objects: readonly KubeObject[], opts: TranslateOptions): string {
  return render(structuredClone(objects), opts);
}

/** `objects` with the first HTTPRoute replaced by a changed copy (one more hostname), or undefined without one. */
function withRouteChanged(objects: readonly KubeObject[]): KubeObject[] | undefined {
  const i = objects.findIndex((o) => o.kind === "HTTPRoute");
  if (i < 0) return undefined;
  const old = objects[i] as KubeObject<{ hostnames?: string[] }>;
  const spec = { ...old.spec, hostnames: [...(old.spec?.hostnames ?? []), "memo-changed.example.com"] };
  const route = { ...structuredClone(old), spec };
  return objects.map((o, j) => (j === i ? route : o));
}

/** `objects` without the first object of a kind routes depend on, or undefined without one. */
function withDependencyRemoved(objects: readonly KubeObject[]): KubeObject[] | undefined {
  for (const kind of DEPENDENCY_KINDS) {
    const i = objects.findIndex((o) => o.kind === kind);
    if (i >= 0) return objects.filter((_, j) => j !== i);
  }
  return undefined;
}

describe("per-HTTPRoute compile memo: the same output as without it (every translate golden case)", () => {
  let reusedCases = 0;
  for (const inFile of goldenInputs(testdataDir("translate"))) {
    it(caseName(inFile), () => {
      const config = loadEnvoyGatewayConfig(envoyGatewayConfigFor(inFile));
      const opts: TranslateOptions = {
        backends: config.backends,
        extensionApis: config.extensionApis,
        ...GOLDEN_WASM_OPTIONS,
        ...extensionKindsOption(config.extensionManagers),
      };
      const objects = readCase(inFile);
      const first = render(objects, opts);
      assert.equal(render(objects, opts), first, "translated again: every route reused");
      const changed = withRouteChanged(objects);
      if (changed) {
        render(objects, opts);
        assert.equal(render(changed, opts), fresh(changed, opts), "one HTTPRoute changed");
        reusedCases++;
      }
      const removed = withDependencyRemoved(objects);
      if (removed) {
        render(objects, opts);
        assert.equal(render(removed, opts), fresh(removed, opts), "one dependency removed");
      }
    });
  }
  after(() => assert.ok(reusedCases > 40, `only ${reusedCases} cases had an HTTPRoute`));
});
