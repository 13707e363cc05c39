/**
 * EnvoyProxy `mergeType` (operator/src/translate/envoy-proxy-merge.ts): a Gateway's own EnvoyProxy merged onto its
 * GatewayClass's. The merges are checked against what Envoy Gateway v1.9.1's merge gives for the same specs (run
 * through its Go code: keyed lists in Kubernetes' order, lists without a key replaced, a patch document's objects
 * not mergeable under StrategicMerge); the privilege boundary holds the tenant's part to the tenant's rules and
 * the class's part to the class's; a bad value or merge makes the Gateway InvalidParameters.
 */
import assert from "node:assert/strict";
import { parse } from "yaml";
import { proxiesToRender, renderInfraChecked } from "../../constructs/from-snapshot";
import { renderProxiesChecked } from "../../constructs/render";
import { parseManifests } from "../../operator/src/provider/file/parse";
import type { EnvoyProxy } from "../../operator/src/resources/envoy-proxy";
import { snapshotFromObjects, type ResourceSnapshot } from "../../operator/src/resources/snapshot";
import { envoyProxyOf } from "../../operator/src/translate/envoy-proxy";
import { effectiveGatewaySpec, mergeEnvoyProxySpecs } from "../../operator/src/translate/envoy-proxy-merge";
import {
  MERGE_TYPE_UNUSED_REASON,
  PARAMETERS_REF_UNUSED_REASON,
} from "../../operator/src/translate/envoy-proxy-unused";
import { MULTIPLE_WARNINGS_REASON, withGatewayWarnings } from "../../operator/src/translate/gateway-messages";
import { envoyProxyOwner } from "../../operator/src/translate/telemetry";
import { translate } from "../../operator/src/translate/translate";
import { conditionOf } from "../support/objects";
import { classWithProxyYaml, GATEWAY_CLASS_YAML, gatewayWithProxyYaml } from "../support/manifests";

type Spec = EnvoyProxy["spec"];
const spec = (yaml: string): Spec => parse(yaml) as Spec;

/** The merged spec; fails the test when the merge fails. */
function merged(base: Spec, override: Spec): Spec {
  const out = mergeEnvoyProxySpecs(base, override);
  if ("error" in out) assert.fail(out.error);
  return out.spec;
}

const CLASS = spec(`
logging: { level: { default: warn } }
telemetry: { accessLog: { settings: [{ sinks: [{ type: File, file: { path: /dev/stdout } }] }] } }
provider:
  type: Kubernetes
  kubernetes:
    envoyDeployment:
      replicas: 2
      pod:
        annotations: { a: "1", b: "2" }
        tolerations: [{ key: k1, operator: Exists }]
        volumes: [{ name: v1, emptyDir: {} }]
      container:
        env: [{ name: A, value: "1" }, { name: B, value: "2" }]
        image: envoy:class
`);

const GATEWAY = `
logging: { level: { http: debug } }
telemetry: { accessLog: { settings: [{ sinks: [{ type: File, file: { path: /dev/stderr } }] }] } }
provider:
  type: Kubernetes
  kubernetes:
    envoyDeployment:
      pod:
        annotations: { b: "3", c: "4" }
        tolerations: [{ key: k2, operator: Exists }]
        volumes: [{ name: v2, emptyDir: {} }]
      container:
        env: [{ name: B, value: "3" }, { name: C, value: "4" }]
`;

