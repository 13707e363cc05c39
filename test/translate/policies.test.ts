/**
 * Policy attachment table (testdata/policies/X.in.yaml → X.out.yaml): every target kind, selectors,
 * precedence, conflicts, merges, Overridden/Merged messages, targets that do not resolve, the 16-ancestor cap,
 * the kinds not translated yet. Each golden holds the policies' statuses and, per Envoy listener, what the
 * policies changed (clientTraffic settings, routes answering 403/500). Regenerate with UPDATE_GOLDEN=1 and
 * review the diff by eye. Unit tests of the engine's pieces (merge, field list) follow.
 */
import * as assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { stringify } from "yaml";
import { formatInputError, parseManifests } from "../../operator/src/provider/file/parse";
import { renderTranslation } from "../../operator/src/cmd/translate";
import type { GatewayXdsIr, RouteIr } from "../../operator/src/ir/xds-ir";
import type { ClientTrafficPolicy } from "../../operator/src/resources/client-traffic-policy";
import type { KubeObject } from "../../operator/src/resources/meta";
import { POLICY_FIELDS, snapshotFromObjects } from "../../operator/src/resources/snapshot";
import { targetRuleProblems } from "../../operator/src/translate/policies/client-traffic-cel";
import { unimplementedFields } from "../../operator/src/translate/policies/client-traffic-fields";
import { translateSpec } from "../../operator/src/translate/policies/client-traffic";
import { mergeSpecs } from "../../operator/src/translate/policies/merge";
import { translate, type TranslateOptions } from "../../operator/src/translate/translate";
import { caseName, checkGolden, goldenInputs, testdataDir } from "../support/golden";
import { GOLDEN_OIDC_OPTIONS } from "../support/oidc-golden";

function readCase(inFile: string): KubeObject[] {
  const { objects, errors } = parseManifests(inFile, readFileSync(inFile, "utf8"));
  assert.deepEqual(errors.map(formatInputError), [], "golden input must parse");
  return objects;
}

const POLICY_KINDS: ReadonlySet<string> = new Set(Object.keys(POLICY_FIELDS));

/** The policies' statuses, then what each Envoy listener got from them. */
export function renderPolicies(objects: readonly KubeObject[], opts: TranslateOptions = {}): string {
  const result = translate(snapshotFromObjects(objects), opts);
  const statuses = result.statuses.filter((s) => POLICY_KINDS.has(s.kind));
  const listeners = result.xdsIr.flatMap(listenerSummary);
  const doc = {
    statuses: statuses.map((s) => ({ kind: s.kind, name: `${s.namespace}/${s.name}`, status: s.status })),
    listeners,
    rejected: result.rejected.map((r) => r.message),
  };
  return stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false });
}

function listenerSummary(ir: GatewayXdsIr): unknown[] {
  const http = ir.http.map((l) => {
    const routes = l.virtualHosts.flatMap((v) => v.routes);
    const traffic = routes.filter(hasBackendTraffic).map(backendTrafficSummary);
    const security = routes.flatMap((r) => (r.security ? [{ route: r.name, ...r.security }] : []));
    return {
      name: l.name,
      ...(l.clientTraffic ? { clientTraffic: l.clientTraffic } : {}),
      routes: routes.map(
        (r) => `${r.name}: ${r.action.kind === "direct" ? `direct ${r.action.status}` : r.action.kind}`,
      ),
      ...(traffic.length > 0 ? { backendTraffic: traffic } : {}),
      ...(security.length > 0 ? { security } : {}),
    };
  });
  const variants = ir.clusters.filter((c) => c.policy !== undefined);
  const tcp = (ir.tcp ?? []).map((l) => ({
    name: l.name,
    ...(l.clientTraffic ? { clientTraffic: l.clientTraffic } : {}),
    chains: l.chains.map(
      (c) =>
        `${c.name}: ${c.destinations.length} destination(s)${c.authorization ? ` authorization ${JSON.stringify(c.authorization)}` : ""}`,
    ),
  }));
  return [
    ...http,
    ...tcp,
    ...(variants.length > 0 ? [{ name: `${ir.name} policy clusters`, clusters: variants }] : []),
  ];
}

