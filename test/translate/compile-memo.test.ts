/**
 * The per-route compile memo (compile-memo.ts, ADR 0009, 0013 and 0018: HTTPRoutes and GRPCRoutes) and the stable
 * route entries (route-entry.ts, ADR 0018) change no output: over every translator golden case, translating the
 * same objects again (every route reused, every route entry the same object), with one HTTPRoute or GRPCRoute
 * changed (that route compiled again), with each kind of object a route's compile reads removed and changed (the routes that read it compiled
 * again), and with a status-only change (a Gateway's: no route compiled again; a Service's) gives exactly what a
 * translation of fresh copies of the same input gives (no reuse possible).
 */
import * as assert from "node:assert/strict";
import { extensionKindsOption } from "../../operator/src/pipeline/extension-stage";
import { renderTranslation } from "../../operator/src/cmd/translate";
import { loadEnvoyGatewayConfig } from "../../operator/src/config/envoy-gateway-config";
import type { KubeObject } from "../../operator/src/resources/meta";
import { snapshotFromObjects } from "../../operator/src/resources/snapshot";
import {
  lastCompileStats,
  translate,
  type TranslateOptions,
  type TranslateResult,
} from "../../operator/src/translate/translate";
import { entryCompares } from "../../operator/src/translate/virtual-hosts";
import { caseName, envoyGatewayConfigFor, goldenInputs, readCase, testdataDir } from "../support/golden";
import { GOLDEN_WASM_OPTIONS } from "../support/wasm-golden";

/** Any-typed view of an object's body, for the changes below. */
type Body = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Kinds an HTTPRoute's compile reads, each with a change that matters to the routes reading it. */
const DEPENDENCY_CHANGES: Readonly<Record<string, (o: Body) => void>> = {
  ReferenceGrant: (o) => (o.spec = { ...o.spec, from: [] }),
  EndpointSlice: (o) => {
    for (const e of o.endpoints ?? []) e.addresses = ["10.254.254.254"];
  },
  Service: (o) => {
    for (const p of o.spec?.ports ?? []) p.port += 1;
  },
  Backend: (o) => (o.spec = { ...o.spec, endpoints: [{ ip: { address: "10.254.254.254", port: 4242 } }] }),
  HTTPRouteFilter: (o) => (o.spec = { directResponse: { statusCode: 418 } }),
  BackendTLSPolicy: (o) => (o.spec = { ...o.spec, validation: { ...o.spec?.validation, hostname: "memo.example" } }),
  ConfigMap: (o) => (o.data = Object.fromEntries(Object.keys(o.data ?? {}).map((k) => [k, "changed"]))),
};

/**
 * Kinds whose IR is built anew every pass (ADR 0013, what is left): the EnvoyExtensionPolicy stage copies every
 * route it reaches. A case with one is not checked for identity.
 */
const REBUILT_KINDS = new Set(["EnvoyExtensionPolicy"]);

/** The last translation of {@link render}. */
let last: TranslateResult | undefined;

function render(objects: readonly KubeObject[], opts: TranslateOptions): string {
  const r = translate(snapshotFromObjects(objects), opts);
  last = r;
  return `${renderTranslation(r, "status")}---\n${renderTranslation(r, "ir")}\n${JSON.stringify(r.rejected)}`;
}

/** Every HTTP listener and virtual host of a translation, by node and name. */
function httpIr(r: TranslateResult | undefined): Map<string, object> {
  const out = new Map<string, object>();
  for (const node of r?.xdsIr ?? [])
    for (const l of node.http) {
      out.set(`${node.name} ${l.name}`, l);
      for (const v of l.virtualHosts) out.set(`${node.name} ${l.name} ${v.name}`, v);
    }
  return out;
}

/**
 * The names of the virtual hosts of `after` whose routes are the same objects as in `before` and that are not
 * themselves the same object (copies of unchanged IR).
 */
function copiedUnchanged(before: Map<string, object>, after: Map<string, object>): string[] {
  const routes = (v: object | undefined): unknown[] | undefined => (v as { routes?: unknown[] } | undefined)?.routes;
  return [...after]
    .filter(([k, v]) => {
      const [a, b] = [routes(before.get(k)), routes(v)];
      return a && b && before.get(k) !== v && a.length === b.length && a.every((r, i) => r === b[i]);
    })
    .map(([k]) => k);
}

/** The names of the listeners and virtual hosts of `after` that are not the same object as in `before`. */
function rebuilt(before: Map<string, object>, after: Map<string, object>): string[] {
  return [...after].filter(([k, v]) => before.get(k) !== v).map(([k]) => k);
}

/** The same input as new objects: nothing the memo holds can be reused. */
function fresh(objects: readonly KubeObject[], opts: TranslateOptions): string {
  return render(structuredClone(objects), opts);
}

/** `objects` with object `i` replaced by a copy that `change` changed. */
function replaced(objects: readonly KubeObject[], i: number, change: (o: Body) => void): KubeObject[] {
  const copy = structuredClone(objects[i]) as unknown as Body;
  change(copy);
  return objects.map((o, j) => (j === i ? (copy as KubeObject) : o));
}