describe("EnvoyProxy mergeType: the merge", () => {
  it("StrategicMerge: maps merge, keyed lists (env, volumes) merge by key in Kubernetes' order, other lists are replaced", () => {
    const out = merged(CLASS, spec(`mergeType: StrategicMerge\n${GATEWAY}`));
    assert.deepEqual(out.logging, { level: { default: "warn", http: "debug" } });
    const d = out.provider?.kubernetes?.envoyDeployment;
    assert.equal(d?.replicas, 2);
    assert.equal(d?.container?.image, "envoy:class");
    assert.deepEqual(d?.pod?.annotations, { a: "1", b: "3", c: "4" });
    assert.deepEqual(d?.pod?.tolerations, [{ key: "k2", operator: "Exists" }]);
    // Envoy Gateway v1.9.1 gives [v2, v1]: a new patch item goes before the base-only items after it.
    assert.deepEqual(
      d?.pod?.volumes?.map((v) => v.name),
      ["v2", "v1"],
    );
    assert.deepEqual(d?.container?.env, [
      { name: "A", value: "1" },
      { name: "B", value: "3" },
      { name: "C", value: "4" },
    ]);
    const sinks = (out.telemetry as { accessLog: { settings: { sinks: { file: { path: string } }[] }[] } }).accessLog;
    assert.deepEqual(
      sinks.settings.map((s) => s.sinks[0]?.file.path),
      ["/dev/stderr"],
    );
    assert.equal(out.mergeType, "StrategicMerge");
  });

  it("StrategicMerge orders keyed items as Kubernetes does ([A,B,C] + [C,D,A] is [B,C,D,A])", () => {
    const env = (list: string): Spec =>
      spec(`provider: { type: Kubernetes, kubernetes: { envoyDeployment: { container: { env: ${list} } } } }`);
    const out = merged(env("[{ name: A, value: a }, { name: B, value: b }, { name: C, value: c }]"), {
      ...env("[{ name: C, value: c2 }, { name: D, value: d }, { name: A, value: a2 }]"),
      mergeType: "StrategicMerge",
    });
    assert.deepEqual(out.provider?.kubernetes?.envoyDeployment?.container?.env, [
      { name: "B", value: "b" },
      { name: "C", value: "c2" },
      { name: "D", value: "d" },
      { name: "A", value: "a2" },
    ]);
  });

  it("JSONMerge (RFC 7386): maps merge, every list is replaced, null deletes a key", () => {
    const out = merged(
      CLASS,
      spec(`mergeType: JSONMerge\n${GATEWAY.replace("http: debug", "http: debug, default: null")}`),
    );
    assert.deepEqual(out.logging, { level: { http: "debug" } }, "null deleted the class's default level");
    const d = out.provider?.kubernetes?.envoyDeployment;
    assert.deepEqual(d?.container?.env, [
      { name: "B", value: "3" },
      { name: "C", value: "4" },
    ]);
    assert.deepEqual(
      d?.pod?.volumes?.map((v) => v.name),
      ["v2"],
    );
    assert.deepEqual(d?.pod?.annotations, { a: "1", b: "3", c: "4" });
    assert.equal(d?.container?.image, "envoy:class");
  });

  it("StrategicMerge cannot merge objects of two patch documents (as Envoy Gateway); JSONMerge can", () => {
    const patch = (value: string): string =>
      `provider: { type: Kubernetes, kubernetes: { envoyDeployment: { patch: { value: ${value} } } } }`;
    const base = spec(patch("{ spec: { replicas: 1 }, metadata: { labels: { x: a } } }"));
    const failed = mergeEnvoyProxySpecs(
      base,
      spec(`mergeType: StrategicMerge\n${patch("{ spec: { paused: true } }")}`),
    );
    assert.ok("error" in failed);
    assert.match(failed.error, /spec\.provider\.kubernetes\.envoyDeployment\.patch\.value\.spec: set by both/);
    const ok = merged(base, spec(`mergeType: JSONMerge\n${patch("{ spec: { paused: true } }")}`));
    assert.deepEqual(ok.provider?.kubernetes?.envoyDeployment?.patch?.value, {
      spec: { replicas: 1, paused: true },
      metadata: { labels: { x: "a" } },
    });
    // Different keys of the two documents, or a scalar over an object, merge (Envoy Gateway's too).
    const disjoint = merged(base, spec(`mergeType: StrategicMerge\n${patch("{ status: {} }")}`));
    assert.ok(disjoint.provider?.kubernetes?.envoyDeployment?.patch?.value.status);
  });

  it("a class spec that is not an object (files are not schema-checked) is not merged onto, and nothing throws", () => {
    const own = {
      apiVersion: "v1",
      kind: "EnvoyProxy",
      metadata: { name: "a", namespace: "b" },
      spec: spec("mergeType: JSONMerge"),
    };
    for (const cls of ["x", [1], 5])
      assert.deepEqual(effectiveGatewaySpec(own, cls as unknown as Spec), { spec: own.spec });
  });

  it("Replace (or unset) is not a merge: the Gateway's spec as it is", () => {
    const own = spec(`mergeType: Replace\n${GATEWAY}`);
    assert.equal(merged(CLASS, own), own);
  });
});

