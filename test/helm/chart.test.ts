/** The Helm chart: `helm lint` passes and `helm template` renders what the golden files record. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { parseEnvoyGatewayConfig, kubernetesProviderOf } from "../../operator/src/config/envoy-gateway-config";
import { findKubeTools } from "../../e2e/harness";
import { caseName, checkGolden, goldenInputs, repoRoot, testdataDir } from "../support/golden";

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[] };
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  rules?: Rule[];
  data?: Record<string, string>;
}
interface Container {
  image: string;
  imagePullPolicy: string;
  args: string[];
  env: { name: string; value?: string }[];
  resources: Record<string, unknown>;
}
interface Deploy {
  replicas?: number;
  strategy?: unknown;
  selector: { matchLabels: Record<string, string> };
  template: {
    metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    spec: {
      containers: Container[];
      imagePullSecrets?: unknown;
      priorityClassName?: string;
      nodeSelector?: Record<string, string>;
      tolerations?: { key: string }[];
      topologySpreadConstraints?: { topologyKey: string }[];
    };
  };
}

interface Case {
  readonly valuesFiles?: readonly string[];
  readonly set?: readonly string[];
}

describe("helm chart (helm/egts)", () => {
  const helm = (args: readonly string[]): string =>
    execFileSync(findKubeTools().helm, [...args], {
      encoding: "utf8",
      cwd: repoRoot(),
      stdio: ["ignore", "pipe", "pipe"],
    });
  const chart = join(repoRoot(), "helm", "egts");

  it("passes helm lint with the default, development and production values", () => {
    assert.match(helm(["lint", chart]), /0 chart\(s\) failed/);
    assert.match(helm(["lint", chart, "-f", join(chart, "values-dev.yaml")]), /0 chart\(s\) failed/);
    assert.match(helm(["lint", chart, "-f", join(chart, "values-prod.yaml")]), /0 chart\(s\) failed/);
  });

  for (const inFile of goldenInputs(testdataDir("helm"))) {
    it(`renders ${caseName(inFile)} as recorded`, () => {
      const c = parse(readFileSync(inFile, "utf8")) as Case;
      const args = ["template", "egts", chart, "-n", "envoy-gateway-system", "--include-crds"];
      for (const f of c.valuesFiles ?? []) args.push("-f", join(repoRoot(), f));
      for (const s of c.set ?? []) args.push("--set", s);
      checkGolden(inFile, helm(args));
    });
  }

  /** The documents `helm template` renders with `extra` arguments. */
  const render = (extra: readonly string[]): Doc[] =>
    helm(["template", "egts", chart, "-n", "envoy-gateway-system", ...extra])
      .split(/^---$/m)
      .map((d) => parse(d) as Doc)
      .filter(Boolean);
  const find = (docs: readonly Doc[], kind: string, name?: string): Doc => {
    const d = docs.find((x) => x.kind === kind && (name === undefined || x.metadata.name === name));
    assert.ok(d, `no ${kind} ${name ?? ""}`);
    return d;
  };
  /** What `helm template` writes to stderr when it refuses `extra`. */
  const refusal = (extra: readonly string[]): string => {
    try {
      render(extra);
    } catch (err) {
      return String((err as { stderr?: string }).stderr ?? err);
    }
    return assert.fail(`helm template accepted ${extra.join(" ")}`);
  };

  it("gives the production profile 3 replicas, 200m/512Mi and a 2Gi limit, leader election; the development one 1, 100m/256Mi, 1Gi", () => {
    const dev = find(render(["-f", join(chart, "values-dev.yaml")]), "Deployment").spec as unknown as Deploy;
    const defaults = find(render([]), "Deployment").spec as unknown as Deploy;
    const prodDocs = render(["-f", join(chart, "values-prod.yaml")]);
    const prod = find(prodDocs, "Deployment").spec as unknown as Deploy;
    assert.equal(dev.replicas, 1);
    const devResources = { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } };
    assert.deepEqual(dev.template.spec.containers[0]?.resources, devResources);
    assert.deepEqual(defaults, dev, "the defaults are the development profile");
    assert.equal(prod.replicas, 3);
    assert.deepEqual(prod.template.spec.containers[0]?.resources, {
      requests: { cpu: "200m", memory: "512Mi" },
      limits: { memory: "2Gi" },
    });
    const config = parseEnvoyGatewayConfig(
      "envoy-gateway.yaml",
      find(prodDocs, "ConfigMap", "envoy-gateway-config").data?.["envoy-gateway.yaml"] ?? "",
    );
    assert.equal(kubernetesProviderOf(config).kubernetes.leaderElection.disable, false, "leader election on");
  });

  it("names the controller's Deployment and Service envoy-gateway, selected by control-plane=envoy-gateway as Envoy Gateway's docs do", () => {
    const docs = render([]);
    const labels = { "control-plane": "envoy-gateway", "app.kubernetes.io/name": "gateway-helm" };
    const deployment = find(docs, "Deployment", "envoy-gateway").spec as unknown as Deploy;
    assert.deepEqual(deployment.selector.matchLabels, { ...labels, "app.kubernetes.io/instance": "egts" });
    for (const [k, v] of Object.entries(labels)) assert.equal(deployment.template.metadata.labels[k], v, k);
    const service = find(docs, "Service", "envoy-gateway");
    assert.deepEqual((service.spec as { selector: unknown }).selector, deployment.selector.matchLabels);
  });

  it("renders an Envoy Gateway values file (testdata/helm/eg-values.yaml) with its settings", () => {
    const docs = render(["-f", join(repoRoot(), "testdata", "helm", "eg-values.yaml")]);
    const deployment = find(docs, "Deployment", "envoy-gateway");
    const spec = deployment.spec as unknown as Deploy;
    const pod = spec.template.spec;
    const container = pod.containers[0];
    assert.ok(container);
    assert.equal(spec.replicas, undefined, "hpa.enabled: the HPA owns the replica count");
    assert.deepEqual(spec.strategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } });
    assert.equal(deployment.metadata.annotations?.owner, "platform");
    assert.equal(deployment.metadata.labels?.team, "platform", "commonLabels");
    assert.equal(container.image, "registry.example.com/egts/controller:0.1.0-rc1", "global.imageRegistry wins");
    assert.equal(container.imagePullPolicy, "Always");
    assert.deepEqual(pod.imagePullSecrets, [{ name: "regcred" }]);
    assert.deepEqual(container.resources, {
      requests: { cpu: "250m", memory: "384Mi" },
      limits: { cpu: "1", memory: "1536Mi" },
    });
    assert.ok(
      container.env.some((e) => e.name === "GOMEMLIMIT" && e.value === "900MiB"),
      "extraEnv",
    );
    assert.ok(container.env.some((e) => e.name === "KUBERNETES_CLUSTER_DOMAIN" && e.value === "cluster.example"));
    assert.ok(
      container.args.includes("--xds-address=envoy-gateway.envoy-gateway-system.svc.cluster.example:18000"),
      container.args.join(" "),
    );
    assert.ok(container.args.includes("--envoy-image=registry.example.com/envoyproxy/envoy:distroless-v1.36.4"));
    assert.equal(pod.priorityClassName, "system-cluster-critical");
    assert.deepEqual(pod.nodeSelector, { "kubernetes.io/os": "linux" });
    assert.equal(pod.tolerations?.[0]?.key, "dedicated");
    assert.equal(pod.topologySpreadConstraints?.[0]?.topologyKey, "topology.kubernetes.io/zone");
    assert.equal(spec.template.metadata.labels.tier, "control-plane");
    assert.equal(spec.template.metadata.annotations["example.com/scrape"], "yes");
    const hpa = find(docs, "HorizontalPodAutoscaler", "envoy-gateway").spec as Record<string, unknown>;
    assert.equal(hpa.minReplicas, 2);
    assert.equal(hpa.maxReplicas, 4);
    const pdb = find(docs, "PodDisruptionBudget", "envoy-gateway").spec as Record<string, unknown>;
    assert.equal(pdb.minAvailable, 1);
    const service = find(docs, "Service", "envoy-gateway");
    assert.equal(service.metadata.annotations?.["example.com/internal"], "true");
    assert.equal((service.spec as Record<string, unknown>).trafficDistribution, "PreferClose");
    assert.equal(find(docs, "Namespace", "envoy-gateway-system").kind, "Namespace", "createNamespace");
    const job = find(docs, "Job", "envoy-gateway-certgen").spec as { ttlSecondsAfterFinished: number };
    assert.equal(job.ttlSecondsAfterFinished, 60);
    const config = parseEnvoyGatewayConfig(
      "envoy-gateway.yaml",
      find(docs, "ConfigMap", "envoy-gateway-config").data?.["envoy-gateway.yaml"] ?? "",
    );
    const kube = kubernetesProviderOf(config).kubernetes;
    assert.deepEqual(kube.watch, { namespaces: ["team-a"] });
    assert.equal(kube.leaderElection.leaseDurationMs, 20_000);
    assert.equal(config.logging.default, "debug");
    assert.deepEqual(config.extensionApis, { enableEnvoyPatchPolicy: true });
    assert.equal(config.backends?.enabled, true, "extensionApis.enableBackend");
  });

  it("refuses a misspelt key, naming it", () => {
    assert.match(refusal(["--set", "deployment.replica=3"]), /additional properties 'replica' not allowed/);
    assert.match(
      refusal(["--set", "deployment.envoyGateway.resorces.limits.memory=1Gi"]),
      /at '\/deployment\/envoyGateway': additional properties 'resorces' not allowed/,
    );
    assert.match(refusal(["--set", "hpa.enabled=yes"]), /hpa\/enabled/);
  });

  it("refuses the values it had before Envoy Gateway's layout, naming the new key", () => {
    assert.match(refusal(["--set", "replicas=3"]), /value replicas was renamed .*: use deployment\.replicas/);
    assert.match(
      refusal(["--set", "watchNamespaces={a}"]),
      /use config\.envoyGateway\.provider\.kubernetes\.watch: \{ type: Namespaces/,
    );
    assert.match(refusal(["--set", "certgen.resources.requests.cpu=1m"]), /use certgen\.job\.resources/);
    assert.match(refusal(["--set", "rateLimit.image=x"]), /use global\.images\.ratelimit\.image/);
  });

  it("refuses Envoy Gateway values it cannot honour, saying why", () => {
    assert.match(refusal(["--set", "topologyInjector.enabled=true"]), /egts has no topology injector/);
    assert.match(refusal(["--set", "crds.enabled=false"]), /--skip-crds/);
    assert.match(
      refusal(["--set", "global.images.envoyProxy.pullPolicy=Always"]),
      /global\.images\.envoyProxy\.pullPolicy and \.pullSecrets are not implemented yet/,
    );
  });

  it("grants Secrets (and the other namespaced reads) per watched namespace when watch.namespaces is set", () => {
    const readsSecrets = (d: Doc): boolean =>
      (d.rules ?? []).some(
        (r) =>
          r.apiGroups.includes("") &&
          r.resources.includes("secrets") &&
          r.verbs.some((v) => ["get", "list", "watch"].includes(v)),
      );
    const scoped = render([
      "--set",
      "config.envoyGateway.provider.kubernetes.watch.type=Namespaces",
      "--set",
      "config.envoyGateway.provider.kubernetes.watch.namespaces={team-a,team-b}",
    ]);
    const clusterRole = find(scoped, "ClusterRole");
    assert.equal(readsSecrets(clusterRole), false, "the ClusterRole grants Secrets although watch.namespaces is set");
    const controllerRoles = scoped.filter((d) => d.kind === "Role" && !d.metadata.name.includes("certgen"));
    const roles = controllerRoles.filter(readsSecrets).map((d) => d.metadata.namespace);
    assert.deepEqual(
      roles.sort(),
      ["envoy-gateway-system", "team-a", "team-b"],
      "the release namespace too, as Envoy Gateway",
    );
    const bindings = scoped.filter((d) => d.kind === "RoleBinding").map((d) => d.metadata.namespace);
    assert.ok(bindings.includes("team-a") && bindings.includes("team-b"), `RoleBindings in ${bindings.join(", ")}`);
    assert.equal(readsSecrets(find(render([]), "ClusterRole")), true);
  });

  it("grants the proxies' objects in the Gateways' namespaces with deploy.type GatewayNamespace", () => {
    const writes = (d: Doc, resource: string): boolean =>
      (d.rules ?? []).some((r) => r.resources.includes(resource) && r.verbs.includes("create"));
    const reads = (d: Doc, resource: string): boolean =>
      (d.rules ?? []).some((r) => r.resources.includes(resource) && r.verbs.includes("list"));
    const mode = ["--set", "config.envoyGateway.provider.kubernetes.deploy.type=GatewayNamespace"];
    const everywhere = render(mode);
    assert.equal(writes(find(everywhere, "ClusterRole"), "deployments"), true, "every namespace");
    assert.equal(writes(find(everywhere, "ClusterRole"), "secrets"), true, "the proxies' certificate Secrets");
    assert.equal(writes(find(render([]), "ClusterRole"), "deployments"), false, "ControllerNamespace: none");
    const scoped = render([
      ...mode,
      "--set",
      "config.envoyGateway.provider.kubernetes.watch.type=Namespaces",
      "--set",
      "config.envoyGateway.provider.kubernetes.watch.namespaces={team-a}",
    ]);
    const clusterRole = find(scoped, "ClusterRole");
    assert.equal(writes(clusterRole, "deployments"), false, "a namespaced watch writes in its namespaces only");
    assert.equal(reads(clusterRole, "deployments"), true, "the workload watch and prune list cluster-wide");
    const teamA = scoped.find((d) => d.kind === "Role" && d.metadata.namespace === "team-a");
    assert.ok(teamA && writes(teamA, "deployments") && writes(teamA, "secrets"), "team-a's Role writes proxies");
    for (const docs of [everywhere, scoped]) {
      assert.equal(writes(find(docs, "ClusterRole"), "tokenreviews"), true, "the proxies' tokens are reviewed");
    }
    assert.equal(writes(find(render([]), "ClusterRole"), "tokenreviews"), false, "ControllerNamespace: no reviews");
  });

  it("renders config.envoyGateway values into ConfigMap envoy-gateway-config, which the controller loads", () => {
    const docs = render([
      "--set",
      "config.envoyGateway.provider.kubernetes.watch.type=Namespaces",
      "--set",
      "config.envoyGateway.provider.kubernetes.watch.namespaces={team-a}",
      "--set",
      "config.envoyGateway.provider.kubernetes.leaderElection.leaseDuration=30s",
      "--set",
      "config.envoyGateway.logging.level.xds-server=debug",
      "--set",
      "config.envoyGateway.extensionApis.enableEnvoyPatchPolicy=true",
      "--set",
      "config.envoyGateway.gateway.controllerName=example.com/gateway",
    ]);
    const cm = docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === "envoy-gateway-config");
    const text = cm?.data?.["envoy-gateway.yaml"];
    assert.ok(text, "ConfigMap envoy-gateway-config with key envoy-gateway.yaml");
    const config = parseEnvoyGatewayConfig("envoy-gateway.yaml", text);
    const kube = kubernetesProviderOf(config).kubernetes;
    assert.deepEqual(kube.watch, { namespaces: ["team-a"] });
    assert.equal(kube.leaderElection.leaseDurationMs, 30_000);
    assert.deepEqual(config.logging, { default: "info", components: { "xds-server": "debug" } });
    assert.deepEqual(config.extensionApis, { enableEnvoyPatchPolicy: true });
    assert.equal(config.controllerName, "example.com/gateway");
    const gc = docs.find((d) => d.kind === "GatewayClass") as unknown as { spec: { controllerName: string } };
    assert.equal(gc.spec.controllerName, "example.com/gateway", "the GatewayClass follows gateway.controllerName");
    const watchRoles = docs.filter((d) => d.kind === "Role" && d.metadata.name.endsWith("-watch"));
    assert.deepEqual(
      watchRoles.map((d) => d.metadata.namespace).sort(),
      ["envoy-gateway-system", "team-a"],
      "reads granted in the watched namespace and the release's own, as Envoy Gateway's chart",
    );
  });
});
