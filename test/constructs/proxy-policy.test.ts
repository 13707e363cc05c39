/**
 * The EnvoyProxy privilege boundary in the renderer (docs/adr/0003-envoyproxy-privilege-boundary.md): the
 * hardened defaults of every proxy pod, what a Gateway's own EnvoyProxy may not do, what no EnvoyProxy's patch
 * may do, and that one refused proxy (or a name collision) leaves out that proxy only.
 */
import assert from "node:assert/strict";
import { renderProxies, renderProxiesChecked, type Manifest, type ProxyToRender } from "../../constructs/render";
import type { EnvoyProxySpec } from "../../operator/src/resources/envoy-proxy";
import { envoyProxyProblem } from "../../operator/src/translate/envoy-proxy";

const OPTIONS = {
  image: "envoyproxy/envoy:distroless-v1.37.0",
  xds: { host: "envoy-gateway.envoy-gateway-system.svc", tlsSecretName: "envoy" },
};

function proxy(ns: string, name: string, extra: Partial<ProxyToRender> = {}): ProxyToRender {
  return {
    name: `${ns}/${name}`,
    namespace: ns,
    gatewayName: name,
    ports: [{ name: "http", port: 80, protocol: "HTTP" }],
    ...extra,
  };
}

/** Rendered manifests are free-form Kubernetes JSON; the tests walk them by path. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form manifest JSON
type Loose = any;

function find(manifests: readonly Manifest[], kind: string): Loose {
  const m = manifests.find((x) => x.kind === kind);
  assert.ok(m, `no ${kind} among ${manifests.map((x) => x.kind).join(", ")}`);
  return m;
}

function deployment(k: Record<string, unknown>): EnvoyProxySpec {
  return { provider: { type: "Kubernetes", kubernetes: { envoyDeployment: k } } };
}

/** A Gateway's own EnvoyProxy, each asking for one thing only the cluster operator may grant. */
const TENANT_FORBIDDEN: readonly [string, EnvoyProxySpec, RegExp][] = [
  ["privileged", deployment({ container: { securityContext: { privileged: true } } }), /securityContext\.privileged/],
  [
    "allowPrivilegeEscalation",
    deployment({ container: { securityContext: { allowPrivilegeEscalation: true } } }),
    /allowPrivilegeEscalation/,
  ],
  [
    "added capabilities",
    deployment({ container: { securityContext: { capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } } } }),
    /capabilities\.add/,
  ],
  ["hostPath volume", deployment({ pod: { volumes: [{ name: "h", hostPath: { path: "/" } }] } }), /volumes\[h\]/],
  [
    "Secret volume",
    deployment({ pod: { volumes: [{ name: "s", secret: { secretName: "envoy-gateway" } }] } }),
    /volumes\[s\]/,
  ],
  [
    "hostNetwork via patch",
    deployment({ patch: { value: { spec: { template: { spec: { hostNetwork: true } } } } } }),
    /patch sets pod\.hostNetwork/,
  ],
  [
    "hostPID via JSONMerge patch",
    deployment({ patch: { type: "JSONMerge", value: { spec: { template: { spec: { hostPID: true } } } } } }),
    /pod\.hostPID/,
  ],
  [
    "hostIPC via patch",
    deployment({ patch: { value: { spec: { template: { spec: { hostIPC: true } } } } } }),
    /pod\.hostIPC/,
  ],
  [
    "hostPort via patch",
    deployment({
      patch: {
        value: {
          spec: { template: { spec: { containers: [{ name: "envoy", ports: [{ containerPort: 1, hostPort: 1 }] }] } } },
        },
      },
    }),
    /hostPort/,
  ],
  [
    "another program in the shutdown manager via patch",
    deployment({
      patch: {
        value: { spec: { template: { spec: { containers: [{ name: "shutdown-manager", args: ["controller"] }] } } } },
      },
    }),
    /pod\.containers\[shutdown-manager\]/,
  ],
  [
    "an exec preStop hook on Envoy via patch",
    deployment({
      patch: {
        value: {
          spec: {
            template: {
              spec: { containers: [{ name: "envoy", lifecycle: { preStop: { exec: { command: ["/bin/sh"] } } } }] },
            },
          },
        },
      },
    }),
    /container\.lifecycle/,
  ],
  [
    "another container via patch",
    deployment({
      patch: { value: { spec: { template: { spec: { containers: [{ name: "miner", image: "x" }] } } } } },
    }),
    /pod\.containers/,
  ],
  [
    "another ServiceAccount via patch",
    deployment({ patch: { value: { spec: { template: { spec: { serviceAccountName: "envoy-gateway" } } } } } }),
    /pod\.serviceAccountName/,
  ],
  [
    "token automount via patch",
    deployment({ patch: { value: { spec: { template: { spec: { automountServiceAccountToken: true } } } } } }),
    /automountServiceAccountToken/,
  ],
  [
    "projected token volume",
    deployment({
      pod: { volumes: [{ name: "t", projected: { sources: [{ serviceAccountToken: { path: "t" } }] } }] },
    }),
    /volumes\[t\]/,
  ],
  ["runAsUser 0", deployment({ pod: { securityContext: { runAsUser: 0 } } }), /pod\.securityContext\.runAsUser/],
  [
    "runAsNonRoot false",
    deployment({ container: { securityContext: { runAsNonRoot: false } } }),
    /container\.securityContext\.runAsNonRoot/,
  ],
  ["a custom Deployment name", deployment({ name: "envoy-gateway" }), /envoyDeployment\.name/],
  [
    "a custom Service name",
    { provider: { type: "Kubernetes", kubernetes: { envoyService: { name: "envoy-gateway" } } } },
    /envoyService\.name/,
  ],
  [
    "a privileged sidecar via patch",
    deployment({
      patch: {
        value: {
          spec: {
            template: {
              spec: { containers: [{ name: "x", image: "busybox", securityContext: { privileged: true } }] },
            },
          },
        },
      },
    }),
    /pod\.containers/,
  ],
  [
    "a patch deleting the security context",
    deployment({
      patch: { type: "JSONMerge", value: { spec: { template: { spec: { securityContext: null } } } } },
    }),
    /runAsNonRoot/,
  ],
];