const RENDER = { image: "envoy:test", xds: { host: "xds.example", tlsSecretName: "envoy" } };

/** A snapshot of the YAML text (one file). */
function snapshotOf(yaml: string): ResourceSnapshot {
  const r = parseManifests("test.yaml", yaml);
  assert.deepEqual(r.errors, []);
  return snapshotFromObjects(r.objects);
}

const CLASS_YAML = classWithProxyYaml(`  concurrency: 2
  provider:
    type: Kubernetes
    kubernetes:
      envoyDeployment:
        pod: { volumes: [{ name: host, hostPath: { path: /var/run/host } }] }
        container: { image: "registry.example/envoy:class", env: [{ name: FROM_CLASS, value: "1" }] }`);

/** The class above and Gateway `default/mt` whose own EnvoyProxy has `own` (indented by two). */
const scenario = (own: string): ResourceSnapshot =>
  snapshotOf(`${CLASS_YAML}---\n${gatewayWithProxyYaml("mt", 8080, own)}`);

/** The Gateway's Accepted condition. */
function accepted(s: ResourceSnapshot): { status: string; reason: string; message: string } {
  const st = translate(s).statuses.find((u) => u.kind === "Gateway" && u.name === "mt");
  const c = conditionOf(st?.status, "Accepted");
  assert.ok(c, "the Gateway has an Accepted condition");
  return c;
}

