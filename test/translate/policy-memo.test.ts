/**
 * The per-policy translation memo (policies/translation-memo.ts, ADR 0014) changes no output: over every policy
 * golden case (testdata/policies, btp-cluster, ratelimit-routes), translating the
 * same objects again (every policy reused), with one policy changed (that policy translated again), and with one
 * object a policy may read removed (a new generation), gives exactly what a translation of fresh copies of the same
 * input gives (no reuse possible). A case whose response body comes from a ConfigMap proves the invalidation: with
 * the ConfigMap changed and the policy object the same, the memoised translation must read the new body.
 */
import * as assert from "node:assert/strict";
import { parse } from "yaml";
import { renderTranslation } from "../../operator/src/cmd/translate";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { reusedBackendTrafficTranslations } from "../../operator/src/translate/policies/backend-traffic";
import { translate, type TranslateOptions } from "../../operator/src/translate/translate";
import { caseName, goldenInputs, readCase, testdataDir } from "../support/golden";
import { GOLDEN_OIDC_OPTIONS } from "../support/oidc-golden";

/** Kinds a policy's translation may read, in the order the dependency variant looks for one to remove. */
const DEPENDENCY_KINDS = ["ConfigMap", "Secret", "ReferenceGrant", "Service", "Backend", "EnvoyProxy"];

const POLICY_KINDS = new Set([
  "BackendTrafficPolicy",
  "ClientTrafficPolicy",
  "SecurityPolicy",
  "EnvoyExtensionPolicy",
  "EnvoyPatchPolicy",
]);

function render(objects: readonly KubeObject[], opts: TranslateOptions): string {
  const r = translate(snapshotFromObjects(objects), opts);
  return `${renderTranslation(r, "status")}---\n${renderTranslation(r, "ir")}\n${JSON.stringify(r.rejected)}`;
}

/** The same input as new objects: nothing a memo holds can be reused. */
function fresh(objects: readonly KubeObject[], opts: TranslateOptions): string {
  return render(structuredClone(objects), opts);
}

/** `objects` with the first policy replaced by a changed copy (a new generation and label), or undefined. */
function withPolicyChanged(objects: readonly KubeObject[]): KubeObject[] | undefined {
  const i = objects.findIndex((o) => POLICY_KINDS.has(o.kind));
  if (i < 0) return undefined;
  const old = structuredClone(objects[i]);
  const metadata = { ...old.metadata, generation: (old.metadata.generation ?? 1) + 1, labels: { memo: "changed" } };
  return objects.map((o, j) => (j === i ? { ...old, metadata } : o));
}

/** `objects` without the first object of a kind policies may read, or undefined without one. */
function withDependencyRemoved(objects: readonly KubeObject[]): KubeObject[] | undefined {
  for (const kind of DEPENDENCY_KINDS) {
    const i = objects.findIndex((o) => o.kind === kind);
    if (i >= 0) return objects.filter((_, j) => j !== i);
  }
  return undefined;
}

/** The three variants of one case, each compared with a fresh translation. */
function checkCase(objects: readonly KubeObject[], opts: TranslateOptions): void {
  const first = render(objects, opts);
  assert.equal(render(objects, opts), first, "translated again: every policy reused");
  const changed = withPolicyChanged(objects);
  if (changed) {
    render(objects, opts);
    assert.equal(render(changed, opts), fresh(changed, opts), "one policy changed");
  }
  const removed = withDependencyRemoved(objects);
  if (removed) {
    render(objects, opts);
    assert.equal(render(removed, opts), fresh(removed, opts), "one dependency removed");
  }
}

/** A Gateway, a route and a BackendTrafficPolicy whose response override's body is ConfigMap `page`'s. */
const BODY_FROM_CONFIGMAP = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec: { controllerName: gateway.envoyproxy.io/gatewayclass-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: eg, namespace: default }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: 8080 }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: app, namespace: default }
spec:
  parentRefs: [{ name: eg }]
  rules: [{ backendRefs: [{ name: app, port: 80 }] }]
---
apiVersion: v1
kind: Service
metadata: { name: app, namespace: default }
spec: { clusterIP: 10.0.0.1, ports: [{ port: 80 }] }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: page, namespace: default }
data: { response.body: first body }
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: overrides, namespace: default }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: app }]
  responseOverride:
    - match: { statusCodes: [{ value: 503 }] }
      response:
        contentType: text/plain
        body: { type: ValueRef, valueRef: { group: "", kind: ConfigMap, name: page } }
`;

describe("per-policy translation memo: the same output as without it", () => {
  for (const inFile of goldenInputs(testdataDir("policies"))) {
    it(`policies/${caseName(inFile)}`, () => checkCase(readCase(inFile), GOLDEN_OIDC_OPTIONS));
  }

  // BackendTrafficPolicy cluster settings and global rate limits, translated with default options.
  for (const dir of ["btp-cluster", "ratelimit-routes"]) {
    for (const inFile of goldenInputs(testdataDir(dir))) {
      it(`${dir}/${caseName(inFile)}`, () => checkCase(readCase(inFile), {}));
    }
  }

  it("reuses an unchanged policy's translation, and translates it again when a ConfigMap it reads changes", () => {
    const objects = BODY_FROM_CONFIGMAP.split(/^---$/m).map((d) => parse(d) as KubeObject);
    const first = render(objects, {});
    assert.ok(first.includes("first body"), "the body is the ConfigMap's");
    render(objects, {});
    assert.equal(reusedBackendTrafficTranslations(), 1, "the same objects again: the translation is reused");
    const page = objects.findIndex((o) => o.kind === "ConfigMap");
    const edited = objects.map((o, i) =>
      i === page ? { ...structuredClone(o), data: { "response.body": "second body" } } : o,
    );
    const memoised = render(edited, {});
    assert.equal(reusedBackendTrafficTranslations(), 0, "a ConfigMap changed: a new generation");
    assert.equal(memoised, fresh(edited, {}));
    assert.ok(memoised.includes("second body") && !memoised.includes("first body"), "the new body is served");
  });
});