/** Whether a BackendTrafficPolicy changed the route (its retry, its traffic settings, a policy cluster). */
function hasBackendTraffic(r: RouteIr): boolean {
  return (
    r.retry?.policy !== undefined ||
    r.traffic !== undefined ||
    (r.action.kind === "forward" && r.action.destinations.some((d) => d.cluster?.includes("/btp-")))
  );
}

/** What a BackendTrafficPolicy set on a route. */
function backendTrafficSummary(r: RouteIr): unknown {
  return {
    route: r.name,
    ...(r.retry ? { retry: r.retry } : {}),
    ...(r.timeouts ? { timeouts: r.timeouts } : {}),
    ...(r.traffic ? { traffic: r.traffic } : {}),
    ...(r.responseHeaders ? { responseHeaders: r.responseHeaders } : {}),
    ...(r.action.kind === "forward" ? { clusters: r.action.destinations.map((d) => d.cluster) } : {}),
  };
}

describe("policy attachment (testdata/policies)", () => {
  for (const inFile of goldenInputs(testdataDir("policies"))) {
    const name = caseName(inFile);
    it(name, () => checkGolden(inFile, renderPolicies(readCase(inFile), GOLDEN_OIDC_OPTIONS)));
    it(`${name}: output does not depend on the order of the input objects`, () => {
      const objects = readCase(inFile);
      assert.equal(
        renderPolicies([...objects].reverse(), GOLDEN_OIDC_OPTIONS),
        renderPolicies(objects, GOLDEN_OIDC_OPTIONS),
      );
    });
  }

  it("egts translate --to status prints the policies' statuses", () => {
    const objects = readCase(`${testdataDir("policies")}/ctp-gateway-and-listener.in.yaml`);
    const text = renderTranslation(translate(snapshotFromObjects(objects)), "status");
    const doc =
      "kind: ClientTrafficPolicy\nmetadata:\n  name: gateway-wide\n  namespace: default\nstatus:\n  ancestors:";
    assert.ok(text.includes(doc), text);
  });

  it("EnvoyPatchPolicy: enabled by extensionApis, it is Accepted instead of Disabled", () => {
    const objects = readCase(`${testdataDir("policies")}/untranslated-kinds.in.yaml`);
    const render = (enable: boolean): string =>
      renderPolicies(objects, { extensionApis: { enableEnvoyPatchPolicy: enable } });
    assert.match(
      render(false),
      /reason: Disabled\n\s+message: EnvoyPatchPolicy is disabled in the EnvoyGateway configuration/,
    );
    assert.doesNotMatch(render(true), /reason: Disabled/);
    assert.doesNotMatch(render(true), /not implemented/);
    assert.match(
      render(true),
      /kind: EnvoyPatchPolicy\n(?:(?! {2}- kind).*\n)*?\s+status: "True"\n\s+reason: Accepted\n/,
    );
  });
});

