/**
 * EnvoyProxy pod and workload fields the Kubernetes render honours as Envoy Gateway does: init containers, the
 * priority class, the image repository, env from a source, the HPA's and PDB's names; and what every proxy pod
 * carries: Envoy Gateway's managed-by label, and the bootstrap's hash, so a bootstrap change re-rolls the pods.
 */
import assert from "node:assert/strict";
import { renderProxies, type Manifest, type ProxyToRender } from "../../constructs/render";
import { BOOTSTRAP_HASH_ANNOTATION, envoyImage } from "../../constructs/gateway-proxy";
import type { EnvoyProxySpec } from "../../operator/src/resources/envoy-proxy";
import { envoyProxyUnimplementedProblems } from "../../operator/src/translate/envoy-proxy-fields";

const OPTIONS = { image: "envoyproxy/envoy:distroless-v1.37.0", xds: { host: "envoy-gateway" } };
const PROXY: ProxyToRender = {
  name: "default/eg",
  namespace: "default",
  gatewayName: "eg",
  ports: [{ name: "http", port: 8080, protocol: "HTTP" }],
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form manifest JSON
type Loose = any;

function render(envoyProxy?: EnvoyProxySpec, options: object = {}): readonly Manifest[] {
  return renderProxies([{ ...PROXY, ...(envoyProxy ? { envoyProxy } : {}) }], { ...OPTIONS, ...options });
}

function kindOf(out: readonly Manifest[], kind: string): Loose {
  const m = out.find((x) => x.kind === kind);
  assert.ok(m, `no ${kind} among ${out.map((x) => x.kind).join(", ")}`);
  return m;
}

function k8s(kubernetes: NonNullable<EnvoyProxySpec["provider"]>["kubernetes"]): EnvoyProxySpec {
  return { provider: { type: "Kubernetes", kubernetes } };
}

describe("constructs: EnvoyProxy pod fields", () => {
  const SPEC = k8s({
    envoyDeployment: {
      initContainers: [{ name: "sysctl", image: "busybox:1.36", command: ["sysctl", "-w", "net.core.somaxconn=4096"] }],
      pod: { priorityClassName: "system-cluster-critical" },
      container: {
        imageRepository: "mirror.example/envoy",
        env: [{ name: "NODE_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } }],
      },
    },
    envoyHpa: { maxReplicas: 4, name: "proxy-hpa" },
    envoyPDB: { minAvailable: 1, name: "proxy-pdb" },
  });

  it("are implemented fields (no 'not implemented' problem)", () => {
    assert.deepEqual(envoyProxyUnimplementedProblems({ ...SPEC, shutdown: { healthCheckFailureDelay: "5s" } }), []);
  });

  it("render init containers, the priority class, the image repository with the default tag, env from a source", () => {
    const pod = kindOf(render(SPEC), "Deployment").spec.template.spec;
    assert.deepEqual(pod.initContainers, [
      { name: "sysctl", image: "busybox:1.36", command: ["sysctl", "-w", "net.core.somaxconn=4096"] },
    ]);
    assert.equal(pod.priorityClassName, "system-cluster-critical");
    const envoy = pod.containers[0];
    assert.equal(envoy.image, "mirror.example/envoy:distroless-v1.37.0");
    assert.deepEqual(envoy.env.at(-1), { name: "NODE_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } });
    const plain = kindOf(render(), "Deployment").spec.template.spec;
    assert.equal(plain.initContainers, undefined);
    assert.equal(plain.priorityClassName, undefined);
  });

  it("name the HPA and the PDB", () => {
    const out = render(SPEC);
    assert.equal(kindOf(out, "HorizontalPodAutoscaler").metadata.name, "proxy-hpa");
    assert.equal(kindOf(out, "PodDisruptionBudget").metadata.name, "proxy-pdb");
    const deployment = kindOf(out, "Deployment").metadata.name;
    assert.equal(kindOf(out, "HorizontalPodAutoscaler").spec.scaleTargetRef.name, deployment);
  });

  it("resolve the image as Envoy Gateway: imageRepository keeps the default's tag and digest, else image", () => {
    assert.equal(
      envoyImage({ imageRepository: "r.example:5000/envoy" }, "envoyproxy/envoy:v1.37.0"),
      "r.example:5000/envoy:v1.37.0",
    );
    assert.equal(envoyImage({ imageRepository: "r/envoy" }, "e/envoy:v1@sha256:ab"), "r/envoy:v1@sha256:ab");
    assert.equal(envoyImage({ image: "x/envoy:1" }, "e/envoy:v1"), "x/envoy:1");
    assert.equal(envoyImage({}, "e/envoy:v1"), "e/envoy:v1");
  });

  it("are refused from a Gateway's own EnvoyProxy (init containers and priority run outside the tenant's reach)", () => {
    const tenant = (spec: EnvoyProxySpec): void => {
      renderProxies([{ ...PROXY, envoyProxy: spec, envoyProxyOrigin: "Gateway" }], OPTIONS);
    };
    assert.throws(() => tenant(k8s({ envoyDeployment: { initContainers: [{ name: "x" }] } })), /initContainers/);
    assert.throws(() => tenant(k8s({ envoyDeployment: { pod: { priorityClassName: "p" } } })), /priorityClassName/);
    assert.throws(() => tenant(k8s({ envoyDeployment: { container: { imageRepository: "r/e" } } })), /image/);
  });
});

describe("constructs: proxy pod template labels and bootstrap hash", () => {
  it("label the pods managed-by envoy-gateway, outside the selector", () => {
    const deploy = kindOf(render(), "Deployment");
    assert.equal(deploy.spec.template.metadata.labels["app.kubernetes.io/managed-by"], "envoy-gateway");
    assert.equal(deploy.spec.selector.matchLabels["app.kubernetes.io/managed-by"], undefined);
    for (const [k, v] of Object.entries(deploy.spec.selector.matchLabels))
      assert.equal(deploy.spec.template.metadata.labels[k], v, `selector label ${k} on the pods`);
    const ds = kindOf(render(k8s({ envoyDaemonSet: {} })), "DaemonSet");
    assert.equal(ds.spec.template.metadata.labels["app.kubernetes.io/managed-by"], "envoy-gateway");
  });

  it("change the pod template when, and only when, the bootstrap changes", () => {
    const hashOf = (out: readonly Manifest[]): string =>
      kindOf(out, "Deployment").spec.template.metadata.annotations[BOOTSTRAP_HASH_ANNOTATION];
    const base = hashOf(render());
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.equal(hashOf(render()), base, "same bootstrap, same hash");
    assert.equal(hashOf(render({ concurrency: 2 })), base, "a setting outside the bootstrap keeps it");
    const merged = { bootstrap: { type: "Merge" as const, value: "stats_flush_interval: 7s" } };
    assert.notEqual(hashOf(render(merged)), base, "a custom bootstrap changes it");
    assert.notEqual(hashOf(render(undefined, { xds: { host: "other" } })), base, "the xDS address changes it");
    const tls = hashOf(render(undefined, { xds: { host: "envoy-gateway", tlsSecretName: "xds-client" } }));
    assert.notEqual(tls, base, "mTLS (the SDS files) changes it");
  });
});
