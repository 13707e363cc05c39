/** The pure infra render: labels, ports, EnvoyProxy customisation, patches and validation messages. */
import assert from "node:assert/strict";
import { renderProxies, type Manifest, type ProxyToRender } from "../../constructs/render";
import { proxyObjectName } from "../../constructs/names";

const OPTIONS = {
  image: "envoyproxy/envoy:distroless-v1.37.0",
  xds: { host: "envoy-gateway.envoy-gateway-system.svc" },
};

const PROXY: ProxyToRender = {
  name: "default/eg",
  namespace: "default",
  gatewayName: "eg",
  ports: [
    { name: "http", port: 80, protocol: "HTTP" },
    { name: "https-a", port: 443, protocol: "HTTPS" },
    { name: "https-b", port: 443, protocol: "HTTPS" },
    { name: "dns", port: 5353, protocol: "UDP" },
  ],
};

/** Rendered manifests are free-form Kubernetes JSON; the tests walk them by path. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- free-form manifest JSON
type Loose = any;

function find(manifests: readonly Manifest[], kind: string): Loose {
  const m = manifests.find((x) => x.kind === kind);
  assert.ok(m, `no ${kind} among ${manifests.map((x) => x.kind).join(", ")}`);
  return m;
}

describe("constructs: GatewayProxy", () => {
  it("renders ServiceAccount, ConfigMap, Deployment and Service with Envoy Gateway's labels", () => {
    const out = renderProxies([PROXY], OPTIONS);
    assert.deepEqual(out.map((m) => m.kind).sort(), ["ConfigMap", "Deployment", "Service", "ServiceAccount"]);
    const name = proxyObjectName("default", "eg");
    assert.match(name, /^envoy-default-eg-[0-9a-f]{8}$/);
    for (const m of out) {
      assert.equal(m.metadata.name, name);
      assert.equal(m.metadata.namespace, "envoy-gateway-system");
      assert.equal(m.metadata.labels?.["gateway.envoyproxy.io/owning-gateway-name"], "eg");
      assert.equal(m.metadata.labels?.["gateway.envoyproxy.io/owning-gateway-namespace"], "default");
    }
    const deploy = find(out, "Deployment");
    assert.equal(deploy.spec.replicas, 1);
    const { "app.kubernetes.io/managed-by": managedBy, ...podSelected } = deploy.spec.template.metadata.labels;
    assert.deepEqual(deploy.spec.selector.matchLabels, podSelected);
    assert.equal(managedBy, "envoy-gateway", "the pods carry Envoy Gateway's managed-by label, not in the selector");
  });

  it("maps listener ports: one per port and transport, privileged ports + 10000 in the container", () => {
    const svc = find(renderProxies([PROXY], OPTIONS), "Service");
    assert.deepEqual(svc.spec.ports, [
      { name: "http-80", port: 80, targetPort: 10080, protocol: "TCP" },
      { name: "https-443", port: 443, targetPort: 10443, protocol: "TCP" },
      { name: "udp-5353", port: 5353, targetPort: 5353, protocol: "UDP" },
    ]);
    assert.equal(svc.spec.type, "LoadBalancer");
    assert.equal(svc.spec.externalTrafficPolicy, "Local");
  });

  it("puts a bootstrap with the node id, the xDS address, a readiness and a stats listener in the ConfigMap", () => {
    const cm = find(renderProxies([PROXY], OPTIONS), "ConfigMap");
    const bootstrap = JSON.parse(cm.data["envoy.json"]);
    assert.equal(bootstrap.node.id, "default/eg");
    const xds = bootstrap.static_resources.clusters.find((c: { name: string }) => c.name === "xds_cluster");
    assert.equal(xds.type, "STRICT_DNS");
    assert.equal(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.port_value, 18000);
    assert.equal(bootstrap.static_resources.listeners[0].address.socket_address.port_value, 19003);
    assert.equal(xds.transport_socket, undefined, "plaintext without a TLS secret");
    // Envoy Gateway's proxy metrics: GET /stats/prometheus on 19001, container port `metrics`; admin stays on
    // loopback.
    const stats = bootstrap.static_resources.listeners[1];
    assert.equal(stats.name, "envoy-gateway-proxy-stats");
    assert.equal(stats.address.socket_address.port_value, 19001);
    const routes = stats.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes;
    assert.equal(routes[0].match.path, "/stats/prometheus");
    assert.equal(bootstrap.admin.address.socket_address.address, "127.0.0.1");
    const deployment = find(renderProxies([PROXY], OPTIONS), "Deployment");
    const ports = deployment.spec.template.spec.containers[0].ports;
    assert.deepEqual(
      ports.find((p: { name: string }) => p.name === "metrics"),
      { name: "metrics", containerPort: 19001, protocol: "TCP" },
    );
  });

  it("mounts the proxy's own xDS client certificate Secret and configures mTLS when mTLS is on", () => {
    const out = renderProxies([PROXY], { ...OPTIONS, xds: { ...OPTIONS.xds, tlsSecretName: "envoy" } });
    const cm = find(out, "ConfigMap");
    const xds = JSON.parse(cm.data["envoy.json"]).static_resources.clusters[0];
    // The certificate comes over file-based SDS (reloaded when the Secret volume changes): the SDS files are
    // in the ConfigMap next to the bootstrap and point at the mounted Secret.
    const ctx = xds.transport_socket.typed_config.common_tls_context;
    assert.equal(
      ctx.tls_certificate_sds_secret_configs[0].sds_config.path_config_source.path,
      "/config/xds-client-certificate-sds.json",
    );
    const sds = JSON.parse(cm.data["xds-client-certificate-sds.json"]).resources[0];
    assert.equal(sds.tls_certificate.certificate_chain.filename, "/certs/tls.crt");
    assert.equal(sds.tls_certificate.watched_directory.path, "/certs");
    assert.ok(cm.data["xds-trusted-ca-sds.json"]);
    const pod = find(out, "Deployment").spec.template.spec;
    // Its own Secret (issued by the controller for its node id), never the shared `envoy` one.
    const own = `${find(out, "Deployment").metadata.name}-xds`;
    assert.deepEqual(pod.volumes[1], { name: "xds-certs", secret: { secretName: own } });
  });

  it("applies EnvoyProxy: replicas, resources, service type and annotations, pod labels, patches", () => {
    const out = renderProxies(
      [
        {
          ...PROXY,
          infrastructure: { labels: { team: "a" }, annotations: { note: "x" } },
          envoyProxy: {
            provider: {
              type: "Kubernetes",
              kubernetes: {
                envoyDeployment: {
                  replicas: 3,
                  pod: { labels: { extra: "yes" } },
                  container: { resources: { limits: { memory: "1Gi" } }, env: [{ name: "A", value: "1" }] },
                  patch: {
                    value: {
                      spec: { template: { spec: { containers: [{ name: "envoy", imagePullPolicy: "Always" }] } } },
                    },
                  },
                },
                envoyService: { type: "ClusterIP", annotations: { "lb/kind": "internal" } },
                envoyPDB: { minAvailable: 1 },
              },
            },
          },
        },
      ],
      OPTIONS,
    );
    const deploy = find(out, "Deployment");
    assert.equal(deploy.spec.replicas, 3);
    assert.equal(deploy.metadata.labels?.team, "a");
    assert.equal(deploy.metadata.annotations.note, "x");
    assert.equal(deploy.spec.template.metadata.labels.extra, "yes");
    const envoy = deploy.spec.template.spec.containers[0];
    assert.deepEqual(envoy.resources, { limits: { memory: "1Gi" } });
    assert.equal(envoy.imagePullPolicy, "Always", "strategic merge patch merges the container by name");
    assert.ok(envoy.args.includes("--config-path"), "the patch keeps the other container fields");
    assert.deepEqual(envoy.env.at(-1), { name: "A", value: "1" });
    const svc = find(out, "Service");
    assert.equal(svc.spec.type, "ClusterIP");
    assert.equal(svc.spec.externalTrafficPolicy, undefined, "ClusterIP Services have no externalTrafficPolicy");
    assert.equal(svc.metadata.annotations["lb/kind"], "internal");
    assert.equal(find(out, "PodDisruptionBudget").spec.minAvailable, 1);
  });

  it("renders a DaemonSet, or an HPA that owns the replica count", () => {
    const ds = renderProxies(
      [{ ...PROXY, envoyProxy: { provider: { type: "Kubernetes", kubernetes: { envoyDaemonSet: {} } } } }],
      OPTIONS,
    );
    assert.ok(ds.some((m) => m.kind === "DaemonSet") && !ds.some((m) => m.kind === "Deployment"));
    const hpa = renderProxies(
      [{ ...PROXY, envoyProxy: { provider: { type: "Kubernetes", kubernetes: { envoyHpa: { maxReplicas: 5 } } } } }],
      OPTIONS,
    );
    assert.equal(find(hpa, "Deployment").spec.replicas, undefined);
    assert.equal(find(hpa, "HorizontalPodAutoscaler").spec.maxReplicas, 5);
  });

  it("rejects contradictory EnvoyProxy settings with a message naming them", () => {
    const both = { provider: { type: "Kubernetes" as const, kubernetes: { envoyDeployment: {}, envoyDaemonSet: {} } } };
    assert.throws(
      () => renderProxies([{ ...PROXY, envoyProxy: both }], OPTIONS),
      /both envoyDeployment and envoyDaemonSet/,
    );
    const hpa = {
      provider: { type: "Kubernetes" as const, kubernetes: { envoyHpa: { minReplicas: 4, maxReplicas: 2 } } },
    };
    assert.throws(
      () => renderProxies([{ ...PROXY, envoyProxy: hpa }], OPTIONS),
      /minReplicas \(4\) is greater than maxReplicas \(2\)/,
    );
  });

  it("is pure: the same input renders the same manifests", () => {
    assert.deepEqual(renderProxies([PROXY], OPTIONS), renderProxies([PROXY], OPTIONS));
  });
});