describe("policy engine pieces", () => {
  it("JSONMerge: objects merge, null deletes, lists are replaced", () => {
    const base = { a: { x: 1, y: 2 }, list: [1, 2], keep: true };
    assert.deepEqual(mergeSpecs("JSONMerge", base, { a: { y: null, z: 3 }, list: [3] }), {
      a: { x: 1, z: 3 },
      list: [3],
      keep: true,
    });
  });

  it("StrategicMerge: objects merge key by key, lists without merge keys are replaced", () => {
    const base = { retry: { numRetries: 1, perRetry: { timeout: "1s" } }, hosts: ["a"] };
    assert.deepEqual(mergeSpecs("StrategicMerge", base, { retry: { numRetries: 3 }, hosts: ["b"] }), {
      retry: { numRetries: 3, perRetry: { timeout: "1s" } },
      hosts: ["b"],
    });
  });

  it("lists every ClientTrafficPolicy field set that egts does not implement, and only those", () => {
    const spec = {
      targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "eg" }],
      tcpKeepalive: { probes: 3 },
      timeout: { http: { idleTimeout: "1s", somethingNew: "x" }, tcp: { idleTimeout: "1s" } },
      tls: { minVersion: "1.3" },
      http3: {},
    };
    assert.deepEqual(unimplementedFields(spec), ["spec.timeout.http.somethingNew"]);
  });

  it("lists tls fields one by one: one egts does not know under tls (or clientValidation) is reported", () => {
    const spec = {
      tls: {
        minVersion: "1.3",
        fingerprints: ["JA3"],
        session: { resumption: { stateless: {} }, somethingNew: {} },
        clientValidation: { mode: "Request", allowExpiredCertificate: false, caCertificateRefs: [], other: 1 },
        later: true,
      },
    };
    assert.deepEqual(unimplementedFields(spec), [
      "spec.tls.clientValidation.other",
      "spec.tls.later",
      "spec.tls.session.somethingNew",
    ]);
  });

  it("translates durations to milliseconds and keepalive to whole seconds, refusing what Linux would refuse", () => {
    const policy = (spec: object): ClientTrafficPolicy =>
      ({
        apiVersion: "v",
        kind: "ClientTrafficPolicy",
        metadata: { name: "p", namespace: "ns" },
        spec: { targetRefs: [{ group: "gateway.networking.k8s.io", kind: "Gateway", name: "eg" }], ...spec },
      }) as ClientTrafficPolicy;
    const ok = translateSpec(
      policy({
        tcpKeepalive: { idleTime: "1m30s", interval: "10s", probes: 4 },
        timeout: { http: { requestReceivedTimeout: "1500ms" } },
      }),
    );
    assert.deepEqual(ok.invalid, []);
    assert.deepEqual(ok.ir, {
      policy: "ns/p",
      tcpKeepalive: { probes: 4, idleTimeSeconds: 90, intervalSeconds: 10 },
      httpTimeouts: { requestReceivedMs: 1500 },
    });
    const bad = translateSpec(
      policy({ tcpKeepalive: { idleTime: "10h", probes: 0 }, timeout: { tcp: { idleTimeout: "soon" } } }),
    );
    assert.deepEqual(bad.invalid, [
      "spec.tcpKeepalive.probes: 0 must be between 1 and 127",
      "spec.tcpKeepalive.idleTime: 10h must be between 1s and 32767s (whole seconds)",
      'spec.timeout.tcp.idleTimeout: "soon" is not a duration (e.g. 1h30m, 10s, 500ms)',
    ]);
  });

  it("checks Envoy Gateway's CEL rules on ClientTrafficPolicy targets, with its messages", () => {
    const gw = { group: "gateway.networking.k8s.io", kind: "Gateway", name: "eg" };
    const either = "spec: either targetRef or targetRefs must be used";
    assert.deepEqual(targetRuleProblems({}), [either]);
    assert.deepEqual(targetRuleProblems({ targetRef: gw, targetRefs: [gw] }), [either]);
    assert.deepEqual(
      targetRuleProblems({ targetRef: gw, targetRefs: [gw], targetSelectors: [{ kind: "Gateway" }] }),
      [],
    );
    assert.deepEqual(
      targetRuleProblems({ targetSelectors: [{ kind: "Gateway", group: "gateway.networking.k8s.io" }] }),
      [],
    );
    assert.deepEqual(targetRuleProblems({ targetRefs: [gw, { ...gw, kind: "ListenerSet" }] }), []);
    assert.deepEqual(targetRuleProblems({ targetRefs: [{ ...gw, group: "" }] }), [
      "spec.targetRefs: this policy can only have a targetRefs[*].group of gateway.networking.k8s.io",
    ]);
    assert.deepEqual(targetRuleProblems({ targetRef: { ...gw, kind: "HTTPRoute" } }), [
      "spec.targetRef.kind: this policy can only have a targetRef.kind of Gateway or ListenerSet",
    ]);
    assert.deepEqual(targetRuleProblems({ targetSelectors: [{ kind: "Gateway", namespaces: { from: "Selector" } }] }), [
      "spec.targetSelectors[0].namespaces: selector must be specified when from is Selector",
    ]);
    assert.deepEqual(
      targetRuleProblems({ targetSelectors: [{ kind: "Gateway", namespaces: { from: "Selector", selector: {} } }] }),
      [],
    );
  });
});