describe("EnvoyProxy mergeType: the effective EnvoyProxy, the privilege boundary and the status", () => {
  const TENANT_ENV = `  mergeType: StrategicMerge
  logging: { level: { default: warn } }
  provider:
    type: Kubernetes
    kubernetes:
      envoyDeployment:
        pod: { volumes: [{ name: scratch, emptyDir: {} }] }
        container: { env: [{ name: FROM_GATEWAY, value: "2" }] }`;

  it("the class's trusted fields (image, hostPath volume) and the tenant's allowed ones are accepted together and rendered", () => {
    const s = scenario(TENANT_ENV);
    const c = accepted(s);
    assert.equal(c.status, "True", c.message);
    const eff = envoyProxyOf(s, "default", "mt");
    assert.equal(eff?.origin, "Gateway");
    assert.ok(eff?.base, "merged onto the class's");
    assert.equal(eff.spec.concurrency, 2);
    assert.equal(envoyProxyOf(s, "default", "mt")?.spec, eff.spec, "one merged object per pair of specs");
    const owner = envoyProxyOwner(s, eff.spec);
    assert.equal(`${owner?.metadata.namespace}/${owner?.metadata.name}`, "default/mt", "named after the Gateway's");
    const infra = translate(s).infraIr;
    const [proxy] = proxiesToRender(infra, s);
    assert.equal(proxy?.envoyProxy, eff.spec);
    const { manifests, problems } = renderInfraChecked(infra, s, RENDER);
    assert.deepEqual(problems, []);
    const d = manifests.find((m) => m.kind === "Deployment") as unknown as {
      spec: { template: { spec: { containers: { name: string; image: string; env?: { name: string }[] }[] } } };
    };
    const envoy = d.spec.template.spec.containers.find((x) => x.name === "envoy");
    assert.equal(envoy?.image, "registry.example/envoy:class");
    const names = envoy?.env?.map((e) => e.name) ?? [];
    assert.ok(names.includes("FROM_CLASS") && names.includes("FROM_GATEWAY"), names.join(","));
  });

  it("the renderer's own guard refuses what the class's spec does not set (a tampered merged spec)", () => {
    const s = scenario(TENANT_ENV);
    const [proxy] = proxiesToRender(translate(s).infraIr, s);
    assert.ok(proxy?.envoyProxyBase);
    const d = proxy.envoyProxy?.provider?.kubernetes?.envoyDeployment;
    const volumes = [...(d?.pod?.volumes ?? []), { name: "root", hostPath: { path: "/" } }];
    const tampered = {
      ...proxy.envoyProxy,
      provider: { type: "Kubernetes" as const, kubernetes: { envoyDeployment: { ...d, pod: { ...d?.pod, volumes } } } },
    };
    const { problems } = renderProxiesChecked([{ ...proxy, envoyProxy: tampered }], RENDER);
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? "", /volumes\[root\]/);
    assert.doesNotMatch(problems[0]?.message ?? "", /volumes\[host\]/);
  });

  it("a GatewayClass's EnvoyProxy may set mergeType: nothing to merge onto, so the class says so in a Warning", () => {
    const s = snapshotOf(`${classWithProxyYaml("  mergeType: JSONMerge\n  concurrency: 2")}---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: mt, namespace: default }
spec: { gatewayClassName: eg, listeners: [{ name: http, protocol: HTTP, port: 8080 }] }
`);
    assert.equal(accepted(s).status, "True");
    assert.equal(envoyProxyOf(s, "default", "mt")?.spec.concurrency, 2);
    const cls = translate(s).statuses.find((u) => u.kind === "GatewayClass" && u.name === "eg");
    assert.equal(conditionOf(cls?.status, "Accepted")?.status, "True");
    const w = conditionOf(cls?.status, "Warning");
    assert.equal(w?.status, "True");
    assert.equal(w?.reason, MERGE_TYPE_UNUSED_REASON);
    assert.match(w?.message ?? "", /envoy-gateway-system\/eg-proxy .*spec\.mergeType JSONMerge, which has no effect/);
    const replace = snapshotOf(classWithProxyYaml("  mergeType: Replace"));
    const plain = translate(replace).statuses.find((u) => u.kind === "GatewayClass");
    assert.equal(conditionOf(plain?.status, "Warning"), undefined, "Replace is what happens: no Warning");
  });

  it("a tenant field only the class may set is refused even when merging (the tenant's own spec is checked first)", () => {
    const c = accepted(
      scenario(`  mergeType: StrategicMerge
  provider: { type: Kubernetes, kubernetes: { envoyDeployment: { container: { image: "evil/envoy" } } } }`),
    );
    assert.equal(c.status, "False");
    assert.equal(c.reason, "InvalidParameters");
    assert.match(c.message, /container\.image.*not allowed in a Gateway's EnvoyProxy/);
  });

  it("a tenant item merged onto the class's privileged volume (same name, another hostPath) is refused as the tenant's", () => {
    const c = accepted(
      scenario(`  mergeType: JSONMerge
  provider:
    type: Kubernetes
    kubernetes:
      envoyDeployment:
        pod: { volumes: [{ name: host, hostPath: { path: / } }] }`),
    );
    assert.equal(c.status, "False");
    assert.match(c.message, /volumes\[host\]/);
  });

  it("a tenant's init container is named by its EnvoyProxy field, envoyDeployment.initContainers[name]", () => {
    const c = accepted(
      scenario(
        `  provider: { type: Kubernetes, kubernetes: { envoyDeployment: { initContainers: [{ name: sneak, image: busybox }] } } }`,
      ),
    );
    assert.equal(c.status, "False");
    assert.equal(c.reason, "InvalidParameters");
    assert.match(
      c.message,
      /spec\.provider\.kubernetes\.envoyDeployment\.initContainers\[sneak\] .*not allowed in a Gateway's EnvoyProxy/,
    );
    assert.doesNotMatch(c.message, /pod\.initContainers/);
  });

  it("settings that contradict only once merged (the class's Deployment replicas, the tenant's DaemonSet) are InvalidParameters naming both EnvoyProxies", () => {
    const c = accepted(
      scenario(`  mergeType: StrategicMerge
  provider: { type: Kubernetes, kubernetes: { envoyDaemonSet: {} } }`),
    );
    assert.equal(c.status, "False");
    assert.equal(c.reason, "InvalidParameters");
    assert.match(
      c.message,
      /EnvoyProxy default\/mt .*merged \(spec\.mergeType StrategicMerge\) onto GatewayClass eg's EnvoyProxy envoy-gateway-system\/eg-proxy/,
    );
    assert.match(c.message, /both envoyDeployment and envoyDaemonSet/);
  });

  it("a merge that fails (two patch documents under StrategicMerge) is InvalidParameters naming the field", () => {
    const s = snapshotOf(
      `${classWithProxyYaml("  provider: { type: Kubernetes, kubernetes: { envoyService: { patch: { value: { spec: { a: 1 } } } } } }")}---\n${gatewayWithProxyYaml(
        "mt",
        8080,
        "  mergeType: StrategicMerge\n  provider: { type: Kubernetes, kubernetes: { envoyService: { patch: { value: { spec: { b: 2 } } } } } }",
      )}`,
    );
    const c = accepted(s);
    assert.equal(c.status, "False");
    assert.equal(c.reason, "InvalidParameters");
    assert.match(c.message, /cannot be merged: spec\.provider\.kubernetes\.envoyService\.patch\.value\.spec/);
  });

  it("an unknown mergeType is InvalidParameters naming spec.mergeType", () => {
    const c = accepted(scenario("  mergeType: Merge\n  concurrency: 1"));
    assert.equal(c.status, "False");
    assert.equal(c.reason, "InvalidParameters");
    assert.match(c.message, /spec\.mergeType: "Merge" is not one of Replace, StrategicMerge, JSONMerge/);
  });

  it("without mergeType the Gateway's replaces the class's; without a class EnvoyProxy it is used as it is", () => {
    const replaced = envoyProxyOf(scenario("  concurrency: 1"), "default", "mt");
    assert.equal(replaced?.spec.concurrency, 1);
    assert.equal(replaced?.base, undefined);
    assert.equal(replaced?.spec.provider, undefined, "nothing of the class's");
    const own = gatewayWithProxyYaml("mt", 8080, "  mergeType: JSONMerge\n  concurrency: 1");
    const alone = snapshotOf(`${GATEWAY_CLASS_YAML}---\n${own}`);
    const eff = envoyProxyOf(alone, "default", "mt");
    assert.equal(eff?.spec.concurrency, 1);
    assert.equal(eff?.base, undefined);
    assert.equal(accepted(alone).status, "True");
  });
});