describe("constructs: EnvoyProxy privilege boundary", () => {
  it("hardens every proxy pod: seccomp RuntimeDefault, non-root, no capabilities, read-only root, /tmp emptyDir, no token", () => {
    const pod = find(renderProxies([proxy("default", "eg")], OPTIONS), "Deployment").spec.template.spec;
    assert.equal(pod.automountServiceAccountToken, false);
    assert.match(pod.serviceAccountName, /^envoy-default-eg-/);
    assert.deepEqual(pod.securityContext.seccompProfile, { type: "RuntimeDefault" });
    assert.equal(pod.securityContext.runAsNonRoot, true);
    const sc = pod.containers[0].securityContext;
    assert.deepEqual(sc.seccompProfile, { type: "RuntimeDefault" });
    assert.deepEqual(sc.capabilities, { drop: ["ALL"] });
    assert.equal(sc.privileged, false);
    assert.equal(sc.allowPrivilegeEscalation, false);
    assert.equal(sc.readOnlyRootFilesystem, true);
    assert.ok(pod.volumes.some((v: Loose) => v.name === "tmp" && v.emptyDir));
    assert.ok(pod.containers[0].volumeMounts.some((m: Loose) => m.mountPath === "/tmp"));
  });

  for (const [what, spec, field] of TENANT_FORBIDDEN) {
    it(`refuses ${what} in a Gateway's EnvoyProxy, in translate and in render, and renders the other Gateways`, () => {
      const problem = envoyProxyProblem(spec, "Gateway");
      assert.ok(problem, `no problem found for ${what}`);
      assert.match(problem, field);
      const { manifests, problems } = renderProxiesChecked(
        [proxy("team-a", "bad", { envoyProxy: spec, envoyProxyOrigin: "Gateway" }), proxy("team-b", "good")],
        OPTIONS,
      );
      assert.deepEqual(
        problems.map((p) => p.gateways),
        [["team-a/bad"]],
      );
      assert.match(problems[0]?.message ?? "", field);
      assert.ok(
        manifests.length > 0 &&
          manifests.every((m) => m.metadata.labels?.["gateway.envoyproxy.io/owning-gateway-name"] === "good"),
      );
    });
  }

  it("lets a Gateway's EnvoyProxy set what stays inside the boundary", () => {
    const spec = deployment({
      replicas: 2,
      pod: {
        annotations: { a: "b" },
        nodeSelector: { pool: "edge" },
        securityContext: { runAsUser: 1000 },
        volumes: [{ name: "scratch", emptyDir: {} }],
      },
      container: { env: [{ name: "A", value: "b" }], volumeMounts: [{ name: "scratch", mountPath: "/scratch" }] },
      patch: { value: { metadata: { annotations: { x: "y" } } } },
    });
    assert.equal(envoyProxyProblem(spec, "Gateway"), undefined);
    const out = renderProxies([proxy("team-a", "eg", { envoyProxy: spec, envoyProxyOrigin: "Gateway" })], OPTIONS);
    assert.equal(find(out, "Deployment").spec.replicas, 2);
  });

  it("lets the GatewayClass's EnvoyProxy (the cluster operator's) make the proxy privileged", () => {
    const spec = deployment({ container: { securityContext: { privileged: true } } });
    assert.equal(envoyProxyProblem(spec, "GatewayClass"), undefined);
    const out = renderProxies(
      [proxy("default", "eg", { envoyProxy: spec, envoyProxyOrigin: "GatewayClass" })],
      OPTIONS,
    );
    assert.equal(find(out, "Deployment").spec.template.spec.containers[0].securityContext.privileged, true);
  });

  const IDENTITY: readonly [string, Record<string, unknown>, RegExp][] = [
    ["kind", { kind: "DaemonSet" }, /kind/],
    ["apiVersion", { apiVersion: "apps/v1beta1" }, /apiVersion/],
    ["metadata.name", { metadata: { name: "coredns" } }, /metadata\.name/],
    ["metadata.namespace", { metadata: { namespace: "kube-system" } }, /metadata\.namespace/],
    ["ownerReferences", { metadata: { ownerReferences: [] } }, /metadata\.ownerReferences/],
    ["our labels", { metadata: { labels: { "app.kubernetes.io/managed-by": "helm" } } }, /managed-by/],
    [
      "the pods' reserved labels",
      { spec: { template: { metadata: { labels: { "app.kubernetes.io/component": "controller" } } } } },
      /spec\.template\.metadata\.labels\[app\.kubernetes\.io\/component\]/,
    ],
    ["the selector", { spec: { selector: { matchLabels: { app: "x" } } } }, /spec\.selector/],
  ];
  for (const [what, value, field] of IDENTITY) {
    for (const type of ["StrategicMerge", "JSONMerge"] as const) {
      it(`refuses a GatewayClass EnvoyProxy ${type} patch that changes ${what}`, () => {
        const spec = deployment({ patch: { type, value } });
        assert.match(envoyProxyProblem(spec, "GatewayClass") ?? "", field);
        const owner = { apiVersion: "gateway.networking.k8s.io/v1", kind: "GatewayClass", name: "eg", uid: "u1" };
        const { manifests, problems } = renderProxiesChecked(
          [proxy("default", "eg", { envoyProxy: spec, envoyProxyOrigin: "GatewayClass", ownerReference: owner })],
          OPTIONS,
        );
        assert.deepEqual(manifests, []);
        assert.match(problems[0]?.message ?? "", field);
      });
    }
  }

  it("refuses a GatewayClass EnvoyProxy patch that runs the pods as another ServiceAccount", () => {
    const spec = deployment({
      patch: { value: { spec: { template: { spec: { serviceAccountName: "envoy-gateway" } } } } },
    });
    assert.match(envoyProxyProblem(spec, "GatewayClass") ?? "", /serviceAccountName.*not allowed in any EnvoyProxy/);
  });

  it("leaves out the younger of two Gateways whose class-level names collide, naming the older", () => {
    const spec = deployment({ name: "shared-envoy" });
    const older = proxy("a", "first", { envoyProxy: spec, createdAt: "2026-01-01T00:00:00Z" });
    const younger = proxy("b", "second", { envoyProxy: spec, createdAt: "2026-02-01T00:00:00Z" });
    const { manifests, problems } = renderProxiesChecked([younger, older], OPTIONS);
    assert.deepEqual(
      problems.map((p) => p.gateways),
      [["b/second"]],
    );
    assert.match(problems[0]?.message ?? "", /Deployment envoy-gateway-system\/shared-envoy .*Gateway a\/first/);
    assert.equal(find(manifests, "Deployment").metadata.labels["gateway.envoyproxy.io/owning-gateway-name"], "first");
  });
});