/** `objects` with the first route of `kind` replaced by a changed copy (one more hostname), or undefined without one. */
function withRouteChanged(objects: readonly KubeObject[], kind = "HTTPRoute"): KubeObject[] | undefined {
  const i = objects.findIndex((o) => o.kind === kind);
  if (i < 0) return undefined;
  return replaced(
    objects,
    i,
    (o) => (o.spec = { ...o.spec, hostnames: [...(o.spec?.hostnames ?? []), "memo.example"] }),
  );
}

/** A status write's watch event: the object with a status and a newer resourceVersion, the spec untouched. */
function statusOnly(o: Body): void {
  o.status = { conditions: [{ type: "Accepted", status: "True", reason: "Accepted", message: "memo" }] };
  o.metadata.resourceVersion = "987654";
}

describe("per-route compile memo and stable entries: the same output as without them (every translate golden case)", () => {
  let reusedCases = 0;
  let grpcCases = 0;
  const kindsSeen = new Set<string>();
  let statusCases = 0;
  let identityCases = 0;
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
      const identity = !objects.some((o) => REBUILT_KINDS.has(o.kind));
      /** The IR objects of the last translation not the same as in `before` (none checked: none). */
      const rebuiltSince = (before: Map<string, object>): string[] => (identity ? rebuilt(before, httpIr(last)) : []);
      const first = render(objects, opts);
      const firstIr = httpIr(last);
      const compared = entryCompares.byFields;
      assert.equal(render(objects, opts), first, "translated again: every route reused");
      assert.equal(lastCompileStats().newGeneration, false, "translated again: no new generation");
      assert.equal(lastCompileStats().compiles, 0, "translated again: no HTTPRoute or GRPCRoute compiled");
      assert.equal(entryCompares.byFields - compared, 0, "translated again: every route entry the same object");
      assert.deepEqual(rebuiltSince(firstIr), [], "translated again: the same listener and virtual host objects");
      if (identity && firstIr.size > 0) identityCases++;
      const changed = withRouteChanged(objects);
      if (changed) {
        render(objects, opts);
        assert.equal(render(changed, opts), fresh(changed, opts), "one HTTPRoute changed");
        reusedCases++;
        render(objects, opts);
        const before = httpIr(last);
        render(changed, opts);
        if (identity) {
          const copies = copiedUnchanged(before, httpIr(last));
          assert.deepEqual(copies, [], "one HTTPRoute changed: the other virtual hosts are the same objects");
        }
      }
      const grpcChanged = withRouteChanged(objects, "GRPCRoute");
      if (grpcChanged) {
        render(objects, opts);
        assert.equal(render(grpcChanged, opts), fresh(grpcChanged, opts), "one GRPCRoute changed");
        grpcCases++;
        render(objects, opts);
        const before = httpIr(last);
        render(grpcChanged, opts);
        assert.equal(lastCompileStats().compiles, 1, "one GRPCRoute changed: that route compiled again");
        if (identity) {
          const copies = copiedUnchanged(before, httpIr(last));
          assert.deepEqual(copies, [], "one GRPCRoute changed: the other virtual hosts are the same objects");
        }
      }
      for (const [kind, change] of Object.entries(DEPENDENCY_CHANGES)) {
        const i = objects.findIndex((o) => o.kind === kind);
        if (i < 0) continue;
        kindsSeen.add(kind);
        const removed = objects.filter((_, j) => j !== i);
        render(objects, opts);
        assert.equal(render(removed, opts), fresh(removed, opts), `the first ${kind} removed`);
        const modified = replaced(objects, i, change);
        render(objects, opts);
        assert.equal(render(modified, opts), fresh(modified, opts), `the first ${kind} changed`);
        const restored = render(objects, opts);
        assert.equal(restored, first, `the first ${kind} changed back`);
      }
      const gw = objects.findIndex((o) => o.kind === "Gateway");
      if (gw >= 0 && changed) {
        const withStatus = replaced(objects, gw, statusOnly);
        render(objects, opts);
        assert.equal(render(withStatus, opts), fresh(withStatus, opts), "a Gateway's status changed");
        render(objects, opts);
        const before = httpIr(last);
        render(withStatus, opts);
        assert.equal(lastCompileStats().compiles, 0, "a Gateway's status changed: no route compiled again");
        assert.deepEqual(rebuiltSince(before), [], "a Gateway's status changed: the same IR objects");
        statusCases++;
      }
      const svc = objects.findIndex((o) => o.kind === "Service");
      if (svc >= 0) {
        const withStatus = replaced(objects, svc, statusOnly);
        render(objects, opts);
        assert.equal(render(withStatus, opts), fresh(withStatus, opts), "a Service's status changed");
      }
    });
  }
  after(() => {
    assert.ok(reusedCases > 40, `only ${reusedCases} cases had an HTTPRoute`);
    assert.ok(grpcCases > 2, `only ${grpcCases} cases had a GRPCRoute`);
    assert.ok(identityCases > 40, `only ${identityCases} cases were checked for IR identity`);
    assert.ok(statusCases > 40, `only ${statusCases} cases had a Gateway and an HTTPRoute`);
    assert.deepEqual([...kindsSeen].sort(), Object.keys(DEPENDENCY_CHANGES).sort(), "every dependency kind exercised");
  });
});