describe("EnvoyProxy mergeType: a tenant and the class's privileged volumes and containers", () => {
  /** A class that mounts its Secret volume into Envoy read-only, defines a hostPath it mounts nowhere, and an init container. */
  const PRIVILEGED_CLASS = classWithProxyYaml(`  provider:
    type: Kubernetes
    kubernetes:
      envoyDeployment:
        initContainers: [{ name: init, image: "registry.example/init:1", command: [setup] }]
        pod:
          volumes: [{ name: host, hostPath: { path: /var/run/host } }, { name: cert, secret: { secretName: platform } }]
        container: { volumeMounts: [{ name: cert, mountPath: /etc/platform, readOnly: true }] }`);
  const gatewayOf = (own: string): ResourceSnapshot =>
    snapshotOf(`${PRIVILEGED_CLASS}---\n${gatewayWithProxyYaml("mt", 8080, own)}`);
  const k8s = (mergeType: string, deployment: string): string =>
    `  mergeType: ${mergeType}\n  provider: { type: Kubernetes, kubernetes: { envoyDeployment: ${deployment} } }`;
  /** The Gateway's Accepted condition when its EnvoyProxy adds these Envoy container volumeMounts. */
  const withMounts = (mergeType: string, mounts: string) =>
    accepted(gatewayOf(k8s(mergeType, `{ container: { volumeMounts: ${mounts} } }`)));

  it("the class's own mounts, volumes and init container pass unchanged with a tenant's allowed settings", () => {
    const s = gatewayOf(k8s("StrategicMerge", "{ container: { env: [{ name: A, value: b }] } }"));
    const c = accepted(s);
    assert.equal(c.status, "True", c.message);
    assert.deepEqual(renderInfraChecked(translate(s).infraIr, s, RENDER).problems, []);
  });

  it("mounting the class's hostPath volume into Envoy is InvalidParameters naming the mount", () => {
    const c = withMounts("StrategicMerge", "[{ name: host, mountPath: /host }]");
    assert.equal(c.status, "False");
    assert.equal(c.reason, "InvalidParameters");
    assert.match(
      c.message,
      /envoyDeployment\.container\.volumeMounts\[\/host\] .*mounts volume host \(hostPath\) into Envoy/,
    );
  });

  it("mounting the class's Secret volume at another path, or its mount writable, is InvalidParameters", () => {
    const again = withMounts(
      "JSONMerge",
      "[{ name: cert, mountPath: /etc/platform, readOnly: true }, { name: cert, mountPath: /tenant }]",
    );
    assert.equal(again.status, "False");
    assert.match(again.message, /volumeMounts\[\/tenant\] .*mounts volume cert \(secret\)/);
    assert.doesNotMatch(again.message, /volumeMounts\[\/etc\/platform\]/, "the class's own mount stays the class's");
    const writable = withMounts("StrategicMerge", "[{ name: cert, mountPath: /etc/platform, readOnly: false }]");
    assert.equal(writable.status, "False");
    assert.match(
      writable.message,
      /volumeMounts\[\/etc\/platform\] \(\{"name":"cert","mountPath":"\/etc\/platform","readOnly":false\}\)/,
    );
  });

  it("changing the class's init container is InvalidParameters (checked whole, not by name)", () => {
    const c = accepted(gatewayOf(k8s("StrategicMerge", "{ initContainers: [{ name: init, command: [other] }] }")));
    assert.equal(c.status, "False");
    assert.match(c.message, /initContainers\[init\]/);
  });

  it("a tenant's own init container or priorityClassName is refused by the translator, not only by the renderer", () => {
    for (const [deployment, field] of [
      ["{ initContainers: [{ name: i, image: busybox }] }", /initContainers\[i\]/],
      ["{ pod: { priorityClassName: high } }", /pod\.priorityClassName/],
    ] as const) {
      const s = snapshotOf(`${GATEWAY_CLASS_YAML}---\n${gatewayWithProxyYaml("mt", 8080, k8s("Replace", deployment))}`);
      const c = accepted(s);
      assert.equal(c.status, "False", deployment);
      assert.match(c.message, field);
    }
  });
});

describe("EnvoyProxy of a Gateway under a class that merges Gateways (mergeGateways)", () => {
  const MERGING_CLASS = classWithProxyYaml("  mergeGateways: true\n  concurrency: 2");

  it("the Gateway's own EnvoyProxy is not used (as in Envoy Gateway): the class's is, and the Gateway says so in a Warning", () => {
    const s = snapshotOf(
      `${MERGING_CLASS}---\n${gatewayWithProxyYaml("mt", 8080, "  mergeType: StrategicMerge\n  concurrency: 1")}`,
    );
    const eff = envoyProxyOf(s, "default", "mt");
    assert.equal(eff?.origin, "GatewayClass");
    assert.equal(eff?.spec.concurrency, 2, "the class's, not the Gateway's 1");
    assert.equal(eff?.base, undefined, "nothing merged");
    const t = translate(s);
    const [proxy] = proxiesToRender(t.infraIr, s);
    assert.equal(proxy?.envoyProxy?.concurrency, 2, "the rendered proxies agree");
    const st = t.statuses.find((u) => u.kind === "Gateway" && u.name === "mt");
    assert.equal(conditionOf(st?.status, "Accepted")?.status, "True");
    const w = conditionOf(st?.status, "Warning");
    assert.equal(w?.reason, PARAMETERS_REF_UNUSED_REASON);
    assert.match(
      w?.message ?? "",
      /EnvoyProxy default\/mt named in infrastructure\.parametersRef is not used: GatewayClass eg merges its Gateways/,
    );
  });

  it("a reference it cannot use is still InvalidParameters (Gateway API), not only a Warning", () => {
    const own = gatewayWithProxyYaml("mt", 8080, "  concurrency: 1").replace(
      "name: mt, namespace: default }\nspec:\n  concurrency",
      "name: other, namespace: default }\nspec:\n  concurrency",
    );
    const c = accepted(snapshotOf(`${MERGING_CLASS}---\n${own}`));
    assert.equal(c.status, "False");
    assert.match(c.message, /EnvoyProxy default\/mt named in infrastructure\.parametersRef does not exist/);
  });

  it("Gateway warnings of two findings join into one Warning condition (MultipleWarnings)", () => {
    const base = [{ apiVersion: "v1", kind: "Gateway", namespace: "ns", name: "g", status: { conditions: [] } }];
    const one = withGatewayWarnings(base, new Map([["ns/g", "first"]]), "A");
    const two = withGatewayWarnings(one, new Map([["ns/g", "second"]]), "B");
    const ws = (two[0]?.status as { conditions: { type: string; reason: string; message: string }[] }).conditions;
    assert.deepEqual(
      ws.filter((c) => c.type === "Warning").map((c) => [c.reason, c.message]),
      [[MULTIPLE_WARNINGS_REASON, "first; second"]],
    );
  });
});
